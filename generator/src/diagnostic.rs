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
            (if severity == Severity::Error { "\x1b[1;31m" } else { "\x1b[1;33m" }, "\x1b[1;34m", "\x1b[1m", "\x1b[0m")
        } else {
            ("", "", "", "")
        };
        let label = severity.as_str();
        let mut out = format!("{bold}{}{reset}: {red}{label}{reset}: {bold}{}{reset}\n", self.location(), self.message);
        if let Some(text) = &self.source_line {
            let gutter = self.line.to_string();
            let pad = " ".repeat(gutter.len());
            out += &format!("{blue}{pad} |{reset}\n{blue}{gutter} |{reset} {text}\n");
            if self.col > 0 {
                // Tabs keep their width so the caret lines up under the column.
                let lead: String = text
                    .chars()
                    .take(self.col - 1)
                    .map(|c| if c == '\t' { '\t' } else { ' ' })
                    .collect();
                out += &format!("{blue}{pad} |{reset} {lead}{red}^{reset}\n");
            }
        }
        if let Some(help) = &self.help {
            out += &format!("  {blue}= help{reset}: {help}\n");
        }
        out
    }

    fn location(&self) -> String {
        match (self.line, self.col) {
            (0, _) => self.path.display().to_string(),
            (l, 0) => format!("{}:{l}", self.path.display()),
            (l, c) => format!("{}:{l}:{c}", self.path.display()),
        }
    }
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

/// Line and column (1-based, column in characters) of byte offset `at` in `source`.
pub fn line_col(source: &str, at: usize) -> (usize, usize) {
    let at = at.min(source.len());
    let before = &source.as_bytes()[..at];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let col = String::from_utf8_lossy(&before[line_start..]).chars().count() + 1;
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
    fn renders_caret_under_column() {
        let d = Diagnostic::at("content/a.md", "---\nlevle: pro\n---\n", 2, 1, "unknown key `levle`")
            .with_help("did you mean `level`?");
        assert_eq!(
            d.render(false),
            "content/a.md:2:1: error: unknown key `levle`\n  |\n2 | levle: pro\n  | ^\n  = help: did you mean `level`?\n"
        );
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
        assert_eq!(did_you_mean("/笔记/入们/", &["/笔记/入门/"]), Some("/笔记/入门/"));
    }
}
