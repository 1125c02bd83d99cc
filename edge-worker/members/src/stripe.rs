//! Stripe webhooks, step one: is this request really from Stripe?
//!
//! Checked exactly as Stripe's own libraries do, on the raw body before anything parses
//! it: the `Stripe-Signature` header carries `t=<unix time>` and one or more
//! `v1=<hex>` (more than one while a signing secret is rolled); a `v1` must equal
//! HMAC-SHA-256 of `"<t>.<raw body>"` keyed with a `whsec_…` secret (any of several, for
//! rotation on our side too), compared in constant time; and `t` must not be older than
//! the tolerance (300 s, Stripe's default), so a captured request cannot be replayed.
//! Other schemes (`v0`, test-mode `v0` signatures) are ignored, as Stripe's libraries do.

use hmac::{Hmac, Mac};
use serde::Deserialize;
use serde_json::Value;
use sha2::Sha256;
use thiserror::Error;

/// Oldest signature timestamp accepted, in seconds before now.
pub const TOLERANCE_SECS: u64 = 300;

/// Why a webhook was refused. Logged, never sent back in detail (the answer is a bare 400).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SignatureError {
    #[error("no Stripe-Signature header, or no t= and v1= in it")]
    Malformed,
    #[error("no v1 signature matches a configured secret")]
    NoMatch,
    #[error("the signature's timestamp is older than {TOLERANCE_SECS} s")]
    TooOld,
    #[error("no webhook secret configured")]
    NoSecret,
}

/// Verify `header` over `body` with any of `secrets` at `now`; the signed timestamp.
pub fn verify(
    header: &str,
    body: &[u8],
    secrets: &[&str],
    now: u64,
) -> Result<u64, SignatureError> {
    let secrets: Vec<&str> = secrets.iter().copied().filter(|s| !s.is_empty()).collect();
    if secrets.is_empty() {
        return Err(SignatureError::NoSecret);
    }
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for item in header.split(',') {
        let Some((key, value)) = item.trim().split_once('=') else {
            continue;
        };
        match key {
            "t" => timestamp = value.parse::<u64>().ok(),
            "v1" => signatures.push(value),
            _ => {}
        }
    }
    let (Some(t), false) = (timestamp, signatures.is_empty()) else {
        return Err(SignatureError::Malformed);
    };
    let matched = secrets.iter().any(|secret| {
        let expected = expected_signature(secret, t, body);
        signatures
            .iter()
            .any(|given| crate::secret::equal(&expected, &given.to_ascii_lowercase()))
    });
    if !matched {
        return Err(SignatureError::NoMatch);
    }
    if t.saturating_add(TOLERANCE_SECS) < now {
        return Err(SignatureError::TooOld);
    }
    Ok(t)
}

/// Hex HMAC-SHA-256 of `"<t>.<body>"` keyed with `secret` (the whole `whsec_…` string,
/// as Stripe's libraries use it).
pub fn expected_signature(secret: &str, t: u64, body: &[u8]) -> String {
    let mut mac =
        <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The envelope of an event, as Stripe sends it. Fields not named here are ignored:
/// Stripe adds fields over time.
#[derive(Debug, Clone, Deserialize)]
pub struct Event {
    /// `evt_…`, recorded so a retried delivery changes nothing.
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    /// When Stripe created the event (seconds): the order of events about one object.
    pub created: u64,
    pub data: EventData,
    #[serde(default)]
    pub livemode: bool,
}

/// `data` of an event.
#[derive(Debug, Clone, Deserialize)]
pub struct EventData {
    /// The object the event is about (a checkout session, a subscription, a charge…).
    pub object: Value,
}

/// Parse a verified body. `None` when it is not an event (after a valid signature that
/// means a Stripe change we do not know; it is logged and acknowledged).
pub fn parse(body: &[u8]) -> Option<Event> {
    serde_json::from_slice(body).ok()
}
