#!/usr/bin/env bash
# Installs everything lyceum's tests and worker build need, skipping what is already there.
# Safe to run any number of times; the README's commands call it.
#
#   scripts/setup.sh            everything (worker toolchain, npm packages, chromium)
#   scripts/setup.sh --site     only what building and serving a site needs (nothing beyond cargo)
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1msetup:\033[0m %s\n' "$*" >&2; }

[ "${1:-}" = "--site" ] && exit 0

# wasm32 target for the edge worker.
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

bin_version() { "$1" --version 2>/dev/null | awk '{print $2}'; }

# worker-build: the version that matches the `worker` crate (see shared WORKER-TOOLCHAIN facts).
WORKER_BUILD_VERSION=0.8.7
if [ "$(bin_version worker-build)" != "$WORKER_BUILD_VERSION" ]; then
  say "installing worker-build $WORKER_BUILD_VERSION (takes ~6 minutes once)"
  cargo install worker-build --version "$WORKER_BUILD_VERSION" --locked
fi

# wasm-bindgen-cli must equal the wasm-bindgen in Cargo.lock, or it refuses the module.
# Not --locked: its own lockfile pins a crate version the registry no longer serves.
WB_VERSION=$(awk '/^name = "wasm-bindgen"$/ {getline; gsub(/"/, "", $3); print $3; exit}' Cargo.lock)
if [ -n "$WB_VERSION" ] && [ "$(bin_version wasm-bindgen)" != "$WB_VERSION" ]; then
  say "installing wasm-bindgen-cli $WB_VERSION (takes ~6 minutes once)"
  cargo install wasm-bindgen-cli --version "$WB_VERSION"
fi

# Pinned npm tools (wrangler, binaryen's wasm-opt, playwright-core) from package-lock.json.
if ! [ -x node_modules/.bin/wrangler ] || ! cmp -s package-lock.json node_modules/.package-lock.json.stamp 2>/dev/null; then
  say "installing npm packages from package-lock.json"
  npm ci --no-audit --no-fund
  cp package-lock.json node_modules/.package-lock.json.stamp
fi

# Debian's chromium for the real-browser tests.
if ! command -v chromium >/dev/null; then
  say "installing chromium (apt)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium >/dev/null
fi
say "tools ready"
