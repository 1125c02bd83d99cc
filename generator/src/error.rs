//! Why a build (or `check`, or serve's rebuild) failed: the one error type of the
//! pipeline, kept apart from the stages so every stage can return it.

use crate::diagnostic::Diagnostic;

/// An error and its causes on one line, `: `-separated.
pub fn chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}
use std::path::{Path, PathBuf};

/// Why a build failed. Either way the previous bundle is untouched.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// Problems in the site's files, sorted by file and position.
    #[error("{} error{} in the site", .0.len(), if .0.len() == 1 { "" } else { "s" })]
    Invalid(Vec<Diagnostic>),
    /// The disk failed us.
    #[error("cannot {action} `{}`", path.display())]
    Io {
        /// What we were doing.
        action: &'static str,
        /// On which path.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
}

impl BuildError {
    pub(crate) fn io(action: &'static str, path: &Path, source: std::io::Error) -> BuildError {
        BuildError::Io {
            action,
            path: path.to_path_buf(),
            source,
        }
    }
}

impl From<Vec<Diagnostic>> for BuildError {
    fn from(diagnostics: Vec<Diagnostic>) -> BuildError {
        BuildError::Invalid(diagnostics)
    }
}

impl From<Diagnostic> for BuildError {
    fn from(d: Diagnostic) -> BuildError {
        BuildError::Invalid(vec![d])
    }
}
