/*
** test_net_exec.c: the exec_command operation (supervisor/command.c),
** driven the way the supervisor's loop drives it: poll over what
** net_op_pollfds asks for, until net_op_wake_ns, then net_op_step.
** Every test ends with the process's descriptor count where it began,
** and the ones that kill check that nothing they started still runs.
*/
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "net.h"

#define LIST(...)                         \
  (const char *const[]){__VA_ARGS__},     \
      sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *)

static int fds_at_start;

static int count_fds(void) {
  DIR *d = opendir("/proc/self/fd");
  int n = 0;
  cr_assert_not_null(d);
  while (readdir(d))
    n++;
  closedir(d);
  return n;
}

static void note_fds(void) { fds_at_start = count_fds(); }

static void expect_no_fd_leak(void) {
  cr_assert_eq(count_fds(), fds_at_start, "descriptors: %d, were %d",
               count_fds(), fds_at_start);
}

TestSuite(exec, .init = note_fds, .timeout = 60);

static uint64_t ms_from_now(uint64_t ms) {
  return net_now_ns() + ms * 1000000u;
}

static net_op *start(const char *path, const char *const *argv, size_t argc,
                     const char *dir, const char *const *env, size_t nenv,
                     uint64_t ms) {
  net_exec_req r = {path, argv, argc, dir, env, nenv};
  net_op *op = net_exec_start(&r, ms_from_now(ms));
  cr_assert_not_null(op);
  return op;
}

/* One round of the loop: poll what the operation asks for, then step. */
static void turn(net_op *op) {
  struct pollfd fds[NET_POLL_MAX];
  size_t n = net_op_pollfds(op, fds, NET_POLL_MAX);
  uint64_t wake = net_op_wake_ns(op), now = net_now_ns();
  int timeout = wake == UINT64_MAX ? -1
                : wake <= now      ? 0
                                   : (int)((wake - now + 999999u) / 1000000u);
  int rc = poll(fds, n, timeout);
  cr_assert(rc >= 0 || errno == EINTR);
  net_op_step(op, fds, rc < 0 ? 0 : n, net_now_ns());
}

static const net_result *run(net_op *op) {
  while (!net_op_done(op))
    turn(op);
  return net_op_result(op);
}

/* Runs the operation until its stdout holds a line, and reads a pid from
** it. */
static pid_t first_line_pid(net_op *op) {
  const net_result *res = net_op_result(op);
  while (!net_op_done(op) && !(res->out && strchr((char *)res->out, '\n')))
    turn(op);
  cr_assert_not_null(res->out);
  return (pid_t)strtol((const char *)res->out + strspn((char *)res->out,
                                                       "hi "),
                       NULL, 10);
}

/* Neither running nor stopped: gone, or a zombie that is not ours (the
** grandchild's parent is init, which may reap it late). */
static bool running(pid_t pid) {
  char path[64], buf[512];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  FILE *f = fopen(path, "r");
  if (!f)
    return false;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  const char *p = strrchr(buf, ')');
  return p && p[1] == ' ' && p[2] != 'Z' && p[2] != 'X';
}

/* SIGKILL is delivered at once, but the process takes a moment to end. */
static void expect_ends(pid_t pid) {
  for (int i = 0; i < 500 && running(pid); i++)
    usleep(10000);
  cr_assert(!running(pid), "process %d still runs", (int)pid);
}

static void expect_no_error(const net_result *res) {
  cr_assert_str_eq(res->error.type, "", "error: %s: %s", res->error.type,
                   res->error.message);
  cr_assert(!res->is_timeout);
}

static void expect_out(const net_result *res, const char *want) {
  cr_assert_eq(res->out_len, strlen(want));
  cr_assert_str_eq(want[0] ? (const char *)res->out : "", want);
}

Test(exec, echo_prints_and_exits_zero) {
  net_op *op = start("/bin/echo", LIST("echo", "hello", "world"), NULL, NULL,
                     0, 10000);
  const net_result *res = run(op);
  expect_no_error(res);
  cr_assert_eq(res->kind, NET_EXEC);
  expect_out(res, "hello world\n");
  cr_assert_eq(res->err_len, 0);
  cr_assert_eq(res->exit_code, 0);
  cr_assert_eq(res->signal, 0);
  cr_assert(!res->out_truncated && !res->err_truncated);
  net_op_free(op);
  expect_no_fd_leak();
}

/* An exit status is the program's answer, not an error (reglet). */
Test(exec, exit_status_is_kept_without_error) {
  net_op *op = start("/bin/sh", LIST("sh", "-c", "exit 3"), NULL, NULL, 0,
                     10000);
  const net_result *res = run(op);
  expect_no_error(res);
  cr_assert_eq(res->exit_code, 3);
  cr_assert_eq(res->signal, 0);
  net_op_free(op);
  expect_no_fd_leak();
}

Test(exec, stderr_is_captured_apart) {
  net_op *op = start("/bin/sh", LIST("sh", "-c", "echo oops >&2; echo fine"),
                     NULL, NULL, 0, 10000);
  const net_result *res = run(op);
  expect_no_error(res);
  expect_out(res, "fine\n");
  cr_assert_eq(res->err_len, 5);
  cr_assert_str_eq((const char *)res->err, "oops\n");
  net_op_free(op);
  expect_no_fd_leak();
}

/* env prints its whole environment: the test's own (PATH, HOME…) must
** not be there. */
Test(exec, environment_is_exactly_what_was_given) {
  net_op *op = start("/usr/bin/env", LIST("env"), NULL,
                     LIST("A=1", "B=two words"), 10000);
  const net_result *res = run(op);
  expect_no_error(res);
  expect_out(res, "A=1\nB=two words\n");
  net_op_free(op);
  expect_no_fd_leak();
}

Test(exec, no_environment_when_none_is_given) {
  net_op *op = start("/usr/bin/env", LIST("env"), NULL, NULL, 0, 10000);
  const net_result *res = run(op);
  expect_no_error(res);
  cr_assert_eq(res->out_len, 0);
  cr_assert_eq(res->exit_code, 0);
  net_op_free(op);
  expect_no_fd_leak();
}

Test(exec, working_directory_is_honoured) {
  net_op *op = start("/bin/pwd", LIST("pwd"), "/tmp", NULL, 0, 10000);
  expect_out(run(op), "/tmp\n");
  net_op_free(op);
  op = start("/bin/pwd", LIST("pwd"), NULL, NULL, 0, 10000);
  expect_out(run(op), "/\n");
  net_op_free(op);
  expect_no_fd_leak();
}

Test(exec, stdin_is_dev_null) {
  net_op *op = start("/usr/bin/readlink", LIST("readlink", "/proc/self/fd/0"),
                     NULL, NULL, 0, 10000);
  expect_out(run(op), "/dev/null\n");
  net_op_free(op);
  expect_no_fd_leak();
}

/* A start error is known when net_exec_start returns: nothing to poll. */
static void expect_start_error(net_op *op, const char *code,
                               const char *message) {
  cr_assert(net_op_done(op));
  struct pollfd fds[NET_POLL_MAX];
  cr_assert_eq(net_op_pollfds(op, fds, NET_POLL_MAX), 0);
  const net_result *res = net_op_result(op);
  cr_assert_str_eq(res->error.type, "execution");
  cr_assert_str_eq(res->error.code, code);
  cr_assert_str_eq(res->error.message, message);
  cr_assert_eq(res->exit_code, -1);
  cr_assert(!res->is_timeout && !res->error.is_timeout);
  cr_assert_null(res->out);
  net_op_free(op);
  expect_no_fd_leak();
}

Test(exec, missing_program_is_a_start_error) {
  expect_start_error(
      start("/nonexistent/prog", LIST("prog"), NULL, NULL, 0, 10000),
      "ENOENT", "cannot run /nonexistent/prog: No such file or directory");
}

Test(exec, directory_as_program_is_a_start_error) {
  expect_start_error(start("/tmp", LIST("tmp"), NULL, NULL, 0, 10000),
                     "EACCES", "cannot run /tmp: Permission denied");
}

Test(exec, missing_directory_is_a_start_error) {
  expect_start_error(
      start("/bin/pwd", LIST("pwd"), "/nonexistent-dir", NULL, 0, 10000),
      "ENOENT",
      "cannot run /bin/pwd in /nonexistent-dir: No such file or directory");
}

/* The broker resolves paths; a relative one is a bug there, refused. */
Test(exec, relative_paths_are_refused) {
  const char *const cases[][3] = {
      {"echo", NULL, "echo: not an absolute path"},
      {"/bin/pwd", "tmp", "tmp: not an absolute path"},
  };
  for (size_t i = 0; i < 2; i++) {
    net_op *op = start(cases[i][0], LIST("x"), cases[i][1], NULL, 0, 10000);
    cr_assert(net_op_done(op));
    const net_result *res = net_op_result(op);
    cr_assert_str_eq(res->error.type, "validation");
    cr_assert_str_eq(res->error.message, cases[i][2]);
    net_op_free(op);
  }
  expect_no_fd_leak();
}

/* Executable but neither ELF nor script: no shell is tried instead. */
Test(exec, unknown_format_is_a_start_error) {
  char dir[] = "/tmp/test_net_exec.XXXXXX", path[PATH_MAX], want[PATH_MAX + 64];
  cr_assert_not_null(mkdtemp(dir));
  snprintf(path, sizeof path, "%s/garbage", dir);
  int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0755);
  cr_assert(fd >= 0);
  cr_assert_eq(write(fd, "\1\2\3 not a program\n", 19), 19);
  close(fd);
  snprintf(want, sizeof want, "cannot run %s: Exec format error", path);
  net_op *op = start(path, LIST("garbage"), NULL, NULL, 0, 10000);
  unlink(path);
  rmdir(dir);
  expect_start_error(op, "ENOEXEC", want);
}

/* Many pipefuls, the last still in the pipe at the exit; and exactly the
** bound, which drops nothing. */
Test(exec, all_output_up_to_the_bound_is_kept) {
  const char *sizes[] = {"300000", "1048576"};
  const size_t want[] = {300000, NET_EXEC_OUTPUT_MAX};
  for (size_t i = 0; i < 2; i++) {
    net_op *op = start("/usr/bin/head",
                       LIST("head", "-c", sizes[i], "/dev/zero"), NULL, NULL,
                       0, 50000);
    const net_result *res = run(op);
    expect_no_error(res);
    cr_assert_eq(res->out_len, want[i]);
    cr_assert(!res->out_truncated);
    net_op_free(op);
  }
  expect_no_fd_leak();
}

Test(exec, output_past_the_bound_is_dropped_and_it_still_finishes) {
  net_op *op = start("/usr/bin/head", LIST("head", "-c", "50M", "/dev/zero"),
                     NULL, NULL, 0, 50000);
  const net_result *res = run(op);
  expect_no_error(res);
  cr_assert_eq(res->exit_code, 0);
  cr_assert_eq(res->out_len, NET_EXEC_OUTPUT_MAX);
  cr_assert(res->out_truncated);
  cr_assert(!res->err_truncated);
  for (size_t i = 0; i < res->out_len; i++)
    cr_assert_eq(res->out[i], 0);
  net_op_free(op);
  expect_no_fd_leak();
}

/* yes never ends: the deadline does, and what it printed is kept. */
Test(exec, deadline_kills_and_keeps_the_output) {
  net_op *op = start("/usr/bin/yes", LIST("yes"), NULL, NULL, 0, 500);
  const net_result *res = run(op);
  cr_assert(res->is_timeout && res->error.is_timeout);
  cr_assert_str_eq(res->error.type, "timeout");
  cr_assert_str_eq(res->error.code, "ETIMEDOUT");
  /* The time allowed counts from the start, a moment after the test's
  ** clock reading. */
  unsigned ms = 0;
  cr_assert_eq(sscanf(res->error.message, "/usr/bin/yes timed out after %u ms",
                      &ms), 1, "message: %s", res->error.message);
  cr_assert(ms > 400 && ms <= 500, "message: %s", res->error.message);
  cr_assert_eq(res->exit_code, -1);
  cr_assert_eq(res->signal, SIGKILL);
  cr_assert_eq(res->out_len, NET_EXEC_OUTPUT_MAX);
  cr_assert(res->out_truncated);
  cr_assert_eq(memcmp(res->out, "y\ny\ny\n", 6), 0);
  cr_assert_geq(res->duration_ms, 500);
  net_op_free(op);
  expect_no_fd_leak();
}

Test(exec, deadline_already_past_starts_nothing) {
  net_exec_req r = {"/bin/echo", LIST("echo", "x"), NULL, NULL, 0};
  net_op *op = net_exec_start(&r, net_now_ns() - 1);
  cr_assert_not_null(op);
  cr_assert(net_op_done(op));
  const net_result *res = net_op_result(op);
  cr_assert(res->is_timeout);
  cr_assert_str_eq(res->error.code, "ETIMEDOUT");
  cr_assert_eq(res->out_len, 0);
  net_op_free(op);
  expect_no_fd_leak();
}

/* The program's pid is its group's: once reaped, neither is left. */
Test(exec, free_kills_and_reaps_a_running_program) {
  net_op *op = start("/bin/sh", LIST("sh", "-c", "echo $$; exec sleep 100"),
                     NULL, NULL, 0, 30000);
  pid_t pid = first_line_pid(op);
  cr_assert_gt(pid, 0);
  cr_assert(!net_op_done(op));
  net_op_free(op);
  cr_assert_eq(kill(pid, 0), -1);
  cr_assert_eq(errno, ESRCH);
  cr_assert_eq(kill(-pid, 0), -1);
  cr_assert_eq(errno, ESRCH);
  cr_assert_eq(waitpid(-1, NULL, WNOHANG), -1);
  cr_assert_eq(errno, ECHILD);
  expect_no_fd_leak();
}

Test(exec, free_kills_what_the_program_started) {
  net_op *op = start("/bin/sh", LIST("sh", "-c", "sleep 100 & echo $!; wait"),
                     NULL, NULL, 0, 30000);
  pid_t grandchild = first_line_pid(op);
  cr_assert_gt(grandchild, 0);
  cr_assert(running(grandchild));
  net_op_free(op);
  expect_ends(grandchild);
  cr_assert_eq(waitpid(-1, NULL, WNOHANG), -1);
  expect_no_fd_leak();
}

/* The shell exits at once; the sleep it left holds stdout open. The
** operation must end with the shell, not with the sleep. */
Test(exec, a_grandchild_holding_stdout_does_not_hold_the_operation) {
  net_op *op = start("/bin/sh", LIST("sh", "-c", "sleep 100 & echo hi $!"),
                     NULL, NULL, 0, 30000);
  const net_result *res = run(op);
  expect_no_error(res);
  cr_assert_eq(res->exit_code, 0);
  cr_assert_eq(strncmp((const char *)res->out, "hi ", 3), 0);
  pid_t grandchild = (pid_t)strtol((const char *)res->out + 3, NULL, 10);
  cr_assert_gt(grandchild, 0);
  expect_ends(grandchild);
  net_op_free(op);
  expect_no_fd_leak();
}

/* A program that closes its output is still waited for. */
Test(exec, closed_pipes_still_wait_for_the_exit) {
  net_op *op = start("/bin/sh",
                     LIST("sh", "-c", "exec >&- 2>&-; sleep 0.2; exit 4"),
                     NULL, NULL, 0, 30000);
  const net_result *res = run(op);
  expect_no_error(res);
  cr_assert_eq(res->exit_code, 4);
  net_op_free(op);
  expect_no_fd_leak();
}

/* fd 100 is open without close-on-exec, as an embedding program may
** leave one; ls sees only 0, 1, 2 and the directory it reads (3). */
Test(exec, no_descriptor_of_the_supervisor_reaches_the_program) {
  int fd = open("/dev/null", O_RDONLY);
  cr_assert(fd >= 0);
  cr_assert_eq(dup2(fd, 100), 100);
  close(fd);
  net_op *op = start("/bin/ls", LIST("ls", "/proc/self/fd"), NULL, NULL, 0,
                     10000);
  const net_result *res = run(op);
  expect_no_error(res);
  expect_out(res, "0\n1\n2\n3\n");
  net_op_free(op);
  close(100);
  expect_no_fd_leak();
}

/* The supervisor may block or ignore SIGTERM; the program gets the
** default back, so it dies of it. */
Test(exec, death_by_signal_is_reported) {
  sigset_t term, old;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  sigprocmask(SIG_BLOCK, &term, &old);
  void (*was)(int) = signal(SIGTERM, SIG_IGN);
  net_op *op = start("/bin/sh", LIST("sh", "-c", "kill -TERM $$; exit 7"),
                     NULL, NULL, 0, 10000);
  const net_result *res = run(op);
  signal(SIGTERM, was);
  sigprocmask(SIG_SETMASK, &old, NULL);
  expect_no_error(res);
  cr_assert_eq(res->exit_code, -1);
  cr_assert_eq(res->signal, SIGTERM);
  net_op_free(op);
  expect_no_fd_leak();
}
