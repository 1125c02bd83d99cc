//! `lyceum check`: presentation of [`lyceum::check`] — compiler-style diagnostics and a
//! summary table for people, one JSON object for CI — and exit codes CI can rely on.

use super::JsonLimits;
use lyceum::check::{CheckOptions, CheckReport, LevelSummary};
use lyceum::diagnostic::{Diagnostic, Severity};
use serde::Serialize;
use std::path::PathBuf;
use std::process::ExitCode;

/// Exit code when the check could not run (bad arguments, unreadable site root).
const CANNOT_RUN: u8 = 2;

#[derive(clap::Args, Debug)]
#[command(after_help = "\
Exit status:
  0  clean: no errors (warnings allowed unless --deny-warnings)
  1  errors found (or warnings, with --deny-warnings)
  2  could not run: bad arguments, or the root is not a readable site (no site.yaml)

Writes nothing: the site is rendered in memory only.")]
pub(crate) struct Args {
    /// Site root (the folder with site.yaml).
    #[arg(long, default_value = ".", value_name = "DIR")]
    root: PathBuf,
    /// `human`: diagnostics on stderr, then a summary table; `json`: one object on stdout.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// Also check pages with `status: draft` or `status: review`, as if published.
    #[arg(long)]
    drafts: bool,
    /// Fail (exit 1) on warnings too.
    #[arg(long)]
    deny_warnings: bool,
}

#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Human,
    Json,
}

pub(crate) fn run(args: Args, globals: &super::Globals) -> anyhow::Result<ExitCode> {
    let config = args.root.join(lyceum::build::CONFIG_FILE);
    if !config.is_file() || std::fs::File::open(&config).is_err() {
        eprintln!(
            "error: `{}` is not a readable site root: no `{}`\n  = help: pass the folder that holds site.yaml with `--root DIR`",
            args.root.display(),
            lyceum::build::CONFIG_FILE
        );
        return Ok(ExitCode::from(CANNOT_RUN));
    }
    let report = match lyceum::check::check(&CheckOptions {
        root: args.root.clone(),
        drafts: args.drafts,
    }) {
        Ok(report) => report,
        Err(err) => {
            super::report_error(&err.into(), globals);
            return Ok(ExitCode::from(CANNOT_RUN));
        }
    };
    match args.format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&Json::new(&report))?),
        Format::Human => print_human(&report, globals),
    }
    let failed = !report.errors.is_empty() || (args.deny_warnings && !report.warnings.is_empty());
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn print_human(report: &CheckReport, globals: &super::Globals) {
    let color = super::stderr_color();
    let mut text = String::new();
    for d in &report.errors {
        text += &d.render_as(Severity::Error, color);
        text.push('\n');
    }
    if !globals.quiet {
        for d in &report.warnings {
            text += &d.render_as(Severity::Warning, color);
            text.push('\n');
        }
    }
    let (e, w) = (report.errors.len(), report.warnings.len());
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    text += &format!("check: {e} error{}, {w} warning{}\n", plural(e), plural(w));
    eprint!("{text}");
    if globals.quiet {
        return;
    }
    let s = &report.summary;
    let mut table = format!("{:<16} {:>6} {:>9}\n", "level", "pages", "words");
    for l in std::iter::once(&s.public).chain(&s.levels) {
        table += &format!("{:<16} {:>6} {:>9}\n", l.id, l.pages, l.words);
    }
    for p in &s.products {
        let label = format!("product {}", p.id);
        table += &format!("{label:<16} {:>6} {:>9}\n", p.pages, p.words);
    }
    let all: (usize, usize) = std::iter::once(&s.public)
        .chain(&s.levels)
        .chain(&s.products)
        .fold((0, 0), |a, l| (a.0 + l.pages, a.1 + l.words));
    table += &format!("{:<16} {:>6} {:>9}\n", "total", all.0, all.1);
    table += &format!(
        "{} sections, {} drafts skipped, {} files would be written\n",
        s.sections, s.drafts_skipped, s.files
    );
    table += &lyceum::build::describe_limits(s.plan, s.files, s.largest.as_ref());
    table.push('\n');
    print!("{table}");
}

/// `{ "errors": [...], "warnings": [...], "summary": {...} }`.
#[derive(Serialize)]
struct Json<'a> {
    errors: Vec<lyceum::diagnostic::Json<'a>>,
    warnings: Vec<lyceum::diagnostic::Json<'a>>,
    summary: JsonSummary<'a>,
}

#[derive(Serialize)]
struct JsonSummary<'a> {
    public: &'a LevelSummary,
    levels: &'a [LevelSummary],
    products: &'a [LevelSummary],
    sections: usize,
    drafts_skipped: usize,
    files: usize,
    /// The bundle against the plan's limits, as in `lyceum build --json`.
    limits: JsonLimits,
}

impl<'a> Json<'a> {
    fn new(report: &'a CheckReport) -> Json<'a> {
        let list =
            |ds: &'a [Diagnostic], severity: Severity| -> Vec<lyceum::diagnostic::Json<'a>> {
                ds.iter().map(|d| d.json(Some(severity))).collect()
            };
        let s = &report.summary;
        Json {
            errors: list(&report.errors, Severity::Error),
            warnings: list(&report.warnings, Severity::Warning),
            summary: JsonSummary {
                public: &s.public,
                levels: &s.levels,
                products: &s.products,
                sections: s.sections,
                drafts_skipped: s.drafts_skipped,
                files: s.files,
                limits: JsonLimits::new(s.plan, s.largest.as_ref()),
            },
        }
    }
}
