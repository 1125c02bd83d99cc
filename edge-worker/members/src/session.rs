//! Sessions: a long-lived renewal secret in the sessions table, and the short-lived
//! membership that the adapter signs into the session token.
//!
//! A gated request with a live token reads no database. When the token has expired the
//! adapter calls [`renew`] with the renewal secret from its cookie: the session must
//! still be live, and the membership is read afresh, so a level change or a revocation
//! takes effect within one token lifetime.

use crate::payments;
use crate::secret;
use crate::stmt;
use crate::store::{Row, RowExt, Stmt, Store};
use crate::{Error, Grant, Policy};

/// Most products carried in one token (the gate refuses more); a member with more
/// gets the first ones by id.
pub use gate::token::MAX_PRODUCTS;

/// What a member may read now: the claims of their next session token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    pub member_id: String,
    pub email: String,
    /// The level in force (a comped or paid level past its end reads as the free level).
    pub level: Option<String>,
    /// Products owned now, sorted, at most [`MAX_PRODUCTS`].
    pub products: Vec<String>,
}

/// A session just begun.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSession {
    /// Public id (the token's `sid`).
    pub id: String,
    /// The renewal secret for the cookie; only its hash is stored.
    pub secret: String,
    pub expires_at: u64,
    pub membership: Membership,
}

/// Begin a session for an active member; `None` if there is no such member.
pub async fn create(
    store: &impl Store,
    policy: &Policy,
    member_id: &str,
    now: u64,
) -> Result<Option<NewSession>, Error> {
    let Some(membership) = membership(store, policy, member_id, now).await? else {
        return Ok(None);
    };
    let (id, secret) = (secret::id()?, secret::token()?);
    let expires_at = now + policy.session_ttl;
    store
        .query(stmt!(
            "INSERT INTO sessions (id, secret_hash, member_id, created_at, renewed_at, expires_at)
             VALUES (?1, ?2, ?3, ?4, ?4, ?5)",
            id.as_str(),
            secret::hash(&secret),
            member_id,
            now,
            expires_at
        ))
        .await?;
    Ok(Some(NewSession {
        id,
        secret,
        expires_at,
        membership,
    }))
}

/// The session of a renewal secret, if it is live, and the membership in force now.
pub async fn renew(
    store: &impl Store,
    policy: &Policy,
    secret: &str,
    now: u64,
) -> Result<Option<(String, Membership)>, Error> {
    let row = store
        .first(stmt!(
            "UPDATE sessions SET renewed_at = ?2
             WHERE secret_hash = ?1 AND revoked_at IS NULL AND expires_at > ?2
             RETURNING id, member_id",
            secret::hash(secret),
            now
        ))
        .await?;
    let Some((sid, member_id)) = row
        .as_ref()
        .and_then(|r| Some((r.text("id")?, r.text("member_id")?)))
    else {
        return Ok(None);
    };
    Ok(membership(store, policy, member_id, now)
        .await?
        .map(|m| (sid.to_string(), m)))
}

/// Sign out: end the session of this renewal secret.
pub async fn end(store: &impl Store, secret: &str, now: u64) -> Result<(), Error> {
    store
        .query(stmt!(
            "UPDATE sessions SET revoked_at = ?2 WHERE secret_hash = ?1 AND revoked_at IS NULL",
            secret::hash(secret),
            now
        ))
        .await?;
    Ok(())
}

/// Sign out everywhere: end every session of the member this secret belongs to.
pub async fn end_all(store: &impl Store, secret: &str, now: u64) -> Result<(), Error> {
    store
        .query(stmt!(
            "UPDATE sessions SET revoked_at = ?2
             WHERE revoked_at IS NULL
               AND member_id = (SELECT member_id FROM sessions WHERE secret_hash = ?1)",
            secret::hash(secret),
            now
        ))
        .await?;
    Ok(())
}

/// End every session of a member (admin, account deletion).
pub async fn end_member(store: &impl Store, member_id: &str, now: u64) -> Result<u64, Error> {
    let rows = store
        .query(stmt!(
            "UPDATE sessions SET revoked_at = ?2 WHERE member_id = ?1 AND revoked_at IS NULL
             RETURNING id",
            member_id,
            now
        ))
        .await?;
    Ok(rows.len() as u64)
}

/// The membership of an active member at `now`: the highest of their own level (admin,
/// comp, until `level_until`) and the levels of their live subscriptions; the products
/// they own now.
pub async fn membership(
    store: &impl Store,
    policy: &Policy,
    member_id: &str,
    now: u64,
) -> Result<Option<Membership>, Error> {
    let mut results = store
        .batch(&[
            stmt!(
                "SELECT id, email, level, level_until FROM members
                 WHERE id = ?1 AND status = 'active'",
                member_id
            ),
            stmt!(
                "SELECT product FROM entitlements
                 WHERE member_id = ?1 AND (until IS NULL OR until > ?2)
                 ORDER BY product LIMIT ?3",
                member_id,
                now,
                MAX_PRODUCTS as u64
            ),
            subscriptions(member_id),
        ])
        .await?
        .into_iter();
    let (members, products, subscriptions) = (
        results.next().unwrap_or_default(),
        results.next().unwrap_or_default(),
        results.next().unwrap_or_default(),
    );
    let Some(member) = members.first() else {
        return Ok(None);
    };
    let mut level = level_in_force(member, policy, now);
    let mut products: Vec<String> = products
        .iter()
        .filter_map(|r| r.text("product").map(str::to_string))
        .collect();
    for sub in &subscriptions {
        let sub = Subscription::of(sub, policy, now);
        if let (true, Some(grant)) = (sub.live, sub.grant) {
            if let Some(l) = &grant.level {
                level = higher(policy, level, l);
            }
            products.extend(grant.product.clone());
        }
    }
    products.sort();
    products.dedup();
    products.truncate(MAX_PRODUCTS);
    Ok(Some(Membership {
        member_id: member.text("id").unwrap_or(member_id).to_string(),
        email: member.text("email").unwrap_or_default().to_string(),
        level,
        products,
    }))
}

/// A member's subscriptions, newest change first: linked by a checkout, or through the
/// member's Stripe customer. Read by [`Subscription::of`].
pub(crate) fn subscriptions(member_id: &str) -> Stmt {
    stmt!(
        "SELECT status, price, current_period_end, paid_until, past_due_since
         FROM subscriptions
         WHERE member_id = ?1
            OR customer IN (SELECT stripe_customer FROM members
                            WHERE id = ?1 AND stripe_customer IS NOT NULL)
         ORDER BY updated_at DESC",
        member_id
    )
}

/// One row of [`subscriptions`] as the site reads it at `now`.
pub(crate) struct Subscription<'a> {
    pub status: &'a str,
    /// What its price sells, if the site sells it.
    pub grant: Option<&'a Grant>,
    /// The later of the period end and the paid-until time.
    pub period_end: Option<u64>,
    /// Whether it gives access now (status, payments and the grace).
    pub live: bool,
}

impl<'a> Subscription<'a> {
    pub(crate) fn of(row: &'a Row, policy: &'a Policy, now: u64) -> Subscription<'a> {
        let status = row.text("status").unwrap_or_default();
        let period_end = [row.time("current_period_end"), row.time("paid_until")]
            .into_iter()
            .flatten()
            .max();
        let live = payments::subscription_live(
            status,
            period_end,
            row.time("past_due_since"),
            policy.grace,
            now,
        );
        Subscription {
            status,
            grant: row.text("price").and_then(|p| policy.prices.get(p)),
            period_end,
            live,
        }
    }
}

/// The higher of two levels in the site's order (a level the site no longer has ranks
/// lowest).
fn higher(policy: &Policy, current: Option<String>, other: &str) -> Option<String> {
    let rank = |l: &str| policy.levels.iter().position(|x| x == l);
    match &current {
        Some(c) if rank(c) >= rank(other) => current,
        _ => Some(other.to_string()),
    }
}

/// A member's level at `now`: their level until its end, then the free level.
fn level_in_force(member: &Row, policy: &Policy, now: u64) -> Option<String> {
    let ended = member.time("level_until").is_some_and(|until| until <= now);
    if ended {
        policy.free_level.clone()
    } else {
        member.text("level").map(str::to_string)
    }
}
