//! Email addresses as the member layer keys them.
//!
//! One address, one member: an address is trimmed and lower-cased before it is stored or
//! looked up, so `Ada@Example.org` and `ada@example.org ` are the same member (as Ghost
//! and Stripe treat them). The check is deliberately plain, since the real proof is
//! that the reader opens the mail: it refuses what can never be delivered or could
//! smuggle headers (CR, LF, any control character, spaces, angle brackets, quotes),
//! and accepts internationalised addresses (RFC 6531) as they are typed.

use thiserror::Error;

/// Longest address (RFC 5321: 254 octets in a path).
pub const MAX_BYTES: usize = 254;

/// Why an address was refused. Shown to the reader: it says nothing about membership.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EmailError {
    #[error("enter an email address")]
    Empty,
    #[error("that email address is too long")]
    TooLong,
    #[error("that does not look like an email address (name@example.org)")]
    Malformed,
}

/// The normalised form of `input`, or why it cannot be an address.
pub fn normalize(input: &str) -> Result<String, EmailError> {
    let s = input.trim();
    if s.is_empty() {
        return Err(EmailError::Empty);
    }
    if s.len() > MAX_BYTES {
        return Err(EmailError::TooLong);
    }
    let (local, domain) = s.rsplit_once('@').ok_or(EmailError::Malformed)?;
    if !valid_local(local) || !valid_domain(domain) {
        return Err(EmailError::Malformed);
    }
    Ok(s.to_lowercase())
}

fn valid_local(local: &str) -> bool {
    !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|c| !c.is_control() && !c.is_whitespace() && !"<>()[]\\,;:\"@".contains(c))
}

fn valid_domain(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    labels.len() >= 2
        && domain.len() <= 253
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c == '-' || c.is_alphanumeric())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_trimmed_and_lower_cased() {
        assert_eq!(normalize("  Ada@Example.ORG ").unwrap(), "ada@example.org");
        assert_eq!(normalize("读者@例子.中国").unwrap(), "读者@例子.中国");
        assert_eq!(normalize("a.b+tag@x.io").unwrap(), "a.b+tag@x.io");
    }

    #[test]
    fn header_smuggling_and_junk_are_refused() {
        for bad in [
            "a@x.io\r\nBcc: victim@y.io",
            "a@x.io\nBcc: v@y.io",
            "a\u{0}@x.io",
            "a b@x.io",
            "<a@x.io>",
            "\"a\"@x.io",
            "a@x",
            "a@-x.io",
            "a@x..io",
            "@x.io",
            "a@",
            "a..b@x.io",
            ".a@x.io",
            "a@x.io'; DROP TABLE members; --",
            "plainaddress",
        ] {
            assert_eq!(normalize(bad), Err(EmailError::Malformed), "{bad:?}");
        }
        assert_eq!(normalize("   "), Err(EmailError::Empty));
        let long = format!("{}@x.io", "a".repeat(10_000));
        assert_eq!(normalize(&long), Err(EmailError::TooLong));
        let local65 = format!("{}@x.io", "a".repeat(65));
        assert_eq!(normalize(&local65), Err(EmailError::Malformed));
    }
}
