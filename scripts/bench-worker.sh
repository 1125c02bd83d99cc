#!/usr/bin/env bash
# Benchmark (not a test): lyceum's Rust/wasm edge worker against a JavaScript/WebCrypto
# twin (bench/worker) on local `wrangler dev`, for a public page, a gated page allowed
# and a gated page denied; prints workerd CPU µs per request (rust vs js, and the
# ratio; robust to machine load), p50/p99 latency, req/s and the wasm size (raw, gzip -9).
# Loopback only; every wrangler/workerd it starts is stopped (also on Ctrl-C).
# Takes ~6-8 min on a loaded 2-core machine (--only cpu|latency runs one part).
#
#   scripts/bench-worker.sh [--cpu-blocks 40] [--cpu-block 50] [--n 500] [--concurrency 8]
#                           [--seconds 5] [--only cpu|latency]
# Env: LYCEUM_BIN (prebuilt lyceum), LYCEUM_WORKER_PREBUILT=1 (skip the worker build).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${LYCEUM_WORKER_PREBUILT:-}" != 1 ]; then
  scripts/build-worker.sh
  export LYCEUM_WORKER_PREBUILT=1
fi
exec node bench/run.mjs "$@"
