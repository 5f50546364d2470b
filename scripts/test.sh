#!/usr/bin/env bash
# The test command: install what is missing, build, run the whole suite.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/setup.sh"
"$top/scripts/build.sh"
cd "$top/build"
ctest --output-on-failure --timeout 300
