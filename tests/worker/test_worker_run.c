/*
** test_worker_run.c: real modules through the real, sandboxed worker:
** every Run mode, every outcome, the WASI subset, the limits.
*/
#define _GNU_SOURCE
#include <criterion/criterion.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "hostcall.h"
#include "run_harness.h"

/* ---- VALIDATE ---- */

static const Plugsup__ExportInfo *find_export(const worker_outcome *o,
                                              const char *name) {
  for (size_t i = 0; i < o->n_exports; i++)
    if (bytes_are(worker_export(o, i)->name, name))
      return worker_export(o, i);
  cr_assert_fail("no export %s", name);
  return NULL;
}

Test(run, validate_lists_exports_with_types) {
  worker_outcome o;
  request rq = {.wasm = "exports.wasm", .mode = VALIDATE};
  const Plugsup__Result *r;

  run(&rq, &o);
  r = result_of(&o);
  cr_assert_eq(r->outcome, OUTCOME(OK), "%s", r->message);
  cr_assert_str_eq(find_export(&o, "add")->type, "(i32 i32) -> (i32)");
  cr_assert_str_eq(find_export(&o, "add")->kind, "func");
  cr_assert_str_eq(find_export(&o, "wide")->type, "(i64) -> (i64 i32)");
  cr_assert_str_eq(find_export(&o, "mem")->kind, "memory");
  cr_assert_str_eq(find_export(&o, "mem")->type, "min=1 max=2");
  cr_assert_str_eq(find_export(&o, "tab")->type, "funcref min=1 max=10");
  cr_assert_str_eq(find_export(&o, "g")->type, "mut i32");
  cr_assert_eq(r->n_exports, 0, "exports come in Report frames");
  cr_assert_eq(o.n_imports, 0);
  worker_outcome_free(&o);
}

/* The imports are listed even when one cannot link; the module is then
** refused in the words a START run uses (unknown_import_module_is_invalid_module). */
Test(run, validate_lists_imports_and_refuses_an_unlinkable_one) {
  worker_outcome o;
  request rq = {.wasm = "unknown_import.wasm", .mode = VALIDATE};
  const Plugsup__Result *r;

  run(&rq, &o);
  r = result_of(&o);
  cr_assert_eq(r->outcome, OUTCOME(INVALID_MODULE));
  cr_assert_str_eq(r->message, "unknown import env.launch_missiles");
  cr_assert_eq(o.n_imports, 1);
  cr_assert(bytes_are(worker_import(&o, 0)->module, "env"));
  cr_assert(bytes_are(worker_import(&o, 0)->name, "launch_missiles"));
  cr_assert_str_eq(worker_import(&o, 0)->kind, "func");
  worker_outcome_free(&o);
}

Test(run, malformed_module_is_invalid_module) {
  worker_outcome o;
  request rq = {.wasm = "not_wasm.bin", .mode = VALIDATE};
  const Plugsup__Result *r;

  run(&rq, &o);
  r = result_of(&o);
  cr_assert_eq(r->outcome, OUTCOME(INVALID_MODULE));
  cr_assert_str_neq(r->message, "");
  worker_outcome_free(&o);
}

/* ---- INVOKE ---- */

Test(run, invoke_returns_typed_values) {
  worker_outcome o;
  Plugsup__Value args[] = {val(I32, 40), val(I32, 2)};
  request rq = {.wasm = "exports.wasm", .mode = INVOKE, .export_name = "add",
                .args = args, .n_args = 2};
  const Plugsup__Result *r;

  run(&rq, &o);
  r = result_of(&o);
  cr_assert_eq(r->outcome, OUTCOME(OK), "%s", r->message);
  cr_assert_eq(r->n_values, 1);
  cr_assert_eq(r->values[0]->type, I32);
  cr_assert_eq(r->values[0]->bits, 42);
  cr_assert_gt(r->fuel_used, 0);
  worker_outcome_free(&o);
}

Test(run, invoke_keeps_float_bits_and_multiple_results) {
  worker_outcome o;
  Plugsup__Value a = val(F64, 0x7ff8000000000123ull); /* a NaN with payload */
  request rq = {.wasm = "exports.wasm", .mode = INVOKE, .export_name = "neg",
                .args = &a, .n_args = 1};
  Plugsup__Value b = val(I64, 0x123456789abcdefull);
  request rq2 = {.wasm = "exports.wasm", .mode = INVOKE, .export_name = "wide",
                 .args = &b, .n_args = 1};
  const Plugsup__Result *r;

  run(&rq, &o);
  r = result_of(&o);
  cr_assert_eq(r->outcome, OUTCOME(OK));
  cr_assert_eq(r->values[0]->bits, 0xfff8000000000123ull);
  worker_outcome_free(&o);
  run(&rq2, &o);
  r = result_of(&o);
  cr_assert_eq(r->n_values, 2);
  cr_assert_eq(r->values[0]->bits, 0x123456789abcdefull);
  cr_assert_eq(r->values[1]->bits, 0xffffffffull);
  worker_outcome_free(&o);
}

static Plugsup__Value v128_val(uint8_t *bytes, size_t len) {
  Plugsup__Value v = val(PLUGSUP__VAL_TYPE__V128, 0);
  v.v128 = (ProtobufCBinaryData){len, bytes};
  return v;
}

Test(run, invoke_passes_v128_bytes_both_ways) {
  worker_outcome o;
  uint8_t in[16];
  for (int i = 0; i < 16; i++)
    in[i] = (uint8_t)i;
  Plugsup__Value a = v128_val(in, 16);
  request rq = {.wasm = "exports.wasm", .mode = INVOKE,
                .export_name = "swap64", .args = &a, .n_args = 1};
  static const uint8_t want[16] = {8, 9, 10, 11, 12, 13, 14, 15,
                                   0, 1, 2, 3, 4, 5, 6, 7};
  const Plugsup__Result *r;

  run(&rq, &o);
  r = result_of(&o);
  cr_assert_eq(r->outcome, OUTCOME(OK), "%s", r->message);
  cr_assert_eq(r->n_values, 1);
  cr_assert_eq(r->values[0]->type, PLUGSUP__VAL_TYPE__V128);
  cr_assert_eq(r->values[0]->bits, 0);
  cr_assert_eq(r->values[0]->v128.len, 16);
  cr_assert_arr_eq(r->values[0]->v128.data, want, 16);
  worker_outcome_free(&o);
}

Test(run, invoke_refuses_a_v128_argument_of_other_than_16_bytes) {
  worker_outcome o;
  uint8_t in[17] = {0};
  Plugsup__Value a = v128_val(in, 17);
  request rq = {.wasm = "exports.wasm", .mode = INVOKE,
                .export_name = "swap64", .args = &a, .n_args = 1};
  run(&rq, &o);
  cr_assert_eq(result_of(&o)->outcome, OUTCOME(BAD_REQUEST));
  cr_assert_str_eq(result_of(&o)->message,
                   "swap64: v128 argument is not 16 bytes");
  worker_outcome_free(&o);
}

Test(run, invoke_with_wrong_arguments_is_bad_request) {
  worker_outcome o;
  Plugsup__Value args[] = {val(I64, 1), val(I32, 2)};
  request rq = {.wasm = "exports.wasm", .mode = INVOKE, .export_name = "add",
                .args = args, .n_args = 2};
  request rq2 = {.wasm = "exports.wasm", .mode = INVOKE, .export_name = "add",
                 .args = args + 1, .n_args = 1};
  run(&rq, &o);
  cr_assert_eq(result_of(&o)->outcome, OUTCOME(BAD_REQUEST));
  worker_outcome_free(&o);
  run(&rq2, &o);
  cr_assert_eq(result_of(&o)->outcome, OUTCOME(BAD_REQUEST));
  worker_outcome_free(&o);
}

Test(run, invoke_of_a_missing_or_non_function_export_is_bad_request) {
  worker_outcome o;
  request rq = {.wasm = "exports.wasm", .mode = INVOKE, .export_name = "nope"};
  request rq2 = {.wasm = "exports.wasm", .mode = INVOKE, .export_name = "mem"};
  request rq3 = {.wasm = "exports.wasm", .mode = START};
  run(&rq, &o);
  cr_assert_eq(result_of(&o)->outcome, OUTCOME(BAD_REQUEST));
  cr_assert_str_eq(result_of(&o)->message, "the module has no export named 'nope'");
  worker_outcome_free(&o);
  run(&rq2, &o);
  cr_assert_eq(result_of(&o)->outcome, OUTCOME(BAD_REQUEST));
  worker_outcome_free(&o);
  run(&rq3, &o); /* START without _start */
  cr_assert_eq(result_of(&o)->outcome, OUTCOME(BAD_REQUEST));
  worker_outcome_free(&o);
}

Test(run, traps_name_their_kind) {
  worker_outcome o;
  Plugsup__Value zero = val(I32, 0);
  request rq = {.wasm = "exports.wasm", .mode = INVOKE, .export_name = "boom"};
  request rq2 = {.wasm = "exports.wasm", .mode = INVOKE, .export_name = "div0",
                 .args = &zero, .n_args = 1};
  run(&rq, &o);
  cr_assert_eq(result_of(&o)->outcome, OUTCOME(TRAP));
  cr_assert_str_eq(result_of(&o)->trap_kind, "unreachable");
  worker_outcome_free(&o);
  run(&rq2, &o);
  cr_assert_eq(result_of(&o)->outcome, OUTCOME(TRAP));
  cr_assert_str_eq(result_of(&o)->trap_kind, "integer divide by zero");
  worker_outcome_free(&o);
}

Test(run, endless_loop_runs_out_of_fuel) {
  worker_outcome o;
  request rq = {.wasm = "exports.wasm", .mode = INVOKE, .export_name = "spin",
                .fuel = 100000};
  run(&rq, &o);
  cr_assert_eq(result_of(&o)->outcome, OUTCOME(OUT_OF_FUEL));
  cr_assert_geq(result_of(&o)->fuel_used, 100000);
  worker_outcome_free(&o);
}

/* ---- the module on fd 6, as the supervisor sends a plugin's memfd ---- */

static void expect_add_on_fd(request *rq) {
  Plugsup__Value args[2] = {val(I32, 2), val(I32, 3)};
  worker_outcome o;
  rq->wasm = "exports.wasm";
  rq->mode = INVOKE;
  rq->export_name = "add";
  rq->args = args;
  rq->n_args = 2;
  run(rq, &o);
  cr_assert_eq(result_of(&o)->outcome, OUTCOME(OK), "%s",
               result_of(&o)->message);
  cr_assert_eq(result_of(&o)->values[0]->bits, 5);
  worker_outcome_free(&o);
}

Test(run, a_module_on_fd_6_runs_as_one_in_the_run) {
  request rq = {.module_on_fd = true};
  expect_add_on_fd(&rq);
}

/* INSPECT loads the module again for each ABI's metadata: from fd 6 too. */
Test(run, inspect_loads_the_module_on_fd_6_for_each_instance) {
  worker_outcome o;
  request rq = {.wasm = "abi_tool.wasm", .mode = INSPECT, .module_on_fd = true};
  run(&rq, &o);
  cr_assert_eq(result_of(&o)->outcome, OUTCOME(OK), "%s",
               result_of(&o)->message);
  cr_assert_eq(result_of(&o)->n_abis, 3);
  cr_assert_eq(result_of(&o)->abis[1]->n_problems, 0, "a tool plugin");
  cr_assert_str_eq(result_of(&o)->abis[1]->error, "");
  cr_assert_gt(o.n_abi_data, 0, "its metadata, from a second instance");
  worker_outcome_free(&o);
}

static void expect_bad_module_fd(request *rq, const char *message) {
  worker_outcome o;
  rq->wasm = "exports.wasm";
  rq->mode = INVOKE;
  rq->export_name = "add";
  run(rq, &o);
  cr_assert_eq(result_of(&o)->outcome, OUTCOME(BAD_REQUEST), "%s",
               result_of(&o)->message);
  cr_assert_str_eq(result_of(&o)->message, message);
  worker_outcome_free(&o);
}

Test(run, a_run_that_misstates_the_length_on_fd_6_is_a_bad_request) {
  request rq = {.module_on_fd = true, .module_fd_len = 7};
  size_t len;
  char want[128];
  free(slurp("exports.wasm", &len));
  snprintf(want, sizeof want,
           "the Run says the module on fd 6 is 7 bytes, but it is %zu", len);
  expect_bad_module_fd(&rq, want);
}

Test(run, a_run_that_names_fd_6_when_none_was_given_is_a_bad_request) {
  request rq = {.module = (const uint8_t *)"", .module_len = 0,
                .module_fd_len = 100};
  expect_bad_module_fd(&rq, "the Run says the module is on fd 6, but no "
                            "module was mapped from it");
}

/* The worker reads the module in place, so it maps only a memfd nobody
** can write any more. */
Test(run, a_module_on_fd_6_that_could_still_change_is_not_mapped) {
  request rq = {.module_on_fd = true, .module_fd_writable = true};
  expect_bad_module_fd(&rq, "the Run says the module is on fd 6, but no "
                            "module was mapped from it");
}

Test(run, a_run_with_the_module_and_fd_6_too_is_a_bad_request) {
  request rq = {.module_fd_len = 100};
  expect_bad_module_fd(&rq, "the Run carries the module and says it is on "
                            "fd 6 too");
}

/* No fuel limit: RLIMIT_CPU (--cpu) is what stops the loop, by SIGXCPU. */
Test(run, cpu_limit_ends_an_unfuelled_loop, .timeout = 20) {
  Plugsup__Envelope env = PLUGSUP__ENVELOPE__INIT;
  Plugsup__Run r = PLUGSUP__RUN__INIT;
  const char *wargs[] = {"--cpu", "1", NULL};
  worker_proc w;
  size_t len;
  uint8_t *module = slurp("exports.wasm", &len);

  r.mode = INVOKE;
  r.module.data = module;
  r.module.len = len;
  r.export_name = "spin";
  env.msg_case = PLUGSUP__ENVELOPE__MSG_RUN;
  env.run = &r;
  worker_spawn(&w, WORKER_BIN, wargs);
  frame_free(worker_expect(&w, PLUGSUP__ENVELOPE__MSG_HELLO));
  worker_send_envelope(&w, &env);
  worker_expect_eof(&w);
  cr_assert_eq(worker_wait(&w), WORKER_KILLED(SIGXCPU));
  free(module);
}

/* ---- memory ---- */

Test(run, memory_grow_stops_at_the_limit) {
  worker_outcome o;
  Plugsup__Value n = val(I32, 1000);
  request rq = {.wasm = "memory_churn.wasm", .mode = INVOKE, .export_name = "churn",
                .args = &n, .n_args = 1, .memory_bytes = 8u << 20};
  run(&rq, &o);
  cr_assert_eq(result_of(&o)->outcome, OUTCOME(OK), "%s", result_of(&o)->message);
  /* The limit is all the interpreter holds: its stacks, tables and code
  ** take less than a page of it here. */
  cr_assert_eq(result_of(&o)->values[0]->bits, 127, "8 MiB less a page");
  cr_assert_geq(result_of(&o)->peak_memory_bytes, 127u << 16);
  cr_assert_leq(result_of(&o)->peak_memory_bytes, 8u << 20);
  worker_outcome_free(&o);
}

/* Growing to 64 MiB page by page: malloc's mmap/mremap paths must all be
** inside the allow-list. */
Test(run, memory_churn_stays_inside_the_sandbox) {
  worker_outcome o;
  Plugsup__Value n = val(I32, 1024);
  request rq = {.wasm = "memory_churn.wasm", .mode = INVOKE, .export_name = "churn",
                .args = &n, .n_args = 1, .memory_bytes = 128u << 20};
  run(&rq, &o);
  cr_assert_eq(result_of(&o)->outcome, OUTCOME(OK), "%s", result_of(&o)->message);
  cr_assert_eq(result_of(&o)->values[0]->bits, 1024);
  worker_outcome_free(&o);
}

Test(run, a_module_bigger_than_the_limit_is_refused) {
  worker_outcome o;
  request rq = {.wasm = "big_memory.wasm", .mode = START, .memory_bytes = 1u << 20};
  run(&rq, &o);
  cr_assert_neq(result_of(&o)->outcome, OUTCOME(OK));
  cr_assert_str_neq(result_of(&o)->message, "");
  worker_outcome_free(&o);
}

Test(run, memory_limit_below_a_page_is_bad_request) {
  worker_outcome o;
  request rq = {.wasm = "exports.wasm", .mode = INVOKE, .export_name = "boom",
                .memory_bytes = 1000};
  run(&rq, &o);
  cr_assert_eq(result_of(&o)->outcome, OUTCOME(BAD_REQUEST));
  worker_outcome_free(&o);
}

/* --memory caps the interpreter even if the Run asks for more. */
Test(run, argv_memory_caps_the_run) {
  worker_outcome o;
  Plugsup__Value n = val(I32, 1000);
  const char *wargs[] = {"--memory", "4194304", NULL};
  request rq = {.wasm = "memory_churn.wasm", .mode = INVOKE, .export_name = "churn",
                .args = &n, .n_args = 1, .memory_bytes = 64u << 20,
                .worker_args = wargs};
  run(&rq, &o);
  cr_assert_eq(result_of(&o)->values[0]->bits, 63, "4 MiB less a page");
  worker_outcome_free(&o);
}

/* ---- WASI ---- */

Test(wasi, stdout_and_stderr_arrive_as_output_frames) {
  worker_outcome o;
  request rq = {.wasm = "wasi_io.wasm", .mode = START};
  run(&rq, &o);
  cr_assert_eq(result_of(&o)->outcome, OUTCOME(OK), "%s", result_of(&o)->message);
  cr_assert_str_eq(o.out, "hello\n");
  cr_assert_str_eq(o.err, "oops\n");
  cr_assert_not(result_of(&o)->output_truncated);
  worker_outcome_free(&o);
}

/* The supervisor's broker, with no file open: every host call is EBADF. */
static void no_files(void *ud, const Plugsup__HostCall *call,
                     Plugsup__HostReply *reply) {
  (void)ud, (void)call;
  reply->error = 8;
}

/* fd 7 is none of the worker's streams: the supervisor answers. */
Test(wasi, write_to_another_fd_is_forwarded_and_a_bad_iovec_traps) {
  worker_outcome o;
  request rq = {.wasm = "wasi_io.wasm", .mode = INVOKE, .export_name = "badfd",
                .broker = no_files};
  request rq2 = {.wasm = "wasi_io.wasm", .mode = INVOKE, .export_name = "badiov"};
  run(&rq, &o);
  cr_assert_eq(o.n_calls, 1);
  cr_assert_eq(worker_call(&o, 0)->op, HC_FD_WRITE);
  cr_assert_eq(worker_call(&o, 0)->args[0]->bits, 7);
  cr_assert(bytes_are(worker_call(&o, 0)->data, "hello\n"));
  cr_assert_eq(result_of(&o)->values[0]->bits, 8, "the supervisor's EBADF");
  worker_outcome_free(&o);
  run(&rq2, &o);
  cr_assert_eq(result_of(&o)->outcome, OUTCOME(TRAP), "as wasmtime, no EFAULT");
  cr_assert_eq(o.output_frames, 0);
  worker_outcome_free(&o);
}

Test(wasi, stdin_reads_the_input_then_end_of_file) {
  worker_outcome o;
  request rq = {.wasm = "wasi_io.wasm", .mode = INVOKE, .export_name = "echo",
                .input = "hello, sandboxed world"};
  run(&rq, &o);
  cr_assert_eq(result_of(&o)->outcome, OUTCOME(OK), "%s", result_of(&o)->message);
  cr_assert_eq(result_of(&o)->values[0]->bits, 22);
  cr_assert_str_eq(o.out, "hello, sandboxed world");
  cr_assert_eq(o.output_frames, 4, "reads of 7, 7, 7 and 1 bytes");
  worker_outcome_free(&o);
}

Test(wasi, stdin_without_input_is_at_end_of_file) {
  worker_outcome o;
  request rq = {.wasm = "wasi_io.wasm", .mode = INVOKE, .export_name = "echo"};
  run(&rq, &o);
  cr_assert_eq(result_of(&o)->values[0]->bits, 0);
  cr_assert_eq(o.output_frames, 0);
  worker_outcome_free(&o);
}

Test(wasi, stdin_read_into_a_bad_iovec_traps) {
  worker_outcome o;
  request rq = {.wasm = "wasi_io.wasm", .mode = INVOKE,
                .export_name = "read_badiov", .input = "abc"};
  run(&rq, &o);
  cr_assert_eq(result_of(&o)->outcome, OUTCOME(TRAP), "as wasmtime, no EFAULT");
  worker_outcome_free(&o);
}

Test(wasi, output_beyond_the_limit_is_cut_and_reported) {
  worker_outcome o;
  Plugsup__Value n = val(I32, 50);
  request rq = {.wasm = "wasi_io.wasm", .mode = INVOKE, .export_name = "flood",
                .args = &n, .n_args = 1, .output_bytes = 250};
  run(&rq, &o);
  cr_assert_eq(result_of(&o)->outcome, OUTCOME(OK));
  cr_assert_eq(o.out_len, 250);
  cr_assert(result_of(&o)->output_truncated);
  /* Said at once too, in an Output frame, for stdout only. */
  cr_assert_eq(o.truncated_fds, 1u << 1);
  worker_outcome_free(&o);
}

Test(wasi, proc_exit_is_exit_with_code) {
  worker_outcome o;
  request rq = {.wasm = "wasi_misc.wasm", .mode = START};
  run(&rq, &o);
  cr_assert_eq(result_of(&o)->outcome, OUTCOME(EXIT));
  cr_assert_eq(result_of(&o)->exit_code, 7);
  worker_outcome_free(&o);
}

Test(wasi, argv_reaches_the_plugin) {
  worker_outcome o;
  const char *argv[] = {"prog", "zebra", NULL};
  request rq = {.wasm = "wasi_misc.wasm", .mode = INVOKE, .export_name = "argsizes",
                .argv = argv};
  request rq2 = {.wasm = "wasi_misc.wasm", .mode = INVOKE, .export_name = "arg1",
                 .argv = argv};
  run(&rq, &o);
  cr_assert_eq(result_of(&o)->values[0]->bits, 2 * 1000 + 11);
  worker_outcome_free(&o);
  run(&rq2, &o);
  cr_assert_eq(result_of(&o)->values[0]->bits, 'z');
  worker_outcome_free(&o);
}

/* Realtime, monotonic, process and thread CPU time: each WASI clock and
** its resolution, past the filter's clock-id checks. (wasmtime has no
** CPU clocks: EBADF there; they are the worker's own time, so here they
** work.) */
static void expect_clocks_work(const char *export_name) {
  worker_outcome o;
  for (uint64_t id = 0; id < 4; id++) {
    Plugsup__Value a = val(I32, id);
    /* With the clock grant: the wall clock is read here too. */
    request rq = {.wasm = "wasi_misc.wasm", .mode = INVOKE,
                  .export_name = export_name, .args = &a, .n_args = 1,
                  .clock = true};
    run(&rq, &o);
    cr_assert_eq(result_of(&o)->values[0]->bits, 0, "%s %d errno", export_name,
                 (int)id);
    cr_assert_neq(result_of(&o)->values[1]->bits, 0, "%s %d value",
                  export_name, (int)id);
    worker_outcome_free(&o);
  }
}

Test(wasi, clocks_work_inside_the_sandbox) { expect_clocks_work("clock"); }
Test(wasi, clock_resolutions_work_inside_the_sandbox) {
  expect_clocks_work("clock_res");
}

static uint64_t random_with(const char *seed) {
  worker_outcome o;
  uint64_t v;
  request rq = {.wasm = "wasi_misc.wasm", .mode = INVOKE, .export_name = "random",
                .seed = seed};
  run(&rq, &o);
  v = result_of(&o)->values[0]->bits;
  worker_outcome_free(&o);
  return v;
}

Test(wasi, random_is_seeded_from_the_run) {
  cr_assert_eq(random_with("alpha"), random_with("alpha"));
  cr_assert_neq(random_with("alpha"), random_with("beta"));
}

/* ---- fuel for host calls ---- */

/* wasi_fuel.wasm's export 'name' with n, under 'fuel'. */
static void run_fuel(const char *name, uint32_t n, uint64_t fuel,
                     worker_outcome *o) {
  Plugsup__Value arg = val(I32, n);
  request rq = {.wasm = "wasi_fuel.wasm", .mode = INVOKE, .export_name = name,
                .args = &arg, .n_args = 1, .fuel = fuel};
  run(&rq, o);
}

Test(wasi_fuel, fd_write_with_8000_iovecs_pays_one_unit_each) {
  worker_outcome o;
  run_fuel("many_iovecs", 8000, 1000, &o);
  cr_assert_eq(result_of(&o)->outcome, OUTCOME(OUT_OF_FUEL), "%s",
               result_of(&o)->message);
  cr_assert_eq(result_of(&o)->fuel_used, 1000);
  worker_outcome_free(&o);
  run_fuel("many_iovecs", 8000, 100000, &o);
  cr_assert_eq(result_of(&o)->outcome, OUTCOME(OK), "%s",
               result_of(&o)->message);
  cr_assert_geq(result_of(&o)->fuel_used, 8000);
  cr_assert_lt(result_of(&o)->fuel_used, 8100);
  worker_outcome_free(&o);
}

/* The worker gathers them: one Output frame, not 8000. */
Test(wasi, many_small_iovecs_go_out_as_one_frame) {
  worker_outcome o;
  run_fuel("one_byte_iovecs", 8000, 0, &o);
  cr_assert_eq(result_of(&o)->outcome, OUTCOME(OK), "%s",
               result_of(&o)->message);
  cr_assert_eq(o.output_frames, 1);
  cr_assert_eq(o.out_len, 8000);
  cr_assert_eq(o.out[0], 'x');
  cr_assert_eq(o.out[7999], 'x');
  worker_outcome_free(&o);
}

Test(wasi_fuel, fd_write_pays_per_64_bytes_before_writing_any) {
  worker_outcome o;
  run_fuel("big_write", 64000, 900, &o);
  cr_assert_eq(result_of(&o)->outcome, OUTCOME(OUT_OF_FUEL), "%s",
               result_of(&o)->message);
  cr_assert_eq(o.out_len, 0, "%zu bytes were written", o.out_len);
  cr_assert_eq(o.output_frames, 0);
  worker_outcome_free(&o);
}

Test(wasi_fuel, random_get_pays_per_8_bytes) {
  worker_outcome o;
  run_fuel("random", 64000, 7000, &o);
  cr_assert_eq(result_of(&o)->outcome, OUTCOME(OUT_OF_FUEL), "%s",
               result_of(&o)->message);
  worker_outcome_free(&o);
  run_fuel("random", 64000, 9000, &o);
  cr_assert_eq(result_of(&o)->outcome, OUTCOME(OK), "%s",
               result_of(&o)->message);
  worker_outcome_free(&o);
}

/* No WASI function says ENOSYS any more: files are the supervisor's. */
Test(wasi, path_open_and_prestat_are_forwarded) {
  worker_outcome o;
  request rq = {.wasm = "wasi_misc.wasm", .mode = INVOKE, .export_name = "enosys",
                .broker = no_files};
  request rq2 = {.wasm = "wasi_misc.wasm", .mode = INVOKE, .export_name = "prestat",
                 .broker = no_files};
  run(&rq, &o);
  cr_assert_eq(worker_call(&o, 0)->op, HC_PATH_OPEN);
  cr_assert_eq(result_of(&o)->values[0]->bits, 8);
  worker_outcome_free(&o);
  run(&rq2, &o);
  cr_assert_eq(worker_call(&o, 0)->op, HC_FD_PRESTAT_GET);
  cr_assert_eq(result_of(&o)->values[0]->bits, 8, "EBADF ends the preopen scan");
  worker_outcome_free(&o);
}

Test(wasi, a_name_preview1_lacks_does_not_link) {
  worker_outcome o;
  request rq = {.wasm = "unknown_wasi.wasm", .mode = START};
  run(&rq, &o);
  cr_assert_eq(result_of(&o)->outcome, OUTCOME(INVALID_MODULE));
  cr_assert_str_eq(result_of(&o)->message,
                   "unknown import wasi_snapshot_preview1.sock_open");
  worker_outcome_free(&o);
}

Test(wasi, unknown_import_module_is_invalid_module) {
  worker_outcome o;
  request rq = {.wasm = "unknown_import.wasm", .mode = START};
  run(&rq, &o);
  cr_assert_eq(result_of(&o)->outcome, OUTCOME(INVALID_MODULE));
  cr_assert_str_eq(result_of(&o)->message, "unknown import env.launch_missiles");
  worker_outcome_free(&o);
}

Test(run, validate_refuses_a_wasi_import_of_the_wrong_type) {
  worker_outcome o;
  request rq = {.wasm = "wrong_wasi_type.wasm", .mode = VALIDATE};
  request rq2 = {.wasm = "wrong_wasi_type.wasm", .mode = START};
  char *said;
  run(&rq2, &o);
  said = strdup(result_of(&o)->message);
  worker_outcome_free(&o);
  run(&rq, &o);
  cr_assert_eq(result_of(&o)->outcome, OUTCOME(INVALID_MODULE));
  cr_assert_str_eq(result_of(&o)->message,
                   "wrong type for WASI import "
                   "wasi_snapshot_preview1.fd_write");
  cr_assert_str_eq(result_of(&o)->message, said, "the words a run uses");
  free(said);
  worker_outcome_free(&o);
}

/* Before an export of a reactor is invoked, its _initialize runs. */
Test(run, reactor_is_initialized_before_an_invoke) {
  worker_outcome o;
  request rq = {.wasm = "reactor.wasm", .mode = INVOKE, .export_name = "ready"};
  run(&rq, &o);
  cr_assert_eq(result_of(&o)->outcome, OUTCOME(OK), "%s",
               result_of(&o)->message);
  cr_assert_eq(result_of(&o)->values[0]->bits, 42);
  worker_outcome_free(&o);
}

/* Cut at 64 bytes before the two-byte character, never inside it; the
** NUL is written out, and what follows it kept. */
Test(wasi, guest_names_in_messages_are_cut_on_a_character) {
  worker_outcome o;
  request rq = {.wasm = "awkward_import.wasm", .mode = START};
  run(&rq, &o);
  cr_assert_eq(result_of(&o)->outcome, OUTCOME(INVALID_MODULE));
  cr_assert_str_eq(result_of(&o)->message,
                   "unknown import e\\x00v.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                   "aaaaaaaaaaaaaaaaaaaaaaaaaaaa");
  worker_outcome_free(&o);
}

Test(wasi, wasi_import_with_the_wrong_type_does_not_link) {
  worker_outcome o;
  request rq = {.wasm = "wrong_wasi_type.wasm", .mode = START};
  run(&rq, &o);
  cr_assert_eq(result_of(&o)->outcome, OUTCOME(INVALID_MODULE));
  cr_assert_str_eq(result_of(&o)->message,
                   "wrong type for WASI import wasi_snapshot_preview1.fd_write");
  worker_outcome_free(&o);
}

#ifdef WORKER_WASI_C_PROGRAM
/* An ordinary C program from clang --target=wasm32-wasi, unchanged. */
Test(wasi, a_c_program_runs_unchanged) {
  worker_outcome o;
  const char *argv[] = {"hello", "x", NULL};
  const char *argv3[] = {"hello", "x", "y", NULL};
  request rq = {.wasm = "hello_wasi.wasm", .mode = START, .argv = argv,
                .broker = no_files};
  request rq3 = {.wasm = "hello_wasi.wasm", .mode = START, .argv = argv3,
                 .broker = no_files};

  run(&rq, &o);
  cr_assert_eq(result_of(&o)->outcome, OUTCOME(OK), "%s", result_of(&o)->message);
  cr_assert_str_eq(o.out, "hello from hello with 2 args\n");
  cr_assert_str_eq(o.err, "to stderr\n");
  worker_outcome_free(&o);
  run(&rq3, &o);
  cr_assert_eq(result_of(&o)->outcome, OUTCOME(EXIT));
  cr_assert_eq(result_of(&o)->exit_code, 3);
  worker_outcome_free(&o);
}

/* All of preview 1, as wasi-libc declares it, links (and runs). */
Test(wasi, every_preview1_function_links) {
  worker_outcome o;
  request rq = {.wasm = "wasi_all.wasm", .mode = START, .broker = no_files};
  request v = {.wasm = "wasi_all.wasm", .mode = VALIDATE};
  size_t wasi = 0;

  run(&rq, &o);
  cr_assert_eq(result_of(&o)->outcome, OUTCOME(OK), "%s", result_of(&o)->message);
  worker_outcome_free(&o);
  run(&v, &o);
  for (size_t i = 0; i < o.n_imports; i++)
    wasi += bytes_are(worker_import(&o, i)->module, "wasi_snapshot_preview1");
  cr_assert_eq(wasi, 46, "%zu WASI imports", wasi);
  worker_outcome_free(&o);
}
#endif
