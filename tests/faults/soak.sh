#!/usr/bin/env bash
# Soak (issue 10): steer-trafgen traffic through a software-steered steerd
# while a client changes its steering every 10 ms, for SECONDS (default 600;
# CI runs 60). Asserts every lost packet is one steerd counted, steerd's
# ordering audit saw no reordering, the pool is back at baseline, and steerd's
# threads and fds did not grow; RSS growth is reported and bounded (8 MiB).
# Prints one line: soak: S s, N changes, sent, lost (accounted), reordered,
# drains (timed out, p99, max), RSS/threads/fds before -> after.
#
# Drains here take ~4 ms at p99 (the workers time-slice two CPUs with the
# dispatcher, the generator and the client). A drain that outlasts its
# timeout or its hold budget releases what it held early, counted: that is the
# product's bound, and a release can reorder the flows it held. The soak gives
# itself headroom (drain_timeout_ms 1000; the hold budget, 8,192 packets a
# dispatcher, is ~160 ms of this traffic), and CI still saw a drain pass that
# once in ~3,200 changes under ASan on a stalled machine. So: reordering with
# no timed-out drain fails (the tables or the fences are wrong), and so do
# timed-out drains in more than 1 change in 1,000 (drains that do not end);
# reordering after a rare, counted timeout is reported, not failed. The generator's own reorder count is
# printed, not asserted: it reads two memif queues in turn, so packets of a
# flow that moved between queues can be read out of order after steerd sent
# them in order (the audit checks the order steerd sent, which is its promise).
# usage: soak.sh STEERD TRAFGEN CONFIG PROTO_DIR [SECONDS]
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../e2e/lib.sh"
STEERD=${1:?}; TRAFGEN=${2:?}; CONFIG=${3:?}; PROTO_DIR=${4:?}; SECS=${5:-600}
id=$$
ctl="$E2E_DIR/ctl.sock"
steering_deployment "$CONFIG" "steer-soak-d$id"
sed -i 's/drain_timeout_ms: [0-9]*/drain_timeout_ms: 1000/' "$E2E_DIR/steerd.yaml"
grep -q 'drain_timeout_ms: 1000' "$E2E_DIR/steerd.yaml" || fail "no drain_timeout_ms in $CONFIG to raise"
"$STEERD" --config "$E2E_DIR/steerd.yaml" > "$E2E_DIR/steerd.log" 2>&1 &
pid=$!
E2E_PIDS+=("$pid")
wait_for_line "$E2E_DIR/steerd.log" "control plane on unix:" 20
sample() { echo "$(awk '/^VmRSS:/{print $2}' /proc/$pid/status) $(awk '/^Threads:/{print $2}' /proc/$pid/status) $(ls /proc/$pid/fd | wc -l)"; }

timeout $((SECS + 60)) "$TRAFGEN" --lcores "0@0,1@0" --no-huge -m 256 --no-pci --file-prefix "steer-soak-g$id" \
  --log-level=lib.eal:warning --vdev "net_memif0,role=client,socket=$E2E_DIR/p0.sock" -- --flows 256 --queues 2 \
  --rate 100000 --duration "$SECS" --quiet --json "$E2E_DIR/gen.json" > "$E2E_DIR/gen.log" 2>&1 &
gen=$!
E2E_PIDS+=("$gen")
wait_for_line "$E2E_DIR/steerd.log" "link up" 10
/usr/bin/python3 "$here/soak_client.py" "$E2E_DIR/py" "$ctl" "$((SECS - 5))" > "$E2E_DIR/client.log" 2>&1 &
client=$!
sleep 5  # the baseline: traffic flowing and the client connected (gRPC has its threads)
read -r rss0 thr0 fd0 <<<"$(sample)"
wait "$client" || { cat "$E2E_DIR/client.log"; fail "the change client failed"; }
read -r rss1 thr1 fd1 <<<"$(sample)"
wait "$gen" || { tail -5 "$E2E_DIR/gen.log"; fail "steer-trafgen failed"; }
kill -TERM "$pid"; wait "$pid" || fail "steerd exited non-zero"

changes=$(sed -E 's/changes applied ([0-9]+).*/\1/' "$E2E_DIR/client.log")
drains=$(sed -E 's/.* (timeouts [0-9]+ drain .*)/\1/' "$E2E_DIR/client.log")
/usr/bin/python3 "$here/../e2e/accounted.py" "$E2E_DIR/gen.json" --totals "$E2E_DIR/steerd.log" || fail "loss not accounted for"
reordered=$(grep '^totals:' "$E2E_DIR/steerd.log" | tail -1 | sed -E 's/.* reordered=([0-9]+).*/\1/')
gen_reordered=$(/usr/bin/python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['reordered'])" "$E2E_DIR/gen.json")
in_use=$(sed -n '/^final counters:/,$p' "$E2E_DIR/steerd.log" | awk '/^pool /{f=1; next} f && NF==5 {print $4; exit}')
read -r sent lost <<<"$(/usr/bin/python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print(r['sent'], r['lost'])" "$E2E_DIR/gen.json")"
echo "soak: ${SECS} s, $changes changes, sent $sent, lost $lost (all counted), reordered $reordered (audit; the generator, reading two queues, saw $gen_reordered), pool in use $in_use; drains: $drains; RSS ${rss0} -> ${rss1} kB, threads $thr0 -> $thr1, fds $fd0 -> $fd1"
timeouts=$(sed -E 's/.* timeouts ([0-9]+) .*/\1/' "$E2E_DIR/client.log")
if [ "$reordered" != 0 ]; then
  sed -n '/^final counters:/,$p' "$E2E_DIR/steerd.log" | head -40
  [ "$timeouts" -gt 0 ] || fail "steerd's audit counted $reordered reorders under changes, and no drain timed out"
  echo "soak: $reordered reorders after $timeouts drains timed out (released early, counted): the machine stalled"
fi
[ $((timeouts * 1000)) -le "$changes" ] || fail "$timeouts of $changes drains timed out"
[ "$in_use" = 0 ] || fail "the pool is not back at baseline ($in_use in use)"
[ "$changes" -gt $((SECS * 20)) ] || fail "only $changes changes in $SECS s"
[ "$thr1" -le "$thr0" ] || fail "threads grew $thr0 -> $thr1"
[ "$fd1" -le "$fd0" ] || fail "fds grew $fd0 -> $fd1"
# (ldd into a file: `ldd | grep -q` lets grep exit early, ldd dies of SIGPIPE,
# and pipefail turned that into "not ASan" in one CI run)
ldd "$STEERD" > "$E2E_DIR/ldd.txt" 2>&1 || true
if grep -q libasan "$E2E_DIR/ldd.txt"; then  # ASan holds freed memory in quarantine: RSS says nothing there
  echo "soak: RSS not bounded under AddressSanitizer (its quarantine keeps freed memory); LeakSanitizer checks leaks at exit"
else
  [ $((rss1 - rss0)) -le 8192 ] || fail "RSS grew by $((rss1 - rss0)) kB"
fi
echo "PASS soak"
