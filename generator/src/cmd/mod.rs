//! Subcommands. I/O and presentation live here; the pipeline is in the library.

pub(crate) mod build;
pub(crate) mod check;
pub(crate) mod members;
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

/// `"limits"` in `build --json` and `check --format json`: the bundle against the plan's.
#[derive(serde::Serialize)]
struct JsonLimits {
    plan: &'static str,
    max_files: usize,
    max_file_bytes: u64,
    largest_file: Option<String>,
    largest_bytes: u64,
}

impl JsonLimits {
    fn new(plan: lyceum::build::Plan, largest: Option<&(String, u64)>) -> JsonLimits {
        JsonLimits {
            plan: plan.name(),
            max_files: plan.max_files(),
            max_file_bytes: plan.max_file_bytes(),
            largest_file: largest.map(|(p, _)| p.clone()),
            largest_bytes: largest.map_or(0, |(_, b)| *b),
        }
    }
}
