//! `lyceum new` through the real binary: the starter site checks clean and builds with no
//! edits (its gated sample only under `_gated/`), and a non-empty folder is refused
//! without a single change.

mod common;

use std::path::PathBuf;
use std::process::{Command, Output};

fn lyceum(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lyceum"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run lyceum")
}

fn ok(out: Output) -> Output {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn read(p: PathBuf) -> String {
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn new_site_checks_and_builds_without_edits() {
    let tmp = tempfile::tempdir().unwrap();
    let site = tmp.path().join("my-site");
    let s = site.to_str().unwrap();
    ok(lyceum(&["new", s]));
    assert!(
        !site.join("themes").exists(),
        "the default theme is embedded, not copied"
    );
    let yaml = read(site.join("site.yaml"));
    assert!(
        yaml.contains("- id: member") && yaml.contains("- id: pro"),
        "{yaml}"
    );

    let out = ok(lyceum(&["check", "--root", s, "--format", "json"]));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["errors"], serde_json::json!([]));
    assert_eq!(report["warnings"], serde_json::json!([]));
    assert_eq!(report["summary"]["levels"][0]["pages"], 1);

    ok(lyceum(&["build", "--root", s]));
    let dist = site.join("dist");
    let full = read(dist.join("_gated/articles/members-only/index.html"));
    assert!(full.contains("for members only"), "{full}");
    let teaser = read(dist.join("articles/members-only/index.html"));
    assert!(teaser.contains("public teaser"), "{teaser}");
    assert!(
        !teaser.contains("for members only"),
        "gated body leaked into the teaser"
    );
    let manifest: serde_json::Value =
        serde_json::from_str(&read(dist.join("_gated/manifest.json"))).unwrap();
    assert_eq!(
        manifest["entries"]["/articles/members-only/"]["level"],
        "member"
    );
    assert!(read(dist.join("articles/hello/index.html")).contains("it is public"));
    assert!(dist.join("robots.txt").is_file());
}

#[test]
fn with_theme_copies_the_default_theme_and_still_builds() {
    let tmp = tempfile::tempdir().unwrap();
    let site = tmp.path().join("themed");
    let s = site.to_str().unwrap();
    ok(lyceum(&["new", "--with-theme", s]));
    for f in [
        "templates/base.html",
        "templates/page.html",
        "templates/teaser.html",
    ] {
        assert!(site.join("themes/default").join(f).is_file(), "{f}");
    }
    // An edit to the copied theme is what the build uses.
    let page = site.join("themes/default/templates/page.html");
    std::fs::write(
        &page,
        read(page.clone()).replacen("<", "<!-- CUSTOMISED -->\n<", 1),
    )
    .unwrap();
    ok(lyceum(&["build", "--root", s]));
    assert!(read(site.join("dist/articles/hello/index.html")).contains("CUSTOMISED"));
}

#[test]
fn new_into_an_empty_existing_dir_works() {
    let tmp = tempfile::tempdir().unwrap();
    ok(lyceum(&["new", tmp.path().to_str().unwrap()]));
    assert!(tmp.path().join("content/_index.md").is_file());
}

#[test]
fn non_empty_dir_is_refused_and_left_exactly_as_it_was() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(dir.join("site.yaml"), "title: mine\n").unwrap();
    std::fs::create_dir(dir.join("content")).unwrap();
    std::fs::write(dir.join("content/notes.md"), "my notes").unwrap();
    let before = common::dir_state(dir);
    for extra in [&[][..], &["--with-theme"][..]] {
        let mut args = vec!["new", dir.to_str().unwrap()];
        args.extend_from_slice(extra);
        let out = lyceum(&args);
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("is not empty"), "{err}");
        assert_eq!(common::dir_state(dir), before);
    }
    // A file where the folder should be is refused too.
    let out = lyceum(&["new", dir.join("site.yaml").to_str().unwrap()]);
    assert!(!out.status.success());
    assert_eq!(common::dir_state(dir), before);
}
