/*
** manager.c: the plugin manager, a registry of validated plugins.
**
** A plugin is loaded by one INSPECT run in a worker: the supervisor never
** looks inside a module itself. What the run says (the ABIs the module
** satisfies, their metadata, its manifest section) becomes an immutable,
** reference-counted *version*; the registry entry points at the version
** that serves. A reload builds a new version beside the old one and
** swaps the pointer, so an execute that took a reference before the swap
** finishes on the version it started with.
**
** Locking: one mutex guards the registry, the counters, the supervisor
** pool and the number of executes running; one condition variable says
** "something was released" (an execute slot, an entry's last user). No
** worker runs and no embedder callback is called with the mutex held.
**
** How an INSPECT run becomes a version (manifest, ABI, metadata, checks,
** validators) is manager_check.c; the inotify thread is watch.c.
*/
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "manager.h"
#include "schema.h"

/* ---- small helpers ---- */

static char *dup_or_null(const char *s) { return s ? strdup(s) : NULL; }

static plugsup_status default_run(void *ud, plugsup_supervisor *sup,
                                  plugsup_plugin *plugin,
                                  const plugsup_run_options *o,
                                  plugsup_result **out) {
  (void)ud;
  return plugsup_run(sup, plugin, o, out);
}

static void default_free(void *ud, plugsup_result *res) {
  (void)ud;
  plugsup_result_free(res);
}

void sup_mgr_set_runner(plugsup_manager *mgr, const sup_mgr_runner *runner) {
  mgr->runner = *runner;
}

/* ---- versions ---- */

void mgr_version_unref(mgr_version *v) {
  if (!v || atomic_fetch_sub(&v->refs, 1) != 1)
    return;
  plugsup_plugin_free(v->module);
  free(v->id);
  free(v->name);
  free(v->version);
  free(v->description);
  free(v->author);
  free(v->metadata_json);
  sup_policy_unref(v->policy);
  free(v->policy_text);
  for (size_t i = 0; i < v->ntools; i++)
    free(v->tools[i]);
  free(v->tools);
  free(v->schema);
  sup_policy_unref(v->requested);
  free(v);
}

static void version_ref(mgr_version *v) { atomic_fetch_add(&v->refs, 1); }

/* ---- the supervisor pool and the execute slots ---- */

static plugsup_status pool_get(plugsup_manager *m, plugsup_supervisor **out) {
  pthread_mutex_lock(&m->lock);
  *out = m->npool ? m->pool[--m->npool] : NULL;
  pthread_mutex_unlock(&m->lock);
  return *out ? PLUGSUP_OK : plugsup_supervisor_new(&m->sup_cfg, out);
}

static void pool_put(plugsup_manager *m, plugsup_supervisor *sup) {
  pthread_mutex_lock(&m->lock);
  if (m->npool < m->pool_cap) {
    m->pool[m->npool++] = sup;
    sup = NULL;
  }
  pthread_mutex_unlock(&m->lock);
  plugsup_supervisor_free(sup);
}

/* One run on a pooled supervisor: a supervisor is one thread's at a time,
** so each run borrows one for its length. */
plugsup_status mgr_pooled_run(plugsup_manager *m, plugsup_plugin *plugin,
                              const plugsup_run_options *o,
                              plugsup_result **out) {
  plugsup_supervisor *sup;
  plugsup_status st = pool_get(m, &sup);
  *out = NULL;
  if (st != PLUGSUP_OK)
    return st;
  st = m->runner.run(m->runner.ud, sup, plugin, o, out);
  pool_put(m, sup);
  return st;
}

/* Called with the lock held. */
static void slot_take(plugsup_manager *m) {
  while (m->running >= m->max_concurrent)
    pthread_cond_wait(&m->released, &m->lock);
  m->running++;
}

static void slot_give(plugsup_manager *m) {
  m->running--;
  pthread_cond_broadcast(&m->released);
}

/* ---- the registry (lock held) ---- */

mgr_entry *mgr_find_id(plugsup_manager *m, const char *id) {
  for (mgr_entry *e = m->head; e; e = e->next)
    if (strcmp(e->id, id) == 0)
      return e;
  return NULL;
}

/* By id, else by name: ids are unique, names need not be, so the first
** loaded of that name answers. "" names no plugin (a process plugin has
** no name). */
static mgr_entry *find_id_or_name(plugsup_manager *m, const char *key) {
  mgr_entry *e = mgr_find_id(m, key);
  for (mgr_entry *n = m->head; !e && key[0] && n; n = n->next)
    if (strcmp(n->cur->name, key) == 0)
      e = n;
  return e;
}

static void source_clear(mgr_source *s) {
  free(s->id);
  free(s->manifest_path);
  free(s->manifest_json);
  sup_policy_unref(s->policy);
  memset(s, 0, sizeof *s);
}

static void entry_free(mgr_entry *e) {
  if (!e)
    return;
  free(e->id);
  free(e->path);
  free(e->abs_path);
  source_clear(&e->src);
  mgr_version_unref(e->cur);
  free(e->last_error);
  free(e);
}

static void unlink_entry(plugsup_manager *m, mgr_entry *e) {
  mgr_entry **pp = &m->head, *prev = NULL;
  while (*pp != e) {
    prev = *pp;
    pp = &(*pp)->next;
  }
  *pp = e->next;
  if (m->tail == e)
    m->tail = prev;
  e->next = NULL;
  e->removed = true;
}

/* Drops a user of e (lock held); the last user of a removed entry frees
** it, and an unload waiting for it wakes. */
static void entry_release(plugsup_manager *m, mgr_entry *e) {
  e->users--;
  pthread_cond_broadcast(&m->released);
}

/* ---- snapshots ---- */

void mgr_info_clear(plugsup_plugin_info *i) {
  free((void *)i->id);
  free((void *)i->name);
  free((void *)i->version);
  free((void *)i->description);
  free((void *)i->author);
  free((void *)i->hash);
  free((void *)i->path);
  free((void *)i->metadata_json);
  free((void *)i->policy);
  free((void *)i->last_error);
  memset(i, 0, sizeof *i);
}

void plugsup_plugin_info_free(plugsup_plugin_info *info) {
  if (!info)
    return;
  mgr_info_clear(info);
  free(info);
}

void plugsup_plugin_info_list_free(plugsup_plugin_info *infos, size_t count) {
  for (size_t i = 0; infos && i < count; i++)
    mgr_info_clear(&infos[i]);
  free(infos);
}

static bool info_strings(plugsup_plugin_info *i, const mgr_version *v,
                         const char *id, const char *path) {
  i->id = strdup(id);
  i->name = strdup(v->name ? v->name : "");
  i->version = strdup(v->version ? v->version : "");
  i->description = strdup(v->description ? v->description : "");
  i->author = strdup(v->author ? v->author : "");
  i->hash = strdup(v->hash);
  i->path = strdup(path);
  i->metadata_json = strdup(v->metadata_json ? v->metadata_json : "{}");
  i->policy = strdup(v->policy_text ? v->policy_text : "");
  return i->id && i->name && i->version && i->description && i->author &&
         i->hash && i->path && i->metadata_json && i->policy;
}

/* What a validator sees of a version not yet loaded. */
bool mgr_info_of_version(plugsup_plugin_info *i, const mgr_version *v,
                         const char *path) {
  memset(i, 0, sizeof *i);
  i->abi = v->abi;
  i->state = PLUGSUP_PLUGIN_READY;
  i->last_error = strdup("");
  return info_strings(i, v, v->id ? v->id : "", path) && i->last_error;
}

/* A loaded entry with its counters; lock held. */
static bool info_of_entry(plugsup_plugin_info *i, const mgr_entry *e) {
  memset(i, 0, sizeof *i);
  i->abi = e->cur->abi;
  i->state = e->state;
  i->runs = e->runs;
  i->successes = e->successes;
  i->failures = e->failures;
  memcpy(i->by_outcome, e->by_outcome, sizeof i->by_outcome);
  i->last_error = strdup(e->last_error ? e->last_error : "");
  i->fuel_used = e->fuel_used;
  i->cpu_usec = e->cpu_usec;
  i->wall_usec = e->wall_usec;
  i->load_usec = e->load_usec;
  i->reloads = e->reloads;
  return info_strings(i, e->cur, e->id, e->path) && i->last_error;
}

/* ---- loading ---- */

/* A caller's options of any size the struct has had, as the current. */
static plugsup_load_options load_opts(const plugsup_load_options *o) {
  plugsup_load_options c;
  memset(&c, 0, sizeof c);
  if (o && o->size)
    memcpy(&c, o, o->size < sizeof c ? o->size : sizeof c);
  c.size = sizeof c;
  return c;
}

static plugsup_status source_copy(mgr_source *s,
                                  const plugsup_load_options *o) {
  memset(s, 0, sizeof *s);
  s->id = dup_or_null(o->id);
  s->manifest_path = dup_or_null(o->manifest_path);
  if (o->manifest_json && (s->manifest_json = malloc(o->manifest_len + 1))) {
    memcpy(s->manifest_json, o->manifest_json, o->manifest_len);
    s->manifest_json[o->manifest_len] = '\0';
  }
  s->manifest_len = o->manifest_len;
  s->abi = o->abi;
  if (o->policy) {
    sup_policy_ref(o->policy);
    s->policy = (plugsup_policy *)o->policy;
  }
  if ((o->id && !s->id) || (o->manifest_path && !s->manifest_path) ||
      (o->manifest_json && !s->manifest_json)) {
    source_clear(s);
    return sup_fail(PLUGSUP_ENOMEM, "out of memory loading a plugin");
  }
  return PLUGSUP_OK;
}

static plugsup_status rejected(const char *id, const plugsup_report *rep) {
  for (size_t i = 0; i < rep->count; i++)
    if (rep->findings[i].severity == PLUGSUP_SEVERITY_ERROR)
      return sup_fail(PLUGSUP_EREJECTED,
                      "plugin '%s' failed validation with %zu error%s; the "
                      "first: %s: %s",
                      id, rep->errors, rep->errors == 1 ? "" : "s",
                      rep->findings[i].code, rep->findings[i].message);
  return PLUGSUP_OK;
}

/* Adds e to the registry unless its id is taken. */
static plugsup_status register_entry(plugsup_manager *m, mgr_entry *e) {
  plugsup_status st = PLUGSUP_OK;
  pthread_mutex_lock(&m->lock);
  if (mgr_find_id(m, e->id))
    st = sup_fail(PLUGSUP_EEXIST, "a plugin with id '%s' is already loaded",
                  e->id);
  else if (m->tail)
    m->tail = m->tail->next = e;
  else
    m->head = m->tail = e;
  pthread_mutex_unlock(&m->lock);
  return st;
}

static mgr_entry *entry_new(mgr_version *v, const char *path, mgr_source *src,
                            uint64_t load_usec) {
  mgr_entry *e = calloc(1, sizeof *e);
  if (!e)
    return NULL;
  e->id = strdup(v->id);
  e->path = strdup(path);
  e->cur = v;
  e->src = *src;
  memset(src, 0, sizeof *src);
  e->load_usec = load_usec;
  e->state = PLUGSUP_PLUGIN_READY;
  if (!e->id || !e->path) {
    e->cur = NULL; /* the caller still owns v */
    entry_free(e);
    return NULL;
  }
  return e;
}

/* The watcher learns of the file by the path of its directory as the
** kernel names it, so the entry keeps that name too. */
static void watch_entry(plugsup_manager *m, mgr_entry *e, plugsup_report *rep) {
  char *dir_copy = strdup(e->path), *real = NULL;
  const char *base = strrchr(e->path, '/');
  base = base ? base + 1 : e->path;
  if (dir_copy && (real = realpath(dirname(dir_copy), NULL)) &&
      asprintf(&e->abs_path, "%s/%s", real, base) < 0)
    e->abs_path = NULL;
  if (!e->abs_path || sup_watch_add(&m->watcher, e->abs_path) != PLUGSUP_OK)
    mgr_finding(rep, MGR_WATCH_FAILED,
                "'%s' will not be reloaded on change: %s", e->path,
                e->abs_path ? plugsup_errmsg() : "no directory");
  free(dir_copy);
  free(real);
}

/* Everything a load does after the module is read: takes module. */
static plugsup_status load_module(plugsup_manager *m, plugsup_plugin *module,
                                  const char *path,
                                  const plugsup_load_options *o, char **id_out,
                                  plugsup_report *rep) {
  plugsup_load_options opts = load_opts(o);
  mgr_source src;
  mgr_version *v = NULL;
  mgr_entry *e = NULL;
  char *id = NULL;
  uint64_t t0 = sup_now_ns();
  plugsup_status st = source_copy(&src, &opts);
  if (st != PLUGSUP_OK) {
    plugsup_plugin_free(module);
    return st;
  }
  if ((st = mgr_build_version(m, module, &src, path, rep, &v)) != PLUGSUP_OK)
    goto fail;
  if ((st = rejected(v->id, rep)) != PLUGSUP_OK)
    goto fail;
  if (!(e = entry_new(v, path, &src, (sup_now_ns() - t0) / 1000))) {
    st = sup_fail(PLUGSUP_ENOMEM, "out of memory loading a plugin");
    goto fail;
  }
  v = NULL;
  if (id_out && !(id = strdup(e->id))) {
    st = sup_fail(PLUGSUP_ENOMEM, "out of memory loading a plugin");
    goto fail;
  }
  if (m->watching && path[0])
    watch_entry(m, e, rep);
  if ((st = register_entry(m, e)) != PLUGSUP_OK)
    goto fail;
  if (id_out)
    *id_out = id;
  return PLUGSUP_OK;
fail:
  free(id);
  entry_free(e);
  mgr_version_unref(v);
  source_clear(&src);
  return st;
}

/* The report goes to the caller whatever the status; so does a NULL one
** when there was no memory for it. */
static plugsup_status hand_report(plugsup_status st, plugsup_report *rep,
                                  plugsup_report **report) {
  if (report)
    *report = rep;
  else
    plugsup_report_free(rep);
  return st;
}

static plugsup_status load_args(plugsup_manager *mgr, const void *p,
                                char **id_out, plugsup_report **report,
                                plugsup_report **rep) {
  if (id_out)
    *id_out = NULL;
  if (report)
    *report = NULL;
  if (!mgr || !p)
    return sup_fail(PLUGSUP_EINVAL, "plugsup_manager_load: NULL argument");
  if (!(*rep = sup_report_new()))
    return sup_fail(PLUGSUP_ENOMEM, "out of memory loading a plugin");
  return PLUGSUP_OK;
}

plugsup_status plugsup_manager_load_file(plugsup_manager *mgr, const char *path,
                                         const plugsup_load_options *opts,
                                         char **id_out,
                                         plugsup_report **report) {
  plugsup_report *rep = NULL;
  plugsup_plugin *module;
  plugsup_status st = load_args(mgr, path, id_out, report, &rep);
  if (st != PLUGSUP_OK)
    return st;
  if ((st = plugsup_plugin_load_file(path, &module)) == PLUGSUP_OK)
    st = load_module(mgr, module, path, opts, id_out, rep);
  return hand_report(st, rep, report);
}

plugsup_status plugsup_manager_load_bytes(plugsup_manager *mgr,
                                          const void *bytes, size_t len,
                                          const plugsup_load_options *opts,
                                          char **id_out,
                                          plugsup_report **report) {
  plugsup_report *rep = NULL;
  plugsup_plugin *module;
  plugsup_status st = load_args(mgr, bytes, id_out, report, &rep);
  if (st != PLUGSUP_OK)
    return st;
  if ((st = plugsup_plugin_from_bytes(bytes, len, &module)) == PLUGSUP_OK)
    st = load_module(mgr, module, "", opts, id_out, rep);
  return hand_report(st, rep, report);
}

plugsup_status plugsup_manager_unload(plugsup_manager *mgr, const char *id) {
  mgr_entry *e;
  if (!mgr || !id)
    return sup_fail(PLUGSUP_EINVAL, "plugsup_manager_unload: NULL argument");
  pthread_mutex_lock(&mgr->lock);
  if (!(e = mgr_find_id(mgr, id))) {
    pthread_mutex_unlock(&mgr->lock);
    return sup_fail(PLUGSUP_ENOENT, "no plugin with id '%s' is loaded", id);
  }
  unlink_entry(mgr, e);
  while (e->users)
    pthread_cond_wait(&mgr->released, &mgr->lock);
  pthread_mutex_unlock(&mgr->lock);
  entry_free(e);
  return PLUGSUP_OK;
}

/* ---- list and info ---- */

plugsup_status plugsup_manager_list(plugsup_manager *mgr,
                                    plugsup_plugin_info **out, size_t *count) {
  size_t n = 0;
  if (out)
    *out = NULL;
  if (count)
    *count = 0;
  if (!mgr || !out || !count)
    return sup_fail(PLUGSUP_EINVAL, "plugsup_manager_list: NULL argument");
  pthread_mutex_lock(&mgr->lock);
  for (mgr_entry *e = mgr->head; e; e = e->next)
    n++;
  plugsup_plugin_info *infos = n ? calloc(n, sizeof *infos) : NULL;
  bool ok = infos || !n;
  size_t i = 0;
  for (mgr_entry *e = mgr->head; ok && e; e = e->next)
    ok = info_of_entry(&infos[i++], e);
  pthread_mutex_unlock(&mgr->lock);
  if (!ok) {
    plugsup_plugin_info_list_free(infos, i);
    return sup_fail(PLUGSUP_ENOMEM, "out of memory listing plugins");
  }
  *out = infos;
  *count = n;
  return PLUGSUP_OK;
}

plugsup_status plugsup_manager_info(plugsup_manager *mgr,
                                    const char *id_or_name,
                                    plugsup_plugin_info **out) {
  mgr_entry *e;
  bool ok = false;
  if (out)
    *out = NULL;
  if (!mgr || !id_or_name || !out)
    return sup_fail(PLUGSUP_EINVAL, "plugsup_manager_info: NULL argument");
  plugsup_plugin_info *info = calloc(1, sizeof *info);
  pthread_mutex_lock(&mgr->lock);
  if ((e = find_id_or_name(mgr, id_or_name)) && info)
    ok = info_of_entry(info, e);
  pthread_mutex_unlock(&mgr->lock);
  if (!e) {
    free(info);
    return sup_fail(PLUGSUP_ENOENT, "no plugin '%s' is loaded", id_or_name);
  }
  if (!ok) {
    plugsup_plugin_info_free(info);
    return sup_fail(PLUGSUP_ENOMEM, "out of memory");
  }
  *out = info;
  return PLUGSUP_OK;
}

/* ---- executes ---- */

static plugsup_execute_options exec_opts(const plugsup_execute_options *o) {
  plugsup_execute_options c;
  memset(&c, 0, sizeof c);
  if (o && o->size)
    memcpy(&c, o, o->size < sizeof c ? o->size : sizeof c);
  c.size = sizeof c;
  return c;
}

static uint64_t pick(uint64_t asked, uint64_t plugin) {
  return asked ? asked : plugin;
}

/* TOOL: the tool must be one the plugin listed when loaded. */
static plugsup_status check_tool(const char *id, const mgr_version *v,
                                 const char *tool) {
  if (!tool)
    return sup_fail(PLUGSUP_EINVAL,
                    "plugin '%s' is a tool plugin: name the tool to run", id);
  for (size_t i = 0; i < v->ntools; i++)
    if (strcmp(v->tools[i], tool) == 0)
      return PLUGSUP_OK;
  return sup_fail(PLUGSUP_EINVAL, "no tool named '%s' in plugin '%s'", tool,
                  id);
}

/* OBSERVE: the configuration checked against the plugin's schema, with
** its defaults filled in (*config, malloc'd), and the policy of the run:
** the plugin's, within what its describe() asks for (*run_policy, a new
** one, or NULL for nothing). */
static plugsup_status observe_prepare(const mgr_version *v, const void *input,
                                      size_t len, char **config,
                                      plugsup_policy **run_policy) {
  char err[512];
  *config = NULL;
  *run_policy = NULL;
  int rc =
      schema_check(v->schema ? v->schema : "{}", v->schema ? v->schema_len : 2,
                   input, len, config, err, sizeof err);
  if (rc != SCHEMA_OK)
    return sup_fail(strcmp(err, "out of memory") ? PLUGSUP_EINVAL
                                                 : PLUGSUP_ENOMEM,
                    "%s", err);
  if (!v->policy || !v->requested)
    return PLUGSUP_OK;
  plugsup_status st =
      plugsup_policy_intersect(v->policy, v->requested, run_policy);
  if (st != PLUGSUP_OK) {
    free(*config);
    *config = NULL;
  }
  return st;
}

static plugsup_run_options call_options(const mgr_version *v,
                                        const plugsup_execute_options *x) {
  plugsup_run_options o;
  memset(&o, 0, sizeof o);
  o.size = sizeof o;
  o.mode = PLUGSUP_MODE_CALL;
  o.abi = v->abi;
  o.tool = v->abi == PLUGSUP_ABI_TOOL ? x->tool : NULL;
  o.policy = v->policy;
  o.limits.memory_bytes = pick(x->limits.memory_bytes, v->limits.memory_bytes);
  o.limits.fuel = pick(x->limits.fuel, v->limits.fuel);
  o.limits.wall_ms = pick(x->limits.wall_ms, v->limits.wall_ms);
  o.limits.output_bytes = pick(x->limits.output_bytes, v->limits.output_bytes);
  o.on_output = x->on_output;
  o.on_audit = x->on_audit;
  o.userdata = x->userdata;
  return o;
}

/* One byte call of v's ABI on a pooled supervisor. */
static plugsup_status run_version(plugsup_manager *m, const char *id,
                                  mgr_version *v, const void *input,
                                  size_t input_len,
                                  const plugsup_execute_options *x,
                                  plugsup_result **out) {
  plugsup_run_options o = call_options(v, x);
  plugsup_policy *observe_policy = NULL;
  char *config = NULL;
  plugsup_status st = PLUGSUP_OK;
  *out = NULL;
  if (v->abi == PLUGSUP_ABI_TOOL)
    st = check_tool(id, v, x->tool);
  else if (v->abi == PLUGSUP_ABI_OBSERVE &&
           (st = observe_prepare(v, input, input_len, &config,
                                 &observe_policy)) == PLUGSUP_OK) {
    input = config;
    input_len = strlen(config);
    o.policy = observe_policy;
  }
  if (st != PLUGSUP_OK)
    return st;
  o.input = input;
  o.input_len = input_len;
  st = mgr_pooled_run(m, v->module, &o, out);
  plugsup_policy_free(observe_policy);
  free(config);
  return st;
}

/* Adds one run to e's counters; lock held. */
static void count_run(mgr_entry *e, const plugsup_result *r) {
  char *why;
  e->runs++;
  if ((unsigned)r->outcome < PLUGSUP_OUTCOME_COUNT_)
    e->by_outcome[r->outcome]++;
  e->fuel_used += r->fuel_used;
  e->cpu_usec += r->cpu_usec;
  e->wall_usec += r->wall_usec;
  if (r->outcome == PLUGSUP_OUTCOME_OK) {
    e->successes++;
    return;
  }
  e->failures++;
  if (asprintf(&why, "%s: %s", plugsup_outcome_name(r->outcome), r->message) >=
      0) {
    free(e->last_error);
    e->last_error = why;
  }
}

/* A pinned plugin: the entry cannot be freed nor the version replaced
** under it until unpinned. */
typedef struct mgr_pin {
  mgr_entry *e;
  mgr_version *v;
} mgr_pin;

static mgr_pin pin(mgr_entry *e) {
  e->users++;
  version_ref(e->cur);
  return (mgr_pin){e, e->cur};
}

static void unpin(plugsup_manager *m, mgr_pin p) {
  entry_release(m, p.e);
  mgr_version_unref(p.v);
}

/* Runs a pinned plugin within an execute slot and counts the run. */
static plugsup_status run_pinned(plugsup_manager *m, mgr_pin p,
                                 const void *input, size_t len,
                                 const plugsup_execute_options *x,
                                 plugsup_result **out) {
  pthread_mutex_lock(&m->lock);
  slot_take(m);
  pthread_mutex_unlock(&m->lock);
  plugsup_status st = run_version(m, p.e->id, p.v, input, len, x, out);
  pthread_mutex_lock(&m->lock);
  if (st == PLUGSUP_OK)
    count_run(p.e, *out);
  slot_give(m);
  pthread_mutex_unlock(&m->lock);
  return st;
}

plugsup_status plugsup_manager_execute(plugsup_manager *mgr,
                                       const char *id_or_name,
                                       const void *input, size_t input_len,
                                       const plugsup_execute_options *opts,
                                       plugsup_result **out) {
  plugsup_execute_options x = exec_opts(opts);
  mgr_entry *e;
  if (out)
    *out = NULL;
  if (!mgr || !id_or_name || !out || (!input && input_len))
    return sup_fail(PLUGSUP_EINVAL, "plugsup_manager_execute: NULL argument");
  pthread_mutex_lock(&mgr->lock);
  if (!(e = find_id_or_name(mgr, id_or_name))) {
    pthread_mutex_unlock(&mgr->lock);
    return sup_fail(PLUGSUP_ENOENT, "no plugin '%s' is loaded", id_or_name);
  }
  mgr_pin p = pin(e);
  pthread_mutex_unlock(&mgr->lock);
  plugsup_status st = run_pinned(mgr, p, input, input_len, &x, out);
  pthread_mutex_lock(&mgr->lock);
  unpin(mgr, p);
  pthread_mutex_unlock(&mgr->lock);
  return st;
}

/* The PROCESS plugins in load order, pinned; lock held. */
static mgr_pin *pin_chain(plugsup_manager *m, size_t *n) {
  size_t count = 0, i = 0;
  for (mgr_entry *e = m->head; e; e = e->next)
    count += e->cur->abi == PLUGSUP_ABI_PROCESS;
  mgr_pin *pins = calloc(count ? count : 1, sizeof *pins);
  for (mgr_entry *e = m->head; pins && e; e = e->next)
    if (e->cur->abi == PLUGSUP_ABI_PROCESS)
      pins[i++] = pin(e);
  *n = pins ? count : 0;
  return pins;
}

/* Runs the chain: each output is the next input; stops at the first run
** whose outcome is not OK and names its plugin. */
static plugsup_status run_chain(plugsup_manager *m, mgr_pin *pins, size_t n,
                                const void *input, size_t len,
                                const plugsup_execute_options *x,
                                plugsup_result **out, char **failed) {
  plugsup_result *prev = NULL, *r = NULL;
  plugsup_status st = PLUGSUP_OK;
  for (size_t i = 0; i < n; i++) {
    const void *in = prev ? prev->abi_output.data : input;
    size_t in_len = prev ? prev->abi_output.len : len;
    st = run_pinned(m, pins[i], in, in_len, x, &r);
    if (prev)
      m->runner.free_result(m->runner.ud, prev);
    prev = r;
    if (st != PLUGSUP_OK)
      return st;
    if (r->outcome != PLUGSUP_OUTCOME_OK) {
      if (failed && !(*failed = strdup(pins[i].e->id))) {
        m->runner.free_result(m->runner.ud, r);
        return sup_fail(PLUGSUP_ENOMEM, "out of memory");
      }
      break;
    }
  }
  *out = r;
  return st;
}

plugsup_status plugsup_manager_execute_all(plugsup_manager *mgr,
                                           const void *input, size_t input_len,
                                           const plugsup_execute_options *opts,
                                           plugsup_result **out,
                                           char **failed_id) {
  plugsup_execute_options x = exec_opts(opts);
  size_t n;
  if (out)
    *out = NULL;
  if (failed_id)
    *failed_id = NULL;
  if (!mgr || !out || (!input && input_len))
    return sup_fail(PLUGSUP_EINVAL,
                    "plugsup_manager_execute_all: NULL argument");
  pthread_mutex_lock(&mgr->lock);
  mgr_pin *pins = pin_chain(mgr, &n);
  pthread_mutex_unlock(&mgr->lock);
  plugsup_status st =
      !pins ? sup_fail(PLUGSUP_ENOMEM, "out of memory")
      : !n  ? sup_fail(PLUGSUP_EEMPTY, "no process plugin is loaded")
            : run_chain(mgr, pins, n, input, input_len, &x, out, failed_id);
  pthread_mutex_lock(&mgr->lock);
  for (size_t i = 0; i < n; i++)
    unpin(mgr, pins[i]);
  pthread_mutex_unlock(&mgr->lock);
  free(pins);
  return st;
}

/* ---- hot reload (the watcher thread) ---- */

/* What on_reload will be told, once the entry is no longer pinned: the
** callback may unload the very plugin, and unload waits for its pins. */
typedef struct mgr_notice {
  char *id;
  char old_hash[SUP_HASH_NAME], new_hash[SUP_HASH_NAME];
  plugsup_reload_outcome outcome;
  plugsup_report *report; /* REJECTED only */
  bool set;
} mgr_notice;

static void notice(mgr_notice *n, const mgr_entry *e,
                   plugsup_reload_outcome outcome, const char *new_hash) {
  n->id = strdup(e->id);
  memcpy(n->old_hash, e->cur->hash, sizeof n->old_hash);
  snprintf(n->new_hash, sizeof n->new_hash, "%s", new_hash);
  n->outcome = outcome;
  n->set = n->id != NULL;
}

static void deliver(plugsup_manager *m, mgr_notice *n) {
  if (n->set && m->on_reload)
    m->on_reload(m->userdata, n->id, n->old_hash, n->new_hash, n->outcome,
                 n->report);
  free(n->id);
  plugsup_report_free(n->report);
}

/* The file is gone: the loaded version keeps serving. */
static void reload_gone(plugsup_manager *m, mgr_entry *e, mgr_notice *n) {
  pthread_mutex_lock(&m->lock);
  if (e->state != PLUGSUP_PLUGIN_MISSING)
    notice(n, e, PLUGSUP_RELOAD_DELETED, "");
  e->state = PLUGSUP_PLUGIN_MISSING;
  pthread_mutex_unlock(&m->lock);
}

/* The new version passed: it serves from now on; runs in flight keep the
** old one through their references. */
static void reload_switch(plugsup_manager *m, mgr_entry *e, mgr_version *v,
                          uint64_t load_usec, mgr_notice *n) {
  pthread_mutex_lock(&m->lock);
  mgr_version *prev = e->cur;
  notice(n, e, PLUGSUP_RELOAD_SWITCHED, v->hash);
  e->cur = v;
  e->state = PLUGSUP_PLUGIN_READY;
  e->reloads++;
  e->load_usec = load_usec;
  pthread_mutex_unlock(&m->lock);
  mgr_version_unref(prev);
}

static void reload_reject(plugsup_manager *m, mgr_entry *e,
                          const char *new_hash, plugsup_report *rep,
                          mgr_notice *n) {
  pthread_mutex_lock(&m->lock);
  e->state = PLUGSUP_PLUGIN_STALE;
  notice(n, e, PLUGSUP_RELOAD_REJECTED, new_hash);
  pthread_mutex_unlock(&m->lock);
  n->report = rep;
}

/* Content already serving (a touch, or the file back as it was). */
static bool same_content(plugsup_manager *m, mgr_entry *e, const char *hash) {
  pthread_mutex_lock(&m->lock);
  bool same = strcmp(e->cur->hash, hash) == 0;
  if (same)
    e->state = PLUGSUP_PLUGIN_READY;
  pthread_mutex_unlock(&m->lock);
  return same;
}

/* Validates the file's new content in a worker first, then switches or
** keeps the old version. The id stays the entry's. */
static void reload_entry(plugsup_manager *m, mgr_entry *e, mgr_notice *n) {
  char hash[SUP_HASH_NAME];
  plugsup_plugin *module = NULL;
  mgr_version *v = NULL;
  plugsup_report *rep = NULL;
  uint64_t t0 = sup_now_ns();
  plugsup_status st = plugsup_plugin_load_file(e->abs_path, &module);
  if (st == PLUGSUP_ENOENT)
    reload_gone(m, e, n);
  /* Half-written or unreadable: its next close or rename tells again. */
  if (st != PLUGSUP_OK)
    return;
  sup_sha256_name(module->bytes, module->len, hash);
  if (same_content(m, e, hash) || !(rep = sup_report_new())) {
    plugsup_plugin_free(module);
    return;
  }
  st = mgr_build_version(m, module, &e->src, e->path, rep, &v);
  if (st != PLUGSUP_OK)
    mgr_finding(rep, MGR_RELOAD_FAILED,
                "the new version could not be inspected: %s", plugsup_errmsg());
  if (st != PLUGSUP_OK || rep->errors) {
    reload_reject(m, e, hash, rep, n);
    mgr_version_unref(v);
    return;
  }
  reload_switch(m, e, v, (sup_now_ns() - t0) / 1000, n);
  plugsup_report_free(rep);
}

/* The entries loaded from abs_path (one file may serve several ids), each
** pinned while it reloads; the callbacks come after. */
#define MGR_EVENT_MAX 16

void sup_mgr_file_event(plugsup_manager *m, const char *abs_path, bool gone) {
  mgr_entry *hits[MGR_EVENT_MAX];
  mgr_notice notes[MGR_EVENT_MAX];
  size_t n = 0;
  (void)gone; /* the file itself says whether it is there */
  memset(notes, 0, sizeof notes);
  pthread_mutex_lock(&m->lock);
  for (mgr_entry *e = m->head; e && n < MGR_EVENT_MAX; e = e->next)
    if (e->abs_path && strcmp(e->abs_path, abs_path) == 0) {
      e->users++;
      hits[n++] = e;
    }
  pthread_mutex_unlock(&m->lock);
  for (size_t i = 0; i < n; i++)
    reload_entry(m, hits[i], &notes[i]);
  pthread_mutex_lock(&m->lock);
  for (size_t i = 0; i < n; i++)
    entry_release(m, hits[i]);
  pthread_mutex_unlock(&m->lock);
  for (size_t i = 0; i < n; i++)
    deliver(m, &notes[i]);
}

/* ---- the manager ---- */

const char *plugsup_plugin_state_name(plugsup_plugin_state s) {
  switch (s) {
    PLUGSUP_PLUGIN_STATE_LIST(SUP_NAME_CASE)
  }
  return "unknown";
}

const char *plugsup_reload_name(plugsup_reload_outcome o) {
  switch (o) {
    PLUGSUP_RELOAD_LIST(SUP_NAME_CASE)
  }
  return "unknown";
}

void plugsup_manager_config_init(plugsup_manager_config *cfg) {
  memset(cfg, 0, sizeof *cfg);
  cfg->size = sizeof *cfg;
  plugsup_config_init(&cfg->supervisor);
}

/* A copy of the ceiling, line by line in the policy grammar, so that the
** caller may change or free theirs. */
static plugsup_status copy_policy(const plugsup_policy *src,
                                  plugsup_policy **out) {
  char *text = plugsup_policy_describe(src), *save = NULL;
  plugsup_status st = text ? plugsup_policy_new(out)
                           : sup_fail(PLUGSUP_ENOMEM, "out of memory");
  for (char *line = st == PLUGSUP_OK ? strtok_r(text, "\n", &save) : NULL;
       line && st == PLUGSUP_OK; line = strtok_r(NULL, "\n", &save))
    st = plugsup_policy_allow(*out, line);
  if (st != PLUGSUP_OK && *out) {
    plugsup_policy_free(*out);
    *out = NULL;
  }
  free(text);
  return st;
}

static plugsup_status check_config(const plugsup_manager_config *cfg) {
  if (!cfg)
    return sup_fail(PLUGSUP_EINVAL, "plugsup_manager_new: cfg is NULL");
  if (cfg->size != sizeof *cfg)
    return sup_fail(PLUGSUP_EINVAL,
                    "plugsup_manager_config.size is %zu; this library's is "
                    "%zu (use plugsup_manager_config_init)",
                    cfg->size, sizeof *cfg);
  if (cfg->on_reload && !cfg->watch)
    return sup_fail(PLUGSUP_EINVAL,
                    "plugsup_manager_config.on_reload is set but watch is "
                    "not");
  return PLUGSUP_OK;
}

/* The first pooled supervisor, made now so that a worker that cannot be
** used is the new manager's EWORKER, not its first load's. */
static plugsup_status manager_init(plugsup_manager *m,
                                   const plugsup_manager_config *cfg) {
  plugsup_status st;
  m->sup_cfg = cfg->supervisor;
  if (cfg->supervisor.worker_path &&
      !(m->worker_path = strdup(cfg->supervisor.worker_path)))
    return sup_fail(PLUGSUP_ENOMEM, "out of memory");
  m->sup_cfg.worker_path = m->worker_path;
  m->max_concurrent = cfg->max_concurrent ? cfg->max_concurrent
                      : cfg->supervisor.max_in_flight
                          ? cfg->supervisor.max_in_flight
                          : SUP_DEFAULT_IN_FLIGHT;
  m->pool_cap = m->max_concurrent + 2;
  if (!(m->pool = calloc(m->pool_cap, sizeof *m->pool)))
    return sup_fail(PLUGSUP_ENOMEM, "out of memory");
  if ((st = plugsup_supervisor_new(&m->sup_cfg, &m->pool[0])) != PLUGSUP_OK)
    return st;
  m->npool = 1;
  m->host = m->pool[0]->limits;
  if (cfg->ceiling && (st = copy_policy(cfg->ceiling, &m->ceiling)))
    return st;
  m->on_reload = cfg->on_reload;
  m->userdata = cfg->userdata;
  m->runner = (sup_mgr_runner){default_run, default_free, NULL};
  if (cfg->watch && (st = sup_watch_start(m, &m->watcher)) != PLUGSUP_OK)
    return st;
  m->watching = cfg->watch;
  return PLUGSUP_OK;
}

plugsup_status plugsup_manager_new(const plugsup_manager_config *cfg,
                                   plugsup_manager **out) {
  plugsup_status st = check_config(cfg);
  plugsup_manager *m;
  if (out)
    *out = NULL;
  if (!out)
    return sup_fail(PLUGSUP_EINVAL, "plugsup_manager_new: out is NULL");
  if (st != PLUGSUP_OK)
    return st;
  if (!(m = calloc(1, sizeof *m)))
    return sup_fail(PLUGSUP_ENOMEM, "out of memory");
  pthread_mutex_init(&m->lock, NULL);
  pthread_cond_init(&m->released, NULL);
  m->watcher.ifd = m->watcher.stop[0] = m->watcher.stop[1] = -1;
  if ((st = manager_init(m, cfg)) != PLUGSUP_OK) {
    plugsup_manager_free(m);
    return st;
  }
  *out = m;
  return PLUGSUP_OK;
}

void plugsup_manager_free(plugsup_manager *mgr) {
  if (!mgr)
    return;
  sup_watch_stop(&mgr->watcher);
  pthread_mutex_lock(&mgr->lock);
  while (mgr->running)
    pthread_cond_wait(&mgr->released, &mgr->lock);
  pthread_mutex_unlock(&mgr->lock);
  for (mgr_entry *e = mgr->head, *next; e; e = next) {
    next = e->next;
    entry_free(e);
  }
  for (size_t i = 0; i < mgr->npool; i++)
    plugsup_supervisor_free(mgr->pool[i]);
  free(mgr->pool);
  plugsup_policy_free(mgr->ceiling);
  free(mgr->validators);
  free(mgr->worker_path);
  pthread_cond_destroy(&mgr->released);
  pthread_mutex_destroy(&mgr->lock);
  free(mgr);
}

plugsup_status plugsup_manager_add_validator(plugsup_manager *mgr,
                                             plugsup_validator_fn *fn,
                                             void *userdata) {
  if (!mgr || !fn)
    return sup_fail(PLUGSUP_EINVAL,
                    "plugsup_manager_add_validator: NULL argument");
  pthread_mutex_lock(&mgr->lock);
  mgr_validator *v =
      realloc(mgr->validators, (mgr->nvalidators + 1) * sizeof *v);
  if (v) {
    v[mgr->nvalidators++] = (mgr_validator){fn, userdata};
    mgr->validators = v;
  }
  pthread_mutex_unlock(&mgr->lock);
  return v ? PLUGSUP_OK : sup_fail(PLUGSUP_ENOMEM, "out of memory");
}
