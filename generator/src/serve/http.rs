//! The gate as HTTP, for `lyceum serve`: an adapter around [`gate::route`], the very
//! function the edge worker calls, so both answer every request the same way (order
//! of checks, `/_lyceum/*` routes, statuses, headers). Only the I/O differs and lives
//! here: files from the serve folder instead of the Worker's assets binding, the
//! build-error page while no build has succeeded, the live-reload route, and the
//! live-reload script injected into HTML answers. The member routes and session
//! renewal go to [`super::members`], the same `members` flows as the worker's.
//!
//! [`Gatekeeper::handle`] is a pure function of the request, the shared state, the
//! folder and the clock, so it is unit-tested without sockets.

use super::host::{self, Hosts};
use super::local_path::local_path;
use super::members::{Letter, Members};
use super::reload;
use gate::path::{asset_url, is_private, percent_encode};
use gate::route::{route, split_url, Outcome};
use gate::session::{GATED_HEADERS, HINT_COOKIE_NAME};
use gate::{Claims, Manifest, Verifier};
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

/// What the builder publishes for the request threads.
#[derive(Debug, Default)]
pub(crate) struct Shared {
    /// The manifest of the bundle being served; `None` until a build succeeded.
    pub manifest: Option<Manifest>,
    /// The last build's error report (plain text), if the last build failed.
    pub error: Option<String>,
}

/// One request: what the gate needs, plus `Range` (honoured on public files and a
/// member's full file).
#[derive(Debug, Clone, Default)]
pub(crate) struct Request<'a> {
    pub method: &'a str,
    /// The request target (`/path?query`, or absolute form).
    pub url: &'a str,
    /// The `Host` header.
    pub host: Option<&'a str>,
    pub authorization: Option<&'a str>,
    pub cookie: Option<&'a str>,
    pub range: Option<&'a str>,
    /// `Origin` and `Sec-Fetch-Site`: a member route refuses cross-site POSTs.
    pub origin: Option<&'a str>,
    pub sec_fetch_site: Option<&'a str>,
    /// `Stripe-Signature`: the webhook route verifies it over the raw body.
    pub stripe_signature: Option<&'a str>,
    /// The client's IP (rate limits).
    pub ip: &'a str,
    /// The body of a POST to a member route (within [`body_limit`]); else empty.
    pub body: &'a [u8],
}

/// The largest body read for a request, or `None` when its body is not read at all:
/// only a POST to a member route has one that matters ([`members::http::body_limit`]:
/// the CSV import and the Stripe webhook larger). A bigger body is answered
/// [`too_large`] without reading it.
pub(crate) fn body_limit(method: &str, url: &str) -> Option<usize> {
    let (path, _) = split_url(url);
    let member = path.starts_with(gate::route::MEMBER_PREFIX) && path != gate::session::ME_PATH;
    (method == "POST" && member).then(|| members::http::body_limit(path))
}

/// 413 for a body over [`body_limit`], sent before the rest of the body is read (none
/// of it is kept).
pub(crate) fn too_large() -> Response {
    let mut headers: Vec<(String, String)> = members::http::page_headers()
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    headers.push(("Content-Type".into(), "text/plain; charset=utf-8".into()));
    Response {
        status: 413,
        headers,
        body: b"Payload Too Large\n".to_vec(),
    }
}

/// A complete answer (bodies are small: pages of a site).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    /// The body as for GET; the transport omits it for HEAD but keeps its length.
    pub body: Vec<u8>,
}

impl Response {
    fn new(status: u16, headers: &[(&str, &str)], body: impl Into<Vec<u8>>) -> Response {
        Response {
            status,
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            body: body.into(),
        }
    }

    /// One of the gate's replies, with the live-reload script if it is a page.
    fn from_gate(reply: gate::route::Reply) -> Response {
        let resp = Response {
            status: reply.status,
            headers: reply
                .headers
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
            body: reply.body.into_bytes(),
        };
        if resp
            .header("Content-Type")
            .is_some_and(|t| t.starts_with("text/html"))
        {
            html(resp)
        } else {
            resp
        }
    }

    /// The first value of a header (case-insensitive name).
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn set(&mut self, name: &str, value: &str) {
        self.headers.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
        self.headers.push((name.to_string(), value.to_string()));
    }
}

/// How to answer.
#[derive(Debug)]
pub(crate) enum Reply {
    Response(Response),
    /// Hand the connection to the live-reload event stream.
    LiveReload,
    /// Send the response, then deliver the mail (after answering, so the answer takes
    /// no longer when there is a mail to send than when there is none).
    Mail(Response, Letter),
}

/// The request handler: the host names it answers, configured keys, the optional
/// `--as` preview membership, the folder being served and the builder's shared state.
pub(crate) struct Gatekeeper {
    pub hosts: Hosts,
    pub verifier: Verifier,
    pub preview: Option<Claims>,
    pub dir: PathBuf,
    pub shared: Arc<RwLock<Shared>>,
    pub members: Arc<Members>,
}

impl Gatekeeper {
    /// Answer one request at time `now` (seconds since the Unix epoch).
    pub(crate) fn handle(&self, req: &Request<'_>, now: u64) -> Reply {
        // Before anything else, the live-reload stream included: a page on another
        // name must not read any of it.
        if !self.hosts.allows(req.host, req.url) {
            return Reply::Response(Response::from_gate(host::misdirected()));
        }
        if req.method == "GET" && split_url(req.url).0 == reload::EVENTS_PATH {
            return Reply::LiveReload;
        }
        let outcome = match self.route(req, req.cookie, now) {
            Ok(outcome) => outcome,
            Err(page) => return Reply::Response(page),
        };
        let resp = match outcome {
            Outcome::Member => return self.member(req, now),
            // The session token is missing or expired and a renewal secret came with
            // it: renew from the store, route again with the new token alone, and
            // send the renewal's cookies with whatever that answer is.
            Outcome::Renew => {
                let renewal = self.members.renew(req.cookie, now);
                let cookie = Some(renewal.cookie.as_str()).filter(|c| !c.is_empty());
                let outcome = match self.route(req, cookie, now) {
                    Ok(outcome) => outcome,
                    Err(page) => return Reply::Response(page),
                };
                let mut resp = self.answer(outcome, req);
                for c in renewal.set_cookies {
                    resp.headers.push(("Set-Cookie".into(), c));
                }
                resp
            }
            outcome => self.answer(outcome, req),
        };
        Reply::Response(self.preview_hint(resp))
    }

    /// The gate's outcome for the request with `cookie`, or the build-error page
    /// while there is no manifest.
    fn route(
        &self,
        req: &Request<'_>,
        cookie: Option<&str>,
        now: u64,
    ) -> Result<Outcome, Response> {
        let request = gate::route::Request {
            method: req.method,
            url: req.url,
            authorization: req.authorization,
            cookie,
        };
        let shared = self.shared.read().expect("serve state lock");
        // `log` (why a token was refused) is not printed: the preview never logged
        // requests.
        let routed = route(
            &request,
            shared.manifest.as_ref(),
            || Some(&self.verifier),
            self.preview.as_ref(),
            now,
        );
        match routed.outcome {
            Outcome::NoManifest => Err(build_failed_page(shared.error.as_deref())),
            outcome => Ok(outcome),
        }
    }

    /// The response for an outcome that needs no member layer. HEAD is GET without a
    /// body; the transport drops it.
    fn answer(&self, outcome: Outcome, req: &Request<'_>) -> Response {
        match outcome {
            Outcome::Reply(reply) => Response::from_gate(reply),
            Outcome::Public { path, query } => self.public(&path, &query, req.range),
            Outcome::File { file, range } => self.gated(&file, req.range.filter(|_| range)),
            // As the worker does: the public answer for a path that does not exist. A
            // second renewal cannot happen (the cookie holds no renewal secret now).
            Outcome::NotFound | Outcome::NoManifest | Outcome::Renew | Outcome::Member => {
                self.not_found_probe()
            }
        }
    }

    fn not_found_probe(&self) -> Response {
        self.public(gate::route::NOT_FOUND_PROBE, "", None)
    }

    /// A member route, answered by the `members` flows; a site without member
    /// settings answers it as a missing page.
    fn member(&self, req: &Request<'_>, now: u64) -> Reply {
        let (path, query) = split_url(req.url);
        let request = members::http::Request {
            method: req.method,
            path,
            query,
            host: req.host,
            origin: req.origin,
            sec_fetch_site: req.sec_fetch_site,
            stripe_signature: req.stripe_signature,
            cookie: req.cookie,
            authorization: req.authorization,
            ip: req.ip,
            body: req.body,
        };
        let Some(handled) = self.members.handle(&request, now) else {
            return Reply::Response(self.not_found_probe());
        };
        let resp = match handled.answer {
            members::http::Answer::Reply(reply) => Response::from_gate(reply),
            members::http::Answer::Page { template, secret } => {
                self.confirm_page(template, &secret)
            }
        };
        match handled.letter {
            Some(letter) => Reply::Mail(resp, letter),
            None => Reply::Response(resp),
        }
    }

    /// The confirm page: the bundle's template with the link's secret in its form.
    fn confirm_page(&self, template: &str, secret: &str) -> Response {
        let html = self
            .file(template, Tree::Any)
            .and_then(|path| std::fs::read_to_string(path).ok());
        Response::from_gate(match html {
            Some(html) => members::http::confirm_page(&html, secret),
            None => {
                eprintln!("lyceum serve: the build has no {template}: answering \"try later\"");
                members::http::unavailable(members::http::CONFIRM_PATH)
            }
        })
    }

    /// Under `--as` every visitor reads as a member without signing in, so pages carry the
    /// signed-in hint that lets the theme's script ask `/_lyceum/me` and show the preview
    /// membership (login and logout answers set their own cookies).
    fn preview_hint(&self, mut resp: Response) -> Response {
        let page = resp
            .header("Content-Type")
            .is_some_and(|t| t.starts_with("text/html"));
        if self.preview.is_some() && page && resp.header("Set-Cookie").is_none() {
            let hint = format!("{HINT_COOKIE_NAME}=1; Secure; SameSite=Lax; Path=/");
            resp.headers.push(("Set-Cookie".into(), hint));
        }
        resp
    }

    /// A public file, as a static-assets server with pretty URLs answers it.
    fn public(&self, path: &str, query: &str, range: Option<&str>) -> Response {
        let rel = path.trim_start_matches('/');
        let candidate = if rel.is_empty() || rel.ends_with('/') {
            format!("{rel}index.html")
        } else {
            rel.to_string()
        };
        if let Some(file) = self.file(&candidate, Tree::Public) {
            return file_response(&file, range, &[("Cache-Control", "no-cache")]);
        }
        if !rel.is_empty() && !rel.ends_with('/') {
            let index = format!("{rel}/index.html");
            if self.file(&index, Tree::Public).is_some() {
                // The folder's URL, percent-encoded (a header is ASCII: `/笔记` → `/%E7…/`);
                // the query as sent, with anything not visible ASCII encoded.
                let mut location = asset_url(&index);
                if !query.is_empty() {
                    location.push('?');
                    percent_encode(&mut location, query, |b| b.is_ascii_graphic());
                }
                return Response::new(
                    307,
                    &[
                        ("Location", location.as_str()),
                        ("Cache-Control", "no-cache"),
                    ],
                    "",
                );
            }
            if let Some(file) = self.file(&format!("{rel}.html"), Tree::Public) {
                return file_response(&file, range, &[("Cache-Control", "no-cache")]);
            }
        }
        self.not_found()
    }

    /// A full page or teaser from the bundle, with the gated headers; a missing file is a 404.
    fn gated(&self, file: &str, range: Option<&str>) -> Response {
        match self.file(file, Tree::Any) {
            Some(path) => file_response(&path, range, &GATED_HEADERS),
            None => self.not_found(),
        }
    }

    /// The site's 404 page, with the headers of any public file: one 404 for every
    /// cause, so none tells a gated URL from a missing one.
    fn not_found(&self) -> Response {
        match std::fs::read(self.dir.join("404.html")) {
            Ok(body) => {
                let headers = [
                    ("Content-Type", "text/html; charset=utf-8"),
                    ("Cache-Control", "no-cache"),
                ];
                html(Response::new(404, &headers, body))
            }
            Err(_) => Response::from_gate(gate::route::Reply::plain(404, "Not Found\n")),
        }
    }

    /// An existing regular file at a `/`-separated bundle path: mapped one segment at
    /// a time ([`local_path`]), then resolved, so that what is checked is the file the
    /// OS opens: inside the folder, and for [`Tree::Public`] not under `_gated/` in any
    /// case (Windows and macOS file systems ignore case) nor through a link.
    fn file(&self, rel: &str, tree: Tree) -> Option<PathBuf> {
        let local = local_path(rel).ok()?;
        if tree == Tree::Public && is_private(rel) {
            return None;
        }
        let path = self.dir.join(local);
        if !path.is_file() {
            return None;
        }
        let resolved = path.canonicalize().ok()?;
        let root = self.dir.canonicalize().ok()?;
        let first = resolved.strip_prefix(&root).ok()?.components().next()?;
        let private = is_private(&first.as_os_str().to_string_lossy());
        (tree == Tree::Any || !private).then_some(path)
    }
}

/// Which part of the bundle a lookup may reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tree {
    /// A request path: never the private `_gated/` tree.
    Public,
    /// A file the manifest names for this request (full page or teaser).
    Any,
}

fn file_response(path: &Path, range: Option<&str>, extra: &[(&str, &str)]) -> Response {
    let Ok(body) = std::fs::read(path) else {
        return Response::new(
            404,
            &[("Content-Type", "text/plain; charset=utf-8")],
            "Not Found\n",
        );
    };
    let content_type = content_type(path);
    let mut headers = vec![("Content-Type", content_type), ("Accept-Ranges", "bytes")];
    headers.extend_from_slice(extra);
    let mut resp = Response::new(200, &headers, body);
    if content_type.starts_with("text/html") {
        resp = html(resp);
    }
    match range {
        Some(r) => apply_range(resp, r),
        None => resp,
    }
}

/// Inject the live-reload script into an HTML answer (never into the bundle on disk).
fn html(mut resp: Response) -> Response {
    resp.body = reload::inject(&resp.body);
    resp
}

/// Honour a single `bytes=` range; anything else (several ranges, other units, garbage)
/// is ignored and the whole body sent, as RFC 9110 allows.
fn apply_range(mut resp: Response, header: &str) -> Response {
    let len = resp.body.len() as u64;
    let Some(spec) = header.trim().strip_prefix("bytes=") else {
        return resp;
    };
    if spec.contains(',') {
        return resp;
    }
    let Some((a, b)) = spec.trim().split_once('-') else {
        return resp;
    };
    let (a, b) = (a.trim(), b.trim());
    let bounds = match (a.parse::<u64>().ok(), b.parse::<u64>().ok()) {
        (Some(start), Some(end)) if !b.is_empty() && end >= start => {
            Some((start, end.min(len.saturating_sub(1))))
        }
        (Some(start), None) if b.is_empty() => Some((start, len.saturating_sub(1))),
        (None, Some(n)) if a.is_empty() => {
            if n == 0 {
                None
            } else {
                Some((len.saturating_sub(n), len.saturating_sub(1)))
            }
        }
        _ => return resp,
    };
    match bounds {
        Some((start, end)) if start < len => {
            resp.body = resp.body[start as usize..=end as usize].to_vec();
            resp.status = 206;
            resp.set("Content-Range", &format!("bytes {start}-{end}/{len}"));
            resp
        }
        _ => {
            resp.body.clear();
            resp.status = 416;
            resp.set("Content-Range", &format!("bytes */{len}"));
            resp
        }
    }
}

/// Shown for every page while no build has succeeded yet.
fn build_failed_page(error: Option<&str>) -> Response {
    let text = error.unwrap_or("The site is being built…");
    let body = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>lyceum serve: build failed</title></head>\
         <body><h1>lyceum serve: the site does not build</h1><pre>{}</pre>\
         <p>Fix the error and save; this page reloads by itself.</p></body></html>\n",
        crate::escape::html(text)
    );
    html(Response::new(
        503,
        &[
            ("Content-Type", "text/html; charset=utf-8"),
            ("Cache-Control", "no-store"),
            ("Retry-After", "1"),
        ],
        body,
    ))
}

/// Content type by file extension.
pub(crate) fn content_type(path: &Path) -> &'static str {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    match ext.as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "xml" => "application/xml",
        "atom" => "application/atom+xml",
        "txt" | "md" => "text/plain; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "avif" => "image/avif",
        "ico" => "image/x-icon",
        "woff" => "font/woff",
        "woff2" => "font/woff2",
        "pdf" => "application/pdf",
        "mp4" => "video/mp4",
        "webm" => "video/webm",
        "mp3" => "audio/mpeg",
        "wasm" => "application/wasm",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "unit-test-secret-that-is-32-bytes-long";
    const NOW: u64 = 1_700_000_000;

    fn keeper(preview: Option<&str>) -> (tempfile::TempDir, Gatekeeper) {
        let dir = tempfile::tempdir().unwrap();
        crate::testing::write_files(
            dir.path(),
            &[
                ("index.html", "<html><body>home</body></html>"),
                ("404.html", "<html><body>missing</body></html>"),
                ("style.css", "0123456789"),
                ("a/index.html", "<html><body>public a</body></html>"),
                ("g/index.html", "<html><body>TEASER</body></html>"),
                (
                    "_gated/g/index.html",
                    "<html><body>FULL SECRET</body></html>",
                ),
            ],
        );
        let manifest = Manifest::from_json(
            r#"{"version":1,"levels":["member","pro"],"entries":{"/g/":{"level":"pro","file":"_gated/g/index.html","teaser":"g/index.html"}}}"#,
        )
        .unwrap();
        let verifier = Verifier::from_settings(&gate::Settings {
            secret: Some(SECRET.into()),
            ..Default::default()
        })
        .unwrap();
        let shared = Arc::new(RwLock::new(Shared {
            manifest: Some(manifest),
            error: None,
        }));
        let preview = preview.map(|l| Claims {
            products: Vec::new(),
            sub: "preview".into(),
            level: Some(l.into()),
            exp: u64::MAX / 2,
            sid: None,
        });
        let keeper = Gatekeeper {
            hosts: Hosts::new("127.0.0.1".parse().unwrap()),
            verifier,
            preview,
            dir: dir.path().to_path_buf(),
            shared,
            members: Arc::new(Members::memory(SECRET.as_bytes(), Some(ADMIN.into()))),
        };
        (dir, keeper)
    }

    const ADMIN: &str = "unit-admin-secret";

    /// A keeper whose bundle has member settings and a confirm page.
    fn keeper_with_members() -> (tempfile::TempDir, Gatekeeper) {
        let (d, k) = keeper(None);
        let t = |s: &str| serde_json::json!({"subject": s, "text": format!("{s} __LYCEUM_LINK__ __LYCEUM_CODE__"), "html": "<a href=\"__LYCEUM_LINK__\">go</a>"});
        let json = serde_json::json!({
            "version": 1, "signup": "open", "free_level": "pro",
            "levels": [{"id": "member", "name": "Member"}, {"id": "pro", "name": "Pro"}],
            "link_minutes": 15, "session_days": 30, "token_minutes": 60,
            "site_title": "Unit", "mail": {"signin": t("Sign in"), "signup": t("Welcome")},
        });
        crate::testing::write_files(
            d.path(),
            &[
                ("_gated/_lyceum/members.json", &json.to_string()),
                (
                    "_gated/_lyceum/confirm.html",
                    "<html><body><form method=post action=/_lyceum/confirm><input name=t value=__LYCEUM_CONFIRM_SECRET__></form></body></html>",
                ),
            ],
        );
        k.members.load(d.path()).unwrap();
        (d, k)
    }

    fn post<'a>(path: &'a str, body: &'a str) -> Request<'a> {
        Request {
            method: "POST",
            url: path,
            sec_fetch_site: Some("same-origin"),
            ip: "127.0.0.1",
            body: body.as_bytes(),
            ..Default::default()
        }
    }

    fn handled(k: &Gatekeeper, req: Request<'_>, now: u64) -> (Response, Option<Letter>) {
        let req = Request {
            host: req.host.or(Some("127.0.0.1:1111")),
            ..req
        };
        match k.handle(&req, now) {
            Reply::Response(r) => (r, None),
            Reply::Mail(r, l) => (r, Some(l)),
            Reply::LiveReload => panic!("unexpected live reload"),
        }
    }

    fn cookies(r: &Response) -> String {
        r.headers
            .iter()
            .filter(|(k, _)| k == "Set-Cookie")
            .map(|(_, v)| v.split(';').next().unwrap().to_string())
            .filter(|c| !c.ends_with('='))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn get(k: &Gatekeeper, req: Request<'_>) -> Response {
        match k.handle(
            &Request {
                method: if req.method.is_empty() {
                    "GET"
                } else {
                    req.method
                },
                host: req.host.or(Some("127.0.0.1:1111")),
                ..req
            },
            NOW,
        ) {
            Reply::Response(r) | Reply::Mail(r, _) => r,
            Reply::LiveReload => panic!("unexpected live reload"),
        }
    }

    fn url(u: &str) -> Request<'_> {
        Request {
            url: u,
            ..Default::default()
        }
    }

    fn token(level: &str) -> String {
        let key = crate::token::SigningKey::hs256(SECRET).unwrap();
        let req = crate::token::IssueRequest {
            sub: "ada".into(),
            level: level.into(),
            ttl_secs: 3600,
            kid: None,
            issuer: None,
            audience: None,
        };
        crate::token::issue(&key, &req, NOW).unwrap()
    }

    fn text(r: &Response) -> String {
        String::from_utf8_lossy(&r.body).into_owned()
    }

    #[test]
    fn anonymous_gets_teaser_with_gated_headers_and_script() {
        let (_d, k) = keeper(None);
        let r = get(&k, url("/g/"));
        assert_eq!(r.status, 200);
        assert!(text(&r).contains("TEASER") && !text(&r).contains("SECRET"));
        assert_eq!(r.header("Cache-Control"), Some("private, no-store"));
        assert_eq!(r.header("Vary"), Some("Cookie, Authorization"));
        assert!(text(&r).contains(reload::EVENTS_PATH), "script injected");
        assert!(text(&r).find("<script").unwrap() < text(&r).find("</body>").unwrap());
    }

    #[test]
    fn preview_pages_lacked_the_signed_in_hint() {
        let hint = Some("lyceum_signed_in=1; Secure; SameSite=Lax; Path=/");
        let (_d, k) = keeper(Some("pro"));
        for page in ["/", "/g/", "/a/", "/missing/"] {
            assert_eq!(get(&k, url(page)).header("Set-Cookie"), hint, "{page}");
        }
        assert_eq!(get(&k, url("/style.css")).header("Set-Cookie"), None);
        let (_d, k) = keeper(None);
        assert_eq!(
            get(&k, url("/g/")).header("Set-Cookie"),
            None,
            "only under --as"
        );
    }

    #[test]
    fn member_levels_and_preview() {
        let (_d, k) = keeper(None);
        let pro = format!("Bearer {}", token("pro"));
        let r = get(
            &k,
            Request {
                url: "/g",
                authorization: Some(&pro),
                ..Default::default()
            },
        );
        assert!(text(&r).contains("FULL SECRET"));
        assert_eq!(r.header("Cache-Control"), Some("private, no-store"));
        let member = format!("Bearer {}", token("member"));
        let r = get(
            &k,
            Request {
                url: "/g/",
                authorization: Some(&member),
                ..Default::default()
            },
        );
        assert!(text(&r).contains("TEASER"));
        let (_d, k) = keeper(Some("pro"));
        assert!(text(&get(&k, url("/g/index.html"))).contains("FULL SECRET"));
    }

    #[test]
    fn private_tree_and_unknown_paths_are_404_pages() {
        let (_d, k) = keeper(Some("pro"));
        for u in [
            "/_gated/g/",
            "/_GATED/g/index.html",
            "/%5Fgated/g/",
            "/a/../_gated/g/",
            "/nope",
            "/a%2fb",
        ] {
            let r = get(&k, url(u));
            assert_eq!(r.status, 404, "{u}");
            assert!(text(&r).contains("missing"), "{u}");
            assert_eq!(r.header("Cache-Control"), Some("no-cache"));
        }
    }

    /// A keeper whose bundle has one gated file without a teaser, `/files/pro.pdf` (pro).
    fn keeper_with_gated_pdf() -> (tempfile::TempDir, Gatekeeper) {
        let (d, k) = keeper(None);
        std::fs::create_dir_all(d.path().join("_gated/files")).unwrap();
        std::fs::write(d.path().join("_gated/files/pro.pdf"), "PDF SECRET").unwrap();
        k.shared.write().unwrap().manifest = Some(
            Manifest::from_json(
                r#"{"version":1,"levels":["member","pro"],"entries":{"/files/pro.pdf":{"level":"pro","file":"_gated/files/pro.pdf"}}}"#,
            )
            .unwrap(),
        );
        (d, k)
    }

    /// Regression (issue 9, item 8): a gated file without teaser answered its 404 with
    /// `private, no-store` and `Vary`, a missing path without: the headers confirmed
    /// guessed member-only file names. Every 404 is now the same response.
    #[test]
    fn denied_gated_file_404_is_the_missing_path_404() {
        let (_d, k) = keeper_with_gated_pdf();
        let missing = get(&k, url("/files/nope.pdf"));
        assert_eq!(missing.status, 404);
        for u in ["/files/pro.pdf", "/_gated/files/pro.pdf"] {
            assert_eq!(get(&k, url(u)), missing, "{u}");
        }
    }

    #[test]
    fn public_pretty_urls() {
        let (_d, k) = keeper(None);
        assert!(text(&get(&k, url("/"))).contains("home"));
        let r = get(&k, url("/a?x=1"));
        assert_eq!((r.status, r.header("Location")), (307, Some("/a/?x=1")));
        assert!(text(&get(&k, url("/a/"))).contains("public a"));
        assert_eq!(
            get(&k, url("/style.css")).header("Content-Type"),
            Some("text/css; charset=utf-8")
        );
    }

    #[test]
    fn methods_and_ranges() {
        let (_d, k) = keeper(None);
        let r = get(
            &k,
            Request {
                method: "POST",
                url: "/",
                ..Default::default()
            },
        );
        assert_eq!((r.status, r.header("Allow")), (405, Some("GET, HEAD")));
        let r = get(
            &k,
            Request {
                method: "HEAD",
                url: "/style.css",
                ..Default::default()
            },
        );
        assert_eq!(r.status, 200);
        let ranged = |range: &str| {
            get(
                &k,
                Request {
                    url: "/style.css",
                    range: Some(range),
                    ..Default::default()
                },
            )
        };
        let r = ranged("bytes=2-4");
        assert_eq!(
            (r.status, text(&r), r.header("Content-Range")),
            (206, "234".into(), Some("bytes 2-4/10"))
        );
        assert_eq!(text(&ranged("bytes=-3")), "789");
        assert_eq!(text(&ranged("bytes=7-")), "789");
        assert_eq!(ranged("bytes=10-").status, 416);
        assert_eq!(ranged("bytes=0-1,3-4").status, 200);
        // A teaser ignores Range, as in the worker.
        let r = get(
            &k,
            Request {
                url: "/g/",
                range: Some("bytes=0-1"),
                ..Default::default()
            },
        );
        assert_eq!(r.status, 200);
    }

    /// Regression (issue 11): serve answered every member route with the 404 page, so
    /// nobody could sign up or in on the preview. Sign-up → mail → confirm page (a GET
    /// consumes nothing) → POST → cookies → the member's page → `me`.
    #[test]
    fn member_routes_were_404_pages() {
        let (_d, k) = keeper_with_members();
        let (r, letter) = handled(
            &k,
            post("/_lyceum/signin", "email=ada%40example.org&next=%2Fg%2F"),
            NOW,
        );
        assert_eq!(
            (r.status, r.header("Location")),
            (303, Some("/signin/sent/"))
        );
        let letter = letter.expect("a mail to deliver after answering");
        assert_eq!(letter.message.to, "ada@example.org");
        assert!(letter
            .link
            .starts_with("http://127.0.0.1:1111/_lyceum/confirm?t="));
        assert!(
            letter.message.text.contains(&letter.link)
                && letter.message.text.contains(&letter.code)
        );
        let link = letter.link.strip_prefix("http://127.0.0.1:1111").unwrap();
        let secret = link.split_once("t=").unwrap().1;
        for _ in 0..2 {
            let page = get(&k, url(link));
            assert_eq!(page.status, 200);
            assert!(
                text(&page).contains(&format!("value={secret}>")),
                "{}",
                text(&page)
            );
            assert_eq!(page.header("Cache-Control"), Some("no-store"));
        }
        let body = format!("t={secret}");
        let (r, _) = handled(&k, post("/_lyceum/confirm", &body), NOW);
        assert_eq!((r.status, r.header("Location")), (303, Some("/g/")));
        let jar = cookies(&r);
        assert!(
            jar.contains("__Host-lyceum_session=") && jar.contains("__Host-lyceum_renew="),
            "{jar}"
        );
        let r = get(
            &k,
            Request {
                url: "/g/",
                cookie: Some(&jar),
                ..Default::default()
            },
        );
        assert!(text(&r).contains("FULL SECRET"), "free level pro");
        let r = get(
            &k,
            Request {
                url: "/_lyceum/me",
                cookie: Some(&jar),
                ..Default::default()
            },
        );
        assert!(text(&r).contains("\"pro\""), "{}", text(&r));
        let (again, _) = handled(&k, post("/_lyceum/confirm", &body), NOW);
        assert_eq!(
            again.header("Location"),
            Some("/signin/invalid/"),
            "single use"
        );
    }

    /// Regression (issue 11): `Outcome::Renew` fell back to the 404 page, so a member
    /// whose hour-long session token had expired lost the page. The renewal cookie now
    /// renews it: the full page, and a new session cookie.
    #[test]
    fn an_expired_session_token_with_a_renewal_secret_was_a_404() {
        let (_d, k) = keeper_with_members();
        let (_, letter) = handled(&k, post("/_lyceum/signin", "email=bo%40example.org"), NOW);
        let code = letter.unwrap().code;
        let (r, _) = handled(
            &k,
            post(
                "/_lyceum/code",
                &format!("email=bo%40example.org&code={code}"),
            ),
            NOW,
        );
        let renew = cookies(&r)
            .split("; ")
            .find(|c| c.starts_with("__Host-lyceum_renew="))
            .unwrap()
            .to_string();
        let later = NOW + 2 * 3600;
        let (r, _) = handled(
            &k,
            Request {
                method: "GET",
                url: "/g/",
                cookie: Some(&renew),
                ..Default::default()
            },
            later,
        );
        assert_eq!(r.status, 200);
        assert!(text(&r).contains("FULL SECRET"), "{}", text(&r));
        let set = r.header("Set-Cookie").unwrap();
        assert!(
            set.starts_with("__Host-lyceum_session=") && set.contains("HttpOnly"),
            "{set}"
        );
        // A renewal secret that names no session: the teaser, and the cookies cleared.
        let stale = "__Host-lyceum_renew=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
        let (r, _) = handled(
            &k,
            Request {
                method: "GET",
                url: "/g/",
                cookie: Some(stale),
                ..Default::default()
            },
            later,
        );
        assert!(text(&r).contains("TEASER"));
        assert!(r
            .headers
            .iter()
            .any(|(k, v)| k == "Set-Cookie" && v.starts_with("__Host-lyceum_renew=;")));
    }

    #[test]
    fn body_limits_only_for_member_posts() {
        use members::http::{MAX_BODY_BYTES, MAX_IMPORT_BYTES};
        assert_eq!(body_limit("POST", "/_lyceum/signin"), Some(MAX_BODY_BYTES));
        assert_eq!(
            body_limit("POST", "/_lyceum/admin/members/import?comp_level=pro"),
            Some(MAX_IMPORT_BYTES)
        );
        assert_eq!(body_limit("GET", "/_lyceum/signin"), None);
        assert_eq!(body_limit("POST", "/_lyceum/me"), None);
        assert_eq!(body_limit("POST", "/g/"), None);
        assert_eq!(too_large().status, 413);
    }

    #[test]
    fn without_member_settings_member_routes_are_the_404_page() {
        let (_d, k) = keeper(None);
        let r = get(&k, post("/_lyceum/signin", "email=a%40b.org"));
        assert_eq!(r.status, 404);
        assert!(text(&r).contains("missing"));
    }

    #[test]
    fn no_good_build_yet_shows_escaped_error() {
        let (_d, k) = keeper(None);
        *k.shared.write().unwrap() = Shared {
            manifest: None,
            error: Some("content/a.md:1:1: error: <b>".into()),
        };
        let r = get(&k, url("/a/"));
        assert_eq!(r.status, 503);
        assert!(text(&r).contains("&lt;b&gt;") && !text(&r).contains("<b>"));
        assert!(matches!(
            k.handle(&url_get(reload::EVENTS_PATH), NOW),
            Reply::LiveReload
        ));
        let mut foreign = url_get(reload::EVENTS_PATH);
        foreign.host = Some("evil.example:1111");
        assert!(matches!(k.handle(&foreign, NOW), Reply::Response(r) if r.status == 421));
    }

    /// Regression: serve verified a token only when the anonymous answer was a teaser,
    /// so a member got 404 for a gated file without one (the worker served it).
    #[test]
    fn member_reads_a_gated_file_without_teaser() {
        let (_d, k) = keeper_with_gated_pdf();
        let r = get(&k, url("/files/pro.pdf"));
        assert_eq!(r.status, 404);
        assert!(!text(&r).contains("SECRET"));
        let pro = format!("Bearer {}", token("pro"));
        let req = Request {
            url: "/files/pro.pdf",
            authorization: Some(&pro),
            range: Some("bytes=0-2"),
            ..Default::default()
        };
        let r = get(&k, req);
        assert_eq!((r.status, text(&r)), (206, "PDF".to_string()));
        assert_eq!(r.header("Cache-Control"), Some("private, no-store"));
    }

    /// Regression: the URL → file mapping let `:` and trailing dots and spaces through,
    /// so on Windows `/C:/Windows/win.ini` read any file and `/_gated./x` the private
    /// tree. The names Windows would alias are made real files here (they are plain
    /// names on Linux) to show that serve no longer opens them on any OS.
    #[test]
    fn windows_paths_never_reach_a_file() {
        let (d, k) = keeper(None);
        crate::testing::write_files(
            d.path(),
            &[
                ("C:/Windows/win.ini", "WIN-INI-SECRET"),
                ("_gated./g/index.html", "DOT-ALIAS-SECRET"),
                ("_gated /g/index.html", "SPACE-ALIAS-SECRET"),
                ("a:stream.txt", "STREAM-SECRET"),
                ("con.txt", "DEVICE-SECRET"),
                ("COM1/index.html", "DEVICE-SECRET"),
                ("page.html.", "DOT-SECRET"),
            ],
        );
        for u in [
            "/C:/Windows/win.ini",
            "/C%3A/Windows/win.ini",
            "/_gated./g/",
            "/_gated%2E/g/index.html",
            "/_gated%20/g/",
            "/a:stream.txt",
            "/con.txt",
            "/CON.txt",
            "/COM1/",
            "/COM1",
            "/page.html.",
        ] {
            let r = get(&k, url(u));
            assert_eq!(r.status, 404, "{u}: {}", text(&r));
            assert!(!text(&r).contains("SECRET"), "{u}");
        }
    }

    /// Regression: `_gated` was checked on the URL only; a link in the public tree
    /// resolving into `_gated/` served the full pages. The check is on the resolved file.
    #[cfg(unix)]
    #[test]
    fn gated_check_applies_to_the_resolved_file() {
        let (d, k) = keeper(None);
        std::os::unix::fs::symlink(d.path().join("_gated"), d.path().join("alias")).unwrap();
        std::os::unix::fs::symlink(
            d.path().join("_gated/g/index.html"),
            d.path().join("leak.html"),
        )
        .unwrap();
        for u in ["/alias/g/", "/alias/g/index.html", "/leak.html", "/leak"] {
            let r = get(&k, url(u));
            assert_eq!(r.status, 404, "{u}: {}", text(&r));
            assert!(!text(&r).contains("FULL SECRET"), "{u}");
        }
        // A member still gets the full page the manifest names.
        let (_d, k) = keeper(Some("pro"));
        assert!(text(&get(&k, url("/g/"))).contains("FULL SECRET"));
    }

    /// Regression: the redirect of a folder without its slash put the decoded path in
    /// `Location` (`/笔记/`), which cannot be sent: the answer was a 500.
    #[test]
    fn non_ascii_redirect_location_is_percent_encoded() {
        let (d, k) = keeper(None);
        crate::testing::write_files(
            d.path(),
            &[("笔记/index.html", "notes"), ("a b%/index.html", "odd")],
        );
        let cases = [
            ("/%E7%AC%94%E8%AE%B0", "/%E7%AC%94%E8%AE%B0/"),
            ("/笔记", "/%E7%AC%94%E8%AE%B0/"),
            (
                "/%E7%AC%94%E8%AE%B0?q=%C3%A9",
                "/%E7%AC%94%E8%AE%B0/?q=%C3%A9",
            ),
            ("/笔记?q=é x", "/%E7%AC%94%E8%AE%B0/?q=%C3%A9%20x"),
            ("/a%20b%25", "/a%20b%25/"),
        ];
        for (u, want) in cases {
            let r = get(&k, url(u));
            assert_eq!((r.status, r.header("Location")), (307, Some(want)), "{u}");
            assert!(want.bytes().all(|b| b.is_ascii_graphic()));
        }
    }

    fn url_get(u: &str) -> Request<'_> {
        Request {
            method: "GET",
            url: u,
            host: Some("localhost:1111"),
            ..Default::default()
        }
    }
}
