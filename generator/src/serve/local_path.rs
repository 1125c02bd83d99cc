//! A bundle path (`/`-separated, as the gate names files) as a path in the serve
//! folder, one segment at a time, refusing every segment that the file system could
//! read as something else than a plain name.
//!
//! The gate has already normalised the URL (decoded once, no `..`, no `\`, no NUL, no
//! empty segment), but that is a URL's canonical form, not a file name's: Windows reads
//! `C:` as a drive and `x:y` as a stream, drops trailing dots and spaces (`_gated.` is
//! `_gated`), and opens a device for `CON`, `NUL.txt`, `com1.html`. The preview refuses
//! all of these on every OS, so a site behaves the same wherever it is previewed.
//! What stays private (`_gated/`) is then checked on the resolved file (see
//! `http::Gatekeeper::file`).

use std::path::PathBuf;

/// Why a bundle path has no file in the serve folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refused {
    /// An empty segment (`a//b`, a leading or trailing `/`), `.` or `..`.
    NotAName,
    /// A control character (NUL included).
    Control,
    /// `\`, `:` (drive, stream) or a Windows wildcard / reserved character `<>"|?*`.
    Reserved,
    /// A trailing `.` or space, which Windows drops.
    TrailingDotOrSpace,
    /// A Windows device name (`CON`, `nul.txt`, `COM1.html`, …).
    Device,
}

/// The relative path of `rel` in the serve folder, or why there is none.
pub(crate) fn local_path(rel: &str) -> Result<PathBuf, Refused> {
    let mut path = PathBuf::new();
    for segment in rel.split('/') {
        check_segment(segment)?;
        path.push(segment);
    }
    Ok(path)
}

fn check_segment(segment: &str) -> Result<(), Refused> {
    if matches!(segment, "" | "." | "..") {
        return Err(Refused::NotAName);
    }
    if segment.chars().any(char::is_control) {
        return Err(Refused::Control);
    }
    if segment.contains(['\\', ':', '<', '>', '"', '|', '?', '*']) {
        return Err(Refused::Reserved);
    }
    if segment.ends_with(['.', ' ']) {
        return Err(Refused::TrailingDotOrSpace);
    }
    if is_device(segment) {
        return Err(Refused::Device);
    }
    Ok(())
}

/// Windows opens a device for these base names, whatever the case and extension (and
/// with spaces before the extension: `CON .txt`).
fn is_device(segment: &str) -> bool {
    let stem = segment
        .split('.')
        .next()
        .unwrap_or("")
        .trim_end_matches(' ');
    let upper = stem.to_uppercase();
    match upper.as_str() {
        "CON" | "PRN" | "AUX" | "NUL" | "CONIN$" | "CONOUT$" | "CLOCK$" => true,
        _ => ["COM", "LPT"].iter().any(|p| {
            upper.strip_prefix(p).is_some_and(|n| {
                let mut chars = n.chars();
                matches!(
                    (chars.next(), chars.next()),
                    (Some('0'..='9' | '¹' | '²' | '³'), None)
                )
            })
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_paths_are_refused_segment_by_segment() {
        use Refused::*;
        let cases: &[(&str, Result<&[&str], Refused>)] = &[
            ("index.html", Ok(&["index.html"])),
            ("a/b/index.html", Ok(&["a", "b", "index.html"])),
            ("笔记/index.html", Ok(&["笔记", "index.html"])),
            ("_gated/x/index.html", Ok(&["_gated", "x", "index.html"])),
            ("a b/c.d.e", Ok(&["a b", "c.d.e"])),
            (".well-known/x", Ok(&[".well-known", "x"])),
            ("console/index.html", Ok(&["console", "index.html"])),
            ("com10.html", Ok(&["com10.html"])),
            ("lpt/x", Ok(&["lpt", "x"])),
            ("auxiliary.css", Ok(&["auxiliary.css"])),
            // Drives, streams, separators.
            ("C:/Windows/win.ini", Err(Reserved)),
            ("c:", Err(Reserved)),
            ("x/C:/y", Err(Reserved)),
            ("index.html:$DATA", Err(Reserved)),
            ("a::$INDEX_ALLOCATION/b", Err(Reserved)),
            ("a\\b", Err(Reserved)),
            ("\\\\server/share", Err(Reserved)),
            ("a*.html", Err(Reserved)),
            ("a?.html", Err(Reserved)),
            ("a<b", Err(Reserved)),
            ("a>b", Err(Reserved)),
            ("a\"b", Err(Reserved)),
            ("a|b", Err(Reserved)),
            // What Windows strips.
            ("_gated./x", Err(TrailingDotOrSpace)),
            ("_gated /x", Err(TrailingDotOrSpace)),
            ("_gated. . /x", Err(TrailingDotOrSpace)),
            ("x/index.html.", Err(TrailingDotOrSpace)),
            ("x/index.html ", Err(TrailingDotOrSpace)),
            ("...", Err(TrailingDotOrSpace)),
            // Not names.
            ("", Err(NotAName)),
            ("a//b", Err(NotAName)),
            ("/a", Err(NotAName)),
            ("a/", Err(NotAName)),
            ("a/./b", Err(NotAName)),
            ("a/../b", Err(NotAName)),
            ("..", Err(NotAName)),
            // Control characters.
            ("a\0b", Err(Control)),
            ("a\x1bb", Err(Control)),
            ("a\nb", Err(Control)),
            ("a\x7fb", Err(Control)),
            ("a\u{85}b", Err(Control)),
            // Devices, any case, with extensions.
            ("CON", Err(Device)),
            ("con", Err(Device)),
            ("Con.html", Err(Device)),
            ("x/nul.txt", Err(Device)),
            ("NUL.tar.gz", Err(Device)),
            ("prn", Err(Device)),
            ("aux.css", Err(Device)),
            ("COM1", Err(Device)),
            ("com9.html", Err(Device)),
            ("COM0", Err(Device)),
            ("lpt1", Err(Device)),
            ("LPT9.txt", Err(Device)),
            ("com¹", Err(Device)),
            ("LPT³.x", Err(Device)),
            ("CON .txt", Err(Device)),
            ("conin$", Err(Device)),
            ("CONOUT$.x", Err(Device)),
        ];
        for (rel, want) in cases {
            let want = want.map(|segments| segments.iter().collect::<PathBuf>());
            assert_eq!(local_path(rel), want, "local_path({rel:?})");
        }
    }
}
