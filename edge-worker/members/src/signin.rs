//! Sign-up and sign-in by email: a link and a 6-digit code, both single use.
//!
//! 1. [`request`]: the reader posts an address. Whatever the address, the answer is the
//!    same "check your inbox"; the flow does the same reads and writes for a member, a
//!    stranger and a refused sign-up, and only the mail it hands back differs. The
//!    adapter answers first and sends the mail after, so sending takes no visible time.
//! 2. [`redeem_link`] or [`redeem_code`]: the reader posts the link's secret (from the
//!    confirm page the link opens: a scanner's GET consumes nothing) or the code. Each is
//!    consumed by one conditional `UPDATE … RETURNING`, so two confirmations of one link
//!    cannot both succeed. A code locks after [`MAX_CODE_TRIES`] tries.
//! 3. The member is found, or created when sign-up is open, and a session begins
//!    ([`crate::session`]).

use crate::email::{self, EmailError};
use crate::ratelimit::{self, Verdict};
use crate::secret;
use crate::session::{self, NewSession};
use crate::stmt;
use crate::store::{RowExt, Store};
use crate::{Error, Policy, Signup};

/// Code tries per sign-in request; the next try is refused even with the right code.
pub const MAX_CODE_TRIES: i64 = 5;

/// What a reader asked for by posting the form.
#[derive(Debug, Clone, Copy)]
pub struct SigninForm<'a> {
    pub email: &'a str,
    /// The reader's IP as the platform reports it (`CF-Connecting-IP`); only its keyed
    /// hash is stored.
    pub ip: &'a str,
    /// Where to land after signing in: a same-site path the adapter has checked.
    pub next: &'a str,
}

/// Which mail to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailKind {
    /// The address is a member's.
    SignIn,
    /// Sign-up is open and the address is new: confirming creates the member.
    SignUp,
}

/// A sign-in mail to send. Holds the only copies of the secrets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    pub to: String,
    pub kind: MailKind,
    /// Goes into the confirm link (`/_lyceum/confirm?t=…`).
    pub link_secret: String,
    pub code: String,
    pub expires_at: u64,
}

/// The outcome of posting the form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Requested {
    /// Answer "check your inbox", whatever `mail` is; send it afterwards if there is one.
    Accepted { mail: Option<Mail> },
    /// Not an address: the form says so (it tells nothing about membership).
    Invalid(EmailError),
    /// Too many requests from this IP or to this address; the same for every address.
    Limited { retry_after: u64 },
}

/// The outcome of a confirmation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Redeemed {
    /// Set the session's cookies and go to `next`.
    SignedIn { session: NewSession, next: String },
    /// Unknown, used, expired or locked: one answer for all, "ask for a new link".
    Refused,
    /// Too many confirmations from this IP.
    Limited { retry_after: u64 },
}

/// Step 1: the reader posted the sign-in form.
pub async fn request(
    store: &impl Store,
    policy: &Policy,
    form: SigninForm<'_>,
    now: u64,
) -> Result<Requested, Error> {
    let address = match email::normalize(form.email) {
        Ok(a) => a,
        Err(e) => return Ok(Requested::Invalid(e)),
    };
    let ip_key = secret::keyed_hash(&policy.pepper, &["ip", form.ip]);
    let to_key = secret::keyed_hash(&policy.pepper, &["to", &address]);
    // Both counters count every request, so neither says more than the other.
    let by_ip = ratelimit::hit(store, ratelimit::SIGNIN_PER_IP, &ip_key, now).await?;
    let by_to = ratelimit::hit(store, ratelimit::SIGNIN_PER_RECIPIENT, &to_key, now).await?;
    if let Some(until) = [by_ip, by_to].iter().find_map(|v| match v {
        Verdict::Locked { until } => Some(*until),
        Verdict::Allowed => None,
    }) {
        return Ok(Requested::Limited {
            retry_after: until.saturating_sub(now),
        });
    }

    let member = store
        .first(stmt!(
            "SELECT status FROM members WHERE email = ?1",
            address.as_str()
        ))
        .await?;
    let kind = match (
        member.as_ref().and_then(|m| m.text("status")),
        policy.signup,
    ) {
        (_, Signup::Closed) => None,
        (Some("active"), _) => Some(MailKind::SignIn),
        (Some(_), _) => None,
        (None, Signup::Open) => Some(MailKind::SignUp),
        (None, Signup::Invite) => None,
    };

    // A request row is written whether or not a mail goes out: the same work either way.
    let (link_secret, code, id) = (secret::token()?, secret::code()?, secret::id()?);
    let expires_at = now + policy.link_ttl;
    store
        .query(stmt!(
            "INSERT INTO signin_tokens (id, email, link_hash, code_hash, next, created_at, expires_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            id.as_str(),
            address.as_str(),
            secret::hash(&link_secret),
            code_hash(policy, &id, &code),
            form.next,
            now,
            expires_at
        ))
        .await?;
    let mail = kind.map(|kind| Mail {
        to: address,
        kind,
        link_secret,
        code,
        expires_at,
    });
    Ok(Requested::Accepted { mail })
}

/// Step 2, by link: the confirm page posted the link's secret.
pub async fn redeem_link(
    store: &impl Store,
    policy: &Policy,
    link_secret: &str,
    ip: &str,
    now: u64,
) -> Result<Redeemed, Error> {
    if let Some(limited) = confirm_limited(store, policy, ip, now).await? {
        return Ok(limited);
    }
    let row = store
        .first(stmt!(
            "UPDATE signin_tokens SET used_at = ?2
             WHERE link_hash = ?1 AND used_at IS NULL AND expires_at > ?2 AND attempts < ?3
             RETURNING email, next",
            secret::hash(link_secret),
            now,
            MAX_CODE_TRIES
        ))
        .await?;
    finish(store, policy, row, now).await
}

/// Step 2, by code: the reader typed the code from the mail next to their address.
pub async fn redeem_code(
    store: &impl Store,
    policy: &Policy,
    address: &str,
    code: &str,
    ip: &str,
    now: u64,
) -> Result<Redeemed, Error> {
    if let Some(limited) = confirm_limited(store, policy, ip, now).await? {
        return Ok(limited);
    }
    let Ok(address) = email::normalize(address) else {
        return Ok(Redeemed::Refused);
    };
    // Count the try on the newest live request for the address, and read its code.
    let Some(row) = store
        .first(stmt!(
            "UPDATE signin_tokens SET attempts = attempts + 1
             WHERE id = (SELECT id FROM signin_tokens
                         WHERE email = ?1 AND used_at IS NULL AND expires_at > ?2
                         ORDER BY created_at DESC, rowid DESC LIMIT 1)
               AND attempts < ?3
             RETURNING id, code_hash",
            address.as_str(),
            now,
            MAX_CODE_TRIES
        ))
        .await?
    else {
        return Ok(Redeemed::Refused);
    };
    let (Some(id), Some(stored)) = (row.text("id"), row.text("code_hash")) else {
        return Ok(Redeemed::Refused);
    };
    let typed: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if !secret::equal(&code_hash(policy, id, &typed), stored) {
        return Ok(Redeemed::Refused);
    }
    let row = store
        .first(stmt!(
            "UPDATE signin_tokens SET used_at = ?2
             WHERE id = ?1 AND used_at IS NULL AND expires_at > ?2
             RETURNING email, next",
            id,
            now
        ))
        .await?;
    finish(store, policy, row, now).await
}

async fn confirm_limited(
    store: &impl Store,
    policy: &Policy,
    ip: &str,
    now: u64,
) -> Result<Option<Redeemed>, Error> {
    let key = secret::keyed_hash(&policy.pepper, &["ip", ip]);
    Ok(
        match ratelimit::hit(store, ratelimit::CONFIRM_PER_IP, &key, now).await? {
            Verdict::Allowed => None,
            Verdict::Locked { until } => Some(Redeemed::Limited {
                retry_after: until.saturating_sub(now),
            }),
        },
    )
}

/// Step 3: a consumed request (its row) becomes a member and a session.
async fn finish(
    store: &impl Store,
    policy: &Policy,
    consumed: Option<crate::store::Row>,
    now: u64,
) -> Result<Redeemed, Error> {
    let Some(row) = consumed else {
        return Ok(Redeemed::Refused);
    };
    let (Some(address), next) = (row.text("email"), row.text("next").unwrap_or("/")) else {
        return Ok(Redeemed::Refused);
    };
    if policy.signup == Signup::Open {
        // Confirming proves the address, so this is where a sign-up becomes a member.
        store
            .query(stmt!(
                "INSERT INTO members (id, email, level, source, created_at, updated_at)
                 VALUES (?1, ?2, ?3, 'signup', ?4, ?4)
                 ON CONFLICT (email) DO NOTHING",
                secret::id()?,
                address,
                policy.free_level.as_deref(),
                now
            ))
            .await?;
    }
    let member = store
        .first(stmt!(
            "SELECT id FROM members WHERE email = ?1 AND status = 'active'",
            address
        ))
        .await?;
    let Some(member_id) = member.as_ref().and_then(|m| m.text("id")) else {
        return Ok(Redeemed::Refused);
    };
    match session::create(store, policy, member_id, now).await? {
        Some(session) => Ok(Redeemed::SignedIn {
            session,
            next: next.to_string(),
        }),
        None => Ok(Redeemed::Refused),
    }
}

fn code_hash(policy: &Policy, request_id: &str, code: &str) -> String {
    secret::keyed_hash(&policy.pepper, &["code", request_id, code])
}
