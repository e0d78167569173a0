/*
** test_fake_workers.c: the supervisor against workers that misbehave on
** purpose (fake_worker.c): every bad ending becomes the right typed
** result, the supervisor keeps serving, and nothing leaks.
*/
#include <signal.h>

#include "helpers.h"

#define FAKE(mode) E2E_DIR "/fake-worker-" mode

/* Fake workers never read the plugin; its size bounds what a report may
** claim (a third of it in exports, a quarter in imports). */
#define FAKE_PLUGIN "a fake plugin, long enough for a few exports"

/* Runs one job on the named fake worker. */
static plugsup_result *run_fake(const char *worker, plugsup_run_options *o,
                                uint64_t wall_ms) {
  plugsup_supervisor *s = sup_on(worker, 1, wall_ms);
  plugsup_plugin *p = plugin_bytes(FAKE_PLUGIN);
  plugsup_result *r = NULL;
  cr_assert_eq(plugsup_run(s, p, o, &r), PLUGSUP_OK, "%s", plugsup_errmsg());
  plugsup_plugin_free(p);
  plugsup_supervisor_free(s);
  return r;
}

static plugsup_result *run_mode(const char *worker) {
  plugsup_run_options o = run_opts(PLUGSUP_MODE_START);
  return run_fake(worker, &o, 2000);
}

static void expect(plugsup_result *r, plugsup_outcome want,
                   const char *message) {
  cr_assert_eq(r->outcome, want, "outcome %s, expected %s (%s)",
               plugsup_outcome_name(r->outcome), plugsup_outcome_name(want),
               r->message);
  if (message)
    cr_assert_str_eq(r->message, message);
}

Test(fake, invoke_returns_values) {
  plugsup_value args[2] = {{.type = PLUGSUP_I32, .of.i32 = 2},
                           {.type = PLUGSUP_I32, .of.i32 = 3}};
  plugsup_run_options o = run_opts(PLUGSUP_MODE_INVOKE);
  o.export_name = "add";
  o.args = args;
  o.nargs = 2;
  plugsup_result *r = run_fake(FAKE("ok"), &o, 2000);
  expect(r, PLUGSUP_OUTCOME_OK, "");
  cr_assert_eq(r->value_count, 1);
  cr_assert_eq(r->values[0].type, PLUGSUP_I32);
  cr_assert_eq(r->values[0].of.i32, 5);
  cr_assert_eq(r->fuel_used, 42);
  cr_assert_eq(r->peak_memory_bytes, 65536);
  cr_assert_gt(r->wall_usec, 0);
  cr_assert_gt(r->max_rss_bytes, 0);
  cr_assert_eq(r->namespaces, PLUGSUP_NS_USER | PLUGSUP_NS_NET |
                                  PLUGSUP_NS_IPC | PLUGSUP_NS_MOUNT |
                                  PLUGSUP_NS_PID);
  plugsup_result_free(r);
}

static char streamed[256];
static void collect(void *ud, int fd, const void *data, size_t len) {
  size_t have = strlen(streamed);
  cr_assert_lt(have + len + 2, sizeof streamed);
  snprintf(streamed + have, sizeof streamed - have, "%d:%.*s", fd, (int)len,
           (const char *)data);
}

Test(fake, start_passes_argv_and_captures_output) {
  const char *argv[] = {"prog", "a", "b"};
  plugsup_run_options o = run_opts(PLUGSUP_MODE_START);
  o.argv = argv;
  o.argc = 3;
  o.on_output = collect;
  plugsup_result *r = run_fake(FAKE("ok"), &o, 2000);
  expect(r, PLUGSUP_OUTCOME_EXIT, "");
  cr_assert_eq(r->exit_code, 3);
  cr_assert_str_eq(r->out.data, "prog\na\nb\n");
  cr_assert_eq(r->out.len, 9);
  cr_assert_str_eq(r->err.data, "err\n");
  cr_assert_not(r->out.truncated);
  cr_assert_str_eq(streamed, "1:prog1:\n1:a1:\n1:b1:\n2:err\n");
  plugsup_result_free(r);
}

Test(fake, validate_reports_exports) {
  plugsup_run_options o = run_opts(PLUGSUP_MODE_VALIDATE);
  plugsup_result *r = run_fake(FAKE("ok"), &o, 2000);
  expect(r, PLUGSUP_OUTCOME_OK, "");
  cr_assert_eq(r->export_count, 1);
  cr_assert_str_eq(r->exports[0].name, "add");
  cr_assert_str_eq(r->exports[0].kind, "func");
  cr_assert_str_eq(r->exports[0].type, "(i32 i32) -> (i32)");
  cr_assert_eq(r->import_count, 1);
  cr_assert_str_eq(r->imports[0], "env.f func");
  plugsup_result_free(r);
}

Test(fake, garbage_frame_is_a_protocol_error) {
  plugsup_result *r = run_mode(FAKE("garbage"));
  expect(r, PLUGSUP_OUTCOME_PROTOCOL_ERROR,
         "bad frame from worker: frame is not a valid message");
  plugsup_result_free(r);
}

Test(fake, oversized_frame_is_a_protocol_error) {
  plugsup_result *r = run_mode(FAKE("oversized"));
  expect(r, PLUGSUP_OUTCOME_PROTOCOL_ERROR,
         "bad frame from worker: frame exceeds the size limit");
  plugsup_result_free(r);
}

Test(fake, truncated_frame_is_a_protocol_error) {
  plugsup_result *r = run_mode(FAKE("truncated"));
  expect(r, PLUGSUP_OUTCOME_PROTOCOL_ERROR,
         "bad frame from worker: stream ended inside a frame");
  plugsup_result_free(r);
}

Test(fake, silent_worker_times_out) {
  plugsup_run_options o = run_opts(PLUGSUP_MODE_START);
  plugsup_result *r = run_fake(FAKE("silent"), &o, 200);
  expect(r, PLUGSUP_OUTCOME_TIMEOUT, "wall-clock limit of 200 ms reached");
  cr_assert_geq(r->wall_usec, 200000);
  cr_assert_lt(r->wall_usec, 2000000);
  plugsup_result_free(r);
}

Test(fake, exit_without_result_is_a_protocol_error) {
  plugsup_result *r = run_mode(FAKE("noresult"));
  expect(r, PLUGSUP_OUTCOME_PROTOCOL_ERROR, "worker ended without a result");
  plugsup_result_free(r);
}

Test(fake, signal_is_a_crash) {
  plugsup_result *r = run_mode(FAKE("segv"));
  expect(r, PLUGSUP_OUTCOME_CRASHED, NULL);
  cr_assert_eq(r->signal, SIGSEGV);
  plugsup_result_free(r);
}

Test(fake, violation_frame_names_the_call) {
  plugsup_result *r = run_mode(FAKE("sigsys"));
  expect(r, PLUGSUP_OUTCOME_SANDBOX_VIOLATION,
         "worker made a forbidden system call: openat (257)");
  cr_assert_str_eq(r->syscall, "openat");
  cr_assert_eq(r->syscall_number, 257);
  plugsup_result_free(r);
}

static size_t streamed_bytes;
static void count_streamed(void *ud, int fd, const void *data, size_t len) {
  (void)ud, (void)fd, (void)data;
  streamed_bytes += len;
}

/* The worker ignores the limit and sends 6 MB: only the limit reaches the
** callback and the result, and the worker is killed once it has sent more
** than a frame beyond it. */
Test(fake, output_flood_is_cut_at_the_limit_and_killed) {
  plugsup_run_options o = run_opts(PLUGSUP_MODE_START);
  o.limits.output_bytes = 1000;
  o.on_output = count_streamed;
  plugsup_result *r = run_fake(FAKE("flood"), &o, 5000);
  expect(r, PLUGSUP_OUTCOME_PROTOCOL_ERROR,
         "worker sent more than the output limit of 1000 bytes");
  cr_assert_eq(r->out.len, 1000);
  cr_assert_eq(streamed_bytes, 1000);
  cr_assert(r->out.truncated);
  cr_assert_eq(r->out.data[1000], '\0');
  plugsup_result_free(r);
}

/* A worker that says its stderr was cut and then hangs: the cut is
** reported although the run ends by timeout. */
Test(fake, cut_stream_is_flagged_after_a_timeout) {
  plugsup_run_options o = run_opts(PLUGSUP_MODE_START);
  plugsup_result *r = run_fake(FAKE("cutthenhang"), &o, 300);
  expect(r, PLUGSUP_OUTCOME_TIMEOUT, "wall-clock limit of 300 ms reached");
  cr_assert_str_eq(r->err.data, "err");
  cr_assert(r->err.truncated);
  cr_assert_not(r->out.truncated);
  plugsup_result_free(r);
}

Test(fake, lingering_worker_is_killed_and_its_result_kept) {
  plugsup_run_options o = run_opts(PLUGSUP_MODE_START);
  plugsup_result *r = run_fake(FAKE("linger"), &o, 10000);
  expect(r, PLUGSUP_OUTCOME_EXIT, NULL);
  cr_assert_eq(r->exit_code, 1);
  cr_assert_lt(r->wall_usec, 3000000);
  plugsup_result_free(r);
}

/* Without a policy there is no preopened directory: fd 3 is not open. */
Test(fake, host_calls_without_a_policy_find_nothing_open) {
  plugsup_result *r = run_mode(FAKE("hostcall-ok"));
  expect(r, PLUGSUP_OUTCOME_EXIT, NULL);
  cr_assert_eq(r->exit_code, 8); /* WASI EBADF */
  cr_assert_eq(r->host_calls, 1);
  plugsup_result_free(r);
}

Test(fake, host_call_that_does_not_exist_is_a_protocol_error) {
  plugsup_result *r = run_mode(FAKE("hostcall-badop"));
  expect(r, PLUGSUP_OUTCOME_PROTOCOL_ERROR,
         "worker sent host call 999, which does not exist");
  plugsup_result_free(r);
}

Test(fake, host_call_with_wrong_arguments_is_a_protocol_error) {
  plugsup_result *r = run_mode(FAKE("hostcall-fewargs"));
  expect(r, PLUGSUP_OUTCOME_PROTOCOL_ERROR,
         "worker sent a malformed path_open call");
  plugsup_result_free(r);
  r = run_mode(FAKE("hostcall-widearg"));
  expect(r, PLUGSUP_OUTCOME_PROTOCOL_ERROR,
         "worker sent a malformed path_open call");
  plugsup_result_free(r);
  r = run_mode(FAKE("hostcall-sharedpath"));
  expect(r, PLUGSUP_OUTCOME_PROTOCOL_ERROR,
         "worker sent a malformed path_open call");
  plugsup_result_free(r);
}

/* File bytes go through a buffer shared with the worker: a worker that
** kept its descriptor cannot shrink it under the supervisor's mapping
** (it is sealed), and the bytes really travel there. */
Test(fake, shared_buffer_cannot_be_shrunk_under_the_supervisor) {
  char dir[] = "/tmp/plugsup-shared-XXXXXX", path[64];
  cr_assert_not_null(mkdtemp(dir));
  snprintf(path, sizeof path, "%s/f.txt", dir);
  FILE *f = fopen(path, "w");
  cr_assert_not_null(f);
  fputs("inside", f);
  fclose(f);
  plugsup_policy *p = NULL;
  cr_assert_eq(plugsup_policy_new(&p), PLUGSUP_OK);
  cr_assert_eq(plugsup_policy_add_dir(p, dir, "/d", false), PLUGSUP_OK);
  plugsup_run_options o = run_opts(PLUGSUP_MODE_START);
  o.policy = p;
  plugsup_result *r = run_fake(FAKE("shrinkshared"), &o, 5000);
  expect(r, PLUGSUP_OUTCOME_EXIT, NULL);
  cr_assert_eq(r->exit_code, 0, "fake worker said %d", r->exit_code);
  cr_assert_eq(r->bytes_read, 6);
  plugsup_result_free(r);
  plugsup_policy_free(p);
  unlink(path);
  rmdir(dir);
}

/* The buffer carries only file bytes: a run the policy gives no
** directory gets none (no memfd made, mapped and passed for nothing). */
Test(fake, only_a_run_with_files_gets_the_shared_buffer) {
  plugsup_policy *p = NULL;
  cr_assert_eq(plugsup_policy_new(&p), PLUGSUP_OK);
  plugsup_run_options o = run_opts(PLUGSUP_MODE_START);
  o.policy = p;
  plugsup_result *r = run_fake(FAKE("hasshared"), &o, 5000);
  expect(r, PLUGSUP_OUTCOME_EXIT, NULL);
  cr_assert_eq(r->exit_code, 0, "a run without files got the buffer");
  plugsup_result_free(r);
  cr_assert_eq(plugsup_policy_add_dir(p, "/tmp", "/t", true), PLUGSUP_OK);
  r = run_fake(FAKE("hasshared"), &o, 5000);
  expect(r, PLUGSUP_OUTCOME_EXIT, NULL);
  cr_assert_eq(r->exit_code, 1, "a run with a directory got no buffer");
  plugsup_result_free(r);
  plugsup_policy_free(p);
}

/* The first call waits for a stdin stream that has nothing yet. */
Test(fake, second_host_call_before_the_answer_is_a_protocol_error) {
  int in[2];
  cr_assert_eq(pipe(in), 0);
  plugsup_run_options o = run_opts(PLUGSUP_MODE_START);
  o.input_from_fd = true;
  o.input_fd = in[0];
  plugsup_result *r = run_fake(FAKE("hostcall-twocalls"), &o, 5000);
  expect(r, PLUGSUP_OUTCOME_PROTOCOL_ERROR,
         "worker sent a host call before its last one was answered");
  plugsup_result_free(r);
  close(in[0]);
  close(in[1]);
}

Test(fake, wrong_protocol_version) {
  plugsup_result *r = run_mode(FAKE("badversion"));
  expect(r, PLUGSUP_OUTCOME_PROTOCOL_ERROR, "worker speaks protocol 99, not 5");
  plugsup_result_free(r);
}

/* The worker closes its request pipe: the supervisor's write fails with
** EPIPE, and the SIGPIPE it raises must not reach this process. */
Test(fake, closed_request_pipe_raises_no_sigpipe) {
  plugsup_result *r = run_mode(FAKE("closepipe"));
  expect(r, PLUGSUP_OUTCOME_PROTOCOL_ERROR, "worker ended without a result");
  sigset_t pending;
  sigpending(&pending);
  cr_assert_not(sigismember(&pending, SIGPIPE));
  plugsup_result_free(r);
}

Test(fake, sandbox_setup_failure) {
  plugsup_result *r = run_mode(FAKE("exitsetup"));
  expect(r, PLUGSUP_OUTCOME_WORKER_FAILED,
         "worker could not set up its sandbox (exit status 120)");
  plugsup_result_free(r);
}

Test(fake, missing_worker_is_refused) {
  plugsup_config cfg;
  plugsup_supervisor *s = (void *)1;
  plugsup_config_init(&cfg);
  cfg.worker_path = E2E_DIR "/no-such-worker";
  cr_assert_eq(plugsup_supervisor_new(&cfg, &s), PLUGSUP_EWORKER);
  cr_assert_null(s);
  cr_assert_str_eq(plugsup_errmsg(), "worker '" E2E_DIR
                   "/no-such-worker' is not executable: No such file or "
                   "directory");
}

/* Hostile workers mixed with honest ones, four in flight: each job gets
** its own outcome, and afterwards no fd or child is left. */
Test(fake, bad_workers_do_not_disturb_good_ones) {
  static const struct {
    const char *worker;
    plugsup_outcome want;
  } mix[] = {
      {FAKE("ok"), PLUGSUP_OUTCOME_EXIT},
      {FAKE("garbage"), PLUGSUP_OUTCOME_PROTOCOL_ERROR},
      {FAKE("silent"), PLUGSUP_OUTCOME_TIMEOUT},
      {FAKE("segv"), PLUGSUP_OUTCOME_CRASHED},
      {FAKE("flood"), PLUGSUP_OUTCOME_PROTOCOL_ERROR},
      {FAKE("sigsys"), PLUGSUP_OUTCOME_SANDBOX_VIOLATION},
      {FAKE("truncated"), PLUGSUP_OUTCOME_PROTOCOL_ERROR},
  };
  enum { N = sizeof mix / sizeof mix[0] };
  int fds = open_fd_count();
  plugsup_supervisor *sups[N];
  plugsup_job *jobs[N];
  plugsup_plugin *p = plugin_bytes(FAKE_PLUGIN);
  plugsup_run_options o = run_opts(PLUGSUP_MODE_START);
  o.limits.output_bytes = 100;
  /* The silent worker is ended by its deadline; the others must end
  ** well before it, even seven sanitized workers starting at once on a
  ** busy machine (300 ms was once too short for a truncated one). */
  for (int i = 0; i < N; i++) {
    sups[i] = sup_on(mix[i].worker, 4, 3000);
    cr_assert_eq(plugsup_submit(sups[i], p, &o, &jobs[i]), PLUGSUP_OK);
  }
  for (int i = N - 1; i >= 0; i--) {
    plugsup_result *r;
    cr_assert_eq(plugsup_wait(sups[i], jobs[i], &r), PLUGSUP_OK);
    cr_assert_eq(r->outcome, mix[i].want, "job %d: %s (%s)", i,
                 plugsup_outcome_name(r->outcome), r->message);
    plugsup_result_free(r);
  }
  for (int i = 0; i < N; i++)
    plugsup_supervisor_free(sups[i]);
  plugsup_plugin_free(p);
  cr_assert_eq(open_fd_count(), fds);
  assert_no_children();
}

Test(fake, many_in_flight_on_one_supervisor) {
  enum { N = 60 };
  int fds = open_fd_count();
  plugsup_supervisor *s = sup_on(FAKE("ok"), 16, 5000);
  plugsup_plugin *p = plugin_bytes("fake");
  plugsup_run_options o = run_opts(PLUGSUP_MODE_START);
  plugsup_job *job;
  for (int i = 0; i < N; i++)
    cr_assert_eq(plugsup_submit(s, p, &o, &job), PLUGSUP_OK);
  plugsup_plugin_free(p); /* jobs hold their own references */
  int done = 0;
  while (plugsup_wait_any(s, -1, &job) == PLUGSUP_OK) {
    plugsup_result *r;
    cr_assert(plugsup_job_done(job));
    cr_assert_eq(plugsup_job_take(job, &r), PLUGSUP_OK);
    cr_assert_eq(r->outcome, PLUGSUP_OUTCOME_EXIT, "%s", r->message);
    plugsup_result_free(r);
    done++;
  }
  cr_assert_eq(done, N);
  cr_assert_eq(plugsup_wait_any(s, 0, &job), PLUGSUP_EEMPTY);
  plugsup_supervisor_free(s);
  cr_assert_eq(open_fd_count(), fds);
  assert_no_children();
}

Test(fake, cancel_and_free_kill_running_workers) {
  int fds = open_fd_count();
  plugsup_supervisor *s = sup_on(FAKE("silent"), 2, 60000);
  plugsup_plugin *p = plugin_bytes("fake");
  plugsup_job *a, *b, *c, *got;
  cr_assert_eq(plugsup_submit(s, p, NULL, &a), PLUGSUP_OK);
  cr_assert_eq(plugsup_submit(s, p, NULL, &b), PLUGSUP_OK);
  cr_assert_eq(plugsup_submit(s, p, NULL, &c), PLUGSUP_OK);
  cr_assert_eq(plugsup_wait_any(s, 50, &got), PLUGSUP_ETIMEDOUT);
  plugsup_result *r = (void *)1;
  cr_assert_eq(plugsup_job_take(a, &r), PLUGSUP_EAGAIN);
  cr_assert_null(r);
  plugsup_job_cancel(a);
  plugsup_plugin_free(p);
  plugsup_supervisor_free(s); /* b running, c queued */
  cr_assert_eq(open_fd_count(), fds);
  assert_no_children();
}

Test(api, errors_have_messages) {
  plugsup_plugin *p = (void *)1;
  cr_assert_eq(plugsup_plugin_load_file(E2E_DIR "/nope.wasm", &p),
               PLUGSUP_ENOENT);
  cr_assert_null(p);
  cr_assert_str_eq(plugsup_errmsg(), "cannot open '" E2E_DIR
                   "/nope.wasm': No such file or directory");
  cr_assert_eq(plugsup_plugin_load_file(E2E_DIR, &p), PLUGSUP_EIO);
  cr_assert_str_eq(plugsup_errmsg(),
                   "'" E2E_DIR "' is a directory, not a plugin");
  cr_assert_eq(plugsup_plugin_from_bytes("x", 0, &p), PLUGSUP_EINVAL);
  cr_assert_str_eq(plugsup_strerror(PLUGSUP_ETIMEDOUT),
                   "no job finished before the timeout");
  cr_assert_str_eq(plugsup_strerror((plugsup_status)999), "unknown status");
  cr_assert_str_eq(plugsup_outcome_name(PLUGSUP_OUTCOME_OUT_OF_FUEL),
                   "out_of_fuel");
  plugsup_config cfg;
  plugsup_supervisor *s;
  plugsup_config_init(&cfg);
  cfg.worker_path = FAKE("ok");
  cfg.limits.memory_bytes = 5ull << 30;
  cr_assert_eq(plugsup_supervisor_new(&cfg, &s), PLUGSUP_EINVAL);
  cr_assert_str_eq(plugsup_errmsg(), "memory limit exceeds 4 GiB, the most a "
                   "32-bit memory can use");
}

/* How workers start: the config's choice, else $PLUGSUP_SPAWN, which
** must name one of the two ways. */
Test(api, a_bad_spawn_choice_is_refused_with_its_reason) {
  plugsup_config cfg;
  plugsup_supervisor *s = (void *)1;
  plugsup_config_init(&cfg);
  cfg.worker_path = FAKE("ok");
  cfg.spawn = (plugsup_spawn)7;
  cr_assert_eq(plugsup_supervisor_new(&cfg, &s), PLUGSUP_EINVAL);
  cr_assert_null(s);
  cr_assert_str_eq(plugsup_errmsg(), "plugsup_config.spawn is 7, not a "
                   "plugsup_spawn");
  cfg.spawn = PLUGSUP_SPAWN_DEFAULT;
  setenv("PLUGSUP_SPAWN", "fork", 1);
  cr_assert_eq(plugsup_supervisor_new(&cfg, &s), PLUGSUP_EINVAL);
  cr_assert_str_eq(plugsup_errmsg(), "PLUGSUP_SPAWN is 'fork': expected "
                   "'zygote' or 'exec'");
  setenv("PLUGSUP_SPAWN", "exec", 1);
  cr_assert_eq(plugsup_supervisor_new(&cfg, &s), PLUGSUP_OK);
  cr_assert_eq(plugsup_supervisor_spawn(s), PLUGSUP_SPAWN_EXEC);
  plugsup_supervisor_free(s);
  cfg.spawn = PLUGSUP_SPAWN_ZYGOTE; /* the config wins over the variable */
  cr_assert_eq(plugsup_supervisor_new(&cfg, &s), PLUGSUP_OK);
  cr_assert_eq(plugsup_supervisor_spawn(s), PLUGSUP_SPAWN_ZYGOTE);
  plugsup_supervisor_free(s);
  cr_assert_str_eq(plugsup_spawn_name(PLUGSUP_SPAWN_EXEC), "exec");
  cr_assert_str_eq(plugsup_spawn_name((plugsup_spawn)7), "unknown");
}

Test(api, bad_run_options_are_refused) {
  plugsup_supervisor *s = sup_on(FAKE("ok"), 1, 1000);
  plugsup_plugin *p = plugin_bytes("fake");
  plugsup_run_options o = run_opts(PLUGSUP_MODE_INVOKE);
  plugsup_result *r;
  cr_assert_eq(plugsup_run(s, p, &o, &r), PLUGSUP_EINVAL);
  cr_assert_str_eq(plugsup_errmsg(), "an INVOKE run needs an export name");
  o.export_name = "f";
  o.input_len = 3;
  cr_assert_eq(plugsup_run(s, p, &o, &r), PLUGSUP_EINVAL);
  cr_assert_str_eq(plugsup_errmsg(), "a count is set but its array is NULL");
  o.input_len = 64u << 20;
  o.input = calloc(1, o.input_len);
  cr_assert_not_null(o.input);
  cr_assert_eq(plugsup_run(s, p, &o, &r), PLUGSUP_ETOOBIG);
  cr_assert_str_eq(plugsup_errmsg(), "the plugin, its arguments and its input "
                   "exceed the 67108864 bytes a worker accepts");
  free((void *)o.input);
  o.input = NULL;
  o.input_len = 0;
  o.size = 4;
  cr_assert_eq(plugsup_run(s, p, &o, &r), PLUGSUP_EINVAL);
  plugsup_plugin_free(p);
  plugsup_supervisor_free(s);
}
