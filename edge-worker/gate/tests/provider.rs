//! An external membership provider's tokens through the whole verifier: a JWKS fetched
//! from a URL (handed in as text), its plan claim mapped to the site's levels, its
//! products claim, and `lacks_key`, the question the worker asks before refetching.
//! Signed with the test-only keys in `tests/keys/`.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use gate::token::ConfigError;
use gate::{Settings, TokenError, Verifier};
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, EncodingKey};
use serde_json::{json, Value};

const NOW: u64 = 1_700_000_000;
const SECRET: &str = "test-only-secret-0123456789abcdef-xyz";
const ED_A: &str = include_str!("keys/test-only-ed25519-a.pem");
const ED_B: &str = include_str!("keys/test-only-ed25519-b.pem");
const EC_A: &str = include_str!("keys/test-only-p256-a.pem");

fn key(alg: Algorithm, pem: &str) -> EncodingKey {
    match alg {
        Algorithm::EdDSA => EncodingKey::from_ed_pem(pem.as_bytes()).unwrap(),
        Algorithm::ES256 => EncodingKey::from_ec_pem(pem.as_bytes()).unwrap(),
        _ => EncodingKey::from_secret(pem.as_bytes()),
    }
}

fn jwks(keys: &[(Algorithm, &str, &str)]) -> String {
    let keys: Vec<Value> = keys
        .iter()
        .map(|(alg, pem, kid)| {
            let mut v =
                serde_json::to_value(Jwk::from_encoding_key(&key(*alg, pem), *alg).unwrap())
                    .unwrap();
            v["kid"] = json!(kid);
            v
        })
        .collect();
    json!({ "keys": keys }).to_string()
}

fn sign(alg: Algorithm, pem: &str, kid: Option<&str>, claims: &Value) -> String {
    let name = match alg {
        Algorithm::EdDSA => "EdDSA",
        Algorithm::ES256 => "ES256",
        _ => "HS256",
    };
    let mut h = json!({ "alg": name, "typ": "JWT" });
    if let Some(kid) = kid {
        h["kid"] = json!(kid);
    }
    let b64 = |s: String| URL_SAFE_NO_PAD.encode(s.as_bytes());
    let message = format!("{}.{}", b64(h.to_string()), b64(claims.to_string()));
    let sig = jsonwebtoken::crypto::sign(message.as_bytes(), &key(alg, pem), alg).unwrap();
    format!("{message}.{sig}")
}

/// Auth0-style settings: the plan under a namespaced claim, courses as scopes.
fn provider_settings() -> Settings {
    Settings {
        jwks_url: Some("https://tenant.example/.well-known/jwks.json".into()),
        issuer: Some("https://tenant.example/".into()),
        level_claim: Some("https://academy.example/plan".into()),
        level_map: Some("plan_free:,plan_member:member,plan_pro:pro".into()),
        products_claim: Some("scope".into()),
        ..Default::default()
    }
}

fn claims(plan: Value) -> Value {
    json!({
        "sub": "auth0|42", "iss": "https://tenant.example/", "exp": NOW + 600,
        "https://academy.example/plan": plan, "scope": "rust-course openid",
    })
}

#[test]
fn provider_token_maps_to_the_right_level() {
    let settings = provider_settings();
    let v = Verifier::with_jwks(&settings, &jwks(&[(Algorithm::EdDSA, ED_A, "k1")])).unwrap();
    let level = |plan: Value| {
        v.verify(
            &sign(Algorithm::EdDSA, ED_A, Some("k1"), &claims(plan)),
            NOW,
        )
        .map(|c| c.level)
    };
    assert_eq!(level(json!("plan_pro")), Ok(Some("pro".into())));
    assert_eq!(level(json!("plan_member")), Ok(Some("member".into())));
    assert_eq!(
        level(json!(["plan_member", "plan_pro"])),
        Ok(Some("pro".into()))
    );
    assert_eq!(level(json!("plan_free")), Ok(None));
    assert_eq!(level(json!("plan_unknown")), Ok(None));
    assert_eq!(level(json!(7)), Err(TokenError::Claim("level")));

    let c = v
        .verify(
            &sign(
                Algorithm::EdDSA,
                ED_A,
                Some("k1"),
                &claims(json!("plan_free")),
            ),
            NOW,
        )
        .unwrap();
    assert_eq!(
        c.products,
        vec!["openid".to_string(), "rust-course".to_string()]
    );
    assert_eq!(c.sub, "auth0|42");
}

#[test]
fn jwks_url_verifier_has_no_keys_until_fetched() {
    let settings = provider_settings();
    let before = Verifier::from_settings(&settings).unwrap();
    let token = sign(
        Algorithm::EdDSA,
        ED_A,
        Some("k1"),
        &claims(json!("plan_pro")),
    );
    assert!(before.lacks_key(&token));
    assert_eq!(before.verify(&token, NOW), Err(TokenError::UnknownKey));

    let after = Verifier::with_jwks(&settings, &jwks(&[(Algorithm::EdDSA, ED_A, "k1")])).unwrap();
    assert!(!after.lacks_key(&token));
    // A rotated-in key is unknown until the next fetch; a kid-less token with a
    // single candidate key is not "lacking".
    let rotated = sign(
        Algorithm::EdDSA,
        ED_B,
        Some("k2"),
        &claims(json!("plan_pro")),
    );
    assert!(after.lacks_key(&rotated));
    assert!(!after.lacks_key(&sign(
        Algorithm::EdDSA,
        ED_A,
        None,
        &claims(json!("plan_pro"))
    )));
    // Another algorithm than the only key's: a fetch could bring it.
    assert!(after.lacks_key(&sign(
        Algorithm::ES256,
        EC_A,
        Some("e1"),
        &claims(json!("x"))
    )));
    let both = jwks(&[
        (Algorithm::EdDSA, ED_A, "k1"),
        (Algorithm::EdDSA, ED_B, "k2"),
    ]);
    let rotated_in = Verifier::with_jwks(&settings, &both).unwrap();
    assert_eq!(
        rotated_in.verify(&rotated, NOW).map(|c| c.level),
        Ok(Some("pro".into()))
    );
}

#[test]
fn lacks_key_is_false_for_what_a_fetch_cannot_help() {
    let settings = Settings {
        secret: Some(SECRET.into()),
        ..provider_settings()
    };
    let v = Verifier::from_settings(&settings).unwrap();
    // HS256 uses the secret; malformed and forbidden headers are refused anyway.
    let hs = sign(
        Algorithm::HS256,
        SECRET,
        Some("nope"),
        &claims(json!("plan_pro")),
    );
    assert!(!v.lacks_key(&hs));
    for junk in ["", "abc", "!!!.x.y", "e30.e30.e30"] {
        assert!(!v.lacks_key(junk), "{junk}");
    }
    let jku = format!(
        "{}.e30.c2ln",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"EdDSA","kid":"k9","jku":"https://evil/"}"#)
    );
    assert!(!v.lacks_key(&jku));
    let huge = format!(
        "{}.{}.x",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"EdDSA","kid":"k9"}"#),
        "a".repeat(9000)
    );
    assert!(!v.lacks_key(&huge));
}

#[test]
fn bad_provider_settings_are_refused_without_secrets() {
    let err = |tweak: fn(&mut Settings)| {
        let mut s = Settings {
            secret: Some(SECRET.into()),
            ..provider_settings()
        };
        tweak(&mut s);
        let e = Verifier::from_settings(&s).unwrap_err();
        let text = e.to_string();
        assert!(!text.contains(SECRET), "{text}");
        (e, text)
    };
    let (e, _) = err(|s| s.jwks = Some(jwks(&[(Algorithm::EdDSA, ED_A, "k1")])));
    assert_eq!(e, ConfigError::TwoJwks);
    let (_, text) = err(|s| s.jwks_url = Some("http://tenant.example/jwks".into()));
    assert!(
        text.starts_with("LYCEUM_JWT_JWKS_URL must be an https:// URL"),
        "{text}"
    );
    let (_, text) = err(|s| s.jwks_url = Some("https://u:hunter2@tenant.example/".into()));
    assert!(!text.contains("hunter2"), "{text}");
    let (_, text) = err(|s| s.level_map = Some("plan_pro=pro".into()));
    assert!(
        text.starts_with("LYCEUM_JWT_LEVEL_MAP entry #1: no `:`"),
        "{text}"
    );
    let (_, text) = err(|s| s.jwks_refetch_secs = Some("0".into()));
    assert!(text.contains("LYCEUM_JWT_JWKS_REFETCH_SECS"), "{text}");
    let (_, text) = err(|s| s.products_claim = Some("a..b".into()));
    assert!(text.contains("LYCEUM_JWT_PRODUCTS_CLAIM"), "{text}");

    // A fetched document that is not a JWKS: the same error as an inline one.
    let e = Verifier::with_jwks(&provider_settings(), "<html>").unwrap_err();
    assert_eq!(e, ConfigError::Jwks("not valid JSON".into()));
    // Without a URL and without keys, nothing verifies: the old error.
    let none = Settings::default();
    assert_eq!(
        Verifier::from_settings(&none).unwrap_err(),
        ConfigError::NoKey
    );
}

#[test]
fn provider_env_vars_are_read_and_blank_is_unset() {
    let env = |k: &str| match k {
        "LYCEUM_JWT_JWKS_URL" => Some("https://tenant.example/jwks".to_string()),
        "LYCEUM_JWT_LEVEL_CLAIM" => Some("app_metadata.plan".to_string()),
        "LYCEUM_JWT_LEVEL_MAP" => Some("plan_pro:pro".to_string()),
        "LYCEUM_JWT_PRODUCTS_CLAIM" => Some(String::new()),
        "LYCEUM_JWT_JWKS_REFETCH_SECS" => Some("30".to_string()),
        _ => None,
    };
    let s = Settings::from_env(env);
    assert_eq!(s.jwks_url(), Some("https://tenant.example/jwks"));
    assert_eq!(s.level_claim.as_deref(), Some("app_metadata.plan"));
    assert_eq!(s.level_map.as_deref(), Some("plan_pro:pro"));
    assert_eq!(s.products_claim, None);
    assert_eq!(s.jwks_refetch_secs.as_deref(), Some("30"));
    let v = Verifier::with_jwks(&s, &jwks(&[(Algorithm::EdDSA, ED_A, "k1")])).unwrap();
    let t = sign(
        Algorithm::EdDSA,
        ED_A,
        Some("k1"),
        &json!({"sub": "u", "exp": NOW + 60, "app_metadata": {"plan": "plan_pro"}}),
    );
    assert_eq!(v.verify(&t, NOW).unwrap().level.as_deref(), Some("pro"));
}
