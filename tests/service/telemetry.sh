#!/usr/bin/env bash
# DPDK's telemetry on a live steerd (issue 11): dpdk-telemetry.py (Debian's)
# lists the /steer/ commands beside /ethdev/*, and they answer: the ports, a
# port's steering (generation 1 after a steerctl change), its per-queue and
# per-lcore counters; an unknown port gets null.
# usage: telemetry.sh STEERD STEERCTL CONFIG
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../e2e/lib.sh"
STEERD=${1:?}; STEERCTL=${2:?}; CONFIG=${3:?}
prefix=steer-tm-d$$
steering_yaml "$CONFIG" "$prefix"
"$STEERD" --config "$E2E_DIR/steerd.yaml" > "$E2E_DIR/steerd.log" 2>&1 &
pid=$!; E2E_PIDS+=("$pid")
wait_for_line "$E2E_DIR/steerd.log" "running:" 20 || fail "steerd did not start"
"$STEERCTL" --socket "$E2E_DIR/ctl.sock" rss set-reta p0 --spread 1 > /dev/null || fail "steerctl rss set-reta"
printf '/\n/steer/ports\n/steer/steering,p0\n/steer/queues,p0\n/steer/lcores\n/steer/steering,nope\n/ethdev/list\n' |
  timeout 20 /usr/bin/python3 /usr/bin/dpdk-telemetry.py -f "$prefix" > "$E2E_DIR/telemetry.out" 2>&1 ||
  { cat "$E2E_DIR/telemetry.out"; fail "dpdk-telemetry.py"; }
/usr/bin/python3 - "$E2E_DIR/telemetry.out" <<'PY' || fail "telemetry answers"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip().startswith("{")]
cmds = next(l["/"] for l in lines if "/" in l)
for c in ("/steer/ports", "/steer/steering", "/steer/queues", "/steer/lcores", "/ethdev/list"):
    assert c in cmds, (c, cmds)
assert next(l["/steer/ports"] for l in lines if "/steer/ports" in l) == ["p0"]
steering = [l["/steer/steering"] for l in lines if "/steer/steering" in l]
assert steering[0]["generation"] == 1 and steering[0]["backend"] == "software", steering[0]
assert steering[0]["reta_size"] == 128 and steering[0]["rules"] == 2, steering[0]
assert steering[1] is None, ("an unknown port answered", steering[1])
queues = next(l["/steer/queues"] for l in lines if "/steer/queues" in l)
assert sorted(queues) == ["0", "1"] and "rx" in queues["0"] and "unbacked" in queues["1"], queues
lcores = next(l["/steer/lcores"] for l in lines if "/steer/lcores" in l)
assert lcores and all(v["loops"] > 0 for v in lcores.values()), lcores
print("telemetry:", json.dumps(steering[0]))
PY
kill -TERM $pid; wait $pid || fail "steerd exited non-zero"
echo "PASS telemetry"
