//! Text from requests, made safe for the author's terminal.
//!
//! A request line or header is chosen by whoever sends it; printed raw, its escape
//! sequences would be run by the terminal (clear the screen, retitle the window, write
//! the clipboard with OSC 52, fake a log line with CR). Every log line that carries
//! request text passes it through [`printable`].

/// `s` with every control character (C0, DEL, C1), every bidirectional override and
/// the backslash written as a Rust-style escape (`\u{1b}`, `\\`), so the line shows
/// exactly what was sent and nothing in it acts on the terminal.
pub(crate) fn printable(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            c if c.is_control() || is_bidi_control(c) => {
                out.push_str(&format!("\\u{{{:x}}}", c as u32));
            }
            c => out.push(c),
        }
    }
    out
}

/// Characters that reorder the text around them (Trojan Source).
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::printable;

    #[test]
    fn control_characters_are_escaped() {
        let cases = [
            ("/plain/path?q=1", "/plain/path?q=1"),
            ("/笔记/", "/笔记/"),
            ("/x\x1b[2J", "/x\\u{1b}[2J"),
            ("\x1b]52;c;QQ==\x07", "\\u{1b}]52;c;QQ==\\u{7}"),
            ("a\r\nfake log line", "a\\u{d}\\u{a}fake log line"),
            ("tab\there\x7f", "tab\\u{9}here\\u{7f}"),
            ("c1\u{9b}31m", "c1\\u{9b}31m"),
            ("rtl\u{202e}txt.exe", "rtl\\u{202e}txt.exe"),
            ("back\\slash", "back\\\\slash"),
        ];
        for (raw, want) in cases {
            assert_eq!(printable(raw), want, "{raw:?}");
        }
    }
}
