#!/usr/bin/env bash
# npm run bench: every benchmark against the sandbox, each printing a side-by-side table.
# BENCH="listing transfer" runs a subset. Results are also written to bench/results/*.json.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d node_modules ]; then npm ci --no-audit --no-fund; fi
bash scripts/sandbox/start.sh >/dev/null
for b in ${BENCH:-listing transfer scheduler gallery tail agent-footprint}; do
  printf '\n##### bench/%s.ts\n' "$b"
  node --import tsx "bench/$b.ts"
done
