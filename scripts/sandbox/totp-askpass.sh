#!/bin/bash
# SSH_ASKPASS helper: answers any prompt with the current TOTP code of the
# sandbox 2FA secret. Usage:
#   SSH_ASKPASS=scripts/sandbox/totp-askpass.sh SSH_ASKPASS_REQUIRE=force \
#     ssh -F .sandbox/ssh_config -o BatchMode=no hpc-sandbox-2fa hostname </dev/null
set -euo pipefail
dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/.sandbox/secrets"
exec /usr/bin/oathtool --totp "$(cat "$dir/totp.hex")"
