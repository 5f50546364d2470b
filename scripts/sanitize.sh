#!/usr/bin/env bash
# AddressSanitizer + UBSan build of the test binaries that exercise memory
# (config, dataplane, steering, trafgen) and a run of them. Not part of CI
# (it takes minutes to build on two CPUs); run it before landing risky changes.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/setup.sh"
cmake -S "$top" -B "$top/build-asan" -DSTEER_SANITIZE=ON -DSTEER_WERROR=ON -DCMAKE_BUILD_TYPE=Debug > /dev/null
cmake --build "$top/build-asan" -j"$(nproc)" --target unit_tests convert_tests dataplane_tests steering_tests live_steering_tests hw_live_tests hw_steering_tests trafgen_tests
export ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
for t in unit_tests convert_tests dataplane_tests steering_tests live_steering_tests hw_live_tests hw_steering_tests trafgen_tests; do
  "$top/build-asan/tests/$t" --gtest_brief=1
done
echo "sanitizers: clean"
