#!/usr/bin/env bash
# Builds the edge worker (edge-worker/build/index.js + index_bg.wasm) with worker-build,
# offline-safe: every tool worker-build would download is provided locally.
# Installs what is missing first (each step is skipped when already satisfied):
#   wasm32 target, worker-build 0.8.7, wasm-bindgen-cli == Cargo.lock's wasm-bindgen,
#   npm packages (wrangler, binaryen's wasm-opt, esbuild) from package-lock.json.
# Prints the wasm size, raw and gzip -9.
#
#   scripts/build-worker.sh            install if needed, then build
#   scripts/build-worker.sh --tools    only install the tools
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

say() { printf '\033[1mbuild-worker:\033[0m %s\n' "$*" >&2; }
bin_version() { "$1" --version 2>/dev/null | awk '{print $2}'; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

WORKER_BUILD_VERSION=0.8.7
if [ "$(bin_version worker-build)" != "$WORKER_BUILD_VERSION" ]; then
  say "installing worker-build $WORKER_BUILD_VERSION (~6 minutes, once)"
  cargo install worker-build --version "$WORKER_BUILD_VERSION" --locked
fi

# wasm-bindgen-cli must be exactly Cargo.lock's wasm-bindgen, or it refuses the module.
# Not --locked: its own lockfile pins a crate version the registry no longer serves.
WB_VERSION=$(awk '/^name = "wasm-bindgen"$/ {getline; gsub(/"/, "", $3); print $3; exit}' Cargo.lock)
if [ -z "$WB_VERSION" ]; then
  say "no wasm-bindgen in Cargo.lock"; exit 1
fi
if [ "$(bin_version wasm-bindgen)" != "$WB_VERSION" ]; then
  say "installing wasm-bindgen-cli $WB_VERSION (~6 minutes, once)"
  cargo install wasm-bindgen-cli --version "$WB_VERSION"
fi

if ! [ -x node_modules/.bin/wrangler ] || ! [ -x node_modules/.bin/wasm-opt ] \
   || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm packages from package-lock.json"
  npm ci --no-audit --no-fund
fi

[ "${1:-}" = "--tools" ] && exit 0

export WASM_BINDGEN_BIN="$(command -v wasm-bindgen)"
export WASM_OPT_BIN="$ROOT/node_modules/.bin/wasm-opt"
export ESBUILD_BIN="$ROOT/node_modules/@esbuild/linux-x64/bin/esbuild"
if ! [ -x "$ESBUILD_BIN" ]; then
  # Other platforms: wrangler's esbuild dependency ships the native binary here.
  ESBUILD_BIN="$(node -p "require.resolve('esbuild/bin/esbuild', {paths: [require.resolve('wrangler')]})" 2>/dev/null || true)"
fi

say "worker-build --release (wasm-bindgen $WB_VERSION)"
cd edge-worker
worker-build --release

WASM=build/index_bg.wasm
raw=$(wc -c <"$WASM")
gz=$(gzip -9 -c "$WASM" | wc -c)
say "$(awk -v r="$raw" -v g="$gz" -v f="$WASM" 'BEGIN { printf "wasm %s: %d bytes raw, %d bytes gzip -9 (%.1f KiB)", f, r, g, g / 1024 }')"
