//! Token verification against every supported algorithm and every refusal the gate
//! promises. Tokens are signed here with the test-only keys in `tests/keys/`
//! (generated once with openssl; never use them anywhere else).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use gate::token::{ConfigError, LEEWAY_SECS, MAX_TOKEN_BYTES};
use gate::{Claims, Settings, TokenError, Verifier};
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, EncodingKey};
use serde_json::{json, Value};

const NOW: u64 = 1_700_000_000;
const SECRET: &str = "test-only-secret-0123456789abcdef-xyz";
const OTHER_SECRET: &str = "another-test-only-secret-0123456789abcdef";

const ED_A: &str = include_str!("keys/test-only-ed25519-a.pem");
const ED_B: &str = include_str!("keys/test-only-ed25519-b.pem");
const EC_A: &str = include_str!("keys/test-only-p256-a.pem");
const EC_B: &str = include_str!("keys/test-only-p256-b.pem");
const RSA_A: &str = include_str!("keys/test-only-rsa-a.pem");
const RSA_B: &str = include_str!("keys/test-only-rsa-b.pem");
const RSA_A_PUBLIC: &str = include_str!("keys/test-only-rsa-a.pub.pem");

/// A signing key and its algorithm.
#[derive(Clone, Copy)]
struct Signer {
    alg: Algorithm,
    pem: &'static str,
}

const HS: Signer = Signer {
    alg: Algorithm::HS256,
    pem: SECRET,
};
const ED: Signer = Signer {
    alg: Algorithm::EdDSA,
    pem: ED_A,
};
const EC: Signer = Signer {
    alg: Algorithm::ES256,
    pem: EC_A,
};
const RS: Signer = Signer {
    alg: Algorithm::RS256,
    pem: RSA_A,
};

fn encoding_key(s: Signer) -> EncodingKey {
    match s.alg {
        Algorithm::HS256 => EncodingKey::from_secret(s.pem.as_bytes()),
        Algorithm::EdDSA => EncodingKey::from_ed_pem(s.pem.as_bytes()).unwrap(),
        Algorithm::ES256 => EncodingKey::from_ec_pem(s.pem.as_bytes()).unwrap(),
        Algorithm::RS256 => EncodingKey::from_rsa_pem(s.pem.as_bytes()).unwrap(),
        other => panic!("no test key for {other:?}"),
    }
}

/// The public JWK of a signing key, with a `kid`.
fn jwk(s: Signer, kid: &str) -> Value {
    let mut v =
        serde_json::to_value(Jwk::from_encoding_key(&encoding_key(s), s.alg).unwrap()).unwrap();
    v["kid"] = json!(kid);
    v
}

fn jwks(keys: &[Value]) -> String {
    json!({ "keys": keys }).to_string()
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn alg_name(alg: Algorithm) -> &'static str {
    match alg {
        Algorithm::HS256 => "HS256",
        Algorithm::EdDSA => "EdDSA",
        Algorithm::ES256 => "ES256",
        Algorithm::RS256 => "RS256",
        other => panic!("{other:?}"),
    }
}

/// Sign raw header and payload JSON text, so tests can craft anything (duplicate
/// members, string `exp`, forbidden headers).
fn sign_raw(header: &str, payload: &str, s: Signer) -> String {
    let message = format!("{}.{}", b64(header.as_bytes()), b64(payload.as_bytes()));
    let sig = jsonwebtoken::crypto::sign(message.as_bytes(), &encoding_key(s), s.alg).unwrap();
    format!("{message}.{sig}")
}

fn header(s: Signer, kid: Option<&str>) -> String {
    let mut h = json!({ "alg": alg_name(s.alg), "typ": "JWT" });
    if let Some(kid) = kid {
        h["kid"] = json!(kid);
    }
    h.to_string()
}

fn payload(level: &str, exp: u64) -> Value {
    json!({ "sub": "member-42", "level": level, "exp": exp })
}

fn sign(s: Signer, kid: Option<&str>, payload: &Value) -> String {
    sign_raw(&header(s, kid), &payload.to_string(), s)
}

/// A verifier with the HS256 secret and one JWKS key per asymmetric algorithm.
fn verifier() -> Verifier {
    verifier_with(|_| {})
}

fn verifier_with(tweak: impl FnOnce(&mut Settings)) -> Verifier {
    let mut settings = Settings {
        secret: Some(SECRET.into()),
        jwks: Some(jwks(&[jwk(ED, "ed-1"), jwk(EC, "ec-1"), jwk(RS, "rs-1")])),
        ..Default::default()
    };
    tweak(&mut settings);
    Verifier::from_settings(&settings).unwrap()
}

fn kid_of(s: Signer) -> Option<&'static str> {
    match s.alg {
        Algorithm::EdDSA => Some("ed-1"),
        Algorithm::ES256 => Some("ec-1"),
        Algorithm::RS256 => Some("rs-1"),
        _ => None,
    }
}

const ALL: [Signer; 4] = [HS, ED, EC, RS];

/// Assert a refusal, and that its text never echoes the token.
fn refused(v: &Verifier, token: &str, want: TokenError) {
    let got = v.verify(token, NOW);
    assert_eq!(got, Err(want), "token {token:.80}…");
    let text = got.unwrap_err().to_string();
    for part in token.split('.').filter(|p| p.len() > 8) {
        assert!(!text.contains(part), "error text {text:?} echoes the token");
    }
}

#[test]
fn every_algorithm_verifies() {
    let v = verifier();
    for s in ALL {
        let token = sign(s, kid_of(s), &payload("pro", NOW + 3600));
        let claims = v
            .verify(&token, NOW)
            .unwrap_or_else(|e| panic!("{:?}: {e}", s.alg));
        assert_eq!(
            claims,
            Claims {
                products: Vec::new(),
                sub: "member-42".into(),
                level: Some("pro".into()),
                exp: NOW + 3600,
                sid: None,
            }
        );
    }
}

#[test]
fn expiry_with_leeway() {
    let v = verifier();
    for s in ALL {
        let kid = kid_of(s);
        refused(
            &v,
            &sign(s, kid, &payload("pro", NOW - LEEWAY_SECS - 1)),
            TokenError::Expired,
        );
        refused(&v, &sign(s, kid, &payload("pro", 0)), TokenError::Expired);
        // Expired, but within the leeway.
        assert!(v
            .verify(&sign(s, kid, &payload("pro", NOW - LEEWAY_SECS)), NOW)
            .is_ok());
        assert!(v
            .verify(&sign(s, kid, &payload("pro", NOW - 1)), NOW)
            .is_ok());
    }
    // `now` is what counts, not the machine's clock.
    let token = sign(HS, None, &payload("pro", NOW + 10));
    assert!(v.verify(&token, NOW).is_ok());
    assert_eq!(
        v.verify(&token, NOW + 10 + LEEWAY_SECS + 1),
        Err(TokenError::Expired)
    );
}

#[test]
fn not_before_with_leeway() {
    let v = verifier();
    let with_nbf = |nbf: Value| {
        let mut p = payload("member", NOW + 3600);
        p["nbf"] = nbf;
        sign(HS, None, &p)
    };
    refused(
        &v,
        &with_nbf(json!(NOW + LEEWAY_SECS + 1)),
        TokenError::NotYetValid,
    );
    refused(&v, &with_nbf(json!(NOW + 86_400)), TokenError::NotYetValid);
    assert!(v.verify(&with_nbf(json!(NOW + LEEWAY_SECS)), NOW).is_ok());
    assert!(v.verify(&with_nbf(json!(NOW - 10)), NOW).is_ok());
    refused(
        &v,
        &with_nbf(json!((NOW + 100_000).to_string())),
        TokenError::Claim("nbf"),
    );
    refused(&v, &with_nbf(json!(-1)), TokenError::Claim("nbf"));
}

#[test]
fn tampering_is_detected() {
    let v = verifier();
    for s in ALL {
        let token = sign(s, kid_of(s), &payload("member", NOW + 3600));
        let parts: Vec<&str> = token.split('.').collect();

        // Payload swapped for one claiming a higher level, signature kept.
        let forged = b64(payload("pro", NOW + 3600).to_string().as_bytes());
        refused(
            &v,
            &format!("{}.{forged}.{}", parts[0], parts[2]),
            TokenError::BadSignature,
        );

        // One signature character changed (the first: it carries no padding bits).
        let mut sig = parts[2].to_string();
        let first = if sig.starts_with('A') { "B" } else { "A" };
        sig.replace_range(0..1, first);
        refused(
            &v,
            &format!("{}.{}.{sig}", parts[0], parts[1]),
            TokenError::BadSignature,
        );

        // Signature truncated, or taken from another token.
        refused(
            &v,
            &format!("{}.{}.{}", parts[0], parts[1], &parts[2][..8]),
            TokenError::BadSignature,
        );
        let other = sign(s, kid_of(s), &payload("member", NOW + 7200));
        let other_sig = other.rsplit('.').next().unwrap();
        refused(
            &v,
            &format!("{}.{}.{other_sig}", parts[0], parts[1]),
            TokenError::BadSignature,
        );
    }
}

#[test]
fn alg_none_and_unsupported_algorithms_are_refused() {
    let v = verifier();
    let p = b64(payload("pro", NOW + 3600).to_string().as_bytes());
    for alg in [
        "none", "None", "NONE", "HS384", "HS512", "RS512", "PS256", "ES384", "hs256", "",
    ] {
        let h = b64(json!({ "alg": alg, "typ": "JWT" }).to_string().as_bytes());
        refused(&v, &format!("{h}.{p}.AAAA"), TokenError::Header("alg"));
        // The classic unsigned form (empty signature) is not even well formed.
        refused(&v, &format!("{h}.{p}."), TokenError::Malformed);
    }
    let no_alg = b64(br#"{"typ":"JWT"}"#);
    refused(&v, &format!("{no_alg}.{p}.AAAA"), TokenError::Header("alg"));
    let numeric_alg = b64(br#"{"alg":256}"#);
    refused(
        &v,
        &format!("{numeric_alg}.{p}.AAAA"),
        TokenError::Header("alg"),
    );
}

#[test]
fn wrong_key_is_refused() {
    let v = verifier();
    let p = payload("pro", NOW + 3600);
    refused(
        &v,
        &sign(
            Signer {
                alg: Algorithm::HS256,
                pem: OTHER_SECRET,
            },
            None,
            &p,
        ),
        TokenError::BadSignature,
    );
    // Signed by key B, claiming the kid of the configured key A.
    refused(
        &v,
        &sign(
            Signer {
                alg: Algorithm::EdDSA,
                pem: ED_B,
            },
            Some("ed-1"),
            &p,
        ),
        TokenError::BadSignature,
    );
    refused(
        &v,
        &sign(
            Signer {
                alg: Algorithm::ES256,
                pem: EC_B,
            },
            Some("ec-1"),
            &p,
        ),
        TokenError::BadSignature,
    );
    refused(
        &v,
        &sign(
            Signer {
                alg: Algorithm::RS256,
                pem: RSA_B,
            },
            Some("rs-1"),
            &p,
        ),
        TokenError::BadSignature,
    );
}

#[test]
fn keys_are_pinned_to_their_algorithm() {
    let v = verifier();
    let p = payload("pro", NOW + 3600);
    // A correctly signed ES256 token naming the RSA key's kid.
    refused(&v, &sign(EC, Some("rs-1"), &p), TokenError::UnknownKey);
    refused(&v, &sign(RS, Some("ed-1"), &p), TokenError::UnknownKey);
    refused(&v, &sign(ED, Some("ec-1"), &p), TokenError::UnknownKey);
}

#[test]
fn hs_rs_confusion_fails() {
    // The attacker signs HS256 with the RSA *public* key's bytes as the secret.
    let forged = sign(
        Signer {
            alg: Algorithm::HS256,
            pem: RSA_A_PUBLIC,
        },
        Some("rs-1"),
        &payload("pro", NOW + 3600),
    );
    let forged_no_kid = sign(
        Signer {
            alg: Algorithm::HS256,
            pem: RSA_A_PUBLIC,
        },
        None,
        &payload("pro", NOW + 3600),
    );

    // Only the JWKS configured: there is no HS256 key at all.
    let jwks_only = verifier_with(|s| s.secret = None);
    refused(&jwks_only, &forged, TokenError::UnknownKey);
    refused(&jwks_only, &forged_no_kid, TokenError::UnknownKey);

    // Both configured: HS256 tokens are only ever checked against the shared secret.
    let both = verifier();
    refused(&both, &forged, TokenError::BadSignature);
    refused(&both, &forged_no_kid, TokenError::BadSignature);

    // Even a JWKS key's own JSON used as the secret gets nowhere.
    let jwk_json = jwk(RS, "rs-1").to_string();
    let leaked: &'static str = Box::leak(jwk_json.into_boxed_str());
    refused(
        &both,
        &sign(
            Signer {
                alg: Algorithm::HS256,
                pem: leaked,
            },
            None,
            &payload("pro", NOW + 3600),
        ),
        TokenError::BadSignature,
    );
}

#[test]
fn kid_rotation_with_two_keys() {
    let old = Signer {
        alg: Algorithm::ES256,
        pem: EC_A,
    };
    let new = Signer {
        alg: Algorithm::ES256,
        pem: EC_B,
    };
    let v = verifier_with(|s| {
        s.secret = None;
        s.jwks = Some(jwks(&[jwk(old, "2025-01"), jwk(new, "2025-06")]));
    });
    let p = payload("member", NOW + 3600);
    assert_eq!(
        v.verify(&sign(old, Some("2025-01"), &p), NOW)
            .unwrap()
            .level
            .as_deref(),
        Some("member")
    );
    assert_eq!(
        v.verify(&sign(new, Some("2025-06"), &p), NOW)
            .unwrap()
            .level
            .as_deref(),
        Some("member")
    );
    // Crossed kids fail: the kid picks exactly one key.
    refused(
        &v,
        &sign(old, Some("2025-06"), &p),
        TokenError::BadSignature,
    );
    refused(
        &v,
        &sign(new, Some("2025-01"), &p),
        TokenError::BadSignature,
    );
    // Unknown kid, and no kid with two candidate keys: no guessing.
    refused(&v, &sign(old, Some("2024-01"), &p), TokenError::UnknownKey);
    refused(&v, &sign(old, None, &p), TokenError::UnknownKey);

    // Rotation across algorithms: an Ed25519 and an RSA key side by side.
    let mixed = verifier_with(|s| {
        s.secret = None;
        s.jwks = Some(jwks(&[jwk(ED, "k1"), jwk(RS, "k2")]));
    });
    assert!(mixed.verify(&sign(ED, Some("k1"), &p), NOW).is_ok());
    assert!(mixed.verify(&sign(RS, Some("k2"), &p), NOW).is_ok());
}

#[test]
fn unknown_kid_is_refused() {
    let v = verifier();
    let p = payload("pro", NOW + 3600);
    for s in [ED, EC, RS] {
        refused(
            &v,
            &sign(s, Some("not-configured"), &p),
            TokenError::UnknownKey,
        );
        refused(&v, &sign(s, Some(""), &p), TokenError::UnknownKey);
    }
    let numeric_kid = sign_raw(r#"{"alg":"EdDSA","kid":1}"#, &p.to_string(), ED);
    refused(&v, &numeric_kid, TokenError::Header("kid"));
}

#[test]
fn token_without_kid_uses_the_only_key_of_its_alg() {
    let v = verifier();
    let p = payload("pro", NOW + 3600);
    // One key per algorithm is configured, so each is unambiguous.
    for s in [ED, EC, RS] {
        assert!(v.verify(&sign(s, None, &p), NOW).is_ok(), "{:?}", s.alg);
    }
    // HS256 ignores kid: the shared secret is the only symmetric key.
    assert!(v.verify(&sign(HS, Some("anything"), &p), NOW).is_ok());
    // No key of that algorithm configured.
    let ed_only = verifier_with(|s| {
        s.secret = None;
        s.jwks = Some(jwks(&[jwk(ED, "ed-1")]));
    });
    refused(&ed_only, &sign(EC, None, &p), TokenError::UnknownKey);
    refused(&ed_only, &sign(HS, None, &p), TokenError::UnknownKey);
}

#[test]
fn issuer_and_audience_when_configured() {
    let v = verifier_with(|s| {
        s.issuer = Some("https://members.example".into());
        s.audience = Some("lyceum".into());
    });
    let with = |iss: Option<Value>, aud: Option<Value>| {
        let mut p = payload("pro", NOW + 3600);
        if let Some(iss) = iss {
            p["iss"] = iss;
        }
        if let Some(aud) = aud {
            p["aud"] = aud;
        }
        sign(HS, None, &p)
    };
    let iss = || Some(json!("https://members.example"));
    let aud = || Some(json!("lyceum"));
    assert!(v.verify(&with(iss(), aud()), NOW).is_ok());
    assert!(v
        .verify(&with(iss(), Some(json!(["other", "lyceum"]))), NOW)
        .is_ok());

    refused(
        &v,
        &with(Some(json!("https://evil.example")), aud()),
        TokenError::Issuer,
    );
    refused(
        &v,
        &with(Some(json!("https://members.example/")), aud()),
        TokenError::Issuer,
    );
    refused(&v, &with(None, aud()), TokenError::Claim("iss"));
    refused(
        &v,
        &with(Some(json!(["https://members.example"])), aud()),
        TokenError::Claim("iss"),
    );
    refused(
        &v,
        &with(Some(json!(null)), aud()),
        TokenError::Claim("iss"),
    );

    refused(&v, &with(iss(), Some(json!("other"))), TokenError::Audience);
    refused(
        &v,
        &with(iss(), Some(json!(["other"]))),
        TokenError::Audience,
    );
    refused(&v, &with(iss(), Some(json!([]))), TokenError::Audience);
    refused(&v, &with(iss(), None), TokenError::Claim("aud"));
    refused(&v, &with(iss(), Some(json!(7))), TokenError::Claim("aud"));
    refused(
        &v,
        &with(iss(), Some(json!(["lyceum", 7]))),
        TokenError::Audience,
    );

    // Not configured: iss is ignored, but a token meant for some audience is refused.
    let plain = verifier();
    assert!(plain
        .verify(&with(Some(json!("anyone")), None), NOW)
        .is_ok());
    refused(&plain, &with(None, aud()), TokenError::Audience);

    // Empty settings count as unset.
    let empty = verifier_with(|s| {
        s.issuer = Some("".into());
        s.audience = Some("  ".into());
    });
    assert!(empty.verify(&with(None, None), NOW).is_ok());
}

#[test]
fn oversized_tokens_are_refused_before_parsing() {
    let v = verifier();
    refused(&v, &"a".repeat(MAX_TOKEN_BYTES + 1), TokenError::TooLarge);
    // A genuinely signed token, padded past the limit.
    let mut p = payload("pro", NOW + 3600);
    p["pad"] = json!("x".repeat(MAX_TOKEN_BYTES));
    let big = sign(HS, None, &p);
    assert!(big.len() > MAX_TOKEN_BYTES);
    refused(&v, &big, TokenError::TooLarge);
    // Just under the limit is fine.
    p["pad"] = json!("x".repeat(5_000));
    let ok = sign(HS, None, &p);
    assert!(ok.len() <= MAX_TOKEN_BYTES);
    assert!(v.verify(&ok, NOW).is_ok());
}

#[test]
fn claim_types_are_strict() {
    let v = verifier();
    let signed = |payload: &str| sign_raw(&header(HS, None), payload, HS);
    let exp = NOW + 3600;
    let cases: Vec<(String, TokenError)> = vec![
        (
            format!(r#"{{"sub":"a","level":"pro","exp":"{exp}"}}"#),
            TokenError::Claim("exp"),
        ),
        (
            format!(r#"{{"sub":"a","level":"pro","exp":{exp}.5}}"#),
            TokenError::Claim("exp"),
        ),
        (
            r#"{"sub":"a","level":"pro","exp":-1}"#.into(),
            TokenError::Claim("exp"),
        ),
        (
            r#"{"sub":"a","level":"pro","exp":null}"#.into(),
            TokenError::Claim("exp"),
        ),
        (
            r#"{"sub":"a","level":"pro"}"#.into(),
            TokenError::Claim("exp"),
        ),
        (
            r#"{"sub":"a","level":"pro","exp":1e30}"#.into(),
            TokenError::Claim("exp"),
        ),
        (
            format!(r#"{{"level":"pro","exp":{exp}}}"#),
            TokenError::Claim("sub"),
        ),
        (
            format!(r#"{{"sub":"","level":"pro","exp":{exp}}}"#),
            TokenError::Claim("sub"),
        ),
        (
            format!(r#"{{"sub":42,"level":"pro","exp":{exp}}}"#),
            TokenError::Claim("sub"),
        ),
        (
            format!(r#"{{"sub":"a","exp":{exp}}}"#),
            TokenError::Claim("level"),
        ),
        (
            format!(r#"{{"sub":"a","level":"","exp":{exp}}}"#),
            TokenError::Claim("level"),
        ),
        (
            format!(r#"{{"sub":"a","level":2,"exp":{exp}}}"#),
            TokenError::Claim("level"),
        ),
        (
            format!(r#"{{"sub":"a","level":["pro"],"exp":{exp}}}"#),
            TokenError::Claim("level"),
        ),
        (
            format!(r#"{{"sub":"a","level":null,"exp":{exp}}}"#),
            TokenError::Claim("level"),
        ),
        (
            format!(r#"[{{"sub":"a","level":"pro","exp":{exp}}}]"#),
            TokenError::Malformed,
        ),
        ("not json".into(), TokenError::Malformed),
    ];
    for (p, want) in cases {
        refused(&v, &signed(&p), want);
    }
    // An unknown level is the decision's business: verify passes it through, and
    // `decide` treats it as no membership (see decide's tests).
    assert_eq!(
        v.verify(
            &signed(&format!(r#"{{"sub":"a","level":"gold","exp":{exp}}}"#)),
            NOW
        )
        .unwrap()
        .level
        .as_deref(),
        Some("gold")
    );
}

#[test]
fn duplicate_members_are_refused() {
    let v = verifier();
    let exp = NOW + 3600;
    // Why this needs our own parsing: a plain map keeps the last duplicate silently.
    let dup = format!(r#"{{"sub":"a","level":"member","level":"pro","exp":{exp}}}"#);
    let map: serde_json::Map<String, Value> = serde_json::from_str(&dup).unwrap();
    assert_eq!(map["level"], "pro");

    refused(
        &v,
        &sign_raw(&header(HS, None), &dup, HS),
        TokenError::Malformed,
    );
    for s in [ED, EC, RS] {
        refused(
            &v,
            &sign_raw(&header(s, kid_of(s)), &dup, s),
            TokenError::Malformed,
        );
    }
    let dup_exp = format!(r#"{{"sub":"a","level":"pro","exp":1,"exp":{exp}}}"#);
    refused(
        &v,
        &sign_raw(&header(HS, None), &dup_exp, HS),
        TokenError::Malformed,
    );
    let dup_sub = format!(r#"{{"sub":"a","sub":"b","level":"pro","exp":{exp}}}"#);
    refused(
        &v,
        &sign_raw(&header(HS, None), &dup_sub, HS),
        TokenError::Malformed,
    );

    // Duplicated header members too (e.g. a second `alg`).
    let p = payload("pro", exp).to_string();
    refused(
        &v,
        &sign_raw(r#"{"alg":"HS256","alg":"none"}"#, &p, HS),
        TokenError::Malformed,
    );
    refused(
        &v,
        &sign_raw(r#"{"alg":"EdDSA","kid":"ed-1","kid":"ec-1"}"#, &p, ED),
        TokenError::Malformed,
    );
}

#[test]
fn forbidden_headers_are_refused() {
    let v = verifier();
    let p = payload("pro", NOW + 3600).to_string();
    let cases: [(&str, Value); 9] = [
        ("jku", json!("https://evil.example/jwks.json")),
        ("x5u", json!("https://evil.example/cert.pem")),
        ("jwk", jwk(ED, "attacker")),
        ("x5c", json!(["MIIB"])),
        ("crit", json!(["exp"])),
        ("cty", json!("JWT")),
        ("zip", json!("DEF")),
        ("enc", json!("A256GCM")),
        ("b64", json!(false)),
    ];
    for (name, value) in cases {
        for s in ALL {
            let mut h: Value = serde_json::from_str(&header(s, kid_of(s))).unwrap();
            h[name] = value.clone();
            let token = sign_raw(&h.to_string(), &p, s);
            let want = TokenError::Header(match name {
                "jku" => "jku",
                "x5u" => "x5u",
                "jwk" => "jwk",
                "x5c" => "x5c",
                "crit" => "crit",
                "cty" => "cty",
                "zip" => "zip",
                "enc" => "enc",
                _ => "b64",
            });
            refused(&v, &token, want);
        }
    }
}

#[test]
fn typ_must_be_jwt_when_present() {
    let v = verifier();
    let p = payload("pro", NOW + 3600).to_string();
    for ok in [
        r#"{"alg":"HS256","typ":"JWT"}"#,
        r#"{"alg":"HS256","typ":"jwt"}"#,
        r#"{"alg":"HS256"}"#,
    ] {
        assert!(v.verify(&sign_raw(ok, &p, HS), NOW).is_ok(), "{ok}");
    }
    for bad in [
        r#"{"alg":"HS256","typ":"JWE"}"#,
        r#"{"alg":"HS256","typ":"at+jwt"}"#,
        r#"{"alg":"HS256","typ":1}"#,
    ] {
        refused(&v, &sign_raw(bad, &p, HS), TokenError::Header("typ"));
    }
    // Unknown, harmless parameters are ignored (RFC 7515 §4).
    assert!(v
        .verify(
            &sign_raw(r#"{"alg":"HS256","x5t":"abc","foo":1}"#, &p, HS),
            NOW
        )
        .is_ok());
}

#[test]
fn malformed_tokens() {
    let v = verifier();
    let good = sign(HS, None, &payload("pro", NOW + 3600));
    let mut parts = good.split('.');
    let (h, p, s) = (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap(),
    );
    let cases = [
        String::new(),
        ".".into(),
        "..".into(),
        "a.b".into(),
        format!("{h}.{p}"),
        format!("{h}.{p}.{s}.{s}"),
        format!("{h}..{s}"),
        format!(".{p}.{s}"),
        format!("{h}.{p}.{s} "),
        format!(" {h}.{p}.{s}"),
        format!("{h}.{p}.{s}\n"),
        format!("{h}=.{p}.{s}"),
        format!("{h}.{p}=.{s}"),
        format!("{}.{p}.{s}", h.replace('e', "+")),
        format!("{}.{p}.{s}", b64(b"not json")),
        format!("{}.{p}.{s}", b64(b"[1,2]")),
        format!("{h}.{}.{s}", URL_SAFE_NO_PAD.encode("\u{1}")),
        "Bearer abc.def.ghi".into(),
    ];
    for token in &cases {
        let got = v.verify(token, NOW);
        assert!(
            matches!(
                got,
                Err(TokenError::Malformed) | Err(TokenError::BadSignature)
            ),
            "{token:?} => {got:?}"
        );
    }
    refused(&v, &format!("{h}.{p}"), TokenError::Malformed);
    refused(&v, &format!("{h}.{p}.{s} "), TokenError::Malformed);
}

#[test]
fn configuration_errors() {
    let settings = |secret: Option<&str>, jwks: Option<String>| Settings {
        secret: secret.map(Into::into),
        jwks,
        ..Settings::default()
    };
    assert_eq!(
        Verifier::from_settings(&Settings::default()).unwrap_err(),
        ConfigError::NoKey
    );
    assert_eq!(
        Verifier::from_settings(&settings(Some("   "), None)).unwrap_err(),
        ConfigError::NoKey
    );
    assert_eq!(
        Verifier::from_settings(&settings(Some(&"s".repeat(31)), None)).unwrap_err(),
        ConfigError::WeakSecret
    );
    assert!(Verifier::from_settings(&settings(Some(&"s".repeat(32)), None)).is_ok());

    let jwks_err = |keys: String| match Verifier::from_settings(&settings(None, Some(keys.clone())))
    {
        Err(ConfigError::Jwks(msg)) => msg,
        other => panic!("{keys} => {other:?}"),
    };
    let with = |patch: &dyn Fn(&mut Value)| {
        let mut k = jwk(EC, "ec-1");
        patch(&mut k);
        jwks(&[k])
    };
    let oct = json!({ "kty": "oct", "k": b64(SECRET.as_bytes()), "kid": "h", "alg": "HS256" });
    let cases: Vec<(String, &str)> = vec![
        ("not json".into(), "not valid JSON"),
        ("{}".into(), "\"keys\" array"),
        (r#"{"keys":[]}"#.into(), "empty"),
        (r#"{"keys":[1]}"#.into(), "not a JSON object"),
        (jwks(&[oct]), "oct"),
        (
            with(&|k| k["d"] = json!("c2VjcmV0LXByaXZhdGUta2V5LW1hdGVyaWFs")),
            "private member",
        ),
        (
            with(&|k| k["alg"] = json!("RS256")),
            "\"alg\" must be ES256",
        ),
        (with(&|k| k["alg"] = json!("none")), "\"alg\" must be ES256"),
        (
            with(&|k| k["use"] = json!("enc")),
            "\"use\" must be \"sig\"",
        ),
        (with(&|k| k["key_ops"] = json!(["sign"])), "key_ops"),
        (with(&|k| k["crv"] = json!("P-384")), "P-256"),
        (with(&|k| k["x"] = json!("AAAA")), "32 bytes"),
        (
            with(&|k| k["y"] = json!(b64(&[1u8; 32]))),
            "not on the curve",
        ),
        (with(&|k| k["kty"] = json!("XYZ")), "kty must be"),
        (with(&|k| k["kid"] = json!("")), "\"kid\" is empty"),
        (with(&|k| k["kid"] = json!(3)), "\"kid\" is not a string"),
        (
            jwks(&[jwk(EC, "same"), jwk(ED, "same")]),
            "kid is used by an earlier key",
        ),
        (
            jwks(&[json!({ "kty": "RSA", "n": b64(&[0xC5; 128]), "e": "AQAB" })]),
            "2048 to 4096 bits",
        ),
        (
            jwks(&[json!({ "kty": "RSA", "n": b64(&[0xC5; 520]), "e": "AQAB" })]),
            "2048 to 4096 bits",
        ),
        (
            jwks(&[json!({ "kty": "OKP", "crv": "Ed448", "x": b64(&[1; 57]) })]),
            "Ed25519",
        ),
    ];
    for (doc, needle) in cases {
        let msg = jwks_err(doc.clone());
        assert!(
            msg.contains(needle),
            "{doc}\n=> {msg}\n(expected {needle:?})"
        );
        // Never any key material in the message.
        assert!(!msg.contains("c2VjcmV0"), "{msg}");
        assert!(!msg.contains(&b64(SECRET.as_bytes())), "{msg}");
    }
    // A valid key with matching alg, use and key_ops is accepted.
    let ok = with(&|k| {
        k["use"] = json!("sig");
        k["key_ops"] = json!(["verify"]);
    });
    assert!(Verifier::from_settings(&settings(None, Some(ok))).is_ok());
}

#[test]
fn debug_output_holds_no_secret() {
    let v = verifier();
    let debug = format!("{v:?}");
    assert!(
        debug.contains("ed-1") && debug.contains("hs256_secret: true"),
        "{debug}"
    );
    assert!(!debug.contains(SECRET), "{debug}");
    let x = jwk(ED, "ed-1")["x"].as_str().unwrap().to_string();
    assert!(!debug.contains(&x), "{debug}");
    let err = Verifier::from_settings(&Settings {
        secret: Some("short-secret".into()),
        ..Settings::default()
    })
    .unwrap_err()
    .to_string();
    assert!(!err.contains("short-secret"), "{err}");
}

// Weak keys (issue 9, item 7). A JWKS key that lets anyone sign is refused when the
// JWKS is loaded, with a reason that names the key by position and kid only.

/// The refusal of a one-key JWKS, checked to name the key's kid but never its material.
fn weak_key_refusal(key: Value) -> String {
    let doc = jwks(std::slice::from_ref(&key));
    let msg = match Verifier::from_settings(&Settings {
        jwks: Some(doc.clone()),
        ..Settings::default()
    }) {
        Err(ConfigError::Jwks(msg)) => msg,
        Ok(_) => panic!("weak key accepted: {doc}"),
        Err(other) => panic!("{doc} => {other:?}"),
    };
    assert!(msg.contains("kid \"weak\""), "{msg}");
    for member in ["x", "y", "n", "e"] {
        if let Some(v) = key[member].as_str().filter(|v| v.len() > 8) {
            assert!(!msg.contains(v), "{msg} echoes \"{member}\"");
        }
    }
    msg
}

fn hex32(hex: &str) -> [u8; 32] {
    let bytes: Vec<u8> = (0..64)
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect();
    bytes.try_into().unwrap()
}

fn okp(x: &[u8]) -> Value {
    json!({ "kty": "OKP", "crv": "Ed25519", "x": b64(x), "kid": "weak", "alg": "EdDSA" })
}

/// The canonical encodings of the 8 points of small order of edwards25519 (orders 1,
/// 2, 4, 4, 8, 8, 8, 8), then non-canonical encodings of small-order points (x = 0 with
/// the sign bit set; y = p, p + 1 with or without it), as listed in "Taming the many
/// EdDSAs" (Chalkias et al., 2020).
const SMALL_ORDER: [&str; 14] = [
    "0100000000000000000000000000000000000000000000000000000000000000",
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "0000000000000000000000000000000000000000000000000000000000000000",
    "0000000000000000000000000000000000000000000000000000000000000080",
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
    "0100000000000000000000000000000000000000000000000000000000000080",
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
    "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
    "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
];

/// The attack as reported: the identity as the public key (`x = AQAA…AA`) and the
/// signature `R = identity, s = 0` (`0x01` and 63 zero bytes) passed for any claims.
#[test]
fn small_order_ed25519_key_forges_tokens() {
    let x = hex32(SMALL_ORDER[0]);
    assert_eq!(b64(&x), format!("AQ{}", "A".repeat(41)));
    let forged = {
        let header = b64(br#"{"alg":"EdDSA","kid":"weak"}"#);
        let claims = b64(payload("pro", NOW + 3600).to_string().as_bytes());
        let mut sig = [0u8; 64];
        sig[0] = 1;
        format!("{header}.{claims}.{}", b64(&sig))
    };
    let settings = Settings {
        jwks: Some(jwks(&[okp(&x)])),
        ..Settings::default()
    };
    match Verifier::from_settings(&settings) {
        Ok(v) => panic!(
            "weak key loaded; the forged token gives {:?}",
            v.verify(&forged, NOW)
        ),
        Err(e) => assert!(e.to_string().contains("small order"), "{e}"),
    }
}

/// Every small-order point is a point the Ed25519 decoder accepts (so the refusal is
/// the weak-key check, not a decoding failure), and each is refused.
#[test]
fn small_order_ed25519_keys_are_refused() {
    for hex in SMALL_ORDER {
        let x = hex32(hex);
        let point = ed25519_dalek::VerifyingKey::from_bytes(&x)
            .unwrap_or_else(|_| panic!("{hex} does not decode"));
        assert!(point.is_weak(), "{hex} is not of small order");
        let msg = weak_key_refusal(okp(&x));
        assert!(msg.contains("small order"), "{hex}: {msg}");
    }
}

/// `y ≥ p` encodes the point of `y − p`: a second name for a point of the prime-order
/// group, refused so a key has one encoding (the one that was hashed when signing).
#[test]
fn non_canonical_ed25519_key_is_refused() {
    let mut found = 0;
    for k in 0..19u8 {
        // y = p + k, little-endian: p = 2^255 - 19 is `ed ff … ff 7f`.
        let mut x = [0xff; 32];
        x[31] = 0x7f;
        x[0] = 0xed + k;
        let Ok(point) = ed25519_dalek::VerifyingKey::from_bytes(&x) else {
            continue;
        };
        if point.is_weak() {
            continue;
        }
        found += 1;
        let msg = weak_key_refusal(okp(&x));
        assert!(msg.contains("canonical"), "{}: {msg}", b64(&x));
    }
    assert!(
        found > 0,
        "no non-canonical encoding of a prime-order point found"
    );
}

/// A key with a small-order component (`A + T`, `T` of order 8): no signing software
/// makes one; refused.
#[test]
fn mixed_order_ed25519_key_is_refused() {
    let honest = ed25519_dalek::SigningKey::from_bytes(&[7; 32]).verifying_key();
    let torsion = curve25519_dalek::edwards::CompressedEdwardsY(hex32(SMALL_ORDER[4]))
        .decompress()
        .unwrap();
    let mixed = (honest.to_edwards() + torsion).compress().to_bytes();
    let msg = weak_key_refusal(okp(&mixed));
    assert!(msg.contains("small-order component"), "{msg}");
}

/// Strict verification: with an honest key, the signature `R = identity` and
/// `s = H(R‖A‖M)·a` passes Ed25519's cofactorless check (`[s]B = R + [k]A`) but not
/// `verify_strict` (small-order `R`). jsonwebtoken's EdDSA uses the lenient check.
#[test]
fn small_order_r_signature_is_refused() {
    use sha2::{Digest, Sha512};
    let signing = ed25519_dalek::SigningKey::from_bytes(&[9; 32]);
    let public = signing.verifying_key();
    let key = json!({
        "kty": "OKP", "crv": "Ed25519", "x": b64(public.as_bytes()), "kid": "ed-r", "alg": "EdDSA"
    });
    let v = Verifier::from_settings(&Settings {
        jwks: Some(jwks(&[key])),
        ..Settings::default()
    })
    .unwrap();
    let message = format!(
        "{}.{}",
        b64(br#"{"alg":"EdDSA","kid":"ed-r"}"#),
        b64(payload("pro", NOW + 3600).to_string().as_bytes())
    );
    let r = hex32(SMALL_ORDER[0]);
    let k = curve25519_dalek::Scalar::from_bytes_mod_order_wide(
        &Sha512::new()
            .chain_update(r)
            .chain_update(public.as_bytes())
            .chain_update(message.as_bytes())
            .finalize()
            .into(),
    );
    let s = k * signing.to_scalar();
    let mut sig = [0u8; 64];
    sig[..32].copy_from_slice(&r);
    sig[32..].copy_from_slice(s.as_bytes());
    let signature = ed25519_dalek::Signature::from_bytes(&sig);
    // The lenient check accepts it: the forgery is real.
    use ed25519_dalek::Verifier as _;
    assert!(public.verify(message.as_bytes(), &signature).is_ok());
    let token = format!("{message}.{}", b64(&sig));
    refused(&v, &token, TokenError::BadSignature);
    // The same key still verifies its honest signatures.
    let honest = {
        use ed25519_dalek::Signer as _;
        signing.sign(message.as_bytes()).to_bytes()
    };
    assert!(v
        .verify(&format!("{message}.{}", b64(&honest)), NOW)
        .is_ok());
}

/// An RSA key from the test keys, with `n` and `e` replaced.
fn rsa_with(n: Option<Vec<u8>>, e: &[u8]) -> Value {
    let mut k = jwk(RS, "weak");
    if let Some(n) = n {
        k["n"] = json!(b64(&n));
    }
    k["e"] = json!(b64(e));
    k
}

#[test]
fn rsa_keys_with_a_bad_exponent_are_refused() {
    for e in [
        &[1u8][..],
        &[0],
        &[2],
        &[0x01, 0x00, 0x00],
        &[0x01, 0x00, 0x02],
        &[0x02, 0x00, 0x00, 0x00, 0x01],
        &[0x01, 0, 0, 0, 0, 0, 0, 0, 0x01],
    ] {
        let msg = weak_key_refusal(rsa_with(None, e));
        assert!(msg.contains("exponent"), "e = {e:?}: {msg}");
    }
    // 3 and 65537 are fine.
    for e in [&[3u8][..], &[1, 0, 1]] {
        let doc = jwks(&[rsa_with(None, e)]);
        let settings = Settings {
            jwks: Some(doc),
            ..Settings::default()
        };
        assert!(Verifier::from_settings(&settings).is_ok(), "e = {e:?}");
    }
}

#[test]
fn rsa_keys_with_a_weak_modulus_are_refused() {
    let n = URL_SAFE_NO_PAD
        .decode(jwk(RS, "weak")["n"].as_str().unwrap())
        .unwrap();
    let mut even = n.clone();
    *even.last_mut().unwrap() &= 0xfe;
    assert!(weak_key_refusal(rsa_with(Some(even), &[1, 0, 1])).contains("even"));
    let short = n[n.len() - 128..].to_vec();
    assert!(weak_key_refusal(rsa_with(Some(short), &[1, 0, 1])).contains("2048 to 4096 bits"));
    // 2047 bits: one bit short.
    let mut bits_2047 = n.clone();
    bits_2047[0] = 0x7f;
    assert!(weak_key_refusal(rsa_with(Some(bits_2047), &[1, 0, 1])).contains("has 2047"));
}
