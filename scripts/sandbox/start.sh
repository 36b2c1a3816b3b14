#!/bin/bash
# Start the Remote HPC integration-test sandbox: a single-node SLURM cluster
# with accounting (munged, mariadbd, slurmdbd, slurmctld, slurmd) plus
# OpenSSH servers on 127.0.0.1 (2222: main, 2223: publickey+TOTP 2FA,
# 2224: user certificates only, 2225: Kerberos/GSSAPI only, KDC on 2288; Grid Engine's on 2230,
# the fault cluster's on 2260).
# Everything lives in $REPO/.sandbox. Idempotent; prints READY when healthy.
# See scripts/sandbox/README.md.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_root

PKGS=(openssh-server openssh-client munge slurmctld slurmd slurm-client slurmdbd
  mariadb-server python3 python3-pil ffmpeg libpam-oath oathtool imagemagick
  krb5-kdc krb5-admin-server krb5-user netcat-openbsd "${GRIDENGINE_PKGS[@]}")

ensure_packages() {
  local installed=() missing=() p
  mapfile -t installed < <(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' "${PKGS[@]}" 2>/dev/null |
    awk '$1 == "ii" {print $2}')
  for p in "${PKGS[@]}"; do
    [[ " ${installed[*]} " == *" $p "* ]] || missing+=("$p")
  done
  ((${#missing[@]} == 0)) && return 0
  log "installing missing packages: ${missing[*]}"
  local created_policy=0 rc=0
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\n# created by remote-hpc sandbox: do not start services during apt\nexit 101\n' \
      >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    created_policy=1
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  export DEBIAN_FRONTEND=noninteractive
  preseed_gridengine
  local aptopts=(-y -q -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold
    -o DPkg::Lock::Timeout=600 --no-install-recommends)
  if ! apt-get install "${aptopts[@]}" "${missing[@]}"; then
    apt-get update -q && apt-get install "${aptopts[@]}" "${missing[@]}" || rc=$?
  fi
  if ((created_policy)); then
    rm -f /usr/sbin/policy-rc.d
    trap - EXIT
  fi
  ((rc == 0)) || die "apt-get install failed (rc=$rc)"
}


source "$(dirname "${BASH_SOURCE[0]}")/auth-hosts.sh"

# Every daemon alive with the configs of these scripts (cheap, no logins).
all_running_current() {
  local d
  for d in "${DAEMON_ORDER[@]}"; do daemon_alive "$d" || return 1; done
  local hk='' sum=''
  if [[ -f $RUN/sshd-main.hostkey ]]; then read -r hk <"$RUN/sshd-main.hostkey" || true; fi
  if [[ -f $RUN/scripts.sum ]]; then read -r sum <"$RUN/scripts.sum" || true; fi
  # sshd must use its original host key; scripts changed since the last full
  # start -> regenerate configs
  [[ -f $DETAILS && $hk == main && $sum == "$SCRIPTS_SUM" ]] &&
    [[ -s $USER_CA.pub && -s $KRB_HOST_KEYTAB && -s $KRB_CLIENT_KEYTAB ]]
}

# The short-lived user certificate and the Kerberos ticket of a running
# sandbox: renewed when less than CRED_MIN_LEFT_S is left.
refresh_credentials() {
  local renewed=0
  if cert_stale; then renew_user_cert; renewed=1; fi
  if ticket_stale; then renew_ticket; renewed=1; fi
  if ((renewed)); then write_details; fi
}

all_healthy_fast() {
  local p1 p2 p3 ok=0
  # the two ssh logins run in parallel with the local checks. The certificate
  # and Kerberos sshds only have to answer (two more logins cost ~0.3 s on the
  # loaded 2-core VM; the full start and verify.sh log into them), and
  # hpc-sandbox-proxycmd is the main sshd again, through nc.
  check_ssh_squeue >/dev/null 2>&1 &
  p1=$!
  check_ssh_2fa >/dev/null 2>&1 &
  p2=$!
  { check_kdc && check_ssh_banner "$SSH_PORT_CERT" && check_ssh_banner "$SSH_PORT_KRB" &&
    check_ssh_banner "$SSH_PORT_SGE" && check_sge_queue && check_ssh_banner "$SSH_PORT_FAULTS"; } >/dev/null 2>&1 &
  p3=$!
  check_munge >/dev/null 2>&1 && check_mysql >/dev/null 2>&1 && check_slurmdbd >/dev/null 2>&1 &&
    check_slurmctld >/dev/null 2>&1 && check_node >/dev/null 2>&1 && check_faults_ctld >/dev/null 2>&1 || ok=1
  wait "$p1" || ok=1
  wait "$p2" || ok=1
  wait "$p3" || ok=1
  return $ok
}

prepare_dirs() {
  install -d -m 755 "$SB" "$ETC" "$RUN" "$LOGD" "$STATE" "$SBIN"
  install -d -m 700 "$SECRETS" "$HOSTKEYS"
  install -d -m 755 "$KEYS"
  install -d -m 755 -o munge -g munge "$RUN/munge" "$STATE/munge"
  install -d -m 755 -o mysql -g mysql "$RUN/mysql"
  install -d -m 755 -o slurm -g slurm "$RUN/slurm" "$STATE/slurmctld"
  install -d -m 755 "$STATE/slurmd"
  # system dirs some tools insist on
  install -d -m 755 /run/sshd
  install -d -m 755 -o mysql -g mysql /run/mysqld
  install -d -m 755 -o munge -g munge /run/munge
  install -d -m 755 /etc/slurm
  # log files owned by the daemon user that writes them
  local f
  for f in munged:munge mariadb:mysql slurmdbd:slurm slurmctld:slurm slurmd:root \
    sshd-main:root sshd-2fa:root sshd-cert:root sshd-krb:root krb5kdc:root; do
    [[ -e $LOGD/${f%%:*}.log ]] || install -m 640 -o "${f#*:}" /dev/null "$LOGD/${f%%:*}.log"
    chown "${f#*:}" "$LOGD/${f%%:*}.log"
  done
  local inv
  inv="$(invoker)"
  if [[ $inv != root ]]; then chown "$inv" "$SECRETS" "$KEYS"; fi
}

ensure_hostname() {
  HOST_SHORT="$(hostname -s)"
  if ! getent hosts "$HOST_SHORT" >/dev/null; then
    log "adding $HOST_SHORT to /etc/hosts"
    printf '127.0.0.1 %s # remote-hpc sandbox\n' "$HOST_SHORT" >>/etc/hosts
  fi
}

ensure_munge_key() {
  if [[ ! -s /etc/munge/munge.key ]]; then
    log "creating /etc/munge/munge.key"
    install -d -m 700 -o munge -g munge /etc/munge
    dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=128 status=none
  fi
  chown munge:munge /etc/munge/munge.key
  chmod 600 /etc/munge/munge.key
}

gen_secret() {
  local s
  s="$(head -c 48 /dev/urandom | base64 -w0 | tr -dc 'A-Za-z0-9')"
  printf '%s' "${s:0:24}"
}

ensure_secrets() {
  local inv
  inv="$(invoker)"
  [[ -s $SECRETS/password ]] || gen_secret >"$SECRETS/password"
  [[ -s $SECRETS/dbpass ]] || gen_secret >"$SECRETS/dbpass"
  if [[ ! -s $SECRETS/totp.hex ]]; then
    od -An -tx1 -N20 /dev/urandom | tr -d ' \n' >"$SECRETS/totp.hex"
    /usr/bin/python3 -c 'import base64,sys; print(base64.b32encode(bytes.fromhex(sys.argv[1])).decode())' \
      "$(cat "$SECRETS/totp.hex")" >"$SECRETS/totp.base32"
  fi
  chmod 600 "$SECRETS"/*
  chown "$inv" "$SECRETS"/{password,totp.hex,totp.base32}
}

ensure_user() {
  local created=0
  if ! id "$SANDBOX_USER" >/dev/null 2>&1; then
    created=1
    log "creating user $SANDBOX_USER"
    useradd -m -s /bin/bash -c "Remote HPC sandbox user" "$SANDBOX_USER"
  fi
  HOME_DIR="$(getent passwd "$SANDBOX_USER" | cut -d: -f6)"
  [[ -d $HOME_DIR ]] || install -d -m 755 -o "$SANDBOX_USER" -g "$SANDBOX_USER" "$HOME_DIR"
  chmod go-w "$HOME_DIR"
  # chpasswd is slow-ish: only when the stored password is not the applied one
  # (marker = checksum of the password file + the resulting shadow entry)
  local want applied=''
  want="$(cksum <"$SECRETS/password") $(getent shadow "$SANDBOX_USER" | cut -d: -f2)"
  if [[ -f $STATE/password.applied ]]; then read -r applied <"$STATE/password.applied" || true; fi
  if [[ $applied != "$want" || $created == 1 ]]; then
    printf '%s:%s\n' "$SANDBOX_USER" "$(<"$SECRETS/password")" | chpasswd
    echo "$(cksum <"$SECRETS/password") $(getent shadow "$SANDBOX_USER" | cut -d: -f2)" >"$STATE/password.applied"
  fi
}

ensure_keys() {
  local inv
  inv="$(invoker)"
  [[ -s $CLIENT_KEY ]] || ssh-keygen -q -t ed25519 -N '' -C "hpcuser@remote-hpc-sandbox" -f "$CLIENT_KEY"
  chown "$inv" "$CLIENT_KEY" "$CLIENT_KEY.pub"
  chmod 600 "$CLIENT_KEY"
  chmod 644 "$CLIENT_KEY.pub"
  [[ -s $HOSTKEY_MAIN ]] || ssh-keygen -q -t ed25519 -N '' -C "remote-hpc-sandbox-host" -f "$HOSTKEY_MAIN"
  [[ -s $HOSTKEY_ALT ]] || ssh-keygen -q -t ed25519 -N '' -C "remote-hpc-sandbox-alt-host" -f "$HOSTKEY_ALT"
  chmod 600 "$HOSTKEY_MAIN" "$HOSTKEY_ALT"
  install -d -m 700 -o "$SANDBOX_USER" -g "$SANDBOX_USER" "$HOME_DIR/.ssh"
  write_file "$HOME_DIR/.ssh/authorized_keys" 600 "$SANDBOX_USER:$SANDBOX_USER" <"$CLIENT_KEY.pub" || true
}

node_hw() {
  # cache `slurmd -C` (hardware does not change between runs)
  if [[ ! -s $STATE/slurmd-C.txt ]]; then
    slurmd -C | head -n1 >"$STATE/slurmd-C.txt"
  fi
  local line cpus boards spb cps tpc mem
  line="$(cat "$STATE/slurmd-C.txt")"
  cpus="$(grep -o 'CPUs=[0-9]*' <<<"$line" | cut -d= -f2)"
  boards="$(grep -o 'Boards=[0-9]*' <<<"$line" | cut -d= -f2)"
  spb="$(grep -o 'SocketsPerBoard=[0-9]*' <<<"$line" | cut -d= -f2)"
  cps="$(grep -o 'CoresPerSocket=[0-9]*' <<<"$line" | cut -d= -f2)"
  tpc="$(grep -o 'ThreadsPerCore=[0-9]*' <<<"$line" | cut -d= -f2)"
  mem="$(grep -o 'RealMemory=[0-9]*' <<<"$line" | cut -d= -f2)"
  mem=$((mem > 1024 ? mem - 256 : mem)) # leave slack so the node never goes INVAL
  # At least 8 CPUs (slurmd takes the configured count: SlurmdParameters=config_overrides), so the
  # test files that run side by side (test/support/sandboxTurn.mjs) do not queue behind each
  # other's jobs; the jobs are sleeps and tiny scripts.
  if ((cpus < 8)); then
    cpus=8 boards=1 spb=1 cps=8 tpc=1
  fi
  echo "CPUs=$cpus Boards=$boards SocketsPerBoard=$spb CoresPerSocket=$cps ThreadsPerCore=$tpc RealMemory=$mem"
}

write_configs() {
  local hw
  hw="$(node_hw)"

  # ---------------- SLURM ----------------
  write_file "$SLURM_CONF_FILE" 644 root:root <<EOF && mark_changed slurm || true
# Generated by scripts/sandbox/start.sh (Remote HPC sandbox) - do not edit.
ClusterName=$CLUSTER
SlurmctldPort=6817
SlurmdPort=6818
StateSaveLocation=$STATE/slurmctld
SlurmdSpoolDir=$STATE/slurmd
SlurmctldPidFile=$RUN/slurm/slurmctld.pid
SlurmdPidFile=$RUN/slurm/slurmd.pid
SlurmctldLogFile=$LOGD/slurmctld.log
SlurmdLogFile=$LOGD/slurmd.log
SlurmdDebug=info
PlugStackConfig=$ETC/plugstack.conf
SchedulerParameters=batch_sched_delay=0,sched_interval=2,sched_min_interval=0,bf_interval=2
SlurmdParameters=config_overrides
KillWait=5
InactiveLimit=0
Waittime=0
AccountingStoreFlags=job_comment,job_script
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherFrequency=10
NodeName=$HOST_SHORT NodeAddr=127.0.0.1 $hw State=UNKNOWN
$(slurm_conf_common)
EOF
  write_file "$ETC/plugstack.conf" 644 root:root </dev/null || true

  write_file "$SLURMDBD_CONF_FILE" 600 slurm:slurm <<EOF && mark_changed slurmdbd || true
# Generated by scripts/sandbox/start.sh (Remote HPC sandbox) - do not edit.
AuthType=auth/munge
DbdHost=$HOST_SHORT
DbdAddr=127.0.0.1
DbdPort=6819
CommunicationParameters=NoInAddrAny
SlurmUser=slurm
PidFile=$RUN/slurm/slurmdbd.pid
LogFile=$LOGD/slurmdbd.log
DebugLevel=info
StorageType=accounting_storage/mysql
StorageHost=localhost
StorageUser=slurm
StoragePass=$(cat "$SECRETS/dbpass")
StorageLoc=slurm_acct_db
EOF

  # Clients over ssh (no SLURM_CONF in their env) read Debian's default path.
  if [[ -e /etc/slurm/slurm.conf && ! -L /etc/slurm/slurm.conf ]]; then
    log "moving existing /etc/slurm/slurm.conf to /etc/slurm/slurm.conf.pre-sandbox"
    mv -f /etc/slurm/slurm.conf /etc/slurm/slurm.conf.pre-sandbox
  fi
  [[ "$(readlink /etc/slurm/slurm.conf 2>/dev/null)" == "$SLURM_CONF_FILE" ]] ||
    ln -sfn "$SLURM_CONF_FILE" /etc/slurm/slurm.conf

  # ---------------- MariaDB ----------------
  write_file "$MY_CNF" 644 root:root <<EOF && mark_changed mariadbd || true
# Generated by scripts/sandbox/start.sh (Remote HPC sandbox) - do not edit.
[mysqld]
user=mysql
datadir=$STATE/mysql
socket=$MYSQL_SOCKET
pid-file=$RUN/mysql/mariadbd.pid
log-error=$LOGD/mariadb.log
skip-networking
skip-name-resolve
skip-log-bin
innodb_buffer_pool_size=128M
innodb_log_file_size=64M
innodb_lock_wait_timeout=900
innodb_flush_log_at_trx_commit=2
[client]
socket=$MYSQL_SOCKET
EOF

  # ---------------- OpenSSH ----------------
  ln -sfn /usr/sbin/sshd "$SBIN/$PAM_MAIN"
  ln -sfn /usr/sbin/sshd "$SBIN/$PAM_2FA"
  local common
  common="$(sshd_common_config)"
  write_file "$(sshd_main_config)" 644 root:root <<EOF && mark_changed sshd-main || true
# Generated by scripts/sandbox/start.sh (Remote HPC sandbox) - do not edit.
# Host key is passed with -h (see lib.sh start_sshd_main).
Port $SSH_PORT
$common
PasswordAuthentication yes
KbdInteractiveAuthentication yes
AuthenticationMethods any
EOF
  write_file "$(sshd_2fa_config)" 644 root:root <<EOF && mark_changed sshd-2fa || true
# Generated by scripts/sandbox/start.sh (Remote HPC sandbox) - do not edit.
Port $SSH_PORT_2FA
$common
PasswordAuthentication no
KbdInteractiveAuthentication yes
AuthenticationMethods publickey,keyboard-interactive
EOF

  # PAM services (the name is the basename of sshd's argv[0]); PAM only reads
  # /etc/pam.d so these files (and those of auth-hosts.sh) live outside .sandbox.
  write_file "/etc/pam.d/$PAM_MAIN" 644 root:root < <(pam_sshd_stack "$SSH_PORT") || true
  # TOTP via pam_oath. liboath rejects a replayed code (same 30 s window);
  # tests log in many times, so the usersfile is reset from a template before
  # every attempt (pam_exec). Codes stay time-bound (window=2 steps).
  write_file "$OATH_TEMPLATE" 600 root:root <<EOF || true
HOTP/T30/6 $SANDBOX_USER - $(cat "$SECRETS/totp.hex")
EOF
  [[ -s $OATH_USERS ]] && cmp -s <(awk '{print $1,$2,$4}' "$OATH_USERS") <(awk '{print $1,$2,$4}' "$OATH_TEMPLATE") ||
    install -m 600 "$OATH_TEMPLATE" "$OATH_USERS"
  write_file "/etc/pam.d/$PAM_2FA" 644 root:root <<EOF || true
# Generated by remote-hpc scripts/sandbox/start.sh: sshd on 127.0.0.1:$SSH_PORT_2FA
# (publickey is checked by sshd; this stack is the keyboard-interactive TOTP step)
auth       optional     pam_exec.so quiet /bin/cp -f $OATH_TEMPLATE $OATH_USERS
auth       required     pam_oath.so usersfile=$OATH_USERS window=2 digits=6
account    required     pam_nologin.so
@include common-account
session    optional     pam_keyinit.so force revoke
@include common-session
session    optional     pam_limits.so
session    required     pam_env.so
EOF
  write_auth_configs "$common"
  write_pool_configs

  # ---------------- client side ----------------
  local hk
  hk="$(awk '{print $1, $2}' "$HOSTKEY_MAIN.pub")"
  write_file "$KNOWN_HOSTS" 644 "$(invoker)" <<EOF || true
[127.0.0.1]:$SSH_PORT $hk
[localhost]:$SSH_PORT $hk
[127.0.0.1]:$SSH_PORT_2FA $hk
[localhost]:$SSH_PORT_2FA $hk
[127.0.0.1]:$SSH_PORT_CERT $hk
[localhost]:$SSH_PORT_CERT $hk
[127.0.0.1]:$SSH_PORT_KRB $hk
[localhost]:$SSH_PORT_KRB $hk
[$PROXY_HOSTNAME]:$SSH_PORT $hk
[127.0.0.1]:$SSH_PORT_SGE $hk
[127.0.0.1]:$SSH_PORT_FAULTS $hk
$(pool_known_hosts "$hk")
EOF
  local clientopts hostopts
  clientopts="$(
    cat <<EOF
  User $SANDBOX_USER
  UserKnownHostsFile $KNOWN_HOSTS
  GlobalKnownHostsFile /dev/null
  StrictHostKeyChecking yes
  UpdateHostKeys no
  # skip the default sntrup761 hybrid KEX: ~0.35 s of CPU per login on this VM
  KexAlgorithms curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256
  ControlMaster no
  ControlPath none
EOF
  )"
  hostopts="  IdentityFile $CLIENT_KEY
  IdentitiesOnly yes
$clientopts"
  write_file "$SSH_CONFIG" 644 "$(invoker)" <<EOF || true
# Generated by scripts/sandbox/start.sh (Remote HPC sandbox).
# Usage: ssh -F $SSH_CONFIG hpc-sandbox
Host hpc-sandbox
  HostName 127.0.0.1
  Port $SSH_PORT
$hostopts

# publickey + keyboard-interactive (TOTP: oathtool --totp -b \$(cat $SECRETS/totp.base32))
Host hpc-sandbox-2fa
  HostName 127.0.0.1
  Port $SSH_PORT_2FA
$hostopts

# 2FA server reached through the main server as jump host
Host hpc-sandbox-jump
  HostName 127.0.0.1
  Port $SSH_PORT_2FA
  ProxyJump hpc-sandbox
$hostopts

# user certificate only (the server has no authorized_keys; CA $USER_CA.pub)
Host hpc-sandbox-cert
  HostName 127.0.0.1
  Port $SSH_PORT_CERT
  IdentityFile $CERT_KEY
  CertificateFile $CERT_FILE
  IdentitiesOnly yes
$clientopts

# Kerberos (GSSAPI) only; needs a ticket:
#   KRB5_CONFIG=$KRB5_CONF KRB5CCNAME=FILE:$KRB_CCACHE ssh -F $SSH_CONFIG hpc-sandbox-krb
Host hpc-sandbox-krb
  HostName $KRB_HOSTNAME
  Port $SSH_PORT_KRB
  AddressFamily inet
  GSSAPIAuthentication yes
$clientopts

# the main server, reachable only through the ProxyCommand (the HostName resolves nowhere)
Host hpc-sandbox-proxycmd
  HostName $PROXY_HOSTNAME
  Port $SSH_PORT
  ProxyCommand $PROXY_COMMAND
$hostopts

# the Grid Engine cluster (scripts/sandbox/gridengine.sh): qsub & co. on the PATH, no sbatch
Host hpc-sandbox-sge
  HostName 127.0.0.1
  Port $SSH_PORT_SGE
$hostopts

# the fault cluster (scripts/sandbox/faults-cluster.sh): SLURM_CONF names its own controller
Host hpc-sandbox-faults
  HostName 127.0.0.1
  Port $SSH_PORT_FAULTS
$hostopts
$(pool_ssh_config "$hostopts")
EOF
}

start_fixtures() {
  FIX_PID=
  [[ "$(cat "$HOME_DIR/fixtures/.complete" 2>/dev/null)" == 1 ]] && return 0
  log "generating fixtures in $HOME_DIR/fixtures (background)"
  setpriv --reuid "$SANDBOX_USER" --regid "$SANDBOX_USER" --init-groups \
    env -i HOME="$HOME_DIR" PATH="$PATH" LANG=C.UTF-8 /usr/bin/python3 "$SCRIPT_DIR/make-fixtures.py" "$HOME_DIR" \
    >"$LOGD/fixtures.log" 2>&1 9>&- &
  FIX_PID=$!
}

wait_fixtures() {
  [[ -n $FIX_PID ]] || return 0
  wait "$FIX_PID" || fail_with_log "fixture generation failed" "$LOGD/fixtures.log"
}


start_munge() {
  daemon_alive munged ||
    spawn munged "$LOGD/munged.log" setpriv --reuid munge --regid munge --init-groups \
      /usr/sbin/munged -F --key-file=/etc/munge/munge.key --socket="$MUNGE_SOCKET" \
      --pid-file="$RUN/munge/munged.pid" --log-file="$LOGD/munged.log" \
      --seed-file="$STATE/munge/munged.seed"
  wait_for "munge" 20 "$LOGD/munged.log" munged check_munge
}

start_mariadb() {
  restart_if_changed mariadbd mariadbd
  if [[ ! -d $STATE/mysql/mysql ]]; then
    log "initialising MariaDB datadir"
    rm -rf "$STATE/mysql"
    install -d -m 700 -o mysql -g mysql "$STATE/mysql"
    mariadb-install-db --defaults-file="$MY_CNF" --user=mysql --skip-test-db \
      --auth-root-authentication-method=socket >>"$LOGD/mariadb-install.log" 2>&1 ||
      fail_with_log "mariadb-install-db failed" "$LOGD/mariadb-install.log"
  fi
  daemon_alive mariadbd || spawn mariadbd "$LOGD/mariadb.log" /usr/sbin/mariadbd --defaults-file="$MY_CNF"
  wait_for "mariadb" 60 "$LOGD/mariadb.log" mariadbd check_mysql
  local pw
  pw="$(cat "$SECRETS/dbpass")"
  mysql --no-defaults -S "$MYSQL_SOCKET" -uroot <<EOF || die "creating the slurm database user failed"
CREATE DATABASE IF NOT EXISTS slurm_acct_db;
CREATE USER IF NOT EXISTS 'slurm'@'localhost' IDENTIFIED BY '$pw';
ALTER USER 'slurm'@'localhost' IDENTIFIED BY '$pw';
GRANT ALL PRIVILEGES ON slurm_acct_db.* TO 'slurm'@'localhost';
EOF
}

sacctmgr_ok() { timeout 10 sacctmgr -n -P show cluster format=cluster; }

start_slurmdbd() {
  restart_if_changed slurmdbd slurmdbd
  daemon_alive slurmdbd ||
    spawn slurmdbd "$LOGD/slurmdbd.log" MYSQL_UNIX_PORT="$MYSQL_SOCKET" /usr/sbin/slurmdbd -D
  wait_for "slurmdbd" 90 "$LOGD/slurmdbd.log" slurmdbd sacctmgr_ok
  # one query covers cluster, account and user association
  if ! timeout 10 sacctmgr -n -P show assoc format=cluster,account,user |
    grep -qx "$CLUSTER|hpc|$SANDBOX_USER"; then
    if ! check_slurmdbd; then
      log "registering cluster $CLUSTER in slurmdbd"
      sacctmgr -i add cluster "$CLUSTER" >/dev/null
    fi
    if ! sacctmgr -n -P show account format=account | grep -qx hpc; then
      sacctmgr -i add account hpc Description="sandbox account" Organization=sandbox >/dev/null
    fi
    log "adding account hpc / user $SANDBOX_USER association"
    sacctmgr -i add user "$SANDBOX_USER" Account=hpc DefaultAccount=hpc >/dev/null || true
  fi
}

start_slurmctld() {
  restart_if_changed slurmctld slurm
  daemon_alive slurmctld || spawn slurmctld "$LOGD/slurmctld.log" /usr/sbin/slurmctld -D
  wait_for "slurmctld" 60 "$LOGD/slurmctld.log" slurmctld check_slurmctld
}

start_slurmd() {
  restart_if_changed slurmd slurm
  daemon_alive slurmd || spawn slurmd "$LOGD/slurmd.log" /usr/sbin/slurmd -D
  local deadline=$(($(now_ms) + 60000)) st resumed=0
  while ! check_node; do
    daemon_alive slurmd || fail_with_log "slurmd exited" "$LOGD/slurmd.log"
    st="$(sinfo -h -o %T 2>/dev/null | head -n1 || true)"
    if ((!resumed)) && [[ $st =~ drain|down|fail ]] && (($(now_ms) > deadline - 55000)); then
      log "node state '$st': resuming"
      scontrol update NodeName="$HOST_SHORT" State=RESUME 2>/dev/null || true
      resumed=1
    fi
    (($(now_ms) < deadline)) || fail_with_log "node did not become idle (state: $st)" "$LOGD/slurmd.log"
    sleep 0.1
  done
}

start_sshds() {
  restart_if_changed sshd-main sshd-main
  restart_if_changed sshd-2fa sshd-2fa
  if daemon_alive sshd-main && [[ "$(cat "$RUN/sshd-main.hostkey" 2>/dev/null)" != main ]]; then
    log "sshd-main runs with the alternative host key: restarting with the original"
    stop_daemon sshd-main
  fi
  daemon_alive sshd-main || start_sshd_main "$HOSTKEY_MAIN"
  daemon_alive sshd-2fa || start_sshd_2fa
}

# Needs the SLURM daemons (squeue over ssh). The two logins run in parallel.
verify_sshds() {
  wait_ssh_port "$SSH_PORT" sshd-main "$LOGD/sshd-main.log"
  wait_ssh_port "$SSH_PORT_2FA" sshd-2fa "$LOGD/sshd-2fa.log"
  wait_for "ssh hpc-sandbox squeue (publickey, slurm over ssh)" 20 "$LOGD/sshd-main.log" sshd-main \
    check_ssh_squeue &
  local p1=$!
  verify_auth_hosts
  wait_for "ssh login hpc-sandbox-2fa (publickey + TOTP)" 20 "$LOGD/sshd-2fa.log" sshd-2fa check_ssh_2fa
  wait "$p1" || exit 1
  for p1 in "${AUTH_PIDS[@]}"; do wait "$p1" || exit 1; done
}

ensure_packages
SCRIPTS_SUM="$(cat "$SCRIPT_DIR"/*.sh "$SCRIPT_DIR"/*.py | cksum)"

if all_running_current; then
  refresh_credentials
  if all_healthy_fast; then
    log "already running and healthy ($(($(now_ms) - T0)) ms)"
    echo READY
    exit 0
  fi
fi

prepare_dirs
ensure_hostname
ensure_munge_key
ensure_secrets
ensure_krb5_secrets
ensure_user
ensure_keys
ensure_user_ca
if cert_stale; then renew_user_cert; fi
write_configs
ensure_krb5_db
start_fixtures

start_sshds
start_auth_sshds
start_pool_sshds
start_kdc
start_munge
start_mariadb
start_slurmdbd
start_slurmctld
start_slurmd
start_faults_cluster
verify_sshds
start_gridengine
mount_full_disk
wait_fixtures
write_details
echo "$SCRIPTS_SUM" >"$RUN/scripts.sum"

log "sandbox ready in $(($(now_ms) - T0)) ms; details: $DETAILS"
echo READY
