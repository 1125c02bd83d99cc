//! URL slugs and heading ids. Unicode letters and digits are kept (lowercased), so Chinese
//! and other non-Latin names give stable, readable URLs; everything else becomes `-`.

/// Slug of a file name, title or heading: `"Hello, World!"` → `hello-world`, `"中文 笔记"` → `中文-笔记`.
/// Returns `""` when nothing is left (callers decide the fallback).
pub(crate) fn slugify(text: &str) -> String {
    if text.is_ascii() {
        return slugify_ascii(text.as_bytes());
    }
    let mut out = String::with_capacity(text.len());
    let mut dash = false;
    for c in text.chars() {
        // ASCII first: titles and headings are mostly ASCII, and `to_lowercase`'s
        // iterator costs several times the test.
        if c.is_ascii() && !c.is_ascii_alphanumeric() {
            dash = true;
        } else if c.is_alphanumeric() {
            if dash && !out.is_empty() {
                out.push('-');
            }
            dash = false;
            if c.is_ascii() {
                out.push(c.to_ascii_lowercase());
            } else {
                out.extend(c.to_lowercase());
            }
        } else if is_mark(c) && !dash && !out.is_empty() {
            out.push(c);
        } else {
            dash = true;
        }
    }
    out
}

/// [`slugify`] of ASCII text, a byte at a time: most titles and headings, and one of them
/// per heading of every page.
fn slugify_ascii(text: &[u8]) -> String {
    let mut out = Vec::with_capacity(text.len());
    let mut dash = false;
    for &b in text {
        if b.is_ascii_alphanumeric() {
            if dash && !out.is_empty() {
                out.push(b'-');
            }
            dash = false;
            out.push(b.to_ascii_lowercase());
        } else {
            dash = true;
        }
    }
    String::from_utf8(out).expect("ASCII in, ASCII out")
}

/// Combining marks (accents written separately, Devanagari vowel signs…) stay part of
/// their letter instead of splitting the word.
fn is_mark(c: char) -> bool {
    matches!(c as u32,
        0x0300..=0x036F | 0x0483..=0x0489 | 0x0591..=0x05BD | 0x0610..=0x061A | 0x064B..=0x065F
        | 0x0900..=0x0903 | 0x093A..=0x094F | 0x0981..=0x0983 | 0x09BC..=0x09D7 | 0x0E31 | 0x0E34..=0x0E3A
        | 0x0E47..=0x0E4E | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF | 0x3099..=0x309A
        | 0xFE20..=0xFE2F)
}

/// Hands out heading ids that are unique within one page: `intro`, `intro-1`, `intro-2`.
#[derive(Debug, Default)]
pub(crate) struct IdAllocator {
    // A tree, not a hash set: a page has a few dozen headings, each looked up twice, and
    // SipHash over their ids cost more than comparing them.
    used: std::collections::BTreeSet<String>,
}

impl IdAllocator {
    /// A unique id for a heading with this text (`section` when the text has no letters).
    pub(crate) fn allocate(&mut self, text: &str) -> String {
        let mut base = slugify(text);
        if base.is_empty() {
            base = "section".into();
        }
        self.claim(base)
    }

    /// Reserve an id the author chose explicitly, de-duplicating it the same way.
    pub(crate) fn claim(&mut self, base: String) -> String {
        let id = if self.used.contains(&base) {
            (1..)
                .map(|n| format!("{base}-{n}"))
                .find(|id| !self.used.contains(id))
                .expect("some suffix is free")
        } else {
            base
        };
        self.used.insert(id.clone());
        id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latin() {
        assert_eq!(slugify("Hello, World!"), "hello-world");
        assert_eq!(slugify("  --Rust_2024 edition-- "), "rust-2024-edition");
        assert_eq!(slugify("Ünïcode Straße"), "ünïcode-straße");
        assert_eq!(slugify("e\u{301}te\u{301}"), "e\u{301}te\u{301}");
    }

    #[test]
    fn cjk_and_others() {
        assert_eq!(slugify("中文 笔记"), "中文-笔记");
        assert_eq!(slugify("入门：第一课"), "入门-第一课");
        assert_eq!(slugify("日本語のノート"), "日本語のノート");
        assert_eq!(slugify("Привет мир"), "привет-мир");
        assert_eq!(slugify("!!!"), "");
    }

    #[test]
    fn unique_ids() {
        let mut ids = IdAllocator::default();
        assert_eq!(ids.allocate("Intro"), "intro");
        assert_eq!(ids.allocate("Intro"), "intro-1");
        assert_eq!(ids.allocate("intro!"), "intro-2");
        assert_eq!(ids.allocate("?"), "section");
        assert_eq!(ids.allocate("概述"), "概述");
        assert_eq!(ids.allocate("概述"), "概述-1");
    }
}
