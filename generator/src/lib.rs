//! lyceum's generator library. [`build`](mod@build) is the pipeline, one module per stage
//! (config → content → front matter → markdown → site → theme → render → bundle);
//! [`check`] and [`serve`] run the same pipeline (`build::load`, `prepare`, `write`)
//! into other sinks; the rest are small utilities. ARCHITECTURE.md has the map.

pub mod build;
pub mod check;
pub mod diagnostic;
pub mod error;
pub(crate) mod escape;
pub(crate) mod paths;
pub mod progress;
pub mod scaffold;
pub mod serve;
pub(crate) mod slug;
pub mod token;
pub(crate) mod yaml;

pub use build::{build, BuildOptions, BuildReport};
pub use diagnostic::Diagnostic;
pub use error::BuildError;

/// Helpers shared by the unit tests.
#[cfg(test)]
pub(crate) mod testing {
    /// Write each `(relative path, text)` under `root`, creating folders.
    pub(crate) fn write_files(root: &std::path::Path, files: &[(&str, &str)]) {
        for (rel, text) in files {
            let path = root.join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
    }
}
