//! YAML for `site.yaml` and front matter: parsing, and positions for error messages. The
//! one module that names the YAML library — `yaml_serde`, the YAML organisation's maintained
//! continuation of the deprecated serde_yaml, imported under serde_yaml's name — and it
//! depends only on [`crate::diagnostic`], so changing the library touches this file alone.

use crate::diagnostic::Diagnostic;
use serde::de::DeserializeOwned;
use std::path::Path;

pub(crate) use serde_yaml::{Error, Value};

/// Deserialize `T` from YAML text.
pub(crate) fn from_str<T: DeserializeOwned>(yaml: &str) -> Result<T, Error> {
    serde_yaml::from_str(yaml)
}

/// A YAML error, said for a YAML text that starts at line `first_line` of its file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Problem {
    /// 1-based file line and column of the error, when the library knows it.
    pub position: Option<(usize, usize)>,
    /// `invalid YAML: <what>`, plus the file line where an unclosed construct started.
    pub message: String,
    /// A syntax error (brackets, quotes, indentation) rather than a well-formed value of
    /// the wrong type or name.
    pub syntax: bool,
}

/// Read `e` as a [`Problem`] in file coordinates.
pub(crate) fn problem(e: &Error, first_line: usize) -> Problem {
    let text = e.to_string();
    // The library says "<what> at line L column C[, while parsing <x> at line L2 column C2]".
    // L:C is its structured `location()`, so the text is cut there; the construct's
    // start (L2) is in the text alone (libyaml's context mark is private to the library),
    // and is shifted to a file line.
    let at = e
        .location()
        .map(|loc| format!(" at line {} column {}", loc.line(), loc.column()));
    let (head, tail) = match at.as_deref().and_then(|at| text.split_once(at)) {
        Some(split) => split,
        None => text.split_once(" at line ").unwrap_or((&text, "")),
    };
    let mut message = format!("invalid YAML: {head}");
    if let Some((what, pos)) = tail
        .split_once(", while ")
        .and_then(|(_, ctx)| ctx.split_once(" at line "))
    {
        if let Some(line) = pos
            .split_whitespace()
            .next()
            .and_then(|n| n.parse::<usize>().ok())
        {
            message += &format!(" ({what} that starts on line {})", line + first_line - 1);
        }
    }
    let syntax = !(head.contains("invalid type")
        || head.contains("unknown variant")
        || head.contains("unknown field"));
    Problem {
        position: e
            .location()
            .map(|loc| (loc.line() + first_line - 1, loc.column())),
        message,
        syntax,
    }
}

/// A diagnostic for a YAML error in YAML that starts at `first_line` of `source`.
pub(crate) fn diagnostic(
    path: impl AsRef<Path>,
    source: &str,
    first_line: usize,
    e: &Error,
) -> Diagnostic {
    let problem = problem(e, first_line);
    let (line, col) = problem
        .position
        .unwrap_or((first_line.saturating_sub(1).max(1), 1));
    let d = Diagnostic::at(path.as_ref(), source, line, col, problem.message);
    if problem.syntax {
        d.with_help("check brackets, quotes and indentation; quote values that contain `: ` or start with `[`, `{`, `*`, `&`")
    } else {
        d
    }
}

/// The unknown key named by a serde `deny_unknown_fields` error.
pub(crate) fn unknown_field(e: &Error) -> Option<String> {
    let msg = e.to_string();
    let start = msg.find("unknown field `")? + "unknown field `".len();
    let len = msg[start..].find('`')?;
    Some(msg[start..start + len].to_owned())
}

/// The string keys of `yaml`'s top-level mapping, in order; `None` if it is not one.
pub(crate) fn top_level_keys(yaml: &str) -> Option<Vec<String>> {
    let map: serde_yaml::Mapping = serde_yaml::from_str(yaml).ok()?;
    Some(
        map.keys()
            .filter_map(|k| k.as_str())
            .map(str::to_owned)
            .collect(),
    )
}

/// 1-based (line, column) of the `nth` place that sets `key:` (block style at any
/// indentation, `- key:`, or flow style `{key: …, key: …}`), pointing at `value` when it
/// follows on that line, else at the key. Falls back to the last match, then to 1:1.
pub(crate) fn key_position(yaml: &str, key: &str, value: &str, nth: usize) -> (usize, usize) {
    let hits = yaml.lines().enumerate().flat_map(|(i, line)| {
        line.match_indices(key).filter_map(move |(at, _)| {
            let before = line[..at].trim_end_matches([' ', '"', '\'']);
            let after = line[at + key.len()..].trim_start_matches(['"', '\'']);
            let boundary = before.is_empty() || before.ends_with(['-', '{', ',']);
            (boundary && after.starts_with(':')).then_some((i, line, at))
        })
    });
    match hits.clone().nth(nth).or_else(|| hits.last()) {
        Some((i, line, at)) => {
            let key_end = at + key.len();
            let rest = &line[key_end..];
            // The value ends the entry at `,` or `}` in flow style.
            let entry = &rest[..rest.find([',', '}']).unwrap_or(rest.len())];
            let col = match entry.find(value) {
                Some(pos) if !value.is_empty() => key_end + pos,
                _ => at,
            };
            (i + 1, line[..col].chars().count() + 1)
        }
        None => (1, 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_position_finds_nested_values() {
        let yaml = "levels:\n  - id: member\n  - id: pro\n";
        assert_eq!(key_position(yaml, "id", "pro", 1), (3, 9));
        let flow = "levels:\n  - {id: a, name: id}\n  - {name: B, id: a}\n";
        assert_eq!(key_position(flow, "id", "a", 1), (3, 19));
        assert_eq!(key_position("hidden: x\nid: y\n", "id", "y", 0), (2, 5));
    }

    #[test]
    fn a_syntax_error_is_placed_in_the_file_with_where_its_construct_started() {
        let e = from_str::<Value>("title: T\ntags: [a\n").unwrap_err();
        let p = problem(&e, 2);
        assert!(p.syntax);
        assert!(p.message.starts_with("invalid YAML: "), "{}", p.message);
        assert!(
            p.message.ends_with("that starts on line 3)"),
            "{}",
            p.message
        );
        let (line, _) = p.position.unwrap();
        assert!(line >= 3, "{p:?}");
    }

    #[test]
    fn a_wrong_type_is_not_a_syntax_error() {
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct T {
            n: u8,
        }
        let p = problem(&from_str::<T>("n: [1]\n").unwrap_err(), 1);
        assert!(!p.syntax, "{p:?}");
        assert_eq!(p.position.map(|(line, _)| line), Some(1));
    }

    #[test]
    fn unknown_fields_and_top_level_keys() {
        #[derive(Debug, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct T {
            title: String,
        }
        let e = from_str::<T>("title: x\nlevle: pro\n").unwrap_err();
        assert_eq!(unknown_field(&e).as_deref(), Some("levle"));
        assert_eq!(
            top_level_keys("title: x\nlevle: pro\n").unwrap(),
            ["title", "levle"]
        );
        assert_eq!(top_level_keys("- a\n"), None);
    }

    #[test]
    fn the_deprecated_serde_yaml_is_not_a_dependency() {
        // Cargo.lock names each package; serde_yaml 0.9 is published as deprecated.
        let lock = include_str!("../../Cargo.lock");
        assert!(
            !lock.contains("name = \"serde_yaml\""),
            "Cargo.lock still has the deprecated serde_yaml"
        );
        assert!(lock.contains("name = \"yaml_serde\""));
    }

    #[test]
    fn only_this_module_names_the_yaml_library() {
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let named: Vec<_> = walkdir::WalkDir::new(&src)
            .into_iter()
            .map(Result::unwrap)
            .filter(|e| e.path().extension().is_some_and(|x| x == "rs"))
            .filter(|e| e.path() != src.join("yaml.rs"))
            .filter(|e| {
                let text = std::fs::read_to_string(e.path()).unwrap();
                text.contains("serde_yaml::") || text.contains("yaml_serde::")
            })
            .map(|e| e.path().display().to_string())
            .collect();
        assert!(named.is_empty(), "use crate::yaml instead in {named:?}");
    }
}
