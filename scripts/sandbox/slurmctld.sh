#!/bin/bash
# Stop or start only the fault cluster's slurmctld (scripts/sandbox/faults-cluster.sh), for the
# controller-outage test; the main cluster, and so every other test, is untouched.
#   sudo bash scripts/sandbox/slurmctld.sh stop [GUARD_S] | start | ensure
# `stop GUARD_S` also leaves a detached guard that starts it again after GUARD_S seconds (when the
# rest of the sandbox still runs), so a test killed mid-outage cannot leave the fault cluster
# without its controller; `start` and `ensure` end that guard, start the controller when it is not
# running (as start.sh does) and wait until `scontrol ping` says UP (`ensure` is `start`, kept as
# the name a `finally` calls). Jobs survive the stop (StateSaveLocation); slurmdbd keeps running.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
GUARD_PID="$RUN/slurmctld-guard.pid"
GUARD_LOG="$LOGD/slurmctld-guard.log"

# The guard is this script run as `guard N`: only that process is ended (pid and command line checked).
end_guard() {
  local pid
  [[ -s $GUARD_PID ]] && pid="$(<"$GUARD_PID")" || return 0
  if [[ $pid =~ ^[0-9]+$ ]] && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "slurmctld.sh guard "; then
    # its own session (setsid): the group takes its `sleep` along
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  fi
  rm -f "$GUARD_PID"
}

start_ctld() {
  end_guard
  start_faults_ctld
}

case ${1:-} in
  stop)
    require_root
    guard=${2:-}
    [[ -z $guard || $guard =~ ^[0-9]+$ ]] || die "stop GUARD_S: seconds, got '$guard'"
    stop_daemon slurmctld-faults 30
    if [[ -n $guard ]]; then
      end_guard
      (
        # Nothing inherited may live on in the guard: not our lock (fd 9), nor a test runner's.
        for fd in /proc/self/fd/*; do
          fd=${fd##*/}
          if ((fd > 2)); then exec {fd}>&- || true; fi
        done
        exec setsid bash "${BASH_SOURCE[0]}" guard "$guard" </dev/null >>"$GUARD_LOG" 2>&1
      ) &
      echo "$!" >"$GUARD_PID"
      log "slurmctld guard (pid $!): started again in ${guard}s unless started before"
    fi
    ;;
  start | ensure)
    require_root
    start_ctld
    ;;
  guard)
    [[ ${2:-} =~ ^[0-9]+$ ]] || die "guard N"
    sleep "$2"
    # Not ours to end any more (started again, or the whole sandbox stopped): nothing to do.
    [[ -s $GUARD_PID ]] || exit 0
    rm -f "$GUARD_PID"
    daemon_alive munged && daemon_alive slurmdbd && daemon_alive sshd-faults || exit 0
    require_root
    log "guard: the fault cluster's slurmctld still stopped after ${2}s: starting it"
    start_faults_ctld
    ;;
  *) die "usage: $0 stop [GUARD_S] | start | ensure" ;;
esac
echo OK
