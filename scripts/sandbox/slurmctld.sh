#!/bin/bash
# Stop or start only the sandbox's slurmctld (fault tests: the controller down for a while).
#   sudo bash scripts/sandbox/slurmctld.sh stop|start|ensure
# `start` and `ensure` wait until `scontrol ping` says UP; `ensure` does nothing when it is.
# Jobs survive the stop (StateSaveLocation); slurmd and slurmdbd keep running.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_root
case ${1:-} in
  stop) stop_daemon slurmctld 30 ;;
  start | ensure)
    if ! daemon_alive slurmctld; then
      spawn slurmctld "$LOGD/slurmctld.log" /usr/sbin/slurmctld -D
    fi
    wait_for "slurmctld" 60 "$LOGD/slurmctld.log" slurmctld check_slurmctld
    ;;
  *) die "usage: $0 stop|start|ensure" ;;
esac
echo OK
