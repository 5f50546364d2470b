#!/usr/bin/env bash
# steerd as an operator meets it: --check prints the plan, a bad file is
# refused with file:line:column and exit 2, a start failure is one sentence and
# exit 1, SIGUSR1 prints counters while running, SIGTERM stops with exit 0 and
# final counters. The running case uses net_null, whose RX makes packets up,
# so counters move without a peer.
# usage: steerd_cli.sh STEERD
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
STEERD=${1:?usage: $0 path/to/steerd}
id=$$

# --check on the embedded demo and on the files shipped in configs/
"$STEERD" --check > "$E2E_DIR/check.out" || fail "--check of the embedded demo failed"
grep -q "configuration OK" "$E2E_DIR/check.out" || fail "--check did not say OK"
grep -q "p0:1  polled by lcore 2  -> echo" "$E2E_DIR/check.out" || fail "--check plan lacks the queue map"
grep -qE "socket 0 +[0-9]+ mbufs \(auto" "$E2E_DIR/check.out" || fail "--check plan lacks the pool size"
# A steered port's plan: mode, dispatchers, RETA share, rules by priority, drain, audit.
"$STEERD" --config "$(dirname "$0")/../../configs/steering.yaml" --check > "$E2E_DIR/steer.out" || fail "--check steering.yaml"
for want in "p0  mode auto: hardware if the device takes" "dispatchers (software): lcore 1 takes p0:rx0, p0:rx1" \
    "reta: 128 entries; q0 64 (50%) q1 64 (50%)" "dns (priority 10): ipv4_dst=10.0.0.0/24 udp_dst=53 -> queue 1" \
    "drain: on: a moved flow's packets wait until its old queue is empty, at most 100 ms" \
    "audit: flow id at byte 46, sequence at byte 50" "1  dispatches p0:rx0 p0:rx1"; do
  grep -qF "$want" "$E2E_DIR/steer.out" || { cat "$E2E_DIR/steer.out"; fail "--check lacks: $want"; }
done
for f in "$here"/../../configs/*.yaml; do
  "$STEERD" --config "$f" --check > /dev/null || fail "--check $f failed"
done

# a bad file: exit 2, error located, nothing started
cat > "$E2E_DIR/bad.yaml" <<YAML
ports: [{name: p0, device: net_null0, rx_queues: 1}]
lcores: [{lcore: 1, poll: [p0:0], pol: []}]
pipelines: [{queues: "p0:*", action: echo}]
YAML
set +e
"$STEERD" --config "$E2E_DIR/bad.yaml" > "$E2E_DIR/bad.out" 2>&1
rc=$?
set -e
[ $rc -eq 2 ] || fail "bad config: exit $rc, want 2"
grep -q "bad.yaml:2:35: lcores\[0\].pol: unknown key (did you mean poll?)" "$E2E_DIR/bad.out" || { cat "$E2E_DIR/bad.out"; fail "bad config: message"; }

# a device that cannot be probed: exit 1, one sentence naming the port
cat > "$E2E_DIR/nodev.yaml" <<YAML
eal: {lcores: "(0-1)@(0,1)", main_lcore: 0, memory_mb: 128, file_prefix: steer-cli-n$id}
ports: [{name: p0, device: "net_nosuch0,x=1"}]
lcores: [{lcore: 1, poll: [p0:0]}]
pipelines: [{queues: "p0:*", action: echo}]
YAML
set +e
"$STEERD" --config "$E2E_DIR/nodev.yaml" > "$E2E_DIR/nodev.out" 2>&1
rc=$?
set -e
[ $rc -eq 1 ] || fail "unprobeable device: exit $rc, want 1"
grep -q "nodev.yaml:2:.*ports\[0\].device: port p0: device \"net_nosuch0,x=1\" could not be probed" "$E2E_DIR/nodev.out" || { cat "$E2E_DIR/nodev.out"; fail "unprobeable device: message"; }

# running: SIGUSR1 prints a table, SIGTERM stops cleanly
cat > "$E2E_DIR/null.yaml" <<YAML
eal: {lcores: "(0-2)@(0,1)", main_lcore: 0, memory_mb: 128, file_prefix: steer-cli-r$id}
ports: [{name: n0, device: "net_null0,copy=0", rx_queues: 2, tx_queues: 2, rx_desc: 256, tx_desc: 256}]
lcores: [{lcore: 1, poll: [n0:0]}, {lcore: 2, poll: [n0:1]}]
pipelines: [{queues: "n0:*", action: echo}]
dataplane: {burst: 32, poll: adaptive}
YAML
"$STEERD" --config "$E2E_DIR/null.yaml" > "$E2E_DIR/run.out" 2>&1 &
pid=$!
E2E_PIDS+=("$pid")
wait_for_line "$E2E_DIR/run.out" "running:" 20
sleep 0.5
kill -USR1 "$pid"
wait_for_line "$E2E_DIR/run.out" "^totals:" 10
rx1=$(grep '^totals:' "$E2E_DIR/run.out" | head -1 | sed -E 's/.* rx=([0-9]+).*/\1/')
[ "$rx1" -gt 0 ] || fail "SIGUSR1 table shows no traffic"
grep -qE "^n0:1 +2 +[1-9]" "$E2E_DIR/run.out" || fail "queue n0:1 on lcore 2 did not count"
kill -TERM "$pid"
set +e
wait "$pid"
rc=$?
set -e
[ $rc -eq 0 ] || fail "SIGTERM: exit $rc, want 0"
grep -q "final counters" "$E2E_DIR/run.out" || fail "no final counters"
rx2=$(grep '^totals:' "$E2E_DIR/run.out" | tail -1 | sed -E 's/.* rx=([0-9]+).*/\1/')
[ "$rx2" -ge "$rx1" ] || fail "final rx $rx2 < earlier $rx1"
grep -E "^steer[0-9]+_s0 +0 +[0-9]+ +0 " "$E2E_DIR/run.out" | tail -1 | grep -q . || fail "pool not back to 0 in use at exit"
echo "PASS steerd_cli (rx at SIGUSR1 $rx1, final $rx2)"
