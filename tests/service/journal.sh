#!/usr/bin/env bash
# Logs to the journal (issue 11): with stderr connected to "journald"
# (JOURNAL_STREAM naming it, as systemd sets it), steerd writes each line as
# a journal entry with structured fields: link changes carry STEER_PORT and
# STEER_EVENT=link, every applied change STEER_EVENT=change with its
# STEER_CHANGE_ID and STEER_GENERATION, DPDK's own lines STEER_SOURCE=dpdk at
# their priority. Levels: from the YAML, and live with `steerctl log`; a bad
# name is refused with the field named. journald itself is stood in for by
# journal_sink.py on /run/systemd/journal/socket in a private mount namespace.
# usage: journal.sh STEERD STEERCTL PEER CONFIG
if [ -z "${STEER_IN_NS:-}" ]; then
  mkdir -p /run/systemd/journal
  exec env STEER_IN_NS=1 unshare --mount --propagation private bash "$0" "$@"
fi
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../e2e/lib.sh"
STEERD=${1:?}; STEERCTL=${2:?}; PEER=${3:?}; CONFIG=${4:?}
mount -t tmpfs tmpfs /run/systemd/journal
entries=$E2E_DIR/journal.jsonl
/usr/bin/python3 "$here/journal_sink.py" /run/systemd/journal/socket "$entries" &
E2E_PIDS+=("$!")
for _ in $(seq 50); do [ -S /run/systemd/journal/socket ] && break; sleep 0.1; done

steering_yaml "$CONFIG" "steer-jn-d$$"
echo "log: {level: info, dpdk: info}" >> "$E2E_DIR/steerd.yaml"
touch "$E2E_DIR/stderr"
stream=$(stat -c '%d:%i' "$E2E_DIR/stderr")
JOURNAL_STREAM=$stream "$STEERD" --config "$E2E_DIR/steerd.yaml" > "$E2E_DIR/stdout" 2>> "$E2E_DIR/stderr" &
pid=$!; E2E_PIDS+=("$pid")
wait_for_line "$entries" '"MESSAGE": "running:' 20 || fail "no 'running' entry in the journal"
C() { "$STEERCTL" --socket "$E2E_DIR/ctl.sock" "$@"; }

timeout 30 "$PEER" --lcores 0@0,1@0 --no-huge --no-pci -m 128 --file-prefix "steer-jn-p$$" \
  --vdev "net_memif0,role=client,socket=$E2E_DIR/p0.sock,mac=02:00:00:00:00:01" -- --dst-mac 02:00:00:00:00:10 \
  --cycles 1 --traffic-ms 300 > "$E2E_DIR/peer.log" 2>&1 || true
C rss set-reta p0 --spread 1 > /dev/null || fail "steerctl rss set-reta"
[ "$(C log)" = "$(printf 'level info\ndpdk  info')" ] || fail "steerctl log: $(C log)"
C log debug --dpdk notice > /dev/null || fail "steerctl log debug --dpdk notice"
set +e
bad=$(C log loud 2>&1); rc=$?
set -e
echo "steerctl log loud: exit $rc: $bad"
[ $rc -ne 0 ] && grep -q 'level: "loud" is not a level' <<<"$bad" || fail "a bad level was not refused with the field named"
[ "$(C log | head -1)" = "level debug" ] || fail "the refused call changed the level"
sleep 1  # the link watcher polls twice a second
kill -TERM $pid; wait $pid || fail "steerd exited non-zero"

/usr/bin/python3 - "$entries" <<'PY' || fail "journal entries"
import json, sys
entries = [json.loads(l) for l in open(sys.argv[1])]
def find(**want):
    return [e for e in entries if all(e.get(k) == v if v is not None else k in e for k, v in want.items())]
assert all(e.get("SYSLOG_IDENTIFIER") == "steerd" for e in entries), "an entry without SYSLOG_IDENTIFIER=steerd"
link = find(STEER_PORT="p0", STEER_EVENT="link")
assert any("link up" in e["MESSAGE"] for e in link), "no link-up entry with STEER_PORT=p0"
assert any("link down" in e["MESSAGE"] and e["PRIORITY"] == "4" for e in link), "no link-down warning entry"
change = find(STEER_PORT="p0", STEER_EVENT="change", STEER_GENERATION="1", STEER_CHANGE_ID=None)
assert change and "applied, generation 1" in change[0]["MESSAGE"], "no change entry with its id and generation"
dpdk = find(STEER_SOURCE="dpdk")
assert any(e["MESSAGE"].startswith("dpdk: EAL: ") and e["PRIORITY"] == "6" for e in dpdk), "no DPDK info entry"
assert find(PRIORITY="4", MESSAGE="log levels now: steerd debug, dpdk notice (set through the API)"), "level change not logged"
print(f"journal: {len(entries)} entries; {len(link)} link, {len(change)} change, {len(dpdk)} from DPDK")
print("example:", json.dumps(change[0]))
PY
[ ! -s "$E2E_DIR/stderr" ] || { head -5 "$E2E_DIR/stderr"; fail "lines went to stderr as well as the journal"; }
echo "PASS journal"
