#!/bin/sh
# run.sh NAME SECONDS: build harness NAME (fuzz_module, fuzz_exec, fuzz_frame,
# fuzz_reply, fuzz_policy, fuzz_manifest, fuzz_schema, fuzz_abi_json,
# fuzz_abi, fuzz_wire, fuzz_netreply) with
# clang + libFuzzer + ASan + UBSan in build-fuzz/, then fuzz it for SECONDS
# from the seed corpus and fuzz/regressions/NAME/.
#   new inputs:  build-fuzz/fuzz/work/NAME/
#   crashes:     build-fuzz/fuzz/findings/NAME/crash-*  (minimise with
#                build-fuzz/fuzz/NAME -minimize_crash=1 -runs=10000 FILE)
# Extra arguments go to libFuzzer (e.g. -jobs=2, -max_len=4096).
set -eu
if [ $# -lt 2 ]; then
  echo "usage: fuzz/run.sh fuzz_module|fuzz_exec|fuzz_frame|fuzz_reply|fuzz_policy|fuzz_manifest|fuzz_schema|fuzz_abi_json|fuzz_abi|fuzz_wire|fuzz_netreply SECONDS [libFuzzer args]" >&2
  exit 2
fi
name=$1
secs=$2
shift 2
root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/build-fuzz

cmake -S "$root" -B "$build" -DCMAKE_C_COMPILER=clang \
      -DPLUGSUP_FUZZ=ON -DPLUGSUP_SANITIZE=ON \
      -DPLUGSUP_TESTS=OFF -DPLUGSUP_BENCH=OFF >/dev/null
cmake --build "$build" --target "$name" -j2

work=$build/fuzz/work/$name
findings=$build/fuzz/findings/$name
mkdir -p "$work" "$findings"
# The module corpus seeds the harnesses that read modules; the stream
# harnesses start from their regressions/ (a module read as a frame
# stream claims a body of megabytes: 50 inputs a second, no fuzzing), and
# fuzz_policy from the examples of docs/policy.md kept there.
case $name in
  fuzz_frame|fuzz_reply|fuzz_policy|fuzz_manifest|fuzz_schema|fuzz_abi_json|fuzz_abi|fuzz_wire|fuzz_netreply)
    set -- "$work" "$@" ;;
  *)
    [ -d "$build/fuzz/corpus" ] || cmake --build "$build" --target fuzz_corpus
    set -- "$work" "$build/fuzz/corpus" "$@" ;;
esac
[ -d "$root/fuzz/regressions/$name" ] && set -- "$@" "$root/fuzz/regressions/$name"

# The first folder receives new inputs; the others are read only.
# -timeout: fuel bounds every call, so a slow input is itself a finding.
exec "$build/fuzz/$name" -max_total_time="$secs" -timeout=10 \
     -rss_limit_mb=2048 -artifact_prefix="$findings/" -print_final_stats=1 "$@"
