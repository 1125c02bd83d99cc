//! Request-path normalisation: every spelling of a URL reaches the same decision.
//!
//! The gate decides on one canonical key per URL, so an attacker cannot find a
//! spelling (`%2e%2e`, `//`, `/x/index.html`, `/_GATED`) that the static-assets
//! server maps to a file while the manifest lookup misses it. Anything ambiguous
//! is refused rather than guessed at.

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

/// The private tree's first segment (compared ASCII-case-insensitively).
const PRIVATE_SEGMENT: &str = "_gated";

/// Normalise a raw request path (no query string) to the canonical key used by the
/// manifest: percent-decode exactly once; reject NUL, `..` segments, encoded `/` or `\`;
/// collapse `//`; drop `.` segments; `/x/index.html` and `/x/index` become `/x/`.
/// `/x` stays `/x` (lookups try `/x/` too, see [`crate::Manifest::lookup`]).
///
/// A literal backslash is refused like an encoded one ([`PathError::EncodedSeparator`]):
/// some servers treat it as a separator, so it could reach a file the gate never saw.
pub fn normalize(raw: &str) -> Result<String, PathError> {
    if !raw.starts_with('/') {
        return Err(PathError::NotAbsolute);
    }
    let decoded = decode_path(raw)?;
    canonicalize(&decoded)
}

/// Percent-decode a raw path once, refusing encoded separators, NUL and bad escapes.
fn decode_path(raw: &str) -> Result<String, PathError> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let byte = hex_pair(bytes, i + 1).ok_or(PathError::BadEncoding)?;
                if byte == b'/' || byte == b'\\' {
                    return Err(PathError::EncodedSeparator);
                }
                out.push(byte);
                i += 3;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| PathError::BadEncoding)
}

/// Canonical form of an already-decoded absolute path. The manifest's keys must be
/// fixed points of this function (checked by [`crate::Manifest::from_json`]).
pub(crate) fn canonicalize(decoded: &str) -> Result<String, PathError> {
    if !decoded.starts_with('/') {
        return Err(PathError::NotAbsolute);
    }
    if decoded.contains('\0') {
        return Err(PathError::Nul);
    }
    if decoded.contains('\\') {
        return Err(PathError::EncodedSeparator);
    }
    let mut segments: Vec<&str> = Vec::new();
    // Whether the canonical form names a directory (ends in `/`).
    let mut trailing = true;
    for segment in decoded.split('/') {
        match segment {
            "" | "." => trailing = true,
            ".." => return Err(PathError::DotDot),
            s => {
                segments.push(s);
                trailing = false;
            }
        }
    }
    if !trailing && matches!(segments.last(), Some(&"index.html") | Some(&"index")) {
        segments.pop();
        trailing = true;
    }
    let mut out = String::with_capacity(decoded.len() + 1);
    for s in &segments {
        out.push('/');
        out.push_str(s);
    }
    if trailing || segments.is_empty() {
        out.push('/');
    }
    Ok(out)
}

/// Percent-decode once (and `+` → space when `plus_is_space`); `None` on a bad
/// escape or invalid UTF-8. For cookies and query strings ([`crate::session`]).
pub fn percent_decode(s: &str, plus_is_space: bool) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                out.push(hex_pair(bytes, i + 1)?);
                i += 3;
            }
            b'+' if plus_is_space => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// Percent-decode once, keeping a bad escape as written and replacing invalid UTF-8:
/// for comparing what an author wrote with decoded names (the generator's link check).
pub fn percent_decode_lossy(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match (bytes[i], hex_pair(bytes, i + 1)) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The byte encoded by the two hex digits at `bytes[at..at + 2]`, if both are hex.
pub(crate) fn hex_pair(bytes: &[u8], at: usize) -> Option<u8> {
    let hi = hex_digit(*bytes.get(at)?)?;
    let lo = hex_digit(*bytes.get(at + 1)?)?;
    Some(hi << 4 | lo)
}

fn hex_digit(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// True when a normalised path is inside the private `/_gated/` tree, compared
/// ASCII-case-insensitively (`/_GATED/`, `/_Gated` also count).
///
/// Leading slashes are skipped, so a path that was not normalised (`//_gated/x`)
/// still counts as private.
pub fn is_private(normalized: &str) -> bool {
    let first = normalized
        .trim_start_matches('/')
        .split('/')
        .next()
        .unwrap_or("");
    first.eq_ignore_ascii_case(PRIVATE_SEGMENT)
}

/// The URL path at which a bundle file (as stored in the manifest, e.g.
/// `_gated/x/index.html`) is fetched from a static-assets server with pretty URLs
/// (Cloudflare's `html_handling = "auto-trailing-slash"`, which answers any other
/// spelling with a redirect): `/_gated/x/`, and `/_gated/x/page` for
/// `_gated/x/page.html`. Bytes that are not safe in a URL path (space, `%`, `?`, `#`,
/// non-ASCII, …) are percent-encoded.
pub fn asset_url(file: &str) -> String {
    let file = file.trim_start_matches('/');
    let pretty = if file == "index.html" {
        ""
    } else if let Some(dir) = file.strip_suffix("/index.html") {
        // Keep the directory's trailing slash.
        &file[..dir.len() + 1]
    } else if let Some(stem) = file.strip_suffix(".html") {
        stem
    } else {
        file
    };
    let mut out = String::with_capacity(pretty.len() + 1);
    out.push('/');
    percent_encode(&mut out, pretty, |b| {
        b.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=:@".contains(&b)
    });
    out
}

/// Append `s` to `out`, percent-encoding (`%XX`) every byte that `keep` refuses.
pub fn percent_encode(out: &mut String, s: &str, keep: impl Fn(u8) -> bool) {
    for &b in s.as_bytes() {
        if keep(b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_forms() {
        let cases: &[(&str, Result<&str, PathError>)] = &[
            ("/", Ok("/")),
            ("//", Ok("/")),
            ("/index.html", Ok("/")),
            ("/index", Ok("/")),
            ("/x", Ok("/x")),
            ("/x/", Ok("/x/")),
            ("/x/index.html", Ok("/x/")),
            ("/x/index", Ok("/x/")),
            ("/x//y", Ok("/x/y")),
            ("//x///y//", Ok("/x/y/")),
            ("/x/./y", Ok("/x/y")),
            ("/x/.", Ok("/x/")),
            ("/x/index.html/", Ok("/x/index.html/")),
            ("/%78/%79", Ok("/x/y")),
            ("/caf%C3%A9/", Ok("/café/")),
            ("/a%2520b", Ok("/a%20b")),
            ("/a%20b", Ok("/a b")),
            ("", Err(PathError::NotAbsolute)),
            ("x/y", Err(PathError::NotAbsolute)),
            ("%2Fx", Err(PathError::NotAbsolute)),
            ("/x/../y", Err(PathError::DotDot)),
            ("/..", Err(PathError::DotDot)),
            ("/x/%2e%2e/y", Err(PathError::DotDot)),
            ("/x/.%2E", Err(PathError::DotDot)),
            ("/x%2Fy", Err(PathError::EncodedSeparator)),
            ("/x%2fy", Err(PathError::EncodedSeparator)),
            ("/x%5Cy", Err(PathError::EncodedSeparator)),
            ("/x%5cy", Err(PathError::EncodedSeparator)),
            ("/x\\y", Err(PathError::EncodedSeparator)),
            ("/x%00y", Err(PathError::Nul)),
            ("/x\0y", Err(PathError::Nul)),
            ("/x%", Err(PathError::BadEncoding)),
            ("/x%4", Err(PathError::BadEncoding)),
            ("/x%zz", Err(PathError::BadEncoding)),
            ("/x%C3", Err(PathError::BadEncoding)),
            ("/x%FF", Err(PathError::BadEncoding)),
        ];
        for (raw, want) in cases {
            let got = normalize(raw);
            assert_eq!(
                got.as_deref().map_err(Clone::clone),
                want.clone(),
                "normalize({raw:?})"
            );
        }
    }

    #[test]
    fn private_tree_any_case() {
        for p in [
            "/_gated",
            "/_gated/",
            "/_gated/x/",
            "/_GATED/x",
            "/_Gated",
            "//_gAtEd/x",
        ] {
            assert!(is_private(p), "{p:?} should be private");
        }
        for p in ["/", "/_gatedx", "/x/_gated/", "/gated/", "/_gate/"] {
            assert!(!is_private(p), "{p:?} should not be private");
        }
        // Reached through an encoding: normalize decodes first.
        assert!(is_private(&normalize("/%5Fgated/x").unwrap()));
        assert!(is_private(&normalize("/%5f%47ATED/").unwrap()));
    }

    #[test]
    fn asset_urls() {
        assert_eq!(asset_url("_gated/x/index.html"), "/_gated/x/");
        assert_eq!(asset_url("a/b.png"), "/a/b.png");
        assert_eq!(asset_url("index.html"), "/");
        assert_eq!(asset_url("/_gated/index.html"), "/_gated/");
        assert_eq!(asset_url("_gated/a b#?.pdf"), "/_gated/a%20b%23%3F.pdf");
        // Issue 11: the confirm page (`_gated/_lyceum/confirm.html`) was fetched at its
        // `.html` name, which the assets router answers with a 307, so it never loaded.
        assert_eq!(asset_url("_gated/café.html"), "/_gated/caf%C3%A9");
        assert_eq!(
            asset_url("_gated/_lyceum/confirm.html"),
            "/_gated/_lyceum/confirm"
        );
    }

    #[test]
    fn canonical_form_is_a_fixed_point() {
        for raw in ["/x/index.html", "//a/./b//", "/%41/", "/"] {
            let once = normalize(raw).unwrap();
            assert_eq!(canonicalize(&once).unwrap(), once, "{raw:?}");
        }
    }
}
