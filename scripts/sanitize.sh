#!/usr/bin/env bash
# The whole suite under AddressSanitizer + UBSan (build-asan/), then the
# threading tests and the live drain/Controller tests under ThreadSanitizer
# (build-tsan/). Part of the test command (scripts/test.sh); also runs alone.
# usage: scripts/sanitize.sh [asan|tsan]...   (default: both)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/setup.sh"
kinds=("$@")
[ ${#kinds[@]} -gt 0 ] || kinds=(asan tsan)
launcher=()
command -v ccache > /dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
for kind in "${kinds[@]}"; do
  case $kind in
    asan)
      cmake -S "$top" -B "$top/build-asan" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSTEER_SANITIZE=ON -DSTEER_WERROR=ON \
        "${launcher[@]}" > /dev/null
      cmake --build "$top/build-asan" -j"$(nproc)"
      # Leaks: DPDK and gRPC keep process-lifetime allocations that are not
      # ours (see tests/sanitizers/lsan.supp); everything else is reported.
      export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1
      export LSAN_OPTIONS=suppressions=$top/tests/sanitizers/lsan.supp:print_suppressions=0
      export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
      (cd "$top/build-asan" && ctest --output-on-failure --timeout 600 -E "${ASAN_EXCLUDE:-^$}")
      unset ASAN_OPTIONS LSAN_OPTIONS UBSAN_OPTIONS
      echo "asan+ubsan: the suite is clean"
      ;;
    tsan)
      cmake -S "$top" -B "$top/build-tsan" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSTEER_TSAN=ON -DSTEER_WERROR=ON \
        "${launcher[@]}" > /dev/null
      cmake --build "$top/build-tsan" -j"$(nproc)" --target tsan_tests hw_live_tests live_steering_tests
      export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$top/tests/sanitizers/tsan.supp"
      timeout 300 "$top/build-tsan/tests/tsan_tests" --gtest_brief=1
      # The live dataplane: lcores, drains (hardware on the model NIC, software
      # through the dispatcher) and the Controller, changing under traffic.
      # DPDK itself is not instrumented: its hand-offs are annotated (steer/tsan.h).
      timeout 900 "$top/build-tsan/tests/hw_live_tests" --gtest_brief=1
      timeout 900 "$top/build-tsan/tests/live_steering_tests" --gtest_brief=1
      # Negative control: without the device guard's grace period TSan must see the race.
      if timeout 120 "$top/build-tsan/tests/tsan_tests" --gtest_also_run_disabled_tests \
           --gtest_filter='*DISABLED_TeardownWithoutGracePeriodRaces' > "$top/build-tsan/negative.log" 2>&1 ||
         ! grep -q "ThreadSanitizer: data race" "$top/build-tsan/negative.log"; then
        echo "tsan: the negative control did not race; the threading tests prove nothing" >&2
        exit 1
      fi
      unset TSAN_OPTIONS
      echo "tsan: the threading tests are clean (and the negative control races)"
      ;;
    *) echo "unknown sanitizer $kind (asan or tsan)" >&2; exit 2 ;;
  esac
done
