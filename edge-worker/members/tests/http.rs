//! The member routes end to end over SQLite: requests in, answers and mails out, and the
//! session tokens checked by the gate's own verifier.

mod common;

use common::{run, NOW};
use gate::route::Reply;
use gate::{Settings as GateSettings, Verifier};
use members::http::{self, Answer, Outcome, Request, Settings};
use members::sqlite::Sqlite;
use members::{Policy, Signup};

const JWT_SECRET: &str = "a-test-secret-of-at-least-32-bytes!!";
const ADMIN: &str = "admin-secret-for-tests";

fn settings(signup: Signup) -> Settings {
    let mut policy = Policy::new(b"pepper".to_vec());
    policy.signup = signup;
    policy.levels = vec!["member".into(), "pro".into()];
    policy.free_level = Some("member".into());
    Settings {
        policy,
        jwt_secret: JWT_SECRET.as_bytes().to_vec(),
        token_ttl: 3600,
        admin_secret: Some(ADMIN.into()),
        level_names: vec![
            ("member".into(), "Member".into()),
            ("pro".into(), "Pro".into()),
        ],
        stripe_webhook_secret: None,
        checkout: Default::default(),
        portal: None,
    }
}

/// A same-site form POST from a browser.
fn post<'a>(path: &'a str, body: &'a str) -> Request<'a> {
    Request {
        method: "POST",
        path,
        host: Some("learn.example"),
        origin: Some("https://learn.example"),
        sec_fetch_site: Some("same-origin"),
        ip: "203.0.113.9",
        body: body.as_bytes(),
        ..Default::default()
    }
}

fn call(db: &Sqlite, s: &Settings, req: &Request<'_>, now: u64) -> Outcome {
    run(http::handle(db, s, req, now))
}

fn reply(o: &Outcome) -> &Reply {
    match &o.answer {
        Answer::Reply(r) => r,
        other => panic!("expected a reply, got {other:?}"),
    }
}

fn cookies(r: &Reply) -> Vec<&str> {
    r.headers
        .iter()
        .filter(|(k, _)| *k == "Set-Cookie")
        .map(|(_, v)| v.as_str())
        .collect()
}

fn cookie<'r>(r: &'r Reply, name: &str) -> Option<&'r str> {
    cookies(r).into_iter().find_map(|c| {
        c.strip_prefix(name)?
            .strip_prefix('=')?
            .split(';')
            .next()
            .filter(|v| !v.is_empty())
    })
}

fn verifier() -> Verifier {
    Verifier::from_settings(&GateSettings {
        secret: Some(JWT_SECRET.into()),
        ..Default::default()
    })
    .unwrap()
}

/// Sign up or in as `email` by link; the answer of the confirmation.
fn sign_in_by_link(db: &Sqlite, s: &Settings, email: &str, now: u64) -> Reply {
    let body = format!("email={email}&next=%2Fcourses%2Fx%2F");
    let asked = call(db, s, &post(http::SIGNIN_PATH, &body), now);
    let mail = asked.mail.expect("a mail");
    // The link opens the confirm page; the GET consumes nothing.
    let query = format!("t={}", mail.link_secret);
    let get = Request {
        method: "GET",
        path: http::CONFIRM_PATH,
        query: &query,
        ..Default::default()
    };
    let page = call(db, s, &get, now);
    assert_eq!(
        page.answer,
        Answer::Page {
            template: http::CONFIRM_TEMPLATE,
            secret: mail.link_secret.clone()
        }
    );
    let confirm = format!("t={}", mail.link_secret);
    reply(&call(db, s, &post(http::CONFIRM_PATH, &confirm), now + 5)).clone()
}

#[test]
fn a_newcomer_signs_up_by_link_and_gets_a_session_the_gate_accepts() {
    let (db, s) = (Sqlite::memory().unwrap(), settings(Signup::Open));
    let r = sign_in_by_link(&db, &s, "new%40example.org", NOW);
    assert_eq!((r.status, r.header("Location")), (303, Some("/courses/x/")));
    let token = cookie(&r, gate::session::COOKIE_NAME).expect("session token");
    let claims = verifier().verify_session(token, NOW + 10).unwrap();
    assert_eq!(claims.level.as_deref(), Some("member"));
    assert!(claims.exp <= NOW + 5 + 3600);
    assert!(cookie(&r, http::RENEW_COOKIE).is_some());
    assert_eq!(cookie(&r, gate::session::HINT_COOKIE_NAME), Some("1"));
    for c in cookies(&r) {
        assert!(c.contains("Secure") && c.contains("SameSite=Lax"), "{c}");
    }
    let renew = cookies(&r)
        .into_iter()
        .find(|c| c.starts_with(http::RENEW_COOKIE))
        .unwrap();
    assert!(renew.contains("HttpOnly"), "{renew}");
}

#[test]
fn the_sign_in_answer_is_the_same_for_members_and_strangers() {
    let (db, s) = (Sqlite::memory().unwrap(), settings(Signup::Invite));
    let body = "email=member%40x.io&next=%2F";
    let add = r#"{"email":"member@x.io","level":"pro"}"#;
    let mut req = post("/_lyceum/admin/members", add);
    let auth = format!("Bearer {ADMIN}");
    req.authorization = Some(&auth);
    assert_eq!(reply(&call(&db, &s, &req, NOW)).status, 201);
    let known = call(&db, &s, &post(http::SIGNIN_PATH, body), NOW);
    let unknown = call(
        &db,
        &s,
        &post(http::SIGNIN_PATH, "email=stranger%40x.io&next=%2F"),
        NOW,
    );
    assert!(known.mail.is_some() && unknown.mail.is_none());
    assert_eq!(
        known.answer, unknown.answer,
        "status, headers and body identical"
    );
    assert_eq!(reply(&known).header("Location"), Some(http::SENT_PAGE));
    assert!(!format!("{:?}", known.answer).contains("member@x.io"));
}

#[test]
fn cross_site_posts_change_nothing() {
    let (db, s) = (Sqlite::memory().unwrap(), settings(Signup::Open));
    let body = "email=victim%40x.io";
    let mut cross = post(http::SIGNIN_PATH, body);
    cross.sec_fetch_site = Some("cross-site");
    let mut foreign_origin = post(http::SIGNIN_PATH, body);
    foreign_origin.sec_fetch_site = None;
    foreign_origin.origin = Some("https://evil.example");
    let mut lookalike = foreign_origin;
    lookalike.origin = Some("https://learn.example.evil.example");
    let mut neither = foreign_origin;
    neither.origin = None;
    for req in [cross, foreign_origin, lookalike, neither] {
        let o = call(&db, &s, &req, NOW);
        assert_eq!(reply(&o).status, 403, "{req:?}");
        assert!(o.mail.is_none());
    }
    // The same request with a matching Origin (an older browser without Sec-Fetch-*).
    let mut old = post(http::SIGNIN_PATH, body);
    old.sec_fetch_site = None;
    assert!(call(&db, &s, &old, NOW).mail.is_some());
}

#[test]
fn state_changes_are_post_only() {
    let (db, s) = (Sqlite::memory().unwrap(), settings(Signup::Open));
    for path in [
        http::SIGNIN_PATH,
        http::CODE_PATH,
        http::SIGNOUT_PATH,
        http::ACCOUNT_DELETE_PATH,
    ] {
        let get = Request {
            method: "GET",
            path,
            query: "email=a%40x.io",
            ..Default::default()
        };
        let r = call(&db, &s, &get, NOW);
        assert_eq!(
            (reply(&r).status, reply(&r).header("Allow")),
            (405, Some("POST")),
            "{path}"
        );
    }
}

#[test]
fn a_used_link_and_a_made_up_one_land_on_the_invalid_page() {
    let (db, s) = (Sqlite::memory().unwrap(), settings(Signup::Open));
    let asked = call(&db, &s, &post(http::SIGNIN_PATH, "email=a%40x.io"), NOW);
    let t = format!("t={}", asked.mail.unwrap().link_secret);
    assert_eq!(
        reply(&call(&db, &s, &post(http::CONFIRM_PATH, &t), NOW)).status,
        303
    );
    let again = call(&db, &s, &post(http::CONFIRM_PATH, &t), NOW + 1);
    assert_eq!(reply(&again).header("Location"), Some(http::INVALID_PAGE));
    assert!(cookies(reply(&again)).is_empty());
    let made_up = call(&db, &s, &post(http::CONFIRM_PATH, "t=' OR 1=1 --"), NOW);
    assert_eq!(reply(&made_up).header("Location"), Some(http::INVALID_PAGE));
    // A confirm link whose secret is not a token never renders the page.
    let get = Request {
        method: "GET",
        path: http::CONFIRM_PATH,
        query: "t=%3Cscript%3E",
        ..Default::default()
    };
    assert_eq!(
        reply(&call(&db, &s, &get, NOW)).header("Location"),
        Some(http::INVALID_PAGE)
    );
}

#[test]
fn malformed_and_oversized_input_is_refused_without_echo() {
    let (db, s) = (Sqlite::memory().unwrap(), settings(Signup::Open));
    let crlf = call(
        &db,
        &s,
        &post(http::SIGNIN_PATH, "email=a%40x.io%0D%0ABcc%3A%20v%40y.io"),
        NOW,
    );
    assert!(crlf.mail.is_none());
    assert_eq!(
        reply(&crlf).header("Location"),
        Some("/signin/?error=email")
    );
    let big = format!("email={}", "a".repeat(10 * 1024));
    assert_eq!(
        reply(&call(&db, &s, &post(http::SIGNIN_PATH, &big), NOW)).status,
        413
    );
    let mut bytes = post(http::SIGNIN_PATH, "");
    bytes.body = b"email=\xff\xfe";
    assert_eq!(reply(&call(&db, &s, &bytes, NOW)).status, 400);
    let unicode = call(
        &db,
        &s,
        &post(
            http::SIGNIN_PATH,
            "email=%E8%AF%BB%E8%80%85%40%E4%BE%8B%E5%AD%90.%E4%B8%AD%E5%9B%BD",
        ),
        NOW,
    );
    assert_eq!(unicode.mail.unwrap().to, "读者@例子.中国");
}

#[test]
fn signing_out_ends_the_session_and_clears_every_cookie() {
    let (db, s) = (Sqlite::memory().unwrap(), settings(Signup::Open));
    let r = sign_in_by_link(&db, &s, "a%40x.io", NOW);
    let renew = cookie(&r, http::RENEW_COOKIE).unwrap().to_string();
    let jar = format!("{}={renew}", http::RENEW_COOKIE);
    let mut out = post(http::SIGNOUT_PATH, "");
    out.cookie = Some(&jar);
    let o = call(&db, &s, &out, NOW + 60);
    let cleared = cookies(reply(&o));
    assert_eq!(cleared.len(), 3);
    assert!(
        cleared.iter().all(|c| c.contains("Max-Age=0")),
        "{cleared:?}"
    );
    assert_eq!(
        run(members::session::renew(&db, &s.policy, &renew, NOW + 61)).unwrap(),
        None
    );
}

#[test]
fn the_admin_api_needs_the_right_secret_and_counts_wrong_ones() {
    let (db, s) = (Sqlite::memory().unwrap(), settings(Signup::Open));
    let list = |auth: Option<&str>, now| {
        let req = Request {
            method: "GET",
            path: "/_lyceum/admin/members",
            authorization: auth,
            ip: "198.51.100.1",
            ..Default::default()
        };
        reply(&call(&db, &s, &req, now)).status
    };
    assert_eq!(list(None, NOW), 401);
    assert_eq!(list(Some("Bearer wrong"), NOW), 401);
    assert_eq!(list(Some(&format!("Bearer {ADMIN}x")), NOW), 401);
    assert_eq!(list(Some(&format!("Basic {ADMIN}")), NOW), 401);
    assert_eq!(list(Some(&format!("Bearer {ADMIN}")), NOW), 200);
    for _ in 0..6 {
        assert_eq!(list(Some("Bearer wrong"), NOW), 401);
    }
    assert_eq!(
        list(Some("Bearer wrong"), NOW),
        429,
        "the 11th wrong secret is locked out"
    );
    // Disabled when no secret is configured.
    let mut off = settings(Signup::Open);
    off.admin_secret = None;
    let req = Request {
        method: "GET",
        path: "/_lyceum/admin/members",
        authorization: Some("Bearer "),
        ..Default::default()
    };
    assert_eq!(reply(&call(&db, &off, &req, NOW)).status, 404);
}

#[test]
fn a_level_lowered_by_the_admin_reaches_the_next_renewed_token() {
    let (db, s) = (Sqlite::memory().unwrap(), settings(Signup::Open));
    let auth = format!("Bearer {ADMIN}");
    let admin = |path: &'static str, body: &str| {
        let mut req = post(path, body);
        req.authorization = Some(&auth);
        reply(&call(&db, &s, &req, NOW)).clone()
    };
    assert_eq!(
        admin(
            "/_lyceum/admin/members",
            r#"{"email":"p@x.io","level":"pro"}"#
        )
        .status,
        201
    );
    assert_eq!(
        admin("/_lyceum/admin/members", r#"{"email":"p@x.io"}"#).status,
        409
    );
    assert_eq!(
        admin(
            "/_lyceum/admin/members",
            r#"{"email":"q@x.io","level":"gold"}"#
        )
        .status,
        400
    );
    let r = sign_in_by_link(&db, &s, "p%40x.io", NOW);
    let token = cookie(&r, gate::session::COOKIE_NAME).unwrap();
    assert_eq!(
        verifier().verify_session(token, NOW + 10).unwrap().level,
        Some("pro".into())
    );
    assert_eq!(
        admin(
            "/_lyceum/admin/member/level",
            r#"{"email":"p@x.io","level":"member"}"#
        )
        .status,
        200
    );
    let renew = cookie(&r, http::RENEW_COOKIE).unwrap();
    // The old token ends within the window; renewal gives the level in force now.
    let expired = verifier().verify_session(token, NOW + 3606);
    assert_eq!(expired, Err(gate::TokenError::Expired));
    let cookie_header = format!("{}={renew}", http::RENEW_COOKIE);
    let renewed = run(http::renew(&db, &s, Some(&cookie_header), NOW + 3601));
    assert_eq!(renewed.log, None);
    let token = renewed
        .cookie
        .strip_prefix(&format!("{}=", gate::session::COOKIE_NAME))
        .expect("the new session token");
    assert_eq!(
        verifier().verify_session(token, NOW + 3602).unwrap().level,
        Some("member".into())
    );
    assert_eq!(renewed.set_cookies.len(), 1);
    assert!(renewed.set_cookies[0].starts_with(&format!("{}={token};", gate::session::COOKIE_NAME)));
    assert_eq!(
        admin(
            "/_lyceum/admin/member/revoke-sessions",
            r#"{"email":"p@x.io"}"#
        )
        .body,
        "{\"revoked\":1}\n"
    );
    assert_eq!(
        run(members::session::renew(&db, &s.policy, renew, NOW + 3602)).unwrap(),
        None
    );
    // A revoked session's renewal signs the reader out: all three cookies cleared.
    let revoked = run(http::renew(&db, &s, Some(&cookie_header), NOW + 3602));
    assert_eq!(revoked.cookie, "");
    assert_eq!(revoked.set_cookies.len(), 3);
    assert!(revoked.set_cookies.iter().all(|c| c.contains("Max-Age=0")));
}

#[test]
fn a_member_downloads_their_data_and_deletes_their_account() {
    let (db, s) = (Sqlite::memory().unwrap(), settings(Signup::Open));
    let r = sign_in_by_link(&db, &s, "me%40x.io", NOW);
    let jar = format!(
        "{}={}",
        http::RENEW_COOKIE,
        cookie(&r, http::RENEW_COOKIE).unwrap()
    );
    let get = Request {
        method: "GET",
        path: http::ACCOUNT_DATA_PATH,
        cookie: Some(&jar),
        ..Default::default()
    };
    let data = call(&db, &s, &get, NOW + 1);
    assert_eq!(reply(&data).status, 200);
    assert!(reply(&data).body.contains("\"email\":\"me@x.io\""));
    let anon = Request {
        method: "GET",
        path: http::ACCOUNT_DATA_PATH,
        ..Default::default()
    };
    assert_eq!(reply(&call(&db, &s, &anon, NOW)).status, 401);
    let mut del = post(http::ACCOUNT_DELETE_PATH, "confirm=nope");
    del.cookie = Some(&jar);
    assert_eq!(reply(&call(&db, &s, &del, NOW + 2)).status, 400);
    del.body = b"confirm=delete";
    assert_eq!(reply(&call(&db, &s, &del, NOW + 3)).status, 303);
    assert_eq!(
        reply(&call(&db, &s, &get, NOW + 4)).status,
        401,
        "gone with the account"
    );
}

/// An unknown route under `/_lyceum/` answered 405 to a GET (as if it were a POST route),
/// which told a prober it existed; every unknown route is a plain 404, whatever the method.
#[test]
fn unknown_member_routes_answered_405() {
    let (db, s) = (Sqlite::memory().unwrap(), settings(Signup::Open));
    for method in ["GET", "POST", "HEAD", "DELETE"] {
        for path in ["/_lyceum/login", "/_lyceum/logout", "/_lyceum/sentinel-1"] {
            let req = Request {
                method,
                ..post(path, "")
            };
            assert_eq!(
                reply(&call(&db, &s, &req, NOW)).status,
                404,
                "{method} {path}"
            );
        }
    }
    let get = Request {
        method: "GET",
        ..post(http::SIGNIN_PATH, "")
    };
    assert_eq!(reply(&call(&db, &s, &get, NOW)).status, 405);
}
