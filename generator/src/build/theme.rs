//! The theme: tera templates and static files. The default theme is embedded in the
//! binary; a site's `themes/<name>/` overrides it file by file, and the site's own
//! `static/` overrides both.

use crate::diagnostic::Diagnostic;
use std::path::{Path, PathBuf};

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/default_theme.rs"));
}

/// The name of the embedded theme.
pub(crate) const DEFAULT_THEME: &str = "default";

/// One template: its tera name, where it came from (for diagnostics) and its source.
#[derive(Debug, Clone)]
pub(crate) struct Template {
    /// Name as used in `{% extends %}` and by the renderer (`page.html`).
    pub name: String,
    /// Where it came from, relative to the site root (`themes/default/templates/page.html`).
    pub path: PathBuf,
    /// Template source.
    pub source: String,
}

/// Where a static file's bytes are.
#[derive(Debug, Clone)]
pub(crate) enum StaticSource {
    /// Embedded in the binary (default theme).
    Embedded(&'static [u8]),
    /// A file on disk.
    Disk(PathBuf),
}

/// A loaded theme.
#[derive(Debug, Clone)]
pub(crate) struct Theme {
    /// Templates by name, sorted.
    pub templates: Vec<Template>,
    /// Static files by bundle path (`style.css`), sorted; the site's `static/` already merged.
    pub static_files: Vec<(String, StaticSource)>,
}

impl Theme {
    /// The template of this name.
    #[cfg(test)]
    pub(crate) fn template(&self, name: &str) -> Option<&Template> {
        self.templates.iter().find(|t| t.name == name)
    }
}

/// The embedded default theme's files as (path under `themes/default/`, bytes), e.g.
/// `templates/page.html`; `lyceum new --with-theme` copies them out for customising.
pub(crate) fn default_theme_files() -> impl Iterator<Item = (String, &'static [u8])> {
    let templates = embedded::TEMPLATES
        .iter()
        .map(|(name, source)| (format!("templates/{name}"), source.as_bytes()));
    let statics = embedded::STATIC
        .iter()
        .map(|(name, bytes)| (format!("static/{name}"), *bytes));
    templates.chain(statics)
}

/// Load `themes/<theme>` of the site over the embedded default, then the site's `static/`.
pub(crate) fn load(root: &Path, theme: &str) -> Result<Theme, Vec<Diagnostic>> {
    let theme_dir = Path::new("themes").join(theme);
    if theme != DEFAULT_THEME && !root.join(&theme_dir).is_dir() {
        return Err(vec![Diagnostic::file(
            crate::build::config::CONFIG_FILE,
            format!("theme `{theme}` not found"),
        )
        .with_help(format!(
            "create `{}/templates/`, or use `theme: {DEFAULT_THEME}`",
            theme_dir.display()
        ))]);
    }
    let mut templates: std::collections::BTreeMap<String, Template> = embedded::TEMPLATES
        .iter()
        .map(|(name, source)| {
            let path = Path::new("themes")
                .join(DEFAULT_THEME)
                .join("templates")
                .join(name);
            (
                name.to_string(),
                Template {
                    name: name.to_string(),
                    path,
                    source: source.to_string(),
                },
            )
        })
        .collect();
    let mut static_files: std::collections::BTreeMap<String, StaticSource> = embedded::STATIC
        .iter()
        .map(|(name, bytes)| (name.to_string(), StaticSource::Embedded(bytes)))
        .collect();
    for (rel, abs) in files_under(root, &theme_dir.join("templates"))? {
        let source = std::fs::read(&abs)
            .map_err(|e| vec![Diagnostic::file(&rel, format!("cannot read: {e}"))])?;
        let source = crate::build::content::decode(&rel, source).map_err(|d| vec![d])?;
        let name = crate::build::content::slash_path(
            rel.strip_prefix(theme_dir.join("templates"))
                .expect("under templates"),
        );
        templates.insert(
            name.clone(),
            Template {
                name,
                path: rel,
                source,
            },
        );
    }
    for dir in [theme_dir.join("static"), PathBuf::from("static")] {
        for (rel, abs) in files_under(root, &dir)? {
            let name =
                crate::build::content::slash_path(rel.strip_prefix(&dir).expect("under static"));
            static_files.insert(name, StaticSource::Disk(abs));
        }
    }
    Ok(Theme {
        templates: templates.into_values().collect(),
        static_files: static_files.into_iter().collect(),
    })
}

/// Files under `root/dir`, as (path relative to root, absolute path), sorted; none if absent.
fn files_under(root: &Path, dir: &Path) -> Result<Vec<(PathBuf, PathBuf)>, Vec<Diagnostic>> {
    let abs_dir = root.join(dir);
    if !abs_dir.is_dir() {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for entry in walkdir::WalkDir::new(&abs_dir).sort_by_file_name() {
        let entry = entry.map_err(|e| vec![Diagnostic::file(dir, format!("cannot read: {e}"))])?;
        if entry.file_type().is_file() {
            let rel = dir.join(
                entry
                    .path()
                    .strip_prefix(&abs_dir)
                    .expect("walk stays under dir"),
            );
            out.push((rel, entry.into_path()));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_default_has_every_template() {
        let theme = load(Path::new("/nonexistent"), DEFAULT_THEME).unwrap();
        for name in crate::build::render::TEMPLATES {
            assert!(theme.template(name).is_some(), "{name}");
        }
    }

    #[test]
    fn site_files_override_theme() {
        let dir = tempfile::tempdir().unwrap();
        let t = dir.path().join("themes/x/templates");
        std::fs::create_dir_all(&t).unwrap();
        std::fs::write(t.join("page.html"), "mine").unwrap();
        std::fs::create_dir_all(dir.path().join("static")).unwrap();
        std::fs::write(dir.path().join("static/style.css"), "site").unwrap();
        let theme = load(dir.path(), "x").unwrap();
        assert_eq!(theme.template("page.html").unwrap().source, "mine");
        assert!(theme.template("base.html").is_some());
        let css = theme
            .static_files
            .iter()
            .find(|(n, _)| n == "style.css")
            .unwrap();
        assert!(matches!(&css.1, StaticSource::Disk(p) if p.starts_with(dir.path())));
        assert!(load(dir.path(), "missing").is_err());
    }
}
