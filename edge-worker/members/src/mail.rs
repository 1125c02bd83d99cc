//! A sign-in mail, composed from the theme's templates: the adapters only deliver it
//! (the worker through its email binding or an HTTP API, `lyceum serve` to its
//! terminal and outbox folder).

use crate::http::CONFIRM_PATH;
use crate::signin::{Mail, MailKind};
use crate::site::{SiteMembers, CODE_SLOT, LINK_SLOT};

/// A message ready to hand to a mail service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub to: String,
    /// The sender's display name (the site's title).
    pub from_name: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// The mail for `mail`, its link on `origin` (`https://example.org`: the site the
/// reader asked on, as the platform routed the request).
pub fn compose(site: &SiteMembers, mail: &Mail, origin: &str) -> Message {
    let template = match mail.kind {
        MailKind::SignIn => &site.mail.signin,
        MailKind::SignUp => &site.mail.signup,
    };
    let link = format!(
        "{}{CONFIRM_PATH}?t={}",
        origin.trim_end_matches('/'),
        mail.link_secret
    );
    let fill =
        |text: &str, link: &str| text.replace(LINK_SLOT, link).replace(CODE_SLOT, &mail.code);
    Message {
        to: mail.to.clone(),
        from_name: one_line(&site.site_title),
        subject: one_line(&fill(&template.subject, &link)),
        text: fill(&template.text, &link),
        html: fill(&template.html, &escape_html(&link)),
    }
}

/// A header value: no line breaks (they would start a new header).
fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::site::{LevelName, MailTemplate, Mails};
    use crate::Signup;

    fn site() -> SiteMembers {
        let t = |s: &str| MailTemplate {
            subject: format!("{s} to Site\r\nBcc: x@y.io"),
            text: format!("{s}: {LINK_SLOT} code {CODE_SLOT}"),
            html: format!("<a href=\"{LINK_SLOT}\">{s}</a> <b>{CODE_SLOT}</b>"),
        };
        SiteMembers {
            products: Vec::new(),
            version: 1,
            signup: Signup::Open,
            free_level: None,
            levels: vec![LevelName {
                id: "member".into(),
                name: "Member".into(),
            }],
            link_minutes: 15,
            session_days: 30,
            token_minutes: 60,
            site_title: "Site\n".into(),
            mail: Mails {
                signin: t("Sign in"),
                signup: t("Welcome"),
            },
            prices: Default::default(),
            grace_days: 3,
            checkout: Default::default(),
            portal: None,
        }
    }

    #[test]
    fn slots_are_filled_and_headers_stay_one_line() {
        let mail = Mail {
            to: "ada@example.org".into(),
            kind: MailKind::SignUp,
            link_secret: "S".repeat(43),
            code: "123456".into(),
            expires_at: 0,
        };
        let m = compose(&site(), &mail, "https://h.example/");
        let link = format!("https://h.example/_lyceum/confirm?t={}", "S".repeat(43));
        assert_eq!(m.text, format!("Welcome: {link} code 123456"));
        assert_eq!(
            m.html,
            format!("<a href=\"{link}\">Welcome</a> <b>123456</b>")
        );
        assert_eq!(m.subject, "Welcome to Site  Bcc: x@y.io");
        assert_eq!(m.from_name, "Site ");
        let m = compose(
            &site(),
            &Mail {
                kind: MailKind::SignIn,
                ..mail
            },
            "http://a\"b",
        );
        assert!(m.text.starts_with("Sign in: http://a\"b/_lyceum"));
        assert!(m.html.starts_with("<a href=\"http://a&quot;b/_lyceum"));
    }
}
