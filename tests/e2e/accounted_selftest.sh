#!/usr/bin/env bash
# accounted.py must fail when a loss is not one steerd counted, when packets
# came back twice, and when too little came back to judge; and pass when
# every lost packet was counted. (The e2e tests lean on it for their loss
# verdict, so it gets a negative control of its own.)
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
gen() { printf '{"sent": %s, "received": %s, "lost": %s, "duplicated": %s}\n' "$@" > "$E2E_DIR/g.json"; }
log() { printf 'final counters:\ntotals: rx=1 tx=1 tx_dropped=%s dropped=0 reordered=0 ring_full=%s rule_drops=0\n' "$@" > "$E2E_DIR/s.log"; }
check() { /usr/bin/python3 "$here/accounted.py" "$E2E_DIR/g.json" --totals "$E2E_DIR/s.log" > /dev/null 2>&1; }
gen 1000 990 10 0; log 4 6;  check || fail "10 lost, 4+6 counted: must pass"
gen 1000 990 10 0; log 4 5;  check && fail "10 lost, 9 counted: must fail"
gen 1000 1000 0 0; log 0 0;  check || fail "nothing lost: must pass"
gen 1000 1000 0 3; log 0 0;  check && fail "duplicates: must fail"
gen 1000 100 900 0; log 900 0; check && fail "too little came back: must fail"
printf '{"queues": [{"txDropped": "7"}], "dispatchers": [{"ringFull": "3"}]}\n' > "$E2E_DIR/st.json"
gen 1000 990 10 0
/usr/bin/python3 "$here/accounted.py" "$E2E_DIR/g.json" --stats "$E2E_DIR/st.json" > /dev/null || fail "steerctl stats form: must pass"
echo "PASS accounted_selftest"
