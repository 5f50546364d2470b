#!/usr/bin/env bash
# steer-trafgen against steerd over memif, below saturation: no reordering and
# no duplicates (--expect), every lost packet one steerd counted (the two
# share 2 CPUs, so a descheduled generator can make steerd's TX back up),
# latency percentiles non-zero and monotone, and both of steerd's queues carry
# flows.
# usage: trafgen_steerd.sh STEERD STEER_TRAFGEN
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
STEERD=${1:?usage: $0 steerd steer-trafgen}
TRAFGEN=${2:?usage: $0 steerd steer-trafgen}
id=$$
sock="/run/steer-e2e-$id/p0.sock"
cat > "$E2E_DIR/steerd.yaml" <<YAML
eal: {lcores: "(0-2)@(0,1)", main_lcore: 0, memory_mb: 128, file_prefix: steer-tgs-d$id}
ports:
  - {name: p0, device: "net_memif0,role=server,socket=$sock,mac=02:00:00:00:00:10", rx_queues: 2, tx_queues: 2}
lcores: [{lcore: 1, poll: [p0:0]}, {lcore: 2, poll: [p0:1]}]
pipelines: [{queues: "p0:*", action: echo}]
dataplane: {burst: 32, poll: adaptive}
YAML
"$STEERD" --config "$E2E_DIR/steerd.yaml" > "$E2E_DIR/steerd.log" 2>&1 &
pid=$!
E2E_PIDS+=("$pid")
wait_for_line "$E2E_DIR/steerd.log" "running:" 20
set +e
timeout 60 "$TRAFGEN" --lcores "0@0,1@0" --no-huge -m 256 --no-pci --file-prefix "steer-tgs-g$id" --log-level=lib.eal:warning \
  --vdev "net_memif0,role=client,socket=$sock,mac=02:00:00:00:00:01" -- \
  --flows 256 --flow-mode random --seed 4 --queues 2 --rate 300000 --duration 3 --dst-mac 02:00:00:00:00:10 \
  --expect reordered=0,duplicated=0 --json "$E2E_DIR/out.json" > "$E2E_DIR/trafgen.log" 2>&1
rc=$?
set -e
cat "$E2E_DIR/trafgen.log" | grep -v '^EAL' || true
[ $rc -eq 0 ] || fail "steer-trafgen exit $rc (expectations failed or error)"
kill -TERM "$pid"
wait "$pid" || fail "steerd exit non-zero"
/usr/bin/python3 "$here/accounted.py" "$E2E_DIR/out.json" --totals "$E2E_DIR/steerd.log" || fail "loss not accounted for"
/usr/bin/python3 - "$E2E_DIR/out.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
lat = r["latency_ns"]
seq = [lat[k] for k in ("p50", "p90", "p99", "p999", "p9999", "max")]
assert all(v > 0 for v in seq), f"latency percentiles must be non-zero: {seq}"
assert seq == sorted(seq), f"latency percentiles must be monotone: {seq}"
assert r["sent"] > 800000, r["sent"]
qs = r["rx_queues"]
assert len(qs) == 2 and all(q["packets"] > 0 and q["flows"] > 0 for q in qs), qs
assert sum(q["flows"] for q in qs) == 256, qs
print("latency ns p50..max:", seq, "queues:", qs)
PY
echo "PASS trafgen_steerd"
