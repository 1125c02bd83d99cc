//! Random secrets, their hashes, and comparing them.
//!
//! A secret that goes to a browser or a mailbox (a sign-in link, a session's renewal
//! secret) has 256 random bits, so a plain SHA-256 of it is a safe thing to store. A
//! 6-digit code has only 20 bits: it is stored as an HMAC keyed with the server's
//! secret (the pepper), so a copy of the database alone cannot find it.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use thiserror::Error;

/// The system's random source failed. Nothing is issued without it.
#[derive(Debug, Error)]
#[error("no randomness available")]
pub struct NoRandomness;

fn random<const N: usize>() -> Result<[u8; N], NoRandomness> {
    let mut bytes = [0u8; N];
    getrandom::getrandom(&mut bytes).map_err(|_| NoRandomness)?;
    Ok(bytes)
}

/// A fresh 256-bit secret, base64url (43 characters, safe in URLs and cookies).
pub fn token() -> Result<String, NoRandomness> {
    Ok(URL_SAFE_NO_PAD.encode(random::<32>()?))
}

/// A fresh record id: 96 random bits as 24 hex digits. Not a secret.
pub fn id() -> Result<String, NoRandomness> {
    Ok(hex(&random::<12>()?))
}

/// A fresh 6-digit code, uniform over `000000`–`999999`.
pub fn code() -> Result<String, NoRandomness> {
    // Rejection sampling: 4,294,000,000 is the largest multiple of 10^6 below 2^32.
    loop {
        let n = u32::from_le_bytes(random::<4>()?);
        if n < 4_294_000_000 {
            return Ok(format!("{:06}", n % 1_000_000));
        }
    }
}

/// SHA-256 of a high-entropy secret, hex.
pub fn hash(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

/// HMAC-SHA-256 of `parts` (joined unambiguously) keyed with `pepper`, hex.
pub fn keyed_hash(pepper: &[u8], parts: &[&str]) -> String {
    // Any key length is valid for HMAC; `new_from_slice` cannot fail here.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(pepper).expect("HMAC takes any key");
    for part in parts {
        mac.update(&(part.len() as u64).to_be_bytes());
        mac.update(part.as_bytes());
    }
    hex(&mac.finalize().into_bytes())
}

/// Compare two strings in time that depends only on their lengths.
pub fn equal(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 15)] as char);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_256_bits_of_base64url_and_differ() {
        let (a, b) = (token().unwrap(), token().unwrap());
        assert_eq!(a.len(), 43);
        assert!(a
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
        assert_ne!(a, b);
    }

    #[test]
    fn codes_are_six_digits_and_cover_the_range() {
        let codes: Vec<String> = (0..2000).map(|_| code().unwrap()).collect();
        assert!(codes
            .iter()
            .all(|c| c.len() == 6 && c.bytes().all(|b| b.is_ascii_digit())));
        // 2000 draws from 10^6: leading digits 0..=9 all appear with overwhelming odds.
        for d in b'0'..=b'9' {
            assert!(
                codes.iter().any(|c| c.as_bytes()[0] == d),
                "no code starts with {}",
                d as char
            );
        }
    }

    #[test]
    fn hash_is_sha256_hex() {
        // SHA-256("abc"), FIPS 180-2 appendix B.1.
        assert_eq!(
            hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn keyed_hash_separates_parts_and_keys() {
        assert_ne!(
            keyed_hash(b"k", &["ab", "c"]),
            keyed_hash(b"k", &["a", "bc"])
        );
        assert_ne!(keyed_hash(b"k1", &["a"]), keyed_hash(b"k2", &["a"]));
        assert_eq!(keyed_hash(b"k", &["a"]), keyed_hash(b"k", &["a"]));
    }

    #[test]
    fn equal_compares_whole_strings() {
        assert!(equal("abc", "abc"));
        assert!(!equal("abc", "abd"));
        assert!(!equal("abc", "ab"));
        assert!(equal("", ""));
    }
}
