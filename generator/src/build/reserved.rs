//! File names Cloudflare reads as configuration when they are in the uploaded bundle:
//! `_redirects` (redirects and rewrites) and `_headers` (response headers). A site file
//! with such a name could rewrite a public URL into `/_gated/` or change the headers and
//! caching of gated answers, around the Worker's gate, so the build refuses it.
//!
//! Cloudflare only honours them at the bundle root, but the build refuses them at any
//! depth and in any case (`static/`, a theme's `static/`, `content/`): a rule about where
//! they are read is one more thing to get wrong, and no site needs such a file.

use crate::diagnostic::Diagnostic;
use std::path::Path;

/// The refused names, each with what Cloudflare would do with it.
pub(crate) const NAMES: [(&str, &str); 2] = [
    (
        "_redirects",
        "redirect and rewrite rules (a rule could serve `/_gated/` files at public URLs)",
    ),
    (
        "_headers",
        "response header rules (a rule could change the caching of gated answers)",
    ),
];

/// What Cloudflare would do with a bundle file at `bundle_path` (`/`-separated), if its
/// name is one it reads as configuration.
pub(crate) fn reserved(bundle_path: &str) -> Option<(&'static str, &'static str)> {
    let name = bundle_path.rsplit('/').next().unwrap_or(bundle_path);
    NAMES
        .iter()
        .find(|(n, _)| name.eq_ignore_ascii_case(n))
        .copied()
}

/// An error for each `(bundle path, source file)` that Cloudflare would read as
/// configuration; `source` names the file in the message (relative to the site root).
pub(crate) fn refuse<'a>(files: impl IntoIterator<Item = (&'a str, &'a Path)>) -> Vec<Diagnostic> {
    files
        .into_iter()
        .filter_map(|(bundle_path, source)| {
            let (name, what) = reserved(bundle_path)?;
            Some(
                Diagnostic::file(
                    source,
                    format!(
                        "a file named `{name}` is not allowed: Cloudflare would read it as {what}, bypassing the gate"
                    ),
                )
                .with_help(
                    "Cloudflare reads these at the bundle root; to be safe lyceum refuses `_redirects` and `_headers` anywhere in `static/`, `content/` and themes. Rename or remove it; set redirects or headers in the Worker or in Cloudflare's dashboard",
                ),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cloudflare_config_names_are_reserved_at_any_depth_and_case() {
        for path in [
            "_redirects",
            "_headers",
            "a/b/_headers",
            "_gated/x/_REDIRECTS",
            "_Headers",
        ] {
            assert!(reserved(path).is_some(), "{path}");
        }
        for path in [
            "redirects",
            "_headers.txt",
            "a/_redirects/x.png",
            "x_headers",
            "index.html",
        ] {
            assert!(reserved(path).is_none(), "{path}");
        }
        let errors = refuse([
            ("_redirects", Path::new("static/_redirects")),
            ("style.css", Path::new("static/style.css")),
        ]);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].path, Path::new("static/_redirects"));
        assert!(
            errors[0].message.contains("`_redirects` is not allowed"),
            "{}",
            errors[0]
        );
    }
}
