//! The site `lyceum serve` keeps in memory and rebuilds on change.
//!
//! A full build is the build's own pipeline ([`build::run`]: load → prepare → write into
//! a `Staging` folder → atomic swap), and keeps what it built. A change to existing pages only (same URL, level, date
//! and status: nothing that moves a page between lists or changes the manifest) is then
//! applied in place, by the same [`build::write`] given a [`Selection`] of the outputs
//! and [`Staging::in_place`] as the writer: those pages are re-parsed, re-rendered and
//! written first, then the list and feed pages that show their metadata (their section,
//! home, Atom, search index, sitemap). Anything else (site.yaml, themes, static files, a new, deleted or
//! moved page, a section) is a full build. Either way a failed build changes nothing on
//! disk: the last good site keeps being served.

use crate::build::bundle::Staging;
use crate::build::content::{self, SourceFile};
use crate::build::site::{self, Parsed, Site};
use crate::build::{self, BuildOptions, Built, Selection};
use crate::diagnostic::Diagnostic;
use crate::error::BuildError;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// What to build and where.
#[derive(Debug, Clone)]
pub(crate) struct LiveOptions {
    /// Site root (holds `site.yaml`).
    pub root: PathBuf,
    /// The serve folder (never the user's `dist/`).
    pub out: PathBuf,
    pub drafts: bool,
    /// `base_url` for this preview (`http://127.0.0.1:1111`).
    pub base_url: String,
}

/// What a successful rebuild did.
#[derive(Debug, Clone)]
pub(crate) struct Rebuilt {
    /// `true` for a full build, `false` for an in-place page update.
    pub full: bool,
    /// Pages in the site.
    pub pages: usize,
    /// Files written.
    pub files: usize,
    /// Until the changed pages themselves were on disk (servable).
    pub first_ready: Duration,
}

/// The live site.
pub(crate) struct Live {
    options: LiveOptions,
    loaded: Option<Built>,
    /// Changed files not applied yet because the last attempt failed.
    pending: BTreeSet<PathBuf>,
    /// The next rebuild must be full (the last full build failed).
    needs_full: bool,
}

impl Live {
    pub(crate) fn new(options: LiveOptions) -> Live {
        Live {
            options,
            loaded: None,
            pending: BTreeSet::new(),
            needs_full: true,
        }
    }

    /// The manifest of the site last built successfully.
    pub(crate) fn manifest(&self) -> Option<gate::Manifest> {
        self.loaded
            .as_ref()
            .map(|b| build::assets::manifest(&b.site, &b.prepared.assets))
    }

    /// Build everything into the serve folder, atomically.
    pub(crate) fn full(&mut self) -> Result<Rebuilt, BuildError> {
        let start = Instant::now();
        let result = self.full_inner(start);
        self.needs_full = result.is_err();
        if result.is_ok() {
            self.pending.clear();
        }
        result
    }

    fn full_inner(&mut self, start: Instant) -> Result<Rebuilt, BuildError> {
        let o = &self.options;
        let (built, report) = build::run(&BuildOptions {
            root: o.root.clone(),
            out: o.out.clone(),
            drafts: o.drafts,
            base_url: Some(o.base_url.clone()),
            observer: None,
        })?;
        self.loaded = Some(built);
        Ok(Rebuilt {
            full: true,
            pages: report.pages,
            files: report.files,
            first_ready: start.elapsed(),
        })
    }

    /// Apply changed files (paths relative to the root): in place when only existing
    /// pages changed in ways that keep the site's shape, else a full build.
    pub(crate) fn apply(&mut self, changed: &BTreeSet<PathBuf>) -> Result<Rebuilt, BuildError> {
        self.pending.extend(changed.iter().cloned());
        let all = self.pending.clone();
        if self.needs_full {
            return self.full();
        }
        match self.incremental(&all) {
            Some(Ok(r)) => {
                self.pending.clear();
                Ok(r)
            }
            Some(Err(e)) => Err(e),
            None => self.full(),
        }
    }

    /// `None` when the change needs a full build.
    fn incremental(&mut self, changed: &BTreeSet<PathBuf>) -> Option<Result<Rebuilt, BuildError>> {
        let start = Instant::now();
        let loaded = self.loaded.as_mut()?;
        let drafts = self.options.drafts;
        let mut updates = Vec::new();
        let mut errors: Vec<Diagnostic> = Vec::new();
        let products = site::product_dirs(loaded.site.sections.iter());
        for rel in changed {
            let index = page_candidate(&loaded.site, rel)?;
            let file = SourceFile {
                rel: rel.clone(),
                abs: self.options.root.join(rel),
            };
            if !file.abs.is_file() {
                return None;
            }
            let parsed = content::read(&file)
                .map_err(|d| vec![d])
                .and_then(|source| {
                    site::parse_file(&loaded.site.config, &file, &source, drafts, &products)
                });
            match parsed {
                Ok(Parsed::Page(mut page)) => {
                    let old = &loaded.site.pages[index];
                    let same_place = page.url == old.url
                        && page.front.level == old.front.level
                        && page.front.product == old.front.product
                        && page.front.date == old.front.date
                        && page.front.status == old.front.status;
                    if !same_place {
                        return None;
                    }
                    page.section = old.section;
                    updates.push((index, page));
                }
                Ok(_) => return None,
                Err(mut d) => errors.append(&mut d),
            }
        }
        if !errors.is_empty() {
            errors.sort();
            errors.dedup();
            return Some(Err(BuildError::Invalid(errors)));
        }

        let mut lists_changed = false;
        let mut sections = BTreeSet::from([0usize]);
        let mut backup = Vec::with_capacity(updates.len());
        for (index, page) in updates {
            let old = &loaded.site.pages[index];
            lists_changed |= old.front != page.front || old.body != page.body;
            sections.insert(page.section);
            backup.push((
                index,
                std::mem::replace(&mut loaded.site.pages[index], page),
            ));
        }
        let result = write_pages(
            loaded,
            &self.options.out,
            &backup,
            lists_changed.then_some(&sections),
            start,
        );
        if result.is_err() {
            // Disk and model may now differ: the next change rebuilds everything.
            self.needs_full = true;
        }
        Some(result)
    }
}

/// Render the updated pages and write them (servable at once), then the lists and feeds.
/// A page's outputs are all rendered before any is written, so a template error leaves
/// the page as it was; after an error the caller rebuilds in full next time.
fn write_pages(
    built: &Built,
    out: &Path,
    updated: &[(usize, site::Page)],
    lists: Option<&BTreeSet<usize>>,
    start: Instant,
) -> Result<Rebuilt, BuildError> {
    let site = &built.site;
    let sink = Staging::in_place(out);
    let pages: Vec<usize> = updated.iter().map(|(index, _)| *index).collect();
    let no_sections = BTreeSet::new();
    let only_pages = Selection {
        pages: Some(&pages),
        sections: Some(&no_sections),
        lists: false,
        rest: false,
    };
    build::write(site, &built.prepared, &only_pages, &sink)?;
    let first_ready = start.elapsed();
    if let Some(sections) = lists {
        let lists = Selection {
            pages: Some(&[]),
            sections: Some(sections),
            lists: true,
            rest: false,
        };
        build::write(site, &built.prepared, &lists, &sink)?;
    }
    Ok(Rebuilt {
        full: false,
        pages: site.pages.len(),
        files: sink.files(),
        first_ready,
    })
}

/// The index of the existing page built from `rel`, or `None` when `rel` is not a page
/// the site already has (config, theme, static, section, new page …).
fn page_candidate(site: &Site, rel: &Path) -> Option<usize> {
    if !rel.starts_with(content::CONTENT_DIR) || !content::is_markdown(rel) {
        return None;
    }
    if content::is_section_file(rel) {
        return None;
    }
    site.page_index(rel)
}

/// A build error as text: compiler-style diagnostics, or the I/O error with its causes.
pub(crate) fn error_text(err: &BuildError, color: bool) -> String {
    match err {
        BuildError::Invalid(diagnostics) => {
            let mut out = crate::diagnostic::render_all(diagnostics, color, false);
            out.push_str(&format!(
                "{} error{}\n",
                diagnostics.len(),
                if diagnostics.len() == 1 { "" } else { "s" }
            ));
            out
        }
        other => crate::error::chain(other) + "\n",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE_URL: &str = "http://127.0.0.1:1111";

    fn copy_dir(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            let dest = to.join(entry.file_name());
            if entry.file_type().unwrap().is_dir() {
                copy_dir(&entry.path(), &dest);
            } else {
                std::fs::copy(entry.path(), &dest).unwrap();
            }
        }
    }

    /// Every file under `dir` (bundle-relative, `/`-separated) with its bytes.
    fn tree(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
        walkdir::WalkDir::new(dir)
            .into_iter()
            .map(Result::unwrap)
            .filter(|e| e.file_type().is_file())
            .map(|e| {
                let rel = content::slash_path(e.path().strip_prefix(dir).unwrap());
                (rel, std::fs::read(e.path()).unwrap())
            })
            .collect()
    }

    /// A fresh `lyceum build` of the sources as they are now, with serve's base URL.
    fn full_build(root: &Path, out: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
        crate::build::build(&BuildOptions {
            root: root.to_path_buf(),
            out: out.to_path_buf(),
            drafts: false,
            base_url: Some(BASE_URL.into()),
            observer: None,
        })
        .unwrap();
        tree(out)
    }

    /// Apply one edit through `live` and compare the serve folder, file for file and byte
    /// for byte, with a full build of the sources after the edit.
    fn step(live: &mut Live, root: &Path, scratch: &Path, what: &str, rels: &[&str], full: bool) {
        let changed: BTreeSet<PathBuf> = rels.iter().map(PathBuf::from).collect();
        let r = live
            .apply(&changed)
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(r.full, full, "{what}: full rebuild?");
        let served = tree(&live.options.out);
        let built = full_build(root, &scratch.join(what.replace(' ', "-")));
        let names =
            |t: &std::collections::BTreeMap<String, Vec<u8>>| t.keys().cloned().collect::<Vec<_>>();
        assert_eq!(names(&served), names(&built), "{what}: the same files");
        for (rel, bytes) in &built {
            assert!(
                served[rel] == *bytes,
                "{what}: `{rel}` differs from a full build"
            );
        }
    }

    #[test]
    fn serve_after_a_sequence_of_edits_equals_a_full_build_of_the_final_sources() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("site");
        let scratch = dir.path().join("builds");
        copy_dir(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/site"),
            &root,
        );
        let mut live = Live::new(LiveOptions {
            root: root.clone(),
            out: dir.path().join("serve"),
            drafts: false,
            base_url: BASE_URL.into(),
        });
        live.full().unwrap();
        let edit = |rel: &str, f: &dyn Fn(String) -> String| {
            let path = root.join(rel);
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, f(text)).unwrap();
        };
        let about = "content/about.md";
        let member = "content/essays/member-essay.md";

        edit(about, &|t| format!("{t}\nAn edited body.\n"));
        step(&mut live, &root, &scratch, "edit a body", &[about], false);
        edit(about, &|t| t.replacen("title: About", "title: About Us", 1));
        step(&mut live, &root, &scratch, "edit a title", &[about], false);
        edit(member, &|t| {
            t.replacen("tags: [memory]", "tags: [memory, sleep]", 1)
        });
        step(
            &mut live,
            &root,
            &scratch,
            "edit a gated page",
            &[member],
            false,
        );

        let new_page = "content/essays/new-one.md";
        edit(new_page, &|_| "---\ntitle: Brand New\n---\nNew.\n".into());
        step(&mut live, &root, &scratch, "add a page", &[new_page], true);
        std::fs::remove_file(root.join(new_page)).unwrap();
        step(
            &mut live,
            &root,
            &scratch,
            "delete a page",
            &[new_page],
            true,
        );

        edit(member, &|t| t.replacen("level: member", "level: pro", 1));
        step(
            &mut live,
            &root,
            &scratch,
            "change a level",
            &[member],
            true,
        );
        edit("site.yaml", &|t| {
            t.replacen("title: Fixture Academy", "title: Renamed Academy", 1)
        });
        step(
            &mut live,
            &root,
            &scratch,
            "edit site.yaml",
            &["site.yaml"],
            true,
        );
        let template = "themes/default/templates/page.html";
        let page_html = crate::build::theme::default_theme_files()
            .find(|(name, _)| name == "templates/page.html")
            .map(|(_, bytes)| String::from_utf8(bytes.to_vec()).unwrap())
            .unwrap();
        edit(template, &|_| {
            page_html.replacen("<h1>", "<h1 class=\"own\">", 1)
        });
        step(
            &mut live,
            &root,
            &scratch,
            "edit a template",
            &[template],
            true,
        );

        // And an in-place update last, on top of all that.
        edit(about, &|t| {
            t.replacen("title: About Us", "title: About Them", 1)
        });
        step(
            &mut live,
            &root,
            &scratch,
            "edit a title again",
            &[about],
            false,
        );
    }
}
