#!/usr/bin/env bash
# Benchmark (not a test): lyceum's Rust/wasm edge worker against a JavaScript/WebCrypto
# twin (bench/worker) on local `wrangler dev`, for a public page, a gated page allowed
# and a gated page denied; prints p50/p99 latency, req/s and the wasm size.
#
#   scripts/bench-worker.sh [--n 500] [--concurrency 8] [--seconds 5]
# Env: LYCEUM_BIN (prebuilt lyceum), LYCEUM_WORKER_PREBUILT=1 (skip the worker build).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${LYCEUM_WORKER_PREBUILT:-}" != 1 ]; then
  scripts/build-worker.sh
  export LYCEUM_WORKER_PREBUILT=1
fi
exec node bench/run.mjs "$@"
