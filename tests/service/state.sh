#!/usr/bin/env bash
# State across restarts (issue 11, README "State across restarts"): live
# changes are journaled (a base and a log of changes, replayed; a record torn
# by the crash is dropped); after kill -9 and a restart (as systemd's
# Restart=on-failure does it: the same command line) the RETA, the rules and
# the generation come back. steerctl diff shows the drift from the file,
# steerctl save writes the running deployment over it (the generation then
# survives as "adopted"), an edited file wins and the journal is archived, a
# corrupt journal is archived with the reason. Negative control: without a
# state directory the same kill -9 loses the change.
# usage: state.sh STEERD STEERCTL CONFIG
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../e2e/lib.sh"
STEERD=${1:?}; STEERCTL=${2:?}; CONFIG=${3:?}
prefix=steer-st-d$$
steering_yaml "$CONFIG" "$prefix"
file=$E2E_DIR/steerd.yaml
state=$E2E_DIR/state
ctl() { "$STEERCTL" --socket "$E2E_DIR/ctl.sock" "$@"; }
pid=
n=0
start() {  # start [ARGS...]: steerd on the file, its log in $E2E_DIR/steerd.N.log
  n=$((n + 1))
  log=$E2E_DIR/steerd.$n.log
  "$STEERD" --config "$file" "$@" > "$log" 2>&1 &
  pid=$!; E2E_PIDS+=("$pid")
  wait_for_line "$log" "running:" 20 || fail "steerd did not start ($log)"
}
crash() { kill -KILL "$pid"; wait "$pid" 2>/dev/null || true; rm -f "$E2E_DIR/ctl.sock" "$E2E_DIR/p0.sock"; }
stop() { kill -TERM "$pid"; wait "$pid" || fail "steerd exited non-zero"; }
# expect GEN RETA_SET DNS: the port's generation, the set of queues in its
# RETA ("1" or "0,1") and whether rule dns exists (yes/no).
expect() {
  ctl rss show p0 -o json > "$E2E_DIR/show.json" || fail "steerctl rss show"
  ctl flow list p0 > "$E2E_DIR/flows.txt" || fail "steerctl flow list"
  /usr/bin/python3 - "$E2E_DIR/show.json" "$1" "$2" <<'PY' || fail "after restart $n: $(cat "$E2E_DIR/show.json" | head -3)"
import json, sys
s = json.load(open(sys.argv[1]))
got = (int(s["generation"]), ",".join(str(q) for q in sorted(set(s["rss"]["reta"]))))
want = (int(sys.argv[2]), sys.argv[3])
assert got == want, f"generation, RETA queues: {got}, expected {want}"
PY
  if grep -q "^dns " "$E2E_DIR/flows.txt"; then has=yes; else has=no; fi
  [ "$has" = "$3" ] || fail "rule dns present: $has, expected $3"
}

# 1. Two live changes, journaled; kill -9; the same command line again.
start --state-dir "$state"
expect 0 0,1 yes
ctl rss set-reta p0 --spread 1 > /dev/null || fail "set-reta"
ctl flow del p0 dns > /dev/null || fail "flow del"
# steerd wrote a base at start (running.yaml, generation 0); each change is
# a record in changes.log; --check replays them and says so.
grep -q "p0: 0" "$state/running.yaml" || fail "no base at generation 0: $(cat "$state/running.yaml")"
[ "$(wc -l < "$state/changes.log")" = 2 ] || fail "changes.log does not hold two records: $(cat "$state/changes.log")"
"$STEERD" --config "$file" --state-dir "$state" --check > "$E2E_DIR/check.txt"
grep -q "2 change(s) replayed.*p0 at generation 2" "$E2E_DIR/check.txt" || fail "--check: $(grep state: "$E2E_DIR/check.txt")"
crash
start --state-dir "$state"
grep -q "state: restored the running steering" "$log" || fail "no restore in $log"
expect 2 1 no
echo "restored after kill -9: generation 2, RETA on queue 1 only, rule dns gone"

# 2. The drift is visible, and a change continues the generations.
rc=0; ctl diff --exit-code > "$E2E_DIR/diff.txt" || rc=$?
[ $rc -eq 7 ] || fail "steerctl diff --exit-code returned $rc, expected 7 (differs)"
grep -q -- "^- *- {name: dns" "$E2E_DIR/diff.txt" || fail "the diff does not show the removed rule: $(cat "$E2E_DIR/diff.txt")"
grep -q -- "^+ *entries: \[1, 1, 1" "$E2E_DIR/diff.txt" || fail "the diff does not show the running RETA"
grep -q "+ flow dns" "$E2E_DIR/diff.txt" || fail "the diff does not say a reload would add dns back"
ctl flow add p0 dns2 --priority 5 --udp-dst 5353 --queue 0 > /dev/null || fail "flow add"
expect 3 1 no

# 2b. A crash in the middle of appending a record: the cut-short record (never
#     answered) is dropped, the ones before it are replayed.
crash
printf '4 p0 reta=0,0,0,0' >> "$state/changes.log"
start --state-dir "$state"
grep -q "state: restored.*1 change(s) replayed.*cut short" "$log" || fail "no replay past a torn record: $(grep state: "$log")"
expect 3 1 no
grep -q "^dns2 " "$E2E_DIR/flows.txt" || fail "rule dns2 (the replayed record) lost"

# 3. steerctl save: the file now says what runs; diff is empty; a crash
#    after it keeps generation 3 ("adopted"), --check says so beforehand.
ctl save > "$E2E_DIR/save.txt" || fail "steerctl save"
[ -f "$file.bak" ] || fail "save kept no $file.bak"
cmp -s "$file.bak" "$E2E_DIR/steerd.yaml" && fail "save did not change the file"
ctl diff --exit-code > /dev/null || fail "steerctl diff after save: still differs"
"$STEERD" --config "$file" --state-dir "$state" --check | grep -q "state: adopted" || fail "--check after save"
crash
start --state-dir "$state"
grep -q "says what it holds" "$log" || fail "no adoption in $log"
expect 3 1 no
grep -q "^dns2 " "$E2E_DIR/flows.txt" || fail "rule dns2 lost after save and restart"

# 4. An edited file wins: generation 0, the file's RETA, the journal archived.
stop
sed -i 's/entries: \[1, 1, 1, 1[0-9, ]*\]/spread: [0, 1]/' "$file"
grep -q "spread: \[0, 1\]" "$file" || fail "could not edit the file's RETA"
"$STEERD" --config "$file" --state-dir "$state" --check | grep -q "state: archived: the file changed" ||
  fail "--check after an edit"
[ -f "$state/running.yaml" ] || fail "--check moved the journal"
start --state-dir "$state"
grep -q "so the file wins" "$log" || fail "the edited file did not win: $(grep state: "$log")"
ls "$state"/running.yaml.*.archived > /dev/null 2>&1 || fail "no archived journal in $state"
ls "$state"/changes.log.*.archived > /dev/null 2>&1 || fail "no archived change log in $state"
grep -q "p0: 0" "$state/running.yaml" || fail "the new base is not the file's at generation 0: $(cat "$state/running.yaml")"
[ -s "$state/changes.log" ] && fail "the old change log is still live"
expect 0 0,1 no

# 5. A corrupt journal is archived with the reason; steerd starts from the file.
stop
echo "journal: 1" > "$state/running.yaml"
start --state-dir "$state"
grep -q "cannot be used" "$log" || fail "a corrupt journal was not reported: $(grep state: "$log")"
expect 0 0,1 no

# 6. Negative control: no state directory, the same change and crash: lost.
stop
start
ctl rss set-reta p0 --spread 1 > /dev/null || fail "set-reta"
expect 1 1 no
crash
start
expect 0 0,1 no
grep -q "state: no state directory" "$log" || fail "steerd did not say it keeps no state"
stop
echo "PASS state"
