//! Member tokens, the issuing side: signing keys, TTLs, key generation and the JWKS a
//! Worker is configured with. Verification is *not* here: `lyceum token verify` and
//! `lyceum serve` use `gate::Verifier`, the same code the edge worker runs, so a token
//! this module issues is accepted exactly when the Worker would accept it.
//!
//! Everything is a pure function of its inputs (time and randomness are passed in), so
//! the CLI in `cmd/token.rs` is only I/O around it.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::path::Path;

/// The `LYCEUM_JWT_*` variable names and the secret rule are the gate's: what signs here
/// is what the Worker verifies.
pub use gate::token::{ENV_AUDIENCE, ENV_ISSUER, ENV_JWKS, ENV_SECRET, MIN_SECRET_BYTES};

/// File names written by [`KeyPair::write_to`].
pub const PRIVATE_KEY_FILE: &str = "lyceum-ed25519.pem";
pub const PUBLIC_KEY_FILE: &str = "lyceum-ed25519.pub.pem";
pub const JWKS_FILE: &str = "jwks.json";

/// DER prefix of a PKCS#8 v1 Ed25519 private key (RFC 8410), followed by the 32-byte seed.
const PKCS8_ED25519_PREFIX: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];
/// DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410), followed by the 32-byte key.
const SPKI_ED25519_PREFIX: [u8; 12] = [
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];

/// Why a token could not be issued or a key could not be made or read.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("invalid TTL `{0}`: expected a positive number followed by s, m, h or d (e.g. 90s, 15m, 12h, 30d)")]
    Ttl(String),
    #[error("unknown level `{level}`; valid levels (lowest first): {}", valid.join(", "))]
    UnknownLevel { level: String, valid: Vec<String> },
    #[error(
        "the HS256 secret is too short ({0} bytes); use at least {MIN_SECRET_BYTES} random bytes"
    )]
    WeakSecret(usize),
    #[error("not an Ed25519 private key in PKCS#8 PEM form (`-----BEGIN PRIVATE KEY-----`): {0}")]
    BadKey(String),
    #[error("could not sign the token: {0}")]
    Sign(String),
    #[error("`{0}` already exists; refusing to overwrite a key file")]
    Exists(std::path::PathBuf),
    #[error("could not write `{path}`: {source}")]
    Write {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("could not read `{path}`: {source}")]
    Read {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("`{path}`: {message}")]
    SiteYaml {
        path: std::path::PathBuf,
        message: String,
    },
}

/// Parse a TTL like `90s`, `15m`, `12h`, `30d` into seconds.
pub fn parse_ttl(text: &str) -> Result<u64, TokenError> {
    let err = || TokenError::Ttl(text.to_string());
    let text_trim = text.trim();
    let split = text_trim.len().checked_sub(1).ok_or_else(err)?;
    if !text_trim.is_char_boundary(split) {
        return Err(err());
    }
    let (number, unit) = text_trim.split_at(split);
    let n: u64 = number.parse().map_err(|_| err())?;
    let mult = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(err()),
    };
    match n.checked_mul(mult) {
        Some(secs) if secs > 0 => Ok(secs),
        _ => Err(err()),
    }
}

/// How a token is signed.
pub enum SigningKey {
    /// HS256 with a shared secret (the Worker's `LYCEUM_JWT_SECRET`).
    Hs256(Vec<u8>),
    /// EdDSA with an Ed25519 private key; the Worker verifies with the matching JWKS.
    Ed25519 { seed: [u8; 32] },
}

impl SigningKey {
    /// An HS256 key, refusing secrets the gate would refuse.
    pub fn hs256(secret: &str) -> Result<SigningKey, TokenError> {
        // Issuing with a secret the gate refuses would only mint tokens nobody can verify.
        if !gate::token::secret_is_strong(secret.as_bytes()) {
            return Err(TokenError::WeakSecret(secret.len()));
        }
        Ok(SigningKey::Hs256(secret.as_bytes().to_vec()))
    }

    /// An Ed25519 key from a PKCS#8 PEM (as written by `lyceum token keygen` or
    /// `openssl genpkey -algorithm ed25519`).
    pub fn ed25519_pem(pem: &str) -> Result<SigningKey, TokenError> {
        let der = pem_body(pem, "PRIVATE KEY").map_err(TokenError::BadKey)?;
        if der.len() != 48 || der[..16] != PKCS8_ED25519_PREFIX {
            return Err(TokenError::BadKey(
                "the key is not a plain Ed25519 PKCS#8 key".into(),
            ));
        }
        let mut seed = [0u8; 32];
        seed.copy_from_slice(&der[16..]);
        Ok(SigningKey::Ed25519 { seed })
    }

    /// The `kid` a key is published under by default: for Ed25519 the RFC 7638 JWK
    /// thumbprint of its public key (so `keygen` and `issue` agree without being told);
    /// none for HS256.
    pub fn default_kid(&self) -> Option<String> {
        match self {
            SigningKey::Hs256(_) => None,
            SigningKey::Ed25519 { seed } => Some(thumbprint(&public_key(seed))),
        }
    }

    fn encoding(&self) -> Result<(Algorithm, EncodingKey), TokenError> {
        match self {
            SigningKey::Hs256(secret) => Ok((Algorithm::HS256, EncodingKey::from_secret(secret))),
            SigningKey::Ed25519 { seed } => {
                let mut der = PKCS8_ED25519_PREFIX.to_vec();
                der.extend_from_slice(seed);
                Ok((Algorithm::EdDSA, EncodingKey::from_ed_der(&der)))
            }
        }
    }
}

/// What goes into a token.
#[derive(Debug, Clone)]
pub struct IssueRequest {
    pub sub: String,
    pub level: String,
    pub ttl_secs: u64,
    pub kid: Option<String>,
    pub issuer: Option<String>,
    pub audience: Option<String>,
}

#[derive(Serialize)]
struct OutClaims<'a> {
    sub: &'a str,
    level: &'a str,
    iat: u64,
    exp: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    iss: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    aud: Option<&'a str>,
}

/// Sign a member token valid from `now` for `req.ttl_secs`.
pub fn issue(key: &SigningKey, req: &IssueRequest, now: u64) -> Result<String, TokenError> {
    let (alg, enc) = key.encoding()?;
    let mut header = Header::new(alg);
    header.kid = req.kid.clone().or_else(|| key.default_kid());
    let claims = OutClaims {
        sub: &req.sub,
        level: &req.level,
        iat: now,
        exp: now.saturating_add(req.ttl_secs),
        iss: req.issuer.as_deref(),
        aud: req.audience.as_deref(),
    };
    jsonwebtoken::encode(&header, &claims, &enc).map_err(|e| TokenError::Sign(e.to_string()))
}

/// Check a level id against the site's levels (lowest first).
pub fn check_level(level: &str, valid: &[String]) -> Result<(), TokenError> {
    if valid.iter().any(|l| l == level) {
        Ok(())
    } else {
        Err(TokenError::UnknownLevel {
            level: level.to_string(),
            valid: valid.to_vec(),
        })
    }
}

/// The level ids declared in `<root>/site.yaml`, lowest first, or `None` when there is
/// no site.yaml there. Read with `build::config::load`, the build's own parser, so a
/// site.yaml the build rejects is rejected here too, with the same messages.
pub fn site_levels(root: &Path) -> Result<Option<Vec<String>>, TokenError> {
    let path = root.join(crate::build::config::CONFIG_FILE);
    match std::fs::metadata(&path) {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(TokenError::Read { path, source }),
    }
    let config = crate::build::config::load(root).map_err(|problems| TokenError::SiteYaml {
        path: path.clone(),
        message: problems
            .iter()
            .map(|d| d.message.as_str())
            .collect::<Vec<_>>()
            .join("; "),
    })?;
    Ok(Some(config.levels.into_iter().map(|l| l.id).collect()))
}

/// Seconds since the epoch (0 if the clock is before it): `iat`/`exp` of issued tokens.
pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// A fresh Ed25519 key pair with its JWKS.
pub struct KeyPair {
    pub kid: String,
    /// PKCS#8 private key, PEM.
    pub private_pem: String,
    /// SubjectPublicKeyInfo, PEM.
    pub public_pem: String,
    /// `{"keys":[{"kty":"OKP","crv":"Ed25519","x":…,"kid":…,"alg":"EdDSA","use":"sig"}]}`
    pub jwks: String,
}

impl KeyPair {
    /// Make a key pair from 32 random bytes; `kid` defaults to the key's JWK thumbprint.
    pub fn from_seed(seed: [u8; 32], kid: Option<String>) -> KeyPair {
        let public = public_key(&seed);
        let kid = kid.unwrap_or_else(|| thumbprint(&public));
        let mut private_der = PKCS8_ED25519_PREFIX.to_vec();
        private_der.extend_from_slice(&seed);
        let mut public_der = SPKI_ED25519_PREFIX.to_vec();
        public_der.extend_from_slice(&public);
        let jwks = serde_json::json!({
            "keys": [{
                "kty": "OKP",
                "crv": "Ed25519",
                "x": URL_SAFE_NO_PAD.encode(public),
                "kid": kid,
                "alg": "EdDSA",
                "use": "sig",
            }]
        });
        KeyPair {
            private_pem: pem_encode("PRIVATE KEY", &private_der),
            public_pem: pem_encode("PUBLIC KEY", &public_der),
            jwks: format!(
                "{}\n",
                serde_json::to_string_pretty(&jwks).expect("JSON value")
            ),
            kid,
        }
    }

    /// Write the three files into `dir` (created if needed). Refuses to overwrite any of
    /// them, checking all before writing one; the private key is created with mode 0600.
    pub fn write_to(&self, dir: &Path) -> Result<[std::path::PathBuf; 3], TokenError> {
        let files = [
            (dir.join(PRIVATE_KEY_FILE), &self.private_pem, true),
            (dir.join(PUBLIC_KEY_FILE), &self.public_pem, false),
            (dir.join(JWKS_FILE), &self.jwks, false),
        ];
        for (path, _, _) in &files {
            if path.exists() {
                return Err(TokenError::Exists(path.clone()));
            }
        }
        std::fs::create_dir_all(dir).map_err(|source| TokenError::Write {
            path: dir.to_path_buf(),
            source,
        })?;
        for (path, text, private) in &files {
            write_new(path, text, *private).map_err(|source| TokenError::Write {
                path: path.clone(),
                source,
            })?;
        }
        Ok(files.map(|(p, _, _)| p))
    }
}

fn write_new(path: &Path, text: &str, private: bool) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        opts.mode(if private { 0o600 } else { 0o644 });
    }
    #[cfg(not(unix))]
    let _ = private;
    let mut file = opts.open(path)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()
}

fn public_key(seed: &[u8; 32]) -> [u8; 32] {
    ed25519_dalek::SigningKey::from_bytes(seed)
        .verifying_key()
        .to_bytes()
}

/// RFC 7638 thumbprint of an Ed25519 JWK (RFC 8037 §2: members `crv`, `kty`, `x`).
fn thumbprint(public: &[u8; 32]) -> String {
    let canonical = format!(
        r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#,
        URL_SAFE_NO_PAD.encode(public)
    );
    URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
}

fn pem_encode(label: &str, der: &[u8]) -> String {
    let b64 = STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).expect("base64 is ASCII"));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

fn pem_body(pem: &str, label: &str) -> Result<Vec<u8>, String> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let start = pem
        .find(&begin)
        .ok_or_else(|| format!("no `{begin}` line"))?
        + begin.len();
    let stop = pem[start..]
        .find(&end)
        .ok_or_else(|| format!("no `{end}` line"))?
        + start;
    let b64: String = pem[start..stop]
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    STANDARD.decode(b64).map_err(|e| format!("bad base64: {e}"))
}

/// `2025-03-01 14:05:09 UTC` for seconds since the Unix epoch.
pub fn format_utc(secs: u64) -> String {
    let rem = secs % 86_400;
    let (y, m, d) = gate::date::civil_from_days((secs / 86_400) as i64);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

/// A human duration for the time left until `exp` (`29d 23h`, `14m 59s`, `expired`).
pub fn format_remaining(exp: u64, now: u64) -> String {
    if exp <= now {
        return "expired".into();
    }
    let s = exp - now;
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m {}s", s / 60, s % 60),
        3600..=86_399 => format!("{}h {}m", s / 3600, s / 60 % 60),
        _ => format!("{}d {}h", s / 86_400, s / 3600 % 24),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttl_units() {
        assert_eq!(parse_ttl("90s").unwrap(), 90);
        assert_eq!(parse_ttl("15m").unwrap(), 900);
        assert_eq!(parse_ttl("12h").unwrap(), 43_200);
        assert_eq!(parse_ttl("30d").unwrap(), 2_592_000);
        for bad in [
            "",
            "d",
            "0d",
            "-1d",
            "10",
            "10y",
            "1.5h",
            "h1",
            "99999999999999999999d",
            "1é",
        ] {
            assert!(parse_ttl(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn dates() {
        assert_eq!(format_utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(format_utc(951_782_400), "2000-02-29 00:00:00 UTC");
        assert_eq!(format_utc(1_735_689_599), "2024-12-31 23:59:59 UTC");
        assert_eq!(format_remaining(100, 100), "expired");
        assert_eq!(format_remaining(30 * 86_400, 0), "30d 0h");
    }

    #[test]
    fn unknown_level_lists_valid_ones() {
        let valid = vec!["member".to_string(), "pro".to_string()];
        assert!(check_level("pro", &valid).is_ok());
        let msg = check_level("gold", &valid).unwrap_err().to_string();
        assert_eq!(
            msg,
            "unknown level `gold`; valid levels (lowest first): member, pro"
        );
    }

    #[test]
    fn site_levels_use_the_builds_site_yaml_parser() {
        let dir = tempfile::tempdir().unwrap();
        assert!(
            site_levels(dir.path()).unwrap().is_none(),
            "no site.yaml: no opinion"
        );
        let yaml = dir.path().join("site.yaml");
        std::fs::write(
            &yaml,
            "title: T\nlevels:\n  - {id: member, name: M}\n  - {id: pro, name: P}\n",
        )
        .unwrap();
        assert_eq!(site_levels(dir.path()).unwrap().unwrap(), ["member", "pro"]);
        // What the build rejects (here a typo'd key and a duplicate id), token issue rejects too.
        std::fs::write(&yaml, "title: T\nlevles: []\n").unwrap();
        let err = site_levels(dir.path()).unwrap_err().to_string();
        assert!(err.contains("unknown key `levles`"), "{err}");
        std::fs::write(
            &yaml,
            "title: T\nlevels:\n  - {id: a, name: A}\n  - {id: a, name: B}\n",
        )
        .unwrap();
        assert!(site_levels(dir.path())
            .unwrap_err()
            .to_string()
            .contains("duplicate level id `a`"));
    }

    #[test]
    fn weak_secret_refused() {
        assert!(matches!(
            SigningKey::hs256("short"),
            Err(TokenError::WeakSecret(5))
        ));
    }

    #[test]
    fn keypair_pem_round_trips_and_kid_matches() {
        let pair = KeyPair::from_seed([7; 32], None);
        let key = SigningKey::ed25519_pem(&pair.private_pem).unwrap();
        assert_eq!(key.default_kid().as_deref(), Some(pair.kid.as_str()));
        let jwks: serde_json::Value = serde_json::from_str(&pair.jwks).unwrap();
        let k = &jwks["keys"][0];
        assert_eq!(k["kty"], "OKP");
        assert_eq!(k["crv"], "Ed25519");
        assert_eq!(k["alg"], "EdDSA");
        assert_eq!(k["use"], "sig");
        assert_eq!(k["kid"], pair.kid.as_str());
        assert_eq!(
            URL_SAFE_NO_PAD
                .decode(k["x"].as_str().unwrap())
                .unwrap()
                .len(),
            32
        );
        assert!(pair.public_pem.starts_with("-----BEGIN PUBLIC KEY-----\n"));
        // jsonwebtoken accepts our PEM as an Ed25519 key.
        EncodingKey::from_ed_pem(pair.private_pem.as_bytes()).unwrap();
        jsonwebtoken::DecodingKey::from_ed_pem(pair.public_pem.as_bytes()).unwrap();
    }

    #[test]
    fn rfc8037_thumbprint() {
        // RFC 8037 appendix A.3.
        let x = URL_SAFE_NO_PAD
            .decode("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo")
            .unwrap();
        assert_eq!(
            thumbprint(&x.try_into().unwrap()),
            "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
        );
    }

    #[test]
    fn issued_tokens_carry_claims_and_kid() {
        let req = IssueRequest {
            sub: "ada".into(),
            level: "pro".into(),
            ttl_secs: 60,
            kid: None,
            issuer: Some("me".into()),
            audience: None,
        };
        let key = SigningKey::Ed25519 { seed: [1; 32] };
        let tok = issue(&key, &req, 1000).unwrap();
        let header = jsonwebtoken::decode_header(&tok).unwrap();
        assert_eq!(header.alg, Algorithm::EdDSA);
        assert_eq!(header.kid, key.default_kid());
        let body: serde_json::Value = serde_json::from_slice(
            &URL_SAFE_NO_PAD
                .decode(tok.split('.').nth(1).unwrap())
                .unwrap(),
        )
        .unwrap();
        assert_eq!(
            body,
            serde_json::json!({"sub":"ada","level":"pro","iat":1000,"exp":1060,"iss":"me"})
        );
        let hs = issue(&SigningKey::hs256(&"s".repeat(32)).unwrap(), &req, 1000).unwrap();
        assert_eq!(jsonwebtoken::decode_header(&hs).unwrap().kid, None);
    }
}
