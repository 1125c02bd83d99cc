//! Author-facing errors: one typed [`Diagnostic`] per problem, formatted in one place
//! like a compiler's (`path:line:col: message`, the offending line, a caret, a help line).
//!
//! Every stage returns diagnostics instead of printing, so a build can collect all of
//! them, sort them, and report them together.

use std::fmt;
use std::path::PathBuf;

/// One problem in the author's input, with where it is and what would be valid.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Diagnostic {
    /// The file, as the author would type it (relative to the site root where possible).
    pub path: PathBuf,
    /// 1-based line; 0 when the problem concerns the whole file.
    pub line: usize,
    /// 1-based column in characters; 0 when unknown.
    pub col: usize,
    /// What is wrong.
    pub message: String,
    /// What would be valid, or how to fix it.
    pub help: Option<String>,
    /// The offending source line, shown under the message with a caret.
    pub source_line: Option<String>,
}

impl Diagnostic {
    /// A diagnostic about a whole file.
    pub fn file(path: impl Into<PathBuf>, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            path: path.into(),
            line: 0,
            col: 0,
            message: message.into(),
            help: None,
            source_line: None,
        }
    }

    /// A diagnostic at `line:col` of `source` (1-based); the line's text is kept for display.
    pub fn at(
        path: impl Into<PathBuf>,
        source: &str,
        line: usize,
        col: usize,
        message: impl Into<String>,
    ) -> Diagnostic {
        Diagnostic {
            path: path.into(),
            line,
            col,
            message: message.into(),
            help: None,
            source_line: line
                .checked_sub(1)
                .and_then(|i| source.lines().nth(i))
                .map(|l| l.trim_end_matches('\r').to_owned()),
        }
    }

    /// Adds a help line.
    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// The full compiler-style report. `color` adds ANSI colours (only for a terminal).
    pub fn render(&self, color: bool) -> String {
        self.render_as(Severity::Error, color)
    }

    /// [`Diagnostic::render`] labelled with `severity` (`lyceum check` also reports warnings).
    pub fn render_as(&self, severity: Severity, color: bool) -> String {
        let (red, blue, bold, reset) = if color {
            (
                if severity == Severity::Error {
                    "\x1b[1;31m"
                } else {
                    "\x1b[1;33m"
                },
                "\x1b[1;34m",
                "\x1b[1m",
                "\x1b[0m",
            )
        } else {
            ("", "", "", "")
        };
        let label = severity.as_str();
        let mut out = format!(
            "{bold}{}{reset}: {red}{label}{reset}: {bold}{}{reset}\n",
            self.location(),
            self.message
        );
        if let Some(text) = &self.source_line {
            let gutter = self.line.to_string();
            let pad = " ".repeat(gutter.len());
            // Tabs are shown as spaces, so the caret lines up whatever the terminal's tab stops.
            let shown = text.replace('\t', TAB);
            out += &format!("{blue}{pad} |{reset}\n{blue}{gutter} |{reset} {shown}\n");
            if self.col > 0 {
                let before: String = text.chars().take(self.col - 1).collect();
                let lead = " ".repeat(display_width(&before.replace('\t', TAB)));
                out += &format!("{blue}{pad} |{reset} {lead}{red}^{reset}\n");
            }
        }
        if let Some(help) = &self.help {
            out += &format!("  {blue}= help{reset}: {help}\n");
        }
        out
    }

    fn location(&self) -> String {
        let path = self.shown_path();
        match (self.line, self.col) {
            (0, _) => path,
            (l, 0) => format!("{path}:{l}"),
            (l, c) => format!("{path}:{l}:{c}"),
        }
    }

    /// The path with `/` separators on every OS (`content/a.md`, as `--json` has it), so
    /// messages do not depend on where the author writes. Lossless: Windows file names
    /// cannot contain `\`.
    fn shown_path(&self) -> String {
        let shown = self.path.display().to_string();
        if cfg!(windows) {
            shown.replace('\\', "/")
        } else {
            shown
        }
    }
}

/// A diagnostic as `--json` prints it (`lyceum build` and `lyceum check`):
/// `{"path","line","col","severity"?,"message","help"}`, the path `/`-separated.
#[derive(Debug, serde::Serialize)]
pub struct Json<'a> {
    path: String,
    line: usize,
    col: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    severity: Option<&'static str>,
    message: &'a str,
    help: Option<&'a str>,
}

impl Diagnostic {
    /// The JSON form; `severity` is named where errors and warnings share a report.
    pub fn json(&self, severity: Option<Severity>) -> Json<'_> {
        Json {
            path: crate::paths::slash_path(&self.path),
            line: self.line,
            col: self.col,
            severity: severity.map(Severity::as_str),
            message: &self.message,
            help: self.help.as_deref(),
        }
    }
}

/// Every diagnostic of `diagnostics`, compiler-style, one after another; `spaced` puts a
/// blank line between them (the CLI), else none (serve's terminal and error page).
pub fn render_all(diagnostics: &[Diagnostic], color: bool, spaced: bool) -> String {
    let mut out = String::new();
    for d in diagnostics {
        out.push_str(&d.render(color));
        if spaced || !out.ends_with('\n') {
            out.push('\n');
        }
    }
    out
}

/// How bad a diagnostic is: errors fail a build or check; warnings only fail
/// `lyceum check --deny-warnings`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// Must be fixed.
    Error,
    /// Worth a look.
    Warning,
}

impl Severity {
    /// `error` or `warning`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// The one-line form: `path:line:col: message`.
impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location(), self.message)
    }
}

/// How a tab in a shown source line is displayed.
const TAB: &str = "    ";

/// Terminal columns of `text`: 2 for East Asian wide and fullwidth characters (CJK,
/// Hangul, fullwidth forms, most emoji), 0 for combining marks and zero-width characters,
/// 1 otherwise. A small stand-in for the `unicode-width` crate, enough to place a caret.
pub fn display_width(text: &str) -> usize {
    text.chars().map(char_width).sum()
}

fn char_width(c: char) -> usize {
    let c = c as u32;
    let zero = matches!(c,
        0x0300..=0x036F | 0x0483..=0x0489 | 0x0591..=0x05BD | 0x0610..=0x061A | 0x064B..=0x065F
        | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x200B..=0x200F | 0x20D0..=0x20FF | 0xFE00..=0xFE0F
        | 0xFE20..=0xFE2F | 0xFEFF | 0xE0100..=0xE01EF);
    let wide = matches!(c,
        0x1100..=0x115F | 0x231A..=0x231B | 0x2329..=0x232A | 0x23E9..=0x23EC | 0x2E80..=0x303E
        | 0x3041..=0x33FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xA000..=0xA4CF | 0xA960..=0xA97F
        | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF | 0xFE10..=0xFE19 | 0xFE30..=0xFE6F | 0xFF00..=0xFF60
        | 0xFFE0..=0xFFE6 | 0x1F300..=0x1F64F | 0x1F900..=0x1F9FF | 0x20000..=0x2FFFD | 0x30000..=0x3FFFD);
    if zero || c < 0x20 {
        0
    } else if wide {
        2
    } else {
        1
    }
}

/// Line and column (1-based, column in characters) of byte offset `at` in `source`.
pub fn line_col(source: &str, at: usize) -> (usize, usize) {
    let at = at.min(source.len());
    let before = &source.as_bytes()[..at];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let col = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count()
        + 1;
    (line, col)
}

/// The closest candidate to `word`, if it is close enough to be a plausible typo.
pub fn did_you_mean<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (strsim::damerau_levenshtein(word, c), *c))
        .filter(|(d, c)| *d <= 2.max(c.chars().count() / 3))
        .min()
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_diagnostic_names_its_file_with_slashes_on_every_os() {
        // A path built the way content discovery builds it: `\` separators on Windows.
        let path = std::path::Path::new("content").join("notes").join("a.md");
        let d = Diagnostic::at(path, "x\n", 1, 1, "bad");
        assert_eq!(d.to_string(), "content/notes/a.md:1:1: bad");
    }

    #[test]
    fn renders_caret_under_column() {
        let d = Diagnostic::at(
            "content/a.md",
            "---\nlevle: pro\n---\n",
            2,
            1,
            "unknown key `levle`",
        )
        .with_help("did you mean `level`?");
        assert_eq!(
            d.render(false),
            "content/a.md:2:1: error: unknown key `levle`\n  |\n2 | levle: pro\n  | ^\n  = help: did you mean `level`?\n"
        );
    }

    #[test]
    fn caret_counts_terminal_columns_for_wide_characters_and_tabs() {
        let d = Diagnostic::at("a.md", "title: 入门课程x", 1, 12, "here");
        let text = d.render(false);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[2], "1 | title: 入门课程x");
        assert_eq!(
            lines[3],
            format!("  | {}^", " ".repeat(15)),
            "7 + 8 columns before `x`"
        );
        let d = Diagnostic::at("a.md", "\tkey: x", 1, 2, "here");
        let text = d.render(false);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[2], "1 |     key: x");
        assert_eq!(lines[3], "  |     ^");
    }

    #[test]
    fn widths() {
        assert_eq!(display_width("abc"), 3);
        assert_eq!(display_width("入门"), 4);
        assert_eq!(display_width("ｈｉ"), 4);
        assert_eq!(display_width("한국"), 4);
        assert_eq!(display_width("e\u{301}"), 1);
    }

    #[test]
    fn line_col_counts_characters() {
        assert_eq!(line_col("ab\n中文x", 9), (2, 3));
        assert_eq!(line_col("abc", 0), (1, 1));
    }

    #[test]
    fn suggests_close_keys_only() {
        let keys = ["title", "level", "status"];
        assert_eq!(did_you_mean("levle", &keys), Some("level"));
        assert_eq!(did_you_mean("titel", &keys), Some("title"));
        assert_eq!(did_you_mean("banana", &keys), None);
    }

    #[test]
    fn closeness_counts_characters_not_bytes() {
        assert_eq!(did_you_mean("/笔记/不存在/", &["/笔记/入门/"]), None);
        assert_eq!(
            did_you_mean("/笔记/入们/", &["/笔记/入门/"]),
            Some("/笔记/入门/")
        );
    }
}
