/*
** spawn.c: starting, signalling and reaping worker processes.
**
** A worker is started with posix_spawn (glibc does it with a vfork-style
** clone, so a large embedding program is not copied, and reports a failed
** exec as the return value). It gets the request pipe on fd 3, the reply
** pipe on fd 4, the shared buffer on fd 5 and the plugin's sealed memfd on
** fd 6 when there are such (proto/frame.h), an empty environment, an empty
** signal mask and default signal dispositions. Every fd the supervisor
** keeps is close-on-exec, so no worker inherits another worker's pipes. A
** pidfd tells the event loop when the worker has exited, without SIGCHLD.
**
** Every worker is started by the supervisor's spawner thread, which lives
** as long as the supervisor: the kernel sends a worker its parent-death
** signal when the *thread* that forked it ends, so a worker started from
** an embedder's short-lived thread would die with that thread.
*/
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/pidfd.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "broker.h"
#include "hostcall.h"
#include "internal.h"
#include "policy.h"
#include "process.h"

static void close_fd(int *fd) {
  if (*fd >= 0)
    close(*fd);
  *fd = -1;
}

void sup_close_fds(plugsup_job *job) {
  close_fd(&job->req_fd);
  close_fd(&job->rep_fd);
  close_fd(&job->pidfd);
  sup_unmap_shared(job);
}

/* An exec'd worker's ends are moved above fds 3 to 6 before the spawn, so
** that dup2 onto them can neither clobber another nor be a no-op that
** keeps close-on-exec set. A zygote's child takes them from wherever they
** come (they travel as SCM_RIGHTS), so a zygote run does without these
** six system calls. -1 (the fd closed) or the new fd. */
static int high_fd(int fd) {
  int moved = fcntl(fd, F_DUPFD_CLOEXEC, PLUGSUP_WORKER_MODULE_FD + 1);
  int saved = errno;
  close(fd);
  errno = saved;
  return moved;
}

typedef struct pipes {
  int shared;               /* the memfd the worker maps, or -1 */
  int module;               /* the plugin's memfd, or -1 */
  int child_req, child_rep; /* ends the worker gets */
  int req, rep;             /* ends the supervisor keeps */
} pipes;

/* Whether the run may have files at all (a preopened directory or a
** temporary one): the shared buffer carries only their bytes. */
static bool run_has_files(const plugsup_job *job) {
  const policy *rules = job->broker ? job->broker->rules : NULL;
  return rules && (policy_preopen_count(rules) > 0 || policy_tmpdir(rules));
}

/* The buffer file bytes travel in: sealed at its size, so that no one
** (not a hostile worker that kept the descriptor) can shrink it under the
** supervisor's mapping. Best effort: without it, bytes go in frames. A
** run without files gets none: it would cost every run seven system
** calls and a descriptor passed for nothing. */
static void make_shared(plugsup_job *job, pipes *p) {
  if (!run_has_files(job))
    return;
  int fd = memfd_create("plugsup-io", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  void *m = MAP_FAILED;
  if (fd >= 0 && ftruncate(fd, HOSTCALL_IO_MAX) == 0 &&
      fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) == 0)
    m = mmap(NULL, HOSTCALL_IO_MAX, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (m == MAP_FAILED) {
    if (fd >= 0)
      close(fd);
    return;
  }
  job->shared = m;
  p->shared = fd;
}

void sup_unmap_shared(plugsup_job *job) {
  if (job->shared)
    munmap(job->shared, HOSTCALL_IO_MAX);
  job->shared = NULL;
  job->shared_bytes = 0;
}

static bool make_pipes(pipes *p) {
  int a[2], b[2];
  *p = (pipes){-1, -1, -1, -1, -1, -1};
  if (pipe2(a, O_CLOEXEC) != 0)
    return false;
  if (pipe2(b, O_CLOEXEC) != 0) {
    close(a[0]);
    close(a[1]);
    return false;
  }
  p->req = a[1];
  p->rep = b[0];
  /* A host call's reply carries up to 512 KiB: a pipe that holds it
  ** whole saves a wake-up per 64 KiB on each side. Best effort: the
  ** kernel may refuse (pipe-max-size, the user's pipe quota). */
  fcntl(p->req, F_SETPIPE_SZ, SUP_PIPE_BYTES);
  fcntl(p->rep, F_SETPIPE_SZ, SUP_PIPE_BYTES);
  p->child_req = a[0];
  p->child_rep = b[1];
  return fcntl(p->req, F_SETFL, O_NONBLOCK) == 0 &&
         fcntl(p->rep, F_SETFL, O_NONBLOCK) == 0;
}

static void close_pipes(pipes *p) {
  close_fd(&p->shared);
  close_fd(&p->module);
  close_fd(&p->child_req);
  close_fd(&p->child_rep);
  close_fd(&p->req);
  close_fd(&p->rep);
}

int sup_spawn_process(pid_t *pid, const char *path, const int *fds,
                      const int *targets, size_t n, char **argv) {
  sup_process p = {.path = path, .argv = argv, .fds = fds,
                   .targets = targets, .nfds = n};
  return sup_process_spawn(pid, &p);
}

/* 0 or an errno. A shared buffer that cannot be moved is left out, as
** when it cannot be made. */
static int raise_child_fds(plugsup_job *job, pipes *p) {
  if ((p->child_req = high_fd(p->child_req)) < 0 ||
      (p->child_rep = high_fd(p->child_rep)) < 0)
    return errno;
  if (p->shared >= 0 && (p->shared = high_fd(p->shared)) < 0)
    sup_unmap_shared(job);
  return 0;
}

static int spawn_process(pid_t *pid, const char *path, const pipes *p,
                         char **argv) {
  const int fds[] = {p->child_req, p->child_rep, p->shared, p->module};
  const int targets[] = {PLUGSUP_WORKER_REQUEST_FD, PLUGSUP_WORKER_REPLY_FD,
                         PLUGSUP_WORKER_SHARED_FD, PLUGSUP_WORKER_MODULE_FD};
  return sup_spawn_process(pid, path, fds, targets, 4, argv);
}

/* An exec'd worker maps the plugin's sealed memfd instead of unpacking
** the module from its Run: one copy of it in memory, however many runs.
** Without one (the kernel refused it, or no descriptor is left) the Run
** carries the bytes. */
static void give_module(plugsup_job *job, pipes *p) {
  if (job->plugin->fd >= 0)
    p->module = fcntl(job->plugin->fd, F_DUPFD_CLOEXEC,
                      PLUGSUP_WORKER_MODULE_FD + 1);
  job->module_on_fd = p->module >= 0;
}

/* RLIMIT_CPU is only a backstop behind the wall-clock deadline: set it a
** second beyond, so the deadline normally fires first. */
uint64_t sup_cpu_seconds(uint64_t wall_ms) { return wall_ms / 1000 + 2; }

const char *sup_sigchld_problem(void) {
  struct sigaction sa;
  if (sigaction(SIGCHLD, NULL, &sa) != 0)
    return NULL;
  if (sa.sa_handler == SIG_IGN || (sa.sa_flags & SA_NOCLDWAIT))
    return "this process ignores SIGCHLD (SIG_IGN or SA_NOCLDWAIT): the "
           "kernel would reap workers before the supervisor learns how they "
           "ended; restore the default disposition";
  return NULL;
}

typedef struct worker_argv {
  char mem[24], cpu[24];
  sup_id_args ids;
  char *argv[12];
} worker_argv;

size_t sup_config_args(const plugsup_supervisor *s, sup_id_args *ids,
                       char **argv, size_t n) {
  if (s->no_namespaces)
    argv[n++] = PLUGSUP_WORKER_ARG_NO_NAMESPACES;
  if (s->drop_ids) {
    snprintf(ids->uid, sizeof ids->uid, "%u", s->worker_uid);
    snprintf(ids->gid, sizeof ids->gid, "%u", s->worker_gid);
    argv[n++] = PLUGSUP_WORKER_ARG_UID;
    argv[n++] = ids->uid;
    argv[n++] = PLUGSUP_WORKER_ARG_GID;
    argv[n++] = ids->gid;
  }
  return n;
}

static void build_argv(const plugsup_job *job, worker_argv *a) {
  const plugsup_supervisor *s = job->sup;
  size_t n = 0;
  snprintf(a->mem, sizeof a->mem, "%" PRIu64, job->req.limits.memory_bytes);
  snprintf(a->cpu, sizeof a->cpu, "%" PRIu64,
           sup_cpu_seconds(job->req.limits.wall_ms));
  a->argv[n++] = s->worker_path;
  a->argv[n++] = PLUGSUP_WORKER_ARG_MEMORY;
  a->argv[n++] = a->mem;
  a->argv[n++] = PLUGSUP_WORKER_ARG_CPU;
  a->argv[n++] = a->cpu;
  n = sup_config_args(s, &a->ids, a->argv, n);
  a->argv[n] = NULL;
}

static bool forked(plugsup_job *job, const pipes *p, bool may_start) {
  const int fds[] = {p->child_req, p->child_rep, p->shared};
  return sup_zygote_fork(job, fds, p->shared >= 0 ? 3 : 2, may_start);
}

static void keep_pipes(plugsup_job *job, pipes *p) {
  job->req_fd = p->req;
  job->rep_fd = p->rep;
  p->req = p->rep = -1;
  close_pipes(p);
}

/* Runs on the spawner thread. */
static bool spawn_now(plugsup_job *job) {
  const char *problem = sup_sigchld_problem();
  if (problem) {
    snprintf(job->why, sizeof job->why, "%s", problem);
    job->pid = 0;
    return false;
  }
  worker_argv a;
  build_argv(job, &a);
  pipes p;
  if (!make_pipes(&p)) {
    snprintf(job->why, sizeof job->why, "cannot create pipes: %s",
             strerror(errno));
    goto fail;
  }
  make_shared(job, &p);
  if (job->sup->spawn == PLUGSUP_SPAWN_ZYGOTE && forked(job, &p, true))
    goto started;
  give_module(job, &p);
  int rc = raise_child_fds(job, &p);
  if (rc == 0)
    rc = spawn_process(&job->pid, job->sup->worker_path, &p, a.argv);
  if (rc) {
    snprintf(job->why, sizeof job->why, "cannot start worker '%s': %s",
             job->sup->worker_path, strerror(rc));
    goto fail;
  }
  job->pidfd = pidfd_open(job->pid, 0);
  if (job->pidfd < 0) {
    snprintf(job->why, sizeof job->why, "pidfd_open: %s", strerror(errno));
    kill(job->pid, SIGKILL);
    while (waitpid(job->pid, NULL, 0) < 0 && errno == EINTR)
      ;
    goto fail;
  }
started:
  keep_pipes(job, &p);
  return true;
fail:
  close_pipes(&p);
  sup_unmap_shared(job);
  job->pid = 0;
  return false;
}

/* ---- the spawner thread ---- */

static void *spawner_main(void *arg) {
  plugsup_supervisor *s = arg;
  sup_spawner *sp = &s->spawner;
  pthread_mutex_lock(&sp->lock);
  for (;;) {
    while (!sp->request && !sp->quit)
      pthread_cond_wait(&sp->wake, &sp->lock);
    if (sp->quit)
      break;
    spawn_now(sp->request);
    sp->request = NULL;
    sp->finished = true;
    pthread_cond_signal(&sp->done);
  }
  pthread_mutex_unlock(&sp->lock);
  return NULL;
}

plugsup_status sup_spawner_start(plugsup_supervisor *s) {
  sup_spawner *sp = &s->spawner;
  sigset_t all, old;
  int rc;
  pthread_mutex_init(&sp->lock, NULL);
  pthread_cond_init(&sp->wake, NULL);
  pthread_cond_init(&sp->done, NULL);
  /* The thread takes no signal meant for the embedding program. */
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  rc = pthread_create(&sp->thread, NULL, spawner_main, s);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (rc != 0)
    return sup_fail(PLUGSUP_ESYSTEM, "cannot start the spawner thread: %s",
                    strerror(rc));
  sp->running = true;
  return PLUGSUP_OK;
}

void sup_spawner_stop(plugsup_supervisor *s) {
  sup_spawner *sp = &s->spawner;
  /* A child of fork() has no spawner thread to stop (and its copy of the
  ** lock may be held): it only lets go of the memory. */
  if (!sp->running || getpid() != s->owner)
    return;
  pthread_mutex_lock(&sp->lock);
  sp->quit = true;
  pthread_cond_signal(&sp->wake);
  pthread_mutex_unlock(&sp->lock);
  pthread_join(sp->thread, NULL);
  pthread_cond_destroy(&sp->wake);
  pthread_cond_destroy(&sp->done);
  pthread_mutex_destroy(&sp->lock);
  sp->running = false;
}

/* On the caller's thread, a run whose plugin has a zygote up is forked
** there and then: the child's parent is the zygote's, the spawner thread,
** whoever asks, and handing the job over costs two thread switches. False
** leaves the job to the spawner thread. */
static bool fork_here(plugsup_job *job) {
  pipes p;
  if (job->sup->spawn != PLUGSUP_SPAWN_ZYGOTE || sup_sigchld_problem() ||
      !sup_zygote_up(job->sup, job->plugin))
    return false;
  if (make_pipes(&p)) {
    make_shared(job, &p);
    if (forked(job, &p, false)) {
      keep_pipes(job, &p);
      return true;
    }
  }
  close_pipes(&p);
  sup_unmap_shared(job);
  return false;
}

bool sup_spawn(plugsup_job *job) {
  sup_spawner *sp = &job->sup->spawner;
  job->why[0] = '\0';
  job->pid = 0;
  if (fork_here(job))
    return true;
  pthread_mutex_lock(&sp->lock);
  sp->request = job;
  sp->finished = false;
  pthread_cond_signal(&sp->wake);
  while (!sp->finished)
    pthread_cond_wait(&sp->done, &sp->lock);
  pthread_mutex_unlock(&sp->lock);
  return job->pid > 0;
}

/* Writing into a pipe whose worker has died raises SIGPIPE, which would
** kill an embedding program that keeps the default action. A library may
** not change process-wide dispositions, so SIGPIPE is blocked on this
** thread around the write, and one raised by it is taken off the thread's
** pending set before the old mask comes back. A SIGPIPE that was already
** pending belongs to the application and is left alone. */
/* Whether SIGPIPE is ignored in this process (as plugsup's CLI does):
** then a write cannot raise one, and the three calls of masking it are
** saved on every frame. */
static bool sigpipe_ignored(void) {
  struct sigaction sa;
  return sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_IGN;
}

frame_status sup_flush(plugsup_job *job) {
  if (sigpipe_ignored())
    return frame_writer_flush(&job->writer, job->req_fd);
  sigset_t pipe_set, old, pending;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  sigpending(&pending);
  bool was_pending = sigismember(&pending, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
  frame_status st = frame_writer_flush(&job->writer, job->req_fd);
  int saved = errno;
  if (st == FRAME_IO && saved == EPIPE && !was_pending) {
    struct timespec zero = {0, 0};
    while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR)
      ;
  }
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  errno = saved;
  return st;
}

static uint64_t timeval_usec(struct timeval tv) {
  return (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec;
}

/* Blocks only briefly: callers know the worker has exited or was sent
** SIGKILL, which no process can ignore. */
/* A zygote's child is waited for through its pidfd (its pid is only the
** zygote's claim); the raw waitid gives its rusage too. The siginfo
** becomes the wait status wait4 would have given. */
static pid_t wait_forked(plugsup_job *job, int *status, struct rusage *ru) {
  siginfo_t si;
  long rc;
  memset(&si, 0, sizeof si);
  while ((rc = syscall(SYS_waitid, P_PIDFD, job->pidfd, &si, WEXITED, ru)) < 0 &&
         errno == EINTR)
    ;
  sup_zygote_run_ended(job);
  if (rc < 0)
    return -1;
  if (si.si_code == CLD_EXITED)
    *status = (si.si_status & 0xff) << 8;
  else
    *status = (si.si_status & 0x7f) | (si.si_code == CLD_DUMPED ? 0x80 : 0);
  return si.si_pid;
}

static bool wait_worker(plugsup_job *job, int *status, plugsup_result *res) {
  struct rusage ru;
  pid_t got;
  memset(&ru, 0, sizeof ru);
  *status = 0;
  if (job->forked)
    got = wait_forked(job, status, &ru);
  else
    while ((got = wait4(job->pid, status, 0, &ru)) < 0 && errno == EINTR)
      ;
  job->pid = 0;
  if (res) {
    res->cpu_usec = timeval_usec(ru.ru_utime) + timeval_usec(ru.ru_stime);
    res->max_rss_bytes = (uint64_t)ru.ru_maxrss * 1024u;
    res->wall_usec = (sup_now_ns() - job->start_ns) / 1000u;
  }
  return got > 0;
}

/* While the worker is not reaped its pid names no other process, and a
** process group with its number exists only if the worker made it. In a
** child of fork() the worker is not ours: its parent's supervisor owns it. */
void sup_signal_worker(plugsup_job *job) {
  if (job->pid <= 0 || getpid() != job->sup->owner)
    return;
  /* A zygote's child cannot fork, so it leads no group, and its pid is
  ** only the zygote's word. */
  if (job->forked) {
    pidfd_send_signal(job->pidfd, SIGKILL, NULL, 0);
    return;
  }
  kill(-job->pid, SIGKILL);
  kill(job->pid, SIGKILL);
}

bool sup_reap(plugsup_job *job, int *status, plugsup_result *res) {
  /* The worker is gone; anything still in its process group is what it
  ** left behind. */
  if (job->pid > 0 && !job->forked && getpid() == job->sup->owner)
    kill(-job->pid, SIGKILL);
  bool ok = wait_worker(job, status, res);
  sup_close_fds(job);
  return ok;
}

void sup_kill_and_reap(plugsup_job *job) {
  int status;
  if (job->pid > 0) {
    sup_signal_worker(job);
    wait_worker(job, &status, NULL);
  }
  sup_close_fds(job);
}
