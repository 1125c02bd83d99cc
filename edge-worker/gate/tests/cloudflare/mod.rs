//! Cloudflare's request routing for a Worker with static assets, written from its
//! documentation and the workers-sdk router and asset worker (the code `wrangler dev` runs),
//! independently of `gate::rules`, so the rule list can be checked against it:
//!
//! 1. The URL's pathname is taken as a WHATWG URL parser makes it (the `url` crate):
//!    `.`/`..` segments resolved, `\` read as `/`, nothing decoded.
//! 2. `run_worker_first` rules: `*` matches any run of characters (`/` included), the rest
//!    is literal and case-sensitive, the whole pathname must match; a negative rule wins.
//!    A match runs the Worker.
//! 3. Otherwise the assets router: each segment is percent-decoded (`decodeURIComponent`,
//!    a segment that fails stays as it is), `//` collapsed; `html_handling =
//!    "auto-trailing-slash"` finds the file; a file found at a spelling other than the
//!    canonical one (segments re-encoded by `encodeURIComponent`) is a 307 there; nothing
//!    found is the nearest `404.html` (`not_found_handling = "404-page"`), or the Worker
//!    when there is none.
#![allow(dead_code)]

use std::collections::BTreeSet;

/// Where one request ended up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum End {
    /// The Worker ran, for this pathname.
    Worker(String),
    /// The assets router answered with this bundle file and status.
    File(String, u16),
}

/// A request followed through redirects (as a browser would), counting Worker runs.
#[derive(Debug, Clone)]
pub(crate) struct Visit {
    pub(crate) end: End,
    pub(crate) hops: Vec<String>,
}

impl Visit {
    pub(crate) fn worker_runs(&self) -> usize {
        usize::from(matches!(self.end, End::Worker(_)))
    }
}

pub(crate) struct Site<'a> {
    pub(crate) rules: &'a [String],
    pub(crate) files: BTreeSet<String>,
}

impl<'a> Site<'a> {
    pub(crate) fn new(rules: &'a [String], files: &[String]) -> Site<'a> {
        Site {
            rules,
            files: files.iter().cloned().collect(),
        }
    }

    /// Follow a raw request path (as sent on the wire) to its end.
    pub(crate) fn visit(&self, raw: &str) -> Visit {
        let mut hops = vec![raw.to_string()];
        let mut at = pathname(raw);
        for _ in 0..8 {
            if worker_first(self.rules, &at) {
                return Visit {
                    end: End::Worker(at),
                    hops,
                };
            }
            match self.assets(&at) {
                Assets::File(f, s) => {
                    return Visit {
                        end: End::File(f, s),
                        hops,
                    }
                }
                Assets::Redirect(to) => {
                    hops.push(to.clone());
                    at = pathname(&to);
                }
                Assets::Nothing => {
                    return Visit {
                        end: End::Worker(at),
                        hops,
                    }
                }
            }
        }
        panic!("redirect loop: {hops:?}");
    }

    fn exists(&self, path: &str) -> bool {
        path.strip_prefix('/')
            .is_some_and(|p| self.files.contains(p))
    }

    /// The assets router's answer for one pathname.
    fn assets(&self, pathname: &str) -> Assets {
        let decoded = decode_path(pathname);
        match self.intent(&decoded, false) {
            Some(Intent::Redirect(to)) => Assets::Redirect(encode_path(&to)),
            Some(Intent::File(f, status)) => {
                let canonical = encode_path(&decoded);
                if canonical != pathname {
                    Assets::Redirect(canonical)
                } else {
                    Assets::File(f, status)
                }
            }
            None => Assets::Nothing,
        }
    }

    /// `htmlHandlingAutoTrailingSlash`, then `404-page`.
    fn intent(&self, p: &str, skip: bool) -> Option<Intent> {
        let file = |f: &str| Some(Intent::File(f[1..].to_string(), 200));
        let exact = self.exists(p);
        if let Some(base) = p.strip_suffix("/index") {
            if exact {
                return file(p);
            }
            if let Some(r) = self.redirect(&format!("{p}.html"), &format!("{base}/"), skip) {
                return Some(r);
            }
            if let Some(r) = self.redirect(&format!("{base}.html"), base, skip) {
                return Some(r);
            }
        } else if let Some(base) = p.strip_suffix("/index.html") {
            if let Some(r) = self.redirect(p, &format!("{base}/"), skip) {
                return Some(r);
            }
            if let Some(r) = self.redirect(&format!("{base}.html"), base, skip) {
                return Some(r);
            }
        } else if let Some(base) = p.strip_suffix('/') {
            if self.exists(&format!("{p}index.html")) {
                return file(&format!("{p}index.html"));
            }
            if let Some(r) = self.redirect(&format!("{base}.html"), base, skip) {
                return Some(r);
            }
        } else if let Some(base) = p.strip_suffix(".html") {
            if let Some(r) = self.redirect(p, base, skip) {
                return Some(r);
            }
            if let Some(r) = self.redirect(&format!("{base}/index.html"), &format!("{base}/"), skip)
            {
                return Some(r);
            }
        }
        if exact {
            return file(p);
        }
        if self.exists(&format!("{p}.html")) {
            return file(&format!("{p}.html"));
        }
        if let Some(r) = self.redirect(&format!("{p}/index.html"), &format!("{p}/"), skip) {
            return Some(r);
        }
        // 404-page: the nearest 404.html up the tree.
        let mut cwd = p.to_string();
        while !cwd.is_empty() {
            cwd.truncate(cwd.rfind('/').unwrap_or(0));
            if self.exists(&format!("{cwd}/404.html")) {
                return Some(Intent::File(
                    format!("{cwd}/404.html")[1..].to_string(),
                    404,
                ));
            }
        }
        None
    }

    /// `safeRedirect`: to `destination` when it is not a file itself and serves `file`.
    fn redirect(&self, file: &str, destination: &str, skip: bool) -> Option<Intent> {
        if skip || self.exists(destination) {
            return None;
        }
        match self.intent(destination, true) {
            Some(Intent::File(f, 200)) if self.exists(file) && f == file[1..] => {
                Some(Intent::Redirect(destination.to_string()))
            }
            _ => None,
        }
    }
}

enum Intent {
    File(String, u16),
    Redirect(String),
}

enum Assets {
    File(String, u16),
    Redirect(String),
    Nothing,
}

/// The pathname a WHATWG URL parser makes of a raw request path.
pub(crate) fn pathname(raw: &str) -> String {
    let url = url::Url::parse(&format!("https://site.test{raw}")).expect(raw);
    url.path().to_string()
}

/// Whether a glob (only `*` special, crossing `/`) matches the whole text.
pub(crate) fn glob(rule: &[u8], text: &[u8]) -> bool {
    match rule.split_first() {
        None => text.is_empty(),
        Some((b'*', rest)) => (0..=text.len()).any(|i| glob(rest, &text[i..])),
        Some((c, rest)) => text.first() == Some(c) && glob(rest, &text[1..]),
    }
}

/// Whether the rules send this pathname to the Worker.
pub(crate) fn worker_first(rules: &[String], pathname: &str) -> bool {
    let hit = |r: &str| glob(r.as_bytes(), pathname.as_bytes());
    let excluded = rules.iter().filter_map(|r| r.strip_prefix('!')).any(hit);
    !excluded && rules.iter().filter(|r| !r.starts_with('!')).any(|r| hit(r))
}

/// `decodeURIComponent` on each segment (kept as is when that throws), `//` collapsed.
pub(crate) fn decode_path(pathname: &str) -> String {
    let decoded: Vec<String> = pathname
        .split('/')
        .map(|s| decode_component(s).unwrap_or_else(|| s.to_string()))
        .collect();
    let mut joined = decoded.join("/");
    while joined.contains("//") {
        joined = joined.replace("//", "/");
    }
    joined
}

fn decode_component(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// `encodeURIComponent` on each segment.
pub(crate) fn encode_path(decoded: &str) -> String {
    decoded
        .split('/')
        .map(|s| {
            s.bytes()
                .map(|b| {
                    if b.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&b) {
                        (b as char).to_string()
                    } else {
                        format!("%{b:02X}")
                    }
                })
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Raw spellings of a canonical URL: itself, doubled and dotted slashes, a letter
/// percent-encoded (both hex cases), case changed; pretty URLs also `/x`, `/x/index.html`.
pub(crate) fn spellings(url: &str) -> Vec<String> {
    let mut out = vec![
        url.to_string(),
        format!("/{url}"),
        url.replace('/', "//"),
        format!("/.{url}"),
    ];
    if let Some(stem) = url.strip_suffix('/').filter(|s| !s.is_empty()) {
        out.extend([
            stem.to_string(),
            format!("{url}index.html"),
            format!("{url}index"),
            format!("{url}./"),
        ]);
    }
    // The first letter that is not part of an escape.
    let bytes = url.as_bytes();
    let mut letter = None;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            i += 3;
        } else if bytes[i].is_ascii_alphabetic() || bytes[i] == b'_' {
            letter = Some(i);
            break;
        } else {
            i += 1;
        }
    }
    if let Some(i) = letter {
        let c = url.as_bytes()[i];
        out.push(format!("{}%{:02X}{}", &url[..i], c, &url[i + 1..]));
        out.push(format!("{}%{:02x}{}", &url[..i], c, &url[i + 1..]));
    }
    out.push(url.to_ascii_uppercase());
    // Lowercase hex in the existing escapes (a client may send them so).
    if url.contains('%') {
        let mut lower = String::new();
        let mut rest = url;
        while let Some(at) = rest.find('%') {
            lower.push_str(&rest[..at]);
            lower.push('%');
            lower.push_str(&rest[at + 1..at + 3].to_ascii_lowercase());
            rest = &rest[at + 3..];
        }
        lower.push_str(rest);
        out.push(lower);
    }
    out
}

/// Raw spellings of a private-tree file (`_gated/…`), as an attacker would try them.
pub(crate) fn private_spellings(file: &str) -> Vec<String> {
    let rest = encode_path(file.strip_prefix("_gated/").expect(file));
    let pretty = rest.strip_suffix("index.html").unwrap_or(&rest).to_string();
    let mut out = Vec::new();
    for r in [&rest, &pretty] {
        out.extend([
            format!("/_gated/{r}"),
            format!("/%5Fgated/{r}"),
            format!("/%5fgated/{r}"),
            format!("/_GATED/{r}"),
            format!("//_gated/{r}"),
            format!("/./_gated/{r}"),
            format!("/%2e/_gated/{r}"),
            format!("/x/../_gated/{r}"),
            format!("/x/%2e%2e/_gated/{r}"),
            format!("/_gated%2f{r}"),
            format!("/%2F_gated/{r}"),
            format!("/%255Fgated/{r}"),
            format!("/_gated//{r}"),
            format!("/_gated/./{r}"),
            format!("/_gated\\{r}"),
        ]);
    }
    out
}

/// What [`check`] saw.
#[derive(Debug, Default)]
pub(crate) struct Counts {
    pub(crate) gated_requests: usize,
    pub(crate) private_requests: usize,
    pub(crate) public_requests: usize,
    /// Worker runs for the public files' requests.
    pub(crate) public_worker_runs: usize,
}

/// Check a route list on a bundle against the model: every spelling of every gated URL and
/// of every `_gated/` file runs the Worker or gets a public answer (never gated bytes, never
/// the teaser from the assets router); the plain spellings of a gated URL run the Worker for
/// that URL; every public file is served as itself without the Worker (static files only,
/// for a wide list).
pub(crate) fn check(
    manifest: &gate::Manifest,
    files: &[String],
    routes: &gate::rules::WorkerRoutes,
) -> Counts {
    let rules = &routes.run_worker_first;
    for fixed in gate::rules::FIXED {
        assert!(
            rules.iter().any(|r| r == fixed),
            "{fixed} missing from {rules:?}"
        );
    }
    assert!(rules.len() <= 100, "{} rules", rules.len());
    for r in rules {
        assert!(
            r.len() <= 100 && (r.starts_with('/') || r.starts_with("!/")),
            "rule {r:?}"
        );
    }
    let site = Site::new(rules, files);
    let teasers: BTreeSet<&str> = manifest
        .entries
        .values()
        .filter_map(|e| e.teaser.as_deref())
        .collect();
    let mut counts = Counts::default();
    for (key, entry) in &manifest.entries {
        let url = encode_path(key);
        let all = spellings(&url);
        let upper = url.to_ascii_uppercase();
        for raw in &all {
            counts.gated_requests += 1;
            let v = site.visit(raw);
            match &v.end {
                End::File(f, _) => {
                    assert!(
                        !f.starts_with("_gated/"),
                        "{raw}: the assets router served {f} ({:?})",
                        v.hops
                    );
                    assert!(
                        !teasers.contains(f.as_str()),
                        "{raw}: the assets router served the teaser {f} ({:?})",
                        v.hops
                    );
                    assert!(
                        *raw == upper && upper != url,
                        "{raw} of gated {key} never reached the Worker: {v:?}"
                    );
                }
                End::Worker(p) => {
                    if *raw != upper || upper == url {
                        let n = gate::path::normalize(p).unwrap_or_default();
                        assert_eq!(
                            manifest.lookup(&n),
                            Some(entry),
                            "{raw} → Worker at {p}, not for {key}"
                        );
                    }
                }
            }
        }
    }
    for f in files.iter().filter(|f| f.starts_with("_gated/")) {
        for raw in private_spellings(f) {
            counts.private_requests += 1;
            if let End::File(served, _) = &site.visit(&raw).end {
                assert!(
                    !served.starts_with("_gated/"),
                    "{raw}: the assets router served {served}"
                );
            }
        }
    }
    for f in files
        .iter()
        .filter(|f| !f.starts_with("_gated/") && !teasers.contains(f.as_str()))
    {
        let literal = encode_path(&format!("/{f}"));
        let html = f.ends_with(".html");
        let pretty = literal
            .strip_suffix("index.html")
            .filter(|d| d.ends_with('/'))
            .map(str::to_string)
            .or_else(|| literal.strip_suffix(".html").map(str::to_string));
        for raw in std::iter::once(literal.clone()).chain(pretty) {
            counts.public_requests += 1;
            let v = site.visit(&raw);
            counts.public_worker_runs += v.worker_runs();
            if routes.wide && (html || matches!(v.end, End::Worker(_))) {
                continue;
            }
            assert!(
                matches!(&v.end, End::File(g, _) if g == f),
                "public {f} at {raw}: {v:?}"
            );
        }
    }
    if !routes.wide {
        assert_eq!(
            counts.public_worker_runs, 0,
            "public requests ran the Worker"
        );
    }
    counts
}
