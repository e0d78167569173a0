/*
** process.c: sup_process_spawn (process.h).
*/
#include "process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <unistd.h>

static int file_actions(posix_spawn_file_actions_t *fa, const sup_process *p) {
  int rc = 0;
  for (size_t i = 0; i < p->nfds && !rc; i++)
    if (p->fds[i] >= 0)
      rc = posix_spawn_file_actions_adddup2(fa, p->fds[i], p->targets[i]);
  if (!rc && p->stdin_null)
    rc = posix_spawn_file_actions_addopen(fa, STDIN_FILENO, "/dev/null",
                                          O_RDONLY, 0);
  if (!rc && p->stdout_null)
    rc = posix_spawn_file_actions_addopen(fa, STDOUT_FILENO, "/dev/null",
                                          O_WRONLY, 0);
  if (!rc && p->dir)
    rc = posix_spawn_file_actions_addchdir_np(fa, p->dir);
  if (!rc && p->close_from > 0)
    rc = posix_spawn_file_actions_addclosefrom_np(fa, p->close_from);
  return rc;
}

static int attributes(posix_spawnattr_t *attr, const sup_process *p) {
  sigset_t none, all;
  short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
  int rc;
  sigemptyset(&none);
  sigfillset(&all);
  sigdelset(&all, SIGKILL);
  sigdelset(&all, SIGSTOP);
  if (p->group == SUP_PROCESS_SESSION)
    flags |= POSIX_SPAWN_SETSID;
  if (p->group == SUP_PROCESS_GROUP)
    flags |= POSIX_SPAWN_SETPGROUP;
  if ((rc = posix_spawnattr_setsigmask(attr, &none)) ||
      (rc = posix_spawnattr_setsigdefault(attr, &all)) ||
      (p->group == SUP_PROCESS_GROUP &&
       (rc = posix_spawnattr_setpgroup(attr, 0))))
    return rc;
  return posix_spawnattr_setflags(attr, flags);
}

int sup_process_spawn(pid_t *pid, const sup_process *p) {
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  char *empty[] = {NULL};
  int rc = posix_spawn_file_actions_init(&fa);
  if (rc)
    return rc;
  if ((rc = posix_spawnattr_init(&attr)) == 0) {
    if (!(rc = file_actions(&fa, p)) && !(rc = attributes(&attr, p)))
      rc = posix_spawn(pid, p->path, &fa, &attr, p->argv,
                       p->envp ? p->envp : empty);
    posix_spawnattr_destroy(&attr);
  }
  posix_spawn_file_actions_destroy(&fa);
  return rc;
}
