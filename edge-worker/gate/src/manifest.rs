//! The gated-content manifest: written by `lyceum build` to `dist/_gated/manifest.json`,
//! read by the edge worker and `lyceum serve`. Its JSON shape is a contract.
//!
//! Readers validate it before use: a manifest that points a teaser into `_gated/`
//! or names an unknown level would leak content or make a level meaningless, so it
//! is refused as a whole (adapters then deny every gated URL).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Current manifest format version; readers reject any other.
pub const VERSION: u32 = 1;

/// Where the manifest lives, relative to the bundle root (`dist/`).
pub const MANIFEST_FILE: &str = "_gated/manifest.json";

/// Which URLs are gated, at what level or by which product, and where their files are.
///
/// JSON example:
/// ```json
/// {"version":1,"levels":["member","pro"],"products":["rust-course"],
///  "entries":{"/courses/intro/":{"level":"pro","file":"_gated/courses/intro/index.html",
///                                 "teaser":"courses/intro/index.html"},
///             "/rust/ch1/":{"product":"rust-course","level":"pro",
///                           "file":"_gated/rust/ch1/index.html","teaser":"rust/ch1/index.html"}}}
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub version: u32,
    /// Level ids, lowest first (from site.yaml). A member of level N reads every level <= N.
    pub levels: Vec<String>,
    /// Product ids (courses sold on their own, from site.yaml), in site order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub products: Vec<String>,
    /// Canonical URL path (as returned by [`crate::path::normalize`], e.g. `/courses/intro/`)
    /// → entry. Ordered so the JSON is deterministic.
    pub entries: BTreeMap<String, GatedEntry>,
}

/// One gated URL: readable by a member of `level` or above, or by an owner of
/// `product`. At least one of the two is set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GatedEntry {
    /// Lowest level id that reads the full content; `None` when only buying
    /// `product` does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<String>,
    /// The product whose owners read the full content whatever their level.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
    /// The full content, a file path relative to the bundle root, always under `_gated/`.
    pub file: String,
    /// The public teaser file relative to the bundle root, or `None` for a gated asset
    /// that has no public form (non-members get NotFound).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub teaser: Option<String>,
}

impl Manifest {
    /// Parse and validate (version, every entry's level is in `levels` and its product
    /// in `products`, every entry has one of the two, every `file` under `_gated/`, no
    /// teaser under `_gated/`).
    ///
    /// Also checked: level and product ids are non-empty and unique; every entry key is a canonical
    /// path (a fixed point of [`crate::path::normalize`]'s canonical form, e.g.
    /// `/courses/intro/`, never `/courses/intro/index.html`) outside `/_gated/`; no
    /// file or teaser contains `..`, a backslash, NUL or an empty segment.
    pub fn from_json(json: &str) -> Result<Manifest, ManifestError> {
        let manifest: Manifest = serde_json::from_str(json)?;
        manifest.validate()?;
        Ok(manifest)
    }

    /// The checks of [`Manifest::from_json`] on an already built manifest (the
    /// generator runs them before writing).
    pub fn validate(&self) -> Result<(), ManifestError> {
        if self.version != VERSION {
            return Err(ManifestError::Version(self.version));
        }
        unique_ids("levels", "level", &self.levels)?;
        unique_ids("products", "product", &self.products)?;
        for (path, entry) in &self.entries {
            let fail = |reason: String| ManifestError::Entry {
                path: path.clone(),
                reason,
            };
            match crate::path::canonicalize(path) {
                Ok(canonical) if canonical == *path => {}
                Ok(canonical) => {
                    return Err(fail(format!(
                        "key is not canonical (expected {canonical:?})"
                    )))
                }
                Err(e) => return Err(fail(format!("key is not a valid path: {e}"))),
            }
            if crate::path::is_private(path) {
                return Err(fail("key is inside the private /_gated/ tree".into()));
            }
            match (&entry.level, &entry.product) {
                (None, None) => return Err(fail("names neither a level nor a product".into())),
                (Some(level), _) if self.rank(level).is_none() => {
                    return Err(fail(format!(
                        "unknown level {level:?} (valid: {})",
                        self.levels.join(", ")
                    )))
                }
                (_, Some(product)) if !self.products.contains(product) => {
                    return Err(fail(format!(
                        "unknown product {product:?} (valid: {})",
                        self.products.join(", ")
                    )))
                }
                _ => {}
            }
            check_file(&entry.file).map_err(|r| fail(format!("file {r}")))?;
            if !entry.file.starts_with("_gated/") {
                return Err(fail("file must be under _gated/".into()));
            }
            if let Some(teaser) = &entry.teaser {
                check_file(teaser).map_err(|r| fail(format!("teaser {r}")))?;
                if crate::path::is_private(teaser) {
                    return Err(fail("teaser must not be under _gated/".into()));
                }
            }
        }
        Ok(())
    }

    /// Deterministic pretty JSON (stable key order), ending in a newline.
    pub fn to_json(&self) -> String {
        // Serializing plain strings, numbers and maps with string keys cannot fail.
        let mut json = serde_json::to_string_pretty(self).unwrap_or_default();
        json.push('\n');
        json
    }

    /// The entry for a normalised path; `/x` also finds `/x/`, and `/x/` also finds
    /// `/x` (a gated asset), so every spelling errs on the gated side.
    pub fn lookup(&self, normalized: &str) -> Option<&GatedEntry> {
        if let Some(entry) = self.entries.get(normalized) {
            return Some(entry);
        }
        match normalized.strip_suffix('/') {
            Some("") => None,
            Some(without) => self.entries.get(without),
            None => self.entries.get(&format!("{normalized}/")),
        }
    }

    /// Rank of a level id (0 = lowest), `None` if unknown.
    pub fn rank(&self, level: &str) -> Option<usize> {
        self.levels.iter().position(|l| l == level)
    }
}

/// Ids of one kind (`levels`, `products`) must be non-empty and unique.
fn unique_ids(field: &str, kind: &str, ids: &[String]) -> Result<(), ManifestError> {
    for (i, id) in ids.iter().enumerate() {
        let reason = if id.is_empty() {
            "is empty"
        } else if ids[..i].contains(id) {
            "is listed twice"
        } else {
            continue;
        };
        return Err(ManifestError::Entry {
            path: format!("{field}[{i}]"),
            reason: format!("{kind} id {id:?} {reason}"),
        });
    }
    Ok(())
}

/// A manifest that cannot be trusted; adapters deny all gated content on it.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("manifest is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("manifest version {0} is not supported (expected {VERSION})")]
    Version(u32),
    #[error("manifest entry {path}: {reason}")]
    Entry { path: String, reason: String },
}

/// A bundle-relative file path: relative, no `..`/`.`/empty segment, no backslash or NUL.
fn check_file(file: &str) -> Result<(), &'static str> {
    if file.is_empty() {
        return Err("is empty");
    }
    if file.contains('\\') || file.contains('\0') {
        return Err("contains a backslash or NUL");
    }
    if file
        .split('/')
        .any(|s| s.is_empty() || s == "." || s == "..")
    {
        return Err("must be relative with no empty, `.` or `..` segment");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const VALID: &str = r#"{"version":1,"levels":["member","pro"],
        "entries":{"/courses/intro/":{"level":"pro","file":"_gated/courses/intro/index.html",
                                       "teaser":"courses/intro/index.html"},
                   "/files/a.pdf":{"level":"member","file":"_gated/files/a.pdf"}}}"#;

    fn with_entry(key: &str, entry: &str) -> String {
        format!(r#"{{"version":1,"levels":["member","pro"],"entries":{{"{key}":{entry}}}}}"#)
    }

    #[test]
    fn parses_valid_and_round_trips() {
        let m = Manifest::from_json(VALID).unwrap();
        assert_eq!(m.entries.len(), 2);
        assert_eq!(m.entries["/files/a.pdf"].teaser, None);
        let json = m.to_json();
        assert!(json.ends_with("}\n"), "{json:?}");
        assert!(
            json.contains("\n  \"version\": 1"),
            "pretty-printed: {json}"
        );
        // No `teaser` key for an entry without one.
        assert_eq!(json.matches("\"teaser\"").count(), 1);
        assert_eq!(Manifest::from_json(&json).unwrap(), m);
        assert_eq!(
            Manifest::from_json(&json).unwrap().to_json(),
            json,
            "deterministic"
        );
    }

    #[test]
    fn to_json_orders_entries_by_key() {
        let m = Manifest::from_json(&with_entry("/b/", r#"{"level":"pro","file":"_gated/b"}"#))
            .unwrap();
        let mut m2 = m.clone();
        m2.entries.insert("/a/".into(), m.entries["/b/"].clone());
        let json = m2.to_json();
        assert!(json.find("\"/a/\"").unwrap() < json.find("\"/b/\"").unwrap());
    }

    #[test]
    fn refuses_invalid_manifests() {
        let cases: Vec<(String, &str)> = vec![
            ("not json".into(), "not valid JSON"),
            (VALID.replace("\"version\":1", "\"version\":2"), "version 2"),
            (
                VALID.replace("\"levels\"", "\"extra\":1,\"levels\""),
                "unknown field",
            ),
            (VALID.replace("\"teaser\"", "\"teasr\""), "unknown field"),
            (
                with_entry("/x/", r#"{"level":"gold","file":"_gated/x/index.html"}"#),
                "unknown level",
            ),
            (
                with_entry("/x/", r#"{"level":"pro","file":"x/index.html"}"#),
                "under _gated/",
            ),
            (
                with_entry("/x/", r#"{"level":"pro","file":"_gated/../x.html"}"#),
                "`..`",
            ),
            (
                with_entry("/x/", r#"{"level":"pro","file":"/_gated/x.html"}"#),
                "empty",
            ),
            (
                with_entry("/x/", r#"{"level":"pro","file":"_gated\\x.html"}"#),
                "backslash",
            ),
            (
                with_entry(
                    "/x/",
                    r#"{"level":"pro","file":"_gated/x.html","teaser":"_gated/t.html"}"#,
                ),
                "teaser must not be under _gated/",
            ),
            (
                with_entry(
                    "/x/",
                    r#"{"level":"pro","file":"_gated/x.html","teaser":"_GATED/t.html"}"#,
                ),
                "teaser must not be under _gated/",
            ),
            (
                with_entry(
                    "/x/",
                    r#"{"level":"pro","file":"_gated/x.html","teaser":"a/../../t"}"#,
                ),
                "`..`",
            ),
            (
                with_entry("/x/index.html", r#"{"level":"pro","file":"_gated/x"}"#),
                "not canonical",
            ),
            (
                with_entry("//x/", r#"{"level":"pro","file":"_gated/x"}"#),
                "not canonical",
            ),
            (
                with_entry("x/", r#"{"level":"pro","file":"_gated/x"}"#),
                "not a valid path",
            ),
            (
                with_entry("/a/../x/", r#"{"level":"pro","file":"_gated/x"}"#),
                "not a valid path",
            ),
            (
                with_entry("/_Gated/x/", r#"{"level":"pro","file":"_gated/x"}"#),
                "private",
            ),
            (
                r#"{"version":1,"levels":["pro","pro"],"entries":{}}"#.into(),
                "listed twice",
            ),
            (
                r#"{"version":1,"levels":[""],"entries":{}}"#.into(),
                "is empty",
            ),
            (
                with_entry("/x/", r#"{"file":"_gated/x.html"}"#),
                "neither a level nor a product",
            ),
            (
                with_entry("/x/", r#"{"product":"course","file":"_gated/x.html"}"#),
                "unknown product \"course\"",
            ),
            (
                r#"{"version":1,"levels":["pro"],"products":["c","c"],"entries":{}}"#.into(),
                "product id \"c\" is listed twice",
            ),
        ];
        for (json, needle) in cases {
            let err = Manifest::from_json(&json).expect_err(&json).to_string();
            assert!(
                err.contains(needle),
                "{json}\n=> {err}\n(expected to mention {needle:?})"
            );
        }
    }

    #[test]
    fn lookup_finds_every_spelling_of_an_entry() {
        let m = Manifest::from_json(VALID).unwrap();
        for p in ["/courses/intro/", "/courses/intro"] {
            assert_eq!(
                m.lookup(p).and_then(|e| e.level.as_deref()),
                Some("pro"),
                "{p}"
            );
        }
        for p in ["/files/a.pdf", "/files/a.pdf/"] {
            assert_eq!(
                m.lookup(p).and_then(|e| e.level.as_deref()),
                Some("member"),
                "{p}"
            );
        }
        for p in ["/", "/courses/", "/courses/intro/x", "/files/a"] {
            assert!(m.lookup(p).is_none(), "{p}");
        }
        assert_eq!(m.rank("member"), Some(0));
        assert_eq!(m.rank("pro"), Some(1));
        assert_eq!(m.rank("Pro"), None);
    }
}
