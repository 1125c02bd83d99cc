//! Property tests: whatever an attacker sends as a token, path, header or `next`,
//! the gate does not panic and does not grant access.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use gate::session::{query_param, safe_next, session_cookie, Credential};
use gate::{decide, path, Access, Claims, GatedEntry, Manifest, Settings, Verifier};
use jsonwebtoken::{Algorithm, EncodingKey};
use proptest::prelude::*;

const NOW: u64 = 1_700_000_000;
const SECRET: &str = "test-only-secret-0123456789abcdef-xyz";

fn verifier() -> Verifier {
    let ed = EncodingKey::from_ed_pem(include_bytes!("keys/test-only-ed25519-a.pem")).unwrap();
    let mut jwk = serde_json::to_value(
        jsonwebtoken::jwk::Jwk::from_encoding_key(&ed, Algorithm::EdDSA).unwrap(),
    )
    .unwrap();
    jwk["kid"] = "ed-1".into();
    Verifier::from_settings(&Settings {
        secret: Some(SECRET.into()),
        jwks: Some(serde_json::json!({ "keys": [jwk] }).to_string()),
        ..Default::default()
    })
    .unwrap()
}

fn manifest() -> Manifest {
    let entry = |level: &str, file: &str, teaser: Option<&str>| GatedEntry {
        level: Some(level.into()),
        product: None,
        file: file.into(),
        teaser: teaser.map(Into::into),
    };
    Manifest {
        products: Vec::new(),
        version: gate::manifest::VERSION,
        levels: vec!["member".into(), "pro".into()],
        entries: [
            (
                "/a/".to_string(),
                entry("member", "_gated/a/index.html", Some("a/index.html")),
            ),
            (
                "/b/c/".to_string(),
                entry("pro", "_gated/b/c/index.html", Some("b/c/index.html")),
            ),
            ("/f.pdf".to_string(), entry("pro", "_gated/f.pdf", None)),
        ]
        .into_iter()
        .collect(),
    }
}

fn claims(level: &str) -> Claims {
    Claims {
        products: Vec::new(),
        sub: "u".into(),
        level: Some(level.into()),
        exp: NOW + 3600,
        sid: None,
    }
}

/// Paths built from the characters that matter to normalisation, so the search
/// reaches `..`, encodings, `_gated` and index forms far more often than random text.
fn tricky_path() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("/".to_string()),
        Just("//".to_string()),
        Just(".".to_string()),
        Just("..".to_string()),
        Just("%2e".to_string()),
        Just("%2F".to_string()),
        Just("%5c".to_string()),
        Just("\\".to_string()),
        Just("%00".to_string()),
        Just("%".to_string()),
        Just("%5F".to_string()),
        Just("_gated".to_string()),
        Just("_GATED".to_string()),
        Just("gated".to_string()),
        Just("index.html".to_string()),
        Just("index".to_string()),
        Just("a".to_string()),
        Just("b".to_string()),
        Just("c".to_string()),
        Just("f.pdf".to_string()),
        Just("%C3".to_string()),
        Just("%A9".to_string()),
        "[a-z%0-9A-F]{1,3}",
    ];
    proptest::collection::vec(piece, 0..10).prop_map(|v| format!("/{}", v.concat()))
}

/// Every "never verifies" property below also holds for a verifier that refuses all
/// tokens (say, one whose keys failed to load): this one must accept real tokens, one per
/// key it is built with, or those properties prove nothing.
#[test]
fn the_verifier_under_test_accepts_real_tokens() {
    let v = verifier();
    let want = claims("pro");
    let hs = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(Algorithm::HS256),
        &want,
        &EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .unwrap();
    let mut header = jsonwebtoken::Header::new(Algorithm::EdDSA);
    header.kid = Some("ed-1".into());
    let ed = jsonwebtoken::encode(
        &header,
        &want,
        &EncodingKey::from_ed_pem(include_bytes!("keys/test-only-ed25519-a.pem")).unwrap(),
    )
    .unwrap();
    for token in [hs, ed] {
        assert_eq!(v.verify(&token, NOW), Ok(want.clone()), "{token}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn random_strings_never_verify(token in any::<String>()) {
        prop_assert!(verifier().verify(&token, NOW).is_err());
    }

    #[test]
    fn random_bytes_never_verify(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let token = String::from_utf8_lossy(&bytes);
        prop_assert!(verifier().verify(&token, NOW).is_err());
    }

    #[test]
    fn token_shaped_garbage_never_verifies(
        header in proptest::collection::vec(any::<u8>(), 0..80),
        payload in proptest::collection::vec(any::<u8>(), 0..200),
        sig in proptest::collection::vec(any::<u8>(), 0..300),
        alg in prop_oneof![Just("HS256"), Just("EdDSA"), Just("none"), Just("ES256")],
        use_json_header in any::<bool>(),
    ) {
        let header = if use_json_header {
            format!(r#"{{"alg":"{alg}","kid":"ed-1"}}"#).into_bytes()
        } else {
            header
        };
        let token = format!(
            "{}.{}.{}",
            URL_SAFE_NO_PAD.encode(header),
            URL_SAFE_NO_PAD.encode(payload),
            URL_SAFE_NO_PAD.encode(sig)
        );
        prop_assert!(verifier().verify(&token, NOW).is_err());
    }

    #[test]
    fn anonymous_never_gets_full(raw in any::<String>()) {
        let m = manifest();
        let anon = decide(&m, &raw, None);
        let unknown = decide(&m, &raw, Some(&claims("gold")));
        prop_assert!(!matches!(anon, Access::Full { .. }), "{:?}", anon);
        prop_assert!(!matches!(unknown, Access::Full { .. }), "{:?}", unknown);
    }

    #[test]
    fn tricky_paths_are_consistent(raw in tricky_path()) {
        let m = manifest();
        let anon = decide(&m, &raw, None);
        let member = decide(&m, &raw, Some(&claims("member")));
        let pro = decide(&m, &raw, Some(&claims("pro")));
        let unknown = decide(&m, &raw, Some(&claims("Pro")));
        prop_assert!(!matches!(anon, Access::Full { .. }), "{raw:?} => {anon:?}");
        prop_assert_eq!(&unknown, &anon, "an unknown level is anonymous for {:?}", raw);
        match path::normalize(&raw) {
            Err(_) => {
                for got in [&anon, &member, &pro] {
                    prop_assert_eq!(got, &Access::NotFound, "refused path {:?}", raw);
                }
            }
            Ok(normalized) => {
                // The canonical form is a fixed point, and it decides the same.
                let again = path::normalize(&normalized.replace('%', "%25"));
                prop_assert_eq!(again.as_deref(), Ok(normalized.as_str()));
                if path::is_private(&normalized) {
                    prop_assert_eq!(&pro, &Access::NotFound, "private {:?}", raw);
                }
                // Nobody is ever served a file under the private tree by `Public`.
                if anon == Access::Public {
                    prop_assert!(!path::is_private(&normalized));
                    prop_assert_eq!(&pro, &Access::Public);
                }
                // Full content only for a high enough level, and only `_gated/` files.
                if let Access::Full { file } = &pro {
                    prop_assert!(file.starts_with("_gated/"));
                }
                if let Access::Full { file } = &member {
                    prop_assert_eq!(file.as_str(), "_gated/a/index.html");
                }
            }
        }
    }

    #[test]
    fn safe_next_always_stays_on_site(next in any::<String>()) {
        let out = safe_next(Some(&next));
        prop_assert!(out == "/" || out == next);
        prop_assert!(out.starts_with('/'));
        prop_assert!(!out.starts_with("//") && !out.starts_with("/\\"));
        prop_assert!(!out.chars().any(|c| c == '\\' || c.is_control() || c.is_whitespace()));
    }

    #[test]
    fn safe_next_tricky(raw in tricky_path(), prefix in prop_oneof![Just(""), Just("/"), Just("/%2F"), Just("\\")]) {
        let next = format!("{prefix}{raw}");
        let out = safe_next(Some(&next));
        prop_assert!(!out.starts_with("//") && !out.contains('\\'));
        // Decoding once more still leaves a same-site path.
        let decoded = query_param(&format!("n={}", out.replace('+', "%2B")), "n").unwrap_or_else(|| "/".into());
        prop_assert!(decoded.starts_with('/') && !decoded.starts_with("//") && !decoded.starts_with("/\\"), "{next:?} -> {out:?} -> {decoded:?}");
    }

    #[test]
    fn header_parsing_never_panics(auth in proptest::option::of(any::<String>()), cookie in proptest::option::of(any::<String>())) {
        match Credential::of(auth.as_deref(), cookie.as_deref()) {
            Credential::Bearer(token) => prop_assert!(!token.is_empty()),
            Credential::Session { token, renew } => {
                prop_assert!(token.is_none_or(|t| !t.is_empty()));
                prop_assert!(renew.is_none_or(|t| !t.is_empty()));
            }
        }
    }

    #[test]
    fn session_cookie_never_injects(token in any::<String>(), exp in any::<u64>(), now in any::<u64>()) {
        let cookie = session_cookie(&token, exp, now);
        prop_assert_eq!(cookie.matches(';').count(), 5, "{}", cookie);
        prop_assert!(!cookie.contains('\r') && !cookie.contains('\n'));
    }
}
