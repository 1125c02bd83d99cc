//! RFC 4180 CSV, as spreadsheets and Ghost write it: a header row, fields quoted with
//! `"` when they hold a comma, a quote or a line break, `""` for a quote inside, CRLF or
//! LF line ends.

/// Parse `text` into rows of fields. A quote left open runs to the end of the text.
pub(crate) fn parse(text: &str) -> Vec<Vec<String>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut rows = Vec::new();
    let (mut row, mut field) = (Vec::new(), String::new());
    let (mut quoted, mut chars) = (false, text.chars().peekable());
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') if field.is_empty() => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') if chars.peek() == Some(&'\n') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    rows.retain(|r| !(r.len() == 1 && r[0].is_empty()));
    rows
}

/// One field, quoted when it must be. A field a spreadsheet would run as a formula
/// (`=`, `+`, `-`, `@` first) gets a leading `'` (OWASP's CSV-injection advice).
pub(crate) fn field(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_string()
    };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

/// One row, CRLF-terminated.
pub(crate) fn row<'a>(fields: impl IntoIterator<Item = &'a str>) -> String {
    let fields: Vec<String> = fields.into_iter().map(field).collect();
    fields.join(",") + "\r\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_fields_commas_quotes_and_line_breaks_round_trip() {
        let text = row(["a,b", "say \"hi\"", "two\nlines", "plain", ""]);
        assert_eq!(
            parse(&text),
            vec![vec!["a,b", "say \"hi\"", "two\nlines", "plain", ""]]
        );
    }

    #[test]
    fn header_bom_crlf_and_blank_lines() {
        let rows = parse("\u{feff}email,name\r\na@x.io,Ada\r\n\r\nb@x.io,\"B, C\"\n");
        assert_eq!(
            rows,
            vec![
                vec!["email", "name"],
                vec!["a@x.io", "Ada"],
                vec!["b@x.io", "B, C"]
            ]
        );
    }

    #[test]
    fn formulas_are_defused() {
        assert_eq!(field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(field("-1"), "'-1");
        assert_eq!(field("ok"), "ok");
    }
}
