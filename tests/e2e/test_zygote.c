/*
** test_zygote.c: runs forked from a zygote (PLUGSUP_SPAWN_ZYGOTE).
**
** What a run's child may not do that its zygote may (fork with the
** zygote's flags, pass descriptors, reach the control socket, add a
** filter); that one run sees nothing another left; that a zygote killed
** from outside, released, or speaking falsely costs no run its result and
** leaves no process or descriptor behind; and that a module a zygote
** cannot load fails exactly as it does when exec'd.
*/
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "helpers.h"

#define FIX E2E_DIR "/fixtures/"
#define SUBVERTED PLUGSUP_BUILD_DIR "/bin/plugsup-worker-subverted"
#define FAKE(mode) E2E_DIR "/fake-worker-" mode

static plugsup_supervisor *sup_spawning(plugsup_spawn spawn,
                                        const char *worker, unsigned inflight,
                                        uint64_t wall_ms) {
  plugsup_config cfg;
  plugsup_supervisor *s = NULL;
  plugsup_config_init(&cfg);
  cfg.worker_path = worker;
  cfg.max_in_flight = inflight;
  cfg.limits.wall_ms = wall_ms;
  cfg.spawn = spawn;
  cr_assert_eq(plugsup_supervisor_new(&cfg, &s), PLUGSUP_OK, "%s",
               plugsup_errmsg());
  return s;
}

static plugsup_supervisor *zygote_sup(const char *worker, unsigned inflight,
                                      uint64_t wall_ms) {
  return sup_spawning(PLUGSUP_SPAWN_ZYGOTE, worker, inflight, wall_ms);
}

static plugsup_plugin *fixture(const char *path) {
  plugsup_plugin *p = NULL;
  cr_assert_eq(plugsup_plugin_load_file(path, &p), PLUGSUP_OK, "%s",
               plugsup_errmsg());
  return p;
}

static plugsup_result *invoke(plugsup_supervisor *s, plugsup_plugin *p,
                              const char *name, const plugsup_value *args,
                              size_t nargs) {
  plugsup_run_options o = run_opts(PLUGSUP_MODE_INVOKE);
  plugsup_result *r = NULL;
  o.export_name = name;
  o.args = args;
  o.nargs = nargs;
  cr_assert_eq(plugsup_run(s, p, &o, &r), PLUGSUP_OK, "%s", plugsup_errmsg());
  return r;
}

/* ---- the zygotes of this process, as /proc shows them ---- */

/* A zygote is a child of ours whose fd 3 is a socket (its control
** socket): its forks (the pid namespace's holder, runs) have none there
** once they have moved their own descriptors, but a run just forked still
** holds its zygote's. Its link ("socket:[inode]") in link, or false.
** Reading another user's fds needs root: without it the test is skipped. */
static bool control_socket_of(pid_t pid, char link[64]) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/fd/3", (int)pid);
  memset(link, 0, 64);
  ssize_t n = readlink(path, link, 63);
  if (n < 0 && errno == EACCES)
    cr_skip_test("cannot read /proc/%d/fd: run the tests as root", (int)pid);
  return n > 0 && strncmp(link, "socket:", 7) == 0;
}

/* Field 'field' (1-based, after the command) of /proc/pid/stat, or -1. */
static long long stat_field(pid_t pid, int field) {
  char path[64], text[1024];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  FILE *f = fopen(path, "r");
  if (!f)
    return -1;
  size_t n = fread(text, 1, sizeof text - 1, f);
  fclose(f);
  text[n] = '\0';
  const char *p = strrchr(text, ')');
  if (!p)
    return -1;
  for (int i = 2; i < field && (p = strchr(p + 1, ' ')) != NULL; i++)
    ;
  return p ? strtoll(p + 1, NULL, 10) : -1;
}

static pid_t parent_of(pid_t pid) { return (pid_t)stat_field(pid, 4); }

/* The zygotes alive now, one per control socket: of the children of ours
** that hold one, the first started (the others are its fresh forks). The
** first zygote's pid in *first. */
static int zygotes(pid_t *first) {
  struct { char link[64]; pid_t pid; long long start; } z[32];
  DIR *d = opendir("/proc");
  struct dirent *e;
  int n = 0;
  cr_assert_not_null(d);
  while ((e = readdir(d)) != NULL) {
    pid_t pid = (pid_t)atoi(e->d_name);
    char link[64];
    int i;
    if (pid <= 0 || parent_of(pid) != getpid() || !control_socket_of(pid, link))
      continue;
    long long start = stat_field(pid, 22);
    for (i = 0; i < n && strcmp(z[i].link, link) != 0; i++)
      ;
    if (i == n) {
      cr_assert_lt(n, 32);
      memcpy(z[n].link, link, 64);
      z[n].start = LLONG_MAX;
      n++;
    }
    if (start < z[i].start) {
      z[i].start = start;
      z[i].pid = pid;
    }
  }
  closedir(d);
  if (n > 0 && first)
    *first = z[0].pid;
  return n;
}

/* ---- what a run's child may not do ---- */

static void expect_violation(const char *what, const char *syscall) {
  plugsup_supervisor *s = zygote_sup(SUBVERTED, 1, 5000);
  plugsup_plugin *p = NULL;
  char name[64];
  int fds = open_fd_count();
  cr_assert_eq(plugsup_plugin_from_bytes("\0asm\1\0\0\0", 8, &p), PLUGSUP_OK);
  snprintf(name, sizeof name, "__subvert:%s", what);
  plugsup_result *r = invoke(s, p, name, NULL, 0);
  cr_assert_eq(zygotes(NULL), 1, "the run did not come from a zygote");
  cr_assert_eq(r->outcome, PLUGSUP_OUTCOME_SANDBOX_VIOLATION, "%s: %s (%s)",
               what, plugsup_outcome_name(r->outcome), r->message);
  cr_assert_str_eq(r->syscall, syscall);
  plugsup_result_free(r);
  plugsup_plugin_free(p);
  plugsup_supervisor_free(s);
  cr_assert_eq(open_fd_count(), fds);
  assert_no_children();
}

Test(zygote, run_cannot_fork_with_the_zygotes_flags) {
  expect_violation("clone_as_zygote", "clone");
}
Test(zygote, run_cannot_receive_descriptors) {
  expect_violation("recvmsg_fd3", "recvmsg");
}
Test(zygote, run_cannot_reach_the_control_socket) {
  expect_violation("sendmsg_fd3", "sendmsg");
}
Test(zygote, run_cannot_change_its_filter) {
  expect_violation("prctl_seccomp", "prctl");
}
/* A run's own filter traps every call the zygote's allows beyond a run's
** (seccomp.c), with the arguments the zygote's would let through. */
Test(zygote, run_cannot_make_the_zygotes_other_calls) {
  static const char *const calls[][2] = {
      {"close_fd5", "close"},       {"close_range", "close_range"},
      {"dup2", "dup2"},             {"dup3", "dup3"},
      {"fcntl_dupfd", "fcntl"},     {"fcntl_getfd", "fcntl"},
      {"prlimit_self", "prlimit64"}, {"prctl_pdeathsig", "prctl"},
      {"getppid", "getppid"},
  };
  for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++)
    expect_violation(calls[i][0], calls[i][1]);
}

/* ---- runs see nothing of each other ---- */

Test(zygote, a_run_sees_nothing_an_earlier_run_left) {
  plugsup_supervisor *s = zygote_sup(REAL_WORKER, 1, 5000);
  plugsup_plugin *p = fixture(FIX "secret.wasm");
  plugsup_value secret = {.type = PLUGSUP_I32, .of.i32 = 4242};
  plugsup_result *r = invoke(s, p, "keep", &secret, 1);
  cr_assert_eq(r->outcome, PLUGSUP_OUTCOME_OK, "%s", r->message);
  plugsup_result_free(r);
  r = invoke(s, p, "find", NULL, 0);
  cr_assert_eq(r->outcome, PLUGSUP_OUTCOME_OK, "%s", r->message);
  cr_assert_eq(r->value_count, 1u);
  cr_assert_eq(r->values[0].of.i32, 0);
  cr_assert_eq(zygotes(NULL), 1);
  plugsup_result_free(r);
  plugsup_plugin_free(p);
  plugsup_supervisor_free(s);
  assert_no_children();
}

/* ---- the instance a zygote makes ahead ---- */

/* One run of path with o, in the given spawn mode, n times over on one
** supervisor: the last result. */
static plugsup_result *run_n(plugsup_spawn spawn, const char *path,
                             const plugsup_run_options *o, int n) {
  plugsup_supervisor *s = sup_spawning(spawn, REAL_WORKER, 1, 5000);
  plugsup_plugin *p = fixture(path);
  plugsup_result *r = NULL;
  for (int i = 0; i < n; i++) {
    plugsup_result_free(r);
    r = NULL;
    cr_assert_eq(plugsup_run(s, p, o, &r), PLUGSUP_OK, "%s", plugsup_errmsg());
  }
  plugsup_plugin_free(p);
  plugsup_supervisor_free(s);
  return r;
}

/* The runs a zygote forks after the first (when its instance made ahead,
** if any, is ready) end exactly as an exec'd run does: outcome, message,
** values and fuel. */
static void expect_as_execd(const char *path, const char *export_name,
                            uint64_t memory_bytes, int32_t want) {
  plugsup_run_options o = run_opts(PLUGSUP_MODE_INVOKE);
  o.export_name = export_name;
  o.limits.memory_bytes = memory_bytes;
  plugsup_result *e = run_n(PLUGSUP_SPAWN_EXEC, path, &o, 1);
  plugsup_result *z = run_n(PLUGSUP_SPAWN_ZYGOTE, path, &o, 6);
  cr_assert_eq(z->outcome, e->outcome, "%s: %s (%s) against %s (%s)",
               export_name, plugsup_outcome_name(z->outcome), z->message,
               plugsup_outcome_name(e->outcome), e->message);
  cr_assert_str_eq(z->message, e->message);
  cr_assert_eq(z->fuel_used, e->fuel_used, "%s", export_name);
  cr_assert_eq(z->value_count, e->value_count);
  if (want >= 0) {
    cr_assert_eq(e->value_count, 1u, "%s: %s", export_name, e->message);
    cr_assert_eq(z->values[0].of.i32, want, "%s", export_name);
    cr_assert_eq(e->values[0].of.i32, want, "%s", export_name);
  }
  plugsup_result_free(e);
  plugsup_result_free(z);
}

/* A module without a start function is instantiated once by its zygote,
** which runs none of its code for that; each run starts from a copy, as
** it was made (its data, table and global), whatever earlier runs did. */
Test(zygote, each_run_starts_from_the_instance_as_it_was_made) {
  plugsup_supervisor *s = zygote_sup(REAL_WORKER, 1, 5000);
  plugsup_plugin *p = fixture(FIX "ahead.wasm");
  for (int i = 0; i < 5; i++) {
    plugsup_result *r = invoke(s, p, "bump", NULL, 0);
    cr_assert_eq(r->outcome, PLUGSUP_OUTCOME_OK, "%s", r->message);
    cr_assert_eq(r->values[0].of.i32, 101);
    plugsup_result_free(r);
    r = invoke(s, p, "get", NULL, 0);
    cr_assert_eq(r->outcome, PLUGSUP_OUTCOME_OK, "%s", r->message);
    cr_assert_eq(r->values[0].of.i32, 1 + 42 + 7, "run %d", i);
    plugsup_result_free(r);
  }
  plugsup_plugin_free(p);
  plugsup_supervisor_free(s);
  assert_no_children();
  expect_as_execd(FIX "ahead.wasm", "get", 0, 50);
}

/* A start function is plugin code: the zygote never runs it, each run
** does (the fuel says so: it counts the start function's instructions). */
Test(zygote, a_start_function_runs_in_each_run_and_never_in_the_zygote) {
  expect_as_execd(FIX "start_counter.wasm", "bump", 0, 101);
  expect_as_execd(FIX "start_counter.wasm", "get", 0, 1 + 42 + 7);
}

/* The instance made ahead is charged to the run that takes it, as the
** run's own would be; a run whose limits would not have let it be made
** instantiates, and fails, as an exec'd one does. */
Test(zygote, an_instance_made_ahead_is_held_to_each_runs_limits) {
  expect_as_execd(FIX "outcomes.wasm", "grow_all", 1 << 20, 15);
  expect_as_execd(FIX "big_memory.wasm", "_start", 1 << 20, -1);
  expect_as_execd(FIX "big_memory.wasm", "_start", 64 << 20, -1);
}

/* ---- one zygote per plugin, ended on release ---- */

Test(zygote, each_plugin_has_its_own_zygote_until_released) {
  plugsup_supervisor *s = zygote_sup(REAL_WORKER, 2, 5000);
  plugsup_plugin *a = fixture(FIX "secret.wasm");
  plugsup_plugin *b = fixture(FIX "busy.wasm");
  plugsup_value n = {.type = PLUGSUP_I32, .of.i32 = 10};
  plugsup_result_free(invoke(s, a, "find", NULL, 0));
  plugsup_result_free(invoke(s, b, "run", &n, 1));
  cr_assert_eq(zygotes(NULL), 2);
  plugsup_supervisor_release(s, a);
  cr_assert_eq(zygotes(NULL), 1);
  plugsup_result *r = invoke(s, a, "find", NULL, 0);
  cr_assert_eq(r->outcome, PLUGSUP_OUTCOME_OK, "%s", r->message);
  cr_assert_eq(zygotes(NULL), 2);
  plugsup_result_free(r);
  plugsup_supervisor_release(s, a);
  plugsup_supervisor_release(s, b);
  cr_assert_eq(zygotes(NULL), 0);
  plugsup_plugin_free(a);
  plugsup_plugin_free(b);
  plugsup_supervisor_free(s);
  assert_no_children();
}

Test(zygote, a_plugin_freed_by_everyone_else_loses_its_zygote) {
  plugsup_supervisor *s = zygote_sup(REAL_WORKER, 1, 5000);
  plugsup_plugin *a = fixture(FIX "secret.wasm");
  plugsup_plugin *b = fixture(FIX "busy.wasm");
  plugsup_value n = {.type = PLUGSUP_I32, .of.i32 = 10};
  plugsup_result_free(invoke(s, a, "find", NULL, 0));
  plugsup_plugin_free(a);
  cr_assert_eq(zygotes(NULL), 1, "ended before the next run");
  plugsup_result_free(invoke(s, b, "run", &n, 1));
  cr_assert_eq(zygotes(NULL), 1, "the freed plugin's zygote stayed");
  plugsup_plugin_free(b);
  plugsup_supervisor_free(s);
  assert_no_children();
}

/* ---- a zygote killed from outside ---- */

Test(zygote, a_killed_zygote_is_replaced_on_the_next_run) {
  /* Counted before the plugin, which holds its memfd until freed. */
  int fds = open_fd_count();
  plugsup_supervisor *s = zygote_sup(REAL_WORKER, 1, 5000);
  plugsup_plugin *p = fixture(FIX "secret.wasm");
  pid_t z = 0;
  plugsup_result_free(invoke(s, p, "find", NULL, 0));
  cr_assert_eq(zygotes(&z), 1);
  cr_assert_eq(kill(z, SIGKILL), 0);
  plugsup_result *r = invoke(s, p, "find", NULL, 0);
  cr_assert_eq(r->outcome, PLUGSUP_OUTCOME_OK, "%s", r->message);
  plugsup_result_free(r);
  pid_t again = 0;
  cr_assert_eq(zygotes(&again), 1);
  cr_assert_neq(again, z);
  plugsup_plugin_free(p);
  plugsup_supervisor_free(s);
  cr_assert_eq(open_fd_count(), fds);
  assert_no_children();
}

/* The init of the zygote's pid namespace (its holder): a child of ours
** that is pid 1 inside; 0 when there is none (no pid namespace here). */
static pid_t holder(void) {
  DIR *d = opendir("/proc");
  struct dirent *e;
  pid_t found = 0;
  cr_assert_not_null(d);
  while ((e = readdir(d)) != NULL && !found) {
    pid_t pid = (pid_t)atoi(e->d_name);
    char path[64], line[256];
    if (pid <= 0 || parent_of(pid) != getpid())
      continue;
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    while (f && fgets(line, sizeof line, f))
      if (strncmp(line, "NSpid:", 6) == 0 && strstr(line, "\t1\n"))
        found = pid;
    if (f)
      fclose(f);
  }
  closedir(d);
  return found;
}

/* Until pid has exited (a zombie, or gone): a signal is delivered, and a
** pid namespace torn down, after kill() returns. */
static void wait_for_exit(pid_t pid) {
  for (int i = 0; i < 1000; i++) {
    char path[64], text[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
      return;
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    const char *end = strrchr(text, ')');
    if (end && (end[2] == 'Z' || end[2] == 'X'))
      return;
    usleep(1000);
  }
  cr_assert_fail("%d did not exit", (int)pid);
}

/* Killing the holder ends the pid namespace: the zygote can fork no
** more (a run forked while it was being torn down is killed with it, and
** says so). The run that finds out is exec'd; the next gets a new
** zygote. */
Test(zygote, a_killed_pid_namespace_is_replaced) {
  plugsup_supervisor *s = zygote_sup(REAL_WORKER, 1, 5000);
  plugsup_plugin *p = fixture(FIX "secret.wasm");
  plugsup_result_free(invoke(s, p, "find", NULL, 0));
  pid_t h = holder();
  if (h == 0)
    cr_skip_test("no pid namespace on this machine");
  cr_assert_eq(kill(h, SIGKILL), 0);
  wait_for_exit(h);
  for (int i = 0; i < 3; i++) {
    plugsup_result *r = invoke(s, p, "find", NULL, 0);
    cr_assert_eq(r->outcome, PLUGSUP_OUTCOME_OK, "run %d: %s", i, r->message);
    plugsup_result_free(r);
  }
  cr_assert_eq(zygotes(NULL), 1);
  pid_t again = holder();
  cr_assert(again != 0 && again != h);
  plugsup_plugin_free(p);
  plugsup_supervisor_free(s);
  assert_no_children();
}

/* Runs already forked are the supervisor's children, not the zygote's:
** they finish; the runs after them get a new zygote. */
Test(zygote, a_zygote_killed_in_the_middle_of_100_jobs_costs_none) {
  int fds = open_fd_count(), done = 0, ok = 0; /* before the plugin's fd */
  plugsup_supervisor *s = zygote_sup(REAL_WORKER, 8, 20000);
  plugsup_plugin *p = fixture(FIX "busy.wasm");
  plugsup_run_options o = run_opts(PLUGSUP_MODE_INVOKE);
  plugsup_value n = {.type = PLUGSUP_I32, .of.i32 = 200000};
  plugsup_job *job;
  o.export_name = "run";
  o.args = &n;
  o.nargs = 1;
  for (int i = 0; i < 100; i++)
    cr_assert_eq(plugsup_submit(s, p, &o, &job), PLUGSUP_OK);
  while (plugsup_wait_any(s, -1, &job) == PLUGSUP_OK) {
    plugsup_result *r;
    cr_assert_eq(plugsup_job_take(job, &r), PLUGSUP_OK);
    ok += r->outcome == PLUGSUP_OUTCOME_OK;
    plugsup_result_free(r);
    pid_t z;
    if (++done == 30 && zygotes(&z) == 1)
      cr_assert_eq(kill(z, SIGKILL), 0);
  }
  cr_assert_eq(done, 100);
  cr_assert_eq(ok, 100);
  plugsup_plugin_free(p);
  plugsup_supervisor_free(s);
  cr_assert_eq(open_fd_count(), fds);
  assert_no_children();
}

/* ---- what a zygote cannot load, or cannot do, falls back to exec ---- */

Test(zygote, a_module_a_zygote_cannot_load_fails_as_when_execd) {
  plugsup_supervisor *z = zygote_sup(REAL_WORKER, 1, 5000);
  plugsup_supervisor *e = sup_on(REAL_WORKER, 1, 5000);
  static const char bad[] = "\0asm\1\0\0\0\1\5not a section";
  plugsup_plugin *p = NULL;
  cr_assert_eq(plugsup_plugin_from_bytes(bad, sizeof bad - 1, &p), PLUGSUP_OK);
  plugsup_result *rz = invoke(z, p, "f", NULL, 0);
  plugsup_supervisor_free(e);
  e = NULL;
  plugsup_config cfg;
  plugsup_config_init(&cfg);
  cfg.worker_path = REAL_WORKER;
  cfg.spawn = PLUGSUP_SPAWN_EXEC;
  cr_assert_eq(plugsup_supervisor_new(&cfg, &e), PLUGSUP_OK);
  plugsup_result *re = invoke(e, p, "f", NULL, 0);
  cr_assert_eq(rz->outcome, PLUGSUP_OUTCOME_INVALID_MODULE, "%s", rz->message);
  cr_assert_eq(rz->outcome, re->outcome);
  cr_assert_str_eq(rz->message, re->message);
  cr_assert_eq(zygotes(NULL), 0);
  plugsup_result_free(rz);
  plugsup_result_free(re);
  plugsup_plugin_free(p);
  plugsup_supervisor_free(z);
  plugsup_supervisor_free(e);
  assert_no_children();
}

/* A fake zygote breaks the control protocol one way; the supervisor ends
** it, tries one more, then execs the run (the fake is an honest worker
** when exec'd: START ends in EXIT with argc). Nothing it sent is kept. */
static void expect_fallback(const char *worker) {
  int fds = open_fd_count();
  plugsup_supervisor *s = zygote_sup(worker, 1, 10000);
  plugsup_plugin *p = plugin_bytes("any bytes: the fake never reads them");
  plugsup_result *r = NULL;
  cr_assert_eq(plugsup_run(s, p, NULL, &r), PLUGSUP_OK);
  cr_assert_eq(r->outcome, PLUGSUP_OUTCOME_EXIT, "%s: %s (%s)", worker,
               plugsup_outcome_name(r->outcome), r->message);
  plugsup_result_free(r);
  cr_assert_eq(plugsup_run(s, p, NULL, &r), PLUGSUP_OK);
  cr_assert_eq(r->outcome, PLUGSUP_OUTCOME_EXIT, "%s", r->message);
  plugsup_result_free(r);
  plugsup_plugin_free(p);
  plugsup_supervisor_free(s);
  cr_assert_eq(open_fd_count(), fds);
  assert_no_children();
}

Test(zygote, a_garbage_hello_falls_back_to_exec) {
  expect_fallback(FAKE("zygote-garbage"));
}
Test(zygote, descriptors_nobody_asked_for_are_closed) {
  expect_fallback(FAKE("zygote-fdflood"));
}
Test(zygote, a_pidfd_of_a_stranger_is_refused) {
  expect_fallback(FAKE("zygote-stranger"));
}
Test(zygote, an_answer_to_another_fork_is_refused) {
  expect_fallback(FAKE("zygote-wrongid"));
}
Test(zygote, a_zygote_that_never_forks_is_given_up) {
  expect_fallback(FAKE("zygote-mute"));
}
/* A slow zygote (a loaded machine) forks a child of ours and answers
** after the supervisor gave up on it: that child is found and reaped when
** the zygote is ended, never left unknown (in a pid namespace, whose
** holder could not exit while it was there, that hung the supervisor). */
Test(zygote, a_fork_answered_too_late_leaves_no_child) {
  expect_fallback(FAKE("zygote-late"));
}

/* ---- many runs leave nothing behind ---- */

Test(zygote, three_hundred_runs_leave_no_descriptor_or_process) {
  plugsup_supervisor *s = zygote_sup(REAL_WORKER, 4, 5000);
  plugsup_plugin *p = fixture(FIX "secret.wasm");
  plugsup_result_free(invoke(s, p, "find", NULL, 0));
  int fds = open_fd_count();
  for (int i = 0; i < 300; i++) {
    plugsup_result *r = invoke(s, p, "find", NULL, 0);
    cr_assert_eq(r->outcome, PLUGSUP_OUTCOME_OK, "%s", r->message);
    plugsup_result_free(r);
  }
  cr_assert_eq(open_fd_count(), fds);
  cr_assert_eq(zygotes(NULL), 1);
  plugsup_plugin_free(p);
  plugsup_supervisor_free(s);
  assert_no_children();
}
