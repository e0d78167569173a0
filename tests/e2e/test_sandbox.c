/*
** test_sandbox.c: forbidden system calls from inside a real worker
** (plugsup-worker-subverted makes them from native code when a Run names
** "__subvert:<what>"). Each must be reported as a sandbox violation naming
** the call, and the same supervisor must go on serving runs.
*/
#include <signal.h>

#include "helpers.h"

#define SUBVERTED PLUGSUP_BUILD_DIR "/bin/plugsup-worker-subverted"

static plugsup_result *subvert(plugsup_supervisor *s, const char *what) {
  char name[64];
  snprintf(name, sizeof name, "__subvert:%s", what);
  plugsup_plugin *p = plugin_bytes("not wasm: the hook runs first");
  plugsup_run_options o = run_opts(PLUGSUP_MODE_INVOKE);
  plugsup_result *r = NULL;
  o.export_name = name;
  cr_assert_eq(plugsup_run(s, p, &o, &r), PLUGSUP_OK, "%s", plugsup_errmsg());
  plugsup_plugin_free(p);
  return r;
}

/* The worker's open fds are its two pipes; a sanitized worker also keeps
** the standard ones so that its reports can be read. */
static void expect_only_pipes(const char *fds) {
#ifdef __SANITIZE_ADDRESS__
  size_t n = strlen(fds);
  cr_assert(n >= 3 && strcmp(fds + n - 3, "3 4") == 0, "fds: %s", fds);
  cr_assert(strspn(fds, "012 ") >= n - 3, "fds: %s", fds);
#else
  cr_assert_str_eq(fds, "3 4");
#endif
}

/* After each violation the supervisor still runs an honest request. */
static void expect_violation(const char *what, const char *syscall) {
  int fds = open_fd_count();
  plugsup_supervisor *s = sup_on(SUBVERTED, 2, 5000);
  plugsup_result *r = subvert(s, what);
  cr_assert_eq(r->outcome, PLUGSUP_OUTCOME_SANDBOX_VIOLATION,
               "%s: outcome %s (%s)", what, plugsup_outcome_name(r->outcome),
               r->message);
  cr_assert_str_eq(r->syscall, syscall, "%s", what);
  if (strcmp(syscall, "unknown") != 0)
    cr_assert_geq(r->syscall_number, 0);
  plugsup_result_free(r);
  r = subvert(s, "list_fds");
  cr_assert_eq(r->outcome, PLUGSUP_OUTCOME_OK, "%s", r->message);
  expect_only_pipes(r->message);
  plugsup_result_free(r);
  plugsup_supervisor_free(s);
  cr_assert_eq(open_fd_count(), fds);
  assert_no_children();
}

Test(sandbox, openat) { expect_violation("openat", "openat"); }
Test(sandbox, socket) { expect_violation("socket", "socket"); }
Test(sandbox, execve) { expect_violation("execve", "execve"); }
Test(sandbox, fork) { expect_violation("fork", "fork"); }
Test(sandbox, clone) { expect_violation("clone", "clone"); }
Test(sandbox, ptrace) { expect_violation("ptrace", "ptrace"); }
Test(sandbox, kill) { expect_violation("kill_parent", "kill"); }
Test(sandbox, mmap_exec) { expect_violation("mmap_exec", "mmap"); }
Test(sandbox, mprotect_exec) { expect_violation("mprotect_exec", "mprotect"); }
Test(sandbox, write_stdout) { expect_violation("write_stdout", "write"); }
Test(sandbox, read_foreign_fd) { expect_violation("read_fd5", "read"); }
Test(sandbox, read_stdin) { expect_violation("read_fd0", "read"); }
Test(sandbox, write_request_pipe) {
  expect_violation("write_request_fd", "write");
}
/* The x32 ABI is killed by the filter's architecture guard before any
** handler runs: SIGSYS alone, so the call cannot be named. */
Test(sandbox, x32_abi) { expect_violation("x32", "unknown"); }
