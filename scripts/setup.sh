#!/usr/bin/env bash
# The one place that installs lyceum's tools, each step skipped when already satisfied.
# Safe to run any number of times.
#
#   scripts/setup.sh            everything: the worker toolchain, chromium, the output
#                               checkers' tools (java for vnu, jing, xmllint, python3), and
#                               what the `cargo check` for macOS and Windows needs (their
#                               Rust targets, and clang to assemble psm's one .s file)
#   scripts/setup.sh --worker   only what building and running the edge worker needs:
#                               the wasm32 target, worker-build, wasm-bindgen-cli equal to
#                               Cargo.lock's wasm-bindgen, and the pinned npm packages
#                               (wrangler, binaryen's wasm-opt, playwright-core; axe-core
#                               and vnu-jar come with them, from the same lockfile)
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1msetup:\033[0m %s\n' "$*" >&2; }
# The last word of `TOOL --version` (worker-build prints just `0.8.7`, wasm-bindgen `wasm-bindgen 0.2.130`).
bin_version() { "$1" --version 2>/dev/null | awk '{print $NF}'; }

# rustfmt and clippy come with rustup's default profile, not with a minimal one.
for component in rustfmt clippy; do
  if ! rustup component list --installed | grep -q "^$component"; then
    say "adding the $component component"
    rustup component add "$component"
  fi
done

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# The version that matches the `worker` crate (0.8.7).
WORKER_BUILD_VERSION=0.8.7
if [ "$(bin_version worker-build)" != "$WORKER_BUILD_VERSION" ]; then
  say "installing worker-build $WORKER_BUILD_VERSION (~6 minutes, once)"
  cargo install worker-build --version "$WORKER_BUILD_VERSION" --locked
fi

# wasm-bindgen-cli must equal Cargo.lock's wasm-bindgen, or it refuses the module.
# Not --locked: its own lockfile pins a crate version the registry no longer serves.
WB_VERSION=$(awk '/^name = "wasm-bindgen"$/ {getline; gsub(/"/, "", $3); print $3; exit}' Cargo.lock)
if [ -z "$WB_VERSION" ]; then
  say "no wasm-bindgen in Cargo.lock"; exit 1
fi
if [ "$(bin_version wasm-bindgen)" != "$WB_VERSION" ]; then
  say "installing wasm-bindgen-cli $WB_VERSION (~6 minutes, once)"
  cargo install wasm-bindgen-cli --version "$WB_VERSION"
fi

apt_install() { # PACKAGE...
  say "installing $* (apt)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "$@" >/dev/null
}

# Java for the Nu Html Checker (npm's vnu-jar), before npm: without one, vnu-jar's
# install script would download a JRE.
command -v java >/dev/null || apt_install default-jre-headless

# npm keeps its own record of the installed tree in node_modules/.package-lock.json.
if ! [ -x node_modules/.bin/wrangler ] || ! [ -x node_modules/.bin/wasm-opt ] \
   || ! [ -d node_modules/playwright-core ] || ! [ -f node_modules/axe-core/axe.min.js ] \
   || ! [ -f node_modules/vnu-jar/build/dist/vnu.jar ] \
   || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm packages from package-lock.json"
  npm ci --no-audit --no-fund
fi

[ "${1:-}" = "--worker" ] && exit 0

# The generator is checked for the systems authors write on (scripts/test.sh).
for target in aarch64-apple-darwin x86_64-pc-windows-gnu; do
  if ! rustup target list --installed | grep -qx "$target"; then
    say "adding the $target target (for cargo check)"
    rustup target add "$target"
  fi
done

# Debian's chromium for the real-browser tests and axe (playwright-core drives it; it
# never downloads a browser of its own), a small CJK font so screenshots of the bilingual
# demo are legible, and what ../shared/external/feeds-sitemaps/validate-feeds.sh runs:
# jing (RELAX NG), xmllint (XSD) and python3.
missing=()
command -v chromium >/dev/null || missing+=(chromium)
dpkg -s fonts-wqy-microhei >/dev/null 2>&1 || missing+=(fonts-wqy-microhei)
command -v jing >/dev/null || missing+=(jing)
command -v xmllint >/dev/null || missing+=(libxml2-utils)
command -v python3 >/dev/null || missing+=(python3)
# The macOS check runs build scripts, and psm's (tera → pest → pest_stack_guard → psm)
# assembles a .s file for the target; Debian's clang targets macOS with no SDK for that.
command -v clang >/dev/null || missing+=(clang)
# The Windows check compiles SQLite (bundled, for `lyceum serve`'s members) for the target.
command -v x86_64-w64-mingw32-gcc >/dev/null || missing+=(gcc-mingw-w64-x86-64)
[ ${#missing[@]} -eq 0 ] || apt_install "${missing[@]}"
say "tools ready"
