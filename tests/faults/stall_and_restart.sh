#!/usr/bin/env bash
# Two faults on a memif echo (issue 10):
# 1) TX full for seconds: the peer keeps sending but stops reading for 2 s;
#    steerd frees and counts what it cannot send (tx_dropped grows), its books
#    balance, and echoes resume the moment the peer reads again.
# 2) kill -9 and restart from the same YAML: the new steerd comes up (stale
#    memif socket and EAL runtime files are no obstacle) and echoes again.
# usage: stall_and_restart.sh STEERD PEER
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../e2e/lib.sh"
STEERD=${1:?}; PEER=${2:?}
id=$$
steer_mac=02:00:00:00:00:10
memif_echo_yaml "$E2E_DIR/steerd.yaml" "0@0,1@1" "steer-sr-d$id" "$E2E_DIR/p0.sock" "$steer_mac" adaptive
start_steerd() {
  "$STEERD" --config "$E2E_DIR/steerd.yaml" > "$E2E_DIR/steerd$1.log" 2>&1 &
  steerd_pid=$!
  E2E_PIDS+=("$steerd_pid")
  wait_for_line "$E2E_DIR/steerd$1.log" "running:" 20 || fail "steerd ($1) did not start"
}
peer() {
  timeout 60 "$PEER" --lcores 0@0,1@0 --no-huge --no-pci -m 128 --file-prefix "steer-sr-p$id" \
    --vdev "net_memif0,role=client,socket=$E2E_DIR/p0.sock,mac=02:00:00:00:00:01" -- --dst-mac "$steer_mac" "$@"
}

start_steerd 1
peer --cycles 1 --traffic-ms 2000 --stall-ms 2000 > "$E2E_DIR/peer1.log" 2>&1 || { cat "$E2E_DIR/peer1.log"; fail "the stall cycle"; }
grep -E "^cycle|^cycles=" "$E2E_DIR/peer1.log"
kill -TERM "$steerd_pid"; wait "$steerd_pid" || fail "steerd exited non-zero"
totals=$(grep '^totals:' "$E2E_DIR/steerd1.log" | tail -1)
echo "steerd: $totals"
field() { sed -E "s/.* $1=([0-9]+).*/\1/" <<<"$totals"; }
[ "$(field tx_dropped)" -gt 0 ] || fail "the peer stopped reading for 2 s, yet steerd dropped nothing"
[ $(( $(field tx) + $(field tx_dropped) + $(field dropped) )) -eq "$(field rx)" ] || fail "steerd's books do not balance"

start_steerd 2
kill -KILL "$steerd_pid"; wait "$steerd_pid" 2> /dev/null || true
start_steerd 3  # same YAML, same socket, same EAL prefix
peer --cycles 3 --traffic-ms 200 > "$E2E_DIR/peer3.log" 2>&1 || { cat "$E2E_DIR/peer3.log"; fail "no echo after a kill -9 and restart"; }
grep "^cycles=" "$E2E_DIR/peer3.log"
kill -TERM "$steerd_pid"; wait "$steerd_pid" || fail "the restarted steerd exited non-zero"
echo "PASS stall_and_restart"
