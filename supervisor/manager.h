/*
** manager.h: what manager.c shares with manager_check.c and watch.c, and
** the seam the tests use to stand in for workers. Names start with
** sup_mgr_ / mgr_.
*/
#ifndef PLUGSUP_SUPERVISOR_MANAGER_H
#define PLUGSUP_SUPERVISOR_MANAGER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "plugsup.h"
#include "sha256.h"

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
  int ifd;     /* inotify */
  int stop[2]; /* a byte on stop[1] ends the thread */
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
void sup_mgr_file_event(plugsup_manager *mgr, const char *abs_path, bool gone);

/* ---- the registry (manager.c) ---- */

/* One validated module and what was learnt from it; never changed once
** built, freed by its last user. */
typedef struct mgr_version {
  atomic_uint refs;
  plugsup_plugin *module;
  char hash[SUP_HASH_NAME];
  plugsup_abi abi;
  char *id; /* the id this version asks for */
  char *name, *version, *description, *author; /* escaped; never NULL */
  char *metadata_json;
  plugsup_policy *policy; /* what its runs are granted; NULL: nothing */
  char *policy_text;
  char **tools; /* TOOL: the names as the plugin gave them */
  size_t ntools;
  plugsup_limits limits; /* the manifest's resources; 0: the manager's */
  char *schema;          /* OBSERVE: schema()'s text, for each execute */
  size_t schema_len;
  plugsup_policy *requested; /* OBSERVE: what describe() asks for */
} mgr_version;

/* What a load was given, kept for the reloads of its file. */
typedef struct mgr_source {
  char *id, *manifest_path, *manifest_json;
  size_t manifest_len;
  plugsup_policy *policy; /* a reference */
  plugsup_abi abi;
} mgr_source;

typedef struct mgr_entry {
  struct mgr_entry *next; /* load order */
  char *id;
  char *path;     /* as given; "" for bytes */
  char *abs_path; /* realpath of the file, for the watcher; or NULL */
  mgr_source src;
  mgr_version *cur;
  plugsup_plugin_state state;
  unsigned users; /* executes and reloads holding it; unload waits */
  bool removed;   /* unlinked; freed when users drops to 0 */
  uint64_t runs, successes, failures, by_outcome[PLUGSUP_OUTCOME_COUNT_];
  char *last_error;
  uint64_t fuel_used, cpu_usec, wall_usec, load_usec, reloads;
} mgr_entry;

typedef struct mgr_validator {
  plugsup_validator_fn *fn;
  void *userdata;
} mgr_validator;

struct plugsup_manager {
  pthread_mutex_t lock;
  pthread_cond_t released;
  plugsup_config sup_cfg;
  char *worker_path;
  plugsup_policy *ceiling; /* NULL: nothing may be granted */
  unsigned max_concurrent, running;
  mgr_entry *head, *tail;
  plugsup_supervisor **pool; /* idle supervisors, at most pool_cap */
  size_t npool, pool_cap;
  mgr_validator *validators;
  size_t nvalidators;
  plugsup_reload_fn *on_reload;
  void *userdata;
  sup_mgr_runner runner;
  bool watching;
  sup_watcher watcher;
  plugsup_limits host; /* the supervisor config's, resolved: the most a
                          manifest's resources may ask */
};

/* Drops a reference to v; the last frees it. */
void mgr_version_unref(mgr_version *v);
/* One run on a supervisor borrowed from the pool, through the runner. */
plugsup_status mgr_pooled_run(plugsup_manager *m, plugsup_plugin *plugin,
                              const plugsup_run_options *o,
                              plugsup_result **out);
/* The entry of that id, or NULL; lock held. */
mgr_entry *mgr_find_id(plugsup_manager *m, const char *id);
/* What a validator sees of a version not yet loaded; false when out of
** memory (then clear it anyway). */
bool mgr_info_of_version(plugsup_plugin_info *i, const mgr_version *v,
                         const char *path);
void mgr_info_clear(plugsup_plugin_info *i);

/* ---- building a version (manager_check.c) ---- */

/* The findings only the manager makes (policy/'s validate_plugin makes
** the others, VALIDATE_CODE_LIST): id, the stable code, its severity,
** and when (docs/manager.md prints this table). */
#define MGR_CODE_LIST(X)                                                       \
  X(MGR_MODULE_INVALID, "module.invalid", ERROR,                               \
    "the worker could not inspect the module (not wasm, invalid, or the "      \
    "run failed)")                                                             \
  X(MGR_MANIFEST_INVALID, "manifest.invalid", ERROR,                           \
    "the manifest cannot be read or does not parse")                           \
  X(MGR_ABI_DESCRIBE, "abi.describe", ERROR,                                   \
    "describe() is not a describe object")                                     \
  X(MGR_ABI_SCHEMA, "abi.schema", ERROR,                                       \
    "schema() returned nothing, or a schema that cannot be used")              \
  X(MGR_DEPENDENCY, "manifest.dependency", ERROR,                              \
    "a dependency is not loaded, or not at a version within its range")        \
  X(MGR_NO_ID, "plugin.no_id", ERROR,                                          \
    "no id: no manifest id, none in the load options, no name, no file")       \
  X(MGR_PERMISSION_REQUESTED, "permission.requested", WARNING,                 \
    "describe() asks for a capability the plugin is not granted; its runs "    \
    "go without")                                                              \
  X(MGR_RELOAD_FAILED, "reload.failed", ERROR,                                 \
    "a changed file could not be inspected at all (the worker failed)")        \
  X(MGR_WATCH_FAILED, "watch.failed", WARNING,                                 \
    "the file's directory cannot be watched: no hot reload for it")

typedef enum mgr_code {
#define MGR_X_(id, code, severity, meaning) id,
  MGR_CODE_LIST(MGR_X_)
#undef MGR_X_
} mgr_code;

/* Adds a finding of that code to rep (its severity from the list). */
plugsup_status mgr_finding(plugsup_report *rep, mgr_code code, const char *fmt,
                           ...) __attribute__((format(printf, 3, 4)));

/* Inspects module in a worker and runs every check over what it says:
** *out is the version (even when the report holds errors), or NULL when
** the call itself failed (the status). Takes module's reference. */
plugsup_status mgr_build_version(plugsup_manager *m, plugsup_plugin *module,
                                 const mgr_source *src, const char *path,
                                 plugsup_report *rep, mgr_version **out);

#endif
