#!/usr/bin/env bash
# The Prometheus endpoint (issue 11): steerd with metrics.address set, the
# software-steering deployment, steer-trafgen traffic and one live change;
# then, traffic stopped, /metrics (parsed by prometheus_client) matches the
# gRPC stats, busy ratios and mempool headroom are gauges in [0, 1], the
# change is in the histograms and the generation. A port already in use is
# refused naming metrics.address.
# usage: metrics.sh STEERD STEERCTL TRAFGEN CONFIG
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../e2e/lib.sh"
STEERD=${1:?}; STEERCTL=${2:?}; TRAFGEN=${3:?}; CONFIG=${4:?}
id=$$
port=$((20000 + id % 20000))
steering_yaml "$CONFIG" "steer-mx-d$id"
echo "metrics: {address: \"127.0.0.1:$port\"}" >> "$E2E_DIR/steerd.yaml"
"$STEERD" --config "$E2E_DIR/steerd.yaml" > "$E2E_DIR/steerd.log" 2>&1 &
pid=$!; E2E_PIDS+=("$pid")
wait_for_line "$E2E_DIR/steerd.log" "metrics on http://127.0.0.1:$port/metrics" 20 || fail "no metrics endpoint"

# A second steerd on the same metrics port is refused, naming the field.
sed -e "s|$E2E_DIR/p0.sock|$E2E_DIR/p1.sock|" -e "s|steer-mx-d$id|steer-mx-e$id|" -e "s|ctl.sock|ctl2.sock|" \
  "$E2E_DIR/steerd.yaml" > "$E2E_DIR/second.yaml"
set +e
"$STEERD" --config "$E2E_DIR/second.yaml" > "$E2E_DIR/second.log" 2>&1; rc=$?
set -e
grep -q "metrics.address: cannot listen on 127.0.0.1:$port" "$E2E_DIR/second.log" && [ $rc -eq 1 ] ||
  { cat "$E2E_DIR/second.log"; fail "a metrics port in use was not refused (exit $rc)"; }

timeout 60 "$TRAFGEN" --lcores "0@0,1@0" --no-huge -m 256 --no-pci --file-prefix "steer-mx-g$id" --log-level=lib.eal:warning \
  --vdev "net_memif0,role=client,socket=$E2E_DIR/p0.sock" -- --flows 256 --queues 2 --rate 100000 --duration 2 \
  > "$E2E_DIR/trafgen.log" 2>&1 &
gen=$!
sleep 1
"$STEERCTL" --socket "$E2E_DIR/ctl.sock" rss set-reta p0 --spread 1 > /dev/null || fail "steerctl rss set-reta"
wait $gen || true
sleep 0.5  # the last echoes leave
/usr/bin/python3 "$here/metrics_check.py" "http://127.0.0.1:$port/metrics" "$STEERCTL" "$E2E_DIR/ctl.sock" ||
  fail "metrics"
kill -TERM $pid; wait $pid || fail "steerd exited non-zero"
echo "PASS metrics"
