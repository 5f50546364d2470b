#!/usr/bin/env bash
# The control plane over TCP: TLS with a client CA (mTLS) lets a client with a
# certificate from that CA in and refuses one from another CA or none; plain
# TCP is refused on a non-loopback address and allowed on loopback only with
# insecure: true.
# usage: control_tls.sh STEERD STEERCTL
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
STEERD=$(realpath "${1:?}"); STEERCTL=$(realpath "${2:?}")
id=$$
port=$((40000 + id % 20000))
cd "$E2E_DIR"
ossl() { openssl "$@" > /dev/null 2>&1 || fail "openssl $*"; }
ossl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 1 -subj /CN=steer-test-ca
ossl req -x509 -newkey rsa:2048 -nodes -keyout rogue-ca.key -out rogue-ca.pem -days 1 -subj /CN=rogue-ca
printf "subjectAltName=IP:127.0.0.1,DNS:localhost\n" > san.cnf
ossl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj /CN=localhost
ossl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 1 -extfile san.cnf
ossl req -newkey rsa:2048 -nodes -keyout client.key -out client.csr -subj /CN=operator
ossl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out client.pem -days 1
ossl req -newkey rsa:2048 -nodes -keyout rogue.key -out rogue.csr -subj /CN=intruder
ossl x509 -req -in rogue.csr -CA rogue-ca.pem -CAkey rogue-ca.key -CAcreateserial -out rogue.pem -days 1

deployment() {  # $1 = control block
  cat <<YAML
eal: {lcores: "(0-1)@(0,1)", main_lcore: 0, memory_mb: 128, file_prefix: steer-tls-d$id}
ports: [{name: n0, device: "net_null0,copy=0", rx_desc: 256, tx_desc: 256}]
lcores: [{lcore: 1, poll: [n0:0]}]
pipelines: [{queues: "n0:*", action: drop}]
dataplane: {poll: adaptive}
control: $1
YAML
}

# the loopback rule, checked before anything starts
deployment "{socket: \"\", tcp: {address: \"0.0.0.0:$port\", insecure: true}}" > open.yaml
set +e
"$STEERD" --config open.yaml --check > open.out 2>&1; rc=$?
set -e
[ $rc -eq 2 ] && grep -q "control.tcp.address: plain TCP is allowed on loopback only" open.out || fail "non-loopback plain TCP: exit $rc $(cat open.out)"
deployment "{socket: \"\", tcp: {address: \"127.0.0.1:$port\"}}" > noflag.yaml
set +e
"$STEERD" --config noflag.yaml --check > noflag.out 2>&1; rc=$?
set -e
[ $rc -eq 2 ] && grep -q "plain TCP needs insecure: true" noflag.out || fail "plain TCP without insecure: exit $rc"

# mTLS
deployment "{socket: \"\", tcp: {address: \"127.0.0.1:$port\", cert: $E2E_DIR/server.pem, key: $E2E_DIR/server.key, client_ca: $E2E_DIR/ca.pem}}" > mtls.yaml
"$STEERD" --config mtls.yaml > steerd.log 2>&1 &
pid=$!
E2E_PIDS+=("$pid")
wait_for_line steerd.log "control plane on mtls:127.0.0.1:$port" 20
C() { timeout 20 "$STEERCTL" --address "127.0.0.1:$port" "$@"; }
C --ca ca.pem --cert client.pem --key client.key ports | grep -q "^n0 " || fail "mTLS client with the right certificate was refused"
set +e
C --ca ca.pem --cert rogue.pem --key rogue.key ports > /dev/null 2> rogue.err; rc1=$?
C --ca ca.pem ports > /dev/null 2> nocert.err; rc2=$?
C --insecure ports > /dev/null 2> plain.err; rc3=$?
set -e
[ $rc1 -ne 0 ] || fail "a certificate from another CA was let in"
[ $rc2 -ne 0 ] || fail "a client without a certificate was let in"
[ $rc3 -ne 0 ] || fail "plain TCP reached the TLS listener"
kill -TERM "$pid"
wait "$pid" || fail "steerd exit"

# plain TCP on loopback with insecure: true
deployment "{socket: \"\", tcp: {address: \"127.0.0.1:$port\", insecure: true}}" > plain.yaml
"$STEERD" --config plain.yaml > steerd2.log 2>&1 &
pid=$!
E2E_PIDS+=("$pid")
wait_for_line steerd2.log "control plane on tcp:127.0.0.1:$port" 20
C --insecure ports | grep -q "^n0 " || fail "insecure loopback listener"
echo "PASS control_tls (right cert in; other CA exit $rc1, no cert exit $rc2, plain exit $rc3: refused)"
