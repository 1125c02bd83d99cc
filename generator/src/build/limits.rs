//! Cloudflare's static-asset limits, known before deploy: the bundle's file count and its
//! largest file against the plan's limits (`plan:` in site.yaml). Pure; the build and the
//! check measure the bundle through their sinks and ask [`over`].

use crate::build::config::{Plan, CONFIG_FILE};
use crate::diagnostic::Diagnostic;

/// Files of 25 MiB or less; the same on every plan.
pub(crate) const MAX_FILE_BYTES: u64 = 25 * 1024 * 1024;

impl Plan {
    /// Static-asset files per Worker version.
    pub fn max_files(self) -> usize {
        match self {
            Plan::Free => 20_000,
            Plan::Paid => 100_000,
        }
    }

    /// Bytes per static-asset file.
    pub fn max_file_bytes(self) -> u64 {
        MAX_FILE_BYTES
    }
}

/// What the limits are measured on: the bundle's files and its largest one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct BundleSize {
    /// Files in the bundle.
    pub(crate) files: usize,
    /// The largest file: bundle path and bytes (`None` for an empty bundle).
    pub(crate) largest: Option<(String, u64)>,
}

impl BundleSize {
    /// Count one more file of `bytes` at `rel`, keeping the largest (ties: the first path
    /// in order, so the report does not depend on thread timing).
    pub(crate) fn add(&mut self, rel: &str, bytes: u64) {
        self.files += 1;
        if larger(&self.largest, rel, bytes) {
            self.largest = Some((rel.to_owned(), bytes));
        }
    }
}

/// Whether a file of `bytes` at `rel` replaces `largest` (ties: the first path in order).
pub(crate) fn larger(largest: &Option<(String, u64)>, rel: &str, bytes: u64) -> bool {
    match largest {
        None => true,
        Some((path, size)) => bytes > *size || (bytes == *size && rel < path.as_str()),
    }
}

/// The limits `size` exceeds on `plan`, as errors saying what to do; empty when it fits.
pub(crate) fn over(plan: Plan, size: &BundleSize) -> Vec<Diagnostic> {
    let mut errors = Vec::new();
    if size.files > plan.max_files() {
        let help = match plan {
            Plan::Free => "the paid plan allows 100,000 (`plan: paid` in site.yaml); or serve the gated files from R2 behind the Worker (README: \"Past the limits\")",
            Plan::Paid => "serve the gated files, then large public ones, from R2 behind the Worker (README: \"Past the limits\")",
        };
        errors.push(
            Diagnostic::file(
                CONFIG_FILE,
                format!(
                    "the bundle has {} files; Cloudflare's {} plan allows {} static-asset files per Worker version",
                    size.files,
                    plan.name(),
                    plan.max_files()
                ),
            )
            .with_help(help),
        );
    }
    if let Some((path, bytes)) = &size.largest {
        if *bytes > plan.max_file_bytes() {
            errors.push(
                Diagnostic::file(
                    path,
                    format!(
                        "{path} is {bytes} bytes ({}); Cloudflare serves static-asset files of at most {} bytes (25 MiB) on every plan",
                        mib(*bytes),
                        plan.max_file_bytes()
                    ),
                )
                .with_help("move the file to R2 and serve it from the Worker (README: \"Past the limits\"), or make it smaller"),
            );
        }
    }
    errors
}

/// The bundle against the plan's limits, one line for the build and check summaries:
/// `free plan: 120 of 20000 files; largest file img/a.png, 1.2 MiB of 25 MiB`.
pub fn describe(plan: Plan, files: usize, largest: Option<&(String, u64)>) -> String {
    let largest = match largest {
        Some((path, bytes)) if *bytes < 1024 * 1024 => {
            format!(
                "largest file {path}, {:.1} KiB of 25 MiB",
                *bytes as f64 / 1024.0
            )
        }
        Some((path, bytes)) => format!("largest file {path}, {} of 25 MiB", mib(*bytes)),
        None => "no files".into(),
    };
    format!(
        "{} plan: {files} of {} files; {largest}",
        plan.name(),
        plan.max_files()
    )
}

/// Bytes as MiB with one decimal, for people.
pub(crate) fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn size(files: usize, largest: u64) -> BundleSize {
        BundleSize {
            files,
            largest: Some(("big/file.bin".into(), largest)),
        }
    }

    #[test]
    fn file_count_limit_depends_on_the_plan() {
        assert!(over(Plan::Free, &size(20_000, 1)).is_empty());
        let e = over(Plan::Free, &size(20_001, 1));
        assert_eq!(e.len(), 1);
        assert_eq!(
            e[0].message,
            "the bundle has 20001 files; Cloudflare's free plan allows 20000 static-asset files per Worker version"
        );
        assert!(e[0].help.as_deref().unwrap().contains("plan: paid"));
        assert!(over(Plan::Paid, &size(100_000, 1)).is_empty());
        let e = over(Plan::Paid, &size(100_001, 1));
        assert_eq!(e.len(), 1);
        assert!(e[0].help.as_deref().unwrap().contains("R2"));
    }

    #[test]
    fn file_size_limit_is_25_mib_on_every_plan() {
        for plan in [Plan::Free, Plan::Paid] {
            assert!(over(plan, &size(1, MAX_FILE_BYTES)).is_empty());
            let e = over(plan, &size(1, MAX_FILE_BYTES + 1));
            assert_eq!(e.len(), 1, "{plan:?}");
            assert_eq!(e[0].path.to_str(), Some("big/file.bin"));
            assert!(e[0].message.contains("26214401 bytes"), "{}", e[0].message);
        }
        // Both limits at once: both reported.
        assert_eq!(over(Plan::Free, &size(20_001, MAX_FILE_BYTES + 1)).len(), 2);
        assert!(over(Plan::Free, &BundleSize::default()).is_empty());
    }

    #[test]
    fn largest_file_is_the_biggest_and_ties_pick_the_first_path() {
        let mut s = BundleSize::default();
        s.add("b", 5);
        s.add("c", 9);
        s.add("a", 9);
        s.add("d", 1);
        assert_eq!((s.files, s.largest), (4, Some(("a".into(), 9))));
    }
}
