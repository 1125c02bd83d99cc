//! Every invalid fixture (`tests/fixtures/invalid/<case>/`) fails the build with exit code 1,
//! writes nothing, and prints exactly its committed `expected.stderr`
//! (`UPDATE_SNAPSHOTS=1` rewrites them; review the diff).

mod common;

use common::{assert_snapshot, changed_paths, copy_tree, dir_state, fixture, lyceum, names};

fn check_case(case: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let site = tmp.path().join(case);
    copy_tree(&fixture(&format!("invalid/{case}")), &site);
    std::fs::remove_file(site.join("expected.stderr")).ok();
    // Every file and folder, the site's own included: comparing only the names beside
    // the site missed anything written inside it.
    let before = dir_state(tmp.path());
    let output = lyceum(&site, &["build", "--out", "../dist"]);
    assert_eq!(output.status.code(), Some(1), "{case}: exit code");
    assert!(output.stdout.is_empty(), "{case}: stdout");
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(!stderr.contains("\x1b["), "{case}: colour on a pipe");
    let after = dir_state(tmp.path());
    let changed = changed_paths(&before, &after);
    assert!(
        changed.is_empty(),
        "{case}: the failed build wrote {changed:?}"
    );
    assert_snapshot(
        &fixture(&format!("invalid/{case}/expected.stderr")),
        &stderr,
    );
}

macro_rules! cases {
    ($($name:ident => $dir:literal,)*) => {
        $( #[test] fn $name() { check_case($dir); } )*

        /// A new invalid fixture needs a test here.
        #[test]
        fn every_fixture_has_a_test() {
            let mut listed = vec![$($dir),*];
            listed.sort();
            assert_eq!(names(&fixture("invalid")), listed);
        }
    };
}

cases! {
    caret_under_cjk_counts_two_columns_per_character => "cjk-caret",
    cloudflare_redirects_and_headers_files_are_refused => "cloudflare-config",
    duplicate_level => "duplicate-level",
    duplicate_url => "duplicate-url",
    invalid_utf8 => "invalid-utf8",
    level_in_section => "level-in-section",
    many_errors_all_reported_sorted => "many-errors",
    missing_title => "missing-title",
    reserved_member_url_content_page_at_signin_or_account_fails => "reserved-member-url",
    site_yaml_unknown_key => "site-yaml-unknown-key",
    site_yaml_unknown_plan_lists_the_valid_ones => "site-yaml-unknown-plan",
    template_error => "template-error",
    unclosed_front_matter => "unclosed-front-matter",
    unknown_front_matter_key => "unknown-key",
    unknown_level => "unknown-level",
    yaml_syntax => "yaml-syntax",
}
