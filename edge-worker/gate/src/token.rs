//! Member-token (JWT) verification.

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Tokens longer than this are rejected before any parsing.
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;
/// Clock skew tolerated on `exp` and `nbf`, in seconds.
pub const LEEWAY_SECS: u64 = 60;

/// The verified membership carried by a token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub level: String,
    /// Expiry, seconds since the Unix epoch.
    pub exp: u64,
}

/// Key and claim settings, as given to the worker (vars/secrets) or the CLI (env):
/// `LYCEUM_JWT_SECRET`, `LYCEUM_JWT_JWKS`, `LYCEUM_JWT_ISSUER`, `LYCEUM_JWT_AUDIENCE`.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// HS256 shared secret.
    pub secret: Option<String>,
    /// A JWKS document (JSON) of public keys: EdDSA (OKP Ed25519), ES256 (EC P-256), RS256.
    pub jwks: Option<String>,
    pub issuer: Option<String>,
    pub audience: Option<String>,
}

/// Why a configuration could not be used. Never contains secret material.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ConfigError {
    #[error("no verification key configured (set LYCEUM_JWT_SECRET or LYCEUM_JWT_JWKS)")]
    NoKey,
    #[error("LYCEUM_JWT_JWKS is invalid: {0}")]
    Jwks(String),
    #[error("LYCEUM_JWT_SECRET is too short (need at least 32 bytes)")]
    WeakSecret,
}

/// Why a token was refused. The text is safe to log; it never contains the token.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TokenError {
    #[error("token is larger than {MAX_TOKEN_BYTES} bytes")]
    TooLarge,
    #[error("token is malformed")]
    Malformed,
    #[error("token header is not allowed: {0}")]
    Header(&'static str),
    #[error("no key matches the token (kid/alg)")]
    UnknownKey,
    #[error("signature is invalid")]
    BadSignature,
    #[error("token has expired")]
    Expired,
    #[error("token is not valid yet")]
    NotYetValid,
    #[error("claim `{0}` is missing or invalid")]
    Claim(&'static str),
    #[error("issuer does not match")]
    Issuer,
    #[error("audience does not match")]
    Audience,
}

/// Configured verification keys. Built once (per isolate / per process), then used per request.
pub struct Verifier {
    _private: (),
}

impl Verifier {
    /// Build from settings; at least one key must be configured.
    pub fn from_settings(settings: &Settings) -> Result<Verifier, ConfigError> {
        let _ = settings;
        todo!("gate helper")
    }

    /// Verify a token at time `now` (seconds since the Unix epoch).
    pub fn verify(&self, token: &str, now: u64) -> Result<Claims, TokenError> {
        let _ = (token, now);
        todo!("gate helper")
    }
}
