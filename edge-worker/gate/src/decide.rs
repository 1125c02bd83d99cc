//! The access decision for one request: public, full, teaser or not found.

use crate::manifest::Manifest;
use crate::token::Claims;

/// What to serve for one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    /// Not gated: serve the bundle's public file at the request path as usual.
    Public,
    /// Gated and the member's level is high enough: serve this bundle file (under `_gated/`).
    Full { file: String },
    /// Gated and not allowed: serve this public teaser file.
    Teaser { file: String, level: String },
    /// Refused path, the private `/_gated/` tree, or a gated asset with no teaser.
    NotFound,
}

/// Decide for a raw request path (query already stripped) and the verified claims, if any.
/// Claims with a level unknown to the manifest count as no membership.
pub fn decide(manifest: &Manifest, raw_path: &str, claims: Option<&Claims>) -> Access {
    let _ = (manifest, raw_path, claims);
    todo!("gate helper")
}
