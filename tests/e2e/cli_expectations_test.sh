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

# ---- validate refuses what run cannot link, in run's words ----
unlinkable="plugsup: invalid module: unknown import env.launch_missiles"
expect run_refuses_an_unlinkable_module 166 "" "$unlinkable" -- "$plugsup" run "$fix/unlinkable.wasm"
expect validate_refuses_an_unlinkable_module 166 "" "$unlinkable" -- "$plugsup" validate "$fix/unlinkable.wasm"
expect_grep validate_json_is_not_valid_and_lists_the_imports 166 '"outcome":"invalid_module","message":"unknown import env.launch_missiles",.*"valid":false,.*"imports":\["env.launch_missiles func"\]' \
  -- "$plugsup" validate --json "$fix/unlinkable.wasm"
expect invoke_refuses_an_unlinkable_module 166 "" "$unlinkable" \
  -- "$plugsup" run --invoke _start "$fix/unlinkable.wasm"
expect_grep validate_still_accepts_wasi_imports 0 "^  wasi_snapshot_preview1.proc_exit func$" \
  -- "$plugsup" validate "$fix/outcomes.wasm"

expect_summary cli_expectations
