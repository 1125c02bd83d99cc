//! Stripe events applied to a real SQLite members database through the webhook route:
//! events built from Stripe's own object fixtures (`tests/fixtures/stripe/objects.json`),
//! signed as Stripe signs them, and the membership a renewal would put in the token.

mod common;

use std::collections::BTreeMap;

use common::{run, NOW};
use gate::route::Reply;
use members::http::{self, Answer, Request, Settings};
use members::session::{self, Membership};
use members::signin::{self, MailKind, Redeemed, Requested, SigninForm};
use members::site::SiteMembers;
use members::sqlite::Sqlite;
use members::store::{Row, Stmt, StoreError};
use members::{stmt, stripe, Grant, Policy, RowExt, Signup, Store};
use serde_json::{json, Value};

const SECRET: &str = "whsec_test_5f3c0b1d2e";
const JWT_SECRET: &str = "a-test-secret-of-at-least-32-bytes!!";
/// The price of the fixture's subscription item: sells `pro`.
const PRO: &str = "price_1PgafmB7WZ01zgkW6dKueIc5";
const PATRON: &str = "price_patron_yearly";
/// The payment link that sells the course (one-off).
const COURSE_LINK: &str = "plink_course_rust";
const CUSTOMER: &str = "cus_QXg1o8vcGmoR32";
const SUB: &str = "sub_1Pgc6rB7WZ01zgkWNy0Cn5nw";
const DAY: u64 = 86_400;

fn settings() -> Settings {
    let mut policy = Policy::new(b"pepper".to_vec());
    policy.signup = Signup::Invite;
    policy.levels = vec!["member".into(), "pro".into(), "patron".into()];
    policy.free_level = Some("member".into());
    let grant = |level: Option<&str>, product: Option<&str>| Grant {
        level: level.map(str::to_string),
        product: product.map(str::to_string),
    };
    policy.prices = BTreeMap::from([
        (PRO.to_string(), grant(Some("pro"), None)),
        (PATRON.to_string(), grant(Some("patron"), None)),
        (COURSE_LINK.to_string(), grant(None, Some("rust-course"))),
    ]);
    policy.grace = 3 * DAY;
    Settings {
        policy,
        jwt_secret: JWT_SECRET.as_bytes().to_vec(),
        token_ttl: 3600,
        admin_secret: None,
        level_names: Vec::new(),
        stripe_webhook_secret: Some(SECRET.into()),
        checkout: BTreeMap::from([
            (
                "pro".to_string(),
                "https://buy.stripe.com/test_pro".to_string(),
            ),
            (
                "rust-course".to_string(),
                "https://buy.stripe.com/test_course?locale=zh".to_string(),
            ),
        ]),
        portal: Some("https://billing.stripe.com/p/login/test".into()),
    }
}

fn fixture(name: &str) -> Value {
    let all: Value = serde_json::from_str(include_str!("fixtures/stripe/objects.json")).unwrap();
    all[name].clone()
}

/// An event wrapping `object`, as Stripe sends it.
fn event(id: &str, kind: &str, created: u64, object: Value) -> Vec<u8> {
    let mut e = fixture("event");
    e["id"] = json!(id);
    e["type"] = json!(kind);
    e["created"] = json!(created);
    e["data"] = json!({ "object": object });
    serde_json::to_vec(&e).unwrap()
}

/// The fixture subscription with one item at `price`, in `status`, paid to `period_end`.
fn subscription(status: &str, price: &str, period_end: u64) -> Value {
    let mut s = fixture("subscription");
    s["status"] = json!(status);
    s["customer"] = json!(CUSTOMER);
    s["items"]["data"][0]["price"]["id"] = json!(price);
    s["items"]["data"][0]["current_period_end"] = json!(period_end);
    s
}

/// A completed, paid checkout session for `member` (a member id, or none) paying as
/// `email`.
fn checkout_session(mode: &str, member: Option<&str>, email: &str) -> Value {
    let mut s = fixture("checkout.session");
    s["mode"] = json!(mode);
    s["status"] = json!("complete");
    s["payment_status"] = json!("paid");
    s["client_reference_id"] = json!(member);
    s["customer_details"]["email"] = json!(email);
    s["customer"] = json!(CUSTOMER);
    // A completed session carries its total (the fixture, an open session, has none).
    s["currency"] = json!("usd");
    s["amount_total"] = json!(if mode == "subscription" { 1500 } else { 4900 });
    if mode == "subscription" {
        s["subscription"] = json!(SUB);
        s["payment_intent"] = Value::Null;
        s["line_items"] = json!({ "object": "list", "data": [{ "price": { "id": PRO } }] });
    } else {
        s["payment_link"] = json!(COURSE_LINK);
        s["payment_intent"] = json!("pi_course_1");
    }
    s
}

/// The fixture invoice, billing the subscription for a period ending at `end`.
fn invoice(end: u64) -> Value {
    let mut i = fixture("invoice");
    i["status"] = json!("paid");
    i["parent"] = json!({
        "type": "subscription_details",
        "subscription_details": { "metadata": {}, "subscription": SUB }
    });
    i["lines"]["data"][0]["period"] = json!({ "start": end - 30 * DAY, "end": end });
    i
}

fn charge_refunded(payment_intent: &str) -> Value {
    let mut c = fixture("charge");
    c["payment_intent"] = json!(payment_intent);
    c["refunded"] = json!(true);
    c["amount_refunded"] = c["amount"].clone();
    c
}

fn header(t: u64, body: &[u8], secret: &str) -> String {
    format!("t={t},v1={}", stripe::expected_signature(secret, t, body))
}

/// POST a body to the webhook route with `signature`, as Stripe does (no Origin, no
/// cookie).
fn post_webhook(
    db: &impl Store,
    s: &Settings,
    body: &[u8],
    signature: &str,
    now: u64,
) -> (Reply, Option<String>) {
    let req = Request {
        method: "POST",
        path: http::STRIPE_WEBHOOK_PATH,
        stripe_signature: Some(signature),
        ip: "54.187.174.169",
        body,
        ..Default::default()
    };
    let out = run(http::handle(db, s, &req, now));
    match out.answer {
        Answer::Reply(r) => (r, out.log),
        other => panic!("expected a reply, got {other:?}"),
    }
}

/// Deliver a correctly signed body at `now`; the route must acknowledge it.
fn deliver(db: &impl Store, s: &Settings, body: &[u8], now: u64) -> Option<String> {
    let (reply, log) = post_webhook(db, s, body, &header(now, body, SECRET), now);
    assert_eq!(reply.status, 200, "log: {log:?}");
    log
}

fn add_member(db: &Sqlite, email: &str, level: Option<&str>, until: Option<u64>) -> String {
    let id = format!("m-{email}");
    run(db.query(stmt!(
        "INSERT INTO members (id, email, level, level_until, source, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, 'admin', 0, 0)",
        id.as_str(),
        email,
        level,
        until
    )))
    .unwrap();
    id
}

fn membership(db: &Sqlite, s: &Settings, member: &str, at: u64) -> Membership {
    run(session::membership(db, &s.policy, member, at))
        .unwrap()
        .expect("an active member")
}

fn level(db: &Sqlite, s: &Settings, member: &str, at: u64) -> Option<String> {
    membership(db, s, member, at).level
}

fn count(db: &Sqlite, sql: &'static str) -> i64 {
    run(db.first(stmt!(sql)))
        .unwrap()
        .unwrap()
        .int("n")
        .unwrap()
}

/// Ada, a free member who subscribed to Pro by checkout (linked by her member id).
fn subscribed(db: &Sqlite, s: &Settings) -> String {
    let ada = add_member(db, "ada@example.org", Some("member"), None);
    let body = event(
        "evt_checkout",
        "checkout.session.completed",
        NOW,
        checkout_session("subscription", Some(&ada), "ada@example.org"),
    );
    deliver(db, s, &body, NOW);
    let created = event(
        "evt_sub_created",
        "customer.subscription.created",
        NOW,
        subscription("active", PRO, NOW + 30 * DAY),
    );
    deliver(db, s, &created, NOW + 1);
    ada
}

#[test]
fn a_subscription_checkout_upgrades_the_member_to_its_level() {
    let (db, s) = (Sqlite::memory().unwrap(), settings());
    let ada = add_member(&db, "ada@example.org", Some("member"), None);
    let body = event(
        "evt_checkout",
        "checkout.session.completed",
        NOW,
        checkout_session("subscription", Some(&ada), "ada@example.org"),
    );
    deliver(&db, &s, &body, NOW);
    // The checkout alone opens the level (provisionally) before the subscription's own
    // events arrive…
    assert_eq!(level(&db, &s, &ada, NOW + 60).as_deref(), Some("pro"));
    let created = event(
        "evt_sub_created",
        "customer.subscription.created",
        NOW,
        subscription("active", PRO, NOW + 30 * DAY),
    );
    deliver(&db, &s, &created, NOW + 1);
    // …which then carry it to the end of the paid period.
    assert_eq!(level(&db, &s, &ada, NOW + 20 * DAY).as_deref(), Some("pro"));
    let linked = run(db.first(stmt!(
        "SELECT stripe_customer FROM members WHERE id = ?1",
        ada.as_str()
    )))
    .unwrap()
    .unwrap();
    assert_eq!(linked.text("stripe_customer"), Some(CUSTOMER));
}

#[test]
fn a_subscription_found_by_its_customer_before_the_checkout_is_linked() {
    let (db, s) = (Sqlite::memory().unwrap(), settings());
    let ada = add_member(&db, "ada@example.org", Some("member"), None);
    // The subscription's event first, the checkout that links the customer after.
    let created = event(
        "evt_sub_created",
        "customer.subscription.created",
        NOW,
        subscription("active", PRO, NOW + 30 * DAY),
    );
    deliver(&db, &s, &created, NOW);
    assert_eq!(level(&db, &s, &ada, NOW + 1).as_deref(), Some("member"));
    let body = event(
        "evt_checkout",
        "checkout.session.completed",
        NOW,
        checkout_session("subscription", Some(&ada), "ada@example.org"),
    );
    deliver(&db, &s, &body, NOW + 2);
    assert_eq!(level(&db, &s, &ada, NOW + 20 * DAY).as_deref(), Some("pro"));
}

#[test]
fn a_change_to_a_higher_or_lower_price_changes_the_level() {
    let (db, s) = (Sqlite::memory().unwrap(), settings());
    let ada = subscribed(&db, &s);
    let up = event(
        "evt_up",
        "customer.subscription.updated",
        NOW + 10,
        subscription("active", PATRON, NOW + 30 * DAY),
    );
    deliver(&db, &s, &up, NOW + 10);
    assert_eq!(level(&db, &s, &ada, NOW + 20).as_deref(), Some("patron"));
    let down = event(
        "evt_down",
        "customer.subscription.updated",
        NOW + 100,
        subscription("active", PRO, NOW + 30 * DAY),
    );
    deliver(&db, &s, &down, NOW + 100);
    assert_eq!(level(&db, &s, &ada, NOW + 200).as_deref(), Some("pro"));
}

#[test]
fn a_deleted_subscription_ends_the_level() {
    let (db, s) = (Sqlite::memory().unwrap(), settings());
    let ada = subscribed(&db, &s);
    let deleted = event(
        "evt_deleted",
        "customer.subscription.deleted",
        NOW + 50,
        subscription("canceled", PRO, NOW + 30 * DAY),
    );
    deliver(&db, &s, &deleted, NOW + 50);
    assert_eq!(level(&db, &s, &ada, NOW + 60).as_deref(), Some("member"));
}

#[test]
fn unpaid_and_incomplete_expired_end_the_level() {
    for status in ["unpaid", "incomplete_expired", "canceled"] {
        let (db, s) = (Sqlite::memory().unwrap(), settings());
        let ada = subscribed(&db, &s);
        let ended = event(
            "evt_ended",
            "customer.subscription.updated",
            NOW + 50,
            subscription(status, PRO, NOW + 30 * DAY),
        );
        deliver(&db, &s, &ended, NOW + 50);
        assert_eq!(
            level(&db, &s, &ada, NOW + 60).as_deref(),
            Some("member"),
            "{status}"
        );
    }
}

#[test]
fn past_due_keeps_the_level_for_the_grace_and_not_after() {
    let (db, s) = (Sqlite::memory().unwrap(), settings());
    let ada = subscribed(&db, &s);
    let due = NOW + 30 * DAY;
    // The renewal failed: Stripe has moved the period on and marks it past_due.
    let failed = event(
        "evt_failed",
        "invoice.payment_failed",
        due,
        invoice(due + 30 * DAY),
    );
    deliver(&db, &s, &failed, due);
    let past_due = event(
        "evt_past_due",
        "customer.subscription.updated",
        due + 1,
        subscription("past_due", PRO, due + 30 * DAY),
    );
    deliver(&db, &s, &past_due, due + 1);
    assert_eq!(
        level(&db, &s, &ada, due + 3 * DAY - 60).as_deref(),
        Some("pro"),
        "within the grace"
    );
    assert_eq!(
        level(&db, &s, &ada, due + 3 * DAY + 60).as_deref(),
        Some("member"),
        "past the grace, although the new period runs on"
    );
}

#[test]
fn invoice_payment_failed_alone_starts_the_grace() {
    let (db, s) = (Sqlite::memory().unwrap(), settings());
    let ada = subscribed(&db, &s);
    let failed = event(
        "evt_failed",
        "invoice.payment_failed",
        NOW + DAY,
        invoice(NOW + 31 * DAY),
    );
    deliver(&db, &s, &failed, NOW + DAY);
    assert_eq!(level(&db, &s, &ada, NOW + 3 * DAY).as_deref(), Some("pro"));
    assert_eq!(
        level(&db, &s, &ada, NOW + 5 * DAY).as_deref(),
        Some("member")
    );
}

#[test]
fn invoice_paid_extends_the_paid_until_time() {
    let (db, s) = (Sqlite::memory().unwrap(), settings());
    let ada = subscribed(&db, &s);
    let next_end = NOW + 60 * DAY;
    let paid = event(
        "evt_paid",
        "invoice.paid",
        NOW + 30 * DAY,
        invoice(next_end),
    );
    deliver(&db, &s, &paid, NOW + 30 * DAY);
    assert_eq!(level(&db, &s, &ada, NOW + 45 * DAY).as_deref(), Some("pro"));
    // An older invoice arriving late does not shorten it.
    let old = event("evt_paid_old", "invoice.paid", NOW, invoice(NOW + 30 * DAY));
    deliver(&db, &s, &old, NOW + 30 * DAY + 5);
    assert_eq!(level(&db, &s, &ada, NOW + 45 * DAY).as_deref(), Some("pro"));
}

#[test]
fn a_paid_until_time_in_the_past_ends_access_when_the_cancel_webhook_is_lost() {
    let (db, s) = (Sqlite::memory().unwrap(), settings());
    let ada = subscribed(&db, &s);
    // No renewal, no cancel: the period ends, then the grace.
    assert_eq!(level(&db, &s, &ada, NOW + 31 * DAY).as_deref(), Some("pro"));
    assert_eq!(
        level(&db, &s, &ada, NOW + 34 * DAY).as_deref(),
        Some("member")
    );
}

#[test]
fn a_comped_level_and_a_subscription_give_the_higher_one() {
    let (db, s) = (Sqlite::memory().unwrap(), settings());
    let ada = subscribed(&db, &s);
    run(db.query(stmt!(
        "UPDATE members SET level = 'patron', level_until = ?2 WHERE id = ?1",
        ada.as_str(),
        NOW + 10 * DAY
    )))
    .unwrap();
    assert_eq!(level(&db, &s, &ada, NOW + DAY).as_deref(), Some("patron"));
    // The comp ends; the subscription still holds pro.
    assert_eq!(level(&db, &s, &ada, NOW + 11 * DAY).as_deref(), Some("pro"));
}

/// Ada bought the course (one-off) with payment intent `pi_course_1`.
fn bought(db: &Sqlite, s: &Settings) -> String {
    let ada = add_member(db, "ada@example.org", Some("member"), None);
    let body = event(
        "evt_buy",
        "checkout.session.completed",
        NOW,
        checkout_session("payment", Some(&ada), "ada@example.org"),
    );
    deliver(db, s, &body, NOW);
    assert_eq!(membership(db, s, &ada, NOW + 1).products, ["rust-course"]);
    ada
}

#[test]
fn a_one_off_purchase_grants_its_product_and_no_level() {
    let (db, s) = (Sqlite::memory().unwrap(), settings());
    let ada = bought(&db, &s);
    let m = membership(&db, &s, &ada, NOW + 400 * DAY);
    assert_eq!(
        (m.level.as_deref(), m.products),
        (Some("member"), vec!["rust-course".to_string()])
    );
}

#[test]
fn a_refund_revokes_the_one_off_purchase() {
    let (db, s) = (Sqlite::memory().unwrap(), settings());
    let ada = bought(&db, &s);
    let refund = event(
        "evt_refund",
        "charge.refunded",
        NOW + DAY,
        charge_refunded("pi_course_1"),
    );
    deliver(&db, &s, &refund, NOW + DAY);
    assert!(membership(&db, &s, &ada, NOW + DAY + 1).products.is_empty());
}

#[test]
fn a_partial_refund_keeps_the_purchase() {
    let (db, s) = (Sqlite::memory().unwrap(), settings());
    let ada = bought(&db, &s);
    let mut partial = charge_refunded("pi_course_1");
    partial["refunded"] = json!(false);
    partial["amount_refunded"] = json!(10);
    deliver(
        &db,
        &s,
        &event("evt_partial", "charge.refunded", NOW + DAY, partial),
        NOW + DAY,
    );
    assert_eq!(
        membership(&db, &s, &ada, NOW + DAY + 1).products,
        ["rust-course"]
    );
}

#[test]
fn a_dispute_revokes_the_one_off_purchase() {
    let (db, s) = (Sqlite::memory().unwrap(), settings());
    let ada = bought(&db, &s);
    let mut dispute = fixture("dispute");
    dispute["payment_intent"] = json!("pi_course_1");
    let body = event("evt_dispute", "charge.dispute.created", NOW + DAY, dispute);
    deliver(&db, &s, &body, NOW + DAY);
    assert!(membership(&db, &s, &ada, NOW + DAY + 1).products.is_empty());
}

#[test]
fn a_refund_that_arrives_before_its_checkout_still_revokes() {
    let (db, s) = (Sqlite::memory().unwrap(), settings());
    let ada = add_member(&db, "ada@example.org", Some("member"), None);
    let refund = event(
        "evt_refund",
        "charge.refunded",
        NOW + 10,
        charge_refunded("pi_course_1"),
    );
    deliver(&db, &s, &refund, NOW + 10);
    let buy = event(
        "evt_buy",
        "checkout.session.completed",
        NOW,
        checkout_session("payment", Some(&ada), "ada@example.org"),
    );
    deliver(&db, &s, &buy, NOW + 20);
    assert!(membership(&db, &s, &ada, NOW + 30).products.is_empty());
}

#[test]
fn a_duplicated_event_changes_nothing() {
    let (db, s) = (Sqlite::memory().unwrap(), settings());
    let ada = bought(&db, &s);
    // The admin takes the course back; Stripe then retries the same delivery.
    run(db.query(stmt!(
        "DELETE FROM entitlements WHERE member_id = ?1",
        ada.as_str()
    )))
    .unwrap();
    let body = event(
        "evt_buy",
        "checkout.session.completed",
        NOW,
        checkout_session("payment", Some(&ada), "ada@example.org"),
    );
    deliver(&db, &s, &body, NOW + 60);
    assert!(membership(&db, &s, &ada, NOW + 61).products.is_empty());
    assert_eq!(count(&db, "SELECT count(*) AS n FROM webhook_events"), 1);
}

#[test]
fn a_deleted_subscription_stays_ended_when_the_update_before_it_arrives_after() {
    let (db, s) = (Sqlite::memory().unwrap(), settings());
    let ada = subscribed(&db, &s);
    let deleted = event(
        "evt_deleted",
        "customer.subscription.deleted",
        NOW + 200,
        subscription("canceled", PRO, NOW + 30 * DAY),
    );
    let updated = event(
        "evt_updated",
        "customer.subscription.updated",
        NOW + 100,
        subscription("active", PATRON, NOW + 30 * DAY),
    );
    deliver(&db, &s, &deleted, NOW + 300);
    deliver(&db, &s, &updated, NOW + 301);
    assert_eq!(level(&db, &s, &ada, NOW + 400).as_deref(), Some("member"));
}

#[test]
fn a_canceled_subscription_is_not_revived_by_a_later_active_event() {
    let (db, s) = (Sqlite::memory().unwrap(), settings());
    let ada = subscribed(&db, &s);
    let deleted = event(
        "evt_deleted",
        "customer.subscription.deleted",
        NOW + 200,
        subscription("canceled", PRO, NOW + 30 * DAY),
    );
    deliver(&db, &s, &deleted, NOW + 200);
    // Same second, or even a newer event time: a canceled subscription is final.
    for (id, t) in [("evt_same", NOW + 200), ("evt_newer", NOW + 250)] {
        let active = event(
            id,
            "customer.subscription.updated",
            t,
            subscription("active", PRO, NOW + 30 * DAY),
        );
        deliver(&db, &s, &active, NOW + 260);
    }
    assert_eq!(level(&db, &s, &ada, NOW + 300).as_deref(), Some("member"));
}

#[test]
fn an_old_update_after_a_newer_one_changes_nothing() {
    let (db, s) = (Sqlite::memory().unwrap(), settings());
    let ada = subscribed(&db, &s);
    let newer = event(
        "evt_newer",
        "customer.subscription.updated",
        NOW + 200,
        subscription("active", PATRON, NOW + 30 * DAY),
    );
    let older = event(
        "evt_older",
        "customer.subscription.updated",
        NOW + 100,
        subscription("active", PRO, NOW + 30 * DAY),
    );
    deliver(&db, &s, &newer, NOW + 300);
    deliver(&db, &s, &older, NOW + 301);
    assert_eq!(level(&db, &s, &ada, NOW + 400).as_deref(), Some("patron"));
}

#[test]
fn an_unknown_price_changes_nothing_and_is_logged() {
    let (db, s) = (Sqlite::memory().unwrap(), settings());
    let ada = subscribed(&db, &s);
    let before = count(&db, "SELECT count(*) AS n FROM webhook_events");
    let odd = event(
        "evt_odd",
        "customer.subscription.updated",
        NOW + 100,
        subscription("canceled", "price_someone_elses", NOW + 30 * DAY),
    );
    let log = deliver(&db, &s, &odd, NOW + 100).expect("a log line");
    assert!(log.contains("unknown price price_someone_elses"), "{log}");
    assert_eq!(level(&db, &s, &ada, NOW + 200).as_deref(), Some("pro"));
    assert_eq!(
        count(&db, "SELECT count(*) AS n FROM webhook_events"),
        before
    );
    // A one-off checkout of an unknown link neither creates a member nor grants.
    let mut session = checkout_session("payment", None, "stranger@example.org");
    session["payment_link"] = json!("plink_unknown");
    let log = deliver(
        &db,
        &s,
        &event("evt_odd2", "checkout.session.completed", NOW, session),
        NOW + 1,
    );
    assert!(log.unwrap().contains("unknown price plink_unknown"));
    assert_eq!(count(&db, "SELECT count(*) AS n FROM members"), 1);
}

#[test]
fn a_buyer_without_an_account_gets_one_and_can_sign_in_with_the_address_paid_with() {
    let (db, s) = (Sqlite::memory().unwrap(), settings());
    let body = event(
        "evt_buy",
        "checkout.session.completed",
        NOW,
        checkout_session("payment", None, "  Grace@Example.ORG"),
    );
    deliver(&db, &s, &body, NOW);
    let row = run(db.first(stmt!(
        "SELECT id, source, level FROM members WHERE email = 'grace@example.org'"
    )))
    .unwrap()
    .expect("a member created by the payment");
    assert_eq!(
        (row.text("source"), row.text("level")),
        (Some("stripe"), Some("member"))
    );
    // Sign-up is by invitation only, and she was let in by paying.
    let form = SigninForm {
        email: "grace@example.org",
        ip: "203.0.113.7",
        next: "/courses/rust/",
    };
    let Requested::Accepted { mail: Some(mail) } =
        run(signin::request(&db, &s.policy, form, NOW + 60)).unwrap()
    else {
        panic!("no sign-in mail")
    };
    assert_eq!(mail.kind, MailKind::SignIn);
    let Redeemed::SignedIn { session, .. } = run(signin::redeem_link(
        &db,
        &s.policy,
        &mail.link_secret,
        "ip",
        NOW + 90,
    ))
    .unwrap() else {
        panic!("link refused")
    };
    assert_eq!(session.membership.products, ["rust-course"]);
}

#[test]
fn replayed_wrongly_signed_and_tampered_events_are_refused_without_echo() {
    let (db, s) = (Sqlite::memory().unwrap(), settings());
    let body = event(
        "evt_buy",
        "checkout.session.completed",
        NOW,
        checkout_session("payment", None, "eve@example.org"),
    );
    let replayed = header(NOW - stripe::TOLERANCE_SECS - 1, &body, SECRET);
    let wrong = header(NOW, &body, "whsec_not_ours");
    let mut tampered = body.clone();
    let at = tampered.windows(3).position(|w| w == b"eve").unwrap();
    tampered[at] = b'z';
    let good = header(NOW, &body, SECRET);
    for (sig, bytes, why) in [
        (replayed.as_str(), &body, "replayed"),
        (wrong.as_str(), &body, "wrong secret"),
        (good.as_str(), &tampered, "tampered"),
        ("", &body, "no signature"),
    ] {
        let (reply, log) = post_webhook(&db, &s, bytes, sig, NOW);
        assert_eq!(reply.status, 400, "{why}");
        assert_eq!(reply.body, "Bad Request\n", "{why}: nothing echoed");
        assert!(log.is_some(), "{why}: logged");
    }
    assert_eq!(count(&db, "SELECT count(*) AS n FROM members"), 0);
    assert_eq!(count(&db, "SELECT count(*) AS n FROM webhook_events"), 0);
    // Without a configured secret the route does not exist.
    let mut off = settings();
    off.stripe_webhook_secret = None;
    assert_eq!(post_webhook(&db, &off, &body, &good, NOW).0.status, 404);
    // A body over the limit is not read.
    let big = vec![b' '; http::MAX_WEBHOOK_BYTES + 1];
    assert_eq!(
        post_webhook(&db, &s, &big, &header(NOW, &big, SECRET), NOW)
            .0
            .status,
        413
    );
}

#[test]
fn a_rotated_secret_is_accepted_while_both_are_configured() {
    let (db, mut s) = (Sqlite::memory().unwrap(), settings());
    s.stripe_webhook_secret = Some(format!("whsec_old, {SECRET}"));
    let body = event(
        "evt_buy",
        "checkout.session.completed",
        NOW,
        checkout_session("payment", None, "a@b.io"),
    );
    let (reply, _) = post_webhook(&db, &s, &body, &header(NOW, &body, "whsec_old"), NOW);
    assert_eq!(reply.status, 200);
}

/// A store whose batches of more than one statement fail (the change), reads passing.
struct FailingWrites<'a>(&'a Sqlite);

impl Store for FailingWrites<'_> {
    async fn batch(&self, stmts: &[Stmt]) -> Result<Vec<Vec<Row>>, StoreError> {
        if stmts.len() > 1 {
            return Err(StoreError("D1 is down".into()));
        }
        self.0.batch(stmts).await
    }
}

#[test]
fn a_store_failure_answers_503_so_stripe_retries() {
    let (db, s) = (Sqlite::memory().unwrap(), settings());
    let body = event(
        "evt_buy",
        "checkout.session.completed",
        NOW,
        checkout_session("payment", None, "a@b.io"),
    );
    let sig = header(NOW, &body, SECRET);
    let (reply, log) = post_webhook(&FailingWrites(&db), &s, &body, &sig, NOW);
    assert_eq!(reply.status, 503);
    assert!(
        !reply.body.contains("D1"),
        "the store's error is not echoed"
    );
    assert!(log.unwrap().contains("D1 is down"));
    assert_eq!(
        count(&db, "SELECT count(*) AS n FROM members"),
        0,
        "all or nothing"
    );
    // The retry applies it.
    assert_eq!(post_webhook(&db, &s, &body, &sig, NOW + 30).0.status, 200);
    assert_eq!(count(&db, "SELECT count(*) AS n FROM members"), 1);
}

fn location(r: &Reply) -> &str {
    assert_eq!(r.status, 303);
    r.headers
        .iter()
        .find(|(k, _)| *k == "Location")
        .map(|(_, v)| v.as_str())
        .unwrap()
}

fn get_checkout(db: &Sqlite, s: &Settings, path: &str, cookie: Option<&str>) -> Reply {
    let req = Request {
        method: "GET",
        path,
        cookie,
        ..Default::default()
    };
    match run(http::handle(db, s, &req, NOW)).answer {
        Answer::Reply(r) => r,
        other => panic!("{other:?}"),
    }
}

#[test]
fn checkout_sends_a_signed_in_member_to_the_payment_link_with_their_id_and_address() {
    let (db, s) = (Sqlite::memory().unwrap(), settings());
    let ada = add_member(&db, "ada+pro@example.org", Some("member"), None);
    let new = run(session::create(&db, &s.policy, &ada, NOW - 10))
        .unwrap()
        .unwrap();
    let cookie = format!("{}={}", http::RENEW_COOKIE, new.secret);
    let r = get_checkout(&db, &s, "/_lyceum/checkout/pro", Some(&cookie));
    assert_eq!(
        location(&r),
        "https://buy.stripe.com/test_pro?client_reference_id=m-ada%2Bpro%40example.org&prefilled_email=ada%2Bpro%40example.org"
    );
    let r = get_checkout(&db, &s, "/_lyceum/checkout/rust-course", Some(&cookie));
    assert!(location(&r)
        .starts_with("https://buy.stripe.com/test_course?locale=zh&client_reference_id="));
    // A reader without an account pays first and gets one from the webhook.
    let r = get_checkout(&db, &s, "/_lyceum/checkout/pro", None);
    assert_eq!(location(&r), "https://buy.stripe.com/test_pro");
    // Nothing sells `patron` here: the membership page offers what there is.
    let r = get_checkout(&db, &s, "/_lyceum/checkout/patron", Some(&cookie));
    assert_eq!(location(&r), http::MEMBERSHIP_PAGE);
}

#[test]
fn members_json_from_before_payments_still_parses() {
    let mut file = json!({
        "version": 1, "signup": "open", "free_level": "member",
        "levels": [{ "id": "member", "name": "Member" }],
        "link_minutes": 15, "session_days": 30, "token_minutes": 10, "site_title": "S",
        "mail": {
            "signin": { "subject": "s", "text": "t", "html": "h" },
            "signup": { "subject": "s", "text": "t", "html": "h" }
        }
    });
    let old = SiteMembers::from_json(&file.to_string()).unwrap();
    assert_eq!(
        (old.grace_days, old.prices.len(), old.portal.clone()),
        (3, 0, None)
    );
    file["prices"] =
        json!({ PRO: { "level": "member" }, COURSE_LINK: { "product": "rust-course" } });
    file["products"] = json!(["rust-course"]);
    file["grace_days"] = json!(7);
    file["checkout"] = json!({ "member": "https://buy.stripe.com/x" });
    file["portal"] = json!("https://billing.stripe.com/p/login/x");
    let site = SiteMembers::from_json(&file.to_string()).unwrap();
    let settings = site.settings(JWT_SECRET.as_bytes(), None);
    assert_eq!(settings.policy.grace, 7 * DAY);
    assert_eq!(settings.policy.prices[PRO].level.as_deref(), Some("member"));
    assert_eq!(settings.checkout["member"], "https://buy.stripe.com/x");
    assert_eq!(settings.stripe_webhook_secret, None);
    // A price that sells a level the site does not have is a build error, not a free
    // member who paid.
    file["prices"] = json!({ PRO: { "level": "gold" } });
    let err = SiteMembers::from_json(&file.to_string()).unwrap_err();
    assert!(err.to_string().contains("\"gold\""), "{err}");
    // Likewise a price that sells a product the site does not list.
    file["prices"] = json!({ COURSE_LINK: { "product": "go-course" } });
    let err = SiteMembers::from_json(&file.to_string()).unwrap_err();
    assert!(err.to_string().contains("\"go-course\""), "{err}");
}

#[test]
fn a_delayed_payment_grants_the_purchase_when_it_succeeds() {
    let (db, s) = (Sqlite::memory().unwrap(), settings());
    let ada = add_member(&db, "ada@example.org", Some("member"), None);
    let mut session = checkout_session("payment", Some(&ada), "ada@example.org");
    session["payment_status"] = json!("unpaid");
    let completed = event(
        "evt_completed",
        "checkout.session.completed",
        NOW,
        session.clone(),
    );
    deliver(&db, &s, &completed, NOW);
    assert!(
        membership(&db, &s, &ada, NOW + 1).products.is_empty(),
        "not paid yet"
    );
    session["payment_status"] = json!("paid");
    let paid = event(
        "evt_paid",
        "checkout.session.async_payment_succeeded",
        NOW + DAY,
        session,
    );
    deliver(&db, &s, &paid, NOW + DAY);
    assert_eq!(
        membership(&db, &s, &ada, NOW + DAY + 1).products,
        ["rust-course"]
    );
}

#[test]
fn each_event_is_recorded_in_the_history_of_its_member() {
    let (db, s) = (Sqlite::memory().unwrap(), settings());
    let ada = subscribed(&db, &s);
    let buy = event(
        "evt_buy",
        "checkout.session.completed",
        NOW + 5,
        checkout_session("payment", Some(&ada), "ada@example.org"),
    );
    deliver(&db, &s, &buy, NOW + 5);
    let refund = event(
        "evt_refund",
        "charge.refunded",
        NOW + 9,
        charge_refunded("pi_course_1"),
    );
    deliver(&db, &s, &refund, NOW + 9);
    let rows = run(db.query(stmt!(
        "SELECT id, member_id FROM webhook_events ORDER BY created, id"
    )))
    .unwrap();
    let history: Vec<(&str, Option<&str>)> = rows
        .iter()
        .map(|r| (r.text("id").unwrap(), r.text("member_id")))
        .collect();
    let ada = Some(ada.as_str());
    assert_eq!(
        history,
        [
            ("evt_checkout", ada),
            ("evt_sub_created", ada),
            ("evt_buy", ada),
            ("evt_refund", ada)
        ]
    );
}

#[test]
fn only_the_webhook_route_reads_a_large_body() {
    assert_eq!(
        http::body_limit(http::STRIPE_WEBHOOK_PATH),
        http::MAX_WEBHOOK_BYTES
    );
    assert_eq!(http::body_limit(http::IMPORT_PATH), http::MAX_IMPORT_BYTES);
    assert_eq!(http::body_limit(http::SIGNIN_PATH), http::MAX_BODY_BYTES);
    assert_eq!(
        http::body_limit("/_lyceum/checkout/pro"),
        http::MAX_BODY_BYTES
    );
}

#[test]
fn a_subscription_created_incomplete_and_activated_in_the_same_second_is_active_either_way() {
    for reversed in [false, true] {
        let (db, s) = (Sqlite::memory().unwrap(), settings());
        let ada = add_member(&db, "ada@example.org", Some("member"), None);
        run(db.query(stmt!(
            "UPDATE members SET stripe_customer = ?2 WHERE id = ?1",
            ada.as_str(),
            CUSTOMER
        )))
        .unwrap();
        let mut events = [
            event(
                "evt_created",
                "customer.subscription.created",
                NOW,
                subscription("incomplete", PRO, NOW + 30 * DAY),
            ),
            event(
                "evt_activated",
                "customer.subscription.updated",
                NOW,
                subscription("active", PRO, NOW + 30 * DAY),
            ),
        ];
        if reversed {
            events.reverse();
        }
        for (i, body) in events.iter().enumerate() {
            deliver(&db, &s, body, NOW + i as u64);
        }
        assert_eq!(
            level(&db, &s, &ada, NOW + DAY).as_deref(),
            Some("pro"),
            "reversed: {reversed}"
        );
    }
}

#[test]
fn the_account_summary_shows_the_level_its_subscription_the_course_and_the_history() {
    let (db, s) = (Sqlite::memory().unwrap(), settings());
    let ada = subscribed(&db, &s);
    let buy = event(
        "evt_buy",
        "checkout.session.completed",
        NOW + 2,
        checkout_session("payment", Some(&ada), "ada@example.org"),
    );
    deliver(&db, &s, &buy, NOW + 2);
    let summary = |at: u64| {
        let m = membership(&db, &s, &ada, at);
        run(members::account::summary(
            &db,
            &s.policy,
            &m,
            s.portal.as_deref(),
            at,
        ))
        .unwrap()
    };
    let got = summary(NOW + 3);
    assert_eq!(got["email"], "ada@example.org");
    assert_eq!(got["level"], "pro");
    assert_eq!(got["portal"], "https://billing.stripe.com/p/login/test");
    let sub = &got["subscriptions"][0];
    assert_eq!(
        (&sub["status"], &sub["level"], &sub["live"]),
        (&json!("active"), &json!("pro"), &json!(true))
    );
    assert_eq!(sub["period_end"], NOW + 30 * DAY);
    assert_eq!(got["products"][0]["id"], "rust-course");
    assert_eq!(got["products"][0]["source"], "stripe");
    // Newest first, each with what Stripe said it was worth.
    let history: Vec<(&str, Option<u64>, Option<&str>)> = got["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let kind = e["type"].as_str().unwrap();
            (kind, e["amount"].as_u64(), e["currency"].as_str())
        })
        .collect();
    assert_eq!(
        history,
        [
            ("checkout.session.completed", Some(4900), Some("usd")),
            ("customer.subscription.created", None, Some("usd")),
            ("checkout.session.completed", Some(1500), Some("usd")),
        ]
    );

    // A refund takes the course off the account and adds itself to the history.
    let refund = event(
        "evt_refund",
        "charge.refunded",
        NOW + DAY,
        charge_refunded("pi_course_1"),
    );
    deliver(&db, &s, &refund, NOW + DAY);
    let got = summary(NOW + DAY + 1);
    assert_eq!(got["products"], json!([]));
    assert_eq!(got["history"][0]["type"], "charge.refunded");
    assert_eq!(
        got["history"][0]["amount"],
        fixture("charge")["amount"].clone()
    );

    // Another member sees none of it.
    let bob = add_member(&db, "bob@example.org", None, None);
    let bob_summary = run(members::account::summary(
        &db,
        &s.policy,
        &membership(&db, &s, &bob, NOW + DAY),
        None,
        NOW + DAY,
    ))
    .unwrap();
    assert_eq!(
        (
            &bob_summary["history"],
            &bob_summary["products"],
            &bob_summary["subscriptions"]
        ),
        (&json!([]), &json!([]), &json!([]))
    );
}
