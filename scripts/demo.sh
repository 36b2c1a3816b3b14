#!/usr/bin/env bash
# npm run demo: VS Code in a browser (code-server) with Remote HPC, connected to the sandbox cluster.
# Installs what is missing, builds, starts the sandbox and code-server, prints the URL.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then npm ci --no-audit --no-fund; fi
node esbuild.mjs
bash scripts/sandbox/start.sh
bash scripts/e2e/install.sh
exec node --import tsx scripts/demo.ts
