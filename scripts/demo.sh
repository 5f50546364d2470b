#!/usr/bin/env bash
# The demo: install, build, run steerd on configs/steering.yaml (one memif
# port that gives one queue, steered in software over two logical queues by a
# dispatcher lcore, two echo workers, the ordering audit on) with
# steer-trafgen as the memif client. It shows the live rates (steerctl top),
# makes one live RETA change mid-traffic and prints its report, shows the
# rates again, then the audit's verdict. No NIC, no hugepages.
# DEMO_SECONDS=N: traffic time (default 10).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/setup.sh"
"$top/scripts/build.sh"
secs=${DEMO_SECONDS:-10}
b="$top/build"
work=$(mktemp -d /tmp/steer-demo.XXXXXX)
sed -e "s|socket=/run/steerd/steer-p0.sock|socket=$work/p0.sock|" "$top/configs/steering.yaml" > "$work/steerd.yaml"
echo "control: {socket: $work/ctl.sock}" >> "$work/steerd.yaml"
ctl() { "$b/cli/steerctl" --socket "$work/ctl.sock" "$@"; }
"$b/controlplane/steerd" --config "$work/steerd.yaml" > "$work/steerd.log" 2>&1 &
steerd_pid=$!
gen_pid=
cleanup() {
  [ -n "$gen_pid" ] && kill -INT "$gen_pid" 2>/dev/null || true
  kill -TERM "$steerd_pid" 2>/dev/null || true
  wait "$steerd_pid" 2>/dev/null || true
  echo "(steerd's log: $work/steerd.log)"
}
trap cleanup EXIT
for _ in $(seq 100); do grep -q "running:" "$work/steerd.log" 2>/dev/null && break; sleep 0.1; done
echo "=== steerd runs (software steering on p0: $(ctl rss show p0 | head -1)); starting steer-trafgen at 200 kpps ==="
"$b/tools/trafgen/steer-trafgen" --lcores "0@0,1@0" --no-huge --no-pci -m 256 --file-prefix steer-demo-gen \
  --log-level=lib.eal:warning --vdev "net_memif0,role=client,socket=$work/p0.sock" -- \
  --flows 1024 --queues 2 --rate 200000 --duration "$secs" > "$work/trafgen.log" 2>&1 &
gen_pid=$!
sleep 1
echo "=== live rates (steerctl top) ==="
ctl top --no-clear --interval 1000 --count 2
echo "=== a live RETA change under traffic: every bucket to queue 1 (steerctl rss set-reta p0 --spread 1) ==="
ctl rss set-reta p0 --spread 1
echo "=== rates after the change: queue 0 drained, queue 1 takes everything ==="
ctl top --no-clear --interval 1000 --count 1
wait "$gen_pid" 2>/dev/null || true
gen_pid=
echo "=== steer-trafgen's verdict ==="
grep -v '^EAL' "$work/trafgen.log" | tail -4
reordered=$(ctl -o json stats | /usr/bin/python3 -c \
  'import json,sys; print(sum(int(q.get("reordered", 0)) for q in json.load(sys.stdin)["queues"]))')
echo "=== steerd's ordering audit: reordered $reordered ==="
