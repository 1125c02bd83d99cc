//! Mail delivery for `lyceum serve`: each sign-in mail is printed in the terminal and
//! written to `.lyceum/outbox/<time>-<n>.eml` (an RFC 5322 message with a text and an
//! HTML part) and `.txt` (the text part with its headers), so an author signs in from
//! the terminal and a test reads the file. A failure to write is logged; the reader's
//! answer was sent already and does not change.

use super::members::Letter;
use base64::Engine as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// The sender address of serve's mail (nothing is sent anywhere).
const FROM_ADDRESS: &str = "noreply@localhost";

/// The outbox folder.
pub(crate) struct Outbox {
    dir: PathBuf,
    /// The folder as shown in the terminal (relative to the site root).
    shown: String,
    count: AtomicU64,
}

impl Outbox {
    pub(crate) fn new(dir: PathBuf, shown: impl Into<String>) -> Outbox {
        Outbox {
            dir,
            shown: shown.into(),
            count: AtomicU64::new(0),
        }
    }

    /// Write the letter to the outbox and print it; returns the `.eml` path written.
    pub(crate) fn deliver(&self, letter: &Letter, now: u64) -> Option<PathBuf> {
        let written = self.write(letter, now);
        let saved = match &written {
            Ok(path) => format!(
                "{}/{}",
                self.shown,
                path.file_name().unwrap_or_default().to_string_lossy()
            ),
            Err(e) => {
                eprintln!(
                    "lyceum serve: could not write the mail to {}: {e}",
                    self.dir.display()
                );
                "(not saved: see the error above)".into()
            }
        };
        println!("{}", terminal_text(letter, &saved));
        written.ok()
    }

    fn write(&self, letter: &Letter, now: u64) -> std::io::Result<PathBuf> {
        std::fs::create_dir_all(&self.dir)?;
        let stamp = compact_time(now);
        loop {
            let n = self.count.fetch_add(1, Ordering::Relaxed) + 1;
            let stem = format!("{stamp}-{n}");
            let eml = self.dir.join(format!("{stem}.eml"));
            if eml.exists() {
                continue; // an earlier run's mail of the same second
            }
            let id = format!("<{stem}.{}@lyceum.localhost>", std::process::id());
            // The text first, the message last, each whole before it appears: a reader
            // that sees the .eml finds both complete.
            write_new(
                &self.dir,
                &format!("{stem}.txt"),
                &text_file(letter, &rfc5322_date(now)),
            )?;
            write_new(
                &self.dir,
                &format!("{stem}.eml"),
                &eml_message(letter, &rfc5322_date(now), &id),
            )?;
            return Ok(eml);
        }
    }
}

/// Write `name` in `dir` through a temporary file and a rename.
fn write_new(dir: &Path, name: &str, text: &str) -> std::io::Result<()> {
    let tmp = dir.join(format!(".{name}.tmp"));
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, dir.join(name))
}

/// The mail in the terminal, framed, every value escaped ([`super::log::printable`]).
pub(crate) fn terminal_text(letter: &Letter, saved: &str) -> String {
    let p = super::log::printable;
    let rule = "─".repeat(60);
    format!(
        "\n  ┌─ mail {rule}\n  │ To:      {}\n  │ Subject: {}\n  │ Link:    {}\n  │ Code:    {}\n  │ Saved:   {}\n  └──────{rule}\n",
        p(&letter.message.to),
        p(&letter.message.subject),
        p(&letter.link),
        p(&letter.code),
        p(saved),
    )
}

/// The `.txt` copy: the headers a reader needs and the text part.
fn text_file(letter: &Letter, date: &str) -> String {
    let m = &letter.message;
    format!(
        "From: {} <{FROM_ADDRESS}>\nTo: {}\nDate: {date}\nSubject: {}\n\n{}\n",
        m.from_name,
        m.to,
        m.subject,
        m.text.trim_end()
    )
}

/// The message as RFC 5322 / MIME: `multipart/alternative` with the text and the HTML
/// part, each base64 (any line length, any character); non-ASCII header text as
/// RFC 2047 encoded words. The boundary starts with `=_`, which base64 never contains.
pub(crate) fn eml_message(letter: &Letter, date: &str, message_id: &str) -> String {
    let m = &letter.message;
    let boundary = "=_lyceum_alternative";
    let mut out = String::new();
    let mut header = |name: &str, value: &str| {
        out.push_str(name);
        out.push_str(": ");
        out.push_str(value);
        out.push_str("\r\n");
    };
    header(
        "From",
        &format!("{} <{FROM_ADDRESS}>", display_name(&m.from_name)),
    );
    // Addresses are checked when posted (no CR, LF, control characters, spaces or
    // angle brackets); an internationalised one goes as UTF-8 (RFC 6532).
    header("To", &m.to);
    header("Subject", &encode_words(&m.subject));
    header("Date", date);
    header("Message-ID", message_id);
    header("MIME-Version", "1.0");
    header(
        "Content-Type",
        &format!("multipart/alternative; boundary=\"{boundary}\""),
    );
    out.push_str("\r\n");
    for (kind, body) in [("text/plain", &m.text), ("text/html", &m.html)] {
        out.push_str(&format!(
            "--{boundary}\r\nContent-Type: {kind}; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        ));
        let b64 = base64::engine::general_purpose::STANDARD.encode(body.as_bytes());
        for chunk in b64.as_bytes().chunks(76) {
            out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
            out.push_str("\r\n");
        }
    }
    out.push_str(&format!("--{boundary}--\r\n"));
    out
}

/// A display name: a quoted string when ASCII, else encoded words.
fn display_name(name: &str) -> String {
    let name: String = name.chars().filter(|c| !c.is_control()).collect();
    if name.is_ascii() {
        format!("\"{}\"", name.replace('\\', "\\\\").replace('"', "\\\""))
    } else {
        encode_words(&name)
    }
}

/// Header text: as it is when printable ASCII, else RFC 2047 `=?UTF-8?B?…?=` words of
/// at most 75 characters, folded onto continuation lines.
fn encode_words(text: &str) -> String {
    let text: String = text.chars().filter(|c| !c.is_control()).collect();
    if text.bytes().all(|b| (b' '..=b'~').contains(&b)) {
        return text;
    }
    let mut words = Vec::new();
    let mut chunk = String::new();
    for c in text.chars() {
        // 45 bytes encode to 60 characters, + 12 of `=?UTF-8?B?` and `?=`.
        if chunk.len() + c.len_utf8() > 45 {
            words.push(std::mem::take(&mut chunk));
        }
        chunk.push(c);
    }
    words.push(chunk);
    words
        .iter()
        .map(|w| {
            format!(
                "=?UTF-8?B?{}?=",
                base64::engine::general_purpose::STANDARD.encode(w.as_bytes())
            )
        })
        .collect::<Vec<_>>()
        .join("\r\n ")
}

/// `20250102T030405Z`, for file names.
fn compact_time(secs: u64) -> String {
    let (y, mo, d) = gate::date::civil_from_days((secs / 86_400) as i64);
    let rem = secs % 86_400;
    format!(
        "{y:04}{mo:02}{d:02}T{:02}{:02}{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// `Thu, 02 Jan 2025 03:04:05 +0000` (RFC 5322 §3.3).
pub(crate) fn rfc5322_date(secs: u64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let days = secs / 86_400;
    let (y, mo, d) = gate::date::civil_from_days(days as i64);
    let rem = secs % 86_400;
    format!(
        "{}, {d:02} {} {y:04} {:02}:{:02}:{:02} +0000",
        DAYS[(days % 7) as usize],
        MONTHS[(mo as usize).saturating_sub(1).min(11)],
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use members::mail::Message;

    fn letter(subject: &str, from: &str) -> Letter {
        Letter {
            message: Message {
                to: "ada@example.org".into(),
                from_name: from.into(),
                subject: subject.into(),
                text: "Sign in: http://127.0.0.1:1/_lyceum/confirm?t=T\nCode 123456\n".into(),
                html: format!("<p>{}</p>", "x".repeat(2000)),
            },
            link: "http://127.0.0.1:1/_lyceum/confirm?t=T".into(),
            code: "123456".into(),
        }
    }

    fn part(eml: &str, kind: &str) -> String {
        let start = eml.find(&format!("Content-Type: {kind}")).unwrap();
        let body = &eml[start..];
        let body = &body[body.find("\r\n\r\n").unwrap() + 4..];
        let body = &body[..body.find("--=_").unwrap()];
        let b64: String = body.split_whitespace().collect();
        String::from_utf8(
            base64::engine::general_purpose::STANDARD
                .decode(b64)
                .unwrap(),
        )
        .unwrap()
    }

    #[test]
    fn eml_is_a_mime_message_with_both_parts() {
        let l = letter("Sign in to Site", "Site \"A\"");
        let eml = eml_message(&l, &rfc5322_date(0), "<1@x>");
        let (head, _) = eml.split_once("\r\n\r\n").unwrap();
        assert!(head.contains("From: \"Site \\\"A\\\"\" <noreply@localhost>\r\n"));
        assert!(head.contains("To: ada@example.org\r\n"));
        assert!(head.contains("Subject: Sign in to Site\r\n"));
        assert!(head.contains("Date: Thu, 01 Jan 1970 00:00:00 +0000\r\n"));
        assert!(head.contains("MIME-Version: 1.0\r\n"));
        assert_eq!(part(&eml, "text/plain"), l.message.text);
        assert_eq!(part(&eml, "text/html"), l.message.html);
        assert!(
            eml.split("\r\n").all(|line| line.len() <= 78),
            "short lines"
        );
        assert!(eml.ends_with("--=_lyceum_alternative--\r\n"));
    }

    #[test]
    fn non_ascii_headers_are_encoded_words() {
        let subject =
            "Anmeldung bei Ärzte für Übermorgen — ein sehr langer Betreff, länger als eine Zeile";
        let eml = eml_message(&letter(subject, "Ärzte"), &rfc5322_date(0), "<1@x>");
        let (head, _) = eml.split_once("\r\n\r\n").unwrap();
        assert!(head.is_ascii(), "{head}");
        assert!(head.contains("From: =?UTF-8?B?"));
        let words: String = head
            .split("Subject: ")
            .nth(1)
            .unwrap()
            .split("\r\nDate:")
            .next()
            .unwrap()
            .split("\r\n ")
            .map(|w| {
                assert!(w.len() <= 75, "{w}");
                let b64 = w.trim_start_matches("=?UTF-8?B?").trim_end_matches("?=");
                String::from_utf8(
                    base64::engine::general_purpose::STANDARD
                        .decode(b64)
                        .unwrap(),
                )
                .unwrap()
            })
            .collect();
        assert_eq!(words, subject);
    }

    #[test]
    fn dates() {
        assert_eq!(
            rfc5322_date(1_700_000_000),
            "Tue, 14 Nov 2023 22:13:20 +0000"
        );
        assert_eq!(compact_time(1_700_000_000), "20231114T221320Z");
    }

    #[test]
    fn deliver_writes_eml_and_txt_and_names_do_not_collide() {
        let dir = tempfile::tempdir().unwrap();
        let outbox = Outbox::new(dir.path().join("outbox"), ".lyceum/outbox");
        let l = letter("Hi", "Site");
        let a = outbox.deliver(&l, 1_700_000_000).unwrap();
        let b = outbox.deliver(&l, 1_700_000_000).unwrap();
        assert_ne!(a, b);
        let txt = std::fs::read_to_string(a.with_extension("txt")).unwrap();
        assert!(txt.contains("To: ada@example.org") && txt.contains("Code 123456"));
        let names = std::fs::read_dir(dir.path().join("outbox"))
            .unwrap()
            .count();
        assert_eq!(names, 4, "no temporary files left");
        // A folder that cannot be written is reported, not fatal.
        let blocked = Outbox::new(a.clone(), "x");
        assert_eq!(blocked.deliver(&l, 1), None);
    }

    #[test]
    fn terminal_text_escapes_and_frames() {
        let mut l = letter("Hi\x1b[2J", "Site");
        l.message.to = "a\x1b]0;x\x07@b.org".into();
        let t = terminal_text(&l, ".lyceum/outbox/x.eml");
        assert!(!t.contains('\x1b') && !t.contains('\x07'));
        assert!(t.contains("Code:    123456") && t.contains(&l.link));
    }
}
