# shellcheck shell=bash
# The sandbox's authentication hosts (issue 10), sourced by start.sh after
# its helpers (write_file, mark_changed, restart_if_changed):
#   127.0.0.1:2224  sshd that accepts only user certificates signed by a test CA
#   127.0.0.1:2225  sshd that accepts only GSSAPI (Kerberos), KDC on 127.0.0.1:2288
#   hpc-sandbox-proxycmd: the main sshd (2222) reached only through a ProxyCommand
# The ssh_config aliases and known_hosts entries are written by start.sh's
# write_configs with the others.

# ---- certificate host ----

# Epoch seconds stored in file $1 (0 when missing).
stored_epoch() {
  local v=0
  [[ -s $1 ]] && read -r v <"$1"
  [[ $v =~ ^[0-9]+$ ]] || v=0
  echo "$v"
}

# True when the credential recorded in $1 (epoch file) for file $2 has less
# than CRED_MIN_LEFT_S left (or is missing).
cred_stale() {
  [[ -s $2 ]] || return 0
  (($(stored_epoch "$1") - EPOCHSECONDS < CRED_MIN_LEFT_S))
}

ensure_user_ca() {
  install -d -m 755 "$CA_DIR"
  [[ -s $USER_CA ]] || ssh-keygen -q -t ed25519 -N '' -C "remote-hpc-sandbox-user-ca" -f "$USER_CA"
  chmod 600 "$USER_CA"
  chmod 644 "$USER_CA.pub"
  local inv
  inv="$(invoker)"
  [[ -s $CERT_KEY ]] || ssh-keygen -q -t ed25519 -N '' -C "hpcuser-cert@remote-hpc-sandbox" -f "$CERT_KEY"
  chown "$inv" "$CERT_KEY" "$CERT_KEY.pub"
  chmod 600 "$CERT_KEY"
  chmod 644 "$CERT_KEY.pub"
  # certificates of an earlier key or CA are useless: sign again
  if [[ -s $CERT_FILE ]]; then
    local l
    l="$(ssh-keygen -L -f "$CERT_FILE" 2>/dev/null || true)"
    [[ $l == *"Public key: ED25519-CERT $(fingerprint "$CERT_KEY.pub")"* &&
      $l == *"Signing CA: ED25519 $(fingerprint "$USER_CA.pub")"* ]] ||
      rm -f "$STATE/id_cert.expires" "$CERT_EXPIRED"
  fi
  # for tests of an expired certificate (same key, same CA, validity in 2020)
  [[ -s $CERT_EXPIRED ]] || sign_user_cert 20200101:20200102 "$CERT_EXPIRED"
}

# sign_user_cert VALIDITY DEST: certify CERT_KEY for principal hpcuser; DEST
# is replaced atomically (clients may be reading it).
sign_user_cert() {
  local tmp="$KEYS/.id_cert.$$"
  cp "$CERT_KEY.pub" "$tmp.pub"
  ssh-keygen -q -s "$USER_CA" -I "hpcuser@remote-hpc-sandbox" -n "$SANDBOX_USER" -V "$1" "$tmp.pub"
  chown "$(invoker)" "$tmp-cert.pub"
  chmod 644 "$tmp-cert.pub"
  mv -f "$tmp-cert.pub" "$2"
  rm -f "$tmp.pub"
}

# The certificate the hpc-sandbox-cert alias uses, with its end time recorded.
renew_user_cert() {
  local to
  sign_user_cert "$CERT_VALIDITY" "$CERT_FILE"
  to="$(ssh-keygen -L -f "$CERT_FILE" | sed -n 's/^ *Valid: from .* to //p')"
  [[ -n $to ]] || die "cannot read the validity of $CERT_FILE"
  date -d "$to" +%s >"$STATE/id_cert.expires"
  log "signed user certificate $CERT_FILE (valid until $to)"
}

cert_stale() { cred_stale "$STATE/id_cert.expires" "$CERT_FILE"; }

# ---- Kerberos ----

ensure_krb5_secrets() {
  [[ -s $SECRETS/krb5-password ]] || gen_secret >"$SECRETS/krb5-password"
  [[ -s $SECRETS/krb5-master ]] || gen_secret >"$SECRETS/krb5-master"
  chmod 600 "$SECRETS/krb5-password" "$SECRETS/krb5-master"
  chown "$(invoker)" "$SECRETS/krb5-password"
}

# The realm database with the two principals and their keytabs. Made again
# (and the KDC restarted, the ticket cache dropped) when the password or the
# principals change; otherwise left alone.
ensure_krb5_db() {
  local want applied=''
  want="$(cksum <"$SECRETS/krb5-password") $KRB_PRINCIPAL $KRB_HOST_PRINCIPAL"
  if [[ -f $STATE/krb5.applied ]]; then read -r applied <"$STATE/krb5.applied" || true; fi
  if [[ $applied == "$want" && -s $KRB_DB_DIR/principal && -s $KRB_CLIENT_KEYTAB && -s $KRB_HOST_KEYTAB ]]; then
    return 0
  fi
  log "creating Kerberos realm $KRB_REALM"
  rm -rf "$KRB_DB_DIR" "$KRB_CLIENT_KEYTAB" "$KRB_HOST_KEYTAB" "$KRB_CCACHE" "$STATE/krb5cc.expires"
  install -d -m 700 "$KRB_DB_DIR"
  kdb5_util -r "$KRB_REALM" create -s -P "$(<"$SECRETS/krb5-master")" >/dev/null ||
    die "kdb5_util create failed"
  # commands on stdin, not argv; kadmin.local echoes them, so the output
  # (which contains the password) is only shown, masked, on failure
  local out
  out="$(kadmin.local -r "$KRB_REALM" 2>&1 <<EOF
addprinc -pw $(<"$SECRETS/krb5-password") $KRB_PRINCIPAL
addprinc -randkey $KRB_HOST_PRINCIPAL
ktadd -k $KRB_CLIENT_KEYTAB -norandkey $KRB_PRINCIPAL
ktadd -k $KRB_HOST_KEYTAB -norandkey $KRB_HOST_PRINCIPAL
EOF
  )" || true
  if ! klist -k "$KRB_CLIENT_KEYTAB" 2>/dev/null | grep -qF "$KRB_PRINCIPAL" ||
    ! klist -k "$KRB_HOST_KEYTAB" 2>/dev/null | grep -qF "$KRB_HOST_PRINCIPAL"; then
    printf '%s\n' "${out//$(<"$SECRETS/krb5-password")/***}" >&2
    die "kadmin.local could not create the principals and keytabs"
  fi
  chown "$(invoker)" "$KRB_CLIENT_KEYTAB"
  chmod 600 "$KRB_CLIENT_KEYTAB" "$KRB_HOST_KEYTAB"
  echo "$want" >"$STATE/krb5.applied"
  mark_changed krb5kdc
}

# kinit from the client keytab into a new cache, moved over the old one (a
# test may be reading it), owned by the invoking user.
kinit_ccache() {
  local tmp="$RUN/.krb5cc.$$" to
  kinit -k -t "$KRB_CLIENT_KEYTAB" -l "$KRB_TICKET_LIFETIME" -c "FILE:$tmp" "$KRB_PRINCIPAL" || return 1
  to="$(klist -c "FILE:$tmp" | awk -v s="krbtgt/$KRB_REALM@$KRB_REALM" '$5 == s {print $3, $4; exit}')"
  [[ -n $to ]] && chown "$(invoker)" "$tmp" && chmod 600 "$tmp" || return 1
  date -d "$to" +%s >"$STATE/krb5cc.expires" && mv -f "$tmp" "$KRB_CCACHE"
}

ticket_stale() { cred_stale "$STATE/krb5cc.expires" "$KRB_CCACHE"; }

renew_ticket() {
  wait_for "kinit $KRB_PRINCIPAL (KDC on 127.0.0.1:$KDC_PORT)" 20 "$LOGD/krb5kdc.log" krb5kdc kinit_ccache
  log "ticket cache $KRB_CCACHE renewed (valid until $(date -d "@$(stored_epoch "$STATE/krb5cc.expires")" '+%F %T'))"
}

# ---- configs ----

# PAM stack of a sandbox sshd on port $1 (auth is unused by the cert and
# Kerberos servers: sshd checks those methods itself).
pam_sshd_stack() {
  cat <<EOF
# Generated by remote-hpc scripts/sandbox/start.sh: sshd on 127.0.0.1:$1
@include common-auth
account    required     pam_nologin.so
@include common-account
session    optional     pam_keyinit.so force revoke
@include common-session
session    optional     pam_limits.so
session    required     pam_env.so
@include common-password
EOF
}

# $1 = the sshd settings every sandbox server shares (start.sh's $common).
# sshd_config takes the first value of a keyword, so each server's own lines
# come before the shared block.
write_auth_configs() {
  local common=$1
  ln -sfn /usr/sbin/sshd "$SBIN/$PAM_CERT"
  ln -sfn /usr/sbin/sshd "$SBIN/$PAM_KRB"
  write_file "$ETC/sshd_cert.conf" 644 root:root <<EOF && mark_changed sshd-cert || true
# Generated by scripts/sandbox/start.sh (Remote HPC sandbox) - do not edit.
# Certificate-only: no authorized_keys, any key certified by the user CA for principal $SANDBOX_USER.
Port $SSH_PORT_CERT
AuthorizedKeysFile none
TrustedUserCAKeys $USER_CA.pub
PasswordAuthentication no
KbdInteractiveAuthentication no
AuthenticationMethods publickey
$common
EOF
  write_file "$ETC/sshd_krb.conf" 644 root:root <<EOF && mark_changed sshd-krb || true
# Generated by scripts/sandbox/start.sh (Remote HPC sandbox) - do not edit.
# GSSAPI only (keytab $KRB_HOST_KEYTAB, realm $KRB_REALM via KRB5_CONFIG).
Port $SSH_PORT_KRB
PubkeyAuthentication no
AuthorizedKeysFile none
PasswordAuthentication no
KbdInteractiveAuthentication no
KerberosAuthentication no
GSSAPIAuthentication yes
GSSAPICleanupCredentials yes
# accept any host principal of the keytab (ours is host/$KRB_HOSTNAME, not host/\$(hostname))
GSSAPIStrictAcceptorCheck no
AuthenticationMethods gssapi-with-mic
$common
EOF
  write_file "/etc/pam.d/$PAM_CERT" 644 root:root < <(pam_sshd_stack "$SSH_PORT_CERT") || true
  write_file "/etc/pam.d/$PAM_KRB" 644 root:root < <(pam_sshd_stack "$SSH_PORT_KRB") || true

  # client and KDC read only these (KRB5_CONFIG, KRB5_KDC_PROFILE), never /etc/krb5.conf
  write_file "$KRB5_CONF" 644 root:root <<EOF && mark_changed krb5kdc || true
# Generated by scripts/sandbox/start.sh (Remote HPC sandbox) - do not edit.
# Use with KRB5_CONFIG=$KRB5_CONF KRB5CCNAME=FILE:$KRB_CCACHE
[libdefaults]
  default_realm = $KRB_REALM
  dns_lookup_kdc = false
  dns_lookup_realm = false
  # the service ticket is for host/<HostName as written>: no DNS canonicalisation
  dns_canonicalize_hostname = false
  rdns = false
  ticket_lifetime = $KRB_TICKET_LIFETIME
  renew_lifetime = 7d
  forwardable = true

[realms]
  $KRB_REALM = {
    kdc = 127.0.0.1:$KDC_PORT
  }

[domain_realm]
  $KRB_HOSTNAME = $KRB_REALM
EOF
  write_file "$KDC_CONF" 600 root:root <<EOF && mark_changed krb5kdc || true
# Generated by scripts/sandbox/start.sh (Remote HPC sandbox) - do not edit.
[kdcdefaults]
  kdc_listen = 127.0.0.1:$KDC_PORT
  kdc_tcp_listen = 127.0.0.1:$KDC_PORT

[realms]
  $KRB_REALM = {
    database_name = $KRB_DB_DIR/principal
    key_stash_file = $KRB_DB_DIR/stash
    acl_file = $ETC/kadm5.acl
    max_life = $KRB_TICKET_LIFETIME
    max_renewable_life = 7d
  }

[logging]
  kdc = FILE:$LOGD/krb5kdc.log
  default = FILE:$LOGD/krb5kdc.log
EOF
  write_file "$ETC/kadm5.acl" 644 root:root </dev/null || true
}

# ---- daemons ----

start_kdc() {
  restart_if_changed krb5kdc krb5kdc
  daemon_alive krb5kdc ||
    spawn krb5kdc "$LOGD/krb5kdc.log" KRB5_CONFIG="$KRB5_CONF" KRB5_KDC_PROFILE="$KDC_CONF" \
      /usr/sbin/krb5kdc -n
  wait_for "krb5kdc on 127.0.0.1:$KDC_PORT" 20 "$LOGD/krb5kdc.log" krb5kdc check_kdc
  if ticket_stale; then renew_ticket; fi
}

# start_auth_sshd NAME PAM_NAME CONFIG [ENV=VALUE...]
start_auth_sshd() {
  local name=$1 pam=$2 conf=$3
  shift 3
  restart_if_changed "$name" "$name"
  daemon_alive "$name" && return 0
  "$SBIN/$pam" -t -f "$conf" -h "$HOSTKEY_MAIN" || die "sshd config test failed for $conf"
  spawn "$name" "$LOGD/$name.log" "$@" "$SBIN/$pam" -D -f "$conf" -h "$HOSTKEY_MAIN" -E "$LOGD/$name.log"
}

start_auth_sshds() {
  start_auth_sshd sshd-cert "$PAM_CERT" "$ETC/sshd_cert.conf"
  # the GSSAPI acceptor runs in sshd's privileged monitor: it needs the realm and keytab
  start_auth_sshd sshd-krb "$PAM_KRB" "$ETC/sshd_krb.conf" \
    KRB5_CONFIG="$KRB5_CONF" KRB5_KTNAME="FILE:$KRB_HOST_KEYTAB"
}

# Logins to the three hosts in the background; their PIDs go to AUTH_PIDS.
verify_auth_hosts() {
  wait_ssh_port "$SSH_PORT_CERT" sshd-cert "$LOGD/sshd-cert.log"
  wait_ssh_port "$SSH_PORT_KRB" sshd-krb "$LOGD/sshd-krb.log"
  AUTH_PIDS=()
  wait_for "ssh login hpc-sandbox-cert (user certificate)" 20 "$LOGD/sshd-cert.log" sshd-cert check_ssh_cert &
  AUTH_PIDS+=($!)
  wait_for "ssh login hpc-sandbox-krb (GSSAPI)" 20 "$LOGD/sshd-krb.log" sshd-krb check_ssh_krb &
  AUTH_PIDS+=($!)
  wait_for "ssh login hpc-sandbox-proxycmd (ProxyCommand)" 20 "$LOGD/sshd-main.log" sshd-main check_ssh_proxycmd &
  AUTH_PIDS+=($!)
}
