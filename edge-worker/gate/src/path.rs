//! Request-path normalisation: every spelling of a URL reaches the same decision.

use thiserror::Error;

/// Why a path was refused. Refused paths are answered 404 by both adapters.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PathError {
    #[error("path is not absolute")]
    NotAbsolute,
    #[error("invalid percent-encoding")]
    BadEncoding,
    #[error("NUL byte in path")]
    Nul,
    #[error("encoded slash or backslash in path")]
    EncodedSeparator,
    #[error("`..` segment in path")]
    DotDot,
}

/// Normalise a raw request path (no query string) to the canonical key used by the
/// manifest: percent-decode exactly once; reject NUL, `..` segments, encoded `/` or `\`;
/// collapse `//`; drop `.` segments; `/x/index.html` and `/x/index` become `/x/`.
/// `/x` stays `/x` (lookups try `/x/` too, see [`crate::Manifest::lookup`]).
pub fn normalize(raw: &str) -> Result<String, PathError> {
    let _ = raw;
    todo!("gate helper")
}

/// True when a normalised path is inside the private `/_gated/` tree, compared
/// ASCII-case-insensitively (`/_GATED/`, `/_Gated` also count).
pub fn is_private(normalized: &str) -> bool {
    let _ = normalized;
    todo!("gate helper")
}

/// The URL path at which a bundle file (as stored in the manifest, e.g.
/// `_gated/x/index.html`) is fetched from a static-assets server with pretty URLs:
/// `/_gated/x/`.
pub fn asset_url(file: &str) -> String {
    let _ = file;
    todo!("gate helper")
}
