//! The route list `lyceum build` writes (`_gated/worker-routes.json`), on the fixture site
//! and the demo, against the model of Cloudflare's routing in the gate's tests: every
//! spelling of every gated URL and `_gated/` file reaches the Worker or a public answer,
//! every public file is served without it.

#[path = "../../edge-worker/gate/tests/cloudflare/mod.rs"]
mod cloudflare;

use gate::rules::{read_bundle, verify, WorkerRoutes, RULES_FILE};
use lyceum::build::{build, BuildOptions};
use std::path::Path;

fn built(root: &Path) -> (tempfile::TempDir, std::path::PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("dist");
    build(&BuildOptions {
        root: root.to_path_buf(),
        out: out.clone(),
        drafts: false,
        base_url: None,
        observer: None,
    })
    .unwrap();
    (tmp, out)
}

fn check_site(root: &Path) -> cloudflare::Counts {
    let (_tmp, out) = built(root);
    let routes: WorkerRoutes =
        serde_json::from_str(&std::fs::read_to_string(out.join(RULES_FILE)).unwrap()).unwrap();
    let (manifest, files) = read_bundle(&out).unwrap();
    assert!(
        files.iter().any(|f| f == RULES_FILE),
        "the list is in the bundle"
    );
    assert!(!manifest.entries.is_empty());
    verify(&routes, &manifest, &files).unwrap();
    assert!(!routes.wide, "{:?}", routes.note);
    let counts = cloudflare::check(&manifest, &files, &routes);
    assert_eq!(counts.public_worker_runs, 0);
    assert!(counts.public_requests >= files.len() / 2, "{counts:?}");
    counts
}

#[test]
fn the_fixture_sites_routes_cover_every_gated_spelling_and_no_public_file() {
    check_site(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/site"));
}

#[test]
fn the_demos_routes_cover_every_gated_spelling_and_no_public_file() {
    check_site(&Path::new(env!("CARGO_MANIFEST_DIR")).join(".."));
}
