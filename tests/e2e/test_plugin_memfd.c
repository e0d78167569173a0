/*
** test_plugin_memfd.c: a plugin's bytes live in a sealed memfd that
** zygotes and exec'd workers get (supervisor/plugin.c): what a run sees
** is what was loaded, whatever happens to the file afterwards and
** whatever a worker holding the memfd does; and where the kernel refuses
** a memfd or copying in the kernel, plugins work all the same.
*/
#include <fcntl.h>
#include <seccomp.h>
#include <unistd.h>

#include "helpers.h"

#define FIX E2E_DIR "/fixtures/"
#define FAKE(mode) E2E_DIR "/fake-worker-" mode

static plugsup_plugin *load(const char *path) {
  plugsup_plugin *p = NULL;
  cr_assert_eq(plugsup_plugin_load_file(path, &p), PLUGSUP_OK, "%s",
               plugsup_errmsg());
  return p;
}

static uint8_t *read_whole(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  uint8_t *buf;
  long n;
  cr_assert_not_null(f, "%s", path);
  cr_assert_eq(fseek(f, 0, SEEK_END), 0);
  n = ftell(f);
  rewind(f);
  buf = malloc((size_t)n);
  cr_assert_not_null(buf);
  cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
  fclose(f);
  *len = (size_t)n;
  return buf;
}

/* outcomes.wasm's add(2, 3), on a supervisor of the real worker started
** the way $PLUGSUP_SPAWN says (the test is registered for both). */
static void expect_add(plugsup_plugin *p) {
  plugsup_supervisor *s = sup_on(REAL_WORKER, 1, 5000);
  plugsup_value args[2] = {{.type = PLUGSUP_I32, .of.i32 = 2},
                           {.type = PLUGSUP_I32, .of.i32 = 3}};
  plugsup_run_options o = run_opts(PLUGSUP_MODE_INVOKE);
  plugsup_result *r = NULL;
  o.export_name = "add";
  o.args = args;
  o.nargs = 2;
  for (int i = 0; i < 2; i++) { /* a zygote's first run, then a fork */
    cr_assert_eq(plugsup_run(s, p, &o, &r), PLUGSUP_OK, "%s",
                 plugsup_errmsg());
    cr_assert_eq(r->outcome, PLUGSUP_OUTCOME_OK, "%s: %s",
                 plugsup_outcome_name(r->outcome), r->message);
    cr_assert_eq(r->values[0].of.i32, 5);
    plugsup_result_free(r);
  }
  plugsup_supervisor_free(s);
}

Test(memfd, a_file_changed_after_load_still_runs_the_bytes_as_loaded) {
  char path[] = "/tmp/plugsup-memfd-XXXXXX";
  size_t len;
  uint8_t *bytes = read_whole(FIX "outcomes.wasm", &len);
  int fd = mkstemp(path);
  cr_assert_geq(fd, 0);
  cr_assert_eq(write(fd, bytes, len), (ssize_t)len);
  plugsup_plugin *p = load(path);
  /* The same file, rewritten in place: shorter, and not wasm. */
  cr_assert_eq(ftruncate(fd, 0), 0);
  cr_assert_eq(pwrite(fd, "not wasm", 8, 0), 8);
  close(fd);
  unlink(path);
  expect_add(p);
  plugsup_plugin_free(p);
  free(bytes);
}

/* A worker that holds the memfd with every right an unsandboxed process
** has (fake_worker.c 'modattack') cannot change it, not for itself, not
** for the supervisor, not for the next run. */
static void expect_attack_refused(plugsup_plugin *p) {
  plugsup_supervisor *s = sup_on(FAKE("modattack"), 1, 5000);
  plugsup_run_options o = run_opts(PLUGSUP_MODE_START);
  plugsup_result *r = NULL;
  cr_assert_eq(plugsup_run(s, p, &o, &r), PLUGSUP_OK, "%s", plugsup_errmsg());
  cr_assert_eq(r->outcome, PLUGSUP_OUTCOME_EXIT, "%s: %s",
               plugsup_outcome_name(r->outcome), r->message);
  cr_assert_eq(r->exit_code, 0, "attacks that worked: %d", r->exit_code);
  plugsup_result_free(r);
  plugsup_supervisor_free(s);
  expect_add(p);
}

Test(memfd, a_worker_holding_a_loaded_plugins_memfd_cannot_change_it) {
  plugsup_plugin *p = load(FIX "outcomes.wasm");
  expect_attack_refused(p);
  plugsup_plugin_free(p);
}

Test(memfd, a_worker_holding_a_plugin_from_bytes_memfd_cannot_change_it) {
  size_t len;
  uint8_t *bytes = read_whole(FIX "outcomes.wasm", &len);
  plugsup_plugin *p = NULL;
  cr_assert_eq(plugsup_plugin_from_bytes(bytes, len, &p), PLUGSUP_OK);
  free(bytes);
  expect_attack_refused(p);
  plugsup_plugin_free(p);
}

/* From here on the calls answer ENOSYS, in this test's process and in
** every process it starts, as under an old kernel or an embedder's own
** seccomp filter. */
static void refuse(const int *calls, size_t n) {
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
  cr_assert_not_null(ctx);
  for (size_t i = 0; i < n; i++)
    cr_assert_eq(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), calls[i], 0),
                 0);
  cr_assert_eq(seccomp_load(ctx), 0);
  seccomp_release(ctx);
}

/* Then a plugin is a malloc'd copy (no descriptor is held), its runs
** carry the module in their frame, and it has no zygote: its runs exec. */
Test(memfd, plugins_work_where_the_kernel_refuses_memfd) {
  const int calls[] = {SCMP_SYS(memfd_create)};
  size_t len;
  uint8_t *bytes = read_whole(FIX "outcomes.wasm", &len);
  plugsup_plugin *p = NULL, *q = NULL;
  refuse(calls, 1);
  int fds = open_fd_count();
  p = load(FIX "outcomes.wasm");
  cr_assert_eq(plugsup_plugin_from_bytes(bytes, len, &q), PLUGSUP_OK, "%s",
               plugsup_errmsg());
  cr_assert_eq(open_fd_count(), fds, "no memfd behind either plugin");
  expect_add(p);
  expect_add(q);
  plugsup_plugin_free(p);
  plugsup_plugin_free(q);
  free(bytes);
}

/* Then the file comes into the memfd through a buffer. */
Test(memfd, plugins_load_where_the_kernel_refuses_to_copy_files) {
  const int calls[] = {SCMP_SYS(copy_file_range), SCMP_SYS(sendfile)};
  refuse(calls, 2);
  int fds = open_fd_count();
  plugsup_plugin *p = load(FIX "outcomes.wasm");
  cr_assert_eq(open_fd_count(), fds + 1, "the plugin's memfd");
  expect_add(p);
  plugsup_plugin_free(p);
}
