# shellcheck shell=bash
# The sandbox's second cluster (issue 13): Grid Engine (Debian's gridengine 8.1.9), a real
# sge_qmaster and sge_execd on 127.0.0.1:6444/6445 with one queue all.q (8 slots) on host
# "localhost", and its own sshd on 127.0.0.1:2230 (alias hpc-sandbox-sge). Sourced by lib.sh
# (daemon table), start.sh (start_gridengine), stop.sh and status.sh; run directly
# (`sudo bash scripts/sandbox/gridengine.sh [start|stop|check]`) it starts or stops only this part.
#
# Layout: SGE_ROOT=$SB/sge (symlinks to the packaged bin/lib/util), cell "sandbox" with classic
# spooling in $SB/sge/spool. The packages' own cell (/var/lib/gridengine/default) is not used:
# debconf is preseeded not to create one.
#
# What sessions of the 2230 sshd see: sshd's SetEnv gives them SGE_ROOT, SGE_CELL, the two
# ports and a PATH whose first entry is $SB/sge/path, a farm of symlinks to /usr/bin minus
# SLURM's client commands (/usr/bin itself is not on that PATH). So `command -v sbatch` fails
# there and the extension's probe (src/core/scheduler/detect.ts) finds qconf: Grid Engine.
# A login shell (the extension's agent starts in `$SHELL -lc`) re-reads /etc/profile, which
# resets PATH; /etc/profile.d/remote-hpc-sge.sh then puts the Grid Engine PATH back when sshd
# gave the session REMOTE_HPC_SGE_PATH (only the 2230 sshd does), as a site's profile.d/sge.sh
# would. Sessions of the other sshds are untouched.

# Run directly: this part alone (the rest of the sandbox must be set up already).
if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  source "$(dirname "${BASH_SOURCE[0]}")/lib.sh" # sources this file for the definitions
  require_root
  source "$SCRIPT_DIR/auth-hosts.sh" # pam_sshd_stack
  case ${1:-start} in
    start) start_gridengine && echo READY ;;
    stop) stop_gridengine ;;
    check) check_sge_queue && check_ssh_sge && echo OK ;;
    *) die "usage: $0 [start|stop|check]" ;;
  esac
  exit
fi

SGE_DIR="$(readlink -f "$SB")/sge" # the real path: it goes into the sessions' environment
SGE_CELL_NAME=sandbox
SGE_QMASTER_PORT_NO=6444
SGE_EXECD_PORT_NO=6445
SSH_PORT_SGE=2230
PAM_SGE=sshd-hpc-sge
SGE_HOST=localhost # the name qmaster resolves 127.0.0.1 to; host_aliases maps $(hostname) onto it
SGE_QUEUE=all.q
SGE_SLOTS=8
SGE_PATH_DIR="$SGE_DIR/path"
SGE_COMMON="$SGE_DIR/$SGE_CELL_NAME/common"
SGE_SPOOL="$SGE_DIR/spool"
# bumped when the cell's initial configuration below changes: the cell is then made anew
SGE_LAYOUT=1
GRIDENGINE_PKGS=(gridengine-master gridengine-exec gridengine-client)

# plain binaries (no readlink: before apt installs them /usr/lib/gridengine does not exist, and
# a failing $(readlink -f) would end the script under set -e)
DAEMON_EXE[sge-qmaster]=/usr/lib/gridengine/sge_qmaster
DAEMON_EXE[sge-execd]=/usr/lib/gridengine/sge_execd
DAEMON_EXE[sshd-sge]=${DAEMON_EXE[sshd-main]}
DAEMON_ORDER+=(sge-qmaster sge-execd sshd-sge)

# The environment every Grid Engine client and daemon here runs with.
sge_env() {
  echo SGE_ROOT="$SGE_DIR" SGE_CELL="$SGE_CELL_NAME" \
    SGE_QMASTER_PORT="$SGE_QMASTER_PORT_NO" SGE_EXECD_PORT="$SGE_EXECD_PORT_NO"
}
sge() { env $(sge_env) timeout 10 "$@"; } # shellcheck disable=SC2046
sge_path() { echo "$SGE_PATH_DIR:/usr/local/bin:/usr/sbin"; }

# Answers for the packages' debconf questions (before apt-get install): no cluster of their own.
preseed_gridengine() {
  debconf-set-selections <<EOF
gridengine-common shared/gridengineconfig boolean false
gridengine-common shared/gridenginecell string default
gridengine-common shared/gridenginemaster string $SGE_HOST
EOF
}

# ---- the cell ----

sge_initialised() { [[ "$(cat "$SGE_DIR/.layout" 2>/dev/null)" == "$SGE_LAYOUT" ]]; }

# A fresh cell and spool, owned by the admin user sgeadmin (the daemons switch to it).
sge_init_cell() {
  log "initialising the Grid Engine cell in $SGE_DIR"
  rm -rf "$SGE_DIR"
  install -d -m 755 "$SGE_DIR"
  local d
  for d in bin lib util utilbin; do ln -sfn "/var/lib/gridengine/$d" "$SGE_DIR/$d"; done
  install -d -m 755 -o sgeadmin -g sgeadmin "$SGE_DIR/$SGE_CELL_NAME" "$SGE_COMMON" \
    "$SGE_SPOOL" "$SGE_SPOOL/qmaster" "$SGE_SPOOL/execd"
  local own=(install -m 644 -o sgeadmin -g sgeadmin /dev/stdin)
  "${own[@]}" "$SGE_COMMON/bootstrap" <<EOF
admin_user              sgeadmin
default_domain          none
ignore_fqdn             true
spooling_method         classic
spooling_lib            libspoolc
spooling_params         $SGE_COMMON;$SGE_SPOOL/qmaster
binary_path             /usr/sbin
qmaster_spool_dir       $SGE_SPOOL/qmaster
security_mode           none
listener_threads        2
worker_threads          2
scheduler_threads       1
EOF
  echo "$SGE_HOST" | "${own[@]}" "$SGE_COMMON/act_qmaster"
  echo "$SGE_HOST $(hostname -s)" | "${own[@]}" "$SGE_COMMON/host_aliases"
  # global configuration: spool here, no mail, quick load reports, accounting flushed each second
  sed -e "s|^execd_spool_dir .*|execd_spool_dir        $SGE_SPOOL/execd|" \
    -e 's|^mailer .*|mailer                 /bin/true|' \
    -e 's|^load_report_time .*|load_report_time       00:00:05|' \
    -e 's|flush_time=00:00:15|flush_time=00:00:01|' \
    /usr/share/gridengine/default-configuration | "${own[@]}" "$SGE_DIR/global.conf"
  setpriv --reuid sgeadmin --regid sgeadmin --clear-groups env $(sge_env) sh -e -c '
    u=/usr/lib/gridengine; r=/usr/share/gridengine/util/resources
    $u/spoolinit classic libspoolc "$1;$2" init
    $u/spooldefaults configuration "$3"
    $u/spooldefaults complexes $r/centry
    $u/spooldefaults usersets $r/usersets
    $u/spooldefaults managers sgeadmin' sh "$SGE_COMMON" "$SGE_SPOOL/qmaster" "$SGE_DIR/global.conf" \
    >>"$LOGD/sge-init.log" 2>&1 || fail_with_log "Grid Engine spool initialisation failed" "$LOGD/sge-init.log"
}

# What needs the running qmaster: scheduler every second, a submit and exec host, PE smp, queue.
sge_configure() {
  local t="$SGE_DIR/conf" q
  install -d -m 755 "$t"
  sge qconf -ssconf | sed -e 's/^schedule_interval .*/schedule_interval 0:0:1/' \
    -e 's/^flush_submit_sec .*/flush_submit_sec 1/' -e 's/^flush_finish_sec .*/flush_finish_sec 1/' >"$t/sched"
  cat >"$t/pe" <<'EOF'
pe_name            smp
slots              999
user_lists         NONE
xuser_lists        NONE
start_proc_args    NONE
stop_proc_args     NONE
allocation_rule    $pe_slots
control_slaves     FALSE
job_is_first_task  TRUE
urgency_slots      min
accounting_summary FALSE
qsort_args         NONE
EOF
  cat >"$t/exechost" <<EOF
hostname              $SGE_HOST
load_scaling          NONE
complex_values        NONE
user_lists            NONE
xuser_lists           NONE
projects              NONE
xprojects             NONE
usage_scaling         NONE
report_variables      NONE
EOF
  # the queue: qconf's template with our host, slots, PE, bash honouring #!, no load alarms
  q="$(EDITOR=cat sge qconf -aq "$SGE_QUEUE" 2>/dev/null || true)"
  sed -e "s/^hostlist .*/hostlist              $SGE_HOST/" -e 's/^load_thresholds .*/load_thresholds       NONE/' \
    -e 's/^pe_list .*/pe_list               smp/' -e "s/^slots .*/slots                 $SGE_SLOTS/" \
    -e 's|^shell .*|shell                 /bin/bash|' -e 's/^shell_start_mode .*/shell_start_mode      unix_behavior/' \
    -e 's/^qtype .*/qtype                 BATCH/' <<<"$q" >"$t/queue"
  grep -q "^qname *$SGE_QUEUE" "$t/queue" || die "qconf gave no queue template"
  {
    sge qconf -Msconf "$t/sched" && sge qconf -as "$SGE_HOST" && sge qconf -Ap "$t/pe" &&
      sge qconf -Ae "$t/exechost" && sge qconf -Aq "$t/queue"
  } >>"$LOGD/sge-init.log" 2>&1 || fail_with_log "configuring Grid Engine failed" "$LOGD/sge-init.log"
}

# /usr/bin as symlinks, without SLURM's client commands (rebuilt when /usr/bin changes).
sge_path_farm() {
  [[ -d $SGE_PATH_DIR && $SGE_PATH_DIR/.stamp -nt /usr/bin ]] && return 0
  rm -rf "$SGE_PATH_DIR"
  install -d -m 755 "$SGE_PATH_DIR"
  ln -s /usr/bin/* "$SGE_PATH_DIR/"
  local c
  for c in $(dpkg-query -L slurm-client 2>/dev/null | grep '^/usr/bin/'); do rm -f "$SGE_PATH_DIR/${c##*/}"; done
  touch "$SGE_PATH_DIR/.stamp"
}

write_sge_sshd_config() {
  ln -sfn /usr/sbin/sshd "$SBIN/$PAM_SGE"
  write_file "$ETC/sshd_sge.conf" 644 root:root <<EOF && mark_changed sshd-sge || true
# Generated by scripts/sandbox/gridengine.sh (Remote HPC sandbox) - do not edit.
# Sessions see Grid Engine and not SLURM (see the top of gridengine.sh).
Port $SSH_PORT_SGE
SetEnv $(sge_env) PATH=$(sge_path) REMOTE_HPC_SGE_PATH=$(sge_path)
PasswordAuthentication yes
KbdInteractiveAuthentication no
AuthenticationMethods any
$(sshd_common_config)
EOF
  write_file "/etc/pam.d/$PAM_SGE" 644 root:root < <(pam_sshd_stack "$SSH_PORT_SGE") || true
  write_file /etc/profile.d/remote-hpc-sge.sh 644 root:root <<'EOF' || true
# Generated by remote-hpc scripts/sandbox/gridengine.sh: login shells of the sandbox's Grid
# Engine sshd (127.0.0.1:2230, which sets REMOTE_HPC_SGE_PATH) keep its PATH after /etc/profile.
if [ -n "${REMOTE_HPC_SGE_PATH:-}" ]; then PATH=$REMOTE_HPC_SGE_PATH; export PATH; fi
EOF
}

# ---- health ----

# The queue instance has >= 4 slots and no state (u = its execd unheard, a = alarm, d, E, ...).
check_sge_queue() {
  local line f
  line="$(sge qstat -f -q "$SGE_QUEUE" 2>/dev/null | grep "^$SGE_QUEUE@$SGE_HOST ")" || return 1
  # all.q@localhost  BP  0/0/8  0.50  lx-amd64  [states]
  read -r -a f <<<"$line"
  ((${#f[@]} == 5)) && ((${f[2]##*/} >= 4))
}
check_sge_qmaster() { sge qstat -u '*' >/dev/null 2>&1; }
# over ssh, in a login shell (as the extension's agent runs): qstat answers, qconf is there and sbatch is not
check_ssh_sge() { ssh_sandbox hpc-sandbox-sge 'bash -lc "qstat >/dev/null && command -v qconf >/dev/null && ! command -v sbatch"'; }

# ---- start / stop ----

start_gridengine() {
  local t0
  t0=$(now_ms)
  install -d -m 755 "$LOGD"
  local f
  for f in sge-qmaster sge-execd sshd-sge; do [[ -e $LOGD/$f.log ]] || install -m 640 /dev/null "$LOGD/$f.log"; done
  local fresh=0
  if ! sge_initialised; then
    stop_daemon sge-execd
    stop_daemon sge-qmaster
    sge_init_cell
    fresh=1
  fi
  sge_path_farm
  write_sge_sshd_config
  restart_if_changed sshd-sge sshd-sge
  if ! daemon_alive sshd-sge; then
    "$SBIN/$PAM_SGE" -t -f "$ETC/sshd_sge.conf" -h "$HOSTKEY_MAIN" || die "sshd config test failed for $ETC/sshd_sge.conf"
    spawn sshd-sge "$LOGD/sshd-sge.log" "$SBIN/$PAM_SGE" -D -f "$ETC/sshd_sge.conf" -h "$HOSTKEY_MAIN" -E "$LOGD/sshd-sge.log"
  fi
  # SGE_ND: stay in the foreground (spawn keeps the PID)
  daemon_alive sge-qmaster || spawn sge-qmaster "$LOGD/sge-qmaster.log" $(sge_env) SGE_ND=1 /usr/lib/gridengine/sge_qmaster
  wait_for "sge_qmaster on 127.0.0.1:$SGE_QMASTER_PORT_NO" 30 "$SGE_SPOOL/qmaster/messages" sge-qmaster check_sge_qmaster
  if ((fresh)); then
    sge_configure
    echo "$SGE_LAYOUT" >"$SGE_DIR/.layout"
  fi
  daemon_alive sge-execd || spawn sge-execd "$LOGD/sge-execd.log" $(sge_env) SGE_ND=1 /usr/lib/gridengine/sge_execd
  wait_for "Grid Engine queue $SGE_QUEUE@$SGE_HOST up with >= 4 slots" 60 "$LOGD/sge-execd.log" sge-execd check_sge_queue
  wait_ssh_port "$SSH_PORT_SGE" sshd-sge "$LOGD/sshd-sge.log"
  wait_for "ssh hpc-sandbox-sge qstat (Grid Engine over ssh, no sbatch on its PATH)" 20 "$LOGD/sshd-sge.log" sshd-sge check_ssh_sge
  log "Grid Engine ready in $(($(now_ms) - t0)) ms"
}

# Delete the test user's jobs while qmaster is up (stop.sh, before the daemons go).
sge_delete_jobs() {
  daemon_alive sge-qmaster && check_sge_qmaster || return 0
  sge qdel -u "$SANDBOX_USER" >/dev/null 2>&1 || true
}

stop_gridengine() {
  sge_delete_jobs
  stop_daemon sshd-sge 10
  kill_sshd_sessions "$PAM_SGE"
  stop_daemon sge-execd 15
  stop_daemon sge-qmaster 30
}
