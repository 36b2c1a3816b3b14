#!/bin/bash
# Smoke test of a running sandbox (run scripts/sandbox/start.sh first):
# job through sbatch over ssh -> COMPLETED in sacct, ssh/2FA/jump logins via
# the ssh2 npm package, fixtures present. Exit status 0 = all good.
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

n="$(ssh_ 'ls ~/fixtures/images | wc -l; ls -A ~/fixtures/hostile | wc -l; test ! -e ~/pwned && test ! -e ~/fixtures/hostile/pwned && echo clean')"
echo "fixtures: $(echo "$n" | tr '\n' ' ')"
[[ "$(echo "$n" | tail -n1)" == clean ]] || { echo "FAIL: fixtures"; exit 1; }
echo "ALL OK"
