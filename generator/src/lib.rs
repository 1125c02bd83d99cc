//! lyceum's generator library, a pipeline of named stages, one module each:
//! [`config::load`] → [`content::discover`] → [`front_matter::parse`] → [`markdown::render`]
//! → [`site::Site`] (URLs, sections, checks) → [`render::Renderer`] → [`feeds`] →
//! [`bundle::Staging`] (atomic write). [`build::build`] runs them all; `lyceum serve` and
//! `lyceum check` call the stages they need.

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
