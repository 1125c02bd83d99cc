//! A running `lyceum serve` for the process-level tests (`serve.rs`, `serve_members.rs`):
//! a copy of `tests/fixtures/site` on a free port, raw HTTP/1.1 requests, the banner
//! and the terminal output.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

pub(crate) fn site_fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/site")
}

pub(crate) fn copy_dir(from: &Path, to: &Path) {
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
pub(crate) struct Serve {
    pub(crate) child: Child,
    pub(crate) origin: String,
    pub(crate) sign_in: Option<String>,
    /// Everything printed on stdout up to the `watching` line.
    pub(crate) banner: String,
    pub(crate) site: tempfile::TempDir,
    pub(crate) stderr: mpsc::Receiver<String>,
    pub(crate) stdout: mpsc::Receiver<String>,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn lines(stream: impl Read + Send + 'static) -> mpsc::Receiver<String> {
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

pub(crate) fn serve(extra: &[&str]) -> Serve {
    serve_with(extra, &[])
}

/// `serve` with extra environment variables (the `LYCEUM_JWT_*` and
/// `LYCEUM_ADMIN_SECRET` ones are cleared first).
pub(crate) fn serve_with(extra: &[&str], env: &[(&str, &str)]) -> Serve {
    serve_site(extra, env, |_| {})
}

/// `serve_with` on a copy of the fixture site that `prepare` edits first.
pub(crate) fn serve_site(
    extra: &[&str],
    env: &[(&str, &str)],
    prepare: impl FnOnce(&Path),
) -> Serve {
    let site = tempfile::tempdir().unwrap();
    copy_dir(&site_fixture(), site.path());
    prepare(site.path());
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
        "LYCEUM_ADMIN_SECRET",
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

pub(crate) struct Resp {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: String,
}

impl Resp {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

pub(crate) fn request(origin: &str, method: &str, path: &str, headers: &[(&str, &str)]) -> Resp {
    let hostport = origin.trim_start_matches("http://");
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {hostport}\r\nConnection: close\r\n");
    for (k, v) in headers {
        req += &format!("{k}: {v}\r\n");
    }
    req += "\r\n";
    send(origin, req.as_bytes())
}

/// `GET path` with the given `Host` header (`None`: no Host header at all).
pub(crate) fn get_as_host(s: &Serve, host: Option<&str>, path: &str) -> Resp {
    let mut req = format!("GET {path} HTTP/1.1\r\nConnection: close\r\n");
    if let Some(host) = host {
        req += &format!("Host: {host}\r\n");
    }
    req += "\r\n";
    send(&s.origin, req.as_bytes())
}

/// Send raw request bytes and read the whole answer.
pub(crate) fn send(origin: &str, raw_request: &[u8]) -> Resp {
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

pub(crate) fn get(s: &Serve, path: &str) -> Resp {
    request(&s.origin, "GET", path, &[])
}

/// Poll `path` until its body satisfies `ok` (rebuilds are asynchronous).
pub(crate) fn wait_for(s: &Serve, path: &str, ok: impl Fn(&str) -> bool) -> Resp {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let r = get(s, path);
        if ok(&r.body) || Instant::now() > deadline {
            return r;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The `members:` section that lets a new member read `member` pages.
pub(crate) const FREE_MEMBERS: &str = "members:\n  free_level: member\n";

/// Append `yaml` to the site's site.yaml.
pub(crate) fn add_to_site_yaml(site: &Path, yaml: &str) {
    let path = site.join("site.yaml");
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str(yaml);
    std::fs::write(path, text).unwrap();
}

/// `POST path` with a form body, from the site itself (`Origin` of the serve).
pub(crate) fn post_form(s: &Serve, path: &str, body: &str, headers: &[(&str, &str)]) -> Resp {
    let mut all = vec![("Origin", s.origin.as_str())];
    all.extend_from_slice(headers);
    post_raw(
        s,
        path,
        body.as_bytes(),
        "application/x-www-form-urlencoded",
        &all,
    )
}

/// `POST path` with exactly `headers` (no `Origin` unless given) and `body`.
pub(crate) fn post_raw(
    s: &Serve,
    path: &str,
    body: &[u8],
    content_type: &str,
    headers: &[(&str, &str)],
) -> Resp {
    let hostport = s.origin.trim_start_matches("http://");
    let mut req = format!(
        "POST {path} HTTP/1.1\r\nHost: {hostport}\r\nConnection: close\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req += &format!("{k}: {v}\r\n");
    }
    req += "\r\n";
    let mut raw = req.into_bytes();
    raw.extend_from_slice(body);
    send(&s.origin, &raw)
}

impl Resp {
    /// Every `Set-Cookie` value.
    pub(crate) fn set_cookies(&self) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("Set-Cookie"))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The cookies set (not cleared) as a `Cookie` header: `a=1; b=2`.
    pub(crate) fn jar(&self) -> String {
        self.set_cookies()
            .iter()
            .map(|c| c.split(';').next().unwrap().trim())
            .filter(|c| !c.ends_with('='))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// The value of cookie `name` as set here.
    pub(crate) fn cookie(&self, name: &str) -> Option<String> {
        self.set_cookies()
            .iter()
            .filter_map(|c| {
                c.split(';')
                    .next()?
                    .trim()
                    .strip_prefix(&format!("{name}="))
            })
            .map(str::to_string)
            .next()
    }
}

/// A mail serve wrote to `.lyceum/outbox/`.
#[derive(Debug, Clone)]
pub(crate) struct Mail {
    pub(crate) file: PathBuf,
    pub(crate) to: String,
    pub(crate) subject: String,
    pub(crate) text: String,
    /// The confirm link, as a path and query on the serve.
    pub(crate) link: String,
    pub(crate) code: String,
}

pub(crate) fn outbox(s: &Serve) -> PathBuf {
    s.site.path().join(".lyceum/outbox")
}

/// The `.eml` files of the outbox, oldest first (by their sequence number).
pub(crate) fn mail_files(s: &Serve) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(outbox(s))
        .map(|d| {
            d.map(|e| e.unwrap().path())
                .filter(|p| p.extension().is_some_and(|e| e == "eml"))
                .collect()
        })
        .unwrap_or_default();
    let seq = |p: &PathBuf| -> u64 {
        let stem = p.file_stem().unwrap().to_string_lossy().into_owned();
        stem.rsplit('-').next().unwrap().parse().unwrap()
    };
    files.sort_by_key(seq);
    files
}

/// Wait until the outbox holds `n` mails (serve writes each just after answering)
/// and return the `n`th.
pub(crate) fn wait_mail(s: &Serve, n: usize) -> Mail {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let files = mail_files(s);
        if files.len() >= n {
            return read_mail(&files[n - 1]);
        }
        assert!(
            Instant::now() < deadline,
            "mail {n} never reached the outbox ({} there)",
            files.len()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Parse a `.eml` of serve: its headers and its base64 text part.
pub(crate) fn read_mail(file: &Path) -> Mail {
    use base64::Engine as _;
    let eml = std::fs::read_to_string(file).unwrap();
    let (head, body) = eml.split_once("\r\n\r\n").expect("headers, then a body");
    let header = |name: &str| {
        head.split("\r\n")
            .find_map(|l| l.strip_prefix(&format!("{name}: ")))
            .unwrap_or_else(|| panic!("no {name} in {head}"))
            .to_string()
    };
    let part = body
        .split("Content-Type: text/plain; charset=utf-8\r\n")
        .nth(1)
        .expect("a text part");
    let part = part.split_once("\r\n\r\n").unwrap().1;
    let b64: String = part
        .split("\r\n--")
        .next()
        .unwrap()
        .split_whitespace()
        .collect();
    let text = String::from_utf8(
        base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap(),
    )
    .unwrap();
    let at = text
        .find("/_lyceum/confirm?t=")
        .expect("a confirm link in the text");
    let link: String = text[at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || "/_?=-".contains(*c))
        .collect();
    let code = text
        .split(|c: char| !c.is_ascii_digit())
        .find(|w| w.len() == 6)
        .expect("a 6-digit code")
        .to_string();
    Mail {
        file: file.to_path_buf(),
        to: header("To"),
        subject: header("Subject"),
        text,
        link,
        code,
    }
}

/// Percent-encode a form value.
pub(crate) fn form(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Sign up or in as `email` by the link: the form, the mail, the confirm POST. Returns
/// the confirm answer (its cookies) and the mail.
pub(crate) fn sign_in(s: &Serve, email: &str, nth_mail: usize, next: &str) -> (Resp, Mail) {
    let r = post_form(
        s,
        "/_lyceum/signin",
        &format!("email={}&next={}", form(email), form(next)),
        &[],
    );
    assert_eq!(
        (r.status, r.header("Location")),
        (303, Some("/signin/sent/")),
        "{}",
        r.body
    );
    let mail = wait_mail(s, nth_mail);
    let secret = mail.link.split_once("t=").unwrap().1.to_string();
    let r = post_form(s, "/_lyceum/confirm", &format!("t={secret}"), &[]);
    assert_eq!(r.status, 303, "{}", r.body);
    (r, mail)
}
