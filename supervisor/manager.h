/*
** manager.h: what manager.c shares with watch.c, and the seam the tests
** use to stand in for workers. Names start with sup_mgr_ / mgr_.
*/
#ifndef PLUGSUP_SUPERVISOR_MANAGER_H
#define PLUGSUP_SUPERVISOR_MANAGER_H

#include <pthread.h>
#include <stdbool.h>

#include "plugsup.h"

/* How the manager runs a worker and frees what it got: plugsup_run and
** plugsup_result_free, unless a test puts fakes here (as SQLite routes
** its system calls through a table that tests override). */
typedef struct sup_mgr_runner {
  plugsup_status (*run)(void *ud, plugsup_supervisor *sup,
                        plugsup_plugin *plugin, const plugsup_run_options *o,
                        plugsup_result **out);
  void (*free_result)(void *ud, plugsup_result *res);
  void *ud;
} sup_mgr_runner;

/* Replaces the runner; before any load. */
void sup_mgr_set_runner(plugsup_manager *mgr, const sup_mgr_runner *runner);

/* ---- the watcher (watch.c) ---- */

typedef struct mgr_watch_dir {
  int wd;
  char *dir; /* absolute, as realpath() gave it */
} mgr_watch_dir;

typedef struct sup_watcher {
  plugsup_manager *mgr;
  int ifd;          /* inotify */
  int stop[2];      /* a byte on stop[1] ends the thread */
  pthread_t thread;
  bool running;
  pthread_mutex_t lock; /* dirs */
  mgr_watch_dir *dirs;
  size_t ndirs;
} sup_watcher;

/* Opens inotify and starts the thread; ESYSTEM with errmsg. */
plugsup_status sup_watch_start(plugsup_manager *mgr, sup_watcher *w);
/* Stops the thread and closes everything; a no-op on a zeroed watcher. */
void sup_watch_stop(sup_watcher *w);
/* Watches the directory of abs_path (once per directory). */
plugsup_status sup_watch_add(sup_watcher *w, const char *abs_path);

/* Called by the watcher thread: the file abs_path was written or moved
** into place (gone false), or deleted or moved away (gone true). */
void sup_mgr_file_event(plugsup_manager *mgr, const char *abs_path,
                        bool gone);

#endif
