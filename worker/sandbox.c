/*
** sandbox.c: everything the worker does to itself before the first frame,
** except the seccomp filter (seccomp.c).
**
** Every step either succeeds or ends the worker with
** PLUGSUP_WORKER_EXIT_SANDBOX_SETUP; only namespaces are best effort,
** because many kernels and containers refuse them to unprivileged users,
** and so are the bounding set and securebits of a worker that never had
** CAP_SETPCAP, which cannot change them (creds.c; Hello reports them).
*/
#define _GNU_SOURCE
#include "sandbox.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "frame.h"

/* ---- argv ---- */

static int parse_u64(const char *s, uint64_t *out) {
  char *end;
  unsigned long long v;

  if (s == NULL || *s < '0' || *s > '9')
    return -1;
  errno = 0;
  v = strtoull(s, &end, 10);
  if (errno != 0 || *end != '\0')
    return -1;
  *out = v;
  return 0;
}

/* An id a worker may become: not root's 0, and not (uid_t)-1, which
** setresuid reads as "leave unchanged". */
static int parse_id(const char *s, uint32_t *out) {
  uint64_t v;
  if (parse_u64(s, &v) != 0 || v == 0 || v >= UINT32_MAX)
    return -1;
  *out = (uint32_t)v;
  return 0;
}

const char *worker_parse_args(int argc, char **argv, worker_options *out) {
  out->memory_bytes = PLUGSUP_WORKER_DEFAULT_MEMORY;
  out->cpu_seconds = 0;
  out->uid = PLUGSUP_WORKER_DEFAULT_UID;
  out->gid = PLUGSUP_WORKER_DEFAULT_GID;
  out->namespaces = 1;
  out->record = 0;
  out->zygote = 0;
  out->procs = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, PLUGSUP_WORKER_ARG_MEMORY) == 0) {
      if (++i == argc || parse_u64(argv[i], &out->memory_bytes) != 0)
        return "--memory needs a byte count";
    } else if (strcmp(a, PLUGSUP_WORKER_ARG_CPU) == 0) {
      if (++i == argc || parse_u64(argv[i], &out->cpu_seconds) != 0)
        return "--cpu needs a number of seconds";
    } else if (strcmp(a, PLUGSUP_WORKER_ARG_UID) == 0) {
      if (++i == argc || parse_id(argv[i], &out->uid) != 0)
        return "--uid needs a user id other than 0";
    } else if (strcmp(a, PLUGSUP_WORKER_ARG_GID) == 0) {
      if (++i == argc || parse_id(argv[i], &out->gid) != 0)
        return "--gid needs a group id other than 0";
    } else if (strcmp(a, PLUGSUP_WORKER_ARG_NO_NAMESPACES) == 0) {
      out->namespaces = 0;
    } else if (strcmp(a, PLUGSUP_WORKER_ARG_ZYGOTE) == 0) {
      out->zygote = 1;
      if (++i == argc || parse_u64(argv[i], &out->procs) != 0 || out->procs < 2)
        return "--zygote needs a number of processes, at least 2";
    } else {
      return "unknown argument";
    }
  }
  return NULL;
}

/* ---- fds ---- */

static int fd_is_open(int fd) { return fcntl(fd, F_GETFD) != -1; }

/* Without close_range (Linux < 5.9): list /proc/self/fd first, close after,
** so the directory's own fd is not closed under readdir. */
static int close_others_by_proc(int keep_low, int keep_high) {
  int fds[1024], n = 0;
  DIR *d = opendir("/proc/self/fd");
  struct dirent *e;

  if (d == NULL)
    return -1;
  while ((e = readdir(d)) != NULL && n < (int)(sizeof fds / sizeof fds[0])) {
    char *end;
    long fd = strtol(e->d_name, &end, 10);
    if (*end == '\0' && e->d_name[0] != '.' && fd != dirfd(d) &&
        (fd < keep_low || fd > keep_high))
      fds[n++] = (int)fd;
  }
  closedir(d);
  for (int i = 0; i < n; i++)
    close(fds[i]);
  return n == (int)(sizeof fds / sizeof fds[0]) ? -1 : 0;
}

static int close_range_raw(unsigned lo, unsigned hi) {
#ifdef SYS_close_range
  return (int)syscall(SYS_close_range, lo, hi, 0u);
#else
  errno = ENOSYS;
  return -1;
#endif
}

/* Keep [keep_low, keep_high]: the request and reply pipes, plus stderr
** in sanitizer builds so reports can be read. */
static int close_other_fds(void) {
  int keep_low = WORKER_SANITIZED ? 2 : PLUGSUP_WORKER_REQUEST_FD;
  int keep_high = PLUGSUP_WORKER_REPLY_FD;

  if ((keep_low == 0 || close_range_raw(0, (unsigned)keep_low - 1) == 0) &&
      close_range_raw((unsigned)keep_high + 1, UINT_MAX) == 0)
    return 0;
  if (errno != ENOSYS && errno != EINVAL)
    return -1;
  return close_others_by_proc(keep_low, keep_high);
}

/* ---- signals ---- */

/* exec keeps the blocked mask and ignored dispositions of whoever forked
** us. A blocked or ignored SIGSYS or SIGXCPU would change how a violation
** or the CPU limit ends the worker, so start from a known state. SIGPIPE
** is ignored so a vanished supervisor is an EPIPE we can report. */
static int reset_signals(void) {
  sigset_t none;
  struct sigaction dfl;

  memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; sig++) {
    if (sig == SIGKILL || sig == SIGSTOP)
      continue;
    /* Fails only for numbers libc reserves for itself: harmless. */
    (void)sigaction(sig, &dfl, NULL);
  }
  if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
    return -1;
  sigemptyset(&none);
  return sigprocmask(SIG_SETMASK, &none, NULL);
}

/* ---- session ---- */

/* Out of the supervisor's session and away from its terminal: no job
** control signal from that terminal reaches the worker, and it has no
** controlling terminal to push input into. Already leading a session
** (started by setsid) is just as good. */
static int new_session(void) {
  return setsid() >= 0 || getsid(0) == getpid() ? 0 : -1;
}

/* ---- namespaces ---- */

/* Each namespace on its own, those in 'have' skipped. Entering any of
** them is a bonus; the seccomp filter is what the worker's safety rests
** on. They need CAP_SYS_ADMIN: root's, or ours in a new user namespace.
**
** A PID namespace only for a zygote: unshare(CLONE_NEWPID) moves only
** future children, and a worker exec'd for one run never has any (fork
** is forbidden), so it would stay in the host's namespace while claiming
** a new one. A zygote's children really are inside it (hold_pid_ns). */
static uint32_t try_namespaces(uint32_t have, int zygote) {
  static const struct {
    int flag;
    uint32_t bit;
  } order[] = {
      {CLONE_NEWNET, PLUGSUP__NAMESPACE__NS_NET},
      {CLONE_NEWIPC, PLUGSUP__NAMESPACE__NS_IPC},
      {CLONE_NEWNS, PLUGSUP__NAMESPACE__NS_MOUNT},
      {CLONE_NEWPID, PLUGSUP__NAMESPACE__NS_PID},
  };
  uint32_t got = have;

  for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
    if (!(got & order[i].bit) &&
        (order[i].flag != CLONE_NEWPID || zygote) &&
        unshare(order[i].flag) == 0)
      got |= order[i].bit;
  return got;
}

pid_t sandbox_clone(int *pidfd) {
  return (pid_t)syscall(SYS_clone, (unsigned long)SANDBOX_CLONE_FLAGS, 0UL,
                        pidfd, 0UL, 0UL);
}

/* The first process forked into a new PID namespace is its init, and the
** namespace dies with it: the zygote's first child is one that only
** holds it, so runs come and go inside. It is the supervisor's child
** (CLONE_PARENT), keeps only the read end of a pipe, and waits: for one
** byte, which the zygote writes once it has handed the holder's pidfd to
** the supervisor (zygote.c), after which it sleeps until the supervisor
** ends it, or dies with the supervisor; or for the end of the pipe, when
** the zygote died before that and no one else knows the holder is
** there. Either way it never runs anything else. */
static void hold(int release) {
  char byte;
  ssize_t n;
  prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  if (dup2(release, 0) == 0)
    close_range_raw(1, UINT_MAX);
  while ((n = read(0, &byte, 1)) < 0 && errno == EINTR)
    ;
  if (n != 1)
    _exit(0);
  for (;;)
    pause();
}

static int hold_pid_ns(sandbox_state *st) {
  int p[2];
  pid_t pid;
  if (pipe2(p, O_CLOEXEC) != 0)
    return -1;
  pid = sandbox_clone(&st->holder_pidfd);
  if (pid == 0)
    hold(p[0]);
  close(p[0]);
  if (pid < 0) {
    close(p[1]);
    return -1;
  }
  st->holder_release = p[1];
  return 0;
}

/* ---- privileges ---- */

/* Root enters the namespaces while it still can (so a kernel that refuses
** unprivileged user namespaces still gives it the others), then becomes
** opt->uid:opt->gid. Anyone then tries a user namespace, which gives
** CAP_SYS_ADMIN over the namespaces still missing, and finally drops
** every capability, those the user namespace gave included. */
static int drop_privileges(const worker_options *opt, sandbox_state *st) {
  int root = creds_is_root(), user_ns = 0;

  if (root < 0)
    return -1;
  if (root && opt->namespaces)
    st->namespaces = try_namespaces(st->namespaces, opt->zygote);
  if (root && creds_leave_root(opt->uid, opt->gid) != 0)
    return -1;
  if (opt->namespaces && (user_ns = creds_enter_user_ns()) < 0)
    return -1;
  if (user_ns)
    st->namespaces =
        try_namespaces(st->namespaces | PLUGSUP__NAMESPACE__NS_USER, opt->zygote);
  return creds_drop_caps();
}

/* Belt and braces before the filter: whatever went wrong above, a worker
** that can still act as root or holds a usable capability does not run.
** (A bounding set is not usable: see creds.c.) */
static int unprivileged(const sandbox_creds *c) {
  return c->uid != 0 && c->cap_effective == 0 && c->cap_permitted == 0 &&
         c->cap_inheritable == 0 && c->cap_ambient == 0;
}

/* ---- process attributes ---- */

/* After every credential change: each one clears the parent-death signal
** and may reset dumpability. */
static int restrict_process(void) {
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
    return -1;
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
    return -1;
  if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0)
    return -1;
  return 0;
}

static int set_limit(int resource, rlim_t soft, rlim_t hard) {
  struct rlimit rl = {soft, hard};
  return setrlimit(resource, &rl);
}

/* The C stack stays shallow: wasm calls never recurse in C (exec.c keeps
** its frames on the heap), host calls that re-enter the interpreter nest
** at most 32 deep, and the validator keeps block nesting on the heap too.
** 8 MiB is Linux's default, so nothing that ran before stops running; the
** limit matters when we inherit an unlimited one, whose stack could grow
** until RLIMIT_AS, over the heap. Never above the hard limit we got:
** raising that would need a capability. */
#define STACK_BYTES (8u << 20)

static int set_stack_limit(void) {
  struct rlimit rl;
  rlim_t want = STACK_BYTES;
  if (getrlimit(RLIMIT_STACK, &rl) != 0)
    return -1;
  if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want)
    want = rl.rlim_max;
  return set_limit(RLIMIT_STACK, want, want);
}

static rlim_t address_space(uint64_t memory_bytes) {
  uint64_t as = memory_bytes + PLUGSUP_WORKER_AS_OVERHEAD;
  if (as < memory_bytes || as >= (uint64_t)RLIM_INFINITY)
    return RLIM_INFINITY;
  return (rlim_t)as;
}

/* What a run may have, in an exec'd worker or in a zygote's child: the
** latter lowers what its zygote kept (below). */
int sandbox_run_limits(uint64_t memory_bytes, uint64_t cpu_seconds) {
  /* No file may be opened anyway; this caps fd numbers at the reply fd. */
  if (set_limit(RLIMIT_NOFILE, PLUGSUP_WORKER_REPLY_FD + 1,
                PLUGSUP_WORKER_REPLY_FD + 1) != 0 ||
      set_limit(RLIMIT_NPROC, 0, 0) != 0)
    return -1;
  /* Soft limit: SIGXCPU ends the worker; the hard limit one second on is
  ** SIGKILL in case SIGXCPU somehow does not. */
  if (cpu_seconds != 0 &&
      set_limit(RLIMIT_CPU, (rlim_t)cpu_seconds, (rlim_t)cpu_seconds + 1) != 0)
    return -1;
  if (!WORKER_SANITIZED) {
    rlim_t as = address_space(memory_bytes);
    if (set_limit(RLIMIT_AS, as, as) != 0)
      return -1;
  }
  return 0;
}

/* A zygote keeps room to fork (RLIMIT_NPROC only inside its own user
** namespace, where it counts only the zygote's processes: so a zygote
** subverted while it loads its module cannot fork without bound), a few
** descriptors for the run's while it passes them on, and a hard
** address-space limit that any run's memory fits under, so a child can set
** its own; the soft one bounds the zygote itself. No CPU limit: it waits
** most of its life. */
#define ZYGOTE_FDS 16
#define ZYGOTE_AS_MAX (address_space(4ull << 30))

static int zygote_limits(const worker_options *opt, const sandbox_state *st) {
  if (set_limit(RLIMIT_NOFILE, ZYGOTE_FDS, ZYGOTE_FDS) != 0)
    return -1;
  if ((st->namespaces & PLUGSUP__NAMESPACE__NS_USER) &&
      set_limit(RLIMIT_NPROC, (rlim_t)opt->procs, (rlim_t)opt->procs) != 0)
    return -1;
  if (!WORKER_SANITIZED &&
      set_limit(RLIMIT_AS, address_space(opt->memory_bytes), ZYGOTE_AS_MAX) != 0)
    return -1;
  return 0;
}

static int set_rlimits(const worker_options *opt, const sandbox_state *st) {
  if (set_limit(RLIMIT_FSIZE, 0, 0) != 0 || set_limit(RLIMIT_CORE, 0, 0) != 0 ||
      set_limit(RLIMIT_MEMLOCK, 0, 0) != 0 || set_stack_limit() != 0)
    return -1;
  return opt->zygote ? zygote_limits(opt, st)
                     : sandbox_run_limits(opt->memory_bytes, opt->cpu_seconds);
}

/* ---- the whole sequence ---- */

void sandbox_record_fds(sandbox_state *st) {
  st->n_open_fds = 0;
  for (int fd = 0; fd < 1024; fd++)
    if (fd_is_open(fd) && st->n_open_fds < 16)
      st->open_fds[st->n_open_fds++] = fd;
}

const char *const sandbox_ns_names[SANDBOX_NS_LINKS] = {"user", "net", "ipc",
                                                        "mnt", "pid"};

/* An unreadable link stays "": the test that reads it fails, not the run. */
static void record_namespaces(sandbox_state *st, int zygote) {
  for (int i = 0; i < SANDBOX_NS_LINKS; i++) {
    char path[32];
    ssize_t n;
    /* A zygote's children live in the pid namespace it made, not in its
    ** own. */
    snprintf(path, sizeof path, "/proc/self/ns/%s%s", sandbox_ns_names[i],
             zygote && strcmp(sandbox_ns_names[i], "pid") == 0 ? "_for_children"
                                                                : "");
    n = readlink(path, st->ns_links[i], sizeof st->ns_links[i] - 1);
    st->ns_links[i][n > 0 ? n : 0] = '\0';
  }
}

int sandbox_enter(const worker_options *opt, sandbox_state *st) {
  memset(st, 0, sizeof *st);
  st->holder_pidfd = st->holder_release = -1;
  st->parent = getppid();
  if (!fd_is_open(PLUGSUP_WORKER_REQUEST_FD) || !fd_is_open(PLUGSUP_WORKER_REPLY_FD))
    return PLUGSUP_WORKER_EXIT_USAGE;
  if (reset_signals() != 0 || close_other_fds() != 0 || clearenv() != 0 ||
      new_session() != 0 || drop_privileges(opt, st) != 0 ||
      restrict_process() != 0)
    return PLUGSUP_WORKER_EXIT_SANDBOX_SETUP;
  /* The parent may have died before PDEATHSIG was set: then we were
  ** re-parented and would never get the signal. */
  if (getppid() != st->parent)
    return PLUGSUP_WORKER_EXIT_ORPHANED;
  if (set_rlimits(opt, st) != 0 || creds_read(&st->creds) != 0 ||
      !unprivileged(&st->creds))
    return PLUGSUP_WORKER_EXIT_SANDBOX_SETUP;
  if ((st->namespaces & PLUGSUP__NAMESPACE__NS_PID) && hold_pid_ns(st) != 0)
    return PLUGSUP_WORKER_EXIT_SANDBOX_SETUP;
  if (opt->record) {
    sandbox_record_fds(st);
    record_namespaces(st, opt->zygote);
  }
  /* A zygote installs its filter itself, once it has said hello. */
  if (!opt->zygote && seccomp_install(PLUGSUP_WORKER_REPLY_FD) != 0)
    return PLUGSUP_WORKER_EXIT_SANDBOX_SETUP;
  return 0;
}
