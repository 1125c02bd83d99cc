//! File watching for `lyceum serve`: `content/`, `themes/`, `static/` and `site.yaml`,
//! debounced into batches of changed paths (relative to the site root). Editor
//! droppings (hidden files, swap and backup files) are ignored, and so are reads:
//! the builder's own reads must not trigger builds.

use notify::{EventKind, RecursiveMode, Watcher as _};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

/// Quiet time that ends a batch. Short, because a save is usually one or two events and
/// the whole edit-to-served budget is 100 ms.
pub(crate) const DEBOUNCE: Duration = Duration::from_millis(15);
/// A batch never waits longer than this for quiet.
const MAX_BATCH: Duration = Duration::from_millis(300);

/// Folders watched recursively, and the one file watched at the root.
pub(crate) const WATCHED_DIRS: [&str; 3] = ["content", "themes", "static"];
pub(crate) const CONFIG_FILE: &str = "site.yaml";

/// A running watcher.
pub(crate) struct Watcher {
    _inner: notify::RecommendedWatcher,
    rx: Receiver<notify::Result<notify::Event>>,
    root: PathBuf,
}

impl Watcher {
    /// Watch the site at `root` (canonicalised, so event paths strip cleanly).
    pub(crate) fn new(root: &Path) -> notify::Result<Watcher> {
        let root = root.canonicalize().map_err(notify::Error::io)?;
        let (tx, rx) = mpsc::channel();
        let mut inner = notify::recommended_watcher(move |event| {
            let _ = tx.send(event);
        })?;
        for dir in WATCHED_DIRS {
            let path = root.join(dir);
            if path.is_dir() {
                inner.watch(&path, RecursiveMode::Recursive)?;
            }
        }
        // site.yaml, and folders created later, are seen through the root itself.
        inner.watch(&root, RecursiveMode::NonRecursive)?;
        Ok(Watcher {
            _inner: inner,
            rx,
            root,
        })
    }

    /// Block until something relevant changed, then collect until the events go quiet.
    /// `None` when the watcher stopped.
    pub(crate) fn next_batch(&self) -> Option<BTreeSet<PathBuf>> {
        let mut batch = BTreeSet::new();
        loop {
            let event = self.rx.recv().ok()?;
            self.add(&mut batch, event);
            if !batch.is_empty() {
                break;
            }
        }
        let start = Instant::now();
        while start.elapsed() < MAX_BATCH {
            match self.rx.recv_timeout(DEBOUNCE) {
                Ok(event) => self.add(&mut batch, event),
                Err(RecvTimeoutError::Timeout) => break,
                Err(RecvTimeoutError::Disconnected) => break,
            }
        }
        Some(batch)
    }

    fn add(&self, batch: &mut BTreeSet<PathBuf>, event: notify::Result<notify::Event>) {
        let Ok(event) = event else {
            // An overflowed or failed watch: rebuild everything to be safe.
            batch.insert(PathBuf::from(CONFIG_FILE));
            return;
        };
        if !changes_content(&event.kind) {
            return;
        }
        for path in &event.paths {
            if let Some(rel) = relevant(&self.root, path) {
                batch.insert(rel);
            }
        }
    }
}

/// Creations, writes, renames and removals; not reads, and not metadata-only changes
/// (reading a file may touch its access time).
fn changes_content(kind: &EventKind) -> bool {
    use notify::event::ModifyKind;
    match kind {
        EventKind::Create(_) | EventKind::Remove(_) | EventKind::Any | EventKind::Other => true,
        EventKind::Modify(ModifyKind::Metadata(_)) => false,
        EventKind::Modify(_) => true,
        EventKind::Access(_) => false,
    }
}

/// The path relative to the root if it is a source of the site and not an editor's
/// temporary file.
pub(crate) fn relevant(root: &Path, path: &Path) -> Option<PathBuf> {
    let rel = path.strip_prefix(root).ok()?;
    let first = rel.components().next()?.as_os_str().to_str()?;
    if !(WATCHED_DIRS.contains(&first) || rel == Path::new(CONFIG_FILE)) {
        return None;
    }
    let name = rel.file_name()?.to_string_lossy();
    let temporary = name.starts_with('.')
        || name.ends_with('~')
        || name.starts_with('#')
        || name == "4913"
        || [".swp", ".swx", ".swo", ".tmp", ".bak"]
            .iter()
            .any(|ext| name.ends_with(ext));
    (!temporary).then(|| rel.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relevant_paths() {
        let root = Path::new("/s");
        assert_eq!(
            relevant(root, Path::new("/s/content/a.md")),
            Some(PathBuf::from("content/a.md"))
        );
        assert_eq!(
            relevant(root, Path::new("/s/site.yaml")),
            Some(PathBuf::from("site.yaml"))
        );
        assert!(relevant(root, Path::new("/s/themes/x/templates/page.html")).is_some());
        for ignored in [
            "/s/content/.a.md.swp",
            "/s/content/a.md~",
            "/s/content/4913",
            "/s/dist/a.html",
            "/s/README.md",
            // serve's own state: members database, outbox, admin secret.
            "/s/.lyceum/members.sqlite",
            "/s/.lyceum/members.sqlite-journal",
            "/s/.lyceum/outbox/20250101T000000Z-1.eml",
            "/t/content/a.md",
        ] {
            assert_eq!(relevant(root, Path::new(ignored)), None, "{ignored}");
        }
    }
}
