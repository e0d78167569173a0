/*
** process.h: how the supervisor starts every process of its own (workers,
** zygotes, plugsup-http, a plugin's commands): posix_spawn, never fork,
** since the embedding program may be large and threaded. Each starts with
** default signal handling, an empty signal mask, exactly the descriptors
** given (the supervisor's are close-on-exec; closefrom covers the
** embedder's that are not) and exactly the environment given.
*/
#ifndef PLUGSUP_SUPERVISOR_PROCESS_H
#define PLUGSUP_SUPERVISOR_PROCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

typedef enum sup_process_group {
  SUP_PROCESS_SAME,      /* stays in the supervisor's group (it moves
                            itself: a worker calls setsid) */
  SUP_PROCESS_GROUP,     /* a new process group of its own */
  SUP_PROCESS_SESSION    /* a new session (and group) */
} sup_process_group;

typedef struct sup_process {
  const char *path;
  char **argv;
  char **envp;           /* NULL: an empty environment */
  const char *dir;       /* its working directory, or NULL: the caller's */
  const int *fds;        /* fds[i] becomes targets[i] (fds[i] < 0: none) */
  const int *targets;
  size_t nfds;
  bool stdin_null, stdout_null; /* /dev/null on 0 (read), 1 (write) */
  int close_from;        /* > 0: every descriptor from it up is closed */
  sup_process_group group;
} sup_process;

/* Starts p; 0 with *pid set, or posix_spawn's errno (a failed exec or
** chdir too). */
int sup_process_spawn(pid_t *pid, const sup_process *p);

#endif
