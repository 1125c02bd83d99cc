//! When to fetch a JWKS from its URL (`LYCEUM_JWT_JWKS_URL`): the policy, as a small
//! state machine over the clock, so the adapter (the worker, per isolate) only fetches.
//!
//! - A token signed by a key the set lacks (an unknown `kid`, or no keys yet), or keys
//!   past their time to live, ask for a fetch.
//! - A fetch starts at most once per interval (`LYCEUM_JWT_JWKS_REFETCH_SECS`,
//!   default 60 s), whatever asks: a flood of tokens with random `kid`s costs the
//!   provider at most one request per interval per isolate, and a provider that is
//!   down is not hammered.
//! - Keys live for the response's `Cache-Control: max-age` (at most 24 h), 5 minutes
//!   without one. A failed fetch or a bad document keeps the last good keys.

use crate::token::ConfigError;

/// The environment variable holding the least time between two fetches, in seconds.
pub const ENV_REFETCH_SECS: &str = "LYCEUM_JWT_JWKS_REFETCH_SECS";
/// Least time between two fetches by default, in seconds.
pub const DEFAULT_REFETCH_SECS: u64 = 60;
/// The allowed range of [`ENV_REFETCH_SECS`].
pub const REFETCH_SECS_RANGE: std::ops::RangeInclusive<u64> = 1..=3600;
/// How long fetched keys are used without a `max-age`, in seconds.
pub const DEFAULT_TTL_SECS: u64 = 300;
/// The longest time fetched keys are used, whatever `max-age` says, in seconds.
pub const MAX_TTL_SECS: u64 = 86_400;
/// Largest JWKS document accepted, in bytes (a provider's is a few KB).
pub const MAX_JWKS_BYTES: usize = 64 * 1024;

/// The least time between fetches from [`ENV_REFETCH_SECS`] (`None` or blank: the default).
pub fn refetch_secs(value: Option<&str>) -> Result<u64, ConfigError> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(DEFAULT_REFETCH_SECS),
        Some(v) => v
            .parse()
            .ok()
            .filter(|n| REFETCH_SECS_RANGE.contains(n))
            .ok_or_else(|| {
                ConfigError::Provider(format!(
                    "{ENV_REFETCH_SECS} must be a number of seconds from {} to {}",
                    REFETCH_SECS_RANGE.start(),
                    REFETCH_SECS_RANGE.end()
                ))
            }),
    }
}

/// How long to keep keys fetched with this `Cache-Control` header: its `max-age`
/// (capped at [`MAX_TTL_SECS`]; `no-store`/`no-cache` mean 0), else [`DEFAULT_TTL_SECS`].
pub fn ttl_secs(cache_control: Option<&str>) -> u64 {
    let mut ttl = None;
    for directive in cache_control.unwrap_or_default().split(',') {
        let directive = directive.trim().to_ascii_lowercase();
        if directive == "no-store" || directive == "no-cache" {
            return 0;
        }
        if let Some(age) = directive.strip_prefix("max-age=") {
            ttl = age.trim_matches('"').parse::<u64>().ok();
        }
    }
    ttl.map_or(DEFAULT_TTL_SECS, |t| t.min(MAX_TTL_SECS))
}

/// The fetch schedule of one JWKS URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refresh {
    interval: u64,
    /// When the last fetch started, if one did.
    last_attempt: Option<u64>,
    /// Until when the keys in hand are fresh; `None`: none loaded yet.
    fresh_until: Option<u64>,
}

impl Refresh {
    /// No keys yet; fetches at most once per `interval` seconds.
    pub fn new(interval: u64) -> Refresh {
        Refresh {
            interval,
            last_attempt: None,
            fresh_until: None,
        }
    }

    /// Whether to start a fetch at `now` for a request whose token `needs_key` (its
    /// key is not in the set): if so, the attempt is recorded, so every other request
    /// until the interval has passed is told no.
    pub fn begin(&mut self, now: u64, needs_key: bool) -> bool {
        let stale = self.fresh_until.is_none_or(|until| now >= until);
        // A clock that went back counts as "long ago", not as "just now".
        let allowed = self
            .last_attempt
            .is_none_or(|t| now < t || now - t >= self.interval);
        let start = (needs_key || stale) && allowed;
        if start {
            self.last_attempt = Some(now);
        }
        start
    }

    /// A fetch ended at `now` with keys to keep for `ttl` seconds.
    pub fn loaded(&mut self, now: u64, ttl: u64) {
        self.fresh_until = Some(now.saturating_add(ttl));
    }

    /// Whether keys were loaded at some point.
    pub fn has_keys(&self) -> bool {
        self.fresh_until.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: u64 = 1_700_000_000;

    #[test]
    fn first_use_fetches_once() {
        let mut r = Refresh::new(60);
        assert!(r.begin(T0, true));
        // Until the fetch ends (or fails), the others do not fetch again.
        assert!(!r.begin(T0, true));
        r.loaded(T0 + 1, 300);
        assert!(r.has_keys());
        assert!(!r.begin(T0 + 2, false), "fresh keys, known kid: no fetch");
    }

    #[test]
    fn kid_flood_causes_at_most_one_refetch_per_interval() {
        let mut r = Refresh::new(60);
        assert!(r.begin(T0, true));
        r.loaded(T0, 300);
        let mut fetches = 0;
        // 10,000 tokens with unknown kids over five minutes, one every 30 ms.
        for i in 0..10_000u64 {
            if r.begin(T0 + 60 + i * 3 / 100, true) {
                fetches += 1;
            }
        }
        // 300 s of flood from T0+60: refetches at +60, +120, … at most one per 60 s.
        assert_eq!(fetches, 5);
    }

    #[test]
    fn stale_keys_are_refetched_and_a_failure_keeps_them() {
        let mut r = Refresh::new(60);
        assert!(r.begin(T0, true));
        r.loaded(T0, 300);
        assert!(!r.begin(T0 + 299, false));
        assert!(r.begin(T0 + 300, false), "stale: fetch");
        // That fetch failed (no `loaded`): the old keys stay, retried once per interval.
        assert!(r.has_keys());
        assert!(!r.begin(T0 + 330, false));
        assert!(r.begin(T0 + 360, false));
        r.loaded(T0 + 361, 300);
        assert!(!r.begin(T0 + 400, false));
    }

    #[test]
    fn provider_down_is_asked_once_per_interval() {
        let mut r = Refresh::new(60);
        let asked = (0..600).filter(|s| r.begin(T0 + s, true)).count();
        assert_eq!(asked, 10);
        assert!(!r.has_keys());
    }

    #[test]
    fn clock_going_back_does_not_block_fetches() {
        let mut r = Refresh::new(60);
        assert!(r.begin(T0, true));
        assert!(r.begin(T0 - 10, true));
    }

    #[test]
    fn max_age_within_bounds() {
        assert_eq!(ttl_secs(None), DEFAULT_TTL_SECS);
        assert_eq!(ttl_secs(Some("public, max-age=600")), 600);
        assert_eq!(ttl_secs(Some("max-age=\"90\"")), 90);
        assert_eq!(ttl_secs(Some("Max-Age=31536000, immutable")), MAX_TTL_SECS);
        assert_eq!(ttl_secs(Some("max-age=oops")), DEFAULT_TTL_SECS);
        assert_eq!(ttl_secs(Some("no-store")), 0);
        assert_eq!(ttl_secs(Some("max-age=600, no-cache")), 0);
    }

    #[test]
    fn refetch_interval_is_checked() {
        assert_eq!(refetch_secs(None), Ok(60));
        assert_eq!(refetch_secs(Some(" ")), Ok(60));
        assert_eq!(refetch_secs(Some("5")), Ok(5));
        for bad in ["0", "3601", "-1", "1m"] {
            assert!(
                matches!(refetch_secs(Some(bad)), Err(ConfigError::Provider(m)) if m.contains(ENV_REFETCH_SECS)),
                "{bad}"
            );
        }
    }
}
