//! Member-token (JWT) verification.
//!
//! The JWS is parsed and checked here, explicitly, and each of the four algorithms is
//! verified directly with its RustCrypto primitive (`hmac`, `ed25519-dalek`, `p256`,
//! `rsa`). A generic JWT library is too permissive or unusable for a gate (it reads
//! the clock with `SystemTime`, which panics on wasm32; keeps the last of duplicated
//! claims; ignores `jku`/`x5u`/`jwk`/`x5c`/`crit`; does not make `iss`/`aud` required)
//! and too large for the worker: a verifier that dispatches over every JWT algorithm
//! links all of them (P-384 alone is ~100 KB of wasm). Here:
//! - we take `now`;
//! - we refuse duplicated members in the header and the payload;
//! - we refuse `jku`/`x5u`/`jwk`/`x5c`/`crit` (and the other [`FORBIDDEN_HEADERS`]);
//! - a configured `iss`/`aud` is required.
//!
//! Key selection (one key per token, never "try them all"):
//! - `alg: HS256` → the shared secret (`LYCEUM_JWT_SECRET`), whatever the `kid`.
//!   A JWKS never holds symmetric keys, so an HS256 token can never be checked
//!   against a public key's bytes (the HS/RS confusion attack).
//! - `EdDSA`/`ES256`/`RS256` with a `kid` → the JWKS key with that `kid`, which must be
//!   pinned to the token's `alg`.
//! - `EdDSA`/`ES256`/`RS256` without a `kid` → the JWKS key pinned to that `alg` if it is
//!   the only one; with several candidates the token is refused (no guessing).
//! - anything else (`none`, `HS384`, `PS256`, …) is refused.
//!
//! Weak keys are refused when the JWKS is loaded, because one of them lets anyone mint
//! a token of any level: an Ed25519 key of small order (or with a small-order
//! component, or not canonically encoded), an RSA key under 2048 bits, with an even
//! modulus, a bad exponent (even, below 3) or the ROCA fingerprint, an EC key not on
//! P-256. EdDSA signatures are checked with ed25519-dalek's `verify_strict`
//! (small-order `R` refused, canonical `R` and `s`), not the lenient `verify`, which
//! accepts `R = identity, s = 0` for a small-order key. HS256 tags are compared in
//! constant time (`verify_slice`).

use std::collections::HashSet;
use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use curve25519_dalek::{EdwardsPoint, Scalar};
use hmac::{Hmac, Mac};
use p256::ecdsa::signature::Verifier as _;
use rsa::{BigUint, RsaPublicKey};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::Sha256;
use thiserror::Error;

use crate::provider::ClaimRules;

/// Tokens longer than this are rejected before any parsing.
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;
/// Clock skew tolerated on `exp` and `nbf`, in seconds.
pub const LEEWAY_SECS: u64 = 60;

/// The verified membership carried by a token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    /// The level in force. A lyceum session of a member without a level (a free
    /// sign-up on a site without `free_level`) has none, and so has a provider's token
    /// whose plan the level map does not map ([`crate::provider`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<String>,
    /// Expiry, seconds since the Unix epoch.
    pub exp: u64,
    /// The lyceum session this token was issued for (session cookies only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// Products (courses bought on their own) the member owns: sorted, unique, at most
    /// [`MAX_PRODUCTS`]. Absent in a token means none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub products: Vec<String>,
}

/// Most products one token may list; a token with more is refused, not truncated, so
/// an issuer's bug never silently drops a purchase the member paid for. Keeps a
/// session cookie well under the gate's [`MAX_TOKEN_BYTES`].
pub const MAX_PRODUCTS: usize = 32;

/// The JWS `typ` of lyceum's own session tokens ([`crate::sign`]). A bearer token may
/// not carry it and a session cookie must: a token minted for one use never passes as
/// the other (an HS256 token of `lyceum token issue` is not a session, and a session
/// token taken from a cookie is not a bearer token).
pub const SESSION_TYP: &str = "lyceum-session";

/// Key and claim settings, as given to the worker (vars/secrets) or the CLI (env):
/// `LYCEUM_JWT_SECRET`, `LYCEUM_JWT_JWKS`, `LYCEUM_JWT_ISSUER`, `LYCEUM_JWT_AUDIENCE`,
/// and for an external membership provider ([`crate::provider`]) `LYCEUM_JWT_JWKS_URL`,
/// `LYCEUM_JWT_JWKS_REFETCH_SECS`, `LYCEUM_JWT_LEVEL_CLAIM`, `LYCEUM_JWT_LEVEL_MAP`,
/// `LYCEUM_JWT_PRODUCTS_CLAIM`.
///
/// An empty or all-whitespace value counts as unset (an unset variable in some
/// deployment tools arrives as `""`). The secret is used as its raw UTF-8 bytes.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// HS256 shared secret.
    pub secret: Option<String>,
    /// A JWKS document (JSON) of public keys: EdDSA (OKP Ed25519), ES256 (EC P-256), RS256.
    pub jwks: Option<String>,
    pub issuer: Option<String>,
    pub audience: Option<String>,
    /// Where the JWKS is fetched from (instead of `jwks`): the adapter fetches it and
    /// builds the verifier with [`Verifier::with_jwks`].
    pub jwks_url: Option<String>,
    /// Least seconds between two JWKS fetches ([`crate::jwks`]).
    pub jwks_refetch_secs: Option<String>,
    pub level_claim: Option<String>,
    pub level_map: Option<String>,
    pub products_claim: Option<String>,
}

/// The environment variable (a Worker secret or var; `lyceum serve`'s and `lyceum
/// token`'s environment) holding the HS256 shared secret.
pub const ENV_SECRET: &str = "LYCEUM_JWT_SECRET";
/// The environment variable holding a JWKS document of public keys.
pub const ENV_JWKS: &str = "LYCEUM_JWT_JWKS";
/// The environment variable holding the required `iss`, if any.
pub const ENV_ISSUER: &str = "LYCEUM_JWT_ISSUER";
/// The environment variable holding the required `aud`, if any.
pub const ENV_AUDIENCE: &str = "LYCEUM_JWT_AUDIENCE";

impl Settings {
    /// The settings from the `LYCEUM_JWT_*` variables, read with `get`; an empty value
    /// counts as unset.
    pub fn from_env(get: impl Fn(&str) -> Option<String>) -> Settings {
        use crate::provider::{ENV_JWKS_URL, ENV_LEVEL_CLAIM, ENV_LEVEL_MAP, ENV_PRODUCTS_CLAIM};
        // One loop, not nine inlined reads: every byte counts in the worker's wasm.
        let [secret, jwks, issuer, audience, jwks_url, jwks_refetch_secs, level_claim, level_map, products_claim] =
            [
                ENV_SECRET,
                ENV_JWKS,
                ENV_ISSUER,
                ENV_AUDIENCE,
                ENV_JWKS_URL,
                crate::jwks::ENV_REFETCH_SECS,
                ENV_LEVEL_CLAIM,
                ENV_LEVEL_MAP,
                ENV_PRODUCTS_CLAIM,
            ]
            .map(|k| get(k).filter(|v| !v.is_empty()));
        Settings {
            secret,
            jwks,
            issuer,
            audience,
            jwks_url,
            jwks_refetch_secs,
            level_claim,
            level_map,
            products_claim,
        }
    }

    /// The JWKS URL, if one is set (not checked: [`Verifier::from_settings`] does).
    pub fn jwks_url(&self) -> Option<&str> {
        non_empty(&self.jwks_url)
    }
}

/// Why a configuration could not be used. Never contains secret material.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ConfigError {
    #[error(
        "no verification key configured (set {ENV_SECRET}, {ENV_JWKS} or {})",
        crate::provider::ENV_JWKS_URL
    )]
    NoKey,
    #[error("set {ENV_JWKS} or {}, not both", crate::provider::ENV_JWKS_URL)]
    TwoJwks,
    /// An external provider's setting ([`crate::provider`], [`crate::jwks`]).
    #[error("{0}")]
    Provider(String),
    #[error("{ENV_JWKS} is invalid: {0}")]
    Jwks(String),
    #[error("{ENV_SECRET} is too short (need at least {MIN_SECRET_BYTES} bytes)")]
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

/// Shortest accepted HS256 secret, in bytes.
pub const MIN_SECRET_BYTES: usize = 32;

/// Whether `secret` is long enough to be an HS256 key: the one rule the gate verifies
/// with and `lyceum token issue` signs with.
pub fn secret_is_strong(secret: &[u8]) -> bool {
    secret.len() >= MIN_SECRET_BYTES
}

/// The only algorithms a token may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Algorithm {
    HS256,
    EdDSA,
    ES256,
    RS256,
}

/// The supported algorithms by their JWS names (RFC 7518 §3.1, RFC 8037 §3.1).
const SUPPORTED: [(&str, Algorithm); 4] = [
    ("HS256", Algorithm::HS256),
    ("EdDSA", Algorithm::EdDSA),
    ("ES256", Algorithm::ES256),
    ("RS256", Algorithm::RS256),
];

/// Header parameters that would make us fetch keys, trust embedded keys, or honour
/// extensions we do not implement. Any of them refuses the token.
const FORBIDDEN_HEADERS: [&str; 9] = [
    "jku", "x5u", "jwk", "x5c", "crit", "cty", "zip", "enc", "b64",
];

/// Private-key members of a JWK: a JWKS carrying them is a leaked private key.
const PRIVATE_JWK_MEMBERS: [&str; 7] = ["d", "p", "q", "dp", "dq", "qi", "oth"];

/// Smallest RSA modulus accepted in a JWKS, in bits.
const MIN_RSA_BITS: usize = 2048;
/// Largest RSA modulus accepted, in bits: the `rsa` crate refuses larger keys when
/// verifying, which would otherwise surface as a bad signature on every request.
const MAX_RSA_BITS: usize = 4096;
/// Largest RSA public exponent the `rsa` crate verifies with (`RsaPublicKey::MAX_PUB_EXPONENT`).
const MAX_RSA_EXPONENT: u64 = (1 << 33) - 1;

/// Configured verification keys. Built once (per isolate / per process), then used per request.
pub struct Verifier {
    /// The HS256 shared secret (always [`KeyMaterial::Hs256`]).
    secret: Option<KeyMaterial>,
    /// Public keys from the JWKS, each pinned to one algorithm.
    keys: Vec<PublicKey>,
    issuer: Option<String>,
    audience: Option<String>,
    /// Where a bearer token keeps its level and products.
    rules: ClaimRules,
}

/// One JWKS key.
struct PublicKey {
    kid: Option<String>,
    alg: Algorithm,
    key: KeyMaterial,
}

/// What a signature is checked with, parsed once when the keys are loaded.
enum KeyMaterial {
    /// HS256: the MAC keyed with the secret, cloned per check.
    Hs256(Hmac<Sha256>),
    /// EdDSA, checked with `verify_strict`.
    Ed25519(ed25519_dalek::VerifyingKey),
    /// ES256: a P-256 point; signatures are JWS's raw `r || s` (RFC 7518 §3.4).
    Es256(p256::ecdsa::VerifyingKey),
    /// RS256: RSASSA-PKCS1-v1_5 with SHA-256.
    Rs256(rsa::pkcs1v15::VerifyingKey<Sha256>),
}

impl fmt::Debug for Verifier {
    /// Names the configured keys (kid and algorithm) but never their material.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let keys: Vec<String> = self
            .keys
            .iter()
            .map(|k| format!("{:?}:{}", k.alg, k.kid.as_deref().unwrap_or("-")))
            .collect();
        f.debug_struct("Verifier")
            .field("hs256_secret", &self.secret.is_some())
            .field("jwks_keys", &keys)
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .finish()
    }
}

impl Verifier {
    /// Build from settings; at least one key must be configured.
    ///
    /// The secret must be at least [`MIN_SECRET_BYTES`] long. The JWKS must be
    /// `{"keys":[…]}` with at least one key; each key must be OKP/Ed25519, EC/P-256 or
    /// RSA (2048 to 4096 bits), may carry `alg` only if it matches (EdDSA, ES256, RS256),
    /// `use` only if `sig`, `key_ops` only if it includes `verify`, and must not carry
    /// private members. `kty: oct` is refused: symmetric keys belong in the secret.
    /// `kid`s must be unique.
    ///
    /// With `jwks_url` (checked by [`crate::provider::check_jwks_url`]; not with `jwks`)
    /// no key is needed yet: the verifier has the secret's, if any, until the adapter
    /// fetched the document and called [`Verifier::with_jwks`].
    pub fn from_settings(settings: &Settings) -> Result<Verifier, ConfigError> {
        Verifier::build(
            non_empty(&settings.secret).map(str::as_bytes),
            settings,
            non_empty(&settings.jwks),
        )
    }

    /// [`Verifier::from_settings`] with `jwks`, the document fetched from
    /// `settings.jwks_url`, as its JWKS.
    pub fn with_jwks(settings: &Settings, jwks: &str) -> Result<Verifier, ConfigError> {
        Verifier::build(
            non_empty(&settings.secret).map(str::as_bytes),
            settings,
            Some(jwks),
        )
    }

    /// [`Verifier::from_settings`] with the HS256 secret given as raw bytes instead of
    /// `settings.secret` (a key that is not text, such as a JWK's decoded `k`). Empty
    /// bytes count as no secret.
    pub fn from_settings_with_secret(
        secret: &[u8],
        settings: &Settings,
    ) -> Result<Verifier, ConfigError> {
        Verifier::build(
            Some(secret).filter(|s| !s.is_empty()),
            settings,
            non_empty(&settings.jwks),
        )
    }

    // Not inlined: `from_settings` and `with_jwks` (the worker's JWKS fetch) share it.
    #[inline(never)]
    fn build(
        secret: Option<&[u8]>,
        settings: &Settings,
        jwks: Option<&str>,
    ) -> Result<Verifier, ConfigError> {
        let url = settings.jwks_url();
        if let Some(url) = url {
            if non_empty(&settings.jwks).is_some() {
                return Err(ConfigError::TwoJwks);
            }
            crate::provider::check_jwks_url(url)?;
            crate::jwks::refetch_secs(settings.jwks_refetch_secs.as_deref())?;
        }
        let rules = ClaimRules::parse(
            settings.level_claim.as_deref(),
            settings.level_map.as_deref(),
            settings.products_claim.as_deref(),
        )?;
        let secret = match secret {
            Some(s) if !secret_is_strong(s) => return Err(ConfigError::WeakSecret),
            // HMAC takes a key of any length (RFC 2104 §3), so this cannot fail.
            Some(s) => Some(KeyMaterial::Hs256(
                Hmac::new_from_slice(s).map_err(|_| ConfigError::WeakSecret)?,
            )),
            None => None,
        };
        let keys = match jwks {
            Some(jwks) => parse_jwks(jwks)?,
            None => Vec::new(),
        };
        if secret.is_none() && keys.is_empty() && url.is_none() {
            return Err(ConfigError::NoKey);
        }
        Ok(Verifier {
            secret,
            keys,
            issuer: non_empty(&settings.issuer).map(str::to_string),
            audience: non_empty(&settings.audience).map(str::to_string),
            rules,
        })
    }

    /// Whether `token` (a bearer token) is signed with a JWKS algorithm by a key this
    /// verifier lacks: an unknown `kid`, or no key yet. Only the header is read; a
    /// malformed token is `false` (it is refused, fetching cannot help). The adapter
    /// asks before [`Verifier::verify`], to fetch the JWKS again ([`crate::jwks`]).
    pub fn lacks_key(&self, token: &str) -> bool {
        let Some((header_b64, _)) = token.split_once('.') else {
            return false;
        };
        if token.len() > MAX_TOKEN_BYTES {
            return false;
        }
        let Ok(header) = decode_object(header_b64) else {
            return false;
        };
        match check_header(&header, Kind::Bearer) {
            Ok((Algorithm::HS256, _)) | Err(_) => false,
            Ok((alg, kid)) => self.select_key(alg, kid).is_err(),
        }
    }

    /// Verify a token at time `now` (seconds since the Unix epoch).
    ///
    /// Checks, in order: size; shape (three base64url parts); header (no duplicate
    /// members, supported `alg`, `typ` absent or `JWT`, no forbidden parameter);
    /// key selection (see the module docs); signature; payload (a JSON object without
    /// duplicate members); `exp` and optional `nbf` as integers, with
    /// [`LEEWAY_SECS`] of skew; `iss` and `aud` when configured (then required);
    /// `sub` as a non-empty string; the level and products as the [`ClaimRules`] say
    /// (by default `level` a non-empty string). A token with an `aud` is refused when
    /// no audience is configured (RFC 7519 §4.1.3).
    pub fn verify(&self, token: &str, now: u64) -> Result<Claims, TokenError> {
        let payload_b64 = self.verify_jws(token, Kind::Bearer)?;
        let payload = decode_object(payload_b64)?;
        self.check_claims(&payload, now)
    }

    /// Verify a lyceum session token (the session cookie): HS256 with the site's secret,
    /// `typ` [`SESSION_TYP`], `sub` and `sid` non-empty strings, `level` absent or a
    /// non-empty string, and `exp` with **no** leeway: lyceum issued it on this clock,
    /// and its short life is what makes a level change or a revocation take effect.
    /// `iss`/`aud` are not asked for (they describe other issuers).
    pub fn verify_session(&self, token: &str, now: u64) -> Result<Claims, TokenError> {
        let payload = decode_object(self.verify_jws(token, Kind::Session)?)?;
        let exp = numeric_date(payload.get("exp"), "exp")?.ok_or(TokenError::Claim("exp"))?;
        if exp < now {
            return Err(TokenError::Expired);
        }
        let sub = non_empty_string(payload.get("sub")).ok_or(TokenError::Claim("sub"))?;
        let sid = non_empty_string(payload.get("sid")).ok_or(TokenError::Claim("sid"))?;
        let level = match payload.get("level") {
            None => None,
            some => Some(non_empty_string(some).ok_or(TokenError::Claim("level"))?),
        };
        Ok(Claims {
            sub,
            level,
            exp,
            sid: Some(sid),
            products: products(payload.get("products"))?,
        })
    }

    /// The JWS half of [`Verifier::verify`]: size, shape, header, key selection and
    /// signature, but not the payload, which may be empty or any bytes here (a JWT's is
    /// then refused by [`Verifier::verify`] unless it is a JSON object of valid claims).
    /// Returns the payload part, still base64url. Used alone by conformance tests whose
    /// payloads are not claims.
    pub fn verify_signature<'t>(&self, token: &'t str) -> Result<&'t str, TokenError> {
        self.verify_jws(token, Kind::Bearer)
    }

    fn verify_jws<'t>(&self, token: &'t str, kind: Kind) -> Result<&'t str, TokenError> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(TokenError::TooLarge);
        }
        if !token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        {
            return Err(TokenError::Malformed);
        }
        let mut parts = token.split('.');
        let (Some(header_b64), Some(payload_b64), Some(signature_b64), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenError::Malformed);
        };
        if header_b64.is_empty() || signature_b64.is_empty() {
            return Err(TokenError::Malformed);
        }
        // The payload is only base64url-checked here; `verify` parses it.
        if URL_SAFE_NO_PAD.decode(payload_b64).is_err() {
            return Err(TokenError::Malformed);
        }

        let header = decode_object(header_b64)?;
        let (alg, kid) = check_header(&header, kind)?;
        let message = &token[..header_b64.len() + 1 + payload_b64.len()];
        self.check_signature(alg, kid, message.as_bytes(), signature_b64)?;
        Ok(payload_b64)
    }

    /// Check `signature_b64` (base64url, unpadded) over `message` with the one key a
    /// token of this `alg` and `kid` selects.
    fn check_signature(
        &self,
        alg: Algorithm,
        kid: Option<&str>,
        message: &[u8],
        signature_b64: &str,
    ) -> Result<(), TokenError> {
        let key = self.select_key(alg, kid)?;
        let Ok(sig) = URL_SAFE_NO_PAD.decode(signature_b64) else {
            return Err(TokenError::BadSignature);
        };
        let valid = match key {
            KeyMaterial::Hs256(mac) => {
                let mut mac = mac.clone();
                mac.update(message);
                // Constant time, and only a full 32-byte tag.
                mac.verify_slice(&sig).is_ok()
            }
            KeyMaterial::Ed25519(key) => ed25519_dalek::Signature::from_slice(&sig)
                .is_ok_and(|sig| key.verify_strict(message, &sig).is_ok()),
            KeyMaterial::Es256(key) => p256::ecdsa::Signature::from_slice(&sig)
                .is_ok_and(|sig| key.verify(message, &sig).is_ok()),
            KeyMaterial::Rs256(key) => rsa::pkcs1v15::Signature::try_from(sig.as_slice())
                .is_ok_and(|sig| key.verify(message, &sig).is_ok()),
        };
        if valid {
            Ok(())
        } else {
            Err(TokenError::BadSignature)
        }
    }

    /// [`Verifier::check_signature`] for an algorithm named as in a JWS header: the
    /// signature step alone, for conformance vectors over raw messages (a JWS signing
    /// input is `header.payload`; these sign arbitrary bytes). An unsupported `alg` is
    /// [`TokenError::Header`].
    pub fn verify_raw_signature(
        &self,
        alg: &str,
        kid: Option<&str>,
        message: &[u8],
        signature_b64: &str,
    ) -> Result<(), TokenError> {
        let alg = algorithm(alg).ok_or(TokenError::Header("alg"))?;
        self.check_signature(alg, kid, message, signature_b64)
    }

    /// The one key a token with this `alg` and `kid` may be checked against.
    fn select_key(&self, alg: Algorithm, kid: Option<&str>) -> Result<&KeyMaterial, TokenError> {
        if alg == Algorithm::HS256 {
            return self.secret.as_ref().ok_or(TokenError::UnknownKey);
        }
        let key = match kid {
            Some(kid) => self.keys.iter().find(|k| k.kid.as_deref() == Some(kid)),
            None => {
                let mut candidates = self.keys.iter().filter(|k| k.alg == alg);
                match (candidates.next(), candidates.next()) {
                    (Some(only), None) => Some(only),
                    _ => None,
                }
            }
        };
        match key {
            Some(k) if k.alg == alg => Ok(&k.key),
            _ => Err(TokenError::UnknownKey),
        }
    }

    /// The registered and lyceum claims of a signature-checked payload.
    fn check_claims(&self, payload: &Map<String, Value>, now: u64) -> Result<Claims, TokenError> {
        let exp = numeric_date(payload.get("exp"), "exp")?.ok_or(TokenError::Claim("exp"))?;
        let nbf = numeric_date(payload.get("nbf"), "nbf")?;
        if exp.saturating_add(LEEWAY_SECS) < now {
            return Err(TokenError::Expired);
        }
        if nbf.is_some_and(|nbf| nbf > now.saturating_add(LEEWAY_SECS)) {
            return Err(TokenError::NotYetValid);
        }

        if let Some(want) = &self.issuer {
            match payload.get("iss") {
                Some(Value::String(iss)) if iss == want => {}
                Some(Value::String(_)) => return Err(TokenError::Issuer),
                _ => return Err(TokenError::Claim("iss")),
            }
        }
        match (payload.get("aud"), &self.audience) {
            (None, None) => {}
            (Some(_), None) => return Err(TokenError::Audience),
            (None, Some(_)) => return Err(TokenError::Claim("aud")),
            (Some(Value::String(aud)), Some(want)) if aud == want => {}
            (Some(Value::Array(auds)), Some(want))
                if auds.iter().all(Value::is_string) && auds.iter().any(|a| a == want.as_str()) => {
            }
            (Some(Value::String(_) | Value::Array(_)), Some(_)) => {
                return Err(TokenError::Audience)
            }
            (Some(_), Some(_)) => return Err(TokenError::Claim("aud")),
        }

        let sub = non_empty_string(payload.get("sub")).ok_or(TokenError::Claim("sub"))?;
        Ok(Claims {
            sub,
            level: self.rules.level(payload)?,
            exp,
            sid: None,
            products: self.rules.products(payload)?,
        })
    }
}

/// A setting's value, with empty and all-whitespace values counted as unset.
fn non_empty(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

fn non_empty_string(value: Option<&Value>) -> Option<String> {
    match value {
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        _ => None,
    }
}

/// The optional `products` claim: an array of at most [`MAX_PRODUCTS`] non-empty
/// strings, returned sorted and unique. Anything else refuses the token.
pub(crate) fn products(value: Option<&Value>) -> Result<Vec<String>, TokenError> {
    let Some(value) = value else {
        return Ok(Vec::new());
    };
    let invalid = TokenError::Claim("products");
    let Value::Array(items) = value else {
        return Err(invalid);
    };
    if items.len() > MAX_PRODUCTS {
        return Err(invalid);
    }
    let mut ids = items
        .iter()
        .map(|v| non_empty_string(Some(v)))
        .collect::<Option<Vec<String>>>()
        .ok_or(invalid)?;
    ids.sort();
    ids.dedup();
    Ok(ids)
}

/// An optional NumericDate claim, which must be a non-negative integer when present
/// (a string, float or negative number is refused, never read as absent).
fn numeric_date(value: Option<&Value>, name: &'static str) -> Result<Option<u64>, TokenError> {
    match value {
        None => Ok(None),
        Some(Value::Number(n)) => n.as_u64().map(Some).ok_or(TokenError::Claim(name)),
        Some(_) => Err(TokenError::Claim(name)),
    }
}

/// `alg` and `kid` of a token header, after refusing anything we do not accept.
/// What a token is presented as: a bearer token (anyone's issuer), or lyceum's own
/// session cookie.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Bearer,
    Session,
}

fn check_header(
    header: &Map<String, Value>,
    kind: Kind,
) -> Result<(Algorithm, Option<&str>), TokenError> {
    for name in FORBIDDEN_HEADERS {
        if header.contains_key(name) {
            return Err(TokenError::Header(name));
        }
    }
    let typ_ok = match (header.get("typ"), kind) {
        (None, Kind::Bearer) => true,
        (Some(Value::String(typ)), Kind::Bearer) => typ.eq_ignore_ascii_case("JWT"),
        (Some(Value::String(typ)), Kind::Session) => typ == SESSION_TYP,
        _ => false,
    };
    if !typ_ok {
        return Err(TokenError::Header("typ"));
    }
    let alg = match header.get("alg") {
        Some(Value::String(alg)) => algorithm(alg).ok_or(TokenError::Header("alg"))?,
        _ => return Err(TokenError::Header("alg")),
    };
    if kind == Kind::Session && alg != Algorithm::HS256 {
        return Err(TokenError::Header("alg"));
    }
    let kid = match header.get("kid") {
        None => None,
        Some(Value::String(kid)) => Some(kid.as_str()),
        Some(_) => return Err(TokenError::Header("kid")),
    };
    Ok((alg, kid))
}

/// A supported algorithm by its JWS name (case-sensitive, RFC 7515 §4.1.1).
fn algorithm(name: &str) -> Option<Algorithm> {
    SUPPORTED.iter().find(|(n, _)| *n == name).map(|(_, a)| *a)
}

/// Decode one base64url (unpadded, canonical) token part holding a JSON object with
/// no duplicated member.
fn decode_object(part: &str) -> Result<Map<String, Value>, TokenError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| TokenError::Malformed)?;
    serde_json::from_slice::<StrictObject>(&bytes)
        .map(|o| o.0)
        .map_err(|_| TokenError::Malformed)
}

/// A JSON object whose top-level member names are unique. `serde_json::Map` keeps the
/// last of duplicated members; two `level`s could then mean different things to the
/// issuer and to us, so such a token is refused instead.
struct StrictObject(Map<String, Value>);

impl<'de> Deserialize<'de> for StrictObject {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct StrictVisitor;
        impl<'de> serde::de::Visitor<'de> for StrictVisitor {
            type Value = StrictObject;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object without duplicate members")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<StrictObject, A::Error> {
                let mut out = Map::new();
                while let Some((key, value)) = map.next_entry::<String, Value>()? {
                    if out.contains_key(&key) {
                        return Err(serde::de::Error::custom("duplicate member"));
                    }
                    out.insert(key, value);
                }
                Ok(StrictObject(out))
            }
        }
        deserializer.deserialize_map(StrictVisitor)
    }
}

/// Parse a JWKS document into pinned public keys. Error texts name the key by its
/// position and never quote key material.
fn parse_jwks(jwks: &str) -> Result<Vec<PublicKey>, ConfigError> {
    let err = |msg: String| ConfigError::Jwks(msg);
    let doc: Value = serde_json::from_str(jwks).map_err(|_| err("not valid JSON".into()))?;
    let Some(Value::Array(keys)) = doc.get("keys") else {
        return Err(err("expected an object with a \"keys\" array".into()));
    };
    if keys.is_empty() {
        return Err(err("the \"keys\" array is empty".into()));
    }
    let mut out = Vec::with_capacity(keys.len());
    let mut kids = HashSet::new();
    for (i, jwk) in keys.iter().enumerate() {
        let key = parse_jwk(jwk).map_err(|msg| err(format!("{}: {msg}", key_name(i, jwk))))?;
        if let Some(kid) = &key.kid {
            if !kids.insert(kid.clone()) {
                return Err(err(format!(
                    "{}: kid is used by an earlier key",
                    key_name(i, jwk)
                )));
            }
        }
        out.push(key);
    }
    Ok(out)
}

/// How an error names a JWKS key: its position, and its `kid` when it has one (quoted
/// and cut short: it is the only member of a key an error may repeat).
fn key_name(i: usize, jwk: &Value) -> String {
    match jwk.get("kid").and_then(Value::as_str) {
        Some(kid) if !kid.is_empty() => {
            let kid: String = kid.chars().take(64).collect();
            format!("key #{i} (kid {kid:?})")
        }
        _ => format!("key #{i}"),
    }
}

fn parse_jwk(jwk: &Value) -> Result<PublicKey, String> {
    let Value::Object(jwk) = jwk else {
        return Err("not a JSON object".into());
    };
    let text = |name: &str| -> Result<Option<&str>, String> {
        match jwk.get(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(format!("\"{name}\" is not a string")),
        }
    };
    let required = |name: &str| -> Result<&str, String> {
        text(name)?.ok_or_else(|| format!("\"{name}\" is missing"))
    };
    if let Some(member) = PRIVATE_JWK_MEMBERS.iter().find(|m| jwk.contains_key(**m)) {
        return Err(format!(
            "contains the private member \"{member}\"; publish only public keys"
        ));
    }
    match text("use")? {
        None | Some("sig") => {}
        Some(_) => return Err("\"use\" must be \"sig\"".into()),
    }
    if let Some(ops) = jwk.get("key_ops") {
        let verify = Value::String("verify".into());
        if !ops.as_array().is_some_and(|ops| ops.contains(&verify)) {
            return Err("\"key_ops\" must include \"verify\"".into());
        }
    }
    let kid = match text("kid")? {
        Some("") => return Err("\"kid\" is empty".into()),
        kid => kid.map(str::to_string),
    };
    let b64 = |name: &str| -> Result<Vec<u8>, String> {
        URL_SAFE_NO_PAD
            .decode(required(name)?)
            .map_err(|_| format!("\"{name}\" is not base64url"))
    };
    let (alg, key) = match required("kty")? {
        "OKP" => {
            if required("crv")? != "Ed25519" {
                return Err("OKP keys must use crv Ed25519".into());
            }
            let x: [u8; 32] = b64("x")?
                .try_into()
                .map_err(|_| "Ed25519 \"x\" must be 32 bytes")?;
            (Algorithm::EdDSA, KeyMaterial::Ed25519(ed25519_key(&x)?))
        }
        "EC" => {
            if required("crv")? != "P-256" {
                return Err("EC keys must use crv P-256".into());
            }
            let (x, y) = (b64("x")?, b64("y")?);
            if x.len() != 32 || y.len() != 32 {
                return Err("P-256 \"x\" and \"y\" must be 32 bytes each".into());
            }
            let mut point = Vec::with_capacity(65);
            point.push(0x04);
            point.extend_from_slice(&x);
            point.extend_from_slice(&y);
            // SEC1 decoding refuses a point that is not on P-256.
            let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(&point)
                .map_err(|_| "the P-256 point (\"x\", \"y\") is not on the curve")?;
            (Algorithm::ES256, KeyMaterial::Es256(key))
        }
        "RSA" => {
            let (n, e) = (b64("n")?, b64("e")?);
            check_rsa(&n, &e)?;
            // `check_rsa` implies `RsaPublicKey::new`'s own checks (size, odd `n`,
            // `e` odd, from 2 to its maximum and below `n`).
            let key = RsaPublicKey::new(BigUint::from_bytes_be(&n), BigUint::from_bytes_be(&e))
                .map_err(|_| "the RSA key (\"n\", \"e\") is not usable")?;
            (
                Algorithm::RS256,
                KeyMaterial::Rs256(rsa::pkcs1v15::VerifyingKey::new(key)),
            )
        }
        "oct" => {
            return Err(
                "symmetric (kty \"oct\") keys are not allowed; use LYCEUM_JWT_SECRET".into(),
            )
        }
        _ => return Err("kty must be OKP, EC or RSA".into()),
    };
    if let Some(declared) = text("alg")? {
        let expected = SUPPORTED
            .iter()
            .find(|(_, a)| *a == alg)
            .map_or("", |(n, _)| *n);
        if declared != expected {
            return Err(format!("\"alg\" must be {expected} for this key type"));
        }
    }
    Ok(PublicKey { kid, alg, key })
}

/// An Ed25519 public key `A` that no forged signature can pass: a curve point, encoded
/// canonically, of the prime-order subgroup. A small-order `A` (the identity
/// `AQAA…AA` and the other 7) makes `R = identity, s = 0` valid for every message under
/// the usual check; a small-order component or a second encoding breaks uniqueness.
fn ed25519_key(x: &[u8; 32]) -> Result<ed25519_dalek::VerifyingKey, String> {
    let key = ed25519_dalek::VerifyingKey::from_bytes(x)
        .map_err(|_| "Ed25519 \"x\" is not a point on the curve")?;
    let point = key.to_edwards();
    if key.is_weak() {
        return Err(
            "Ed25519 key is of small order (a weak key: it would accept forged \
                    signatures for any token)"
                .into(),
        );
    }
    if point.compress().as_bytes() != x {
        return Err("Ed25519 \"x\" is not canonically encoded".into());
    }
    // [l]A = identity, as [l − 1]A = −A with `vartime_double_scalar_mul_basepoint`, the
    // multiplication signature checks link anyway (`is_torsion_free` adds 3 KB of wasm).
    let order_minus_one = -Scalar::ONE;
    if EdwardsPoint::vartime_double_scalar_mul_basepoint(&order_minus_one, &point, &Scalar::ZERO)
        != -point
    {
        return Err(
            "Ed25519 key has a small-order component (not a key made by signing \
                    software)"
                .into(),
        );
    }
    Ok(key)
}

/// An RSA public key (`n`, `e` as big-endian bytes) fit to verify with: a modulus of
/// [`MIN_RSA_BITS`] to [`MAX_RSA_BITS`] bits that is odd (a product of two odd primes)
/// and not generated by a ROCA-vulnerable library, and an odd exponent from 3 to
/// [`MAX_RSA_EXPONENT`] (`e = 1` makes every `s = m` a signature; an even `e` is no RSA key).
fn check_rsa(n: &[u8], e: &[u8]) -> Result<(), String> {
    let n = &n[n.iter().position(|b| *b != 0).unwrap_or(n.len())..];
    let n_bits = n
        .first()
        .map_or(0, |top| n.len() * 8 - top.leading_zeros() as usize);
    if !(MIN_RSA_BITS..=MAX_RSA_BITS).contains(&n_bits) {
        return Err(format!(
            "RSA modulus must be {MIN_RSA_BITS} to {MAX_RSA_BITS} bits (this one has {n_bits})"
        ));
    }
    if n.last().is_some_and(|low| low % 2 == 0) {
        return Err("RSA modulus \"n\" is even".into());
    }
    let e = e.iter().try_fold(0u64, |acc, b| {
        (acc <= MAX_RSA_EXPONENT >> 8).then(|| acc << 8 | u64::from(*b))
    });
    match e {
        Some(e) if (3..=MAX_RSA_EXPONENT).contains(&e) && e % 2 == 1 => {}
        _ => {
            return Err(format!(
                "RSA exponent \"e\" must be odd, from 3 to {MAX_RSA_EXPONENT} (65537 is usual)"
            ))
        }
    }
    if has_roca_fingerprint(n) {
        return Err(
            "RSA key has the ROCA fingerprint (CVE-2017-15361: its private key can \
                    be computed from it); generate a new key"
                .into(),
        );
    }
    Ok(())
}

/// Whether modulus `n` (big-endian) was made by the flawed Infineon generator
/// (ROCA, CVE-2017-15361). Its primes are `k·M + (65537^a mod M)` with `M` the product
/// of the first primes, so `n mod p` lies in the subgroup that 65537 generates mod `p`
/// for every one of them; for other keys that holds with negligible probability
/// (the test of Nemec et al., 2017, over the primes 3 to 167).
fn has_roca_fingerprint(n: &[u8]) -> bool {
    const PRIMES: [u32; 38] = [
        3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89,
        97, 101, 103, 107, 109, 113, 127, 131, 137, 139, 149, 151, 157, 163, 167,
    ];
    PRIMES.iter().all(|&p| {
        let residue = n.iter().fold(0u32, |r, b| (r * 256 + u32::from(*b)) % p);
        let generator = 65537 % p;
        let mut power = generator;
        loop {
            if power == residue {
                return true;
            }
            if power == 1 {
                return false;
            }
            power = power * generator % p;
        }
    })
}
