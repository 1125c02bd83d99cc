//! `lyceum serve` through the real binary, against a copy of `tests/fixtures/site`:
//! the gate's answers over HTTP (teaser, full, `/_gated/` 404, bearer tokens, `me`),
//! and the watch → rebuild → live-reload loop, including a broken edit. The member
//! layer (sign-in, sessions, admin) is in `serve_members.rs`.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::{Duration, Instant};

const PRO_URL: &str = "/courses/deliberate-practice/";
const PRO_CANARY: &str = "CANARY-PRO-7f3a";

mod common;
use common::serve::*;

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
    copy_dir(&site_fixture(), site.path());
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

/// A secret both the test and the serve know, so `lyceum token issue` signs for it.
const REAL_SECRET: &str = "a-real-production-secret-of-at-least-32-bytes";

/// `Authorization: Bearer <token>` of a `level` token from `lyceum token issue`.
fn bearer(s: &Serve, level: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_lyceum"))
        .args([
            "token", "issue", "--sub", "ada", "--level", level, "--ttl", "1h", "--root",
        ])
        .arg(s.site.path())
        .env("LYCEUM_JWT_SECRET", REAL_SECRET)
        .env_remove("LYCEUM_JWT_ISSUER")
        .env_remove("LYCEUM_JWT_AUDIENCE")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    format!("Bearer {}", String::from_utf8(out.stdout).unwrap().trim())
}

/// Regression (issue 11): `GET /_lyceum/login?token=` put a long-lived session token in
/// a URL (logs, history, mail scanners) and signed in on a GET any site could trigger.
/// It is gone: no cookie is set by any GET, and a bearer token from
/// `lyceum token issue` opens the page and `me`.
#[test]
fn get_login_with_a_token_in_the_url_no_longer_signs_in() {
    let s = serve_with(&[], &[("LYCEUM_JWT_SECRET", REAL_SECRET)]);
    let auth = bearer(&s, "pro");
    let token = auth.strip_prefix("Bearer ").unwrap();
    for path in [
        format!("/_lyceum/login?token={token}&next={PRO_URL}"),
        "/_lyceum/logout".to_string(),
    ] {
        let r = get(&s, &path);
        assert!(r.set_cookies().is_empty(), "{path}: {:?}", r.headers);
        assert_ne!(r.status, 303, "{path}");
        assert!(!r.body.contains(token));
    }
    let r = request(&s.origin, "GET", PRO_URL, &[("Authorization", &auth)]);
    assert!(r.body.contains(PRO_CANARY));
    let me = request(&s.origin, "GET", "/_lyceum/me", &[("Authorization", &auth)]);
    assert_eq!(me.status, 200);
    assert!(me.body.contains("\"level\":\"pro\""), "{}", me.body);
    assert_eq!(get(&s, "/_lyceum/me").status, 401);
    // A bearer token in the session cookie is no session: refused.
    let cookie = format!("__Host-lyceum_session={token}");
    let r = request(&s.origin, "GET", PRO_URL, &[("Cookie", &cookie)]);
    assert!(!r.body.contains(PRO_CANARY));
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
    let s = serve_with(&[], &[("LYCEUM_JWT_SECRET", REAL_SECRET)]);
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
    let auth = bearer(&s, "pro");
    let r = request(&s.origin, "GET", PRO_URL, &[("Authorization", &auth)]);
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
/// mint a token that opened every author's preview. It is random per run now: a
/// member's session of one run opens that run, and no other.
#[test]
fn dev_secret_is_random_per_run() {
    let free = |site: &std::path::Path| add_to_site_yaml(site, FREE_MEMBERS);
    let a = serve_site(&[], &[], free);
    let b = serve_site(&[], &[], free);
    let (signed_in, _) = sign_in(&a, "ada@example.org", 1, MEMBER_URL);
    let session = format!(
        "__Host-lyceum_session={}",
        signed_in.cookie("__Host-lyceum_session").unwrap()
    );
    let r = request(&a.origin, "GET", MEMBER_URL, &[("Cookie", &session)]);
    assert!(
        r.body.contains(MEMBER_CANARY),
        "the session opens its own run"
    );
    let r = request(&b.origin, "GET", MEMBER_URL, &[("Cookie", &session)]);
    assert_eq!(r.status, 200);
    assert!(
        !r.body.contains(MEMBER_CANARY),
        "a token of another run is refused"
    );
    assert!(
        !a.banner.contains("lyceum-serve-DEVELOPMENT-ONLY-secret"),
        "{}",
        a.banner
    );
}

const MEMBER_URL: &str = "/essays/member-essay/";
const MEMBER_CANARY: &str = "CANARY-BODY-7f3a";

/// Regression: the banner printed a token (24 h with the development secret, 15 min
/// with a real `LYCEUM_JWT_SECRET`, which opens the deployed site too) into
/// scrollback, CI logs and screen shares. It prints none now, only where to sign up.
#[test]
fn banner_prints_no_token_only_the_sign_in_page() {
    for s in [
        serve_with(&[], &[("LYCEUM_JWT_SECRET", REAL_SECRET)]),
        serve(&[]),
    ] {
        assert!(
            !s.banner.contains("eyJ"),
            "a JWT in the banner: {}",
            s.banner
        );
        assert!(!s.banner.contains("token="), "{}", s.banner);
        let signin = format!("{}/signin/", s.origin);
        assert!(
            s.sign_in
                .as_deref()
                .is_some_and(|l| l.contains(&signin) && l.contains(".lyceum/outbox/")),
            "{}",
            s.banner
        );
    }
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
