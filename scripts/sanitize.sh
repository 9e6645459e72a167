#!/usr/bin/env bash
# Builds the unit and integration tests, the sensor and the workloads with
# AddressSanitizer + UndefinedBehaviorSanitizer (gcc, -DHOSTPROBE_SANITIZE) in
# build-asan/ and runs `ctest -L 'unit|integration'` there. The integration
# tests start build-asan/hostprobe, so the sensor itself runs sanitized.
# Fails on a failing test and on any sanitizer report, including one from a
# child process whose exit code no test looks at (reports are written to
# build-asan/sanitizer-logs/ and printed here).
# Usage (as root, for the integration tests): scripts/sanitize.sh [extra ctest args]
set -euo pipefail
cd "$(dirname "$0")/.."

build="build-asan"
logs="$PWD/$build/sanitizer-logs"
jobs=${SANITIZE_BUILD_JOBS:-2}

launcher=()
if command -v ccache >/dev/null; then
  launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
# -O1 -g1: usable speed and line numbers in reports at a fraction of -O2 -g's compile time.
# HOSTPROBE_TEST_HOOKS: the integration tests' fault injection (userspace/core/test_hooks.h).
cmake -S . -B "$build" -DHOSTPROBE_SANITIZE=address,undefined -DHOSTPROBE_TEST_HOOKS=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g1" -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" \
  "${launcher[@]}" >/dev/null
cmake --build "$build" -j"$jobs" --target unit_tests integration_tests

rm -rf "$logs"
mkdir -p "$logs"
supp="$PWD/tests/sanitize"
# log_path is a flag the three runtimes share and each one's options reset it,
# so all three name it (else the last parsed, UBSAN_OPTIONS, sends reports to stderr).
report="log_path=$logs/report"
export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:detect_stack_use_after_return=1:strict_init_order=1:check_initialization_order=1:$report"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:$report"
export LSAN_OPTIONS="suppressions=$supp/lsan.supp:print_suppressions=0:$report"

status=0
# The leak tests that wait out detection windows (a minute or more each) run
# in the release stage only: under the sanitizers they would exercise the
# same code as the shorter memory tests, and cost CI its time budget.
long='MemoryIntegrationTest\.(TheExhaustionForecastOfALeakMatchesItsOomKill|ARestartWithTheSameStateDirSuspectsAKnownLeakAtOnce|LeaksAreFlaggedAndOtherShapesAreNot|ACgroupWhoseWorkersPileUpIsSuspectedAsAUnit)$'
ctest --test-dir "$build" -L 'unit|integration' -E "$long" --output-on-failure -j2 "$@" || status=$?

reports=("$logs"/*)
if [[ -e ${reports[0]} ]]; then
  for r in "${reports[@]}"; do
    echo "==== sanitizer report $r"
    cat "$r"
  done
  echo "sanitize.sh: FAILED: ${#reports[@]} sanitizer report(s) in $logs" >&2
  exit 1
fi
if [[ $status -ne 0 ]]; then
  echo "sanitize.sh: FAILED: ctest exited $status" >&2
  exit 1
fi
echo "sanitize.sh: unit and integration tests pass under ASan+UBSan with no report"
