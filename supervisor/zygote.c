/*
** zygote.c: one fork server per plugin (worker/zygote.c is the other
** side), driven from spawn.c on the spawner thread.
**
** A zygote is started by exec on its plugin's first run, with the control
** socket on fd 3 and the plugin's own sealed memfd on fd 4. It answers
** ZygoteReady once it has loaded the module; from then on each run is one
** ZygoteFork (the run's pipe ends ride along as SCM_RIGHTS) and one
** ZygoteForked with the child's pidfd. The child is this process's own
** child (the zygote forks with CLONE_PARENT), so everything after the
** fork (waiting, killing, how it ended, its rusage) goes through the
** pidfd and the kernel, never through the zygote's word: a pidfd that
** does not name a child of ours is refused (waitid says ECHILD).
**
** Whatever goes wrong with a zygote ends it: no answer in time, a broken
** message, a death, a refused fork. The run that found out starts a new
** one; after two failures in a row, or when a zygote never got ready (the
** kernel refused a step, the module does not load), the plugin's runs are
** exec'd, which also gives a module that does not load the same result as
** in exec mode.
**
** A zygote with a pid namespace comes with the namespace's init (the
** holder), another child of ours, whose pidfd comes first of all, in the
** ZygoteHello, before the zygote reads a byte of the module. Its runs live in that namespace, and
** die if the holder dies, so the holder is kept, counted, until the
** zygote and its last run have both let go of it.
*/
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctl.h"
#include "internal.h"

/* How long a zygote may take to answer a fork: an honest one answers in
** well under a millisecond. It is also how long a hostile one can hold
** the supervisor up, once: then it is ended. */
#define ZYGOTE_FORK_MS 1000
/* How long it may take to say hello (only our code runs before: a slow
** start on a loaded machine, or a worker binary that is no zygote) and to
** get ready (decoding and validating the module, about 17 ms per MB of
** code); each capped by the first run's deadline, which the run may
** still need when it falls back to exec. */
#define ZYGOTE_HELLO_MS 2000
#define ZYGOTE_READY_MS 10000
/* How long a zygote being ended may take to finish what it was doing (a
** fork asked for, answered late) and exit, and how long a child of ours
** killed may take to exit. */
#define ZYGOTE_END_MS 1000
#define ZYGOTE_REAP_MS 1000

typedef struct sup_pidns {
  int holder_pidfd;
  unsigned refs; /* the zygote's, and one per run in flight */
} sup_pidns;

typedef struct sup_zygote {
  plugsup_plugin *plugin; /* a reference */
  pid_t pid;              /* the zygote; 0 when none is running */
  int pidfd, ctl;
  sup_pidns *pidns;       /* or NULL: no pid namespace */
  uint64_t next_id;
  uint64_t used;          /* the supervisor's zygote clock at last use */
  bool exec_only;         /* it cannot serve: this plugin's runs exec */
  unsigned failures;      /* forks in a row that failed: refused, or the
                             zygote broke; at 2 the plugin's runs exec */
} sup_zygote;

/* ---- the pid namespace's holder ---- */

/* Reaps a child of ours through its pidfd if it exits within ms: false
** when it did not. */
static bool reap_within(int pidfd, int ms) {
  struct pollfd p = {.fd = pidfd, .events = POLLIN};
  siginfo_t si;
  int n;
  while ((n = poll(&p, 1, ms)) < 0 && errno == EINTR)
    ;
  if (n <= 0)
    return false;
  memset(&si, 0, sizeof si);
  while (waitid(P_PIDFD, (id_t)pidfd, &si, WEXITED | WNOHANG) < 0 &&
         errno == EINTR)
    ;
  return true;
}

/* Kills a child of ours and reaps it, closing its pidfd. A pid namespace's
** holder cannot exit while a process of its namespace that is our child
** is unreaped, and a zygote subverted while loading may have forked such
** a child and never said so: that holder is given up (it stays until this
** process exits, with that child), never waited for without end. */
static void kill_and_reap(int pidfd) {
  pidfd_send_signal(pidfd, SIGKILL, NULL, 0);
  (void)reap_within(pidfd, ZYGOTE_REAP_MS);
  close(pidfd);
}

/* 'ours' false in a child of fork(): the holder is the parent's, and
** only the memory goes. */
static void pidns_unref(sup_pidns *ns, bool ours) {
  if (ns == NULL || --ns->refs > 0)
    return;
  if (ours)
    kill_and_reap(ns->holder_pidfd);
  else
    close(ns->holder_pidfd);
  free(ns);
}

void sup_zygote_run_ended(plugsup_job *job) {
  pidns_unref(job->pidns, getpid() == job->sup->owner);
  job->pidns = NULL;
}

/* A pidfd names a child of this process (alive, or exited and not yet
** reaped): waitid without waiting says so; ECHILD says it is not ours. */
static bool is_our_child(int pidfd) {
  siginfo_t si;
  memset(&si, 0, sizeof si);
  return waitid(P_PIDFD, (id_t)pidfd, &si, WEXITED | WNOHANG | WNOWAIT) == 0;
}

/* ---- ending ---- */

/* Forks the zygote answered after we stopped listening (a slow zygote, on
** a loaded machine): children of ours in its pid namespace that no job
** took, killed and reaped here, or the holder could not exit. */
static void reap_untaken_forks(sup_zygote *z) {
  Plugsup__Envelope *env;
  int fds[CTL_FDS_MAX];
  size_t nfds;
  while (ctl_recv_now(z->ctl, &env, fds, CTL_FDS_MAX, &nfds) == FRAME_OK) {
    bool forked = env->msg_case == PLUGSUP__ENVELOPE__MSG_ZYGOTE_FORKED;
    for (size_t i = 0; i < nfds; i++)
      if (forked && is_our_child(fds[i]))
        kill_and_reap(fds[i]);
      else
        close(fds[i]);
    frame_free(env);
  }
}

/* The zygote is told to stop (EOF on its control socket): an honest one
** finishes the fork it was asked for, answers it and exits, so that every
** child it made is known and reaped; one that does not within
** ZYGOTE_END_MS is killed. */
static void zygote_stop(sup_zygote *z) {
  int status;
  if (z->ctl >= 0)
    shutdown(z->ctl, SHUT_WR);
  if (z->pidfd < 0 || !reap_within(z->pidfd, ZYGOTE_END_MS)) {
    kill(z->pid, SIGKILL); /* our child, not reaped: its pid is its own */
    while (waitpid(z->pid, &status, 0) < 0 && errno == EINTR)
      ;
  }
  if (z->ctl >= 0)
    reap_untaken_forks(z);
}

static void zygote_end(sup_zygote *z, bool ours) {
  if (z->pid > 0 && ours)
    zygote_stop(z);
  if (z->pidfd >= 0)
    close(z->pidfd);
  if (z->ctl >= 0)
    close(z->ctl);
  pidns_unref(z->pidns, ours);
  z->pidns = NULL;
  z->pid = 0;
  z->pidfd = z->ctl = -1;
}

static void zygote_free(sup_zygote *z, bool ours) {
  zygote_end(z, ours);
  plugsup_plugin_free(z->plugin);
  free(z);
}

/* ---- starting ---- */

typedef struct zygote_argv {
  char procs[16], mem[24];
  sup_id_args ids;
  char *argv[12];
} zygote_argv;

static void build_argv(const plugsup_supervisor *s, zygote_argv *a) {
  size_t n = 0;
  snprintf(a->mem, sizeof a->mem, "%" PRIu64, s->limits.memory_bytes);
  /* The zygote, its holder, the runs in flight and, for each, a moment
  ** between its exit and its reaping. */
  snprintf(a->procs, sizeof a->procs, "%u", 2 * s->max_in_flight + 2);
  a->argv[n++] = s->worker_path;
  a->argv[n++] = PLUGSUP_WORKER_ARG_ZYGOTE;
  a->argv[n++] = a->procs;
  a->argv[n++] = PLUGSUP_WORKER_ARG_MEMORY;
  a->argv[n++] = a->mem;
  n = sup_config_args(s, &a->ids, a->argv, n);
  a->argv[n] = NULL;
}

/* fds[0] goes to the zygote's fd 3, fds[1] to its fd 4. */
static int spawn_zygote(const plugsup_supervisor *s, const int fds[2],
                        pid_t *pid) {
  int targets[2] = {PLUGSUP_ZYGOTE_CONTROL_FD, PLUGSUP_ZYGOTE_MODULE_FD};
  int high[2] = {-1, -1};
  zygote_argv a;
  int rc = EMFILE;
  /* Above 4, so that neither dup2 clobbers the other's source. */
  for (int i = 0; i < 2; i++)
    if ((high[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 5)) < 0)
      goto done;
  build_argv(s, &a);
  rc = sup_spawn_process(pid, s->worker_path, high, targets, 2, a.argv);
done:
  for (int i = 0; i < 2; i++)
    if (high[i] >= 0)
      close(high[i]);
  return rc;
}

/* Waits up to ms for the zygote's next message: FRAME_OK with *env and
** fds, or why not (FRAME_AGAIN: no answer in time). */
static frame_status receive(sup_zygote *z, int ms, Plugsup__Envelope **env,
                            int *fds, size_t *nfds) {
  struct pollfd p = {.fd = z->ctl, .events = POLLIN};
  int n;
  *env = NULL;
  *nfds = 0;
  while ((n = poll(&p, 1, ms)) < 0 && errno == EINTR)
    ;
  if (n == 0)
    return FRAME_AGAIN;
  if (n < 0)
    return FRAME_IO;
  return ctl_recv(z->ctl, env, fds, CTL_FDS_MAX, nfds);
}

static void close_fds(const int *fds, size_t n) {
  for (size_t i = 0; i < n; i++)
    close(fds[i]);
}

/* The ZygoteHello, and with a pid namespace its holder, which from then
** on is ours to end. */
static bool await_hello(sup_zygote *z, int ms) {
  Plugsup__Envelope *env;
  int fds[CTL_FDS_MAX];
  size_t nfds;
  bool ok = false;
  if (receive(z, ms, &env, fds, &nfds) != FRAME_OK)
    return false;
  if (ctl_check_hello(env, nfds) != NULL) {
    close_fds(fds, nfds);
  } else if (nfds == 0) {
    ok = true;
  } else if (!is_our_child(fds[0])) {
    close(fds[0]);
  } else if ((z->pidns = malloc(sizeof *z->pidns)) == NULL) {
    kill_and_reap(fds[0]); /* ours: no holder left unreaped */
  } else {
    *z->pidns = (sup_pidns){fds[0], 1};
    ok = true;
  }
  frame_free(env);
  return ok;
}

/* The ZygoteReady: true when the module loaded and the zygote waits for
** forks. */
static bool await_ready(sup_zygote *z, int ms) {
  Plugsup__Envelope *env;
  int fds[CTL_FDS_MAX];
  size_t nfds;
  bool ok;
  if (receive(z, ms, &env, fds, &nfds) != FRAME_OK)
    return false;
  ok = ctl_check_ready(env, nfds) == NULL &&
       env->zygote_ready->problem[0] == '\0';
  close_fds(fds, nfds);
  frame_free(env);
  return ok;
}

/* ms, or what is left of the job's deadline if less. */
static int within_deadline(const plugsup_job *job, int ms) {
  uint64_t now = sup_now_ns();
  uint64_t left = job->deadline_ns > now ? (job->deadline_ns - now) / 1000000u : 0;
  return left < (uint64_t)ms ? (int)left : ms;
}

static bool zygote_start(plugsup_job *job, sup_zygote *z) {
  plugsup_supervisor *s = job->sup;
  int sv[2] = {-1, -1}, fds[2];
  pid_t pid;
  /* The zygote maps the plugin's own sealed memfd; a plugin without one
  ** (the kernel refused it) has no zygote, and its runs exec. */
  if (z->plugin->fd < 0 ||
      socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
    goto fail;
  fds[0] = sv[1];
  fds[1] = z->plugin->fd;
  if (spawn_zygote(s, fds, &pid) != 0)
    goto fail;
  z->pid = pid;
  z->ctl = sv[0];
  sv[0] = -1;
  if ((z->pidfd = pidfd_open(pid, 0)) < 0 ||
      !await_hello(z, within_deadline(job, ZYGOTE_HELLO_MS)) ||
      !await_ready(z, within_deadline(job, ZYGOTE_READY_MS)))
    goto fail;
  close(sv[1]);
  return true;
fail:
  if (sv[0] >= 0)
    close(sv[0]);
  if (sv[1] >= 0)
    close(sv[1]);
  zygote_end(z, true);
  return false;
}

/* ---- forking ---- */

typedef enum fork_outcome { FORKED, ZYGOTE_BROKEN, FORK_REFUSED } fork_outcome;

static fork_outcome ask_fork(plugsup_job *job, sup_zygote *z,
                             const int *run_fds, size_t n_run_fds) {
  Plugsup__ZygoteFork f = PLUGSUP__ZYGOTE_FORK__INIT;
  Plugsup__Envelope env = PLUGSUP__ENVELOPE__INIT, *reply;
  int fds[CTL_FDS_MAX];
  size_t nfds;
  fork_outcome out = ZYGOTE_BROKEN;

  f.id = ++z->next_id;
  f.memory_bytes = job->req.limits.memory_bytes;
  f.cpu_seconds = sup_cpu_seconds(job->req.limits.wall_ms);
  env.msg_case = PLUGSUP__ENVELOPE__MSG_ZYGOTE_FORK;
  env.zygote_fork = &f;
  if (ctl_send(z->ctl, &env, run_fds, n_run_fds) != FRAME_OK ||
      receive(z, ZYGOTE_FORK_MS, &reply, fds, &nfds) != FRAME_OK)
    return ZYGOTE_BROKEN;
  if (ctl_check_forked(reply, nfds, f.id) != NULL) {
    close_fds(fds, nfds);
  } else if (reply->zygote_forked->error != 0) {
    out = FORK_REFUSED;
  } else if (!is_our_child(fds[0])) {
    close(fds[0]);
  } else {
    job->pidfd = fds[0];
    job->pid = (pid_t)reply->zygote_forked->pid;
    job->forked = true;
    if ((job->pidns = z->pidns) != NULL)
      z->pidns->refs++;
    out = FORKED;
  }
  frame_free(reply);
  return out;
}

/* ---- the table ---- */

static sup_zygote *find(plugsup_supervisor *s, const plugsup_plugin *p) {
  for (size_t i = 0; i < s->n_zygotes; i++)
    if (s->zygotes[i]->plugin == p)
      return s->zygotes[i];
  return NULL;
}

static void drop(plugsup_supervisor *s, size_t i) {
  zygote_free(s->zygotes[i], true);
  s->zygotes[i] = s->zygotes[--s->n_zygotes];
}

/* The plugin's zygote record, made (ending the least recently used one
** when the table is full); NULL when out of memory. */
static sup_zygote *find_or_add(plugsup_supervisor *s, plugsup_plugin *p) {
  sup_zygote *z = find(s, p);
  if (z != NULL)
    return z;
  if (s->n_zygotes == SUP_ZYGOTES_MAX) {
    size_t oldest = 0;
    for (size_t i = 1; i < s->n_zygotes; i++)
      if (s->zygotes[i]->used < s->zygotes[oldest]->used)
        oldest = i;
    drop(s, oldest);
  }
  if ((z = calloc(1, sizeof *z)) == NULL)
    return NULL;
  z->pidfd = z->ctl = -1;
  sup_plugin_ref(p);
  z->plugin = p;
  s->zygotes[s->n_zygotes++] = z;
  return z;
}

bool sup_zygote_up(plugsup_supervisor *s, const plugsup_plugin *p) {
  const sup_zygote *z = find(s, p);
  return z != NULL && z->pid != 0 && !z->exec_only;
}

/* A zygote whose plugin nobody else holds can serve no run again (a run
** needs the plugin): it ends, as if released. */
static void drop_unused(plugsup_supervisor *s) {
  for (size_t i = s->n_zygotes; i-- > 0;)
    if (atomic_load(&s->zygotes[i]->plugin->refs) == 1)
      drop(s, i);
}

bool sup_zygote_fork(plugsup_job *job, const int *run_fds, size_t n_run_fds,
                     bool may_start) {
  plugsup_supervisor *s = job->sup;
  drop_unused(s);
  sup_zygote *z = may_start ? find_or_add(s, job->plugin) : find(s, job->plugin);
  if (z == NULL || z->exec_only || (!may_start && z->pid == 0))
    return false;
  z->used = ++s->zygote_clock;
  /* A zygote that died, broke or could not fork is replaced, but a
  ** plugin whose zygotes fail twice in a row (a module that subverts its
  ** zygote, say, which could otherwise hold up every run) is exec'd. */
  while (!z->exec_only) {
    if (z->pid == 0 && !zygote_start(job, z)) {
      z->exec_only = true;
      break;
    }
    fork_outcome out = ask_fork(job, z, run_fds, n_run_fds);
    if (out == FORKED) {
      z->failures = 0;
      return true;
    }
    zygote_end(z, true);
    z->exec_only = ++z->failures >= 2;
    /* The kernel said no to a fork (process or memory limits, a pid
    ** namespace whose holder was killed): this run is exec'd, the next
    ** gets a new zygote. */
    if (out == FORK_REFUSED || !may_start)
      break;
  }
  return false;
}

void plugsup_supervisor_release(plugsup_supervisor *s, plugsup_plugin *p) {
  if (s == NULL || p == NULL || getpid() != s->owner)
    return;
  for (size_t i = 0; i < s->n_zygotes; i++)
    if (s->zygotes[i]->plugin == p) {
      drop(s, i);
      return;
    }
}

void sup_zygotes_free(plugsup_supervisor *s) {
  /* In a child of fork() the zygotes are the parent's: only memory goes. */
  bool ours = getpid() == s->owner;
  while (s->n_zygotes > 0)
    zygote_free(s->zygotes[--s->n_zygotes], ours);
}
