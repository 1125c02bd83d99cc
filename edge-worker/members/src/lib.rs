//! lyceum's member layer: sign-up and sign-in by email, sessions, rate limits and member
//! administration, as pure flows over a [`Store`].
//!
//! Every SQL statement lives here, written once; the edge worker runs them on D1 and
//! `lyceum serve` on a SQLite file ([`sqlite`], feature `sqlite`), both with the schema
//! of `edge-worker/migrations/`. The flows take the time as an argument and return what
//! to answer and what to send; the adapters do the HTTP, the mail and the signing of
//! session tokens. Who may read what stays in the `gate` crate: this one only says what
//! a member's level and products are.

pub mod account;
pub mod admin;
mod csv;
pub mod date;
pub mod email;
pub mod http;
pub mod mail;
pub mod payments;
pub mod ratelimit;
pub mod secret;
pub mod session;
pub mod signin;
pub mod site;
#[cfg(feature = "sqlite")]
pub mod sqlite;
pub mod store;
pub mod stripe;

pub use store::{Row, RowExt, Stmt, Store, StoreError, Value};

use thiserror::Error;

/// The schema, in order: `(file name, SQL)`. The same files `wrangler d1 migrations
/// apply` runs.
pub const MIGRATIONS: &[(&str, &str)] = &[
    (
        "0001_members.sql",
        include_str!("../../migrations/0001_members.sql"),
    ),
    (
        "0002_payments.sql",
        include_str!("../../migrations/0002_payments.sql"),
    ),
    (
        "0003_history.sql",
        include_str!("../../migrations/0003_history.sql"),
    ),
];

/// Who may become a member by signing in (`site.yaml`: `members.signup`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Signup {
    /// Anyone: confirming a new address creates a member.
    #[default]
    Open,
    /// Only addresses already on the list (added by the admin, an import or a payment).
    Invite,
    /// Nobody signs in by email; tokens from elsewhere still work.
    Closed,
}

/// A site's member settings and the server's secret.
#[derive(Debug, Clone)]
pub struct Policy {
    pub signup: Signup,
    /// The site's level ids, lowest first.
    pub levels: Vec<String>,
    /// The level of a new free member, and of one whose level has ended.
    pub free_level: Option<String>,
    /// Lifetime of a sign-in link and code, seconds.
    pub link_ttl: u64,
    /// Lifetime of a session (its renewal secret), seconds.
    pub session_ttl: u64,
    /// Key of the keyed hashes (codes, rate-limit keys): the server's secret.
    pub pepper: Vec<u8>,
    /// Stripe price id (or payment link id, `plink_…`) → what it sells.
    pub prices: std::collections::BTreeMap<String, Grant>,
    /// The site's product ids (courses sold on their own).
    pub products: Vec<String>,
    /// How long a `past_due` subscription keeps its level, and how long past its paid
    /// period an active one does when the renewal's webhook is late or lost, seconds.
    pub grace: u64,
}

/// What a Stripe price sells: a level (a subscription) and/or a product (a course).
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Grant {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
}

impl Policy {
    /// Default lifetimes: links 15 minutes, sessions 30 days; a grace of 3 days.
    pub fn new(pepper: impl Into<Vec<u8>>) -> Policy {
        Policy {
            signup: Signup::Open,
            levels: Vec::new(),
            free_level: None,
            link_ttl: 15 * 60,
            session_ttl: 30 * 86_400,
            pepper: pepper.into(),
            prices: Default::default(),
            products: Vec::new(),
            grace: 3 * 86_400,
        }
    }
}

/// A flow could not finish. Its text is for the log, never for a response.
#[derive(Debug, Error)]
pub enum Error {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Randomness(#[from] secret::NoRandomness),
}
