#!/usr/bin/env bash
# The demo: install, build, run steerd on its embedded deployment
# (configs/demo.yaml: one memif port, two queues, two echo workers) with
# dpdk-testpmd on the other end generating traffic, and print steerd's
# per-queue counters every second. No NIC, no hugepages. DEMO_SECONDS=N to
# change how long it runs (default 8).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/setup.sh"
"$top/scripts/build.sh"
secs=${DEMO_SECONDS:-8}
steerd="$top/build/controlplane/steerd"
"$steerd" --stats-interval 1 &
steerd_pid=$!
gen_pid=
cleanup() {
  [ -n "$gen_pid" ] && kill -INT "$gen_pid" 2>/dev/null || true
  kill -TERM "$steerd_pid" 2>/dev/null || true
  wait "$steerd_pid" 2>/dev/null || true
}
trap cleanup EXIT
sleep 2
echo "=== starting dpdk-testpmd (flowgen) as the memif client; steerd prints its counters every second ==="
dpdk-testpmd --lcores "0@0,1@1" --no-huge --no-pci -m 256 --file-prefix steerd-demo-gen --log-level=lib.eal:warning \
  --vdev "net_memif0,role=client,socket=/run/steerd/demo-p0.sock,mac=02:00:00:00:00:01" -- \
  --rxq=2 --txq=2 --nb-cores=1 --total-num-mbufs=16384 --forward-mode=flowgen --eth-peer=0,02:00:00:00:00:10 --stats-period 1 \
  > /tmp/steer-demo-testpmd.log 2>&1 &
gen_pid=$!
sleep "$secs"
kill -INT "$gen_pid" 2>/dev/null || true
wait "$gen_pid" 2>/dev/null || true
gen_pid=
sleep 1
echo "=== generator stopped (its log: /tmp/steer-demo-testpmd.log); stopping steerd ==="
