#!/usr/bin/env bash
# npm run bench: every benchmark against the sandbox, each printing a side-by-side table.
# BENCH="listing transfer" runs a subset (bench/setup.sh: SETUP_FULL=1 adds the fresh-clone figures). Results are also written to bench/results/*.json.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d node_modules ]; then npm ci --no-audit --no-fund; fi
bash scripts/sandbox/start.sh >/dev/null
for b in ${BENCH:-listing transfer transport transport-aes-gcm scheduler forward gallery gallery-100mbit tail footprint nagle setup}; do
  case "$b" in
    setup) printf '\n##### bench/setup.sh\n'; bash bench/setup.sh ;;
    # The gallery's 100 Mbit/s row: 30 ms RTT over a 100 Mbit/s link.
    gallery-100mbit) printf '\n##### bench/gallery.ts --rtt 30 --mbps 100\n'; node --import tsx bench/gallery.ts --rtt 30 --mbps 100 ;;
    # The transfers again with AES-GCM on the OpenSSH sides (the cipher ssh2 picks).
    transport-aes-gcm) printf '\n##### bench/transport.ts --parts transfer --ciphers aes128-gcm@openssh.com\n'; node --import tsx bench/transport.ts --parts transfer --ciphers aes128-gcm@openssh.com ;;
    *) printf '\n##### bench/%s.ts\n' "$b"; node --import tsx "bench/$b.ts" ;;
  esac
done
