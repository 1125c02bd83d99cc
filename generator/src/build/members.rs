//! The member layer's side of the build: the utility pages the member routes send a
//! reader to (`/signin/`, `/signin/sent/`, `/signin/invalid/`, `/signin/later/`,
//! `/account/`), the private confirm page the worker fills with a link's secret, and
//! `_gated/_lyceum/members.json` ([`members::site::SiteMembers`]): the settings of
//! `site.yaml`'s `members:` and the theme's sign-in mails, for the adapters.
//!
//! The URLs and bundle paths come from the `members` crate, so the routes and the pages
//! cannot drift apart. Nothing here reads a page: these outputs carry no gated text.

use crate::build::config::Config;
use members::http::{
    ACCOUNT_DATA_PATH, ACCOUNT_DELETE_PATH, ACCOUNT_SUMMARY_PATH, CODE_PATH, CONFIRM_PATH,
    CONFIRM_SLOT, CONFIRM_TEMPLATE, INVALID_PAGE, LATER_PAGE, SENT_PAGE, SIGNIN_PAGE, SIGNIN_PATH,
    SIGNOUT_PATH,
};
use members::site::{LevelName, MailTemplate, Mails, SiteMembers, CODE_SLOT, LINK_SLOT};
use serde::Serialize;

/// The member's account page (sign out, sign out everywhere, data, delete).
pub(crate) const ACCOUNT_PAGE: &str = "/account/";

/// The public utility pages: (URL, template). Each URL is reserved: a content page or
/// section there is a build error.
pub(crate) const PAGES: [(&str, &str); 5] = [
    (SIGNIN_PAGE, "members/signin.html"),
    (SENT_PAGE, "members/sent.html"),
    (INVALID_PAGE, "members/invalid.html"),
    (LATER_PAGE, "members/later.html"),
    (ACCOUNT_PAGE, "members/account.html"),
];

/// The confirm page: (bundle path, template). Private: the worker serves it only as the
/// answer to a link's GET, with [`CONFIRM_SLOT`] replaced by the link's secret.
pub(crate) const CONFIRM: (&str, &str) = (CONFIRM_TEMPLATE, "members/confirm.html");

/// The mail templates of one kind: `mail/<kind>-subject.txt`, `mail/<kind>.txt`,
/// `mail/<kind>.html`.
pub(crate) const MAIL_KINDS: [&str; 2] = ["signin", "signup"];

/// (subject, text, html) template names of a mail kind.
pub(crate) fn mail_templates(kind: &str) -> [String; 3] {
    [
        format!("mail/{kind}-subject.txt"),
        format!("mail/{kind}.txt"),
        format!("mail/{kind}.html"),
    ]
}

/// `members` in every template's context: the settings and where the forms post.
#[derive(Debug, Serialize)]
pub(crate) struct MembersView<'a> {
    /// `open`, `invite` or `closed`.
    signup: members::Signup,
    free_level: Option<&'a str>,
    free_level_name: Option<&'a str>,
    link_minutes: u64,
    session_days: u64,
    /// Stripe's customer portal, where members manage what they pay for, or null.
    portal: Option<&'a str>,
    /// The utility pages.
    urls: Urls,
    /// The member routes the forms post to (and the data download).
    actions: Actions,
    /// What the confirm page's hidden `t` field holds; the worker replaces it.
    confirm_slot: &'static str,
}

#[derive(Debug, Serialize)]
struct Urls {
    signin: &'static str,
    sent: &'static str,
    invalid: &'static str,
    later: &'static str,
    account: &'static str,
}

#[derive(Debug, Serialize)]
struct Actions {
    signin: &'static str,
    code: &'static str,
    confirm: &'static str,
    signout: &'static str,
    account_data: &'static str,
    account_delete: &'static str,
    /// The account page's data (JSON, for the script).
    account_summary: &'static str,
}

pub(crate) fn view(config: &Config) -> MembersView<'_> {
    let m = &config.members;
    let free = m
        .free_level
        .as_deref()
        .and_then(|id| config.levels.iter().find(|l| l.id == id));
    MembersView {
        signup: m.signup,
        free_level: free.map(|l| l.id.as_str()),
        free_level_name: free.map(|l| l.name.as_str()),
        link_minutes: m.link_minutes,
        session_days: m.session_days,
        portal: m.portal.as_deref(),
        urls: Urls {
            signin: SIGNIN_PAGE,
            sent: SENT_PAGE,
            invalid: INVALID_PAGE,
            later: LATER_PAGE,
            account: ACCOUNT_PAGE,
        },
        actions: Actions {
            signin: SIGNIN_PATH,
            code: CODE_PATH,
            confirm: CONFIRM_PATH,
            signout: SIGNOUT_PATH,
            account_data: ACCOUNT_DATA_PATH,
            account_delete: ACCOUNT_DELETE_PATH,
            account_summary: ACCOUNT_SUMMARY_PATH,
        },
        confirm_slot: CONFIRM_SLOT,
    }
}

/// `mail` in a mail template's context: the slots the adapters fill, and the lifetime.
#[derive(Debug, Serialize)]
pub(crate) struct MailView {
    /// `signin` or `signup`.
    pub kind: &'static str,
    /// Stands for the confirm link (an absolute URL).
    pub link: &'static str,
    /// Stands for the 6-digit code.
    pub code: &'static str,
    /// How long the link and the code are valid.
    pub minutes: u64,
}

impl MailView {
    pub(crate) fn new(kind: &'static str, minutes: u64) -> MailView {
        MailView {
            kind,
            link: LINK_SLOT,
            code: CODE_SLOT,
            minutes,
        }
    }
}

/// A rendered mail template: the subject on one line, the bodies as rendered.
pub(crate) fn mail(subject: &str, text: &str, html: &str) -> MailTemplate {
    MailTemplate {
        subject: subject.split_whitespace().collect::<Vec<_>>().join(" "),
        text: text.to_owned(),
        html: html.to_owned(),
    }
}

/// `members.json` for `config`, with its rendered mails.
pub(crate) fn site_members(config: &Config, signin: MailTemplate, signup: MailTemplate) -> String {
    let m = &config.members;
    let file = SiteMembers {
        version: members::site::VERSION,
        signup: m.signup,
        free_level: m.free_level.clone(),
        levels: config
            .levels
            .iter()
            .map(|l| LevelName {
                id: l.id.clone(),
                name: l.name.clone(),
            })
            .collect(),
        link_minutes: m.link_minutes,
        session_days: m.session_days,
        token_minutes: m.token_minutes,
        products: config.products.iter().map(|p| p.id.clone()).collect(),
        prices: config
            .levels
            .iter()
            .flat_map(|l| {
                l.stripe_prices.iter().map(|p| {
                    let grant = members::Grant {
                        level: Some(l.id.clone()),
                        product: None,
                    };
                    (p.clone(), grant)
                })
            })
            .chain(config.products.iter().flat_map(|product| {
                product.stripe_prices.iter().map(|p| {
                    let grant = members::Grant {
                        level: None,
                        product: Some(product.id.clone()),
                    };
                    (p.clone(), grant)
                })
            }))
            .collect(),
        grace_days: m.grace_days,
        checkout: config
            .levels
            .iter()
            .filter_map(|l| Some((l.id.clone(), l.link.clone()?)))
            .chain(
                config
                    .products
                    .iter()
                    .filter_map(|p| Some((p.id.clone(), p.link.clone()?))),
            )
            .collect(),
        portal: m.portal.clone(),
        site_title: config.title.clone(),
        mail: Mails { signin, signup },
    };
    let mut json = serde_json::to_string_pretty(&file).expect("plain data serializes");
    json.push('\n');
    json
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_member_template_is_in_the_theme_contract() {
        let ours: Vec<String> = PAGES
            .iter()
            .map(|(_, t)| t.to_string())
            .chain([CONFIRM.1.to_string()])
            .chain(MAIL_KINDS.iter().flat_map(|k| mail_templates(k)))
            .collect();
        let listed = &crate::build::render::TEMPLATES;
        for t in &ours {
            assert!(listed.contains(&t.as_str()), "{t} missing from TEMPLATES");
        }
        let member_listed = listed
            .iter()
            .filter(|t| t.starts_with("members/") || t.starts_with("mail/"))
            .count();
        assert_eq!(member_listed, ours.len());
    }
}
