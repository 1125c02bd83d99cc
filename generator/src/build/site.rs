//! The in-memory site: every built page and section, parsed and rendered to HTML bodies,
//! with URLs assigned and cross-checked. Built by [`Site::load`] without writing anything,
//! so `lyceum check`, `lyceum serve` and `lyceum build` share it.

use crate::build::config::{self, Config};
use crate::build::content::{self, slash_path, SourceFile, SECTION_FILE};
use crate::build::front_matter::{self, FrontMatter, Status};
use crate::build::markdown::{self, Rendered};
use crate::diagnostic::Diagnostic;
use crate::slug::slugify;
use rayon::prelude::*;
use std::borrow::Cow;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// URL of the generated membership page.
pub(crate) const MEMBERSHIP_URL: &str = "/membership/";

/// What to load.
#[derive(Debug, Clone, Default)]
pub(crate) struct LoadOptions {
    /// Also build `draft` and `review` pages.
    pub drafts: bool,
    /// Overrides `base_url` from site.yaml.
    pub base_url: Option<String>,
}

/// One built page.
#[derive(Debug, Clone)]
pub(crate) struct Page {
    /// Source path relative to the site root (`content/posts/a.md`).
    pub file: PathBuf,
    /// Canonical URL path (`/posts/a/`), decoded: the manifest key.
    pub url: String,
    /// Parsed front matter.
    pub front: FrontMatter,
    /// Rendered body; `plain` is kept for public pages only.
    pub body: Rendered,
    /// Index into [`Site::sections`] of the section listing this page.
    pub section: usize,
}

impl Page {
    /// True when the page needs a membership level or a product.
    pub(crate) fn gated(&self) -> bool {
        self.front.gated()
    }

    /// Sort key: newest first, undated last, then by URL.
    fn order(&self) -> (std::cmp::Reverse<i64>, &str) {
        (
            std::cmp::Reverse(self.front.date.as_ref().map_or(i64::MIN, |d| d.timestamp)),
            &self.url,
        )
    }
}

/// A section: a folder with an `_index.md` (or the home page, which always exists).
#[derive(Debug, Clone)]
pub(crate) struct Section {
    /// The `_index.md`, if there is one.
    pub file: Option<PathBuf>,
    /// Folder relative to `content/` (`""` for home).
    pub dir: PathBuf,
    /// URL path (`/posts/`, `/` for home).
    pub url: String,
    /// Title (site title for a home page without `_index.md`).
    pub title: String,
    /// HTML of the `_index.md` body.
    pub content: String,
    /// The product every page of this section (and of the sections below) belongs to,
    /// unless a page or a nearer section names its own.
    pub product: Option<String>,
    /// Indexes into [`Site::pages`], newest first.
    pub pages: Vec<usize>,
    /// The parent section, `None` for home.
    pub parent: Option<usize>,
}

impl Section {
    /// Pages per list page, `paginate` from site.yaml: the home page is one page (its
    /// template shows `recent`, the newest pages of the whole site), with all of its own.
    pub(crate) fn per_page(&self, paginate: usize) -> usize {
        match self.parent {
            None => usize::MAX,
            Some(_) => paginate.max(1),
        }
    }

    /// How many list pages show this section's pages (at least one).
    pub(crate) fn list_pages(&self, paginate: usize) -> usize {
        self.pages.len().div_ceil(self.per_page(paginate)).max(1)
    }
}

/// The URL of list page `number` (0-based) of the section at `url`: the section's own URL
/// first, then `/s/page/2/`, `/s/page/3/`, … (as Hugo and Zola spell them).
pub(crate) fn list_url(url: &str, number: usize) -> String {
    match number {
        0 => url.to_owned(),
        n => format!("{url}page/{}/", n + 1),
    }
}

/// Who produces a URL (see `assemble`): a page's or section's file, a section's further
/// list pages, or a page lyceum generates, named.
enum Owner<'a> {
    File(&'a Path),
    List(usize),
    Generated(String),
}

/// The whole site, ready to render.
#[derive(Debug, Clone)]
pub(crate) struct Site {
    /// Site root folder.
    pub root: PathBuf,
    /// `site.yaml`, with any `--base-url` override applied.
    pub config: Config,
    /// Built pages (drafts only with `--drafts`), sorted by source path.
    pub pages: Vec<Page>,
    /// Sections; index 0 is home.
    pub sections: Vec<Section>,
    /// Every file under `content/` (markdown or not) relative to the root, sorted: the
    /// one walk of the folder, from which pages are read and page assets placed.
    pub files: Vec<PathBuf>,
}

/// A parsed source file, before URLs are checked across the site.
// One short-lived value per file: boxing `Page` would only add an allocation per page.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub(crate) enum Parsed {
    /// A page to build.
    Page(Page),
    /// A section's `_index.md`.
    Section(Section),
    /// A draft or review page not built this time (still validated).
    Skipped,
}

impl Site {
    /// Load config, discover and parse every page, assign URLs and check the site as a
    /// whole. Returns every problem found, sorted by file and position.
    pub(crate) fn load(root: &Path, options: &LoadOptions) -> Result<Site, Vec<Diagnostic>> {
        Site::load_with(root, config::load(root)?, options)
    }

    /// [`Site::load`] with `site.yaml` already read.
    pub(crate) fn load_with(
        root: &Path,
        mut config: Config,
        options: &LoadOptions,
    ) -> Result<Site, Vec<Diagnostic>> {
        if let Some(url) = &options.base_url {
            config.base_url = url.trim_end_matches('/').to_owned();
        }
        let all = content::files(root).map_err(|d| vec![d])?;
        let files = content::sources(root, &all);
        let parse = |file: &SourceFile, products: &ProductDirs| {
            let source = content::read(file).map_err(|d| vec![d])?;
            parse_file(&config, file, &source, options.drafts, products)
        };
        // Sections first: a page's product may come from its section's `_index.md`.
        let (section_files, page_files): (Vec<&SourceFile>, Vec<&SourceFile>) =
            files.iter().partition(|f| f.is_section());
        let none = ProductDirs::new();
        let mut parsed: Vec<Result<Parsed, Vec<Diagnostic>>> =
            section_files.par_iter().map(|f| parse(f, &none)).collect();
        let products = product_dirs(parsed.iter().filter_map(|p| match p {
            Ok(Parsed::Section(s)) => Some(s),
            _ => None,
        }));
        parsed.par_extend(page_files.par_iter().map(|f| parse(f, &products)));
        let mut errors = Vec::new();
        let mut pages = Vec::new();
        let mut sections = Vec::new();
        for result in parsed {
            match result {
                Ok(Parsed::Page(page)) => pages.push(page),
                Ok(Parsed::Section(section)) => sections.push(section),
                Ok(Parsed::Skipped) => {}
                Err(mut e) => errors.append(&mut e),
            }
        }
        let mut site = assemble(root, config, pages, sections, &mut errors);
        site.files = all;
        if errors.is_empty() {
            Ok(site)
        } else {
            errors.sort();
            errors.dedup();
            Err(errors)
        }
    }

    /// The gate manifest: every gated URL with its level and product, full file and
    /// teaser file.
    pub(crate) fn manifest(&self) -> gate::Manifest {
        gate::Manifest {
            version: gate::manifest::VERSION,
            levels: self.config.levels.iter().map(|l| l.id.clone()).collect(),
            products: self.config.products.iter().map(|p| p.id.clone()).collect(),
            entries: self
                .pages
                .iter()
                .filter(|p| p.gated())
                .map(|p| {
                    let entry = gate::GatedEntry {
                        level: p.front.level.clone(),
                        product: p.front.product.clone(),
                        file: format!("_gated/{}", output_path(&p.url)),
                        teaser: Some(output_path(&p.url)),
                    };
                    (p.url.clone(), entry)
                })
                .collect(),
        }
    }

    /// All pages, newest first.
    pub(crate) fn pages_newest_first(&self) -> Vec<&Page> {
        newest_first(&self.pages)
            .into_iter()
            .map(|i| &self.pages[i])
            .collect()
    }

    /// Index of the page built from `file` (relative to the site root).
    pub(crate) fn page_index(&self, file: &Path) -> Option<usize> {
        self.pages
            .binary_search_by(|p| p.file.as_path().cmp(file))
            .ok()
    }
}

/// Section folder (relative to `content/`) → the product its `_index.md` names.
pub(crate) type ProductDirs = HashMap<PathBuf, String>;

/// The [`ProductDirs`] of these sections.
pub(crate) fn product_dirs<'a>(sections: impl Iterator<Item = &'a Section>) -> ProductDirs {
    sections
        .filter_map(|s| Some((s.dir.clone(), s.product.clone()?)))
        .collect()
}

/// The bundle file of a URL path: `/a/b/` → `a/b/index.html`, `/` → `index.html`.
pub(crate) fn output_path(url: &str) -> String {
    format!("{}index.html", url.trim_start_matches('/'))
}

/// Parse one source file against the config (pure apart from `source` having been read).
/// Also validates drafts, so a draft that would break the build fails before publishing.
pub(crate) fn parse_file(
    config: &Config,
    file: &SourceFile,
    source: &str,
    drafts: bool,
    products: &ProductDirs,
) -> Result<Parsed, Vec<Diagnostic>> {
    let path = file.rel.as_path();
    let (mut front, split) = front_matter::parse(path, source)?;
    let dir = file
        .rel
        .parent()
        .and_then(|p| p.strip_prefix(content::CONTENT_DIR).ok())
        .unwrap_or(Path::new(""));
    // `content/x/index.md` is the page `/x/`, as `content/x.md` would be (its folder holds its files).
    let index_of = dir
        .file_name()
        .filter(|_| content::is_page_index(&file.rel));
    let dir = if index_of.is_some() {
        dir.parent().unwrap_or(Path::new(""))
    } else {
        dir
    };
    let mut errors = Vec::new();
    let at = |key: &str, value: &str| front_matter::value_position(split.yaml, key, value);
    if file.is_section() {
        for (key, set, why) in [
            ("level", front.level.is_some(), "sections are not gated: their list page is public; set `level` on the pages instead"),
            ("slug", front.slug.is_some(), "a section's URL is its folder name; rename the folder instead"),
            ("status", front.status != Status::Published, "sections are always built; set `status` on the pages instead"),
        ] {
            if set {
                let (line, col) = at(key, "");
                errors.push(Diagnostic::at(path, source, line, col, format!("`{key}` is not allowed in `{SECTION_FILE}`")).with_help(why));
            }
        }
    } else if let Some(level) = &front.level {
        if config.rank(level).is_none() {
            let (line, col) = at("level", level);
            errors.push(
                Diagnostic::at(path, source, line, col, format!("unknown level `{level}`"))
                    .with_help(config.level_list()),
            );
        }
    }
    if let Some(product) = &front.product {
        if config.product(product).is_none() {
            let (line, col) = at("product", product);
            errors.push(
                Diagnostic::at(
                    path,
                    source,
                    line,
                    col,
                    format!("unknown product `{product}`"),
                )
                .with_help(config.product_list()),
            );
        }
    }
    let dir_url = match dir_url(dir) {
        Ok(url) => url,
        Err(segment) => {
            errors.push(
                Diagnostic::file(
                    path,
                    format!("folder name `{segment}` has no letters or digits to make a URL from"),
                )
                .with_help("rename the folder"),
            );
            String::new()
        }
    };
    let slug = if file.is_section() {
        String::new()
    } else {
        let stem = match index_of {
            Some(folder) => folder.to_string_lossy().into_owned(),
            None => content::markdown_stem(&file.rel)
                .map(Cow::into_owned)
                .unwrap_or_default(),
        };
        let slug = slugify(front.slug.as_deref().unwrap_or(&stem));
        if slug.is_empty() {
            let d = match &front.slug {
                Some(s) => {
                    let (line, col) = at("slug", s);
                    Diagnostic::at(
                        path,
                        source,
                        line,
                        col,
                        format!("slug `{s}` has no letters or digits"),
                    )
                }
                None => Diagnostic::file(
                    path,
                    format!("file name `{stem}` has no letters or digits to make a URL from"),
                ),
            };
            errors.push(d.with_help("use letters or digits in `slug`, e.g. `slug: my-page`"));
        }
        slug
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    if front.status != Status::Published && !drafts {
        return Ok(Parsed::Skipped);
    }
    if file.is_section() {
        let body = markdown::render(split.body, false);
        return Ok(Parsed::Section(Section {
            file: Some(file.rel.clone()),
            dir: dir.to_path_buf(),
            url: dir_url,
            title: front.title,
            content: body.html,
            product: front.product,
            pages: Vec::new(),
            parent: None,
        }));
    }
    // The page's own product, else its nearest section's; a product page without a
    // level of its own opens to the product's level too.
    front.product = front
        .product
        .or_else(|| dir.ancestors().find_map(|d| products.get(d)).cloned());
    if let Some(product) = front.product.as_deref().and_then(|p| config.product(p)) {
        front.level = front.level.or_else(|| product.level.clone());
    }
    // Gated pages never need plain text: it would only risk leaking into public indexes.
    let body = markdown::render(split.body, !front.gated());
    Ok(Parsed::Page(Page {
        file: file.rel.clone(),
        url: format!("{dir_url}{slug}/"),
        front,
        body,
        section: 0,
    }))
}

/// `/a/b/` for folder `a/b` (slugified segments), `/` for the content root; `Err(segment)`
/// when a folder name has nothing to slug.
fn dir_url(dir: &Path) -> Result<String, String> {
    let mut url = String::from("/");
    for part in dir.components() {
        let name = part.as_os_str().to_string_lossy();
        let slug = slugify(&name);
        if slug.is_empty() {
            return Err(name.into_owned());
        }
        url += &slug;
        url.push('/');
    }
    Ok(url)
}

/// Link pages to sections, sort lists, and report URL collisions.
fn assemble(
    root: &Path,
    config: Config,
    mut pages: Vec<Page>,
    found: Vec<Section>,
    errors: &mut Vec<Diagnostic>,
) -> Site {
    // Home first, then sections by folder; a home without `_index.md` still exists.
    let mut sections: Vec<Section> = Vec::with_capacity(found.len() + 1);
    let (home, rest): (Vec<Section>, Vec<Section>) = found
        .into_iter()
        .partition(|s| s.dir.as_os_str().is_empty());
    sections.push(home.into_iter().next().unwrap_or_else(|| Section {
        file: None,
        dir: PathBuf::new(),
        url: "/".into(),
        title: config.title.clone(),
        content: String::new(),
        product: None,
        pages: Vec::new(),
        parent: None,
    }));
    sections.extend(rest);
    let by_dir: HashMap<PathBuf, usize> = sections
        .iter()
        .enumerate()
        .map(|(i, s)| (s.dir.clone(), i))
        .collect();
    let nearest = |dir: &Path| -> usize {
        dir.ancestors()
            .skip(1)
            .find_map(|a| by_dir.get(a).copied())
            .unwrap_or(0)
    };
    for section in sections.iter_mut().skip(1) {
        section.parent = Some(nearest(&section.dir));
    }
    for page in &mut pages {
        let dir = page
            .file
            .parent()
            .and_then(|p| p.strip_prefix(content::CONTENT_DIR).ok())
            .unwrap_or(Path::new(""));
        page.section = by_dir.get(dir).copied().unwrap_or_else(|| nearest(dir));
    }

    // Every URL has one owner: pages, sections and the generated pages (membership, and
    // the member pages the sign-in routes redirect to). Owners are named only where a
    // URL has more than one: naming all of them was a serial tenth of a large build's
    // load.
    let mut owners: HashMap<&str, Vec<Owner<'_>>> =
        HashMap::with_capacity(pages.len() + sections.len() + 8);
    owners
        .entry(MEMBERSHIP_URL)
        .or_default()
        .push(Owner::Generated("the generated membership page".into()));
    for (url, template) in crate::build::members::PAGES {
        owners.entry(url).or_default().push(Owner::Generated(format!(
            "the generated member page (theme template `{template}`; the sign-in routes send readers there)"
        )));
    }
    for s in &sections {
        if let Some(f) = &s.file {
            owners.entry(&s.url).or_default().push(Owner::File(f));
        }
    }
    // A section's further list pages (`/s/page/2/`, …): counted here, before `pages`
    // is linked to the sections below.
    let mut listed = vec![0usize; sections.len()];
    for page in &pages {
        listed[page.section] += 1;
    }
    let list_urls: Vec<(String, usize)> = sections
        .iter()
        .zip(&listed)
        .enumerate()
        .flat_map(|(i, (s, &n))| {
            (1..n.div_ceil(s.per_page(config.paginate))).map(move |k| (list_url(&s.url, k), i))
        })
        .collect();
    for (url, i) in &list_urls {
        owners.entry(url).or_default().push(Owner::List(*i));
    }
    for p in &pages {
        owners.entry(&p.url).or_default().push(Owner::File(&p.file));
    }
    let mut clashes: Vec<(&str, Vec<Owner<'_>>)> =
        owners.into_iter().filter(|(_, o)| o.len() > 1).collect();
    clashes.sort_by_key(|(url, _)| *url);
    // Reported once, on the first file (by path), naming every other owner.
    for (url, owners) in clashes {
        let names: Vec<(String, Option<&Path>)> = owners
            .iter()
            .map(|o| match o {
                Owner::File(f) => (format!("`{}`", slash_path(f)), Some(*f)),
                Owner::List(i) => {
                    let name = match &sections[*i].file {
                        Some(f) => format!("`{}`", slash_path(f)),
                        None => "the home page".into(),
                    };
                    (format!("the generated list page of {name}"), None)
                }
                Owner::Generated(name) => (name.clone(), None),
            })
            .collect();
        if let Some((name, file)) = names
            .iter()
            .filter_map(|(n, f)| Some((n, (*f)?)))
            .min_by_key(|(n, _)| *n)
        {
            let others: Vec<&str> = names
                .iter()
                .filter(|(o, _)| o != name)
                .map(|(o, _)| o.as_str())
                .collect();
            // A generated page's URL is reserved: only the content file can move.
            let help = if names.iter().any(|(o, f)| o != name && f.is_none()) {
                "this URL is reserved for a page lyceum generates: give the file a different name or `slug` (to change the generated page, override its template in your theme)"
            } else {
                "give one of them a different file name or `slug`"
            };
            errors.push(
                Diagnostic::file(
                    file,
                    format!("URL `{url}` is also produced by {}", others.join(" and ")),
                )
                .with_help(help),
            );
        }
    }

    let mut site = Site {
        root: root.to_path_buf(),
        config,
        pages,
        sections: Vec::new(),
        files: Vec::new(),
    };
    // Taken newest first, each section's pages are in order as they are pushed.
    for i in newest_first(&site.pages) {
        sections[site.pages[i].section].pages.push(i);
    }
    site.sections = sections;
    site
}

/// The indices of `pages`, newest first ([`Page::order`]; equal keys in index order). The
/// keys are sorted side by side, in parallel: compared through the pages themselves, a
/// large site's sort was a serial stream of cache misses.
fn newest_first(pages: &[Page]) -> Vec<usize> {
    let mut keyed: Vec<((std::cmp::Reverse<i64>, &str), usize)> = pages
        .iter()
        .enumerate()
        .map(|(i, p)| (p.order(), i))
        .collect();
    keyed.par_sort_unstable();
    keyed.into_iter().map(|(_, i)| i).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Config {
        config::parse(
            "title: T\nlevels:\n  - id: member\n    name: Member\n  - id: pro\n    name: Pro\nproducts:\n  - {id: rust, name: Rust, level: pro}\n  - {id: go, name: Go}\n",
        )
        .unwrap()
    }

    fn file(rel: &str) -> SourceFile {
        SourceFile {
            rel: PathBuf::from(rel),
            abs: PathBuf::from(rel),
        }
    }

    fn page(rel: &str, src: &str) -> Result<Parsed, Vec<Diagnostic>> {
        parse_file(&config(), &file(rel), src, false, &ProductDirs::new())
    }

    #[test]
    fn urls_from_paths_and_slugs() {
        let Ok(Parsed::Page(p)) = page("content/Posts/Hello World.md", "---\ntitle: T\n---\n")
        else {
            panic!()
        };
        assert_eq!(p.url, "/posts/hello-world/");
        let Ok(Parsed::Page(p)) = page(
            "content/笔记/第一课.md",
            "---\ntitle: T\nslug: 入门 课程\n---\n",
        ) else {
            panic!()
        };
        assert_eq!(p.url, "/笔记/入门-课程/");
        let Ok(Parsed::Section(s)) = page("content/笔记/_index.md", "---\ntitle: T\n---\n")
        else {
            panic!()
        };
        assert_eq!(s.url, "/笔记/");
    }

    #[test]
    fn unknown_level_lists_valid_ones() {
        let errs = page("content/a.md", "---\ntitle: T\nlevel: gold\n---\n").unwrap_err();
        assert_eq!((errs[0].line, errs[0].col), (3, 8));
        assert_eq!(
            errs[0].help.as_deref(),
            Some("valid levels (lowest first): `member`, `pro`")
        );
    }

    #[test]
    fn level_in_section_is_an_error() {
        let errs = page("content/s/_index.md", "---\ntitle: T\nlevel: pro\n---\n").unwrap_err();
        assert!(
            errs[0].message.contains("`level` is not allowed"),
            "{}",
            errs[0]
        );
    }

    #[test]
    fn drafts_are_validated_but_skipped() {
        assert!(matches!(
            page("content/a.md", "---\ntitle: T\nstatus: draft\n---\n"),
            Ok(Parsed::Skipped)
        ));
        assert!(page(
            "content/a.md",
            "---\ntitle: T\nstatus: draft\nlevel: x\n---\n"
        )
        .is_err());
    }

    #[test]
    fn home_exists_without_index_and_pages_find_their_section() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("site.yaml"), "title: My site\n").unwrap();
        std::fs::create_dir_all(dir.path().join("content/s/deep")).unwrap();
        std::fs::write(
            dir.path().join("content/s/_index.md"),
            "---\ntitle: S\n---\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("content/s/deep/p.md"),
            "---\ntitle: P\n---\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("content/top.md"), "---\ntitle: Top\n---\n").unwrap();
        let site = Site::load(dir.path(), &LoadOptions::default()).unwrap();
        let home = &site.sections[0];
        assert_eq!(
            (home.url.as_str(), home.title.as_str(), home.file.is_none()),
            ("/", "My site", true)
        );
        let urls = |s: &Section| {
            s.pages
                .iter()
                .map(|&i| site.pages[i].url.as_str())
                .collect::<Vec<_>>()
        };
        assert_eq!(urls(home), ["/top/"]);
        assert_eq!(
            urls(&site.sections[1]),
            ["/s/deep/p/"],
            "nearest ancestor section lists the page"
        );
        assert_eq!(site.sections[1].parent, Some(0));
    }

    #[test]
    fn gated_pages_keep_no_plain_text() {
        let Ok(Parsed::Page(p)) = page("content/a.md", "---\ntitle: T\nlevel: pro\n---\nsecret\n")
        else {
            panic!()
        };
        assert_eq!((p.body.plain, p.body.lead), (None, None));
        assert_eq!(p.body.words, 1);
    }

    #[test]
    fn a_section_product_reaches_its_pages_unless_they_name_their_own() {
        let products: ProductDirs = [(PathBuf::from("course"), "rust".to_string())].into();
        let parse =
            |rel: &str, src: &str| match parse_file(&config(), &file(rel), src, false, &products) {
                Ok(Parsed::Page(p)) => (p.front.level, p.front.product, p.body.plain),
                other => panic!("{rel}: {other:?}"),
            };
        let some = |s: &str| Some(s.to_string());
        // Below the section, at any depth: the product, and its level (pro includes it).
        for rel in [
            "content/course/a.md",
            "content/course/part/b.md",
            "content/course/c/index.md",
        ] {
            assert_eq!(
                parse(rel, "---\ntitle: T\n---\nsecret\n"),
                (some("pro"), some("rust"), None),
                "{rel}"
            );
        }
        // A page's own level and product win; a buyers-only product gives no level, and
        // the page still keeps no plain text.
        assert_eq!(
            parse(
                "content/course/d.md",
                "---\ntitle: T\nlevel: member\n---\nx\n"
            ),
            (some("member"), some("rust"), None)
        );
        assert_eq!(
            parse(
                "content/course/e.md",
                "---\ntitle: T\nproduct: go\n---\nx\n"
            ),
            (None, some("go"), None)
        );
        // Outside the section nothing changes.
        assert_eq!(
            parse("content/other/f.md", "---\ntitle: T\n---\nx\n"),
            (None, None, some("x"))
        );
    }

    #[test]
    fn an_unknown_product_is_an_error_at_its_value() {
        for rel in ["content/a.md", "content/s/_index.md"] {
            let e = page(rel, "---\ntitle: T\nproduct: rsut\n---\n").unwrap_err();
            assert_eq!(
                (e[0].line, e[0].col, e[0].message.as_str()),
                (3, 10, "unknown product `rsut`"),
                "{rel}"
            );
            assert_eq!(e[0].help.as_deref(), Some("valid products: `rust`, `go`"));
        }
    }
}
