//! Stage 2: find the site's markdown files and read them. The only disk access of the
//! parse half of the pipeline; everything after it works on strings.

use crate::diagnostic::{line_col, Diagnostic};
use std::borrow::Cow;
use std::path::{Path, PathBuf};

/// The content folder, relative to the site root.
pub(crate) const CONTENT_DIR: &str = "content";

/// The file that turns a folder into a section (any markdown extension: [`is_section_file`]).
pub(crate) const SECTION_FILE: &str = "_index.md";

/// The extensions that make a file markdown, compared without regard to case.
pub(crate) const MARKDOWN_EXTENSIONS: [&str; 2] = ["md", "markdown"];

/// One markdown file under `content/`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct SourceFile {
    /// Path relative to the site root, with `/` separators (`content/posts/a.md`); used in
    /// diagnostics and as the page's identity.
    pub rel: PathBuf,
    /// Path on disk.
    pub abs: PathBuf,
}

impl SourceFile {
    /// True for a section's `_index.md`.
    pub(crate) fn is_section(&self) -> bool {
        is_section_file(&self.rel)
    }
}

/// Every file under `content/` (markdown and page assets alike) as paths relative to the
/// site root (`content/posts/a.md`), sorted so builds are deterministic. Hidden files and
/// folders (`.git`, editor swap files) are skipped.
pub(crate) fn files(root: &Path) -> Result<Vec<PathBuf>, Diagnostic> {
    let dir = root.join(CONTENT_DIR);
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let mut files = Vec::new();
    let walk = walkdir::WalkDir::new(&dir)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'));
    for entry in walk {
        let entry = entry.map_err(|e| {
            let at = e.path().unwrap_or(&dir).to_path_buf();
            Diagnostic::file(at, format!("cannot read: {e}"))
        })?;
        if entry.file_type().is_file() {
            files.push(
                Path::new(CONTENT_DIR).join(
                    entry
                        .path()
                        .strip_prefix(&dir)
                        .expect("walk stays under content/"),
                ),
            );
        }
    }
    files.sort();
    Ok(files)
}

/// All `content/**/*.md`, sorted by path.
pub(crate) fn discover(root: &Path) -> Result<Vec<SourceFile>, Diagnostic> {
    Ok(sources(root, &files(root)?))
}

/// The markdown files among `files` (from [`files`]).
pub(crate) fn sources(root: &Path, files: &[PathBuf]) -> Vec<SourceFile> {
    files
        .iter()
        .filter(|rel| is_markdown(rel))
        .map(|rel| SourceFile {
            abs: root.join(rel),
            rel: rel.clone(),
        })
        .collect()
}

/// True for a file that is markdown by its name (`.md`, `.markdown`, in any case): always a
/// page or a section, never a page asset, so its source is never published as a file.
/// The one place names are classified; `lyceum check`, serve and the assets use it too.
pub(crate) fn is_markdown(path: &Path) -> bool {
    markdown_stem(path).is_some()
}

/// [`is_markdown`] for a name or `/`-separated path as written (a link's destination).
pub(crate) fn is_markdown_name(name: &str) -> bool {
    markdown_stem_of(name).is_some()
}

/// The name before a markdown extension: `intro` for `content/a/intro.Markdown`; `None`
/// for any other file. A name that is not UTF-8 is read lossily, so it is still markdown
/// by its extension (and never published as a file). Borrowed from `path` when it is
/// UTF-8: every file is asked this several times.
pub(crate) fn markdown_stem(path: &Path) -> Option<Cow<'_, str>> {
    match path.file_name()?.to_string_lossy() {
        Cow::Borrowed(name) => markdown_stem_of(name).map(Cow::Borrowed),
        Cow::Owned(name) => markdown_stem_of(&name).map(|s| Cow::Owned(s.to_owned())),
    }
}

fn markdown_stem_of(name: &str) -> Option<&str> {
    let (stem, ext) = name.rsplit_once('.')?;
    let stem = stem.rsplit('/').next().unwrap_or(stem);
    let markdown = !stem.is_empty()
        && MARKDOWN_EXTENSIONS
            .iter()
            .any(|m| ext.eq_ignore_ascii_case(m));
    markdown.then_some(stem)
}

/// True for a section's `_index.md` (any markdown extension).
pub(crate) fn is_section_file(path: &Path) -> bool {
    markdown_stem(path).is_some_and(|s| s == "_index")
}

/// True for `index.md` (any markdown extension): the page of its folder.
pub(crate) fn is_page_index(path: &Path) -> bool {
    markdown_stem(path).is_some_and(|s| s == "index")
}

/// Read a file as UTF-8; invalid bytes are reported with their offset and line.
pub(crate) fn read(file: &SourceFile) -> Result<String, Diagnostic> {
    let bytes = std::fs::read(&file.abs).map_err(|e| {
        Diagnostic::file(
            &file.rel,
            format!("cannot read `{}`: {e}", file.abs.display()),
        )
    })?;
    decode(&file.rel, bytes)
}

/// Bytes → `String`, or a diagnostic at the first invalid byte.
pub(crate) fn decode(path: &Path, bytes: Vec<u8>) -> Result<String, Diagnostic> {
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let bytes = e.into_bytes();
        let valid = String::from_utf8_lossy(&bytes[..at]);
        let (line, col) = line_col(&valid, at);
        let shown = String::from_utf8_lossy(&bytes);
        Diagnostic::at(
            path,
            &shown,
            line,
            col,
            format!("invalid UTF-8 at byte {at}"),
        )
        .with_help("save the file as UTF-8")
    })
}

pub(crate) use crate::paths::slash_path;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_utf8_names_byte_and_line() {
        let d = decode(Path::new("a.md"), b"---\ntitle: \xff\n".to_vec()).unwrap_err();
        assert_eq!(d.message, "invalid UTF-8 at byte 11");
        assert_eq!((d.line, d.col), (2, 8));
    }

    /// Regression (issue 9, item 2): only a lower-case `.md` was markdown, so `x.MD` or
    /// `x.markdown` with `level: pro` was copied to the bundle whole as a public file.
    #[test]
    fn markdown_by_name_in_any_case_is_never_an_asset() {
        for name in [
            "a.md",
            "a.MD",
            "a.Md",
            "a.markdown",
            "a.MARKDOWN",
            "a.Markdown",
            "x/y.v2.md",
        ] {
            assert!(is_markdown(Path::new(name)), "{name}");
            assert!(is_markdown_name(name), "{name}");
        }
        for name in ["a.mdx", "a.txt", ".md", "md", "a.md~", "a.md.png", "a.mark"] {
            assert!(!is_markdown(Path::new(name)), "{name}");
            assert!(!is_markdown_name(name), "{name}");
        }
        // A link to a folder named like a file is not a link to a source.
        assert!(!is_markdown_name("a.md/"));
        assert_eq!(
            markdown_stem(Path::new("content/a/intro.Markdown")).as_deref(),
            Some("intro")
        );
        #[cfg(unix)]
        {
            use std::os::unix::ffi::OsStrExt;
            let name = std::ffi::OsStr::from_bytes(b"caf\xe9.MD");
            assert!(is_markdown(Path::new(name)), "a name that is not UTF-8");
        }
        assert!(is_section_file(Path::new("content/s/_index.MD")));
        assert!(is_page_index(Path::new("content/s/index.markdown")));
        assert!(!is_page_index(Path::new("content/s/index.html")));
    }

    #[test]
    fn discovers_sorted_markdown_only() {
        let dir = tempfile::tempdir().unwrap();
        let c = dir.path().join("content");
        std::fs::create_dir_all(c.join("b/.hidden")).unwrap();
        for f in [
            "b/z.md",
            "b/a.md",
            "_index.md",
            "b/notes.txt",
            "b/.hidden/x.md",
            ".swp.md",
        ] {
            std::fs::write(c.join(f), "").unwrap();
        }
        let found: Vec<_> = discover(dir.path())
            .unwrap()
            .into_iter()
            .map(|f| slash_path(&f.rel))
            .collect();
        assert_eq!(
            found,
            ["content/_index.md", "content/b/a.md", "content/b/z.md"]
        );
    }
}
