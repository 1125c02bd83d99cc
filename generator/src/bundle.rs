//! Stage 7: the atomic write. Everything goes into a staging folder beside the target
//! (same parent, so same filesystem), which then replaces the target in one rename.
//! Until that rename the previous bundle is untouched; on any error the staging folder
//! is removed, and a folder left by a killed build is removed by the next one.

use crate::build::BuildError;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Marks staging folders: `.<target>.lyceum-tmp.<pid>` beside the target.
const TMP_MARK: &str = ".lyceum-tmp.";

/// A bundle being written. Dropping it without [`Staging::commit`] removes it.
#[derive(Debug)]
pub struct Staging {
    target: PathBuf,
    dir: PathBuf,
    files: AtomicUsize,
    committed: bool,
}

impl Staging {
    /// Create an empty staging folder beside `target`, first removing any left by builds
    /// that no longer run.
    pub fn new(target: &Path) -> Result<Staging, BuildError> {
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
        let prefix = format!(".{}{TMP_MARK}", name.to_string_lossy());
        remove_stale(&parent, &prefix);
        let dir = parent.join(format!("{prefix}{}", std::process::id()));
        if dir.exists() {
            remove_tree(&dir).map_err(|e| BuildError::io("remove", &dir, e))?;
        }
        std::fs::create_dir(&dir).map_err(|e| BuildError::io("create", &dir, e))?;
        Ok(Staging {
            target: target.to_path_buf(),
            dir,
            files: AtomicUsize::new(0),
            committed: false,
        })
    }

    /// The staging folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Files written so far.
    pub fn files(&self) -> usize {
        self.files.load(Ordering::Relaxed)
    }

    /// Write `contents` at `rel` (a `/`-separated bundle path), creating folders. Safe to
    /// call from many threads.
    pub fn write(&self, rel: &str, contents: &[u8]) -> Result<(), BuildError> {
        let path = self.dir.join(rel);
        if let Some(parent) = path.parent() {
            make_dir(parent)?;
        }
        std::fs::write(&path, contents).map_err(|e| BuildError::io("write", &path, e))?;
        self.files.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// Copy a file from disk to `rel`.
    pub fn copy(&self, rel: &str, from: &Path) -> Result<(), BuildError> {
        let path = self.dir.join(rel);
        if let Some(parent) = path.parent() {
            make_dir(parent)?;
        }
        std::fs::copy(from, &path).map_err(|e| BuildError::io("copy", from, e))?;
        self.files.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// Put the staged bundle in place of the target, then delete the old one.
    pub fn commit(mut self) -> Result<(), BuildError> {
        if self.target.exists() {
            swap(&self.dir, &self.target)?;
            // The old bundle now sits in the staging folder; Drop removes it.
        } else {
            std::fs::rename(&self.dir, &self.target)
                .map_err(|e| BuildError::io("rename", &self.dir, e))?;
            self.committed = true;
        }
        Ok(())
    }
}

/// Where rendered outputs go: a [`Staging`] folder for `lyceum build`; `lyceum check`
/// renders into a sink that only records paths, so both run the same render code.
pub trait Sink: Sync {
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
            let _ = remove_tree(&self.dir);
        }
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

/// `remove_dir_all`, one top-level entry per thread: deleting the previous bundle of a
/// large site is otherwise a noticeable serial tail of every build.
fn remove_tree(dir: &Path) -> std::io::Result<()> {
    use rayon::prelude::*;
    let entries: Vec<PathBuf> = std::fs::read_dir(dir)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    entries.par_iter().try_for_each(|path| {
        if path.symlink_metadata()?.is_dir() {
            std::fs::remove_dir_all(path)
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
    let aside = new.with_extension("old");
    std::fs::rename(old, &aside).map_err(|e| BuildError::io("move aside", old, e))?;
    if let Err(e) = std::fs::rename(new, old) {
        let _ = std::fs::rename(&aside, old);
        return Err(BuildError::io("rename", new, e));
    }
    std::fs::rename(&aside, new).map_err(|e| BuildError::io("rename", &aside, e))
}

/// Remove staging folders whose build process is gone (killed mid-build).
fn remove_stale(parent: &Path, prefix: &str) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(rest) = name.strip_prefix(prefix) else {
            continue;
        };
        let pid = rest.split('.').next().and_then(|p| p.parse::<u32>().ok());
        let alive = pid.is_some_and(|pid| {
            pid == std::process::id() || Path::new(&format!("/proc/{pid}")).exists()
        });
        if !alive {
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
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["dist"]);
    }

    #[test]
    #[cfg(unix)]
    fn removing_the_old_bundle_deletes_deep_trees_but_never_follows_symlinks() {
        let dir = tempfile::tempdir().unwrap();
        let outside = dir.path().join("outside");
        std::fs::create_dir(&outside).unwrap();
        std::fs::write(outside.join("keep"), "mine").unwrap();
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
        let names: Vec<_> = std::fs::read_dir(&target)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["index.html"]);
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            2,
            "only dist and outside remain"
        );
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
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn stale_staging_of_dead_process_is_removed() {
        let dir = tempfile::tempdir().unwrap();
        // PIDs are below 2^22 on Linux, so this one cannot be running.
        let stale = dir.path().join(format!(".dist{TMP_MARK}99999999"));
        std::fs::create_dir(&stale).unwrap();
        let s = Staging::new(&dir.path().join("dist")).unwrap();
        assert!(!stale.exists());
        drop(s);
    }
}
