# Helpers for end-to-end scripts: a private work directory, process cleanup on
# any exit, and waiting for a line in a log with a deadline.
set -euo pipefail

E2E_DIR=$(mktemp -d /tmp/steer-e2e.XXXXXX)
E2E_PIDS=()

e2e_cleanup() {
  local pid
  for pid in "${E2E_PIDS[@]:-}"; do
    [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null || true
  done
  sleep 0.5
  for pid in "${E2E_PIDS[@]:-}"; do
    [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null || true
  done
  # EAL runtime directories of this script's processes (prefixes end in its pid)
  rm -rf /var/run/dpdk/steer-*"$$" 2>/dev/null || true
  if [ "${E2E_KEEP:-0}" = 1 ]; then echo "logs kept in $E2E_DIR"; else rm -rf "$E2E_DIR"; fi
}
trap e2e_cleanup EXIT

# wait_for_line FILE PATTERN SECONDS
wait_for_line() {
  local file=$1 pattern=$2 deadline=$((SECONDS + $3))
  until grep -q -- "$pattern" "$file" 2>/dev/null; do
    if [ $SECONDS -ge $deadline ]; then
      echo "timed out waiting for '$pattern' in $file:" >&2
      tail -20 "$file" >&2 || true
      return 1
    fi
    sleep 0.1
  done
}

fail() { echo "FAIL: $*" >&2; exit 1; }
