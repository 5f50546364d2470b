#!/usr/bin/env bash
# Configures and builds into build/ (Release with debug info).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cmake -S "$top" -B "$top/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSTEER_WERROR=ON > /dev/null
cmake --build "$top/build" -j"$(nproc)"
