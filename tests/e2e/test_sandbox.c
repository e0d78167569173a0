/*
** test_sandbox.c: forbidden system calls from inside a real worker
** (plugsup-worker-subverted makes them from native code when a Run names
** "__subvert:<what>"). Each must be reported as a sandbox violation naming
** the call, and the same supervisor must go on serving runs. Also what the
** worker really has, as it recorded it just before its filter: its
** namespaces, its credentials, the clocks it may read, and calls the
** filter allows but the kernel must refuse to an unprivileged process.
*/
#include <signal.h>
#include <unistd.h>

#include "helpers.h"

#define SUBVERTED PLUGSUP_BUILD_DIR "/bin/plugsup-worker-subverted"

static plugsup_result *subvert(plugsup_supervisor *s, const char *what) {
  char name[64];
  snprintf(name, sizeof name, "__subvert:%s", what);
  /* The empty module: the hook runs before it loads in an exec'd worker,
  ** but a zygote loads it first, so it must be one. */
  plugsup_plugin *p = NULL;
  cr_assert_eq(plugsup_plugin_from_bytes("\0asm\1\0\0\0", 8, &p), PLUGSUP_OK);
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
/* Another process's CPU clock (a negative clock id encoding its pid)
** would let a worker find which pids exist on the host. */
Test(sandbox, cpu_clock_of_pid_1) { expect_violation("clock_pid1", "clock_gettime"); }
Test(sandbox, cpu_clock_of_parent) {
  expect_violation("clock_parent", "clock_gettime");
}
Test(sandbox, cpu_clock_resolution_of_parent) {
  expect_violation("clock_getres_parent", "clock_getres");
}
/* poll_oneoff sleeps with clock_nanosleep on the monotonic clock: no
** other clock, not another process's CPU clock, not the wall clock. */
Test(sandbox, sleep_on_parent_cpu_clock) {
  expect_violation("sleep_parent_clock", "clock_nanosleep");
}
Test(sandbox, sleep_on_realtime_clock) {
  expect_violation("sleep_realtime", "clock_nanosleep");
}

/* The four clocks WASI names still answer as system calls. */
Test(sandbox, allowed_clocks_answer) {
  plugsup_supervisor *s = sup_on(SUBVERTED, 1, 5000);
  plugsup_result *r = subvert(s, "clocks");
  cr_assert_eq(r->outcome, PLUGSUP_OUTCOME_OK, "%s", r->message);
  cr_assert_str_eq(r->message, "0/0 0/0 0/0 0/0");
  plugsup_result_free(r);
  plugsup_supervisor_free(s);
}

/* The x32 ABI is killed by the filter's architecture guard before any
** handler runs: SIGSYS alone, so the call cannot be named. */
Test(sandbox, x32_abi) { expect_violation("x32", "unknown"); }

/* ---- what the worker really entered, as /proc/self/ns shows it ---- */

static plugsup_supervisor *sup_namespaces(bool no_namespaces) {
  plugsup_config cfg;
  plugsup_supervisor *s = NULL;
  plugsup_config_init(&cfg);
  cfg.worker_path = SUBVERTED;
  cfg.no_namespaces = no_namespaces;
  cr_assert_eq(plugsup_supervisor_new(&cfg, &s), PLUGSUP_OK, "%s",
               plugsup_errmsg());
  return s;
}

/* The link named 'ns' (e.g. "net:[4026531840]") in the worker's list. */
static void worker_ns_link(const char *list, const char *ns, char *out,
                           size_t cap) {
  char key[16];
  const char *at, *end;
  snprintf(key, sizeof key, "%s:[", ns);
  at = strstr(list, key);
  cr_assert_not_null(at, "no %s in '%s'", ns, list);
  end = strchr(at, ' ');
  snprintf(out, cap, "%.*s", (int)(end ? end - at : (long)strlen(at)), at);
}

/* A reported bit is a namespace the worker is really in (its inode
** differs from ours); an unreported one is ours. An exec'd worker never
** reports PID: it cannot enter one without forking. A zygote's child is
** in the one its zygote made, with the rest. */
static void expect_namespaces_as_reported(bool no_namespaces) {
  static const struct {
    const char *name;
    unsigned bit;
  } ns[] = {{"user", PLUGSUP_NS_USER}, {"net", PLUGSUP_NS_NET},
            {"ipc", PLUGSUP_NS_IPC},   {"mnt", PLUGSUP_NS_MOUNT},
            {"pid", PLUGSUP_NS_PID}};
  plugsup_supervisor *s = sup_namespaces(no_namespaces);
  plugsup_result *r = subvert(s, "namespaces");
  cr_assert_eq(r->outcome, PLUGSUP_OUTCOME_OK, "%s", r->message);
  if (plugsup_supervisor_spawn(s) == PLUGSUP_SPAWN_EXEC)
    cr_assert_eq(r->namespaces & PLUGSUP_NS_PID, 0u, "reported %#x",
                 r->namespaces);
  else if (r->namespaces & PLUGSUP_NS_NET)
    cr_assert_neq(r->namespaces & PLUGSUP_NS_PID, 0u, "reported %#x",
                  r->namespaces);
  if (no_namespaces)
    cr_assert_eq(r->namespaces, 0u);
  for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++) {
    char path[32], ours[48] = "", theirs[48];
    snprintf(path, sizeof path, "/proc/self/ns/%s", ns[i].name);
    cr_assert_gt(readlink(path, ours, sizeof ours - 1), 0);
    worker_ns_link(r->message, ns[i].name, theirs, sizeof theirs);
    if (r->namespaces & ns[i].bit)
      cr_expect_str_neq(theirs, ours, "%s reported, not entered", ns[i].name);
    else
      cr_expect_str_eq(theirs, ours, "%s entered, not reported", ns[i].name);
  }
  plugsup_result_free(r);
  plugsup_supervisor_free(s);
}

Test(sandbox, reported_namespaces_are_the_ones_entered) {
  expect_namespaces_as_reported(false);
}
Test(sandbox, no_namespaces_leaves_the_worker_in_ours) {
  expect_namespaces_as_reported(true);
}

/* ---- privileges: what the worker kept, read back before its filter ---- */

/* No uid 0, no group, no capability in any set. As root the worker became
** nobody (the default --uid/--gid), or nobody inside its user namespace;
** either way it had CAP_SETPCAP first, so its bounding set is empty and
** its securebits are locked (0xeb: noroot, no ambient raise, keep-caps
** off, setuid fixup on, each locked). Without root and without a user
** namespace it keeps its uid and could not touch either. */
static void expect_unprivileged(bool no_namespaces) {
  plugsup_supervisor *s = sup_namespaces(no_namespaces);
  plugsup_result *r = subvert(s, "creds");
  unsigned uid, gid, groups, secbits;
  int same;
  unsigned long long eff, prm, inh, bnd, amb;
  cr_assert_eq(r->outcome, PLUGSUP_OUTCOME_OK, "%s", r->message);
  cr_assert_eq(sscanf(r->message,
                      "uid %u gid %u same %d groups %u eff %llx prm %llx "
                      "inh %llx bnd %llx amb %llx secbits %x",
                      &uid, &gid, &same, &groups, &eff, &prm, &inh, &bnd, &amb,
                      &secbits),
               10, "%s", r->message);
  cr_expect_eq(eff | prm | inh | amb, 0ull, "%s", r->message);
  cr_expect_eq(same, 1, "%s", r->message);
  if (geteuid() == 0 || (r->namespaces & PLUGSUP_NS_USER)) {
    cr_expect_str_eq(r->message, "uid 65534 gid 65534 same 1 groups 0 eff 0 "
                                 "prm 0 inh 0 bnd 0 amb 0 secbits eb");
  } else {
    cr_expect_eq(uid, (unsigned)geteuid(), "%s", r->message);
    cr_expect_neq(uid, 0u);
  }
  plugsup_result_free(r);
  plugsup_supervisor_free(s);
}

Test(sandbox, worker_keeps_no_privilege) { expect_unprivileged(false); }
Test(sandbox, worker_keeps_no_privilege_without_namespaces) {
  expect_unprivileged(true);
}

/* The filter allows mmap without PROT_EXEC, so the kernel must refuse
** what only privilege allows: mapping page 0 (below vm.mmap_min_addr,
** needs CAP_SYS_RAWIO) and locking 64 MiB (RLIMIT_MEMLOCK is 0, needs
** CAP_IPC_LOCK). EPERM both, and the filter lets them through, hence
** "ALLOWED". mlock itself is not on the allow-list. */
static void expect_refused(const char *what, bool no_namespaces) {
  char want[96];
  plugsup_supervisor *s = sup_namespaces(no_namespaces);
  plugsup_result *r = subvert(s, what);
  snprintf(want, sizeof want, "ALLOWED: %s returned -1 (errno %d)", what, EPERM);
  cr_assert_eq(r->outcome, PLUGSUP_OUTCOME_OK, "%s", r->message);
  cr_assert_str_eq(r->message, want);
  plugsup_result_free(r);
  plugsup_supervisor_free(s);
}

Test(sandbox, page_zero_cannot_be_mapped) {
  expect_refused("mmap_page0", false);
  expect_refused("mmap_page0", true);
}
Test(sandbox, memory_cannot_be_locked_by_mmap) {
  expect_refused("mmap_locked", false);
  expect_refused("mmap_locked", true);
}
Test(sandbox, mlock) { expect_violation("mlock", "mlock"); }
