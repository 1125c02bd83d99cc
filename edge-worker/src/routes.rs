//! The worker's own routes: `/_lyceum/login`, `/_lyceum/logout`, `/_lyceum/me`.
//! Redirects use a relative `Location` (no URL parsing in the worker).

use gate::session::{
    clear_cookie, me_json, query_param, safe_next, session_cookie, token_from_headers,
    GATED_HEADERS,
};
use worker::web_sys::{Request, Response};
use worker::{console_log, Env};

use crate::http::{header, now_secs, respond, JsResult};
use crate::state;

const INVALID_LINK: &str = "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"robots\" content=\"noindex\"><title>Sign-in link not valid</title></head>\
<body><h1>Sign-in link not valid</h1><p>This sign-in link is invalid or has expired. \
Please request a new one.</p><p><a href=\"/\">Home</a></p></body></html>\n";

/// Headers on every answer of these routes: never cached, never leak the URL (it
/// carries the token on login) through `Referer`.
const NO_STORE: [(&str, &str); 3] = [
    ("Cache-Control", "private, no-store"),
    ("Vary", "Cookie, Authorization"),
    ("Referrer-Policy", "no-referrer"),
];

/// `GET /_lyceum/login?token=…&next=/path`: a valid token becomes the session cookie.
pub(crate) fn login(env: &Env, query: &str, head: bool) -> JsResult<Response> {
    let token = query_param(query, "token");
    let claims = match (token.as_deref(), state::verifier(env)) {
        (Some(token), Some(verifier)) => verifier.verify(token, now_secs()).map_err(|e| {
            console_log!("lyceum: login refused: {e}");
        }),
        _ => Err(()),
    };
    match (token, claims) {
        (Some(token), Ok(claims)) => {
            let cookie = session_cookie(&token, claims.exp, now_secs());
            let next = ascii_location(&safe_next(query_param(query, "next").as_deref()));
            let mut headers = vec![("Location", next.as_str()), ("Set-Cookie", cookie.as_str())];
            headers.extend_from_slice(&NO_STORE);
            respond(303, &headers, None)
        }
        _ => {
            let mut headers = vec![("Content-Type", "text/html; charset=utf-8")];
            headers.extend_from_slice(&NO_STORE);
            respond(401, &headers, (!head).then_some(INVALID_LINK))
        }
    }
}

/// `/_lyceum/logout`: clear the cookie and go home.
pub(crate) fn logout(_head: bool) -> JsResult<Response> {
    let cookie = clear_cookie();
    let mut headers = vec![("Location", "/"), ("Set-Cookie", cookie.as_str())];
    headers.extend_from_slice(&NO_STORE);
    respond(303, &headers, None)
}

/// `/_lyceum/me`: the current membership as JSON, or 401.
pub(crate) fn me(req: &Request, env: &Env, head: bool) -> JsResult<Response> {
    let authorization = header(req, "Authorization");
    let cookie = header(req, "Cookie");
    let claims = token_from_headers(authorization.as_deref(), cookie.as_deref())
        .zip(state::verifier(env))
        .and_then(|(token, verifier)| verifier.verify(token, now_secs()).ok());
    let mut headers = vec![("Content-Type", "application/json")];
    headers.extend_from_slice(&GATED_HEADERS);
    headers.push(("Referrer-Policy", "no-referrer"));
    match claims {
        Some(claims) => {
            let body = me_json(&claims);
            respond(200, &headers, (!head).then_some(body.as_str()))
        }
        None => respond(
            401,
            &headers,
            (!head).then_some("{\"error\":\"not signed in\"}\n"),
        ),
    }
}

/// Header values must be ASCII: percent-encode any other byte of a (same-site) path.
fn ascii_location(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for &b in path.as_bytes() {
        if b.is_ascii_graphic() {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::ascii_location;

    #[test]
    fn location_is_ascii() {
        assert_eq!(ascii_location("/essays/?a=b"), "/essays/?a=b");
        assert_eq!(ascii_location("/笔记/"), "/%E7%AC%94%E8%AE%B0/");
        assert_eq!(ascii_location("/a b"), "/a%20b");
    }
}
