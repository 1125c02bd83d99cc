//! `lyceum new`: a starter site that builds as is — two levels, a home page, one section
//! with a public page and a gated page with a teaser. The default theme is embedded in
//! the binary, so the site needs no theme folder; `with_theme` copies it out to edit.
//!
//! Only ever creates: the target must be empty or absent, and every file is opened with
//! `create_new`, so an existing file is never overwritten, even in a race.

use crate::build::theme::{default_theme_files, DEFAULT_THEME};
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// Why a site could not be created.
#[derive(Debug, thiserror::Error)]
pub enum ScaffoldError {
    /// The target has something in it already.
    #[error("`{}` is not empty; `lyceum new` only creates a site in an empty or new folder", .0.display())]
    NotEmpty(PathBuf),
    /// The target exists but is not a folder.
    #[error("`{}` exists and is not a folder", .0.display())]
    NotADirectory(PathBuf),
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

/// The starter site's files: (path relative to the site root, contents).
pub const FILES: &[(&str, &str)] = &[
    (
        "site.yaml",
        "# Site settings. Levels are ordered lowest first; a member of a level reads every\n\
         # page of that level and below. Pages without `level` are public.\n\
         title: My Lyceum\n\
         base_url: https://example.com\n\
         language: en\n\
         theme: default\n\
         levels:\n  \
           - id: member\n    \
             name: Member\n    \
             price: \"$5 / month\"\n    \
             benefits:\n      \
               - Every members' article\n  \
           - id: pro\n    \
             name: Pro\n    \
             price: \"$15 / month\"\n    \
             benefits:\n      \
               - Everything in Member\n      \
               - Every pro course\n\
         # Sign-up and sign-in by email. signup: open (anyone may join), invite (only\n\
         # addresses you add with `lyceum members add`) or closed. The rest are the defaults.\n\
         members:\n  \
           signup: open\n  \
           # free_level: member   # the level a newcomer gets (unset: public pages only)\n  \
           # link_minutes: 15     # how long a sign-in link and code work, 5 to 60\n  \
           # session_days: 30     # how long a reader stays signed in, 1 to 365\n  \
           # token_minutes: 60    # how soon a level change or a sign-out everywhere applies, 1 to 60\n",
    ),
    (
        "content/_index.md",
        "---\ntitle: Welcome\n---\nThis is the home page. Edit `content/_index.md` to change this text.\n",
    ),
    (
        "content/articles/_index.md",
        "---\ntitle: Articles\n---\nEvery article, newest first.\n",
    ),
    (
        "content/articles/hello.md",
        "---\ntitle: Hello, world\ndate: 2025-01-01\nsummary: A public page anyone can read.\ntags: [welcome]\n---\n\
         This page has no `level`, so it is public.\n\n\
         ## Next steps\n\n\
         - Read [the members' article](members-only.md): everyone sees its teaser, members the rest.\n\
         - Run `lyceum check` to validate the site and its links, `lyceum serve` to preview it.\n",
    ),
    (
        "content/articles/members-only.md",
        "---\ntitle: For members\ndate: 2025-01-02\nlevel: member\nsummary: Shown to everyone, in lists and in the teaser.\n---\n\
         Everything above the `more` marker below is the public teaser.\n\n\
         <!-- more -->\n\n\
         Everything below it is for members only: it is built under `_gated/` and served by\n\
         the Worker only to readers with a `member` (or `pro`) token.\n",
    ),
    ("static/robots.txt", "User-agent: *\nAllow: /\n"),
];

/// Create a starter site in `dir` (created if absent, refused if not empty). With
/// `with_theme`, also copy the embedded default theme to `themes/default/`.
/// Returns the files created, relative to `dir`.
pub fn create(dir: &Path, with_theme: bool) -> Result<Vec<PathBuf>, ScaffoldError> {
    let io = |action, path: &Path| {
        let path = path.to_path_buf();
        move |source| ScaffoldError::Io {
            action,
            path,
            source,
        }
    };
    match std::fs::read_dir(dir) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                return Err(ScaffoldError::NotEmpty(dir.to_path_buf()));
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::create_dir_all(dir).map_err(io("create", dir))?;
        }
        Err(_) if dir.exists() && !dir.is_dir() => {
            return Err(ScaffoldError::NotADirectory(dir.to_path_buf()))
        }
        Err(e) => return Err(io("read", dir)(e)),
    }
    let theme: Vec<(String, &[u8])> = if with_theme {
        default_theme_files()
            .map(|(rel, bytes)| (format!("themes/{DEFAULT_THEME}/{rel}"), bytes))
            .collect()
    } else {
        Vec::new()
    };
    let files = FILES
        .iter()
        .map(|(rel, text)| (rel.to_string(), text.as_bytes()))
        .chain(theme);
    let mut created = Vec::new();
    for (rel, bytes) in files {
        let path = dir.join(&rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(io("create", parent))?;
        }
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(io("create", &path))?;
        file.write_all(bytes).map_err(io("write", &path))?;
        created.push(PathBuf::from(rel));
    }
    Ok(created)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_a_file_and_a_non_empty_dir() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("keep.txt"), "mine").unwrap();
        assert!(matches!(
            create(dir.path(), false),
            Err(ScaffoldError::NotEmpty(_))
        ));
        assert!(matches!(
            create(&dir.path().join("keep.txt"), false),
            Err(ScaffoldError::NotADirectory(_))
        ));
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn starter_site_loads_with_a_gated_page() {
        let dir = tempfile::tempdir().unwrap();
        let site_dir = dir.path().join("site");
        create(&site_dir, true).unwrap();
        assert!(site_dir
            .join("themes/default/templates/page.html")
            .is_file());
        let site = crate::build::site::Site::load(&site_dir, &Default::default()).unwrap();
        assert_eq!(site.pages.iter().filter(|p| p.gated()).count(), 1);
        assert_eq!(site.config.members.signup, members::Signup::Open);
        // The commented keys are the defaults; uncommented, they still load.
        let yaml = std::fs::read_to_string(site_dir.join("site.yaml")).unwrap();
        let uncommented = yaml.replace("  # free_level", "  free_level");
        let uncommented = uncommented.replace("  # link_minutes", "  link_minutes");
        let uncommented = uncommented.replace("  # session_days", "  session_days");
        let uncommented = uncommented.replace("  # token_minutes", "  token_minutes");
        let config = crate::build::config::parse(&uncommented).unwrap();
        assert_eq!(config.members.free_level.as_deref(), Some("member"));
        assert_eq!(
            (
                config.members.link_minutes,
                config.members.session_days,
                config.members.token_minutes
            ),
            (15, 30, 60)
        );
        assert!(site
            .pages
            .iter()
            .all(|p| p.gated() || p.front.level.is_none()));
    }
}
