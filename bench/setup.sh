#!/usr/bin/env bash
# Set-up and suite figures for the README ("Set-up and suite" table):
#   - sandbox start when it is already running (scripts/sandbox/start.sh)
#   - .vsix size and file count (npm run package)
# With SETUP_FULL=1 also (minutes each; on a machine where no sandbox runs yet, as the fresh clone starts its own):
#   - code-server + Node 24 install from the npm registry into a throwaway E2E_CACHE_DIR
#   - npm test from a fresh clone of this repository (install, build, lint, sandbox, code-server, every test)
# Prints a table; writes bench/results/setup.json.
set -euo pipefail
cd "$(dirname "$0")/.."
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
rows=()

t0=$(now); bash scripts/sandbox/start.sh >/dev/null; t1=$(now)
rows+=("Sandbox start, already running|$(secs "$t0" "$t1") s")

npm run --silent package >/tmp/rhpc-setup-package.log 2>&1
# vsce's own summary: "Packaged: …/remote-hpc-0.1.0.vsix (18 files, 388.17 KB)"
summary=$(grep -o '([0-9]* files, [0-9.]* [KM]B)' /tmp/rhpc-setup-package.log | tail -1)
rows+=("\`.vsix\` ${summary%%,*})|$(echo "$summary" | awk '{ v = $3; if ($4 ~ /^KB/) v /= 1024; printf "%.2f MB", v }')")
rm -f remote-hpc-*.vsix

if [ "${SETUP_FULL:-0}" = 1 ]; then
  tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
  t0=$(now); E2E_CACHE_DIR="$tmp/e2e" bash scripts/e2e/install.sh >/dev/null 2>&1; t1=$(now)
  rows+=("code-server + Node 24 install from the npm registry|$(secs "$t0" "$t1") s")
  git clone -q . "$tmp/clone"
  t0=$(now); (cd "$tmp/clone" && npm test >"$tmp/npm-test.log" 2>&1); t1=$(now)
  tests=$(grep -E '^ℹ tests' "$tmp/npm-test.log" | tail -1 | awk '{print $3}')
  rows+=("\`npm test\` from a fresh clone ($tests tests)|$(secs "$t0" "$t1") s")
fi

printf '| What | Value |\n|---|---|\n'
json='['
for r in "${rows[@]}"; do
  printf '| %s | %s |\n' "${r%%|*}" "${r#*|}"
  json+=$(printf '{"what":"%s","value":"%s"},' "${r%%|*}" "${r#*|}" | sed 's/`//g')
done
mkdir -p bench/results
printf '%s]\n' "${json%,}" > bench/results/setup.json
