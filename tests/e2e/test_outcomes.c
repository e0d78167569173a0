/*
** test_outcomes.c: every outcome produced for real, through the real
** plugsup-worker and interpreter, asserted exactly; then many runs in a
** row and in parallel, after which no fd or child process is left.
*/
#include <sched.h>
#include <unistd.h>

#include "helpers.h"

#define FIX E2E_DIR "/fixtures/"

static plugsup_supervisor *sup;

static void setup(void) { sup = sup_on(REAL_WORKER, 16, 5000); }
static void teardown(void) { plugsup_supervisor_free(sup); }

static plugsup_plugin *load(const char *path) {
  plugsup_plugin *p = NULL;
  cr_assert_eq(plugsup_plugin_load_file(path, &p), PLUGSUP_OK, "%s",
               plugsup_errmsg());
  return p;
}

static plugsup_result *run_with(const char *path, plugsup_run_options *o) {
  plugsup_plugin *p = load(path);
  plugsup_result *r = NULL;
  cr_assert_eq(plugsup_run(sup, p, o, &r), PLUGSUP_OK, "%s", plugsup_errmsg());
  plugsup_plugin_free(p);
  return r;
}

static plugsup_result *invoke(const char *export, const plugsup_value *args,
                              size_t nargs) {
  plugsup_run_options o = run_opts(PLUGSUP_MODE_INVOKE);
  o.export_name = export;
  o.args = args;
  o.nargs = nargs;
  return run_with(FIX "outcomes.wasm", &o);
}

static void expect(const plugsup_result *r, plugsup_outcome want) {
  cr_assert_eq(r->outcome, want, "outcome %s, expected %s (%s)",
               plugsup_outcome_name(r->outcome), plugsup_outcome_name(want),
               r->message);
}

TestSuite(outcomes, .init = setup, .fini = teardown);

Test(outcomes, ok_with_values) {
  plugsup_value args[] = {{.type = PLUGSUP_I64, .of.i64 = -5},
                          {.type = PLUGSUP_F32, .of.f32 = 1.5f},
                          {.type = PLUGSUP_F64, .of.f64 = 2.25}};
  plugsup_result *r = invoke("mix", args, 3);
  expect(r, PLUGSUP_OUTCOME_OK);
  cr_assert_eq(r->value_count, 3);
  cr_assert_eq(r->values[0].type, PLUGSUP_F64);
  cr_assert_eq(r->values[0].of.f64, 2.25);
  cr_assert_eq(r->values[1].type, PLUGSUP_I64);
  cr_assert_eq(r->values[1].of.i64, -5);
  cr_assert_eq(r->values[2].type, PLUGSUP_F32);
  cr_assert_eq(r->values[2].of.f32, 1.5f);
  cr_assert_gt(r->fuel_used, 0);
  cr_assert_gt(r->peak_memory_bytes, 0);
  cr_assert_gt(r->cpu_usec, 0);
  cr_assert_geq(r->wall_usec, r->cpu_usec / 2);
  plugsup_result_free(r);
}

/* Bytes chosen so that a lane or byte order mixed up shows. */
static plugsup_value v128_counting_from(uint8_t first) {
  plugsup_value v = {.type = PLUGSUP_V128};
  for (int i = 0; i < 16; i++)
    v.of.v128[i] = (uint8_t)(first + i);
  return v;
}

Test(outcomes, v128_arguments_and_results_keep_lane_and_byte_order) {
  plugsup_value args[] = {v128_counting_from(0), v128_counting_from(0xf0)};
  plugsup_run_options o = run_opts(PLUGSUP_MODE_INVOKE);
  o.export_name = "add_i32x4";
  o.args = args;
  o.nargs = 2;
  plugsup_result *r = run_with(FIX "simd.wasm", &o);
  expect(r, PLUGSUP_OUTCOME_OK);
  cr_assert_eq(r->value_count, 1);
  cr_assert_eq(r->values[0].type, PLUGSUP_V128);
  /* Lane k is bytes 4k..4k+3, little endian; the 0xf0 + 4k + j bytes
  ** carry into the next byte from j = 0 up. */
  for (uint32_t k = 0; k < 4; k++) {
    uint32_t a = 0, b = 0, got = 0;
    for (int j = 3; j >= 0; j--) {
      a = a << 8 | args[0].of.v128[4 * k + (uint32_t)j];
      b = b << 8 | args[1].of.v128[4 * k + (uint32_t)j];
      got = got << 8 | r->values[0].of.v128[4 * k + (uint32_t)j];
    }
    cr_assert_eq(got, a + b, "lane %u: %08x, expected %08x", k, got, a + b);
  }
  plugsup_result_free(r);
}

Test(outcomes, v128_beside_a_scalar_result) {
  plugsup_value arg = {.type = PLUGSUP_I32, .of.i32 = -2};
  plugsup_run_options o = run_opts(PLUGSUP_MODE_INVOKE);
  o.export_name = "splat";
  o.args = &arg;
  o.nargs = 1;
  plugsup_result *r = run_with(FIX "simd.wasm", &o);
  expect(r, PLUGSUP_OUTCOME_OK);
  cr_assert_eq(r->value_count, 2);
  cr_assert_eq(r->values[0].type, PLUGSUP_V128);
  static const uint8_t minus_two[16] = {
      0xfe, 0xff, 0xff, 0xff, 0xfe, 0xff, 0xff, 0xff,
      0xfe, 0xff, 0xff, 0xff, 0xfe, 0xff, 0xff, 0xff};
  cr_assert_arr_eq(r->values[0].of.v128, minus_two, 16);
  cr_assert_eq(r->values[1].type, PLUGSUP_I32);
  cr_assert_eq(r->values[1].of.i32, -2);
  plugsup_result_free(r);
}

Test(outcomes, scalar_for_a_v128_parameter_is_a_bad_request) {
  plugsup_value arg = {.type = PLUGSUP_I32, .of.i32 = 1};
  plugsup_run_options o = run_opts(PLUGSUP_MODE_INVOKE);
  o.export_name = "same";
  o.args = &arg;
  o.nargs = 1;
  plugsup_result *r = run_with(FIX "simd.wasm", &o);
  expect(r, PLUGSUP_OUTCOME_BAD_REQUEST);
  cr_assert_str_eq(r->message,
                   "same: argument type does not match the parameter");
  plugsup_result_free(r);
}

Test(outcomes, exit_code) {
  plugsup_result *r = invoke("exit7", NULL, 0);
  expect(r, PLUGSUP_OUTCOME_EXIT);
  cr_assert_eq(r->exit_code, 7);
  plugsup_result_free(r);
}

/* Each trap kind the interpreter has, by the export that causes it. */
Test(outcomes, every_trap_kind) {
  static const struct {
    const char *export, *kind;
  } traps[] = {
      {"unreachable", "unreachable"},
      {"div_zero", "integer divide by zero"},
      {"int_overflow", "integer overflow"},
      {"bad_conversion", "invalid conversion to integer"},
      {"oob_memory", "out of bounds memory access"},
      {"undefined_element", "undefined element"},
      {"uninitialized_element", "uninitialized element"},
      {"indirect_mismatch", "indirect call type mismatch"},
      {"stack_overflow", "call stack exhausted"},
  };
  for (size_t i = 0; i < sizeof traps / sizeof traps[0]; i++) {
    plugsup_result *r = invoke(traps[i].export, NULL, 0);
    expect(r, PLUGSUP_OUTCOME_TRAP);
    cr_assert_str_eq(r->trap_kind, traps[i].kind, "%s", traps[i].export);
    cr_assert_str_neq(r->message, "");
    plugsup_result_free(r);
  }
}

Test(outcomes, timeout_without_fuel_limit) {
  plugsup_run_options o = run_opts(PLUGSUP_MODE_INVOKE);
  o.export_name = "spin";
  o.limits.wall_ms = 200;
  plugsup_result *r = run_with(FIX "outcomes.wasm", &o);
  expect(r, PLUGSUP_OUTCOME_TIMEOUT);
  cr_assert_str_eq(r->message, "wall-clock limit of 200 ms reached");
  cr_assert_geq(r->wall_usec, 200000);
  cr_assert_lt(r->wall_usec, 2000000);
  plugsup_result_free(r);
}

Test(outcomes, out_of_fuel) {
  plugsup_run_options o = run_opts(PLUGSUP_MODE_START);
  o.limits.fuel = 100000;
  plugsup_result *r = run_with(FIX "spin_start.wasm", &o);
  expect(r, PLUGSUP_OUTCOME_OUT_OF_FUEL);
  plugsup_result_free(r);
}

Test(outcomes, out_of_memory_beyond_the_cap) {
  plugsup_run_options o = run_opts(PLUGSUP_MODE_START);
  o.limits.memory_bytes = 1 << 20;
  plugsup_result *r = run_with(FIX "big_memory.wasm", &o);
  expect(r, PLUGSUP_OUTCOME_OUT_OF_MEMORY);
  plugsup_result_free(r);
}

/* memory.grow past the cap fails inside the plugin, as wasm says. */
Test(outcomes, memory_grow_stops_at_the_cap) {
  plugsup_run_options o = run_opts(PLUGSUP_MODE_INVOKE);
  o.export_name = "grow_all";
  o.limits.memory_bytes = 1 << 20;
  plugsup_result *r = run_with(FIX "outcomes.wasm", &o);
  expect(r, PLUGSUP_OUTCOME_OK);
  /* 1 MiB in 64 KiB pages, less one for the interpreter's own bytes */
  cr_assert_eq(r->values[0].of.i32, 15);
  plugsup_result_free(r);
}

Test(outcomes, invalid_module) {
  static const char bad[] = "\0asm\1\0\0\0\1\5";
  plugsup_plugin *p;
  plugsup_result *r;
  cr_assert_eq(plugsup_plugin_from_bytes(bad, sizeof bad - 1, &p), PLUGSUP_OK);
  cr_assert_eq(plugsup_run(sup, p, NULL, &r), PLUGSUP_OK);
  expect(r, PLUGSUP_OUTCOME_INVALID_MODULE);
  cr_assert_str_neq(r->message, "");
  plugsup_result_free(r);
  plugsup_plugin_free(p);
}

Test(outcomes, no_such_export) {
  plugsup_result *r = invoke("nope", NULL, 0);
  expect(r, PLUGSUP_OUTCOME_BAD_REQUEST);
  plugsup_result_free(r);
}

Test(outcomes, validate_lists_exports) {
  plugsup_run_options o = run_opts(PLUGSUP_MODE_VALIDATE);
  plugsup_result *r = run_with(FIX "outcomes.wasm", &o);
  expect(r, PLUGSUP_OUTCOME_OK);
  bool found = false;
  for (size_t i = 0; i < r->export_count; i++)
    if (!strcmp(r->exports[i].name, "add")) {
      cr_assert_str_eq(r->exports[i].kind, "func");
      cr_assert_str_eq(r->exports[i].type, "(i32 i32) -> (i32)");
      found = true;
    }
  cr_assert(found);
  cr_assert_eq(r->import_count, 1);
  cr_assert_str_eq(r->imports[0], "wasi_snapshot_preview1.proc_exit func");
  plugsup_result_free(r);
}

Test(outcomes, input_is_the_plugins_stdin) {
  static const char text[] = "line one\nline two, longer than sixty-four "
                             "bytes so that it takes two reads\n";
  plugsup_run_options o = run_opts(PLUGSUP_MODE_START);
  o.input = text;
  o.input_len = sizeof text - 1;
  plugsup_result *r = run_with(FIX "echo_stdin.wasm", &o);
  expect(r, PLUGSUP_OUTCOME_OK);
  cr_assert_eq(r->out.len, sizeof text - 1);
  cr_assert_str_eq(r->out.data, text);
  plugsup_result_free(r);
}

/* ---- namespaces: best effort, so compare with what this kernel allows ---- */

/* The namespaces a child of ours can enter, tried in the worker's order.
** A PID namespace only for a zygote's runs: an exec'd worker does not
** fork, so it cannot be in one. */
static unsigned namespaces_allowed_here(bool pid_ns) {
  static const struct {
    int flag;
    unsigned bit;
  } order[] = {{CLONE_NEWUSER, PLUGSUP_NS_USER}, {CLONE_NEWNET, PLUGSUP_NS_NET},
               {CLONE_NEWIPC, PLUGSUP_NS_IPC},   {CLONE_NEWNS, PLUGSUP_NS_MOUNT},
               {CLONE_NEWPID, PLUGSUP_NS_PID}};
  int status;
  pid_t pid = fork();
  cr_assert_geq(pid, 0);
  if (pid == 0) {
    unsigned got = 0;
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
      if ((order[i].flag != CLONE_NEWPID || pid_ns) && unshare(order[i].flag) == 0)
        got |= order[i].bit;
    _exit((int)got);
  }
  cr_assert_eq(waitpid(pid, &status, 0), pid);
  cr_assert(WIFEXITED(status));
  return (unsigned)WEXITSTATUS(status);
}

Test(outcomes, namespaces_entered_are_reported) {
  plugsup_value args[] = {{.type = PLUGSUP_I32, .of.i32 = 1},
                          {.type = PLUGSUP_I32, .of.i32 = 2}};
  plugsup_result *r = invoke("add", args, 2);
  expect(r, PLUGSUP_OUTCOME_OK);
  bool zygote = plugsup_supervisor_spawn(sup) == PLUGSUP_SPAWN_ZYGOTE;
  cr_assert_eq(r->namespaces, namespaces_allowed_here(zygote), "reported %#x",
               r->namespaces);
  plugsup_result_free(r);
}

Test(outcomes, no_namespaces_enters_none) {
  plugsup_config cfg;
  plugsup_value args[] = {{.type = PLUGSUP_I32, .of.i32 = 1},
                          {.type = PLUGSUP_I32, .of.i32 = 2}};
  plugsup_config_init(&cfg);
  cfg.worker_path = REAL_WORKER;
  cfg.no_namespaces = true;
  plugsup_supervisor_free(sup); /* the suite's; teardown frees this one */
  cr_assert_eq(plugsup_supervisor_new(&cfg, &sup), PLUGSUP_OK);
  plugsup_result *r = invoke("add", args, 2);
  expect(r, PLUGSUP_OUTCOME_OK);
  cr_assert_eq(r->values[0].of.i32, 3);
  cr_assert_eq(r->namespaces, 0u);
  plugsup_result_free(r);
}

#ifdef HAVE_WASI_FIXTURES
Test(outcomes, c_program_with_printf) {
  const char *argv[] = {"hello", "x"};
  plugsup_run_options o = run_opts(PLUGSUP_MODE_START);
  o.argv = argv;
  o.argc = 2;
  plugsup_result *r = run_with(PLUGSUP_BUILD_DIR "/examples/hello.wasm", &o);
  cr_assert(r->outcome == PLUGSUP_OUTCOME_OK ||
            (r->outcome == PLUGSUP_OUTCOME_EXIT && r->exit_code == 0),
            "%s: %s", plugsup_outcome_name(r->outcome), r->message);
  cr_assert_str_eq(r->out.data, "Hello from a sandboxed plugin!\narg 1: x\n");
  plugsup_result_free(r);
}

Test(outcomes, c_program_exit_code_and_stderr) {
  const char *argv[] = {"exit_with", "42"};
  plugsup_run_options o = run_opts(PLUGSUP_MODE_START);
  o.argv = argv;
  o.argc = 2;
  plugsup_result *r = run_with(FIX "exit_with.wasm", &o);
  expect(r, PLUGSUP_OUTCOME_EXIT);
  cr_assert_eq(r->exit_code, 42);
  cr_assert_str_eq(r->out.data, "to stdout\n");
  cr_assert_str_eq(r->err.data, "to stderr\n");
  plugsup_result_free(r);
}
#endif

/* ---- many runs: nothing may leak ---- */

static void run_many(unsigned inflight, int n) {
  int fds = open_fd_count();
  plugsup_supervisor *s = sup_on(REAL_WORKER, inflight, 10000);
  plugsup_plugin *p = load(FIX "outcomes.wasm");
  plugsup_value args[] = {{.type = PLUGSUP_I32, .of.i32 = 40},
                          {.type = PLUGSUP_I32, .of.i32 = 2}};
  plugsup_run_options o = run_opts(PLUGSUP_MODE_INVOKE);
  o.export_name = "add";
  o.args = args;
  o.nargs = 2;
  plugsup_job *job;
  int done = 0;
  for (int i = 0; i < n; i++) {
    cr_assert_eq(plugsup_submit(s, p, &o, &job), PLUGSUP_OK);
    /* Sequential when one is in flight: wait for each before the next. */
    if (inflight > 1)
      continue;
    plugsup_result *r;
    cr_assert_eq(plugsup_wait(s, job, &r), PLUGSUP_OK);
    cr_assert_eq(r->outcome, PLUGSUP_OUTCOME_OK, "run %d: %s", i, r->message);
    cr_assert_eq(r->values[0].of.i32, 42);
    plugsup_result_free(r);
    done++;
  }
  while (plugsup_wait_any(s, -1, &job) == PLUGSUP_OK) {
    plugsup_result *r;
    cr_assert_eq(plugsup_job_take(job, &r), PLUGSUP_OK);
    cr_assert_eq(r->outcome, PLUGSUP_OUTCOME_OK, "%s", r->message);
    cr_assert_eq(r->values[0].of.i32, 42);
    plugsup_result_free(r);
    done++;
  }
  cr_assert_eq(done, n);
  plugsup_plugin_free(p);
  plugsup_supervisor_free(s);
  cr_assert_eq(open_fd_count(), fds);
  assert_no_children();
}

/* The timeouts only catch a hang: a thousand exec'd workers under
** AddressSanitizer take near two minutes on a 2-core VM. */
Test(many, thousand_sequential_runs, .timeout = 400) { run_many(1, 1000); }
Test(many, two_hundred_runs_sixteen_in_flight, .timeout = 400) {
  run_many(16, 200);
}
