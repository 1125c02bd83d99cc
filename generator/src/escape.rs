//! HTML escaping, for element content and attribute values alike (one escaper for the
//! renderer's own markup and serve's pages).

/// `text` with `&`, `<`, `>`, `"` and `'` escaped.
pub(crate) fn html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// tera's autoescape (`tera::escape_html`: also `/` as `&#x2F;`, `'` as `&#x27;`), byte
/// for byte, copying the runs between special bytes whole instead of one `char` at a
/// time: every `{{ … }}` of every page goes through it (~2% of a large build).
pub(crate) fn tera_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    let mut from = 0;
    for (i, b) in text.bytes().enumerate() {
        let entity = match b {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\'' => "&#x27;",
            b'/' => "&#x2F;",
            _ => continue,
        };
        // Special bytes are ASCII, so `from..i` lies on character boundaries.
        out.push_str(&text[from..i]);
        out.push_str(entity);
        from = i + 1;
    }
    out.push_str(&text[from..]);
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn tera_html_is_teras_escape() {
        for t in [
            "",
            "plain",
            "<a href=\"/x\">&'</a>",
            "笔记/第一课 & «quotes» ’",
            "&&//''\"\"<<>>",
            "trailing/",
        ] {
            assert_eq!(super::tera_html(t), tera::escape_html(t), "{t:?}");
        }
    }

    #[test]
    fn escapes_the_five_characters() {
        assert_eq!(
            super::html("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
