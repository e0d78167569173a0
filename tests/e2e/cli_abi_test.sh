#!/bin/sh
# cli_abi_test.sh BUILD_DIR: plugsup process, tool, observe, inspect and
# new: outputs, exit statuses and exact messages, through the built binary,
# the plugin manager and the real worker. The plugins are the examples and
# the abi_* fixtures of tests/e2e/fixtures (written the way each plugin
# system's own plugins are, and hostile ones); those built by clang are
# used when the build could make them.
set -u
build=$(cd "$1" && pwd)
plugsup=$build/bin/plugsup
fix=$build/tests/e2e/fixtures
ex=$build/examples
. "$(dirname "$0")/expect.sh"

# ---- usage errors: status 170 ----
expect process_needs_input 170 "" "plugsup process: missing --input FILE (or '-' for stdin)
Try 'plugsup process --help'." -- "$plugsup" process "$fix/abi_process_lying_len.wasm"
expect process_extra 170 "" "plugsup process: unexpected argument 'x'
Try 'plugsup process --help'." -- "$plugsup" process "$fix/abi_process_lying_len.wasm" x --input -
expect tool_no_sub 170 "" "plugsup tool: missing the subcommand (list or run)
Try 'plugsup tool --help'." -- "$plugsup" tool
expect tool_bad_sub 170 "" "plugsup tool: unknown subcommand 'go' (list or run)
Try 'plugsup tool --help'." -- "$plugsup" tool go x.wasm
expect tool_run_needs_tool 170 "" "plugsup tool run: missing the TOOL to run
Try 'plugsup tool run --help'." -- "$plugsup" tool run "$fix/abi_tool_unterminated.wasm"
expect tool_run_needs_input 170 "" "plugsup tool run: give the tool's input as --input TEXT or --input-file FILE
Try 'plugsup tool run --help'." -- "$plugsup" tool run "$fix/abi_tool_unterminated.wasm" run
expect tool_run_two_inputs 170 "" "plugsup tool run: give the tool's input as --input TEXT or --input-file FILE
Try 'plugsup tool run --help'." -- "$plugsup" tool run "$fix/abi_tool_unterminated.wasm" run --input x --input-file /dev/null
expect new_needs_name 170 "" "plugsup new: missing the new plugin's NAME
Try 'plugsup new --help'." -- "$plugsup" new --abi tool
expect tool_list_no_input 170 "" "plugsup tool list: 'tool list' takes no input
Try 'plugsup tool list --help'." -- "$plugsup" tool list "$fix/abi_tool_unterminated.wasm" --input x
expect observe_needs_config 170 "" "plugsup observe: missing --config JSON|FILE
Try 'plugsup observe --help'." -- "$plugsup" observe "$fix/abi_observe_fail.wasm"
expect inspect_run_option 170 "" "plugsup inspect: option '--allow' is only for 'plugsup run', 'plugsup policy', 'plugsup process', 'plugsup tool' and 'plugsup observe'
Try 'plugsup inspect --help'." -- "$plugsup" inspect --allow clock "$fix/abi_observe_fail.wasm"
expect new_needs_abi 170 "" "plugsup new: missing --abi (process, tool or observe)
Try 'plugsup new --help'." -- "$plugsup" new thing
expect new_bad_abi 170 "" "plugsup new: unknown ABI 'wasi' (process, tool or observe)
Try 'plugsup new --help'." -- "$plugsup" new thing --abi wasi
expect new_bad_name 170 "" "plugsup new: NAME 'a\"b' may hold only letters, digits, '_', '-' and '.'
Try 'plugsup new --help'." -- "$plugsup" new 'a"b' --abi tool
expect new_name_start 170 "" "plugsup new: NAME '-x' must start with a letter
Try 'plugsup new --help'." -- "$plugsup" new --abi tool -- -x
expect missing_file 169 "" "plugsup: cannot open '$tmp/none.wasm': No such file or directory" \
  -- "$plugsup" process "$tmp/none.wasm" --input /dev/null

# ---- plugins that break their ABI: status 171, the export named ----
expect process_lying_length 171 "" "plugsup: ABI error: process: output at 1024 of 2147483647 bytes runs past the end of memory (65536 bytes)" \
  -- "$plugsup" process "$fix/abi_process_lying_len.wasm" --input /dev/null
expect process_pointer_past_memory 171 "" "plugsup: ABI error: process: output at 131072 of 4 bytes runs past the end of memory (65536 bytes)" \
  -- "$plugsup" process "$fix/abi_process_bad_ptr.wasm" --input /dev/null
expect tool_unterminated 171 "" "plugsup: ABI error: plugin_tool_execute: string at 1024 has no terminator before the end of memory (131072 bytes)" \
  -- "$plugsup" tool run "$fix/abi_tool_unterminated.wasm" run --input x
expect_grep tool_unterminated_json 171 '"outcome":"abi_error","message":"plugin_tool_execute: string at 1024 has no terminator' \
  -- "$plugsup" tool run --json "$fix/abi_tool_unterminated.wasm" run --input x

# ---- plugins refused at validation: status 173, every finding said ----
expect process_forbidden_import 173 "" "plugsup: error: the worker could not inspect the module (invalid_module): unknown import env.log [module.invalid]
plugsup: error: the module does not satisfy the process ABI (the load options'): plugin has forbidden import: env::log [abi.mismatch]
plugsup: '$fix/abi_process_import_log.wasm' failed validation (2 errors)" \
  -- "$plugsup" process "$fix/abi_process_import_log.wasm" --input /dev/null
expect tool_empty_version 173 "" "plugsup: error: the tool ABI's metadata cannot be read: plugin_version: empty version: not compatible with ABI v1 [abi.metadata]
plugsup: '$fix/abi_tool_empty_version.wasm' failed validation (1 error)" \
  -- "$plugsup" tool list "$fix/abi_tool_empty_version.wasm"
expect tool_as_process 173 "" "plugsup: error: the module does not satisfy the process ABI (the load options'): missing export 'alloc'; missing export 'process' [abi.mismatch]
plugsup: '$fix/abi_tool_unterminated.wasm' failed validation (1 error)" \
  -- "$plugsup" process "$fix/abi_tool_unterminated.wasm" --input /dev/null

# ---- the plugin's own failure: status 172 ----
expect observe_failure 172 '{"status": false, "error": {"message": "boom"}}' "plugsup: plugin error: boom" \
  -- "$plugsup" observe "$fix/abi_observe_fail.wasm" --config '{}'
expect_grep observe_failure_json 172 '"outcome":"plugin_error","message":"boom"' \
  -- "$plugsup" observe --json "$fix/abi_observe_fail.wasm" --config '{}'
expect tool_no_such_tool 170 "" "plugsup: no tool named 'nope' in plugin 'unterminated'" \
  -- "$plugsup" tool run "$fix/abi_tool_unterminated.wasm" nope --input x

# ---- inspect ----
expect_grep tool_list_stats 0 '^  load time    [0-9.]* ms (validation in a worker included)$' \
  -- "$plugsup" tool list --stats "$fix/abi_tool_unterminated.wasm"
expect_grep inspect_forbidden_import 166 '^  process  no$' \
  -- "$plugsup" inspect "$fix/abi_process_import_log.wasm"
expect_grep inspect_forbidden_import_problem 166 '^           plugin has forbidden import: env::log$' \
  -- "$plugsup" inspect "$fix/abi_process_import_log.wasm"
expect_grep inspect_missing_exports 0 "^  process  no: missing 'alloc', 'process'$" \
  -- "$plugsup" inspect "$fix/abi_tool_unterminated.wasm"
expect_grep inspect_tool_metadata 0 '^  plugin_tool_name(0): run$' \
  -- "$plugsup" inspect "$fix/abi_tool_unterminated.wasm"
expect_grep inspect_empty_version 0 '^  tool     yes, but its metadata cannot be read: plugin_version: empty version: not compatible with ABI v1$' \
  -- "$plugsup" inspect "$fix/abi_tool_empty_version.wasm"
expect_grep inspect_json 166 '"abis":\[{"abi":"process","satisfied":false,"problems":\["plugin has forbidden import: env::log"\]' \
  -- "$plugsup" inspect --json "$fix/abi_process_import_log.wasm"

# ---- the happy paths, with the plugins clang builds ----
if [ -f "$ex/upper.wasm" ]; then
  expect process_upper 0 "HELLO, PLUGIN" "" \
    -- sh -c "printf 'hello, plugin' | '$plugsup' process '$ex/upper.wasm' --input -"
  printf '\201\241a\001' >"$tmp/in.msgpack"
  expect process_msgpack 0 "$(printf '\202\241a\001\247plugsup\303' | od -An -tx1)" "" \
    -- sh -c "'$plugsup' process '$fix/abi_msgpack.wasm' --input '$tmp/in.msgpack' | od -An -tx1"
  expect_grep process_json 0 '"plugin":"upper","output":"ABC"' \
    -- sh -c "printf abc | '$plugsup' process --json '$ex/upper.wasm' --input -"
  expect tool_list 0 "name         two-tools
version      1.2.3
description  Adds and greets
tools:
  add                  Adds two integers
  greet                Greets someone by name" "" -- "$plugsup" tool list "$fix/abi_tool_two.wasm"
  expect tool_run 0 "42" "" -- "$plugsup" tool run "$fix/abi_tool_two.wasm" add --input "2 40"
  printf 'Ada' >"$tmp/name.txt"
  expect tool_run_file 0 "Hello, Ada!" "" -- "$plugsup" tool run "$fix/abi_tool_two.wasm" greet --input-file "$tmp/name.txt"
  expect_grep tool_list_json 0 '"tools":\[{"description":"Adds two integers","name":"add"}' -- "$plugsup" tool list --json "$fix/abi_tool_two.wasm"
  expect observe_u32_defaults 0 '{"status":true,"data":{"config":{"greeting":"hi"}}}' "" \
    -- "$plugsup" observe "$fix/abi_observe_u32.wasm" --config '{}'
  printf '{"count": 0}' >"$tmp/cfg.json"
  expect observe_schema_minimum 170 "" "plugsup: config.count: 0 is below the minimum 1" \
    -- "$plugsup" observe "$fix/abi_observe_u64.wasm" --env HOME=/h --config "$tmp/cfg.json"
  expect observe_schema_required 170 "" "plugsup: config: missing required property 'count'" \
    -- "$plugsup" observe "$fix/abi_observe_u64.wasm" --env HOME=/h --config '{}'
  echo data >"$tmp/data.txt"
  expect_grep observe_granted 0 '"exists":true' \
    -- "$plugsup" observe "$ex/filecheck.wasm" --allow "fs:read:/**" --config "{\"path\": \"$tmp/data.txt\"}"
  expect_grep observe_refused_without_grant 172 'plugsup: plugin error: stat ' \
    -- "$plugsup" observe "$ex/filecheck.wasm" --config "{\"path\": \"$tmp/data.txt\"}"
  expect_grep inspect_observe 0 '^  observe  yes$' -- "$plugsup" inspect "$ex/filecheck.wasm"
  # A skeleton from 'plugsup new' builds with the line it prints and
  # passes inspect as it is.
  clang=$(command -v clang-14 || command -v clang || true)
  if [ -n "$clang" ]; then
    (cd "$tmp" && "$plugsup" new skel --abi tool >new.out)
    expect new_refuses_to_overwrite 170 "" "plugsup new: cannot create 'skel.c': File exists" \
      -- sh -c "cd '$tmp' && '$plugsup' new skel --abi process"
    build_line=$(sed -n 's/^build:  //p' "$tmp/new.out")
    expect_grep new_skeleton_builds_and_inspects 0 '^  tool     yes$' \
      -- sh -c "cd '$tmp' && $build_line && '$plugsup' inspect skel.wasm"
  fi
fi

expect_summary cli_abi_test
