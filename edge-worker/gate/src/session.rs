//! HTTP-facing pieces shared by the worker and `lyceum serve`: where the token comes
//! from, the session cookie, the `next` redirect target, and the headers on gated responses.
//!
//! Kept here rather than in each adapter so the worker and the preview server cannot
//! drift apart on security-relevant details (cookie flags, open-redirect checks).

use crate::path::percent_decode;

/// Longest `next` target accepted; longer ones fall back to `/`.
const MAX_NEXT_BYTES: usize = 2048;

/// Name of the session cookie: a short-lived lyceum session token
/// ([`crate::sign`]). The `__Host-` prefix makes the browser refuse it unless it is
/// `Secure`, `Path=/` and without `Domain`, so a sibling subdomain cannot plant one
/// (cookie tossing); an unprefixed `lyceum_session` is never read.
pub const COOKIE_NAME: &str = "__Host-lyceum_session";
/// Name of the cookie holding a session's renewal secret (the member layer sets it):
/// with it, an expired session token is renewed from the sessions table.
pub const RENEW_COOKIE_NAME: &str = "__Host-lyceum_renew";
/// The current membership as JSON (the theme's script asks it).
pub const ME_PATH: &str = "/_lyceum/me";

/// Headers every gated response (full or teaser) carries.
pub const GATED_HEADERS: [(&str, &str); 2] = [
    ("Cache-Control", "private, no-store"),
    ("Vary", "Cookie, Authorization"),
];

/// Where a request's membership comes from. `Authorization: Bearer …` (scheme matched
/// case-insensitively) wins over the session cookie; an `Authorization` header of
/// another scheme, or an empty bearer, falls back to the cookies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credential<'a> {
    /// A token of any configured issuer.
    Bearer(&'a str),
    /// The session cookie's token (if any) and the renewal secret (if any).
    Session {
        token: Option<&'a str>,
        renew: Option<&'a str>,
    },
}

impl<'a> Credential<'a> {
    pub fn of(authorization: Option<&'a str>, cookie: Option<&'a str>) -> Credential<'a> {
        if let Some(token) = authorization.and_then(bearer) {
            return Credential::Bearer(token);
        }
        let value = |name| cookie.and_then(|c| cookie_value(c, name));
        Credential::Session {
            token: value(COOKIE_NAME),
            renew: value(RENEW_COOKIE_NAME),
        }
    }
}

/// The value of the first non-empty cookie `name` in a `Cookie` header (spaces around
/// names and values ignored, one pair of quotes stripped).
pub fn cookie_value<'a>(header: &'a str, name: &str) -> Option<&'a str> {
    header.split(';').find_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        if key.trim() != name {
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
    let (scheme, rest) = header.split_once([' ', '\t'])?;
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
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
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

/// Name of the signed-in hint: a cookie scripts may read, so the theme asks
/// `/_lyceum/me` only when a session exists (an anonymous page view makes no request
/// and logs no 401). It says nothing but "1" and grants nothing: access is decided on
/// the HttpOnly session cookie alone.
pub const HINT_COOKIE_NAME: &str = "lyceum_signed_in";

/// `Set-Cookie` value for the hint, with the session's lifetime.
pub fn hint_cookie(exp: u64, now: u64) -> String {
    let max_age = exp.saturating_sub(now);
    format!("{HINT_COOKIE_NAME}=1; Secure; SameSite=Lax; Path=/; Max-Age={max_age}")
}

/// `Set-Cookie` value that clears the hint.
pub fn clear_hint_cookie() -> String {
    format!("{HINT_COOKIE_NAME}=; Secure; SameSite=Lax; Path=/; Max-Age=0")
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

/// A same-site path as a `Location` value: header values must be ASCII, so any other
/// byte (and space) is percent-encoded.
pub fn ascii_location(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    crate::path::percent_encode(&mut out, path, |b| b.is_ascii_graphic());
    out
}

/// Starts with exactly one `/`, and has no `\\`, whitespace or control character.
fn is_same_site_path(s: &str) -> bool {
    let b = s.as_bytes();
    b.first() == Some(&b'/')
        && !matches!(b.get(1), Some(b'/') | Some(b'\\'))
        && !s
            .chars()
            .any(|c| c == '\\' || c.is_whitespace() || c.is_control())
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
/// Exactly `{"sub":…,"level":…,"exp":…}`, in that order; `level` is `null` for a
/// signed-in member without one.
pub fn me_json(claims: &crate::Claims) -> String {
    #[derive(serde::Serialize)]
    struct Me<'a> {
        sub: &'a str,
        level: Option<&'a str>,
        exp: u64,
    }
    let me = Me {
        sub: &claims.sub,
        level: claims.level.as_deref(),
        exp: claims.exp,
    };
    // Serializing two strings and a number cannot fail.
    serde_json::to_string(&me).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session_token(c: Credential<'_>) -> Option<&str> {
        match c {
            Credential::Session { token, .. } => token,
            Credential::Bearer(_) => panic!("not a session: {c:?}"),
        }
    }

    #[test]
    fn bearer_wins_over_cookie() {
        let cookie = Some("__Host-lyceum_session=from-cookie");
        let of = |auth| Credential::of(Some(auth), cookie);
        assert_eq!(of("Bearer from-header"), Credential::Bearer("from-header"));
        assert_eq!(
            of("bearer   from-header  "),
            Credential::Bearer("from-header")
        );
        for other in ["Basic dXNlcjpwdw==", "Bearer ", "Bearer"] {
            assert_eq!(session_token(of(other)), Some("from-cookie"), "{other:?}");
        }
        assert_eq!(
            session_token(Credential::of(Some("Bearerx tok"), None)),
            None
        );
        assert_eq!(
            Credential::of(None, None),
            Credential::Session {
                token: None,
                renew: None
            }
        );
    }

    #[test]
    fn cookie_parsing_is_tolerant() {
        let cases: &[(&str, Option<&str>)] = &[
            ("__Host-lyceum_session=abc", Some("abc")),
            ("a=1; __Host-lyceum_session=abc; b=2", Some("abc")),
            ("a=1;__Host-lyceum_session=abc;b=2", Some("abc")),
            ("  __Host-lyceum_session = abc  ; b=2", Some("abc")),
            ("__Host-lyceum_session=\"abc\"", Some("abc")),
            ("__Host-lyceum_session=; other=x", None),
            ("__Host-lyceum_session=", None),
            ("x__Host-lyceum_session=abc", None),
            ("__Host-lyceum_sessionx=abc", None),
            ("__Host-lyceum_session", None),
            ("", None),
            (
                "__Host-lyceum_session=; __Host-lyceum_session=second",
                Some("second"),
            ),
            (
                "__Host-lyceum_session=first; __Host-lyceum_session=second",
                Some("first"),
            ),
        ];
        for (cookie, want) in cases {
            assert_eq!(
                session_token(Credential::of(None, Some(cookie))),
                *want,
                "{cookie:?}"
            );
        }
    }

    #[test]
    fn cookie_tossing_an_unprefixed_session_cookie_is_never_read() {
        // A sibling subdomain can set `lyceum_session` (with Domain=) but never a
        // `__Host-` cookie; the old name read a tossed one.
        let tossed = "lyceum_session=planted; lyceum_renew=planted";
        assert_eq!(
            Credential::of(None, Some(tossed)),
            Credential::Session {
                token: None,
                renew: None
            }
        );
        let both = "__Host-lyceum_session=t; __Host-lyceum_renew=r";
        assert_eq!(
            Credential::of(None, Some(both)),
            Credential::Session {
                token: Some("t"),
                renew: Some("r")
            }
        );
    }

    #[test]
    fn session_cookie_flags_and_max_age() {
        assert_eq!(
            session_cookie("aaa.bbb.ccc", 1_000_100, 1_000_000),
            "__Host-lyceum_session=aaa.bbb.ccc; HttpOnly; Secure; SameSite=Lax; Path=/; Max-Age=100"
        );
        assert!(session_cookie("a.b.c", 5, 10).ends_with("Max-Age=0"));
        assert_eq!(
            clear_cookie(),
            "__Host-lyceum_session=; HttpOnly; Secure; SameSite=Lax; Path=/; Max-Age=0"
        );
        // A value that could inject attributes is never echoed.
        for bad in ["a.b.c; Domain=evil.com", "a b", "a\r\nSet-Cookie: x=y", ""] {
            assert_eq!(session_cookie(bad, 100, 0), clear_cookie(), "{bad:?}");
        }
    }

    #[test]
    fn safe_next_only_allows_same_site_paths() {
        let ok = [
            "/",
            "/courses/intro/",
            "/a?b=c&d=e",
            "/a#frag",
            "/caf%C3%A9",
            "/javascript:alert(1)",
            "/@evil.com",
        ];
        for next in ok {
            assert_eq!(safe_next(Some(next)), next, "{next:?} should be kept");
        }
        let refused = [
            "",
            "courses",
            "https://evil.com",
            "//evil.com",
            "///evil.com",
            "/\\evil.com",
            "\\\\evil.com",
            "/a\\b",
            "javascript:alert(1)",
            " /a",
            "/\t/evil.com",
            "/\n/evil.com",
            "/a\r\nSet-Cookie: x=y",
            "/%2F%2Fevil.com",
            "/%2f/evil.com",
            "/%5Cevil.com",
            "/%5cevil.com",
            "/a%0d%0aLocation:%20x",
            "/%09/evil.com",
            "/a%00",
            "/a%",
            "/a%zz",
            "/%FF",
            "/a b",
            "/\u{2028}",
        ];
        for next in refused {
            assert_eq!(safe_next(Some(next)), "/", "{next:?} should be refused");
        }
        assert_eq!(safe_next(None), "/");
        assert_eq!(safe_next(Some(&format!("/{}", "a".repeat(5000)))), "/");
    }

    #[test]
    fn location_is_ascii() {
        assert_eq!(ascii_location("/essays/?a=b"), "/essays/?a=b");
        assert_eq!(ascii_location("/笔记/"), "/%E7%AC%94%E8%AE%B0/");
        assert_eq!(ascii_location("/a b"), "/a%20b");
    }

    #[test]
    fn query_params() {
        let q = "?token=a.b.c&next=%2Fcourses%2Fintro%2F&sp=a+b%20c&empty&dup=1&dup=2&bad=%zz";
        assert_eq!(query_param(q, "token").as_deref(), Some("a.b.c"));
        assert_eq!(query_param(q, "next").as_deref(), Some("/courses/intro/"));
        assert_eq!(query_param(q, "sp").as_deref(), Some("a b c"));
        assert_eq!(query_param(q, "empty").as_deref(), Some(""));
        assert_eq!(query_param(q, "dup").as_deref(), Some("1"));
        assert_eq!(query_param(q, "bad"), None);
        assert_eq!(query_param(q, "missing"), None);
        assert_eq!(query_param("", "token"), None);
        assert_eq!(query_param("to%6Ben=x", "token").as_deref(), Some("x"));
    }

    #[test]
    fn me_json_shape() {
        let claims = crate::Claims {
            products: Vec::new(),
            sub: "u\"1".into(),
            level: Some("pro".into()),
            exp: 42,
            sid: None,
        };
        assert_eq!(me_json(&claims), r#"{"sub":"u\"1","level":"pro","exp":42}"#);
    }
}
