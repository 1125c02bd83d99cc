//! Helpers shared by the end-to-end tests: fixture paths, running the real binary, and
//! reading a whole bundle.

#![allow(dead_code)] // each test binary uses a different subset

pub(crate) mod serve;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// `tests/fixtures/<rel>` of the repository.
pub(crate) fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures")
        .join(rel)
}

/// A scratch copy of the fixture site: the temporary folder, its `site/`, and the
/// `dist/` beside it (not built yet).
pub(crate) fn scratch_site() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let site = tmp.path().join("site");
    copy_tree(&fixture("site"), &site);
    let out = tmp.path().join("dist");
    (tmp, site, out)
}

/// Copy a folder tree (used to edit fixtures without touching the originals).
pub(crate) fn copy_tree(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.unwrap();
        let target = to.join(entry.path().strip_prefix(from).unwrap());
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Run `lyceum <args>` in `cwd`.
/// Write each `(relative path, text)` under `root`, creating folders.
pub(crate) fn write_files(root: &Path, files: &[(&str, &str)]) {
    for (rel, text) in files {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}

pub(crate) fn lyceum(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lyceum"))
        .current_dir(cwd)
        .args(args)
        .env_remove("NO_COLOR")
        .output()
        .expect("run lyceum")
}

/// Build `site` into `out`; panics with stderr if the build fails.
pub(crate) fn build(site: &Path, out: &Path, extra: &[&str]) {
    let mut args = vec![
        "build",
        "--root",
        site.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let output = lyceum(site, &args);
    assert!(
        output.status.success(),
        "build failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Every file of a bundle: `/`-separated relative path → bytes.
pub(crate) fn read_tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(root)
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let rel = e.path().strip_prefix(root).unwrap();
            let rel = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            (rel, std::fs::read(e.path()).unwrap())
        })
        .collect()
}

/// Names in `dir`, sorted.
pub(crate) fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Compare `actual` with the committed file `expected`; `UPDATE_SNAPSHOTS=1` rewrites it
/// instead (review the diff before committing).
pub(crate) fn assert_snapshot(expected: &Path, actual: &str) {
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::create_dir_all(expected.parent().unwrap()).unwrap();
        std::fs::write(expected, actual).unwrap();
        return;
    }
    let want = std::fs::read_to_string(expected).unwrap_or_else(|_| {
        panic!(
            "missing snapshot {}; run with UPDATE_SNAPSHOTS=1",
            expected.display()
        )
    });
    if want != actual {
        let diff: Vec<String> = want
            .lines()
            .zip(actual.lines())
            .enumerate()
            .filter(|(_, (w, a))| w != a)
            .take(5)
            .map(|(i, (w, a))| format!("line {}:\n  expected: {w}\n  actual:   {a}", i + 1))
            .collect();
        panic!(
            "snapshot {} differs ({} vs {} lines); first differences:\n{}\nrun with UPDATE_SNAPSHOTS=1 to accept",
            expected.display(),
            want.lines().count(),
            actual.lines().count(),
            diff.join("\n")
        );
    }
}

/// Every file under `dir` with its bytes, and every folder (as `None`): what a command
/// that must change nothing is compared against.
pub(crate) fn dir_state(dir: &Path) -> BTreeMap<PathBuf, Option<Vec<u8>>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            let rel = path.strip_prefix(dir).unwrap().to_path_buf();
            if path.is_dir() {
                out.insert(rel, None);
                stack.push(path);
            } else {
                out.insert(rel, Some(std::fs::read(&path).unwrap()));
            }
        }
    }
    out
}

/// Paths whose state (bytes, or being a folder) differs between two [`dir_state`]
/// snapshots, sorted: what a command wrote, removed or changed.
pub(crate) fn changed_paths(
    before: &BTreeMap<PathBuf, Option<Vec<u8>>>,
    after: &BTreeMap<PathBuf, Option<Vec<u8>>>,
) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = before
        .keys()
        .chain(after.keys())
        .filter(|p| before.get(*p) != after.get(*p))
        .cloned()
        .collect();
    paths.sort();
    paths.dedup();
    paths
}
