//! The member layer on a real `lyceum serve` process (issue 11): sign-up and sign-in by
//! email with the mail read from `.lyceum/outbox/`, sessions and their renewal, the
//! safety rules of the member routes over HTTP, the admin API and `lyceum members`.
//! Each test runs its own serve on a copy of `tests/fixtures/site` whose new members
//! get the `member` level.

mod common;
use common::serve::*;

use std::path::Path;
use std::process::Command;

const MEMBER_URL: &str = "/essays/member-essay/";
const MEMBER_CANARY: &str = "CANARY-BODY-7f3a";
const TEASER: &str = "OPEN-TEASER-1b2c";
const SESSION: &str = "__Host-lyceum_session";
const RENEW: &str = "__Host-lyceum_renew";
const SECRET: &str = "a-real-production-secret-of-at-least-32-bytes";
const ADMIN: &str = "test-admin-secret-4711";

fn members_serve() -> Serve {
    serve_site(&[], &[], |site| add_to_site_yaml(site, FREE_MEMBERS))
}

/// With known JWT and admin secrets (to mint expired session tokens, to call the API).
fn members_serve_with_secrets() -> Serve {
    serve_site(
        &[],
        &[
            ("LYCEUM_JWT_SECRET", SECRET),
            ("LYCEUM_ADMIN_SECRET", ADMIN),
        ],
        |site| add_to_site_yaml(site, FREE_MEMBERS),
    )
}

fn get_with(s: &Serve, path: &str, cookie: &str) -> Resp {
    request(&s.origin, "GET", path, &[("Cookie", cookie)])
}

fn is_member_page(r: &Resp) -> bool {
    r.status == 200 && r.body.contains(MEMBER_CANARY)
}

fn is_teaser(r: &Resp) -> bool {
    r.status == 200 && r.body.contains(TEASER) && !r.body.contains(MEMBER_CANARY)
}

/// Run a members flow future that completes at once (the SQLite store).
fn block_on<F: std::future::Future>(fut: F) -> F::Output {
    let mut fut = std::pin::pin!(fut);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
            return v;
        }
    }
}

/// Run one statement on the serve's members database (a second connection).
fn sql(s: &Serve, stmt: members::Stmt) -> Vec<members::Row> {
    use members::Store as _;
    let db = members::sqlite::Sqlite::open(&s.site.path().join(".lyceum/members.sqlite")).unwrap();
    block_on(db.query(stmt)).unwrap()
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// The claims of a JWT, unverified.
fn claims(token: &str) -> serde_json::Value {
    use base64::Engine as _;
    let payload = token.split('.').nth(1).unwrap();
    let json = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    serde_json::from_slice(&json).unwrap()
}

/// The whole newcomer journey of the README on serve, with no token minted by hand.
#[test]
fn newcomer_signs_up_by_email_reads_a_member_page_and_signs_out() {
    let s = members_serve();
    assert!(is_teaser(&get(&s, MEMBER_URL)), "anonymous: the teaser");
    assert_eq!(get(&s, "/signin/").status, 200, "the theme's sign-in page");

    let r = post_form(
        &s,
        "/_lyceum/signin",
        &format!("email=Ada%40Example.org&next={}", form(MEMBER_URL)),
        &[],
    );
    assert_eq!(
        (r.status, r.header("Location")),
        (303, Some("/signin/sent/"))
    );
    assert!(r.set_cookies().is_empty());
    let mail = wait_mail(&s, 1);
    assert_eq!(mail.to, "ada@example.org");
    assert!(
        mail.link.starts_with("/_lyceum/confirm?t="),
        "{}",
        mail.link
    );
    assert!(
        mail.text.contains(&format!("{}{}", s.origin, mail.link)),
        "the link names the serve: {}",
        mail.text
    );
    let txt = std::fs::read_to_string(mail.file.with_extension("txt")).unwrap();
    assert!(
        txt.contains(&mail.link) && txt.contains(&mail.code),
        "{txt}"
    );
    let eml = std::fs::read_to_string(&mail.file).unwrap();
    assert!(eml.contains("MIME-Version: 1.0\r\n") && eml.contains("text/html"));

    // A scanner's GET consumes nothing: twice the confirm page, no cookie.
    let secret = mail.link.split_once("t=").unwrap().1;
    for _ in 0..2 {
        let page = get(&s, &mail.link);
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(
            page.body.contains(&format!("value=\"{secret}\"")),
            "{}",
            page.body
        );
        assert!(
            page.body.contains("action=\"&#x2F;_lyceum&#x2F;confirm\"")
                || page.body.contains("/_lyceum/confirm")
        );
        assert!(page.set_cookies().is_empty());
        assert_eq!(page.header("Cache-Control"), Some("no-store"));
        assert_eq!(page.header("Referrer-Policy"), Some("no-referrer"));
    }
    let r = post_form(&s, "/_lyceum/confirm", &format!("t={secret}"), &[]);
    assert_eq!((r.status, r.header("Location")), (303, Some(MEMBER_URL)));
    for name in [SESSION, RENEW] {
        let c = r
            .set_cookies()
            .into_iter()
            .find(|c| c.starts_with(&format!("{name}=")))
            .unwrap_or_else(|| panic!("no {name}: {:?}", r.headers));
        for attr in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/"] {
            assert!(c.split("; ").any(|a| a == attr), "{name} lacks {attr}: {c}");
        }
        assert!(
            !c.contains("Domain="),
            "__Host- cookies carry no Domain: {c}"
        );
    }
    let jar = r.jar();
    assert!(is_member_page(&get_with(&s, MEMBER_URL, &jar)), "signed in");
    let me = get_with(&s, "/_lyceum/me", &jar);
    assert!(me.body.contains("\"level\":\"member\""), "{}", me.body);
    // The account page's data: the member's own, private, and nobody else's.
    let account = get_with(&s, "/_lyceum/account/summary", &jar);
    assert_eq!(account.status, 200, "{}", account.body);
    assert_eq!(account.header("Cache-Control"), Some("no-store"));
    let summary: serde_json::Value = serde_json::from_str(&account.body).unwrap();
    assert_eq!(
        (&summary["email"], &summary["level"], &summary["history"]),
        (
            &serde_json::json!("ada@example.org"),
            &serde_json::json!("member"),
            &serde_json::json!([])
        )
    );
    assert_eq!(get(&s, "/_lyceum/account/summary").status, 401);

    let out = post_form(&s, "/_lyceum/signout", "", &[("Cookie", &jar)]);
    assert_eq!((out.status, out.header("Location")), (303, Some("/")));
    let cleared: Vec<&str> = out.set_cookies();
    for name in [SESSION, RENEW] {
        assert!(
            cleared
                .iter()
                .any(|c| c.starts_with(&format!("{name}=;")) && c.contains("Max-Age=0")),
            "{name} not cleared: {cleared:?}"
        );
    }
    // The browser drops the cleared cookies: the teaser. The renewal secret is dead too.
    assert!(is_teaser(&get(&s, MEMBER_URL)));
    let renew_only = format!("{RENEW}={}", r.cookie(RENEW).unwrap());
    assert!(is_teaser(&get_with(&s, MEMBER_URL, &renew_only)));
}

/// A link works once: a second confirmation (another tab, a forwarded mail) is refused.
#[test]
fn a_used_confirm_link_signed_in_again() {
    let s = members_serve();
    let (first, mail) = sign_in(&s, "ada@example.org", 1, "/");
    assert!(first.cookie(SESSION).is_some());
    let secret = mail.link.split_once("t=").unwrap().1;
    let again = post_form(&s, "/_lyceum/confirm", &format!("t={secret}"), &[]);
    assert_eq!(
        (again.status, again.header("Location")),
        (303, Some("/signin/invalid/"))
    );
    assert!(again.set_cookies().is_empty());
    // The code of the same mail is spent with it.
    let code = post_form(
        &s,
        "/_lyceum/code",
        &format!("email=ada%40example.org&code={}", mail.code),
        &[],
    );
    assert_eq!(code.header("Location"), Some("/signin/invalid/"));
}

/// A link and a code past their time are refused. The clock is the server's; the
/// request's expiry is moved into the past in the database (as 15 minutes of waiting
/// would), nothing else is touched.
#[test]
fn an_expired_link_or_code_signed_in() {
    let s = members_serve();
    for (n, email) in [(1, "link@example.org"), (2, "code@example.org")] {
        let r = post_form(
            &s,
            "/_lyceum/signin",
            &format!("email={}", form(email)),
            &[],
        );
        assert_eq!(r.status, 303);
        let mail = wait_mail(&s, n);
        let moved = sql(
            &s,
            members::stmt!(
                "UPDATE signin_tokens SET expires_at = ?2 WHERE email = ?1 RETURNING id",
                email,
                now() - 1
            ),
        );
        assert_eq!(moved.len(), 1);
        let r = if n == 1 {
            let secret = mail.link.split_once("t=").unwrap().1;
            post_form(&s, "/_lyceum/confirm", &format!("t={secret}"), &[])
        } else {
            let body = format!("email={}&code={}", form(email), mail.code);
            post_form(&s, "/_lyceum/code", &body, &[])
        };
        assert_eq!(
            (r.status, r.header("Location")),
            (303, Some("/signin/invalid/")),
            "{email}"
        );
        assert!(r.set_cookies().is_empty(), "{email}");
    }
}

/// The code path works (a phone's mail app opened the link elsewhere), and locks after
/// five wrong tries: the sixth is refused even with the right code.
#[test]
fn a_sixth_code_try_was_accepted() {
    let s = members_serve();
    let ok = post_form(&s, "/_lyceum/signin", "email=phone%40example.org", &[]);
    assert_eq!(ok.status, 303);
    let mail = wait_mail(&s, 1);
    let r = post_form(
        &s,
        "/_lyceum/code",
        &format!("email=phone%40example.org&code={}", mail.code),
        &[],
    );
    assert_eq!(r.status, 303);
    assert!(
        is_member_page(&get_with(&s, MEMBER_URL, &r.jar())),
        "the code signs in"
    );

    post_form(&s, "/_lyceum/signin", "email=guess%40example.org", &[]);
    let mail = wait_mail(&s, 2);
    let wrong = if mail.code == "000000" {
        "111111"
    } else {
        "000000"
    };
    for i in 1..=5 {
        let body = format!("email=guess%40example.org&code={wrong}");
        let r = post_form(&s, "/_lyceum/code", &body, &[]);
        assert_eq!(r.header("Location"), Some("/signin/invalid/"), "try {i}");
    }
    let body = format!("email=guess%40example.org&code={}", mail.code);
    let r = post_form(&s, "/_lyceum/code", &body, &[]);
    assert_eq!(r.header("Location"), Some("/signin/invalid/"), "locked");
    assert!(r.set_cookies().is_empty());
}

/// The answer to the sign-in form is the same for a member and a stranger: status,
/// headers (but `Date`) and body.
#[test]
fn sign_in_answer_told_members_from_strangers() {
    let s = members_serve();
    sign_in(&s, "known@example.org", 1, "/");
    let answer = |email: &str| {
        let r = post_form(
            &s,
            "/_lyceum/signin",
            &format!("email={}", form(email)),
            &[],
        );
        let headers: Vec<(String, String)> = r
            .headers
            .iter()
            .filter(|(k, _)| !k.eq_ignore_ascii_case("Date"))
            .cloned()
            .collect();
        (r.status, headers, r.body)
    };
    let known = answer("known@example.org");
    let unknown = answer("stranger@example.org");
    assert_eq!(known, unknown);
    assert_eq!(known.0, 303);
    // Both got their mail (a sign-in and a sign-up), and nothing on the wire said which.
    wait_mail(&s, 3);
}

/// Every state-changing POST from another site is refused: a foreign `Origin`,
/// `Sec-Fetch-Site: cross-site`, or neither header; no mail goes out.
#[test]
fn cross_site_posts_were_accepted() {
    let s = members_serve();
    let (signed_in, _) = sign_in(&s, "ada@example.org", 1, "/");
    let jar = signed_in.jar();
    let form_type = "application/x-www-form-urlencoded";
    let foreign: [&[(&str, &str)]; 4] = [
        &[("Origin", "https://evil.example")],
        &[("Origin", "http://127.0.0.1.evil.example")],
        &[
            ("Sec-Fetch-Site", "cross-site"),
            ("Origin", s.origin.as_str()),
        ],
        &[],
    ];
    for headers in foreign {
        let r = post_raw(
            &s,
            "/_lyceum/signin",
            b"email=victim%40example.org",
            form_type,
            headers,
        );
        assert_eq!(r.status, 403, "{headers:?}: {}", r.body);
        assert!(!r.body.contains("victim"));
        let mut with_cookie = headers.to_vec();
        with_cookie.push(("Cookie", &jar));
        let r = post_raw(
            &s,
            "/_lyceum/signout",
            b"everywhere=1",
            form_type,
            &with_cookie,
        );
        assert_eq!(r.status, 403, "{headers:?}");
        assert!(r.set_cookies().is_empty());
    }
    assert!(
        is_member_page(&get_with(&s, MEMBER_URL, &jar)),
        "still signed in"
    );
    assert_eq!(mail_files(&s).len(), 1, "no mail for a refused POST");
    // A same-origin fetch without `Origin` but with `Sec-Fetch-Site` passes.
    let r = post_raw(
        &s,
        "/_lyceum/signin",
        b"email=ok%40example.org",
        form_type,
        &[("Sec-Fetch-Site", "same-origin")],
    );
    assert_eq!(r.status, 303);
}

/// A body over the limit is refused with 413 before it is read: by its declared length,
/// or as it streams in; the server goes on answering.
#[test]
fn oversized_member_bodies_are_read_whole() {
    let s = members_serve();
    let big = format!("email={}", "a".repeat(11 * 1024));
    let r = post_form(&s, "/_lyceum/signin", &big, &[]);
    assert_eq!(r.status, 413, "{}", r.body);
    // A length of 100 GB is declared, 10 bytes sent: answered at once.
    let hostport = s.origin.trim_start_matches("http://");
    let raw = format!(
        "POST /_lyceum/signin HTTP/1.1\r\nHost: {hostport}\r\nOrigin: {}\r\nContent-Length: 100000000000\r\nConnection: close\r\n\r\nemail=a%40",
        s.origin
    );
    let r = send(&s.origin, raw.as_bytes());
    assert_eq!(r.status, 413);
    // The import route takes more (an admin's CSV), up to its own limit.
    let csv = format!("email\n{}", "x@example.org\n".repeat(2000));
    let r = post_raw(
        &s,
        "/_lyceum/admin/members/import",
        csv.as_bytes(),
        "text/csv",
        &[],
    );
    assert_eq!(
        r.status, 401,
        "read and refused for its secret, not its size"
    );
    assert_eq!(get(&s, "/").status, 200, "still serving");
}

/// Malformed addresses never reach a mail header or the answer: CR/LF, 10 KB, and a
/// unicode address (accepted as typed, RFC 6531).
#[test]
fn malformed_emails_reached_mail_headers() {
    let s = members_serve();
    for bad in [
        "ada@example.org\r\nBcc: victim@example.org",
        "ada@example.org\nSubject: hi",
        &format!("{}@example.org", "a".repeat(9000)),
        "not an address",
        "",
    ] {
        let r = post_form(&s, "/_lyceum/signin", &format!("email={}", form(bad)), &[]);
        assert_eq!(
            (r.status, r.header("Location")),
            (303, Some("/signin/?error=email")),
            "{:?}",
            &bad[..bad.len().min(40)]
        );
        assert!(r.body.is_empty());
    }
    assert!(mail_files(&s).is_empty(), "no mail for a malformed address");
    let r = post_form(
        &s,
        "/_lyceum/signin",
        &format!("email={}", form("Zoë@bücher.example")),
        &[],
    );
    assert_eq!(r.header("Location"), Some("/signin/sent/"));
    let mail = wait_mail(&s, 1);
    assert_eq!(mail.to, "zoë@bücher.example");
    let eml = std::fs::read_to_string(&mail.file).unwrap();
    let head = eml.split("\r\n\r\n").next().unwrap();
    assert!(!head.contains("Bcc") && head.lines().all(|l| !l.contains('\n')));
}

/// SQL metacharacters in an address and in admin fields are data: stored and shown as
/// typed, and the tables are intact.
#[test]
fn sql_metacharacters_in_member_fields_ran_as_sql() {
    let s = members_serve_with_secrets();
    let email = "o'brien--@example.org";
    let (r, _) = sign_in(&s, email, 1, "/");
    assert!(r.cookie(SESSION).is_some());
    let name = "Robert'); DROP TABLE members;--";
    let body = serde_json::json!({"email": "x'or'1'='1@example.org", "name": name}).to_string();
    let r = admin_post(&s, "members", &body);
    assert_eq!(r.status, 201, "{}", r.body);
    let list = admin_get(&s, "members");
    assert_eq!(list.status, 200);
    let v: serde_json::Value = serde_json::from_str(&list.body).unwrap();
    let emails: Vec<&str> = v["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["email"].as_str().unwrap())
        .collect();
    assert_eq!(emails, [email, "x'or'1'='1@example.org"]);
    assert!(list.body.contains("Robert'); DROP TABLE members;--"));
    let r = admin_get(
        &s,
        &format!("member?email={}", form("' OR 1=1 --@example.org")),
    );
    assert_eq!(r.status, 400, "{}", r.body);
}

/// An expired session token with a live renewal secret: the page opens and a new
/// session token is set (the level as it is now). Revoked by the admin: the teaser, and
/// the cookies cleared.
#[test]
fn expired_session_tokens_were_not_renewed_and_revoked_sessions_kept_reading() {
    let s = members_serve_with_secrets();
    let (r, _) = sign_in(&s, "ada@example.org", 1, "/");
    let token = r.cookie(SESSION).unwrap();
    let renew = r.cookie(RENEW).unwrap();
    let c = claims(&token);
    let expired = gate::sign::session_token(
        SECRET.as_bytes(),
        &gate::sign::SessionClaims {
            products: &[],
            sub: c["sub"].as_str().unwrap(),
            level: Some("member"),
            sid: c["sid"].as_str().unwrap(),
            iat: now() - 7200,
            exp: now() - 3600,
        },
    )
    .unwrap();
    let only_expired = format!("{SESSION}={expired}");
    assert!(
        is_teaser(&get_with(&s, MEMBER_URL, &only_expired)),
        "expired alone: anonymous"
    );

    let jar = format!("{SESSION}={expired}; {RENEW}={renew}");
    let r = get_with(&s, MEMBER_URL, &jar);
    assert!(is_member_page(&r), "renewed: {}", r.status);
    let fresh = r.cookie(SESSION).expect("a new session token");
    assert!(claims(&fresh)["exp"].as_u64().unwrap() > now());
    assert!(r.set_cookies()[0].contains("HttpOnly"));
    assert!(is_member_page(&get_with(
        &s,
        MEMBER_URL,
        &format!("{SESSION}={fresh}")
    )));

    // The admin lowers the level: the next renewal carries none.
    assert_eq!(
        admin_post(
            &s,
            "member/level",
            r#"{"email":"ada@example.org","level":null}"#
        )
        .status,
        200
    );
    let r = get_with(&s, MEMBER_URL, &jar);
    assert!(is_teaser(&r), "level removed at renewal");
    assert!(claims(&r.cookie(SESSION).unwrap()).get("level").is_none());

    // Revoked: the teaser, and the session's cookies cleared.
    let r = admin_post(
        &s,
        "member/revoke-sessions",
        r#"{"email":"ada@example.org"}"#,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("\"revoked\":1"), "{}", r.body);
    let r = get_with(&s, MEMBER_URL, &jar);
    assert!(is_teaser(&r));
    let set = r.set_cookies();
    assert!(
        set.iter().any(|c| c.starts_with(&format!("{RENEW}=;"))),
        "{set:?}"
    );
    assert!(
        set.iter().any(|c| c.starts_with(&format!("{SESSION}=;"))),
        "{set:?}"
    );
}

fn admin_get(s: &Serve, path: &str) -> Resp {
    let auth = format!("Bearer {ADMIN}");
    request(
        &s.origin,
        "GET",
        &format!("/_lyceum/admin/{path}"),
        &[("Authorization", &auth)],
    )
}

fn admin_post(s: &Serve, path: &str, json: &str) -> Resp {
    let auth = format!("Bearer {ADMIN}");
    post_raw(
        s,
        &format!("/_lyceum/admin/{path}"),
        json.as_bytes(),
        "application/json",
        &[("Authorization", &auth)],
    )
}

/// The admin API wants the admin secret: none or a wrong one is 401 (and says
/// nothing), the right one answers. From the environment, serve writes no file.
#[test]
fn admin_api_answered_without_the_right_secret() {
    let s = members_serve_with_secrets();
    assert!(
        !s.site.path().join(".lyceum/admin-secret").exists(),
        "no file with LYCEUM_ADMIN_SECRET"
    );
    for auth in [
        None,
        Some("Bearer wrong"),
        Some("Bearer "),
        Some(ADMIN),
        Some("Basic dGVzdA=="),
    ] {
        let headers: Vec<(&str, &str)> = auth.map(|a| ("Authorization", a)).into_iter().collect();
        let r = request(&s.origin, "GET", "/_lyceum/admin/members", &headers);
        assert_eq!(r.status, 401, "{auth:?}");
        assert!(!r.body.contains("members") && !r.body.contains(ADMIN));
    }
    let r = admin_get(&s, "members");
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body.trim(), r#"{"members":[]}"#);
    assert_eq!(r.header("Cache-Control"), Some("no-store"));
}

/// `lyceum members` against serve: the secret from `.lyceum/admin-secret`, every
/// subcommand, and an export imported into another site.
#[test]
fn members_cli_end_to_end_against_serve() {
    let s = members_serve();
    let secret_file = s.site.path().join(".lyceum/admin-secret");
    assert!(secret_file.is_file());
    let cli = |args: &[&str]| cli_at(&s, s.site.path(), args);

    let out = cli(&[
        "add",
        "ada@example.org",
        "--name",
        "Ada Lovelace",
        "--level",
        "pro",
        "--until",
        "2030-01-01",
        "--note",
        "founder",
    ]);
    assert!(out.0, "{}", out.2);
    assert!(
        out.1
            .contains("added ada@example.org (level pro until 2030-01-01)"),
        "{}",
        out.1
    );
    let out = cli(&["add", "ada@example.org"]);
    assert!(!out.0 && out.2.contains("exists already"), "{}", out.2);
    let out = cli(&["add", "bo@example.org", "--level", "gold"]);
    assert!(
        !out.0 && out.2.contains("unknown level `gold`"),
        "{}",
        out.2
    );
    assert!(cli(&["add", "bo@example.org"]).0);

    let out = cli(&["set-level", "bo@example.org", "member"]);
    assert!(out.0 && out.1.contains("level member"), "{}", out.1);
    let out = cli(&["show", "ada@example.org"]);
    assert!(out.0, "{}", out.2);
    for want in [
        "ada@example.org",
        "Ada Lovelace",
        "pro",
        "2030-01-01",
        "founder",
        "admin",
    ] {
        assert!(out.1.contains(want), "{want}: {}", out.1);
    }
    let out = cli(&["list"]);
    let lines: Vec<&str> = out.1.lines().collect();
    assert!(lines[0].starts_with("EMAIL"), "{}", out.1);
    assert_eq!(lines.len(), 3, "{}", out.1);
    let out = cli(&["list", "--level", "member", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&out.1).unwrap();
    assert_eq!(v["members"][0]["email"], "bo@example.org");
    assert_eq!(v["members"].as_array().unwrap().len(), 1);

    // A member signs in; revoke-sessions ends their session.
    let (r, _) = sign_in(&s, "bo@example.org", 1, "/");
    let out = cli(&["revoke-sessions", "bo@example.org"]);
    assert!(out.0 && out.1.contains("revoked 1 session"), "{}", out.1);
    let renew_only = format!("{RENEW}={}", r.cookie(RENEW).unwrap());
    assert!(is_teaser(&get_with(&s, MEMBER_URL, &renew_only)));

    let csv = s.site.path().join("members.csv");
    let out = cli(&["export", "-o", csv.to_str().unwrap()]);
    assert!(out.0, "{}", out.2);
    let text = std::fs::read_to_string(&csv).unwrap();
    assert!(
        text.starts_with("id,email,name,note,level,level_until"),
        "{text}"
    );
    assert_eq!(text.lines().count(), 3);

    let out = cli(&["remove", "ada@example.org"]);
    assert!(
        out.0 && out.1.contains("removed ada@example.org"),
        "{}",
        out.1
    );
    let out = cli(&["show", "ada@example.org"]);
    assert!(
        !out.0 && out.2.contains("no member with that email address"),
        "{}",
        out.2
    );

    // The export imports into another site as it was.
    let other = members_serve();
    let out = cli_at(
        &other,
        other.site.path(),
        &["import", csv.to_str().unwrap()],
    );
    assert!(
        out.0 && out.1.contains("2 created, 0 updated, 0 skipped"),
        "{} {}",
        out.1,
        out.2
    );
    let out = cli_at(
        &other,
        other.site.path(),
        &["show", "ada@example.org", "--json"],
    );
    let v: serde_json::Value = serde_json::from_str(&out.1).unwrap();
    assert_eq!(
        (v["level"].as_str(), v["name"].as_str(), v["note"].as_str()),
        (Some("pro"), Some("Ada Lovelace"), Some("founder"))
    );

    // A wrong secret, and no admin API at all, say what to check and never the secret.
    let (ok, _, err) = cli_env(&s, s.site.path(), &["list"], Some("not-the-secret"));
    assert!(
        !ok && err.contains("refused the secret") && !err.contains("not-the-secret"),
        "{err}"
    );
    let empty = tempfile::tempdir().unwrap();
    let (ok, _, err) = cli_env(&s, empty.path(), &["list"], None);
    assert!(!ok && err.contains("no admin secret"), "{err}");
}

/// `(success, stdout, stderr)` of `lyceum members <args> --url <serve> --root <root>`.
fn cli_at(s: &Serve, root: &Path, args: &[&str]) -> (bool, String, String) {
    cli_env(s, root, args, None)
}

fn cli_env(s: &Serve, root: &Path, args: &[&str], secret: Option<&str>) -> (bool, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_lyceum"));
    cmd.arg("members")
        .args(args)
        .args(["--url", &s.origin, "--root"])
        .arg(root)
        .env_remove("LYCEUM_ADMIN_SECRET");
    if let Some(secret) = secret {
        cmd.env("LYCEUM_ADMIN_SECRET", secret);
    }
    let out = cmd.output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Members and their sessions survive a restart of serve (the database is in the site's
/// `.lyceum/`), and a rebuild re-reads the settings.
#[test]
fn members_were_lost_on_restart() {
    let s = serve_site(&[], &[("LYCEUM_JWT_SECRET", SECRET)], |site| {
        add_to_site_yaml(site, FREE_MEMBERS)
    });
    let (r, _) = sign_in(&s, "ada@example.org", 1, "/");
    let renew = r.cookie(RENEW).unwrap();
    let site = s.site.path().to_path_buf();
    let keep = tempfile::tempdir().unwrap();
    copy_dir(&site.join(".lyceum"), &keep.path().join(".lyceum"));
    drop(s);
    let s = serve_site(&[], &[("LYCEUM_JWT_SECRET", SECRET)], |new| {
        add_to_site_yaml(new, FREE_MEMBERS);
        copy_dir(&keep.path().join(".lyceum"), &new.join(".lyceum"));
    });
    let r = get_with(&s, MEMBER_URL, &format!("{RENEW}={renew}"));
    assert!(is_member_page(&r), "the session of the last run renews");
}
