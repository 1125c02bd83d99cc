//! Page assets: the non-markdown files under `content/`, published beside the page they
//! belong to. [`place`] is the one answer to "which URL does this file get, and is it
//! gated?", used by `lyceum build` (copying and the manifest), `lyceum check` (links are
//! checked against the bundle it produces) and `lyceum serve` (the preview's manifest).
//!
//! A file belongs to the nearest page whose folder holds it, Zola-style: the page
//! `content/courses/intro/index.md` or `content/courses/intro.md` owns
//! `content/courses/intro/diagram.png`, published at the page's URL plus the path below
//! the folder (`/courses/intro/diagram.png`, following a `slug`). A gated page's files go
//! only under `_gated/` with a manifest entry without teaser, so the Worker serves them to
//! members and answers 404 to everyone else. Files of a page that is not built (a draft)
//! are not published at all. Any other file is public, in its folder's URL (folders
//! slugified as for pages, the file name kept).

use crate::build::bundle::Sink;
use crate::build::content::{is_page_index, markdown_stem, slash_path, CONTENT_DIR};
use crate::build::site::Site;
use crate::diagnostic::Diagnostic;
use crate::error::BuildError;
use crate::slug::slugify;
use rayon::prelude::*;
use std::path::{Path, PathBuf};

/// One published file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Asset {
    /// Source path relative to the site root (`content/courses/intro/diagram.png`).
    pub file: PathBuf,
    /// Canonical URL path, decoded, as the gate computes it (the manifest key).
    pub url: String,
    /// The owning page's level; `None` for a public file or a buyers-only course's.
    pub level: Option<String>,
    /// The owning page's product, if it belongs to one.
    pub product: Option<String>,
}

impl Asset {
    /// Bundle path: under `_gated/` for a gated file, else the URL's own path.
    pub(crate) fn output(&self) -> String {
        let rel = self.url.trim_start_matches('/');
        if self.gated() {
            format!("_gated/{rel}")
        } else {
            rel.to_owned()
        }
    }

    /// Whether only some members may read it (the owning page is gated).
    pub(crate) fn gated(&self) -> bool {
        self.level.is_some() || self.product.is_some()
    }
}

/// Where a file under `content/` goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Placement {
    /// Published.
    Published(Asset),
    /// Belongs to a page that is not built this time (the page's source); not published.
    Unbuilt(PathBuf),
    /// Not an asset: a page or section source.
    Source,
}

/// Which URL `file` (relative to the site root, under `content/`) gets in `site`.
pub(crate) fn place(site: &Site, file: &Path) -> Result<Placement, Diagnostic> {
    if crate::build::content::is_markdown(file) {
        return Ok(Placement::Source);
    }
    let content = Path::new(CONTENT_DIR);
    let mut dir = file.parent();
    while let Some(d) = dir {
        if d == content || !d.starts_with(content) {
            break;
        }
        for owner in owners(&site.root, d) {
            if let Some(i) = site.page_index(&owner) {
                let page = &site.pages[i];
                let below = file.strip_prefix(d).expect("d is an ancestor of file");
                let url = canonical(file, &format!("{}{}", page.url, slash_path(below)))?;
                return Ok(Placement::Published(Asset {
                    file: file.to_path_buf(),
                    url,
                    level: page.front.level.clone(),
                    product: page.front.product.clone(),
                }));
            }
            if site.root.join(&owner).is_file() {
                return Ok(Placement::Unbuilt(owner));
            }
        }
        dir = d.parent();
    }
    let folder = file
        .parent()
        .and_then(|p| p.strip_prefix(content).ok())
        .unwrap_or(Path::new(""));
    let mut url = String::from("/");
    for part in folder.components() {
        let name = part.as_os_str().to_string_lossy();
        let slug = slugify(&name);
        url += if slug.is_empty() { &name } else { &slug };
        url.push('/');
    }
    url += &file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let url = canonical(file, &url)?;
    Ok(Placement::Published(Asset {
        file: file.to_path_buf(),
        url,
        level: None,
        product: None,
    }))
}

/// The sources that would own folder `d` (relative to the site root), in order:
/// `d/index.md`, then `d.md` beside it, in any markdown spelling ([`crate::build::content::is_markdown`]), so a
/// gated `intro.Markdown` keeps `intro/` under `_gated/` as `intro.md` would.
fn owners(root: &Path, d: &Path) -> Vec<PathBuf> {
    let Some(name) = d.file_name().map(|n| n.to_string_lossy()) else {
        return Vec::new();
    };
    let markdown_in = |dir: &Path, wanted: &dyn Fn(&Path) -> bool| -> Vec<PathBuf> {
        let mut found: Vec<PathBuf> = std::fs::read_dir(root.join(dir))
            .into_iter()
            .flatten()
            .filter_map(|e| Some(dir.join(e.ok()?.file_name())))
            .filter(|p| wanted(p) && root.join(p).is_file())
            .collect();
        found.sort();
        found
    };
    let mut found = markdown_in(d, &|p| is_page_index(p));
    let parent = d.parent().unwrap_or(Path::new(""));
    found.extend(markdown_in(parent, &|p| {
        markdown_stem(p).is_some_and(|s| s == name)
    }));
    found
}

/// `path` (decoded) as the gate canonicalises the request for it.
fn canonical(file: &Path, path: &str) -> Result<String, Diagnostic> {
    let mut encoded = String::with_capacity(path.len());
    gate::path::percent_encode(&mut encoded, path, |b| {
        b.is_ascii_alphanumeric() || b"-._~/".contains(&b)
    });
    gate::path::normalize(&encoded).map_err(|e| {
        Diagnostic::file(
            file,
            format!("this file cannot be served at `{path}` ({e})"),
        )
        .with_help("rename the file")
    })
}

/// Every published file of `site`, sorted by source path. Hidden files and folders are
/// skipped, as for pages.
pub(crate) fn collect(site: &Site) -> Result<Vec<Asset>, Vec<Diagnostic>> {
    let mut assets = Vec::new();
    let mut errors = Vec::new();
    // A file served at a page's URL would be silently replaced by the page (or its teaser).
    let pages: std::collections::HashMap<&str, &Path> = site
        .pages
        .iter()
        .map(|p| (p.url.as_str(), p.file.as_path()))
        .chain(
            site.sections
                .iter()
                .filter_map(|s| Some((s.url.as_str(), s.file.as_deref()?))),
        )
        .collect();
    // The files the site's load found: no second walk of `content/`.
    for file in &site.files {
        match place(site, file) {
            Ok(Placement::Published(a)) => match pages.get(a.url.as_str()) {
                Some(page) => errors.push(
                    Diagnostic::file(
                        &a.file,
                        format!(
                            "this file would be served at `{}`, the URL of `{}`",
                            a.url,
                            slash_path(page)
                        ),
                    )
                    .with_help("rename the file or move it out of the page's folder"),
                ),
                None => assets.push(a),
            },
            Ok(_) => {}
            Err(d) => errors.push(d),
        }
    }
    if errors.is_empty() {
        Ok(assets)
    } else {
        Err(errors)
    }
}

/// Copy every asset into `sink`.
pub(crate) fn write(site: &Site, assets: &[Asset], sink: &impl Sink) -> Result<(), BuildError> {
    assets
        .par_iter()
        .try_for_each(|a| sink.copy(&a.output(), &site.root.join(&a.file)))
}

/// The site's manifest ([`Site::manifest`]) plus an entry without teaser for every gated
/// asset: members get the file, everyone else a 404.
pub(crate) fn manifest(site: &Site, assets: &[Asset]) -> gate::Manifest {
    let mut manifest = site.manifest();
    for a in assets {
        if a.gated() {
            let entry = gate::GatedEntry {
                level: a.level.clone(),
                product: a.product.clone(),
                file: a.output(),
                teaser: None,
            };
            // A page's own URL is never an asset's: pages keep their entry.
            manifest.entries.entry(a.url.clone()).or_insert(entry);
        }
    }
    manifest
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::build::site::LoadOptions;

    fn site(files: &[(&str, &str)]) -> (tempfile::TempDir, Site) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("site.yaml"),
            "title: T\nlevels:\n  - {id: member, name: M}\n",
        )
        .unwrap();
        crate::testing::write_files(dir.path(), files);
        let site = Site::load(dir.path(), &LoadOptions::default()).unwrap();
        (dir, site)
    }

    fn at(site: &Site, file: &str) -> Placement {
        place(site, Path::new(file)).unwrap()
    }

    fn published(url: &str, level: Option<&str>, file: &str) -> Placement {
        Placement::Published(Asset {
            file: file.into(),
            url: url.into(),
            level: level.map(Into::into),
            product: None,
        })
    }

    #[test]
    fn a_file_at_a_page_url_is_an_error_not_a_silent_overwrite() {
        // `bar/index.html` sits in no page's folder (the page is `foo.md` with slug `bar`),
        // so it would be public at `/a/bar/`: exactly where the gated page's teaser goes.
        let (_dir, s) = site(&[
            (
                "content/a/foo.md",
                "---\ntitle: F\nlevel: member\nslug: bar\n---\n",
            ),
            ("content/a/bar/index.html", "mine"),
        ]);
        let errors = collect(&s).unwrap_err();
        assert_eq!(errors.len(), 1);
        assert!(
            errors[0]
                .message
                .contains("`/a/bar/`, the URL of `content/a/foo.md`"),
            "{}",
            errors[0].message
        );
    }

    /// Regression (issue 9, item 2): `x.MD` / `x.markdown` were assets (copied whole, front
    /// matter and gated body, to the public bundle), and a folder beside such a gated page
    /// had no owner, so its files were public too.
    #[test]
    fn markdown_in_any_spelling_is_a_page_and_owns_its_folder() {
        let (_d, s) = site(&[
            (
                "content/a.MD",
                "---\ntitle: A\nlevel: member\n---\nsecret\n",
            ),
            ("content/b.markdown", "---\ntitle: B\nlevel: member\n---\n"),
            ("content/b/fig.png", ""),
            (
                "content/c/index.Markdown",
                "---\ntitle: C\nlevel: member\n---\n",
            ),
            ("content/c/fig.png", ""),
            ("content/d.MarkDown", "---\ntitle: D\nstatus: draft\n---\n"),
            ("content/d/fig.png", ""),
        ]);
        for source in [
            "content/a.MD",
            "content/b.markdown",
            "content/c/index.Markdown",
        ] {
            assert_eq!(at(&s, source), Placement::Source, "{source}");
        }
        let urls: Vec<_> = s.pages.iter().map(|p| p.url.as_str()).collect();
        assert_eq!(urls, ["/a/", "/b/", "/c/"]);
        assert_eq!(
            at(&s, "content/b/fig.png"),
            published("/b/fig.png", Some("member"), "content/b/fig.png")
        );
        assert_eq!(
            at(&s, "content/c/fig.png"),
            published("/c/fig.png", Some("member"), "content/c/fig.png")
        );
        assert_eq!(
            at(&s, "content/d/fig.png"),
            Placement::Unbuilt("content/d.MarkDown".into())
        );
        let assets = collect(&s).unwrap();
        assert!(assets.iter().all(|a| a.level.is_some()), "{assets:?}");
    }

    #[test]
    fn files_follow_their_page() {
        let (_d, s) = site(&[
            (
                "content/courses/intro.md",
                "---\ntitle: I\nlevel: member\nslug: basics\n---\n",
            ),
            ("content/courses/intro/img/a.png", ""),
            ("content/guide/index.md", "---\ntitle: G\n---\n"),
            ("content/guide/map.svg", ""),
            ("content/Notes/笔记 1.txt", ""),
            (
                "content/draft.md",
                "---\ntitle: D\nstatus: draft\nlevel: member\n---\n",
            ),
            ("content/draft/x.png", ""),
        ]);
        assert_eq!(
            at(&s, "content/courses/intro/img/a.png"),
            published(
                "/courses/basics/img/a.png",
                Some("member"),
                "content/courses/intro/img/a.png"
            )
        );
        assert_eq!(
            at(&s, "content/guide/map.svg"),
            published("/guide/map.svg", None, "content/guide/map.svg")
        );
        assert_eq!(
            at(&s, "content/Notes/笔记 1.txt"),
            published("/notes/笔记 1.txt", None, "content/Notes/笔记 1.txt")
        );
        assert_eq!(
            at(&s, "content/draft/x.png"),
            Placement::Unbuilt("content/draft.md".into())
        );
        assert_eq!(at(&s, "content/guide/index.md"), Placement::Source);
        let Placement::Published(a) = at(&s, "content/courses/intro/img/a.png") else {
            panic!()
        };
        assert_eq!(a.output(), "_gated/courses/basics/img/a.png");
        let assets = collect(&s).unwrap();
        assert_eq!(
            assets.len(),
            3,
            "the draft's file is not published: {assets:?}"
        );
        let m = manifest(&s, &assets);
        let e = &m.entries["/courses/basics/img/a.png"];
        assert_eq!(
            (
                e.level.as_deref().unwrap(),
                e.file.as_str(),
                e.teaser.as_deref()
            ),
            ("member", "_gated/courses/basics/img/a.png", None)
        );
        assert!(!m.entries.contains_key("/guide/map.svg"));
    }
}
