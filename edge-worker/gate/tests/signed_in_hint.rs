//! The signed-in hint: the theme's script used to ask `/_lyceum/me` on every page view,
//! so every anonymous reader's console showed a 401. Login now also sets a readable
//! `lyceum_signed_in=1` cookie with the session's lifetime, logout clears it, and the
//! script asks `/_lyceum/me` only when it is there (tests/browser/ checks that side).

use gate::route::{route, Outcome, Reply, Request};
use gate::session::{clear_cookie, session_cookie, HINT_COOKIE_NAME};
use gate::{Claims, Manifest, Settings, Verifier};

const NOW: u64 = 1_700_000_000;
const SECRET: &str = "test-only-secret-0123456789abcdef-xyz";

fn answer(url: &str) -> Reply {
    let verifier = Verifier::from_settings(&Settings {
        secret: Some(SECRET.into()),
        ..Default::default()
    })
    .unwrap();
    let manifest =
        Manifest::from_json(r#"{"version":1,"levels":["member"],"entries":{}}"#).unwrap();
    let req = Request {
        method: "GET",
        url,
        ..Default::default()
    };
    match route(&req, Some(&manifest), || Some(&verifier), None, NOW).outcome {
        Outcome::Reply(r) => r,
        other => panic!("{url}: expected a reply, got {other:?}"),
    }
}

fn set_cookies(r: &Reply) -> Vec<&str> {
    r.headers
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case("Set-Cookie"))
        .map(|(_, v)| v.as_str())
        .collect()
}

#[test]
fn anonymous_page_views_asked_me_and_logged_a_401() {
    let claims = Claims {
        sub: "ada".into(),
        level: "member".into(),
        exp: NOW + 3600,
    };
    let token = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .unwrap();

    let login = answer(&format!("/_lyceum/login?token={token}&next=/a/"));
    assert_eq!(login.status, 303);
    assert_eq!(
        set_cookies(&login),
        [
            session_cookie(&token, NOW + 3600, NOW).as_str(),
            // Readable by scripts (no HttpOnly), not a secret, same lifetime as the session.
            "lyceum_signed_in=1; Secure; SameSite=Lax; Path=/; Max-Age=3600",
        ]
    );

    let logout = answer("/_lyceum/logout");
    assert_eq!(logout.status, 303);
    assert_eq!(
        set_cookies(&logout),
        [
            clear_cookie().as_str(),
            "lyceum_signed_in=; Secure; SameSite=Lax; Path=/; Max-Age=0",
        ]
    );

    // A refused sign-in link sets neither.
    let refused = answer("/_lyceum/login?token=nope&next=/a/");
    assert_eq!(refused.status, 401);
    assert!(set_cookies(&refused).is_empty());
    assert_eq!(
        HINT_COOKIE_NAME, "lyceum_signed_in",
        "the theme's lyceum.js reads this name"
    );
}
