//! `lyceum check` through the real binary, on the fixture sites of `tests/fixtures/check/`:
//! exact positions of broken links (CJK included), gated-asset warnings, the JSON shape,
//! the summary numbers, the exit codes CI relies on, and that nothing is ever written.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixture(case: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/check")
        .join(case)
}

fn lyceum(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lyceum"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run lyceum")
}

fn check(case: &str, extra: &[&str]) -> Output {
    let root = fixture(case);
    let mut args = vec!["check", "--root", root.to_str().unwrap()];
    args.extend_from_slice(extra);
    lyceum(&args)
}

fn json(case: &str, extra: &[&str]) -> (i32, serde_json::Value) {
    let mut args = vec!["--format", "json"];
    args.extend_from_slice(extra);
    let out = check(case, &args);
    let value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is one JSON object ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    (out.status.code().unwrap(), value)
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// (path, line, col, help) of each diagnostic in a JSON list.
fn positions(list: &serde_json::Value) -> Vec<(String, u64, u64, Option<String>)> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["path"].as_str().unwrap().to_owned(),
                d["line"].as_u64().unwrap(),
                d["col"].as_u64().unwrap(),
                d["help"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

#[test]
fn broken_page_links_point_at_the_destination_with_did_you_mean() {
    let out = check("broken-page", &[]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains(
            "content/essays/a.md:6:14: error: broken link `/essays/nameing-things/`: no page or file at `/essays/nameing-things/`\n  |\n6 | See [naming](/essays/nameing-things/) and [other](../other.md).\n  |              ^\n  = help: did you mean `/essays/naming-things/`?\n"
        ),
        "{err}"
    );
    assert!(err.contains("content/essays/a.md:6:51: error: broken link `../other.md`: no page `content/other.md`\n"), "{err}");
    assert!(
        err.contains("content/essays/a.md:8:9: error: broken image `/images/missing.png`"),
        "{err}"
    );
    assert!(err.contains("check: 3 errors, 0 warnings"), "{err}");
    assert!(
        !err.contains('\x1b'),
        "no colour when stderr is not a terminal"
    );
}

#[test]
fn broken_anchors_on_other_and_same_page() {
    let (code, v) = json("broken-anchor", &[]);
    assert_eq!(code, 1);
    let p = "content/essays/y.md".to_owned();
    assert_eq!(
        positions(&v["errors"]),
        [
            (
                p.clone(),
                6,
                9,
                Some("did you mean `#getting-started`?".into())
            ),
            (
                p.clone(),
                6,
                43,
                Some("its anchors: `#details`, `#getting-started`".into())
            ),
            (p, 6, 80, Some("did you mean `#intro`?".into())),
        ]
    );
    assert_eq!(
        v["errors"][1]["message"],
        "broken link `../x/#missing`: `/essays/x/` has no anchor `#missing`"
    );
    assert_eq!(v["errors"][0]["severity"], "error");
    assert_eq!(v["warnings"], serde_json::json!([]));
}

#[test]
fn cjk_line_and_column_count_characters() {
    let (code, v) = json("cjk", &[]);
    assert_eq!(code, 1);
    let p = "content/笔记/入门.md".to_owned();
    // Line 6 is `这是一个中文段落，链接到[不存在的页面](/笔记/不存在/)。`: the `/` is character 22.
    // No suggestion: `/笔记/入门/` is three characters away, too far to be a typo.
    assert_eq!(
        positions(&v["errors"]),
        [
            (p.clone(), 6, 22, None),
            (p, 8, 8, Some("did you mean `#概述`?".into()))
        ]
    );
    let err = stderr(&check("cjk", &[]));
    // The caret is under the `/` on a terminal: 18 wide characters (2 columns each) and 3 narrow ones before it.
    let caret = format!(
        "6 | 这是一个中文段落，链接到[不存在的页面](/笔记/不存在/)。\n  | {}^\n",
        " ".repeat(18 * 2 + 3)
    );
    assert!(err.contains(&caret), "{err}");
}

#[test]
fn gated_assets_in_a_public_page_warn_but_teaser_links_do_not() {
    let (code, v) = json("gated-asset", &[]);
    assert_eq!(code, 0, "warnings alone pass: {v}");
    assert_eq!(v["errors"], serde_json::json!([]));
    let warnings = v["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 2, "{v}");
    let p = "content/courses/intro.md".to_owned();
    let at: Vec<_> = positions(&v["warnings"])
        .into_iter()
        .map(|(p, l, c, _)| (p, l, c))
        .collect();
    assert_eq!(at, [(p.clone(), 6, 12), (p, 8, 13)]);
    assert!(
        warnings[0]["message"]
            .as_str()
            .unwrap()
            .contains("a file of the gated page `/courses/secret/`"),
        "{v}"
    );
    assert!(
        warnings[1]["message"]
            .as_str()
            .unwrap()
            .contains("points into `/_gated/`"),
        "{v}"
    );
    assert!(warnings.iter().all(|w| w["severity"] == "warning"));
    // The gated page's own embed of its file, and the teaser link, are not reported.
    assert!(warnings
        .iter()
        .all(|w| w["path"] != "content/courses/secret.md"));

    let (code, _) = json("gated-asset", &["--deny-warnings"]);
    assert_eq!(code, 1);
    let err = stderr(&check("gated-asset", &[]));
    assert!(
        err.contains(
            "content/courses/intro.md:6:12: warning: public page embeds `../secret/diagram.png`"
        ),
        "{err}"
    );
}

#[test]
fn clean_site_passes_with_summary_per_level() {
    let out = check("clean", &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stderr(&out), "check: 0 errors, 0 warnings\n");
    let table = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(
        table,
        "level             pages     words\n\
         public                2        29\n\
         member                1        11\n\
         pro                   1         3\n\
         total                 4        43\n\
         3 sections, 1 drafts skipped, 29 files would be written
\
         free plan: 29 of 20000 files; largest file style.css, 19.2 KiB of 25 MiB
"
    );

    let (code, v) = json("clean", &[]);
    assert_eq!(code, 0);
    assert_eq!(v["errors"], serde_json::json!([]));
    assert_eq!(v["warnings"], serde_json::json!([]));
    let s = &v["summary"];
    assert_eq!(
        s["public"],
        serde_json::json!({"id": "public", "name": "Public", "pages": 2, "words": 29})
    );
    assert_eq!(
        s["levels"],
        serde_json::json!([
            {"id": "member", "name": "Member", "pages": 1, "words": 11},
            {"id": "pro", "name": "Pro", "pages": 1, "words": 3},
        ])
    );
    assert_eq!(
        (s["sections"].as_u64(), s["drafts_skipped"].as_u64()),
        (Some(3), Some(1))
    );
}

#[test]
fn drafts_flag_checks_drafts_too() {
    // The draft links to `/nowhere/`: ignored until `--drafts` builds it.
    let (code, v) = json("clean", &["--drafts"]);
    assert_eq!(code, 1);
    assert_eq!(positions(&v["errors"])[0].0, "content/essays/draft.md");
    assert_eq!(v["summary"]["drafts_skipped"], 0);
    assert_eq!(v["summary"]["public"]["pages"], 3);
}

#[test]
fn invalid_front_matter_is_an_error_like_build() {
    let dir = tempfile::tempdir().unwrap();
    common::copy_tree(&fixture("clean"), dir.path());
    std::fs::write(
        dir.path().join("content/essays/bad.md"),
        "---\ntitle: Bad\nlevel: gold\n---\n",
    )
    .unwrap();
    let (code, v) = {
        let out = lyceum(&[
            "check",
            "--root",
            dir.path().to_str().unwrap(),
            "--format",
            "json",
        ]);
        (
            out.status.code().unwrap(),
            serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap(),
        )
    };
    assert_eq!(code, 1);
    assert_eq!(
        positions(&v["errors"])[0],
        (
            "content/essays/bad.md".into(),
            3,
            8,
            Some("valid levels (lowest first): `member`, `pro`".into())
        )
    );
}

#[test]
fn exit_code_2_when_it_cannot_run() {
    let dir = tempfile::tempdir().unwrap();
    let out = lyceum(&["check", "--root", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "no site.yaml: {}", stderr(&out));
    assert!(stderr(&out).contains("not a readable site root"));
    let out = lyceum(&["check", "--root", "/definitely/not/here"]);
    assert_eq!(out.status.code(), Some(2));
    let out = lyceum(&["check", "--format", "yaml"]);
    assert_eq!(out.status.code(), Some(2), "bad arguments");
    let help = String::from_utf8_lossy(&lyceum(&["check", "--help"]).stdout).into_owned();
    for line in ["0  clean", "1  errors found", "2  could not run"] {
        assert!(help.contains(line), "{help}");
    }
}

#[test]
fn check_writes_nothing() {
    for case in ["clean", "broken-page", "gated-asset"] {
        // The site and the folder check runs in, both under one temp dir: nothing may
        // appear in either (the working folder used to be the checkout's `generator/`).
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("site");
        common::copy_tree(&fixture(case), &dir);
        let cwd = tmp.path().join("cwd");
        std::fs::create_dir(&cwd).unwrap();
        let before = common::dir_state(tmp.path());
        for format in ["human", "json"] {
            let out = Command::new(env!("CARGO_BIN_EXE_lyceum"))
                .current_dir(&cwd)
                .args(["check", "--root", "../site", "--format", format])
                .env("NO_COLOR", "1")
                .output()
                .expect("run lyceum");
            assert!(
                out.status.code().is_some_and(|c| c < 2),
                "{case}: {}",
                stderr(&out)
            );
            assert!(!out.stdout.is_empty(), "{case}: {format} report on stdout");
        }
        let changed = common::changed_paths(&before, &common::dir_state(tmp.path()));
        assert!(
            changed.is_empty(),
            "{case}: check changed the site or its working folder: {changed:?}"
        );
    }
}

#[test]
fn reports_every_error_build_reports_on_the_invalid_fixtures() {
    let invalid = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/invalid");
    let headlines = |out: &Output| -> Vec<String> {
        stderr(out)
            .lines()
            .filter(|l| l.contains(": error: ") && !l.starts_with("error:"))
            .map(str::to_owned)
            .collect()
    };
    let mut cases = 0;
    for entry in std::fs::read_dir(invalid).unwrap() {
        let root = entry.unwrap().path();
        if !root.join("site.yaml").is_file() {
            continue;
        }
        let out_dir = tempfile::tempdir().unwrap();
        let r = root.to_str().unwrap();
        let built = lyceum(&[
            "build",
            "--root",
            r,
            "--out",
            out_dir.path().join("dist").to_str().unwrap(),
        ]);
        let checked = lyceum(&["check", "--root", r]);
        assert_eq!(checked.status.code(), Some(1), "{}", root.display());
        assert!(!headlines(&built).is_empty(), "{}", root.display());
        assert_eq!(headlines(&checked), headlines(&built), "{}", root.display());
        cases += 1;
    }
    assert!(cases > 0);
}

/// Regression (issue 9, item 1): a teaser is rendered from the text above `<!-- more -->`
/// alone, so a reference there defined only below shows as brackets; check says where.
#[test]
fn teaser_reference_defined_below_the_fold_warns_at_its_position() {
    let (code, v) = json("teaser-refs", &[]);
    assert_eq!(code, 0, "warnings alone pass: {v}");
    assert_eq!(v["errors"], serde_json::json!([]));
    let at: Vec<_> = positions(&v["warnings"])
        .into_iter()
        .map(|(p, l, c, _)| (p, l, c))
        .collect();
    let p = "content/call.md".to_owned();
    // `[the call][call]` and `[^n]`; not `[open]` (defined above), not the public page.
    assert_eq!(at, [(p.clone(), 5, 6), (p, 5, 36)], "{v}");
    let messages: Vec<&str> = v["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["message"].as_str().unwrap())
        .collect();
    assert!(
        messages[0].contains("refers to `[call]`, which is only defined below `<!-- more -->`"),
        "{v}"
    );
    assert!(messages[1].contains("`[^n]`"), "{v}");
    let err = stderr(&check("teaser-refs", &[]));
    assert!(
        err.contains("content/call.md:5:6: warning: the public teaser refers to `[call]`"),
        "{err}"
    );
}
