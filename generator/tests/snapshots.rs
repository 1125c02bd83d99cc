//! Snapshots of what the generator hands to templates and writes as data files, built from
//! the fixture site with a theme whose templates print their whole context
//! (`tests/fixtures/themes/context`). This pins the template contract of
//! `themes/default/README.md` and the rendered markdown without depending on the
//! default theme's markup. Expected files live in `tests/fixtures/expected/`;
//! `UPDATE_SNAPSHOTS=1` rewrites them (review the diff).

mod common;

use common::{assert_snapshot, build, copy_tree, fixture, read_tree};

#[test]
fn template_contexts_and_data_files() {
    let tmp = tempfile::tempdir().unwrap();
    let site = tmp.path().join("site");
    copy_tree(&fixture("site"), &site);
    copy_tree(&fixture("themes/context"), &site.join("themes/context"));
    let config = std::fs::read_to_string(site.join("site.yaml")).unwrap();
    std::fs::write(
        site.join("site.yaml"),
        config.replace("theme: default", "theme: context"),
    )
    .unwrap();
    let out = tmp.path().join("dist");
    build(&site, &out, &[]);
    let tree = read_tree(&out);
    let snapshotted: Vec<&String> = tree
        .keys()
        .filter(|p| p.ends_with(".html") || p.ends_with(".xml") || p.ends_with(".json"))
        .collect();
    assert_eq!(snapshotted.len(), 35, "{snapshotted:?}");
    for path in snapshotted {
        let text = String::from_utf8(tree[path].clone()).unwrap();
        assert_snapshot(&fixture(&format!("expected/{path}")), &text);
    }
}
