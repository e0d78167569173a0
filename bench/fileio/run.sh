#!/usr/bin/env bash
# bench/fileio/run.sh: file I/O through WASI under plugsup (a preopened
# --dir; every read and write is a host call the supervisor's broker
# answers) and under wasm3 (which calls the kernel in-process), with the
# same program, bench/fileio/fileio.c. See bench/README.md.
#
#   bench/fileio/run.sh [--build-dir DIR] [--no-build] [--reps N]
#                       [--wasm3 PATH] [--size MB] [--calls N] [--tmp DIR]
#
# Reads a SIZE MB file (default 100) and writes one, with 4 KiB, 64 KiB
# and 1 MiB buffers, then times CALLS (default 100000) 1-byte fd_read and
# fd_fdstat_get calls against an empty loop: the cost of one host call.
# Times are taken inside the program (monotonic clock), the median of N
# runs (default 5); process start and module load are not in them.
set -u -o pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$(dirname "$here")")
build="$root/build"
do_build=1
reps=5
wasm3=""
size_mb=100
calls=100000
tmp_parent=${TMPDIR:-/tmp}

usage() { sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit "${1:-2}"; }

while [ $# -gt 0 ]; do
  case "$1" in
    --build-dir) build=$2; shift 2 ;;
    --no-build) do_build=0; shift ;;
    --reps) reps=$2; shift 2 ;;
    --wasm3) wasm3=$2; shift 2 ;;
    --size) size_mb=$2; shift 2 ;;
    --calls) calls=$2; shift 2 ;;
    --tmp) tmp_parent=$2; shift 2 ;;
    -h|--help) usage 0 ;;
    *) echo "fileio: unknown argument $1" >&2; usage ;;
  esac
done

plugsup=$build/bin/plugsup
wasm=$build/bench/fileio/fileio.wasm
work=$(mktemp -d "$tmp_parent/plugsup-fileio.XXXXXX")
trap 'rm -rf "$work"' EXIT
data=$work/data  # the folder the program sees as '/'
mkdir -p "$data"
bytes=$((size_mb * 1024 * 1024))
problems=()

# wasm3: --wasm3, else $WASM3, else bench/.wasm3, as bench/run.sh finds it.
find_wasm3() {
  local dot=$root/bench/.wasm3
  if [ -z "$wasm3" ] && [ -n "${WASM3:-}" ]; then wasm3=$WASM3; fi
  if [ -z "$wasm3" ] && [ -e "$dot" ]; then
    if [ -x "$dot" ]; then wasm3=$dot; else wasm3=$(head -n1 "$dot"); fi
  fi
  if [ -n "$wasm3" ] && [ ! -x "$wasm3" ]; then
    echo "fileio: wasm3 '$wasm3' is not an executable; skipping wasm3" >&2
    wasm3=""
  fi
}

build_all() {
  cmake --build "$build" --target plugsup plugsup-worker bench_fileio -j2 \
    >"$work/build.log" 2>&1 || { cat "$work/build.log" >&2; exit 2; }
}

# run_engine ENGINE ARGS...: runs fileio.wasm once with ARGS; sets line to
# its "ok ..." line, or why to how it failed.
run_engine() {
  local engine=$1; shift
  local rc
  case "$engine" in
    plugsup)
      "$plugsup" run --timeout 10m --memory 64M --dir "$data::/" \
        -- "$wasm" "$@" >"$work/out" 2>"$work/err" </dev/null ;;
    wasm3)
      # wasm3's simple WASI preopens its working folder as '/'.
      (cd "$data" && "$wasm3" "$wasm" "$@") >"$work/out" 2>"$work/err" </dev/null ;;
  esac
  rc=$?
  why="" line=""
  if [ "$rc" -ne 0 ] || ! grep -q '^ok ' "$work/out"; then
    why="exit $rc: $(cat "$work/out" "$work/err" | head -c 300 | tr '\n' ' ')"
    return
  fi
  line=$(grep -m1 '^ok ' "$work/out")
}

median() { sort -g | awk '{ v[NR] = $1 } END {
  if (NR == 0) print ""; else if (NR % 2) print v[(NR + 1) / 2];
  else printf "%.6f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# measure ENGINE FIELD CHECK ARGS...: sets res to the median of field FIELD
# of the "ok" line over the runs; CHECK is a command run after each run
# (e.g. on the size of the file written). res is empty and why says how
# when a run failed.
measure() {
  local engine=$1 field=$2 check=$3; shift 3
  local i values=()
  res=""
  for ((i = 0; i < reps; i++)); do
    rm -f "$data/out.dat"
    run_engine "$engine" "$@"
    [ -n "$why" ] && return
    if [ -n "$check" ] && ! eval "$check"; then
      why="check failed: $check"; return
    fi
    values+=("$(echo "$line" | awk -v f="$field" '{ print $f }')")
  done
  res=$(printf '%s\n' "${values[@]}" | median)
}

ratio() { # A B: A/B, or "-" if either is missing
  if [ -n "$1" ] && [ -n "$2" ]; then
    awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'
  else echo "-"; fi
}
mbs() { # SECONDS: MB/s for the file size, or "-"
  if [ -n "$1" ]; then awk -v s="$1" -v b="$bytes" 'BEGIN { if (s > 0) printf "%.0f", b / s / 1048576; else print "-" }'
  else echo "-"; fi
}

main() {
  find_wasm3
  [ "$do_build" -eq 1 ] && build_all
  [ -f "$wasm" ] || { echo "fileio: no $wasm (clang --target=wasm32-wasi missing?)" >&2; exit 2; }
  local engines=()
  [ -x "$plugsup" ] && engines+=(plugsup) || echo "fileio: no $plugsup; plugsup column skipped" >&2
  [ -n "$wasm3" ] && engines+=(wasm3) || echo "fileio: no wasm3 (bench/README.md says how to build one); column skipped" >&2

  echo "# $(date -u +%Y-%m-%dT%H:%MZ)  $(nproc) cpus  load:$(cut -d' ' -f1-3 /proc/loadavg)"
  echo "# ${size_mb} MB files in $work (filesystem: $(df -T "$work" | awk 'NR == 2 { print $2 }')), median of $reps runs, seconds inside the program"
  local e
  for e in "${engines[@]}"; do
    case "$e" in
      plugsup) echo "#   plugsup $plugsup run --dir DATA::/" ;;
      wasm3) echo "#   wasm3 $wasm3 (working folder DATA, preopened as /)" ;;
    esac
  done
  head -c "$bytes" /dev/urandom >"$data/in.dat"
  local sum
  sum=$(python3 -c 'import sys; print(sum(open(sys.argv[1], "rb").read()[::512]) % 2**32)' "$data/in.dat")

  declare -A t
  local buf op rows=()
  for op in read write; do
    for buf in 4096 65536 1048576; do
      rows+=("$op $buf")
      for e in "${engines[@]}"; do
        if [ "$op" = read ]; then
          # Every engine must read the file's own bytes.
          measure "$e" 5 "[ \"\$(echo \"\$line\" | awk '{ print \$6 }')\" = $sum ]" \
            read /in.dat "$buf"
        else
          measure "$e" 5 "[ \"\$(stat -c %s '$data/out.dat')\" = $bytes ]" \
            write /out.dat "$buf" "$bytes"
        fi
        t[$op$buf$e]=$res
        [ -n "$why" ] && problems+=("$op $buf $e: $why")
        echo "  $op $buf $e ${t[$op$buf$e]:-FAIL}" >&2
      done
    done
  done

  local fmt="%-14s | %10s | %10s | %13s | %12s | %10s\n"
  echo
  printf "$fmt" "op, buffer" "plugsup s" "wasm3 s" "plugsup/wasm3" "plugsup MB/s" "wasm3 MB/s"
  local r a b
  for r in "${rows[@]}"; do
    op=${r% *}; buf=${r#* }
    a=${t[$op${buf}plugsup]:-}; b=${t[$op${buf}wasm3]:-}
    printf "$fmt" "$op $((buf / 1024))K" "${a:--}" "${b:--}" "$(ratio "$a" "$b")" "$(mbs "$a")" "$(mbs "$b")"
  done

  # One host call: N calls minus N turns of the same loop without one.
  local loop kind f
  echo
  printf "%-30s | %10s | %10s | %13s\n" "one host call, of $calls" "plugsup us" "wasm3 us" "plugsup/wasm3"
  for kind in "1-byte fd_read:4" "fd_fdstat_get:5"; do
    f=${kind#*:}
    for e in "${engines[@]}"; do
      t[c$f$e]=""
      measure "$e" "$f" "" calls /in.dat "$calls"
      a=$res
      [ -z "$why" ] && measure "$e" 6 "" calls /in.dat "$calls"
      loop=$res
      if [ -n "$why" ]; then
        problems+=("calls ${kind%:*} $e: $why"); continue
      fi
      t[c$f$e]=$(awk -v a="$a" -v l="$loop" -v n="$calls" 'BEGIN { printf "%.3f", (a - l) / n * 1e6 }')
    done
    printf "%-30s | %10s | %10s | %13s\n" "${kind%:*}" "${t[c${f}plugsup]:--}" \
      "${t[c${f}wasm3]:--}" "$(ratio "${t[c${f}plugsup]:-}" "${t[c${f}wasm3]:-}")"
  done

  if [ ${#problems[@]} -gt 0 ]; then
    echo
    echo "PROBLEMS:"
    printf '  %s\n' "${problems[@]}"
    return 1
  fi
}

main
