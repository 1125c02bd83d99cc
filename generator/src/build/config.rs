//! Stage 1: `site.yaml`. Parsed strictly (unknown keys are errors), then validated in its
//! own pass, so a typo never silently changes what a site publishes.

use crate::diagnostic::{did_you_mean, Diagnostic};
use crate::yaml::{self, key_position};
use serde::{Deserialize, Deserializer};
use std::path::Path;

/// A Cloudflare Workers plan, as `plan:` in site.yaml names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Plan {
    /// The free plan (the default).
    #[default]
    Free,
    /// Workers Paid.
    Paid,
}

impl Plan {
    /// The names `plan:` accepts.
    pub(crate) const NAMES: &'static [&'static str] = &["free", "paid"];

    /// The plan a site.yaml value names.
    pub(crate) fn from_name(name: &str) -> Option<Plan> {
        match name {
            "free" => Some(Plan::Free),
            "paid" => Some(Plan::Paid),
            _ => None,
        }
    }

    /// The site.yaml name.
    pub fn name(self) -> &'static str {
        match self {
            Plan::Free => "free",
            Plan::Paid => "paid",
        }
    }
}

/// The site configuration file, relative to the site root.
pub const CONFIG_FILE: &str = "site.yaml";

const KEYS: &[&str] = &[
    "title", "base_url", "language", "theme", "plan", "paginate", "levels", "products", "members",
];
const LEVEL_KEYS: &[&str] = &["id", "name", "price", "benefits", "link", "stripe_prices"];
const PRODUCT_KEYS: &[&str] = &[
    "id",
    "name",
    "price",
    "description",
    "level",
    "link",
    "stripe_prices",
];
const MEMBER_KEYS: &[&str] = &[
    "signup",
    "free_level",
    "portal",
    "grace_days",
    "link_minutes",
    "session_days",
    "token_minutes",
];

/// `site.yaml`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Config {
    /// Site title.
    pub title: String,
    /// Absolute base URL, stored without a trailing slash (`""` when unset).
    #[serde(default)]
    pub base_url: String,
    /// Language for `<html lang>` and the feed.
    #[serde(default = "default_language")]
    pub language: String,
    /// Theme folder name under `themes/`; `default` falls back to the embedded theme.
    #[serde(default = "default_theme")]
    pub theme: String,
    /// The Cloudflare plan whose static-asset limits the bundle must fit (`free`, `paid`).
    #[serde(default = "default_plan")]
    pub plan: String,
    /// Pages listed per list page of a section: past it, `/s/page/2/`, `/s/page/3/`, …
    /// (so no page of a large site grows with its page count).
    #[serde(default = "default_paginate")]
    pub paginate: usize,
    /// Membership levels, lowest first.
    #[serde(default)]
    pub levels: Vec<Level>,
    /// Courses sold on their own (`product:` in front matter), in the order shown.
    #[serde(default)]
    pub products: Vec<Product>,
    /// Who may join and sign in by email, and the lifetimes of links and sessions.
    #[serde(default)]
    pub members: Members,
}

/// `members:`: the settings of sign-up and sign-in (written to the bundle's
/// `members.json`, [`members::site::SiteMembers`]).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Members {
    /// `open` (anyone may join), `invite` (only listed addresses) or `closed`.
    #[serde(default)]
    pub signup: members::Signup,
    /// The level a new free member gets (a level id), if any.
    #[serde(default)]
    pub free_level: Option<String>,
    /// Lifetime of a sign-in link and code.
    #[serde(default = "Members::default_link_minutes")]
    pub link_minutes: u64,
    /// Lifetime of a session.
    #[serde(default = "Members::default_session_days")]
    pub session_days: u64,
    /// Lifetime of a session token: how soon a level change or a sign-out everywhere applies.
    #[serde(default = "Members::default_token_minutes")]
    pub token_minutes: u64,
    /// Stripe's customer portal link, where members manage or cancel what they pay for.
    #[serde(default)]
    pub portal: Option<String>,
    /// Days a subscription whose payment failed (`past_due`) keeps its level.
    #[serde(default = "Members::default_grace_days")]
    pub grace_days: u64,
}

impl Members {
    /// The accepted ranges, for validation and error messages.
    pub(crate) const LINK_MINUTES: std::ops::RangeInclusive<u64> = 5..=60;
    pub(crate) const SESSION_DAYS: std::ops::RangeInclusive<u64> = 1..=365;
    pub(crate) const TOKEN_MINUTES: std::ops::RangeInclusive<u64> = 1..=60;
    pub(crate) const GRACE_DAYS: std::ops::RangeInclusive<u64> = 0..=30;

    fn default_link_minutes() -> u64 {
        15
    }
    fn default_session_days() -> u64 {
        30
    }
    fn default_token_minutes() -> u64 {
        60
    }
    fn default_grace_days() -> u64 {
        3
    }
}

impl Default for Members {
    fn default() -> Members {
        Members {
            signup: members::Signup::default(),
            free_level: None,
            link_minutes: Members::default_link_minutes(),
            session_days: Members::default_session_days(),
            token_minutes: Members::default_token_minutes(),
            portal: None,
            grace_days: Members::default_grace_days(),
        }
    }
}

/// One membership level.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Level {
    /// Id used in front matter `level:` and in the manifest.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Display price, verbatim (`9` and `"€9 / month"` both work).
    #[serde(default, deserialize_with = "price")]
    pub price: Option<String>,
    /// What a member of this level gets.
    #[serde(default)]
    pub benefits: Vec<String>,
    /// The Stripe Payment Link that sells this level (`https://buy.stripe.com/…`); the
    /// membership page and paywalls send readers there through `/_lyceum/checkout/<id>`.
    #[serde(default)]
    pub link: Option<String>,
    /// The Stripe price ids (`price_…`) and Payment Link ids (`plink_…`) whose payments
    /// grant this level: the webhook maps a subscription's price to its level with them.
    #[serde(default)]
    pub stripe_prices: Vec<String>,
}

/// A product: a course sold on its own. Its pages (front matter `product: <id>`, on the
/// pages or on their section's `_index.md`) open to its buyers whatever their level, and
/// to members of `level` and above when it is set.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Product {
    /// Id used in front matter `product:`, the manifest and `/_lyceum/checkout/<id>`.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Display price, verbatim.
    #[serde(default, deserialize_with = "price")]
    pub price: Option<String>,
    /// One line on what the course is, for the paywall and the membership page.
    #[serde(default)]
    pub description: Option<String>,
    /// The lowest level whose members read it without buying; `None`: only buyers.
    #[serde(default)]
    pub level: Option<String>,
    /// The Stripe Payment Link that sells it.
    #[serde(default)]
    pub link: Option<String>,
    /// The Stripe price and Payment Link ids whose payments grant it.
    #[serde(default)]
    pub stripe_prices: Vec<String>,
}

fn default_language() -> String {
    "en".into()
}

fn default_theme() -> String {
    "default".into()
}

fn default_plan() -> String {
    Plan::Free.name().into()
}

fn price<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    use serde::de::Error;
    Ok(match Option::<yaml::Value>::deserialize(d)? {
        None | Some(yaml::Value::Null) => None,
        Some(yaml::Value::String(s)) => Some(s),
        Some(yaml::Value::Number(n)) => Some(n.to_string()),
        Some(_) => return Err(D::Error::custom("`price` must be a string or a number")),
    })
}

/// Pages per list page when site.yaml does not say: a long archive stays a few tens of
/// KB a page, and a section of 100,000 pages is 1,000 list pages, not one of 55 MiB.
pub(crate) const DEFAULT_PAGINATE: usize = 100;

/// The accepted `paginate` values.
pub(crate) const PAGINATE: std::ops::RangeInclusive<usize> = 1..=1000;

fn default_paginate() -> usize {
    DEFAULT_PAGINATE
}

impl Config {
    /// The plan `plan:` names (validated on load, so never unknown here).
    pub(crate) fn plan(&self) -> Plan {
        Plan::from_name(&self.plan).unwrap_or_default()
    }

    /// Rank of a level id (0 = lowest).
    pub(crate) fn rank(&self, level: &str) -> Option<usize> {
        self.levels.iter().position(|l| l.id == level)
    }

    /// The product of an id.
    pub(crate) fn product(&self, id: &str) -> Option<&Product> {
        self.products.iter().find(|p| p.id == id)
    }

    /// Product ids as a readable list for error messages.
    pub(crate) fn product_list(&self) -> String {
        if self.products.is_empty() {
            return "site.yaml defines no products (add them under `products:`)".into();
        }
        let ids: Vec<String> = self
            .products
            .iter()
            .map(|p| format!("`{}`", p.id))
            .collect();
        format!("valid products: {}", ids.join(", "))
    }

    /// Level ids, lowest first, as a readable list for error messages.
    pub(crate) fn level_list(&self) -> String {
        if self.levels.is_empty() {
            return "site.yaml defines no levels, so every page must be public (remove `level`)"
                .into();
        }
        let ids: Vec<String> = self.levels.iter().map(|l| format!("`{}`", l.id)).collect();
        format!("valid levels (lowest first): {}", ids.join(", "))
    }
}

/// Read and validate `<root>/site.yaml`.
pub(crate) fn load(root: &Path) -> Result<Config, Vec<Diagnostic>> {
    let path = root.join(CONFIG_FILE);
    let source = std::fs::read_to_string(&path).map_err(|e| {
        vec![Diagnostic::file(
            CONFIG_FILE,
            format!("cannot read `{}`: {e}", path.display()),
        )
        .with_help("run `lyceum build` in a site root, or pass `--root DIR`")]
    })?;
    parse(&source)
}

/// Parse and validate the text of a `site.yaml` (pure).
pub(crate) fn parse(source: &str) -> Result<Config, Vec<Diagnostic>> {
    let mut config: Config = yaml::from_str(source).map_err(|e| {
        let d = yaml::diagnostic(CONFIG_FILE, source, 1, &e);
        vec![match yaml::unknown_field(&e) {
            Some(key) => with_key_help(d, &key),
            None => d,
        }]
    })?;
    validate(&config, source)?;
    config.base_url = config.base_url.trim_end_matches('/').to_owned();
    Ok(config)
}

/// "did you mean" plus the valid keys, for an unknown key in `site.yaml`.
fn with_key_help(d: Diagnostic, key: &str) -> Diagnostic {
    // serde names the expected fields of the struct it was in; pick the list that matches.
    let valid = if d.message.contains("`description`") {
        PRODUCT_KEYS
    } else if d.message.contains("`id`") {
        LEVEL_KEYS
    } else if d.message.contains("`signup`") {
        MEMBER_KEYS
    } else {
        KEYS
    };
    let list: Vec<String> = valid.iter().map(|k| format!("`{k}`")).collect();
    let help = match did_you_mean(key, valid) {
        Some(k) => format!("did you mean `{k}`? valid keys: {}", list.join(", ")),
        None => format!("valid keys: {}", list.join(", ")),
    };
    Diagnostic {
        message: format!("unknown key `{key}`"),
        ..d
    }
    .with_help(help)
}

fn validate(config: &Config, source: &str) -> Result<(), Vec<Diagnostic>> {
    let mut errors = Vec::new();
    let levels = config.levels.iter().map(|l| l.id.as_str());
    let products = config.products.iter().map(|p| p.id.as_str());
    for (kind, ids, at) in [
        ("level", levels.collect::<Vec<_>>(), Section::Levels),
        ("product", products.collect(), Section::Products),
    ] {
        for (i, id) in ids.iter().enumerate() {
            let (line, col) = at.position(source, "id", id, i);
            let problem = if id.is_empty()
                || !id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                Some((
                    format!("invalid {kind} id `{id}`"),
                    format!("{kind} ids use ASCII letters, digits, `-` and `_`"),
                ))
            } else if ids[..i].contains(id) {
                Some((
                    format!("duplicate {kind} id `{id}`"),
                    format!("each {kind} needs its own id"),
                ))
            } else if kind == "product" && config.rank(id).is_some() {
                Some((
                    format!("product id `{id}` is also a level id"),
                    "levels and products share `/_lyceum/checkout/<id>`: give the product another id".into(),
                ))
            } else {
                None
            };
            if let Some((message, help)) = problem {
                errors
                    .push(Diagnostic::at(CONFIG_FILE, source, line, col, message).with_help(help));
            }
        }
    }
    for (i, product) in config.products.iter().enumerate() {
        // A one-off checkout names its Payment Link, never its price (Stripe sends no
        // line items in the event), so only a `plink_…` id can grant the product.
        if let Some(link) = &product.link {
            if !product
                .stripe_prices
                .iter()
                .any(|p| p.starts_with("plink_"))
            {
                let (line, col) = Section::Products.position(source, "link", link, i);
                errors.push(
                    Diagnostic::at(
                        CONFIG_FILE,
                        source,
                        line,
                        col,
                        format!(
                            "product `{}` is sold by a Payment Link but `stripe_prices` names no `plink_…` id",
                            product.id
                        ),
                    )
                    .with_help("a purchase's webhook names only its Payment Link: add the link's id (Stripe Dashboard → Payment Links → the link, `plink_…`) to `stripe_prices`"),
                );
            }
        }
        if let Some(level) = &product.level {
            if config.rank(level).is_none() {
                let (line, col) = Section::Products.position(source, "level", level, i);
                errors.push(
                    Diagnostic::at(
                        CONFIG_FILE,
                        source,
                        line,
                        col,
                        format!("product `{}`: unknown level `{level}`", product.id),
                    )
                    .with_help(config.level_list()),
                );
            }
        }
    }
    if !config.base_url.is_empty()
        && !config.base_url.starts_with("https://")
        && !config.base_url.starts_with("http://")
    {
        let (line, col) = key_position(source, "base_url", &config.base_url, 0);
        errors.push(
            Diagnostic::at(
                CONFIG_FILE,
                source,
                line,
                col,
                format!("`base_url` `{}` is not absolute", config.base_url),
            )
            .with_help("use a full URL such as `https://example.com`"),
        );
    }
    if Plan::from_name(&config.plan).is_none() {
        let (line, col) = key_position(source, "plan", &config.plan, 0);
        let valid: Vec<String> = Plan::NAMES.iter().map(|n| format!("`{n}`")).collect();
        let help = match did_you_mean(&config.plan, Plan::NAMES) {
            Some(n) => format!("did you mean `{n}`? valid plans: {}", valid.join(", ")),
            None => format!("valid plans: {}", valid.join(", ")),
        };
        errors.push(
            Diagnostic::at(
                CONFIG_FILE,
                source,
                line,
                col,
                format!("unknown plan `{}`", config.plan),
            )
            .with_help(help),
        );
    }
    if !PAGINATE.contains(&config.paginate) {
        let (line, col) = key_position(source, "paginate", &config.paginate.to_string(), 0);
        errors.push(
            Diagnostic::at(
                CONFIG_FILE,
                source,
                line,
                col,
                format!("`paginate` {} is out of range", config.paginate),
            )
            .with_help(format!(
                "list {} to {} pages per list page",
                PAGINATE.start(),
                PAGINATE.end()
            )),
        );
    }
    errors.extend(validate_members(config, source));
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// `members:`: a declared free level, lifetimes in range.
fn validate_members(config: &Config, source: &str) -> Vec<Diagnostic> {
    let m = &config.members;
    let mut errors = Vec::new();
    if let Some(free) = &m.free_level {
        if config.rank(free).is_none() {
            let (line, col) = key_position(source, "free_level", free, 0);
            let ids: Vec<&str> = config.levels.iter().map(|l| l.id.as_str()).collect();
            let help = match did_you_mean(free, &ids) {
                Some(id) => format!("did you mean `{id}`? {}", config.level_list()),
                None => config.level_list(),
            };
            errors.push(
                Diagnostic::at(
                    CONFIG_FILE,
                    source,
                    line,
                    col,
                    format!("`members.free_level` `{free}` is not a level of this site"),
                )
                .with_help(help),
            );
        }
    }
    for (key, value, range, unit) in [
        (
            "link_minutes",
            m.link_minutes,
            Members::LINK_MINUTES,
            "minutes",
        ),
        (
            "session_days",
            m.session_days,
            Members::SESSION_DAYS,
            "days",
        ),
        (
            "token_minutes",
            m.token_minutes,
            Members::TOKEN_MINUTES,
            "minutes",
        ),
        ("grace_days", m.grace_days, Members::GRACE_DAYS, "days"),
    ] {
        if !range.contains(&value) {
            let (line, col) = key_position(source, key, &value.to_string(), 0);
            errors.push(
                Diagnostic::at(
                    CONFIG_FILE,
                    source,
                    line,
                    col,
                    format!("`members.{key}` {value} is out of range"),
                )
                .with_help(format!(
                    "use {} to {} {unit}",
                    range.start(),
                    range.end()
                )),
            );
        }
    }
    let links = sellers(config)
        .filter_map(|(at, _, link, _)| Some((at, "link", link?)))
        .chain(m.portal.as_deref().map(|p| (Section::Top, "portal", p)));
    for (at, key, url) in links {
        if !url.starts_with("https://") || url.contains(char::is_whitespace) {
            let (line, col) = at.position(source, key, url, 0);
            errors.push(
                Diagnostic::at(
                    CONFIG_FILE,
                    source,
                    line,
                    col,
                    format!("`{key}` `{url}` is not an https URL"),
                )
                .with_help("paste the link Stripe shows, e.g. https://buy.stripe.com/…"),
            );
        }
    }
    let mut seen = std::collections::BTreeMap::new();
    for (at, id, _, prices) in sellers(config) {
        for price in prices {
            let (line, col) = at.position(source, "stripe_prices", price, 0);
            let problem = if !(price.starts_with("price_") || price.starts_with("plink_")) {
                Some(format!(
                    "`{price}` is not a Stripe price or Payment Link id"
                ))
            } else {
                seen.insert(price.as_str(), id)
                    .map(|other| format!("`{price}` already sells `{other}`"))
            };
            if let Some(problem) = problem {
                errors.push(
                    Diagnostic::at(CONFIG_FILE, source, line, col, problem).with_help(
                        "list each `price_…` (or `plink_…`) under the one level or product it sells",
                    ),
                );
            }
        }
    }
    errors
}

/// What is sold, levels then products: (where it is written, id, Payment Link, prices).
fn sellers(config: &Config) -> impl Iterator<Item = (Section, &str, Option<&str>, &[String])> + '_ {
    let levels = config.levels.iter().map(|l| {
        let at = Section::Levels;
        (
            at,
            l.id.as_str(),
            l.link.as_deref(),
            l.stripe_prices.as_slice(),
        )
    });
    let products = config.products.iter().map(|p| {
        let at = Section::Products;
        (
            at,
            p.id.as_str(),
            p.link.as_deref(),
            p.stripe_prices.as_slice(),
        )
    });
    levels.chain(products)
}

/// Where in `site.yaml` to look for a key, so that a product's `id` or `link` is not
/// placed on a level's.
#[derive(Debug, Clone, Copy)]
enum Section {
    Top,
    Levels,
    Products,
}

impl Section {
    /// [`key_position`] within this section of `source`.
    fn position(self, source: &str, key: &str, value: &str, nth: usize) -> (usize, usize) {
        let name = match self {
            Section::Top => return key_position(source, key, value, nth),
            Section::Levels => "levels:",
            Section::Products => "products:",
        };
        let skip = source
            .lines()
            .position(|l| l.starts_with(name))
            .unwrap_or(0);
        let rest: String = source
            .lines()
            .skip(skip)
            .map(|l| format!("{l}\n"))
            .collect();
        let (line, col) = key_position(&rest, key, value, nth);
        (line + skip, col)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stripe_links_and_prices_of_levels_and_the_portal() {
        let c = parse("title: T\nlevels:\n  - id: pro\n    name: P\n    link: https://buy.stripe.com/test_pro\n    stripe_prices: [price_1, plink_2]\nmembers:\n  portal: https://billing.stripe.com/p/login/x\n  grace_days: 7\n").unwrap();
        assert_eq!(
            c.levels[0].link.as_deref(),
            Some("https://buy.stripe.com/test_pro")
        );
        assert_eq!(c.levels[0].stripe_prices, ["price_1", "plink_2"]);
        assert_eq!(
            (c.members.portal.is_some(), c.members.grace_days),
            (true, 7)
        );
        for (bad, says) in [
            ("levels: [{id: pro, name: P, link: 'http://buy.stripe.com/x'}]", "is not an https URL"),
            ("levels: [{id: pro, name: P, stripe_prices: [prod_1]}]", "is not a Stripe price"),
            ("levels: [{id: a, name: A, stripe_prices: [price_1]}, {id: b, name: B, stripe_prices: [price_1]}]", "already sells `a`"),
            ("members: {grace_days: 31}", "out of range"),
        ] {
            let e = parse(&format!("title: T\n{bad}\n")).unwrap_err();
            assert!(e.iter().any(|d| d.message.contains(says)), "{bad}: {e:?}");
        }
    }

    #[test]
    fn products_parse_and_their_mistakes_are_placed_in_the_products_list() {
        let yaml = "title: T\nlevels:\n  - {id: pro, name: P, stripe_prices: [price_p]}\nproducts:\n  - id: rust\n    name: Rust\n    price: 49\n    level: pro\n    link: https://buy.stripe.com/test_rust\n    stripe_prices: [plink_r]\n";
        let c = parse(yaml).unwrap();
        let p = c.product("rust").unwrap();
        assert_eq!(
            (
                p.price.as_deref(),
                p.level.as_deref(),
                p.stripe_prices.as_slice()
            ),
            (Some("49"), Some("pro"), ["plink_r".to_string()].as_slice())
        );
        let cases = [
            (
                "products: [{id: 'a b', name: A}]",
                (3, 18),
                "invalid product id `a b`",
            ),
            (
                "products:\n  - {id: a, name: A}\n  - {id: a, name: B}",
                (5, 10),
                "duplicate product id `a`",
            ),
            (
                "products: [{id: pro, name: A}]",
                (3, 17),
                "product id `pro` is also a level id",
            ),
            (
                "products: [{id: a, name: A, level: gold}]",
                (3, 36),
                "product `a`: unknown level `gold`",
            ),
            (
                "products: [{id: a, name: A, stripe_prices: [price_p]}]",
                (3, 45),
                "`price_p` already sells `pro`",
            ),
            (
                "products: [{id: a, name: A, link: 'ftp://x'}]",
                (3, 36),
                "`link` `ftp://x` is not an https URL",
            ),
        ];
        for (bad, at, says) in cases {
            let src = format!(
                "title: T\nlevels: [{{id: pro, name: P, stripe_prices: [price_p]}}]\n{bad}\n"
            );
            let e = parse(&src).unwrap_err();
            let d = e
                .iter()
                .find(|d| d.message == says)
                .unwrap_or_else(|| panic!("{bad}: {e:?}"));
            assert_eq!((d.line, d.col), at, "{bad}: {d:?}");
        }
        let e = parse("title: T\nproducts: [{id: a, name: A, prise: 3}]\n").unwrap_err();
        assert!(
            e[0].help
                .as_deref()
                .unwrap()
                .starts_with("did you mean `price`?"),
            "{e:?}"
        );
    }

    #[test]
    fn paginate_defaults_to_100_and_is_checked() {
        assert_eq!(parse("title: T\n").unwrap().paginate, DEFAULT_PAGINATE);
        assert_eq!(parse("title: T\npaginate: 20\n").unwrap().paginate, 20);
        for bad in ["0", "1001"] {
            let e = parse(&format!("title: T\npaginate: {bad}\n")).unwrap_err();
            assert_eq!(e[0].message, format!("`paginate` {bad} is out of range"));
            assert_eq!((e[0].line, e[0].col), (2, 11), "{}", e[0]);
            assert_eq!(
                e[0].help.as_deref(),
                Some("list 1 to 1000 pages per list page")
            );
        }
    }

    #[test]
    fn parses_levels_and_normalises() {
        let c = parse("title: T\nbase_url: https://x.org/\nlevels:\n  - {id: member, name: M, price: 5}\n  - id: pro\n    name: P\n    price: \"€9\"\n    benefits: [a]\n").unwrap();
        assert_eq!(c.base_url, "https://x.org");
        assert_eq!((c.language.as_str(), c.theme.as_str()), ("en", "default"));
        assert_eq!(c.levels[0].price.as_deref(), Some("5"));
        assert_eq!(c.levels[1].price.as_deref(), Some("€9"));
        assert_eq!(c.rank("pro"), Some(1));
        assert!(parse("title: T\nlevels: []\n").unwrap().levels.is_empty());
        assert_eq!(c.plan(), Plan::Free);
        assert_eq!(parse("title: T\nplan: paid\n").unwrap().plan(), Plan::Paid);
    }

    #[test]
    fn unknown_keys_suggest_the_closest() {
        let e = parse("title: T\nbase_ulr: x\n").unwrap_err();
        assert_eq!(
            (e[0].line, e[0].col, e[0].message.as_str()),
            (2, 1, "unknown key `base_ulr`")
        );
        assert!(e[0]
            .help
            .as_deref()
            .unwrap()
            .starts_with("did you mean `base_url`?"));
        let e = parse("title: T\nlevels:\n  - id: a\n    nmae: A\n").unwrap_err();
        assert!(
            e[0].help
                .as_deref()
                .unwrap()
                .starts_with("did you mean `name`?"),
            "{:?}",
            e[0]
        );
    }

    #[test]
    fn unknown_plan_lists_the_valid_ones() {
        let e = parse("title: T\nplan: pro\n").unwrap_err();
        assert_eq!(
            (e[0].line, e[0].col, e[0].message.as_str()),
            (2, 7, "unknown plan `pro`")
        );
        assert_eq!(e[0].help.as_deref(), Some("valid plans: `free`, `paid`"));
    }

    #[test]
    fn validation_reports_every_problem() {
        let e = parse("title: T\nbase_url: example.com\nlevels:\n  - {id: a, name: A}\n  - {id: a, name: B}\n  - {id: 'b c', name: C}\n").unwrap_err();
        let messages: Vec<&str> = e.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "duplicate level id `a`",
                "invalid level id `b c`",
                "`base_url` `example.com` is not absolute"
            ]
        );
        assert_eq!((e[0].line, e[0].col), (5, 10));
    }

    #[test]
    fn members_defaults_when_absent() {
        let c = parse("title: T\n").unwrap();
        assert_eq!(c.members, Members::default());
        assert_eq!(c.members.signup, members::Signup::Open);
        assert_eq!(
            (
                c.members.link_minutes,
                c.members.session_days,
                c.members.token_minutes
            ),
            (15, 30, 60)
        );
        let c = parse("title: T\nlevels: [{id: member, name: M}]\nmembers:\n  signup: invite\n  free_level: member\n  link_minutes: 5\n  session_days: 365\n  token_minutes: 1\n").unwrap();
        assert_eq!(c.members.signup, members::Signup::Invite);
        assert_eq!(c.members.free_level.as_deref(), Some("member"));
        assert_eq!(
            (
                c.members.link_minutes,
                c.members.session_days,
                c.members.token_minutes
            ),
            (5, 365, 1)
        );
    }

    #[test]
    fn members_free_level_must_be_a_declared_level() {
        let e = parse("title: T\nlevels: [{id: member, name: M}, {id: pro, name: P}]\nmembers:\n  free_level: membr\n").unwrap_err();
        assert_eq!(
            (e[0].line, e[0].col, e[0].message.as_str()),
            (
                4,
                15,
                "`members.free_level` `membr` is not a level of this site"
            )
        );
        assert_eq!(
            e[0].help.as_deref(),
            Some("did you mean `member`? valid levels (lowest first): `member`, `pro`")
        );
        let e = parse("title: T\nmembers: {free_level: member}\n").unwrap_err();
        assert!(
            e[0].help.as_deref().unwrap().contains("defines no levels"),
            "{:?}",
            e[0]
        );
    }

    #[test]
    fn members_lifetimes_out_of_range_are_refused() {
        let e = parse(
            "title: T\nmembers:\n  link_minutes: 4\n  session_days: 366\n  token_minutes: 61\n",
        )
        .unwrap_err();
        let got: Vec<(usize, usize, &str, &str)> = e
            .iter()
            .map(|d| {
                (
                    d.line,
                    d.col,
                    d.message.as_str(),
                    d.help.as_deref().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (
                    3,
                    17,
                    "`members.link_minutes` 4 is out of range",
                    "use 5 to 60 minutes"
                ),
                (
                    4,
                    17,
                    "`members.session_days` 366 is out of range",
                    "use 1 to 365 days"
                ),
                (
                    5,
                    18,
                    "`members.token_minutes` 61 is out of range",
                    "use 1 to 60 minutes"
                ),
            ]
        );
        assert!(parse("title: T\nmembers: {token_minutes: 0}\n").is_err());
    }

    #[test]
    fn members_unknown_keys_and_values_are_refused_with_a_position() {
        let e = parse("title: T\nmembers:\n  sigup: open\n").unwrap_err();
        assert_eq!(
            (e[0].line, e[0].col, e[0].message.as_str()),
            (3, 3, "unknown key `sigup`")
        );
        assert!(
            e[0].help
                .as_deref()
                .unwrap()
                .starts_with("did you mean `signup`? valid keys: `signup`, `free_level`"),
            "{:?}",
            e[0]
        );
        let e = parse("title: T\nmembers:\n  signup: public\n").unwrap_err();
        assert_eq!((e[0].line, e[0].col), (3, 11), "{:?}", e[0]);
        assert!(
            e[0].message.contains("`open`, `invite`, `closed`"),
            "{:?}",
            e[0]
        );
    }
}
