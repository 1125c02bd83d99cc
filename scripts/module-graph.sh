#!/usr/bin/env bash
# The module dependency graph of generator/src; exits 1 on a cycle (scripts/module-graph.py).
exec python3 "$(dirname "$0")/module-graph.py" "$@"
