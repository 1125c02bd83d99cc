//! Stage 3: split a page into YAML front matter and markdown body, and parse the front
//! matter strictly. Pure over `&str`: no I/O, so it is tested without a disk.
//!
//! Strictness is a safety property here: a typo such as `levle: pro` must fail the build
//! rather than publish a members-only page as public.

use crate::diagnostic::{did_you_mean, Diagnostic};
use crate::yaml::{self, key_position};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// Front matter keys a page may use.
pub(crate) const KEYS: &[&str] = &[
    "title", "date", "level", "product", "status", "summary", "tags", "slug", "extra",
];

/// Publication status; only `published` pages are built unless `--drafts`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Status {
    /// Work in progress.
    Draft,
    /// Ready for review, not yet public.
    Review,
    /// Built and published.
    #[default]
    Published,
}

/// A page's parsed front matter.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FrontMatter {
    /// Page title (required).
    pub title: String,
    /// Publication date.
    pub date: Option<Date>,
    /// Level id required to read the page; `None` = public unless `product` is set.
    /// After loading, a page of a product also gets the product's level here.
    pub level: Option<String>,
    /// Product id (a course sold on its own) whose buyers read the page; set on a
    /// section's `_index.md` for all its pages. After loading, the page's own or the
    /// nearest section's.
    pub product: Option<String>,
    /// Publication status.
    pub status: Status,
    /// Public summary (the only prose of a gated page that may leave `_gated/`).
    pub summary: Option<String>,
    /// Tags, in the author's order.
    pub tags: Vec<String>,
    /// URL slug overriding the file name.
    pub slug: Option<String>,
    /// Free-form data for templates.
    pub extra: BTreeMap<String, serde_json::Value>,
}

impl FrontMatter {
    /// True when the page needs a membership level or a product.
    pub(crate) fn gated(&self) -> bool {
        self.level.is_some() || self.product.is_some()
    }
}

/// The raw shape serde checks; kept private so validation has one entry point.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    title: Option<String>,
    date: Option<String>,
    level: Option<String>,
    product: Option<String>,
    #[serde(default)]
    status: Status,
    summary: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
    slug: Option<String>,
    #[serde(default)]
    extra: BTreeMap<String, serde_json::Value>,
}

/// A page's source cut into front matter and body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Split<'a> {
    /// The YAML between the `---` lines; its first line is line 2 of the file.
    pub yaml: &'a str,
    /// The markdown after the closing `---`.
    pub body: &'a str,
}

/// The file line on which the YAML starts (right after the opening `---`).
const YAML_FIRST_LINE: usize = 2;

/// Cut `source` at its `---` lines.
pub(crate) fn split<'a>(path: &Path, source: &'a str) -> Result<Split<'a>, Diagnostic> {
    let source = source.strip_prefix('\u{feff}').unwrap_or(source);
    let mut lines = source.split_inclusive('\n');
    let first = lines.next().unwrap_or("");
    if first.trim_end() != "---" {
        return Err(
            Diagnostic::at(path, source, 1, 1, "missing front matter").with_help(
                "start the file with a `---` line, then `title: …`, then another `---` line",
            ),
        );
    }
    let yaml_start = first.len();
    let mut offset = yaml_start;
    for line in lines {
        if line.trim_end() == "---" {
            return Ok(Split {
                yaml: &source[yaml_start..offset],
                body: &source[offset + line.len()..],
            });
        }
        offset += line.len();
    }
    Err(Diagnostic::at(
        path,
        source,
        1,
        1,
        "unclosed front matter: no closing `---` line",
    )
    .with_help("add a line containing only `---` after the front matter"))
}

/// Split and parse a page. `source` is the whole file, for locating errors.
pub(crate) fn parse<'a>(
    path: &Path,
    source: &'a str,
) -> Result<(FrontMatter, Split<'a>), Vec<Diagnostic>> {
    let split = split(path, source).map_err(|d| vec![d])?;
    let raw: Raw = match yaml::from_str(split.yaml) {
        Ok(raw) => raw,
        // An empty front matter is "no keys", which the title check below reports.
        Err(_) if split.yaml.trim().is_empty() => yaml::from_str("{}").expect("empty map"),
        Err(e) => return Err(explain(path, source, split.yaml, &e)),
    };
    let mut errors = Vec::new();
    let at = |key: &str, value: &str| {
        let (line, col) = key_position(split.yaml, key, value, 0);
        (line + YAML_FIRST_LINE - 1, col)
    };
    let title = match raw.title {
        Some(t) if !t.trim().is_empty() => t,
        _ => {
            errors.push(
                Diagnostic::at(path, source, 1, 1, "missing `title` in front matter")
                    .with_help("add a line such as `title: My page` between the `---` lines"),
            );
            String::new()
        }
    };
    let date = raw.date.and_then(|d| match Date::parse(&d) {
        Some(date) => Some(date),
        None => {
            let (line, col) = at("date", &d);
            errors.push(
                Diagnostic::at(path, source, line, col, format!("invalid date `{d}`"))
                    .with_help("use `YYYY-MM-DD` or RFC 3339, e.g. `2024-05-01` or `2024-05-01T09:30:00+02:00`"),
            );
            None
        }
    });
    if !errors.is_empty() {
        return Err(errors);
    }
    let front = FrontMatter {
        title,
        date,
        level: raw.level,
        product: raw.product,
        status: raw.status,
        summary: raw.summary,
        tags: raw.tags,
        slug: raw.slug,
        extra: raw.extra,
    };
    Ok((front, split))
}

/// Where a top-level front-matter key's value is, as a file position (for later checks
/// such as "unknown level" that need the site config).
pub(crate) fn value_position(yaml: &str, key: &str, value: &str) -> (usize, usize) {
    let (line, col) = key_position(yaml, key, value, 0);
    (line + YAML_FIRST_LINE - 1, col)
}

/// Turn a YAML error into diagnostics; unknown keys are all reported, with a suggestion.
fn explain(path: &Path, source: &str, text: &str, e: &yaml::Error) -> Vec<Diagnostic> {
    if yaml::unknown_field(e).is_some() {
        if let Some(keys) = yaml::top_level_keys(text) {
            let valid: Vec<String> = KEYS.iter().map(|k| format!("`{k}`")).collect();
            let unknown: Vec<Diagnostic> = keys
                .iter()
                .filter(|k| !KEYS.contains(&k.as_str()))
                .map(|key| {
                    let (line, col) = key_position(text, key, "", 0);
                    let help = match did_you_mean(key, KEYS) {
                        Some(s) => format!("did you mean `{s}`? valid keys: {}", valid.join(", ")),
                        None => format!(
                            "valid keys: {}; put custom data under `extra:`",
                            valid.join(", ")
                        ),
                    };
                    Diagnostic::at(
                        path,
                        source,
                        line + YAML_FIRST_LINE - 1,
                        col,
                        format!("unknown front matter key `{key}`"),
                    )
                    .with_help(help)
                })
                .collect();
            if !unknown.is_empty() {
                return unknown;
            }
        }
    }
    vec![yaml::diagnostic(path, source, YAML_FIRST_LINE, e)]
}

/// A page date: `YYYY-MM-DD` or RFC 3339, kept as the author wrote it plus a sort key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Date {
    /// `YYYY-MM-DD`.
    pub day: String,
    /// RFC 3339 (`YYYY-MM-DDT00:00:00Z` for a bare date), for feeds.
    pub rfc3339: String,
    /// Seconds since the Unix epoch (UTC), for sorting.
    pub timestamp: i64,
}

impl Date {
    /// Parse `YYYY-MM-DD` or an RFC 3339 date-time; `None` if invalid.
    pub(crate) fn parse(s: &str) -> Option<Date> {
        let s = s.trim();
        let b = s.as_bytes();
        let num = |r: std::ops::Range<usize>| -> Option<i64> {
            let part = s.get(r)?;
            part.bytes()
                .all(|c| c.is_ascii_digit())
                .then(|| part.parse().ok())?
        };
        if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
        if !(1..=12).contains(&m) || d < 1 || d > days_in_month(y, m) {
            return None;
        }
        let day = s[..10].to_owned();
        let days = days_from_civil(y, m, d);
        if b.len() == 10 {
            return Some(Date {
                rfc3339: format!("{day}T00:00:00Z"),
                day,
                timestamp: days * 86_400,
            });
        }
        // RFC 3339: T or space, HH:MM:SS, optional fraction, Z or ±HH:MM.
        if !matches!(b[10], b'T' | b't' | b' ') || b.len() < 20 || b[13] != b':' || b[16] != b':' {
            return None;
        }
        let (hh, mm, ss) = (num(11..13)?, num(14..16)?, num(17..19)?);
        if hh > 23 || mm > 59 || ss > 60 {
            return None;
        }
        let mut rest = &s[19..];
        if let Some(frac) = rest.strip_prefix('.') {
            let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 {
                return None;
            }
            rest = &frac[digits..];
        }
        let offset = match rest {
            "Z" | "z" => 0,
            _ => {
                let sign = match rest.as_bytes().first()? {
                    b'+' => 1,
                    b'-' => -1,
                    _ => return None,
                };
                let o = rest.as_bytes();
                if o.len() != 6 || o[3] != b':' {
                    return None;
                }
                let (oh, om): (i64, i64) = (rest[1..3].parse().ok()?, rest[4..6].parse().ok()?);
                if oh > 23 || om > 59 {
                    return None;
                }
                sign * (oh * 3600 + om * 60)
            }
        };
        Some(Date {
            day,
            rfc3339: s.replacen(' ', "T", 1),
            timestamp: days * 86_400 + hh * 3600 + mm * 60 + ss - offset,
        })
    }
}

use gate::date::{days_from_civil, days_in_month};

#[cfg(test)]
mod tests {
    use super::*;

    fn p(src: &str) -> Result<(FrontMatter, Split<'_>), Vec<Diagnostic>> {
        parse(Path::new("a.md"), src)
    }

    #[test]
    fn parses_all_keys() {
        let src = "---\ntitle: Hi\ndate: 2024-02-29\nlevel: pro\nstatus: review\nsummary: S\ntags: [a, b]\nslug: x\nextra:\n  k: 1\n---\nBody\n";
        let (fm, split) = p(src).unwrap();
        assert_eq!(fm.title, "Hi");
        assert_eq!(fm.date.unwrap().day, "2024-02-29");
        assert_eq!(fm.level.as_deref(), Some("pro"));
        assert_eq!(fm.status, Status::Review);
        assert_eq!(fm.tags, ["a", "b"]);
        assert_eq!(fm.extra["k"], serde_json::json!(1));
        assert_eq!(split.body, "Body\n");
    }

    #[test]
    fn unknown_key_is_an_error_with_suggestion() {
        let errs = p("---\ntitle: T\nlevle: pro\n---\n").unwrap_err();
        assert_eq!(errs.len(), 1);
        assert_eq!((errs[0].line, errs[0].col), (3, 1));
        assert!(errs[0]
            .help
            .as_deref()
            .unwrap()
            .starts_with("did you mean `level`?"));
    }

    #[test]
    fn reports_every_unknown_key() {
        let errs = p("---\ntitle: T\nlevle: pro\ncolour: red\n---\n").unwrap_err();
        assert_eq!(errs.iter().map(|e| e.line).collect::<Vec<_>>(), [3, 4]);
    }

    #[test]
    fn yaml_error_maps_to_file_line() {
        let errs = p("---\ntitle: T\ntags: [a\n---\n").unwrap_err();
        assert!(errs[0].message.starts_with("invalid YAML"), "{}", errs[0]);
        assert!(errs[0].line >= 3, "{}", errs[0]);
    }

    #[test]
    fn missing_title_and_unclosed() {
        assert!(p("---\ndate: 2024-01-01\n---\n").unwrap_err()[0]
            .message
            .contains("missing `title`"));
        assert!(p("---\ntitle: T\n").unwrap_err()[0]
            .message
            .contains("unclosed"));
        assert!(p("# no front matter\n").unwrap_err()[0]
            .message
            .contains("missing front matter"));
        assert!(p("---\n---\nbody").unwrap_err()[0]
            .message
            .contains("missing `title`"));
    }

    #[test]
    fn crlf_and_bom() {
        let (fm, split) = p("\u{feff}---\r\ntitle: T\r\n---\r\nx").unwrap();
        assert_eq!(fm.title, "T");
        assert_eq!(split.body, "x");
    }

    #[test]
    fn bad_date_points_at_value() {
        let errs = p("---\ntitle: T\ndate: 2024-02-30\n---\n").unwrap_err();
        assert_eq!((errs[0].line, errs[0].col), (3, 7));
    }

    #[test]
    fn dates() {
        assert_eq!(Date::parse("1970-01-02").unwrap().timestamp, 86_400);
        let d = Date::parse("2024-05-01T09:30:00+02:00").unwrap();
        assert_eq!(
            d.timestamp,
            Date::parse("2024-05-01T07:30:00Z").unwrap().timestamp
        );
        assert_eq!(d.day, "2024-05-01");
        assert!(Date::parse("2024-5-1").is_none());
        assert!(Date::parse("2024-05-01T25:00:00Z").is_none());
        assert!(Date::parse("2023-02-29").is_none());
    }
}
