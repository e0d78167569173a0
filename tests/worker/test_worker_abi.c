/*
** test_worker_abi.c: byte calls (worker/abi.h) through the real worker:
** INSPECT's AbiMatch list, metadata and manifest, and ABI runs of each
** ABI, honest plugins and hostile ones, each ending and message exact.
*/
#define _GNU_SOURCE
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "run_harness.h"

/* ---- helpers ---- */

static const Plugsup__AbiData *data_of(const worker_outcome *o, size_t i) {
  cr_assert_lt(i, o->n_abi_data, "AbiData %zu of %zu", i, o->n_abi_data);
  return o->abi_data[i]->abi_data;
}

/* The i-th AbiData is one whole answer of call (index) with these bytes. */
static void assert_data(const worker_outcome *o, size_t i, const char *call,
                        uint32_t index, const char *bytes) {
  const Plugsup__AbiData *d = data_of(o, i);
  cr_assert_str_eq(d->call, call);
  cr_assert_eq(d->index, index, "%s index", call);
  cr_assert(bytes_are(d->data, bytes), "%s answered '%.*s'", call,
            (int)d->data.len, (const char *)d->data.data);
  cr_assert_not(d->more);
}

static void assert_result(const worker_outcome *o, Plugsup__Outcome outcome,
                          const char *message) {
  const Plugsup__Result *r = result_of(o);
  cr_assert_eq(r->outcome, outcome, "outcome %d: %s", (int)r->outcome,
               r->message);
  cr_assert_str_eq(r->message, message);
}

/* One ABI run of a fixture: the step, the input (may be NULL), the tool. */
static void abi_run(worker_outcome *o, const char *wasm, Plugsup__Abi abi,
                    Plugsup__Run__AbiStep step, const char *input,
                    const char *tool, uint64_t output_bytes) {
  request rq = {.wasm = wasm, .mode = ABI, .abi = abi, .step = step,
                .input = input, .tool = tool, .output_bytes = output_bytes};
  run(&rq, o);
}

/* ---- requests ---- */

Test(abi, run_without_an_abi_is_bad_request) {
  worker_outcome o;
  abi_run(&o, "abi_process.wasm", PLUGSUP__ABI__ABI_NONE, CALL, "x", NULL, 0);
  assert_result(&o, OUTCOME(BAD_REQUEST), "Run names no valid ABI");
  worker_outcome_free(&o);
}

Test(abi, run_without_a_step_is_bad_request) {
  worker_outcome o;
  abi_run(&o, "abi_process.wasm", PROCESS,
          PLUGSUP__RUN__ABI_STEP__STEP_UNSPECIFIED, "x", NULL, 0);
  assert_result(&o, OUTCOME(BAD_REQUEST), "Run names no valid ABI step");
  worker_outcome_free(&o);
}

/* ---- process ---- */

Test(abi, process_call_answers_the_plugins_output_bytes) {
  worker_outcome o;
  abi_run(&o, "abi_process.wasm", PROCESS, CALL, "hello, World", NULL, 0);
  assert_result(&o, OUTCOME(OK), "");
  cr_assert_eq(o.n_abi_data, 1);
  assert_data(&o, 0, "process", 0, "HELLO, WORLD");
  worker_outcome_free(&o);
}

Test(abi, process_empty_output_is_one_empty_abi_data) {
  worker_outcome o;
  abi_run(&o, "abi_process.wasm", PROCESS, CALL, "", NULL, 0);
  assert_result(&o, OUTCOME(OK), "");
  cr_assert_eq(o.n_abi_data, 1);
  assert_data(&o, 0, "process", 0, "");
  worker_outcome_free(&o);
}

Test(abi, process_metadata_calls_nothing_and_sends_nothing) {
  worker_outcome o;
  abi_run(&o, "abi_process.wasm", PROCESS, METADATA, NULL, NULL, 0);
  assert_result(&o, OUTCOME(OK), "");
  cr_assert_eq(o.n_abi_data, 0);
  worker_outcome_free(&o);
}

Test(abi, output_larger_than_a_piece_comes_in_pieces_marked_more) {
  worker_outcome o;
  size_t n = FRAME_ABI_PIECE + 1000;
  char *in = malloc(n + 1);
  const Plugsup__AbiData *a, *b;
  memset(in, 'a', n);
  in[n] = '\0';
  abi_run(&o, "abi_process.wasm", PROCESS, CALL, in, NULL, 0);
  assert_result(&o, OUTCOME(OK), "");
  cr_assert_eq(o.n_abi_data, 2);
  a = data_of(&o, 0);
  b = data_of(&o, 1);
  cr_assert_str_eq(a->call, "process");
  cr_assert_str_eq(b->call, "process");
  cr_assert_eq(a->data.len, FRAME_ABI_PIECE);
  cr_assert(a->more);
  cr_assert_eq(b->data.len, 1000);
  cr_assert_not(b->more);
  cr_assert_eq(a->data.data[0], 'A');
  cr_assert_eq(b->data.data[999], 'A');
  free(in);
  worker_outcome_free(&o);
}

Test(abi, process_length_past_the_end_of_memory_is_abi_error) {
  worker_outcome o;
  abi_run(&o, "abi_process_liar.wasm", PROCESS, CALL, "runs-past", NULL, 0);
  assert_result(&o, OUTCOME(ABI_ERROR),
                "process: output at 65530 of 100 bytes runs past the end of "
                "memory (65536 bytes)");
  cr_assert_eq(o.n_abi_data, 0);
  worker_outcome_free(&o);
}

Test(abi, process_pointer_past_memory_is_abi_error) {
  worker_outcome o;
  abi_run(&o, "abi_process_liar.wasm", PROCESS, CALL, "far", NULL, 0);
  assert_result(&o, OUTCOME(ABI_ERROR),
                "process: output at 70000 of 0 bytes runs past the end of "
                "memory (65536 bytes)");
  worker_outcome_free(&o);
}

Test(abi, allocator_answering_garbage_is_abi_error) {
  worker_outcome o;
  abi_run(&o, "abi_process_liar.wasm", PROCESS, CALL, "garbage", NULL, 0);
  assert_result(&o, OUTCOME(ABI_ERROR),
                "alloc: buffer at 4294967280 of 7 bytes runs past the end of "
                "memory (65536 bytes)");
  worker_outcome_free(&o);
}

Test(abi, trap_inside_an_export_stays_a_trap) {
  worker_outcome o;
  const Plugsup__Result *r;
  abi_run(&o, "abi_process_liar.wasm", PROCESS, CALL, "trap", NULL, 0);
  r = result_of(&o);
  cr_assert_eq(r->outcome, OUTCOME(TRAP), "%s", r->message);
  cr_assert_str_eq(r->trap_kind, "unreachable");
  worker_outcome_free(&o);
}

Test(abi, output_over_the_limit_is_abi_error_and_not_sent) {
  worker_outcome o;
  abi_run(&o, "abi_process.wasm", PROCESS, CALL, "twenty bytes of text", NULL,
          10);
  assert_result(&o, OUTCOME(ABI_ERROR),
                "process: output of 20 bytes is over the output limit (10 "
                "bytes)");
  cr_assert_eq(o.n_abi_data, 0);
  worker_outcome_free(&o);
}

Test(abi, call_of_a_module_missing_an_export_names_the_first_problem) {
  worker_outcome o;
  abi_run(&o, "abi_process_partial.wasm", PROCESS, CALL, "x", NULL, 0);
  assert_result(&o, OUTCOME(ABI_ERROR),
                "the module does not satisfy the process ABI: missing export "
                "'alloc'");
  worker_outcome_free(&o);
}

Test(abi, call_of_a_module_with_wrong_kinds_names_the_first_problem) {
  worker_outcome o;
  abi_run(&o, "abi_process_bad.wasm", PROCESS, CALL, "x", NULL, 0);
  assert_result(&o, OUTCOME(ABI_ERROR),
                "the module does not satisfy the process ABI: export 'memory' "
                "is a global, expected a memory");
  worker_outcome_free(&o);
}

Test(abi, call_of_a_module_with_another_abi_is_abi_error) {
  worker_outcome o;
  abi_run(&o, "abi_tool.wasm", OBSERVE, CALL, "{}", NULL, 0);
  assert_result(&o, OUTCOME(ABI_ERROR),
                "the module does not satisfy the observe ABI: missing export "
                "'allocate'");
  worker_outcome_free(&o);
}

/* ---- tool ---- */

Test(abi, tool_metadata_sends_the_plugin_then_each_tool) {
  worker_outcome o;
  abi_run(&o, "abi_tool.wasm", TOOL, METADATA, NULL, NULL, 0);
  assert_result(&o, OUTCOME(OK), "");
  cr_assert_eq(o.n_abi_data, 7);
  assert_data(&o, 0, "plugin_name", 0, "demo");
  assert_data(&o, 1, "plugin_version", 0, "1.0.0");
  assert_data(&o, 2, "plugin_description", 0, "A demo toolset");
  assert_data(&o, 3, "plugin_tool_name", 0, "echo");
  assert_data(&o, 4, "plugin_tool_description", 0, "Says it back");
  assert_data(&o, 5, "plugin_tool_name", 1, "shout");
  assert_data(&o, 6, "plugin_tool_description", 1, "Says HEY");
  worker_outcome_free(&o);
}

/* "echo" answers the pointer it was given: the input is there, whole
** and terminated, in pages the host grew. */
Test(abi, tool_call_passes_the_input_in_grown_memory) {
  worker_outcome o;
  abi_run(&o, "abi_tool.wasm", TOOL, CALL, "ping pong", "echo", 0);
  assert_result(&o, OUTCOME(OK), "");
  cr_assert_eq(o.n_abi_data, 1);
  assert_data(&o, 0, "plugin_tool_execute", 0, "ping pong");
  worker_outcome_free(&o);
}

Test(abi, tool_call_runs_the_tool_named) {
  worker_outcome o;
  abi_run(&o, "abi_tool.wasm", TOOL, CALL, "ping", "shout", 0);
  assert_result(&o, OUTCOME(OK), "");
  cr_assert_eq(o.n_abi_data, 1);
  assert_data(&o, 0, "plugin_tool_execute", 0, "HEY");
  worker_outcome_free(&o);
}

Test(abi, tool_call_of_an_unknown_tool_is_bad_request_with_the_name_escaped) {
  worker_outcome o;
  abi_run(&o, "abi_tool.wasm", TOOL, CALL, "ping", "no\001such", 0);
  assert_result(&o, OUTCOME(BAD_REQUEST), "no tool named 'no\\x01such'");
  cr_assert_eq(o.n_abi_data, 0);
  worker_outcome_free(&o);
}

Test(abi, tool_input_that_memory_cannot_hold_is_out_of_memory) {
  worker_outcome o;
  request rq = {.wasm = "abi_tool.wasm", .mode = ABI, .abi = TOOL,
                .step = CALL, .input = "ping", .tool = "echo",
                .memory_bytes = 131072};
  run(&rq, &o);
  assert_result(&o, OUTCOME(OUT_OF_MEMORY),
                "plugin_tool_execute: no room for an input of 4 bytes: memory "
                "cannot grow by 64 KiB");
  worker_outcome_free(&o);
}

Test(abi, empty_tool_version_is_abi_error) {
  worker_outcome o;
  abi_run(&o, "abi_tool_noversion.wasm", TOOL, METADATA, NULL, NULL, 0);
  assert_result(&o, OUTCOME(ABI_ERROR),
                "plugin_version: empty version: not compatible with ABI v1");
  cr_assert_eq(o.n_abi_data, 1, "the name went out before the version");
  assert_data(&o, 0, "plugin_name", 0, "demo");
  worker_outcome_free(&o);
}

Test(abi, more_tools_than_the_limit_is_abi_error) {
  worker_outcome o;
  abi_run(&o, "abi_tool_many.wasm", TOOL, METADATA, NULL, NULL, 0);
  assert_result(&o, OUTCOME(ABI_ERROR),
                "plugin_tools_count: returned 5000, expected 0 to 1024");
  worker_outcome_free(&o);
  abi_run(&o, "abi_tool_many.wasm", TOOL, CALL, "x", "echo", 0);
  assert_result(&o, OUTCOME(ABI_ERROR),
                "plugin_tools_count: returned 5000, expected 0 to 1024");
  worker_outcome_free(&o);
}

Test(abi, negative_tool_count_is_abi_error) {
  worker_outcome o;
  abi_run(&o, "abi_tool_negative.wasm", TOOL, METADATA, NULL, NULL, 0);
  assert_result(&o, OUTCOME(ABI_ERROR),
                "plugin_tools_count: returned -1, expected 0 to 1024");
  worker_outcome_free(&o);
}

Test(abi, string_pointer_outside_memory_is_abi_error) {
  worker_outcome o;
  abi_run(&o, "abi_tool_badname.wasm", TOOL, METADATA, NULL, NULL, 0);
  assert_result(&o, OUTCOME(ABI_ERROR),
                "plugin_name: string at 70000 is outside memory (65536 bytes)");
  cr_assert_eq(o.n_abi_data, 0);
  worker_outcome_free(&o);
}

/* One page grown for the input: memory is 131072 bytes by then. */
Test(abi, string_without_terminator_is_abi_error) {
  worker_outcome o;
  abi_run(&o, "abi_tool_liar.wasm", TOOL, CALL, "x", "endless", 0);
  assert_result(&o, OUTCOME(ABI_ERROR),
                "plugin_tool_execute: string at 1024 has no terminator before "
                "the end of memory (131072 bytes)");
  worker_outcome_free(&o);
}

Test(abi, tool_output_pointer_outside_grown_memory_is_abi_error) {
  worker_outcome o;
  abi_run(&o, "abi_tool_liar.wasm", TOOL, CALL, "x", "far", 0);
  assert_result(&o, OUTCOME(ABI_ERROR),
                "plugin_tool_execute: string at 200000 is outside memory "
                "(131072 bytes)");
  worker_outcome_free(&o);
}

/* The limit is on all the AbiData of the run: "demo" and "1.0.0" fit in
** 10 bytes, the description does not. */
Test(abi, output_limit_counts_every_answer_of_the_run) {
  worker_outcome o;
  abi_run(&o, "abi_tool.wasm", TOOL, METADATA, NULL, NULL, 10);
  assert_result(&o, OUTCOME(ABI_ERROR),
                "plugin_description: output of 14 bytes is over the output "
                "limit (10 bytes, 9 already sent)");
  cr_assert_eq(o.n_abi_data, 2);
  worker_outcome_free(&o);
}

/* ---- observe ---- */

#define OBSERVE_CONFIG "{\"path\":\"/etc\"}"
#define OBSERVE_ANSWER "{\"status\":true,\"config\":" OBSERVE_CONFIG "}"

/* describe traps unless _initialize ran first. */
Test(abi, observe_metadata_in_the_u32_convention_after_initialize) {
  worker_outcome o;
  abi_run(&o, "abi_observe32.wasm", OBSERVE, METADATA, NULL, NULL, 0);
  assert_result(&o, OUTCOME(OK), "");
  cr_assert_eq(o.n_abi_data, 2);
  assert_data(&o, 0, "describe", 0, "{\"name\":\"file\",\"version\":\"1.0.0\"}");
  assert_data(&o, 1, "schema", 0, "{\"type\":\"object\"}");
  worker_outcome_free(&o);
}

/* deallocate traps unless it is given the config buffer exactly. */
Test(abi, observe_call_in_the_u32_convention_frees_the_config) {
  worker_outcome o;
  abi_run(&o, "abi_observe32.wasm", OBSERVE, CALL, OBSERVE_CONFIG, NULL, 0);
  assert_result(&o, OUTCOME(OK), "");
  cr_assert_eq(o.n_abi_data, 1);
  assert_data(&o, 0, "observe", 0, OBSERVE_ANSWER);
  cr_assert_eq(o.out_len, 10, "its WASI fd_write reached stdout");
  cr_assert_eq(memcmp(o.out, "observing\n", 10), 0);
  worker_outcome_free(&o);
}

/* schema traps unless describe's packed answer was freed first. */
Test(abi, observe_metadata_in_the_u64_convention_frees_each_answer) {
  worker_outcome o;
  abi_run(&o, "abi_observe64.wasm", OBSERVE, METADATA, NULL, NULL, 0);
  assert_result(&o, OUTCOME(OK), "");
  cr_assert_eq(o.n_abi_data, 2);
  assert_data(&o, 0, "describe", 0, "{\"name\":\"file\",\"version\":\"1.0.0\"}");
  assert_data(&o, 1, "schema", 0, "{\"type\":\"object\"}");
  worker_outcome_free(&o);
}

Test(abi, observe_call_in_the_u64_convention) {
  worker_outcome o;
  abi_run(&o, "abi_observe64.wasm", OBSERVE, CALL, OBSERVE_CONFIG, NULL, 0);
  assert_result(&o, OUTCOME(OK), "");
  cr_assert_eq(o.n_abi_data, 1);
  assert_data(&o, 0, "observe", 0, OBSERVE_ANSWER);
  worker_outcome_free(&o);
}

Test(abi, observe_output_over_the_limit_is_abi_error) {
  worker_outcome o;
  abi_run(&o, "abi_observe64.wasm", OBSERVE, CALL, OBSERVE_CONFIG, NULL, 20);
  assert_result(&o, OUTCOME(ABI_ERROR),
                "observe: output of 40 bytes is over the output limit (20 "
                "bytes)");
  cr_assert_eq(o.n_abi_data, 0);
  worker_outcome_free(&o);
}

#ifdef WORKER_WASI_C_PROGRAM
/* The supervisor's broker, with no file open: every host call is EBADF
** (wasi-libc asks about stdout before its first printf). */
static void no_files(void *ud, const Plugsup__HostCall *call,
                     Plugsup__HostReply *reply) {
  (void)ud, (void)call;
  reply->error = 8;
}

/* c/abi_observe.c, built by clang as a WASI reactor: wasi-libc's
** _initialize, malloc and printf, and the u64 convention. */
Test(abi, observe_plugin_built_by_clang_answers_metadata_and_calls) {
  worker_outcome o;
  request meta = {.wasm = "abi_observe_c.wasm", .mode = ABI, .abi = OBSERVE,
                  .step = METADATA, .broker = no_files};
  request call = {.wasm = "abi_observe_c.wasm", .mode = ABI, .abi = OBSERVE,
                  .step = CALL, .input = OBSERVE_CONFIG, .broker = no_files};
  run(&meta, &o);
  assert_result(&o, OUTCOME(OK), "");
  cr_assert_eq(o.n_abi_data, 2);
  assert_data(&o, 0, "describe", 0, "{\"name\":\"c-observe\"}");
  assert_data(&o, 1, "schema", 0, "{}");
  worker_outcome_free(&o);
  run(&call, &o);
  assert_result(&o, OUTCOME(OK), "");
  cr_assert_eq(o.n_abi_data, 1);
  assert_data(&o, 0, "observe", 0,
              "{\"status\":true,\"bytes\":15,\"first\":\"{\"}");
  cr_assert_eq(o.out_len, 9);
  cr_assert_eq(memcmp(o.out, "observed\n", 9), 0);
  worker_outcome_free(&o);
}
#endif

/* ---- INSPECT ---- */

static void inspect(worker_outcome *o, const char *wasm) {
  request rq = {.wasm = wasm, .mode = INSPECT};
  run(&rq, o);
}

static const Plugsup__AbiMatch *match_of(const worker_outcome *o, size_t i) {
  const Plugsup__Result *r = result_of(o);
  cr_assert_eq(r->n_abis, 3, "one AbiMatch per ABI");
  cr_assert_eq(r->abis[i]->abi, (Plugsup__Abi)(i + 1), "in Abi order");
  return r->abis[i];
}

Test(abi, inspect_lists_every_abi_with_its_problems) {
  worker_outcome o;
  const Plugsup__AbiMatch *m;
  inspect(&o, "abi_process.wasm");
  assert_result(&o, OUTCOME(OK), "");
  m = match_of(&o, 0);
  cr_assert_eq(m->n_problems, 0);
  cr_assert_str_eq(m->error, "");
  m = match_of(&o, 1);
  cr_assert_eq(m->n_problems, 7);
  cr_assert_str_eq(m->problems[0], "missing export 'plugin_name'");
  cr_assert_str_eq(m->problems[6], "missing export 'plugin_tool_execute'");
  m = match_of(&o, 2);
  cr_assert_eq(m->n_problems, 5);
  cr_assert_str_eq(m->problems[0], "missing export 'allocate'");
  cr_assert_eq(o.n_abi_data, 0, "process has no metadata");
  cr_assert(o.n_exports > 0, "and the VALIDATE report came too");
  worker_outcome_free(&o);
}

Test(abi, inspect_names_wrong_kinds_types_and_forbidden_imports) {
  worker_outcome o;
  const Plugsup__AbiMatch *m;
  inspect(&o, "abi_process_bad.wasm");
  assert_result(&o, OUTCOME(INVALID_MODULE), "unknown import env.log");
  m = match_of(&o, 0);
  cr_assert_eq(m->n_problems, 4);
  cr_assert_str_eq(m->problems[0],
                   "export 'memory' is a global, expected a memory");
  cr_assert_str_eq(m->problems[1],
                   "export 'alloc' has type (i64) -> (i32), expected (i32) -> "
                   "(i32)");
  cr_assert_str_eq(m->problems[2],
                   "export 'process' has type (i32 i32) -> (i32), expected "
                   "(i32 i32) -> (i64)");
  cr_assert_str_eq(m->problems[3], "plugin has forbidden import: env::log");
  worker_outcome_free(&o);
}

Test(abi, inspect_names_a_missing_memory_and_exports_of_the_wrong_kind) {
  worker_outcome o;
  const Plugsup__AbiMatch *m;
  inspect(&o, "abi_observe_bad.wasm");
  assert_result(&o, OUTCOME(OK), "");
  m = match_of(&o, 2);
  cr_assert_eq(m->n_problems, 6);
  cr_assert_str_eq(m->problems[0], "missing export 'memory'");
  cr_assert_str_eq(m->problems[1],
                   "export 'allocate' is a global, expected a function");
  cr_assert_str_eq(m->problems[2],
                   "export 'deallocate' is a table, expected a function");
  cr_assert_str_eq(m->problems[3],
                   "export 'describe' has type (i32) -> (i32), expected () -> "
                   "(i32) or () -> (i64)");
  cr_assert_str_eq(m->problems[4],
                   "export 'schema' has type () -> (f64), expected () -> (i32) "
                   "or () -> (i64)");
  cr_assert_str_eq(m->problems[5], "missing export 'observe'");
  worker_outcome_free(&o);
}

Test(abi, exit_inside_an_export_is_an_exit_and_the_matchs_error_in_inspect) {
  worker_outcome o;
  const Plugsup__Result *r;
  inspect(&o, "abi_observe_exit.wasm");
  assert_result(&o, OUTCOME(OK), "");
  cr_assert_str_eq(match_of(&o, 2)->error, "describe: exited with code 3");
  worker_outcome_free(&o);
  abi_run(&o, "abi_observe_exit.wasm", OBSERVE, METADATA, NULL, NULL, 0);
  r = result_of(&o);
  cr_assert_eq(r->outcome, OUTCOME(EXIT), "%s", r->message);
  cr_assert_eq(r->exit_code, 3);
  worker_outcome_free(&o);
}

Test(abi, inspect_lists_at_most_sixteen_problems_then_counts_the_rest) {
  worker_outcome o;
  const Plugsup__AbiMatch *m;
  inspect(&o, "abi_many_imports.wasm");
  m = match_of(&o, 0);
  cr_assert_eq(m->n_problems, 17);
  cr_assert_str_eq(m->problems[0], "plugin has forbidden import: env::f0");
  cr_assert_str_eq(m->problems[15], "plugin has forbidden import: env::f15");
  cr_assert_str_eq(m->problems[16], "... and 4 more problems");
  worker_outcome_free(&o);
}

Test(abi, inspect_sends_the_metadata_of_each_satisfied_abi) {
  worker_outcome o;
  const Plugsup__AbiMatch *m;
  inspect(&o, "abi_observe32.wasm");
  assert_result(&o, OUTCOME(OK), "");
  m = match_of(&o, 0);
  cr_assert_str_eq(m->problems[0], "missing export 'alloc'");
  cr_assert_str_eq(m->problems[2],
                   "plugin has forbidden import: wasi_snapshot_preview1::fd_write");
  m = match_of(&o, 2);
  cr_assert_eq(m->n_problems, 0);
  cr_assert_str_eq(m->error, "");
  cr_assert_eq(o.n_abi_data, 2);
  assert_data(&o, 0, "describe", 0, "{\"name\":\"file\",\"version\":\"1.0.0\"}");
  assert_data(&o, 1, "schema", 0, "{\"type\":\"object\"}");
  worker_outcome_free(&o);
}

Test(abi, inspect_tool_metadata_from_a_fresh_instance) {
  worker_outcome o;
  inspect(&o, "abi_tool.wasm");
  assert_result(&o, OUTCOME(OK), "");
  cr_assert_eq(match_of(&o, 1)->n_problems, 0);
  cr_assert_eq(o.n_abi_data, 7);
  assert_data(&o, 6, "plugin_tool_description", 1, "Says HEY");
  worker_outcome_free(&o);
}

Test(abi, inspect_metadata_failure_is_the_matchs_error_not_the_outcome) {
  worker_outcome o;
  const Plugsup__AbiMatch *m;
  inspect(&o, "abi_tool_noversion.wasm");
  assert_result(&o, OUTCOME(OK), "");
  m = match_of(&o, 1);
  cr_assert_eq(m->n_problems, 0);
  cr_assert_str_eq(m->error,
                   "plugin_version: empty version: not compatible with ABI v1");
  worker_outcome_free(&o);
}

Test(abi, inspect_metadata_trap_is_the_matchs_error_naming_the_export) {
  worker_outcome o;
  inspect(&o, "abi_tool_many.wasm");
  assert_result(&o, OUTCOME(OK), "");
  cr_assert_str_eq(match_of(&o, 1)->error,
                   "plugin_tools_count: returned 5000, expected 0 to 1024");
  worker_outcome_free(&o);
}

/* Each metadata instance gets what the Run's fuel has left, no more. */
Test(abi, inspect_metadata_out_of_fuel_is_the_matchs_error) {
  worker_outcome o;
  request rq = {.wasm = "abi_tool.wasm", .mode = INSPECT, .fuel = 20};
  run(&rq, &o);
  assert_result(&o, OUTCOME(OK), "");
  cr_assert_str_eq(match_of(&o, 1)->error,
                   "plugin_tool_description: out of fuel");
  cr_assert_eq(result_of(&o)->fuel_used, 20);
  worker_outcome_free(&o);
}

Test(abi, inspect_reports_each_satisfied_abi_in_order) {
  worker_outcome o;
  inspect(&o, "abi_two.wasm");
  assert_result(&o, OUTCOME(OK), "");
  cr_assert_eq(match_of(&o, 1)->n_problems, 0);
  cr_assert_eq(match_of(&o, 2)->n_problems, 0);
  cr_assert_eq(o.n_abi_data, 9);
  assert_data(&o, 0, "plugin_name", 0, "demo");
  assert_data(&o, 7, "describe", 0, "{}");
  assert_data(&o, 8, "schema", 0, "{}");
  worker_outcome_free(&o);
}

/* The tool's metadata spends all 20 units: nothing is left for observe's. */
Test(abi, inspect_with_the_fuel_spent_before_an_abis_turn_says_out_of_fuel) {
  worker_outcome o;
  request rq = {.wasm = "abi_two.wasm", .mode = INSPECT, .fuel = 20};
  run(&rq, &o);
  assert_result(&o, OUTCOME(OK), "");
  cr_assert_str_eq(match_of(&o, 1)->error,
                   "plugin_tool_description: out of fuel");
  cr_assert_str_eq(match_of(&o, 2)->error, "out of fuel");
  cr_assert_eq(result_of(&o)->fuel_used, 20);
  worker_outcome_free(&o);
}

Test(abi, call_out_of_fuel_is_out_of_fuel) {
  worker_outcome o;
  request rq = {.wasm = "abi_process.wasm", .mode = ABI, .abi = PROCESS,
                .step = CALL, .input = "a long enough input", .fuel = 100};
  run(&rq, &o);
  assert_result(&o, OUTCOME(OUT_OF_FUEL), "out of fuel");
  worker_outcome_free(&o);
}

/* A custom section appended to a fixture: id 0, size, name, payload. */
static uint8_t *with_section(const char *wasm, const char *name,
                             const uint8_t *payload, size_t n, size_t *len) {
  size_t base, name_len = strlen(name), size = 1 + name_len + n;
  uint8_t *m = slurp(wasm, &base), *p;
  cr_assert_lt(name_len, 128);
  m = realloc(m, base + 6 + size);
  cr_assert_not_null(m);
  p = m + base;
  *p++ = 0;
  for (size_t v = size;; v >>= 7) {  /* LEB128 u32 */
    *p++ = (uint8_t)((v & 0x7f) | (v >= 0x80 ? 0x80 : 0));
    if (v < 0x80)
      break;
  }
  *p++ = (uint8_t)name_len;
  memcpy(p, name, name_len);
  memcpy(p + name_len, payload, n);
  *len = (size_t)(p + name_len + n - m);
  return m;
}

Test(abi, inspect_returns_the_manifest_section) {
  worker_outcome o;
  const char *json = "{\"grants\":[\"fs:read:/etc/**\"]}";
  size_t len;
  uint8_t *m = with_section("abi_process.wasm", "plugsup.manifest",
                            (const uint8_t *)json, strlen(json), &len);
  request rq = {.mode = INSPECT, .module = m, .module_len = len};
  run(&rq, &o);
  assert_result(&o, OUTCOME(OK), "");
  cr_assert(bytes_are(result_of(&o)->manifest, json));
  worker_outcome_free(&o);
  free(m);
}

Test(abi, inspect_leaves_out_a_manifest_over_the_limit_and_says_so) {
  worker_outcome o;
  size_t len, n = FRAME_MANIFEST_MAX + 1;
  uint8_t *big = calloc(1, n);
  uint8_t *m = with_section("abi_process.wasm", "plugsup.manifest", big, n, &len);
  request rq = {.mode = INSPECT, .module = m, .module_len = len};
  run(&rq, &o);
  assert_result(&o, OUTCOME(OK),
                "the plugsup.manifest section of 262145 bytes is over 262144 "
                "bytes: left out");
  cr_assert_eq(result_of(&o)->manifest.len, 0);
  worker_outcome_free(&o);
  free(m);
  free(big);
}

Test(abi, inspect_without_a_manifest_section_returns_none) {
  worker_outcome o;
  size_t len;
  uint8_t *m = with_section("abi_process.wasm", "plugsup.other",
                            (const uint8_t *)"x", 1, &len);
  request rq = {.mode = INSPECT, .module = m, .module_len = len};
  run(&rq, &o);
  assert_result(&o, OUTCOME(OK), "");
  cr_assert_eq(result_of(&o)->manifest.len, 0);
  worker_outcome_free(&o);
  free(m);
}
