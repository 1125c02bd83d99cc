#!/usr/bin/env bash
# Benchmark (not a test): time from saving one page of a 10,000-page site until
# `lyceum serve` serves the changed page.
#
#   scripts/bench-serve.sh [PAGES] [ROUNDS]      (defaults: 10000 pages, 10 rounds)
#
# Generates the corpus with the generator's `gen-corpus` example (the one
# scripts/bench-build.sh uses with CORPUS=gen), starts a release `lyceum serve --as pro` on a free
# port, then ROUNDS times: append a unique marker to one page, and poll the page's URL
# until the marker is served. Prints each round and min / median / max in ms, plus
# the server's own "changed pages ready in N ms" figures.
# Env: CORPUS (default /dev/shm/lyceum-bench-serve if /dev/shm exists, else a temp dir),
#      PROFILE (default release).
set -euo pipefail

PAGES=${1:-10000}
ROUNDS=${2:-10}
PROFILE=${PROFILE:-release}
here=$(cd "$(dirname "$0")/.." && pwd)
if [[ -d /dev/shm ]]; then base=/dev/shm; else base=${TMPDIR:-/tmp}; fi
CORPUS=${CORPUS:-$base/lyceum-bench-serve}
OUT="$CORPUS.serve-out"
LOG=$(mktemp)

cd "$here"
flag=(); [[ $PROFILE == release ]] && flag=(--release)
echo "building lyceum and gen-corpus ($PROFILE)..." >&2
cargo build -q "${flag[@]}" -p generator --bin lyceum --example gen-corpus
bin="$here/target/$PROFILE/lyceum"
gen="$here/target/$PROFILE/examples/gen-corpus"

"$gen" "$PAGES" "$CORPUS" >&2

"$bin" serve --root "$CORPUS" --out "$OUT" --port 0 --as pro >"$LOG" 2>&1 &
pid=$!
cleanup() { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$OUT" "$LOG"; }
trap cleanup EXIT

for _ in $(seq 1 1200); do
  grep -q '^  watching' "$LOG" && break
  kill -0 "$pid" 2>/dev/null || { cat "$LOG" >&2; exit 1; }
  sleep 0.1
done
origin=$(sed -n 's/^ *serving *\(http[^ ]*\)\/$/\1/p' "$LOG" | head -1)
[[ -n $origin ]] || { cat "$LOG" >&2; echo "serve did not start" >&2; exit 1; }
grep -m1 '^lyceum serve: built' "$LOG" >&2

# Page 1 of the corpus: content/s01/page-00001.md at /s01/page-00001/.
page="$CORPUS/content/s01/page-00001.md"
url="$origin/s01/page-00001/"
curl -fsS -o /dev/null "$url"

now_ns() { date +%s%N; }
times=()
for round in $(seq 1 "$ROUNDS"); do
  marker="BENCH-MARK-$round-$RANDOM$RANDOM"
  sleep 0.3   # let the previous round's list and feed writes finish
  t0=$(now_ns)
  printf '\n%s\n' "$marker" >>"$page"
  until curl -fsS "$url" 2>/dev/null | grep -q "$marker"; do
    if (( ($(now_ns) - t0) > 30000000000 )); then echo "round $round: not served after 30 s" >&2; exit 1; fi
  done
  t1=$(now_ns)
  ms=$(( (t1 - t0) / 1000000 ))
  times+=("$ms")
  echo "round $round: ${ms} ms"
done

sorted=($(printf '%s\n' "${times[@]}" | sort -n))
n=${#sorted[@]}
echo "edit-to-served over $n rounds, $PAGES pages: min ${sorted[0]} ms, median ${sorted[$((n / 2))]} ms, max ${sorted[$((n - 1))]} ms"
echo "server's own timings (from the file event to the page on disk / to all files written):"
grep -E '^(updated|full rebuild):' "$LOG" | tail -n "$ROUNDS" | sed 's/^/  /'
