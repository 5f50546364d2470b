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

# memif_echo_yaml FILE LCORES PREFIX SOCKET MAC POLL: one memif server port,
# one worker on lcore 1 that echoes (the deployment the memif tests share).
memif_echo_yaml() {
  cat > "$1" <<YAML
eal: {lcores: "$2", main_lcore: 0, memory_mb: 128, hugepages: false, file_prefix: $3}
mempools: [{socket: 0, mbufs: auto, cache: 64, data_room: 2048}]
ports:
  - {name: p0, device: "net_memif0,role=server,socket=$4,mac=$5", rx_queues: 1, tx_queues: 1, rx_desc: 1024, tx_desc: 1024}
lcores:
  - {lcore: 1, poll: [p0:0]}
pipelines:
  - {queues: "p0:*", action: echo}
dataplane: {burst: 32, poll: $6}
YAML
}

# steering_yaml CONFIG PREFIX [GROUP]: configs/steering.yaml with its memif
# socket ($E2E_DIR/p0.sock) and control socket ($E2E_DIR/ctl.sock, of GROUP)
# in $E2E_DIR and its own EAL prefix, written to $E2E_DIR/steerd.yaml.
steering_yaml() {
  sed -e "s|socket=/run/steerd/steer-p0.sock|socket=$E2E_DIR/p0.sock|" -e "s|file_prefix: steerd-steer|file_prefix: $2|" \
    "$1" > "$E2E_DIR/steerd.yaml"
  echo "control: {socket: $E2E_DIR/ctl.sock${3:+, group: $3}}" >> "$E2E_DIR/steerd.yaml"
}

# steering_deployment CONFIG PREFIX [GROUP]: steering_yaml, and Python stubs
# for steer.proto in $E2E_DIR/py (PROTO_DIR set by the caller).
steering_deployment() {
  steering_yaml "$@"
  mkdir -p "$E2E_DIR/py"
  protoc -I "$PROTO_DIR" --python_out="$E2E_DIR/py" --grpc_python_out="$E2E_DIR/py" \
    --plugin=protoc-gen-grpc_python=/usr/bin/grpc_python_plugin "$PROTO_DIR/steer/v1/steer.proto"
}
