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
#include "worker_harness.h"

static uint8_t *slurp(const char *name, size_t *len) {
  char path[512];
  FILE *f;
  uint8_t *buf;
  long n;

  snprintf(path, sizeof path, "%s/%s", WORKER_WASM_DIR, name);
  f = fopen(path, "rb");
  cr_assert_not_null(f, "fixture %s", path);
  fseek(f, 0, SEEK_END);
  n = ftell(f);
  rewind(f);
  buf = malloc((size_t)n + 1);
  cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
  fclose(f);
  *len = (size_t)n;
  return buf;
}

/* What a test asks for: one Run, built from these. */
typedef struct request {
  const char *wasm;
  Plugsup__Run__Mode mode;
  const char *export_name;
  const Plugsup__Value *args;
  size_t n_args;
  const char *const *argv;   /* NULL-terminated */
  const char *seed;
  const char *input;
  uint64_t memory_bytes, fuel, output_bytes;
  const char *const *worker_args;
} request;

/* Run it and collect everything up to the last frame; the worker must
** then exit 0 (or die by SIGSYS after a violation). */
static void run(const request *rq, worker_outcome *o) {
  Plugsup__Envelope env = PLUGSUP__ENVELOPE__INIT;
  Plugsup__Run r = PLUGSUP__RUN__INIT;
  Plugsup__Limits lim = PLUGSUP__LIMITS__INIT;
  Plugsup__Value *args[8];
  ProtobufCBinaryData argv[8];
  worker_proc w;
  size_t len;
  uint8_t *module = slurp(rq->wasm, &len);

  r.mode = rq->mode;
  r.module.data = module;
  r.module.len = len;
  r.export_name = (char *)(rq->export_name ? rq->export_name : "");
  for (size_t i = 0; i < rq->n_args; i++)
    args[i] = (Plugsup__Value *)&rq->args[i];
  r.args = args;
  r.n_args = rq->n_args;
  for (size_t i = 0; rq->argv && rq->argv[i]; i++) {
    argv[i].data = (uint8_t *)rq->argv[i];
    argv[i].len = strlen(rq->argv[i]);
    r.n_argv = i + 1;
  }
  r.argv = argv;
  if (rq->seed) {
    r.random_seed.data = (uint8_t *)rq->seed;
    r.random_seed.len = strlen(rq->seed);
  }
  if (rq->input) {
    r.input.data = (uint8_t *)rq->input;
    r.input.len = strlen(rq->input);
  }
  lim.memory_bytes = rq->memory_bytes ? rq->memory_bytes : 64u << 20;
  lim.fuel = rq->fuel;
  lim.output_bytes = rq->output_bytes;
  r.limits = &lim;
  env.msg_case = PLUGSUP__ENVELOPE__MSG_RUN;
  env.run = &r;

  worker_spawn(&w, WORKER_BIN, rq->worker_args);
  frame_free(worker_expect(&w, PLUGSUP__ENVELOPE__MSG_HELLO));
  worker_send_envelope(&w, &env);
  worker_collect(&w, o);
  if (o->end->msg_case == PLUGSUP__ENVELOPE__MSG_RESULT)
    cr_assert_eq(worker_wait(&w), WORKER_EXITED(0));
  else
    cr_assert_eq(worker_wait(&w), WORKER_KILLED(SIGSYS));
  free(module);
}

static const Plugsup__Result *result_of(const worker_outcome *o) {
  cr_assert_eq(o->end->msg_case, PLUGSUP__ENVELOPE__MSG_RESULT,
               "ended by envelope case %d, syscall %s", (int)o->end->msg_case,
               o->end->msg_case == PLUGSUP__ENVELOPE__MSG_SANDBOX_VIOLATION
                   ? o->end->sandbox_violation->syscall_name : "-");
  return o->end->result;
}

static Plugsup__Value val(Plugsup__ValType t, uint64_t bits) {
  Plugsup__Value v = PLUGSUP__VALUE__INIT;
  v.type = t;
  v.bits = bits;
  return v;
}

#define I32 PLUGSUP__VAL_TYPE__I32
#define I64 PLUGSUP__VAL_TYPE__I64
#define F64 PLUGSUP__VAL_TYPE__F64
#define OUTCOME(x) PLUGSUP__OUTCOME__##x
#define VALIDATE PLUGSUP__RUN__MODE__VALIDATE
#define START PLUGSUP__RUN__MODE__START
#define INVOKE PLUGSUP__RUN__MODE__INVOKE

/* ---- VALIDATE ---- */

static bool bytes_are(ProtobufCBinaryData d, const char *s) {
  return d.len == strlen(s) && memcmp(d.data, s, d.len) == 0;
}

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

Test(wasi, bad_fd_and_bad_iovec_are_errnos) {
  worker_outcome o;
  request rq = {.wasm = "wasi_io.wasm", .mode = INVOKE, .export_name = "badfd"};
  request rq2 = {.wasm = "wasi_io.wasm", .mode = INVOKE, .export_name = "badiov"};
  run(&rq, &o);
  cr_assert_eq(result_of(&o)->values[0]->bits, 8, "EBADF");
  worker_outcome_free(&o);
  run(&rq2, &o);
  cr_assert_eq(result_of(&o)->values[0]->bits, 21, "EFAULT");
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

Test(wasi, stdin_read_into_a_bad_iovec_is_efault) {
  worker_outcome o;
  request rq = {.wasm = "wasi_io.wasm", .mode = INVOKE,
                .export_name = "read_badiov", .input = "abc"};
  run(&rq, &o);
  cr_assert_eq(result_of(&o)->values[0]->bits, 21, "EFAULT");
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
** its resolution, past the filter's clock-id checks. */
static void expect_clocks_work(const char *export_name) {
  worker_outcome o;
  for (uint64_t id = 0; id < 4; id++) {
    Plugsup__Value a = val(I32, id);
    request rq = {.wasm = "wasi_misc.wasm", .mode = INVOKE,
                  .export_name = export_name, .args = &a, .n_args = 1};
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

Test(wasi, other_wasi_functions_link_and_say_enosys) {
  worker_outcome o;
  request rq = {.wasm = "wasi_misc.wasm", .mode = INVOKE, .export_name = "enosys"};
  request rq2 = {.wasm = "wasi_misc.wasm", .mode = INVOKE, .export_name = "prestat"};
  run(&rq, &o);
  cr_assert_eq(result_of(&o)->values[0]->bits, 52);
  worker_outcome_free(&o);
  run(&rq2, &o);
  cr_assert_eq(result_of(&o)->values[0]->bits, 8, "EBADF ends the preopen scan");
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
  request rq = {.wasm = "hello_wasi.wasm", .mode = START, .argv = argv};
  request rq3 = {.wasm = "hello_wasi.wasm", .mode = START, .argv = argv3};

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
#endif
