//! The site `lyceum serve` keeps in memory and rebuilds on change.
//!
//! A full build runs the generator's own stages (`Site::load` → `theme::load` →
//! `Renderer::new` → `build::write` into a `Staging` folder → atomic swap) and keeps the
//! `Site`, `Theme` and `Renderer`. A change to existing pages only (same URL, level, date
//! and status: nothing that moves a page between lists or changes the manifest) is then
//! applied in place: those pages are re-parsed and re-rendered and written first, then
//! the list and feed pages that show their metadata (their section, home, Atom, search
//! index, sitemap). Anything else (site.yaml, themes, static files, a new, deleted or
//! moved page, a section) is a full build. Either way a failed build changes nothing on
//! disk: the last good site keeps being served.

use crate::build;
use crate::build::bundle::Staging;
use crate::build::content::{self, SourceFile};
use crate::build::feeds;
use crate::build::render::{Output, Renderer};
use crate::build::site::{self, LoadOptions, Parsed, Site};
use crate::build::theme::{self, Theme};
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

struct Loaded {
    site: Site,
    /// Page assets, for the manifest (gated ones are served to members only).
    assets: Vec<crate::build::assets::Asset>,
    theme: Theme,
    renderer: Renderer,
}

/// The live site.
pub(crate) struct Live {
    options: LiveOptions,
    loaded: Option<Loaded>,
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
            .map(|l| crate::build::assets::manifest(&l.site, &l.assets))
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
        let site = Site::load(
            &o.root,
            &LoadOptions {
                drafts: o.drafts,
                base_url: Some(o.base_url.clone()),
            },
        )?;
        let theme = theme::load(&o.root, &site.config.theme)?;
        let renderer = Renderer::new(&site, &theme)?;
        let staging = Staging::new(&o.out)?;
        build::write(&site, &theme, &renderer, &staging)?;
        let files = staging.files();
        staging.commit()?;
        let pages = site.pages.len();
        // The same placement `build::write` just used (an asset change is a full build).
        let assets = crate::build::assets::collect(&site)?;
        self.loaded = Some(Loaded {
            site,
            assets,
            theme,
            renderer,
        });
        let elapsed = start.elapsed();
        Ok(Rebuilt {
            full: true,
            pages,
            files,
            first_ready: elapsed,
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
                .and_then(|source| site::parse_file(&loaded.site.config, &file, &source, drafts));
            match parsed {
                Ok(Parsed::Page(mut page)) => {
                    let old = &loaded.site.pages[index];
                    let same_place = page.url == old.url
                        && page.front.level == old.front.level
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
/// the page as it was; an error in the lists after that is reported, and the caller
/// then rebuilds in full next time.
fn write_pages(
    loaded: &Loaded,
    out: &Path,
    updated: &[(usize, site::Page)],
    lists: Option<&BTreeSet<usize>>,
    start: Instant,
) -> Result<Rebuilt, BuildError> {
    let site = &loaded.site;
    let r = &loaded.renderer;
    let mut pages: Vec<Output> = Vec::new();
    for (index, _) in updated {
        pages.extend(r.page(site, *index)?);
    }
    for o in &pages {
        write_atomic(out, o)?;
    }
    let first_ready = start.elapsed();
    let mut files = pages.len();
    if let Some(sections) = lists {
        use rayon::prelude::*;
        type Job<'a> = Box<dyn Fn() -> Result<Output, BuildError> + Sync + 'a>;
        let mut jobs: Vec<Job<'_>> = sections
            .iter()
            .map(|&s| Box::new(move || Ok(r.section(site, s)?)) as Job<'_>)
            .collect();
        jobs.push(Box::new(|| {
            Ok(Output {
                path: feeds::ATOM_FILE.into(),
                contents: feeds::atom(site),
            })
        }));
        jobs.push(Box::new(|| {
            Ok(Output {
                path: feeds::SEARCH_FILE.into(),
                contents: feeds::search(site),
            })
        }));
        jobs.push(Box::new(|| {
            Ok(Output {
                path: feeds::SITEMAP_FILE.into(),
                contents: feeds::sitemap(site),
            })
        }));
        jobs.par_iter()
            .try_for_each(|job| write_atomic(out, &job()?))?;
        files += jobs.len();
    }
    let _ = &loaded.theme;
    Ok(Rebuilt {
        full: false,
        pages: site.pages.len(),
        files,
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

/// Replace one bundle file so a concurrent reader sees the old or the new file, never
/// half of one.
fn write_atomic(out: &Path, o: &Output) -> Result<(), BuildError> {
    let path = out.join(&o.path);
    let tmp = path.with_file_name(format!(
        ".{}.lyceum-serve-tmp",
        path.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    ));
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| BuildError::Io {
            action: "create",
            path: parent.into(),
            source: e,
        })?;
    }
    std::fs::write(&tmp, &o.contents).map_err(|e| BuildError::Io {
        action: "write",
        path: tmp.clone(),
        source: e,
    })?;
    std::fs::rename(&tmp, &path).map_err(|e| BuildError::Io {
        action: "rename",
        path: tmp,
        source: e,
    })
}

/// A build error as text: compiler-style diagnostics, or the I/O error with its causes.
pub(crate) fn error_text(err: &BuildError, color: bool) -> String {
    match err {
        BuildError::Invalid(diagnostics) => {
            let mut out = String::new();
            for d in diagnostics {
                out.push_str(&d.render(color));
                if !out.ends_with('\n') {
                    out.push('\n');
                }
            }
            out.push_str(&format!(
                "{} error{}\n",
                diagnostics.len(),
                if diagnostics.len() == 1 { "" } else { "s" }
            ));
            out
        }
        other => {
            let mut out = other.to_string();
            let mut source = std::error::Error::source(other);
            while let Some(s) = source {
                out.push_str(&format!(": {s}"));
                source = s.source();
            }
            out.push('\n');
            out
        }
    }
}
