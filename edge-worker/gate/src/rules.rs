//! The Worker's route list: which request paths Cloudflare sends to the Worker first
//! (`[assets] run_worker_first = [...]`); every other path is served by the static-assets
//! router directly, which is free and unlimited, and never runs the Worker.
//!
//! Cloudflare's rules (wrangler ≥ 4.20): at most [`MAX_RULES`] rules of at most
//! [`MAX_RULE_LEN`] characters; `/…` positive, `!/…` negative, a negative wins; only `*` is
//! special and it matches any run of characters, `/` included; a rule matches the whole
//! raw (undecoded) URL pathname, case-sensitively. A path that matches no rule goes to the
//! assets router, which serves a file only at its canonical spelling (each segment
//! decoded, then encoded as `encodeURIComponent` does, `//` collapsed) and answers every
//! other spelling of an existing file with a 307 to that canonical spelling.
//!
//! So the list must match the canonical spelling of every gated URL (else the assets
//! router serves its public teaser, or the 404 page for a gated file) and of every file
//! under `_gated/` (else it serves the full page to anyone): [`FIXED`] covers the private
//! tree, and [`compute`] adds the gated URLs, folded into section prefixes where that is
//! cheaper, without matching any public file's URL (public page views stay free). When
//! that needs more than [`MAX_RULES`], it falls back to a wide list ([`WorkerRoutes::wide`]):
//! everything but public static files by extension, each exclusion proven to match no
//! gated URL and no `_gated/` file.
//!
//! All of it is pure; [`for_bundle`] is the one function that reads a bundle folder.

use crate::manifest::{Manifest, MANIFEST_FILE};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::Path;

/// Where `lyceum build` writes the list, relative to the bundle root: in the private
/// tree, so it is deployed with the bundle but answered 404 like the rest of `_gated/`.
pub const RULES_FILE: &str = "_gated/worker-routes.json";

/// Cloudflare's limits on `run_worker_first` rules.
pub const MAX_RULES: usize = 100;
pub const MAX_RULE_LEN: usize = 100;

/// Always in the list: the private tree and the Worker's own routes.
pub const FIXED: [&str; 2] = ["/_gated/*", "/_lyceum/*"];

/// The list for one bundle, as written to [`RULES_FILE`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkerRoutes {
    /// The value of `[assets] run_worker_first`, [`FIXED`] first.
    pub run_worker_first: Vec<String>,
    /// True for the fallback list: every request but public static files runs the Worker.
    pub wide: bool,
    /// Why the fallback was taken (for the build's output), when it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl WorkerRoutes {
    /// Deterministic pretty JSON, ending in a newline.
    pub fn to_json(&self) -> String {
        let mut json = serde_json::to_string_pretty(self).unwrap_or_default();
        json.push('\n');
        json
    }
}

/// Whether one rule (without its `!`) matches a raw pathname: `*` is any run of
/// characters (`/` included), everything else is literal, the match is anchored.
pub fn rule_matches(rule: &str, pathname: &str) -> bool {
    let Some((first, tail)) = rule.split_once('*') else {
        return rule == pathname; // no `*`: exact
    };
    let Some(mut rest) = pathname.strip_prefix(first) else {
        return false;
    };
    let (middle, last) = tail.rsplit_once('*').unwrap_or(("", tail));
    for part in middle.split('*').filter(|p| !p.is_empty()) {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

/// Whether a request for the raw `pathname` runs the Worker first under `rules`
/// (a negative rule wins over every positive one).
pub fn runs_worker(rules: &[String], pathname: &str) -> bool {
    let (negative, positive): (Vec<&String>, Vec<&String>) =
        rules.iter().partition(|r| r.starts_with('!'));
    !negative.iter().any(|r| rule_matches(&r[1..], pathname))
        && positive.iter().any(|r| rule_matches(r, pathname))
}

/// A decoded path as the assets router spells it canonically: each segment encoded as
/// JavaScript's `encodeURIComponent` does (UTF-8, uppercase hex).
pub fn encode_path(decoded: &str) -> String {
    // Nearly every path needs no escape: one scan, one copy.
    if decoded.bytes().all(|b| b == b'/' || unreserved(b)) {
        return decoded.to_string();
    }
    let mut out = String::with_capacity(decoded.len());
    for (i, segment) in decoded.split('/').enumerate() {
        if i > 0 {
            out.push('/');
        }
        crate::path::percent_encode(&mut out, segment, unreserved);
    }
    out
}

/// What `encodeURIComponent` leaves as it is.
fn unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&b)
}

/// The spellings at which the assets router (`html_handling = "auto-trailing-slash"`)
/// serves or redirects for a bundle file: its own path and, for HTML, its pretty URL
/// (`a/index.html` → `/a` and `/a/`; `a/b.html` → `/a/b`), in sorted order.
pub fn file_spellings(file: &str) -> Vec<String> {
    let mut out = Vec::with_capacity(3);
    push_file_spellings(file, &mut out);
    out
}

/// [`file_spellings`], pushed onto `out` (a bundle's worth go into one vector).
fn push_file_spellings(file: &str, out: &mut Vec<String>) {
    let own = encode_path(&format!("/{file}"));
    let (pretty, bare) =
        if let Some(dir) = own.strip_suffix("index.html").filter(|d| d.ends_with('/')) {
            (Some(dir), (dir != "/").then(|| dir.trim_end_matches('/')))
        } else {
            let stem = own.strip_suffix(".html").filter(|s| !s.ends_with('/'));
            (stem, None)
        };
    // Shortest first, so a sorted list of files gives nearly sorted spellings.
    out.extend(bare.map(str::to_string));
    out.extend(pretty.map(str::to_string));
    out.push(own);
}

/// The spellings of a gated URL (a manifest key) that must run the Worker: for a pretty
/// URL `/x/` also `/x` and `/x/index.html` (the assets router maps both to it).
pub fn url_spellings(key: &str) -> Vec<String> {
    let e = encode_path(key);
    match e.strip_suffix('/') {
        Some("") => vec![e.clone(), "/index.html".into()],
        Some(stem) => vec![e.clone(), stem.to_string(), format!("{e}index.html")],
        None => vec![e],
    }
}

/// What the rules must and must not match, from the manifest and the bundle's files.
struct Paths {
    /// Spellings of gated URLs, sorted: must run the Worker.
    gated: Vec<String>,
    /// Spellings of files under `_gated/`, sorted: must run the Worker.
    private: Vec<String>,
    /// Spellings of public files that are not gated URLs: must not, sorted for range queries.
    public: Vec<String>,
}

impl Paths {
    fn new(manifest: &Manifest, files: &[String]) -> Paths {
        let gated = sorted(
            manifest
                .entries
                .keys()
                .flat_map(|k| url_spellings(k))
                .collect(),
        );
        let (mut private, mut public) = (Vec::new(), Vec::with_capacity(files.len() * 2));
        for f in files {
            let into = if crate::path::is_private(f) {
                &mut private
            } else {
                &mut public
            };
            push_file_spellings(f, into);
        }
        let public = minus(sorted(public), &gated);
        Paths {
            gated,
            private: sorted(private),
            public,
        }
    }

    /// Public spellings matched by a rule: a range for `prefix*`, a lookup for an exact rule.
    fn public_matched(&self, rule: &str) -> &[String] {
        let at = |p: &str| self.public.partition_point(|x| x.as_str() < p);
        match rule.split_once('*') {
            None => {
                let i = at(rule);
                let hit = self.public.get(i).is_some_and(|x| x == rule);
                &self.public[i..i + usize::from(hit)]
            }
            Some((prefix, "")) => {
                let start = at(prefix);
                let len = self.public[start..]
                    .iter()
                    .take_while(|x| x.starts_with(prefix))
                    .count();
                &self.public[start..start + len]
            }
            // A `*` inside the rule (a URL with a literal `*`): no range, so no folding.
            Some(_) => &self.public[..],
        }
    }

    /// A positive rule is usable when it is short enough and matches no public spelling.
    fn usable(&self, rule: &str) -> bool {
        rule.len() <= MAX_RULE_LEN
            && if rule.matches('*').count() > 1
                || rule.split_once('*').is_some_and(|(_, r)| !r.is_empty())
            {
                !self.public.iter().any(|p| rule_matches(rule, p))
            } else {
                self.public_matched(rule).is_empty()
            }
    }
}

/// `spellings` sorted, each once (a sort of one vector, not a tree of them). A stable
/// sort, which takes the runs a sorted bundle's spellings come in as they are.
fn sorted(mut spellings: Vec<String>) -> Vec<String> {
    spellings.sort();
    spellings.dedup();
    spellings
}

/// The sorted `all` without the sorted `gone`: one merge of the two, not a search of
/// `gone` for each of `all`.
fn minus(mut all: Vec<String>, gone: &[String]) -> Vec<String> {
    let mut gone = gone.iter().peekable();
    all.retain(|p| {
        while gone.next_if(|g| g.as_str() < p.as_str()).is_some() {}
        gone.peek().is_none_or(|g| *g != p)
    });
    all
}

/// Rules for one gated URL on its own: `/x*` (every spelling), else `/x/*` and `/x`, else
/// each spelling exactly; `None` if none of these avoids the public URLs within the limits.
fn single(paths: &Paths, key: &str) -> Option<Vec<String>> {
    // Each option is made only if the one before it is not usable (nearly always the
    // first is: a bundle has thousands of gated URLs).
    let usable = |rules: Vec<String>| rules.iter().all(|r| paths.usable(r)).then_some(rules);
    let e = encode_path(key);
    let stem = e.trim_end_matches('/');
    if !stem.is_empty() {
        // A long URL: its first characters, if no public URL starts with them.
        let cut = (0..=stem.len().min(MAX_RULE_LEN - 1))
            .rev()
            .find(|&i| stem.is_char_boundary(i))
            .unwrap_or(0);
        if let Some(rules) = usable(vec![format!("{}*", &stem[..cut])]) {
            return Some(rules);
        }
    }
    if e.ends_with('/') && !stem.is_empty() {
        if let Some(rules) = usable(vec![format!("{e}*"), stem.to_string()]) {
            return Some(rules);
        }
    }
    usable(url_spellings(key))
}

/// One folder of the gated URLs' tree.
#[derive(Default)]
struct Node {
    children: BTreeSet<String>,
    keys: Vec<String>,
}

/// The fewest rules covering every gated URL under `dir`: each child and URL on its own,
/// or the whole folder (`dir*`) with a negative rule for each public URL inside it.
fn best(paths: &Paths, tree: &BTreeMap<String, Node>, dir: &str) -> Option<Vec<String>> {
    let node = &tree[dir];
    let mut split = Some(Vec::new());
    for child in &node.children {
        split = split.zip(best(paths, tree, child)).map(|(mut a, b)| {
            a.extend(b);
            a
        });
    }
    for key in &node.keys {
        split = split.zip(single(paths, key)).map(|(mut a, b)| {
            a.extend(b);
            a
        });
    }
    let fold_rule = format!("{dir}*");
    let inside = paths.public_matched(&fold_rule);
    let split_cost = split.as_ref().map_or(usize::MAX, Vec::len);
    let fold_ok = fold_rule.len() <= MAX_RULE_LEN
        && 1 + inside.len() < split_cost
        && inside
            .iter()
            .all(|p| !p.contains('*') && p.len() < MAX_RULE_LEN);
    if fold_ok {
        let mut rules = vec![fold_rule];
        rules.extend(inside.iter().map(|p| format!("!{p}")));
        Some(rules)
    } else {
        split
    }
}

/// The route list for a bundle: [`FIXED`], then the gated URLs (folded where cheaper),
/// or the wide fallback when they need more than [`MAX_RULES`] rules. Always passes
/// [`verify`].
pub fn compute(manifest: &Manifest, files: &[String]) -> WorkerRoutes {
    let paths = Paths::new(manifest, files);
    let mut tree: BTreeMap<String, Node> = BTreeMap::new();
    tree.entry("/".into()).or_default();
    for key in manifest.entries.keys() {
        let e = encode_path(key);
        let stem = e.trim_end_matches('/');
        let parent = &stem[..=stem.rfind('/').unwrap_or(0)];
        tree.entry(parent.to_string())
            .or_default()
            .keys
            .push(key.clone());
        // Link every folder to its parent, up to the root.
        let mut dir = parent.to_string();
        while dir != "/" {
            let up = dir[..dir.len() - 1]
                .rfind('/')
                .map_or("/", |i| &dir[..=i])
                .to_string();
            tree.entry(up.clone()).or_default().children.insert(dir);
            dir = up;
        }
    }
    let narrow = best(&paths, &tree, "/").map(|found| {
        let mut rules: Vec<String> = FIXED.iter().map(|r| r.to_string()).collect();
        // A set, not `rules.contains`: a section of 40,000 gated URLs made that quadratic.
        let mut seen: HashSet<String> = HashSet::with_capacity(FIXED.len() + found.len());
        seen.extend(rules.iter().cloned());
        for r in found {
            if seen.insert(r.clone()) {
                rules.push(r);
            }
        }
        drop_subsumed(rules)
    });
    match narrow {
        Some(rules) if rules.len() <= MAX_RULES => {
            let routes = WorkerRoutes {
                run_worker_first: rules,
                wide: false,
                note: None,
            };
            if verify(&routes, manifest, files).is_ok() {
                return routes;
            }
            wide(
                &paths,
                manifest.entries.len(),
                "the narrow list failed its own check",
            )
        }
        Some(rules) => wide(
            &paths,
            manifest.entries.len(),
            &format!("they need {} rules", rules.len()),
        ),
        None => wide(
            &paths,
            manifest.entries.len(),
            "some cannot be matched without matching a public URL",
        ),
    }
}

/// Positive rules whose every match another positive `prefix*` rule already matches are
/// dropped (negative rules stay: they only ever exclude public URLs).
fn drop_subsumed(rules: Vec<String>) -> Vec<String> {
    let prefixes: HashSet<&str> = rules
        .iter()
        .filter(|r| !r.starts_with('!') && r.ends_with('*') && r.matches('*').count() == 1)
        .map(|r| &r[..r.len() - 1])
        .collect();
    // Each rule looks up its own literal's prefixes in the set, rather than testing every
    // prefix rule: linear in the rules, not quadratic. Only the lengths some prefix has
    // are tried (a section's thousands of `/<section>/<page>*` rules share one or two).
    let lengths: BTreeSet<usize> = prefixes.iter().map(|p| p.len()).collect();
    let subsumed = |r: &str| {
        let literal = r.split('*').next().unwrap_or("");
        lengths
            .range(..=literal.len())
            .filter(|&&i| literal.is_char_boundary(i))
            .any(|&i| prefixes.contains(&literal[..i]) && r != format!("{}*", &literal[..i]))
    };
    let keep: Vec<bool> = rules
        .iter()
        .map(|r| FIXED.contains(&r.as_str()) || r.starts_with('!') || !subsumed(r))
        .collect();
    rules
        .into_iter()
        .zip(keep)
        .filter_map(|(r, keep)| keep.then_some(r))
        .collect()
}

/// The fallback: `/*` (every request runs the Worker) except public static files, by
/// extension (`!/*.css`), keeping only exclusions that match no gated URL and no file of
/// the private tree.
fn wide(paths: &Paths, gated: usize, why: &str) -> WorkerRoutes {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for p in &paths.public {
        let last = p.rsplit('/').next().unwrap_or("");
        if let Some((_, ext)) = last.rsplit_once('.') {
            if !ext.is_empty() && ext != "html" && !ext.contains('*') {
                *counts.entry(ext.to_string()).or_default() += 1;
            }
        }
    }
    let mut exts: Vec<(String, usize)> = counts.into_iter().collect();
    exts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    // `!/*.ext` matches exactly the spellings whose last `.` is followed by `ext` (which
    // holds no `.`): those of the Worker's spellings are collected once, not matched
    // against every pattern.
    let needed: HashSet<&str> = paths
        .gated
        .iter()
        .chain(&paths.private)
        .filter_map(|p| p.rsplit_once('.').map(|(_, ext)| ext))
        .collect();
    let mut rules: Vec<String> = FIXED.iter().map(|r| r.to_string()).collect();
    rules.push("/*".into());
    for (ext, _) in exts {
        if rules.len() == MAX_RULES {
            break;
        }
        let pattern = format!("/*.{ext}");
        let safe = pattern.len() < MAX_RULE_LEN && !needed.contains(ext.as_str());
        if safe {
            rules.push(format!("!{pattern}"));
        }
    }
    WorkerRoutes {
        run_worker_first: rules,
        wide: true,
        note: Some(format!(
            "the {gated} gated URLs do not fit Cloudflare's {MAX_RULES} run_worker_first rules \
             ({why}): every request except public static files runs the Worker \
             (billed per request; on the free plan 100,000 a day)"
        )),
    }
}

/// Check a route list against a bundle: Cloudflare's limits, [`FIXED`] present, every
/// gated URL's and private file's spelling runs the Worker, and (unless wide) no public
/// file's spelling does.
pub fn verify(routes: &WorkerRoutes, manifest: &Manifest, files: &[String]) -> Result<(), String> {
    let rules = &routes.run_worker_first;
    if rules.len() > MAX_RULES {
        return Err(format!("{} rules, over {MAX_RULES}", rules.len()));
    }
    for r in rules {
        if r.len() > MAX_RULE_LEN || !(r.starts_with('/') || r.starts_with("!/")) {
            return Err(format!(
                "rule {r:?}: not /… or !/… of at most {MAX_RULE_LEN} characters"
            ));
        }
    }
    for f in FIXED {
        if !rules.iter().any(|r| r == f) {
            return Err(format!("{f} is missing"));
        }
    }
    let paths = Paths::new(manifest, files);
    if let Some(p) = paths
        .gated
        .iter()
        .chain(&paths.private)
        .find(|p| !runs_worker(rules, p))
    {
        return Err(format!("{p} does not run the Worker"));
    }
    if !routes.wide {
        if let Some(p) = paths.public.iter().find(|p| runs_worker(rules, p)) {
            return Err(format!("public {p} runs the Worker"));
        }
    }
    Ok(())
}

/// The bundle's files (`/`-separated, relative, sorted) and its manifest: the I/O edge
/// for [`compute`]. A bundle without a manifest has no gated URL.
pub fn read_bundle(dir: &Path) -> std::io::Result<(Manifest, Vec<String>)> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d)? {
            let entry = entry?;
            let path = entry.path();
            if entry.file_type()?.is_dir() {
                stack.push(path);
            } else if let Ok(rel) = path.strip_prefix(dir) {
                let parts: Vec<String> = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                files.push(parts.join("/"));
            }
        }
    }
    files.sort();
    let manifest = match std::fs::read_to_string(dir.join(MANIFEST_FILE)) {
        Ok(json) => Manifest::from_json(&json).map_err(std::io::Error::other)?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Manifest {
            version: crate::manifest::VERSION,
            levels: Vec::new(),
            products: Vec::new(),
            entries: BTreeMap::new(),
        },
        Err(e) => return Err(e),
    };
    Ok((manifest, files))
}

/// [`read_bundle`] then [`compute`]: what `lyceum build` writes to [`RULES_FILE`].
pub fn for_bundle(dir: &Path) -> std::io::Result<WorkerRoutes> {
    let (manifest, files) = read_bundle(dir)?;
    Ok(compute(&manifest, &files))
}
