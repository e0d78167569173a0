/*
** spawn.c: starting, signalling and reaping worker processes.
**
** A worker is started with posix_spawn (glibc does it with a vfork-style
** clone, so a large embedding program is not copied, and reports a failed
** exec as the return value). It gets the request pipe on fd 3, the reply
** pipe on fd 4, an empty environment, an empty signal mask and default
** signal dispositions. Every fd the supervisor keeps is close-on-exec, so
** no worker inherits another worker's pipes. A pidfd tells the event loop
** when the worker has exited, without SIGCHLD.
*/
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"

static void close_fd(int *fd) {
  if (*fd >= 0)
    close(*fd);
  *fd = -1;
}

void sup_close_fds(plugsup_job *job) {
  close_fd(&job->req_fd);
  close_fd(&job->rep_fd);
  close_fd(&job->pidfd);
}

/* The child's pipe ends are moved above fds 3 and 4, so that dup2 onto 3
** and 4 can neither clobber the other end nor be a no-op that keeps
** close-on-exec set. */
static int high_fd(int fd) {
  int moved = fcntl(fd, F_DUPFD_CLOEXEC, PLUGSUP_WORKER_REPLY_FD + 1);
  int saved = errno;
  close(fd);
  errno = saved;
  return moved;
}

typedef struct pipes {
  int child_req, child_rep; /* ends the worker gets */
  int req, rep;             /* ends the supervisor keeps */
} pipes;

static bool make_pipes(pipes *p) {
  int a[2], b[2];
  *p = (pipes){-1, -1, -1, -1};
  if (pipe2(a, O_CLOEXEC) != 0)
    return false;
  if (pipe2(b, O_CLOEXEC) != 0) {
    close(a[0]);
    close(a[1]);
    return false;
  }
  p->req = a[1];
  p->rep = b[0];
  p->child_req = high_fd(a[0]);
  p->child_rep = high_fd(b[1]);
  return p->child_req >= 0 && p->child_rep >= 0 &&
         fcntl(p->req, F_SETFL, O_NONBLOCK) == 0 &&
         fcntl(p->rep, F_SETFL, O_NONBLOCK) == 0;
}

static void close_pipes(pipes *p) {
  close_fd(&p->child_req);
  close_fd(&p->child_rep);
  close_fd(&p->req);
  close_fd(&p->rep);
}

static int spawn_process(pid_t *pid, const char *path, const pipes *p,
                         char **argv) {
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  char *envp[] = {NULL};
  sigset_t none, all;
  int rc = posix_spawn_file_actions_init(&fa);
  if (rc)
    return rc;
  if ((rc = posix_spawnattr_init(&attr))) {
    posix_spawn_file_actions_destroy(&fa);
    return rc;
  }
  sigemptyset(&none);
  sigfillset(&all);
  sigdelset(&all, SIGKILL);
  sigdelset(&all, SIGSTOP);
  if (!(rc = posix_spawn_file_actions_adddup2(&fa, p->child_req,
                                              PLUGSUP_WORKER_REQUEST_FD)) &&
      !(rc = posix_spawn_file_actions_adddup2(&fa, p->child_rep,
                                              PLUGSUP_WORKER_REPLY_FD)) &&
      !(rc = posix_spawnattr_setsigmask(&attr, &none)) &&
      !(rc = posix_spawnattr_setsigdefault(&attr, &all)) &&
      !(rc = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK |
                                                 POSIX_SPAWN_SETSIGDEF)))
    rc = posix_spawn(pid, path, &fa, &attr, argv, envp);
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&fa);
  return rc;
}

/* RLIMIT_CPU is only a backstop behind the wall-clock deadline: set it a
** second beyond, so the deadline normally fires first. */
static uint64_t cpu_seconds(uint64_t wall_ms) { return wall_ms / 1000 + 2; }

bool sup_spawn(plugsup_job *job) {
  char mem[24], cpu[24];
  snprintf(mem, sizeof mem, "%" PRIu64, job->req.limits.memory_bytes);
  snprintf(cpu, sizeof cpu, "%" PRIu64, cpu_seconds(job->req.limits.wall_ms));
  char *argv[] = {job->sup->worker_path, PLUGSUP_WORKER_ARG_MEMORY, mem,
                  PLUGSUP_WORKER_ARG_CPU, cpu,
                  job->sup->no_namespaces ? PLUGSUP_WORKER_ARG_NO_NAMESPACES
                                          : NULL,
                  NULL};
  pipes p;
  if (!make_pipes(&p)) {
    snprintf(job->why, sizeof job->why, "cannot create pipes: %s",
             strerror(errno));
    goto fail;
  }
  int rc = spawn_process(&job->pid, job->sup->worker_path, &p, argv);
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
  job->req_fd = p.req;
  job->rep_fd = p.rep;
  p.req = p.rep = -1;
  close_pipes(&p);
  return true;
fail:
  close_pipes(&p);
  job->pid = 0;
  return false;
}

/* Writing into a pipe whose worker has died raises SIGPIPE, which would
** kill an embedding program that keeps the default action. A library may
** not change process-wide dispositions, so SIGPIPE is blocked on this
** thread around the write, and one raised by it is taken off the thread's
** pending set before the old mask comes back. A SIGPIPE that was already
** pending belongs to the application and is left alone. */
frame_status sup_flush(plugsup_job *job) {
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
static void wait_worker(plugsup_job *job, int *status, plugsup_result *res) {
  struct rusage ru;
  memset(&ru, 0, sizeof ru);
  *status = 0;
  while (wait4(job->pid, status, 0, &ru) < 0 && errno == EINTR)
    ;
  job->pid = 0;
  if (!res)
    return;
  res->cpu_usec = timeval_usec(ru.ru_utime) + timeval_usec(ru.ru_stime);
  res->max_rss_bytes = (uint64_t)ru.ru_maxrss * 1024u;
  res->wall_usec = (sup_now_ns() - job->start_ns) / 1000u;
}

void sup_reap(plugsup_job *job, int *status, plugsup_result *res) {
  wait_worker(job, status, res);
  sup_close_fds(job);
}

void sup_kill_and_reap(plugsup_job *job) {
  int status;
  if (job->pid > 0) {
    kill(job->pid, SIGKILL);
    wait_worker(job, &status, NULL);
  }
  sup_close_fds(job);
}
