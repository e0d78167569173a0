#!/bin/sh
# cli_test.sh BUILD_DIR: the plugsup command's exit statuses and messages,
# through the built binary and the real worker (fake ones for endings a
# real worker cannot be made to produce on demand).
set -u
build=$1
plugsup=$build/bin/plugsup
fix=$build/tests/e2e/fixtures
fake=$build/tests/e2e/fake-worker
. "$(dirname "$0")/expect.sh"

usage_hint='Try '\''plugsup run --help'\''.'

# ---- usage errors: status 170 ----
expect no_command 170 "" "$("$plugsup" --help 2>&1)" -- "$plugsup"
expect_grep unknown_command 170 "^plugsup: unknown command 'frob'$" -- "$plugsup" frob
expect missing_plugin 170 "" "plugsup run: missing the plugin file (PLUGIN.wasm)
$usage_hint" -- "$plugsup" run
expect bad_memory 170 "" "plugsup run: bad --memory value '12x': expected bytes, with an optional K, M or G suffix
$usage_hint" -- "$plugsup" run --memory 12x "$fix/outcomes.wasm"
expect bad_timeout 170 "" "plugsup run: bad --timeout value '1.5s': expected seconds, or a number with ms, s or m
$usage_hint" -- "$plugsup" run --timeout 1.5s "$fix/outcomes.wasm"
expect zero_timeout 170 "" "plugsup run: bad --timeout value '0': must be more than zero
$usage_hint" -- "$plugsup" run --timeout 0 "$fix/outcomes.wasm"
expect bad_fuel 170 "" "plugsup run: bad --fuel value 'lots': expected a positive whole number
$usage_hint" -- "$plugsup" run --fuel lots "$fix/outcomes.wasm"
expect huge_memory 170 "" "plugsup run: bad --memory value '5G': at most 4G, all a 32-bit memory can address
$usage_hint" -- "$plugsup" run --memory 5G "$fix/outcomes.wasm"
expect unknown_option 170 "" "plugsup run: unknown option '--frob'
$usage_hint" -- "$plugsup" run --frob "$fix/outcomes.wasm"
expect missing_value 170 "" "plugsup run: option '--timeout' needs a value
$usage_hint" -- "$plugsup" run --timeout
expect validate_run_option 170 "" "plugsup validate: option '--fuel' is only for 'plugsup run', 'plugsup process', 'plugsup tool', 'plugsup observe' and 'plugsup inspect'
Try 'plugsup validate --help'." -- "$plugsup" validate --fuel 5 "$fix/outcomes.wasm"
expect validate_extra 170 "" "plugsup validate: unexpected argument 'x' after the plugin file
Try 'plugsup validate --help'." -- "$plugsup" validate "$fix/outcomes.wasm" x
expect invoke_count 170 "" "plugsup run: 'add' takes 2 arguments (i32 i32), got 1
$usage_hint" -- "$plugsup" run --invoke add "$fix/outcomes.wasm" 2
expect invoke_value 170 "" "plugsup run: argument 1 'x' is not a valid i32: expected a 32-bit integer
$usage_hint" -- "$plugsup" run --invoke add "$fix/outcomes.wasm" x 3

# ---- grants: usage errors with exact messages, and plugsup policy ----
: >"$tmp/file.txt"
expect grant_missing_dir 170 "" "plugsup run: cannot grant '$tmp/nodir': No such file or directory
$usage_hint" -- "$plugsup" run --dir "$tmp/nodir" "$fix/outcomes.wasm"
expect grant_not_a_dir 170 "" "plugsup run: cannot grant '$tmp/file.txt': not a directory
$usage_hint" -- "$plugsup" run --ro-dir "$tmp/file.txt" "$fix/outcomes.wasm"
expect grant_relative_guest 170 "" "plugsup run: guest path 'data' must be absolute
$usage_hint" -- "$plugsup" run --dir "$tmp::data" "$fix/outcomes.wasm"
expect grant_bad_capability 170 "" "plugsup run: capability 'fs:rea:/x': unknown kind 'fs:rea'
$usage_hint" -- "$plugsup" run --allow fs:rea:/x "$fix/outcomes.wasm"
expect grant_bad_env 170 "" "plugsup run: bad variable name '': it must be non-empty, without '='
$usage_hint" -- "$plugsup" run --env =x "$fix/outcomes.wasm"
printf '{\n  "filesystem": {"reed": []}\n}\n' >"$tmp/typo.json"
printf '{}' >"$tmp/empty.json"
expect grant_bad_policy 170 "" "plugsup run: $tmp/typo.json:2:18: filesystem.reed: unknown field (known: read, write, tmp, max_file_size, create_directories)
$usage_hint" -- "$plugsup" run --policy "$tmp/typo.json" "$fix/outcomes.wasm"
expect grant_missing_policy 170 "" "plugsup run: cannot open policy '$tmp/none.json': No such file or directory
$usage_hint" -- "$plugsup" run --policy "$tmp/none.json" "$fix/outcomes.wasm"
expect grant_policy_twice 170 "" "plugsup run: option '--policy' can be given only once
$usage_hint" -- "$plugsup" run --policy "$tmp/empty.json" --policy "$tmp/empty.json" "$fix/outcomes.wasm"
expect audit_unopenable 170 "" "plugsup run: cannot open audit file '$tmp/nodir/audit.log': No such file or directory
$usage_hint" -- "$plugsup" run --audit "$tmp/nodir/audit.log" "$fix/outcomes.wasm"
expect audit_twice 170 "" "plugsup run: option '--audit' can be given only once
$usage_hint" -- "$plugsup" run --audit - --audit - "$fix/outcomes.wasm"
expect grant_not_for_validate 170 "" "plugsup validate: option '--allow' is only for 'plugsup run', 'plugsup policy', 'plugsup process', 'plugsup tool' and 'plugsup observe'
Try 'plugsup validate --help'." -- "$plugsup" validate --allow clock "$fix/outcomes.wasm"
expect run_with_grants 0 "5" "" -- "$plugsup" run --dir "$tmp" --ro-dir "$tmp::/ro" --env HOME \
  --env MODE=test --allow clock --audit "$tmp/audit.log" --invoke add "$fix/outcomes.wasm" 2 3
expect audit_file_is_private 0 "600" "" -- stat -c %a "$tmp/audit.log"
printf '{"capabilities": ["fs:read:/etc/**", "network:outbound:80,443", "exec:systemctl", "env:AWS_*"],\n "limits": {"memory": "64M", "wall_time": 5}}\n' >"$tmp/caps.json"
expect policy_describe 0 "ro-dir:$tmp::/ro
fs:read:/etc/**
env:AWS_*
env:HOME
network:outbound:*:80,443
exec:systemctl
clock
limit:memory:64M
limit:wall_time:5s" "" -- "$plugsup" policy --ro-dir "$tmp::/ro" --env HOME=x --allow clock "$tmp/caps.json"
expect policy_describe_reads_back 0 "$("$plugsup" policy "$tmp/caps.json")" "" \
  -- sh -c "'$plugsup' policy \$('$plugsup' policy '$tmp/caps.json' | sed 's/^/--allow /')"
expect policy_bad_file 170 "" "plugsup policy: $tmp/typo.json:2:18: filesystem.reed: unknown field (known: read, write, tmp, max_file_size, create_directories)
Try 'plugsup policy --help'." -- "$plugsup" policy "$tmp/typo.json"
expect policy_nothing 170 "" "plugsup policy: missing the policy: FILE, --policy, --allow, --dir, --ro-dir or --env
Try 'plugsup policy --help'." -- "$plugsup" policy
expect policy_file_twice 170 "" "plugsup policy: give the policy file once: FILE or --policy
Try 'plugsup policy --help'." -- "$plugsup" policy --policy "$tmp/caps.json" "$tmp/caps.json"
expect policy_extra 170 "" "plugsup policy: unexpected argument 'x' after the policy file
Try 'plugsup policy --help'." -- "$plugsup" policy "$tmp/caps.json" x
expect policy_run_option 170 "" "plugsup policy: option '--fuel' is only for 'plugsup run', 'plugsup process', 'plugsup tool', 'plugsup observe' and 'plugsup inspect'
Try 'plugsup policy --help'." -- "$plugsup" policy --fuel 5 --allow clock

# ---- plugsup's own failures: status 169 ----
expect missing_file 169 "" "plugsup: cannot open '$tmp/nope.wasm': No such file or directory" \
  -- "$plugsup" run "$tmp/nope.wasm"
expect directory 169 "" "plugsup: '$tmp' is a directory, not a plugin" -- "$plugsup" run "$tmp"
: >"$tmp/empty.wasm"
expect empty_file 169 "" "plugsup: '$tmp/empty.wasm' is empty" -- "$plugsup" run "$tmp/empty.wasm"
if [ "$(id -u)" != 0 ]; then
  cp "$fix/outcomes.wasm" "$tmp/locked.wasm" && chmod 000 "$tmp/locked.wasm"
  expect unreadable 169 "" "plugsup: cannot open '$tmp/locked.wasm': Permission denied" \
    -- "$plugsup" run "$tmp/locked.wasm"
fi
expect missing_worker 169 "" "plugsup: worker '$tmp/none' is not executable: No such file or directory" \
  -- env PLUGSUP_WORKER="$tmp/none" "$plugsup" run "$fix/outcomes.wasm"

# ---- how workers start: by exec for a command that makes one run ----
# The worker below notes how it was started, then is the real one.
printf '#!/bin/sh\necho "$1" >>"%s"\nexec "%s" "$@"\n' "$tmp/starts" \
  "$(cd "$build" && pwd)/bin/plugsup-worker" >"$tmp/noting-worker"
chmod +x "$tmp/noting-worker"
# worker_starts COMMAND...: one word per worker started, "exec" for a
# worker that makes one run, "zygote" for a zygote; the command's status.
worker_starts() {
  : >"$tmp/starts"
  env -u PLUGSUP_SPAWN PLUGSUP_WORKER="$tmp/noting-worker" "$@" \
    </dev/null >/dev/null 2>&1
  started=$?
  sed 's/^--zygote$/zygote/; t; s/.*/exec/' "$tmp/starts" | tr '\n' ' ' |
    sed 's/ $//'
  return $started
}
expect spawn_run 0 "exec" "" -- worker_starts "$plugsup" run "$fix/echo_stdin.wasm"
expect spawn_validate 0 "exec" "" -- worker_starts "$plugsup" validate "$fix/outcomes.wasm"
expect spawn_inspect 0 "exec" "" -- worker_starts "$plugsup" inspect "$fix/outcomes.wasm"
expect spawn_tool_list 0 "exec" "" \
  -- worker_starts "$plugsup" tool list "$fix/abi_tool_unterminated.wasm"
# Values that say their type, or none, need no VALIDATE run for the
# export's type: one run.
expect spawn_invoke_typed 0 "exec" "" \
  -- worker_starts "$plugsup" run --invoke add "$fix/outcomes.wasm" i32:2 i32:3
expect spawn_invoke_no_values 7 "exec" "" \
  -- worker_starts "$plugsup" run --invoke exit7 "$fix/outcomes.wasm"
# A call the worker refuses is explained by the VALIDATE run after it.
expect spawn_invoke_refused 170 "exec exec" "" \
  -- worker_starts "$plugsup" run --invoke add "$fix/outcomes.wasm"
# Two runs of one plugin: the library's default, a zygote that forks both
# (then "exec" too where the kernel refuses the zygote a step).
expect_grep spawn_invoke_untyped 0 "^zygote" \
  -- worker_starts "$plugsup" run --invoke add "$fix/outcomes.wasm" 2 3
expect_grep spawn_process 171 "^zygote" \
  -- worker_starts "$plugsup" process "$fix/abi_process_lying_len.wasm" --input /dev/null
# $PLUGSUP_SPAWN still decides.
expect_grep spawn_env_zygote 0 "^zygote" \
  -- worker_starts env PLUGSUP_SPAWN=zygote "$plugsup" run "$fix/echo_stdin.wasm"
expect spawn_env_bad 169 "" "plugsup: PLUGSUP_SPAWN is 'fork': expected 'zygote' or 'exec'" \
  -- env PLUGSUP_SPAWN=fork "$plugsup" run "$fix/outcomes.wasm"

# ---- outcomes ----
expect version 0 "plugsup 0.1.0" "" -- "$plugsup" --version
expect invoke_ok 0 "5" "" -- "$plugsup" run --invoke add "$fix/outcomes.wasm" 2 3
expect invoke_typed 0 "2.25
-5
1.5" "" -- "$plugsup" run --invoke mix "$fix/outcomes.wasm" i64:-5 1.5 f64:2.25
expect invoke_missing 167 "" "plugsup: '$fix/outcomes.wasm' exports no function named 'nope'" \
  -- "$plugsup" run --invoke nope "$fix/outcomes.wasm"
# Typed values, or none, go to the worker at once; what it refuses reads
# as it does for untyped values.
expect invoke_all_typed 0 "5" "" -- "$plugsup" run --invoke add "$fix/outcomes.wasm" i32:2 i32:3
expect invoke_typed_count 170 "" "plugsup run: 'add' takes 2 arguments (i32 i32), got 0
$usage_hint" -- "$plugsup" run --invoke add "$fix/outcomes.wasm"
expect invoke_typed_mismatch 170 "" "plugsup run: argument 1 'i64:2' is not a valid i32: its type prefix does not match the parameter's type
$usage_hint" -- "$plugsup" run --invoke add "$fix/outcomes.wasm" i64:2 i32:3
expect invoke_typed_bad_value 170 "" "plugsup run: 'add' takes 2 arguments (i32 i32), got 1
$usage_hint" -- "$plugsup" run --invoke add "$fix/outcomes.wasm" i32:x
# ---- v128: SHAPE:LANES in, i32x4 out ----
expect invoke_v128_any_shape_prints_as_i32x4 0 "i32x4:1,2,3,-1" "" -- "$plugsup" run --invoke same \
  "$fix/simd.wasm" i8x16:1,0,0,0,2,0,0,0,3,0,0,0,255,255,255,255
expect invoke_v128_typed_by_the_export 0 "i32x4:11,22,33,-36" "" -- "$plugsup" run --invoke add_i32x4 \
  "$fix/simd.wasm" i32x4:1,2,3,4 i32x4:10,20,30,-40
expect invoke_v128_float_lanes 0 "i32x4:1065353216,-1073741824,2143289344,2139095040" "" \
  -- "$plugsup" run --invoke same "$fix/simd.wasm" f32x4:1,-2,nan,inf
expect invoke_v128_beside_a_scalar 0 "i32x4:-2,-2,-2,-2
-2" "" -- "$plugsup" run --invoke splat "$fix/simd.wasm" i32:-2
expect_grep invoke_v128_json 0 '"values":\[{"type":"v128","value":"i32x4:1,2,3,4","shape":"i32x4","lanes":\[1,2,3,4\]}\]' \
  -- "$plugsup" run --json --invoke same "$fix/simd.wasm" i64x2:8589934593,17179869187
expect_grep validate_v128 0 "^  func add_i32x4 (v128 v128) -> (v128)$" -- "$plugsup" validate "$fix/simd.wasm"
expect invoke_v128_lane_count 170 "" "plugsup run: argument 1 'i32x4:1,2,3' is not a valid v128: i32x4 takes 4 lanes, got 3
$usage_hint" -- "$plugsup" run --invoke same "$fix/simd.wasm" i32x4:1,2,3
expect invoke_v128_bad_lane 170 "" "plugsup run: argument 2 'f64x2:1,x' is not a valid v128: lane 1 'x' of f64x2 is not a number (or nan, inf)
$usage_hint" -- "$plugsup" run --invoke add_i32x4 "$fix/simd.wasm" i32x4:0,0,0,0 f64x2:1,x
expect invoke_v128_lane_out_of_range 170 "" "plugsup run: argument 1 'i16x8:65536,0,0,0,0,0,0,0' is not a valid v128: lane 0 '65536' of i16x8 is out of range (-32768 to 65535)
$usage_hint" -- "$plugsup" run --invoke same "$fix/simd.wasm" i16x8:65536,0,0,0,0,0,0,0
expect invoke_v128_unknown_shape 170 "" "plugsup run: argument 1 'v128:i32x4:1,2,3,4' is not a valid v128: unknown shape 'v128': use i8x16, i16x8, i32x4, i64x2, f32x4 or f64x2
$usage_hint" -- "$plugsup" run --invoke same "$fix/simd.wasm" v128:i32x4:1,2,3,4
expect invoke_v128_plain_number 170 "" "plugsup run: argument 1 '7' is not a valid v128: expected SHAPE:LANES, as in i32x4:1,2,3,4
$usage_hint" -- "$plugsup" run --invoke same "$fix/simd.wasm" 7
expect invoke_v128_for_an_i32 170 "" "plugsup run: argument 1 'i32x4:1,2,3,4' is not a valid i32: its type prefix does not match the parameter's type
$usage_hint" -- "$plugsup" run --invoke splat "$fix/simd.wasm" i32x4:1,2,3,4
expect invoke_not_a_function 167 "" "plugsup: '$fix/outcomes.wasm' exports no function named 'memory'" \
  -- "$plugsup" run --invoke memory "$fix/outcomes.wasm"
expect exit_code 7 "" "" -- "$plugsup" run --invoke exit7 "$fix/outcomes.wasm"
expect trap 160 "" "plugsup: trap: integer divide by zero" \
  -- "$plugsup" run --invoke div_zero "$fix/outcomes.wasm"
expect timeout 161 "" "plugsup: timeout: wall-clock limit of 200 ms reached" \
  -- "$plugsup" run --timeout 200ms "$fix/spin_start.wasm"
expect fuel 162 "" "plugsup: out of fuel" \
  -- "$plugsup" run --fuel 10000 "$fix/spin_start.wasm"
expect_grep memory 163 "^plugsup: out of memory: " -- "$plugsup" run --memory 1M "$fix/big_memory.wasm"
printf '\0asm\1\0\0\0\1\5' >"$tmp/bad.wasm"
expect_grep invalid 166 "^plugsup: invalid module: " -- "$plugsup" run "$tmp/bad.wasm"
expect_grep validate_invalid 166 "^plugsup: invalid module: " -- "$plugsup" validate "$tmp/bad.wasm"
expect violation 164 "" "plugsup: sandbox violation: worker made a forbidden system call: openat (257)" \
  -- env PLUGSUP_WORKER="$fake-sigsys" "$plugsup" run "$fix/outcomes.wasm"
expect crash 165 "" "plugsup: worker crashed: worker killed by signal 11 (Segmentation fault)" \
  -- env PLUGSUP_WORKER="$fake-segv" "$plugsup" run "$fix/outcomes.wasm"
expect protocol 168 "" "plugsup: protocol error: bad frame from worker: frame is not a valid message" \
  -- env PLUGSUP_WORKER="$fake-garbage" "$plugsup" run "$fix/outcomes.wasm"
expect_grep validate_ok 0 "^  func add (i32 i32) -> (i32)$" -- "$plugsup" validate "$fix/outcomes.wasm"
expect_grep stats 0 "^  outcome      ok$" -- "$plugsup" run --stats --invoke add "$fix/outcomes.wasm" 1 2
expect_grep stats_host_calls 0 "^  host calls   0, of which 0 denied$" -- "$plugsup" run --stats --invoke add "$fix/outcomes.wasm" 1 2
expect_grep stats_file_bytes 0 "^  file bytes   0 read, 0 written$" -- "$plugsup" run --stats --invoke add "$fix/outcomes.wasm" 1 2
expect_grep json_host_calls 0 '"host_calls":0,"host_denials":0,"bytes_read":0,"bytes_written":0' \
  -- "$plugsup" run --json --invoke add "$fix/outcomes.wasm" 1 2
expect_grep json 7 '^{"outcome":"exit","message":"",.*"exit_code":7}$' \
  -- "$plugsup" run --json --invoke exit7 "$fix/outcomes.wasm"
# ---- refusals: a hint without --audit, the lines with it ----
mkdir -p "$tmp/grant" && printf 'inside' >"$tmp/grant/in.txt"
expect refusal_hint 0 "open in.txt: 76" "plugsup: the policy refused 1 host call; --audit - lists them" \
  -- "$plugsup" run --ro-dir "$tmp/grant::/g" "$fix/fsprobe.wasm" open in.txt w
expect_grep refusal_audited 0 '"call":"path_open","decision":"denied","fd":3,"path":"in.txt"' \
  -- sh -c "'$plugsup' run --ro-dir '$tmp/grant::/g' --audit - '$fix/fsprobe.wasm' open in.txt w 2>&1 >/dev/null"

# ---- --input: the plugin's stdin ----
printf 'first line\nsecond line\n' >"$tmp/input.txt"
expect input_file 0 "first line
second line" "" -- "$plugsup" run --input "$tmp/input.txt" "$fix/echo_stdin.wasm"
expect input_stdin 0 "piped in" "" \
  -- sh -c "printf 'piped in' | '$plugsup' run --input - '$fix/echo_stdin.wasm'"
expect input_for_invoke 0 "first line
second line" "" -- "$plugsup" run --invoke _start --input "$tmp/input.txt" "$fix/echo_stdin.wasm"
expect input_is_a_directory 169 "" "plugsup: cannot read input '$tmp': Is a directory" \
  -- "$plugsup" run --input "$tmp" "$fix/echo_stdin.wasm"
expect input_none_streams_plugsups_stdin 0 "streamed in" "" \
  -- sh -c "printf 'streamed in' | '$plugsup' run '$fix/echo_stdin.wasm'"
expect input_none_from_dev_null_is_empty 0 "" "" \
  -- sh -c "'$plugsup' run '$fix/echo_stdin.wasm' </dev/null"
expect input_none_larger_than_a_frame 0 "1048577" "" \
  -- sh -c "head -c 1048577 /dev/zero | '$plugsup' run '$fix/echo_stdin.wasm' | wc -c | tr -d ' '"
expect input_missing 169 "" "plugsup: cannot open input '$tmp/nope': No such file or directory" \
  -- "$plugsup" run --input "$tmp/nope" "$fix/echo_stdin.wasm"
expect input_too_big 169 "" "plugsup: input '-': 64 MiB or more, too much for a worker" \
  -- sh -c "head -c 67108864 /dev/zero | '$plugsup' run --input - '$fix/echo_stdin.wasm'"
expect input_not_for_validate 170 "" "plugsup validate: option '--input' is only for 'plugsup run', 'plugsup process' and 'plugsup tool'
Try 'plugsup validate --help'." -- "$plugsup" validate --input "$tmp/input.txt" "$fix/echo_stdin.wasm"

expect_grep stats_no_namespaces 0 "^  namespaces   none$" \
  -- "$plugsup" run --stats --no-namespaces --invoke add "$fix/outcomes.wasm" 1 2
expect_grep json_no_namespaces 0 '"namespaces":\[\]' \
  -- "$plugsup" run --json --no-namespaces --invoke add "$fix/outcomes.wasm" 1 2
expect_grep validate_no_namespaces 0 "^  func add (i32 i32) -> (i32)$" \
  -- "$plugsup" validate --no-namespaces "$fix/outcomes.wasm"
if [ -e "$fix/exit_with.wasm" ]; then
  expect c_program 42 "to stdout" "to stderr" -- "$plugsup" run "$fix/exit_with.wasm" 42
  # A plugin's exit code 2 is not plugsup's usage error (170).
  expect plugin_exit_2 2 "to stdout" "to stderr" -- "$plugsup" run "$fix/exit_with.wasm" 2
  expect last_passed_through 124 "to stdout" "to stderr" -- "$plugsup" run "$fix/exit_with.wasm" 124
  expect exit_125 125 "to stdout" "to stderr
plugsup: the plugin exited with code 125 (status 125 stands for 125 or more)" -- "$plugsup" run "$fix/exit_with.wasm" 125
  expect big_exit 125 "to stdout" "to stderr
plugsup: the plugin exited with code 200 (status 125 stands for 125 or more)" -- "$plugsup" run "$fix/exit_with.wasm" 200
  expect hello 0 "Hello from a sandboxed plugin!
arg 1: one
arg 2: two words" "" -- "$plugsup" run "$build/examples/hello.wasm" one "two words"
fi

# ---- hostile text and edges ----
# Names a fake worker reports hold a C1 control, a bidi override, a NUL:
# printed escaped, and --json (once "out of memory writing JSON") works.
expect_grep names_escaped 0 '^  func a\\u{009b}31mred () -> ()\\x1b\[2J$' \
  -- env PLUGSUP_WORKER="$fake-names" "$plugsup" validate "$fix/outcomes.wasm"
expect_grep names_escaped_json 0 '"name":"x\\\\u{202e}y"' \
  -- env PLUGSUP_WORKER="$fake-names" "$plugsup" validate --json "$fix/outcomes.wasm"
expect_grep huge_fuel_json 0 '"fuel_used":1.8446744073709552e19,' \
  -- env PLUGSUP_WORKER="$fake-hugefuel" "$plugsup" run --json "$fix/outcomes.wasm"
# 2e13 ms once wrapped the deadline into the past.
expect huge_timeout 0 "5" "" -- "$plugsup" run --timeout 20000000000000ms --invoke add "$fix/outcomes.wasm" 2 3
expect bare_timeout_is_seconds 161 "" "plugsup: timeout: wall-clock limit of 1000 ms reached" \
  -- "$plugsup" run --timeout 1 "$fix/spin_start.wasm"
expect memory_below_a_page 170 "" "plugsup run: bad --memory value '1': at least 64K, one wasm page
$usage_hint" -- "$plugsup" run --memory 1 "$fix/outcomes.wasm"
# A reader that leaves early does not kill plugsup with SIGPIPE: the run
# ends as it would have, with its own status.
head -c 300000 /dev/zero | tr '\0' x >"$tmp/big.txt"
expect closed_stdout 0 "0" "" -- sh -c "( '$plugsup' run --input '$tmp/big.txt' '$fix/echo_stdin.wasm'; echo \$? >'$tmp/rc' ) | head -c 10 >/dev/null; cat '$tmp/rc'"

# ---- host functions: grants by --allow, the response on stdout, --stats ----
if [ -f "$fix/hostfn_call.wasm" ]; then
  printf 'exec_command\n{"command":"echo","args":["hi"]}' >"$tmp/exec.txt"
  expect_grep exec_granted 0 '^{"stdout":"hi\\n","stderr":"","exit_code":0' \
    -- "$plugsup" run --allow exec:echo --input "$tmp/exec.txt" "$fix/hostfn_call.wasm"
  expect_grep exec_denied 0 '"error":{"message":"echo is not granted (exec:echo)","type":"capability","code":""}}' \
    -- "$plugsup" run --input "$tmp/exec.txt" "$fix/hostfn_call.wasm"
  expect_grep exec_stats 0 '^  commands     1$' \
    -- "$plugsup" run --stats --allow exec:echo --input "$tmp/exec.txt" "$fix/hostfn_call.wasm"
  expect_grep exec_audit 0 '"call":"exec_command","decision":"denied","command":"echo","args":\["hi"\],"missing":"exec:echo"' \
    -- "$plugsup" run --audit - --input "$tmp/exec.txt" "$fix/hostfn_call.wasm"
fi

expect_summary cli_test
