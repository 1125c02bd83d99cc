//! `checkout.session.completed` as Stripe really delivers it: events never expand
//! `line_items` (Stripe's docs: "not included by default"; only a retrieve with a secret
//! key can), so a Payment Link's session names its `plink_…` id and no price. A site that
//! lists only its `price_…` ids (as the demo and the README do) must still find its
//! subscriber: the subscription's own events carry the price.

mod common;

use std::collections::BTreeMap;

use common::{run, NOW};
use members::http::{self, Answer, Request, Settings};
use members::session;
use members::sqlite::Sqlite;
use members::{stmt, stripe, Grant, Policy, RowExt, Signup, Store};
use serde_json::{json, Value};

const SECRET: &str = "whsec_test_checkout_events";
const PRO: &str = "price_1PgafmB7WZ01zgkW6dKueIc5";
const CUSTOMER: &str = "cus_QXg1o8vcGmoR32";
const SUB: &str = "sub_1Pgc6rB7WZ01zgkWNy0Cn5nw";
const DAY: u64 = 86_400;

fn settings() -> Settings {
    let mut policy = Policy::new(b"pepper".to_vec());
    policy.signup = Signup::Open;
    policy.levels = vec!["member".into(), "pro".into()];
    policy.free_level = Some("member".into());
    policy.prices = BTreeMap::from([(
        PRO.to_string(),
        Grant {
            level: Some("pro".into()),
            product: None,
        },
    )]);
    Settings {
        policy,
        jwt_secret: b"a-test-secret-of-at-least-32-bytes!!".to_vec(),
        token_ttl: 3600,
        admin_secret: None,
        level_names: Vec::new(),
        stripe_webhook_secret: Some(SECRET.into()),
        checkout: BTreeMap::new(),
        portal: None,
    }
}

fn fixture(name: &str) -> Value {
    let all: Value = serde_json::from_str(include_str!("fixtures/stripe/objects.json")).unwrap();
    all[name].clone()
}

fn deliver(db: &Sqlite, s: &Settings, id: &str, kind: &str, object: Value, now: u64) {
    let mut e = fixture("event");
    e["id"] = json!(id);
    e["type"] = json!(kind);
    e["created"] = json!(now);
    e["data"] = json!({ "object": object });
    let body = serde_json::to_vec(&e).unwrap();
    let header = format!(
        "t={now},v1={}",
        stripe::expected_signature(SECRET, now, &body)
    );
    let req = Request {
        method: "POST",
        path: http::STRIPE_WEBHOOK_PATH,
        stripe_signature: Some(&header),
        ip: "54.187.174.169",
        body: &body,
        ..Default::default()
    };
    let out = run(http::handle(db, s, &req, now));
    let Answer::Reply(r) = out.answer else {
        panic!("expected a reply")
    };
    assert_eq!(r.status, 200, "{:?}", out.log);
}

/// The fixture session as a Payment Link's checkout completes it: no `line_items`.
fn session_as_delivered(member: &str) -> Value {
    let mut s = fixture("checkout.session");
    assert!(
        s.get("line_items").is_none(),
        "Stripe's fixture has no line_items"
    );
    s["mode"] = json!("subscription");
    s["status"] = json!("complete");
    s["payment_status"] = json!("paid");
    s["client_reference_id"] = json!(member);
    s["customer"] = json!(CUSTOMER);
    s["subscription"] = json!(SUB);
    s["payment_intent"] = Value::Null;
    s["payment_link"] = json!("plink_1Pgc78B7WZ01zgkWC75kX0jg");
    s
}

fn subscription() -> Value {
    let mut s = fixture("subscription");
    s["id"] = json!(SUB);
    s["customer"] = json!(CUSTOMER);
    s["status"] = json!("active");
    s["items"]["data"][0]["price"]["id"] = json!(PRO);
    s["items"]["data"][0]["current_period_end"] = json!(NOW + 30 * DAY);
    s
}

fn member(db: &Sqlite) -> String {
    run(db.query(stmt!(
        "INSERT INTO members (id, email, level, source, created_at, updated_at)
         VALUES ('m-ada', 'ada@example.org', 'member', 'signup', 0, 0)"
    )))
    .unwrap();
    "m-ada".into()
}

fn level(db: &Sqlite, s: &Settings, id: &str, at: u64) -> Option<String> {
    run(session::membership(db, &s.policy, id, at))
        .unwrap()
        .unwrap()
        .level
}

#[test]
fn a_subscription_checkout_without_line_items_is_not_ignored_as_an_unknown_price() {
    for checkout_first in [true, false] {
        let (db, s) = (Sqlite::memory().unwrap(), settings());
        let ada = member(&db);
        let checkout = |at| {
            deliver(
                &db,
                &s,
                "evt_checkout",
                "checkout.session.completed",
                session_as_delivered(&ada),
                at,
            )
        };
        if checkout_first {
            checkout(NOW);
            // No price named: no provisional level until the subscription says which.
            assert_eq!(level(&db, &s, &ada, NOW + 1).as_deref(), Some("member"));
        }
        deliver(
            &db,
            &s,
            "evt_sub",
            "customer.subscription.created",
            subscription(),
            NOW + 1,
        );
        if !checkout_first {
            checkout(NOW + 2);
        }
        assert_eq!(
            level(&db, &s, &ada, NOW + 10).as_deref(),
            Some("pro"),
            "the subscriber gets the subscription's level (checkout first: {checkout_first})"
        );
    }
}

#[test]
fn a_subscription_checkout_listing_only_another_sellers_prices_still_changes_nothing() {
    let (db, s) = (Sqlite::memory().unwrap(), settings());
    let ada = member(&db);
    let mut session = session_as_delivered(&ada);
    session["line_items"] =
        json!({ "object": "list", "data": [{ "price": { "id": "price_not_ours" } }] });
    deliver(
        &db,
        &s,
        "evt_foreign",
        "checkout.session.completed",
        session,
        NOW,
    );
    let n = |sql: &'static str| {
        run(db.first(stmt!(sql)))
            .unwrap()
            .unwrap()
            .int("n")
            .unwrap()
    };
    assert_eq!(n("SELECT count(*) AS n FROM webhook_events"), 0);
    assert_eq!(n("SELECT count(*) AS n FROM subscriptions"), 0);
    assert_eq!(level(&db, &s, &ada, NOW + 1).as_deref(), Some("member"));
}
