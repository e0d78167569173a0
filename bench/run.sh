#!/usr/bin/env bash
# bench/run.sh: time the interpreter benchmark programs under native code,
# plugsup's interpreter (build/bench/interp_run), wabt's wasm-interp and
# wasm3, and print one table with the ratios. See bench/README.md.
#
#   bench/run.sh [--build-dir DIR] [--no-build] [--reps N] [--wabt-reps N]
#                [--wasm3 PATH] [--only a,b,...] [--timeout S] [--tsv FILE]
#                [--cpu]
#   bench/run.sh --fileio [--build-dir DIR] [--no-build] [--reps N]
#                [--wasm3 PATH]     file I/O and host calls instead
#                                   (bench/fileio/run.sh, more options)
#   bench/run.sh --simd [--build-dir DIR] [--no-build] [--reps N] [--cpu]
#                the SIMD programs: native, the scalar wasm build and the
#                -msimd128 build under interp_run, and their ratios
#
# Every run's output is checked ("ok <checksum>", the same checksum as the
# native build); a wrong or failed run shows as FAIL in its cell and the
# reason is printed under the table. Times are wall-clock seconds, the best
# of N runs (hyperfine's min when hyperfine is installed); with --cpu, the
# user+system CPU seconds of the run instead (steadier on a loaded machine).
set -u -o pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
build="$root/build"
do_build=1
reps=3
wabt_reps=1
wasm3=""
only=""
limit=300
tsv=""
metric=wall

usage() { sed -n '2,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit "${1:-2}"; }
fileio=0
simd=0

while [ $# -gt 0 ]; do
  case "$1" in
    --build-dir) build=$2; shift 2 ;;
    --no-build) do_build=0; shift ;;
    --reps) reps=$2; shift 2 ;;
    --wabt-reps) wabt_reps=$2; shift 2 ;;
    --wasm3) wasm3=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    --timeout) limit=$2; shift 2 ;;
    --tsv) tsv=$2; shift 2 ;;
    --cpu) metric=cpu; shift ;;
    --fileio) fileio=1; shift ;;
    --simd) simd=1; shift ;;
    -h|--help) usage 0 ;;
    *) echo "run.sh: unknown argument $1" >&2; usage ;;
  esac
done

programs=(intmix floatmix memsort calls branchy)
[ "$simd" -eq 1 ] && programs=(pixels)
if [ -n "$only" ]; then
  IFS=, read -r -a programs <<<"$only"
fi
pdir="$build/bench/programs"
interp_run="$build/bench/interp_run"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# wasm3: --wasm3, else $WASM3, else bench/.wasm3 (a symlink to the binary,
# or a text file holding its path). Never built or fetched by this script.
find_wasm3() {
  if [ -z "$wasm3" ] && [ -n "${WASM3:-}" ]; then wasm3=$WASM3; fi
  if [ -z "$wasm3" ] && [ -e "$here/.wasm3" ]; then
    if [ -x "$here/.wasm3" ]; then wasm3="$here/.wasm3"
    else wasm3=$(head -n1 "$here/.wasm3"); fi
  fi
  if [ -n "$wasm3" ] && [ ! -x "$wasm3" ]; then
    echo "run.sh: wasm3 '$wasm3' is not an executable; skipping wasm3" >&2
    wasm3=""
  fi
}

build_all() {
  if [ ! -f "$build/CMakeCache.txt" ]; then
    echo "run.sh: $build is not configured; run" >&2
    echo "  cmake -S $root -B $build -DCMAKE_BUILD_TYPE=Release" >&2
    exit 2
  fi
  cmake --build "$build" --target bench_programs interp_run -j2 >"$tmp/build.log" 2>&1 || {
    cat "$tmp/build.log" >&2
    echo "run.sh: build failed (interp_run needs a complete interp/)" >&2
    exit 2
  }
}

# ---- running and checking ----

# normalize ENGINE OUTFILE: the "ok <checksum>" line a run stands for.
# wasm-interp runs the bare build and prints "bench_run() => i32:<u32>".
normalize() {
  if [ "$1" = wabt ]; then
    local v
    v=$(sed -n 's/^bench_run() => i32:\([0-9]*\)$/\1/p' "$2")
    [ -n "$v" ] && printf 'ok %08x\n' "$v"
  else
    grep -m1 -E '^(ok|FAIL) ' "$2"
  fi
}

# command ENGINE PROGRAM: prints the argv (one per line) to run it.
command_for() {
  case "$1" in
    native) printf '%s\n' "$pdir/$2" ;;
    plugsup) printf '%s\n' "$interp_run" "$pdir/$2.wasm" ;;
    simd) printf '%s\n' "$interp_run" "$pdir/$2.simd.wasm" ;;
    wabt) printf '%s\n' wasm-interp --run-all-exports "$pdir/$2.bare.wasm" ;;
    wasm3) printf '%s\n' "$wasm3" "$pdir/$2.wasm" ;;
  esac
}

# check_run ENGINE EXPECTED ARGV...: runs once, sets why="" if the output is
# EXPECTED (or, with EXPECTED empty, any "ok" line; sets got), else the
# reason. Sets cpu to the run's user+system seconds: the subshell's
# 'times' reports its waited-for children, i.e. timeout and the program.
check_run() {
  local engine=$1 expected=$2; shift 2
  (
    timeout "$limit" "$@" >"$tmp/out" 2>"$tmp/err"
    echo $? >"$tmp/rc"
    times >"$tmp/times"
  )
  local rc
  rc=$(cat "$tmp/rc")
  cpu=$(sed -n 2p "$tmp/times" | awk '{ s = 0
    for (i = 1; i <= NF; i++) { split($i, p, "m"); s += p[1] * 60 + p[2] }
    printf "%.4f", s }')
  got=$(normalize "$engine" "$tmp/out")
  why=""
  if [ "$rc" -eq 124 ]; then why="timed out after ${limit}s"
  elif [ "$rc" -ne 0 ]; then why="exit $rc: $(head -c 300 "$tmp/err" | tr '\n' ' ')$(head -c 200 "$tmp/out" | tr '\n' ' ')"
  elif [ -z "$got" ]; then why="no result line: $(head -c 200 "$tmp/out" | tr '\n' ' ')"
  elif [ -n "$expected" ] && [ "$got" != "$expected" ]; then why="printed '$got', native printed '$expected'"
  elif [ -z "$expected" ] && [ "${got#ok }" = "$got" ]; then why="printed '$got'"
  fi
}

now() { date +%s.%N; }

# time_engine ENGINE PROGRAM EXPECTED N: sets secs (best of N) and why.
time_engine() {
  local engine=$1 prog=$2 expected=$3 n=$4 argv
  mapfile -t argv < <(command_for "$engine" "$prog")
  secs=""
  if [ "$metric" = wall ] && command -v hyperfine >/dev/null 2>&1; then
    check_run "$engine" "$expected" "${argv[@]}"
    [ -n "$why" ] && return
    local cmd
    cmd=$(printf '%q ' "${argv[@]}")
    if hyperfine -N --runs "$n" --export-json "$tmp/h.json" "$cmd" >/dev/null 2>"$tmp/herr"; then
      secs=$(sed -n 's/^ *"min": *\([0-9.eE+-]*\),*$/\1/p' "$tmp/h.json" | head -n1)
      return
    fi
    # An older hyperfine without -N: fall through to plain timing.
  fi
  local i t0 t1 t
  for ((i = 0; i < n; i++)); do
    t0=$(now)
    check_run "$engine" "$expected" "${argv[@]}"
    t1=$(now)
    [ -n "$why" ] && { secs=""; return; }
    t=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", b - a }')
    [ "$metric" = cpu ] && t=$cpu
    if [ -z "$secs" ] || awk -v a="$t" -v b="$secs" 'BEGIN { exit !(a < b) }'; then
      secs=$t
    fi
  done
}

# ---- the table ----

ratio() { # ratio A B: A/B to two decimals, or "-" if either is missing
  if [ -n "$1" ] && [ -n "$2" ] && [ "$1" != FAIL ] && [ "$2" != FAIL ]; then
    awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'
  else
    echo "-"
  fi
}

geomean() { # geomean VALUES...: over the numeric ones, "-" if none
  printf '%s\n' "$@" | awk '$1 ~ /^[0-9.]+$/ && $1 > 0 { s += log($1); n++ }
    END { if (n) printf "%.2f", exp(s / n); else print "-" }'
}

engine_label() {
  case "$1" in
    native) echo "native $(sed -n 's/^CMAKE_C_COMPILER:[A-Z]*=//p' "$build/CMakeCache.txt") -O2" ;;
    plugsup) echo "plugsup $interp_run" ;;
    wabt) echo "wasm-interp $(wasm-interp --version 2>/dev/null) (bare build)" ;;
    wasm3) echo "wasm3 $wasm3" ;;
  esac
}

main() {
  find_wasm3
  [ "$do_build" -eq 1 ] && build_all
  local engines=(native)
  [ -x "$interp_run" ] && engines+=(plugsup) || echo "run.sh: no $interp_run; plugsup column skipped" >&2
  command -v wasm-interp >/dev/null 2>&1 && engines+=(wabt) || echo "run.sh: no wasm-interp; column skipped" >&2
  [ -n "$wasm3" ] && engines+=(wasm3)

  echo "# $(date -u +%Y-%m-%dT%H:%MZ)  $(nproc) cpus  load:$(cut -d' ' -f1-3 /proc/loadavg)"
  local timer=date
  [ "$metric" = wall ] && command -v hyperfine >/dev/null && timer=hyperfine
  [ "$metric" = cpu ] && timer="bash times (user+sys of the run)"
  echo "# best of $reps runs (wasm-interp: $wabt_reps), $metric seconds; timer: $timer"
  local e
  for e in "${engines[@]}"; do echo "#   $(engine_label "$e")"; done

  declare -A t
  local problems=() p expected
  for p in "${programs[@]}"; do
    if [ ! -x "$pdir/$p" ]; then
      problems+=("$p: not built ($pdir/$p)"); continue
    fi
    time_engine native "$p" "" "$reps"
    t[$p,native]=${secs:-FAIL}
    if [ -n "$why" ]; then problems+=("$p native: $why"); continue; fi
    expected=$got
    for e in "${engines[@]:1}"; do
      local n=$reps
      [ "$e" = wabt ] && n=$wabt_reps
      time_engine "$e" "$p" "$expected" "$n"
      t[$p,$e]=${secs:-FAIL}
      [ -n "$why" ] && problems+=("$p $e: $why")
      echo "  $p $e ${t[$p,$e]}" >&2
    done
  done

  local fmt="%-9s | %9s | %9s | %12s | %9s | %14s | %19s | %14s\n"
  echo
  printf "$fmt" program "native s" "plugsup s" "wasm-interp s" "wasm3 s" \
    plugsup/native plugsup/wasm-interp plugsup/wasm3
  local r1=() r2=() r3=() wn=() w3n=() a b c
  for p in "${programs[@]}"; do
    a=$(ratio "${t[$p,plugsup]:-}" "${t[$p,native]:-}")
    b=$(ratio "${t[$p,plugsup]:-}" "${t[$p,wabt]:-}")
    c=$(ratio "${t[$p,plugsup]:-}" "${t[$p,wasm3]:-}")
    r1+=("$a"); r2+=("$b"); r3+=("$c")
    wn+=("$(ratio "${t[$p,wabt]:-}" "${t[$p,native]:-}")")
    w3n+=("$(ratio "${t[$p,wasm3]:-}" "${t[$p,native]:-}")")
    printf "$fmt" "$p" "${t[$p,native]:--}" "${t[$p,plugsup]:--}" \
      "${t[$p,wabt]:--}" "${t[$p,wasm3]:--}" "$a" "$b" "$c"
    [ -n "$tsv" ] && printf '%s\t%s\t%s\t%s\t%s\n' "$p" "${t[$p,native]:-}" \
      "${t[$p,plugsup]:-}" "${t[$p,wabt]:-}" "${t[$p,wasm3]:-}" >>"$tsv"
  done
  printf "$fmt" "geomean" "" "" "" "" "$(geomean "${r1[@]}")" \
    "$(geomean "${r2[@]}")" "$(geomean "${r3[@]}")"
  echo
  echo "engine/native geomean: wasm-interp $(geomean "${wn[@]}"), wasm3 $(geomean "${w3n[@]}")"

  if [ ${#problems[@]} -gt 0 ]; then
    echo
    echo "PROBLEMS:"
    printf '  %s\n' "${problems[@]}"
    return 1
  fi
}

# simd_instructions FILE: how many SIMD instructions wasm-objdump -d
# lists in FILE ("-" without wasm-objdump): proof the build vectorized.
simd_instructions() {
  command -v wasm-objdump >/dev/null 2>&1 || { echo "-"; return; }
  wasm-objdump -d "$1" 2>/dev/null |
    grep -cE '(v128|i8x16|i16x8|i32x4|i64x2|f32x4|f64x2)\.'
}

# The SIMD table: each SIMD program natively, as scalar wasm and as
# -msimd128 wasm, the two wasm builds under plugsup's interpreter.
main_simd() {
  [ "$do_build" -eq 1 ] && build_all
  [ -x "$interp_run" ] || { echo "run.sh: no $interp_run" >&2; exit 2; }
  echo "# $(date -u +%Y-%m-%dT%H:%MZ)  $(nproc) cpus  load:$(cut -d' ' -f1-3 /proc/loadavg)"
  echo "# best of $reps runs, $metric seconds; scalar: clang -O2, simd: clang -O2 -msimd128, both under $interp_run"
  declare -A t
  local problems=() p e expected
  for p in "${programs[@]}"; do
    echo "#   $p.simd.wasm: $(simd_instructions "$pdir/$p.simd.wasm") SIMD instructions, $p.wasm: $(simd_instructions "$pdir/$p.wasm")"
    time_engine native "$p" "" "$reps"
    t[$p,native]=${secs:-FAIL}
    if [ -n "$why" ]; then problems+=("$p native: $why"); continue; fi
    expected=$got
    for e in plugsup simd; do
      time_engine "$e" "$p" "$expected" "$reps"
      t[$p,$e]=${secs:-FAIL}
      [ -n "$why" ] && problems+=("$p $e: $why")
    done
  done
  local fmt="%-9s | %9s | %13s | %11s | %13s | %11s | %11s\n"
  echo
  printf "$fmt" program "native s" "scalar wasm s" "simd wasm s" scalar/native \
    simd/native scalar/simd
  for p in "${programs[@]}"; do
    printf "$fmt" "$p" "${t[$p,native]:--}" "${t[$p,plugsup]:--}" \
      "${t[$p,simd]:--}" "$(ratio "${t[$p,plugsup]:-}" "${t[$p,native]:-}")" \
      "$(ratio "${t[$p,simd]:-}" "${t[$p,native]:-}")" \
      "$(ratio "${t[$p,plugsup]:-}" "${t[$p,simd]:-}")"
  done
  if [ ${#problems[@]} -gt 0 ]; then
    echo
    echo "PROBLEMS:"
    printf '  %s\n' "${problems[@]}"
    return 1
  fi
}

if [ "$simd" -eq 1 ]; then
  main_simd
  exit
fi

if [ "$fileio" -eq 1 ]; then
  find_wasm3
  args=(--build-dir "$build" --reps "$reps")
  [ "$do_build" -eq 0 ] && args+=(--no-build)
  [ -n "$wasm3" ] && args+=(--wasm3 "$wasm3")
  rm -rf "$tmp" # exec skips the EXIT trap
  exec "$here/fileio/run.sh" "${args[@]}"
fi
main
