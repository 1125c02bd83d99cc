//! `lyceum serve` through the real binary, against a copy of `tests/fixtures/site`:
//! the gate's answers over HTTP (teaser, full, `/_gated/` 404, login / me / logout),
//! and the watch → rebuild → live-reload loop, including a broken edit.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const PRO_URL: &str = "/courses/deliberate-practice/";
const PRO_CANARY: &str = "CANARY-PRO-7f3a";

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/site")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let dest = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &dest);
        } else {
            std::fs::copy(entry.path(), &dest).unwrap();
        }
    }
}

/// A running `lyceum serve` on a free port; killed on drop.
struct Serve {
    child: Child,
    origin: String,
    sign_in: Option<String>,
    /// Everything printed on stdout up to the `watching` line.
    banner: String,
    site: tempfile::TempDir,
    stderr: mpsc::Receiver<String>,
    stdout: mpsc::Receiver<String>,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn lines(stream: impl Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

fn serve(extra: &[&str]) -> Serve {
    serve_with(extra, &[])
}

/// `serve` with extra environment variables (the `LYCEUM_JWT_*` ones are cleared first).
fn serve_with(extra: &[&str], env: &[(&str, &str)]) -> Serve {
    let site = tempfile::tempdir().unwrap();
    copy_dir(&fixture(), site.path());
    let out = site.path().join(".serve-out");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_lyceum"));
    cmd.args(["serve", "--port", "0", "--root"])
        .arg(site.path())
        .arg("--out")
        .arg(&out)
        .args(extra);
    for var in [
        "LYCEUM_JWT_SECRET",
        "LYCEUM_JWT_JWKS",
        "LYCEUM_JWT_ISSUER",
        "LYCEUM_JWT_AUDIENCE",
    ] {
        cmd.env_remove(var);
    }
    cmd.envs(env.iter().copied());
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = lines(child.stdout.take().unwrap());
    let stderr = lines(child.stderr.take().unwrap());
    let mut origin = None;
    let mut sign_in = None;
    let mut banner = String::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        let Ok(line) = stdout.recv_timeout(Duration::from_millis(200)) else {
            assert!(
                child.try_wait().unwrap().is_none(),
                "serve exited: {:?}",
                stderr.try_iter().collect::<Vec<_>>()
            );
            continue;
        };
        banner += &line;
        banner.push('\n');
        let line = line.trim().to_string();
        if let Some(url) = line.strip_prefix("serving") {
            origin = Some(url.trim().trim_end_matches('/').to_string());
        }
        if let Some(url) = line.strip_prefix("sign in") {
            sign_in = Some(url.trim().to_string());
        }
        if line.starts_with("watching") {
            break;
        }
    }
    let origin = origin.expect("serve printed its URL");
    Serve {
        child,
        origin,
        sign_in,
        banner,
        site,
        stderr,
        stdout,
    }
}

struct Resp {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Resp {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

fn request(origin: &str, method: &str, path: &str, headers: &[(&str, &str)]) -> Resp {
    let hostport = origin.trim_start_matches("http://");
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {hostport}\r\nConnection: close\r\n");
    for (k, v) in headers {
        req += &format!("{k}: {v}\r\n");
    }
    req += "\r\n";
    send(origin, req.as_bytes())
}

/// `GET path` with the given `Host` header (`None`: no Host header at all).
fn get_as_host(s: &Serve, host: Option<&str>, path: &str) -> Resp {
    let mut req = format!("GET {path} HTTP/1.1\r\nConnection: close\r\n");
    if let Some(host) = host {
        req += &format!("Host: {host}\r\n");
    }
    req += "\r\n";
    send(&s.origin, req.as_bytes())
}

/// Send raw request bytes and read the whole answer.
fn send(origin: &str, raw_request: &[u8]) -> Resp {
    let hostport = origin.trim_start_matches("http://");
    let mut stream = TcpStream::connect(hostport).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    stream.write_all(raw_request).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().into(), v.trim().into()))
        .collect();
    Resp {
        status,
        headers,
        body: body.to_string(),
    }
}

fn get(s: &Serve, path: &str) -> Resp {
    request(&s.origin, "GET", path, &[])
}

/// Poll `path` until its body satisfies `ok` (rebuilds are asynchronous).
fn wait_for(s: &Serve, path: &str, ok: impl Fn(&str) -> bool) -> Resp {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let r = get(s, path);
        if ok(&r.body) || Instant::now() > deadline {
            return r;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// An open live-reload stream; `until` reads until the text appears (or times out).
struct Events {
    stream: TcpStream,
    seen: String,
}

impl Events {
    fn open(s: &Serve) -> Events {
        let hostport = s.origin.trim_start_matches("http://");
        let mut stream = TcpStream::connect(hostport).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        write!(
            stream,
            "GET /_lyceum/livereload HTTP/1.1\r\nHost: {hostport}\r\n\r\n"
        )
        .unwrap();
        let mut e = Events {
            stream,
            seen: String::new(),
        };
        assert!(
            e.until("event: ok", Duration::from_secs(10)),
            "stream opened: {}",
            e.seen
        );
        e
    }

    fn until(&mut self, text: &str, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        let mut buf = [0u8; 4096];
        while !self.seen.contains(text) && Instant::now() < deadline {
            match self.stream.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => self.seen.push_str(&String::from_utf8_lossy(&buf[..n])),
                Err(_) => {}
            }
        }
        self.seen.contains(text)
    }
}

#[test]
fn anonymous_reads_the_teaser_with_gated_headers() {
    let s = serve(&[]);
    let r = get(&s, PRO_URL);
    assert_eq!(r.status, 200);
    assert!(r.body.contains("The Pro Course"), "{}", r.body);
    assert!(!r.body.contains(PRO_CANARY), "teaser leaks the body");
    assert_eq!(r.header("Cache-Control"), Some("private, no-store"));
    assert_eq!(r.header("Vary"), Some("Cookie, Authorization"));
    assert!(
        r.body.contains("/_lyceum/livereload"),
        "live-reload script injected"
    );
    // Never written into the bundle.
    let on_disk = std::fs::read_to_string(
        s.site
            .path()
            .join(".serve-out/courses/deliberate-practice/index.html"),
    )
    .unwrap();
    assert!(!on_disk.contains("livereload"));

    let r = get(&s, "/_gated/courses/deliberate-practice/");
    assert_eq!(r.status, 404);
    assert!(!r.body.contains(PRO_CANARY));
    assert_eq!(
        get(&s, "/%5Fgated/courses/deliberate-practice/index.html").status,
        404
    );
    assert_eq!(get(&s, "/no/such/page/").status, 404);

    let r = request(&s.origin, "HEAD", PRO_URL, &[]);
    assert_eq!(r.status, 200);
    assert!(r.body.is_empty());
    assert_eq!(request(&s.origin, "POST", PRO_URL, &[]).status, 405);
    // Public pages are public.
    assert_eq!(get(&s, "/").status, 200);
    assert_eq!(get(&s, "/robots.txt").status, 200);
}

/// Regression (issue 9, item 1): serve renders teasers through the same code as the
/// build; a reference above the fold must not carry its definition from below it.
#[test]
fn serve_teaser_carries_no_reference_definitions_from_below_the_fold() {
    let s = serve(&[]);
    let r = get(&s, "/essays/member-essay/");
    assert_eq!(r.status, 200);
    assert!(r.body.contains("OPEN-TEASER-1b2c"), "{}", r.body);
    assert!(r.body.contains("[the invitation][invite]"), "{}", r.body);
    for canary in [
        "CANARY-REFDEF-7f3a",
        "CANARY-REFTITLE-7f3a",
        "CANARY-IMGREF-7f3a",
        "CANARY-FOLD-NOTE-7f3a",
        "CANARY-BODY-7f3a",
    ] {
        assert!(!r.body.contains(canary), "{canary} in the teaser served");
    }
}

#[test]
fn preview_as_pro_reads_the_full_page() {
    let s = serve(&["--as", "pro"]);
    let r = get(&s, PRO_URL);
    assert_eq!(r.status, 200);
    assert!(r.body.contains(PRO_CANARY));
    assert_eq!(r.header("Cache-Control"), Some("private, no-store"));
    let r = request(&s.origin, "GET", PRO_URL, &[("Range", "bytes=0-9")]);
    assert_eq!(r.status, 206);
    assert_eq!(r.body.len(), 10);
    assert_eq!(get(&s, "/_gated/courses/deliberate-practice/").status, 404);
    let me = get(&s, "/_lyceum/me");
    assert_eq!(me.status, 200);
    assert!(me.body.contains("\"pro\""));
}

#[test]
fn unknown_preview_level_is_refused_with_the_valid_ones() {
    let site = tempfile::tempdir().unwrap();
    copy_dir(&fixture(), site.path());
    let out = Command::new(env!("CARGO_BIN_EXE_lyceum"))
        .args(["serve", "--port", "0", "--as", "gold", "--root"])
        .arg(site.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("unknown level `gold`") && err.contains("member, pro"),
        "{err}"
    );
}

#[test]
fn demo_sign_in_link_sets_the_cookie_then_me_and_logout() {
    let s = serve(&[]);
    let link = s.sign_in.clone().expect("a demo sign-in link is printed");
    let path = link.strip_prefix(&s.origin).unwrap().to_string();
    assert!(path.starts_with("/_lyceum/login?token="));
    assert!(path.ends_with(&format!("&next={PRO_URL}")), "{path}");
    let r = get(&s, &path);
    assert_eq!(r.status, 303);
    assert_eq!(r.header("Location"), Some(PRO_URL));
    let cookie = r.header("Set-Cookie").unwrap().to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("Secure") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let session = cookie.split(';').next().unwrap().to_string();

    let r = request(&s.origin, "GET", PRO_URL, &[("Cookie", &session)]);
    assert!(r.body.contains(PRO_CANARY));
    let me = request(&s.origin, "GET", "/_lyceum/me", &[("Cookie", &session)]);
    assert_eq!(me.status, 200);
    assert!(me.body.contains("\"level\":\"pro\""), "{}", me.body);
    assert_eq!(get(&s, "/_lyceum/me").status, 401);

    let bad = get(&s, "/_lyceum/login?token=not.a.token&next=/");
    assert_eq!(bad.status, 401);
    assert!(bad.header("Set-Cookie").is_none());
    assert!(!bad.body.contains("not.a.token"));

    let out = get(&s, "/_lyceum/logout");
    assert_eq!(out.status, 303);
    assert_eq!(out.header("Location"), Some("/"));
    assert!(out
        .header("Set-Cookie")
        .unwrap()
        .starts_with("lyceum_session=;"));
}

#[test]
fn an_edit_is_rebuilt_served_and_announced() {
    let s = serve(&[]);
    let mut events = Events::open(&s);
    let page = s.site.path().join("content/about.md");
    let before = std::fs::read_to_string(&page).unwrap();
    let r = get(&s, "/about/");
    assert_eq!(r.status, 200);
    std::fs::write(&page, format!("{before}\n\nFRESHLY-EDITED-4711\n")).unwrap();
    let r = wait_for(&s, "/about/", |b| b.contains("FRESHLY-EDITED-4711"));
    assert!(
        r.body.contains("FRESHLY-EDITED-4711"),
        "edit was not served"
    );
    assert!(
        events.until("event: reload", Duration::from_secs(30)),
        "{}",
        events.seen
    );

    // A title change reaches the list page of its section too.
    let retitled = before.replacen("title:", "title: Renamed", 1);
    std::fs::write(&page, retitled).unwrap();
    let r = wait_for(&s, "/", |b| b.contains("Renamed"));
    assert!(r.body.contains("Renamed"), "home list not updated");

    // A new page is a full rebuild, and served.
    std::fs::write(
        s.site.path().join("content/essays/new-one.md"),
        "---\ntitle: Brand New\n---\nNEW-PAGE-BODY\n",
    )
    .unwrap();
    let r = wait_for(&s, "/essays/new-one/", |b| b.contains("NEW-PAGE-BODY"));
    assert_eq!(r.status, 200);
}

#[test]
fn a_broken_edit_keeps_the_last_good_site_and_reports_on_the_stream() {
    let s = serve(&[]);
    let mut events = Events::open(&s);
    let page = s.site.path().join("content/courses/pro-course.md");
    let good = std::fs::read_to_string(&page).unwrap();
    std::fs::write(&page, good.replace("level: pro", "level: <platinum>")).unwrap();
    assert!(
        events.until("event: build-error", Duration::from_secs(30)),
        "{}",
        events.seen
    );
    assert!(
        events.until("unknown level", Duration::from_secs(5)),
        "{}",
        events.seen
    );
    assert!(
        events.seen.contains("pro-course.md"),
        "error names the file: {}",
        events.seen
    );
    // The terminal shows the compiler-style report too.
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut stderr = String::new();
    while !stderr.contains("unknown level") && Instant::now() < deadline {
        if let Ok(line) = s.stderr.recv_timeout(Duration::from_millis(200)) {
            stderr += &line;
            stderr.push('\n');
        }
    }
    assert!(
        stderr.contains("content/courses/pro-course.md:"),
        "{stderr}"
    );

    // Last good site still served, still gated.
    let r = get(&s, PRO_URL);
    assert_eq!(r.status, 200);
    assert!(r.body.contains("The Pro Course") && !r.body.contains(PRO_CANARY));
    // A page loaded now gets the error at once on its stream.
    let mut late = Events::open_raw(&s);
    assert!(
        late.until("event: build-error", Duration::from_secs(10)),
        "{}",
        late.seen
    );

    // Fixing it clears the error and reloads. The fix changes the public summary and
    // the gated body, so the rebuilt teaser is told from the old one by its summary
    // (the old page already had "The Pro Course": waiting for that observed nothing).
    std::fs::write(
        &page,
        good.replace(
            "deliberate practice.",
            "deliberate practice. SUMMARY-FIXED-9",
        )
        .replace("CANARY-PRO-7f3a", "CANARY-PRO-7f3a FIXED-AGAIN"),
    )
    .unwrap();
    assert!(
        events.until("event: reload", Duration::from_secs(30)),
        "{}",
        events.seen
    );
    let r = wait_for(&s, PRO_URL, |b| b.contains("SUMMARY-FIXED-9"));
    assert!(
        r.body.contains("SUMMARY-FIXED-9"),
        "the fix was not served: {}",
        r.body
    );
    assert!(
        !r.body.contains("FIXED-AGAIN"),
        "teaser still hides the body"
    );
    // And the member's full page is the fixed one.
    let login = get(&s, &sign_in_path(&s));
    let session = login
        .header("Set-Cookie")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let r = request(&s.origin, "GET", PRO_URL, &[("Cookie", &session)]);
    assert!(r.body.contains("CANARY-PRO-7f3a FIXED-AGAIN"), "{}", r.body);
    let _ = &s.stdout;
}

impl Events {
    /// Open without waiting for `ok` (the first event may be an error).
    fn open_raw(s: &Serve) -> Events {
        let hostport = s.origin.trim_start_matches("http://");
        let mut stream = TcpStream::connect(hostport).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        write!(
            stream,
            "GET /_lyceum/livereload HTTP/1.1\r\nHost: {hostport}\r\n\r\n"
        )
        .unwrap();
        Events {
            stream,
            seen: String::new(),
        }
    }
}

fn port(s: &Serve) -> &str {
    s.origin.rsplit(':').next().unwrap()
}

/// The path and query of the banner's sign-in link.
fn sign_in_path(s: &Serve) -> String {
    let link = s.sign_in.clone().expect("a sign-in link is printed");
    link.strip_prefix(&s.origin).unwrap().to_string()
}

/// The claims of the banner's sign-in token.
fn sign_in_claims(s: &Serve) -> serde_json::Value {
    use base64::Engine as _;
    let path = sign_in_path(s);
    let token = path
        .split_once("token=")
        .unwrap()
        .1
        .split('&')
        .next()
        .unwrap();
    let payload = token.split('.').nth(1).unwrap();
    let json = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    serde_json::from_slice(&json).unwrap()
}

/// Regression (DNS rebinding): serve answered any `Host`, so a page on
/// `evil.example` rebound to 127.0.0.1 could read the site with the visitor's cookie
/// or a self-minted token. Only the loopback names are answered now.
#[test]
fn dns_rebinding_a_foreign_host_is_misdirected() {
    let s = serve(&["--as", "pro"]);
    let p = port(&s);
    for host in [
        format!("evil.example:{p}"),
        "evil.example".into(),
        format!("localhost.evil.example:{p}"),
        format!("127.0.0.1.evil.example:{p}"),
        format!("localhost:{p}@evil.example"),
        String::new(),
    ] {
        for path in [PRO_URL, "/", "/_lyceum/me", "/_lyceum/livereload"] {
            let r = get_as_host(&s, Some(&host), path);
            assert_eq!(r.status, 421, "Host {host:?} {path}: {}", r.body);
            assert!(!r.body.contains(PRO_CANARY), "Host {host:?} {path}");
            assert!(!r.body.contains("<html"), "a short plain body: {}", r.body);
            assert_eq!(r.header("Content-Type"), Some("text/plain; charset=utf-8"));
        }
    }
    // The absolute form names the host too (it overrides Host).
    let r = get_as_host(&s, Some(&format!("127.0.0.1:{p}")), "http://evil.example/");
    assert_eq!(r.status, 421, "{}", r.body);
    // No Host at all (HTTP/1.0) is refused too: nothing says which site was meant.
    let r = send(&s.origin, b"GET / HTTP/1.0\r\n\r\n");
    assert_eq!(r.status, 421, "{}", r.body);

    for host in [
        format!("localhost:{p}"),
        format!("LocalHost:{p}"),
        format!("127.0.0.1:{p}"),
        format!("[::1]:{p}"),
        "localhost".into(),
        "127.0.0.1".into(),
    ] {
        let r = get_as_host(&s, Some(&host), PRO_URL);
        assert_eq!(r.status, 200, "Host {host:?}");
        assert!(r.body.contains(PRO_CANARY), "Host {host:?}");
    }
    let r = get_as_host(
        &s,
        Some(&format!("localhost:{p}")),
        &format!("http://localhost:{p}/"),
    );
    assert_eq!(r.status, 200, "{}", r.body);
}

/// Regression: the development secret was a constant in the source, so anyone could
/// mint a token that opened every author's preview. It is random per run now: the
/// sign-in link of one run opens that run, and no other.
#[test]
fn dev_secret_is_random_per_run() {
    let a = serve(&[]);
    let b = serve(&[]);
    let link = sign_in_path(&a);
    assert_eq!(get(&a, &link).status, 303, "the link opens its own run");
    let r = get(&b, &link);
    assert_eq!(r.status, 401, "a token of another run is refused");
    assert!(r.header("Set-Cookie").is_none());
    assert!(
        !a.banner.contains("lyceum-serve-DEVELOPMENT-ONLY-secret"),
        "{}",
        a.banner
    );
}

/// Regression: with a real `LYCEUM_JWT_SECRET` the banner printed a production token
/// valid for 24 h (in scrollback, CI logs, screen shares). It lives 15 minutes now, and
/// the banner says so.
#[test]
fn real_secret_banner_token_lives_at_most_15_minutes() {
    let secret = "a-real-production-secret-of-at-least-32-bytes";
    let s = serve_with(&[], &[("LYCEUM_JWT_SECRET", secret)]);
    let claims = sign_in_claims(&s);
    let ttl = claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap();
    assert!(ttl <= 15 * 60, "banner token lives {ttl} s: {}", s.banner);
    assert!(s.banner.contains("15 min"), "{}", s.banner);
    assert_eq!(get(&s, &sign_in_path(&s)).status, 303, "the link works");
    // The development secret's run still prints a link that works for the session.
    let dev = serve(&[]);
    assert_eq!(get(&dev, &sign_in_path(&dev)).status, 303);
}

/// Regression: `/笔记` (a real section, without its slash) answered 500: the redirect
/// put the decoded path in `Location`, which cannot be sent. It is percent-encoded now.
#[test]
fn non_ascii_section_without_slash_redirects_percent_encoded() {
    let s = serve(&[]);
    let r = get(&s, "/%E7%AC%94%E8%AE%B0");
    assert_eq!(r.status, 307, "{}", r.body);
    assert_eq!(r.header("Location"), Some("/%E7%AC%94%E8%AE%B0/"));
    let r = get(&s, "/%E7%AC%94%E8%AE%B0?q=%C3%A9&x=1");
    assert_eq!(r.status, 307, "{}", r.body);
    assert_eq!(
        r.header("Location"),
        Some("/%E7%AC%94%E8%AE%B0/?q=%C3%A9&x=1")
    );
    let r = get(&s, "/%E7%AC%94%E8%AE%B0/");
    assert_eq!(r.status, 200);
}

/// Regression: a request URL reached the terminal raw, so escape sequences in it
/// (`ESC[2J`, OSC 52 …) were run by the author's terminal. Log lines escape them.
#[test]
fn control_characters_from_urls_are_escaped_in_the_terminal() {
    let s = serve(&[]);
    let mut raw = b"GET /x\x1b[2J\x07 HTTP/1.1\r\nHost: evil\x1b]52;c;QQ==\x07.example\r\nConnection: close\r\n\r\n".to_vec();
    let r = send(&s.origin, &raw);
    assert_eq!(r.status, 421);
    raw.clear();
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut stderr = String::new();
    while !stderr.contains("evil") && Instant::now() < deadline {
        if let Ok(line) = s.stderr.recv_timeout(Duration::from_millis(200)) {
            stderr += &line;
            stderr.push('\n');
        }
    }
    assert!(stderr.contains("evil"), "the refusal is logged: {stderr:?}");
    assert!(
        !stderr.contains('\x1b') && !stderr.contains('\x07'),
        "raw control characters reached the terminal: {stderr:?}"
    );
    assert!(stderr.contains("\\u{1b}"), "{stderr:?}");
}

/// Two `Host` headers name no one site: refused like a foreign one, whichever comes first.
#[test]
fn dns_rebinding_two_host_headers_are_misdirected() {
    let s = serve(&["--as", "pro"]);
    let p = port(&s);
    for (a, b) in [
        (format!("127.0.0.1:{p}"), "evil.example".to_string()),
        ("evil.example".to_string(), format!("127.0.0.1:{p}")),
    ] {
        let raw = format!(
            "GET {PRO_URL} HTTP/1.1\r\nHost: {a}\r\nHost: {b}\r\nConnection: close\r\n\r\n"
        );
        let r = send(&s.origin, raw.as_bytes());
        assert_eq!(r.status, 421, "{a} then {b}: {}", r.body);
        assert!(!r.body.contains(PRO_CANARY));
    }
}

/// Regression (Windows paths): serve mapped `/C:/…`, `/_gated./…` and device names to
/// files; on Windows those are another drive, the private tree and a device. Made
/// plain files here (they are plain names on Linux), they are still never served.
#[test]
fn windows_paths_drive_dot_and_device_names_are_404() {
    let s = serve(&[]);
    let out = s.site.path().join(".serve-out");
    for (file, text) in [
        ("C:/Windows/win.ini", "WIN-INI-SECRET"),
        (
            "_gated./courses/deliberate-practice/index.html",
            "DOT-ALIAS-SECRET",
        ),
        ("con.txt", "DEVICE-SECRET"),
        ("a:b.txt", "STREAM-SECRET"),
    ] {
        let path = out.join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    for url in [
        "/C:/Windows/win.ini",
        "/C%3A/Windows/win.ini",
        "/_gated./courses/deliberate-practice/",
        "/_gated%2E/courses/deliberate-practice/index.html",
        "/con.txt",
        "/CON.TXT",
        "/a:b.txt",
    ] {
        let r = get(&s, url);
        assert_eq!(r.status, 404, "{url}: {}", r.body);
        assert!(!r.body.contains("SECRET"), "{url}");
    }
    assert_eq!(get(&s, "/robots.txt").status, 200, "plain names still work");
}
