//! Stripe webhook signatures, with events built from Stripe's own object fixtures
//! (`tests/fixtures/stripe/objects.json`, a copy of `shared/fixtures/stripe/`).

use members::stripe::{self, SignatureError, TOLERANCE_SECS};
use serde_json::{json, Value};

const SECRET: &str = "whsec_test_5f3c0b1d2e";
const NOW: u64 = 1_800_000_000;

fn fixture(name: &str) -> Value {
    let text = include_str!("fixtures/stripe/objects.json");
    let all: Value = serde_json::from_str(text).unwrap();
    all[name].clone()
}

/// An event wrapping a fixture object, as Stripe sends it.
fn event(kind: &str, object: Value) -> Vec<u8> {
    let mut e = fixture("event");
    e["id"] = json!("evt_test_0001");
    e["type"] = json!(kind);
    e["created"] = json!(NOW - 5);
    e["data"] = json!({ "object": object });
    serde_json::to_vec(&e).unwrap()
}

fn header(t: u64, body: &[u8], secrets: &[&str]) -> String {
    let mut h = format!("t={t}");
    for s in secrets {
        h.push_str(&format!(",v1={}", stripe::expected_signature(s, t, body)));
    }
    h
}

#[test]
fn the_signature_matches_an_independent_hmac() {
    // Python: hmac.new(b"whsec_test_secret", b"1700000000." + body, sha256).hexdigest()
    let body = br#"{"id":"evt_1","type":"ping"}"#;
    assert_eq!(
        stripe::expected_signature("whsec_test_secret", 1_700_000_000, body),
        "74a11abdd08483d064a2a1571e7881b084c522f9f3ccd0b800ec8c74aba47fc2"
    );
}

#[test]
fn a_signed_checkout_event_verifies_and_parses() {
    let body = event("checkout.session.completed", fixture("checkout.session"));
    let h = header(NOW - 5, &body, &[SECRET]);
    assert_eq!(stripe::verify(&h, &body, &[SECRET], NOW), Ok(NOW - 5));
    let e = stripe::parse(&body).unwrap();
    assert_eq!(
        (e.id.as_str(), e.kind.as_str(), e.created),
        ("evt_test_0001", "checkout.session.completed", NOW - 5)
    );
    assert_eq!(e.data.object["object"], "checkout.session");
}

#[test]
fn a_replayed_event_is_refused() {
    let body = event("invoice.paid", fixture("invoice"));
    let old = NOW - TOLERANCE_SECS - 1;
    assert_eq!(
        stripe::verify(&header(old, &body, &[SECRET]), &body, &[SECRET], NOW),
        Err(SignatureError::TooOld)
    );
    let edge = NOW - TOLERANCE_SECS;
    assert_eq!(
        stripe::verify(&header(edge, &body, &[SECRET]), &body, &[SECRET], NOW),
        Ok(edge)
    );
}

#[test]
fn a_wrong_secret_or_a_tampered_body_is_refused() {
    let body = event("charge.refunded", fixture("charge"));
    let signed = header(NOW, &body, &["whsec_someone_else"]);
    assert_eq!(
        stripe::verify(&signed, &body, &[SECRET], NOW),
        Err(SignatureError::NoMatch)
    );
    let good = header(NOW, &body, &[SECRET]);
    let mut tampered = body.clone();
    let at = tampered.len() / 2;
    tampered[at] ^= 1;
    assert_eq!(
        stripe::verify(&good, &tampered, &[SECRET], NOW),
        Err(SignatureError::NoMatch)
    );
    // A signature for another timestamp does not carry over.
    let moved = good.replacen(&format!("t={NOW}"), &format!("t={}", NOW + 1), 1);
    assert_eq!(
        stripe::verify(&moved, &body, &[SECRET], NOW),
        Err(SignatureError::NoMatch)
    );
}

#[test]
fn any_of_several_signatures_and_secrets_may_match_for_rotation() {
    let body = event("customer.subscription.updated", fixture("subscription"));
    // Stripe signs with the old and the new secret while one is rolled.
    let both = header(NOW, &body, &["whsec_old", SECRET]);
    assert!(stripe::verify(&both, &body, &[SECRET], NOW).is_ok());
    // We may accept the old and the new one while we roll ours.
    let old_only = header(NOW, &body, &["whsec_old"]);
    assert!(stripe::verify(&old_only, &body, &[SECRET, "whsec_old"], NOW).is_ok());
}

#[test]
fn malformed_headers_and_no_secret_are_refused() {
    let body = event("invoice.payment_failed", fixture("invoice"));
    let v0 = format!(
        "t={NOW},v0={}",
        stripe::expected_signature(SECRET, NOW, &body)
    );
    for h in [
        "",
        "garbage",
        &format!("t={NOW}"),
        "v1=abc",
        &v0,
        "t=soon,v1=ab",
    ] {
        assert_eq!(
            stripe::verify(h, &body, &[SECRET], NOW),
            Err(SignatureError::Malformed),
            "{h:?}"
        );
    }
    let h = header(NOW, &body, &[SECRET]);
    assert_eq!(
        stripe::verify(&h, &body, &[], NOW),
        Err(SignatureError::NoSecret)
    );
    assert_eq!(
        stripe::verify(&h, &body, &[""], NOW),
        Err(SignatureError::NoSecret)
    );
}
