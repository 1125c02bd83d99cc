//! `lyceum build`.

use lyceum::build::{BuildError, BuildOptions};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub(crate) struct Args {
    /// Site root (the folder with site.yaml).
    #[arg(long, default_value = ".", value_name = "DIR")]
    root: PathBuf,
    /// Output folder, replaced atomically [default: <root>/dist].
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Also build pages with `status: draft` or `status: review`.
    #[arg(long)]
    drafts: bool,
    /// Override `base_url` from site.yaml (e.g. for a preview deployment).
    #[arg(long, value_name = "URL")]
    base_url: Option<String>,
}

pub(crate) fn run(args: Args, globals: &super::Globals) -> anyhow::Result<ExitCode> {
    let out = args.out.unwrap_or_else(|| args.root.join("dist"));
    let options = BuildOptions { root: args.root, out: out.clone(), drafts: args.drafts, base_url: args.base_url };
    match lyceum::build(&options) {
        Ok(report) => {
            if globals.verbose {
                for (stage, took) in &report.stages {
                    eprintln!("{stage:>18}: {:>7.1} ms", took.as_secs_f64() * 1e3);
                }
            }
            if !globals.quiet {
                let total: std::time::Duration = report.stages.iter().map(|(_, d)| *d).sum();
                eprintln!(
                    "built {} pages ({} gated), {} sections, {} files in {:.0} ms → {}",
                    report.pages,
                    report.gated,
                    report.sections,
                    report.files,
                    total.as_secs_f64() * 1e3,
                    out.display()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(BuildError::Invalid(diagnostics)) => {
            super::report_diagnostics(&diagnostics);
            eprintln!("error: build failed; `{}` was left as it was", out.display());
            Ok(ExitCode::FAILURE)
        }
        Err(err) => Err(err.into()),
    }
}
