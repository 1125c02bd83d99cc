//! External membership providers (Auth0, Clerk, Memberstack, Outseta, Cloudflare
//! Access…): where a provider's token keeps the level and the products, how its plan
//! ids map to the site's levels, and where its JWKS is fetched from. Pure: the
//! adapters fetch (the worker, `lyceum serve`); [`crate::jwks`] decides when.
//!
//! - `LYCEUM_JWT_LEVEL_CLAIM` (default `level`) and `LYCEUM_JWT_PRODUCTS_CLAIM`
//!   (default `products`) name a claim: the top-level member of exactly that name if
//!   there is one (`https://example.com/plan`), else, for a name with dots, the path
//!   through nested objects (`app_metadata.plan`).
//! - `LYCEUM_JWT_LEVEL_MAP`: `plan_free:,plan_basic:member,plan_pro:pro`, the
//!   provider's plan ids from lowest to highest, each with the level it opens (none
//!   after the `:`: a known plan that opens nothing). With a map the level claim may
//!   be absent, a plan id, or an array of plan ids (the highest listed wins); an
//!   unmapped plan gives no level, like a free sign-up (teasers). Without a map the
//!   claim must be the level id itself, as lyceum's own tokens carry it.
//! - The products claim is an array of product ids or one space-separated string
//!   (OAuth-scope style), at most [`crate::token::MAX_PRODUCTS`] of them.
//! - `LYCEUM_JWT_JWKS_URL`: `https://…`; `http://` only to a loopback host.

use serde_json::{Map, Value};

use crate::token::{ConfigError, TokenError};

/// The environment variable naming the claim that holds the level (or plan ids).
pub const ENV_LEVEL_CLAIM: &str = "LYCEUM_JWT_LEVEL_CLAIM";
/// The environment variable holding the map from plan ids to level ids.
pub const ENV_LEVEL_MAP: &str = "LYCEUM_JWT_LEVEL_MAP";
/// The environment variable naming the claim that lists products.
pub const ENV_PRODUCTS_CLAIM: &str = "LYCEUM_JWT_PRODUCTS_CLAIM";
/// The environment variable holding the URL the JWKS is fetched from.
pub const ENV_JWKS_URL: &str = "LYCEUM_JWT_JWKS_URL";

/// Most entries a level map may have, and most plan ids a level claim may list.
pub const MAX_PLANS: usize = 64;

/// How a bearer token's payload gives its level and products.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimRules {
    level_claim: String,
    /// `(plan id, level)` from lowest to highest; `None`: the claim is the level id.
    level_map: Option<Vec<(String, Option<String>)>>,
    products_claim: String,
}

impl Default for ClaimRules {
    fn default() -> Self {
        ClaimRules {
            level_claim: "level".into(),
            level_map: None,
            products_claim: "products".into(),
        }
    }
}

impl ClaimRules {
    /// The rules from the settings' values (`None` or blank: the default).
    pub fn parse(
        level_claim: Option<&str>,
        level_map: Option<&str>,
        products_claim: Option<&str>,
    ) -> Result<ClaimRules, ConfigError> {
        let name = |value: Option<&str>, env: &'static str, default: &str| match value
            .map(str::trim)
            .filter(|v| !v.is_empty())
        {
            None => Ok(default.to_string()),
            Some(v) if v.starts_with('.') || v.ends_with('.') || v.contains("..") => Err(
                ConfigError::Provider(format!("{env} has an empty segment in its dotted path")),
            ),
            Some(v) => Ok(v.to_string()),
        };
        Ok(ClaimRules {
            level_claim: name(level_claim, ENV_LEVEL_CLAIM, "level")?,
            level_map: level_map
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(parse_level_map)
                .transpose()?,
            products_claim: name(products_claim, ENV_PRODUCTS_CLAIM, "products")?,
        })
    }

    /// The level a verified payload gives: see the module docs. `Ok(None)`: a member
    /// without a level. A claim of the wrong shape refuses the token.
    pub fn level(&self, payload: &Map<String, Value>) -> Result<Option<String>, TokenError> {
        let value = claim(payload, &self.level_claim);
        let invalid = TokenError::Claim("level");
        let Some(map) = &self.level_map else {
            return match value {
                Some(Value::String(level)) if !level.is_empty() => Ok(Some(level.clone())),
                _ => Err(invalid),
            };
        };
        let plans: Vec<&str> = match value {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::String(plan)) => vec![plan],
            Some(Value::Array(items)) if items.len() <= MAX_PLANS => items
                .iter()
                .map(Value::as_str)
                .collect::<Option<_>>()
                .ok_or(invalid)?,
            Some(_) => return Err(invalid),
        };
        // The highest listed entry any of the plans maps to a level.
        Ok(map
            .iter()
            .rev()
            .find(|(plan, level)| level.is_some() && plans.contains(&plan.as_str()))
            .and_then(|(_, level)| level.clone()))
    }

    /// The products a verified payload lists (sorted, unique); none when absent.
    pub fn products(&self, payload: &Map<String, Value>) -> Result<Vec<String>, TokenError> {
        match claim(payload, &self.products_claim) {
            Some(Value::String(scopes)) => {
                let items: Vec<Value> = scopes.split_whitespace().map(Value::from).collect();
                crate::token::products(Some(&Value::Array(items)))
            }
            value => crate::token::products(value),
        }
    }
}

/// Claim `name` of `payload`: the member of exactly that name, else (for a dotted
/// name) the path through nested objects.
fn claim<'p>(payload: &'p Map<String, Value>, name: &str) -> Option<&'p Value> {
    if let Some(value) = payload.get(name) {
        return Some(value);
    }
    if !name.contains('.') {
        return None;
    }
    let mut segments = name.split('.');
    let first = payload.get(segments.next()?)?;
    segments.try_fold(first, |value, segment| value.as_object()?.get(segment))
}

/// `plan:level,plan:,…`: each plan id once, a level id or nothing after its last `:`.
fn parse_level_map(text: &str) -> Result<Vec<(String, Option<String>)>, ConfigError> {
    let mut out: Vec<(String, Option<String>)> = Vec::new();
    for (i, entry) in text.split(',').enumerate() {
        let fail = |why: &str| {
            ConfigError::Provider(format!(
                "{ENV_LEVEL_MAP} entry #{}: {why} (expected plan:level,…, e.g. plan_free:,plan_pro:pro)",
                i + 1
            ))
        };
        let (plan, level) = entry.rsplit_once(':').ok_or_else(|| fail("no `:`"))?;
        let (plan, level) = (plan.trim(), level.trim());
        if plan.is_empty() {
            return Err(fail("empty plan id"));
        }
        if out.iter().any(|(p, _)| p == plan) {
            return Err(fail("plan id listed twice"));
        }
        if i >= MAX_PLANS {
            return Err(fail("too many plans"));
        }
        out.push((plan.into(), (!level.is_empty()).then(|| level.into())));
    }
    Ok(out)
}

/// Check a JWKS URL: `https://host…`, or `http://` to 127.0.0.1, localhost or [::1]
/// (a test's own server); no user info, no whitespace. The error never quotes the URL
/// (its query may carry a key).
pub fn check_jwks_url(url: &str) -> Result<(), ConfigError> {
    let (scheme, rest) = url.split_once("://").unwrap_or_default();
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    let host = match authority.rsplit_once(':') {
        // A port, unless the colon is inside an IPv6 literal.
        Some((host, port)) if !port.contains(']') => host,
        _ => authority,
    };
    let loopback = matches!(host, "127.0.0.1" | "localhost" | "[::1]");
    let ok = !host.is_empty()
        && !authority.contains('@')
        && !url.bytes().any(|b| b <= b' ' || b == 0x7f)
        && (scheme.eq_ignore_ascii_case("https")
            || (scheme.eq_ignore_ascii_case("http") && loopback));
    if ok {
        return Ok(());
    }
    Err(ConfigError::Provider(format!(
        "{ENV_JWKS_URL} must be an https:// URL with a host and no user info \
         (http:// only to 127.0.0.1, localhost or [::1])"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token::MAX_PRODUCTS;
    use serde_json::json;

    fn payload(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    fn rules(claim: Option<&str>, map: Option<&str>) -> ClaimRules {
        ClaimRules::parse(claim, map, None).unwrap()
    }

    const MAP: &str = "plan_free:, plan_basic:member, plan_team:member, plan_pro:pro";

    #[test]
    fn without_a_map_the_claim_is_the_level_id() {
        let r = ClaimRules::default();
        let level = |v| r.level(&payload(v));
        assert_eq!(level(json!({"level": "pro"})), Ok(Some("pro".into())));
        assert_eq!(level(json!({})), Err(TokenError::Claim("level")));
        assert_eq!(level(json!({"level": ""})), Err(TokenError::Claim("level")));
        assert_eq!(
            level(json!({"level": ["pro"]})),
            Err(TokenError::Claim("level"))
        );
    }

    #[test]
    fn provider_plan_maps_to_its_level() {
        let r = rules(Some("plan"), Some(MAP));
        let level = |v| r.level(&payload(v));
        assert_eq!(level(json!({"plan": "plan_pro"})), Ok(Some("pro".into())));
        assert_eq!(
            level(json!({"plan": "plan_team"})),
            Ok(Some("member".into()))
        );
        assert_eq!(level(json!({"plan": "plan_free"})), Ok(None));
        // Unmapped, absent or null: a member without a level (the teaser), not an error.
        assert_eq!(level(json!({"plan": "plan_gold"})), Ok(None));
        assert_eq!(level(json!({})), Ok(None));
        assert_eq!(level(json!({"plan": null})), Ok(None));
        // The level id itself is not a plan id.
        assert_eq!(level(json!({"plan": "pro"})), Ok(None));
        assert_eq!(level(json!({"plan": 3})), Err(TokenError::Claim("level")));
        assert_eq!(
            level(json!({"plan": {"id": "plan_pro"}})),
            Err(TokenError::Claim("level"))
        );
    }

    #[test]
    fn plan_array_takes_the_highest_mapped_level() {
        let r = rules(Some("plans"), Some(MAP));
        let level = |v| r.level(&payload(v));
        assert_eq!(
            level(json!({"plans": ["plan_basic", "plan_pro", "plan_free"]})),
            Ok(Some("pro".into()))
        );
        assert_eq!(
            level(json!({"plans": ["plan_pro", "plan_basic"]})),
            Ok(Some("pro".into()))
        );
        assert_eq!(level(json!({"plans": ["x", "plan_free"]})), Ok(None));
        assert_eq!(level(json!({"plans": []})), Ok(None));
        assert_eq!(
            level(json!({"plans": ["plan_pro", 1]})),
            Err(TokenError::Claim("level"))
        );
        let many: Vec<String> = (0..=MAX_PLANS).map(|i| format!("p{i}")).collect();
        assert_eq!(
            level(json!({"plans": many})),
            Err(TokenError::Claim("level"))
        );
    }

    #[test]
    fn claim_name_exact_first_then_dotted_path() {
        let r = rules(Some("app_metadata.plan"), Some(MAP));
        assert_eq!(
            r.level(&payload(json!({"app_metadata": {"plan": "plan_pro"}}))),
            Ok(Some("pro".into()))
        );
        // An exact top-level name wins over the path.
        assert_eq!(
            r.level(&payload(json!({"app_metadata.plan": "plan_basic",
                                    "app_metadata": {"plan": "plan_pro"}}))),
            Ok(Some("member".into()))
        );
        assert_eq!(
            r.level(&payload(json!({"app_metadata": "plan_pro"}))),
            Ok(None)
        );

        let url = rules(Some("https://example.com/plan"), Some(MAP));
        assert_eq!(
            url.level(&payload(json!({"https://example.com/plan": "plan_pro"}))),
            Ok(Some("pro".into()))
        );
    }

    #[test]
    fn products_claim_array_or_space_separated() {
        let r = ClaimRules::parse(None, None, Some("https://example.com/courses")).unwrap();
        let products = |v| r.products(&payload(v));
        assert_eq!(
            products(json!({"https://example.com/courses": "rust  go rust"})),
            Ok(vec!["go".to_string(), "rust".to_string()])
        );
        assert_eq!(
            products(json!({"https://example.com/courses": ["b", "a"]})),
            Ok(vec!["a".to_string(), "b".to_string()])
        );
        assert_eq!(products(json!({})), Ok(vec![]));
        assert_eq!(
            products(json!({"https://example.com/courses": 1})),
            Err(TokenError::Claim("products"))
        );
        let many = (0..=MAX_PRODUCTS)
            .map(|i| format!("c{i}"))
            .collect::<Vec<_>>()
            .join(" ");
        assert_eq!(
            products(json!({"https://example.com/courses": many})),
            Err(TokenError::Claim("products"))
        );
        let nested = ClaimRules::parse(None, None, Some("meta.courses")).unwrap();
        assert_eq!(
            nested.products(&payload(json!({"meta": {"courses": ["x"]}}))),
            Ok(vec!["x".to_string()])
        );
    }

    #[test]
    fn bad_level_maps_are_refused_clearly() {
        let err = |map: &str| match ClaimRules::parse(None, Some(map), None) {
            Err(ConfigError::Provider(msg)) => msg,
            other => panic!("{map:?}: {other:?}"),
        };
        assert!(
            err("plan_pro").starts_with("LYCEUM_JWT_LEVEL_MAP entry #1: no `:`"),
            "{}",
            err("plan_pro")
        );
        assert!(err("a:pro,,b:member").contains("entry #2: no `:`"));
        assert!(err(":pro").contains("entry #1: empty plan id"));
        assert!(err("a:pro, a:member").contains("entry #2: plan id listed twice"));
        let long: Vec<String> = (0..=MAX_PLANS).map(|i| format!("p{i}:pro")).collect();
        assert!(err(&long.join(",")).contains("entry #65: too many plans"));
        assert!(err("x").contains("e.g. plan_free:,plan_pro:pro"));
        // A plan id may itself hold a colon (`role:pro`); the last one separates.
        let r = rules(Some("role"), Some("org:pro:pro"));
        assert_eq!(
            r.level(&payload(json!({"role": "org:pro"}))),
            Ok(Some("pro".into()))
        );
        // Blank means unset.
        assert_eq!(
            ClaimRules::parse(Some(" "), Some(""), None),
            Ok(ClaimRules::default())
        );
        assert!(matches!(
            ClaimRules::parse(Some("a..b"), None, None),
            Err(ConfigError::Provider(m)) if m.contains(ENV_LEVEL_CLAIM)
        ));
    }

    #[test]
    fn jwks_url_https_or_loopback_http() {
        for ok in [
            "https://example.com/.well-known/jwks.json",
            "HTTPS://tenant.auth0.com:443/x?y=1",
            "http://127.0.0.1:8787/jwks",
            "http://localhost/jwks",
            "http://[::1]:9/jwks",
        ] {
            assert_eq!(check_jwks_url(ok), Ok(()), "{ok}");
        }
        for bad in [
            "http://example.com/jwks",
            "http://127.0.0.1.example.com/jwks",
            "http://localhost@evil.example/jwks",
            "https://user:key@example.com/jwks",
            "ftp://example.com/jwks",
            "example.com/jwks",
            "https:///jwks",
            "https://:443/jwks",
            "https://exa mple.com/",
            "http://[::2]/jwks",
        ] {
            match check_jwks_url(bad) {
                Err(ConfigError::Provider(msg)) => {
                    assert!(
                        msg.starts_with("LYCEUM_JWT_JWKS_URL must be an https:// URL"),
                        "{bad}: {msg}"
                    );
                    assert!(
                        !msg.contains("key@") && !msg.contains("evil"),
                        "quotes the URL: {msg}"
                    );
                }
                other => panic!("{bad}: {other:?}"),
            }
        }
    }
}
