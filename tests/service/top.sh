#!/usr/bin/env bash
# steerctl top (issue 11), driven in tmux as an operator sees it: under
# steer-trafgen traffic the screen shows non-zero rates per queue, lcore and
# dispatcher and a change just made; once the traffic stops, the rates go to
# zero.
# usage: top.sh STEERD STEERCTL TRAFGEN CONFIG
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../e2e/lib.sh"
STEERD=${1:?}; STEERCTL=${2:?}; TRAFGEN=${3:?}; CONFIG=${4:?}
id=$$
session=steer-top-$id
trap 'tmux kill-session -t "$session" 2> /dev/null || true; e2e_cleanup' EXIT
steering_yaml "$CONFIG" "steer-tp-d$id"
"$STEERD" --config "$E2E_DIR/steerd.yaml" > "$E2E_DIR/steerd.log" 2>&1 &
pid=$!; E2E_PIDS+=("$pid")
wait_for_line "$E2E_DIR/steerd.log" "running:" 20 || fail "steerd did not start"
tmux new-session -d -s "$session" -x 160 -y 50 "$STEERCTL --socket $E2E_DIR/ctl.sock top --interval 500"
timeout 60 "$TRAFGEN" --lcores "0@0,1@0" --no-huge -m 256 --no-pci --file-prefix "steer-tp-g$id" --log-level=lib.eal:warning \
  --vdev "net_memif0,role=client,socket=$E2E_DIR/p0.sock" -- --flows 256 --queues 2 --rate 100000 --duration 5 \
  > "$E2E_DIR/trafgen.log" 2>&1 &
gen=$!
sleep 1
"$STEERCTL" --socket "$E2E_DIR/ctl.sock" rss set-reta p0 --spread 1 > /dev/null || fail "steerctl rss set-reta"
# The screen under traffic, once a refresh after the change has drawn it: on
# a loaded machine one fixed wait (1.2 s) once caught a screen drawn before
# it. Bounded well inside the traffic's 5 s.
for _ in $(seq 1 12); do
  sleep 0.25
  tmux capture-pane -p -t "$session" > "$E2E_DIR/busy.txt"
  grep -q "change 1 on p0: generation 1" "$E2E_DIR/busy.txt" && break
done
wait $gen || true
sleep 1.5
tmux capture-pane -p -t "$session" > "$E2E_DIR/idle.txt"
echo "--- under traffic:"; cat "$E2E_DIR/busy.txt" | sed '/^$/d' | head -24
# Columns: queue lcore via rx/s tx/s ...; dispatch lcore rx/s ...
busy_rx=$(awk '$1 ~ /^p0:[01]$/ { s += $4 } END { print s + 0 }' "$E2E_DIR/busy.txt")
busy_disp=$(awk '$1 ~ /^p0:rx[0-9]$/ { s += $3 } END { print s + 0 }' "$E2E_DIR/busy.txt")
idle_rx=$(awk '$1 ~ /^p0:[01]$/ { s += $4 } END { print s + 0 }' "$E2E_DIR/idle.txt")
echo "queue rx/s under traffic $busy_rx, dispatcher rx/s $busy_disp; after it $idle_rx"
[ "$busy_rx" -gt 10000 ] && [ "$busy_disp" -gt 10000 ] || fail "top showed no traffic rates"
grep -q "change 1 on p0: generation 1" "$E2E_DIR/busy.txt" || fail "top did not show the change"
grep -qE "^[0-9]+ +[0-9.]+% " "$E2E_DIR/busy.txt" || fail "top showed no lcore busy %"
[ "$idle_rx" -eq 0 ] || { cat "$E2E_DIR/idle.txt"; fail "rates did not go to zero after the traffic"; }
kill -TERM $pid; wait $pid || fail "steerd exited non-zero"
echo "PASS top"
