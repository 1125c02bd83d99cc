//! The member layer of `lyceum serve`: the `members` crate's routes over a SQLite file
//! in the site's `.lyceum/` folder, with the settings of the bundle's `members.json`
//! (re-read after every good build) and serve's JWT secret. Mail goes to the terminal
//! and `.lyceum/outbox/` ([`super::outbox`]).
//!
//! The flows are async over a store; SQLite answers at once, so [`block_on`] drives
//! them on the request thread.

use members::http::{self as mhttp, Answer, Renewal, Settings};
use members::mail::Message;
use members::site::{SiteMembers, MEMBERS_FILE};
use members::sqlite::Sqlite;
use members::Signup;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::RwLock;
use std::task::{Context, Poll, Waker};

/// The site root's folder for serve's state (members, mail, the admin secret).
pub const STATE_DIR: &str = ".lyceum";
/// The members database, in [`STATE_DIR`].
pub(crate) const DB_FILE: &str = "members.sqlite";
/// The admin secret of a run without `LYCEUM_ADMIN_SECRET`, in [`STATE_DIR`], where
/// `lyceum members` finds it.
pub const ADMIN_SECRET_FILE: &str = "admin-secret";
/// Where each mail is written, in [`STATE_DIR`].
pub(crate) const OUTBOX_DIR: &str = "outbox";
/// The environment variable of the admin secret.
pub const ENV_ADMIN_SECRET: &str = "LYCEUM_ADMIN_SECRET";

/// Run a member flow to its end. The SQLite store answers every query at once, so the
/// future is ready on its first poll; anything else is polled again until it is.
pub(crate) fn block_on<F: Future>(fut: F) -> F::Output {
    let mut fut = std::pin::pin!(fut);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(out) = fut.as_mut().poll(&mut cx) {
            return out;
        }
        std::thread::yield_now();
    }
}

/// A mail to deliver after answering: the message, and its link and code for the
/// terminal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Letter {
    pub message: Message,
    pub link: String,
    pub code: String,
}

/// How to answer a member route.
#[derive(Debug)]
pub(crate) struct Handled {
    pub answer: Answer,
    pub letter: Option<Letter>,
}

/// The site's settings as the last good build wrote them.
struct Site {
    members: SiteMembers,
    settings: Settings,
}

/// The member layer: the store, the secrets and the current site settings.
pub(crate) struct Members {
    store: Sqlite,
    jwt_secret: Vec<u8>,
    admin_secret: Option<String>,
    site: RwLock<Option<Site>>,
}

impl Members {
    /// The members database at `db` (created, migrated).
    pub(crate) fn open(
        db: &Path,
        jwt_secret: &[u8],
        admin_secret: Option<String>,
    ) -> anyhow::Result<Members> {
        if let Some(dir) = db.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| anyhow::anyhow!("cannot create `{}`: {e}", dir.display()))?;
        }
        let store = Sqlite::open(db)
            .map_err(|e| anyhow::anyhow!("members database `{}`: {e}", db.display()))?;
        Ok(Members::with(store, jwt_secret, admin_secret))
    }

    /// An in-memory database (unit tests).
    #[cfg(test)]
    pub(crate) fn memory(jwt_secret: &[u8], admin_secret: Option<String>) -> Members {
        Members::with(Sqlite::memory().unwrap(), jwt_secret, admin_secret)
    }

    fn with(store: Sqlite, jwt_secret: &[u8], admin_secret: Option<String>) -> Members {
        Members {
            store,
            jwt_secret: jwt_secret.to_vec(),
            admin_secret,
            site: RwLock::new(None),
        }
    }

    /// Re-read `members.json` from the bundle at `dir`. Without a usable file the
    /// member routes answer as missing pages. Returns the sign-up mode, or why there is
    /// none (for the terminal).
    pub(crate) fn load(&self, dir: &Path) -> Result<Signup, String> {
        let path = dir.join(MEMBERS_FILE);
        let parsed = match std::fs::read_to_string(&path) {
            Ok(text) => SiteMembers::from_json(&text).map_err(|e| format!("{MEMBERS_FILE}: {e}")),
            Err(_) => Err(format!("the build wrote no {MEMBERS_FILE}")),
        };
        let mut site = self.site.write().unwrap_or_else(|e| e.into_inner());
        match parsed {
            Ok(members) => {
                let mut settings = members.settings(&self.jwt_secret, self.admin_secret.clone());
                settings.stripe_webhook_secret =
                    std::env::var(members::http::ENV_STRIPE_WEBHOOK_SECRET)
                        .ok()
                        .filter(|s| !s.trim().is_empty());
                let signup = members.signup;
                *site = Some(Site { members, settings });
                Ok(signup)
            }
            Err(e) => {
                *site = None;
                Err(e)
            }
        }
    }

    /// Answer a member route; `None` when the site has no member settings.
    pub(crate) fn handle(&self, req: &mhttp::Request<'_>, now: u64) -> Option<Handled> {
        let site = self.site.read().unwrap_or_else(|e| e.into_inner());
        let site = site.as_ref()?;
        let outcome = block_on(mhttp::handle(&self.store, &site.settings, req, now));
        if let Some(line) = &outcome.log {
            eprintln!("lyceum serve: {}", super::log::printable(line));
        }
        let letter = outcome.mail.map(|mail| {
            // The link goes to the host the reader asked on (one of the loopback names).
            let origin = format!("http://{}", req.host.unwrap_or("127.0.0.1"));
            let message = members::mail::compose(&site.members, &mail, &origin);
            Letter {
                message,
                link: format!("{origin}{}?t={}", mhttp::CONFIRM_PATH, mail.link_secret),
                code: mail.code,
            }
        });
        Some(Handled {
            answer: outcome.answer,
            letter,
        })
    }

    /// Renew the session of a request the gate answered with `Outcome::Renew`. Without
    /// member settings the request is anonymous.
    pub(crate) fn renew(&self, cookie: Option<&str>, now: u64) -> Renewal {
        let site = self.site.read().unwrap_or_else(|e| e.into_inner());
        let Some(site) = site.as_ref() else {
            return Renewal {
                cookie: String::new(),
                set_cookies: Vec::new(),
                log: None,
            };
        };
        let renewal = block_on(mhttp::renew(&self.store, &site.settings, cookie, now));
        if let Some(line) = &renewal.log {
            eprintln!("lyceum serve: {}", super::log::printable(line));
        }
        renewal
    }
}

/// Where serve keeps its state for the site at `root`.
pub(crate) fn state_dir(root: &Path) -> PathBuf {
    root.join(STATE_DIR)
}

/// Where the admin secret came from, for the banner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AdminSecret {
    /// `LYCEUM_ADMIN_SECRET`.
    Env(String),
    /// A random one for this run, written to the file.
    File(String, PathBuf),
}

impl AdminSecret {
    pub(crate) fn secret(&self) -> &str {
        match self {
            AdminSecret::Env(s) | AdminSecret::File(s, _) => s,
        }
    }
}

/// The admin secret: `LYCEUM_ADMIN_SECRET`, else a random one for this run written to
/// `<state>/admin-secret` (owner-only on unix) for `lyceum members`. A file left by an
/// earlier run is removed when the environment names the secret, so the CLI never
/// reads a stale one.
pub(crate) fn admin_secret(state: &Path, env: Option<String>) -> anyhow::Result<AdminSecret> {
    let file = state.join(ADMIN_SECRET_FILE);
    if let Some(secret) = env.filter(|s| !s.trim().is_empty()) {
        let _ = std::fs::remove_file(&file);
        return Ok(AdminSecret::Env(secret));
    }
    let secret = members::secret::token()
        .map_err(|e| anyhow::anyhow!("no randomness for the admin secret: {e}"))?;
    std::fs::create_dir_all(state)
        .map_err(|e| anyhow::anyhow!("cannot create `{}`: {e}", state.display()))?;
    write_private(&file, &secret)
        .map_err(|e| anyhow::anyhow!("cannot write `{}`: {e}", file.display()))?;
    Ok(AdminSecret::File(secret, file))
}

/// Write `text` to a file only its owner may read (a fresh file, so the mode applies).
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    let _ = std::fs::remove_file(path);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(text.as_bytes())?;
    file.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_on_runs_a_ready_future_and_one_that_yields() {
        assert_eq!(block_on(async { 7 }), 7);
        struct Twice(u8);
        impl Future for Twice {
            type Output = u8;
            fn poll(mut self: std::pin::Pin<&mut Self>, _: &mut Context<'_>) -> Poll<u8> {
                self.0 += 1;
                if self.0 < 3 {
                    Poll::Pending
                } else {
                    Poll::Ready(self.0)
                }
            }
        }
        assert_eq!(block_on(Twice(0)), 3);
    }

    #[test]
    fn admin_secret_from_env_else_a_private_file() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join(STATE_DIR);
        let a = admin_secret(&state, None).unwrap();
        let AdminSecret::File(secret, file) = &a else {
            panic!("{a:?}")
        };
        assert_eq!(std::fs::read_to_string(file).unwrap().trim(), secret);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(file).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let b = admin_secret(&state, None).unwrap();
        assert_ne!(a.secret(), b.secret(), "random per run");
        let c = admin_secret(&state, Some("from-env".into())).unwrap();
        assert_eq!(c, AdminSecret::Env("from-env".into()));
        assert!(!file.exists(), "a stale file is removed");
    }

    #[test]
    fn without_members_json_the_routes_are_off() {
        let m = Members::memory(&[7; 32], None);
        let dir = tempfile::tempdir().unwrap();
        assert!(m.load(dir.path()).unwrap_err().contains("members.json"));
        let req = mhttp::Request {
            method: "POST",
            path: mhttp::SIGNIN_PATH,
            ..Default::default()
        };
        assert!(m.handle(&req, 1).is_none());
        assert!(m.renew(Some("__Host-lyceum_renew=x"), 1).cookie.is_empty());
    }
}
