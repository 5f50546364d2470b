#!/usr/bin/env bash
# configs/steering.yaml end to end: steerd steers in software (memif has no
# RETA) through a dispatcher to two workers; steer-trafgen sends 256 flows and
# expects nothing reordered or duplicated, and every lost packet one steerd
# counted (generator and steerd share 2 CPUs); steerd's audit agrees, both
# logical queues carry flows, and the log says why software was chosen.
# usage: steering_steerd.sh STEERD STEER_TRAFGEN CONFIG
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
STEERD=${1:?}; TRAFGEN=${2:?}; CONFIG=${3:?}
id=$$
sock="/run/steer-e2e-$id/p0.sock"
sed -e "s|socket=/run/steerd/steer-p0.sock|socket=$sock|" -e "s|file_prefix: steerd-steer|file_prefix: steer-st-d$id|" \
  "$CONFIG" > "$E2E_DIR/steerd.yaml"
"$STEERD" --config "$E2E_DIR/steerd.yaml" > "$E2E_DIR/steerd.log" 2>&1 &
pid=$!
E2E_PIDS+=("$pid")
wait_for_line "$E2E_DIR/steerd.log" "running:" 20
grep -q "port p0: steering in software (the device has no RSS redirection table" "$E2E_DIR/steerd.log" || fail "no backend reason logged"
set +e
timeout 60 "$TRAFGEN" --lcores "0@0,1@0" --no-huge -m 256 --no-pci --file-prefix "steer-st-g$id" --log-level=lib.eal:warning \
  --vdev "net_memif0,role=client,socket=$sock" -- --flows 256 --queues 2 --rate 200000 --duration 2 \
  --expect reordered=0,duplicated=0 --json "$E2E_DIR/out.json" > "$E2E_DIR/trafgen.log" 2>&1
rc=$?
set -e
grep -v '^EAL' "$E2E_DIR/trafgen.log" | tail -6
[ $rc -eq 0 ] || fail "steer-trafgen exit $rc"
kill -TERM "$pid"
wait "$pid" || fail "steerd exit non-zero"
/usr/bin/python3 "$here/accounted.py" "$E2E_DIR/out.json" --totals "$E2E_DIR/steerd.log" || fail "loss not accounted for"
totals=$(grep '^totals:' "$E2E_DIR/steerd.log" | tail -1)
echo "steerd $totals"
grep -q "reordered=0" <<<"$totals" || fail "steerd's audit counted reordering"
[ "$(grep -cE '^p0:[01] +1 +[1-9]' "$E2E_DIR/steerd.log")" -ge 2 ] || fail "dispatcher rows missing"
/usr/bin/python3 - "$E2E_DIR/out.json" <<'PY'
import json, sys
qs = json.load(open(sys.argv[1]))["rx_queues"]
assert len(qs) == 2 and all(q["flows"] > 60 for q in qs), qs
PY
echo "PASS steering_steerd"
