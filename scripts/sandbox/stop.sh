#!/bin/bash
# Stop everything scripts/sandbox/start.sh started (by recorded PID files).
# Cancels leftover jobs first. Leaves packages, configs, DB and keys in place.
# Idempotent.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_root

if [[ ! -d $RUN ]]; then
  log "nothing to stop"
  exit 0
fi

# 1. cancel leftover jobs while the controller is still up
if daemon_alive slurmctld && daemon_alive munged; then
  if check_slurmctld >/dev/null 2>&1; then
    scancel -u "$SANDBOX_USER" 2>/dev/null || true
    scancel -u root 2>/dev/null || true
    deadline=$(($(now_ms) + 15000))
    while [[ -n "$(timeout 5 squeue -h -o %i 2>/dev/null -t PD,R,CG,S,CF)" ]]; do
      (($(now_ms) < deadline)) || { log "jobs still present after 15 s; continuing"; break; }
      sleep 0.2
    done
  fi
fi

sge_delete_jobs
faults_cancel_jobs
umount_full_disk

# 2. daemons in reverse start order
for ((i = ${#DAEMON_ORDER[@]} - 1; i >= 0; i--)); do
  name=${DAEMON_ORDER[$i]}
  case $name in
    sshd-*)
      # sshd-main -> sessions of sshd-hpc-main ($PAM_MAIN) etc.
      stop_daemon "$name" 10
      kill_sshd_sessions "sshd-hpc-${name#sshd-}"
      ;;
    mariadbd | slurmctld | slurmdbd) stop_daemon "$name" 30 ;;
    *) stop_daemon "$name" 15 ;;
  esac
done

# 3. leftover processes of the sandbox-only test user (sftp-server, shells,
#    job steps of cancelled jobs)
if id "$SANDBOX_USER" >/dev/null 2>&1; then
  pids="$(ps -u "$SANDBOX_USER" -o pid= 2>/dev/null | tr -s ' \n' ' ' || true)"
  if [[ -n ${pids// /} ]]; then
    # shellcheck disable=SC2086
    kill -TERM $pids 2>/dev/null || true
    for _ in $(seq 50); do
      [[ -n "$(ps -u "$SANDBOX_USER" -o pid= 2>/dev/null)" ]] || break
      sleep 0.1
    done
    pids="$(ps -u "$SANDBOX_USER" -o pid= 2>/dev/null | tr -s ' \n' ' ' || true)"
    # shellcheck disable=SC2086
    [[ -z ${pids// /} ]] || kill -KILL $pids 2>/dev/null || true
  fi
fi

rm -f "$RUN/sshd-main.hostkey"
log "stopped in $(($(now_ms) - T0)) ms"
