//! Writes a synthetic site of N pages for benchmarking `lyceum build`:
//! `cargo run --release -p generator --example gen-corpus -- N DIR`.
//!
//! Each page has ~800 words with headings, a table, a code block, a list and a footnote;
//! every third page is gated (alternating `member`/`pro`), half of those with a
//! `<!-- more -->` teaser. Output is deterministic (a fixed-seed generator).

use std::fmt::Write as _;
use std::path::PathBuf;

const WORDS: &[&str] = &[
    "learning",
    "memory",
    "practice",
    "attention",
    "the",
    "of",
    "and",
    "a",
    "to",
    "in",
    "is",
    "that",
    "for",
    "it",
    "with",
    "as",
    "was",
    "on",
    "be",
    "at",
    "by",
    "this",
    "have",
    "from",
    "or",
    "one",
    "had",
    "not",
    "but",
    "what",
    "all",
    "were",
    "when",
    "we",
    "there",
    "can",
    "an",
    "your",
    "which",
    "their",
    "said",
    "if",
    "do",
    "will",
    "each",
    "about",
    "how",
    "up",
    "out",
    "them",
    "then",
    "she",
    "many",
    "some",
    "so",
    "these",
    "would",
    "other",
    "into",
    "has",
    "more",
    "her",
    "two",
    "like",
    "him",
    "see",
    "time",
    "could",
    "no",
    "make",
    "than",
    "first",
    "been",
    "its",
    "who",
    "now",
    "people",
    "my",
    "made",
    "over",
    "did",
    "down",
    "only",
    "way",
    "find",
    "use",
    "may",
    "water",
    "long",
    "little",
    "very",
    "after",
    "words",
    "called",
    "just",
    "where",
    "most",
    "know",
    "deliberate",
    "spaced",
    "repetition",
    "retrieval",
    "interleaving",
    "feedback",
    "expertise",
    "novice",
    "schema",
    "cognitive",
    "load",
    "transfer",
];

/// xorshift64*: tiny, deterministic, good enough for filler text.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn sentence(&mut self, words: usize) -> String {
        let mut s = String::new();
        for i in 0..words {
            let w = WORDS[self.below(WORDS.len())];
            if i == 0 {
                let mut c = w.chars();
                s.extend(c.next().map(|f| f.to_ascii_uppercase()));
                s.push_str(c.as_str());
            } else {
                s.push(' ');
                s.push_str(w);
            }
        }
        s.push('.');
        s
    }
    fn paragraph(&mut self) -> String {
        (0..5)
            .map(|_| {
                let n = 8 + self.below(12);
                self.sentence(n)
            })
            .collect::<Vec<_>>()
            .join(" ")
    }
}

fn page(rng: &mut Rng, i: usize, sections: usize) -> (String, String) {
    let section = i % sections;
    let level = match i % 3 {
        0 => Some(if i.is_multiple_of(2) { "member" } else { "pro" }),
        _ => None,
    };
    let mut md = String::with_capacity(6000);
    let day = 1 + i % 28;
    let month = 1 + (i / 28) % 12;
    let year = 2020 + i / (28 * 12) % 5;
    writeln!(
        md,
        "---\ntitle: \"Page {i}: {}\"\ndate: {year}-{month:02}-{day:02}",
        rng.sentence(4).trim_end_matches('.')
    )
    .unwrap();
    if let Some(level) = level {
        writeln!(md, "level: {level}").unwrap();
    }
    writeln!(
        md,
        "summary: \"{}\"\ntags: [t{}, t{}]\n---\n",
        rng.sentence(14),
        i % 17,
        i % 5
    )
    .unwrap();
    md += &rng.paragraph();
    md += "\n\n";
    if level.is_some() && i.is_multiple_of(2) {
        md += "<!-- more -->\n\n";
    }
    for h in 0..4 {
        writeln!(md, "## {}\n", rng.sentence(3).trim_end_matches('.')).unwrap();
        md += &rng.paragraph();
        md += "\n\n";
        md += &rng.paragraph();
        md += "\n\n";
        match h {
            0 => {
                md += "| step | what | minutes |\n|------|------|---------|\n";
                for r in 0..5 {
                    writeln!(md, "| {r} | {} | {} |", rng.sentence(3), rng.below(90)).unwrap();
                }
                md += "\n";
            }
            1 => {
                md += "```rust\nfn review(cards: &mut Vec<Card>) {\n    for card in cards.iter_mut() {\n        card.interval *= 2;\n    }\n}\n```\n\n";
            }
            2 => {
                for _ in 0..5 {
                    writeln!(md, "- {}", rng.sentence(6)).unwrap();
                }
                md += "\n";
            }
            _ => {
                md += "A claim that needs a source[^1].\n\n[^1]: ";
                md += &rng.sentence(8);
                md += "\n\n";
            }
        }
    }
    (format!("content/s{section:02}/page-{i:05}.md"), md)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(1000);
    let dir = PathBuf::from(
        args.next()
            .unwrap_or_else(|| "/dev/shm/lyceum-corpus".into()),
    );
    let sections = 20;
    if dir.exists() {
        std::fs::remove_dir_all(&dir).expect("remove old corpus");
    }
    std::fs::create_dir_all(dir.join("content")).unwrap();
    std::fs::write(
        dir.join("site.yaml"),
        "title: Bench\nbase_url: https://bench.example\nlanguage: en\nlevels:\n  - {id: member, name: Member, price: 5}\n  - {id: pro, name: Pro, price: 15}\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("content/_index.md"),
        "---\ntitle: Bench home\n---\nWelcome.\n",
    )
    .unwrap();
    for s in 0..sections {
        let d = dir.join(format!("content/s{s:02}"));
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(
            d.join("_index.md"),
            format!("---\ntitle: Section {s}\n---\nSection {s}.\n"),
        )
        .unwrap();
    }
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut bytes = 0;
    for i in 0..n {
        let (path, md) = page(&mut rng, i, sections);
        bytes += md.len();
        std::fs::write(dir.join(path), md).unwrap();
    }
    println!(
        "wrote {n} pages ({:.1} MB) to {}",
        bytes as f64 / 1e6,
        dir.display()
    );
}
