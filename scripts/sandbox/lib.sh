# shellcheck shell=bash
# Shared helpers for the Remote HPC integration-test sandbox.
# Sourced by start.sh / stop.sh / restart-sshd.sh / rotate-hostkey.sh.

set -Eeuo pipefail
trap 'printf "[sandbox] ERROR: command failed (%s:%s): %s\n" "${BASH_SOURCE[0]##*/}" "$LINENO" "$BASH_COMMAND" >&2' ERR

# Use the system tools (not pyenv/nvm shims etc.).
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
export LC_ALL=C.UTF-8
umask 022

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$SCRIPT_DIR/../.." && pwd)"
SB="$REPO/.sandbox"

ETC="$SB/etc"
RUN="$SB/run"
LOGD="$SB/log"
STATE="$SB/state"
KEYS="$SB/keys"
HOSTKEYS="$SB/hostkeys"
SECRETS="$SB/secrets"
SBIN="$SB/bin"

SANDBOX_USER=hpcuser
CLUSTER=sandbox
SSH_PORT=2222
SSH_PORT_2FA=2223
SSH_PORT_CERT=2224 # certificate-only (TrustedUserCAKeys)
SSH_PORT_KRB=2225  # GSSAPI (Kerberos) only
KDC_PORT=2288      # not 88: no clash with a real KDC on a developer machine

SLURM_CONF_FILE="$ETC/slurm.conf"
SLURMDBD_CONF_FILE="$ETC/slurmdbd.conf"
MY_CNF="$ETC/my.cnf"
# munged uses the default socket: several Slurm code paths (e.g. sacctmgr ->
# slurmdbd) ignore AuthInfo=socket=... in 22.05.
MUNGE_SOCKET=/run/munge/munge.socket.2
MYSQL_SOCKET="$RUN/mysql/mysqld.sock"
CLIENT_KEY="$KEYS/id_ed25519"
HOSTKEY_MAIN="$HOSTKEYS/ssh_host_ed25519_key"
HOSTKEY_ALT="$HOSTKEYS/ssh_host_alt_ed25519_key"
KNOWN_HOSTS="$SB/known_hosts"
SSH_CONFIG="$SB/ssh_config"
DETAILS="$SB/details.json"
OATH_USERS="$ETC/users.oath"
OATH_TEMPLATE="$ETC/users.oath.template"
PAM_MAIN=sshd-hpc-main     # PAM service name == sshd argv[0] basename
PAM_2FA=sshd-hpc-2fa
PAM_CERT=sshd-hpc-cert
PAM_KRB=sshd-hpc-krb

# Certificate host: a user CA made once, a key of its own (authorized nowhere)
# and a short-lived certificate for it, re-signed by start.sh when less than
# CRED_MIN_LEFT_S is left (so a test run that starts the sandbox has >= 1 h).
CA_DIR="$SB/ca"
USER_CA="$CA_DIR/user_ca"
CERT_KEY="$KEYS/id_cert"
CERT_FILE="$KEYS/id_cert-cert.pub"
CERT_EXPIRED="$KEYS/id_cert-expired-cert.pub"
CERT_VALIDITY=-5m:+2h
CRED_MIN_LEFT_S=3600
# Kerberos: realm, the name the client asks a service ticket for (localhost:
# resolves everywhere, no /etc/hosts edit), keytabs and the test ticket cache.
KRB_REALM=SANDBOX.TEST
KRB_HOSTNAME=localhost
KRB_PRINCIPAL="$SANDBOX_USER@$KRB_REALM"
KRB_HOST_PRINCIPAL="host/$KRB_HOSTNAME@$KRB_REALM"
KRB5_CONF="$ETC/krb5.conf"
KDC_CONF="$ETC/kdc.conf"
KRB_DB_DIR="$STATE/krb5kdc"
KRB_CLIENT_KEYTAB="$KEYS/hpcuser.keytab"
KRB_HOST_KEYTAB="$HOSTKEYS/krb5.keytab"
KRB_CCACHE="$RUN/krb5cc_hpcuser"
KRB_TICKET_LIFETIME=1d
# The ProxyCommand host: a name that resolves nowhere, so only the
# ProxyCommand (nc to the main sshd) can reach it.
PROXY_HOSTNAME=proxied.sandbox.invalid
PROXY_COMMAND="/bin/nc.openbsd 127.0.0.1 %p"

export SLURM_CONF="$SLURM_CONF_FILE"
# kinit / kadmin.local / kdb5_util read the sandbox realm, never /etc/krb5.conf.
export KRB5_CONFIG="$KRB5_CONF" KRB5_KDC_PROFILE="$KDC_CONF"

# Daemons: name -> expected executable (checked via /proc/PID/exe).
declare -A DAEMON_EXE=(
  [munged]=/usr/sbin/munged
  [mariadbd]=/usr/sbin/mariadbd
  [slurmdbd]=/usr/sbin/slurmdbd
  [slurmctld]=/usr/sbin/slurmctld
  [slurmd]=/usr/sbin/slurmd
  [sshd-main]=/usr/sbin/sshd
  [sshd-2fa]=/usr/sbin/sshd
  [krb5kdc]=/usr/sbin/krb5kdc
  [sshd-cert]=/usr/sbin/sshd
  [sshd-krb]=/usr/sbin/sshd
)
# Debian ships some of them behind symlinks (slurmctld -> slurmctld-wlm).
for _d in "${!DAEMON_EXE[@]}"; do DAEMON_EXE[$_d]="$(readlink -f "${DAEMON_EXE[$_d]}")"; done
unset _d
DAEMON_ORDER=(munged mariadbd slurmdbd slurmctld slurmd sshd-main sshd-2fa krb5kdc sshd-cert sshd-krb)
source "$SCRIPT_DIR/pool-hosts.sh" # the pool hosts' three sshds join DAEMON_ORDER

T0=$(date +%s%3N)
log() { printf '[sandbox +%sms] %s\n' "$(($(date +%s%3N) - T0))" "$*" >&2; }
die() { printf '[sandbox] ERROR: %s\n' "$*" >&2; exit 1; }

require_root() {
  [[ $EUID -eq 0 ]] || die "must run as root (try: sudo $0)"
  take_lock
}

# Serialise start/stop/restart/rotate (test runners may call start.sh in
# parallel). fd 9 is closed for every spawned daemon (see spawn).
take_lock() {
  mkdir -p "$SB"
  exec 9>"$SB/.lock"
  if ! flock -n 9; then
    log "waiting for another sandbox script to finish (lock $SB/.lock)"
    flock -w 600 9 || die "could not get the sandbox lock"
  fi
}

# The user who should be able to read keys/details (tests run as root, but
# honour sudo).
invoker() { echo "${SUDO_USER:-root}"; }

now_ms() { date +%s%3N; }

pidfile() { echo "$RUN/$1.pid"; }

# Print the PID of daemon $1 if it is alive and really is that daemon.
daemon_pid() {
  local f pid exe
  f="$(pidfile "$1")"
  [[ -s $f ]] || return 1
  pid="$(<"$f")"
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  exe="$(readlink "/proc/$pid/exe" 2>/dev/null)" || return 1
  exe="${exe% (deleted)}"
  [[ $exe == "${DAEMON_EXE[$1]}" ]] || return 1
  # zombies do not count
  [[ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ]] || return 1
  echo "$pid"
}

daemon_alive() { daemon_pid "$1" >/dev/null; }

# spawn NAME LOGFILE CMD... : start a foreground daemon detached in its own
# session, with a minimal environment, and record its PID.
spawn() {
  local name=$1 logf=$2; shift 2
  printf '\n===== %s starting %s =====\n' "$(date -Is)" "$name" >>"$logf"
  (
    # No inherited descriptor may live on in the daemon: not our lock (fd 9),
    # nor a caller's (`flock /tmp/rhpc-sandbox.lock start.sh` hands its lock
    # to children; krb5kdc -n would hold it for good).
    local fd
    for fd in /proc/self/fd/*; do
      fd=${fd##*/}
      if ((fd > 2)); then exec {fd}>&- || true; fi
    done
    exec setsid env -i PATH="$PATH" LANG=C.UTF-8 HOME=/root SLURM_CONF="$SLURM_CONF" \
      "$@" </dev/null >>"$logf" 2>&1
  ) &
  local pid=$! i exe
  echo "$pid" >"$(pidfile "$name")"
  # $! is first a subshell, then setsid/env/setpriv, and only then the daemon
  # (same PID through the exec chain): wait until the exec chain is done.
  for ((i = 0; i < 100; i++)); do
    exe="$(readlink "/proc/$pid/exe" 2>/dev/null)" || break
    [[ $exe == "${DAEMON_EXE[$name]}" ]] && break
    sleep 0.02
  done
  log "started $name (pid $pid)"
}

# stop_daemon NAME [TIMEOUT_S]: TERM, wait, KILL.
stop_daemon() {
  local name=$1 timeout=${2:-20} pid i
  if pid="$(daemon_pid "$name")"; then
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < timeout * 10; i++)); do
      daemon_alive "$name" || break
      sleep 0.1
    done
    if daemon_alive "$name"; then
      log "$name (pid $pid) did not stop after ${timeout}s, sending KILL"
      kill -KILL "$pid" 2>/dev/null || true
      for ((i = 0; i < 50; i++)); do daemon_alive "$name" || break; sleep 0.1; done
    fi
    log "stopped $name (pid $pid)"
  fi
  rm -f "$(pidfile "$name")"
}

# wait_for DESCRIPTION TIMEOUT_S LOGFILE DAEMON CMD... : poll CMD until it
# succeeds. Fails early (with log tail) if DAEMON died.
wait_for() {
  local desc=$1 timeout=$2 logf=$3 dname=$4; shift 4
  local deadline=$(($(now_ms) + timeout * 1000)) delay=0.05
  while true; do
    if "$@" >/dev/null 2>&1; then return 0; fi
    if [[ -n $dname ]] && ! daemon_alive "$dname"; then
      fail_with_log "$desc: $dname exited" "$logf"
    fi
    if (($(now_ms) > deadline)); then
      fail_with_log "$desc: timed out after ${timeout}s" "$logf"
    fi
    sleep "$delay"
    [[ $delay == 0.05 ]] && delay=0.1 || delay=0.2
  done
}

fail_with_log() {
  printf '[sandbox] ERROR: %s\n' "$1" >&2
  if [[ -n ${2:-} && -f $2 ]]; then
    printf '[sandbox] ---- last lines of %s ----\n' "$2" >&2
    tail -n 30 "$2" >&2 || true
    printf '[sandbox] ----\n' >&2
  fi
  exit 1
}

# ---- checks (quiet; exit status only) ----
check_munge() { munge -n -S "$MUNGE_SOCKET" | unmunge -S "$MUNGE_SOCKET"; }
check_mysql() { mysqladmin --no-defaults -S "$MYSQL_SOCKET" -uroot ping; }
check_slurmdbd() { timeout 10 sacctmgr -n -P show cluster format=cluster | grep -qx "$CLUSTER"; }
check_slurmctld() { timeout 10 scontrol ping | grep -q 'is UP'; }
check_node() {
  local st
  st="$(timeout 10 sinfo -h -o %T 2>/dev/null | head -n1)"
  [[ $st =~ ^(idle|mixed|allocated|completing)$ ]]
}
ssh_sandbox() { timeout 15 ssh -F "$SSH_CONFIG" -o BatchMode=yes -o ConnectTimeout=5 "$@"; }
check_ssh_main() { ssh_sandbox hpc-sandbox true; }
check_ssh_squeue() { ssh_sandbox hpc-sandbox squeue -h -o %i >/dev/null; }
# Full 2FA login (publickey + keyboard-interactive TOTP) with plain OpenSSH:
# SSH_ASKPASS answers the keyboard-interactive prompt with a fresh TOTP code.
check_ssh_2fa() {
  SSH_ASKPASS="$SCRIPT_DIR/totp-askpass.sh" SSH_ASKPASS_REQUIRE=force DISPLAY=none \
    timeout 15 ssh -F "$SSH_CONFIG" -o BatchMode=no -o ConnectTimeout=5 \
    -o NumberOfPasswordPrompts=1 hpc-sandbox-2fa true </dev/null
}
# The KDC answers: a ticket from the client keytab into a throwaway cache.
check_kdc() { timeout 10 kinit -k -t "$KRB_CLIENT_KEYTAB" -c MEMORY:check "$KRB_PRINCIPAL"; }
check_ssh_cert() { ssh_sandbox hpc-sandbox-cert true; }
check_ssh_krb() { KRB5CCNAME="FILE:$KRB_CCACHE" ssh_sandbox hpc-sandbox-krb true; }
check_ssh_proxycmd() { ssh_sandbox hpc-sandbox-proxycmd true; }

# ---- sshd ----
sshd_main_config() { echo "$ETC/sshd_main.conf"; }
sshd_2fa_config() { echo "$ETC/sshd_2fa.conf"; }

# start_sshd_main HOSTKEY_FILE
start_sshd_main() {
  local key=$1
  "$SBIN/$PAM_MAIN" -t -f "$(sshd_main_config)" -h "$key" ||
    die "sshd config test failed for $(sshd_main_config)"
  spawn sshd-main "$LOGD/sshd-main.log" "$SBIN/$PAM_MAIN" -D -f "$(sshd_main_config)" \
    -h "$key" -E "$LOGD/sshd-main.log"
  if [[ $key == "$HOSTKEY_MAIN" ]]; then echo main >"$RUN/sshd-main.hostkey"; else echo alt >"$RUN/sshd-main.hostkey"; fi
}

start_sshd_2fa() {
  "$SBIN/$PAM_2FA" -t -f "$(sshd_2fa_config)" -h "$HOSTKEY_MAIN" ||
    die "sshd config test failed for $(sshd_2fa_config)"
  spawn sshd-2fa "$LOGD/sshd-2fa.log" "$SBIN/$PAM_2FA" -D -f "$(sshd_2fa_config)" \
    -h "$HOSTKEY_MAIN" -E "$LOGD/sshd-2fa.log"
}

# Kill live ssh sessions that were accepted by the sshd instance whose
# processes carry the command name $1 (sshd-hpc-main / sshd-hpc-2fa), except
# the listener PID $2 (if any). Session processes keep the comm of the
# executable path, which is our uniquely named symlink.
kill_sshd_sessions() {
  local comm=$1 keep=${2:-} p exe
  for p in $(ps -e -o pid= -o comm= | awk -v c="$comm" '$2 == c {print $1}'); do
    [[ $p == "$keep" ]] && continue
    exe="$(readlink "/proc/$p/exe" 2>/dev/null)" || continue
    [[ ${exe% (deleted)} == "${DAEMON_EXE[sshd-main]}" ]] || continue
    kill -TERM "$p" 2>/dev/null || true
  done
}

# 127.0.0.1:$1 answers with an SSH banner (bash builtins only: no fork).
check_ssh_banner() {
  local fd line=''
  exec {fd}<>"/dev/tcp/127.0.0.1/$1" || return 1
  read -r -t 5 -u "$fd" line || true
  exec {fd}>&-
  [[ $line == SSH-* ]]
}

# Wait until port answers with an SSH banner.
wait_ssh_port() {
  local port=$1 name=$2 logf=$3
  wait_for "sshd on 127.0.0.1:$port" 15 "$logf" "$name" check_ssh_banner "$port"
}

fingerprint() { ssh-keygen -l -E sha256 -f "$1" | awk '{print $2}'; }

# (Re)write details.json from the current state.
write_details() {
  local tmp
  tmp="$(mktemp "$SB/.details.XXXXXX")"
  SB="$SB" REPO="$REPO" /usr/bin/python3 - "$tmp" <<PY
import json, sys, os
from datetime import datetime, timezone
sb = os.environ["SB"]
def rd(p): 
    with open(p) as f: return f.read().strip()
def until(p):  # epoch seconds in a file -> ISO 8601 UTC
    return datetime.fromtimestamp(int(rd(p)), timezone.utc).isoformat().replace("+00:00", "Z")
d = {
  "host": "127.0.0.1",
  "port": $SSH_PORT,
  "port2fa": $SSH_PORT_2FA,
  "user": "$SANDBOX_USER",
  "password": rd("$SECRETS/password"),
  "key": "$CLIENT_KEY",
  "publicKey": rd("$CLIENT_KEY.pub"),
  "knownHosts": "$KNOWN_HOSTS",
  "sshConfig": "$SSH_CONFIG",
  "sshHosts": {"main": "hpc-sandbox", "twoFactor": "hpc-sandbox-2fa", "jump": "hpc-sandbox-jump",
               "cert": "hpc-sandbox-cert", "kerberos": "hpc-sandbox-krb", "proxyCommand": "hpc-sandbox-proxycmd",
               "gridEngine": "hpc-sandbox-sge"},
  "portCert": $SSH_PORT_CERT,
  "portKrb": $SSH_PORT_KRB,
  "certificate": {
    "key": "$CERT_KEY",
    "certificate": "$CERT_FILE",
    "expiredCertificate": "$CERT_EXPIRED",
    "caPublicKey": "$USER_CA.pub",
    "principals": ["$SANDBOX_USER"],
    "validUntil": until("$STATE/id_cert.expires"),
  },
  "kerberos": {
    "realm": "$KRB_REALM",
    "principal": "$KRB_PRINCIPAL",
    "password": rd("$SECRETS/krb5-password"),
    "keytab": "$KRB_CLIENT_KEYTAB",
    "ccache": "FILE:$KRB_CCACHE",
    "ticketValidUntil": until("$STATE/krb5cc.expires"),
    "krb5Config": "$KRB5_CONF",
    "kdc": "127.0.0.1:$KDC_PORT",
    "hostName": "$KRB_HOSTNAME",
    "hostPrincipal": "$KRB_HOST_PRINCIPAL",
    "env": {"KRB5_CONFIG": "$KRB5_CONF", "KRB5CCNAME": "FILE:$KRB_CCACHE"},
  },
  "proxyCommand": {"hostName": "$PROXY_HOSTNAME", "port": $SSH_PORT, "command": "$PROXY_COMMAND"},
  "poolHosts": $(pool_details_json),
  "totpSecretHex": rd("$SECRETS/totp.hex"),
  "totpSecretBase32": rd("$SECRETS/totp.base32"),
  "totpAskpass": "$SCRIPT_DIR/totp-askpass.sh",
  "hostKeyFingerprint": "$(fingerprint "$HOSTKEY_MAIN.pub")",
  "hostKey": rd("$HOSTKEY_MAIN.pub"),
  "altHostKeyFingerprint": "$(fingerprint "$HOSTKEY_ALT.pub")",
  "altHostKey": rd("$HOSTKEY_ALT.pub"),
  "sandboxDir": sb,
  "slurmConf": "$SLURM_CONF_FILE",
  "clusterName": "$CLUSTER",
  "gridEngine": {"sshHost": "hpc-sandbox-sge", "port": $SSH_PORT_SGE, "root": "$SGE_DIR", "cell": "$SGE_CELL_NAME",
                 "queue": "$SGE_QUEUE", "host": "$SGE_HOST", "slots": $SGE_SLOTS},
  "faultsCluster": {"sshHost": "hpc-sandbox-faults", "port": $SSH_PORT_FAULTS, "clusterName": "$FAULTS_CLUSTER",
                    "slurmConf": "$FAULTS_CONF_FILE", "controllerPort": $FAULTS_CTLD_PORT},
  "partition": "debug",
  "nodeName": "$(hostname -s)",
  "home": os.path.expanduser("~$SANDBOX_USER"),
  "fixturesDir": os.path.expanduser("~$SANDBOX_USER") + "/fixtures",
  "logDir": "$LOGD",
  "scripts": {
    "start": "$SCRIPT_DIR/start.sh",
    "stop": "$SCRIPT_DIR/stop.sh",
    "restartSshd": "$SCRIPT_DIR/restart-sshd.sh",
    "rotateHostKey": "$SCRIPT_DIR/rotate-hostkey.sh",
  },
}
with open(sys.argv[1], "w") as f:
    json.dump(d, f, indent=2, ensure_ascii=False)
    f.write("\n")
PY
  chmod 600 "$tmp"
  chown "$(invoker)" "$tmp" 2>/dev/null || true
  mv -f "$tmp" "$DETAILS"
}

# restart_main_sshd HOSTKEY_FILE [--keep-sessions]
restart_main_sshd() {
  local key=$1 keep=${2:-}
  [[ -f $SSH_CONFIG && -f $(sshd_main_config) ]] || die "sandbox not set up: run scripts/sandbox/start.sh first"
  stop_daemon sshd-main 10
  if [[ $keep != --keep-sessions ]]; then
    kill_sshd_sessions "$PAM_MAIN"
  fi
  start_sshd_main "$key"
  wait_ssh_port "$SSH_PORT" sshd-main "$LOGD/sshd-main.log"
}

# write_file PATH MODE OWNER : write stdin (a heredoc) to PATH if content,
# mode or owner differ. Returns 0 if the file changed, 1 if it was up to date.
# (Few forks on purpose: process creation is the main cost of a warm start.)
write_file() {
  local path=$1 mode=$2 owner=$3 content cur perms
  IFS= read -r -d '' content || true
  if [[ -f $path ]]; then
    cur="$(<"$path")"
    perms="$(stat -c '%a %U:%G' "$path")"
    [[ $owner == *:* ]] || perms="${perms%:*}"
    if [[ $cur == "${content%$'\n'}" && $perms == "$mode $owner" ]]; then
      return 1
    fi
  fi
  local tmp="${path%/*}/.tmp.${path##*/}.$$"
  printf '%s' "$content" >"$tmp"
  chmod "$mode" "$tmp"
  chown "$owner" "$tmp"
  mv -f "$tmp" "$path"
  return 0
}

declare -A CHANGED=()
mark_changed() { CHANGED[$1]=1; }

restart_if_changed() {
  local name=$1 key=$2
  if [[ -n ${CHANGED[$key]:-} ]] && daemon_alive "$name"; then
    log "config of $name changed: restarting"
    stop_daemon "$name"
  fi
}

# The sshd settings every sandbox server shares (each server's own lines come first:
# sshd_config takes the first value of a keyword).
sshd_common_config() {
  cat <<EOF
ListenAddress 127.0.0.1
PidFile none
UsePAM yes
PubkeyAuthentication yes
AuthorizedKeysFile .ssh/authorized_keys
PermitRootLogin no
AllowUsers $SANDBOX_USER
StrictModes yes
UseDNS no
PrintMotd no
PrintLastLog no
X11Forwarding no
AllowTcpForwarding yes
AllowAgentForwarding yes
PermitTTY yes
MaxStartups 200:30:400
MaxSessions 100
MaxAuthTries 20
LoginGraceTime 60
LogLevel VERBOSE
AcceptEnv LANG LC_*
Subsystem sftp /usr/lib/openssh/sftp-server
EOF
}

# What the sandbox's two SLURM clusters (the main one and the fault cluster) configure alike.
slurm_conf_common() {
  cat <<EOF
SlurmctldHost=$HOST_SHORT(127.0.0.1)
SlurmUser=slurm
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
CommunicationParameters=NoCtldInAddrAny,NoInAddrAny
SlurmctldDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
ReturnToService=2
MailProg=/bin/true
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MinJobAge=300
SlurmctldTimeout=30
SlurmdTimeout=60
MessageTimeout=10
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=$HOST_SHORT
AccountingStoragePort=6819
JobCompType=jobcomp/none
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
}

# the Grid Engine cluster's settings and daemons (issue 13)
source "$SCRIPT_DIR/gridengine.sh"
# the fault cluster: a second SLURM controller whose outage disturbs no other test (issue 14)
source "$SCRIPT_DIR/faults-cluster.sh"
# a 4 MiB tmpfs that fills up, for the disk-full fault test (issue 14)
source "$SCRIPT_DIR/full-disk.sh"
