#!/usr/bin/env bash
# Rate control: asked for 1 Mpps for 2 s into net_null, steer-trafgen sends
# within 2% of 2,000,000 packets.
# usage: trafgen_rate.sh STEER_TRAFGEN
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
TRAFGEN=${1:?usage: $0 path/to/steer-trafgen}
id=$$
"$TRAFGEN" --lcores "0@0,1@1" --no-huge -m 256 --no-pci --file-prefix "steer-tgr-$id" --log-level=lib.eal:warning \
  --vdev net_null0 -- --no-rx --flows 16 --rate 1000000 --duration 2 --quiet --json "$E2E_DIR/rate.json" \
  > "$E2E_DIR/out.txt" 2>&1 || { cat "$E2E_DIR/out.txt"; fail "steer-trafgen exited non-zero"; }
sent=$(sed -nE 's/^  "sent": ([0-9]+),/\1/p' "$E2E_DIR/rate.json")
echo "asked 2000000 packets (1 Mpps x 2 s), sent $sent"
[ "$sent" -ge 1960000 ] && [ "$sent" -le 2040000 ] || fail "sent $sent is not within 2% of 2000000"
echo "PASS trafgen_rate"
