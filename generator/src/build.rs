//! `build`: the whole pipeline, `Site::load` → `theme::load` → `Renderer::new` → render
//! and write every output in parallel into a [`Staging`] folder → swap it in.

use crate::bundle::{Sink, Staging};
use crate::diagnostic::Diagnostic;
use crate::feeds;
use crate::render::{Output, Renderer};
use crate::site::{LoadOptions, Site};
use crate::theme::{self, StaticSource, Theme};
use rayon::prelude::*;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// What to build.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    /// Site root (holds `site.yaml`).
    pub root: PathBuf,
    /// Bundle folder to (re)place.
    pub out: PathBuf,
    /// Also build `draft` and `review` pages.
    pub drafts: bool,
    /// Overrides `base_url` from site.yaml.
    pub base_url: Option<String>,
    /// Told the page count and each rendered page (for a progress line, template times).
    pub observer: Option<std::sync::Arc<crate::progress::Observer>>,
}

/// What a successful build did.
#[derive(Debug, Clone)]
pub struct BuildReport {
    /// Pages built.
    pub pages: usize,
    /// Of which gated.
    pub gated: usize,
    /// Sections, including home.
    pub sections: usize,
    /// Files written.
    pub files: usize,
    /// Wall time of each stage, in order.
    pub stages: Vec<(&'static str, Duration)>,
}

/// Why a build failed. Either way the previous bundle is untouched.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// Problems in the site's files, sorted by file and position.
    #[error("{} error{} in the site", .0.len(), if .0.len() == 1 { "" } else { "s" })]
    Invalid(Vec<Diagnostic>),
    /// The disk failed us.
    #[error("cannot {action} `{}`", path.display())]
    Io {
        /// What we were doing.
        action: &'static str,
        /// On which path.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
}

impl BuildError {
    pub(crate) fn io(action: &'static str, path: &Path, source: std::io::Error) -> BuildError {
        BuildError::Io {
            action,
            path: path.to_path_buf(),
            source,
        }
    }
}

impl From<Vec<Diagnostic>> for BuildError {
    fn from(diagnostics: Vec<Diagnostic>) -> BuildError {
        BuildError::Invalid(diagnostics)
    }
}

/// Build the site at `options.root` into `options.out`, atomically.
pub fn build(options: &BuildOptions) -> Result<BuildReport, BuildError> {
    check_out_dir(options)?;
    let mut stages = Vec::new();
    let mut clock = Instant::now();
    let mut lap = |name: &'static str| {
        stages.push((name, clock.elapsed()));
        clock = Instant::now();
    };
    let site = Site::load(
        &options.root,
        &LoadOptions {
            drafts: options.drafts,
            base_url: options.base_url.clone(),
        },
    )?;
    lap("load and parse");
    let theme = theme::load(&options.root, &site.config.theme)?;
    let mut renderer = Renderer::new(&site, &theme)?;
    if let Some(o) = &options.observer {
        o.total
            .store(site.pages.len(), std::sync::atomic::Ordering::Relaxed);
        renderer = renderer.observe(o.clone());
    }
    lap("templates");
    let staging = Staging::new(&options.out)?;
    write(&site, &theme, &renderer, &staging)?;
    // The Worker's route list, from what the bundle holds (gate::rules has the logic).
    let routes = gate::rules::for_bundle(staging.dir())
        .map_err(|e| BuildError::io("list the worker routes of", staging.dir(), e))?;
    if let Some(note) = &routes.note {
        eprintln!("warning: {note}");
    }
    staging.write(gate::rules::RULES_FILE, routes.to_json().as_bytes())?;
    lap("render and write");
    let files = staging.files();
    staging.commit()?;
    lap("swap");
    let report = BuildReport {
        pages: site.pages.len(),
        gated: site.pages.iter().filter(|p| p.gated()).count(),
        sections: site.sections.len(),
        files,
        stages,
    };
    // Freeing every page's text is a serial tail of a large build that nobody waits
    // for: hand it to a thread (a CLI exits first and leaves it to the OS). If no
    // thread can be started, the closure, and the data with it, is dropped right here.
    let _ = std::thread::Builder::new().spawn(move || drop((site, renderer, theme)));
    Ok(report)
}

/// One output-producing step, run alongside the pages.
type Job<'a> = Box<dyn Fn() -> Result<Vec<Output>, BuildError> + Sync + 'a>;

/// Render every output of `site` and write it into `staging`, in parallel. Collects every
/// template error (one per template and message) rather than stopping at the first.
pub fn write(
    site: &Site,
    theme: &Theme,
    renderer: &Renderer,
    staging: &impl Sink,
) -> Result<(), BuildError> {
    let assets = crate::assets::collect(site)?;
    // Nothing is written if any file would be read by Cloudflare as configuration.
    let refused = refused_files(site, theme, &assets);
    if !refused.is_empty() {
        return Err(BuildError::Invalid(refused));
    }
    // Static files first: generated pages must win over a stray static file at the same path.
    theme
        .static_files
        .par_iter()
        .try_for_each(|(rel, source)| match source {
            StaticSource::Embedded(bytes) => staging.write(rel, bytes),
            StaticSource::Disk(path) => staging.copy(rel, path),
        })?;
    let put = |outputs: Vec<Output>| {
        outputs
            .iter()
            .try_for_each(|o| staging.write(&o.path, o.contents.as_bytes()))
    };
    // Page assets after static files and before pages, so a page wins a clash.
    crate::assets::write(site, &assets, staging)?;
    let manifest = crate::assets::manifest(site, &assets).to_json();
    let singles: Vec<Job<'_>> = vec![
        Box::new(|| Ok(vec![renderer.membership()?])),
        Box::new(|| Ok(vec![renderer.not_found()?])),
        Box::new(|| {
            Ok(vec![Output {
                path: feeds::ATOM_FILE.into(),
                contents: feeds::atom(site),
            }])
        }),
        Box::new(|| {
            Ok(vec![Output {
                path: feeds::SITEMAP_FILE.into(),
                contents: feeds::sitemap(site),
            }])
        }),
        Box::new(|| {
            // The site's own robots.txt (static/, copied above) wins.
            let own = theme
                .static_files
                .iter()
                .any(|(rel, _)| rel == feeds::ROBOTS_FILE);
            Ok((!own)
                .then(|| Output {
                    path: feeds::ROBOTS_FILE.into(),
                    contents: feeds::robots(site),
                })
                .into_iter()
                .collect())
        }),
        Box::new(|| {
            Ok(vec![Output {
                path: feeds::SEARCH_FILE.into(),
                contents: feeds::search(site),
            }])
        }),
        Box::new(|| {
            Ok(vec![Output {
                path: gate::manifest::MANIFEST_FILE.into(),
                contents: manifest.clone(),
            }])
        }),
    ];
    let results: Vec<Result<(), BuildError>> = singles
        .par_iter()
        .map(|f| put(f()?))
        .chain(
            (0..site.sections.len())
                .into_par_iter()
                .map(|i| put(vec![renderer.section(site, i)?])),
        )
        .chain((0..site.pages.len()).into_par_iter().map_init(
            || renderer.context(),
            |ctx, i| put(renderer.page_in(ctx, site, i)?),
        ))
        .filter(|r| r.is_err())
        .collect();
    let mut diagnostics = Vec::new();
    for result in results {
        match result {
            Err(BuildError::Invalid(mut d)) => diagnostics.append(&mut d),
            Err(io) => return Err(io),
            Ok(()) => {}
        }
    }
    if diagnostics.is_empty() {
        return Ok(());
    }
    // The same template error repeats for every page using the template; report it once.
    diagnostics.sort();
    diagnostics.dedup_by(|a, b| a.path == b.path && a.message == b.message);
    Err(BuildError::Invalid(diagnostics))
}

/// Static and content files that Cloudflare would read as configuration
/// ([`crate::reserved`]), named by their source relative to the site root.
fn refused_files(site: &Site, theme: &Theme, assets: &[crate::assets::Asset]) -> Vec<Diagnostic> {
    let statics = theme.static_files.iter().map(|(rel, source)| {
        let from = match source {
            StaticSource::Disk(path) => path.strip_prefix(&site.root).unwrap_or(path).to_path_buf(),
            StaticSource::Embedded(_) => Path::new("themes")
                .join(theme::DEFAULT_THEME)
                .join("static")
                .join(rel),
        };
        (rel.clone(), from)
    });
    let files: Vec<(String, PathBuf)> = statics
        .chain(assets.iter().map(|a| (a.output(), a.file.clone())))
        .collect();
    let mut refused = crate::reserved::refuse(
        files
            .iter()
            .map(|(rel, from)| (rel.as_str(), from.as_path())),
    );
    refused.sort();
    refused
}

impl From<Diagnostic> for BuildError {
    fn from(d: Diagnostic) -> BuildError {
        BuildError::Invalid(vec![d])
    }
}

/// Refuse an output folder that is, or contains, any of the site's sources (the root,
/// `content/`, `static/`, `themes/`, `site.yaml`): swapping it in would delete them.
fn check_out_dir(options: &BuildOptions) -> Result<(), BuildError> {
    let root = options
        .root
        .canonicalize()
        .map_err(|e| BuildError::io("open site root", &options.root, e))?;
    let Ok(out) = options.out.canonicalize() else {
        return Ok(());
    };
    let sources = [
        root.clone(),
        root.join("content"),
        root.join("static"),
        root.join("themes"),
        root.join("site.yaml"),
    ];
    if sources
        .iter()
        .filter_map(|s| s.canonicalize().ok())
        .any(|s| s.starts_with(&out))
    {
        return Err(BuildError::Invalid(vec![Diagnostic::file(
            &options.out,
            "the output folder contains the site's sources; building would replace them",
        )
        .with_help("pass an output folder of its own, e.g. `--out dist`")]));
    }
    Ok(())
}
