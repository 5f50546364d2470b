#!/usr/bin/env bash
# RETA changes through gRPC: round-trip latency p50/p99 and changes per second,
# without traffic and with steer-trafgen sending 200 kpps over 256 flows, on
# configs/steering.yaml (memif, software steering, dispatcher + 2 workers).
# With traffic, steerd's audit must stay at reordered=0 and nothing may be lost.
# Prints three result lines, "rpc_change idle ...", "rpc_change traffic ..."
# and "rpc_change idle+journal ...": idle again on a steerd that journals every
# change (--state-dir on /var/tmp, the disk /var/lib/steerd would be on).
# usage: control_latency.sh [build dir]   env: CHANGES (500)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$top/build}
N=${CHANGES:-500}
work=$(mktemp -d /tmp/steer-bench.XXXXXX)
state=/var/tmp/steer-bench-state.$$
id=$$
pid=
cleanup() {
  [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null || true
  rm -rf "$work" "$state" /var/run/dpdk/steer-cl-?"$id"
}
trap cleanup EXIT
sock="/run/steer-bench-$id/p0.sock"
sed -e "s|socket=/run/steerd/steer-p0.sock|socket=$sock|" -e "s|file_prefix: steerd-steer|file_prefix: steer-cl-d$id|" \
  "$top/configs/steering.yaml" > "$work/steerd.yaml"
echo "control: {socket: $work/ctl.sock}" >> "$work/steerd.yaml"
"$build/controlplane/steerd" --config "$work/steerd.yaml" > "$work/steerd.log" 2>&1 &
pid=$!
until grep -q "control plane on" "$work/steerd.log"; do sleep 0.1; done
echo "rpc_change idle $("$build/tools/bench/steer-bench-rpc" "$work/ctl.sock" p0 "$N" | sed 's/^rpc_change //')"
"$build/tools/trafgen/steer-trafgen" --lcores "0@0,1@0" --no-huge -m 256 --no-pci --file-prefix "steer-cl-g$id" \
  --log-level=lib.eal:warning --vdev "net_memif0,role=client,socket=$sock" -- --flows 256 --queues 2 --rate 200000 \
  --duration 30 --quiet --expect loss=0 > "$work/gen.log" 2>&1 &
gen=$!
sleep 1
line=$("$build/tools/bench/steer-bench-rpc" "$work/ctl.sock" p0 "$N" | sed 's/^rpc_change //')
kill -INT "$gen"; wait "$gen" || { cat "$work/gen.log" >&2; echo "traffic lost packets" >&2; exit 1; }
reordered=$("$build/cli/steerctl" --socket "$work/ctl.sock" -o json stats | /usr/bin/python3 -c "import json,sys; print(json.load(sys.stdin).get('reordered', 0))")
echo "rpc_change traffic $line reordered=$reordered"
kill -TERM "$pid"; wait "$pid" || true
"$build/controlplane/steerd" --config "$work/steerd.yaml" --state-dir "$state" > "$work/steerd2.log" 2>&1 &
pid=$!
until grep -q "control plane on" "$work/steerd2.log"; do sleep 0.1; done
echo "rpc_change idle+journal $("$build/tools/bench/steer-bench-rpc" "$work/ctl.sock" p0 "$N" | sed 's/^rpc_change //')"
[ -s "$state/running.yaml" ] || { echo "no state journal was written" >&2; exit 1; }
