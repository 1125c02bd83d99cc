//! The gate as HTTP, for `lyceum serve`: an adapter around [`gate::route`], the very
//! function the edge worker calls, so both answer every request the same way (order
//! of checks, `/_lyceum/*` routes, statuses, headers). Only the I/O differs and lives
//! here: files from the serve folder instead of the Worker's assets binding, the
//! build-error page while no build has succeeded, the live-reload route, and the
//! live-reload script injected into HTML answers.
//!
//! [`Gatekeeper::handle`] is a pure function of the request, the shared state, the
//! folder and the clock, so it is unit-tested without sockets.

use super::reload;
use gate::route::{route, split_url, Outcome};
use gate::session::GATED_HEADERS;
use gate::{Claims, Manifest, Verifier};
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

/// What the builder publishes for the request threads.
#[derive(Debug, Default)]
pub struct Shared {
    /// The manifest of the bundle being served; `None` until a build succeeded.
    pub manifest: Option<Manifest>,
    /// The last build's error report (plain text), if the last build failed.
    pub error: Option<String>,
}

/// One request: what the gate needs, plus `Range` (honoured on public files and a
/// member's full file).
#[derive(Debug, Clone, Default)]
pub struct Request<'a> {
    pub method: &'a str,
    /// The request target (`/path?query`, or absolute form).
    pub url: &'a str,
    pub authorization: Option<&'a str>,
    pub cookie: Option<&'a str>,
    pub range: Option<&'a str>,
}

/// A complete answer (bodies are small: pages of a site).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
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
    pub fn header(&self, name: &str) -> Option<&str> {
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
pub enum Reply {
    Response(Response),
    /// Hand the connection to the live-reload event stream.
    LiveReload,
}

/// The request handler: configured keys, the optional `--as` preview membership, the
/// folder being served and the builder's shared state.
pub struct Gatekeeper {
    pub verifier: Verifier,
    pub preview: Option<Claims>,
    pub dir: PathBuf,
    pub shared: Arc<RwLock<Shared>>,
}

impl Gatekeeper {
    /// Answer one request at time `now` (seconds since the Unix epoch).
    pub fn handle(&self, req: &Request<'_>, now: u64) -> Reply {
        if req.method == "GET" && split_url(req.url).0 == reload::EVENTS_PATH {
            return Reply::LiveReload;
        }
        let request = gate::route::Request {
            method: req.method,
            url: req.url,
            authorization: req.authorization,
            cookie: req.cookie,
        };
        let routed = {
            let shared = self.shared.read().expect("serve state lock");
            let routed = route(
                &request,
                shared.manifest.as_ref(),
                || Some(&self.verifier),
                self.preview.as_ref(),
                now,
            );
            if routed.outcome == Outcome::NoManifest {
                return Reply::Response(build_failed_page(shared.error.as_deref()));
            }
            routed
        };
        // HEAD is GET without a body; the transport drops it. `routed.log` (why a token
        // was refused) is not printed: the preview never logged requests.
        Reply::Response(match routed.outcome {
            Outcome::Reply(reply) => Response::from_gate(reply),
            Outcome::Public { path, query } => self.public(&path, &query, req.range),
            Outcome::File { file, range } => self.gated(&file, req.range.filter(|_| range)),
            // As the worker does: the public answer for a path that does not exist.
            Outcome::NotFound | Outcome::NoManifest => {
                self.public(gate::route::NOT_FOUND_PROBE, "", None)
            }
        })
    }

    /// A public file, as a static-assets server with pretty URLs answers it.
    fn public(&self, path: &str, query: &str, range: Option<&str>) -> Response {
        let rel = path.trim_start_matches('/');
        let candidate = if rel.is_empty() || rel.ends_with('/') {
            format!("{rel}index.html")
        } else {
            rel.to_string()
        };
        if let Some(file) = self.file(&candidate) {
            return file_response(&file, range, &[("Cache-Control", "no-cache")]);
        }
        if !rel.is_empty() && !rel.ends_with('/') {
            if self.file(&format!("{rel}/index.html")).is_some() {
                let location = if query.is_empty() {
                    format!("{path}/")
                } else {
                    format!("{path}/?{query}")
                };
                return Response::new(
                    307,
                    &[
                        ("Location", location.as_str()),
                        ("Cache-Control", "no-cache"),
                    ],
                    "",
                );
            }
            if let Some(file) = self.file(&format!("{rel}.html")) {
                return file_response(&file, range, &[("Cache-Control", "no-cache")]);
            }
        }
        self.not_found()
    }

    /// A full page or teaser from the bundle, with the gated headers; a missing file is a 404.
    fn gated(&self, file: &str, range: Option<&str>) -> Response {
        match self.file(file) {
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

    /// An existing regular file at a `/`-separated bundle path, refusing any path that
    /// could leave the folder.
    fn file(&self, rel: &str) -> Option<PathBuf> {
        if rel.split('/').any(|s| s == ".." || s.contains('\\')) || rel.contains('\0') {
            return None;
        }
        let path = self.dir.join(rel);
        path.is_file().then_some(path)
    }
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
        reload::escape_html(text)
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
pub fn content_type(path: &Path) -> &'static str {
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
            sub: "preview".into(),
            level: l.into(),
            exp: u64::MAX / 2,
        });
        let keeper = Gatekeeper {
            verifier,
            preview,
            dir: dir.path().to_path_buf(),
            shared,
        };
        (dir, keeper)
    }

    fn get(k: &Gatekeeper, req: Request<'_>) -> Response {
        match k.handle(
            &Request {
                method: if req.method.is_empty() {
                    "GET"
                } else {
                    req.method
                },
                ..req
            },
            NOW,
        ) {
            Reply::Response(r) => r,
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
    fn member_levels_and_preview() {
        let (_d, k) = keeper(None);
        let pro = format!("lyceum_session={}", token("pro"));
        let r = get(
            &k,
            Request {
                url: "/g",
                cookie: Some(&pro),
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

    /// Regression (issue 9, item 8): a gated file without teaser answered its 404 with
    /// `private, no-store` and `Vary`, a missing path without: the headers confirmed
    /// guessed member-only file names. Every 404 is now the same response.
    #[test]
    fn denied_gated_file_404_is_the_missing_path_404() {
        let (d, k) = keeper(None);
        std::fs::create_dir_all(d.path().join("_gated/files")).unwrap();
        std::fs::write(d.path().join("_gated/files/pro.pdf"), "PDF SECRET").unwrap();
        k.shared.write().unwrap().manifest = Some(
            Manifest::from_json(
                r#"{"version":1,"levels":["member","pro"],"entries":{"/files/pro.pdf":{"level":"pro","file":"_gated/files/pro.pdf"}}}"#,
            )
            .unwrap(),
        );
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

    #[test]
    fn login_me_logout() {
        let (_d, k) = keeper(None);
        let t = token("pro");
        let login = format!("/_lyceum/login?token={t}&next=/g/");
        let r = get(&k, url(&login));
        assert_eq!(r.status, 303);
        assert_eq!(r.header("Location"), Some("/g/"));
        let cookie = r.header("Set-Cookie").unwrap();
        assert!(
            cookie.starts_with(&format!("lyceum_session={t}")) && cookie.contains("Secure"),
            "{cookie}"
        );
        let r = get(&k, url("/_lyceum/login?token=nope&next=/g/"));
        assert_eq!(r.status, 401);
        assert!(r.header("Set-Cookie").is_none());
        assert!(!text(&r).contains("nope"));
        let r = get(
            &k,
            url(&format!("/_lyceum/login?token={t}&next=//evil.example")),
        );
        assert_eq!(r.header("Location"), Some("/"));
        let r = get(
            &k,
            url(&format!(
                "/_lyceum/login?token={t}&next=%2F%E7%AC%94%E8%AE%B0%2F"
            )),
        );
        assert_eq!(
            r.header("Location"),
            Some("/%E7%AC%94%E8%AE%B0/"),
            "non-ASCII next is sent percent-encoded"
        );

        let c = format!("lyceum_session={t}");
        let r = get(
            &k,
            Request {
                url: "/_lyceum/me",
                cookie: Some(&c),
                ..Default::default()
            },
        );
        assert_eq!(r.status, 200);
        assert!(text(&r).contains("\"pro\""));
        assert_eq!(get(&k, url("/_lyceum/me")).status, 401);
        let r = get(&k, url("/_lyceum/logout"));
        assert_eq!((r.status, r.header("Location")), (303, Some("/")));
        assert!(r.header("Set-Cookie").unwrap().contains("Max-Age=0"));
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
    }

    /// Regression: serve verified a token only when the anonymous answer was a teaser,
    /// so a member got 404 for a gated file without one (the worker served it).
    #[test]
    fn member_reads_a_gated_file_without_teaser() {
        let (d, k) = keeper(None);
        std::fs::create_dir_all(d.path().join("_gated/files")).unwrap();
        std::fs::write(d.path().join("_gated/files/pro.pdf"), "PDF SECRET").unwrap();
        k.shared.write().unwrap().manifest = Some(
            Manifest::from_json(
                r#"{"version":1,"levels":["member","pro"],"entries":{"/files/pro.pdf":{"level":"pro","file":"_gated/files/pro.pdf"}}}"#,
            )
            .unwrap(),
        );
        let r = get(&k, url("/files/pro.pdf"));
        assert_eq!(r.status, 404);
        assert!(!text(&r).contains("SECRET"));
        let pro = format!("lyceum_session={}", token("pro"));
        let req = Request {
            url: "/files/pro.pdf",
            cookie: Some(&pro),
            range: Some("bytes=0-2"),
            ..Default::default()
        };
        let r = get(&k, req);
        assert_eq!((r.status, text(&r)), (206, "PDF".to_string()));
        assert_eq!(r.header("Cache-Control"), Some("private, no-store"));
    }

    fn url_get(u: &str) -> Request<'_> {
        Request {
            method: "GET",
            url: u,
            ..Default::default()
        }
    }
}
