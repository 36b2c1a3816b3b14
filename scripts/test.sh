#!/usr/bin/env bash
# npm test: the whole suite from a fresh clone. Installs what is missing, builds and checks,
# starts the sandbox cluster if it is not running, runs unit + integration + e2e tests in one
# Node test runner (one summary), and stops what it started.
set -euo pipefail
cd "$(dirname "$0")/.."
t0=$(date +%s)
log() { printf '\n=== %s (+%ss)\n' "$*" "$(( $(date +%s) - t0 ))"; }

log "npm packages"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then npm ci --no-audit --no-fund; fi

log "tools the tests run on this machine"
# Local previews (ffmpeg, Pillow for /usr/bin/python3, ImageMagick), the TOTP and ssh-agent tests.
# test/support/prerequisites.ts fails, not skips, when one is missing under REMOTE_HPC_REQUIRE_ALL=1.
# kinit/klist and nc for the sandbox's Kerberos and ProxyCommand hosts (start.sh installs them too).
# chromium, libkrb5-dev and a C++ toolchain for scripts/e2e/install.sh (code-server's native modules).
need=(ffmpeg python3 python3-pil imagemagick oathtool openssh-client krb5-user netcat-openbsd chromium libkrb5-dev g++ make)
mapfile -t missing < <(for p in "${need[@]}"; do dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null | grep -q '^ii' || echo "$p"; done)
if ((${#missing[@]})); then
  sudo=(); [ "$(id -u)" = 0 ] || sudo=(sudo)
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=600 "${missing[@]}"
fi

# code-server and chromium for the e2e tests: installed in the background (a few minutes the
# first time, mostly compiling native modules) while the build, the sandbox and the unit and
# integration tests run; the e2e test files wait for it (test/support/prerequisites.ts).
log "code-server and chromium for the e2e tests (in the background)"
mkdir -p .cache
export REMOTE_HPC_E2E_INSTALL_LOG="$PWD/.cache/e2e-install.log"
bash scripts/e2e/install.sh >"$REMOTE_HPC_E2E_INSTALL_LOG" 2>&1 &
install_pid=$!

log "build, type-check, lint"
node esbuild.mjs
npm run --silent check

log "sandbox cluster"
started_sandbox=0
asroot=(); [ "$(id -u)" = 0 ] || asroot=(sudo)
bash scripts/sandbox/status.sh >/dev/null 2>&1 || started_sandbox=1
# Also when it runs (then in ~0.5 s): renews the short-lived user certificate and the Kerberos
# ticket when under an hour is left, so the whole suite has valid ones.
"${asroot[@]}" bash scripts/sandbox/start.sh
cleanup() { [ "$started_sandbox" = 1 ] && "${asroot[@]}" bash scripts/sandbox/stop.sh || true; }
trap cleanup EXIT

log "tests"
status=0
REMOTE_HPC_REQUIRE_ALL=1 node scripts/run-tests.mjs ${TEST_SUITES:-unit integration e2e} || status=$?
if ! wait "$install_pid"; then
  echo "scripts/e2e/install.sh failed; its log ($REMOTE_HPC_E2E_INSTALL_LOG) ends:" >&2
  tail -n 30 "$REMOTE_HPC_E2E_INSTALL_LOG" >&2
  status=1
fi
grep -h '^\[e2e-install\] \(done\|already\)' "$REMOTE_HPC_E2E_INSTALL_LOG" || true
log "done"
exit "$status"
