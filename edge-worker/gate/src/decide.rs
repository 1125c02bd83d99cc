//! The access decision for one request: public, full, teaser or not found.
//!
//! Both adapters (the edge worker and `lyceum serve`) only translate [`Access`] into
//! HTTP, so this one function is the whole policy and is tested as a table.

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
    let Ok(path) = crate::path::normalize(raw_path) else {
        return Access::NotFound;
    };
    if crate::path::is_private(&path) {
        return Access::NotFound;
    }
    let Some(entry) = manifest.lookup(&path) else {
        return Access::Public;
    };
    let member_rank = claims.and_then(|c| manifest.rank(&c.level));
    // An entry level unknown to the manifest (only possible when the manifest was not
    // validated) gives no rank, so nobody reads the full content.
    let required_rank = manifest.rank(&entry.level);
    match (member_rank, required_rank) {
        (Some(have), Some(need)) if have >= need => Access::Full { file: entry.file.clone() },
        _ => match &entry.teaser {
            Some(teaser) => Access::Teaser { file: teaser.clone(), level: entry.level.clone() },
            None => Access::NotFound,
        },
    }
}
