//! Signing the short-lived session tokens the member layer issues (HS256 with the
//! site's `LYCEUM_JWT_SECRET`), so that [`crate::Verifier`] checks them like any other
//! member token and a gated request with a live session reads no database.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::Serialize;
use sha2::Sha256;
use thiserror::Error;

use crate::token::{MIN_SECRET_BYTES, SESSION_TYP};

/// The claims of a session token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SessionClaims<'a> {
    pub sub: &'a str,
    /// The level in force; a member with none gets a token without `level` (signed in,
    /// reading only public pages).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<&'a str>,
    /// The session this token renews from.
    pub sid: &'a str,
    /// Products owned, sorted, at most [`crate::token::MAX_PRODUCTS`].
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    pub products: &'a [String],
    pub iat: u64,
    pub exp: u64,
}

/// A session token could not be signed.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum SignError {
    #[error("the signing secret is shorter than {MIN_SECRET_BYTES} bytes")]
    WeakSecret,
    #[error("signing failed")]
    Failed,
}

/// An HS256 JWT of `claims`, signed with `secret`, with `typ` [`SESSION_TYP`]: the
/// compact JWS `header.payload.tag` (RFC 7515 §7.1), each part base64url without padding.
pub fn session_token(secret: &[u8], claims: &SessionClaims<'_>) -> Result<String, SignError> {
    if secret.len() < MIN_SECRET_BYTES {
        return Err(SignError::WeakSecret);
    }
    let header = format!(r#"{{"typ":"{SESSION_TYP}","alg":"HS256"}}"#);
    let payload = serde_json::to_vec(claims).map_err(|_| SignError::Failed)?;
    let mut token = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(payload)
    );
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).map_err(|_| SignError::Failed)?;
    mac.update(token.as_bytes());
    let tag = mac.finalize().into_bytes();
    token.push('.');
    token.push_str(&URL_SAFE_NO_PAD.encode(tag));
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Settings, Verifier};

    const SECRET: &str = "0123456789abcdef0123456789abcdef-test";

    #[test]
    fn the_gate_verifies_what_it_signs() {
        let claims = SessionClaims {
            products: &[],
            sub: "m1",
            level: Some("pro"),
            sid: "s1",
            iat: 1_000,
            exp: 4_600,
        };
        let token = session_token(SECRET.as_bytes(), &claims).unwrap();
        let verifier = Verifier::from_settings(&Settings {
            secret: Some(SECRET.into()),
            ..Default::default()
        })
        .unwrap();
        let got = verifier.verify_session(&token, 2_000).unwrap();
        assert_eq!(
            (
                got.sub.as_str(),
                got.level.as_deref(),
                got.exp,
                got.sid.as_deref()
            ),
            ("m1", Some("pro"), 4_600, Some("s1"))
        );
        // One second past its end it is refused: no leeway on lyceum's own clock.
        assert_eq!(
            verifier.verify_session(&token, 4_601),
            Err(crate::TokenError::Expired)
        );
        // Another secret's signature is refused.
        let other = session_token(&[b'x'; 32], &claims).unwrap();
        assert!(verifier.verify_session(&other, 2_000).is_err());
        // A session token is not a bearer token.
        assert_eq!(
            verifier.verify(&token, 2_000),
            Err(crate::TokenError::Header("typ"))
        );
    }

    #[test]
    fn a_member_without_a_level_is_signed_in_with_none() {
        let claims = SessionClaims {
            products: &[],
            sub: "m2",
            level: None,
            sid: "s2",
            iat: 1_000,
            exp: 4_600,
        };
        let token = session_token(SECRET.as_bytes(), &claims).unwrap();
        let verifier = Verifier::from_settings(&Settings {
            secret: Some(SECRET.into()),
            ..Default::default()
        })
        .unwrap();
        let got = verifier.verify_session(&token, 2_000).unwrap();
        assert_eq!((got.sub.as_str(), got.level), ("m2", None));
    }

    #[test]
    fn products_travel_in_the_session_token_bounded_sorted_and_checked() {
        let verifier = Verifier::from_settings(&Settings {
            secret: Some(SECRET.into()),
            ..Default::default()
        })
        .unwrap();
        let sign = |products: &[String]| {
            let claims = SessionClaims {
                products,
                sub: "m3",
                level: None,
                sid: "s3",
                iat: 1_000,
                exp: 4_600,
            };
            session_token(SECRET.as_bytes(), &claims).unwrap()
        };
        let owned = ["go".to_string(), "rust".to_string()];
        let got = verifier.verify_session(&sign(&owned), 2_000).unwrap();
        assert_eq!(got.products, owned);
        let max: Vec<String> = (0..crate::token::MAX_PRODUCTS)
            .map(|i| format!("p{i:02}"))
            .collect();
        assert_eq!(
            verifier
                .verify_session(&sign(&max), 2_000)
                .unwrap()
                .products,
            max
        );
        // One more than the bound, or an empty id, is refused.
        let mut over = max.clone();
        over.push("p99".into());
        for bad in [over, vec![String::new()]] {
            assert_eq!(
                verifier.verify_session(&sign(&bad), 2_000),
                Err(crate::TokenError::Claim("products")),
                "{bad:?}"
            );
        }
    }

    /// Signing without jsonwebtoken (it linked every JWT algorithm into the worker)
    /// must not change a session token by one byte: sessions issued before keep
    /// verifying, and the header is the one it wrote (`typ` first, then `alg`).
    #[test]
    fn session_tokens_signed_without_jsonwebtoken_are_byte_for_byte_the_same() {
        for level in [Some("pro"), None] {
            let claims = SessionClaims {
                products: &[],
                sub: "m1",
                level,
                sid: "s1",
                iat: 1_000,
                exp: 4_600,
            };
            let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
            header.typ = Some(SESSION_TYP.into());
            let theirs = jsonwebtoken::encode(
                &header,
                &claims,
                &jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes()),
            )
            .unwrap();
            assert_eq!(session_token(SECRET.as_bytes(), &claims).unwrap(), theirs);
        }
    }

    #[test]
    fn a_short_secret_signs_nothing() {
        let claims = SessionClaims {
            products: &[],
            sub: "m",
            level: None,
            sid: "s",
            iat: 0,
            exp: 1,
        };
        assert_eq!(session_token(b"short", &claims), Err(SignError::WeakSecret));
    }
}
