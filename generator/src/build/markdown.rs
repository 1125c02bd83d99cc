//! Stage 4: markdown → HTML with pulldown-cmark, in one pass that also assigns heading ids,
//! builds the table of contents, finds the `<!-- more -->` fold, and counts words.
//! Pure: a body in, a [`Rendered`] out.
//!
//! The teaser is rendered from the source text above the fold, parsed on its own: the
//! parser resolves reference links, images and footnotes over the whole document it is
//! given, so cutting a parse of the whole body would let a definition below the fold
//! (a members-only URL, its title, a footnote's text) into the public teaser.

use crate::slug::IdAllocator;
use pulldown_cmark::{CodeBlockKind, CowStr, Event, LinkType, Options, Parser, Tag, TagEnd};
use serde::Serialize;

/// One table-of-contents entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct TocEntry {
    /// Heading level, 1–6.
    pub level: u8,
    /// The heading's `id` (its anchor).
    pub id: String,
    /// The heading's plain text.
    pub title: String,
}

/// A rendered markdown body.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Rendered {
    /// The whole body as HTML (without the `<!-- more -->` marker).
    pub html: String,
    /// HTML of the body above a top-level `<!-- more -->` line, parsed on its own; `None`
    /// when there is no marker, or plain text was asked for (a public page).
    pub teaser: Option<String>,
    /// Byte offset in the body of that marker line: the teaser is the source before it.
    pub fold: Option<usize>,
    /// Headings in order.
    pub toc: Vec<TocEntry>,
    /// Latin-script (space-separated) words.
    pub words: usize,
    /// CJK characters, each read as a unit.
    pub cjk_chars: usize,
    /// The body's first [`PLAIN_CHARS`] characters as plain text, when asked for (the
    /// search index's excerpt).
    pub plain: Option<String>,
    /// The first top-level paragraph's first [`LEAD_CHARS`] characters as plain text (an
    /// [`excerpt`]), when plain text was asked for: the description of a page without a
    /// summary, made once (headings, tables and code make poor ones).
    pub lead: Option<String>,
}

impl Rendered {
    /// Minutes to read: 265 words/min plus 500 CJK characters/min, at least 1.
    pub(crate) fn reading_time(&self) -> usize {
        const WPM: usize = 265;
        const CPM: usize = 500;
        (self.words * CPM + self.cjk_chars * WPM)
            .div_ceil(WPM * CPM)
            .max(1)
    }

    /// Words as a reader counts them: Latin words plus CJK characters.
    pub(crate) fn word_count(&self) -> usize {
        self.words + self.cjk_chars
    }
}

/// Length of the lead's excerpt: a public page's description when it has no summary.
const LEAD_CHARS: usize = 160;

/// How much of a body's plain text is kept: the search index carries a bounded excerpt
/// of each public page, so its size (and the build's memory) grows with the page count,
/// not with the length of the pages.
pub(crate) const PLAIN_CHARS: usize = 1_000;

fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES
}

/// Render `body`. `want_plain` (a public page) also collects plain text and makes no
/// teaser: public pages need only the one, gated pages only the other.
///
/// One pass: the parser's events stream through [`Walk`] (ids, contents, fold, counts,
/// accessible markup) into the HTML writer; only a heading's events are held, until its
/// id is known.
pub(crate) fn render(body: &str, want_plain: bool) -> Rendered {
    let mut walk = Walk {
        events: Parser::new_ext(body, options()).into_offset_iter(),
        held: std::collections::VecDeque::new(),
        ready: std::collections::VecDeque::new(),
        label: None,
        ids: IdAllocator::default(),
        out: Rendered::default(),
        // Bytes enough for PLAIN_CHARS characters of any script; past them (and past the
        // lead paragraph) nothing more is collected.
        plain: want_plain.then(|| String::with_capacity(body.len().min(PLAIN_CHARS * 4))),
        lead: (None, None),
        depth: 0,
        text: String::with_capacity(body.len()),
    };
    // HTML runs up to a third longer than its markdown: room for that, so the buffer is
    // not doubled (and copied) as it grows.
    let mut html = String::with_capacity(body.len() + body.len() / 2);
    pulldown_cmark::html::push_html(&mut html, &mut walk);
    // Kept for the whole build: a copy of the exact size, since the allocator keeps a
    // buffer shrunk in place whole (a large site's memory is mostly these).
    if html.capacity() > html.len() + html.len() / 16 {
        html = html.as_str().to_owned();
    }
    let Walk {
        mut out,
        plain,
        lead,
        text,
        ..
    } = walk;
    count(&text, &mut out.words, &mut out.cjk_chars);
    out.html = html;
    // A public page shows its whole body: only a gated one needs its teaser.
    if let (Some(cut), false) = (out.fold, want_plain) {
        out.teaser = Some(teaser_html(&body[..cut]));
    }
    if let (Some(p), Some(range)) = (&plain, lead.1) {
        out.lead = Some(excerpt(p[range].trim(), LEAD_CHARS));
    }
    out.plain = plain.map(|p| clip(&p, PLAIN_CHARS).trim_end().to_owned());
    out
}

/// [`render`]'s pass over the parser's events, yielding them on to the writer: gives each
/// heading its unique id and a table-of-contents entry, drops the first top-level
/// `<!-- more -->` (noting its offset, the fold), counts words, collects plain text and
/// adds what the writer's HTML lacks for accessibility ([`Walk::adapt`]). One adapter with
/// a short path for the common event, not a chain: every layer and branch moved each
/// event (80 bytes) once more, which cost more than the work done on it.
struct Walk<'a, I> {
    events: I,
    /// Events taken from the parser and noted but not yet adapted (a heading's, a
    /// non-marker HTML block's, after the first).
    held: std::collections::VecDeque<Event<'a>>,
    /// Events adapted and waiting to be yielded: the extra ones [`Walk::adapt`] makes.
    ready: std::collections::VecDeque<Event<'a>>,
    /// Inside a task label: how many inline tags are open since its checkbox.
    label: Option<usize>,
    ids: IdAllocator,
    /// Everything but the HTML, which the writer makes.
    out: Rendered,
    plain: Option<String>,
    /// The lead paragraph's byte range in `plain`: start, end.
    lead: (Option<usize>, Option<std::ops::Range<usize>>),
    /// Open tags.
    depth: usize,
    /// Every text and code span, each followed by a space: what the words are counted in.
    text: String,
}

impl<'a, I: Iterator<Item = (Event<'a>, std::ops::Range<usize>)>> Iterator for Walk<'a, I> {
    type Item = Event<'a>;

    fn next(&mut self) -> Option<Event<'a>> {
        // Nearly every event is only noted and passed on: that path takes it straight from
        // the parser, with as few moves of it as the compiler can manage.
        if self.ready.is_empty() && self.held.is_empty() && self.label.is_none() {
            let (event, range) = self.events.next()?;
            if !matches!(event, Event::Start(Tag::Heading { .. } | Tag::HtmlBlock))
                && !adapted(&event)
            {
                self.note(&event);
                return Some(event);
            }
            return self.slow(Some((event, range)));
        }
        self.slow(None)
    }
}

impl<'a, I: Iterator<Item = (Event<'a>, std::ops::Range<usize>)>> Walk<'a, I> {
    /// [`Iterator::next`] when something waits, or for an event (`first`, taken from the
    /// parser with nothing waiting) that needs more than noting.
    #[inline(never)]
    fn slow(&mut self, first: Option<(Event<'a>, std::ops::Range<usize>)>) -> Option<Event<'a>> {
        let event = match first {
            Some(first) => self.walk(Some(first))?,
            None => {
                if let Some(ready) = self.ready.pop_front() {
                    return Some(ready);
                }
                match self.held.pop_front() {
                    Some(held) => held,
                    None => self.walk(None)?,
                }
            }
        };
        if self.label.is_none() && !adapted(&event) {
            return Some(event);
        }
        Some(self.adapt(event))
    }

    /// The parser's next event (`next`, if already taken), noted. A heading's start comes
    /// with the heading's id, its other events are held; the fold's marker is dropped.
    fn walk(&mut self, mut next: Option<(Event<'a>, std::ops::Range<usize>)>) -> Option<Event<'a>> {
        loop {
            let (event, range) = match next.take() {
                Some(taken) => taken,
                None => self.events.next()?,
            };
            match event {
                Event::Start(Tag::Heading { .. }) => return Some(self.heading(event)),
                Event::Start(Tag::HtmlBlock) if self.depth == 0 && self.out.fold.is_none() => {
                    if let Some(event) = self.html_block(event, range.start) {
                        return Some(event);
                    }
                }
                _ => {
                    self.note(&event);
                    return Some(event);
                }
            }
        }
    }

    /// A heading's start, with its unique id (from its text unless it names one) and a
    /// table-of-contents entry; its events up to its end are held, noted.
    #[inline(never)]
    fn heading(&mut self, mut event: Event<'a>) -> Event<'a> {
        for (inner, _) in self.events.by_ref() {
            let end = matches!(inner, Event::End(TagEnd::Heading(_)));
            self.held.push_back(inner);
            if end {
                break;
            }
        }
        if let Event::Start(Tag::Heading { level, id, .. }) = &mut event {
            let title = heading_text(self.held.iter());
            let unique = match id.take() {
                Some(chosen) => self.ids.claim(chosen.into_string()),
                None => self.ids.allocate(&title),
            };
            self.out.toc.push(TocEntry {
                level: *level as u8,
                id: unique.clone(),
                title,
            });
            *id = Some(CowStr::from(unique));
        }
        self.note(&event);
        let held = std::mem::take(&mut self.held);
        held.iter().for_each(|e| self.note(e));
        self.held = held;
        event
    }

    /// A top-level HTML block's start, at byte `at`. The first that holds only the
    /// marker (`Start`, `Html`, `End`) is the fold: noted, and dropped (`None`). Any
    /// other comes back, its next events held.
    #[inline(never)]
    fn html_block(&mut self, event: Event<'a>, at: usize) -> Option<Event<'a>> {
        let mut taken = self.events.by_ref().take(2).map(|(e, _)| e);
        let (text, close) = (taken.next(), taken.next());
        if let (Some(Event::Html(t)), Some(Event::End(TagEnd::HtmlBlock))) = (&text, &close) {
            if is_more_marker(t) {
                self.out.fold = Some(at);
                return None;
            }
        }
        self.note(&event);
        for e in text.into_iter().chain(close) {
            self.note(&e);
            self.held.push_back(e);
        }
        Some(event)
    }
}

impl<I> Walk<'_, I> {
    /// Count `event` in: depth, words, plain text and where the lead paragraph lies.
    #[inline]
    fn note(&mut self, event: &Event<'_>) {
        let plain_bytes = PLAIN_CHARS * 4;
        match event {
            Event::Start(tag) => {
                if let (Some(p), Tag::Paragraph, 0, (None, None)) =
                    (&self.plain, tag, self.depth, &self.lead)
                {
                    self.lead.0 = Some(p.len());
                }
                self.depth += 1;
            }
            Event::End(tag) => {
                self.depth -= 1;
                if let (Some(p), TagEnd::Paragraph, 0, (Some(start), None)) =
                    (&self.plain, tag, self.depth, &self.lead)
                {
                    self.lead.1 = Some(*start..p.len());
                }
                if let Some(p) = self.plain.as_mut() {
                    if is_block_end(tag) && !p.ends_with(char::is_whitespace) && !p.is_empty() {
                        p.push('\n');
                    }
                }
            }
            Event::Text(t) | Event::Code(t) => {
                // Counted at the end, all at once: a space between texts ends a word as
                // counting each on its own would, and one long count is far cheaper than
                // many short ones.
                self.text.push_str(t);
                self.text.push(' ');
                if let Some(p) = self.plain.as_mut() {
                    if p.len() < plain_bytes || self.lead.1.is_none() {
                        p.push_str(t);
                    }
                }
            }
            Event::SoftBreak | Event::HardBreak => {
                if let Some(p) = self.plain.as_mut() {
                    if p.len() < plain_bytes || self.lead.1.is_none() {
                        p.push(' ');
                    }
                }
            }
            _ => {}
        }
    }
}

/// The teaser: `above` (the source above the fold) parsed and rendered on its own, so no
/// definition below the fold can reach it. Heading ids come out as on the full page: ids
/// are handed out in document order and these headings come first there too.
fn teaser_html(above: &str) -> String {
    render(above, false).html
}

/// A reference in a teaser that only resolves in the full page: its definition is below
/// the fold, so the public teaser shows it as plain text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Dangling {
    /// How the reference is written: `[label]` for a link or image, `[^label]` for a footnote.
    pub label: String,
    /// Byte offset of the reference in the body.
    pub at: usize,
}

/// The references above the fold of `body` (links and images by reference, footnotes)
/// whose definitions are below it; `cut` is the fold ([`Rendered::fold`]).
pub(crate) fn dangling_teaser_refs(body: &str, cut: usize) -> Vec<Dangling> {
    // The references that resolve when `text` is parsed, among those starting before
    // `limit`: (offset, destination, label as shown). Events come in source order.
    let resolved = |text: &str, limit: usize| -> Vec<(usize, String, String)> {
        let mut found = Vec::new();
        for (event, range) in Parser::new_ext(text, options()).into_offset_iter() {
            if range.start >= limit {
                break;
            }
            match event {
                Event::Start(
                    Tag::Link {
                        link_type,
                        dest_url,
                        id,
                        ..
                    }
                    | Tag::Image {
                        link_type,
                        dest_url,
                        id,
                        ..
                    },
                ) if matches!(
                    link_type,
                    LinkType::Reference | LinkType::Collapsed | LinkType::Shortcut
                ) =>
                {
                    let label = if id.is_empty() {
                        text[range.clone()].to_owned()
                    } else {
                        format!("[{id}]")
                    };
                    found.push((range.start, dest_url.into_string(), label));
                }
                Event::FootnoteReference(label) => {
                    found.push((range.start, String::new(), format!("[^{label}]")));
                }
                _ => {}
            }
        }
        found
    };
    let public: std::collections::HashSet<(usize, String)> = resolved(&body[..cut], cut)
        .into_iter()
        .map(|(at, dest, _)| (at, dest))
        .collect();
    resolved(body, cut)
        .into_iter()
        .filter(|(at, dest, _)| !public.contains(&(*at, dest.clone())))
        .map(|(at, _, label)| Dangling { label, at })
        .collect()
}

impl<'a, I> Walk<'a, I> {
    /// What pulldown-cmark's HTML lacks for keyboard and screen-reader users (WCAG 2.1 AA),
    /// for the full body and the teaser alike:
    /// - a task-list checkbox gets the item's text as its name: `<label>`, input and the
    ///   text up to the end of the item's first block, wrapped together;
    /// - a code block is a `<pre tabindex="0">`, a table is wrapped in a
    ///   `<div class="table-scroll" tabindex="0">`: they scroll sideways, so they must take
    ///   keyboard focus.
    ///
    /// One event in, up to three out: the first is returned, the others wait in `ready`.
    #[inline(never)]
    fn adapt(&mut self, event: Event<'a>) -> Event<'a> {
        let mut closing = None;
        if let Some(open) = self.label.as_mut() {
            let closes = match &event {
                Event::Start(tag) if is_inline(tag) => {
                    *open += 1;
                    false
                }
                Event::End(_) if *open > 0 => {
                    *open -= 1;
                    false
                }
                // The item's first block ends, or a block (a nested list) starts.
                Event::Start(_) | Event::End(_) | Event::Html(_) | Event::Rule => true,
                _ => false,
            };
            if closes {
                closing = Some(Event::InlineHtml("</label>".into()));
                self.label = None;
            }
        }
        let (first, then) = match event {
            Event::TaskListMarker(_) => {
                self.label = Some(0);
                (Event::InlineHtml("<label>".into()), Some(event))
            }
            Event::Start(Tag::CodeBlock(kind)) => {
                let lang = match &kind {
                    CodeBlockKind::Fenced(info) => info.split(' ').next().unwrap_or_default(),
                    CodeBlockKind::Indented => "",
                };
                let open = match lang {
                    "" => "<pre tabindex=\"0\"><code>".to_string(),
                    lang => format!(
                        "<pre tabindex=\"0\"><code class=\"language-{}\">",
                        crate::escape::html(lang)
                    ),
                };
                (Event::Html(open.into()), None)
            }
            Event::End(TagEnd::CodeBlock) => (Event::Html("</code></pre>\n".into()), None),
            // The writer keeps the table's alignments, so the focusable scroller wraps it.
            Event::Start(Tag::Table(_)) => (
                Event::Html("<div class=\"table-scroll\" tabindex=\"0\">\n".into()),
                Some(event),
            ),
            Event::End(TagEnd::Table) => (event, Some(Event::Html("</div>\n".into()))),
            event => (event, None),
        };
        let Some(close) = closing else {
            self.ready.extend(then);
            return first;
        };
        self.ready.push_back(first);
        self.ready.extend(then);
        close
    }
}

/// The events [`Walk::adapt`] changes even outside a task label.
fn adapted(event: &Event<'_>) -> bool {
    matches!(
        event,
        Event::TaskListMarker(_)
            | Event::Start(Tag::CodeBlock(_) | Tag::Table(_))
            | Event::End(TagEnd::CodeBlock | TagEnd::Table)
    )
}

fn is_inline(tag: &Tag<'_>) -> bool {
    matches!(
        tag,
        Tag::Emphasis
            | Tag::Strong
            | Tag::Strikethrough
            | Tag::Superscript
            | Tag::Subscript
            | Tag::Link { .. }
            | Tag::Image { .. }
    )
}

/// A link or image in a markdown body, as `lyceum check` sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Link {
    /// The destination as written (entities and escapes resolved by the parser).
    pub dest: String,
    /// `![…](…)` rather than `[…](…)`.
    pub image: bool,
    /// Byte offset in the body of the destination when written inline, else of the link.
    pub at: usize,
}

/// Every link and image of `body`, parsed with the same options as [`render`].
pub(crate) fn links(body: &str) -> Vec<Link> {
    let mut out = Vec::new();
    for (event, range) in Parser::new_ext(body, options()).into_offset_iter() {
        let (dest, image) = match &event {
            Event::Start(Tag::Link { dest_url, .. }) => (dest_url, false),
            Event::Start(Tag::Image { dest_url, .. }) => (dest_url, true),
            _ => continue,
        };
        let source = &body[range.clone()];
        let after = source.rfind("](").map_or(0, |i| i + 2);
        let at = match source[after..].find(dest.as_ref()) {
            Some(i) if !dest.is_empty() => range.start + after + i,
            _ => range.start,
        };
        out.push(Link {
            dest: dest.to_string(),
            image,
            at,
        });
    }
    out
}

/// `<!-- more -->`, with any spacing inside the comment.
fn is_more_marker(html: &str) -> bool {
    let squeezed: String = html.split_whitespace().collect();
    squeezed == "<!--more-->"
}

fn is_block_end(tag: &TagEnd) -> bool {
    matches!(
        tag,
        TagEnd::Paragraph
            | TagEnd::Heading(_)
            | TagEnd::CodeBlock
            | TagEnd::Item
            | TagEnd::TableCell
            | TagEnd::TableRow
            | TagEnd::BlockQuote(_)
            | TagEnd::FootnoteDefinition
    )
}

fn heading_text<'e>(events: impl Iterator<Item = &'e Event<'e>>) -> String {
    let mut title = String::new();
    for e in events {
        if let Event::Text(t) | Event::Code(t) = e {
            title.push_str(t);
        }
    }
    title
}

/// Is `c` read one character at a time (Han, kana)? Hangul is space-separated, so it isn't.
fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x3134F)
}

fn count(text: &str, words: &mut usize, cjk: &mut usize) {
    let bytes = text.as_bytes();
    if bytes.is_ascii() {
        *words += ascii_words(bytes);
        return;
    }
    let mut in_word = false;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let word_char = if b.is_ascii() {
            i += 1;
            // Branch-free on purpose: word boundaries are too frequent to predict, and
            // this loop sees every byte of every page.
            b.is_ascii_alphanumeric() | (in_word & (b == b'\''))
        } else {
            let c = text[i..].chars().next().expect("i is on a char boundary");
            i += c.len_utf8();
            if is_cjk(c) {
                *cjk += 1;
                in_word = false;
                continue;
            }
            c.is_alphanumeric() || (in_word && c == '’')
        };
        *words += usize::from(word_char & !in_word);
        in_word = word_char;
    }
}

/// [`count`]'s words of ASCII text, with no dependency from byte to byte (so the compiler
/// can vectorise the main pass): a word starts at a letter or digit after a byte that is
/// neither, nor an apostrophe; after a run of apostrophes, only if the run does not
/// continue a word (an apostrophe inside a word, `don't`, is part of it).
fn ascii_words(bytes: &[u8]) -> usize {
    // Arithmetic rather than `is_ascii_alphanumeric`'s table-free match, which LLVM did not
    // vectorise over `windows(2)`: perf put this loop at ~4% of a large build.
    let alnum = |b: u8| (b.wrapping_sub(b'0') < 10) | ((b & 0xDF).wrapping_sub(b'A') < 26);
    // Fixed blocks padded with spaces, each with the byte before it: the compiler
    // vectorises a loop of known length whole, with no scalar tail; a page's text is
    // counted in one call, so a block's copy is the only set-up.
    const BLOCK: usize = 64;
    let mut n = 0;
    let mut quoted = false;
    let mut before = b' ';
    for chunk in bytes.chunks(BLOCK) {
        let mut block = [b' '; BLOCK + 1];
        block[0] = before;
        block[1..=chunk.len()].copy_from_slice(chunk);
        let (mut starts, mut quotes) = (0u8, 0u8);
        for i in 0..BLOCK {
            let (a, b) = (block[i], block[i + 1]);
            starts += u8::from(alnum(b) & !alnum(a) & (a != b'\''));
            quotes |= u8::from(b == b'\'');
        }
        n += usize::from(starts);
        quoted |= quotes != 0;
        before = chunk[chunk.len() - 1];
    }
    if !quoted {
        return n;
    }
    let mut i = 0;
    while let Some(k) = memchr::memchr(b'\'', &bytes[i..]) {
        let start = i + k;
        let end = bytes[start..]
            .iter()
            .position(|&b| b != b'\'')
            .map_or(bytes.len(), |e| start + e);
        let continues = start > 0 && alnum(bytes[start - 1]);
        n += usize::from(!continues && bytes.get(end).is_some_and(|&b| alnum(b)));
        i = end;
    }
    n
}

/// `text` cut to at most `max` characters, at the last whitespace in the second half of
/// them if there is one (CJK text has none and is cut where it is).
fn clip(text: &str, max: usize) -> &str {
    let Some((end, _)) = text.char_indices().nth(max) else {
        return text;
    };
    let cut = &text[..end];
    match cut.rfind(char::is_whitespace) {
        Some(i) if cut[..i].chars().count() > max / 2 => &cut[..i],
        _ => cut,
    }
}

/// The first `max` characters of `plain` (cut at a word boundary, with `…`), on one line.
pub(crate) fn excerpt(plain: &str, max: usize) -> String {
    let flat: String = plain.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max {
        return flat;
    }
    let cut: String = flat.chars().take(max).collect();
    // Latin text breaks at the last space; CJK text has none and is cut where it is.
    let cut = match cut.rfind(' ') {
        Some(i) if i > max / 2 => &cut[..i],
        _ => &cut[..],
    };
    format!(
        "{}…",
        cut.trim_end_matches(|c: char| c.is_ascii_punctuation())
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_get_unique_ids_and_toc() {
        let r = render(
            "# Intro\n\n## Intro\n\n## 概述 `code`\n\n### Custom {#mine}\n",
            false,
        );
        assert_eq!(
            r.html,
            "<h1 id=\"intro\">Intro</h1>\n<h2 id=\"intro-1\">Intro</h2>\n<h2 id=\"概述-code\">概述 <code>code</code></h2>\n<h3 id=\"mine\">Custom</h3>\n"
        );
        let ids: Vec<_> = r
            .toc
            .iter()
            .map(|t| (t.level, t.id.as_str(), t.title.as_str()))
            .collect();
        assert_eq!(
            ids,
            [
                (1, "intro", "Intro"),
                (2, "intro-1", "Intro"),
                (2, "概述-code", "概述 code"),
                (3, "mine", "Custom")
            ]
        );
    }

    #[test]
    fn teaser_is_above_the_marker_only() {
        let r = render("Open part.\n\n<!-- more -->\n\nSecret part.\n", false);
        assert_eq!(r.teaser.as_deref(), Some("<p>Open part.</p>\n"));
        assert_eq!(r.html, "<p>Open part.</p>\n<p>Secret part.</p>\n");
    }

    /// Regression (issue 9, item 1): the teaser was cut from a parse of the whole body, so
    /// reference definitions and footnotes below the fold resolved into the public teaser.
    #[test]
    fn teaser_carries_no_definitions_from_below_the_fold() {
        let body = "Read [the call][call], ![pic][img], [short] and a note[^n].\n\n<!-- more -->\n\nMembers.\n\n[call]: https://members.example/invite/SECRET-URL \"SECRET-TITLE\"\n[img]: /SECRET-IMG.png\n[short]: /SECRET-SHORT/\n[^n]: SECRET-NOTE\n";
        let r = render(body, false);
        let teaser = r.teaser.as_deref().unwrap();
        assert!(!teaser.contains("SECRET"), "{teaser}");
        assert!(teaser.contains("[the call][call]"), "{teaser}");
        for secret in [
            "SECRET-URL",
            "SECRET-TITLE",
            "SECRET-IMG",
            "SECRET-SHORT",
            "SECRET-NOTE",
        ] {
            assert!(
                r.html.contains(secret),
                "{secret} in the full page: {}",
                r.html
            );
        }
        assert_eq!(r.fold, body.find("<!-- more -->"));
        // Definitions above the fold are public and still resolve in the teaser.
        let r = render("[a][x]\n\n[x]: /open/\n\n<!-- more -->\n", false);
        assert_eq!(
            r.teaser.as_deref(),
            Some("<p><a href=\"/open/\">a</a></p>\n")
        );
    }

    #[test]
    fn teaser_heading_ids_match_the_full_page() {
        let r = render(
            "# Intro\n\n## Intro {#own}\n\n## Intro\n\n<!-- more -->\n\n## Intro\n",
            false,
        );
        assert_eq!(
            r.teaser.as_deref(),
            Some("<h1 id=\"intro\">Intro</h1>\n<h2 id=\"own\">Intro</h2>\n<h2 id=\"intro-1\">Intro</h2>\n")
        );
        assert!(
            r.html.starts_with(r.teaser.as_deref().unwrap()),
            "{}",
            r.html
        );
        assert!(
            r.html.ends_with("<h2 id=\"intro-2\">Intro</h2>\n"),
            "{}",
            r.html
        );
    }

    #[test]
    fn dangling_teaser_refs_name_each_reference_defined_below_the_fold() {
        let body = "[ok][x] [the call][call] [^n] [^up] ![i][img] [short]\n\n[x]: /x/\n\n[^up]: open\n\n<!-- more -->\n\n[below][call]\n\n[call]: /secret/\n[img]: /i.png\n[short]: /s/\n[^n]: note\n";
        let cut = render(body, false).fold.unwrap();
        let found: Vec<_> = dangling_teaser_refs(body, cut)
            .into_iter()
            .map(|d| (d.label, d.at))
            .collect();
        assert_eq!(
            found,
            [
                ("[call]".to_owned(), body.find("[the call]").unwrap()),
                ("[^n]".to_owned(), body.find("[^n]").unwrap()),
                ("[img]".to_owned(), body.find("![i]").unwrap()),
                ("[short]".to_owned(), body.find("[short]").unwrap()),
            ]
        );
    }

    #[test]
    fn no_marker_no_teaser_and_nested_marker_ignored() {
        assert_eq!(render("Just text.\n", false).teaser, None);
        assert_eq!(
            render("> quote\n>\n> <!-- more -->\n>\n> rest\n", false).teaser,
            None
        );
        assert_eq!(render("```\n<!-- more -->\n```\n", false).teaser, None);
    }

    #[test]
    fn extensions_enabled() {
        let r = render(
            "| a | b |\n|---|---|\n| 1 | 2 |\n\n~~x~~\n\n- [x] done\n\nNote[^1].\n\n[^1]: Foot.\n",
            false,
        );
        for needle in [
            "<table>",
            "<del>x</del>",
            "type=\"checkbox\"",
            "footnote-definition",
        ] {
            assert!(r.html.contains(needle), "{needle} in {}", r.html);
        }
    }

    #[test]
    fn counts_cjk_separately() {
        let r = render("Hello world, it's 中文字符 here.\n", true);
        assert_eq!((r.words, r.cjk_chars), (4, 4));
        // Apostrophes join a word only inside it; ’ counts like '.
        let apostrophes = render("'quoted' don’t rock'n'roll, Ünïcödé 42\n", false);
        assert_eq!((apostrophes.words, apostrophes.cjk_chars), (5, 0));
        assert_eq!(r.plain.as_deref(), Some("Hello world, it's 中文字符 here."));
        assert_eq!(r.lead.as_deref(), Some("Hello world, it's 中文字符 here."));
        let r = render(
            "# Title\n\n| a |\n|---|\n| b |\n\nFirst *para*\ngraph.\n\nSecond.\n",
            true,
        );
        assert_eq!(r.lead.as_deref(), Some("First para graph."));
        let long = render(&"word ".repeat(530), false);
        assert_eq!(long.reading_time(), 2);
        let cjk = render(&"字".repeat(1000), false);
        assert_eq!(cjk.reading_time(), 2);
    }

    #[test]
    fn ascii_word_count_agrees_with_the_general_loop() {
        let general = |t: &str| {
            // The same text behind a non-ASCII prefix takes the general path; the prefix
            // (a CJK character) counts as CJK, not as a word, and ends any word.
            let (mut words, mut cjk) = (0, 0);
            count(&format!("字{t}"), &mut words, &mut cjk);
            words
        };
        for t in [
            "",
            "'",
            "a",
            "'quoted' don't rock'n'roll, 42",
            "a''b ''c d'' 'e' x'y'z",
            " 'x",
            "x' y",
            "it's a_b-c 3.14 foo's  bar",
            // Every ASCII byte between letters, and a text longer than one chunk.
            &(0u8..128)
                .map(|b| format!("a{}b ", b as char))
                .collect::<String>(),
            &"don't stop, 'x' y2k ".repeat(600),
        ] {
            assert_eq!(ascii_words(t.as_bytes()), general(t), "{t:?}");
        }
    }

    #[test]
    fn plain_text_is_kept_to_plain_chars_cut_between_words() {
        let latin = render(&"word ".repeat(2 * PLAIN_CHARS), true);
        let plain = latin.plain.unwrap();
        assert!(plain.len() <= PLAIN_CHARS && plain.len() > PLAIN_CHARS - 5);
        assert!(plain.ends_with("word"), "{plain}");
        let cjk = render(&"字".repeat(3 * PLAIN_CHARS), true).plain.unwrap();
        assert_eq!(cjk.chars().count(), PLAIN_CHARS);
        let short = render("Short text.\n", true).plain.unwrap();
        assert_eq!(short, "Short text.");
    }

    #[test]
    fn links_point_at_their_destination() {
        let body = "See [a](/x/) and ![中](../i.png \"t\").\n\n[r]: /ref/\n\n[ref][r]\n";
        let found: Vec<_> = links(body)
            .into_iter()
            .map(|l| (l.dest, l.image, l.at))
            .collect();
        let ref_at = body.find("[ref]").unwrap();
        assert_eq!(
            found,
            [
                ("/x/".into(), false, 8),
                ("../i.png".into(), true, 24),
                ("/ref/".into(), false, ref_at)
            ]
        );
    }

    #[test]
    fn excerpts() {
        assert_eq!(excerpt("short\ntext", 50), "short text");
        assert_eq!(excerpt("alpha beta gamma delta", 13), "alpha beta…");
        assert_eq!(excerpt("一二三四五六", 4), "一二三四…");
    }
}

#[cfg(test)]
mod accessibility_tests {
    use super::render;

    #[test]
    fn task_list_checkboxes_have_no_label() {
        // Tight and loose items, inline markup, a nested list: each checkbox is inside a
        // <label> with the item's own text, and nothing else of the item.
        let r = render(
            "- [x] done *well* and [linked](/x/)\n- [ ] open\n  - [ ] nested\n",
            false,
        );
        assert_eq!(
            r.html,
            "<ul>\n<li><label><input disabled=\"\" type=\"checkbox\" checked=\"\"/>\ndone <em>well</em> and <a href=\"/x/\">linked</a></label></li>\n\
             <li><label><input disabled=\"\" type=\"checkbox\"/>\nopen</label>\n<ul>\n<li><label><input disabled=\"\" type=\"checkbox\"/>\nnested</label></li>\n</ul>\n</li>\n</ul>\n"
        );
        let loose = render("- [x] first\n\n  more\n\n- [ ] second\n", false);
        assert!(
            loose.html.contains(
                "<p><label><input disabled=\"\" type=\"checkbox\" checked=\"\"/>\nfirst</label></p>\n<p>more</p>"
            ),
            "{}",
            loose.html
        );
        assert_eq!(render("- [x] a\n", false).words, 1, "counts unchanged");
    }

    #[test]
    fn scrollable_code_blocks_and_tables_cannot_take_focus() {
        let r = render(
            "```rust ignore\nfn main() {}\n```\n\n    indented <b>\n\n```a\"b\n&\n```\n\n| a | b |\n|--:|---|\n| 1 | 2 |\n",
            false,
        );
        assert_eq!(
            r.html,
            "<pre tabindex=\"0\"><code class=\"language-rust\">fn main() {}\n</code></pre>\n\
             <pre tabindex=\"0\"><code>indented &lt;b&gt;\n</code></pre>\n\
             <pre tabindex=\"0\"><code class=\"language-a&quot;b\">&amp;\n</code></pre>\n\
             <div class=\"table-scroll\" tabindex=\"0\">\n<table><thead><tr><th style=\"text-align: right\">a</th><th>b</th></tr></thead><tbody>\n\
             <tr><td style=\"text-align: right\">1</td><td>2</td></tr>\n</tbody></table>\n</div>\n"
        );
        let t = render("```\nopen\n```\n\n<!-- more -->\n\nrest\n", false);
        assert_eq!(
            t.teaser.as_deref(),
            Some("<pre tabindex=\"0\"><code>open\n</code></pre>\n")
        );
    }
}
