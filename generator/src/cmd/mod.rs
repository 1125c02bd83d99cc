//! Subcommands. I/O and presentation live here; the pipeline is in the library.

pub(crate) mod build;
pub(crate) mod check;
pub(crate) mod new;
pub(crate) mod serve;
pub(crate) mod token;

/// Flags every subcommand understands.
#[derive(clap::Args, Debug, Clone, Default)]
pub(crate) struct Globals {
    /// Print only errors.
    #[arg(long, short, global = true)]
    pub(crate) quiet: bool,
    /// Print per-stage timings and the slowest templates.
    #[arg(long, short, global = true)]
    pub(crate) verbose: bool,
}

/// Print an error with its whole cause chain to stderr.
pub(crate) fn report_error(err: &anyhow::Error, _globals: &Globals) {
    eprintln!("error: {err}");
    for cause in err.chain().skip(1) {
        eprintln!("  caused by: {cause}");
    }
}

/// Print author-facing diagnostics, compiler-style (colour only on a terminal), then a count.
pub(crate) fn report_diagnostics(diagnostics: &[lyceum::Diagnostic]) {
    let mut text = lyceum::diagnostic::render_all(diagnostics, stderr_color(), true);
    let n = diagnostics.len();
    text += &format!(
        "error: {n} problem{} found\n",
        if n == 1 { "" } else { "s" }
    );
    eprint!("{text}");
}

/// Colour diagnostics only when stderr is a terminal and `NO_COLOR` is unset.
pub(crate) fn stderr_color() -> bool {
    use std::io::IsTerminal;
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}
