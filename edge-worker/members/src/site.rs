//! What `lyceum build` tells the adapters about a site's members:
//! `_gated/_lyceum/members.json` in the bundle (private, like the manifest), read once
//! by the worker from its assets and by `lyceum serve` from its build. The build
//! writes it from `site.yaml`'s `members:` section and the theme's mail templates, so
//! the worker needs no copy of `site.yaml` and both adapters run the same settings.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::http::Settings;
use crate::{secret, Grant, Policy, Signup};

/// The bundle file.
pub const MEMBERS_FILE: &str = "_gated/_lyceum/members.json";
/// Where a mail template puts the confirm link (an absolute URL).
pub const LINK_SLOT: &str = "__LYCEUM_LINK__";
/// Where a mail template puts the 6-digit code.
pub const CODE_SLOT: &str = "__LYCEUM_CODE__";

/// The file's version; an adapter refuses any other.
pub const VERSION: u32 = 1;

/// `_gated/_lyceum/members.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteMembers {
    pub version: u32,
    pub signup: Signup,
    /// The level a new free member gets, if any.
    pub free_level: Option<String>,
    /// The site's levels, lowest first.
    pub levels: Vec<LevelName>,
    /// Lifetime of a sign-in link and code.
    pub link_minutes: u64,
    /// Lifetime of a session (its renewal secret).
    pub session_days: u64,
    /// Lifetime of a session token: how long a level change or revocation may take to
    /// apply (at most 60).
    pub token_minutes: u64,
    /// The site's title (the mail's sender name).
    pub site_title: String,
    pub mail: Mails,
    /// The site's product ids (courses sold on their own).
    #[serde(default)]
    pub products: Vec<String>,
    /// Stripe price id (or payment link id, `plink_…`) → the level and/or product it
    /// sells. Absent in files from before payments.
    #[serde(default)]
    pub prices: BTreeMap<String, Grant>,
    /// Days a `past_due` subscription keeps its level (and an active one past its paid
    /// period, when the renewal's webhook is late or lost).
    #[serde(default = "default_grace_days")]
    pub grace_days: u64,
    /// Level or product id → the Stripe Payment Link that sells it.
    #[serde(default)]
    pub checkout: BTreeMap<String, String>,
    /// The Stripe billing-portal link, for members to manage or cancel.
    #[serde(default)]
    pub portal: Option<String>,
}

fn default_grace_days() -> u64 {
    3
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LevelName {
    pub id: String,
    pub name: String,
}

/// The sign-in mails, rendered by the theme in the site's language, with
/// [`LINK_SLOT`] and [`CODE_SLOT`] where the secrets go.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mails {
    /// To a member.
    pub signin: MailTemplate,
    /// To a new address, when sign-up is open.
    pub signup: MailTemplate,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailTemplate {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Why the file cannot be used. Logged; the member routes then answer "try later".
#[derive(Debug, thiserror::Error)]
pub enum SiteError {
    #[error("not valid: {0}")]
    Json(#[from] serde_json::Error),
    #[error("version {0} is not {VERSION}: rebuild the site with this lyceum")]
    Version(u32),
    #[error("free_level {0:?} is not one of the levels")]
    FreeLevel(String),
    #[error("price {price:?} sells level {level:?}, which is not one of the levels")]
    PriceLevel { price: String, level: String },
    #[error("price {price:?} sells product {product:?}, which is not one of the products")]
    PriceProduct { price: String, product: String },
}

impl SiteMembers {
    pub fn from_json(text: &str) -> Result<SiteMembers, SiteError> {
        let site: SiteMembers = serde_json::from_str(text)?;
        if site.version != VERSION {
            return Err(SiteError::Version(site.version));
        }
        if let Some(free) = &site.free_level {
            if !site.levels.iter().any(|l| &l.id == free) {
                return Err(SiteError::FreeLevel(free.clone()));
            }
        }
        for (price, grant) in &site.prices {
            if let Some(level) = &grant.level {
                if !site.levels.iter().any(|l| &l.id == level) {
                    return Err(SiteError::PriceLevel {
                        price: price.clone(),
                        level: level.clone(),
                    });
                }
            }
            if let Some(product) = &grant.product {
                if !site.products.contains(product) {
                    return Err(SiteError::PriceProduct {
                        price: price.clone(),
                        product: product.clone(),
                    });
                }
            }
        }
        Ok(site)
    }

    /// The member routes' settings: these, the server's `LYCEUM_JWT_SECRET` (which
    /// signs session tokens and, through a keyed hash, peppers the stored hashes) and
    /// the admin secret (`None` disables the admin API). The adapter sets
    /// `stripe_webhook_secret` from its environment (`None` disables the webhook).
    pub fn settings(&self, jwt_secret: &[u8], admin_secret: Option<String>) -> Settings {
        let pepper = secret::keyed_hash(jwt_secret, &["lyceum members pepper"]);
        let mut policy = Policy::new(pepper.into_bytes());
        policy.signup = self.signup;
        policy.levels = self.levels.iter().map(|l| l.id.clone()).collect();
        policy.free_level = self.free_level.clone();
        policy.link_ttl = self.link_minutes.max(1) * 60;
        policy.session_ttl = self.session_days.max(1) * 86_400;
        policy.prices = self.prices.clone();
        policy.products = self.products.clone();
        policy.grace = self.grace_days * 86_400;
        Settings {
            policy,
            jwt_secret: jwt_secret.to_vec(),
            token_ttl: self.token_minutes.clamp(1, 60) * 60,
            admin_secret: admin_secret.filter(|s| !s.trim().is_empty()),
            level_names: self
                .levels
                .iter()
                .map(|l| (l.id.clone(), l.name.clone()))
                .collect(),
            stripe_webhook_secret: None,
            checkout: self.checkout.clone(),
            portal: self.portal.clone(),
        }
    }
}
