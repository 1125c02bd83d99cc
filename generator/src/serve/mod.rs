//! `lyceum serve`: build the site into a folder of its own, serve it through the gate
//! exactly as the edge worker does, watch the sources, rebuild what changed and
//! live-reload the browser.
//!
//! - `live`: the in-memory site and its full / in-place rebuilds.
//! - `http`: requests → the gate's decision → responses (the worker's twin).
//! - `host`: the `Host` names answered (DNS rebinding).
//! - `local_path`: bundle paths → file names, refusing what Windows would alias.
//! - `log`: request text made safe for the terminal.
//! - `members`: the member layer (sign-in, sessions, admin API) on `.lyceum/members.sqlite`.
//! - `outbox`: sign-in mail to the terminal and `.lyceum/outbox/`.
//! - `reload`: the Server-Sent Events stream and the injected script.
//! - `watch`: debounced file watching.
//!
//! Threads: a small pool answers HTTP requests (each event stream gets a thread of its
//! own); the calling thread watches and rebuilds, publishing each good build's manifest
//! (or the error) through `http::Shared`.

pub(crate) mod host;
pub(crate) mod http;
pub(crate) mod live;
pub(crate) mod local_path;
pub(crate) mod log;
pub(crate) mod members;
pub(crate) mod outbox;
pub(crate) mod reload;
pub(crate) mod watch;

pub use self::members::{ADMIN_SECRET_FILE, ENV_ADMIN_SECRET, STATE_DIR};

use crate::token as tok;
use anyhow::Context as _;
use std::io::IsTerminal as _;
use std::io::Read as _;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Instant;

/// Threads answering requests (event streams have their own).
const WORKERS: usize = 4;

/// A fresh HS256 secret for this run, used when no `LYCEUM_JWT_SECRET` is set. Random
/// per run (never a constant in the source, which anyone could mint tokens with) and
/// never printed: it signs the session tokens of members who sign in on this run.
fn dev_secret() -> anyhow::Result<String> {
    use base64::Engine as _;
    let mut bytes = [0u8; 32];
    getrandom::getrandom(&mut bytes)
        .map_err(|e| anyhow::anyhow!("no randomness for the development secret: {e}"))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

/// What to serve and how.
#[derive(Debug, Clone)]
pub struct Options {
    pub root: PathBuf,
    pub bind: IpAddr,
    /// 0 picks a free port.
    pub port: u16,
    /// `--as LEVEL`: treat every request without a valid token as this level's member.
    pub preview: Option<String>,
    pub drafts: bool,
    pub open: bool,
    pub quiet: bool,
    /// Serve folder; default: one per site under the system temp folder.
    pub out: Option<PathBuf>,
}

/// The default serve folder of a site: under the system temp folder, one per site root,
/// so it is never the user's `dist/` and repeated runs reuse (not pile up) folders.
pub fn default_out_dir(root: &Path) -> PathBuf {
    use std::hash::{Hash as _, Hasher as _};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    root.hash(&mut h);
    std::env::temp_dir()
        .join(format!("lyceum-serve-{:016x}", h.finish()))
        .join("site")
}

/// Verification settings from the environment, with a random development secret when
/// `LYCEUM_JWT_SECRET` is not set (session tokens are HS256 with it, JWKS or not).
/// Returns the verifier, the HS256 secret, and whether it is the development one.
fn verifier() -> anyhow::Result<(gate::Verifier, String, bool)> {
    let mut settings = gate::Settings::from_env(|k| std::env::var(k).ok());
    let dev = settings.secret.as_deref().is_none_or(|s| s.is_empty());
    if dev {
        settings.secret = Some(dev_secret()?);
    }
    let verifier =
        gate::Verifier::from_settings(&settings).context("token settings from the environment")?;
    Ok((verifier, settings.secret.unwrap_or_default(), dev))
}

/// Run until killed.
pub fn run(options: Options) -> anyhow::Result<()> {
    let root = options
        .root
        .canonicalize()
        .with_context(|| format!("site root `{}` not found", options.root.display()))?;
    if !root.join("site.yaml").is_file() {
        anyhow::bail!(
            "`{}` has no site.yaml; run `lyceum serve` in a site root or pass --root",
            root.display()
        );
    }
    let preview = match &options.preview {
        Some(level) => {
            let levels = tok::site_levels(&root)?.unwrap_or_default();
            tok::check_level(level, &levels).context("--as")?;
            Some(gate::Claims {
                products: Vec::new(),
                sub: "preview".into(),
                level: Some(level.clone()),
                exp: u64::MAX / 4,
                sid: None,
            })
        }
        None => None,
    };
    let (verifier, secret, dev) = verifier()?;
    let state = members::state_dir(&root);
    let admin = members::admin_secret(&state, std::env::var(ENV_ADMIN_SECRET).ok())?;
    let member_layer = Arc::new(members::Members::open(
        &state.join(members::DB_FILE),
        secret.as_bytes(),
        Some(admin.secret().to_string()),
    )?);
    let outbox = outbox::Outbox::new(
        state.join(members::OUTBOX_DIR),
        format!("{STATE_DIR}/{}", members::OUTBOX_DIR),
    );

    let server = tiny_http::Server::http(SocketAddr::new(options.bind, options.port))
        .map_err(|e| anyhow::anyhow!("cannot listen on {}:{}: {e}", options.bind, options.port))?;
    let addr = server.server_addr().to_ip().context("server address")?;
    let host = match addr.ip() {
        ip if ip.is_unspecified() => "127.0.0.1".to_string(),
        IpAddr::V6(ip) => format!("[{ip}]"),
        ip => ip.to_string(),
    };
    let origin = format!("http://{host}:{}", addr.port());
    let out = options
        .out
        .clone()
        .unwrap_or_else(|| default_out_dir(&root));
    let color = std::io::stderr().is_terminal();

    let mut live = live::Live::new(live::LiveOptions {
        root: root.clone(),
        out: out.clone(),
        drafts: options.drafts,
        base_url: origin.clone(),
    });
    let shared = Arc::new(RwLock::new(http::Shared::default()));
    let hub = Arc::new(reload::Hub::default());
    let start = Instant::now();
    match live.full() {
        Ok(r) => {
            if !options.quiet {
                println!(
                    "lyceum serve: built {} pages ({} files) in {} ms",
                    r.pages,
                    r.files,
                    start.elapsed().as_millis()
                );
            }
            shared.write().expect("lock").manifest = live.manifest();
        }
        Err(e) => {
            let text = live::error_text(&e, false);
            eprint!("{}", live::error_text(&e, color));
            eprintln!("lyceum serve: the site does not build yet; serving the error until it does");
            shared.write().expect("lock").error = Some(text);
        }
    }

    let signup = member_layer.load(&out);
    let keeper = Arc::new(http::Gatekeeper {
        hosts: host::Hosts::new(addr.ip()),
        verifier,
        preview,
        dir: out.clone(),
        shared: shared.clone(),
        members: member_layer.clone(),
    });
    let server = Arc::new(server);
    let outbox = Arc::new(outbox);
    for _ in 0..WORKERS {
        let (server, keeper, hub, outbox) =
            (server.clone(), keeper.clone(), hub.clone(), outbox.clone());
        std::thread::spawn(move || worker(&server, &keeper, &hub, &outbox));
    }

    let watcher = watch::Watcher::new(&root).context("cannot watch the site's files")?;
    print_banner(&options, &origin, &out, dev, &signup, &admin, &root);
    if options.open {
        open_browser(&format!("{origin}/"));
    }

    while let Some(batch) = watcher.next_batch() {
        let start = Instant::now();
        let what = describe(&batch);
        match live.apply(&batch) {
            Ok(r) => {
                {
                    let mut s = shared.write().expect("lock");
                    s.manifest = live.manifest();
                    s.error = None;
                }
                // The rebuilt site's member settings (site.yaml or mail templates may
                // have changed).
                if let Err(e) = member_layer.load(&out) {
                    eprintln!("lyceum serve: member routes off: {e}");
                }
                hub.broadcast(&reload::frame("ok", ""));
                hub.broadcast(&reload::frame("reload", &what));
                if !options.quiet {
                    let kind = if r.full { "full rebuild" } else { "updated" };
                    println!(
                        "{kind}: {what} in {} ms ({} files; changed pages ready in {} ms)",
                        start.elapsed().as_millis(),
                        r.files,
                        r.first_ready.as_millis()
                    );
                }
            }
            Err(e) => {
                let text = live::error_text(&e, false);
                eprint!("{}", live::error_text(&e, color));
                eprintln!("lyceum serve: build failed after changing {what}; still serving the last good site");
                shared.write().expect("lock").error = Some(text.clone());
                hub.broadcast(&reload::frame("build-error", &text));
            }
        }
    }
    anyhow::bail!("the file watcher stopped")
}

/// One request thread: answer requests until the server goes away.
fn worker(
    server: &tiny_http::Server,
    keeper: &http::Gatekeeper,
    hub: &reload::Hub,
    outbox: &outbox::Outbox,
) {
    while let Ok(mut request) = server.recv() {
        let header = |name: &'static str| {
            request
                .headers()
                .iter()
                .find(|h| h.field.equiv(name))
                .map(|h| h.value.as_str().to_string())
        };
        // Two `Host` headers name no one site (RFC 9112 §3.2): as if there were none.
        let hosts = request.headers().iter().filter(|h| h.field.equiv("Host"));
        let host = header("Host").filter(|_| hosts.count() == 1);
        let (authorization, cookie, range) =
            (header("Authorization"), header("Cookie"), header("Range"));
        let (origin, sec_fetch_site) = (header("Origin"), header("Sec-Fetch-Site"));
        let stripe_signature = header("Stripe-Signature");
        let declared = header("Content-Length");
        let method = request.method().as_str().to_string();
        let url = request.url().to_string();
        // The peer's address: serve is reached directly, so no forwarding header is
        // believed.
        let ip = request
            .remote_addr()
            .map(|a| a.ip().to_string())
            .unwrap_or_default();
        let body = match http::body_limit(&method, &url) {
            Some(limit) => match read_body(&mut request, declared.as_deref(), limit) {
                Some(body) => body,
                None => {
                    let _ = request.respond(to_tiny(http::too_large(), &url));
                    continue;
                }
            },
            None => Vec::new(),
        };
        let now = tok::now();
        let req = http::Request {
            method: &method,
            url: &url,
            host: host.as_deref(),
            authorization: authorization.as_deref(),
            cookie: cookie.as_deref(),
            range: range.as_deref(),
            origin: origin.as_deref(),
            sec_fetch_site: sec_fetch_site.as_deref(),
            stripe_signature: stripe_signature.as_deref(),
            ip: &ip,
            body: &body,
        };
        match keeper.handle(&req, now) {
            http::Reply::LiveReload => {
                let rx = hub.subscribe();
                let first = match &keeper.shared.read().expect("lock").error {
                    Some(text) => reload::frame("build-error", text),
                    None => reload::frame("ok", ""),
                };
                let writer = request.into_writer();
                std::thread::spawn(move || reload::stream(writer, &first, rx));
            }
            http::Reply::Response(resp) => {
                if resp.status == 421 {
                    log_refused_host(host.as_deref(), &url);
                }
                let _ = request.respond(to_tiny(resp, &url));
            }
            http::Reply::Mail(resp, letter) => {
                let _ = request.respond(to_tiny(resp, &url));
                outbox.deliver(&letter, now);
            }
        }
    }
}

/// The body, at most `limit` bytes; `None` when it is bigger (by its `Content-Length`,
/// before reading anything, or once `limit + 1` bytes came) or cannot be read.
fn read_body(
    request: &mut tiny_http::Request,
    declared: Option<&str>,
    limit: usize,
) -> Option<Vec<u8>> {
    if declared
        .and_then(|d| d.trim().parse::<u64>().ok())
        .is_some_and(|n| n > limit as u64)
    {
        return None;
    }
    let mut body = Vec::new();
    request
        .as_reader()
        .take(limit as u64 + 1)
        .read_to_end(&mut body)
        .ok()?;
    (body.len() <= limit).then_some(body)
}

/// Hosts already reported as refused (at most [`REFUSED_HOSTS_LOGGED`]), so a page
/// retrying in a loop does not flood the terminal.
static REFUSED_HOSTS: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
const REFUSED_HOSTS_LOGGED: usize = 16;

/// Say once per host that a request was refused for its `Host` (it may be a
/// DNS-rebinding page the author has open, or a name to add to the bind).
fn log_refused_host(host: Option<&str>, url: &str) {
    let host = host.unwrap_or("(none)").to_string();
    let mut seen = REFUSED_HOSTS.lock().unwrap_or_else(|e| e.into_inner());
    if seen.contains(&host) || seen.len() >= REFUSED_HOSTS_LOGGED {
        return;
    }
    eprintln!("{}", refused_host_line(&host, url));
    seen.push(host);
}

/// The log line for a refused host: the host and the request's path (not its query:
/// a sign-in link carries a token there), escaped ([`log::printable`]).
fn refused_host_line(host: &str, url: &str) -> String {
    format!(
        "lyceum serve: refused a request for Host `{}` ({}): only localhost, 127.0.0.1 and [::1] are answered (DNS rebinding)",
        log::printable(host),
        log::printable(gate::route::split_url(url).0),
    )
}

/// Header names already reported as unsendable, so a broken header is logged once, not
/// on every request.
static BAD_HEADERS: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

/// A gate [`http::Response`] as a tiny_http response. A header that cannot be sent as is
/// (a name that is not an HTTP token; a value with non-ASCII bytes, which tiny_http
/// refuses, or CR/LF and other control characters, which it would send and so split the
/// response) is never dropped silently: dropping `Cache-Control: private` or a
/// `Set-Cookie` would change what the gate decided. The whole answer becomes a 500 and
/// the header's name (never its value: it may carry a token) is logged once.
fn to_tiny(resp: http::Response, url: &str) -> tiny_http::Response<std::io::Cursor<Vec<u8>>> {
    let mut headers = Vec::with_capacity(resp.headers.len());
    for (name, value) in &resp.headers {
        match sendable_header(name, value) {
            Some(h) => headers.push(h),
            None => {
                let mut seen = BAD_HEADERS.lock().unwrap_or_else(|e| e.into_inner());
                if !seen.contains(name) {
                    seen.push(name.clone());
                    eprintln!("{}", bad_header_line(name, url));
                }
                return internal_error();
            }
        }
    }
    let len = resp.body.len();
    tiny_http::Response::new(
        tiny_http::StatusCode(resp.status),
        headers,
        std::io::Cursor::new(resp.body),
        Some(len),
        None,
    )
}

/// The log line for an unsendable header: its name (never its value: it may carry a
/// token) and the request's path (not its query, for the same reason), both escaped
/// ([`log::printable`]).
fn bad_header_line(name: &str, url: &str) -> String {
    format!(
        "lyceum serve: internal error: response header `{}` for {} cannot be sent (non-ASCII or control characters); answering 500",
        log::printable(name),
        log::printable(gate::route::split_url(url).0),
    )
}

/// `name: value` when both can go on the wire unchanged.
fn sendable_header(name: &str, value: &str) -> Option<tiny_http::Header> {
    let token = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
    let visible = |b: u8| b == b'\t' || (b' '..=b'~').contains(&b);
    if name.is_empty() || !name.bytes().all(token) || !value.bytes().all(visible) {
        return None;
    }
    tiny_http::Header::from_bytes(name.as_bytes(), value.as_bytes()).ok()
}

/// A bare 500 that carries nothing of the response it replaces.
fn internal_error() -> tiny_http::Response<std::io::Cursor<Vec<u8>>> {
    let body = b"500 internal error: lyceum serve could not send this response; see the terminal\n"
        .to_vec();
    let len = body.len();
    let headers = [
        "Content-Type: text/plain; charset=utf-8",
        "Cache-Control: no-store",
    ]
    .iter()
    .filter_map(|h| h.parse().ok())
    .collect();
    tiny_http::Response::new(
        tiny_http::StatusCode(500),
        headers,
        std::io::Cursor::new(body),
        Some(len),
        None,
    )
}

/// `content/a.md`, or `content/a.md and 2 more`.
fn describe(batch: &std::collections::BTreeSet<PathBuf>) -> String {
    let mut names = batch.iter().map(|p| crate::build::content::slash_path(p));
    match (names.next(), batch.len()) {
        (Some(first), 1) => first,
        (Some(first), n) => format!("{first} and {} more", n - 1),
        (None, _) => "nothing".into(),
    }
}

fn print_banner(
    options: &Options,
    origin: &str,
    out: &Path,
    dev: bool,
    signup: &Result<::members::Signup, String>,
    admin: &members::AdminSecret,
    root: &Path,
) {
    if options.quiet {
        println!("serving {origin}/");
        return;
    }
    println!();
    println!("  serving   {origin}/");
    println!(
        "  from      {} (a preview build; `lyceum build` writes dist/)",
        out.display()
    );
    if dev {
        println!(
            "  tokens    a random development secret, new each run (no LYCEUM_JWT_SECRET set)"
        );
    } else {
        println!(
            "  tokens    verified with LYCEUM_JWT_SECRET / LYCEUM_JWT_JWKS from the environment"
        );
    }
    if let Some(level) = &options.preview {
        println!("  preview   every visitor without a token reads as a `{level}` member (--as)");
    }
    let signin = format!("{origin}{}", ::members::http::SIGNIN_PAGE);
    let outbox = format!("{STATE_DIR}/{}/", members::OUTBOX_DIR);
    match signup {
        Ok(::members::Signup::Open) => println!(
            "  sign in   sign up with any email address at {signin} — the mail appears here and in {outbox}"
        ),
        Ok(::members::Signup::Invite) => println!(
            "  sign in   at {signin} (invite-only: add members with `lyceum members add EMAIL`) — the mail appears here and in {outbox}"
        ),
        Ok(::members::Signup::Closed) => {
            println!("  sign in   closed (site.yaml `members.signup: closed`)")
        }
        Err(e) => println!("  sign in   off: {e}"),
    }
    println!(
        "  members   {} (kept across runs)",
        root.join(STATE_DIR).join(members::DB_FILE).display()
    );
    match admin {
        members::AdminSecret::Env(_) => {
            println!("  admin     /_lyceum/admin/ with LYCEUM_ADMIN_SECRET from the environment")
        }
        members::AdminSecret::File(_, file) => println!(
            "  admin     /_lyceum/admin/ with a random secret for this run in {} (`lyceum members list` reads it)",
            file.display()
        ),
    }
    println!("  watching  content/, themes/, static/, site.yaml (Ctrl-C stops)");
    println!();
}

/// Percent-encode a URL path for a query value (keeps `/` and unreserved characters).
pub fn encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    gate::path::percent_encode(&mut out, path, |b| {
        b.is_ascii_alphanumeric() || b"-._~/".contains(&b)
    });
    out
}

fn open_browser(url: &str) {
    let cmd = if cfg!(target_os = "macos") {
        "open"
    } else if cfg!(windows) {
        "explorer"
    } else {
        "xdg-open"
    };
    if let Err(e) = std::process::Command::new(cmd)
        .arg(url)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
    {
        eprintln!("lyceum serve: could not open a browser ({cmd}: {e}); open {url} yourself");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(headers: &[(&str, &str)]) -> http::Response {
        http::Response {
            status: 200,
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            body: b"CANARY-SECRET-BODY".to_vec(),
        }
    }

    fn sent(resp: http::Response) -> String {
        let mut wire = Vec::new();
        to_tiny(resp, "/x/")
            .raw_print(&mut wire, tiny_http::HTTPVersion(1, 1), &[], false, None)
            .unwrap();
        String::from_utf8_lossy(&wire).into_owned()
    }

    /// Regression: the URL went into the log line raw, so its escape sequences reached
    /// the terminal.
    #[test]
    fn log_lines_escape_request_text() {
        for line in [
            refused_host_line(
                "evil\x1b]0;pwned\x07.example",
                "/x\x1b[2J\r\nfake?token=SECRET-TOKEN",
            ),
            bad_header_line("Location", "/x\x1b[2J\r\nfake?token=SECRET-TOKEN"),
        ] {
            assert!(
                !line.chars().any(|c| c.is_control()),
                "raw control character in {line:?}"
            );
            assert!(line.contains("/x\\u{1b}[2J\\u{d}\\u{a}fake"), "{line}");
            assert!(!line.contains("SECRET-TOKEN"), "{line}");
        }
    }

    #[test]
    fn good_headers_are_all_sent() {
        let wire = sent(response(&[
            ("Cache-Control", "private, no-store"),
            ("Set-Cookie", "lyceum_session=a.b.c; HttpOnly"),
        ]));
        assert!(wire.starts_with("HTTP/1.1 200"), "{wire}");
        assert!(
            wire.contains("Cache-Control: private, no-store\r\n")
                && wire.contains("Set-Cookie: lyceum_session=a.b.c; HttpOnly\r\n")
        );
    }

    /// Regression: tiny_http refused the non-ASCII header and the old `filter_map(.ok())`
    /// sent the response without it (here: without `Cache-Control: private`).
    #[test]
    fn unsendable_header_is_a_500_not_a_silent_drop() {
        for (name, value) in [
            ("Location", "/笔记/"),
            ("X-Split", "a\r\nSet-Cookie: evil=1"),
            ("Bad Name", "x"),
            ("", "x"),
        ] {
            let wire = sent(response(&[
                ("Cache-Control", "private, no-store"),
                (name, value),
            ]));
            assert!(wire.starts_with("HTTP/1.1 500"), "{name}: {wire}");
            assert!(
                !wire.contains("CANARY-SECRET-BODY") && !wire.contains("evil"),
                "{name}: {wire}"
            );
        }
    }
}
