//! `lyceum check`: every validation of `lyceum build` without writing anything, plus
//! internal link checking, teasers that refer to definitions below their fold, and a
//! per-level summary.
//!
//! It runs the build's own pipeline — `build::load`, `build::prepare`,
//! `build::write` — but renders into a `Sink` that only records output paths, so
//! what `check` accepts is exactly what `build` accepts, and the recorded paths are the
//! bundle links are checked against (`crate::check::links`).

pub(crate) mod links;

use crate::build;
use crate::build::assets::Asset;
use crate::build::bundle::Sink;
use crate::build::config::Plan;
use crate::build::content::{self, SourceFile};
use crate::build::front_matter::{self, Status};
use crate::build::limits::{self, BundleSize};
use crate::build::site::{self, Parsed, Site};
use crate::build::Selection;
use crate::check::links::{LinkIndex, LinkingPage};
use crate::diagnostic::Diagnostic;
use crate::error::BuildError;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// What to check.
#[derive(Debug, Clone, Default)]
pub struct CheckOptions {
    /// Site root (holds `site.yaml`).
    pub root: PathBuf,
    /// Also check `draft` and `review` pages as if they were published.
    pub drafts: bool,
}

/// Everything `check` found.
#[derive(Debug, Clone, Default)]
pub struct CheckReport {
    /// Problems that would fail the build or break a link, sorted by file and position.
    pub errors: Vec<Diagnostic>,
    /// Problems worth a look, sorted likewise.
    pub warnings: Vec<Diagnostic>,
    /// Pages and words per level.
    pub summary: Summary,
}

/// Pages and words of one level (or of the public pages).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LevelSummary {
    /// Level id; `public` for pages without a level.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Pages built.
    pub pages: usize,
    /// Words as a reader counts them (Latin words plus CJK characters).
    pub words: usize,
}

/// The site in numbers. Empty when the site could not be loaded.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Public pages.
    pub public: LevelSummary,
    /// Each level of site.yaml, lowest first.
    pub levels: Vec<LevelSummary>,
    /// Each product of site.yaml, counting the pages only its buyers read (a product
    /// page with a level counts under that level).
    pub products: Vec<LevelSummary>,
    /// Sections, including home.
    pub sections: usize,
    /// `draft` and `review` pages not built (0 with `--drafts`).
    pub drafts_skipped: usize,
    /// Files the build would write.
    pub files: usize,
    /// The largest of them: bundle path and bytes.
    pub largest: Option<(String, u64)>,
    /// The Cloudflare plan whose limits they are checked against.
    pub plan: Plan,
}

/// A [`Sink`] that writes nothing and remembers what would have been written, and how big.
#[derive(Debug, Default)]
struct Recorder(Mutex<Vec<(String, u64)>>);

impl Recorder {
    fn record(&self, rel: &str, bytes: u64) {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((rel.to_owned(), bytes));
    }
}

impl Sink for Recorder {
    fn write(&self, rel: &str, contents: &[u8]) -> Result<(), BuildError> {
        self.record(rel, contents.len() as u64);
        Ok(())
    }

    fn copy(&self, rel: &str, from: &Path) -> Result<(), BuildError> {
        // The build would copy it; a file it cannot read is the build's error, not ours.
        let bytes = std::fs::metadata(from).map_or(0, |m| m.len());
        self.record(rel, bytes);
        Ok(())
    }
}

/// Check the site at `options.root`. `Err` only when the disk fails; problems in the
/// site are in the report.
pub fn check(options: &CheckOptions) -> Result<CheckReport, BuildError> {
    let mut report = CheckReport::default();
    let site = match build::load(&options.root, options.drafts, None) {
        Ok(site) => site,
        Err(errors) => {
            report.errors = errors;
            report.summary.public = public_summary();
            return Ok(report);
        }
    };
    let rendered = match render(&site) {
        Ok(rendered) => Some(rendered),
        Err(BuildError::Invalid(mut errors)) => {
            report.errors.append(&mut errors);
            None
        }
        Err(io) => return Err(io),
    };
    // Sources are read again: the site model keeps rendered bodies, not the markdown
    // positions links are reported at. Load just read them, so failures are unlikely.
    let mut sources: Vec<(SourceFile, String)> = Vec::new();
    let files = content::discover(&site.root).unwrap_or_else(|d| {
        report.errors.push(d);
        Vec::new()
    });
    for file in files {
        match content::read(&file) {
            Ok(source) => sources.push((file, source)),
            Err(d) => report.errors.push(d),
        }
    }
    let drafts = unbuilt_drafts(&site, &sources);
    let size = rendered
        .as_ref()
        .map(|(_, _, size)| size.clone())
        .unwrap_or_default();
    report
        .errors
        .append(&mut limits::over(site.config.plan(), &size));
    report.summary = summary(&site, drafts.len(), size);
    // Links are checked against the bundle, so only once it rendered: a template error
    // would otherwise show up as many false broken links.
    if let Some((outputs, assets, _)) = rendered {
        let index = LinkIndex::new(&site, &outputs, &assets, drafts);
        let findings: Vec<_> = sources
            .par_iter()
            .filter_map(|(file, source)| check_links(&site, &index, file, source))
            .collect();
        for mut f in findings {
            report.errors.append(&mut f.errors);
            report.warnings.append(&mut f.warnings);
        }
    }
    report.errors.sort();
    report.errors.dedup();
    report.warnings.sort();
    report.warnings.dedup();
    Ok(report)
}

/// Render every output of the build into a [`Recorder`]; on success the bundle paths,
/// the page assets the build placed (links to them are resolved with that placement), and
/// the bundle's size for the plan's limits.
fn render(site: &Site) -> Result<(Vec<String>, Vec<Asset>, BundleSize), BuildError> {
    let prepared = build::prepare(site)?;
    let recorder = Recorder::default();
    build::write(site, &prepared, &Selection::ALL, &recorder)?;
    let mut recorded = recorder.0.into_inner().unwrap_or_else(|e| e.into_inner());
    // A path written twice (a page over a static file) is one file: the last write wins,
    // and which of its sizes is kept matters little to the limits: keep one.
    recorded.sort();
    recorded.dedup_by(|a, b| a.0 == b.0);
    let mut size = BundleSize::default();
    for (rel, bytes) in &recorded {
        size.add(rel, *bytes);
    }
    // The build also writes the Worker's route list.
    size.files += 1;
    let outputs = recorded.into_iter().map(|(rel, _)| rel).collect();
    Ok((outputs, prepared.assets, size))
}

/// Sources of draft/review pages this check does not build, with the URL they would have.
fn unbuilt_drafts(site: &Site, sources: &[(SourceFile, String)]) -> HashMap<PathBuf, String> {
    let products = site::product_dirs(site.sections.iter());
    sources
        .iter()
        .filter(|(file, _)| !file.is_section() && site.page_index(&file.rel).is_none())
        .filter_map(|(file, source)| {
            let (front, _) = front_matter::parse(&file.rel, source).ok()?;
            if front.status == Status::Published {
                return None;
            }
            match site::parse_file(&site.config, file, source, true, &products) {
                Ok(Parsed::Page(page)) => Some((file.rel.clone(), page.url)),
                _ => None,
            }
        })
        .collect()
}

/// The links of one built page or section.
fn check_links(
    site: &Site,
    index: &LinkIndex,
    file: &SourceFile,
    source: &str,
) -> Option<crate::check::links::Findings> {
    let (url, gated) = match site.page_index(&file.rel) {
        Some(i) => (site.pages[i].url.as_str(), site.pages[i].gated()),
        None => (
            site.sections
                .iter()
                .find(|s| s.file.as_ref() == Some(&file.rel))?
                .url
                .as_str(),
            false,
        ),
    };
    let split = front_matter::split(&file.rel, source).ok()?;
    let mut findings = index.check(&LinkingPage {
        file: &file.rel,
        url,
        gated,
        source,
        body: split.body,
    });
    let fold = site
        .page_index(&file.rel)
        .filter(|_| gated)
        .and_then(|i| site.pages[i].body.fold);
    if let Some(cut) = fold {
        findings
            .warnings
            .extend(teaser_warnings(&file.rel, source, split.body, cut));
    }
    Some(findings)
}

/// A gated page's teaser is rendered from the text above `<!-- more -->` alone: a
/// reference there whose definition is below shows as plain brackets to the public.
fn teaser_warnings(file: &Path, source: &str, body: &str, cut: usize) -> Vec<Diagnostic> {
    let body_at = body.as_ptr() as usize - source.as_ptr() as usize;
    crate::build::markdown::dangling_teaser_refs(body, cut)
        .into_iter()
        .map(|d| {
            let (line, col) = crate::diagnostic::line_col(source, body_at + d.at);
            Diagnostic::at(
                file,
                source,
                line,
                col,
                format!(
                    "the public teaser refers to `{}`, which is only defined below `<!-- more -->`",
                    d.label
                ),
            )
            .with_help("the teaser is rendered from the text above `<!-- more -->` alone, so readers without the level see the brackets as plain text; move the definition above the marker (it becomes public) or the reference below it")
        })
        .collect()
}

/// The (empty) summary line of pages without a level.
fn public_summary() -> LevelSummary {
    LevelSummary {
        id: "public".into(),
        name: "Public".into(),
        ..LevelSummary::default()
    }
}

fn summary(site: &Site, drafts_skipped: usize, size: BundleSize) -> Summary {
    let mut public = public_summary();
    let mut levels: Vec<LevelSummary> = site
        .config
        .levels
        .iter()
        .map(|l| LevelSummary {
            id: l.id.clone(),
            name: l.name.clone(),
            ..LevelSummary::default()
        })
        .collect();
    let mut products: Vec<LevelSummary> = site
        .config
        .products
        .iter()
        .map(|p| LevelSummary {
            id: p.id.clone(),
            name: p.name.clone(),
            ..LevelSummary::default()
        })
        .collect();
    for page in &site.pages {
        let level = page.front.level.as_deref();
        let product = page.front.product.as_deref();
        let entry = match (
            level.and_then(|l| site.config.rank(l)),
            product.and_then(|p| site.config.products.iter().position(|x| x.id == p)),
        ) {
            (Some(rank), _) => &mut levels[rank],
            (None, Some(i)) => &mut products[i],
            (None, None) => &mut public,
        };
        entry.pages += 1;
        entry.words += page.body.word_count();
    }
    Summary {
        public,
        levels,
        products,
        sections: site.sections.len(),
        drafts_skipped,
        files: size.files,
        largest: size.largest,
        plan: site.config.plan(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("site.yaml"),
            "title: T\nlevels:\n  - {id: member, name: M}\n  - {id: pro, name: P}\n",
        )
        .unwrap();
        crate::testing::write_files(dir.path(), files);
        dir
    }

    fn run(dir: &tempfile::TempDir) -> CheckReport {
        check(&CheckOptions {
            root: dir.path().to_path_buf(),
            drafts: false,
        })
        .unwrap()
    }

    #[test]
    fn resolves_md_relative_and_anchor_links() {
        let dir = site(&[
            ("content/a/x.md", "---\ntitle: X\n---\n## Intro\n\n[y](../b/y.md#part) [self](#intro) [dir](../../b/y/) [sib](../y2/) [css](/style.css)\n"),
            ("content/b/y.md", "---\ntitle: Y\n---\n## Part\n"),
            ("content/a/y2.md", "---\ntitle: Y2\n---\n"),
        ]);
        let r = run(&dir);
        assert!(r.errors.is_empty(), "{:?}", r.errors);
    }

    /// The twin of the test above, without which a checker that resolved nothing would
    /// pass it: each of those links, broken alone, is the one error reported.
    #[test]
    fn each_of_those_links_broken_alone_is_reported() {
        let good =
            "[y](../b/y.md#part) [self](#intro) [dir](../../b/y/) [sib](../y2/) [css](/style.css)";
        for (from, to) in [
            ("../b/y.md#part", "../b/y.md#parts"),
            ("(#intro)", "(#intros)"),
            ("../../b/y/", "../../b/why/"),
            ("../y2/", "../y3/"),
            ("/style.css", "/styles.css"),
        ] {
            let line = good.replacen(from, to, 1);
            let page = format!("---\ntitle: X\n---\n## Intro\n\n{line}\n");
            let dir = site(&[
                ("content/a/x.md", &page),
                ("content/b/y.md", "---\ntitle: Y\n---\n## Part\n"),
                ("content/a/y2.md", "---\ntitle: Y2\n---\n"),
            ]);
            let r = run(&dir);
            let dest = to.trim_matches(|c| c == '(' || c == ')');
            assert_eq!(r.errors.len(), 1, "{to}: {:?}", r.errors);
            assert!(r.errors[0].message.contains(dest), "{to}: {}", r.errors[0]);
        }
    }

    #[test]
    fn linked_files_must_be_in_the_bundle_at_the_pages_url() {
        let dir = site(&[
            (
                "content/a.md",
                "---\ntitle: A\n---\n![ok](fig.png) ![src](a/fig.png) ![draft](d/x.png)\n",
            ),
            ("content/a/fig.png", ""),
            ("content/d.md", "---\ntitle: D\nstatus: draft\n---\n"),
            ("content/d/x.png", ""),
        ]);
        let r = run(&dir);
        assert_eq!(r.errors.len(), 2, "{:?}", r.errors);
        assert!(
            r.errors[0].message.contains("no file at `/a/a/fig.png`"),
            "{}",
            r.errors[0]
        );
        assert!(
            r.errors[0]
                .help
                .as_deref()
                .unwrap()
                .contains("published at `/a/fig.png`"),
            "{:?}",
            r.errors[0].help
        );
        assert!(
            r.errors[1].help.as_deref().unwrap().contains("not built"),
            "{:?}",
            r.errors[1].help
        );
    }

    #[test]
    fn draft_target_says_why() {
        let dir = site(&[
            ("content/a.md", "---\ntitle: A\n---\n[d](d.md)\n"),
            ("content/d.md", "---\ntitle: D\nstatus: draft\n---\n"),
        ]);
        let r = run(&dir);
        assert_eq!(r.errors.len(), 1);
        assert!(
            r.errors[0].message.contains("is not published"),
            "{}",
            r.errors[0]
        );
        assert_eq!(r.summary.drafts_skipped, 1);
    }

    #[test]
    fn template_error_is_reported_without_link_noise() {
        let dir = site(&[
            ("content/a.md", "---\ntitle: A\n---\n[x](/nowhere/)\n"),
            ("themes/default/templates/page.html", "{{ page.nope.x }}"),
        ]);
        let r = run(&dir);
        assert!(
            r.errors.iter().any(|d| d.message.contains("page.html")),
            "{:?}",
            r.errors
        );
        assert!(
            r.errors.iter().all(|d| !d.message.contains("broken")),
            "{:?}",
            r.errors
        );
    }
}
