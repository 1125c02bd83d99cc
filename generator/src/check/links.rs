//! Internal link checking for `lyceum check`: every markdown link and image of a page is
//! resolved the way a reader's browser and the Worker would resolve it, and checked
//! against what the build actually produces.
//!
//! How a destination resolves:
//! - `http:`, `https:`, `mailto:` (any `scheme:`) and `//host/…` are external: not checked.
//! - `#anchor` is a heading (any `id`) of the same page.
//! - `x.md`, `../other.md`, `/essays/x.md` (any markdown name: [`crate::build::content::is_markdown`])
//!   name a source file (relative to the linking file, or to `content/` when absolute) and
//!   stand for that page's URL.
//! - anything else is a URL path, relative to the page's URL (`../x/` from `/essays/a/`
//!   is `/essays/x/`), canonicalised exactly as the gate does ([`gate::path::normalize`]),
//!   then looked up among the bundle's pages, sections and files (gated files at their
//!   URL without `_gated/`); `/x` also finds `/x/`. A linked file must be in the bundle:
//!   page assets are published at their page's URL ([`crate::build::assets::place`]), so
//!   `![](diagram.png)` in `content/essays/a.md` needs `content/essays/a/diagram.png`.
//!   A link that only works relative to the source folder is broken, and says where the
//!   file is published.
//!
//! What is reported: a missing page, file or anchor is an error (with a did-you-mean); a
//! link into `/_gated/` (never served) or a public page embedding a gated page's asset
//! (a URL below a gated page's URL) is a warning. Linking a gated page itself is fine:
//! readers without the level get its teaser.

use crate::build::assets::Asset;
use crate::build::content::{slash_path, CONTENT_DIR};
use crate::build::markdown;
use crate::build::site::Site;
use crate::diagnostic::{did_you_mean, line_col, Diagnostic};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Component, Path, PathBuf};

/// Something a link may point at.
#[derive(Debug, Clone, Default)]
struct Target {
    /// Element ids of a page or section; `None` for a plain file.
    anchors: Option<BTreeSet<String>>,
}

/// Every URL, source file and anchor of a site, for resolving links.
#[derive(Debug, Default)]
pub(crate) struct LinkIndex {
    root: PathBuf,
    /// Canonical URL path → target.
    urls: BTreeMap<String, Target>,
    /// Built page or section source (`content/a.md`) → its URL.
    sources: HashMap<PathBuf, String>,
    /// Source of a draft not built this time → its URL, to say why a link to it fails.
    drafts: HashMap<PathBuf, String>,
    /// URL of each gated page (its files are published below it).
    gated: Vec<String>,
    /// Published page assets: source (`content/a/x.png`) → URL ([`crate::build::assets::place`]).
    assets: HashMap<PathBuf, String>,
}

/// The page whose links are being checked.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LinkingPage<'a> {
    /// Source path relative to the site root (`content/essays/a.md`).
    pub file: &'a Path,
    /// The page's URL (`/essays/a/`).
    pub url: &'a str,
    /// True for a gated page.
    pub gated: bool,
    /// The whole source file (positions are reported in it).
    pub source: &'a str,
    /// The markdown body, a slice of `source`.
    pub body: &'a str,
}

/// Problems found in one page's links.
#[derive(Debug, Default)]
pub(crate) struct Findings {
    /// Broken links.
    pub errors: Vec<Diagnostic>,
    /// Links that work but probably should not be there.
    pub warnings: Vec<Diagnostic>,
}

impl LinkIndex {
    /// Index `site` and the bundle files a render produced (`outputs`, `/`-separated
    /// paths relative to the bundle root), with the page `assets` the build placed.
    /// `drafts` maps unbuilt draft sources to URLs.
    pub(crate) fn new(
        site: &Site,
        outputs: &[String],
        assets: &[Asset],
        drafts: HashMap<PathBuf, String>,
    ) -> LinkIndex {
        let mut index = LinkIndex {
            root: site.root.clone(),
            drafts,
            ..LinkIndex::default()
        };
        index.assets = assets
            .iter()
            .map(|a| (a.file.clone(), a.url.clone()))
            .collect();
        for rel in outputs {
            // A gated file is served at its URL without `_gated/` (to members).
            let rel = match rel.strip_prefix("_gated/") {
                Some(_) if rel == gate::manifest::MANIFEST_FILE => continue,
                Some(inner) => inner,
                None => rel.as_str(),
            };
            if gate::path::is_private(rel) {
                continue;
            }
            if let Ok(url) = gate::path::normalize(&format!("/{rel}")) {
                index.urls.entry(url).or_default();
            }
        }
        for page in &site.pages {
            index.urls.insert(
                page.url.clone(),
                Target {
                    anchors: Some(html_ids(&page.body.html)),
                },
            );
            index.sources.insert(page.file.clone(), page.url.clone());
            if page.gated() {
                index.gated.push(page.url.clone());
            }
        }
        for section in &site.sections {
            index.urls.insert(
                section.url.clone(),
                Target {
                    anchors: Some(html_ids(&section.content)),
                },
            );
            if let Some(file) = &section.file {
                index.sources.insert(file.clone(), section.url.clone());
            }
        }
        index
    }

    /// Check every link and image of one page.
    pub(crate) fn check(&self, page: &LinkingPage<'_>) -> Findings {
        let mut found = Findings::default();
        let body_at = page.body.as_ptr() as usize - page.source.as_ptr() as usize;
        let own = self.urls.get(page.url).and_then(|t| t.anchors.as_ref());
        for link in markdown::links(page.body) {
            let (line, col) = line_col(page.source, body_at + link.at);
            let what = if link.image { "image" } else { "link" };
            let at = |message: String| Diagnostic::at(page.file, page.source, line, col, message);
            match self.resolve(page, &link.dest, own) {
                Resolved::Fine => {}
                Resolved::Broken { message, help } => {
                    let d = at(format!("broken {what} `{}`: {message}", link.dest));
                    found.errors.push(match help {
                        Some(h) => d.with_help(h),
                        None => d,
                    });
                }
                Resolved::Private => found.warnings.push(
                    at(format!("{what} `{}` points into `/_gated/`, which is never served", link.dest)).with_help(
                        "the Worker answers 404 for every `/_gated/` path; link the gated page's own URL instead",
                    ),
                ),
                Resolved::GatedAsset(owner) if !page.gated => found.warnings.push(
                    at(format!("public page embeds `{}`, a file of the gated page `{owner}`", link.dest))
                        .with_help("readers without that level cannot load it, and it may leak gated content; move the file to `static/` or gate this page"),
                ),
                Resolved::GatedAsset(_) => {}
            }
        }
        found
    }

    fn resolve(
        &self,
        page: &LinkingPage<'_>,
        dest: &str,
        own: Option<&BTreeSet<String>>,
    ) -> Resolved {
        let dest = dest.trim();
        if dest.is_empty() || is_external(dest) {
            return Resolved::Fine;
        }
        let (path, fragment) = match dest.split_once('#') {
            Some((p, f)) => (p, Some(percent_decode(f))),
            None => (dest, None),
        };
        let path = path.split_once('?').map_or(path, |(p, _)| p);
        if path.is_empty() {
            return match (fragment, own) {
                (Some(f), Some(anchors)) => check_anchor(page.url, anchors, &f),
                _ => Resolved::Fine,
            };
        }
        if crate::build::content::is_markdown_name(path) {
            return self.resolve_source(page, path, fragment.as_deref());
        }
        let joined = join_url(page.url, path);
        let url = match gate::path::normalize(&joined) {
            Ok(url) => url,
            Err(e) => {
                return Resolved::broken(format!("`{joined}` is not a valid URL path ({e})"), None)
            }
        };
        if gate::path::is_private(&url) {
            return Resolved::Private;
        }
        if let Some((url, target)) = self.lookup(&url) {
            if let Some(owner) = self.gated_owner_of_url(url) {
                return Resolved::GatedAsset(owner);
            }
            return match (fragment, &target.anchors) {
                (Some(f), Some(anchors)) if !f.is_empty() => check_anchor(url, anchors, &f),
                _ => Resolved::Fine,
            };
        }
        // A file next to the source is not necessarily next to the page's URL: say where it is.
        if !path.starts_with('/') {
            if let Some(file) = page
                .file
                .parent()
                .and_then(|dir| join_file(dir, &percent_decode(path)))
            {
                if self.root.join(&file).is_file() {
                    let published = self.published(&file);
                    let help = match &published {
                        Some(at) => format!("the file is published at `{at}`; link that URL, or a path relative to the page's URL `{}`", page.url),
                        None => "the file is not published: it belongs to a page that is not built".to_owned(),
                    };
                    return Resolved::broken(
                        format!("no file at `{url}` (relative links resolve against the page's URL `{}`, not its source folder)", page.url),
                        Some(help),
                    );
                }
            }
        }
        let candidates: Vec<&str> = self.urls.keys().map(String::as_str).collect();
        let help = did_you_mean(&url, &candidates).map(|c| format!("did you mean `{c}`?"));
        Resolved::broken(format!("no page or file at `{url}`"), help)
    }

    /// `x.md`, `../x.md` (from the linking file's folder) or `/x.md` (from `content/`).
    fn resolve_source(
        &self,
        page: &LinkingPage<'_>,
        path: &str,
        fragment: Option<&str>,
    ) -> Resolved {
        let decoded = percent_decode(path);
        let file = match decoded.strip_prefix('/') {
            Some(abs) => join_file(Path::new(CONTENT_DIR), abs),
            None => page.file.parent().and_then(|dir| join_file(dir, &decoded)),
        };
        let Some(file) = file else {
            return Resolved::broken(format!("`{path}` points outside the site"), None);
        };
        let Some(url) = self.sources.get(&file) else {
            if let Some(url) = self.drafts.get(&file) {
                return Resolved::broken(
                    format!(
                        "`{}` is not published (its `status` is not `published`)",
                        slash_path(&file)
                    ),
                    Some(format!(
                        "publish it, or build with `--drafts` to preview it at `{url}`"
                    )),
                );
            }
            let shown = slash_path(&file);
            // Compared below `content/`, so the shared prefix does not make any name look close.
            let under = |p: &Path| slash_path(p.strip_prefix(CONTENT_DIR).unwrap_or(p));
            let names: Vec<String> = self.sources.keys().map(|p| under(p)).collect();
            let candidates: Vec<&str> = names.iter().map(String::as_str).collect();
            let help = did_you_mean(&under(&file), &candidates)
                .map(|c| format!("did you mean `{CONTENT_DIR}/{c}`?"));
            return Resolved::broken(format!("no page `{shown}`"), help);
        };
        match (
            fragment,
            self.urls.get(url).and_then(|t| t.anchors.as_ref()),
        ) {
            (Some(f), Some(anchors)) if !f.is_empty() => check_anchor(url, anchors, f),
            _ => Resolved::Fine,
        }
    }

    /// The target at `url`, trying `/x/` for `/x` and `/x` for `/x/` as static hosts do.
    fn lookup(&self, url: &str) -> Option<(&str, &Target)> {
        let other = match url.strip_suffix('/') {
            Some("") => None,
            Some(without) => Some(without.to_owned()),
            None => Some(format!("{url}/")),
        };
        std::iter::once(url.to_owned())
            .chain(other)
            .find_map(|u| self.urls.get_key_value(&u))
            .map(|(k, v)| (k.as_str(), v))
    }

    /// The gated page whose URL is a proper prefix of `url` (its asset), if any.
    fn gated_owner_of_url(&self, url: &str) -> Option<String> {
        self.gated
            .iter()
            .find(|owner| url != *owner && url.starts_with(owner.as_str()))
            .cloned()
    }

    /// The URL a file under `content/` is published at, if it is.
    fn published(&self, file: &Path) -> Option<&String> {
        self.assets.get(file)
    }
}

enum Resolved {
    Fine,
    Broken {
        message: String,
        help: Option<String>,
    },
    Private,
    GatedAsset(String),
}

impl Resolved {
    fn broken(message: String, help: Option<String>) -> Resolved {
        Resolved::Broken { message, help }
    }
}

fn check_anchor(url: &str, anchors: &BTreeSet<String>, fragment: &str) -> Resolved {
    if anchors.contains(fragment) {
        return Resolved::Fine;
    }
    let candidates: Vec<&str> = anchors.iter().map(String::as_str).collect();
    let help = match did_you_mean(fragment, &candidates) {
        Some(c) => Some(format!("did you mean `#{c}`?")),
        None if candidates.is_empty() => Some("that page has no headings".to_owned()),
        None => {
            let list: Vec<String> = candidates
                .iter()
                .take(8)
                .map(|c| format!("`#{c}`"))
                .collect();
            let more = if candidates.len() > 8 { ", …" } else { "" };
            Some(format!("its anchors: {}{more}", list.join(", ")))
        }
    };
    Resolved::broken(format!("`{url}` has no anchor `#{fragment}`"), help)
}

/// `scheme:…` or `//host…`: left to the outside world.
fn is_external(dest: &str) -> bool {
    if dest.starts_with("//") {
        return true;
    }
    let Some(colon) = dest.find(':') else {
        return false;
    };
    let scheme = &dest[..colon];
    scheme
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// A link path against the page URL, with `.` and `..` applied (clamped at `/`, as
/// browsers do). Keeps a trailing slash.
fn join_url(base: &str, path: &str) -> String {
    let full = if path.starts_with('/') {
        path.to_owned()
    } else {
        format!("{base}{path}")
    };
    let mut segments: Vec<&str> = Vec::new();
    let parts: Vec<&str> = full.split('/').collect();
    for (i, part) in parts.iter().enumerate() {
        let last = i + 1 == parts.len();
        match *part {
            "." => {
                if last {
                    segments.push("");
                }
            }
            ".." => {
                segments.pop();
                if last {
                    segments.push("");
                }
            }
            "" if i == 0 => {}
            other => segments.push(other),
        }
    }
    format!("/{}", segments.join("/"))
}

/// `dir` joined with a `/`-separated relative path, `..` applied; `None` above the root.
fn join_file(dir: &Path, rel: &str) -> Option<PathBuf> {
    let mut out: Vec<String> = dir
        .components()
        .filter_map(|c| match c {
            Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect();
    for part in rel.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                out.pop()?;
            }
            other => out.push(other.to_owned()),
        }
    }
    Some(out.iter().collect())
}

/// Every `id="…"` of an HTML fragment: heading anchors, footnotes and raw HTML alike.
fn html_ids(html: &str) -> BTreeSet<String> {
    html.split(" id=\"")
        .skip(1)
        .filter_map(|rest| rest.split_once('"'))
        .map(|(id, _)| {
            id.replace("&quot;", "\"")
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&#39;", "'")
                .replace("&amp;", "&")
        })
        .collect()
}

/// `%XX` escapes decoded (invalid ones kept as written), for comparing with decoded
/// names: the gate's decoder.
fn percent_decode(text: &str) -> String {
    gate::path::percent_decode_lossy(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_urls_like_a_browser() {
        assert_eq!(join_url("/essays/a/", "../x/"), "/essays/x/");
        assert_eq!(join_url("/essays/a/", "img.png"), "/essays/a/img.png");
        assert_eq!(join_url("/a/", "../../../x"), "/x");
        assert_eq!(join_url("/a/", "/b/./c/.."), "/b/");
        assert_eq!(join_url("/a/", "."), "/a/");
    }

    #[test]
    fn joins_files_and_refuses_escape() {
        assert_eq!(
            join_file(Path::new("content/essays"), "../x.md"),
            Some(PathBuf::from("content/x.md"))
        );
        assert_eq!(join_file(Path::new("content"), "../../x.md"), None);
    }

    #[test]
    fn externals_and_ids() {
        for ext in [
            "https://x.org",
            "mailto:a@b.c",
            "//cdn.example/x.js",
            "tel:+1",
        ] {
            assert!(is_external(ext), "{ext}");
        }
        for int in ["/a/", "../a.md", "a/b:c", "#x"] {
            assert!(!is_external(int), "{int}");
        }
        let ids = html_ids("<h2 id=\"概述-code\">x</h2><p id=\"a&amp;b\">");
        assert_eq!(ids.into_iter().collect::<Vec<_>>(), ["a&b", "概述-code"]);
        assert_eq!(percent_decode("%E6%A6%82%zz"), "概%zz");
    }
}
