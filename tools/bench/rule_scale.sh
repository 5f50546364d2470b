#!/usr/bin/env bash
# Rule-table scale (issue 12): 100,000 rules through the gRPC API into a
# running steerd (configs/steering.yaml: memif, software steering), in one
# change and in 1,000 changes, and steerd's memory per rule. Prints one
# "rule_scale ..." line per way (steer-bench-rpc says what each field is), a
# third for 1,000 one-rule changes (the per-call floor, same sitting), the
# last two again on a ChangeStream (way=stream), and
#   rule_memory rules=N rss_before_kb=.. rss_after_kb=.. bytes_per_rule=..
# usage: rule_scale.sh [build dir]   env: RULES (100000), STATE=1 journals
# every change to a --state-dir (the unit's default) as well.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$top/build}
R=${RULES:-100000}
work=$(mktemp -d /tmp/steer-bench.XXXXXX)
id=$$
pid=
cleanup() {
  [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null || true
  rm -rf "$work" /var/run/dpdk/steer-rs-?"$id"
}
trap cleanup EXIT
sock="/run/steer-bench-$id/p0.sock"
sed -e "s|socket=/run/steerd/steer-p0.sock|socket=$sock|" -e "s|file_prefix: steerd-steer|file_prefix: steer-rs-d$id|" \
  "$top/configs/steering.yaml" > "$work/steerd.yaml"
echo "control: {socket: $work/ctl.sock}" >> "$work/steerd.yaml"
extra=()
[ "${STATE:-0}" = 1 ] && extra=(--state-dir "$work/state") && mkdir -p "$work/state"
start() {
  # The old log goes first: the redirection below happens in the child, so
  # the wait could otherwise find the previous steerd's line before the new
  # one truncated the file, and the client would race its socket.
  rm -f "$work/steerd.log"
  "$build/controlplane/steerd" --config "$work/steerd.yaml" "${extra[@]}" > "$work/steerd.log" 2>&1 &
  pid=$!
  until grep -qs "control plane on" "$work/steerd.log"; do sleep 0.1; done  # -s: the log may not exist yet
}
rss() { awk '/^VmRSS/ {print $2}' "/proc/$pid/status"; }
start
"$build/tools/bench/steer-bench-rpc" "$work/ctl.sock" p0 --rules "$R" --changes 1
"$build/tools/bench/steer-bench-rpc" "$work/ctl.sock" p0 --rules "$R" --changes 1000
# The per-call floor in the same sitting: 1,000 changes of one rule each
# against at most 1,000 (gRPC round trip, dispatcher adoption, client).
"$build/tools/bench/steer-bench-rpc" "$work/ctl.sock" p0 --rules 1000 --changes 1000
# The same two on one ChangeStream (way=stream): the changes in flight back
# to back, applied in order, instead of one round trip each.
"$build/tools/bench/steer-bench-rpc" "$work/ctl.sock" p0 --rules "$R" --changes 1000 --stream
"$build/tools/bench/steer-bench-rpc" "$work/ctl.sock" p0 --rules 1000 --changes 1000 --stream
# Memory on a fresh steerd (freed memory stays in malloc's arenas): the rules
# added and left in place (the table, the configuration copy, the control
# side's copies), against the same steerd before.
kill -TERM "$pid"; wait "$pid" 2>/dev/null || true; pid=
[ "${STATE:-0}" = 1 ] && rm -rf "$work/state" && mkdir -p "$work/state"
start
before=$(rss)
"$build/tools/bench/steer-bench-rpc" "$work/ctl.sock" p0 --rules "$R" --changes 1 --keep > /dev/null
sleep 0.5
after=$(rss)
echo "rule_memory rules=$R rss_before_kb=$before rss_after_kb=$after bytes_per_rule=$(( (after - before) * 1024 / R ))"
