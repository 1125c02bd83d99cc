//! The build pipeline, one module per stage, data flowing one way:
//! `config` → `content` → `front_matter` → `markdown` → `site` (the model: URLs,
//! sections, checks) → `theme` → `render` (with `assets`, `feeds`, `reserved`)
//! → `bundle` (the one writer).
//!
//! `load` runs the stages up to the site model, `prepare` those the outputs need
//! next, and `write` renders a `Selection` of the outputs into a `Sink`. `lyceum
//! build` ([`build`]) writes them all into a `Staging` folder and swaps it in; `lyceum
//! check` writes them into a sink that only records paths; `lyceum serve` runs `run`,
//! then, on a change to some pages only, writes the outputs that change touched into
//! `Staging::in_place`.

pub(crate) mod assets;
pub(crate) mod bundle;
pub(crate) mod config;
pub(crate) mod content;
pub(crate) mod feeds;
pub(crate) mod front_matter;
pub(crate) mod limits;
pub(crate) mod markdown;
pub(crate) mod members;
pub(crate) mod render;
pub(crate) mod reserved;
pub(crate) mod site;
pub(crate) mod theme;

// What the binary and the integration tests use of the stages.
pub use crate::paths::slash_path;
pub use config::Plan;
pub use config::CONFIG_FILE;
pub use limits::describe as describe_limits;
pub use render::TEMPLATES;

use crate::diagnostic::Diagnostic;
use crate::error::BuildError;
use assets::Asset;
use bundle::{Sink, Staging};
use rayon::prelude::*;
use render::{Output, Renderer};
use site::{LoadOptions, Site};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use theme::{StaticSource, Theme};

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
    /// The largest file: bundle path and bytes.
    pub largest: Option<(String, u64)>,
    /// The Cloudflare plan whose limits the bundle fits.
    pub plan: config::Plan,
    /// Wall time of each stage, in order.
    pub stages: Vec<(&'static str, Duration)>,
}

/// What every output of a site is rendered from, past the site model: the stages
/// [`prepare`] runs after [`load`]. Build, check and serve all hold one.
pub(crate) struct Prepared {
    pub(crate) theme: Theme,
    pub(crate) renderer: Renderer,
    /// Page assets, placed once: copied, listed in the manifest, and resolved by links.
    pub(crate) assets: Vec<Asset>,
}

/// A successful build, kept by serve for its incremental rebuilds.
pub(crate) struct Built {
    pub(crate) site: Site,
    pub(crate) prepared: Prepared,
}

/// Stages 1–5: config → content → front matter → markdown → site model.
pub(crate) fn load(
    root: &Path,
    drafts: bool,
    base_url: Option<String>,
) -> Result<Site, Vec<Diagnostic>> {
    Site::load(root, &LoadOptions { drafts, base_url })
}

/// Stage 6's inputs: the theme, its templates, and where every page asset goes.
pub(crate) fn prepare(site: &Site) -> Result<Prepared, BuildError> {
    let (theme, tera) = compile(&site.root, &site.config.theme)?;
    prepare_with(site, theme, tera)
}

/// The theme named `theme`, and its templates parsed: all of stage 6 that needs no site.
fn compile(root: &Path, theme: &str) -> Result<(Theme, tera::Tera), Vec<Diagnostic>> {
    let theme = theme::load(root, theme)?;
    let tera = Renderer::compile(&theme)?;
    Ok((theme, tera))
}

/// [`prepare`] with the theme already [`compile`]d.
fn prepare_with(site: &Site, theme: Theme, tera: tera::Tera) -> Result<Prepared, BuildError> {
    let renderer = Renderer::with(site, &theme, tera)?;
    let assets = assets::collect(site)?;
    Ok(Prepared {
        theme,
        renderer,
        assets,
    })
}

/// Build the site at `options.root` into `options.out`, atomically.
pub fn build(options: &BuildOptions) -> Result<BuildReport, BuildError> {
    let (built, report) = run(options)?;
    drop_aside(built);
    Ok(report)
}

/// Free `value` on a thread of its own. Freeing every page's text is a serial tail of a
/// large build that nobody waits for (a CLI exits first and leaves it to the OS). If no
/// thread can be started, the closure, and the value with it, is dropped right here.
fn drop_aside<T: Send + 'static>(value: T) {
    let _ = std::thread::Builder::new().spawn(move || drop(value));
}

/// The whole pipeline: [`load`] → [`prepare`] → [`write`] everything into a [`Staging`]
/// folder → swap it in. Returns what it built, for serve to update later.
pub(crate) fn run(options: &BuildOptions) -> Result<(Built, BuildReport), BuildError> {
    check_out_dir(options)?;
    let mut stages = Vec::new();
    let mut clock = Instant::now();
    let mut lap = |name: &'static str| {
        stages.push((name, clock.elapsed()));
        clock = Instant::now();
    };
    // site.yaml first: the theme it names is loaded and compiled alongside the content, on
    // the core that the walk of `content/` and the site's assembly leave idle.
    let config = config::load(&options.root)?;
    let theme_name = config.theme.clone();
    let load_options = LoadOptions {
        drafts: options.drafts,
        base_url: options.base_url.clone(),
    };
    let (site, compiled) = rayon::join(
        || Site::load_with(&options.root, config, &load_options),
        || compile(&options.root, &theme_name),
    );
    let site = site?;
    lap("load and parse");
    let (theme, tera) = compiled?;
    let mut prepared = prepare_with(&site, theme, tera)?;
    if let Some(o) = &options.observer {
        o.total
            .store(site.pages.len(), std::sync::atomic::Ordering::Relaxed);
        prepared.renderer = prepared.renderer.observe(o.clone());
    }
    lap("templates");
    let staging = Staging::new(&options.out)?;
    write(&site, &prepared, &Selection::ALL, &staging)?;
    lap("render and write");
    // The Worker's route list, from what the bundle holds (gate::rules has the logic): the
    // paths the staging folder recorded and the manifest written into it, with no walk of
    // the folder and no parse of the manifest back.
    let (manifest, paths) = rayon::join(
        || assets::manifest(&site, &prepared.assets),
        || staging.paths(),
    );
    let routes = gate::rules::compute(&manifest, &paths);
    if let Some(note) = &routes.note {
        eprintln!("warning: {note}");
    }
    staging.write(gate::rules::RULES_FILE, routes.to_json().as_bytes())?;
    lap("worker routes");
    // Over the plan's limits, the staging folder is dropped and the old bundle stays.
    let size = staging.size();
    let over = limits::over(site.config.plan(), &size);
    if !over.is_empty() {
        // The refused staging folder is removed on return (in parallel); the site is
        // freed alongside rather than after it.
        drop_aside((site, prepared));
        return Err(BuildError::Invalid(over));
    }
    staging.commit()?;
    lap("swap");
    let report = BuildReport {
        pages: site.pages.len(),
        gated: site.pages.iter().filter(|p| p.gated()).count(),
        sections: site.sections.len(),
        files: size.files,
        largest: size.largest,
        plan: site.config.plan(),
        stages,
    };
    Ok((Built { site, prepared }, report))
}

/// Which of a site's outputs to write: all of them for a build and a check; for serve,
/// those a change to some pages touched.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Selection<'a> {
    /// Pages by index; `None` for every page.
    pub(crate) pages: Option<&'a [usize]>,
    /// Sections by index; `None` for every section.
    pub(crate) sections: Option<&'a BTreeSet<usize>>,
    /// The outputs that list pages' metadata: Atom feed, search index, sitemap.
    pub(crate) lists: bool,
    /// Everything else: static files, page assets, membership page, 404, the member
    /// pages and members.json, robots.txt, manifest. Their inputs change only with the site's shape (a full build).
    pub(crate) rest: bool,
}

impl Selection<'_> {
    /// Every output.
    pub(crate) const ALL: Selection<'static> = Selection {
        pages: None,
        sections: None,
        lists: true,
        rest: true,
    };
}

/// One output-producing step, run alongside the pages.
type Job<'a> = Box<dyn Fn() -> Result<Vec<Output>, BuildError> + Sync + 'a>;

/// Render the `selected` outputs of `site` and write them into `sink`, in parallel.
/// Collects every template error (one per template and message) rather than stopping at
/// the first. Each page's outputs are all rendered before any is written.
pub(crate) fn write(
    site: &Site,
    prepared: &Prepared,
    selected: &Selection<'_>,
    sink: &impl Sink,
) -> Result<(), BuildError> {
    let Prepared {
        theme,
        renderer,
        assets,
    } = prepared;
    let put = |outputs: Vec<Output>| {
        outputs
            .iter()
            .try_for_each(|o| sink.write(&o.path, &o.contents))
    };
    // The search index's shards, each a job of its own.
    let by_url = if selected.lists {
        feeds::search_order(site)
    } else {
        Vec::new()
    };
    let shards = feeds::search_shards(by_url.len());
    let mut singles: Vec<Job<'_>> = Vec::new();
    if selected.rest {
        // Nothing is written if any file would be read by Cloudflare as configuration.
        let refused = refused_files(site, theme, assets);
        if !refused.is_empty() {
            return Err(BuildError::Invalid(refused));
        }
        // Static files first: generated pages must win over a stray static file at the same path.
        theme
            .static_files
            .par_iter()
            .try_for_each(|(rel, source)| match source {
                StaticSource::Embedded(bytes) => sink.write(rel, bytes),
                StaticSource::Disk(path) => sink.copy(rel, path),
            })?;
        // Page assets after static files and before pages, so a page wins a clash.
        assets::write(site, assets, sink)?;
        singles.push(Box::new(|| Ok(vec![renderer.membership()?])));
        singles.push(Box::new(|| Ok(vec![renderer.not_found()?])));
        singles.push(Box::new(|| Ok(renderer.members(site)?)));
    }
    if selected.lists {
        singles.push(Box::new(|| {
            Ok(vec![Output {
                path: feeds::ATOM_FILE.into(),
                contents: feeds::atom(site).into_bytes(),
            }])
        }));
        singles.push(Box::new(|| {
            Ok(feeds::sitemaps(site)
                .into_iter()
                .map(|(path, contents)| Output {
                    path,
                    contents: contents.into_bytes(),
                })
                .collect())
        }));
    }
    if selected.rest {
        singles.push(Box::new(|| {
            // The site's own robots.txt (static/, copied above) wins.
            let own = theme
                .static_files
                .iter()
                .any(|(rel, _)| rel == feeds::ROBOTS_FILE);
            Ok((!own)
                .then(|| Output {
                    path: feeds::ROBOTS_FILE.into(),
                    contents: feeds::robots(site).into_bytes(),
                })
                .into_iter()
                .collect())
        }));
    }
    if selected.lists {
        singles.push(Box::new(|| {
            Ok(vec![Output {
                path: feeds::SEARCH_FILE.into(),
                contents: feeds::search(&by_url).into_bytes(),
            }])
        }));
    }
    if selected.rest {
        singles.push(Box::new(|| {
            Ok(vec![Output {
                path: gate::manifest::MANIFEST_FILE.into(),
                contents: assets::manifest(site, assets).to_json().into_bytes(),
            }])
        }));
    }
    let sections: Vec<usize> = match selected.sections {
        Some(set) => set.iter().copied().collect(),
        None => (0..site.sections.len()).collect(),
    };
    // Each list page of each section is a job of its own.
    let list_pages: Vec<(usize, usize)> = sections
        .iter()
        .flat_map(|&i| (0..site.sections[i].list_pages(site.config.paginate)).map(move |k| (i, k)))
        .collect();
    let pages: Vec<usize> = match selected.pages {
        Some(list) => list.to_vec(),
        None => (0..site.pages.len()).collect(),
    };
    let results: Vec<Result<(), BuildError>> = singles
        .par_iter()
        .map(|f| put(f()?))
        .chain(
            list_pages
                .into_par_iter()
                .map(|(i, k)| put(vec![renderer.section(site, i, k)?])),
        )
        .chain((0..shards).into_par_iter().map(|n| {
            put(vec![Output {
                path: feeds::search_shard_file(n),
                contents: feeds::search_shard(&by_url, n).into_bytes(),
            }])
        }))
        .chain(pages.into_par_iter().map_init(
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
/// ([`crate::build::reserved`]), named by their source relative to the site root.
fn refused_files(
    site: &Site,
    theme: &Theme,
    assets: &[crate::build::assets::Asset],
) -> Vec<Diagnostic> {
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
    let mut refused = crate::build::reserved::refuse(
        files
            .iter()
            .map(|(rel, from)| (rel.as_str(), from.as_path())),
    );
    refused.sort();
    refused
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
