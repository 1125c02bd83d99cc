//! A member's own account: the level in force and until when, the subscriptions behind
//! it, the products owned, and the history of what was bought, from the rows the
//! webhooks wrote. Read only; what opens pages stays [`crate::session::membership`].

use serde_json::{json, Value as Json};

use crate::session::{self, Membership, Subscription};
use crate::stmt;
use crate::store::{RowExt, Store};
use crate::{Error, Policy};

/// Most history entries shown (newest first).
pub const HISTORY: u64 = 50;

/// The account summary of `membership` at `now`, as JSON for the account page:
/// `{email, level, level_until, subscriptions: [{status, level, product, period_end,
/// live}], products: [{id, source, granted_at, until}], portal, history: [{type, at,
/// amount, currency}]}`. Times are seconds since the Unix epoch.
pub async fn summary(
    store: &impl Store,
    policy: &Policy,
    membership: &Membership,
    portal: Option<&str>,
    now: u64,
) -> Result<Json, Error> {
    let id = membership.member_id.as_str();
    let mut results = store
        .batch(&[
            stmt!("SELECT level, level_until FROM members WHERE id = ?1", id),
            session::subscriptions(id),
            stmt!(
                "SELECT product, source, granted_at, until FROM entitlements
                 WHERE member_id = ?1 AND (until IS NULL OR until > ?2) ORDER BY product",
                id,
                now
            ),
            stmt!(
                "SELECT type, created, amount, currency FROM webhook_events
                 WHERE member_id = ?1 ORDER BY created DESC LIMIT ?2",
                id,
                HISTORY
            ),
        ])
        .await?
        .into_iter();
    let mut next = || results.next().unwrap_or_default();
    let (member, subscriptions, products, history) = (next(), next(), next(), next());
    // The member's own level's end matters only while it is the one in force.
    let own = member.first();
    let level_until = own
        .filter(|m| m.text("level") == membership.level.as_deref())
        .and_then(|m| m.time("level_until"));
    let subscriptions: Vec<Json> = subscriptions
        .iter()
        .map(|row| {
            let s = Subscription::of(row, policy, now);
            json!({
                "status": s.status,
                "level": s.grant.and_then(|g| g.level.as_deref()),
                "product": s.grant.and_then(|g| g.product.as_deref()),
                "period_end": s.period_end,
                "live": s.live,
            })
        })
        .collect();
    let products: Vec<Json> = products
        .iter()
        .map(|p| {
            json!({
                "id": p.text("product"),
                "source": p.text("source"),
                "granted_at": p.time("granted_at"),
                "until": p.time("until"),
            })
        })
        .collect();
    let history: Vec<Json> = history
        .iter()
        .map(|e| {
            json!({
                "type": e.text("type"),
                "at": e.time("created"),
                "amount": e.time("amount"),
                "currency": e.text("currency"),
            })
        })
        .collect();
    Ok(json!({
        "email": membership.email,
        "level": membership.level,
        "level_until": level_until,
        "subscriptions": subscriptions,
        "products": products,
        "portal": portal,
        "history": history,
    }))
}
