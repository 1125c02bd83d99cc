//! Stage 6: the machine-readable views of the site: Atom feed, sitemap, search index.
//! Each is public, so a gated page contributes its title, summary and link only.
//! Deterministic: no clock; the feed's `updated` is the newest page date.

use crate::build::site::{list_url, Page, Site, MEMBERSHIP_URL};
use rayon::prelude::*;
use serde::Serialize;

/// Bundle path of the Atom feed.
pub(crate) const ATOM_FILE: &str = "atom.xml";
/// Bundle path of the sitemap.
pub(crate) const SITEMAP_FILE: &str = "sitemap.xml";
/// Bundle path of the robots file, written unless the site's `static/` has its own.
pub(crate) const ROBOTS_FILE: &str = "robots.txt";
/// Bundle path of the search index.
pub(crate) const SEARCH_FILE: &str = "search.json";

/// The feed carries the newest pages only; a full archive would make every poll huge.
pub(crate) const FEED_ENTRIES: usize = 50;

/// Atom feed of the newest pages: public pages with full content, gated ones as title,
/// summary and link.
pub(crate) fn atom(site: &Site) -> String {
    let config = &site.config;
    let base = &config.base_url;
    let pages = site.pages_newest_first();
    let updated = pages
        .iter()
        .filter_map(|p| p.front.date.as_ref())
        .max_by_key(|d| d.timestamp)
        .map_or("1970-01-01T00:00:00Z", |d| d.rfc3339.as_str());
    let mut out = String::with_capacity(64 * 1024);
    out += "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n";
    out += &format!(
        "<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"{}\">\n",
        xml(&config.language)
    );
    out += &format!("  <title>{}</title>\n", xml(&config.title));
    out += &format!(
        "  <link href=\"{}\" rel=\"self\" type=\"application/atom+xml\"/>\n",
        xml(&link(base, &format!("/{ATOM_FILE}")))
    );
    out += &format!("  <link href=\"{}\"/>\n", xml(&link(base, "/")));
    out += &format!(
        "  <id>{}</id>\n  <updated>{updated}</updated>\n",
        xml(&link(base, "/"))
    );
    out += &format!("  <author><name>{}</name></author>\n", xml(&config.title));
    for page in pages.into_iter().take(FEED_ENTRIES) {
        let url = xml(&link(base, &page.url));
        out += &format!(
            "  <entry>\n    <title>{}</title>\n    <link href=\"{url}\"/>\n    <id>{url}</id>\n",
            xml(&page.front.title)
        );
        let date = page
            .front
            .date
            .as_ref()
            .map_or(updated, |d| d.rfc3339.as_str());
        out += &format!("    <updated>{date}</updated>\n");
        if let Some(summary) = &page.front.summary {
            out += &format!("    <summary>{}</summary>\n", xml(summary));
        }
        if !page.gated() {
            out += &format!(
                "    <content type=\"html\">{}</content>\n",
                xml(&page.body.html)
            );
        }
        out += "  </entry>\n";
    }
    out += "</feed>\n";
    out
}

/// A valid `robots.txt` (crawlers and Lighthouse fetch it on every site): everything may
/// be crawled, and the sitemap is named when `base_url` makes its URL absolute.
pub(crate) fn robots(site: &Site) -> String {
    let mut out = String::from("User-agent: *\nAllow: /\n");
    let base = &site.config.base_url;
    if !base.is_empty() {
        out += &format!("\nSitemap: {}\n", link(base, &format!("/{SITEMAP_FILE}")));
    }
    out
}

/// At most this many URLs go in one sitemap file (the sitemap protocol's limit).
pub(crate) const SITEMAP_URLS: usize = 50_000;

/// Sitemap of every public URL: home, sections and their list pages, pages (a gated
/// page's URL serves its teaser) and the membership page. Up to [`SITEMAP_URLS`] URLs it
/// is `sitemap.xml` alone; past them `sitemap.xml` is a sitemap index naming
/// `sitemap-1.xml`, `sitemap-2.xml`, …, each of at most that many URLs.
pub(crate) fn sitemaps(site: &Site) -> Vec<(String, String)> {
    sitemaps_of_at_most(site, SITEMAP_URLS)
}

/// [`sitemaps`] with `max` URLs to a file.
fn sitemaps_of_at_most(site: &Site, max: usize) -> Vec<(String, String)> {
    let base = &site.config.base_url;
    // Every list page of every section (`/s/`, `/s/page/2/`, …).
    let lists: Vec<String> = site
        .sections
        .iter()
        .flat_map(|s| (0..s.list_pages(site.config.paginate)).map(|k| list_url(&s.url, k)))
        .collect();
    let mut urls: Vec<(&str, Option<&str>)> =
        lists.iter().map(|url| (url.as_str(), None)).collect();
    urls.extend(site.pages.iter().map(|p| {
        (
            p.url.as_str(),
            p.front.date.as_ref().map(|d| d.day.as_str()),
        )
    }));
    urls.push((MEMBERSHIP_URL, None));
    urls.sort();
    let urlset = |urls: &[(&str, Option<&str>)]| {
        let mut out = String::with_capacity(64 * urls.len() + 128);
        out += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n";
        for (url, day) in urls {
            out += &format!("  <url>\n    <loc>{}</loc>\n", xml(&link(base, url)));
            if let Some(day) = day {
                out += &format!("    <lastmod>{day}</lastmod>\n");
            }
            out += "  </url>\n";
        }
        out += "</urlset>\n";
        out
    };
    if urls.len() <= max {
        return vec![(SITEMAP_FILE.into(), urlset(&urls))];
    }
    let parts: Vec<(String, String)> = urls
        .chunks(max)
        .enumerate()
        .map(|(n, chunk)| (format!("sitemap-{}.xml", n + 1), urlset(chunk)))
        .collect();
    let mut index = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n");
    for (file, _) in &parts {
        index += &format!(
            "  <sitemap>\n    <loc>{}</loc>\n  </sitemap>\n",
            xml(&link(base, &format!("/{file}")))
        );
    }
    index += "</sitemapindex>\n";
    std::iter::once((SITEMAP_FILE.into(), index))
        .chain(parts)
        .collect()
}

/// Pages per search shard: about 1 MB of JSON for pages of a few hundred words. A shard
/// holds each page's title, summary, tags and at most [`crate::build::markdown::PLAIN_CHARS`] characters of a
/// public page's text, so no shard nears Cloudflare's 25 MiB per file whatever the size
/// of the site; and the shard files depend on the page count alone, so an edit of one
/// page rewrites the same files.
pub(crate) const SEARCH_SHARD_PAGES: usize = 1_000;

/// Bundle path of search shard `n`.
pub(crate) fn search_shard_file(n: usize) -> String {
    format!("search-{n}.json")
}

#[derive(Serialize)]
struct SearchIndex {
    /// Pages in all shards.
    pages: usize,
    /// Absolute URL paths of the shards, in order (pages sorted by URL across them).
    shards: Vec<String>,
}

#[derive(Serialize)]
struct SearchEntry<'a> {
    url: &'a str,
    title: &'a str,
    summary: Option<&'a str>,
    level: Option<&'a str>,
    tags: &'a [String],
    /// The start of a public page's plain text; never on gated pages.
    #[serde(skip_serializing_if = "Option::is_none")]
    text: Option<&'a str>,
}

/// The pages in search order (by URL): [`search`] and [`search_shard`] take them.
pub(crate) fn search_order(site: &Site) -> Vec<&Page> {
    // Side by side and in parallel: this sort precedes the parallel render.
    let mut keyed: Vec<(&str, &Page)> = site.pages.iter().map(|p| (p.url.as_str(), p)).collect();
    keyed.par_sort_unstable_by_key(|(url, _)| *url);
    keyed.into_iter().map(|(_, p)| p).collect()
}

/// How many search shards `pages` pages make.
pub(crate) fn search_shards(pages: usize) -> usize {
    pages.div_ceil(SEARCH_SHARD_PAGES)
}

/// Client-side search index, `search.json`: the page count and the shards' URLs. Each
/// shard ([`search_shard`]) is a JSON array of pages in URL order.
pub(crate) fn search(pages: &[&Page]) -> String {
    json_line(&SearchIndex {
        pages: pages.len(),
        shards: (0..search_shards(pages.len()))
            .map(|n| format!("/{}", search_shard_file(n)))
            .collect(),
    })
}

/// Search shard `n` of `pages` (in [`search_order`]): each page's URL, title, summary,
/// level and tags, and for a public page the start of its text.
pub(crate) fn search_shard(pages: &[&Page], n: usize) -> String {
    let start = n * SEARCH_SHARD_PAGES;
    let chunk = &pages[start..(start + SEARCH_SHARD_PAGES).min(pages.len())];
    let entries: Vec<SearchEntry<'_>> = chunk
        .iter()
        .map(|p| SearchEntry {
            url: &p.url,
            title: &p.front.title,
            summary: p.front.summary.as_deref(),
            level: p.front.level.as_deref(),
            tags: &p.front.tags,
            text: if p.gated() {
                None
            } else {
                p.body.plain.as_deref()
            },
        })
        .collect();
    json_line(&entries)
}

fn json_line(value: &impl Serialize) -> String {
    let mut json = serde_json::to_string(value).expect("search index serializes");
    json.push('\n');
    json
}

/// Absolute link for a URL path, percent-encoding what XML consumers expect encoded.
fn link(base: &str, path: &str) -> String {
    let mut out = String::with_capacity(base.len() + path.len());
    out += base;
    gate::path::percent_encode(&mut out, path, |b| {
        b.is_ascii_alphanumeric() || b"/-._~!$&'()*+,;=:@%".contains(&b)
    });
    out
}

/// Escape text for XML content and attributes.
fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for c in text.chars() {
        match c {
            '&' => out += "&amp;",
            '<' => out += "&lt;",
            '>' => out += "&gt;",
            '"' => out += "&quot;",
            '\'' => out += "&apos;",
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_percent_encode_non_ascii() {
        assert_eq!(
            link("https://x.org", "/笔记/a b/"),
            "https://x.org/%E7%AC%94%E8%AE%B0/a%20b/"
        );
    }

    /// Issue 13, item 5: at 100,000 pages `sitemap.xml` listed ~101,000 URLs, twice the
    /// protocol's 50,000 per file. Past the limit it is an index of sitemaps of at most
    /// that many URLs each, together listing every URL once.
    #[test]
    fn a_sitemap_of_more_than_50000_urls_is_split_under_an_index() {
        let dir = tempfile::tempdir().unwrap();
        let mut files = vec![(
            "site.yaml",
            "title: T\nbase_url: https://x.org\n".to_string(),
        )];
        let names: Vec<String> = (0..5).map(|n| format!("content/p{n}.md")).collect();
        for name in &names {
            files.push((name.as_str(), "---\ntitle: P\n---\n".to_string()));
        }
        let refs: Vec<(&str, &str)> = files.iter().map(|(a, b)| (*a, b.as_str())).collect();
        crate::testing::write_files(dir.path(), &refs);
        let site = Site::load(dir.path(), &Default::default()).unwrap();
        // Home, five pages, the membership page.
        let one = sitemaps_of_at_most(&site, 7);
        assert_eq!(one.len(), 1);
        assert_eq!(one[0].0, SITEMAP_FILE);
        let split = sitemaps_of_at_most(&site, 3);
        let names: Vec<&str> = split.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(
            names,
            [
                "sitemap.xml",
                "sitemap-1.xml",
                "sitemap-2.xml",
                "sitemap-3.xml"
            ]
        );
        assert!(split[0].1.contains("<sitemapindex"));
        for part in ["sitemap-1.xml", "sitemap-2.xml", "sitemap-3.xml"] {
            assert!(
                split[0]
                    .1
                    .contains(&format!("<loc>https://x.org/{part}</loc>")),
                "{}",
                split[0].1
            );
        }
        let locs = |text: &str| -> Vec<String> {
            text.match_indices("<loc>")
                .map(|(at, _)| text[at + 5..].split('<').next().unwrap().to_owned())
                .collect()
        };
        let mut listed: Vec<String> = split[1..].iter().flat_map(|(_, t)| locs(t)).collect();
        assert!(split[1..].iter().all(|(_, t)| locs(t).len() <= 3));
        listed.sort();
        let mut all = locs(&one[0].1);
        all.sort();
        assert_eq!(listed, all);
    }

    #[test]
    fn xml_escapes() {
        assert_eq!(
            xml("<a href=\"x\">&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&apos;&lt;/a&gt;"
        );
    }
}
