//! One request, routed: the whole request logic the edge worker and `lyceum serve`
//! share, as a pure function from the request (and the keys, manifest and clock) to
//! an [`Outcome`].
//!
//! The adapters only do I/O around [`route`]: they read the method, URL and two
//! headers into a [`Request`], send a [`Reply`] as it is, and fetch the file an
//! outcome names (the worker from its assets binding, `lyceum serve` from its folder).
//! So the order of checks, the `/_lyceum/*` routes, their statuses, headers and pages
//! exist once, here:
//!
//! 1. anything but `GET`/`HEAD` → 405 with `Allow`;
//! 2. `/_lyceum/login`, `/_lyceum/logout`, `/_lyceum/me` (no manifest needed);
//! 3. a refused path or the private `/_gated/` tree → not found (no manifest needed);
//! 4. no manifest → [`Outcome::NoManifest`] (nothing tells a teaser URL from a public one);
//! 5. a token is verified only when the manifest has an entry for the path;
//! 6. [`decide`] → public, full (Range allowed), teaser, or not found.

use crate::decide::{decide, Access};
use crate::manifest::Manifest;
use crate::session::{
    clear_cookie, clear_hint_cookie, hint_cookie, me_json, query_param, safe_next, session_cookie,
    token_from_headers, GATED_HEADERS, LOGIN_PATH, LOGOUT_PATH, ME_PATH,
};
use crate::token::{Claims, Verifier};

/// Methods answered; everything else gets 405.
pub const ALLOW: &str = "GET, HEAD";

/// A public path no site has a file at. [`Outcome::NotFound`] is answered as a public
/// request for it, so every 404 (a gated file without teaser, the private tree, a
/// missing file) is one and the same response: its status, headers and body never tell
/// a guessed member-only file name from a name that does not exist. (A site that puts a
/// file there gets plain 404s from the worker, which logs why.)
pub const NOT_FOUND_PROBE: &str = "/.lyceum-not-found";

/// Headers on every answer of the login and logout routes: never cached, and the URL
/// (it carries the token on login) never leaks through `Referer`.
pub const NO_STORE: [(&str, &str); 3] = [
    ("Cache-Control", "private, no-store"),
    ("Vary", "Cookie, Authorization"),
    ("Referrer-Policy", "no-referrer"),
];

/// The page for a refused sign-in link. It never names the token.
const INVALID_LINK: &str = "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"robots\" content=\"noindex\"><title>Sign-in link not valid</title></head>\
<body><h1>Sign-in link not valid</h1><p>This sign-in link is invalid or has expired. \
Please request a new one.</p><p><a href=\"/\">Home</a></p></body></html>\n";

/// What [`route`] needs of one request.
#[derive(Debug, Clone, Copy, Default)]
pub struct Request<'a> {
    /// The method as sent (`GET`, `HEAD`, …).
    pub method: &'a str,
    /// The request target: origin form (`/path?query`) or an absolute URL.
    pub url: &'a str,
    /// The `Authorization` header, if any.
    pub authorization: Option<&'a str>,
    /// The `Cookie` header, if any.
    pub cookie: Option<&'a str>,
}

impl Request<'_> {
    /// A `HEAD` request: the adapter sends no body.
    pub fn is_head(&self) -> bool {
        self.method == "HEAD"
    }
}

/// A complete answer, ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    /// The body as for `GET` (empty for redirects); adapters drop it for `HEAD`.
    pub body: String,
}

impl Reply {
    fn new(status: u16, headers: &[(&'static str, &str)], body: impl Into<String>) -> Reply {
        Reply {
            status,
            headers: headers.iter().map(|&(k, v)| (k, v.to_string())).collect(),
            body: body.into(),
        }
    }

    /// A plain-text answer that is never cached (also the adapters' last resort: 404
    /// without a 404 page, 500).
    pub fn plain(status: u16, text: &str) -> Reply {
        Reply::new(
            status,
            &[
                ("Content-Type", "text/plain; charset=utf-8"),
                ("Cache-Control", "no-store"),
            ],
            text,
        )
    }

    /// 405 with `Allow`.
    pub fn method_not_allowed() -> Reply {
        Reply::new(
            405,
            &[
                ("Allow", ALLOW),
                ("Content-Type", "text/plain; charset=utf-8"),
                ("Cache-Control", "no-store"),
            ],
            "Method Not Allowed\n",
        )
    }

    /// 503 for [`Outcome::NoManifest`], as the worker sends it.
    pub fn unavailable() -> Reply {
        Reply::new(
            503,
            &[
                ("Content-Type", "text/plain; charset=utf-8"),
                ("Cache-Control", "no-store"),
                ("Retry-After", "60"),
            ],
            "Service Unavailable\n",
        )
    }

    /// The first value of a header (case-insensitive name).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// How to answer one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A complete answer: 405, and the login, logout and me routes.
    Reply(Reply),
    /// The path is not gated: serve the static file at the request path with normal
    /// caching (pretty URLs, Range and all).
    Public {
        /// The normalised path ([`crate::path::normalize`]).
        path: String,
        /// The raw query string, without `?`.
        query: String,
    },
    /// A bundle file (full page or teaser) with [`GATED_HEADERS`]; any other status
    /// than the file's own (a missing file, a redirect) must become the 404 page.
    File {
        /// As stored in the manifest, e.g. `_gated/x/index.html`.
        file: String,
        /// The full file of a member: the request's `Range` may be honoured.
        /// Never for a teaser.
        range: bool,
    },
    /// Not found: answered exactly as a public request (same method and headers) for
    /// [`NOT_FOUND_PROBE`], a path that does not exist, is answered: the site's 404
    /// page with the caching of every other missing file. Never with [`GATED_HEADERS`],
    /// which would mark it as a gated URL.
    NotFound,
    /// The path needs the manifest and there is none (not loaded, invalid): fail
    /// closed with a 503 (the worker sends [`Reply::unavailable`]; `lyceum serve`
    /// shows the build error).
    NoManifest,
}

/// The outcome, and what the adapter may log about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Routed {
    pub outcome: Outcome,
    /// Why a token was refused, e.g. `token refused: token expired`. Never the token.
    pub log: Option<String>,
}

impl From<Outcome> for Routed {
    fn from(outcome: Outcome) -> Self {
        Routed { outcome, log: None }
    }
}

/// Route one request at time `now` (seconds since the Unix epoch).
///
/// - `manifest`: `None` when the adapter has none (yet). Routes that don't need it
///   are still answered; the others give [`Outcome::NoManifest`]. An adapter that loads
///   the manifest lazily can route with `None` first, and again once it is loaded.
/// - `verifier`: the configured keys, asked for only by the requests that need them
///   (login, me, a gated path), so an adapter can build them on first use. `None`
///   (no usable key) means every visitor is anonymous; the adapter says why, once.
/// - `preview`: `lyceum serve --as LEVEL`, the membership of any request without a
///   valid token; the worker passes `None`.
pub fn route<'k>(
    req: &Request<'_>,
    manifest: Option<&Manifest>,
    verifier: impl FnOnce() -> Option<&'k Verifier>,
    preview: Option<&Claims>,
    now: u64,
) -> Routed {
    if !matches!(req.method, "GET" | "HEAD") {
        return Outcome::Reply(Reply::method_not_allowed()).into();
    }
    let (raw_path, query) = split_url(req.url);
    match raw_path {
        LOGIN_PATH => return login(query, verifier, now),
        LOGOUT_PATH => return logout().into(),
        ME_PATH => return me(req, verifier, preview, now),
        _ => {}
    }

    // The private tree never depends on the manifest.
    let path = match crate::path::normalize(raw_path) {
        Ok(p) if !crate::path::is_private(&p) => p,
        _ => return Outcome::NotFound.into(),
    };
    let Some(manifest) = manifest else {
        return Outcome::NoManifest.into();
    };
    // Only a gated URL is worth a token verification (public paths need no crypto).
    let (claims, log) = match manifest.lookup(&path) {
        Some(_) => member(req, verifier, preview, now),
        None => (None, None),
    };
    let outcome = match decide(manifest, raw_path, claims.as_ref()) {
        Access::Public => Outcome::Public {
            path,
            query: query.to_string(),
        },
        Access::Full { file } => Outcome::File { file, range: true },
        Access::Teaser { file, .. } => Outcome::File { file, range: false },
        Access::NotFound => Outcome::NotFound,
    };
    Routed { outcome, log }
}

/// The membership of a request: its verified token, else the preview, else none;
/// with the reason a token was refused.
fn member<'k>(
    req: &Request<'_>,
    verifier: impl FnOnce() -> Option<&'k Verifier>,
    preview: Option<&Claims>,
    now: u64,
) -> (Option<Claims>, Option<String>) {
    // Asked for first, token or not, so a missing key is noticed on the first gated request.
    let verifier = verifier();
    let token = token_from_headers(req.authorization, req.cookie);
    // Without a key everyone is anonymous; the adapter has said why.
    match token.zip(verifier).map(|(token, v)| v.verify(token, now)) {
        Some(Ok(claims)) => (Some(claims), None),
        // TokenError's text never contains the token.
        Some(Err(e)) => (preview.cloned(), Some(format!("token refused: {e}"))),
        None => (preview.cloned(), None),
    }
}

/// `GET /_lyceum/login?token=…&next=/path`: a valid token becomes the session cookie (and the signed-in hint)
/// and a 303 to the same-site `next`; anything else is the 401 page.
fn login<'k>(query: &str, verifier: impl FnOnce() -> Option<&'k Verifier>, now: u64) -> Routed {
    let token = query_param(query, "token");
    let verifier = verifier();
    let (claims, log) = match (token.as_deref(), verifier) {
        (Some(token), Some(v)) => match v.verify(token, now) {
            Ok(claims) => (Some(claims), None),
            Err(e) => (None, Some(format!("login refused: {e}"))),
        },
        _ => (None, None),
    };
    let reply = match (token, claims) {
        (Some(token), Some(claims)) => {
            let cookie = session_cookie(&token, claims.exp, now);
            let hint = hint_cookie(claims.exp, now);
            let next = ascii_location(&safe_next(query_param(query, "next").as_deref()));
            let mut headers = vec![
                ("Location", next.as_str()),
                ("Set-Cookie", cookie.as_str()),
                ("Set-Cookie", hint.as_str()),
            ];
            headers.extend_from_slice(&NO_STORE);
            Reply::new(303, &headers, "")
        }
        _ => {
            let mut headers = vec![("Content-Type", "text/html; charset=utf-8")];
            headers.extend_from_slice(&NO_STORE);
            Reply::new(401, &headers, INVALID_LINK)
        }
    };
    Routed {
        outcome: Outcome::Reply(reply),
        log,
    }
}

/// `/_lyceum/logout`: clear the cookie and the hint, and go home.
fn logout() -> Outcome {
    let (cookie, hint) = (clear_cookie(), clear_hint_cookie());
    let mut headers = vec![
        ("Location", "/"),
        ("Set-Cookie", cookie.as_str()),
        ("Set-Cookie", hint.as_str()),
    ];
    headers.extend_from_slice(&NO_STORE);
    Outcome::Reply(Reply::new(303, &headers, ""))
}

/// `/_lyceum/me`: the current membership as JSON, or 401. Refusals are not logged
/// (pages call it on every load).
fn me<'k>(
    req: &Request<'_>,
    verifier: impl FnOnce() -> Option<&'k Verifier>,
    preview: Option<&Claims>,
    now: u64,
) -> Routed {
    let (claims, _) = member(req, verifier, preview, now);
    let mut headers = vec![("Content-Type", "application/json")];
    headers.extend_from_slice(&GATED_HEADERS);
    headers.push(("Referrer-Policy", "no-referrer"));
    let reply = match claims {
        Some(claims) => Reply::new(200, &headers, me_json(&claims)),
        None => Reply::new(401, &headers, "{\"error\":\"not signed in\"}\n"),
    };
    Outcome::Reply(reply).into()
}

/// `(path, query)` of a request target, both still percent-encoded: the origin form
/// (`/path?query#frag`) as it is, an absolute URL (`https://host/path?query`) after its
/// authority; an empty path is `/`. Anything else is returned as the path (and then
/// refused by normalisation).
pub fn split_url(url: &str) -> (&str, &str) {
    let target = match url.split_once("://") {
        Some((scheme, rest))
            if !scheme.is_empty()
                && scheme
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b)) =>
        {
            rest.find(['/', '?', '#']).map_or("", |j| &rest[j..])
        }
        _ => url,
    };
    let target = target.split('#').next().unwrap_or_default();
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    (if path.is_empty() { "/" } else { path }, query)
}

/// Header values must be ASCII: percent-encode any other byte (and space) of a
/// same-site path.
fn ascii_location(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    crate::path::percent_encode(&mut out, path, |b| b.is_ascii_graphic());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token::Settings;
    use std::cell::Cell;

    const SECRET: &str = "unit-test-secret-that-is-32-bytes-long";
    const NOW: u64 = 1_700_000_000;

    fn manifest() -> Manifest {
        Manifest::from_json(
            r#"{"version":1,"levels":["member","pro"],"entries":{
                "/g/":{"level":"pro","file":"_gated/g/index.html","teaser":"g/index.html"},
                "/files/pro.pdf":{"level":"pro","file":"_gated/files/pro.pdf"}}}"#,
        )
        .unwrap()
    }

    fn verifier() -> Verifier {
        Verifier::from_settings(&Settings {
            secret: Some(SECRET.into()),
            ..Default::default()
        })
        .unwrap()
    }

    /// An HS256 token for `level`, expiring `ttl` seconds after NOW (negative: expired).
    fn token(level: &str, ttl: i64) -> String {
        let claims = Claims {
            sub: "ada".into(),
            level: level.into(),
            exp: NOW.saturating_add_signed(ttl),
        };
        jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
            &claims,
            &jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes()),
        )
        .unwrap()
    }

    fn preview(level: &str) -> Claims {
        Claims {
            sub: "preview".into(),
            level: level.into(),
            exp: u64::MAX / 4,
        }
    }

    /// Route with the manifest, the verifier and no preview.
    fn go(req: &Request<'_>) -> Routed {
        let (m, v) = (manifest(), verifier());
        route(req, Some(&m), || Some(&v), None, NOW)
    }

    fn get(url: &str) -> Request<'_> {
        Request {
            method: "GET",
            url,
            ..Default::default()
        }
    }

    fn reply(routed: Routed) -> Reply {
        match routed.outcome {
            Outcome::Reply(r) => r,
            other => panic!("expected a reply, got {other:?}"),
        }
    }

    fn teaser() -> Outcome {
        Outcome::File {
            file: "g/index.html".into(),
            range: false,
        }
    }

    fn full() -> Outcome {
        Outcome::File {
            file: "_gated/g/index.html".into(),
            range: true,
        }
    }

    #[test]
    fn only_get_and_head() {
        for method in ["POST", "PUT", "DELETE", "OPTIONS", "PATCH", "get", ""] {
            for url in [
                "/",
                "/g/",
                "/_lyceum/login?token=x",
                "/_gated/x",
                "/_lyceum/me",
            ] {
                let r = reply(go(&Request { method, ..get(url) }));
                assert_eq!(r.status, 405, "{method} {url}");
                assert_eq!(r.header("Allow"), Some(ALLOW));
                assert_eq!(r.header("Cache-Control"), Some("no-store"));
            }
        }
    }

    #[test]
    fn head_routes_exactly_like_get() {
        let pro = format!("lyceum_session={}", token("pro", 3600));
        let login = format!("/_lyceum/login?token={}&next=/g/", token("pro", 3600));
        for url in [
            "/",
            "/g/",
            "/g/index.html",
            "/files/pro.pdf",
            "/_gated/g/",
            "/_lyceum/logout",
            "/_lyceum/me",
            "/_lyceum/login?token=bad",
            login.as_str(),
        ] {
            for cookie in [None, Some(pro.as_str())] {
                let req = Request { cookie, ..get(url) };
                let head = Request {
                    method: "HEAD",
                    ..req
                };
                assert!(head.is_head() && !req.is_head());
                assert_eq!(go(&head), go(&req), "{url} {cookie:?}");
            }
        }
    }

    #[test]
    fn pages_by_viewer() {
        let t = |level: &str, ttl: i64| format!("lyceum_session={}", token(level, ttl));
        let (pro, member, expired) = (t("pro", 3600), t("member", 3600), t("pro", -3600));
        let bearer = format!("Bearer {}", token("pro", 3600));
        let public = |path: &str, query: &str| Outcome::Public {
            path: path.into(),
            query: query.into(),
        };
        let pdf = Outcome::File {
            file: "_gated/files/pro.pdf".into(),
            range: true,
        };
        // (url, cookie, authorization, outcome)
        let table: Vec<(&str, Option<&str>, Option<&str>, Outcome)> = vec![
            ("/", None, None, public("/", "")),
            ("/a/b?x=1#f", None, None, public("/a/b", "x=1")),
            ("/a/index.html", Some(&pro), None, public("/a/", "")),
            ("https://h.example/a/?q", None, None, public("/a/", "q")),
            ("/g/", None, None, teaser()),
            ("/g", Some(&member), None, teaser()),
            ("/g/", Some(&expired), None, teaser()),
            ("/g/", Some("lyceum_session=garbage"), None, teaser()),
            ("/g/", Some(&pro), None, full()),
            ("/g/index.html?x", Some(&pro), None, full()),
            ("/%67/", None, Some(&bearer), full()),
            ("/g/", Some(&member), Some(&bearer), full()),
            ("/files/pro.pdf", None, None, Outcome::NotFound),
            ("/files/pro.pdf", Some(&member), None, Outcome::NotFound),
            ("/files/pro.pdf", Some(&pro), None, pdf),
            ("/_gated/g/index.html", Some(&pro), None, Outcome::NotFound),
            ("/_GATED/g/", Some(&pro), None, Outcome::NotFound),
            ("/%5Fgated/g/", Some(&pro), None, Outcome::NotFound),
            ("/a/../_gated/g/", Some(&pro), None, Outcome::NotFound),
            ("/a%2fb", None, None, Outcome::NotFound),
            ("/a%zz", None, None, Outcome::NotFound),
            ("*", None, None, Outcome::NotFound),
        ];
        for (url, cookie, authorization, want) in table {
            let req = Request {
                cookie,
                authorization,
                ..get(url)
            };
            assert_eq!(go(&req).outcome, want, "{url} {cookie:?} {authorization:?}");
        }
    }

    /// Issue 9, item 8 (existence oracle): a gated file without teaser, denied, and the
    /// private tree are the one `NotFound`, and the adapters answer it as the public
    /// request for `NOT_FOUND_PROBE`, which must route as a public path that no manifest
    /// entry or private-tree rule can claim: so a denied gated file, `/_gated/…` and a
    /// missing path get the same response.
    #[test]
    fn every_404_is_the_answer_for_a_missing_public_path() {
        let member = format!("lyceum_session={}", token("member", 3600));
        for (url, cookie) in [
            ("/files/pro.pdf", None),
            ("/files/pro.pdf", Some(member.as_str())),
            ("/files/pro.pdf", Some("lyceum_session=garbage")),
            ("/_gated/files/pro.pdf", None),
            ("/_gated/manifest.json", None),
            ("/%5Fgated/g/", None),
        ] {
            for method in ["GET", "HEAD"] {
                let req = Request {
                    method,
                    cookie,
                    ..get(url)
                };
                assert_eq!(go(&req).outcome, Outcome::NotFound, "{method} {url}");
            }
        }
        let probe = go(&get(NOT_FOUND_PROBE));
        assert_eq!(
            probe.outcome,
            Outcome::Public {
                path: NOT_FOUND_PROBE.into(),
                query: String::new()
            }
        );
        assert_eq!(probe.log, None);
        assert!(manifest().lookup(NOT_FOUND_PROBE).is_none());
    }

    #[test]
    fn refused_tokens_are_logged_without_the_token() {
        let expired = token("pro", -3600);
        let cookie = format!("lyceum_session={expired}");
        let routed = go(&Request {
            cookie: Some(&cookie),
            ..get("/g/")
        });
        assert_eq!(routed.outcome, teaser());
        let log = routed.log.expect("a refused token is logged");
        assert!(log.starts_with("token refused: "), "{log}");
        assert!(!log.contains(&expired));
        // A public path verifies nothing, so logs nothing.
        let routed = go(&Request {
            cookie: Some(&cookie),
            ..get("/")
        });
        assert_eq!(routed.log, None);
        // No token, nothing to log.
        assert_eq!(go(&get("/g/")).log, None);
    }

    #[test]
    fn preview_is_the_membership_of_requests_without_a_valid_token() {
        let (m, v) = (manifest(), verifier());
        let pro = preview("pro");
        let member = format!("lyceum_session={}", token("member", 3600));
        let with = |req: &Request<'_>, p: Option<&Claims>| {
            route(req, Some(&m), || Some(&v), p, NOW).outcome
        };
        assert_eq!(with(&get("/g/"), Some(&pro)), full());
        assert_eq!(with(&get("/g/"), Some(&preview("member"))), teaser());
        assert_eq!(
            with(
                &Request {
                    cookie: Some("lyceum_session=bad"),
                    ..get("/g/")
                },
                Some(&pro)
            ),
            full()
        );
        // A valid token wins over the preview.
        assert_eq!(
            with(
                &Request {
                    cookie: Some(&member),
                    ..get("/g/")
                },
                Some(&pro)
            ),
            teaser()
        );
        let me = reply(route(
            &get("/_lyceum/me"),
            None,
            || Some(&v),
            Some(&pro),
            NOW,
        ));
        assert_eq!(me.status, 200);
        assert!(me.body.contains("\"preview\"") && me.body.contains("\"pro\""));
        // Login never signs the preview in.
        let r = reply(route(
            &get("/_lyceum/login"),
            None,
            || Some(&v),
            Some(&pro),
            NOW,
        ));
        assert_eq!(r.status, 401);
    }

    #[test]
    fn without_a_manifest_only_pages_are_unavailable() {
        let v = verifier();
        let t = token("pro", 3600);
        let login = format!("/_lyceum/login?token={t}&next=/g/");
        let cookie = format!("lyceum_session={t}");
        let no_manifest = |url: &str| {
            let req = Request {
                cookie: Some(&cookie),
                ..get(url)
            };
            route(&req, None, || Some(&v), None, NOW).outcome
        };
        for url in ["/", "/g/", "/files/pro.pdf", "/a/b?c"] {
            assert_eq!(no_manifest(url), Outcome::NoManifest, "{url}");
        }
        for url in [
            "/_gated/manifest.json",
            "/%5Fgated/",
            "/_GATED/",
            "/a/../b",
            "/a%2Fb",
        ] {
            assert_eq!(no_manifest(url), Outcome::NotFound, "{url}");
        }
        assert!(matches!(
            no_manifest(&login),
            Outcome::Reply(Reply { status: 303, .. })
        ));
        assert!(matches!(
            no_manifest("/_lyceum/me"),
            Outcome::Reply(Reply { status: 200, .. })
        ));
        assert!(matches!(
            no_manifest("/_lyceum/logout"),
            Outcome::Reply(Reply { status: 303, .. })
        ));
        let r = Reply::unavailable();
        assert_eq!((r.status, r.header("Retry-After")), (503, Some("60")));
        assert_eq!(r.header("Cache-Control"), Some("no-store"));
    }

    #[test]
    fn keys_are_asked_for_only_when_needed() {
        let (m, v) = (manifest(), verifier());
        let cookie = format!("lyceum_session={}", token("pro", 3600));
        let asked = |url: &str, method: &str, cookie: Option<&str>| {
            let calls = Cell::new(0);
            let req = Request {
                method,
                url,
                cookie,
                ..Default::default()
            };
            route(
                &req,
                Some(&m),
                || {
                    calls.set(calls.get() + 1);
                    Some(&v)
                },
                None,
                NOW,
            );
            calls.get()
        };
        let c = Some(cookie.as_str());
        for (url, method, cookie, want) in [
            ("/", "GET", c, 0),
            ("/a/b", "GET", c, 0),
            ("/_gated/g/", "GET", c, 0),
            ("/g/", "POST", c, 0),
            ("/_lyceum/logout", "GET", c, 0),
            // A gated page asks for the keys even without a token (a missing key is
            // then noticed on the first gated request).
            ("/g/", "GET", None, 1),
            ("/g/", "GET", c, 1),
            ("/files/pro.pdf", "HEAD", None, 1),
            ("/_lyceum/me", "GET", None, 1),
            ("/_lyceum/login", "GET", None, 1),
        ] {
            assert_eq!(
                asked(url, method, cookie),
                want,
                "{method} {url} {cookie:?}"
            );
        }
    }

    #[test]
    fn without_keys_everyone_is_anonymous() {
        let m = manifest();
        let t = token("pro", 3600);
        let cookie = format!("lyceum_session={t}");
        let login = format!("/_lyceum/login?token={t}&next=/g/");
        let none = |url: &str| {
            let req = Request {
                cookie: Some(&cookie),
                ..get(url)
            };
            route(&req, Some(&m), || None, None, NOW)
        };
        assert_eq!(none("/g/").outcome, teaser());
        assert_eq!(none("/g/").log, None);
        assert_eq!(none("/files/pro.pdf").outcome, Outcome::NotFound);
        assert_eq!(reply(none("/_lyceum/me")).status, 401);
        let r = reply(none(&login));
        assert_eq!(r.status, 401);
        assert_eq!(r.header("Set-Cookie"), None);
    }

    #[test]
    fn login_sets_the_cookie_and_redirects_same_site() {
        let t = token("pro", 3600);
        let r = reply(go(&get(&format!("/_lyceum/login?token={t}&next=/g/"))));
        assert_eq!(r.status, 303);
        assert_eq!(r.header("Location"), Some("/g/"));
        assert_eq!(
            r.header("Set-Cookie"),
            Some(session_cookie(&t, NOW + 3600, NOW).as_str())
        );
        for (k, v) in NO_STORE {
            assert_eq!(r.header(k), Some(v), "{k}");
        }
        assert_eq!(r.body, "");
        // Absolute-form request targets too; `next` defaults to `/`.
        let r = reply(go(&get(&format!(
            "https://h.example/_lyceum/login?token={t}"
        ))));
        assert_eq!((r.status, r.header("Location")), (303, Some("/")));

        // (next as sent in the query, Location)
        let cases = [
            ("/a%3Fb%3Dc", "/a?b=c"),
            ("%2Fcourses%2Fintro%2F", "/courses/intro/"),
            ("%2F%E7%AC%94%E8%AE%B0%2F", "/%E7%AC%94%E8%AE%B0/"),
            ("/caf%25C3%25A9", "/caf%C3%A9"),
            ("//evil.example", "/"),
            ("%2F%2Fevil.example", "/"),
            ("https://evil.example/", "/"),
            ("https%3A%2F%2Fevil.example", "/"),
            ("/%5Cevil.example", "/"),
            ("%2F%5Cevil.example", "/"),
            ("/%09/evil.example", "/"),
            ("/%0D%0ASet-Cookie:x=y", "/"),
            ("/a+b", "/"),
            ("%2F%252F%252Fevil.example", "/"),
            ("javascript:alert(1)", "/"),
            ("evil.example", "/"),
            ("", "/"),
        ];
        for (next, want) in cases {
            let r = reply(go(&get(&format!("/_lyceum/login?token={t}&next={next}"))));
            assert_eq!(
                (r.status, r.header("Location")),
                (303, Some(want)),
                "next={next}"
            );
            assert!(r.header("Location").unwrap().is_ascii());
        }
    }

    #[test]
    fn refused_sign_in_links() {
        let expired = token("pro", -3600);
        let other_key = {
            let claims = Claims {
                sub: "ada".into(),
                level: "pro".into(),
                exp: NOW + 3600,
            };
            jsonwebtoken::encode(
                &jsonwebtoken::Header::default(),
                &claims,
                &jsonwebtoken::EncodingKey::from_secret(b"another-secret-of-at-least-32-bytes!!"),
            )
            .unwrap()
        };
        for (query, logged) in [
            (format!("token={expired}&next=/g/"), true),
            (format!("token={other_key}"), true),
            ("token=nope&next=/g/".to_string(), true),
            ("token=&next=/g/".to_string(), true),
            ("next=/g/".to_string(), false),
            (String::new(), false),
        ] {
            let url = format!("/_lyceum/login?{query}");
            let routed = go(&get(&url));
            assert_eq!(routed.log.is_some(), logged, "{query}");
            if let Some(log) = &routed.log {
                assert!(log.starts_with("login refused: "), "{log}");
            }
            let r = reply(routed);
            assert_eq!(r.status, 401, "{query}");
            assert_eq!(r.header("Set-Cookie"), None);
            assert_eq!(r.header("Location"), None);
            assert_eq!(r.header("Content-Type"), Some("text/html; charset=utf-8"));
            for (k, v) in NO_STORE {
                assert_eq!(r.header(k), Some(v), "{k}");
            }
            assert!(r.body.contains("Sign-in link not valid"));
        }
    }

    #[test]
    fn logout_and_me() {
        let r = reply(go(&get("/_lyceum/logout?next=//evil.example")));
        assert_eq!((r.status, r.header("Location")), (303, Some("/")));
        assert_eq!(r.header("Set-Cookie"), Some(clear_cookie().as_str()));
        for (k, v) in NO_STORE {
            assert_eq!(r.header(k), Some(v), "{k}");
        }

        let t = token("member", 3600);
        let cookie = format!("lyceum_session={t}");
        let bearer = format!("Bearer {t}");
        for req in [
            Request {
                cookie: Some(&cookie),
                ..get("/_lyceum/me")
            },
            Request {
                authorization: Some(&bearer),
                ..get("/_lyceum/me")
            },
        ] {
            let r = reply(go(&req));
            assert_eq!(r.status, 200);
            assert_eq!(
                r.body,
                format!(r#"{{"sub":"ada","level":"member","exp":{}}}"#, NOW + 3600)
            );
            assert_eq!(r.header("Content-Type"), Some("application/json"));
            for (k, v) in GATED_HEADERS {
                assert_eq!(r.header(k), Some(v), "{k}");
            }
            assert_eq!(r.header("Referrer-Policy"), Some("no-referrer"));
        }
        let expired = format!("lyceum_session={}", token("pro", -3600));
        for cookie in [None, Some("lyceum_session=bad"), Some(expired.as_str())] {
            let routed = go(&Request {
                cookie,
                ..get("/_lyceum/me")
            });
            assert_eq!(
                routed.log, None,
                "me is asked on every page load; it logs nothing"
            );
            let r = reply(routed);
            assert_eq!(
                (r.status, r.body.as_str()),
                (401, "{\"error\":\"not signed in\"}\n")
            );
            assert_eq!(r.header("Cache-Control"), Some("private, no-store"));
        }
    }

    #[test]
    fn a_token_is_never_echoed() {
        let valid = token("pro", 3600);
        let expired = token("pro", -3600);
        let bogus = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.bogus-signature-canary".to_string();
        for t in [&valid, &expired, &bogus] {
            let cookie = format!("lyceum_session={t}");
            let bearer = format!("Bearer {t}");
            let urls = [
                format!("/_lyceum/login?token={t}&next=/g/"),
                format!("/_lyceum/login?next=/g/&token={t}"),
                format!("/_lyceum/me?token={t}"),
                format!("/_lyceum/logout?token={t}"),
                format!("/g/?token={t}"),
                format!("/{t}"),
                "/g/".to_string(),
            ];
            for url in &urls {
                for (method, cookie, authorization) in [
                    ("GET", Some(cookie.as_str()), None),
                    ("HEAD", None, Some(bearer.as_str())),
                    ("POST", Some(cookie.as_str()), Some(bearer.as_str())),
                ] {
                    let req = Request {
                        method,
                        url,
                        cookie,
                        authorization,
                    };
                    let routed = go(&req);
                    if let Some(log) = &routed.log {
                        assert!(!log.contains(t.as_str()), "log of {url}: {log}");
                    }
                    let Outcome::Reply(r) = routed.outcome else {
                        continue;
                    };
                    assert!(!r.body.contains(t.as_str()), "body of {method} {url}");
                    for (k, v) in &r.headers {
                        let may =
                            *k == "Set-Cookie" && url.starts_with("/_lyceum/login?") && t == &valid;
                        assert!(may || !v.contains(t.as_str()), "{k} of {method} {url}: {v}");
                    }
                }
            }
        }
    }

    #[test]
    fn request_targets() {
        let cases = [
            ("https://h/a/b?x=1&y#f", ("/a/b", "x=1&y")),
            ("https://h", ("/", "")),
            ("https://h?x=1", ("/", "x=1")),
            ("https://h#f", ("/", "")),
            ("http://h:8787/%5Fgated/", ("/%5Fgated/", "")),
            ("https://h/p#f?x", ("/p", "")),
            ("/a/b?x=1#f", ("/a/b", "x=1")),
            ("/", ("/", "")),
            (
                "/p?next=https://evil.example/x",
                ("/p", "next=https://evil.example/x"),
            ),
            ("//evil.example/x", ("//evil.example/x", "")),
            ("/a://b/c", ("/a://b/c", "")),
            ("p?x=http://h/y", ("p", "x=http://h/y")),
            ("*", ("*", "")),
        ];
        for (url, want) in cases {
            assert_eq!(split_url(url), want, "{url}");
        }
    }

    #[test]
    fn location_is_ascii() {
        assert_eq!(ascii_location("/essays/?a=b"), "/essays/?a=b");
        assert_eq!(ascii_location("/笔记/"), "/%E7%AC%94%E8%AE%B0/");
        assert_eq!(ascii_location("/a b"), "/a%20b");
    }
}
