//! HTTP-facing pieces shared by the worker and `lyceum serve`: where the token comes
//! from, the session cookie, the `next` redirect target, and the headers on gated responses.
//!
//! Kept here rather than in each adapter so the worker and the preview server cannot
//! drift apart on security-relevant details (cookie flags, open-redirect checks).

use crate::path::hex_pair;

/// Longest `next` target accepted; longer ones fall back to `/`.
const MAX_NEXT_BYTES: usize = 2048;

/// Name of the session cookie holding the member token.
pub const COOKIE_NAME: &str = "lyceum_session";
/// Routes handled by the adapters themselves.
pub const LOGIN_PATH: &str = "/_lyceum/login";
pub const LOGOUT_PATH: &str = "/_lyceum/logout";
pub const ME_PATH: &str = "/_lyceum/me";

/// Headers every gated response (full or teaser) carries.
pub const GATED_HEADERS: [(&str, &str); 2] = [
    ("Cache-Control", "private, no-store"),
    ("Vary", "Cookie, Authorization"),
];

/// The token of a request: `Authorization: Bearer …` wins over the `lyceum_session` cookie.
/// The scheme is matched case-insensitively; an `Authorization` header of another
/// scheme (or an empty bearer) falls back to the cookie. In the `Cookie` header the
/// first non-empty `lyceum_session` wins; spaces around names and values are ignored.
pub fn token_from_headers<'a>(authorization: Option<&'a str>, cookie: Option<&'a str>) -> Option<&'a str> {
    if let Some(token) = authorization.and_then(bearer) {
        return Some(token);
    }
    cookie?.split(';').find_map(|pair| {
        let (name, value) = pair.split_once('=')?;
        if name.trim() != COOKIE_NAME {
            return None;
        }
        let value = value.trim();
        let value = value
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .unwrap_or(value);
        (!value.is_empty()).then_some(value)
    })
}

/// The token of an `Authorization: Bearer <token>` header value.
fn bearer(header: &str) -> Option<&str> {
    let header = header.trim();
    let (scheme, rest) = header.split_once(|c: char| c == ' ' || c == '\t')?;
    if !scheme.eq_ignore_ascii_case("Bearer") {
        return None;
    }
    let token = rest.trim();
    (!token.is_empty()).then_some(token)
}

/// `Set-Cookie` value for a verified token expiring at `exp`, given `now`.
///
/// `token` must be a verified token (base64url and dots only). Anything else could
/// smuggle cookie attributes, so it yields [`clear_cookie`] instead.
pub fn session_cookie(token: &str, exp: u64, now: u64) -> String {
    let clean = !token.is_empty()
        && token.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if !clean {
        return clear_cookie();
    }
    let max_age = exp.saturating_sub(now);
    format!("{COOKIE_NAME}={token}; HttpOnly; Secure; SameSite=Lax; Path=/; Max-Age={max_age}")
}

/// `Set-Cookie` value that clears the session.
pub fn clear_cookie() -> String {
    format!("{COOKIE_NAME}=; HttpOnly; Secure; SameSite=Lax; Path=/; Max-Age=0")
}

/// Where to send the member after login: `next` if it is a same-site absolute path
/// (starts with a single `/`, no `//`, `/\`, scheme, control characters), else `/`.
///
/// Browsers are lenient with `Location`: they strip tabs and newlines, treat `\` like
/// `/`, and some servers decode the path again. So the check runs on the raw value and
/// on its percent-decoded form, refuses any backslash, whitespace or control character
/// in either, and refuses a bad percent-encoding outright. The returned value is the
/// raw `next`, unchanged, or `/`.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(next) if next.len() <= MAX_NEXT_BYTES && is_same_site_path(next) => {
            match percent_decode(next, false) {
                Some(decoded) if is_same_site_path(&decoded) => next.to_string(),
                _ => "/".to_string(),
            }
        }
        _ => "/".to_string(),
    }
}

/// Starts with exactly one `/`, and has no `\\`, whitespace or control character.
fn is_same_site_path(s: &str) -> bool {
    let b = s.as_bytes();
    b.first() == Some(&b'/')
        && !matches!(b.get(1), Some(b'/') | Some(b'\\'))
        && !s.chars().any(|c| c == '\\' || c.is_whitespace() || c.is_control())
}

/// Percent-decode once (and `+` → space when `plus_is_space`); `None` on a bad
/// escape or invalid UTF-8.
fn percent_decode(s: &str, plus_is_space: bool) -> Option<String> {
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

/// Look up one query parameter (percent-decoded, `+` as space) in a raw query string.
/// A leading `?` is ignored; the first occurrence wins; a parameter without `=` has
/// the empty value; a value with a bad escape counts as absent.
pub fn query_param(query: &str, name: &str) -> Option<String> {
    let query = query.strip_prefix('?').unwrap_or(query);
    let value = query.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        (percent_decode(key, true).as_deref() == Some(name)).then_some(value)
    })?;
    percent_decode(value, true)
}

/// JSON body for `/_lyceum/me`.
/// Exactly `{"sub":…,"level":…,"exp":…}`, in that order.
pub fn me_json(claims: &crate::Claims) -> String {
    #[derive(serde::Serialize)]
    struct Me<'a> {
        sub: &'a str,
        level: &'a str,
        exp: u64,
    }
    let me = Me { sub: &claims.sub, level: &claims.level, exp: claims.exp };
    // Serializing two strings and a number cannot fail.
    serde_json::to_string(&me).unwrap_or_default()
}
