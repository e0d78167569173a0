#!/bin/sh
# cli_expectations_test.sh BUILD_DIR: what users asked of the command in
# issue 9, with exact outputs: '--' ends the options and is never an
# option's value; output streams whole unless --max-output cuts it, and a
# cut is said; validate refuses a module that run cannot link.
set -u
build=$(cd "$1" && pwd)
plugsup=$build/bin/plugsup
fix=$build/tests/e2e/fixtures
hello=$build/examples/hello.wasm
writer=$fix/write_bytes.wasm
. "$(dirname "$0")/expect.sh"

run_hint='Try '\''plugsup run --help'\''.'
hello_out='Hello from a sandboxed plugin!'

# ---- '--' ends the options ----
expect end_of_options_then_plugin 0 "$hello_out
arg 1: one" "" -- "$plugsup" run -- "$hello" one
cp "$hello" "$tmp/--frob.wasm"
expect plugin_named_like_an_option_needs_no_dashes 170 "" "plugsup run: unknown option '--frob.wasm'
$run_hint" -- sh -c "cd '$tmp' && '$plugsup' run --frob.wasm"
expect plugin_named_like_an_option_after_dashes 0 "$hello_out
arg 1: a" "" -- sh -c "cd '$tmp' && '$plugsup' run -- --frob.wasm a"
expect dashes_are_not_a_timeout 170 "" "plugsup run: option '--timeout' needs a value ('--' ends the options)
$run_hint" -- "$plugsup" run --timeout -- "$hello"
expect dashes_are_not_an_export_name 170 "" "plugsup run: option '--invoke' needs a value ('--' ends the options)
$run_hint" -- "$plugsup" run --invoke -- "$fix/outcomes.wasm" 2 3
expect dashes_are_not_an_input_file 170 "" "plugsup run: option '--input' needs a value ('--' ends the options)
$run_hint" -- "$plugsup" run --input -- "$hello"
expect dashes_are_not_a_validate_value 170 "" "plugsup validate: option '--memory' needs a value ('--' ends the options)
Try 'plugsup validate --help'." -- "$plugsup" validate --memory -- "$fix/outcomes.wasm"
expect equals_dashes_is_a_value 170 "" "plugsup run: bad --timeout value '--': expected seconds, or a number with ms, s or m
$run_hint" -- "$plugsup" run --timeout=-- "$hello"
expect dashes_alone_leave_no_plugin 170 "" "plugsup run: missing the plugin file (PLUGIN.wasm)
$run_hint" -- "$plugsup" run --
expect dashes_after_the_plugin_are_its_own 0 "$hello_out
arg 1: --
arg 2: --json" "" -- "$plugsup" run "$hello" -- --json
expect invoke_after_dashes 0 "5" "" -- "$plugsup" run --invoke add -- "$fix/outcomes.wasm" 2 3

# ---- output: whole unless --max-output, and a cut is said ----
# 20 MB to stdout and 3 MB to stderr arrive whole, and the status is the
# plugin's (the byte counts come from wc, the status from the subshell).
expect stdout_20mb_arrives_whole 0 "20000000
0" "" -- sh -c "( '$plugsup' run '$writer' 20000000; echo \$? >'$tmp/rc' ) | wc -c; cat '$tmp/rc'"
expect stderr_3mb_arrives_whole 0 "3000000" "" \
  -- sh -c "'$plugsup' run '$writer' 0 3000000 2>&1 >/dev/null | wc -c"
x1k=$(head -c 1024 /dev/zero | tr '\0' x)
cut_stdout="plugsup: stdout was cut: the plugin's output reached the --max-output limit of 1024 bytes"
expect max_output_cuts_stdout_and_says_so 0 "$x1k" "$cut_stdout" \
  -- "$plugsup" run --max-output 1K "$writer" 5000
expect max_output_counts_both_streams 0 "$(head -c 600 /dev/zero | tr '\0' x)" "$(head -c 424 /dev/zero | tr '\0' y)plugsup: stderr was cut: the plugin's output reached the --max-output limit of 1024 bytes" \
  -- "$plugsup" run --max-output 1K "$writer" 600 600
expect output_under_the_limit_is_not_cut 0 "$x1k" "" \
  -- "$plugsup" run --max-output 1K "$writer" 1024
# 3 s: time to write 5000 bytes first, even under ASan on a busy machine.
expect cut_is_said_after_a_timeout 161 "$x1k" "$cut_stdout
plugsup: timeout: wall-clock limit of 3000 ms reached" \
  -- "$plugsup" run --max-output 1K --timeout 3 "$writer" 5000 0 spin
expect_grep json_has_the_cut_output 0 "\"stdout\":\"x\{1024\}\",\"stdout_truncated\":true,\"stderr\":\"\",\"stderr_truncated\":false," \
  -- "$plugsup" run --json --max-output 1K "$writer" 5000
expect_grep json_also_says_the_cut_on_stderr 0 "^$cut_stdout\$" \
  -- "$plugsup" run --json --max-output 1K "$writer" 5000
expect_grep json_keeps_1m_by_default 0 "^plugsup: stdout was cut: the plugin's output reached the --max-output limit of 1048576 bytes\$" \
  -- sh -c "'$plugsup' run --json '$writer' 2000000 >/dev/null"
expect_grep json_cut_after_a_timeout 161 '"outcome":"timeout",.*"stdout_truncated":true,' \
  -- "$plugsup" run --json --max-output 1K --timeout 3 "$writer" 5000 0 spin

# ---- validate refuses what run cannot link, in run's words ----
unlinkable="plugsup: invalid module: unknown import env.launch_missiles"
expect run_refuses_an_unlinkable_module 166 "" "$unlinkable" -- "$plugsup" run "$fix/unlinkable.wasm"
expect validate_refuses_an_unlinkable_module 166 "" "$unlinkable" -- "$plugsup" validate "$fix/unlinkable.wasm"
expect_grep validate_json_is_not_valid_and_lists_the_imports 166 '"outcome":"invalid_module","message":"unknown import env.launch_missiles",.*"valid":false,.*"imports":\["env.launch_missiles func"\]' \
  -- "$plugsup" validate --json "$fix/unlinkable.wasm"
expect invoke_refuses_an_unlinkable_module 166 "" "$unlinkable" \
  -- "$plugsup" run --invoke _start "$fix/unlinkable.wasm"
# ... and --json says what validate says of it, though no value needed
# the export's type.
expect_grep invoke_json_lists_an_unlinkable_modules_imports 166 '"valid":false,"exports":\[{"name":"_start","kind":"func","type":"() -> ()"}\],"imports":\["env.launch_missiles func"\]}$' \
  -- "$plugsup" run --json --invoke _start "$fix/unlinkable.wasm"
expect_grep validate_still_accepts_wasi_imports 0 "^  wasi_snapshot_preview1.proc_exit func$" \
  -- "$plugsup" validate "$fix/outcomes.wasm"

expect_summary cli_expectations
