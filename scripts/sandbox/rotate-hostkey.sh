#!/bin/bash
# Restart the main sshd (127.0.0.1:2222) with the ALTERNATIVE host key, so
# clients using .sandbox/known_hosts see a host key mismatch.
#   --new            generate a fresh alternative key first (details.json's
#                    altHostKeyFingerprint is updated)
#   --keep-sessions  do not drop live sessions on 2222
# Undo with scripts/sandbox/restart-sshd.sh (start.sh also restores it).
# Prints the new fingerprint, then READY.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_root
new=0 keep=
for a in "$@"; do
  case $a in
    --new) new=1 ;;
    --keep-sessions) keep=--keep-sessions ;;
    *) die "usage: $0 [--new] [--keep-sessions]" ;;
  esac
done
if ((new)); then
  rm -f "$HOSTKEY_ALT" "$HOSTKEY_ALT.pub"
  ssh-keygen -q -t ed25519 -N '' -C "remote-hpc-sandbox-alt-host" -f "$HOSTKEY_ALT"
  chmod 600 "$HOSTKEY_ALT"
  write_details
fi
restart_main_sshd "$HOSTKEY_ALT" "$keep"
# the server must now present the alternative key
wait_for "ssh login with alternative host key" 20 "$LOGD/sshd-main.log" sshd-main \
  timeout 15 ssh -F "$SSH_CONFIG" -o BatchMode=yes -o ConnectTimeout=5 \
  -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR hpc-sandbox true
fp="$(fingerprint "$HOSTKEY_ALT.pub")"
log "sshd-main now uses the alternative host key $fp"
echo "$fp"
echo READY
