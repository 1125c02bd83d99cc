//! HTTP-facing pieces shared by the worker and `lyceum serve`: where the token comes
//! from, the session cookie, the `next` redirect target, and the headers on gated responses.

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
pub fn token_from_headers<'a>(authorization: Option<&'a str>, cookie: Option<&'a str>) -> Option<&'a str> {
    let _ = (authorization, cookie);
    todo!("gate helper")
}

/// `Set-Cookie` value for a verified token expiring at `exp`, given `now`.
pub fn session_cookie(token: &str, exp: u64, now: u64) -> String {
    let _ = (token, exp, now);
    todo!("gate helper")
}

/// `Set-Cookie` value that clears the session.
pub fn clear_cookie() -> String {
    todo!("gate helper")
}

/// Where to send the member after login: `next` if it is a same-site absolute path
/// (starts with a single `/`, no `//`, `/\`, scheme, control characters), else `/`.
pub fn safe_next(next: Option<&str>) -> String {
    let _ = next;
    todo!("gate helper")
}

/// Look up one query parameter (percent-decoded, `+` as space) in a raw query string.
pub fn query_param(query: &str, name: &str) -> Option<String> {
    let _ = (query, name);
    todo!("gate helper")
}

/// JSON body for `/_lyceum/me`.
pub fn me_json(claims: &crate::Claims) -> String {
    let _ = claims;
    todo!("gate helper")
}
