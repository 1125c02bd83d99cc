#!/usr/bin/env bash
# Every test lyceum has, from a fresh clone: installs what is missing (scripts/setup.sh),
# runs the Rust tests (gate + generator, through the real `lyceum` binary), builds the
# edge worker with worker-build, runs the worker's end-to-end suite on a real local
# workerd (`wrangler dev`), the member flow in headless Chromium, and checkers written by
# others (feed and sitemap schemas, the Nu Html Checker, axe-core) on the demo's output.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n\033[1m== %s\033[0m\n' "$*" >&2; }

step "setup"
scripts/setup.sh

step "module graph of generator/src has no cycles (scripts/module-graph.sh)"
scripts/module-graph.sh >/dev/null

step "format and lints (rustfmt, clippy; the edge worker's clippy on wasm32)"
cargo fmt --all --check
cargo clippy --locked --all-targets -- -D warnings
cargo clippy --locked -p edge-worker --target wasm32-unknown-unknown -- -D warnings

# Authors write on macOS and Windows too. A check runs every build script, and psm's
# assembles one .s file for the target: clang does that for macOS (no SDK needed).
step "generator compiles for macOS and Windows (cargo check)"
CC_aarch64_apple_darwin=clang cargo check --locked -p generator --all-targets --target aarch64-apple-darwin
cargo check --locked -p generator --all-targets --target x86_64-pc-windows-gnu

step "test vectors and fixtures kept in the repository equal their sources in ../shared"
for f in $(cd edge-worker/gate/tests/vectors && find . -type f | sort); do
  cmp "edge-worker/gate/tests/vectors/$f" "../shared/external/$f"
done
for f in SOURCE.md objects.json; do
  cmp "edge-worker/members/tests/fixtures/stripe/$f" "../shared/fixtures/stripe/$f"
done

step "rust tests (gate, generator, edge worker's native unit tests)"
cargo test --locked
cargo test --locked -p edge-worker --lib

step "gate and members build for wasm32"
cargo check --locked -p gate -p members --target wasm32-unknown-unknown

step "edge worker build (worker-build)"
scripts/build-worker.sh

step "lyceum release binary for the end-to-end suites"
cargo build --locked --release -p generator
export LYCEUM_BIN="$PWD/target/release/lyceum"
export LYCEUM_WORKER_PREBUILT=1

step "worker end-to-end on local workerd (wrangler dev)"
node --test tests/e2e/

if [ -d tests/browser ]; then
  step "member flow in headless chromium"
  node --test tests/browser/
fi

step "checkers written by others on the demo's output (RFC 4287 + sitemaps.org schemas, vnu, axe)"
# The tools and schemas are in ../shared/external (read-only; nothing is written there).
checked=$(mktemp -d)
trap 'rm -rf "$checked"' EXIT
"$LYCEUM_BIN" --quiet build --out "$checked/dist"
node tests/checkers/check-site.mjs "$checked/dist"
# ...and they can fail: shared's deliberately broken sample page must not pass.
if node tests/checkers/check-site.mjs "${LYCEUM_SHARED:-../shared}/external/a11y-html/sample-site" \
     --only=vnu,axe >"$checked/broken.txt" 2>&1; then
  cat "$checked/broken.txt"; echo "the checkers passed a broken page"; exit 1
fi
