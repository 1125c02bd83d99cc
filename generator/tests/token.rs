//! `lyceum token` through the real binary: what `issue` signs, `verify` (the gate's
//! verifier, as the Worker runs it) accepts, and nothing else.

use std::path::Path;
use std::process::{Command, Output};

const SECRET: &str = "an-hs256-test-secret-of-at-least-32-bytes";

fn lyceum(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_lyceum"));
    cmd.current_dir(dir).args(args);
    for var in [
        "LYCEUM_JWT_SECRET",
        "LYCEUM_JWT_JWKS",
        "LYCEUM_JWT_ISSUER",
        "LYCEUM_JWT_AUDIENCE",
    ] {
        cmd.env_remove(var);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run lyceum")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn site(dir: &Path) {
    std::fs::write(
        dir.join("site.yaml"),
        "title: T\nbase_url: https://example.com\nlevels:\n  - id: member\n    name: Member\n  - id: pro\n    name: Pro\n",
    )
    .unwrap();
}

fn issue(dir: &Path, extra: &[&str], env: &[(&str, &str)]) -> String {
    let mut args = vec!["token", "issue", "--sub", "ada", "--level", "pro"];
    args.extend_from_slice(extra);
    let out = lyceum(dir, &args, env);
    assert!(out.status.success(), "issue failed: {}", stderr(&out));
    let token = stdout(&out).trim().to_string();
    assert_eq!(token.split('.').count(), 3, "not a JWT: {token}");
    token
}

#[test]
fn hs256_issue_verify_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    site(dir.path());
    let env = [("LYCEUM_JWT_SECRET", SECRET)];
    let token = issue(dir.path(), &["--ttl", "12h"], &env);

    let out = lyceum(dir.path(), &["token", "verify", &token], &env);
    assert!(out.status.success(), "verify failed: {}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("sub:   ada"), "{text}");
    assert!(text.contains("level: pro"), "{text}");
    assert!(
        text.contains("UTC (11h 59m left)") || text.contains("UTC (12h 0m left)"),
        "{text}"
    );
}

#[test]
fn wrong_secret_fails_without_echoing_the_token() {
    let dir = tempfile::tempdir().unwrap();
    let token = issue(dir.path(), &[], &[("LYCEUM_JWT_SECRET", SECRET)]);
    let out = lyceum(
        dir.path(),
        &["token", "verify", &token],
        &[(
            "LYCEUM_JWT_SECRET",
            "another-secret-that-is-also-32-bytes-long",
        )],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("invalid: signature is invalid"),
        "{}",
        stderr(&out)
    );
    assert!(!stderr(&out).contains(&token) && !stdout(&out).contains(&token));
}

#[test]
fn issuer_and_audience_are_checked_by_verify() {
    let dir = tempfile::tempdir().unwrap();
    let env = [("LYCEUM_JWT_SECRET", SECRET)];
    let token = issue(dir.path(), &["--iss", "shop", "--aud", "site"], &env);
    let with = |iss: &str, aud: &str| {
        lyceum(
            dir.path(),
            &["token", "verify", &token],
            &[
                ("LYCEUM_JWT_SECRET", SECRET),
                ("LYCEUM_JWT_ISSUER", iss),
                ("LYCEUM_JWT_AUDIENCE", aud),
            ],
        )
    };
    assert!(with("shop", "site").status.success());
    let out = with("other", "site");
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("issuer"), "{}", stderr(&out));
    // The audience is checked as well (it was never refused here, so ignoring
    // LYCEUM_JWT_AUDIENCE passed this test).
    let out = with("shop", "another-site");
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(stderr(&out).contains("audience"), "{}", stderr(&out));
}

#[test]
fn eddsa_keygen_issue_verify_with_jwks() {
    let dir = tempfile::tempdir().unwrap();
    site(dir.path());
    let keys = dir.path().join("keys");
    let out = lyceum(dir.path(), &["token", "keygen", "--out", "keys"], &[]);
    assert!(out.status.success(), "keygen failed: {}", stderr(&out));

    let private = keys.join("lyceum-ed25519.pem");
    let pem = std::fs::read_to_string(&private).unwrap();
    assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\n"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&private).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    assert!(std::fs::read_to_string(keys.join("lyceum-ed25519.pub.pem"))
        .unwrap()
        .starts_with("-----BEGIN PUBLIC KEY-----"));
    let jwks = std::fs::read_to_string(keys.join("jwks.json")).unwrap();
    let doc: serde_json::Value = serde_json::from_str(&jwks).unwrap();
    assert_eq!(doc["keys"][0]["kty"], "OKP");
    assert_eq!(doc["keys"][0]["alg"], "EdDSA");

    let token = issue(dir.path(), &["--key", "keys/lyceum-ed25519.pem"], &[]);
    let out = lyceum(
        dir.path(),
        &["token", "verify", &token],
        &[("LYCEUM_JWT_JWKS", &jwks)],
    );
    assert!(out.status.success(), "verify failed: {}", stderr(&out));
    assert!(stdout(&out).contains("level: pro"));

    // A token signed by another key pair is refused by this JWKS.
    let out = lyceum(dir.path(), &["token", "keygen", "--out", "other"], &[]);
    assert!(out.status.success());
    let foreign = issue(
        dir.path(),
        &[
            "--key",
            "other/lyceum-ed25519.pem",
            "--kid",
            doc["keys"][0]["kid"].as_str().unwrap(),
        ],
        &[],
    );
    let out = lyceum(
        dir.path(),
        &["token", "verify", &foreign],
        &[("LYCEUM_JWT_JWKS", &jwks)],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("signature is invalid"),
        "{}",
        stderr(&out)
    );
}

/// A key id is base64url when it is a thumbprint, so it may begin with `-`: one in 64
/// keys' thumbprints did, and `--kid` took it for an unknown flag.
#[test]
fn a_kid_may_begin_with_a_hyphen() {
    let dir = tempfile::tempdir().unwrap();
    site(dir.path());
    let out = lyceum(dir.path(), &["token", "keygen", "--kid", "-zK9"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let jwks = std::fs::read_to_string(dir.path().join("jwks.json")).unwrap();
    assert!(jwks.contains("\"kid\": \"-zK9\""), "{jwks}");
    let token = issue(
        dir.path(),
        &["--key", "lyceum-ed25519.pem", "--kid", "-zK9"],
        &[],
    );
    let out = lyceum(
        dir.path(),
        &["token", "verify", &token],
        &[("LYCEUM_JWT_JWKS", &jwks)],
    );
    assert!(out.status.success(), "verify failed: {}", stderr(&out));
}

#[test]
fn keygen_with_kid_and_refuses_to_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let out = lyceum(dir.path(), &["token", "keygen", "--kid", "2025-01"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let jwks = std::fs::read_to_string(dir.path().join("jwks.json")).unwrap();
    assert!(jwks.contains("\"kid\": \"2025-01\""), "{jwks}");
    let before = std::fs::read(dir.path().join("lyceum-ed25519.pem")).unwrap();

    let out = lyceum(dir.path(), &["token", "keygen"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("already exists"), "{}", stderr(&out));
    assert_eq!(
        std::fs::read(dir.path().join("lyceum-ed25519.pem")).unwrap(),
        before
    );

    // The kid given at keygen must be given at issue too; with it the JWKS accepts the token.
    let token = issue(
        dir.path(),
        &["--key", "lyceum-ed25519.pem", "--kid", "2025-01"],
        &[],
    );
    let out = lyceum(
        dir.path(),
        &["token", "verify", &token],
        &[("LYCEUM_JWT_JWKS", &jwks)],
    );
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn unknown_level_lists_valid_levels() {
    let dir = tempfile::tempdir().unwrap();
    site(dir.path());
    let out = lyceum(
        dir.path(),
        &["token", "issue", "--sub", "ada", "--level", "gold"],
        &[("LYCEUM_JWT_SECRET", SECRET)],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("unknown level `gold`; valid levels (lowest first): member, pro"),
        "{err}"
    );
    assert!(stdout(&out).is_empty());
}

#[test]
fn bad_ttl_and_missing_key_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let out = lyceum(
        dir.path(),
        &[
            "token", "issue", "--sub", "a", "--level", "pro", "--ttl", "3w",
        ],
        &[("LYCEUM_JWT_SECRET", SECRET)],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("invalid TTL `3w`"),
        "{}",
        stderr(&out)
    );

    let out = lyceum(
        dir.path(),
        &["token", "issue", "--sub", "a", "--level", "pro"],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("LYCEUM_JWT_SECRET"),
        "{}",
        stderr(&out)
    );

    let out = lyceum(dir.path(), &["token", "verify", "x.y.z"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("no verification key"),
        "{}",
        stderr(&out)
    );

    let out = lyceum(
        dir.path(),
        &["token", "verify", "x.y.z"],
        &[("LYCEUM_JWT_SECRET", SECRET)],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("invalid: token is malformed"),
        "{}",
        stderr(&out)
    );
}
