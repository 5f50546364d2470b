#!/usr/bin/env bash
# Installs what Steer needs from Debian 12's archive (as root). Idempotent.
set -euo pipefail
pkgs=(build-essential cmake pkg-config libdpdk-dev dpdk dpdk-dev libyaml-cpp-dev libspdlog-dev
      libgtest-dev libgmock-dev iproute2 procps
      libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc libcli11-dev openssl
      python3 python3-grpcio python3-protobuf
      clang libclang-rt-dev passwd util-linux
      libsystemd-dev systemd systemd-container libcivetweb-dev python3-prometheus-client tmux tshark)
# clang: the fuzz targets (libFuzzer); passwd: the tests' second users;
# libsystemd-dev: sd_notify; systemd: systemd-analyze for the unit checks;
# systemd-container: systemd-nspawn, to run the unit under a real systemd;
# libcivetweb-dev: the metrics endpoint; python3-prometheus-client: its test's parser;
# tmux: the steerctl top test's terminal; tshark (and capinfos): reading dpdk-dumpcap's captures
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
fi
