#!/usr/bin/env bash
# test.sh [--sanitize] [CTEST_ARGS...]: build and run the whole test suite.
#   --sanitize  in build-asan/ with AddressSanitizer + UndefinedBehaviorSanitizer
# The last line counts test cases over every test binary:
# Criterion cases from each binary's Synthesis line, other tests as one each.
set -euo pipefail
cd "$(dirname "$0")/.."
build=build
args=()
if [ "${1:-}" = "--sanitize" ]; then
  build=build-asan
  args=(-DPLUGSUP_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug -DPLUGSUP_BENCH=OFF)
  shift
fi
bash scripts/build.sh "$build" "${args[@]}"

junit=$build/ctest-junit.xml
rm -f "$junit"
set +e
ctest --test-dir "$build" --output-on-failure -j"$(nproc)" \
  --test-output-size-passed 1048576 --test-output-size-failed 1048576 \
  --output-junit "$(pwd)/$junit" "$@"
rc=$?
set -e
[ -f "$junit" ] || { echo "test: ctest wrote no results"; exit 1; }
awk -f scripts/count-tests.awk "$junit"
exit $rc
