/*
** test_worker.c: the worker binary, spoken to directly over its fds 3 and
** 4 the way the supervisor does: the sandbox as seen from outside (/proc,
** exit statuses), every forbidden call of the subverted worker, and the
** conversation's error paths.
*/
#define _GNU_SOURCE
#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "frame.h"
#include "worker_harness.h"

Test(worker, hello_comes_first_with_the_protocol_version) {
  worker_proc w;
  Plugsup__Envelope *hello;

  worker_spawn(&w, WORKER_BIN, NULL);
  hello = worker_expect(&w, PLUGSUP__ENVELOPE__MSG_HELLO);
  cr_assert_eq(hello->hello->protocol_version, FRAME_PROTOCOL_VERSION);
  frame_free(hello);
  /* No Run: the request pipe just closes. */
  worker_close_request(&w);
  cr_assert_eq(worker_wait(&w), WORKER_EXITED(PLUGSUP_WORKER_EXIT_PROTOCOL));
}

Test(worker, namespaces_are_skipped_when_asked) {
  worker_proc w;
  Plugsup__Envelope *hello;
  const char *args[] = {"--no-namespaces", NULL};

  worker_spawn(&w, WORKER_BIN, args);
  hello = worker_expect(&w, PLUGSUP__ENVELOPE__MSG_HELLO);
  cr_assert_eq(hello->hello->namespaces, 0);
  frame_free(hello);
  worker_close_request(&w);
  cr_assert_eq(worker_wait(&w), WORKER_EXITED(PLUGSUP_WORKER_EXIT_PROTOCOL));
}

/* Read one line of /proc/<pid>/<file> that starts with 'key'. */
static int proc_line(pid_t pid, const char *file, const char *key, char *out,
                     size_t cap) {
  char path[64], line[256];
  FILE *f;
  int found = 0;

  snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, file);
  if ((f = fopen(path, "r")) == NULL)
    return 0;
  while (!found && fgets(line, sizeof line, f) != NULL)
    if (strncmp(line, key, strlen(key)) == 0) {
      snprintf(out, cap, "%s", line + strlen(key));
      found = 1;
    }
  fclose(f);
  return found;
}

/* Squeeze runs of blanks to one space and trim both ends, for comparing
** /proc tables. */
static void squeeze(char *s) {
  char *d = s;
  for (char *p = s; *p; p++) {
    int blank = *p == ' ' || *p == '\t' || *p == '\n';
    if (!blank)
      *d++ = *p;
    else if (d != s && d[-1] != ' ')
      *d++ = ' ';
  }
  if (d != s && d[-1] == ' ')
    d--;
  *d = 0;
}

static void expect_limit(pid_t pid, const char *key, const char *want) {
  char got[128];
  cr_assert(proc_line(pid, "limits", key, got, sizeof got), "no %s", key);
  squeeze(got);
  cr_expect_str_eq(got, want, "%s: '%s', wanted '%s'", key, got, want);
}

/* After Hello the whole sandbox is in place: look at it from outside. */
Test(worker, sandbox_is_visible_in_proc_after_hello) {
  worker_proc w;
  Plugsup__Envelope *hello;
  const char *args[] = {"--memory", "1048576", "--cpu", "7", NULL};
  char got[128];

  worker_spawn(&w, WORKER_BIN, args);
  hello = worker_expect(&w, PLUGSUP__ENVELOPE__MSG_HELLO);
  frame_free(hello);
  cr_assert(proc_line(w.pid, "status", "Seccomp:", got, sizeof got));
  cr_expect_eq(atoi(got), 2, "seccomp filter mode");
  cr_assert(proc_line(w.pid, "status", "Seccomp_filters:", got, sizeof got));
  cr_expect_eq(atoi(got), 2, "ABI guard + allow-list");
  cr_assert(proc_line(w.pid, "status", "NoNewPrivs:", got, sizeof got));
  cr_expect_eq(atoi(got), 1);
  cr_assert(proc_line(w.pid, "status", "SigBlk:", got, sizeof got));
  squeeze(got);
  cr_expect_str_eq(got, "0000000000000000", "no signal blocked");
  expect_limit(w.pid, "Max file size", "0 0 bytes");
  expect_limit(w.pid, "Max processes", "0 0 processes");
  expect_limit(w.pid, "Max core file size", "0 0 bytes");
  expect_limit(w.pid, "Max open files", "5 5 files");
  expect_limit(w.pid, "Max cpu time", "7 8 seconds");
  expect_limit(w.pid, "Max stack size", "8388608 8388608 bytes");
  cr_expect_eq(getsid(w.pid), w.pid, "leads its own session");
  if (!WORKER_SANITIZED_BUILD)
    expect_limit(w.pid, "Max address space", "1074790400 1074790400 bytes");
  worker_close_request(&w);
  cr_assert_eq(worker_wait(&w), WORKER_EXITED(PLUGSUP_WORKER_EXIT_PROTOCOL));
}

/* ---- credentials: Hello's facts, and /proc's view from outside ---- */

static void expect_status(pid_t pid, const char *key, const char *want) {
  char got[128];
  cr_assert(proc_line(pid, "status", key, got, sizeof got), "no %s", key);
  squeeze(got);
  cr_expect_str_eq(got, want, "%s '%s', wanted '%s'", key, got, want);
}

/* Started as root with --uid/--gid, the worker is those ids outside with
** no group and every capability set empty; Hello says the same from
** inside: 65534 in its user namespace, the given ids without one. */
static void expect_dropped(const char *const *args) {
  worker_proc w;
  Plugsup__Envelope *env;
  const Plugsup__Hello *h;
  int in_user_ns;

  if (geteuid() != 0)
    cr_skip_test("the worker only changes ids when started as root");
  worker_spawn(&w, WORKER_BIN, args);
  env = worker_expect(&w, PLUGSUP__ENVELOPE__MSG_HELLO);
  h = env->hello;
  in_user_ns = (h->namespaces & PLUGSUP__NAMESPACE__NS_USER) != 0;
  cr_expect_eq(h->uid, in_user_ns ? 65534u : 4242u);
  cr_expect_eq(h->gid, in_user_ns ? 65534u : 4243u);
  cr_expect_eq(h->groups, 0u);
  cr_expect_eq(h->cap_effective, 0u);
  cr_expect_eq(h->cap_permitted, 0u);
  cr_expect_eq(h->cap_inheritable, 0u);
  cr_expect_eq(h->cap_bounding, 0u);
  cr_expect_eq(h->cap_ambient, 0u);
  frame_free(env);
  expect_status(w.pid, "Uid:", "4242 4242 4242 4242");
  expect_status(w.pid, "Gid:", "4243 4243 4243 4243");
  expect_status(w.pid, "Groups:", "");
  expect_status(w.pid, "CapInh:", "0000000000000000");
  expect_status(w.pid, "CapPrm:", "0000000000000000");
  expect_status(w.pid, "CapEff:", "0000000000000000");
  expect_status(w.pid, "CapBnd:", "0000000000000000");
  expect_status(w.pid, "CapAmb:", "0000000000000000");
  worker_close_request(&w);
  cr_assert_eq(worker_wait(&w), WORKER_EXITED(PLUGSUP_WORKER_EXIT_PROTOCOL));
}

Test(worker, root_becomes_the_given_ids_with_no_capability) {
  const char *args[] = {"--uid", "4242", "--gid", "4243", NULL};
  expect_dropped(args);
}

Test(worker, root_becomes_the_given_ids_without_namespaces) {
  const char *args[] = {"--uid", "4242", "--gid", "4243", "--no-namespaces",
                        NULL};
  expect_dropped(args);
}

/* No --uid/--gid: nobody and nogroup. */
Test(worker, root_becomes_nobody_by_default) {
  worker_proc w;
  const char *args[] = {"--no-namespaces", NULL};
  Plugsup__Envelope *env;

  if (geteuid() != 0)
    cr_skip_test("the worker only changes ids when started as root");
  worker_spawn(&w, WORKER_BIN, args);
  env = worker_expect(&w, PLUGSUP__ENVELOPE__MSG_HELLO);
  cr_expect_eq(env->hello->uid, 65534u);
  cr_expect_eq(env->hello->gid, 65534u);
  frame_free(env);
  expect_status(w.pid, "Uid:", "65534 65534 65534 65534");
  expect_status(w.pid, "Gid:", "65534 65534 65534 65534");
  worker_close_request(&w);
  cr_assert_eq(worker_wait(&w), WORKER_EXITED(PLUGSUP_WORKER_EXIT_PROTOCOL));
}

/* The test leaves fds 5 and 9 open across exec, and starts the worker
** with SIGSYS blocked and ignored: none of it may survive into the run. */
Test(worker, only_the_two_pipes_stay_open) {
  worker_proc w;
  Plugsup__Envelope *res;

  worker_spawn(&w, SUBVERTED_BIN, NULL);
  frame_free(worker_expect(&w, PLUGSUP__ENVELOPE__MSG_HELLO));
  worker_send_run(&w, PLUGSUP__RUN__MODE__INVOKE, "__subvert:list_fds");
  res = worker_expect(&w, PLUGSUP__ENVELOPE__MSG_RESULT);
  cr_assert_eq(res->result->outcome, PLUGSUP__OUTCOME__OK);
  cr_assert_str_eq(res->result->message, WORKER_SANITIZED_BUILD ? "2 3 4" : "3 4");
  frame_free(res);
  cr_assert_eq(worker_wait(&w), WORKER_EXITED(0));
}

/* One forbidden call: a SandboxViolation naming it, then death by SIGSYS. */
static void expect_violation(const char *what, const char *syscall_name) {
  worker_proc w;
  Plugsup__Envelope *v;
  char export_name[64];

  snprintf(export_name, sizeof export_name, "__subvert:%s", what);
  worker_spawn(&w, SUBVERTED_BIN, NULL);
  frame_free(worker_expect(&w, PLUGSUP__ENVELOPE__MSG_HELLO));
  worker_send_run(&w, PLUGSUP__RUN__MODE__INVOKE, export_name);
  v = worker_expect(&w, PLUGSUP__ENVELOPE__MSG_SANDBOX_VIOLATION);
  cr_assert_str_eq(v->sandbox_violation->syscall_name, syscall_name, "%s", what);
  frame_free(v);
  worker_expect_eof(&w);
  cr_assert_eq(worker_wait(&w), WORKER_KILLED(SIGSYS), "%s", what);
}

Test(subverted, openat) { expect_violation("openat", "openat"); }
Test(subverted, socket) { expect_violation("socket", "socket"); }
Test(subverted, execve) { expect_violation("execve", "execve"); }
Test(subverted, clone) { expect_violation("clone", "clone"); }
#ifdef __x86_64__
Test(subverted, fork) { expect_violation("fork", "fork"); }
#endif
Test(subverted, ptrace) { expect_violation("ptrace", "ptrace"); }
Test(subverted, kill_parent) { expect_violation("kill_parent", "kill"); }
Test(subverted, getppid) { expect_violation("getppid", "getppid"); }
Test(subverted, mmap_exec) { expect_violation("mmap_exec", "mmap"); }
Test(subverted, mprotect_exec) { expect_violation("mprotect_exec", "mprotect"); }
Test(subverted, write_stdout) { expect_violation("write_stdout", "write"); }
Test(subverted, write_request_fd) { expect_violation("write_request_fd", "write"); }
Test(subverted, read_fd0) { expect_violation("read_fd0", "read"); }
Test(subverted, read_fd5) { expect_violation("read_fd5", "read"); }

#ifdef __x86_64__
/* The ABI guard kills outright: no handler, no frame, still SIGSYS. */
Test(subverted, x32_syscall_is_killed_without_report) {
  worker_proc w;
  worker_spawn(&w, SUBVERTED_BIN, NULL);
  frame_free(worker_expect(&w, PLUGSUP__ENVELOPE__MSG_HELLO));
  worker_send_run(&w, PLUGSUP__RUN__MODE__INVOKE, "__subvert:x32");
  worker_expect_eof(&w);
  cr_assert_eq(worker_wait(&w), WORKER_KILLED(SIGSYS));
}

/* The i386 ABI (int 0x80) on x86_64: killed by the guard, no report. A
** kernel without 32-bit emulation answers int 0x80 with SIGSEGV instead. */
Test(subverted, i386_syscall_is_killed_without_report) {
  worker_proc w;
  int status;
  worker_spawn(&w, SUBVERTED_BIN, NULL);
  frame_free(worker_expect(&w, PLUGSUP__ENVELOPE__MSG_HELLO));
  worker_send_run(&w, PLUGSUP__RUN__MODE__INVOKE, "__subvert:int80");
  worker_expect_eof(&w);
  status = worker_wait(&w);
  cr_assert(status == WORKER_KILLED(SIGSYS) || status == WORKER_KILLED(SIGSEGV),
            "status %#x", status);
}
#endif

Test(subverted, unknown_subversion_is_a_bad_request) {
  worker_proc w;
  Plugsup__Envelope *res;
  worker_spawn(&w, SUBVERTED_BIN, NULL);
  frame_free(worker_expect(&w, PLUGSUP__ENVELOPE__MSG_HELLO));
  worker_send_run(&w, PLUGSUP__RUN__MODE__INVOKE, "__subvert:nothing");
  res = worker_expect(&w, PLUGSUP__ENVELOPE__MSG_RESULT);
  cr_assert_eq(res->result->outcome, PLUGSUP__OUTCOME__BAD_REQUEST);
  frame_free(res);
  cr_assert_eq(worker_wait(&w), WORKER_EXITED(0));
}

/* The installed worker has no subversions: the name is just an export. */
Test(worker, release_worker_ignores_subvert_requests) {
  worker_proc w;
  Plugsup__Envelope *res;
  worker_spawn(&w, WORKER_BIN, NULL);
  frame_free(worker_expect(&w, PLUGSUP__ENVELOPE__MSG_HELLO));
  worker_send_run(&w, PLUGSUP__RUN__MODE__INVOKE, "__subvert:openat");
  res = worker_expect(&w, PLUGSUP__ENVELOPE__MSG_RESULT);
  cr_assert_neq(res->result->outcome, PLUGSUP__OUTCOME__OK);
  frame_free(res);
  cr_assert_eq(worker_wait(&w), WORKER_EXITED(0));
}

/* ---- the conversation's error paths ---- */

static void expect_protocol_exit_after(const void *bytes, size_t n) {
  worker_proc w;
  worker_spawn(&w, WORKER_BIN, NULL);
  frame_free(worker_expect(&w, PLUGSUP__ENVELOPE__MSG_HELLO));
  worker_send_raw(&w, bytes, n);
  worker_close_request(&w);
  worker_expect_eof(&w);
  cr_assert_eq(worker_wait(&w), WORKER_EXITED(PLUGSUP_WORKER_EXIT_PROTOCOL));
}

Test(worker, garbage_frame_ends_with_protocol_status) {
  expect_protocol_exit_after("\x03\x00\x00\x00\xff\xff\xff", 7);
}

Test(worker, oversized_frame_ends_with_protocol_status) {
  expect_protocol_exit_after("\xff\xff\xff\x7f", 4);
}

Test(worker, empty_frame_ends_with_protocol_status) {
  expect_protocol_exit_after("\x00\x00\x00\x00", 4);
}

Test(worker, truncated_frame_ends_with_protocol_status) {
  expect_protocol_exit_after("\x10\x00\x00\x00\x12\x00", 6);
}

Test(worker, a_frame_that_is_not_a_run_gets_bad_request) {
  worker_proc w;
  Plugsup__Envelope env = PLUGSUP__ENVELOPE__INIT, *res;
  Plugsup__Hello hello = PLUGSUP__HELLO__INIT;

  worker_spawn(&w, WORKER_BIN, NULL);
  frame_free(worker_expect(&w, PLUGSUP__ENVELOPE__MSG_HELLO));
  env.msg_case = PLUGSUP__ENVELOPE__MSG_HELLO;
  env.hello = &hello;
  cr_assert_eq(frame_write(w.request, &env, 0), FRAME_OK);
  res = worker_expect(&w, PLUGSUP__ENVELOPE__MSG_RESULT);
  cr_assert_eq(res->result->outcome, PLUGSUP__OUTCOME__BAD_REQUEST);
  frame_free(res);
  cr_assert_eq(worker_wait(&w), WORKER_EXITED(PLUGSUP_WORKER_EXIT_PROTOCOL));
}

Test(worker, bad_argv_is_a_usage_error) {
  worker_proc w;
  const char *args[] = {"--memory", "lots", NULL};
  worker_spawn(&w, WORKER_BIN, args);
  worker_expect_eof(&w);
  cr_assert_eq(worker_wait(&w), WORKER_EXITED(PLUGSUP_WORKER_EXIT_USAGE));
}

static void expect_usage_error(const char *const *args) {
  worker_proc w;
  worker_spawn(&w, WORKER_BIN, args);
  worker_expect_eof(&w);
  cr_assert_eq(worker_wait(&w), WORKER_EXITED(PLUGSUP_WORKER_EXIT_USAGE));
}

/* Root is never a worker's id; (uid_t)-1 would mean "unchanged". */
Test(worker, root_or_invalid_ids_are_a_usage_error) {
  const char *uid0[] = {"--uid", "0", NULL};
  const char *gid0[] = {"--gid", "0", NULL};
  const char *uid_max[] = {"--uid", "4294967295", NULL};
  const char *gid_text[] = {"--gid", "nogroup", NULL};
  const char *uid_missing[] = {"--uid", NULL};
  expect_usage_error(uid0);
  expect_usage_error(gid0);
  expect_usage_error(uid_max);
  expect_usage_error(gid_text);
  expect_usage_error(uid_missing);
}

Test(worker, missing_pipes_are_a_usage_error) {
  pid_t pid = fork();
  int status;
  cr_assert_neq(pid, -1);
  if (pid == 0) {
    char *argv[] = {WORKER_BIN, NULL}, *envp[] = {NULL};
    close(3);
    close(4);
    execve(WORKER_BIN, argv, envp);
    _exit(99);
  }
  cr_assert_eq(waitpid(pid, &status, 0), pid);
  cr_assert_eq(status, WORKER_EXITED(PLUGSUP_WORKER_EXIT_USAGE));
}

/* The supervisor dies: the worker must die with it, not linger. The test
** keeps the request pipe open (so EOF cannot end the worker) and is the
** subreaper, so the orphan comes back to it to be reaped. The middle
** process waits for Hello, so the death signal is already armed. */
Test(worker, dies_with_its_parent) {
  int req[2], rep[2], pidp[2], status;
  pid_t mid, worker_pid = 0;

  cr_assert_eq(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
  cr_assert_eq(pipe2(req, O_CLOEXEC), 0);
  cr_assert_eq(pipe2(rep, O_CLOEXEC), 0);
  cr_assert_eq(pipe2(pidp, O_CLOEXEC), 0);
  mid = fork();
  cr_assert_neq(mid, -1);
  if (mid == 0) {
    Plugsup__Envelope *hello = NULL;
    pid_t pid = worker_spawn_fds(WORKER_BIN, NULL, req[0], rep[1]);
    if (frame_read(rep[0], 0, &hello) != FRAME_OK ||
        write(pidp[1], &pid, sizeof pid) != sizeof pid)
      _exit(1);
    _exit(0);
  }
  close(req[0]);
  close(rep[1]);
  close(pidp[1]);
  cr_assert_eq(read(pidp[0], &worker_pid, sizeof worker_pid), sizeof worker_pid);
  cr_assert_eq(waitpid(mid, &status, 0), mid);
  cr_assert_eq(status, WORKER_EXITED(0));
  cr_assert_eq(waitpid(worker_pid, &status, 0), worker_pid);
  cr_assert_eq(status, WORKER_KILLED(SIGKILL), "status %#x", status);
  close(req[1]);
  close(rep[0]);
  close(pidp[0]);
}
