#!/usr/bin/env bash
# Exit 0 when every sandbox daemon recorded by start.sh is alive, 1 otherwise (prints which).
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
rc=0
for d in "${DAEMON_ORDER[@]}"; do
  if daemon_alive "$d"; then echo "$d: running"; else echo "$d: stopped"; rc=1; fi
done
exit $rc
