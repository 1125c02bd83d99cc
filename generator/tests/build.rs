//! `lyceum build` on the fixture site through the real binary: what is written where,
//! that gated text never leaves `_gated/`, drafts, atomicity and determinism.

mod common;

use common::{
    build, changed_paths, copy_tree, dir_state, fixture, lyceum, names, read_tree, scratch_site,
    write_files,
};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Strings that appear only in gated bodies of the fixture (body, heading, table, code,
/// list, footnote, below `<!-- more -->`, a pro page, a CJK page). Plain ASCII, so no
/// escaped or percent-encoded form can hide them.
const GATED_CANARIES: &[&str] = &[
    "CANARY-BODY-7f3a",
    "CANARY-HEADING-7f3a",
    "CANARY-TABLE-7f3a",
    "CANARY-CODE-7f3a",
    "CANARY-LIST-7f3a",
    "CANARY-FOOTNOTE-7f3a",
    "CANARY-PRO-7f3a",
    "CANARY-PRO-LIST-7f3a",
    "CANARY-CJK-7f3a",
    // A file beside the member essay (`content/essays/member-essay/worksheet.txt`).
    "CANARY-ASSET-7f3a",
    // Definitions below the member essay's fold, referred to above it: a link's URL and
    // title, an image's URL, a footnote (issue 9, item 1).
    "CANARY-REFDEF-7f3a",
    "CANARY-REFTITLE-7f3a",
    "CANARY-IMGREF-7f3a",
    "CANARY-FOLD-NOTE-7f3a",
    // The chapters of a course sold on its own (`product:` on their section's `_index.md`).
    "CANARY-COURSE-5d1c",
    "CANARY-COURSE-LIFETIMES-5d1c",
    // A page only a product's buyers read (a product with no level).
    "CANARY-BUYERS-5d1c",
];

/// Strings only in `draft`/`review` pages (title, summary and body).
const DRAFT_CANARIES: &[&str] = &[
    "CANARY-DRAFT-TITLE-9c1e",
    "CANARY-DRAFT-SUMMARY-9c1e",
    "CANARY-DRAFT-9c1e",
    "CANARY-REVIEW-9c1e",
];

/// Every `CANARY-…` word in the fixture's sources is in one of the lists above, and every
/// listed one is in the sources: a canary added to the fixture but not to a list, or a
/// listed one gone from the fixture, would make the leak checks pass without looking.
#[test]
fn every_fixture_canary_is_checked() {
    let mut found = std::collections::BTreeSet::new();
    for text in read_tree(&fixture("site")).values() {
        let text = String::from_utf8_lossy(text);
        for (at, _) in text.match_indices("CANARY-") {
            let word: String = text[at..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect();
            found.insert(word.trim_end_matches('-').to_owned());
        }
    }
    let listed: std::collections::BTreeSet<String> = GATED_CANARIES
        .iter()
        .chain(DRAFT_CANARIES)
        .map(|c| (*c).to_owned())
        .collect();
    let unlisted: Vec<&String> = found.difference(&listed).collect();
    let gone: Vec<&String> = listed.difference(&found).collect();
    assert!(
        unlisted.is_empty() && gone.is_empty(),
        "in the fixture but in no list: {unlisted:?}; listed but not in the fixture: {gone:?}"
    );
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    // Case-insensitive: heading ids lowercase their text.
    let hay = String::from_utf8_lossy(haystack).to_ascii_lowercase();
    hay.contains(&needle.to_ascii_lowercase())
}

fn built_fixture(
    extra: &[&str],
) -> (
    tempfile::TempDir,
    std::collections::BTreeMap<String, Vec<u8>>,
) {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("dist");
    build(&fixture("site"), &out, extra);
    let tree = read_tree(&out);
    (tmp, tree)
}

#[test]
fn gated_text_appears_only_under_gated() {
    let (_tmp, tree) = built_fixture(&[]);
    assert_canaries_only_under_gated(&tree);
}

/// Regression (issue 9, item 3): the canary check ran only over the default theme, whose
/// teaser template never prints the body, so handing a gated body to a public template
/// passed. Here every template prints its whole context (every field, recursively, as
/// JSON: `tests/fixtures/themes/context`), so any gated text in any public template's
/// context lands in a public file and fails.
#[test]
fn gated_text_appears_only_under_gated_when_templates_print_their_whole_context() {
    let tmp = tempfile::tempdir().unwrap();
    let site = tmp.path().join("site");
    copy_tree(&fixture("site"), &site);
    let theme = fixture("themes/context/templates");
    // Every template the renderer renders prints the whole context, so no page kind is missed.
    for name in lyceum::build::TEMPLATES {
        let source = std::fs::read_to_string(theme.join(name))
            .unwrap_or_else(|e| panic!("the context theme lacks {name}: {e}"));
        assert_eq!(source.trim(), "{{ __tera_context | safe }}", "{name}");
    }
    copy_tree(&fixture("themes/context"), &site.join("themes/context"));
    let config = std::fs::read_to_string(site.join("site.yaml")).unwrap();
    assert!(config.contains("theme: default"));
    std::fs::write(
        site.join("site.yaml"),
        config.replace("theme: default", "theme: context"),
    )
    .unwrap();
    let out = tmp.path().join("dist");
    build(&site, &out, &[]);
    let tree = read_tree(&out);
    // The dump is real: a teaser's context holds the teaser text and the required level.
    let teaser = String::from_utf8_lossy(&tree["essays/member-essay/index.html"]);
    assert!(
        teaser.contains("OPEN-TEASER-1b2c") && teaser.contains("\"required\""),
        "{teaser}"
    );
    assert_canaries_only_under_gated(&tree);
    for canary in DRAFT_CANARIES {
        let hits: Vec<&String> = tree
            .iter()
            .filter(|(_, b)| contains(b, canary))
            .map(|(p, _)| p)
            .collect();
        assert!(hits.is_empty(), "{canary} in {hits:?}");
    }
}

/// Each gated canary is in some file under `_gated/` and in no other file.
fn assert_canaries_only_under_gated(tree: &std::collections::BTreeMap<String, Vec<u8>>) {
    for canary in GATED_CANARIES {
        let inside: Vec<&String> = tree
            .iter()
            .filter(|(p, b)| p.starts_with("_gated/") && contains(b, canary))
            .map(|(p, _)| p)
            .collect();
        assert!(!inside.is_empty(), "{canary} missing from _gated/");
        let leaks: Vec<&String> = tree
            .iter()
            .filter(|(p, b)| !p.starts_with("_gated/") && contains(b, canary))
            .map(|(p, _)| p)
            .collect();
        assert!(leaks.is_empty(), "{canary} leaked into {leaks:?}");
    }
}

#[test]
fn only_gated_pages_are_under_gated() {
    let (_tmp, tree) = built_fixture(&[]);
    let gated: Vec<&str> = tree
        .keys()
        .filter(|p| p.starts_with("_gated/"))
        .map(String::as_str)
        .collect();
    assert_eq!(
        gated,
        [
            "_gated/_lyceum/confirm.html",
            "_gated/_lyceum/members.json",
            "_gated/courses/deliberate-practice/index.html",
            "_gated/essays/member-essay/index.html",
            "_gated/essays/member-essay/worksheet.txt",
            "_gated/essays/style-guide/index.html",
            "_gated/manifest.json",
            "_gated/rust-course/lifetimes/index.html",
            "_gated/rust-course/ownership/index.html",
            "_gated/worker-routes.json",
            "_gated/笔记/会员专享/index.html",
        ]
    );
}

/// The bundle's `members.json` as the adapters read it.
fn site_members(tree: &BTreeMap<String, Vec<u8>>) -> members::site::SiteMembers {
    let text = String::from_utf8_lossy(&tree[members::site::MEMBERS_FILE]);
    members::site::SiteMembers::from_json(&text)
        .unwrap_or_else(|e| panic!("members.json: {e}\n{text}"))
}

#[test]
fn members_json_is_written_with_the_defaults_when_site_yaml_has_no_members_section() {
    let (_tmp, tree) = built_fixture(&[]);
    let m = site_members(&tree);
    assert_eq!(m.version, members::site::VERSION);
    assert_eq!(m.signup, members::Signup::Open);
    assert_eq!(m.free_level, None);
    assert_eq!(
        (m.link_minutes, m.session_days, m.token_minutes),
        (15, 30, 60)
    );
    assert_eq!(m.site_title, "Fixture Academy");
    let levels: Vec<(&str, &str)> = m
        .levels
        .iter()
        .map(|l| (l.id.as_str(), l.name.as_str()))
        .collect();
    assert_eq!(levels, [("member", "Member"), ("pro", "Pro")]);
    // The theme's mails, in the site's language (en), each with both slots and the lifetime.
    for mail in [&m.mail.signin, &m.mail.signup] {
        assert!(!mail.subject.is_empty() && !mail.subject.contains('\n'));
        assert!(mail.subject.contains("Fixture Academy"), "{}", mail.subject);
        for body in [&mail.text, &mail.html] {
            assert!(body.contains(members::site::LINK_SLOT), "{body}");
            assert!(body.contains(members::site::CODE_SLOT), "{body}");
            assert!(body.contains("15 minutes"), "{body}");
        }
        assert!(mail
            .html
            .contains(&format!("href=\"{}\"", members::site::LINK_SLOT)));
    }
    assert_eq!(m.mail.signin.subject, "Sign in to Fixture Academy");
    assert_eq!(
        m.mail.signup.subject,
        "Confirm your email to join Fixture Academy"
    );
    // And the adapters get their settings from it.
    let settings = m.settings(&[7u8; 32], None);
    assert_eq!(settings.token_ttl, 3600);
    assert_eq!(settings.policy.link_ttl, 15 * 60);
    assert_eq!(settings.policy.levels, ["member", "pro"]);
}

#[test]
fn members_json_carries_the_members_section_of_site_yaml() {
    let (_tmp, site, out) = scratch_site();
    let config = std::fs::read_to_string(site.join("site.yaml")).unwrap();
    std::fs::write(
        site.join("site.yaml"),
        format!("{config}members:\n  signup: invite\n  free_level: member\n  link_minutes: 20\n  session_days: 7\n  token_minutes: 10\n"),
    )
    .unwrap();
    build(&site, &out, &[]);
    let m = site_members(&read_tree(&out));
    assert_eq!(m.signup, members::Signup::Invite);
    assert_eq!(m.free_level.as_deref(), Some("member"));
    assert_eq!(
        (m.link_minutes, m.session_days, m.token_minutes),
        (20, 7, 10)
    );
    assert!(
        m.mail.signin.text.contains("20 minutes"),
        "{}",
        m.mail.signin.text
    );
    let settings = m.settings(&[7u8; 32], Some("admin".into()));
    assert_eq!(settings.policy.signup, members::Signup::Invite);
    assert_eq!(settings.policy.free_level.as_deref(), Some("member"));
    assert_eq!(settings.policy.session_ttl, 7 * 86_400);
    assert_eq!(settings.token_ttl, 600);
}

/// Issue 12: which Stripe prices sell which level, the Payment Links and the portal go
/// from site.yaml into members.json, where the webhook and `/_lyceum/checkout/` read them.
#[test]
fn members_json_carries_the_stripe_prices_links_and_portal_of_site_yaml() {
    let (_tmp, site, out) = scratch_site();
    let config = std::fs::read_to_string(site.join("site.yaml")).unwrap();
    let config = config.replacen(
        "  - id: pro\n",
        "  - id: pro\n    link: https://buy.stripe.com/test_pro\n    stripe_prices: [price_pro_month, plink_pro]\n",
        1,
    );
    assert!(
        config.contains("price_pro_month"),
        "the fixture's pro level moved"
    );
    std::fs::write(
        site.join("site.yaml"),
        format!("{config}members:\n  portal: https://billing.stripe.com/p/login/test\n  grace_days: 5\n"),
    )
    .unwrap();
    build(&site, &out, &[]);
    let tree = read_tree(&out);
    // The membership page offers the level's plan through the checkout route.
    let page = String::from_utf8_lossy(&tree["membership/index.html"]);
    assert!(page.contains("href=\"/_lyceum/checkout/pro\""), "{page}");
    assert!(
        !page.contains("/_lyceum/checkout/member"),
        "no link, no button"
    );
    let m = site_members(&tree);
    let pro = members::Grant {
        level: Some("pro".into()),
        product: None,
    };
    assert_eq!(m.prices.get("price_pro_month"), Some(&pro));
    assert_eq!(m.prices.get("plink_pro"), Some(&pro));
    assert_eq!(m.prices.len(), 2);
    assert_eq!(
        m.checkout.get("pro").map(String::as_str),
        Some("https://buy.stripe.com/test_pro")
    );
    assert!(!m.checkout.contains_key("member"), "no link, no checkout");
    assert_eq!(
        m.portal.as_deref(),
        Some("https://billing.stripe.com/p/login/test")
    );
    assert_eq!(m.settings(&[7u8; 32], None).policy.grace, 5 * 86_400);
}

#[test]
fn teaser_has_text_above_more_and_nothing_below() {
    let (_tmp, tree) = built_fixture(&[]);
    let teaser = &tree["essays/member-essay/index.html"];
    assert!(contains(teaser, "OPEN-TEASER-1b2c"));
    assert!(contains(
        teaser,
        "What members learn about spaced repetition."
    ));
    assert!(!contains(teaser, "CANARY"));
    // No marker: the teaser has no body at all.
    let pro = String::from_utf8_lossy(&tree["courses/deliberate-practice/index.html"]);
    assert!(!pro.contains("No more-marker here"));
    assert!(pro.contains("A complete course on deliberate practice."));
}

/// Regression (issue 9, item 1): the teaser was cut from a parse of the whole body, so a
/// reference above the fold published the URL and title defined below it.
#[test]
fn teaser_carries_no_reference_definitions_from_below_the_fold() {
    let (_tmp, tree) = built_fixture(&[]);
    let teaser = String::from_utf8_lossy(&tree["essays/member-essay/index.html"]);
    assert!(
        teaser.contains("Members get [the invitation][invite], ![the map][map] and a note[^fold]"),
        "the references stay plain text: {teaser}"
    );
    for canary in [
        "CANARY-REFDEF-7f3a",
        "CANARY-REFTITLE-7f3a",
        "CANARY-IMGREF-7f3a",
        "CANARY-FOLD-NOTE-7f3a",
    ] {
        assert!(!teaser.contains(canary), "{canary} in the teaser");
    }
    let full = String::from_utf8_lossy(&tree["_gated/essays/member-essay/index.html"]);
    assert!(
        full.contains(r#"<a href="https://members.example/invite/CANARY-REFDEF-7f3a" title="CANARY-REFTITLE-7f3a">the invitation</a>"#),
        "the full page resolves them: {full}"
    );
}

/// Regression (issue 9, item 2): only a lower-case `.md` was a page, so a gated
/// `x.MD` / `x.markdown` was copied to the bundle whole (front matter and body) as a
/// public file, absent from the manifest, and its folder's files were public too.
#[test]
fn gated_markdown_with_another_extension_is_a_page_not_a_public_asset() {
    let tmp = tempfile::tempdir().unwrap();
    let site = tmp.path().join("site");
    copy_tree(&fixture("site"), &site);
    let gated = |canary: &str| {
        format!("---\ntitle: {canary} page\nlevel: pro\nsummary: Public words.\n---\nCANARY-{canary}-5d2e\n")
    };
    write_files(
        &site,
        &[
            ("content/essays/upper.MD", &gated("UPPER")),
            ("content/essays/long.markdown", &gated("LONG")),
            ("content/essays/Mixed.Markdown", &gated("MIXED")),
            ("content/essays/long/notes.txt", "CANARY-LONG-ASSET-5d2e"),
        ],
    );
    let out = tmp.path().join("dist");
    build(&site, &out, &[]);
    let tree = read_tree(&out);
    let manifest = gate::Manifest::from_json(
        std::str::from_utf8(&tree[gate::manifest::MANIFEST_FILE]).unwrap(),
    )
    .unwrap();
    for (url, file) in [
        ("/essays/upper/", "_gated/essays/upper/index.html"),
        ("/essays/long/", "_gated/essays/long/index.html"),
        ("/essays/mixed/", "_gated/essays/mixed/index.html"),
        ("/essays/long/notes.txt", "_gated/essays/long/notes.txt"),
    ] {
        let entry = manifest
            .entries
            .get(url)
            .unwrap_or_else(|| panic!("{url} not in the manifest"));
        assert_eq!(
            (entry.level.as_deref().unwrap(), entry.file.as_str()),
            ("pro", file)
        );
    }
    let sources: Vec<&String> = tree
        .keys()
        .filter(|p| {
            p.to_ascii_lowercase().ends_with(".md") || p.to_ascii_lowercase().ends_with(".markdown")
        })
        .collect();
    assert!(
        sources.is_empty(),
        "markdown sources published: {sources:?}"
    );
    for canary in [
        "CANARY-UPPER-5d2e",
        "CANARY-LONG-5d2e",
        "CANARY-MIXED-5d2e",
        "CANARY-LONG-ASSET-5d2e",
    ] {
        let (inside, outside): (Vec<&String>, Vec<&String>) = tree
            .iter()
            .filter(|(_, b)| contains(b, canary))
            .map(|(p, _)| p)
            .partition(|p| p.starts_with("_gated/"));
        assert!(!inside.is_empty(), "{canary} missing from _gated/");
        assert!(outside.is_empty(), "{canary} leaked into {outside:?}");
    }
    // The teaser is public, with the summary.
    assert!(contains(&tree["essays/upper/index.html"], "Public words."));
}

#[test]
fn manifest_maps_gated_urls() {
    let (_tmp, tree) = built_fixture(&[]);
    let manifest = gate::Manifest::from_json(
        std::str::from_utf8(&tree[gate::manifest::MANIFEST_FILE]).unwrap(),
    )
    .unwrap();
    assert_eq!(manifest.levels, ["member", "pro"]);
    assert_eq!(manifest.products, ["rust-course", "style-guide"]);
    let entries: Vec<(&str, &str, &str, &str)> = manifest
        .entries
        .iter()
        .map(|(k, e)| {
            (
                k.as_str(),
                match (e.level.as_deref(), e.product.as_deref()) {
                    (Some(level), None) => level,
                    // A course's chapters: its buyers, or pro (the product's `level`).
                    (Some("pro"), Some("rust-course")) => "pro or rust-course",
                    // Sold on its own and in no level: only its buyers.
                    (None, Some("style-guide")) => "style-guide",
                    other => panic!("{k}: {other:?}"),
                },
                e.file.as_str(),
                e.teaser.as_deref().unwrap_or("(none: 404)"),
            )
        })
        .collect();
    assert_eq!(
        entries,
        [
            (
                "/courses/deliberate-practice/",
                "pro",
                "_gated/courses/deliberate-practice/index.html",
                "courses/deliberate-practice/index.html"
            ),
            (
                "/essays/member-essay/",
                "member",
                "_gated/essays/member-essay/index.html",
                "essays/member-essay/index.html"
            ),
            // A gated page's file: members get it, everyone else a 404 (no teaser).
            (
                "/essays/member-essay/worksheet.txt",
                "member",
                "_gated/essays/member-essay/worksheet.txt",
                "(none: 404)"
            ),
            (
                "/essays/style-guide/",
                "style-guide",
                "_gated/essays/style-guide/index.html",
                "essays/style-guide/index.html"
            ),
            (
                "/rust-course/lifetimes/",
                "pro or rust-course",
                "_gated/rust-course/lifetimes/index.html",
                "rust-course/lifetimes/index.html"
            ),
            (
                "/rust-course/ownership/",
                "pro or rust-course",
                "_gated/rust-course/ownership/index.html",
                "rust-course/ownership/index.html"
            ),
            (
                "/笔记/会员专享/",
                "member",
                "_gated/笔记/会员专享/index.html",
                "笔记/会员专享/index.html"
            ),
        ]
    );
    for (url, entry) in &manifest.entries {
        assert!(tree.contains_key(&entry.file), "{url}");
        if let Some(teaser) = &entry.teaser {
            assert!(tree.contains_key(teaser), "{url}");
        }
        // The key is what the gate computes for the percent-encoded request path.
        let encoded: String = url
            .bytes()
            .map(|b| {
                if b.is_ascii() {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        assert_eq!(gate::path::normalize(&encoded).unwrap(), *url);
    }
}

#[test]
fn public_layout_feeds_and_static() {
    let (_tmp, tree) = built_fixture(&[]);
    for path in [
        "index.html",
        "404.html",
        "about/index.html",
        "essays/index.html",
        "essays/public-essay/index.html",
        "essays/public-essay/figure.svg",
        "courses/index.html",
        "笔记/index.html",
        "笔记/入门指南/index.html",
        "membership/index.html",
        "atom.xml",
        "sitemap.xml",
        "search.json",
        "search-0.json",
        "robots.txt",
        "style.css",
    ] {
        assert!(
            tree.contains_key(path),
            "{path} missing; have {:?}",
            tree.keys().collect::<Vec<_>>()
        );
    }
    let atom = String::from_utf8_lossy(&tree["atom.xml"]);
    assert!(
        atom.contains("<updated>2024-04-01T09:30:00+02:00</updated>"),
        "feed updated = newest page date"
    );
    assert!(atom.contains("public footnote"), "public pages in full");
    let search = String::from_utf8_lossy(&tree["search-0.json"]);
    assert!(search.contains("every markdown extension"));
}

#[test]
fn drafts_appear_nowhere_unless_asked() {
    let (_tmp, tree) = built_fixture(&[]);
    for canary in DRAFT_CANARIES {
        let hits: Vec<&String> = tree
            .iter()
            .filter(|(_, b)| contains(b, canary))
            .map(|(p, _)| p)
            .collect();
        assert!(hits.is_empty(), "{canary} in {hits:?}");
    }
    let (_tmp, tree) = built_fixture(&["--drafts"]);
    // Built when asked: so their absence above is the build's doing, not the fixture's.
    for canary in DRAFT_CANARIES {
        assert!(
            tree.values().any(|b| contains(b, canary)),
            "{canary} not built even with --drafts"
        );
    }
    assert!(contains(
        &tree["essays/draft-essay/index.html"],
        "CANARY-DRAFT-9c1e"
    ));
    // A gated page in review is still gated when built.
    assert!(contains(
        &tree["_gated/essays/review-essay/index.html"],
        "CANARY-REVIEW-9c1e"
    ));
    assert!(!contains(
        &tree["essays/review-essay/index.html"],
        "CANARY-REVIEW-9c1e"
    ));
}

#[test]
fn two_builds_are_byte_identical() {
    let tmp = tempfile::tempdir().unwrap();
    build(&fixture("site"), &tmp.path().join("a"), &[]);
    build(&fixture("site"), &tmp.path().join("b"), &[]);
    assert!(read_tree(&tmp.path().join("a")) == read_tree(&tmp.path().join("b")));
}

#[test]
fn failed_build_leaves_previous_bundle_untouched() {
    let (tmp, site, out) = scratch_site();
    build(&site, &out, &[]);
    let before = read_tree(&out);
    std::fs::write(
        site.join("content/essays/public-essay.md"),
        "---\ntitle: x\nlevle: pro\n---\n",
    )
    .unwrap();
    let failed = lyceum(
        &site,
        &[
            "build",
            "--root",
            site.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert!(!failed.status.success());
    assert_left_as_it_was(tmp.path(), &out, &before);
}

/// Regression (issue 9, item 9): a `_redirects` or `_headers` file in `static/` or
/// `content/` was published, and Cloudflare reads those as rules that can rewrite a public
/// URL into `/_gated/` or change the headers of gated answers. Refused at any depth.
#[test]
fn cloudflare_redirects_and_headers_files_are_refused_and_dist_is_untouched() {
    let (tmp, site, out) = scratch_site();
    build(&site, &out, &[]);
    let before = read_tree(&out);
    let planted = [
        "static/_redirects",
        "static/deep/_headers",
        "content/_headers",
        "content/essays/member-essay/_redirects",
        "themes/default/static/_Headers",
    ];
    let rule = "/essays/open/ /_gated/essays/member-essay/index.html 200\n";
    write_files(&site, &planted.map(|p| (p, rule)));
    let failed = lyceum(
        &site,
        &[
            "build",
            "--root",
            site.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
    );
    let stderr = String::from_utf8_lossy(&failed.stderr);
    assert_eq!(failed.status.code(), Some(1), "{stderr}");
    for path in planted {
        let name = path.rsplit('/').next().unwrap();
        let line = format!(
            "{path}: error: a file named `{}` is not allowed: Cloudflare would read it as",
            if name.eq_ignore_ascii_case("_headers") {
                "_headers"
            } else {
                "_redirects"
            }
        );
        assert!(stderr.contains(&line), "{line}\nin:\n{stderr}");
    }
    assert!(stderr.contains("5 problems found"), "{stderr}");
    assert_left_as_it_was(tmp.path(), &out, &before);
    // `lyceum check` refuses them the same way.
    let checked = lyceum(&site, &["check", "--root", site.to_str().unwrap()]);
    assert_eq!(checked.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&checked.stderr)
        .contains("static/_redirects: error: a file named `_redirects`"));
}

#[test]
fn successful_rebuild_replaces_and_cleans_up() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("dist");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("stale.html"), "old").unwrap();
    build(&fixture("site"), &out, &[]);
    assert!(!out.join("stale.html").exists());
    assert_eq!(names(tmp.path()), ["dist"]);
}

#[test]
fn refuses_to_replace_the_site_itself() {
    let tmp = tempfile::tempdir().unwrap();
    let site = tmp.path().join("site");
    copy_tree(&fixture("site"), &site);
    for out in [".", "content", "static", ".."] {
        let before = read_tree(&site);
        let result = lyceum(&site, &["build", "--out", out]);
        assert!(!result.status.success(), "--out {out}");
        assert!(
            String::from_utf8_lossy(&result.stderr).contains("contains the site's sources"),
            "--out {out}"
        );
        assert!(read_tree(&site) == before, "--out {out} changed the site");
    }
}

#[test]
fn base_url_flag_overrides_site_yaml() {
    let (_tmp, tree) = built_fixture(&["--base-url", "https://preview.example/"]);
    let sitemap = String::from_utf8_lossy(&tree["sitemap.xml"]);
    assert!(sitemap.contains("<loc>https://preview.example/essays/</loc>"));
    assert!(
        sitemap.contains("https://preview.example/%E7%AC%94%E8%AE%B0/"),
        "non-ASCII URLs percent-encoded"
    );
}

/// A build writes its bundle and nothing else: not into the site, not into the folder it
/// runs in, not beside its output (the staging folder is gone when it returns). Without
/// `--out` the bundle is `<root>/dist`, never `./dist`. (This replaces a check that
/// `generator/dist` was absent, which only said something about the checkout.)
#[test]
fn build_writes_nowhere_but_its_out_folder() {
    let tmp = tempfile::tempdir().unwrap();
    copy_tree(&fixture("site"), &tmp.path().join("site"));
    let cwd = tmp.path().join("cwd");
    std::fs::create_dir(&cwd).unwrap();
    for (args, out) in [(&["--out", "../out"][..], "out"), (&[][..], "site/dist")] {
        let before = dir_state(tmp.path());
        let mut all = vec!["build", "--root", "../site"];
        all.extend_from_slice(args);
        let result = lyceum(&cwd, &all);
        assert!(
            result.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&result.stderr)
        );
        let after = dir_state(tmp.path());
        let written = changed_paths(&before, &after);
        let stray: Vec<&PathBuf> = written.iter().filter(|p| !p.starts_with(out)).collect();
        assert!(
            stray.is_empty(),
            "{args:?}: wrote {} paths outside `{out}`, first {:?}",
            stray.len(),
            &stray[..stray.len().min(3)]
        );
        // It did build, and there: the check above is not satisfied by writing nothing.
        let index = Path::new(out).join("index.html");
        assert!(
            written.contains(&index) && after[&index].is_some(),
            "{args:?}: no {}",
            index.display()
        );
        std::fs::remove_dir_all(tmp.path().join(out)).unwrap();
    }
}

#[test]
fn json_summary_on_stdout_for_ci() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("dist");
    let site = fixture("site");
    let started = Instant::now();
    let result = lyceum(
        &site,
        &[
            "build",
            "--json",
            "--verbose",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    let wall = started.elapsed();
    assert_eq!(result.status.code(), Some(0));
    assert!(
        result.stderr.is_empty(),
        "--json prints nothing on stderr: {}",
        String::from_utf8_lossy(&result.stderr)
    );
    let json: serde_json::Value =
        serde_json::from_slice(&result.stdout).expect("stdout is one JSON object");
    assert_eq!(json["ok"], true);
    let files = read_tree(&out).len() as u64;
    assert_eq!(json["files"].as_u64(), Some(files));
    assert_eq!(json["gated"].as_u64(), Some(6));
    assert!(json["pages"].as_u64().unwrap() >= 6, "{json}");
    assert!(json["sections"].as_u64().unwrap() >= 4, "{json}");
    assert_eq!(json["out"].as_str(), out.to_str());
    assert_timings_add_up(&json, wall);
    let templates: Vec<&str> = json["templates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert!(
        templates.contains(&"page.html") && templates.len() <= 5,
        "{templates:?}"
    );
}

/// The `--json` timings are measurements that agree with each other, not placeholders
/// (the old check, `ms >= 0.0`, held for any number): the total is positive, finite and
/// the sum of the five stages of `lyceum::build` (each figure is rounded to 0.1 ms on its
/// own), and it fits in the wall time the test saw from outside the process.
fn assert_timings_add_up(json: &serde_json::Value, wall: Duration) {
    let total = json["ms"].as_f64().expect("`ms` is a number");
    assert!(total.is_finite() && total > 0.0, "ms = {total}");
    let stages = json["stages"].as_object().expect("`stages` is an object");
    let mut names: Vec<&str> = stages.keys().map(String::as_str).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "load and parse",
            "render and write",
            "swap",
            "templates",
            "worker routes"
        ]
    );
    let stage = |name: &str| stages[name].as_f64().expect("a stage time is a number");
    for name in &names {
        let ms = stage(name);
        assert!(ms.is_finite() && ms >= 0.0, "{name}: {ms}");
        assert!(ms <= total, "{name}: {ms} ms > total {total} ms");
    }
    assert!(
        stage("render and write") > 0.0,
        "rendering the fixture takes time: {stages:?}"
    );
    let sum: f64 = names.iter().map(|n| stage(n)).sum();
    let rounding = 0.05 * (names.len() + 1) as f64 + 1e-9;
    assert!(
        (sum - total).abs() <= rounding,
        "stages add up to {sum} ms, total says {total} ms"
    );
    let wall_ms = wall.as_secs_f64() * 1e3;
    assert!(
        total <= wall_ms,
        "the build took {total} ms inside a process that ran {wall_ms} ms"
    );
    for t in json["templates"]
        .as_array()
        .expect("`templates` with --verbose")
    {
        let ms = t["ms"].as_f64().expect("a template time is a number");
        assert!(ms.is_finite() && ms >= 0.0, "{t}");
        assert!(t["renders"].as_u64().is_some_and(|n| n > 0), "{t}");
    }
}

#[test]
fn json_errors_keep_the_exit_code() {
    let tmp = tempfile::tempdir().unwrap();
    let site = tmp.path().join("site");
    copy_tree(&fixture("invalid/many-errors"), &site);
    let result = lyceum(&site, &["build", "--json", "--out", "../dist"]);
    assert_eq!(result.status.code(), Some(1));
    let json: serde_json::Value =
        serde_json::from_slice(&result.stdout).expect("stdout is one JSON object");
    assert_eq!(json["ok"], false);
    let errors = json["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 3);
    assert_eq!(errors[0]["path"], "content/a.md");
    assert_eq!(
        (errors[0]["line"].as_u64(), errors[0]["col"].as_u64()),
        (Some(3), Some(8))
    );
    assert_eq!(errors[0]["message"], "unknown level `platinum`");
    assert!(errors[0]["help"].as_str().unwrap().contains("`member`"));
    assert!(json.get("pages").is_none());
    assert!(!tmp.path().join("dist").exists());
}

#[test]
fn quiet_build_prints_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("dist");
    let result = lyceum(
        &fixture("site"),
        &["build", "--quiet", "--out", out.to_str().unwrap()],
    );
    assert!(result.status.success());
    assert!(
        result.stdout.is_empty() && result.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
}

#[test]
fn verbose_lists_stages_and_slowest_templates() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("dist");
    let result = lyceum(
        &fixture("site"),
        &["build", "--verbose", "--out", out.to_str().unwrap()],
    );
    assert!(result.status.success());
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(
        stderr.contains("render and write:") && stderr.contains("slowest templates"),
        "{stderr}"
    );
    assert!(stderr.contains("page.html:"), "{stderr}");
}

#[test]
fn page_assets_follow_their_page_and_index_md_is_the_folder_url() {
    let tmp = tempfile::tempdir().unwrap();
    let site = tmp.path().join("site");
    copy_tree(&fixture("site"), &site);
    write_files(
        &site,
        &[
            (
                "content/guide/index.md",
                "---\ntitle: Guide\nlevel: pro\n---\n![map](map.svg)\n",
            ),
            ("content/guide/map.svg", "<svg>CANARY-GUIDE-MAP</svg>"),
            (
                "content/essays/draft-essay/secret.txt",
                "CANARY-DRAFT-ASSET",
            ),
            ("content/files/report 1.txt", "public"),
        ],
    );
    let out = tmp.path().join("dist");
    build(&site, &out, &[]);
    let tree = read_tree(&out);
    assert!(
        tree.contains_key("_gated/guide/index.html") && tree.contains_key("guide/index.html"),
        "index.md is /guide/"
    );
    assert!(!tree.keys().any(|p| p.contains("guide/index/")));
    assert!(tree.contains_key("_gated/guide/map.svg") && !tree.contains_key("guide/map.svg"));
    assert!(
        tree.contains_key("files/report 1.txt"),
        "files of no page are public"
    );
    assert!(
        !tree.values().any(|b| contains(b, "CANARY-DRAFT-ASSET")),
        "files of an unbuilt draft are not published"
    );
    let manifest = gate::Manifest::from_json(
        std::str::from_utf8(&tree[gate::manifest::MANIFEST_FILE]).unwrap(),
    )
    .unwrap();
    let e = &manifest.entries["/guide/map.svg"];
    assert_eq!(
        (
            e.level.as_deref().unwrap(),
            e.file.as_str(),
            e.teaser.is_none()
        ),
        ("pro", "_gated/guide/map.svg", true)
    );
    // `lyceum check` agrees: the embed resolves against the page's URL.
    let checked = lyceum(&site, &["check", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&checked.stdout).unwrap();
    assert_eq!(v["errors"], serde_json::json!([]), "{v}");
}

/// Lighthouse: "robots.txt is not valid" on the demo, whose bundle had no robots.txt.
/// The build writes a valid one naming the sitemap; a site's own `static/robots.txt` wins.
#[test]
fn no_valid_robots_txt_without_a_static_one() {
    let tmp = tempfile::tempdir().unwrap();
    let site = tmp.path().join("site");
    copy_tree(&fixture("site"), &site);
    let own = std::fs::read(site.join("static/robots.txt")).unwrap();
    std::fs::remove_file(site.join("static/robots.txt")).unwrap();
    let out = tmp.path().join("dist");
    build(&site, &out, &["--base-url", "https://ex.org/"]);
    let robots =
        String::from_utf8(read_tree(&out).remove("robots.txt").expect("robots.txt")).unwrap();
    assert_eq!(
        robots,
        "User-agent: *\nAllow: /\n\nSitemap: https://ex.org/sitemap.xml\n"
    );

    std::fs::write(site.join("static/robots.txt"), &own).unwrap();
    build(&site, &out, &[]);
    assert_eq!(
        read_tree(&out)["robots.txt"],
        own,
        "the site's own file wins"
    );
}

/// Issue 13, item 4: a static file over Cloudflare's 25 MiB per-file limit was built and
/// swapped in, to fail only at deploy. Now the build fails before the swap, naming the
/// file, its size, the limit and what to do, and the previous bundle stays; `lyceum check`
/// reports the same error.
#[test]
fn file_over_25_mib_fails_build_and_check_and_dist_is_untouched() {
    let (tmp, site, out) = scratch_site();
    build(&site, &out, &[]);
    let before = read_tree(&out);
    // Sparse: 25 MiB + 1 byte without writing them.
    std::fs::create_dir_all(site.join("static/media")).unwrap();
    std::fs::File::create(site.join("static/media/talk.mp4"))
        .unwrap()
        .set_len(25 * 1024 * 1024 + 1)
        .unwrap();
    let message = "media/talk.mp4: error: media/talk.mp4 is 26214401 bytes (25.0 MiB); Cloudflare serves static-asset files of at most 26214400 bytes (25 MiB) on every plan";
    let failed = lyceum(
        &site,
        &[
            "build",
            "--root",
            site.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
    );
    let stderr = String::from_utf8_lossy(&failed.stderr);
    assert_eq!(failed.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains(message), "{stderr}");
    assert!(stderr.contains("move the file to R2"), "{stderr}");
    assert_left_as_it_was(tmp.path(), &out, &before);
    let checked = lyceum(&site, &["check", "--root", site.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&checked.stderr);
    assert_eq!(checked.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains(message), "{stderr}");
}

/// The build summary (and `--json`) reports the bundle against the plan's limits.
#[test]
fn build_reports_file_count_and_largest_file_against_the_plan() {
    let (_tmp, site, out) = scratch_site();
    let args = [
        "build",
        "--root",
        site.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    let text = lyceum(&site, &args);
    let stderr = String::from_utf8_lossy(&text.stderr);
    assert!(stderr.contains("free plan: "), "{stderr}");
    assert!(
        stderr.contains(" of 20000 files; largest file "),
        "{stderr}"
    );
    let json = lyceum(&site, &[&args[..], &["--json"]].concat());
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let on_disk = walkdir::WalkDir::new(&out)
        .into_iter()
        .filter(|e| e.as_ref().unwrap().file_type().is_file())
        .count();
    assert_eq!(v["files"].as_u64(), Some(on_disk as u64));
    let limits = &v["limits"];
    assert_eq!(limits["plan"], "free");
    assert_eq!(limits["max_files"], 20_000);
    assert_eq!(limits["max_file_bytes"], 25 * 1024 * 1024);
    let largest = limits["largest_file"].as_str().unwrap();
    let biggest_on_disk = walkdir::WalkDir::new(&out)
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .map(|e| e.metadata().unwrap().len())
        .max()
        .unwrap();
    assert_eq!(limits["largest_bytes"].as_u64(), Some(biggest_on_disk));
    assert_eq!(
        std::fs::metadata(out.join(largest)).unwrap().len(),
        biggest_on_disk
    );
    // `plan: paid` raises the file limit.
    let yaml = std::fs::read_to_string(site.join("site.yaml")).unwrap();
    std::fs::write(site.join("site.yaml"), format!("plan: paid\n{yaml}")).unwrap();
    let json = lyceum(&site, &[&args[..], &["--json"]].concat());
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v["limits"]["plan"], "paid");
    assert_eq!(v["limits"]["max_files"], 100_000);
}

/// After a failed build: the previous bundle is byte for byte as it was, and nothing
/// (no staging folder) was left beside it.
fn assert_left_as_it_was(tmp: &Path, out: &Path, before: &BTreeMap<String, Vec<u8>>) {
    assert!(
        read_tree(out) == *before,
        "dist changed after a failed build"
    );
    assert_eq!(names(tmp), ["dist", "site"], "staging folder left behind");
}

/// The pages the member routes redirect to: public, `noindex`, listed nowhere, with the
/// forms of the member contract (`MEMBERS-CONTRACT.md`), and no gated text.
#[test]
fn member_pages_are_public_noindex_utility_pages_with_the_contract_forms() {
    let (_tmp, tree) = built_fixture(&[]);
    let page = |path: &str| {
        String::from_utf8(
            tree.get(path)
                .unwrap_or_else(|| panic!("{path} missing"))
                .clone(),
        )
        .unwrap()
    };
    let public = [
        "signin/index.html",
        "signin/sent/index.html",
        "signin/invalid/index.html",
        "signin/later/index.html",
        "account/index.html",
    ];
    for path in public {
        let html = page(path);
        assert!(
            html.contains(r#"<meta name="robots" content="noindex">"#),
            "{path}"
        );
    }
    let lists = [page("sitemap.xml"), page("search.json"), page("atom.xml")];
    for url in ["/signin/", "/account/", "/_lyceum/"] {
        for list in &lists {
            assert!(!list.contains(url), "{url} listed: {list}");
        }
    }
    let signin = page("signin/index.html");
    assert!(signin.contains(r#"<form class="member-form" method="post" action="/_lyceum/signin">"#));
    assert!(signin.contains(r#"type="email" name="email""#));
    assert!(signin.contains(r#"type="hidden" name="next""#));
    assert!(signin.contains(r#"id="lyceum-signin-error" role="alert" hidden"#));
    let sent = page("signin/sent/index.html");
    assert!(sent.contains(r#"method="post" action="/_lyceum/code""#));
    assert!(sent.contains(r#"name="email""#) && sent.contains(r#"name="code""#));
    assert!(sent.contains("15 minutes"));
    for path in ["signin/invalid/index.html", "signin/later/index.html"] {
        assert!(
            page(path).contains(r#"href="/signin/""#),
            "{path} offers to ask again"
        );
    }
    let account = page("account/index.html");
    assert_eq!(
        account
            .matches(r#"method="post" action="/_lyceum/signout""#)
            .count(),
        2
    );
    assert!(account.contains(r#"<input type="hidden" name="everywhere" value="1">"#));
    assert!(account.contains(r#"href="/_lyceum/account/data""#));
    assert!(account.contains(r#"action="/_lyceum/account/delete""#));
    assert!(account.contains(r#"name="confirm" pattern="delete""#));
    // The confirm page is private: only under _gated/, its secret slot once, in the form.
    let confirm = page(members::http::CONFIRM_TEMPLATE);
    assert_eq!(confirm.matches(members::http::CONFIRM_SLOT).count(), 1);
    assert!(confirm.contains(&format!(
        r#"<input type="hidden" name="t" value="{}">"#,
        members::http::CONFIRM_SLOT
    )));
    assert!(confirm.contains(r#"method="post" action="/_lyceum/confirm""#));
    assert!(confirm.contains(r#"<meta name="robots" content="noindex">"#));
    assert!(!tree
        .keys()
        .any(|p| !p.starts_with("_gated/") && p.contains("confirm")));
    // The header links to /signin/; the paywall's form signs in and comes back.
    assert!(page("index.html").contains(r#"<a class="account-signin" href="/signin/">Sign in</a>"#));
    let teaser = page("essays/member-essay/index.html");
    assert!(
        teaser.contains(r#"method="post" action="/_lyceum/signin""#),
        "{teaser}"
    );
    assert!(
        teaser.contains(
            r#"<input type="hidden" name="next" value="&#x2F;essays&#x2F;member-essay&#x2F;">"#
        ),
        "{teaser}"
    );
    assert!(teaser.contains(r#"href="&#x2F;membership&#x2F;""#));
}

#[test]
fn closed_signup_offers_no_sign_in_form() {
    let (_tmp, site, out) = scratch_site();
    let config = std::fs::read_to_string(site.join("site.yaml")).unwrap();
    std::fs::write(
        site.join("site.yaml"),
        format!("{config}members: {{signup: closed}}\n"),
    )
    .unwrap();
    build(&site, &out, &[]);
    let tree = read_tree(&out);
    for path in [
        "signin/index.html",
        "essays/member-essay/index.html",
        "index.html",
    ] {
        let html = String::from_utf8_lossy(&tree[path]);
        assert!(!html.contains("action=\"/_lyceum/signin\""), "{path}");
        assert!(!html.contains("class=\"account-signin\""), "{path}");
    }
}

/// Issue 13, item 5: a section's list page listed every page of the section, so a
/// section of 100,000 pages was one 55 MiB file (over Cloudflare's 25 MiB per file) and
/// one serial job. Now `paginate` pages go on a list page: `/s/`, `/s/page/2/`, … with
/// previous and next links, every list page in the sitemap, and a page's URL there is
/// refused like any other generated URL.
#[test]
fn a_section_list_page_grows_with_the_section() {
    let tmp = tempfile::tempdir().unwrap();
    let site = tmp.path().join("site");
    let mut files = vec![
        (
            "site.yaml".to_string(),
            "title: T\nbase_url: https://ex.org\npaginate: 2\n".to_string(),
        ),
        (
            "content/notes/_index.md".into(),
            "---\ntitle: Notes\n---\n".into(),
        ),
    ];
    for n in 1..=5 {
        files.push((
            format!("content/notes/n{n}.md"),
            format!("---\ntitle: Note {n}\ndate: 2024-01-0{n}\n---\nbody {n}\n"),
        ));
    }
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    write_files(&site, &refs);
    let out = tmp.path().join("dist");
    build(&site, &out, &[]);
    let tree = read_tree(&out);
    // tera escapes `/` in attributes (`&#x2F;`).
    let text = |p: &str| String::from_utf8_lossy(&tree[p]).replace("&#x2F;", "/");
    // Newest first, two to a list page.
    let lists = [
        ("notes/index.html", ["Note 5", "Note 4"].as_slice()),
        ("notes/page/2/index.html", &["Note 3", "Note 2"]),
        ("notes/page/3/index.html", &["Note 1"]),
    ];
    for (path, titles) in lists {
        let html = text(path);
        let listed: Vec<String> = (1..=5)
            .rev()
            .map(|n| format!("Note {n}"))
            .filter(|t| html.contains(&format!(">{t}<")))
            .collect();
        assert_eq!(listed, titles, "{path}");
    }
    assert!(!tree.contains_key("notes/page/4/index.html"));
    let first = text("notes/index.html");
    assert!(
        first.contains("<link rel=\"next\" href=\"/notes/page/2/\">"),
        "{first}"
    );
    assert!(!first.contains("rel=\"prev\""));
    let middle = text("notes/page/2/index.html");
    assert!(middle.contains("href=\"/notes/\">"), "{middle}");
    assert!(middle.contains("rel=\"next\" href=\"/notes/page/3/\""));
    assert!(middle.contains("<link rel=\"canonical\" href=\"https://ex.org/notes/page/2/\">"));
    let last = text("notes/page/3/index.html");
    assert!(!last.contains("rel=\"next\""));
    let sitemap = text("sitemap.xml");
    for url in ["/notes/", "/notes/page/2/", "/notes/page/3/"] {
        assert!(
            sitemap.contains(&format!("<loc>https://ex.org{url}</loc>")),
            "{sitemap}"
        );
    }

    // A page at a generated list URL is refused.
    write_files(
        &site,
        &[("content/notes/page/2.md", "---\ntitle: Clash\n---\n")],
    );
    let failed = lyceum(
        &site,
        &[
            "build",
            "--root",
            site.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert!(!failed.status.success());
    let err = String::from_utf8_lossy(&failed.stderr);
    assert!(
        err.contains("URL `/notes/page/2/` is also produced by the generated list page"),
        "{err}"
    );
}
