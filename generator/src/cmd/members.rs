//! `lyceum members …`: member administration through the admin API
//! (`/_lyceum/admin/…`, `Authorization: Bearer <admin secret>`), the same against
//! `lyceum serve`, `wrangler dev` and production.
//!
//! The secret comes from `LYCEUM_ADMIN_SECRET`, else, for a loopback URL only, from the
//! file `lyceum serve` writes (`<root>/.lyceum/admin-secret`). It is sent only in the
//! header and never printed, not even in errors.

use anyhow::{bail, Context as _};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use lyceum::serve::{ADMIN_SECRET_FILE, ENV_ADMIN_SECRET, STATE_DIR};

/// Largest answer read (an export of a large community).
const MAX_ANSWER_BYTES: u64 = 512 * 1024 * 1024;

#[derive(clap::Args, Debug)]
pub(crate) struct Args {
    /// The site: `lyceum serve`, `wrangler dev` or the deployed site.
    #[arg(long, global = true, default_value = "http://127.0.0.1:1111")]
    url: String,
    /// Site root, where `lyceum serve` keeps the admin secret of its run
    /// (`.lyceum/admin-secret`; read only for a loopback --url).
    #[arg(long, global = true, default_value = ".")]
    root: PathBuf,
    #[command(subcommand)]
    action: Action,
}

#[derive(clap::Subcommand, Debug)]
enum Action {
    /// List members (a table; --json for the API's answer).
    List {
        /// Only members of this level.
        #[arg(long)]
        level: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// One member: level, status, products, live sessions.
    Show {
        email: String,
        #[arg(long)]
        json: bool,
    },
    /// Add a member (an existing address is an error).
    Add {
        email: String,
        #[arg(long)]
        name: Option<String>,
        /// A level id of site.yaml (default: none, a free member).
        #[arg(long)]
        level: Option<String>,
        /// When the level ends (YYYY-MM-DD, UTC).
        #[arg(long, value_name = "DATE")]
        until: Option<String>,
        #[arg(long)]
        note: Option<String>,
    },
    /// Set a member's level (`none` removes it); sessions pick it up within the
    /// session token's lifetime.
    SetLevel {
        email: String,
        /// A level id, or `none`.
        level: String,
        #[arg(long, value_name = "DATE")]
        until: Option<String>,
    },
    /// End every session of a member (signed out everywhere within the token's lifetime).
    RevokeSessions { email: String },
    /// Give a member a product (a course) for good, or until DATE: a gift or a comp.
    Grant {
        email: String,
        product: String,
        #[arg(long, value_name = "DATE")]
        until: Option<String>,
    },
    /// Take a product away from a member (however it was granted).
    Revoke { email: String, product: String },
    /// Delete a member and everything about them.
    Remove { email: String },
    /// Every member as CSV.
    Export {
        /// Write to FILE instead of standard output.
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Import members from CSV (lyceum's export, or Ghost's members export).
    Import {
        file: PathBuf,
        /// The level of Ghost's complimentary members.
        #[arg(long, value_name = "LEVEL")]
        comp_level: Option<String>,
    },
}

pub(crate) fn run(args: Args, globals: &super::Globals) -> anyhow::Result<ExitCode> {
    let base = base_url(&args.url)?;
    let secret = admin_secret(
        std::env::var(ENV_ADMIN_SECRET).ok(),
        &base,
        &args.root.join(STATE_DIR).join(ADMIN_SECRET_FILE),
    )?;
    let api = Api { base, secret };
    match args.action {
        Action::List { level, json } => {
            let mut path = "members".to_string();
            if let Some(l) = &level {
                path += &format!("?level={}", encode(l));
            }
            let answer = api.json(api.get(&path)?)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&answer)?);
            } else {
                let members = answer["members"].as_array().cloned().unwrap_or_default();
                print!("{}", table(&members));
                if !globals.quiet {
                    eprintln!("{} member{}", members.len(), plural(members.len()));
                }
            }
        }
        Action::Show { email, json } => {
            let answer = api.json(api.get(&format!("member?email={}", encode(&email)))?)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&answer)?);
            } else {
                print!("{}", detail(&answer));
            }
        }
        Action::Add {
            email,
            name,
            level,
            until,
            note,
        } => {
            check_date(until.as_deref())?;
            let body =
                json!({"email": email, "name": name, "level": level, "until": until, "note": note});
            let m = api.json(api.post_json("members", &body)?)?;
            println!("added {}", one_line(&m));
        }
        Action::SetLevel {
            email,
            level,
            until,
        } => {
            check_date(until.as_deref())?;
            let level = (level != "none").then_some(level);
            let body = json!({"email": email, "level": level, "until": until});
            let m = api.json(api.post_json("member/level", &body)?)?;
            println!("updated {}", one_line(&m));
        }
        Action::RevokeSessions { email } => {
            let r = api.json(api.post_json("member/revoke-sessions", &json!({"email": email}))?)?;
            let n = r["revoked"].as_u64().unwrap_or(0);
            println!(
                "revoked {n} session{} of {email} (signed out within the session token's lifetime)",
                plural(n as usize)
            );
        }
        Action::Grant {
            email,
            product,
            until,
        } => {
            check_date(until.as_deref())?;
            let body = json!({"email": email, "product": product, "until": until});
            api.json(api.post_json("member/grant", &body)?)?;
            let until = until.map(|d| format!(" until {d}")).unwrap_or_default();
            println!("granted {product} to {email}{until}");
        }
        Action::Revoke { email, product } => {
            let body = json!({"email": email, "product": product});
            let r = api.json(api.post_json("member/revoke", &body)?)?;
            if r["revoked"].as_bool() == Some(true) {
                println!("revoked {product} from {email}");
            } else {
                println!("{email} did not have {product}");
            }
        }
        Action::Remove { email } => {
            api.json(api.post_json("member/remove", &json!({"email": email}))?)?;
            println!("removed {email}");
        }
        Action::Export { output } => {
            let csv = api.text(api.get("members/export")?)?;
            match output {
                Some(file) => {
                    std::fs::write(&file, &csv)
                        .with_context(|| format!("cannot write `{}`", file.display()))?;
                    if !globals.quiet {
                        let n = csv.lines().count().saturating_sub(1);
                        eprintln!("wrote {n} member{} to {}", plural(n), file.display());
                    }
                }
                None => print!("{csv}"),
            }
        }
        Action::Import { file, comp_level } => {
            let csv = std::fs::read(&file)
                .with_context(|| format!("cannot read `{}`", file.display()))?;
            let mut path = "members/import".to_string();
            if let Some(l) = &comp_level {
                path += &format!("?comp_level={}", encode(l));
            }
            let report = api.json(api.post(&path, "text/csv; charset=utf-8", &csv)?)?;
            print!("{}", import_report(&report));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The admin API of one site.
struct Api {
    /// `scheme://authority`, no trailing slash.
    base: String,
    secret: String,
}

/// An answer: status and body.
struct Answer {
    status: u16,
    body: String,
    /// What was asked, for errors (`GET /_lyceum/admin/members`).
    what: String,
}

impl Api {
    fn agent() -> ureq::Agent {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(120)));
        // Without rustls (macOS, Windows) the system's TLS is the provider.
        #[cfg(not(target_os = "linux"))]
        let config = config.tls_config(
            ureq::tls::TlsConfig::builder()
                .provider(ureq::tls::TlsProvider::NativeTls)
                .build(),
        );
        config.build().into()
    }

    fn url(&self, path: &str) -> String {
        format!("{}{}{path}", self.base, members::http::ADMIN_PREFIX)
    }

    fn get(&self, path: &str) -> anyhow::Result<Answer> {
        let url = self.url(path);
        let resp = Self::agent()
            .get(&url)
            .header("Authorization", &format!("Bearer {}", self.secret))
            .call();
        self.answer(resp, "GET", path)
    }

    fn post(&self, path: &str, content_type: &str, body: &[u8]) -> anyhow::Result<Answer> {
        let url = self.url(path);
        let resp = Self::agent()
            .post(&url)
            .header("Authorization", &format!("Bearer {}", self.secret))
            .header("Content-Type", content_type)
            .send(body);
        self.answer(resp, "POST", path)
    }

    fn post_json(&self, path: &str, body: &Value) -> anyhow::Result<Answer> {
        self.post(path, "application/json", body.to_string().as_bytes())
    }

    fn answer(
        &self,
        resp: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
        method: &str,
        path: &str,
    ) -> anyhow::Result<Answer> {
        let what = format!(
            "{method} {}{}",
            self.base,
            members::http::ADMIN_PREFIX.to_string() + path.split('?').next().unwrap_or(path)
        );
        // ureq's errors name the host and the cause, never the request's headers.
        let mut resp = resp.map_err(|e| anyhow::anyhow!("{what}: {e}"))?;
        let status = resp.status().as_u16();
        let body = resp
            .body_mut()
            .with_config()
            .limit(MAX_ANSWER_BYTES)
            .read_to_string()
            .map_err(|e| anyhow::anyhow!("{what}: reading the answer: {e}"))?;
        Ok(Answer { status, body, what })
    }

    /// A 2xx answer's JSON, else the error it stands for.
    fn json(&self, answer: Answer) -> anyhow::Result<Value> {
        let text = self.text(answer)?;
        serde_json::from_str(&text).context("the admin API answered something that is not JSON")
    }

    /// A 2xx answer's text, else the error it stands for.
    fn text(&self, answer: Answer) -> anyhow::Result<String> {
        if (200..300).contains(&answer.status) {
            return Ok(answer.body);
        }
        bail!("{}", failure(&answer, &self.base))
    }
}

/// What a failed answer means, in words that say what to check. Never the secret.
fn failure(answer: &Answer, base: &str) -> String {
    let api_error = serde_json::from_str::<Value>(&answer.body)
        .ok()
        .and_then(|v| v["error"].as_str().map(str::to_string));
    let status = answer.status;
    match (status, api_error) {
        (_, Some(e)) => format!("{e} ({status})"),
        (401, None) => format!(
            "the admin API at {base} refused the secret (401): check that {ENV_ADMIN_SECRET} \
             (or, for lyceum serve, .lyceum/admin-secret of the running serve) is the server's"
        ),
        (404, None) => format!(
            "no admin API at {base} (404): the server has no {ENV_ADMIN_SECRET} set (the admin \
             API is off without one), or --url is not a lyceum site"
        ),
        (429, None) => format!(
            "the admin API at {base} locked this address out after too many wrong secrets (429); try again later"
        ),
        (413, None) => "the request is too large for the admin API (413)".into(),
        (s, None) if s >= 500 => format!("the server failed ({s}); see its log"),
        (s, None) => format!("{}: unexpected answer {s}", answer.what),
    }
}

/// `scheme://authority` of `--url` (http or https; any path is dropped).
fn base_url(url: &str) -> anyhow::Result<String> {
    let url = url.trim();
    let Some((scheme, rest)) = url.split_once("://") else {
        bail!("--url `{url}` is not a URL: give http://host:port or https://host");
    };
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        bail!("--url `{url}`: only http:// and https:// are supported");
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.is_empty() || authority.contains('@') {
        bail!("--url `{url}`: give the site's address, http://host:port or https://host");
    }
    Ok(format!("{scheme}://{authority}"))
}

/// Whether the base URL names this machine (`localhost`, `127.0.0.0/8`, `[::1]`).
fn is_loopback(base: &str) -> bool {
    let authority = base.split_once("://").map_or(base, |(_, a)| a);
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => authority.split(':').next().unwrap_or_default(),
    };
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// The admin secret: the environment's, else the file of a local `lyceum serve`.
fn admin_secret(env: Option<String>, base: &str, file: &Path) -> anyhow::Result<String> {
    if let Some(s) = env.map(|s| s.trim().to_string()).filter(|s| !s.is_empty()) {
        return Ok(s);
    }
    if !is_loopback(base) {
        bail!("set {ENV_ADMIN_SECRET} to the admin secret of {base} (the file of lyceum serve is read only for a local --url)");
    }
    match std::fs::read_to_string(file) {
        Ok(s) if !s.trim().is_empty() => Ok(s.trim().to_string()),
        _ => bail!(
            "no admin secret: set {ENV_ADMIN_SECRET}, or run `lyceum serve` in this site (it writes {}); pass --root if the site is elsewhere",
            file.display()
        ),
    }
}

fn check_date(until: Option<&str>) -> anyhow::Result<()> {
    match until {
        Some(d) if members::date::parse(d).is_none() => {
            bail!("--until `{d}` is not a date: give YYYY-MM-DD (UTC)")
        }
        _ => Ok(()),
    }
}

/// Percent-encode a query value.
fn encode(s: &str) -> String {
    let mut out = String::new();
    gate::path::percent_encode(&mut out, s, |b| {
        b.is_ascii_alphanumeric() || b"-._~".contains(&b)
    });
    out
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn text(v: &Value) -> String {
    match v {
        Value::Null => "-".into(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A time field (seconds since the epoch) as a UTC date.
fn day(v: &Value) -> String {
    v.as_u64()
        .map(|t| members::date::format(t)[..10].to_string())
        .unwrap_or_else(|| "-".into())
}

/// `ada@example.org (level pro until 2030-01-01)`.
fn one_line(m: &Value) -> String {
    let mut s = format!("{} (level {}", text(&m["email"]), text(&m["level"]));
    if !m["level_until"].is_null() {
        s += &format!(" until {}", day(&m["level_until"]));
    }
    s + ")"
}

/// The members as a table: email, level, until, status, source, created, name.
fn table(members: &[Value]) -> String {
    let header = [
        "EMAIL", "LEVEL", "UNTIL", "STATUS", "SOURCE", "CREATED", "NAME",
    ];
    let rows: Vec<[String; 7]> = members
        .iter()
        .map(|m| {
            [
                text(&m["email"]),
                text(&m["level"]),
                day(&m["level_until"]),
                text(&m["status"]),
                text(&m["source"]),
                day(&m["created_at"]),
                text(&m["name"]),
            ]
            .map(|c| printable(&c))
        })
        .collect();
    let mut widths = header.map(|h| h.chars().count());
    for row in &rows {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let mut s = cells
            .iter()
            .zip(widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect::<Vec<_>>()
            .join("  ");
        s.truncate(s.trim_end().len());
        s + "\n"
    };
    let mut out = line(header.to_vec());
    for row in &rows {
        out += &line(row.iter().map(String::as_str).collect());
    }
    out
}

/// `members show`, one field a line.
fn detail(m: &Value) -> String {
    let products = m["products"]
        .as_array()
        .map(|p| p.iter().map(text).collect::<Vec<_>>().join(", "))
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "-".into());
    let fields = [
        ("email", text(&m["email"])),
        ("name", text(&m["name"])),
        ("level", text(&m["level"])),
        ("until", day(&m["level_until"])),
        ("status", text(&m["status"])),
        ("source", text(&m["source"])),
        ("note", text(&m["note"])),
        ("created", day(&m["created_at"])),
        ("updated", day(&m["updated_at"])),
        ("products", products),
        ("reads", reads(&m["reads"])),
        ("sessions", text(&m["live_sessions"])),
    ];
    fields
        .iter()
        .map(|(k, v)| format!("{k:<9} {}\n", printable(v)))
        .collect()
}

/// What the member reads now (their level with their subscriptions, and their products).
fn reads(r: &Value) -> String {
    let level = match &r["level"] {
        Value::Null => "no level".to_string(),
        l => text(l),
    };
    let products: Vec<String> = r["products"]
        .as_array()
        .map(|p| p.iter().map(text).collect())
        .unwrap_or_default();
    if products.is_empty() {
        level
    } else {
        format!("{level}; {}", products.join(", "))
    }
}

fn import_report(r: &Value) -> String {
    let skipped = r["skipped"].as_array().cloned().unwrap_or_default();
    let mut out = format!(
        "imported: {} created, {} updated, {} skipped\n",
        text(&r["created"]),
        text(&r["updated"]),
        skipped.len()
    );
    for s in &skipped {
        out += &format!("  line {}: {}\n", text(&s[0]), printable(&text(&s[1])));
    }
    out
}

/// Text from the server, safe for a terminal (no control characters).
fn printable(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_loopback() {
        assert_eq!(
            base_url("http://127.0.0.1:1111/x?y").unwrap(),
            "http://127.0.0.1:1111"
        );
        assert_eq!(
            base_url("HTTPS://example.org").unwrap(),
            "https://example.org"
        );
        assert!(base_url("example.org").is_err());
        assert!(base_url("ftp://example.org").is_err());
        assert!(base_url("https://user:pw@example.org").is_err());
        for local in [
            "http://127.0.0.1:1111",
            "http://localhost:8787",
            "http://[::1]:1",
            "http://127.1.2.3",
        ] {
            assert!(is_loopback(local), "{local}");
        }
        for remote in [
            "https://example.org",
            "http://127.0.0.1.evil.example",
            "http://10.0.0.1",
        ] {
            assert!(!is_loopback(remote), "{remote}");
        }
    }

    /// The serve file is read only for a local URL: a production URL never gets the
    /// secret of a local run.
    #[test]
    fn secret_from_env_else_the_serve_file_for_loopback_only() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("admin-secret");
        std::fs::write(&file, "FROM-FILE\n").unwrap();
        assert_eq!(
            admin_secret(Some("ENV".into()), "https://x.org", &file).unwrap(),
            "ENV"
        );
        assert_eq!(
            admin_secret(None, "http://127.0.0.1:1111", &file).unwrap(),
            "FROM-FILE"
        );
        let e = admin_secret(None, "https://x.org", &file)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains(ENV_ADMIN_SECRET) && !e.contains("FROM-FILE"),
            "{e}"
        );
        let e = admin_secret(None, "http://localhost:1", &dir.path().join("none"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("lyceum serve"), "{e}");
    }

    #[test]
    fn failures_say_what_to_check_and_never_the_secret() {
        let answer = |status, body: &str| Answer {
            status,
            body: body.into(),
            what: "GET x".into(),
        };
        let b = "http://127.0.0.1:1111";
        assert!(failure(&answer(401, "Unauthorized\n"), b).contains(ENV_ADMIN_SECRET));
        assert!(failure(&answer(404, "Not Found\n"), b).contains("admin API is off"));
        assert_eq!(
            failure(
                &answer(404, r#"{"error":"no member with that email address"}"#),
                b
            ),
            "no member with that email address (404)"
        );
        assert!(failure(&answer(429, "Too Many Requests\n"), b).contains("later"));
    }

    #[test]
    fn table_aligns_and_escapes() {
        let members = vec![
            json!({"email": "ada@example.org", "level": "pro", "level_until": 1_893_456_000u64, "status": "active", "source": "admin", "created_at": 1_700_000_000u64, "name": "Ada\x1b[2J"}),
            json!({"email": "b@x.io", "level": null, "level_until": null, "status": "active", "source": "signup", "created_at": 1_700_000_000u64, "name": null}),
        ];
        let t = table(&members);
        let lines: Vec<&str> = t.lines().collect();
        assert!(lines[0].starts_with("EMAIL            LEVEL  UNTIL"), "{t}");
        assert!(
            lines[1].contains("pro    2030-01-01  active  admin   2023-11-14  Ada?[2J"),
            "{t}"
        );
        assert!(lines[2].starts_with("b@x.io           -      -"), "{t}");
        assert!(!t.contains('\x1b'));
    }
}
