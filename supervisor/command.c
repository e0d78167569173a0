/*
** command.c: the exec_command host call, a program run on a plugin's
** behalf once the policy said yes, driven by the supervisor's loop like
** every operation of net.h.
**
** Starting. posix_spawn (a vfork-style clone in glibc, safe in a
** multithreaded process, which reports a failed exec or chdir as its
** return value) runs r->path itself: no PATH search, no shell. The child
** gets a new session, hence its own process group; stdin /dev/null;
** stdout and stderr two pipes; nothing else, not even what the embedding
** program left open without close-on-exec (closefrom); default signal
** dispositions and an empty mask, whatever the supervisor blocks or
** ignores. A pidfd tells the loop when it has exited, with no SIGCHLD.
**
** Ending. The group is sent SIGKILL before its leader is reaped: while
** the leader is a zombie its pid, hence the group's number, names nothing
** else. That happens when the leader exits (what it left behind, such as
** a grandchild holding the pipes, would otherwise keep the operation
** waiting for EOF), at the deadline, and when the operation is freed. A
** process that leaves the group (setsid) escapes; only a cgroup would
** hold it.
**
** Errors follow reglet: a program that cannot be started is an
** "execution" error whose code names the errno; a program that ran is no
** error, whatever its exit status or signal; the deadline is a "timeout".
*/
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "net.h"
#include "process.h"

/* The most a single read takes. */
#define EXEC_READ_CHUNK 65536u
/* Reads per pipe per step, so that a flooding program cannot keep the
** loop on its operation; poll reports the rest at once. */
#define EXEC_READS_PER_STEP 32
/* Reads per pipe once the group is killed: enough for the fullest pipe
** (1 MiB at most, pipe-max-size) even while the buffer still grows, and
** still bounded, since a process that escaped the group may be writing. */
#define EXEC_READS_AT_END 256
/* Output beyond NET_EXEC_OUTPUT_MAX is read into this and dropped. */
#define EXEC_DISCARD_BYTES 16384u

/* One of the program's output pipes and where its bytes go in the
** result. */
typedef struct exec_stream {
  int fd;           /* our non-blocking read end; -1 after EOF */
  size_t cap;       /* bytes *buf holds, not counting its NUL */
  uint8_t **buf;    /* NUL-terminated; NULL while nothing came */
  size_t *len;
  bool *truncated;
} exec_stream;

typedef struct exec_op {
  net_op op;
  pid_t pid;        /* the group's leader; 0 once reaped or never started */
  pid_t owner;      /* in a fork of the embedding program it is not ours */
  int pidfd;
  exec_stream out, err;
  char *path;       /* for the timeout's message */
} exec_op;

static void close_fd(int *fd) {
  if (*fd >= 0)
    close(*fd);
  *fd = -1;
}

/* ---- output ---- */

/* Where the next bytes go and how many fit: the buffer doubles up to
** NET_EXEC_OUTPUT_MAX. NULL once it is full, or when memory is short:
** then bytes are dropped, as past the bound. */
static uint8_t *room(exec_stream *s, size_t *n) {
  if (*s->len == s->cap) {
    if (s->cap == NET_EXEC_OUTPUT_MAX)
      return NULL;
    size_t cap = s->cap ? s->cap * 2 : 4096;
    if (cap > NET_EXEC_OUTPUT_MAX)
      cap = NET_EXEC_OUTPUT_MAX;
    uint8_t *b = realloc(*s->buf, cap + 1);
    if (!b)
      return NULL;
    *s->buf = b;
    s->cap = cap;
  }
  *n = s->cap - *s->len;
  if (*n > EXEC_READ_CHUNK)
    *n = EXEC_READ_CHUNK;
  return *s->buf + *s->len;
}

/* One read. False when nothing more is there for now (EAGAIN) or ever
** (EOF, or an error: the pipe is closed then). */
static bool read_once(exec_stream *s) {
  uint8_t discard[EXEC_DISCARD_BYTES];
  size_t n = sizeof discard;
  uint8_t *dst = room(s, &n);
  ssize_t got = read(s->fd, dst ? dst : discard, dst ? n : sizeof discard);
  if (got < 0 && errno == EINTR)
    return true;
  if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
    return false;
  if (got <= 0) {
    close_fd(&s->fd);
    return false;
  }
  if (!dst) {
    *s->truncated = true;
    return true;
  }
  *s->len += (size_t)got;
  (*s->buf)[*s->len] = 0;
  return true;
}

static void drain(exec_stream *s, int reads) {
  for (int i = 0; i < reads && s->fd >= 0 && read_once(s); i++)
    ;
}

/* ---- ending ---- */

static void record_status(exec_op *x, const siginfo_t *si) {
  if (si->si_code == CLD_EXITED) {
    x->op.result.exit_code = si->si_status;
  } else {
    x->op.result.exit_code = -1;
    x->op.result.signal = si->si_status;
  }
}

/* Kills the group, then reaps its leader through the pidfd. waitid does
** not wait long: the leader has exited (the pidfd said so) or has just
** been sent SIGKILL, which no process can ignore. The leader is also
** signalled through its pidfd, so that waitid returns even if the group
** kill missed it. */
static void kill_and_reap(exec_op *x) {
  siginfo_t si;
  int rc;
  kill(-x->pid, SIGKILL);
  pidfd_send_signal(x->pidfd, SIGKILL, NULL, 0);
  memset(&si, 0, sizeof si);
  while ((rc = waitid(P_PIDFD, (id_t)x->pidfd, &si, WEXITED)) < 0 &&
         errno == EINTR)
    ;
  x->pid = 0;
  if (rc == 0)
    record_status(x, &si);
  else  /* ECHILD: the embedding program ignores SIGCHLD, or reaped it */
    net_error_set(&x->op.result.error, "internal", NULL,
                  "cannot learn how %s ended: %s", x->path, strerror(errno));
}

static void close_all(exec_op *x) {
  close_fd(&x->out.fd);
  close_fd(&x->err.fd);
  close_fd(&x->pidfd);
}

/* What is already in the pipes is kept; what the killed group would
** still have written is not waited for. */
static void end(exec_op *x) {
  if (x->pid > 0)
    kill_and_reap(x);
  drain(&x->out, EXEC_READS_AT_END);
  drain(&x->err, EXEC_READS_AT_END);
  close_all(x);
  net_op_finish(&x->op);
}

static void time_out(exec_op *x) {
  net_result *res = &x->op.result;
  uint64_t allowed = x->op.deadline_ns > x->op.start_ns
                         ? x->op.deadline_ns - x->op.start_ns
                         : 0;
  end(x);
  net_error_set(&res->error, "timeout", "ETIMEDOUT",
                "%s timed out after %" PRIu64 " ms", x->path,
                (allowed + 500000u) / 1000000u);
  res->is_timeout = res->error.is_timeout = true;
}

/* ---- the operation's table ---- */

static size_t exec_pollfds(net_op *op, struct pollfd *out, size_t max) {
  exec_op *x = (exec_op *)op;
  const int fds[] = {x->out.fd, x->err.fd, x->pidfd};
  size_t n = 0;
  for (size_t i = 0; i < sizeof fds / sizeof fds[0] && n < max; i++)
    if (fds[i] >= 0)
      out[n++] = (struct pollfd){.fd = fds[i], .events = POLLIN};
  return n;
}

static uint64_t exec_wake_ns(const net_op *op) { return UINT64_MAX; }

static void exec_step(net_op *op, const struct pollfd *fds, size_t n,
                      uint64_t now_ns) {
  exec_op *x = (exec_op *)op;
  bool exited = false;
  for (size_t i = 0; i < n; i++) {
    if (!fds[i].revents || fds[i].fd < 0)
      continue;
    if (fds[i].fd == x->out.fd)
      drain(&x->out, EXEC_READS_PER_STEP);
    else if (fds[i].fd == x->err.fd)
      drain(&x->err, EXEC_READS_PER_STEP);
    else if (fds[i].fd == x->pidfd && (fds[i].revents & POLLIN))
      exited = true;
  }
  if (exited)
    end(x);
  else if (now_ns >= op->deadline_ns)
    time_out(x);
}

static void exec_free(net_op *op) {
  exec_op *x = (exec_op *)op;
  if (x->pid > 0 && getpid() == x->owner)
    kill_and_reap(x);
  close_all(x);
  free(x->path);
  free(x);
}

static const net_op_vt exec_vt = {exec_pollfds, exec_wake_ns, exec_step,
                                  exec_free};

/* ---- starting ---- */

/* A pipe whose read end is ours (non-blocking) and whose write end is
** above 2, so that moving it onto 1 or 2 in the child clobbers nothing.
** Both ends are close-on-exec; the child's dup2 clears that on its copy. */
static bool make_pipe(int p[2]) {
  if (pipe2(p, O_CLOEXEC) != 0)
    return false;
  if (p[1] <= STDERR_FILENO) {
    int high = fcntl(p[1], F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
    close(p[1]);
    p[1] = high;
  }
  return p[1] >= 0 && fcntl(p[0], F_SETFL, O_NONBLOCK) == 0;
}

/* The program in a session of its own, so that the group kill reaches
** everything it starts; stdin /dev/null; nothing of ours but its pipes. */
static int spawn(pid_t *pid, const char *path, const char *dir,
                 int out_w, int err_w, char **argv, char **envp) {
  const int fds[] = {out_w, err_w};
  const int targets[] = {STDOUT_FILENO, STDERR_FILENO};
  sup_process p = {.path = path, .argv = argv, .envp = envp,
                   .dir = dir ? dir : "/", .fds = fds, .targets = targets,
                   .nfds = 2, .stdin_null = true,
                   .close_from = STDERR_FILENO + 1,
                   .group = SUP_PROCESS_SESSION};
  return sup_process_spawn(pid, &p);
}

/* A program that cannot start: the errno's name is the code, and the
** message names the path (and the directory, since a missing one fails
** the same way). */
static void start_failed(exec_op *x, const net_exec_req *r, int rc) {
  net_error *e = &x->op.result.error;
  if (r->dir)
    net_error_set(e, "execution", strerrorname_np(rc),
                  "cannot run %s in %s: %s", r->path, r->dir, strerror(rc));
  else
    net_error_set(e, "execution", strerrorname_np(rc), "cannot run %s: %s",
                  r->path, strerror(rc));
}

/* Starts the program, or ends the operation with why it could not. */
static void launch(exec_op *x, const net_exec_req *r, char **argv,
                   char **envp) {
  int out[2] = {-1, -1}, err[2] = {-1, -1};
  if (!make_pipe(out) || !make_pipe(err)) {
    net_error_set(&x->op.result.error, "internal", NULL,
                  "cannot create pipes: %s", strerror(errno));
    goto fail;
  }
  int rc = spawn(&x->pid, r->path, r->dir, out[1], err[1], argv, envp);
  if (rc) {
    x->pid = 0;
    start_failed(x, r, rc);
    goto fail;
  }
  /* The child is ours and not reaped: its pid cannot name another. */
  x->pidfd = pidfd_open(x->pid, 0);
  if (x->pidfd < 0) {
    net_error_set(&x->op.result.error, "internal", NULL, "pidfd_open: %s",
                  strerror(errno));
    kill(-x->pid, SIGKILL);
    while (waitpid(x->pid, NULL, 0) < 0 && errno == EINTR)
      ;
    x->pid = 0;
    goto fail;
  }
  x->out.fd = out[0];
  x->err.fd = err[0];
  close(out[1]);
  close(err[1]);
  return;
fail:
  close_fd(&out[0]);
  close_fd(&out[1]);
  close_fd(&err[0]);
  close_fd(&err[1]);
  net_op_finish(&x->op);
}

/* The broker resolves both: a relative one would be resolved against
** the embedding program's working directory, which nobody granted. */
static bool absolute(exec_op *x, const net_exec_req *r) {
  const char *bad = r->path[0] != '/'             ? r->path
                    : r->dir && r->dir[0] != '/' ? r->dir
                                                 : NULL;
  if (bad)
    net_error_set(&x->op.result.error, "validation", NULL,
                  "%s: not an absolute path", bad);
  return !bad;
}

/* posix_spawn wants NULL-terminated arrays; a request counts instead. */
static char **terminated(const char *const *v, size_t n) {
  char **a = calloc(n + 1, sizeof *a);
  for (size_t i = 0; a && i < n; i++)
    a[i] = (char *)v[i];
  return a;
}

static exec_op *exec_new(const net_exec_req *r, uint64_t deadline_ns) {
  exec_op *x = calloc(1, sizeof *x);
  if (!x)
    return NULL;
  net_op_init(&x->op, &exec_vt, NET_EXEC, deadline_ns);
  net_result *res = &x->op.result;
  x->out = (exec_stream){-1, 0, &res->out, &res->out_len, &res->out_truncated};
  x->err = (exec_stream){-1, 0, &res->err, &res->err_len, &res->err_truncated};
  x->pidfd = -1;
  x->owner = getpid();
  x->path = strdup(r->path);
  if (!x->path) {
    free(x);
    return NULL;
  }
  return x;
}

net_op *net_exec_start(const net_exec_req *r, uint64_t deadline_ns) {
  char **argv = terminated(r->argv, r->argc);
  char **envp = terminated(r->env, r->nenv);
  exec_op *x = argv && envp ? exec_new(r, deadline_ns) : NULL;
  if (!x)
    goto done;
  if (!absolute(x, r))
    net_op_finish(&x->op);
  else if (x->op.start_ns >= deadline_ns)
    time_out(x);  /* not started: it would be killed at once */
  else
    launch(x, r, argv, envp);
done:
  free(argv);
  free(envp);
  return x ? &x->op : NULL;
}
