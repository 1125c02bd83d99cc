//! The gated-content manifest: written by `lyceum build` to `dist/_gated/manifest.json`,
//! read by the edge worker and `lyceum serve`. Its JSON shape is a contract.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Current manifest format version; readers reject any other.
pub const VERSION: u32 = 1;

/// Where the manifest lives, relative to the bundle root (`dist/`).
pub const MANIFEST_FILE: &str = "_gated/manifest.json";

/// Which URLs are gated, at what level, and where their files are.
///
/// JSON example:
/// ```json
/// {"version":1,"levels":["member","pro"],
///  "entries":{"/courses/intro/":{"level":"pro","file":"_gated/courses/intro/index.html",
///                                 "teaser":"courses/intro/index.html"}}}
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub version: u32,
    /// Level ids, lowest first (from site.yaml). A member of level N reads every level <= N.
    pub levels: Vec<String>,
    /// Canonical URL path (as returned by [`crate::path::normalize`], e.g. `/courses/intro/`)
    /// → entry. Ordered so the JSON is deterministic.
    pub entries: BTreeMap<String, GatedEntry>,
}

/// One gated URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GatedEntry {
    /// Level id required to read the full content.
    pub level: String,
    /// The full content, a file path relative to the bundle root, always under `_gated/`.
    pub file: String,
    /// The public teaser file relative to the bundle root, or `None` for a gated asset
    /// that has no public form (non-members get NotFound).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub teaser: Option<String>,
}

impl Manifest {
    /// Parse and validate (version, every entry's level is in `levels`, every `file`
    /// under `_gated/`, no teaser under `_gated/`).
    pub fn from_json(json: &str) -> Result<Manifest, ManifestError> {
        let _ = json;
        todo!("gate helper")
    }

    /// Deterministic pretty JSON (stable key order), ending in a newline.
    pub fn to_json(&self) -> String {
        todo!("gate helper")
    }

    /// The entry for a normalised path; `/x` also finds `/x/`.
    pub fn lookup(&self, normalized: &str) -> Option<&GatedEntry> {
        let _ = normalized;
        todo!("gate helper")
    }

    /// Rank of a level id (0 = lowest), `None` if unknown.
    pub fn rank(&self, level: &str) -> Option<usize> {
        self.levels.iter().position(|l| l == level)
    }
}

/// A manifest that cannot be trusted; adapters deny all gated content on it.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("manifest is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("manifest version {0} is not supported (expected {VERSION})")]
    Version(u32),
    #[error("manifest entry {path}: {reason}")]
    Entry { path: String, reason: String },
}
