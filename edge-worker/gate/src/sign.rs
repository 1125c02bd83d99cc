//! Signing the short-lived session tokens the member layer issues (HS256 with the
//! site's `LYCEUM_JWT_SECRET`), so that [`crate::Verifier`] checks them like any other
//! member token and a gated request with a live session reads no database.

use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use serde::Serialize;
use thiserror::Error;

use crate::token::MIN_SECRET_BYTES;

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

/// An HS256 JWT of `claims`, signed with `secret`.
pub fn session_token(secret: &[u8], claims: &SessionClaims<'_>) -> Result<String, SignError> {
    if secret.len() < MIN_SECRET_BYTES {
        return Err(SignError::WeakSecret);
    }
    let mut header = Header::new(Algorithm::HS256);
    header.typ = Some(crate::token::SESSION_TYP.into());
    encode(&header, claims, &EncodingKey::from_secret(secret)).map_err(|_| SignError::Failed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Settings, Verifier};

    const SECRET: &str = "0123456789abcdef0123456789abcdef-test";

    #[test]
    fn the_gate_verifies_what_it_signs() {
        let claims = SessionClaims {
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
    fn a_short_secret_signs_nothing() {
        let claims = SessionClaims {
            sub: "m",
            level: None,
            sid: "s",
            iat: 0,
            exp: 1,
        };
        assert_eq!(session_token(b"short", &claims), Err(SignError::WeakSecret));
    }
}
