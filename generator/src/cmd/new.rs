//! `lyceum new DIR`: scaffold a starter site ([`lyceum::scaffold`]).

use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
#[command(after_help = "\
DIR must be empty or not exist yet; nothing that exists is ever overwritten.
The default theme is built into lyceum, so the new site needs no theme folder.")]
pub(crate) struct Args {
    /// Folder to create the site in (created if absent; must be empty).
    #[arg(value_name = "DIR")]
    dir: PathBuf,
    /// Also copy the built-in default theme to DIR/themes/default/ to customise it.
    #[arg(long)]
    with_theme: bool,
}

pub(crate) fn run(args: Args, globals: &super::Globals) -> anyhow::Result<ExitCode> {
    let created = lyceum::scaffold::create(&args.dir, args.with_theme)?;
    if !globals.quiet {
        let shown = args.dir.display();
        eprintln!(
            "created a lyceum site in `{shown}` ({} files)",
            created.len()
        );
        eprintln!("next: `lyceum check --root {shown}`, then `lyceum build --root {shown}` or `lyceum serve --root {shown}`");
    }
    Ok(ExitCode::SUCCESS)
}
