/*
** subvert.c: plugsup-worker-subverted only (tests; never installed).
**
** A Run whose export_name is "__subvert:<what>" makes the worker, inside
** its finished sandbox, do what a compromised worker would: a forbidden
** system call straight from native code. Each must end in a
** SandboxViolation frame and death by SIGSYS (or, for foreign ABIs, death
** by SIGSYS alone). If a call comes back, the Result says so (outcome
** OK, "ALLOWED: ... returned R (errno E)"): a hole, unless the test
** expects the kernel itself to refuse the call (mmap of page 0, say).
** A few names are reports instead (the 'reports' table): what the
** sandbox looked like from inside just before the filter went on.
*/
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "worker.h"

#define SUBVERT_PREFIX "__subvert:"

int worker_subvert(const Plugsup__Run *run, const sandbox_state *sb,
                   Plugsup__Result *res);

/* The kernel's MAKE_PROCESS_CPUCLOCK(pid, CPUCLOCK_SCHED): another
** process's CPU clock, named by its pid. */
static clockid_t cpu_clock_of(pid_t pid) {
  return (clockid_t)((~(unsigned)pid << 3) | 2u);
}

static long attempt(const char *what, const sandbox_state *sb) {
  static char buf[16];
  static struct timespec ts;
  static char *const argv[] = {"/bin/sh", NULL};
  static char *const envp[] = {NULL};
  static struct msghdr msg;

  if (strcmp(what, "openat") == 0)
    return syscall(SYS_openat, AT_FDCWD, "/etc/passwd", O_RDONLY);
  if (strcmp(what, "socket") == 0)
    return syscall(SYS_socket, AF_INET, SOCK_STREAM, 0);
  if (strcmp(what, "execve") == 0)
    return syscall(SYS_execve, "/bin/sh", argv, envp);
  if (strcmp(what, "clone") == 0)
    return syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
  /* What a zygote's own filter lets through, and a run's must not: a
  ** fork with the zygote's flags, descriptors in and out over fd 3 (the
  ** zygote's control socket; a run's request pipe). */
  if (strcmp(what, "clone_as_zygote") == 0)
    return syscall(SYS_clone, (unsigned long)SANDBOX_CLONE_FLAGS, 0, buf, 0, 0);
  if (strcmp(what, "recvmsg_fd3") == 0)
    return syscall(SYS_recvmsg, PLUGSUP_ZYGOTE_CONTROL_FD, &msg, 0);
  if (strcmp(what, "sendmsg_fd3") == 0)
    return syscall(SYS_sendmsg, PLUGSUP_ZYGOTE_CONTROL_FD, &msg, 0);
  if (strcmp(what, "prctl_seccomp") == 0) /* a zygote's child stacks one */
    return syscall(SYS_prctl, PR_SET_SECCOMP, SECCOMP_MODE_STRICT, 0, 0, 0);
  /* The rest of what a zygote's filter allows a child before its own
  ** filter goes on, each with arguments the zygote's lets through. */
  if (strcmp(what, "close_fd5") == 0)
    return syscall(SYS_close, 5);
  if (strcmp(what, "close_range") == 0)
    return syscall(SYS_close_range, 5u, 5u, 0u);
  if (strcmp(what, "dup2") == 0)
    return syscall(SYS_dup2, PLUGSUP_WORKER_REPLY_FD, PLUGSUP_WORKER_REPLY_FD);
  if (strcmp(what, "dup3") == 0)
    return syscall(SYS_dup3, PLUGSUP_WORKER_REPLY_FD, 5, 0);
  if (strcmp(what, "fcntl_dupfd") == 0)
    return syscall(SYS_fcntl, PLUGSUP_WORKER_REPLY_FD, F_DUPFD_CLOEXEC, 0);
  if (strcmp(what, "fcntl_getfd") == 0)
    return syscall(SYS_fcntl, PLUGSUP_WORKER_REPLY_FD, F_GETFD);
  if (strcmp(what, "prlimit_self") == 0)
    return syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, NULL);
  if (strcmp(what, "prctl_pdeathsig") == 0)
    return syscall(SYS_prctl, PR_SET_PDEATHSIG, 0, 0, 0, 0);
#ifdef SYS_fork
  if (strcmp(what, "fork") == 0)
    return syscall(SYS_fork);
#endif
  if (strcmp(what, "ptrace") == 0)
    return syscall(SYS_ptrace, PTRACE_ATTACH, sb->parent, 0, 0);
  if (strcmp(what, "kill_parent") == 0) /* signal 0: harmless if allowed */
    return syscall(SYS_kill, sb->parent, 0);
  if (strcmp(what, "getppid") == 0)
    return syscall(SYS_getppid);
  if (strcmp(what, "mmap_exec") == 0)
    return (long)syscall(SYS_mmap, 0, 4096, PROT_READ | PROT_EXEC,
                         MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (strcmp(what, "mprotect_exec") == 0)
    return syscall(SYS_mprotect, (long)buf & ~4095L, 4096,
                   PROT_READ | PROT_WRITE | PROT_EXEC);
  /* clockid_t is an int: pass it sign-extended once, zero-extended once. */
  if (strcmp(what, "clock_pid1") == 0)
    return syscall(SYS_clock_gettime, (long)cpu_clock_of(1), &ts);
  if (strcmp(what, "clock_parent") == 0)
    return syscall(SYS_clock_gettime, (long)(uint32_t)cpu_clock_of(sb->parent),
                   &ts);
  if (strcmp(what, "clock_getres_parent") == 0)
    return syscall(SYS_clock_getres, (long)cpu_clock_of(sb->parent), &ts);
  /* clock_nanosleep is allowed for poll_oneoff, on the monotonic clock
  ** only: a zero sleep on any other would probe or wait on it. */
  ts.tv_sec = ts.tv_nsec = 0;
  if (strcmp(what, "sleep_parent_clock") == 0)
    return syscall(SYS_clock_nanosleep, (long)cpu_clock_of(sb->parent), 0L,
                   &ts, NULL);
  if (strcmp(what, "sleep_realtime") == 0)
    return syscall(SYS_clock_nanosleep, (long)CLOCK_REALTIME, 0L, &ts, NULL);
  /* The filter lets these through (no PROT_EXEC): the kernel must refuse
  ** them, page 0 below vm.mmap_min_addr without CAP_SYS_RAWIO, locked
  ** memory beyond RLIMIT_MEMLOCK = 0 without CAP_IPC_LOCK. */
  if (strcmp(what, "mmap_page0") == 0)
    return (long)syscall(SYS_mmap, 0, 4096, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  if (strcmp(what, "mmap_locked") == 0)
    return (long)syscall(SYS_mmap, 0, 64L << 20, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED, -1, 0);
  if (strcmp(what, "mlock") == 0)
    return syscall(SYS_mlock, (long)buf & ~4095L, 4096);
  if (strcmp(what, "write_stdout") == 0)
    return syscall(SYS_write, 1, "x", 1);
  if (strcmp(what, "read_fd0") == 0)
    return syscall(SYS_read, 0, buf, 1);
  if (strcmp(what, "read_fd5") == 0)
    return syscall(SYS_read, 5, buf, 1);
  if (strcmp(what, "write_request_fd") == 0)
    return syscall(SYS_write, PLUGSUP_WORKER_REQUEST_FD, "x", 1);
#ifdef __x86_64__
  if (strcmp(what, "x32") == 0) /* x32 ABI: the guard kills, no report */
    return syscall(0x40000000L | SYS_getpid);
  if (strcmp(what, "int80") == 0) { /* i386 ABI: getpid is 20 there */
    long rc = 20;
    __asm__ volatile("int $0x80" : "+a"(rc) : : "memory");
    return rc;
  }
#endif
  errno = ENOENT;
  return -2;
}

/* Not a violation: what fds were open when the filter went on. */
static void list_fds(const sandbox_state *sb, Plugsup__Result *res) {
  char text[16 * 12] = "";
  size_t used = 0;

  for (int i = 0; i < sb->n_open_fds && used < sizeof text; i++)
    used += (size_t)snprintf(text + used, sizeof text - used, "%s%d",
                             i ? " " : "", sb->open_fds[i]);
  res->outcome = PLUGSUP__OUTCOME__OK;
  res->message = worker_strdupf("%s", text);
}

/* Not a violation: the namespace links read before the filter, joined
** by spaces in sandbox_ns_names order. */
static void list_namespaces(const sandbox_state *sb, Plugsup__Result *res) {
  char text[sizeof sb->ns_links] = "";
  size_t used = 0;

  for (int i = 0; i < SANDBOX_NS_LINKS && used < sizeof text; i++)
    used += (size_t)snprintf(text + used, sizeof text - used, "%s%s",
                             i ? " " : "", sb->ns_links[i]);
  res->outcome = PLUGSUP__OUTCOME__OK;
  res->message = worker_strdupf("%s", text);
}

/* Not a violation: each clock the filter allows, through the raw system
** calls (the vDSO would answer most without one). The message lists what
** clock_gettime and clock_getres returned for each. */
static void read_clocks(const sandbox_state *sb, Plugsup__Result *res) {
  static const clockid_t ids[] = {CLOCK_REALTIME, CLOCK_MONOTONIC,
                                  CLOCK_PROCESS_CPUTIME_ID,
                                  CLOCK_THREAD_CPUTIME_ID};
  char text[64] = "";
  size_t used = 0;
  struct timespec ts;

  (void)sb;
  for (size_t i = 0; i < sizeof ids / sizeof ids[0] && used < sizeof text; i++)
    used += (size_t)snprintf(text + used, sizeof text - used, "%s%ld/%ld",
                             i ? " " : "",
                             syscall(SYS_clock_gettime, (long)ids[i], &ts),
                             syscall(SYS_clock_getres, (long)ids[i], &ts));
  res->outcome = PLUGSUP__OUTCOME__OK;
  res->message = worker_strdupf("%s", text);
}

/* Not a violation: the credentials read back before the filter. */
static void show_creds(const sandbox_state *sb, Plugsup__Result *res) {
  const sandbox_creds *c = &sb->creds;
  res->outcome = PLUGSUP__OUTCOME__OK;
  res->message = worker_strdupf(
      "uid %u gid %u same %d groups %u eff %llx prm %llx inh %llx bnd %llx "
      "amb %llx secbits %x",
      (unsigned)c->uid, (unsigned)c->gid, c->all_ids_equal, c->groups,
      (unsigned long long)c->cap_effective, (unsigned long long)c->cap_permitted,
      (unsigned long long)c->cap_inheritable,
      (unsigned long long)c->cap_bounding, (unsigned long long)c->cap_ambient,
      c->securebits);
}

/* Reports, not attacks: what the sandbox looked like from inside. */
static const struct {
  const char *name;
  void (*report)(const sandbox_state *sb, Plugsup__Result *res);
} reports[] = {
    {"list_fds", list_fds},
    {"namespaces", list_namespaces},
    {"creds", show_creds},
    {"clocks", read_clocks},
};

int worker_subvert(const Plugsup__Run *run, const sandbox_state *sb,
                   Plugsup__Result *res) {
  const char *what;
  long rc;

  if (run->export_name == NULL ||
      strncmp(run->export_name, SUBVERT_PREFIX, strlen(SUBVERT_PREFIX)) != 0)
    return 0;
  what = run->export_name + strlen(SUBVERT_PREFIX);
  for (size_t i = 0; i < sizeof reports / sizeof reports[0]; i++)
    if (strcmp(what, reports[i].name) == 0) {
      reports[i].report(sb, res);
      return 1;
    }
  rc = attempt(what, sb);
  if (rc == -2 && errno == ENOENT) {
    res->outcome = PLUGSUP__OUTCOME__BAD_REQUEST;
    res->message = worker_strdupf("no subversion named '%s'", what);
    return 1;
  }
  res->outcome = PLUGSUP__OUTCOME__OK;
  res->message = worker_strdupf("ALLOWED: %s returned %ld (errno %d)", what,
                                rc, rc < 0 ? errno : 0);
  return 1;
}
