//! Stripe webhooks, step two: apply a verified event to the members database, once.
//!
//! Each event's id goes into `webhook_events` by a plain `INSERT` in the same atomic
//! batch as its change, so a second delivery fails on the primary key and changes
//! nothing. Stripe delivers late, twice and out of order, so no change depends on
//! arrival: a subscription row keeps the event time of the state it holds and refuses an
//! older one, a canceled subscription is never revived (Stripe's are final), paid-until
//! times only grow, and a refunded payment is remembered so its checkout grants nothing
//! even when it arrives after the refund.
//!
//! What a member may read is computed from these rows at renewal ([`crate::session`]),
//! with the price → level map and the grace of [`Policy`], so a paid-until time in the
//! past ends access even when the cancel webhook is lost.

use serde_json::Value as Json;

use crate::email;
use crate::secret;
use crate::stmt;
use crate::store::{RowExt, Stmt, Store};
use crate::stripe::Event;
use crate::{Error, Grant, Policy};

/// What became of an event. Every variant is acknowledged (200): only a store failure
/// is not, so that Stripe retries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    /// Changed the database; a line for the log.
    Changed(String),
    /// Already applied: nothing changed.
    Duplicate,
    /// Nothing to do (an unknown price or product, a type we do not handle): why.
    Ignored(String),
}

/// Apply a verified event at `now`.
pub async fn apply(
    store: &impl Store,
    policy: &Policy,
    event: &Event,
    now: u64,
) -> Result<Applied, Error> {
    if seen(store, &event.id).await? {
        return Ok(Applied::Duplicate);
    }
    let obj = &event.data.object;
    let plan = match event.kind.as_str() {
        // A delayed method (a bank debit) completes unpaid and succeeds later.
        "checkout.session.completed" | "checkout.session.async_payment_succeeded" => {
            checkout(store, policy, event, now).await?
        }
        "customer.subscription.created"
        | "customer.subscription.updated"
        | "customer.subscription.deleted" => subscription(policy, event, now),
        "invoice.paid" => invoice_paid(event, now),
        "invoice.payment_failed" => invoice_failed(event, now),
        "charge.refunded" => {
            if obj["refunded"].as_bool() == Some(true) {
                revoke(event, "refund", now)
            } else {
                Plan::ignore("a partial refund keeps the purchase")
            }
        }
        "charge.dispute.created" => revoke(event, "dispute", now),
        other => Plan::ignore(format!("event type {other} not handled")),
    };
    let Plan { stmts, member, log } = plan;
    if stmts.is_empty() {
        return Ok(Applied::Ignored(format!(
            "stripe {} {}: {log}",
            event.kind, event.id
        )));
    }
    // The member it concerns, for their history: known, or by the Stripe customer, or
    // by the payment a purchase came from.
    let (customer, payment) = (
        id_of(obj, "customer"),
        id_of(obj, "payment_intent").or_else(|| id_of(obj, "charge")),
    );
    // What it was worth, for the member's history: a session's total, an invoice's
    // payment, a refund's or a dispute's amount.
    let amount = ["amount_total", "amount_paid", "amount_refunded", "amount"]
        .iter()
        .find_map(|k| time(obj, k));
    let mut batch = vec![stmt!(
        "INSERT INTO webhook_events (id, type, member_id, created, received_at, amount, currency)
         VALUES (?1, ?2, COALESCE(?3,
           (SELECT id FROM members WHERE stripe_customer = ?6 LIMIT 1),
           (SELECT member_id FROM entitlements WHERE payment_ref = ?7 LIMIT 1)), ?4, ?5, ?8, ?9)",
        event.id.as_str(),
        event.kind.as_str(),
        member,
        event.created,
        now,
        customer,
        payment,
        amount,
        text(obj, "currency")
    )];
    batch.extend(stmts);
    match store.batch(&batch).await {
        Ok(_) => Ok(Applied::Changed(format!(
            "stripe {} {}: {log}",
            event.kind, event.id
        ))),
        // A concurrent delivery of the same event won the insert: nothing changed.
        Err(_) if seen(store, &event.id).await? => Ok(Applied::Duplicate),
        Err(e) => Err(e.into()),
    }
}

async fn seen(store: &impl Store, id: &str) -> Result<bool, Error> {
    Ok(store
        .first(stmt!("SELECT 1 AS x FROM webhook_events WHERE id = ?1", id))
        .await?
        .is_some())
}

/// The statements of one event, the member it concerns if known, and a log line.
struct Plan {
    stmts: Vec<Stmt>,
    member: Option<String>,
    log: String,
}

impl Plan {
    fn ignore(why: impl Into<String>) -> Plan {
        Plan {
            stmts: Vec::new(),
            member: None,
            log: why.into(),
        }
    }
}

/// A string field, `None` when absent, null or empty.
fn text<'a>(v: &'a Json, key: &str) -> Option<&'a str> {
    v.get(key)?.as_str().filter(|s| !s.is_empty())
}

/// An id field that may be a string or an expanded object with `id`.
fn id_of<'a>(v: &'a Json, key: &str) -> Option<&'a str> {
    let field = v.get(key)?;
    field
        .as_str()
        .or_else(|| field.get("id")?.as_str())
        .filter(|s| !s.is_empty())
}

fn time(v: &Json, key: &str) -> Option<u64> {
    v.get(key)?.as_u64()
}

/// The first price (or, failing that, the payment link) of `obj` that the site sells.
fn known_price(
    policy: &Policy,
    prices: impl IntoIterator<Item = String>,
) -> Result<(String, &Grant), String> {
    let mut seen = Vec::new();
    for price in prices {
        if let Some(grant) = policy.prices.get(&price) {
            return Ok((price, grant));
        }
        seen.push(price);
    }
    Err(if seen.is_empty() {
        "no price in the event".into()
    } else {
        format!("unknown price {}", seen.join(", "))
    })
}

/// `checkout.session.completed`: find or create the member, then link the subscription
/// or grant the purchase.
async fn checkout(
    store: &impl Store,
    policy: &Policy,
    event: &Event,
    now: u64,
) -> Result<Plan, Error> {
    let s = &event.data.object;
    if text(s, "payment_status") == Some("unpaid") {
        // Delayed methods complete later (`async_payment_succeeded`); nothing is paid yet.
        return Ok(Plan::ignore("not paid yet"));
    }
    // Stripe's events never expand `line_items` (only an API call with a secret key
    // would): a session as delivered names its payment link, if any, and no price.
    let listed: Vec<String> = s["line_items"]["data"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|item| id_of(item, "price").map(str::to_string))
        .collect();
    let items_listed = !listed.is_empty();
    let mut prices = listed;
    prices.extend(id_of(s, "payment_link").map(str::to_string));
    let mode = text(s, "mode").unwrap_or("payment");
    let (price, grant) = match known_price(policy, prices) {
        Ok((price, grant)) => (Some(price), Some(grant)),
        // A subscription's own events carry its price, and the level comes from that: the
        // checkout only has to link it to its member. Line items listed, none of them
        // ours, are another seller's.
        Err(_) if mode == "subscription" && !items_listed => (None, None),
        Err(why) if mode == "payment" && !items_listed => {
            return Ok(Plan::ignore(format!(
                "{why} (a one-off checkout names only its payment link: list its plink_… id in stripe_prices)"
            )))
        }
        Err(why) => return Ok(Plan::ignore(why)),
    };
    if let (Some(price), Some(grant)) = (&price, grant) {
        if mode == "subscription" && grant.level.is_none() {
            return Ok(Plan::ignore(format!("price {price} grants no level")));
        }
        if mode == "payment" && grant.product.is_none() {
            return Ok(Plan::ignore(format!("price {price} grants no product")));
        }
    }
    let mut stmts = Vec::new();
    let Some(member) = buyer(store, policy, s, now, &mut stmts).await? else {
        return Ok(Plan::ignore(
            "no member id and no valid email in the session",
        ));
    };
    let customer = id_of(s, "customer");
    if let Some(c) = customer {
        stmts.push(stmt!(
            "UPDATE members SET stripe_customer = ?2, updated_at = ?3 WHERE id = ?1",
            member.as_str(),
            c,
            now
        ));
    }
    let log = if mode == "subscription" {
        let Some(sub) = id_of(s, "subscription") else {
            return Ok(Plan::ignore(
                "a subscription checkout without a subscription",
            ));
        };
        // Provisional: the subscription's own events bring its status and period; until
        // then (seconds, normally) the checkout opens the level for one grace period,
        // when it names a price of ours.
        let provisional = price
            .is_some()
            .then(|| event.created + policy.grace.max(3600));
        stmts.push(stmt!(
            "INSERT INTO subscriptions (id, member_id, customer, status, price, paid_until,
                                        state_at, updated_at)
             VALUES (?1, ?2, ?3, 'active', ?4, ?5, 0, ?6)
             ON CONFLICT (id) DO UPDATE SET
               member_id = excluded.member_id,
               customer = COALESCE(subscriptions.customer, excluded.customer),
               price = COALESCE(subscriptions.price, excluded.price),
               paid_until = max(COALESCE(subscriptions.paid_until, 0), COALESCE(excluded.paid_until, 0)),
               status = CASE WHEN subscriptions.state_at = 0 THEN 'active'
                             ELSE subscriptions.status END,
               updated_at = excluded.updated_at",
            sub,
            member.as_str(),
            customer,
            price.as_deref(),
            provisional,
            now
        ));
        format!("subscription {sub} linked")
    } else {
        let product = grant.and_then(|g| g.product.as_deref()).unwrap_or_default();
        let payment = id_of(s, "payment_intent").or_else(|| text(s, "id"));
        // A payment refunded or disputed before this arrived grants nothing.
        stmts.push(stmt!(
            "INSERT INTO entitlements (member_id, product, source, granted_at, until, payment_ref)
             SELECT ?1, ?2, 'stripe', ?3, NULL, ?4
             WHERE NOT EXISTS (SELECT 1 FROM revoked_payments WHERE ref = ?4)
             ON CONFLICT (member_id, product) DO UPDATE SET
               source = 'stripe', granted_at = excluded.granted_at, until = NULL,
               payment_ref = excluded.payment_ref",
            member.as_str(),
            product,
            now,
            payment
        ));
        format!("product {product} granted")
    };
    Ok(Plan {
        stmts,
        member: Some(member),
        log,
    })
}

/// The member a checkout is for: `client_reference_id` if it names one, else the
/// address paid with, creating a member (source `stripe`) who can sign in with it.
async fn buyer(
    store: &impl Store,
    policy: &Policy,
    s: &Json,
    now: u64,
    stmts: &mut Vec<Stmt>,
) -> Result<Option<String>, Error> {
    if let Some(reference) = text(s, "client_reference_id") {
        let row = store
            .first(stmt!("SELECT id FROM members WHERE id = ?1", reference))
            .await?;
        if let Some(id) = row.as_ref().and_then(|r| r.text("id")) {
            return Ok(Some(id.to_string()));
        }
    }
    let given = s["customer_details"]["email"]
        .as_str()
        .or_else(|| text(s, "customer_email"));
    let Some(address) = given.and_then(|a| email::normalize(a).ok()) else {
        return Ok(None);
    };
    let row = store
        .first(stmt!(
            "SELECT id FROM members WHERE email = ?1",
            address.as_str()
        ))
        .await?;
    if let Some(id) = row.as_ref().and_then(|r| r.text("id")) {
        return Ok(Some(id.to_string()));
    }
    // A plain insert: if a sign-up races it the batch fails, Stripe retries, and the
    // retry finds the member.
    let id = secret::id()?;
    stmts.push(stmt!(
        "INSERT INTO members (id, email, level, source, created_at, updated_at)
         VALUES (?1, ?2, ?3, 'stripe', ?4, ?4)",
        id.as_str(),
        address.as_str(),
        policy.free_level.as_deref(),
        now
    ));
    Ok(Some(id))
}

/// `customer.subscription.*`: store the subscription's state if it is newer than the
/// stored one (by the event's time) and the stored one is not final.
fn subscription(policy: &Policy, event: &Event, now: u64) -> Plan {
    let sub = &event.data.object;
    let Some(id) = text(sub, "id") else {
        return Plan::ignore("no subscription id");
    };
    let items: Vec<&Json> = sub["items"]["data"]
        .as_array()
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    let prices = items
        .iter()
        .filter_map(|item| id_of(&item["price"], "id").or_else(|| id_of(item, "price")))
        .map(str::to_string);
    let (price, _) = match known_price(policy, prices) {
        Ok(found) => found,
        Err(why) => return Plan::ignore(why),
    };
    let status = if event.kind == "customer.subscription.deleted" {
        "canceled"
    } else {
        text(sub, "status").unwrap_or("incomplete")
    };
    // Newer API versions carry the period on the items, older ones on the subscription.
    let period_end = items
        .iter()
        .filter_map(|item| time(item, "current_period_end"))
        .max()
        .or_else(|| time(sub, "current_period_end"));
    // Final statuses never change. Stripe's times are whole seconds and it often sends
    // `created` (incomplete) and `updated` (active) within one: a tie goes to the later
    // status in a subscription's life ([`status_rank`], repeated in SQL for the stored one).
    const SQL: &str = "INSERT INTO subscriptions (id, customer, status, price, current_period_end,
                                    past_due_since, state_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, CASE WHEN ?3 = 'past_due' THEN ?6 END, ?6, ?7)
         ON CONFLICT (id) DO UPDATE SET
           customer = COALESCE(excluded.customer, subscriptions.customer),
           status = excluded.status,
           price = excluded.price,
           current_period_end = excluded.current_period_end,
           past_due_since = CASE WHEN excluded.status = 'past_due'
             THEN COALESCE(subscriptions.past_due_since, excluded.state_at) END,
           state_at = excluded.state_at,
           updated_at = excluded.updated_at
         WHERE subscriptions.status NOT IN ('canceled', 'incomplete_expired')
           AND (excluded.state_at > subscriptions.state_at
                OR (excluded.state_at = subscriptions.state_at
                    AND ?8 > CASE subscriptions.status
                               WHEN 'incomplete' THEN 0 WHEN 'trialing' THEN 1
                               WHEN 'active' THEN 2 WHEN 'past_due' THEN 3
                               WHEN 'unpaid' THEN 4 WHEN 'paused' THEN 4
                               WHEN 'canceled' THEN 5 WHEN 'incomplete_expired' THEN 5
                               ELSE 2 END))";
    Plan {
        stmts: vec![stmt!(
            SQL,
            id,
            id_of(sub, "customer"),
            status,
            price.as_str(),
            period_end,
            event.created,
            now,
            status_rank(status)
        )],
        member: None,
        log: format!("subscription {id} {status} ({price})"),
    }
}

/// A status's place in a subscription's life, to order two states of the same second.
fn status_rank(status: &str) -> u64 {
    match status {
        "incomplete" => 0,
        "trialing" => 1,
        "past_due" => 3,
        "unpaid" | "paused" => 4,
        "canceled" | "incomplete_expired" => 5,
        _ => 2, // active, and any status Stripe adds
    }
}

/// The subscription an invoice bills, in any API version's shape (`parent` is read by
/// its `type`: Stripe's samples fill every variant).
fn invoice_subscription(inv: &Json) -> Option<&str> {
    fn by_parent<'a>(v: &'a Json, kind: &str) -> Option<&'a str> {
        let parent = &v["parent"];
        (text(parent, "type") == Some(kind))
            .then(|| text(&parent[kind], "subscription"))
            .flatten()
    }
    id_of(inv, "subscription")
        .or_else(|| by_parent(inv, "subscription_details"))
        .or_else(|| {
            inv["lines"]["data"].as_array()?.iter().find_map(|line| {
                id_of(line, "subscription").or_else(|| by_parent(line, "subscription_item_details"))
            })
        })
}

/// `invoice.paid`: the subscription is paid until the end of the period billed. Only
/// ever extends (a max), so order does not matter; a past_due subscription whose state
/// is not newer than the payment is active again.
fn invoice_paid(event: &Event, now: u64) -> Plan {
    let inv = &event.data.object;
    let Some(sub) = invoice_subscription(inv) else {
        return Plan::ignore("not a subscription's invoice");
    };
    let line_end = inv["lines"]["data"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|line| time(&line["period"], "end"))
        .max();
    let Some(end) = line_end.or_else(|| time(inv, "period_end")) else {
        return Plan::ignore("no period in the invoice");
    };
    Plan {
        stmts: vec![stmt!(
            "INSERT INTO subscriptions (id, customer, status, paid_until, state_at, updated_at)
             VALUES (?1, ?2, 'incomplete', ?3, 0, ?5)
             ON CONFLICT (id) DO UPDATE SET
               paid_until = max(COALESCE(subscriptions.paid_until, 0), excluded.paid_until),
               status = CASE WHEN subscriptions.status = 'past_due'
                              AND subscriptions.state_at <= ?4
                             THEN 'active' ELSE subscriptions.status END,
               past_due_since = CASE WHEN subscriptions.status = 'past_due'
                                      AND subscriptions.state_at <= ?4
                                     THEN NULL ELSE subscriptions.past_due_since END,
               state_at = CASE WHEN subscriptions.status = 'past_due'
                                AND subscriptions.state_at <= ?4
                               THEN ?4 ELSE subscriptions.state_at END,
               updated_at = excluded.updated_at",
            sub,
            id_of(inv, "customer"),
            end,
            event.created,
            now
        )],
        member: None,
        log: format!("subscription {sub} paid until {end}"),
    }
}

/// `invoice.payment_failed`: an active subscription becomes past_due (its grace starts)
/// unless a newer state is stored.
fn invoice_failed(event: &Event, now: u64) -> Plan {
    let inv = &event.data.object;
    let Some(sub) = invoice_subscription(inv) else {
        return Plan::ignore("not a subscription's invoice");
    };
    Plan {
        stmts: vec![stmt!(
            "UPDATE subscriptions SET status = 'past_due',
               past_due_since = COALESCE(past_due_since, ?2), state_at = ?2, updated_at = ?3
             WHERE id = ?1 AND status IN ('active', 'trialing', 'past_due') AND state_at < ?2",
            sub,
            event.created,
            now
        )],
        member: None,
        log: format!("subscription {sub} payment failed"),
    }
}

/// `charge.refunded`, `charge.dispute.created`: remember the payment as revoked and end
/// the purchases it paid for.
fn revoke(event: &Event, reason: &str, now: u64) -> Plan {
    let obj = &event.data.object;
    // A charge is `ch_…` with a payment_intent; a dispute names both.
    let (charge, intent) = if text(obj, "object") == Some("dispute") {
        (id_of(obj, "charge"), id_of(obj, "payment_intent"))
    } else {
        (text(obj, "id"), id_of(obj, "payment_intent"))
    };
    let refs: Vec<&str> = [intent, charge].into_iter().flatten().collect();
    if refs.is_empty() {
        return Plan::ignore("no payment named");
    }
    let mut stmts = Vec::new();
    for r in &refs {
        stmts.push(stmt!(
            "INSERT INTO revoked_payments (ref, reason, at) VALUES (?1, ?2, ?3)
             ON CONFLICT (ref) DO NOTHING",
            *r,
            reason,
            now
        ));
        stmts.push(stmt!(
            "UPDATE entitlements SET until = ?2
             WHERE payment_ref = ?1 AND (until IS NULL OR until > ?2)",
            *r,
            now
        ));
    }
    Plan {
        stmts,
        member: None,
        log: format!("payment {} revoked ({reason})", refs.join("/")),
    }
}

/// A subscription row's hold on its level at `now`: active or trialing while its paid
/// period (plus the grace, for a late renewal) lasts; past_due for the grace from when it
/// fell due; anything else not at all.
pub fn subscription_live(
    status: &str,
    paid_until: Option<u64>,
    past_due_since: Option<u64>,
    grace: u64,
    now: u64,
) -> bool {
    match status {
        "active" | "trialing" => paid_until.is_some_and(|u| now < u.saturating_add(grace)),
        "past_due" => past_due_since.is_some_and(|s| now < s.saturating_add(grace)),
        _ => false,
    }
}
