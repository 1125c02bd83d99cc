//! Paths as the bundle, URLs and messages spell them.

use std::path::Path;

/// `path` with `/` separators, for URLs and messages that must not depend on the OS.
pub fn slash_path(path: &Path) -> String {
    path.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}
