//! Stage 7: the atomic write. Everything goes into a staging folder beside the target
//! (same parent, so same filesystem), which then replaces the target in one rename.
//! Until that rename the previous bundle is untouched; on any error the staging folder
//! is removed, and a folder left by a killed build is removed by the next one.
//!
//! Which folders are leftovers is decided with an OS file lock, the same on Linux, macOS
//! and Windows: every build holds a shared lock on the target's lock file while its staging
//! folder exists, and the OS drops the lock when the build's process ends, however it ends.
//! A build that gets the lock exclusively is therefore the only one running, and every
//! staging folder beside the target is a leftover. (Process ids are not used: they are
//! reused, and checking one is not portable.) The lock file lives in the temporary folder,
//! so a failed build still writes nothing beside the site.

use crate::build::limits::BundleSize;
use crate::error::BuildError;
use std::fs::{File, TryLockError};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;

/// Marks staging folders: `.<target>.lyceum-tmp.<pid>.<n>` beside the target.
const TMP_MARK: &str = ".lyceum-tmp.";
/// The folder of lock files in the temporary folder, one per target. They are never
/// deleted: deleting a lock file lets two builds lock two different files of one name.
const LOCK_DIR: &str = "lyceum-locks";

/// Staging folders this process has made, so two builds in one process (serve's rebuilds,
/// tests) never share a name.
static STAGINGS: AtomicUsize = AtomicUsize::new(0);

/// A bundle being written. Dropping it without [`Staging::commit`] removes it.
///
/// Or, made by [`Staging::in_place`], an update of a live bundle: each file replaces its
/// old version in one rename (serve's rebuild of the pages a change touched).
#[derive(Debug)]
pub(crate) struct Staging {
    target: PathBuf,
    dir: PathBuf,
    files: AtomicUsize,
    /// Bytes of the largest file written so far (a lock-free first test for `largest`).
    largest_bytes: AtomicU64,
    /// The largest file written so far, for the plan's per-file limit.
    largest: Mutex<Option<(String, u64)>>,
    /// Every bundle path written, for the Worker's route list (no walk of the folder).
    written: Mutex<Vec<String>>,
    committed: bool,
    /// Writing into the live bundle `dir` (== `target`), one file at a time.
    in_place: bool,
    /// The shared lock that marks `dir` as live; released after Drop has removed `dir`.
    _lock: Option<File>,
}

impl Staging {
    /// Create an empty staging folder beside `target`, first removing any left by builds
    /// that no longer run.
    pub(crate) fn new(target: &Path) -> Result<Staging, BuildError> {
        let name = target.file_name().ok_or_else(|| {
            BuildError::io(
                "use",
                target,
                std::io::Error::other("output must name a folder"),
            )
        })?;
        let parent = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&parent).map_err(|e| BuildError::io("create", &parent, e))?;
        let name = name.to_string_lossy();
        let prefix = format!(".{name}{TMP_MARK}");
        let lock = lock_and_clean(&lock_path(&parent, &name), &parent, &prefix);
        let n = STAGINGS.fetch_add(1, Ordering::Relaxed);
        let dir = parent.join(format!("{prefix}{}.{n}", std::process::id()));
        std::fs::create_dir(&dir).map_err(|e| BuildError::io("create", &dir, e))?;
        Ok(Staging {
            target: target.to_path_buf(),
            dir,
            files: AtomicUsize::new(0),
            largest_bytes: AtomicU64::new(0),
            largest: Mutex::new(None),
            written: Mutex::new(Vec::new()),
            committed: false,
            in_place: false,
            _lock: lock,
        })
    }

    /// Write into the bundle at `target` itself, each file through a temporary file
    /// beside it and a rename, so a concurrent reader sees the old or the new file,
    /// never half of one. Nothing to commit, nothing removed on drop.
    pub(crate) fn in_place(target: &Path) -> Staging {
        Staging {
            target: target.to_path_buf(),
            dir: target.to_path_buf(),
            files: AtomicUsize::new(0),
            largest_bytes: AtomicU64::new(0),
            largest: Mutex::new(None),
            written: Mutex::new(Vec::new()),
            committed: true,
            in_place: true,
            _lock: None,
        }
    }

    /// The staging folder (tests look inside it).
    #[cfg(test)]
    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    /// The bundle paths written so far, for one who holds the folder alone.
    fn written_mut(&mut self) -> &mut Vec<String> {
        self.written.get_mut().unwrap_or_else(|e| e.into_inner())
    }

    /// Files written so far.
    pub(crate) fn files(&self) -> usize {
        self.files.load(Ordering::Relaxed)
    }

    /// Files written so far and the largest of them, for the plan's limits.
    pub(crate) fn size(&self) -> BundleSize {
        let largest = self.largest.lock().unwrap_or_else(|e| e.into_inner());
        BundleSize {
            files: self.files(),
            largest: largest.clone(),
        }
    }

    /// Write `contents` at `rel` (a `/`-separated bundle path), creating folders. Safe to
    /// call from many threads.
    pub(crate) fn write(&self, rel: &str, contents: &[u8]) -> Result<(), BuildError> {
        let path = self.dir.join(rel);
        self.put(&path, "write", None, |to| std::fs::write(to, contents))?;
        self.measure(rel, contents.len() as u64);
        Ok(())
    }

    /// Copy a file from disk to `rel`.
    pub(crate) fn copy(&self, rel: &str, from: &Path) -> Result<(), BuildError> {
        let path = self.dir.join(rel);
        let mut bytes = 0;
        self.put(&path, "copy", Some(from), |to| {
            bytes = std::fs::copy(from, to)?;
            Ok(())
        })?;
        self.measure(rel, bytes);
        Ok(())
    }

    /// The bundle paths written so far, sorted, each once (a later write replaces a file).
    pub(crate) fn paths(&self) -> Vec<String> {
        use rayon::prelude::*;
        let mut paths = self
            .written
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        paths.par_sort_unstable();
        paths.dedup();
        paths
    }

    /// Record `rel`; keep it if it is the largest file so far (ties: the first path in order).
    fn measure(&self, rel: &str, bytes: u64) {
        self.written
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(rel.to_owned());
        if bytes < self.largest_bytes.fetch_max(bytes, Ordering::Relaxed) {
            return;
        }
        let mut largest = self.largest.lock().unwrap_or_else(|e| e.into_inner());
        if crate::build::limits::larger(&largest, rel, bytes) {
            *largest = Some((rel.to_owned(), bytes));
        }
    }

    /// Make the file at `path` with `make`, creating folders: straight in a staging
    /// folder; in place through a temporary file and a rename. An error names `blame`,
    /// else the file made.
    fn put(
        &self,
        path: &Path,
        action: &'static str,
        blame: Option<&Path>,
        make: impl FnOnce(&Path) -> std::io::Result<()>,
    ) -> Result<(), BuildError> {
        if let Some(parent) = path.parent() {
            make_dir(parent)?;
        }
        if self.in_place {
            let tmp = path.with_file_name(format!(
                ".{}.lyceum-serve-tmp",
                path.file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default()
            ));
            make(&tmp).map_err(|e| BuildError::io(action, blame.unwrap_or(&tmp), e))?;
            std::fs::rename(&tmp, path).map_err(|e| BuildError::io("rename", &tmp, e))?;
        } else {
            make(path).map_err(|e| BuildError::io(action, blame.unwrap_or(path), e))?;
        }
        self.files.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// Put the staged bundle in place of the target, then delete the old one.
    pub(crate) fn commit(mut self) -> Result<(), BuildError> {
        if self.in_place {
            // Every file is in place already.
        } else if self.target.exists() {
            swap(&self.dir, &self.target)?;
            // The old bundle now sits in the staging folder; Drop removes it, by a walk:
            // what this build wrote is not what it holds.
            self.written_mut().clear();
        } else {
            std::fs::rename(&self.dir, &self.target)
                .map_err(|e| BuildError::io("rename", &self.dir, e))?;
            self.committed = true;
        }
        Ok(())
    }
}

/// Where rendered outputs go: a [`Staging`] folder for `lyceum build` (in place for
/// serve's page updates); `lyceum check` renders into a sink that only records paths, so
/// all run the same render code.
pub(crate) trait Sink: Sync {
    /// Write `contents` at `rel` (a `/`-separated bundle path).
    fn write(&self, rel: &str, contents: &[u8]) -> Result<(), BuildError>;
    /// Copy a file from disk to `rel`.
    fn copy(&self, rel: &str, from: &Path) -> Result<(), BuildError>;
}

impl Sink for Staging {
    fn write(&self, rel: &str, contents: &[u8]) -> Result<(), BuildError> {
        Staging::write(self, rel, contents)
    }

    fn copy(&self, rel: &str, from: &Path) -> Result<(), BuildError> {
        Staging::copy(self, rel, from)
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            // Best effort: a leftover is removed by the next build anyway.
            let written = std::mem::take(self.written_mut());
            remove_written(&self.dir, &written);
            let _ = remove_tree(&self.dir);
        }
    }
}

/// Remove the files written into `dir`, then their folders, deepest first and each depth
/// in parallel, without reading a folder to learn what it holds: a refused build of
/// 100,000 pages has written 140,000 files into 100,000 folders, and reading each of them
/// cost more than removing it. Anything else (a folder some file of which failed) is left
/// for [`remove_tree`].
fn remove_written(dir: &Path, written: &[String]) {
    use rayon::prelude::*;
    written.par_iter().for_each(|rel| {
        let _ = std::fs::remove_file(dir.join(rel));
    });
    // Every folder of a written path, once: `a/b/c.html` is in `a/b` and `a`.
    let mut folders: Vec<(usize, &str)> = written
        .iter()
        .flat_map(|rel| rel.match_indices('/').map(|(i, _)| &rel[..i]))
        .map(|folder| (folder.matches('/').count(), folder))
        .collect();
    folders.sort_unstable_by(|a, b| b.cmp(a));
    folders.dedup();
    for depth in folders.chunk_by(|a, b| a.0 == b.0) {
        depth.par_iter().for_each(|(_, folder)| {
            let _ = std::fs::remove_dir(dir.join(folder));
        });
    }
}

/// `create_dir_all` without its leading `stat`: almost every page has a folder of its own,
/// so a plain `mkdir` is the one syscall that usually suffices (a large build writes
/// thousands of folders).
fn make_dir(dir: &Path) -> Result<(), BuildError> {
    match std::fs::create_dir(dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(_) => std::fs::create_dir_all(dir).map_err(|e| BuildError::io("create", dir, e)),
    }
}

/// `remove_dir_all`, folders in parallel at every level: deleting a large bundle (the
/// previous one, or a staging folder refused by the plan's limits) is otherwise a
/// serial tail of the build, and one top-level folder (`posts/`) often holds most of it.
fn remove_tree(dir: &Path) -> std::io::Result<()> {
    use rayon::prelude::*;
    let entries: Vec<(PathBuf, bool)> = std::fs::read_dir(dir)?
        .map(|e| {
            let e = e?;
            // The entry's own type: a symlink to a folder is removed, never followed.
            Ok((e.path(), e.file_type()?.is_dir()))
        })
        .collect::<std::io::Result<_>>()?;
    entries.par_iter().try_for_each(|(path, is_dir)| {
        if *is_dir {
            remove_tree(path)
        } else {
            std::fs::remove_file(path)
        }
    })?;
    std::fs::remove_dir(dir)
}

/// Exchange two paths atomically where the OS can (Linux `renameat2(RENAME_EXCHANGE)`);
/// otherwise move the old one aside (into `new`'s name), then the new one in.
fn swap(new: &Path, old: &Path) -> Result<(), BuildError> {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::ffi::OsStrExt;
        let c =
            |p: &Path| std::ffi::CString::new(p.as_os_str().as_bytes()).expect("paths have no NUL");
        let (a, b) = (c(new), c(old));
        // SAFETY: both are valid NUL-terminated paths that live across the call.
        let rc = unsafe {
            libc::renameat2(
                libc::AT_FDCWD,
                a.as_ptr(),
                libc::AT_FDCWD,
                b.as_ptr(),
                libc::RENAME_EXCHANGE,
            )
        };
        if rc == 0 {
            return Ok(());
        }
        let err = std::io::Error::last_os_error();
        // Filesystems without RENAME_EXCHANGE say EINVAL; old kernels ENOSYS.
        if !matches!(err.raw_os_error(), Some(libc::EINVAL) | Some(libc::ENOSYS)) {
            return Err(BuildError::io("replace", old, err));
        }
    }
    swap_by_renames(new, old)
}

/// [`swap`] in three renames, for macOS, Windows and filesystems without RENAME_EXCHANGE:
/// `old` goes aside, `new` takes its place, and the old bundle ends up at `new`.
fn swap_by_renames(new: &Path, old: &Path) -> Result<(), BuildError> {
    // `new` + `.old`: named for this build, so a concurrent one never takes it for its own.
    let mut aside = new.as_os_str().to_owned();
    aside.push(".old");
    let aside = PathBuf::from(aside);
    std::fs::rename(old, &aside).map_err(|e| BuildError::io("move aside", old, e))?;
    if let Err(e) = std::fs::rename(new, old) {
        let _ = std::fs::rename(&aside, old);
        return Err(BuildError::io("rename", new, e));
    }
    std::fs::rename(&aside, new).map_err(|e| BuildError::io("rename", &aside, e))
}

/// The lock file of the target `name` in `parent`: named by a hash of the target's full
/// path (sha256, stable across builds of lyceum), in the temporary folder.
fn lock_path(parent: &Path, name: &str) -> PathBuf {
    use sha2::{Digest, Sha256};
    let full = parent
        .canonicalize()
        .unwrap_or_else(|_| parent.to_path_buf())
        .join(name);
    let hash = Sha256::digest(full.as_os_str().as_encoded_bytes());
    let hex: String = hash[..16].iter().map(|b| format!("{b:02x}")).collect();
    std::env::temp_dir()
        .join(LOCK_DIR)
        .join(format!("{hex}.lock"))
}

/// Take the lock file at `path` shared, first removing the staging folders named `prefix…`
/// in `parent` if it can be taken exclusively (no other build of this target is running).
/// Where there is no lock (the file cannot be made, the filesystem has no locks), nothing
/// is removed and the build goes on unlocked: a leftover folder costs disk space, removing
/// a live one would break a build.
fn lock_and_clean(path: &Path, parent: &Path, prefix: &str) -> Option<File> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).ok()?;
    }
    let file = File::options()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .ok()?;
    match file.try_lock() {
        Ok(()) => {
            remove_stale(parent, prefix);
            file.unlock().ok()?;
        }
        // Another build holds it: every staging folder may be live.
        Err(TryLockError::WouldBlock) => {}
        Err(TryLockError::Error(_)) => return None,
    }
    // Waits only while another build is removing leftovers (our folder does not exist yet).
    file.lock_shared().ok()?;
    Some(file)
}

/// Remove every staging folder named `prefix…` in `parent`: called only with the lock held
/// exclusively, when they are all leftovers of builds that were killed.
fn remove_stale(parent: &Path, prefix: &str) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        if entry.file_name().to_string_lossy().starts_with(prefix) {
            let _ = remove_tree(&entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(p: &Path) -> String {
        std::fs::read_to_string(p).unwrap()
    }

    /// The names in `dir`, sorted.
    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    /// A folder `outside` in `dir` holding `keep` ("mine"), for symlinks that removal must
    /// not follow.
    #[cfg(unix)]
    fn outside(dir: &Path) -> PathBuf {
        let outside = dir.join("outside");
        std::fs::create_dir(&outside).unwrap();
        std::fs::write(outside.join("keep"), "mine").unwrap();
        outside
    }

    #[test]
    fn commit_replaces_and_cleans_up() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("dist");
        for round in ["one", "two"] {
            let s = Staging::new(&target).unwrap();
            s.write("a/index.html", round.as_bytes()).unwrap();
            s.commit().unwrap();
            assert_eq!(read(&target.join("a/index.html")), round);
        }
        assert_eq!(names(dir.path()), ["dist"]);
    }

    #[test]
    #[cfg(unix)]
    fn removing_the_old_bundle_deletes_deep_trees_but_never_follows_symlinks() {
        let dir = tempfile::tempdir().unwrap();
        let outside = outside(dir.path());
        let target = dir.path().join("dist");
        let old = Staging::new(&target).unwrap();
        old.write("_gated/a/b/c/index.html", b"deep").unwrap();
        old.write("x/index.html", b"x").unwrap();
        std::os::unix::fs::symlink(&outside, old.dir().join("_gated/a/link")).unwrap();
        std::os::unix::fs::symlink(&outside, old.dir().join("top-link")).unwrap();
        old.commit().unwrap();
        let new = Staging::new(&target).unwrap();
        new.write("index.html", b"new").unwrap();
        new.commit().unwrap();
        assert_eq!(read(&outside.join("keep")), "mine");
        assert_eq!(names(&target), ["index.html"]);
        assert_eq!(names(dir.path()), ["dist", "outside"]);
    }

    #[test]
    #[cfg(unix)]
    fn a_dropped_staging_folder_goes_whole_with_files_it_did_not_write() {
        let dir = tempfile::tempdir().unwrap();
        let outside = outside(dir.path());
        let s = Staging::new(&dir.path().join("dist")).unwrap();
        for rel in [
            "_gated/a/b/index.html",
            "_gated/a/index.html",
            "a/index.html",
            "x",
        ] {
            s.write(rel, b"page").unwrap();
        }
        s.write("a/index.html", b"again").unwrap();
        // Not recorded: only the walk that follows finds them.
        std::fs::write(s.dir().join("_gated/a/b/stray"), "?").unwrap();
        std::os::unix::fs::symlink(&outside, s.dir().join("_gated/link")).unwrap();
        drop(s);
        assert_eq!(names(dir.path()), ["outside"]);
        assert_eq!(read(&outside.join("keep")), "mine");
    }

    #[test]
    fn paths_are_every_file_written_sorted_and_once() {
        let dir = tempfile::tempdir().unwrap();
        let s = Staging::new(&dir.path().join("dist")).unwrap();
        let from = dir.path().join("src.txt");
        std::fs::write(&from, "x").unwrap();
        s.write("b/index.html", b"1").unwrap();
        s.copy("a.txt", &from).unwrap();
        s.write("b/index.html", b"2").unwrap();
        assert_eq!(s.paths(), ["a.txt", "b/index.html"]);
    }

    #[test]
    fn dropping_leaves_target_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("dist");
        std::fs::create_dir(&target).unwrap();
        std::fs::write(target.join("x"), "old").unwrap();
        let s = Staging::new(&target).unwrap();
        s.write("x", b"new").unwrap();
        drop(s);
        assert_eq!(read(&target.join("x")), "old");
        assert_eq!(names(dir.path()), ["dist"]);
    }

    #[test]
    fn a_leftover_staging_folder_is_removed_by_the_next_build() {
        let dir = tempfile::tempdir().unwrap();
        let stale = dir.path().join(format!(".dist{TMP_MARK}99999999.0"));
        std::fs::create_dir(&stale).unwrap();
        std::fs::write(stale.join("index.html"), "old").unwrap();
        let s = Staging::new(&dir.path().join("dist")).unwrap();
        assert!(!stale.exists());
        drop(s);
    }

    #[test]
    fn two_builds_in_one_process_never_share_a_staging_folder() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("dist");
        let first = Staging::new(&target).unwrap();
        first.write("index.html", b"first").unwrap();
        let second = Staging::new(&target).unwrap();
        assert_ne!(first.dir(), second.dir());
        assert_eq!(read(&first.dir().join("index.html")), "first");
        second.write("index.html", b"second").unwrap();
        first.commit().unwrap();
        second.commit().unwrap();
        assert_eq!(read(&target.join("index.html")), "second");
        assert_eq!(names(dir.path()), ["dist"]);
    }

    // A build in another process: this test binary run again with `CHILD_TARGET` set, running
    // only `staging_child`, which opens a staging folder, prints it, and waits for a line on
    // stdin before it commits. Portable (no signals, no /proc), as the lock must be.
    const CHILD_TARGET: &str = "LYCEUM_TEST_STAGING_CHILD";

    #[test]
    fn staging_child() {
        let Some(target) = std::env::var_os(CHILD_TARGET) else {
            return; // the ordinary test run: nothing to do
        };
        let s = Staging::new(Path::new(&target)).unwrap();
        s.write("child.html", b"child").unwrap();
        println!("staging-ready {}", s.dir().display());
        let mut line = String::new();
        std::io::stdin().read_line(&mut line).unwrap();
        s.commit().unwrap();
        println!("staging-committed");
    }

    struct Child {
        process: std::process::Child,
        stdout: std::io::Lines<std::io::BufReader<std::process::ChildStdout>>,
        dir: PathBuf,
    }

    /// The test harness's name of [`staging_child`] (the module path without the crate).
    fn staging_child_name() -> String {
        let path = module_path!()
            .split_once("::")
            .map_or(module_path!(), |(_, p)| p);
        format!("{path}::staging_child")
    }

    /// Start a build of `target` in another process; returns once its staging folder exists.
    fn child_build(target: &Path) -> Child {
        use std::io::BufRead;
        use std::process::{Command, Stdio};
        let mut process = Command::new(std::env::current_exe().unwrap())
            .args([&staging_child_name(), "--exact", "--nocapture"])
            .env(CHILD_TARGET, target)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdout = std::io::BufReader::new(process.stdout.take().unwrap()).lines();
        let dir = loop {
            let line = stdout
                .next()
                .expect("the child exited before it was ready")
                .unwrap();
            if let Some(dir) = line.strip_prefix("staging-ready ") {
                break PathBuf::from(dir);
            }
        };
        Child {
            process,
            stdout,
            dir,
        }
    }

    #[test]
    fn a_running_build_in_another_process_keeps_its_staging_folder() {
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("dist");
        let mut child = child_build(&target);
        assert!(child.dir.join("child.html").is_file());
        // This build starts while the child's is running: it must leave the child's folder be.
        let mine = Staging::new(&target).unwrap();
        assert!(
            child.dir.join("child.html").is_file(),
            "a new build removed the staging folder of a build still running"
        );
        mine.write("index.html", b"mine").unwrap();
        mine.commit().unwrap();
        writeln!(child.process.stdin.take().unwrap()).unwrap();
        let committed = child.stdout.any(|l| l.unwrap() == "staging-committed");
        assert!(child.process.wait().unwrap().success());
        assert!(committed, "the child's build could not commit");
        assert_eq!(read(&target.join("child.html")), "child");
        assert_eq!(names(dir.path()), ["dist"]);
    }

    #[test]
    fn the_staging_folder_of_a_killed_build_is_removed_by_the_next_build() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("dist");
        let mut child = child_build(&target);
        child.process.kill().unwrap();
        child.process.wait().unwrap();
        assert!(child.dir.is_dir(), "a killed build leaves its folder");
        // Windows frees a dead process's file locks "depending upon available system
        // resources", maybe just after it has exited; elsewhere the first build removes it.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            drop(Staging::new(&target).unwrap());
            if !child.dir.exists() || std::time::Instant::now() > deadline {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        assert!(
            !child.dir.exists(),
            "the next build left the killed build's folder"
        );
        assert_eq!(names(dir.path()), Vec::<String>::new());
    }

    #[test]
    fn swapping_by_renames_exchanges_the_folders_and_leaves_nothing_aside() {
        let dir = tempfile::tempdir().unwrap();
        let (new, old) = (
            dir.path().join(".dist.lyceum-tmp.1.0"),
            dir.path().join("dist"),
        );
        std::fs::create_dir(&new).unwrap();
        std::fs::create_dir(&old).unwrap();
        std::fs::write(new.join("x"), "new").unwrap();
        std::fs::write(old.join("x"), "old").unwrap();
        swap_by_renames(&new, &old).unwrap();
        assert_eq!(read(&old.join("x")), "new");
        assert_eq!(read(&new.join("x")), "old");
        assert_eq!(names(dir.path()), [".dist.lyceum-tmp.1.0", "dist"]);
    }
}
