#!/bin/bash
# Smoke test of a running sandbox (run scripts/sandbox/start.sh first):
# job through sbatch over ssh -> COMPLETED in sacct, ssh/2FA/jump logins via
# the ssh2 npm package, certificate/Kerberos/ProxyCommand logins with OpenSSH
# (and what those hosts must refuse), fixtures present. Exit status 0 = all good.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SB="$REPO/.sandbox"
ssh_() { ssh -F "$SB/ssh_config" -o BatchMode=yes hpc-sandbox "$@"; }
t0=$(date +%s%3N)

id="$(ssh_ 'sbatch --parsable --wrap "echo hi"')"
echo "submitted job $id"
state=
for _ in $(seq 150); do
  state="$(ssh_ "sacct -n -X -S now-1hour -j $id -P -o State" | head -n1)"
  [[ $state == COMPLETED ]] && break
  [[ $state =~ FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_ME ]] && break
  sleep 0.2
done
ssh_ "sacct -S now-1hour -j $id -P -o JobID,State,ExitCode,Account,User"
[[ $state == COMPLETED ]] || { echo "FAIL: job $id state '$state'"; exit 1; }
out="$(ssh_ "cat slurm-$id.out && rm -f slurm-$id.out")"
[[ $out == hi ]] || { echo "FAIL: job output '$out'"; exit 1; }
echo "ok   job $id COMPLETED with output 'hi' ($(($(date +%s%3N) - t0)) ms incl. ssh round trips)"

node "$REPO/scripts/sandbox/check-ssh.mjs"

# the authentication hosts, with the system ssh (ssh2 cannot do any of them)
ssh_opts=(ssh -F "$SB/ssh_config" -o BatchMode=yes -o ConnectTimeout=10)
krb=(env KRB5_CONFIG="$SB/etc/krb5.conf" KRB5CCNAME="FILE:$SB/run/krb5cc_hpcuser")
nokrb=(env KRB5_CONFIG="$SB/etc/krb5.conf" KRB5CCNAME="FILE:$SB/run/no-such-ccache")
login() { # login WHAT ok|refused CMD... : CMD id -un logs in as hpcuser, or is refused
  local what=$1 want=$2 out rc=0
  shift 2
  out="$("$@" id -un 2>&1)" || rc=$?
  if [[ $want == ok && $rc == 0 && $out == hpcuser ]] || [[ $want == refused && $rc == 255 && $out == *"Permission denied"* ]]; then
    echo "ok   $what"
  else
    echo "FAIL: $what: exit $rc: $out"
    exit 1
  fi
}
login "certificate login (hpc-sandbox-cert)" ok "${ssh_opts[@]}" hpc-sandbox-cert
login "certificate host refuses the plain id_ed25519 key" refused "${ssh_opts[@]}" -p 2224 hpc-sandbox
login "Kerberos login (hpc-sandbox-krb)" ok "${krb[@]}" "${ssh_opts[@]}" hpc-sandbox-krb
login "Kerberos host refuses a client without a ticket" refused "${nokrb[@]}" "${ssh_opts[@]}" hpc-sandbox-krb
login "ProxyCommand login (hpc-sandbox-proxycmd)" ok "${ssh_opts[@]}" hpc-sandbox-proxycmd

n="$(ssh_ 'ls ~/fixtures/images | wc -l; ls -A ~/fixtures/hostile | wc -l; test ! -e ~/pwned && test ! -e ~/fixtures/hostile/pwned && echo clean')"
echo "fixtures: $(echo "$n" | tr '\n' ' ')"
[[ "$(echo "$n" | tail -n1)" == clean ]] || { echo "FAIL: fixtures"; exit 1; }
echo "ALL OK"
