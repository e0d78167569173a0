/*
** helpers.h: shared by the end-to-end tests: supervisors on a chosen
** worker, plugins from fixtures, and the no-leak checks.
*/
#ifndef PLUGSUP_TESTS_E2E_HELPERS_H
#define PLUGSUP_TESTS_E2E_HELPERS_H

#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "plugsup.h"

#define E2E_DIR PLUGSUP_BUILD_DIR "/tests/e2e"
#define REAL_WORKER PLUGSUP_BUILD_DIR "/bin/plugsup-worker"

static inline int open_fd_count(void) {
  DIR *d = opendir("/proc/self/fd");
  int n = 0;
  cr_assert_not_null(d);
  while (readdir(d))
    n++;
  closedir(d);
  return n;
}

/* No child of this process is left, not even a zombie. */
static inline void assert_no_children(void) {
  errno = 0;
  cr_assert_eq(waitpid(-1, NULL, WNOHANG), -1);
  cr_assert_eq(errno, ECHILD);
}

/* A fake worker (fake_worker.c) speaks the run protocol of an exec'd
** worker: a supervisor on one starts workers by exec. Fake zygotes are
** test_zygote.c's. */
static inline plugsup_spawn spawn_for(const char *worker) {
  return strstr(worker, "/fake-worker-") ? PLUGSUP_SPAWN_EXEC
                                         : PLUGSUP_SPAWN_DEFAULT;
}

static inline plugsup_supervisor *sup_on(const char *worker, unsigned inflight,
                                         uint64_t wall_ms) {
  plugsup_config cfg;
  plugsup_supervisor *s = NULL;
  plugsup_config_init(&cfg);
  cfg.worker_path = worker;
  cfg.spawn = spawn_for(worker);
  cfg.max_in_flight = inflight;
  cfg.limits.wall_ms = wall_ms;
  cr_assert_eq(plugsup_supervisor_new(&cfg, &s), PLUGSUP_OK, "%s",
               plugsup_errmsg());
  return s;
}

static inline plugsup_plugin *plugin_bytes(const char *text) {
  plugsup_plugin *p = NULL;
  cr_assert_eq(plugsup_plugin_from_bytes(text, strlen(text), &p), PLUGSUP_OK);
  return p;
}

static inline plugsup_run_options run_opts(plugsup_mode mode) {
  plugsup_run_options o;
  memset(&o, 0, sizeof o);
  o.size = sizeof o;
  o.mode = mode;
  return o;
}

#endif
