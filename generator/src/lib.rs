//! lyceum's generator library, a pipeline of named stages, one module each:
//! [`config::load`] → [`content::discover`] → [`front_matter::parse`] → [`markdown::render`]
//! → [`site::Site`] (URLs, sections, checks) → [`render::Renderer`] → [`feeds`] →
//! [`bundle::Staging`] (atomic write). [`build::build`] runs them all; `lyceum serve` and
//! `lyceum check` call the stages they need.

pub mod assets;
pub mod build;
pub mod bundle;
pub mod check;
pub mod config;
pub mod content;
pub mod diagnostic;
pub mod escape;
pub mod feeds;
pub mod front_matter;
pub mod links;
pub mod markdown;
pub mod progress;
pub mod render;
pub mod reserved;
pub mod scaffold;
pub mod serve;
pub mod site;
pub mod slug;
pub mod theme;
pub mod token;
pub mod yaml;

pub use build::{build, BuildError, BuildOptions, BuildReport};
pub use diagnostic::Diagnostic;
pub use site::{LoadOptions, Site};

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
