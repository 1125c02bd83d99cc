//! Stage 5: tera. Builds the template context exactly as `themes/default/README.md`
//! specifies and renders one output at a time, so callers can write each file as soon as
//! it exists (and `lyceum serve` can re-render a single page).
//!
//! The safety rule lives here: a gated page's body goes only into `page.html`, whose
//! output path is under `_gated/`; its teaser view never carries `content`.

use crate::build::members as member_pages;
use crate::build::site::{list_url, output_path, Page, Site, MEMBERSHIP_URL};
use crate::build::theme::Theme;
use crate::diagnostic::Diagnostic;
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use tera::{Context, Tera};

/// Templates the generator renders (a theme may add partials of its own). The member
/// pages' and mails' are [`crate::build::members`]'s (a test checks the two agree).
pub const TEMPLATES: [&str; 19] = [
    "base.html",
    "home.html",
    "section.html",
    "page.html",
    "teaser.html",
    "membership.html",
    "404.html",
    "members/signin.html",
    "members/sent.html",
    "members/invalid.html",
    "members/later.html",
    "members/account.html",
    "members/confirm.html",
    "mail/signin-subject.txt",
    "mail/signin.txt",
    "mail/signin.html",
    "mail/signup-subject.txt",
    "mail/signup.txt",
    "mail/signup.html",
];

/// Templates under this folder depend on the shared context only: they are rendered once
/// per build, and `{% include "shared/x.html" %}` prints that output.
pub(crate) const SHARED_DIR: &str = "shared/";

/// How many pages `recent` on the home page lists.
const RECENT: usize = 10;

/// One rendered file of the bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Output {
    /// Path relative to the bundle root, `/`-separated (`posts/a/index.html`).
    pub path: String,
    /// File contents. Templates write UTF-8 by construction: kept as bytes, a page's
    /// output is not validated again on its way to the disk (~1% of a large build).
    pub contents: Vec<u8>,
}

/// Compiled templates plus the context every template shares.
pub(crate) struct Renderer {
    tera: Tera,
    globals: Context,
    /// `site.products`, also the teaser's `product`.
    products: Vec<ProductView>,
    theme_paths: BTreeMap<String, std::path::PathBuf>,
    observer: Option<std::sync::Arc<crate::progress::Observer>>,
}

#[derive(Serialize)]
struct SiteView<'a> {
    title: &'a str,
    base_url: &'a str,
    language: &'a str,
    levels: Vec<LevelView<'a>>,
    products: &'a [ProductView],
}

/// A product as templates see it (`site.products[*]`, the teaser's `product`). Owned:
/// the renderer keeps the list for the teasers.
#[derive(Serialize, Clone)]
struct ProductView {
    id: String,
    name: String,
    price: Option<String>,
    description: Option<String>,
    /// The lowest level that includes it (id, name, rank), or null: buyers only.
    level: Option<String>,
    level_name: Option<String>,
    rank: Option<usize>,
    /// Pages of the product.
    pages: usize,
    /// `/_lyceum/checkout/<id>` when site.yaml names a Payment Link for it.
    #[serde(skip_serializing_if = "Option::is_none")]
    checkout: Option<String>,
}

#[derive(Serialize)]
struct LevelView<'a> {
    id: &'a str,
    name: &'a str,
    price: Option<&'a str>,
    benefits: &'a [String],
    rank: usize,
    pages: usize,
    unlocks: usize,
    /// `/_lyceum/checkout/<id>` when site.yaml names a Payment Link for the level: the
    /// worker sends the reader on with their member id and address.
    #[serde(skip_serializing_if = "Option::is_none")]
    checkout: Option<String>,
}

#[derive(Serialize)]
struct NavItem<'a> {
    title: &'a str,
    url: &'a str,
}

/// What a template sees of a page: its metadata, never its body. The full page's view
/// gets `content` and `toc` added, a teaser's `teaser` ([`Renderer::page_in`]); a list
/// entry is this alone.
#[derive(Serialize)]
struct PageView<'a> {
    title: &'a str,
    url: &'a str,
    permalink: String,
    date: Option<&'a str>,
    level: Option<&'a str>,
    level_name: Option<&'a str>,
    /// The level's rank (0 = lowest), so templates need no loop over `site.levels`.
    rank: Option<usize>,
    /// The product (course) the page belongs to, and its name.
    product: Option<&'a str>,
    product_name: Option<&'a str>,
    summary: Option<&'a str>,
    description: Option<String>,
    tags: &'a [String],
    reading_time: usize,
    words: usize,
    gated: bool,
    extra: &'a BTreeMap<String, serde_json::Value>,
}

#[derive(Serialize)]
struct SectionView<'a> {
    title: &'a str,
    url: &'a str,
    permalink: String,
    content: &'a str,
    pages: Vec<PageView<'a>>,
}

/// Where a list page is among its section's list pages (`paginator` in the context).
#[derive(Serialize)]
struct Paginator<'a> {
    /// 1-based.
    number: usize,
    /// List pages of the section.
    count: usize,
    per_page: usize,
    /// Pages the section lists in all.
    total: usize,
    /// This list page's URL and absolute URL.
    url: &'a str,
    permalink: String,
    first: &'a str,
    last: String,
    previous: Option<String>,
    next: Option<String>,
}

#[derive(Serialize)]
struct Required<'a> {
    id: &'a str,
    name: &'a str,
    price: Option<&'a str>,
    rank: usize,
}

impl Renderer {
    /// Compile the theme's templates and build the shared context for `site`.
    #[cfg(test)]
    pub(crate) fn new(site: &Site, theme: &Theme) -> Result<Renderer, Vec<Diagnostic>> {
        Renderer::with(site, theme, Renderer::compile(theme)?)
    }

    /// The theme's templates, parsed. Needs no site: a build does it while the site loads.
    pub(crate) fn compile(theme: &Theme) -> Result<Tera, Vec<Diagnostic>> {
        let mut tera = Tera::default();
        tera.add_raw_templates(
            theme
                .templates
                .iter()
                .map(|t| (t.name.as_str(), t.source.as_str())),
        )
        .map_err(|e| vec![template_diagnostic(theme, &e)])?;
        tera.set_escape_fn(crate::escape::tera_html);
        Ok(tera)
    }

    /// The renderer of `site` with the theme's templates ([`Renderer::compile`]): the
    /// shared context, and the fragments that depend on it alone rendered once.
    pub(crate) fn with(
        site: &Site,
        theme: &Theme,
        tera: Tera,
    ) -> Result<Renderer, Vec<Diagnostic>> {
        let theme_paths = theme
            .templates
            .iter()
            .map(|t| (t.name.clone(), t.path.clone()))
            .collect();
        let products = products(site);
        let mut renderer = Renderer {
            tera,
            globals: globals(site, &products),
            products,
            theme_paths,
            observer: None,
        };
        // Fragments that depend on the shared context only (the default theme's header with
        // its nav loop, the footer) are rendered once here; each include then prints the text.
        let shared = theme
            .templates
            .iter()
            .filter(|t| t.name.starts_with(SHARED_DIR));
        let rendered: Vec<(&str, String)> = shared
            .map(|t| {
                Ok((
                    t.name.as_str(),
                    renderer.render_text(&t.name, &renderer.globals)?,
                ))
            })
            .collect::<Result<_, Diagnostic>>()
            .map_err(|d| vec![d])?;
        for (name, text) in rendered {
            // `{% raw %}` keeps the text verbatim unless the text itself closes it.
            if !text.contains("endraw") {
                renderer
                    .tera
                    .add_raw_template(name, &format!("{{% raw %}}{text}{{% endraw %}}"))
                    .map_err(|e| vec![template_diagnostic(theme, &e)])?;
            }
        }
        Ok(renderer)
    }

    /// Report rendered pages (and template times, if it keeps them) to `observer`.
    pub(crate) fn observe(
        mut self,
        observer: std::sync::Arc<crate::progress::Observer>,
    ) -> Renderer {
        self.observer = Some(observer);
        self
    }

    /// A page's outputs: `page.html` at its URL if public; if gated, `page.html` under
    /// `_gated/` and `teaser.html` at its URL.
    #[cfg(test)]
    pub(crate) fn page(&self, site: &Site, index: usize) -> Result<Vec<Output>, Diagnostic> {
        self.page_in(&mut self.context(), site, index)
    }

    /// A context holding only the shared globals, for [`Renderer::page_in`].
    pub(crate) fn context(&self) -> Context {
        self.globals.clone()
    }

    /// [`Renderer::page`] reusing `ctx` (from [`Renderer::context`]): cloning the globals
    /// for every page is a measurable share of a large build.
    pub(crate) fn page_in(
        &self,
        ctx: &mut Context,
        site: &Site,
        index: usize,
    ) -> Result<Vec<Output>, Diagnostic> {
        let page = &site.pages[index];
        let file = output_path(&page.url);
        // One view per page, serialized once and added to: a gated page's teaser is
        // rendered first, from the view and the teaser only; the body joins it after.
        let view = object(&page_view(site, page));
        let (teaser, mut view) = if page.gated() {
            let (teaser, view) = self.teaser(ctx, site, page, view);
            (Some(teaser), view)
        } else {
            (None, view)
        };
        view.insert("content".into(), page.body.html.as_str().into());
        view.insert("toc".into(), json(&page.body.toc));
        ctx.insert_value("page", Value::Object(view));
        let full = self.render_ctx("page.html", ctx, Some(page))?;
        if let Some(o) = &self.observer {
            o.page_done();
        }
        Ok(match teaser {
            None => vec![Output {
                path: file,
                contents: full,
            }],
            Some(teaser) => vec![
                Output {
                    path: format!("_gated/{file}"),
                    contents: full,
                },
                Output {
                    path: file,
                    contents: teaser?,
                },
            ],
        })
    }

    /// A gated page's `teaser.html`, from `view` (the page's metadata) plus its teaser and
    /// the level or product it takes; `view` comes back as it was, for the full page.
    fn teaser(
        &self,
        ctx: &mut Context,
        site: &Site,
        page: &Page,
        mut view: serde_json::Map<String, Value>,
    ) -> (Result<Vec<u8>, Diagnostic>, serde_json::Map<String, Value>) {
        view.insert(
            "teaser".into(),
            page.body.teaser.as_deref().unwrap_or("").into(),
        );
        ctx.insert_value("page", Value::Object(view));
        if let Some(level) = &page.front.level {
            let rank = site.config.rank(level).expect("levels validated on load");
            let l = &site.config.levels[rank];
            let required = Required {
                id: &l.id,
                name: &l.name,
                price: l.price.as_deref(),
                rank,
            };
            ctx.insert("required", &required);
        }
        if let Some(product) = &page.front.product {
            let view = self
                .products
                .iter()
                .find(|p| &p.id == product)
                .expect("products validated on load");
            ctx.insert("product", view);
        }
        let teaser = self.render_ctx("teaser.html", ctx, Some(page));
        ctx.remove("required");
        ctx.remove("product");
        let mut view = match ctx.remove("page") {
            Some(Value::Object(view)) => view,
            _ => unreachable!("the page's view was set above"),
        };
        view.remove("teaser");
        (teaser, view)
    }

    /// List page `number` (0-based) of a section (`home.html` for index 0, with
    /// `recent`): `section.pages` holds that page's share of the section's pages
    /// (`paginate` of them), `paginator` says where it is among the others.
    pub(crate) fn section(
        &self,
        site: &Site,
        index: usize,
        number: usize,
    ) -> Result<Output, Diagnostic> {
        let s = &site.sections[index];
        let per = s.per_page(site.config.paginate);
        let count = s.list_pages(site.config.paginate);
        let view = SectionView {
            title: &s.title,
            url: &s.url,
            permalink: format!("{}{}", site.config.base_url, s.url),
            content: &s.content,
            pages: s
                .pages
                .iter()
                .skip(number.saturating_mul(per))
                .take(per)
                .map(|&i| page_view(site, &site.pages[i]))
                .collect(),
        };
        let url = list_url(&s.url, number);
        let paginator = Paginator {
            number: number + 1,
            count,
            per_page: site.config.paginate,
            total: s.pages.len(),
            permalink: format!("{}{url}", site.config.base_url),
            url: &url,
            first: &s.url,
            last: list_url(&s.url, count - 1),
            previous: number.checked_sub(1).map(|k| list_url(&s.url, k)),
            next: (number + 1 < count).then(|| list_url(&s.url, number + 1)),
        };
        let mut ctx = self.globals.clone();
        ctx.insert("section", &view);
        ctx.insert("paginator", &paginator);
        drop(view);
        let template = if index == 0 {
            let recent: Vec<PageView<'_>> = site
                .pages_newest_first()
                .into_iter()
                .take(RECENT)
                .map(|p| page_view(site, p))
                .collect();
            ctx.insert("recent", &recent);
            "home.html"
        } else {
            "section.html"
        };
        let contents = self.render_ctx(template, &ctx, None)?;
        Ok(Output {
            path: output_path(&url),
            contents,
        })
    }

    /// `/membership/`.
    pub(crate) fn membership(&self) -> Result<Output, Diagnostic> {
        let contents = self.render_ctx("membership.html", &self.globals, None)?;
        Ok(Output {
            path: output_path(MEMBERSHIP_URL),
            contents,
        })
    }

    /// The member layer's outputs: the utility pages (`/signin/`, …, `/account/`), the
    /// private confirm page and `members.json` with the rendered sign-in mails.
    pub(crate) fn members(&self, site: &Site) -> Result<Vec<Output>, Diagnostic> {
        let mut outputs = Vec::new();
        for (url, template) in member_pages::PAGES {
            let mut ctx = self.globals.clone();
            ctx.insert("url", url);
            outputs.push(Output {
                path: output_path(url),
                contents: self.render_ctx(template, &ctx, None)?,
            });
        }
        let (confirm_path, confirm_template) = member_pages::CONFIRM;
        outputs.push(Output {
            path: confirm_path.into(),
            contents: self.render_ctx(confirm_template, &self.globals, None)?,
        });
        let minutes = site.config.members.link_minutes;
        let [signin, signup] = member_pages::MAIL_KINDS.map(|kind| {
            let mut ctx = self.globals.clone();
            ctx.insert("mail", &member_pages::MailView::new(kind, minutes));
            let [subject, text, html] = member_pages::mail_templates(kind);
            Ok::<_, Diagnostic>(member_pages::mail(
                &self.render_text(&subject, &ctx)?,
                &self.render_text(&text, &ctx)?,
                &self.render_text(&html, &ctx)?,
            ))
        });
        outputs.push(Output {
            path: members::site::MEMBERS_FILE.into(),
            contents: member_pages::site_members(&site.config, signin?, signup?).into_bytes(),
        });
        Ok(outputs)
    }

    /// `/404.html`.
    pub(crate) fn not_found(&self) -> Result<Output, Diagnostic> {
        Ok(Output {
            path: "404.html".into(),
            contents: self.render_ctx("404.html", &self.globals, None)?,
        })
    }

    /// [`Renderer::render_ctx`] as text, for what is read on rather than written out.
    fn render_text(&self, template: &str, ctx: &Context) -> Result<String, Diagnostic> {
        String::from_utf8(self.render_ctx(template, ctx, None)?)
            .map_err(|e| Diagnostic::file(template, format!("template `{template}`: {e}")))
    }

    fn render_ctx(
        &self,
        template: &str,
        ctx: &Context,
        page: Option<&Page>,
    ) -> Result<Vec<u8>, Diagnostic> {
        // Sized for the page's body plus the theme around it: grown from empty, the
        // buffer was copied a dozen times per page.
        let size = page.map_or(0, |p| p.body.html.len()) + 16 * 1024;
        let render = || {
            let mut out = Vec::with_capacity(size);
            self.tera.render_to(template, ctx, &mut out).map(|()| out)
        };
        let rendered = match &self.observer {
            Some(o) => o.time(template, render),
            None => render(),
        };
        rendered.map_err(|e| {
            let path = self
                .theme_paths
                .get(template)
                .cloned()
                .unwrap_or_else(|| template.into());
            let d = Diagnostic::file(path, format!("template `{template}`: {}", chain(&e)));
            match page {
                Some(p) => d.with_help(format!(
                    "while rendering `{}`",
                    crate::build::content::slash_path(&p.file)
                )),
                None => d,
            }
        })
    }
}

fn products(site: &Site) -> Vec<ProductView> {
    let config = &site.config;
    let mut pages: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for product in site.pages.iter().filter_map(|p| p.front.product.as_deref()) {
        *pages.entry(product).or_default() += 1;
    }
    config
        .products
        .iter()
        .map(|p| {
            let rank = p.level.as_deref().and_then(|l| config.rank(l));
            ProductView {
                id: p.id.clone(),
                name: p.name.clone(),
                price: p.price.clone(),
                description: p.description.clone(),
                level: p.level.clone(),
                level_name: rank.map(|r| config.levels[r].name.clone()),
                rank,
                pages: pages.get(p.id.as_str()).copied().unwrap_or(0),
                checkout: p
                    .link
                    .as_ref()
                    .map(|_| format!("{}{}", members::http::CHECKOUT_PREFIX, p.id)),
            }
        })
        .collect()
}

fn globals(site: &Site, products: &[ProductView]) -> Context {
    let config = &site.config;
    let mut at_level = vec![0usize; config.levels.len()];
    for page in &site.pages {
        if let Some(rank) = page.front.level.as_deref().and_then(|l| config.rank(l)) {
            at_level[rank] += 1;
        }
    }
    let levels = config
        .levels
        .iter()
        .enumerate()
        .map(|(rank, l)| LevelView {
            id: &l.id,
            name: &l.name,
            price: l.price.as_deref(),
            benefits: &l.benefits,
            rank,
            pages: at_level[rank],
            unlocks: at_level[..=rank].iter().sum(),
            checkout: l
                .link
                .as_ref()
                .map(|_| format!("{}{}", members::http::CHECKOUT_PREFIX, l.id)),
        })
        .collect();
    let mut nav: Vec<NavItem<'_>> = site
        .sections
        .iter()
        .filter(|s| s.parent == Some(0))
        .map(|s| NavItem {
            title: &s.title,
            url: &s.url,
        })
        .collect();
    nav.sort_by(|a, b| (a.title, a.url).cmp(&(b.title, b.url)));
    let mut ctx = Context::new();
    ctx.insert(
        "site",
        &SiteView {
            title: &config.title,
            base_url: &config.base_url,
            language: &config.language,
            levels,
            products,
        },
    );
    ctx.insert("nav", &nav);
    ctx.insert("membership_url", MEMBERSHIP_URL);
    ctx.insert("members", &member_pages::view(config));
    ctx.insert("lang", &config.language);
    ctx
}

fn page_view<'a>(site: &'a Site, page: &'a Page) -> PageView<'a> {
    let front = &page.front;
    let level = front.level.as_deref();
    let rank = level.and_then(|l| site.config.rank(l));
    // A gated page's description is its summary or nothing: never body text.
    let description = match (&front.summary, &page.body.lead) {
        (Some(s), _) => Some(s.clone()),
        (None, Some(lead)) if !page.gated() && !lead.is_empty() => Some(lead.clone()),
        _ => None,
    };
    PageView {
        title: &front.title,
        url: &page.url,
        permalink: format!("{}{}", site.config.base_url, page.url),
        date: front.date.as_ref().map(|d| d.day.as_str()),
        level,
        level_name: rank.map(|r| site.config.levels[r].name.as_str()),
        rank,
        product: front.product.as_deref(),
        product_name: front
            .product
            .as_deref()
            .and_then(|p| site.config.product(p))
            .map(|p| p.name.as_str()),
        summary: front.summary.as_deref(),
        description,
        tags: &front.tags,
        reading_time: page.body.reading_time(),
        words: page.body.word_count(),
        gated: page.gated(),
        extra: &front.extra,
    }
}

/// A view as JSON: what a template reads (derived `Serialize` only, so it cannot fail).
fn json(view: &impl Serialize) -> Value {
    serde_json::to_value(view).expect("views serialize to JSON")
}

/// A struct's view as a JSON object.
fn object(view: &impl Serialize) -> serde_json::Map<String, Value> {
    match json(view) {
        Value::Object(fields) => fields,
        _ => unreachable!("a struct's view is a JSON object"),
    }
}

/// Tera's error and its causes on one line.
fn chain(e: &tera::Error) -> String {
    crate::error::chain(e)
}

/// A template that doesn't compile. Which one: the one that fails to parse on its own,
/// or the one tera's structured error names (a missing parent, a circular `extends`);
/// only for other errors is the name looked for in the text. The position is in the
/// text alone: tera keeps its parser's error as a message (`ErrorKind::Msg`, pest's
/// `--> line:col` drawing), with no line or column field.
fn template_diagnostic(theme: &Theme, e: &tera::Error) -> Diagnostic {
    let text = chain(e);
    let named = match &e.kind {
        tera::ErrorKind::MissingParent { current, .. } => Some(current.as_str()),
        tera::ErrorKind::CircularExtend { tpl, .. } => Some(tpl.as_str()),
        _ => None,
    };
    let template = theme
        .templates
        .iter()
        .find(|t| tera::Template::new(&t.name, None, &t.source).is_err())
        .or_else(|| {
            theme
                .templates
                .iter()
                .find(|t| Some(t.name.as_str()) == named)
        })
        .or_else(|| {
            theme.templates.iter().find(|t| {
                text.contains(&format!("'{}'", t.name)) || text.contains(&format!("\"{}\"", t.name))
            })
        });
    let position = text.split("--> ").nth(1).and_then(|rest| {
        let (line, rest) = rest.split_once(':')?;
        let col: String = rest.chars().take_while(char::is_ascii_digit).collect();
        Some((
            line.trim().parse::<usize>().ok()?,
            col.parse::<usize>().ok()?,
        ))
    });
    // Pest's own caret drawing is replaced by ours; keep its "expected …" line.
    let expected = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("= "))
        .map(str::to_owned);
    match (template, position) {
        (Some(t), Some((line, col))) => {
            let d = Diagnostic::at(
                &t.path,
                &t.source,
                line,
                col,
                format!("syntax error in template `{}`", t.name),
            );
            match expected {
                Some(x) => d.with_help(x),
                None => d,
            }
        }
        (Some(t), None) => Diagnostic::file(&t.path, text),
        (None, _) => Diagnostic::file("themes", text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::build::theme::Template;

    fn theme(page: &str) -> Theme {
        theme_with(&[("page.html", page)])
    }

    /// The default theme with these templates (name, source) in place of its own.
    fn theme_with(templates: &[(&str, &str)]) -> Theme {
        let mut t =
            crate::build::theme::load(std::path::Path::new("/nonexistent"), "default").unwrap();
        for (name, source) in templates {
            t.templates.retain(|x| x.name != *name);
            t.templates.push(Template {
                name: name.to_string(),
                path: format!("themes/t/templates/{name}").into(),
                source: source.to_string(),
            });
        }
        t
    }

    #[test]
    fn template_syntax_error_has_position() {
        let site = test_site();
        let err = Renderer::new(&site, &theme("ok\n{{ page.title }\n"))
            .err()
            .unwrap();
        assert_eq!(
            err[0].path,
            std::path::Path::new("themes/t/templates/page.html")
        );
        assert_eq!(err[0].line, 2, "{}", err[0].render(false));
    }

    #[test]
    fn render_error_names_template_and_page() {
        let site = test_site();
        let r = Renderer::new(&site, &theme("{{ nope.x }}")).unwrap();
        let d = r.page(&site, 0).unwrap_err();
        assert!(d.message.starts_with("template `page.html`"), "{d}");
        assert_eq!(d.help.as_deref(), Some("while rendering `content/a.md`"));
    }

    #[test]
    fn teaser_view_never_carries_content() {
        let site = test_site();
        // A teaser template that prints whatever body its view holds.
        let r = Renderer::new(
            &site,
            &theme_with(&[
                ("page.html", "{{ page.content | safe }}"),
                (
                    "teaser.html",
                    "{% if page.content %}{{ page.content | safe }}{% endif %}\
                     {% if page.toc %}toc{% endif %}[{{ page.teaser }}]",
                ),
            ]),
        )
        .unwrap();
        let outputs = r.page(&site, 1).unwrap();
        assert_eq!(outputs[0].path, "_gated/b/index.html");
        assert_eq!(outputs[0].contents, b"<p>secret</p>\n");
        assert_eq!(outputs[1].path, "b/index.html");
        assert_eq!(String::from_utf8_lossy(&outputs[1].contents), "[]");
    }

    fn test_site() -> Site {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("site.yaml"),
            "title: T\nlevels: [{id: pro, name: Pro}]\n",
        )
        .unwrap();
        std::fs::create_dir(dir.path().join("content")).unwrap();
        std::fs::write(
            dir.path().join("content/a.md"),
            "---\ntitle: A\n---\nhello\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("content/b.md"),
            "---\ntitle: B\nlevel: pro\n---\nsecret\n",
        )
        .unwrap();
        crate::build::site::Site::load(dir.path(), &Default::default()).unwrap()
    }
}
