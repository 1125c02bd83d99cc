//! The member layer's routes under `/_lyceum/`, as one async function from a request to
//! an answer, so the worker (D1) and `lyceum serve` (SQLite) only do the I/O around it:
//! read the request, call [`handle`], send the [`Reply`], fill a [`Answer::Page`] from
//! the bundle, and send the [`Mail`] after answering.
//!
//! Safety rules kept here, once:
//! - every state change is a POST, and a POST from another site is refused
//!   (`Sec-Fetch-Site`, else `Origin`; neither means refused);
//! - the sign-in answer is the same 303 to the "check your inbox" page for any address;
//! - a GET never consumes a sign-in link: it answers the confirm page, whose form POSTs;
//! - answers never echo an address, a secret or a store error, and are never cached;
//! - the admin API wants `Authorization: Bearer <admin secret>` (compared as hashes, in
//!   constant time), answers 404 when no admin secret is configured, and counts wrong
//!   secrets per IP.

use gate::route::Reply;
use gate::session::{
    ascii_location, clear_cookie, clear_hint_cookie, cookie_value, hint_cookie, query_param,
    safe_next, COOKIE_NAME, RENEW_COOKIE_NAME,
};
use gate::sign::{session_token, SessionClaims};
use serde::Deserialize;
use serde_json::json;

use crate::admin::{self, AdminError, NewMember};
use crate::payments::{self, Applied};
use crate::ratelimit::{self, Limit, Verdict};
use crate::session::{self, Membership, NewSession};
use crate::signin::{self, Mail, Redeemed, Requested, SigninForm};
use crate::store::Store;
use crate::{date, secret, stripe, Policy};

/// Sign-in form target (`email`, `next`).
pub const SIGNIN_PATH: &str = "/_lyceum/signin";
/// The link in the mail (`?t=`): GET shows the confirm page, its form POSTs `t` here.
pub const CONFIRM_PATH: &str = "/_lyceum/confirm";
/// The code form target (`email`, `code`).
pub const CODE_PATH: &str = "/_lyceum/code";
/// Sign out (`everywhere=1` ends every session of the member).
pub const SIGNOUT_PATH: &str = "/_lyceum/signout";
/// A member's own data, as JSON.
pub const ACCOUNT_DATA_PATH: &str = "/_lyceum/account/data";
/// The account page's data: level, until when, products, history (JSON).
pub const ACCOUNT_SUMMARY_PATH: &str = "/_lyceum/account/summary";
/// Delete one's account (`confirm=delete`).
pub const ACCOUNT_DELETE_PATH: &str = "/_lyceum/account/delete";
/// The admin API.
pub const ADMIN_PREFIX: &str = "/_lyceum/admin/";
/// CSV import (admin), the one route with a larger body.
pub const IMPORT_PATH: &str = "/_lyceum/admin/members/import";
/// Stripe's webhook (`Stripe-Signature`, raw body).
pub const STRIPE_WEBHOOK_PATH: &str = "/_lyceum/webhooks/stripe";
/// `GET /_lyceum/checkout/<level or product id>`: to its payment link.
pub const CHECKOUT_PREFIX: &str = "/_lyceum/checkout/";
/// Where a checkout without a configured link, or a reader without a plan, goes.
pub const MEMBERSHIP_PAGE: &str = "/membership/";

/// The variable (a secret) holding the Stripe webhook signing secret(s), `whsec_…`.
pub const ENV_STRIPE_WEBHOOK_SECRET: &str = "LYCEUM_STRIPE_WEBHOOK_SECRET";

/// Public pages the theme generates, where the routes send the reader.
pub const SENT_PAGE: &str = "/signin/sent/";
pub const INVALID_PAGE: &str = "/signin/invalid/";
pub const LATER_PAGE: &str = "/signin/later/";
pub const SIGNIN_PAGE: &str = "/signin/";
/// The bundle file of the confirm page; [`CONFIRM_SLOT`] stands where the link's
/// secret goes.
pub const CONFIRM_TEMPLATE: &str = "_gated/_lyceum/confirm.html";
pub const CONFIRM_SLOT: &str = "__LYCEUM_CONFIRM_SECRET__";

/// The cookie holding a session's renewal secret.
pub const RENEW_COOKIE: &str = RENEW_COOKIE_NAME;

/// Largest request body read (form or JSON; CSV imports are admin-only and larger).
pub const MAX_BODY_BYTES: usize = 10 * 1024;
pub const MAX_IMPORT_BYTES: usize = 5 * 1024 * 1024;
/// Largest Stripe webhook body read (Stripe's events are well under this).
pub const MAX_WEBHOOK_BYTES: usize = 256 * 1024;

/// Wrong admin secrets from one IP.
const ADMIN_PER_IP: Limit = Limit {
    name: "admin-ip",
    max: 10,
    window: 3600,
    lockout: 3600,
};

/// What [`handle`] needs of one request.
#[derive(Debug, Clone, Copy, Default)]
pub struct Request<'a> {
    pub method: &'a str,
    /// The raw path, without the query.
    pub path: &'a str,
    /// The raw query, without `?`.
    pub query: &'a str,
    pub host: Option<&'a str>,
    pub origin: Option<&'a str>,
    pub sec_fetch_site: Option<&'a str>,
    pub cookie: Option<&'a str>,
    pub authorization: Option<&'a str>,
    /// The `Stripe-Signature` header (the webhook route only).
    pub stripe_signature: Option<&'a str>,
    /// The client's IP as the platform reports it.
    pub ip: &'a str,
    /// The raw body, unparsed: the webhook's signature covers these exact bytes.
    pub body: &'a [u8],
}

/// The site's settings for the member routes.
#[derive(Debug, Clone)]
pub struct Settings {
    pub policy: Policy,
    /// Signs session tokens (`LYCEUM_JWT_SECRET`), at least 32 bytes.
    pub jwt_secret: Vec<u8>,
    /// Lifetime of a session token, seconds (≤ 3600).
    pub token_ttl: u64,
    /// `LYCEUM_ADMIN_SECRET`; `None` disables the admin API.
    pub admin_secret: Option<String>,
    /// `(id, name)` of each level, for imports.
    pub level_names: Vec<(String, String)>,
    /// Stripe's webhook signing secret(s), `whsec_…` (several separated by commas or
    /// spaces while one is rolled); `None` disables the webhook route (404).
    pub stripe_webhook_secret: Option<String>,
    /// Level or product id → the Stripe Payment Link that sells it.
    pub checkout: std::collections::BTreeMap<String, String>,
    /// The Stripe billing-portal link.
    pub portal: Option<String>,
}

/// How to answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// Send as it is.
    Reply(Reply),
    /// Send the bundle file `template` with [`CONFIRM_SLOT`] replaced by `secret` (a
    /// base64url token, safe in HTML) and the headers of [`page_headers`].
    Page {
        template: &'static str,
        secret: String,
    },
}

/// The answer, a mail to send after it, and a line for the log (never a secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub answer: Answer,
    pub mail: Option<Mail>,
    pub log: Option<String>,
}

impl From<Reply> for Outcome {
    fn from(reply: Reply) -> Self {
        Outcome {
            answer: Answer::Reply(reply),
            mail: None,
            log: None,
        }
    }
}

/// The largest body an adapter should read for a request to `path` (larger: 413).
pub fn body_limit(path: &str) -> usize {
    match path {
        STRIPE_WEBHOOK_PATH => MAX_WEBHOOK_BYTES,
        IMPORT_PATH => MAX_IMPORT_BYTES,
        _ => MAX_BODY_BYTES,
    }
}

/// Whether [`handle`] answers this path (everything under `/_lyceum/` it knows).
pub fn is_member_route(path: &str) -> bool {
    matches!(
        path,
        SIGNIN_PATH
            | CONFIRM_PATH
            | CODE_PATH
            | SIGNOUT_PATH
            | ACCOUNT_DATA_PATH
            | ACCOUNT_SUMMARY_PATH
            | ACCOUNT_DELETE_PATH
            | STRIPE_WEBHOOK_PATH
    ) || path.starts_with(ADMIN_PREFIX)
        || path.starts_with(CHECKOUT_PREFIX)
}

/// Headers of every answer here: never cached, never referred.
pub fn page_headers() -> Vec<(&'static str, String)> {
    vec![
        ("Cache-Control", "no-store".into()),
        ("Referrer-Policy", "no-referrer".into()),
        ("X-Content-Type-Options", "nosniff".into()),
    ]
}

fn reply(status: u16, extra: Vec<(&'static str, String)>, body: impl Into<String>) -> Reply {
    let mut headers = page_headers();
    headers.extend(extra);
    Reply {
        status,
        headers,
        body: body.into(),
    }
}

fn see_other(location: &str, cookies: Vec<String>) -> Reply {
    let mut extra = vec![("Location", ascii_location(location))];
    extra.extend(cookies.into_iter().map(|c| ("Set-Cookie", c)));
    reply(303, extra, "")
}

fn plain(status: u16, text: &str) -> Reply {
    reply(
        status,
        vec![("Content-Type", "text/plain; charset=utf-8".into())],
        format!("{text}\n"),
    )
}

fn json_reply(status: u16, value: &serde_json::Value) -> Reply {
    reply(
        status,
        vec![("Content-Type", "application/json".into())],
        format!("{value}\n"),
    )
}

/// Answer one member route. A store failure is logged and answered as "try later",
/// never with its text.
pub async fn handle(
    store: &impl Store,
    settings: &Settings,
    req: &Request<'_>,
    now: u64,
) -> Outcome {
    match route(store, settings, req, now).await {
        Ok(outcome) => outcome,
        Err(e) => {
            let mut outcome = Outcome::from(unavailable(req.path));
            outcome.log = Some(format!("member route {} failed: {e}", req.path));
            outcome
        }
    }
}

/// The answer when the member layer cannot run (no settings, no database, no mail
/// service, a store failure): "try later", never why.
pub fn unavailable(path: &str) -> Reply {
    if path.starts_with(ADMIN_PREFIX) {
        plain(503, "Service Unavailable")
    } else {
        see_other(LATER_PAGE, Vec::new())
    }
}

/// The confirm page: the bundle's `template` file with the link's secret in its slot.
pub fn confirm_page(template_html: &str, secret: &str) -> Reply {
    reply(
        200,
        vec![("Content-Type", "text/html; charset=utf-8".into())],
        template_html.replace(CONFIRM_SLOT, secret),
    )
}

async fn route(
    store: &impl Store,
    settings: &Settings,
    req: &Request<'_>,
    now: u64,
) -> Result<Outcome, crate::Error> {
    if req.path.starts_with(ADMIN_PREFIX) {
        return admin_route(store, settings, req, now).await;
    }
    if !is_member_route(req.path) {
        // Any method: an unknown route is missing, not a route of another method.
        return Ok(plain(404, "Not Found").into());
    }
    if req.path == STRIPE_WEBHOOK_PATH {
        // Not a browser form: Stripe signs it instead, so no Origin check.
        return stripe_webhook(store, settings, req, now).await;
    }
    if let Some(id) = req.path.strip_prefix(CHECKOUT_PREFIX) {
        if matches!(req.method, "GET" | "HEAD") {
            return checkout(store, settings, req, id, now).await;
        }
        let mut r = plain(405, "Method Not Allowed");
        r.headers.push(("Allow", "GET".into()));
        return Ok(r.into());
    }
    let post = req.method == "POST";
    match (req.path, post) {
        (CONFIRM_PATH, false) if matches!(req.method, "GET" | "HEAD") => {
            // A scanner's GET lands here and consumes nothing.
            return Ok(match query_param(req.query, "t").filter(|t| is_token(t)) {
                Some(secret) => Outcome {
                    answer: Answer::Page {
                        template: CONFIRM_TEMPLATE,
                        secret,
                    },
                    mail: None,
                    log: None,
                },
                None => see_other(INVALID_PAGE, Vec::new()).into(),
            });
        }
        (ACCOUNT_DATA_PATH, false) if req.method == "GET" => {
            return account_data(store, settings, req, now).await;
        }
        (ACCOUNT_SUMMARY_PATH, false) if req.method == "GET" => {
            let Some(membership) = current_membership(store, settings, req, now).await? else {
                return Ok(plain(401, "Unauthorized: sign in first").into());
            };
            let portal = settings.portal.as_deref();
            let summary =
                crate::account::summary(store, &settings.policy, &membership, portal, now).await?;
            return Ok(json_reply(200, &summary).into());
        }
        (_, false) => {
            let mut r = plain(405, "Method Not Allowed");
            r.headers.push(("Allow", "POST".into()));
            return Ok(r.into());
        }
        _ => {}
    }
    if !same_site(req) {
        return Ok(plain(403, "Forbidden: cross-site request").into());
    }
    if req.body.len() > MAX_BODY_BYTES {
        return Ok(plain(413, "Payload Too Large").into());
    }
    let Ok(form) = std::str::from_utf8(req.body) else {
        return Ok(plain(400, "Bad Request").into());
    };
    let field = |name| query_param(form, name);
    match req.path {
        SIGNIN_PATH => {
            let next = safe_next(field("next").as_deref());
            let email = field("email").unwrap_or_default();
            let form = SigninForm {
                email: &email,
                ip: req.ip,
                next: &next,
            };
            Ok(
                match signin::request(store, &settings.policy, form, now).await? {
                    Requested::Accepted { mail } => Outcome {
                        answer: Answer::Reply(see_other(SENT_PAGE, Vec::new())),
                        mail,
                        log: None,
                    },
                    Requested::Invalid(_) => {
                        see_other(&format!("{SIGNIN_PAGE}?error=email"), Vec::new()).into()
                    }
                    Requested::Limited { .. } => see_other(LATER_PAGE, Vec::new()).into(),
                },
            )
        }
        CONFIRM_PATH => {
            let secret = field("t").unwrap_or_default();
            let redeemed =
                signin::redeem_link(store, &settings.policy, &secret, req.ip, now).await?;
            signed_in(settings, redeemed, now)
        }
        CODE_PATH => {
            let (email, code) = (
                field("email").unwrap_or_default(),
                field("code").unwrap_or_default(),
            );
            let redeemed =
                signin::redeem_code(store, &settings.policy, &email, &code, req.ip, now).await?;
            signed_in(settings, redeemed, now)
        }
        SIGNOUT_PATH => {
            if let Some(secret) = req.cookie.and_then(|c| cookie_value(c, RENEW_COOKIE)) {
                if field("everywhere").as_deref() == Some("1") {
                    session::end_all(store, secret, now).await?;
                } else {
                    session::end(store, secret, now).await?;
                }
            }
            Ok(see_other("/", signed_out_cookies()).into())
        }
        ACCOUNT_DELETE_PATH => {
            let Some(member_id) = current_member(store, settings, req, now).await? else {
                return Ok(see_other(SIGNIN_PAGE, Vec::new()).into());
            };
            if field("confirm").as_deref() != Some("delete") {
                return Ok(plain(400, "Bad Request: type delete to confirm").into());
            }
            match admin::delete_account(store, &member_id).await {
                Ok(()) | Err(AdminError::NoSuchMember) => {}
                Err(AdminError::Flow(e)) => return Err(e),
                Err(_) => {}
            }
            Ok(see_other("/", signed_out_cookies()).into())
        }
        _ => Ok(plain(404, "Not Found").into()),
    }
}

/// A redeemed link or code: set the session's cookies and go on, or say it failed.
fn signed_in(settings: &Settings, redeemed: Redeemed, now: u64) -> Result<Outcome, crate::Error> {
    Ok(match redeemed {
        Redeemed::SignedIn { session, next } => match session_cookies(settings, &session, now) {
            Some(cookies) => see_other(&safe_next(Some(&next)), cookies).into(),
            None => {
                let mut o = Outcome::from(see_other(LATER_PAGE, Vec::new()));
                o.log = Some("session token not signed: LYCEUM_JWT_SECRET unusable".into());
                o
            }
        },
        Redeemed::Refused => see_other(INVALID_PAGE, Vec::new()).into(),
        Redeemed::Limited { .. } => see_other(LATER_PAGE, Vec::new()).into(),
    })
}

/// The session token for a membership, valid for `settings.token_ttl`.
pub fn token_for(
    settings: &Settings,
    sid: &str,
    membership: &Membership,
    now: u64,
) -> Option<(String, u64)> {
    let exp = now + settings.token_ttl.min(3600);
    let claims = SessionClaims {
        sub: &membership.member_id,
        level: membership.level.as_deref(),
        products: &membership.products,
        sid,
        iat: now,
        exp,
    };
    session_token(&settings.jwt_secret, &claims)
        .ok()
        .map(|t| (t, exp))
}

/// A renewal, for a request the gate answered with `Outcome::Renew`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Renewal {
    /// The `Cookie` header to route the request again with: the new session token
    /// alone, or nothing (then the request is anonymous).
    pub cookie: String,
    /// `Set-Cookie` headers to add to the answer.
    pub set_cookies: Vec<String>,
    /// For the log (never a secret).
    pub log: Option<String>,
}

/// Renew the session whose renewal secret the request's `cookie` carries: a new
/// session token with the level in force now. A revoked or ended session clears the
/// cookies; a store failure leaves them (it may pass) and the request is anonymous.
/// Two queries (the session, the membership) and no write but `renewed_at`.
pub async fn renew(
    store: &impl Store,
    settings: &Settings,
    cookie: Option<&str>,
    now: u64,
) -> Renewal {
    let anonymous = |set_cookies, log| Renewal {
        cookie: String::new(),
        set_cookies,
        log,
    };
    let Some(secret) = cookie.and_then(|c| cookie_value(c, RENEW_COOKIE)) else {
        return anonymous(Vec::new(), None);
    };
    match session::renew(store, &settings.policy, secret, now).await {
        Ok(Some((sid, membership))) => match token_for(settings, &sid, &membership, now) {
            Some((token, exp)) => Renewal {
                cookie: format!("{COOKIE_NAME}={token}"),
                set_cookies: vec![gate::session::session_cookie(&token, exp, now)],
                log: None,
            },
            None => anonymous(
                Vec::new(),
                Some("session token not signed: LYCEUM_JWT_SECRET unusable".into()),
            ),
        },
        Ok(None) => anonymous(signed_out_cookies(), None),
        Err(e) => anonymous(Vec::new(), Some(format!("session renewal failed: {e}"))),
    }
}

/// `Set-Cookie` values of a new session: the token, the renewal secret, the hint.
fn session_cookies(settings: &Settings, session: &NewSession, now: u64) -> Option<Vec<String>> {
    let (token, exp) = token_for(settings, &session.id, &session.membership, now)?;
    Some(vec![
        gate::session::session_cookie(&token, exp, now),
        renew_cookie(&session.secret, session.expires_at, now),
        hint_cookie(session.expires_at, now),
    ])
}

/// `Set-Cookie` for a renewal secret (base64url; anything else clears it).
pub fn renew_cookie(secret: &str, expires_at: u64, now: u64) -> String {
    if !is_token(secret) {
        return format!("{RENEW_COOKIE}=; HttpOnly; Secure; SameSite=Lax; Path=/; Max-Age=0");
    }
    let max_age = expires_at.saturating_sub(now);
    format!("{RENEW_COOKIE}={secret}; HttpOnly; Secure; SameSite=Lax; Path=/; Max-Age={max_age}")
}

fn signed_out_cookies() -> Vec<String> {
    vec![clear_cookie(), renew_cookie("", 0, 0), clear_hint_cookie()]
}

/// A base64url secret as [`secret::token`] makes them.
fn is_token(s: &str) -> bool {
    s.len() == 43
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A POST from this site: `Sec-Fetch-Site: same-origin`, or without it an `Origin`
/// naming this host. A request with neither is refused (every current browser sends
/// `Origin` on POST; a script is not a reader).
fn same_site(req: &Request<'_>) -> bool {
    match (req.sec_fetch_site, req.origin, req.host) {
        (Some(site), _, _) => site == "same-origin",
        (None, Some(origin), Some(host)) => {
            let authority = origin
                .strip_prefix("https://")
                .or_else(|| origin.strip_prefix("http://"));
            authority.is_some_and(|a| a.eq_ignore_ascii_case(host))
        }
        _ => false,
    }
}

/// The member signed in on this request, by their renewal secret.
async fn current_member(
    store: &impl Store,
    settings: &Settings,
    req: &Request<'_>,
    now: u64,
) -> Result<Option<String>, crate::Error> {
    Ok(current_membership(store, settings, req, now)
        .await?
        .map(|m| m.member_id))
}

async fn current_membership(
    store: &impl Store,
    settings: &Settings,
    req: &Request<'_>,
    now: u64,
) -> Result<Option<Membership>, crate::Error> {
    let Some(secret) = req.cookie.and_then(|c| cookie_value(c, RENEW_COOKIE)) else {
        return Ok(None);
    };
    Ok(session::renew(store, &settings.policy, secret, now)
        .await?
        .map(|(_, m)| m))
}

/// `POST /_lyceum/webhooks/stripe`: verify the signature on the raw bytes, then apply
/// the event once. 400 for a bad signature (never why), 200 for applied, duplicate or
/// ignored, 503 on a store failure so that Stripe retries.
async fn stripe_webhook(
    store: &impl Store,
    settings: &Settings,
    req: &Request<'_>,
    now: u64,
) -> Result<Outcome, crate::Error> {
    let Some(configured) = settings.stripe_webhook_secret.as_deref() else {
        return Ok(plain(404, "Not Found").into());
    };
    let secrets: Vec<&str> = configured
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .collect();
    if secrets.is_empty() {
        return Ok(plain(404, "Not Found").into());
    }
    if req.method != "POST" {
        let mut r = plain(405, "Method Not Allowed");
        r.headers.push(("Allow", "POST".into()));
        return Ok(r.into());
    }
    if req.body.len() > MAX_WEBHOOK_BYTES {
        return Ok(plain(413, "Payload Too Large").into());
    }
    let header = req.stripe_signature.unwrap_or_default();
    if let Err(e) = stripe::verify(header, req.body, &secrets, now) {
        let mut o = Outcome::from(plain(400, "Bad Request"));
        o.log = Some(format!("stripe webhook refused: {e}"));
        return Ok(o);
    }
    let Some(event) = stripe::parse(req.body) else {
        let mut o = Outcome::from(plain(200, "OK"));
        o.log = Some("stripe webhook: signed, but not an event we can read".into());
        return Ok(o);
    };
    let (status, log) = match payments::apply(store, &settings.policy, &event, now).await {
        Ok(Applied::Changed(log)) => (200, Some(log)),
        Ok(Applied::Duplicate) => (200, None),
        Ok(Applied::Ignored(log)) => (200, Some(log)),
        Err(e) => (
            503,
            Some(format!("stripe webhook {} failed: {e}", event.id)),
        ),
    };
    let mut o = Outcome::from(plain(
        status,
        if status == 200 {
            "OK"
        } else {
            "Service Unavailable"
        },
    ));
    o.log = log;
    Ok(o)
}

/// `GET /_lyceum/checkout/<id>`: to the payment link of that level or product, with the
/// signed-in member's id and address so the payment finds them; else to the
/// membership page.
async fn checkout(
    store: &impl Store,
    settings: &Settings,
    req: &Request<'_>,
    id: &str,
    now: u64,
) -> Result<Outcome, crate::Error> {
    let Some(link) = settings.checkout.get(id) else {
        return Ok(see_other(MEMBERSHIP_PAGE, Vec::new()).into());
    };
    let mut location = link.clone();
    if let Some(m) = current_membership(store, settings, req, now).await? {
        location.push(if location.contains('?') { '&' } else { '?' });
        location.push_str("client_reference_id=");
        location.push_str(&url_encode(&m.member_id));
        location.push_str("&prefilled_email=");
        location.push_str(&url_encode(&m.email));
    }
    Ok(see_other(&location, Vec::new()).into())
}

/// Percent-encode everything but RFC 3986's unreserved characters.
fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `GET /_lyceum/account/data`: the member's own data as a JSON download.
async fn account_data(
    store: &impl Store,
    settings: &Settings,
    req: &Request<'_>,
    now: u64,
) -> Result<Outcome, crate::Error> {
    let Some(member_id) = current_member(store, settings, req, now).await? else {
        return Ok(plain(401, "Unauthorized: sign in first").into());
    };
    match admin::account_data(store, &member_id).await {
        Ok(data) => {
            let mut r = json_reply(200, &data);
            r.headers.push((
                "Content-Disposition",
                "attachment; filename=\"my-data.json\"".into(),
            ));
            Ok(r.into())
        }
        Err(AdminError::Flow(e)) => Err(e),
        Err(_) => Ok(plain(401, "Unauthorized: sign in first").into()),
    }
}

/// The body of `POST …/members` and the member actions.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MemberBody {
    email: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    level: Option<String>,
    /// `YYYY-MM-DD` or RFC 3339.
    #[serde(default)]
    until: Option<String>,
    #[serde(default)]
    note: Option<String>,
    /// For `member/grant` and `member/revoke`.
    #[serde(default)]
    product: Option<String>,
}

async fn admin_route(
    store: &impl Store,
    settings: &Settings,
    req: &Request<'_>,
    now: u64,
) -> Result<Outcome, crate::Error> {
    let Some(configured) = settings.admin_secret.as_deref().filter(|s| !s.is_empty()) else {
        return Ok(plain(404, "Not Found").into());
    };
    let ip_key = secret::keyed_hash(&settings.policy.pepper, &["ip", req.ip]);
    let given = req
        .authorization
        .and_then(|a| a.strip_prefix("Bearer "))
        .map(str::trim);
    // Hashes of equal length, compared in constant time: no length or prefix leaks.
    let authorized =
        given.is_some_and(|g| secret::equal(&secret::hash(g), &secret::hash(configured)));
    if !authorized {
        if let Verdict::Locked { until } = ratelimit::hit(store, ADMIN_PER_IP, &ip_key, now).await?
        {
            let mut r = plain(429, "Too Many Requests");
            r.headers
                .push(("Retry-After", until.saturating_sub(now).to_string()));
            return Ok(r.into());
        }
        let mut r = plain(401, "Unauthorized");
        r.headers.push(("WWW-Authenticate", "Bearer".into()));
        return Ok(r.into());
    }
    let limit = if req.path.ends_with("/import") {
        MAX_IMPORT_BYTES
    } else {
        MAX_BODY_BYTES
    };
    if req.body.len() > limit {
        return Ok(plain(413, "Payload Too Large").into());
    }
    let policy = &settings.policy;
    let action = req.path.trim_start_matches(ADMIN_PREFIX);
    let result = match (req.method, action) {
        ("GET", "members") => {
            let level = query_param(req.query, "level");
            admin::list(store, level.as_deref())
                .await
                .map(|m| json_reply(200, &json!({ "members": m })))
        }
        ("GET", "members/export") => admin::export_csv(store).await.map(|csv| {
            reply(
                200,
                vec![
                    ("Content-Type", "text/csv; charset=utf-8".into()),
                    (
                        "Content-Disposition",
                        "attachment; filename=\"members.csv\"".into(),
                    ),
                ],
                csv,
            )
        }),
        ("POST", "members/import") => {
            let Ok(text) = std::str::from_utf8(req.body) else {
                return Ok(plain(400, "Bad Request: the CSV is not UTF-8").into());
            };
            let comp = query_param(req.query, "comp_level");
            admin::import_csv(
                store,
                policy,
                &settings.level_names,
                comp.as_deref(),
                text,
                now,
            )
            .await
            .map(|r| json_reply(200, &json!(r)))
        }
        ("GET", "member") => {
            let email = query_param(req.query, "email").unwrap_or_default();
            match admin::show(store, &email, now).await {
                Ok(detail) => {
                    // What the member reads now: their own level and the subscriptions
                    // and purchases behind it, as a renewal would sign them.
                    let reads =
                        session::membership(store, &settings.policy, &detail.member.id, now)
                            .await?;
                    let mut answer = json!(detail);
                    answer["reads"] = json!({
                        "level": reads.as_ref().and_then(|m| m.level.as_deref()),
                        "products": reads.map(|m| m.products).unwrap_or_default(),
                    });
                    Ok(json_reply(200, &answer))
                }
                Err(e) => Err(e),
            }
        }
        ("POST", "members")
        | ("POST", "member/level")
        | ("POST", "member/revoke-sessions")
        | ("POST", "member/grant")
        | ("POST", "member/revoke")
        | ("POST", "member/remove") => {
            let body: MemberBody = match serde_json::from_slice(req.body) {
                Ok(b) => b,
                Err(_) => {
                    return Ok(json_reply(
                        400,
                        &json!({ "error": "the body must be a JSON object with `email` and optional `name`, `level`, `until`, `note`, `product`" }),
                    )
                    .into())
                }
            };
            let until = match body.until.as_deref().map(date::parse) {
                Some(None) => {
                    return Ok(json_reply(
                        400,
                        &json!({ "error": "`until` is not a date (YYYY-MM-DD)" }),
                    )
                    .into())
                }
                other => other.flatten(),
            };
            match action {
                "members" => {
                    let new = NewMember {
                        email: &body.email,
                        name: body.name.as_deref(),
                        level: body.level.as_deref(),
                        level_until: until,
                        note: body.note.as_deref(),
                    };
                    admin::add(store, policy, &new, now)
                        .await
                        .map(|m| json_reply(201, &json!(m)))
                }
                "member/level" => admin::set_level(
                    store,
                    policy,
                    &body.email,
                    body.level.as_deref(),
                    until,
                    now,
                )
                .await
                .map(|m| json_reply(200, &json!(m))),
                "member/grant" | "member/revoke" => {
                    let product = body.product.as_deref().unwrap_or_default();
                    if action == "member/grant" {
                        admin::grant(
                            store,
                            &settings.policy.products,
                            &body.email,
                            product,
                            until,
                            now,
                        )
                        .await
                        .map(|()| json_reply(200, &json!({ "granted": product })))
                    } else {
                        admin::revoke(store, &body.email, product)
                            .await
                            .map(|had| json_reply(200, &json!({ "revoked": had })))
                    }
                }
                "member/revoke-sessions" => admin::revoke_sessions(store, &body.email, now)
                    .await
                    .map(|n| json_reply(200, &json!({ "revoked": n }))),
                _ => admin::remove(store, &body.email)
                    .await
                    .map(|()| json_reply(200, &json!({ "removed": true }))),
            }
        }
        _ => return Ok(plain(404, "Not Found").into()),
    };
    Ok(match result {
        Ok(r) => r.into(),
        Err(AdminError::Flow(e)) => return Err(e),
        Err(e @ AdminError::NoSuchMember) => {
            json_reply(404, &json!({ "error": e.to_string() })).into()
        }
        Err(e @ AdminError::Exists) => json_reply(409, &json!({ "error": e.to_string() })).into(),
        Err(e) => json_reply(400, &json!({ "error": e.to_string() })).into(),
    })
}
