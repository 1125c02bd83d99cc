//! The client-side search index at scale: `search.json` names shards of pages, each page
//! carrying a bounded excerpt of its public text.

mod common;

use common::{build, read_tree, write_files};

/// Cloudflare's per-file limit for static assets.
const MAX_FILE: usize = 25 * 1024 * 1024;
/// The text each public page may carry (`markdown::PLAIN_CHARS`).
const TEXT_CHARS: usize = 1_000;

/// Issue 13, item 5: on the 10,000-page anchor corpus `search.json` held every public
/// page's whole text, 29.2 MiB, and the build was refused (over Cloudflare's 25 MiB per
/// file). Here 1,001 public pages of ~27,000 characters each (27 MB of text) and one gated
/// page must build; the index names two shards that hold every page once, in URL order,
/// each public page with at most 1,000 characters of its text and the gated one with
/// none, and no file nears the limit.
#[test]
fn search_index_of_a_large_site_is_sharded_and_every_file_fits_cloudflare_limit() {
    let tmp = tempfile::tempdir().unwrap();
    let site = tmp.path().join("site");
    let out = tmp.path().join("dist");
    let body = "lorem ipsum dolor sit amet consectetur ".repeat(700);
    let mut files: Vec<(String, String)> = (0..1001)
        .map(|i| {
            (
                format!("content/posts/p{i:04}.md"),
                format!("---\ntitle: Page {i}\n---\n\nstart{i} {body}\n"),
            )
        })
        .collect();
    files.push((
        "content/posts/secret.md".into(),
        "---\ntitle: Secret\nlevel: member\nsummary: public words\n---\n\nCANARY-SEARCH-7f3a\n"
            .into(),
    ));
    files.push((
        "site.yaml".into(),
        "title: Big\nlevels:\n  - id: member\n    name: Member\n".into(),
    ));
    let files: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    write_files(&site, &files);
    build(&site, &out, &[]);
    let tree = read_tree(&out);
    for (path, bytes) in &tree {
        assert!(bytes.len() < MAX_FILE / 4, "{path}: {} bytes", bytes.len());
    }
    let json = |path: &str| -> serde_json::Value {
        serde_json::from_slice(&tree[path]).unwrap_or_else(|e| panic!("{path}: {e}"))
    };
    let index = json("search.json");
    assert_eq!(index["pages"], 1002);
    assert_eq!(
        index["shards"],
        serde_json::json!(["/search-0.json", "/search-1.json"])
    );
    let entries: Vec<serde_json::Value> = ["search-0.json", "search-1.json"]
        .iter()
        .flat_map(|s| json(s).as_array().unwrap().clone())
        .collect();
    let urls: Vec<&str> = entries.iter().map(|e| e["url"].as_str().unwrap()).collect();
    let mut sorted = urls.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(urls, sorted, "every page once, in URL order");
    assert_eq!(urls.len(), 1002);
    for e in &entries {
        if e["url"] == "/posts/secret/" {
            assert_eq!(e["summary"], "public words");
            assert!(e.get("text").is_none(), "a gated page has no text: {e}");
            continue;
        }
        let text = e["text"].as_str().unwrap();
        let n = e["url"].as_str().unwrap().trim_start_matches("/posts/p");
        let n: usize = n.trim_end_matches('/').parse().unwrap();
        // The page's text from its start, cut between words.
        let whole = format!("start{n} {body}");
        assert!(whole.starts_with(text), "{text}");
        assert_eq!(whole[text.len()..].chars().next(), Some(' '), "{text}");
        let chars = text.chars().count();
        assert!(
            chars <= TEXT_CHARS && chars > TEXT_CHARS - 20,
            "{chars} chars"
        );
    }
    let canary = |bytes: &[u8]| bytes.windows(18).any(|w| w == b"CANARY-SEARCH-7f3a");
    assert!(canary(&tree["_gated/posts/secret/index.html"]));
    for (path, bytes) in &tree {
        assert!(
            !canary(bytes) || path.starts_with("_gated/"),
            "gated text in {path}"
        );
    }
}
