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
//! 1. the member layer's routes (everything under `/_lyceum/` but `me`, any method) →
//!    [`Outcome::Member`];
//! 2. anything else but `GET`/`HEAD` → 405 with `Allow`;
//! 3. `/_lyceum/me` (no manifest needed);
//! 4. a refused path or the private `/_gated/` tree → not found (no manifest needed);
//! 5. no manifest → [`Outcome::NoManifest`] (nothing tells a teaser URL from a public one);
//! 6. a token is verified only when the manifest has an entry for the path; an expired
//!    session with a renewal secret asks the adapter to renew it ([`Outcome::Renew`]);
//! 7. [`decide`] → public, full (Range allowed), teaser, or not found.
//!
//! Sign-in, sign-out and the rest of the member routes are POSTs answered by the
//! `members` crate; none of them is here, and no token ever travels in a URL.

use crate::decide::{decide, Access};
use crate::manifest::Manifest;
use crate::session::{me_json, Credential, GATED_HEADERS, ME_PATH};
use crate::token::{Claims, Verifier};

/// Where the member layer's routes live (sign-in, sign-out, account, admin, webhooks).
pub const MEMBER_PREFIX: &str = "/_lyceum/";

/// Methods answered; everything else gets 405.
pub const ALLOW: &str = "GET, HEAD";

/// A public path no site has a file at. [`Outcome::NotFound`] is answered as a public
/// request for it, so every 404 (a gated file without teaser, the private tree, a
/// missing file) is one and the same response: its status, headers and body never tell
/// a guessed member-only file name from a name that does not exist. (A site that puts a
/// file there gets plain 404s from the worker, which logs why.)
pub const NOT_FOUND_PROBE: &str = "/.lyceum-not-found";

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
    /// A complete answer: 405 and `/_lyceum/me`.
    Reply(Reply),
    /// A member-layer route (under [`MEMBER_PREFIX`], any method): the adapter answers
    /// it with `members::http::handle`, which owns their methods and checks.
    Member,
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
    /// The answer depends on the membership, the session token is missing, expired or
    /// refused, and the request carries a renewal secret: the adapter renews the
    /// session from its store (`members::http::renew`), routes the request again with
    /// the `Cookie` header the renewal gives (the new token and no renewal secret, so
    /// this never repeats), and adds the renewal's `Set-Cookie` headers to the answer.
    Renew,
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
    let (raw_path, query) = split_url(req.url);
    if raw_path.starts_with(MEMBER_PREFIX) && raw_path != ME_PATH {
        return Outcome::Member.into();
    }
    if !matches!(req.method, "GET" | "HEAD") {
        return Outcome::Reply(Reply::method_not_allowed()).into();
    }
    if raw_path == ME_PATH {
        return me(req, verifier, preview, now);
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
        Some(_) => match member(req, verifier, preview, now) {
            Member::Known(claims, log) => (claims, log),
            Member::Renew => return Outcome::Renew.into(),
        },
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

/// The membership of a request, or a renewal to do first.
enum Member {
    /// Its verified token, else the preview, else none; with the reason a token was
    /// refused.
    Known(Option<Claims>, Option<String>),
    Renew,
}

fn member<'k>(
    req: &Request<'_>,
    verifier: impl FnOnce() -> Option<&'k Verifier>,
    preview: Option<&Claims>,
    now: u64,
) -> Member {
    // Asked for first, token or not, so a missing key is noticed on the first gated request.
    let Some(verifier) = verifier() else {
        // Without a key everyone is anonymous; the adapter has said why.
        return Member::Known(preview.cloned(), None);
    };
    let refused = |what, e| Member::Known(preview.cloned(), Some(format!("{what} refused: {e}")));
    // TokenError's text never contains the token.
    match Credential::of(req.authorization, req.cookie) {
        Credential::Bearer(token) => match verifier.verify(token, now) {
            Ok(claims) => Member::Known(Some(claims), None),
            Err(e) => refused("token", e),
        },
        Credential::Session { token, renew } => {
            match (token.map(|t| verifier.verify_session(t, now)), renew) {
                (Some(Ok(claims)), _) => Member::Known(Some(claims), None),
                (_, Some(_)) => Member::Renew,
                (Some(Err(e)), None) => refused("session", e),
                (None, None) => Member::Known(preview.cloned(), None),
            }
        }
    }
}

/// `/_lyceum/me`: the current membership as JSON, or 401. Refusals are not logged
/// (pages call it on every load).
fn me<'k>(
    req: &Request<'_>,
    verifier: impl FnOnce() -> Option<&'k Verifier>,
    preview: Option<&Claims>,
    now: u64,
) -> Routed {
    let claims = match member(req, verifier, preview, now) {
        Member::Known(claims, _) => claims,
        Member::Renew => return Outcome::Renew.into(),
    };
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::{COOKIE_NAME, RENEW_COOKIE_NAME};
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

    /// An HS256 bearer token for `level`, expiring `ttl` seconds after NOW (negative: expired).
    fn token(level: &str, ttl: i64) -> String {
        let claims = Claims {
            products: Vec::new(),
            sub: "ada".into(),
            level: Some(level.into()),
            exp: NOW.saturating_add_signed(ttl),
            sid: None,
        };
        jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
            &claims,
            &jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes()),
        )
        .unwrap()
    }

    /// A `Cookie` header with a lyceum session token for `level`, expiring `ttl`
    /// seconds after NOW.
    fn session(level: &str, ttl: i64) -> String {
        let claims = crate::sign::SessionClaims {
            products: &[],
            sub: "ada",
            level: Some(level),
            sid: "s1",
            iat: NOW - 10,
            exp: NOW.saturating_add_signed(ttl),
        };
        let t = crate::sign::session_token(SECRET.as_bytes(), &claims).unwrap();
        format!("{COOKIE_NAME}={t}")
    }

    fn preview(level: &str) -> Claims {
        Claims {
            products: Vec::new(),
            sub: "preview".into(),
            level: Some(level.into()),
            exp: u64::MAX / 4,
            sid: None,
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
            for url in ["/", "/g/", "/_gated/x", "/_lyceum/me"] {
                let r = reply(go(&Request { method, ..get(url) }));
                assert_eq!(r.status, 405, "{method} {url}");
                assert_eq!(r.header("Allow"), Some(ALLOW));
                assert_eq!(r.header("Cache-Control"), Some("no-store"));
            }
        }
    }

    #[test]
    fn head_routes_exactly_like_get() {
        let pro = session("pro", 3600);
        let renew = format!("{RENEW_COOKIE_NAME}=r");
        for url in [
            "/",
            "/g/",
            "/g/index.html",
            "/files/pro.pdf",
            "/_gated/g/",
            "/_lyceum/me",
        ] {
            for cookie in [None, Some(pro.as_str()), Some(renew.as_str())] {
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
        let (pro, member, expired) = (
            session("pro", 3600),
            session("member", 3600),
            session("pro", -1),
        );
        // A bearer token in the cookie is not a session.
        let bearer_in_cookie = format!("{COOKIE_NAME}={}", token("pro", 3600));
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
            ("/g/", Some("__Host-lyceum_session=garbage"), None, teaser()),
            ("/g/", Some(&bearer_in_cookie), None, teaser()),
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
        let member = session("member", 3600);
        for (url, cookie) in [
            ("/files/pro.pdf", None),
            ("/files/pro.pdf", Some(member.as_str())),
            ("/files/pro.pdf", Some("__Host-lyceum_session=garbage")),
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
        let bearer = format!("Bearer {expired}");
        let routed = go(&Request {
            authorization: Some(&bearer),
            ..get("/g/")
        });
        assert_eq!(routed.outcome, teaser());
        let log = routed.log.expect("a refused token is logged");
        assert!(log.starts_with("token refused: "), "{log}");
        assert!(!log.contains(&expired));
        let cookie = session("pro", -1);
        let routed = go(&Request {
            cookie: Some(&cookie),
            ..get("/g/")
        });
        let log = routed.log.expect("a refused session is logged");
        assert_eq!(log, "session refused: token has expired");
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
        let member = session("member", 3600);
        let with = |req: &Request<'_>, p: Option<&Claims>| {
            route(req, Some(&m), || Some(&v), p, NOW).outcome
        };
        assert_eq!(with(&get("/g/"), Some(&pro)), full());
        assert_eq!(with(&get("/g/"), Some(&preview("member"))), teaser());
        assert_eq!(
            with(
                &Request {
                    cookie: Some("__Host-lyceum_session=bad"),
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
    }

    #[test]
    fn without_a_manifest_only_pages_are_unavailable() {
        let v = verifier();
        let cookie = session("pro", 3600);
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
            no_manifest("/_lyceum/me"),
            Outcome::Reply(Reply { status: 200, .. })
        ));
        let r = Reply::unavailable();
        assert_eq!((r.status, r.header("Retry-After")), (503, Some("60")));
        assert_eq!(r.header("Cache-Control"), Some("no-store"));
    }

    #[test]
    fn keys_are_asked_for_only_when_needed() {
        let (m, v) = (manifest(), verifier());
        let cookie = session("pro", 3600);
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
            // A gated page asks for the keys even without a token (a missing key is
            // then noticed on the first gated request).
            ("/g/", "GET", None, 1),
            ("/g/", "GET", c, 1),
            ("/files/pro.pdf", "HEAD", None, 1),
            ("/_lyceum/me", "GET", None, 1),
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
        let cookie = format!("{}; {RENEW_COOKIE_NAME}=r", session("pro", 3600));
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
        // Without a key nothing is renewed either: it could not sign the new token.
        assert_eq!(reply(none("/_lyceum/me")).status, 401);
    }

    /// Issue 11: a session token lives at most an hour; past it, a request with the
    /// renewal secret asks the adapter to renew (so a level change or a revocation
    /// takes effect), on gated paths and `/_lyceum/me` only.
    #[test]
    fn an_expired_session_with_a_renewal_secret_is_renewed() {
        let renew = format!("{RENEW_COOKIE_NAME}=r");
        let expired = format!("{}; {renew}", session("pro", -1));
        let live = format!("{}; {renew}", session("pro", 60));
        let bearer = format!("Bearer {}", token("member", 60));
        let cases: [(&str, &str, Option<&str>, Outcome); 9] = [
            ("/g/", expired.as_str(), None, Outcome::Renew),
            ("/g/", renew.as_str(), None, Outcome::Renew),
            ("/files/pro.pdf", renew.as_str(), None, Outcome::Renew),
            ("/_lyceum/me", renew.as_str(), None, Outcome::Renew),
            // A live token needs no database.
            ("/g/", live.as_str(), None, full()),
            // Public pages and the private tree never renew.
            (
                "/",
                renew.as_str(),
                None,
                Outcome::Public {
                    path: "/".into(),
                    query: String::new(),
                },
            ),
            ("/_gated/g/", renew.as_str(), None, Outcome::NotFound),
            // A bearer token is its own membership.
            ("/g/", renew.as_str(), Some(&bearer), teaser()),
            // The unprefixed name a sibling subdomain could toss is not a renewal secret.
            ("/g/", "lyceum_renew=r", None, teaser()),
        ];
        for (url, cookie, authorization, want) in cases {
            let req = Request {
                cookie: Some(cookie),
                authorization,
                ..get(url)
            };
            assert_eq!(go(&req).outcome, want, "{url} {cookie}");
        }
    }

    #[test]
    fn a_member_without_a_level_is_signed_in_and_reads_teasers() {
        let claims = crate::sign::SessionClaims {
            products: &[],
            sub: "free",
            level: None,
            sid: "s9",
            iat: NOW,
            exp: NOW + 60,
        };
        let t = crate::sign::session_token(SECRET.as_bytes(), &claims).unwrap();
        let cookie = format!("{COOKIE_NAME}={t}");
        let req = |url| Request {
            cookie: Some(&cookie),
            ..get(url)
        };
        assert_eq!(go(&req("/g/")).outcome, teaser());
        let me = reply(go(&req("/_lyceum/me")));
        assert_eq!(
            (me.status, me.body),
            (
                200,
                format!(r#"{{"sub":"free","level":null,"exp":{}}}"#, NOW + 60)
            )
        );
    }

    /// Issue 11: `GET /_lyceum/login?token=` put a long-lived token in a URL (logs,
    /// history, mail scanners) and let any site sign a reader in or out with a link.
    /// Both GETs are gone: they are plain missing paths now.
    #[test]
    fn login_and_logout_by_get_are_gone() {
        let t = token("pro", 3600);
        for url in [
            format!("/_lyceum/login?token={t}&next=/g/"),
            "/_lyceum/logout".to_string(),
        ] {
            // The member layer's, which knows no such route (a 404 there).
            assert_eq!(go(&get(&url)).outcome, Outcome::Member, "{url}");
        }
    }

    #[test]
    fn member_routes_go_to_the_member_layer_whatever_the_method() {
        for method in ["GET", "POST", "DELETE"] {
            for url in [
                "/_lyceum/signin",
                "/_lyceum/admin/members",
                "https://h/_lyceum/x",
            ] {
                let r = go(&Request { method, ..get(url) });
                assert_eq!(r.outcome, Outcome::Member, "{method} {url}");
            }
            // Not the prefix: `/_lyceum` itself, another case, the me route.
            for url in ["/_lyceum", "/_LYCEUM/signin"] {
                assert_ne!(go(&Request { method, ..get(url) }).outcome, Outcome::Member);
            }
        }
        assert!(matches!(go(&get("/_lyceum/me")).outcome, Outcome::Reply(_)));
    }

    #[test]
    fn me() {
        let t = token("member", 3600);
        let cookie = session("member", 3600);
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
        let expired = session("pro", -1);
        for cookie in [
            None,
            Some("__Host-lyceum_session=bad"),
            Some(expired.as_str()),
        ] {
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
            let cookie = format!("{COOKIE_NAME}={t}");
            let bearer = format!("Bearer {t}");
            let urls = [
                format!("/_lyceum/me?token={t}"),
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
                        assert!(!v.contains(t.as_str()), "{k} of {method} {url}: {v}");
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
}
