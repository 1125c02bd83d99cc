#!/usr/bin/env bash
# Benchmark (not a test): lyceum's Rust/wasm edge worker against a JavaScript/WebCrypto
# twin (bench/worker) on local `wrangler dev`, for a public page, a gated page allowed
# and a gated page denied; prints workerd CPU µs per request end to end (rust vs js and
# the ratio, with a 95% interval; robust to machine load), each worker's own CPU per
# request measured in one isolate next to a forward-only floor, p50/p99 latency, req/s
# and the wasm size (raw, gzip -9). Loopback only; every wrangler/workerd it starts is
# stopped (also on Ctrl-C). Takes ~3-4 min on a 2-core machine (--only runs one part).
#
#   scripts/bench-worker.sh [--only cpu|isolate|latency] [--devtools] [--cpu-blocks 400]
#                           [--cpu-block 10] [--isolate-rounds 120] [--isolate-n 1000]
#                           [--n 500] [--concurrency 8] [--seconds 5]
# Where the CPU goes, per function: node --experimental-websocket bench/profile.mjs
#   [--scenario allowed|denied|public] (see its header).
# Env: LYCEUM_BIN (prebuilt lyceum), LYCEUM_WORKER_PREBUILT=1 (skip the worker build).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${LYCEUM_WORKER_PREBUILT:-}" != 1 ]; then
  scripts/build-worker.sh
  export LYCEUM_WORKER_PREBUILT=1
fi
exec node bench/run.mjs "$@"
