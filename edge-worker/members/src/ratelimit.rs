//! Rate limits with growing lockouts, counted in the members database.
//!
//! A limit allows `max` hits per fixed `window`; the hit past it locks the key for
//! `lockout`, doubled for every earlier lockout of the same key (capped at a day), and
//! a key that stays quiet for a day after its last lockout starts afresh. Hits while
//! locked keep counting, so hammering a locked form only lengthens the lock. Counters
//! live in the database, not in an isolate, so they hold across the edge and restarts.
//! Keys are keyed hashes of the IP or address (see [`crate::secret::keyed_hash`]).

use crate::stmt;
use crate::store::{RowExt, Store, StoreError};

/// Longest lockout, however many strikes.
pub const MAX_LOCKOUT_SECS: u64 = 86_400;

/// One kind of limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    /// Prefix of the counter's key, e.g. `signin-ip`.
    pub name: &'static str,
    pub max: u32,
    /// Seconds.
    pub window: u64,
    /// Seconds of the first lockout.
    pub lockout: u64,
}

/// Sign-in requests from one IP.
pub const SIGNIN_PER_IP: Limit = Limit {
    name: "signin-ip",
    max: 20,
    window: 3600,
    lockout: 900,
};
/// Sign-in mails to one address: a recipient cannot be mail-bombed through the form.
pub const SIGNIN_PER_RECIPIENT: Limit = Limit {
    name: "signin-to",
    max: 3,
    window: 900,
    lockout: 900,
};
/// Code and link confirmations from one IP (guessing codes across many requests).
pub const CONFIRM_PER_IP: Limit = Limit {
    name: "confirm-ip",
    max: 30,
    window: 3600,
    lockout: 900,
};

/// The answer to one hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Allowed,
    /// Refused until then (seconds since the epoch).
    Locked {
        until: u64,
    },
}

/// Count one hit of `limit` for `subject` (already a hash) at `now`.
pub async fn hit(
    store: &impl Store,
    limit: Limit,
    subject: &str,
    now: u64,
) -> Result<Verdict, StoreError> {
    let key = format!("{}:{subject}", limit.name);
    // In an upsert's SET, plain column names are the stored row's values.
    let row = store
        .first(stmt!(
            "INSERT INTO rate_limits (key, window_start, count, strikes, locked_until)
             VALUES (?1, ?2, 1, 0, 0)
             ON CONFLICT (key) DO UPDATE SET
               window_start = CASE WHEN window_start + ?3 <= ?2 THEN ?2 ELSE window_start END,
               count = CASE WHEN window_start + ?3 <= ?2 THEN 1 ELSE count + 1 END,
               strikes = CASE WHEN locked_until > 0 AND locked_until + ?4 <= ?2 THEN 0 ELSE strikes END
             RETURNING count, strikes, locked_until",
            key.as_str(),
            now,
            limit.window,
            MAX_LOCKOUT_SECS
        ))
        .await?;
    // No row back is a store that misbehaves: deny.
    let Some(row) = row else {
        return Ok(Verdict::Locked {
            until: now + limit.lockout,
        });
    };
    let locked_until = row.time("locked_until").unwrap_or(u64::MAX);
    if locked_until > now {
        return Ok(Verdict::Locked {
            until: locked_until,
        });
    }
    let count = row.time("count").unwrap_or(u64::MAX);
    if count <= u64::from(limit.max) {
        return Ok(Verdict::Allowed);
    }
    let strikes = row.time("strikes").unwrap_or(0).min(16) as u32;
    let until = now
        + limit
            .lockout
            .saturating_mul(1 << strikes)
            .min(MAX_LOCKOUT_SECS);
    store
        .query(stmt!(
            "UPDATE rate_limits SET strikes = strikes + 1, locked_until = ?2, count = 0,
                    window_start = ?3
             WHERE key = ?1",
            key.as_str(),
            until,
            now
        ))
        .await?;
    Ok(Verdict::Locked { until })
}
