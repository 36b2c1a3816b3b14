#!/bin/bash
# Restart the main sshd (127.0.0.1:2222) with its ORIGINAL host key.
# By default live sessions on 2222 are dropped too (simulates a server
# restart / network loss for reconnect tests); pass --keep-sessions to keep
# them (like a real `systemctl restart ssh`). Prints READY when listening.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_root
case ${1:-} in
  "" | --keep-sessions) ;;
  *) die "usage: $0 [--keep-sessions]" ;;
esac
restart_main_sshd "$HOSTKEY_MAIN" "${1:-}"
wait_for "ssh login hpc-sandbox" 20 "$LOGD/sshd-main.log" sshd-main check_ssh_main
log "sshd-main restarted with original host key $(fingerprint "$HOSTKEY_MAIN.pub")"
echo READY
