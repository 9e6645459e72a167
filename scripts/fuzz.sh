#!/usr/bin/env bash
# Builds the libFuzzer harnesses (tests/fuzz, clang, ASan+UBSan) in build-fuzz/
# and runs each for a bounded time. Any crash, sanitizer report, timeout or
# broken invariant fails the script and prints the saved reproducer.
# Usage: scripts/fuzz.sh [SECONDS_PER_HARNESS]   (default 10)
#        FUZZ_ONLY=<name> scripts/fuzz.sh 60      (one harness, e.g. labels)
# The corpus each run grows is kept in build-fuzz/corpus/<name>/ (seeds come
# from tests/fuzz/corpus/<name>/ and tests/unit/fixtures); crashes go to
# build-fuzz/artifacts/<name>/.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-10}
if ! [[ $seconds =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: $0 [SECONDS_PER_HARNESS]   (a positive whole number, default 10)" >&2
  exit 2
fi
build="build-fuzz"
jobs=${FUZZ_BUILD_JOBS:-2}

if ! command -v clang++ >/dev/null; then
  echo "fuzz.sh: clang++ not found; run scripts/install-deps.sh" >&2
  exit 1
fi

launcher=()
if command -v ccache >/dev/null; then
  launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
cmake -S . -B "$build" -DHOSTPROBE_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ "${launcher[@]}" >/dev/null
cmake --build "$build" -j"$jobs" --target fuzzers

failed=()
while read -r name seeds; do
  [[ -n $name ]] || continue
  [[ -z ${FUZZ_ONLY:-} || $FUZZ_ONLY == "$name" ]] || continue
  dirs=() opts=()
  for s in $seeds; do
    if [[ $s == dict=* ]]; then opts+=("-dict=${s#dict=}"); else dirs+=("$s"); fi
  done
  work="$build/corpus/$name"
  artifacts="$build/artifacts/$name/"
  log="$build/logs/$name.log"
  rm -rf "$artifacts"
  mkdir -p "$work" "$artifacts" "$(dirname "$log")"
  # New inputs are written to the first corpus directory only, so the sources stay untouched.
  if "$build/${name}_fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$artifacts" "${opts[@]}" "$work" "${dirs[@]}" >"$log" 2>&1; then
    echo "fuzz.sh: $name ok (${seconds}s; $(grep -m1 -oE 'number_of_executed_units: [0-9]+' "$log" ||
      echo "runs ?"); corpus $(find "$work" -type f | wc -l) inputs)"
  else
    failed+=("$name")
    echo "fuzz.sh: $name FAILED; log: $log" >&2
    grep -E 'ERROR: |runtime error|invariant broken|SUMMARY' "$log" | head -5 >&2 || true
    for crash in "$artifacts"*; do
      [[ -e $crash ]] || continue
      echo "  reproducer: $crash   (rerun: $build/${name}_fuzzer $crash)" >&2
    done
  fi
done <"$build/fuzzers.txt"

if [[ ${#failed[@]} -gt 0 ]]; then
  echo "fuzz.sh: FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz.sh: no findings (${seconds}s per harness)"
