//! `lyceum build`: compiler-style diagnostics or a one-line summary for people, one JSON
//! object on stdout for CI (`--json`), per-stage and per-template timings (`--verbose`),
//! and a progress line on a terminal for builds that take a while.

use super::JsonLimits;
use lyceum::build::{BuildOptions, BuildReport};
use lyceum::progress::Observer;
use lyceum::BuildError;
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

/// How many templates `--verbose` lists.
const SLOWEST: usize = 5;

#[derive(clap::Args, Debug)]
#[command(after_help = "\
Exit status:
  0  built
  1  the site has errors (the previous output folder is left as it was), or the disk failed

With --json, stdout is one object: {\"ok\":true,\"pages\",\"gated\",\"sections\",\"files\",\"limits\":{\"plan\",\"max_files\",\"max_file_bytes\",\"largest_file\",\"largest_bytes\"},\"out\",\"ms\",\"stages\"}
or {\"ok\":false,\"errors\":[{\"path\",\"line\",\"col\",\"message\",\"help\"}]}.")]
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
    /// Print one JSON object on stdout (for CI) instead of messages on stderr.
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(args: Args, globals: &super::Globals) -> anyhow::Result<ExitCode> {
    let out = args.out.unwrap_or_else(|| args.root.join("dist"));
    let observer = Arc::new(Observer::new(globals.verbose));
    let options = BuildOptions {
        root: args.root,
        out: out.clone(),
        drafts: args.drafts,
        base_url: args.base_url,
        observer: Some(observer.clone()),
    };
    let show_progress = !globals.quiet && !args.json && std::io::stderr().is_terminal();
    let progress = show_progress.then(|| Progress::start(observer.clone()));
    let result = lyceum::build(&options);
    if let Some(p) = progress {
        p.stop();
    }
    match result {
        Ok(report) => {
            let slowest = observer.slowest_templates(SLOWEST);
            if args.json {
                println!(
                    "{}",
                    serde_json::to_string(&JsonOk::new(
                        &report,
                        &out,
                        globals.verbose.then_some(&slowest)
                    ))?
                );
                return Ok(ExitCode::SUCCESS);
            }
            if globals.verbose {
                print_timings(&report, &slowest);
            }
            if !globals.quiet {
                eprintln!(
                    "built {} pages ({} gated), {} sections, {} files in {:.0} ms → {}",
                    report.pages,
                    report.gated,
                    report.sections,
                    report.files,
                    ms(total(&report)),
                    out.display()
                );
                eprintln!(
                    "{}",
                    lyceum::build::describe_limits(
                        report.plan,
                        report.files,
                        report.largest.as_ref()
                    )
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(BuildError::Invalid(diagnostics)) => {
            if args.json {
                println!("{}", serde_json::to_string(&JsonErr::new(&diagnostics))?);
                return Ok(ExitCode::FAILURE);
            }
            super::report_diagnostics(&diagnostics);
            eprintln!(
                "error: build failed; `{}` was left as it was",
                out.display()
            );
            Ok(ExitCode::FAILURE)
        }
        Err(err) if args.json => {
            // The disk failed: still one object on stdout, with the whole cause chain.
            let d = lyceum::Diagnostic::file(&out, lyceum::error::chain(&err));
            println!(
                "{}",
                serde_json::to_string(&JsonErr::new(std::slice::from_ref(&d)))?
            );
            Ok(ExitCode::FAILURE)
        }
        Err(err) => Err(err.into()),
    }
}

fn total(report: &BuildReport) -> Duration {
    report.stages.iter().map(|(_, d)| *d).sum()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn print_timings(report: &BuildReport, slowest: &[lyceum::progress::TemplateTime]) {
    let mut text = String::new();
    for (stage, took) in &report.stages {
        text += &format!("{stage:>18}: {:>7.1} ms\n", ms(*took));
    }
    if !slowest.is_empty() {
        text += "slowest templates (render time summed over all threads):\n";
        for t in slowest {
            text += &format!(
                "{:>18}: {:>7.1} ms  ({} renders)\n",
                t.name,
                ms(t.total),
                t.renders
            );
        }
    }
    eprint!("{text}");
}

/// `{"ok":true,…}`.
#[derive(Serialize)]
struct JsonOk<'a> {
    ok: bool,
    pages: usize,
    gated: usize,
    sections: usize,
    files: usize,
    /// The bundle against the plan's limits.
    limits: JsonLimits,
    out: String,
    ms: f64,
    /// Stage name → milliseconds.
    stages: BTreeMap<&'static str, f64>,
    /// Only with `--verbose`: the slowest templates, slowest first.
    #[serde(skip_serializing_if = "Option::is_none")]
    templates: Option<Vec<JsonTemplate<'a>>>,
}

#[derive(Serialize)]
struct JsonTemplate<'a> {
    name: &'a str,
    ms: f64,
    renders: usize,
}

impl<'a> JsonOk<'a> {
    fn new(
        report: &BuildReport,
        out: &Path,
        slowest: Option<&'a Vec<lyceum::progress::TemplateTime>>,
    ) -> JsonOk<'a> {
        JsonOk {
            ok: true,
            pages: report.pages,
            gated: report.gated,
            sections: report.sections,
            files: report.files,
            limits: JsonLimits::new(report.plan, report.largest.as_ref()),
            out: out.display().to_string(),
            ms: round(ms(total(report))),
            stages: report
                .stages
                .iter()
                .map(|(name, d)| (*name, round(ms(*d))))
                .collect(),
            templates: slowest.map(|all| {
                all.iter()
                    .map(|t| JsonTemplate {
                        name: &t.name,
                        ms: round(ms(t.total)),
                        renders: t.renders,
                    })
                    .collect()
            }),
        }
    }
}

/// Milliseconds to 0.1 ms: more digits would only be noise.
fn round(ms: f64) -> f64 {
    (ms * 10.0).round() / 10.0
}

/// `{"ok":false,"errors":[…]}`.
#[derive(Serialize)]
struct JsonErr<'a> {
    ok: bool,
    errors: Vec<lyceum::diagnostic::Json<'a>>,
}

impl<'a> JsonErr<'a> {
    fn new(diagnostics: &'a [lyceum::Diagnostic]) -> JsonErr<'a> {
        JsonErr {
            ok: false,
            errors: diagnostics.iter().map(|d| d.json(None)).collect(),
        }
    }
}

/// A `rendering 4,000/10,000 pages` line on stderr, redrawn every 100 ms once a build
/// has run for a second; erased when the build ends.
struct Progress {
    stop: mpsc::Sender<()>,
    thread: std::thread::JoinHandle<()>,
}

impl Progress {
    const TICK: Duration = Duration::from_millis(100);
    const AFTER: Duration = Duration::from_secs(1);

    fn start(observer: Arc<Observer>) -> Progress {
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = std::thread::spawn(move || {
            let start = Instant::now();
            let mut drawn = false;
            while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(Self::TICK) {
                if start.elapsed() < Self::AFTER {
                    continue;
                }
                let total = observer.total.load(Ordering::Relaxed);
                let line = if total == 0 {
                    "loading pages…".to_owned()
                } else {
                    let done = observer.done.load(Ordering::Relaxed).min(total);
                    format!("rendering {}/{} pages", thousands(done), thousands(total))
                };
                let mut err = std::io::stderr().lock();
                let _ = write!(err, "\r\x1b[K{line}");
                let _ = err.flush();
                drawn = true;
            }
            if drawn {
                let _ = write!(std::io::stderr().lock(), "\r\x1b[K");
            }
        });
        Progress { stop, thread }
    }

    fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.thread.join();
    }
}

/// `10000` → `10,000`.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn thousands_separators() {
        assert_eq!(super::thousands(0), "0");
        assert_eq!(super::thousands(999), "999");
        assert_eq!(super::thousands(4000), "4,000");
        assert_eq!(super::thousands(1234567), "1,234,567");
    }
}
