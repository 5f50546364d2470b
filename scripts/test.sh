#!/usr/bin/env bash
# The test command: install what is missing, build, run the whole suite.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/setup.sh"
"$top/scripts/build.sh"
(cd "$top/build" && ctest --output-on-failure --timeout 300)
# Robustness (README "Robustness"): a fuzz smoke of every target, then the
# whole suite again under ASan+UBSan and the threading tests under TSan.
FUZZ_SECONDS=${FUZZ_SECONDS:-15} "$top/scripts/fuzz.sh"
"$top/scripts/sanitize.sh" asan tsan
