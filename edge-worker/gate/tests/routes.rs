//! The `run_worker_first` list (`gate::rules`) against a model of Cloudflare's routing
//! (tests/cloudflare): gated URLs and the private tree always run the Worker, public files
//! never do, within Cloudflare's limits; past them, the wide fallback is still safe.
//! generator/tests/worker_routes.rs runs the same check on the fixture site and the demo.

mod cloudflare;

use gate::rules::{compute, rule_matches, runs_worker, verify, WorkerRoutes, FIXED};
use gate::Manifest;
use proptest::prelude::*;

/// A manifest of gated pages (`/x/`, teaser `x/index.html`) and gated files (no `/` at
/// the end, no teaser), and the bundle's files: theirs plus `public`.
fn bundle(gated: &[&str], public: &[&str]) -> (Manifest, Vec<String>) {
    let mut entries = serde_json::Map::new();
    let mut files: Vec<String> = public.iter().map(|s| s.to_string()).collect();
    for key in gated {
        let rel = key.trim_start_matches('/');
        let (file, teaser) = if key.ends_with('/') {
            (
                format!("_gated/{rel}index.html"),
                Some(format!("{rel}index.html")),
            )
        } else {
            (format!("_gated/{rel}"), None)
        };
        files.push(file.clone());
        let mut e = serde_json::json!({"level": "member", "file": file});
        if let Some(t) = teaser {
            files.push(t.clone());
            e["teaser"] = t.into();
        }
        entries.insert(key.to_string(), e);
    }
    files.push("_gated/manifest.json".into());
    files.sort();
    files.dedup();
    let json = serde_json::json!({"version": 1, "levels": ["member"], "entries": entries});
    (Manifest::from_json(&json.to_string()).unwrap(), files)
}

const SITE: &[&str] = &[
    "index.html",
    "404.html",
    "style.css",
    "lyceum.js",
    "atom.xml",
    "sitemap.xml",
    "robots.txt",
    "membership/index.html",
    "courses/index.html",
    "courses/page/2/index.html",
    "courses/free-intro/index.html",
    "courses/free-intro/diagram.png",
    "essays/index.html",
    "essays/public-essay/index.html",
];

fn routes_of(gated: &[&str], public: &[&str]) -> (Manifest, Vec<String>, WorkerRoutes) {
    let (m, files) = bundle(gated, public);
    let routes = compute(&m, &files);
    verify(&routes, &m, &files).unwrap();
    (m, files, routes)
}

#[test]
fn the_private_tree_and_worker_routes_are_always_first() {
    for gated in [&[][..], &["/essays/a/"][..]] {
        let (_, _, routes) = routes_of(gated, SITE);
        assert_eq!(routes.run_worker_first[..2], FIXED.map(String::from));
    }
    // verify refuses a list without them, so the build can never write one.
    let (m, files, mut routes) = routes_of(&["/essays/a/"], SITE);
    routes.run_worker_first.retain(|r| r != "/_gated/*");
    routes.run_worker_first.push("/_gated/x/*".into());
    assert!(verify(&routes, &m, &files)
        .unwrap_err()
        .contains("/_gated/* is missing"));
}

#[test]
fn each_gated_url_runs_the_worker_in_every_spelling_and_public_files_never_do() {
    let gated = [
        "/essays/a/",
        "/essays/b/",
        "/essays/b/notes.pdf",
        "/笔记/会员/",
        "/courses/x y/",
    ];
    let (m, files, routes) = routes_of(&gated, SITE);
    assert!(!routes.wide);
    let counts = cloudflare::check(&m, &files, &routes);
    assert!(
        counts.gated_requests > 50 && counts.private_requests > 100 && counts.public_requests > 20,
        "{counts:?}"
    );
    assert_eq!(counts.public_worker_runs, 0);
}

#[test]
fn a_wholly_gated_section_folds_into_one_prefix() {
    let lessons: Vec<String> = (0..30).map(|i| format!("/pro/lesson-{i}/")).collect();
    let gated: Vec<&str> = lessons.iter().map(String::as_str).collect();
    let (m, files, routes) = routes_of(&gated, SITE);
    assert_eq!(
        routes.run_worker_first,
        ["/_gated/*", "/_lyceum/*", "/pro/*"]
    );
    cloudflare::check(&m, &files, &routes);
}

#[test]
fn a_section_with_a_public_index_folds_with_negative_rules() {
    // The section's own listing is public: `/courses/*` needs `!/courses/` and the like.
    let lessons: Vec<String> = (0..30).map(|i| format!("/courses/lesson-{i}/")).collect();
    let gated: Vec<&str> = lessons.iter().map(String::as_str).collect();
    let (m, files, routes) = routes_of(&gated, SITE);
    let rules = &routes.run_worker_first;
    assert!(rules.contains(&"/courses/*".to_string()), "{rules:?}");
    assert!(rules.contains(&"!/courses/".to_string()), "{rules:?}");
    assert!(rules.len() < 15, "{rules:?}");
    let counts = cloudflare::check(&m, &files, &routes);
    assert_eq!(counts.public_worker_runs, 0);
}

#[test]
fn urls_longer_than_a_rule_are_matched_by_their_first_characters() {
    let long = format!("/essays/{}/", "a-very-long-slug-".repeat(8));
    let (m, files, routes) = routes_of(&[&long], SITE);
    assert!(!routes.wide);
    assert!(routes.run_worker_first.iter().all(|r| r.len() <= 100));
    cloudflare::check(&m, &files, &routes);
}

#[test]
fn more_than_100_scattered_gated_urls_fall_back_to_the_wide_list() {
    // 150 sections, each with a public page beside its gated one: nothing folds.
    let mut public: Vec<String> = SITE.iter().map(|s| s.to_string()).collect();
    let mut gated = Vec::new();
    for i in 0..150 {
        public.push(format!("s{i}/index.html"));
        public.push(format!("s{i}/open/index.html"));
        public.push(format!("s{i}/figure-{i}.svg"));
        gated.push(format!("/s{i}/members/"));
    }
    gated.push("/files/handout.pdf".into());
    public.push("files/brochure.pdf".into());
    let public: Vec<&str> = public.iter().map(String::as_str).collect();
    let gated: Vec<&str> = gated.iter().map(String::as_str).collect();
    let (m, files, routes) = routes_of(&gated, &public);
    assert!(routes.wide, "{:?}", routes.run_worker_first);
    assert!(
        routes.note.as_deref().unwrap().contains("151 gated URLs"),
        "{:?}",
        routes.note
    );
    let rules = &routes.run_worker_first;
    assert!(rules.contains(&"/*".to_string()));
    // Static files stay free, except by an extension a gated file also has (pdf).
    assert!(
        rules.contains(&"!/*.css".to_string()) && rules.contains(&"!/*.svg".to_string()),
        "{rules:?}"
    );
    assert!(!rules.iter().any(|r| r == "!/*.pdf"), "{rules:?}");
    cloudflare::check(&m, &files, &routes);
    let site = cloudflare::Site::new(rules, &files);
    for free in ["/style.css", "/s7/figure-7.svg", "/lyceum.js"] {
        assert_eq!(site.visit(free).worker_runs(), 0, "{free}");
    }
    assert_eq!(site.visit("/files/handout.pdf").worker_runs(), 1);
}

#[test]
fn the_wide_list_never_excludes_an_extension_of_the_private_tree() {
    // A gated image under _gated/ and public images: `!/*.png` would serve the gated one.
    let mut public: Vec<String> = SITE.iter().map(|s| s.to_string()).collect();
    let mut gated = Vec::new();
    for i in 0..120 {
        public.push(format!("t{i}/index.html"));
        gated.push(format!("/t{i}/g/"));
    }
    gated.push("/t0/g/chart.png".into());
    let public: Vec<&str> = public.iter().map(String::as_str).collect();
    let gated: Vec<&str> = gated.iter().map(String::as_str).collect();
    let (m, files, routes) = routes_of(&gated, &public);
    assert!(routes.wide);
    assert!(!routes.run_worker_first.iter().any(|r| r == "!/*.png"));
    assert!(runs_worker(
        &routes.run_worker_first,
        "/_gated/t0/g/chart.png"
    ));
    cloudflare::check(&m, &files, &routes);
}

#[test]
fn matching_is_cloudflares() {
    let rules: Vec<String> = ["/a/*", "!/a/public/", "/b"].map(String::from).to_vec();
    assert!(runs_worker(&rules, "/a/x/y/z")); // `*` crosses `/`
    assert!(runs_worker(&rules, "/a/"));
    assert!(!runs_worker(&rules, "/a/public/")); // the negative wins
    assert!(runs_worker(&rules, "/a/public/x"));
    assert!(!runs_worker(&rules, "/A/x")); // case-sensitive
    assert!(!runs_worker(&rules, "/b/")); // anchored
    assert!(!runs_worker(&rules, "/%61/x")); // raw, undecoded
}

proptest! {
    #[test]
    fn rule_matches_agrees_with_the_model(rule in "[a/*%]{0,8}", path in "[a/%]{0,10}") {
        prop_assert_eq!(rule_matches(&rule, &path), cloudflare::glob(rule.as_bytes(), path.as_bytes()));
    }
}

#[test]
fn the_model_catches_lists_that_leak() {
    // The check must be able to fail: the old `FIXED`-only list leaves teasers to the
    // assets router, and a list without `/_gated/*` serves the full pages to anyone.
    let (m, files, routes) = routes_of(&["/essays/a/"], SITE);
    let leaky = |rules: Vec<String>| {
        let r = WorkerRoutes {
            run_worker_first: rules,
            ..routes.clone()
        };
        let (m, files) = (m.clone(), files.clone());
        std::panic::catch_unwind(move || cloudflare::check(&m, &files, &r)).is_err()
    };
    assert!(leaky(FIXED.map(String::from).to_vec()));
    assert!(leaky(vec![
        "/_lyceum/*".into(),
        "/essays/a*".into(),
        "/_gated/*".into(),
        "!/_gated/essays/*".into()
    ]));
    assert!(!leaky(routes.run_worker_first.clone()));
}

/// Issue 13, item 5: the route list of the 100,000-page anchor corpus (40,000 gated pages
/// beside 60,000 public ones in one section) took 10 s of a 44 s build: the narrow list's
/// dedup (`rules.contains`) and `drop_subsumed` compared every rule with every other. Four
/// times the URLs must cost well under sixteen times the time (linear: about four; the
/// best of three runs each, so a busy machine does not decide it).
#[test]
fn route_list_of_a_large_section_grows_linearly_not_quadratically() {
    let best_time = |n: usize| {
        let public: Vec<String> = (0..n)
            .map(|i| format!("posts/p{i:06}/index.html"))
            .collect();
        let gated: Vec<String> = (0..n).map(|i| format!("/posts/g{i:06}/")).collect();
        let public: Vec<&str> = public.iter().map(String::as_str).collect();
        let gated: Vec<&str> = gated.iter().map(String::as_str).collect();
        let (m, files) = bundle(&gated, &public);
        (0..3)
            .map(|_| {
                let start = std::time::Instant::now();
                let routes = compute(&m, &files);
                let took = start.elapsed();
                assert!(routes.wide, "{n} scattered gated URLs need the wide list");
                took
            })
            .min()
            .unwrap()
    };
    let (small, large) = (best_time(3_000), best_time(12_000));
    let ratio = large.as_secs_f64() / small.as_secs_f64();
    assert!(
        ratio < 10.0,
        "4x the URLs took {ratio:.1}x the time ({small:?} -> {large:?})"
    );
}
