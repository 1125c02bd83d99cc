#!/usr/bin/env python3
"""Write the anchor corpus as a lyceum site (and keep its Hugo tree for comparison).

Usage: scripts/anchor-site.py N OUT

Runs ../shared/bench/anchor_corpus.py N OUT/corpus (the corpus on which Zola and Hugo
were measured, see ../shared/bench/README.md), then writes OUT/site: the same markdown
with `level: 0/1/2` turned into no level / `member` / `pro`, and a site.yaml with those
two levels. OUT/corpus/hugo stays as the corpus wrote it (Hugo builds it with its lean
config); the Zola and mdBook flavours are deleted. Deterministic: same N, same bytes.
"""
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.environ.get(
    "ANCHOR_CORPUS", os.path.join(HERE, "..", "..", "shared", "bench", "anchor_corpus.py")
)
LEVELS = {"0": None, "1": "member", "2": "pro"}
SITE_YAML = """title: Bench
base_url: https://example.org
language: en
levels:
  - id: member
    name: Member
  - id: pro
    name: Pro
"""


def convert(text):
    """The Hugo flavour's front matter with lyceum's level ids (level 0: public)."""
    head, sep, body = text.partition("\n---\n")
    lines = []
    for line in head.split("\n"):
        if line.startswith("level: "):
            level = LEVELS[line[len("level: "):].strip()]
            if level is None:
                continue
            line = "level: " + level
        lines.append(line)
    return "\n".join(lines) + sep + body


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    n, out = int(sys.argv[1]), sys.argv[2]
    corpus = os.path.join(out, "corpus")
    subprocess.run([sys.executable, CORPUS, str(n), corpus], check=True, stdout=sys.stderr)
    # Only the Hugo flavour is used (as lyceum's source and for Hugo itself): the Zola and
    # mdBook copies would only fill the tmpfs (~1 GB each at 100,000 pages).
    for unused in ("zola", "mdbook"):
        subprocess.run(["rm", "-rf", os.path.join(corpus, unused)], check=True)
    site = os.path.join(out, "site")
    posts = os.path.join(site, "content", "posts")
    if os.path.exists(site):
        subprocess.run(["rm", "-rf", site], check=True)
    os.makedirs(posts)
    with open(os.path.join(site, "site.yaml"), "w", encoding="utf-8") as f:
        f.write(SITE_YAML)
    with open(os.path.join(site, "content", "_index.md"), "w", encoding="utf-8") as f:
        f.write('---\ntitle: "Bench"\n---\n')
    src = os.path.join(corpus, "hugo", "content", "posts")
    for name in sorted(os.listdir(src)):
        with open(os.path.join(src, name), encoding="utf-8") as f:
            text = f.read()
        with open(os.path.join(posts, name), "w", encoding="utf-8", newline="\n") as f:
            f.write(text if name == "_index.md" else convert(text))
    print("lyceum site: %s (%d pages)" % (site, n), file=sys.stderr)


if __name__ == "__main__":
    main()
