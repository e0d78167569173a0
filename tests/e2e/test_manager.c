/*
** test_manager.c: the plugin manager, with the worker's answers played by
** a fake runner (supervisor/manager.h): each "module" is a line of text
** saying what its INSPECT run finds and what its calls do, e.g.
**   "abi=tool;name=calc;tools=add,sub;call=upper"
** so that the registry, counters, chains, threads and hot reload are
** tested exactly and fast. The real worker still has to start (the
** manager makes its first supervisor at once).
*/
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"
#include "internal.h"
#include "manager.h"

/* ---- the fake worker ---- */

typedef struct fake_res {
  plugsup_result r; /* first: the manager sees only this */
  plugsup_abi_match abis[3];
  const char *problems[3][1];
  plugsup_abi_item items[16];
  char data[16][256];
  char manifest[512];
  plugsup_export exports[4];
  char export_names[4][32];
  char *out;
} fake_res;

static atomic_int in_flight, most_in_flight, calls;

/* The value of key in spec, into out ("" if absent). */
static const char *get(const char *spec, const char *key, char *out,
                       size_t size) {
  char pat[32];
  snprintf(pat, sizeof pat, "%s=", key);
  const char *p = strstr(spec, pat);
  out[0] = '\0';
  if (p && (p == spec || p[-1] == ';')) {
    p += strlen(pat);
    size_t n = strcspn(p, ";\n");
    snprintf(out, size, "%.*s", (int)(n < size ? n : size - 1), p);
  }
  return out;
}

static fake_res *fake_new(void) {
  fake_res *f = calloc(1, sizeof *f);
  f->r.trap_kind = f->r.message = f->r.syscall = f->r.manifest = "";
  f->r.out.data = f->r.err.data = f->r.abi_output.data = "";
  return f;
}

static void add_item(fake_res *f, const char *call, uint32_t index,
                     const char *text) {
  size_t i = f->r.abi_item_count++;
  snprintf(f->data[i], sizeof f->data[i], "%s", text);
  f->items[i] = (plugsup_abi_item){call, index, f->data[i], strlen(f->data[i])};
  f->r.abi_items = f->items;
}

/* "exports=a,b": the module's exports, for a manifest's entry points. */
static void fake_exports(fake_res *f, const char *spec) {
  char list[128];
  size_t n = 0;
  get(spec, "exports", list, sizeof list);
  for (char *save, *e = strtok_r(list, ",", &save); e && n < 4;
       e = strtok_r(NULL, ",", &save), n++) {
    snprintf(f->export_names[n], sizeof f->export_names[n], "%s", e);
    f->exports[n] = (plugsup_export){f->export_names[n], "func", "() -> ()"};
  }
  f->r.exports = f->exports;
  f->r.export_count = n;
}

static void fake_items(fake_res *f, const char *spec) {
  char v[256], tools[96], desc[96];
  if (strstr(get(spec, "abi", v, sizeof v), "observe")) {
    add_item(f, "describe", 0, get(spec, "describe", v, sizeof v));
    add_item(f, "schema", 0, get(spec, "schema", v, sizeof v));
  }
  if (strstr(get(spec, "abi", v, sizeof v), "tool")) {
    add_item(f, "plugin_name", 0, get(spec, "name", v, sizeof v));
    add_item(f, "plugin_version", 0, get(spec, "version", v, sizeof v));
    add_item(f, "plugin_description", 0, "a fake tool");
    get(spec, "tools", tools, sizeof tools);
    uint32_t i = 0;
    for (char *save, *t = strtok_r(tools, ",", &save); t;
         t = strtok_r(NULL, ",", &save), i++) {
      add_item(f, "plugin_tool_name", i, t);
      snprintf(desc, sizeof desc, "does %s", t);
      add_item(f, "plugin_tool_description", i, desc);
    }
  }
}

static fake_res *fake_inspect(const char *spec) {
  static const char *const wants[] = {"missing export 'process'",
                                      "missing export 'plugin_name'",
                                      "missing export 'describe'"};
  char abi[64], v[64];
  fake_res *f = fake_new();
  if (strcmp(get(spec, "inspect", v, sizeof v), "fail") == 0) {
    f->r.outcome = PLUGSUP_OUTCOME_INVALID_MODULE;
    f->r.message = "magic header not detected";
    return f;
  }
  get(spec, "abi", abi, sizeof abi);
  for (int i = 0; i < 3; i++) {
    f->abis[i].abi = (plugsup_abi)(PLUGSUP_ABI_PROCESS + i);
    f->abis[i].error = "";
    if (!strstr(abi, plugsup_abi_name(f->abis[i].abi))) {
      f->problems[i][0] = wants[i];
      f->abis[i].problems = f->problems[i];
      f->abis[i].problem_count = 1;
    }
  }
  f->r.abis = f->abis;
  f->r.abi_count = 3;
  fake_items(f, spec);
  fake_exports(f, spec);
  get(spec, "manifest", f->manifest, sizeof f->manifest);
  f->r.manifest = f->manifest;
  f->r.manifest_len = strlen(f->manifest);
  return f;
}

static void fake_call(fake_res *f, const char *spec,
                      const plugsup_run_options *o) {
  char call[64], v[64];
  const char *in = o->input ? o->input : "";
  size_t n = o->input_len;
  get(spec, "call", call, sizeof call);
  f->out = calloc(1, n + 80);
  if (strcmp(call, "upper") == 0)
    for (size_t i = 0; i < n; i++)
      f->out[i] = (char)(in[i] >= 'a' && in[i] <= 'z' ? in[i] - 32 : in[i]);
  else if (strncmp(call, "append:", 7) == 0)
    snprintf(f->out, n + 80, "%.*s%s", (int)n, in, call + 7);
  else if (strncmp(call, "sleep:", 6) == 0) {
    usleep((useconds_t)atoi(call + 6) * 1000);
    snprintf(f->out, 80, "version %s", get(spec, "version", v, sizeof v));
  } else if (strcmp(call, "echo") == 0) {
    memcpy(f->out, in, n);
  } else if (strcmp(call, "limits") == 0) {
    snprintf(f->out, 80, "wall %llu", (unsigned long long)o->limits.wall_ms);
  } else if (strcmp(call, "policy") == 0) {
    char *d = o->policy ? plugsup_policy_describe(o->policy) : NULL;
    snprintf(f->out, 80, "%s", d ? d : "(none)");
    free(d);
  } else if (strcmp(call, "fail") == 0) {
    f->r.outcome = PLUGSUP_OUTCOME_TRAP;
    f->r.trap_kind = "unreachable";
    f->r.message = "unreachable executed";
  } else if (o->tool)
    snprintf(f->out, 80, "ran %s", o->tool);
  f->r.abi_output.data = f->out;
  f->r.abi_output.len = strlen(f->out);
  f->r.fuel_used = 100;
  f->r.cpu_usec = 7;
  f->r.wall_usec = 11;
}

static plugsup_status fake_run(void *ud, plugsup_supervisor *sup,
                               plugsup_plugin *plugin,
                               const plugsup_run_options *o,
                               plugsup_result **out) {
  char spec[1024];
  (void)ud;
  cr_assert_not_null(sup);
  snprintf(spec, sizeof spec, "%.*s", (int)plugin->len,
           (const char *)plugin->bytes);
  if (o->mode == PLUGSUP_MODE_INSPECT) {
    *out = &fake_inspect(spec)->r;
    return PLUGSUP_OK;
  }
  cr_assert_eq(o->mode, PLUGSUP_MODE_CALL);
  int now = atomic_fetch_add(&in_flight, 1) + 1, most;
  while ((most = atomic_load(&most_in_flight)) < now &&
         !atomic_compare_exchange_weak(&most_in_flight, &most, now))
    ;
  atomic_fetch_add(&calls, 1);
  fake_res *f = fake_new();
  fake_call(f, spec, o);
  atomic_fetch_sub(&in_flight, 1);
  *out = &f->r;
  return PLUGSUP_OK;
}

static void fake_free(void *ud, plugsup_result *r) {
  (void)ud;
  if (r) {
    free(((fake_res *)r)->out);
    free(r);
  }
}

/* ---- helpers ---- */

typedef struct reload_log {
  pthread_mutex_t lock;
  pthread_cond_t cond;
  int n;
  char id[64], old_hash[80], new_hash[80];
  plugsup_reload_outcome outcome;
  char first_code[64];
  plugsup_manager *unload_in_callback; /* set: the callback unloads id */
  plugsup_status unload_status;
} reload_log;

static reload_log rlog = {.lock = PTHREAD_MUTEX_INITIALIZER,
                          .cond = PTHREAD_COND_INITIALIZER};

static void on_reload(void *ud, const char *id, const char *old_hash,
                      const char *new_hash, plugsup_reload_outcome outcome,
                      const plugsup_report *report) {
  reload_log *l = ud;
  pthread_mutex_lock(&l->lock);
  snprintf(l->id, sizeof l->id, "%s", id);
  snprintf(l->old_hash, sizeof l->old_hash, "%s", old_hash);
  snprintf(l->new_hash, sizeof l->new_hash, "%s", new_hash);
  l->outcome = outcome;
  snprintf(l->first_code, sizeof l->first_code, "%s",
           report && report->count ? report->findings[0].code : "");
  pthread_mutex_unlock(&l->lock);
  /* The callback may call the manager: here, on the plugin it is about. */
  if (l->unload_in_callback)
    l->unload_status = plugsup_manager_unload(l->unload_in_callback, id);
  pthread_mutex_lock(&l->lock);
  l->n++;
  pthread_cond_broadcast(&l->cond);
  pthread_mutex_unlock(&l->lock);
}

/* Waits until the callback has been called n times in all. */
static bool wait_reloads(int n) {
  struct timespec until;
  clock_gettime(CLOCK_REALTIME, &until);
  until.tv_sec += 10;
  pthread_mutex_lock(&rlog.lock);
  while (rlog.n < n &&
         pthread_cond_timedwait(&rlog.cond, &rlog.lock, &until) == 0)
    ;
  bool ok = rlog.n >= n;
  pthread_mutex_unlock(&rlog.lock);
  return ok;
}

static plugsup_manager *manager_with(unsigned max_concurrent, bool watch,
                                     const plugsup_policy *ceiling) {
  plugsup_manager_config cfg;
  plugsup_manager *m = NULL;
  static const sup_mgr_runner fake = {fake_run, fake_free, NULL};
  plugsup_manager_config_init(&cfg);
  cfg.supervisor.worker_path = REAL_WORKER;
  cfg.max_concurrent = max_concurrent;
  cfg.ceiling = ceiling;
  cfg.watch = watch;
  cfg.on_reload = watch ? on_reload : NULL;
  cfg.userdata = &rlog;
  cr_assert_eq(plugsup_manager_new(&cfg, &m), PLUGSUP_OK, "%s",
               plugsup_errmsg());
  sup_mgr_set_runner(m, &fake);
  return m;
}

static plugsup_status load_text(plugsup_manager *m, const char *spec,
                                const char *id, plugsup_report **rep) {
  plugsup_load_options o = {.size = sizeof o, .id = id};
  return plugsup_manager_load_bytes(m, spec, strlen(spec), &o, NULL, rep);
}

static void load_ok(plugsup_manager *m, const char *spec, const char *id) {
  plugsup_report *rep = NULL;
  cr_assert_eq(load_text(m, spec, id, &rep), PLUGSUP_OK, "%s",
               plugsup_errmsg());
  plugsup_report_free(rep);
}

static plugsup_result *execute(plugsup_manager *m, const char *key,
                               const char *input, const char *tool) {
  plugsup_execute_options x = {.size = sizeof x, .tool = tool};
  plugsup_result *r = NULL;
  cr_assert_eq(plugsup_manager_execute(m, key, input, strlen(input), &x, &r),
               PLUGSUP_OK, "%s", plugsup_errmsg());
  return r;
}

static plugsup_plugin_info *info(plugsup_manager *m, const char *key) {
  plugsup_plugin_info *i = NULL;
  cr_assert_eq(plugsup_manager_info(m, key, &i), PLUGSUP_OK, "%s",
               plugsup_errmsg());
  return i;
}

/* The finding of report with that code (the first); fails without one. */
static const plugsup_finding *finding(const plugsup_report *rep,
                                      const char *code) {
  for (size_t i = 0; rep && i < rep->count; i++)
    if (strcmp(rep->findings[i].code, code) == 0)
      return &rep->findings[i];
  cr_assert_fail("no finding %s", code);
  return NULL;
}

static char tmpdir[64];

static void make_tmpdir(void) {
  snprintf(tmpdir, sizeof tmpdir, "/tmp/plugsup-mgr-XXXXXX");
  cr_assert_not_null(mkdtemp(tmpdir));
}

static void remove_tmpdir(void) {
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
  cr_assert_eq(system(cmd), 0);
}

/* Writes a file the way editors do: a new file renamed over the old. */
static void write_file(const char *name, const char *text) {
  char path[128], tmp[140];
  snprintf(path, sizeof path, "%s/%s", tmpdir, name);
  snprintf(tmp, sizeof tmp, "%s/.%s.tmp", tmpdir, name);
  FILE *f = fopen(tmp, "w");
  cr_assert_not_null(f);
  fputs(text, f);
  fclose(f);
  cr_assert_eq(rename(tmp, path), 0);
}

#define UPPER "abi=process;call=upper"
#define CALC "abi=tool;name=calc;version=1.2;tools=add,sub"

/* ---- loading, listing, unloading ---- */

Test(manager, load_then_list_shows_id_abi_hash_and_state) {
  plugsup_manager *m = manager_with(2, false, NULL);
  char hash[SUP_HASH_NAME];
  plugsup_plugin_info *all = NULL;
  size_t n = 0;
  load_ok(m, UPPER, "upper");
  load_ok(m, CALC, NULL);
  cr_assert_eq(plugsup_manager_list(m, &all, &n), PLUGSUP_OK);
  cr_assert_eq(n, 2);
  cr_assert_str_eq(all[0].id, "upper");
  cr_assert_eq(all[0].abi, PLUGSUP_ABI_PROCESS);
  sup_sha256_name(UPPER, strlen(UPPER), hash);
  cr_assert_str_eq(all[0].hash, hash);
  cr_assert_str_eq(all[0].path, "");
  cr_assert_str_eq(all[0].metadata_json, "{}");
  cr_assert_eq(all[0].state, PLUGSUP_PLUGIN_READY);
  cr_assert_str_eq(all[1].id, "calc"); /* no id given: the tool's name */
  cr_assert_str_eq(all[1].name, "calc");
  cr_assert_str_eq(all[1].version, "1.2");
  cr_assert_eq(all[1].abi, PLUGSUP_ABI_TOOL);
  cr_assert_str_eq(all[1].metadata_json,
                   "{\"description\":\"a fake tool\",\"name\":\"calc\","
                   "\"tools\":[{\"description\":\"does add\",\"name\":\"add\"},"
                   "{\"description\":\"does sub\",\"name\":\"sub\"}],"
                   "\"version\":\"1.2\"}");
  plugsup_plugin_info_list_free(all, n);
  plugsup_manager_free(m);
}

Test(manager, load_gives_the_id_to_the_caller) {
  plugsup_manager *m = manager_with(1, false, NULL);
  char *id = NULL;
  cr_assert_eq(
      plugsup_manager_load_bytes(m, CALC, strlen(CALC), NULL, &id, NULL),
      PLUGSUP_OK);
  cr_assert_str_eq(id, "calc");
  free(id);
  plugsup_manager_free(m);
}

Test(manager, plugin_text_is_escaped_in_info) {
  plugsup_manager *m = manager_with(1, false, NULL);
  load_ok(m, "abi=tool;name=evil\x1b[2J\xe2\x80\xae;tools=x", "evil");
  plugsup_plugin_info *i = info(m, "evil");
  cr_assert_str_eq(i->name, "evil\\x1b[2J\\u{202e}");
  cr_assert(strstr(i->metadata_json, "\"name\":\"evil\\u001B[2J\\u202E\""),
            "%s", i->metadata_json);
  plugsup_plugin_info_free(i);
  plugsup_manager_free(m);
}

Test(manager, same_id_twice_is_EEXIST) {
  plugsup_manager *m = manager_with(1, false, NULL);
  plugsup_report *rep = NULL;
  load_ok(m, UPPER, "p");
  cr_assert_eq(load_text(m, UPPER, "p", &rep), PLUGSUP_EEXIST);
  cr_assert_str_eq(plugsup_errmsg(), "a plugin with id 'p' is already loaded");
  cr_assert_not_null(rep);
  cr_assert_eq(rep->errors, 0);
  plugsup_report_free(rep);
  plugsup_manager_free(m);
}

Test(manager, missing_file_is_ENOENT) {
  plugsup_manager *m = manager_with(1, false, NULL);
  plugsup_report *rep = NULL;
  char *id = (char *)"untouched";
  cr_assert_eq(
      plugsup_manager_load_file(m, "/nonexistent/x.wasm", NULL, &id, &rep),
      PLUGSUP_ENOENT);
  cr_assert_str_eq(plugsup_errmsg(), "cannot open '/nonexistent/x.wasm': No "
                                     "such file or directory");
  cr_assert_null(id);
  cr_assert_eq(rep->count, 0);
  plugsup_report_free(rep);
  plugsup_manager_free(m);
}

Test(manager, id_comes_from_the_file_name) {
  plugsup_manager *m = manager_with(1, false, NULL);
  char path[128], *id = NULL;
  make_tmpdir();
  write_file("shout.wasm", UPPER);
  snprintf(path, sizeof path, "%s/shout.wasm", tmpdir);
  cr_assert_eq(plugsup_manager_load_file(m, path, NULL, &id, NULL), PLUGSUP_OK,
               "%s", plugsup_errmsg());
  cr_assert_str_eq(id, "shout");
  plugsup_plugin_info *i = info(m, "shout");
  cr_assert_str_eq(i->path, path);
  plugsup_plugin_info_free(i);
  free(id);
  plugsup_manager_free(m);
  remove_tmpdir();
}

Test(manager, unload_removes_and_unknown_id_is_ENOENT) {
  plugsup_manager *m = manager_with(1, false, NULL);
  plugsup_plugin_info *all = NULL;
  size_t n = 9;
  load_ok(m, UPPER, "p");
  cr_assert_eq(plugsup_manager_unload(m, "p"), PLUGSUP_OK);
  cr_assert_eq(plugsup_manager_list(m, &all, &n), PLUGSUP_OK);
  cr_assert_eq(n, 0);
  cr_assert_null(all);
  cr_assert_eq(plugsup_manager_unload(m, "p"), PLUGSUP_ENOENT);
  cr_assert_str_eq(plugsup_errmsg(), "no plugin with id 'p' is loaded");
  load_ok(m, UPPER, "p"); /* the id is free again */
  plugsup_manager_free(m);
}

Test(manager, info_of_unknown_is_ENOENT) {
  plugsup_manager *m = manager_with(1, false, NULL);
  plugsup_plugin_info *i = (plugsup_plugin_info *)1;
  cr_assert_eq(plugsup_manager_info(m, "ghost", &i), PLUGSUP_ENOENT);
  cr_assert_str_eq(plugsup_errmsg(), "no plugin 'ghost' is loaded");
  cr_assert_null(i);
  plugsup_manager_free(m);
}

/* ---- rejections: every finding, with its severity ---- */

Test(manager, module_with_no_abi_is_EREJECTED_with_each_problem) {
  plugsup_manager *m = manager_with(1, false, NULL);
  plugsup_report *rep = NULL;
  cr_assert_eq(load_text(m, "abi=", "p", &rep), PLUGSUP_EREJECTED);
  cr_assert_str_eq(plugsup_errmsg(),
                   "plugin 'p' failed validation with 1 error; the first: "
                   "abi.none: the module satisfies no ABI: process: missing "
                   "export 'process'; tool: missing export 'plugin_name'; "
                   "observe: missing export 'describe'");
  cr_assert_eq(rep->errors, 1);
  cr_assert_eq(finding(rep, "abi.none")->severity, PLUGSUP_SEVERITY_ERROR);
  cr_assert_eq(finding(rep, "manifest.none")->severity, PLUGSUP_SEVERITY_INFO);
  plugsup_report_free(rep);
  plugsup_plugin_info *all;
  size_t n;
  cr_assert_eq(plugsup_manager_list(m, &all, &n), PLUGSUP_OK);
  cr_assert_eq(n, 0);
  plugsup_manager_free(m);
}

Test(manager, invalid_module_is_EREJECTED) {
  plugsup_manager *m = manager_with(1, false, NULL);
  plugsup_report *rep = NULL;
  cr_assert_eq(load_text(m, "inspect=fail", "bad", &rep), PLUGSUP_EREJECTED);
  cr_assert_str_eq(finding(rep, "module.invalid")->message,
                   "the worker could not inspect the module "
                   "(invalid_module): magic header not detected");
  plugsup_report_free(rep);
  plugsup_manager_free(m);
}

Test(manager, two_abis_need_a_choice) {
  plugsup_manager *m = manager_with(1, false, NULL);
  plugsup_report *rep = NULL;
  const char *both = "abi=process,tool;name=both;tools=t";
  cr_assert_eq(load_text(m, both, "both", &rep), PLUGSUP_EREJECTED);
  cr_assert_str_eq(finding(rep, "abi.ambiguous")->message,
                   "the module satisfies more than one ABI (process, tool): "
                   "name one in the manifest or the load options");
  plugsup_report_free(rep);
  plugsup_load_options o = {
      .size = sizeof o, .id = "both", .abi = PLUGSUP_ABI_PROCESS};
  cr_assert_eq(
      plugsup_manager_load_bytes(m, both, strlen(both), &o, NULL, NULL),
      PLUGSUP_OK);
  plugsup_plugin_info *i = info(m, "both");
  cr_assert_eq(i->abi, PLUGSUP_ABI_PROCESS);
  plugsup_plugin_info_free(i);
  plugsup_manager_free(m);
}

Test(manager, an_abi_asked_for_but_unmet_is_EREJECTED) {
  plugsup_manager *m = manager_with(1, false, NULL);
  plugsup_report *rep = NULL;
  plugsup_load_options o = {
      .size = sizeof o, .id = "up", .abi = PLUGSUP_ABI_OBSERVE};
  cr_assert_eq(
      plugsup_manager_load_bytes(m, UPPER, strlen(UPPER), &o, NULL, &rep),
      PLUGSUP_EREJECTED);
  cr_assert_eq(rep->errors, 1);
  cr_assert_str_eq(finding(rep, "abi.mismatch")->message,
                   "the module does not satisfy the observe ABI (the load "
                   "options'): missing export 'describe'");
  plugsup_report_free(rep);
  plugsup_manager_free(m);
}

static int validator_calls;

static void no_beta(void *ud, const plugsup_plugin_info *p,
                    plugsup_report *rep) {
  validator_calls++;
  cr_assert_str_eq(ud, "ctx");
  if (strstr(p->version, "beta"))
    plugsup_report_add(rep, PLUGSUP_SEVERITY_ERROR, "site.no_beta",
                       "'%s' %s is a beta", p->id, p->version);
  else
    plugsup_report_add(rep, PLUGSUP_SEVERITY_WARNING, "site.checked",
                       "checked %s", p->id);
}

Test(manager, a_validator_error_rejects_the_plugin) {
  plugsup_manager *m = manager_with(1, false, NULL);
  plugsup_report *rep = NULL;
  validator_calls = 0;
  cr_assert_eq(plugsup_manager_add_validator(m, no_beta, "ctx"), PLUGSUP_OK);
  cr_assert_eq(
      load_text(m, "abi=tool;name=t;version=2-beta;tools=a", NULL, &rep),
      PLUGSUP_EREJECTED);
  cr_assert_str_eq(plugsup_errmsg(), "plugin 't' failed validation with 1 "
                                     "error; the first: site.no_beta: 't' "
                                     "2-beta is a beta");
  plugsup_report_free(rep);
  cr_assert_eq(load_text(m, "abi=tool;name=t;version=2;tools=a", NULL, &rep),
               PLUGSUP_OK);
  cr_assert_eq(rep->warnings, 1);
  cr_assert_str_eq(rep->findings[rep->count - 1].message, "checked t");
  cr_assert_eq(validator_calls, 2);
  plugsup_report_free(rep);
  plugsup_manager_free(m);
}

Test(manager, a_policy_beyond_the_ceiling_is_EREJECTED) {
  plugsup_policy *ceiling, *asks;
  plugsup_report *rep = NULL;
  cr_assert_eq(plugsup_policy_new(&ceiling), PLUGSUP_OK);
  cr_assert_eq(plugsup_policy_allow(ceiling, "clock"), PLUGSUP_OK);
  plugsup_manager *m = manager_with(1, false, ceiling);
  plugsup_policy_free(ceiling); /* the manager keeps a copy */
  cr_assert_eq(plugsup_policy_new(&asks), PLUGSUP_OK);
  cr_assert_eq(plugsup_policy_allow(asks, "clock"), PLUGSUP_OK);
  plugsup_load_options o = {.size = sizeof o, .id = "ok", .policy = asks};
  cr_assert_eq(
      plugsup_manager_load_bytes(m, UPPER, strlen(UPPER), &o, NULL, NULL),
      PLUGSUP_OK, "%s", plugsup_errmsg());
  cr_assert_eq(plugsup_policy_allow(asks, "random"), PLUGSUP_OK);
  o.id = "greedy";
  cr_assert_eq(
      plugsup_manager_load_bytes(m, UPPER, strlen(UPPER), &o, NULL, &rep),
      PLUGSUP_EREJECTED);
  cr_assert_eq(rep->errors, 1);
  cr_assert_str_eq(finding(rep, "permission.ceiling")->message,
                   "permission 'random' is beyond what the host allows");
  plugsup_report_free(rep);
  plugsup_policy_free(asks);
  plugsup_plugin_info *i = info(m, "ok");
  cr_assert_str_eq(i->policy, "clock\n");
  plugsup_plugin_info_free(i);
  plugsup_manager_free(m);
}

/* ---- executes and counters ---- */

Test(manager, execute_by_name_counts_runs_and_failures) {
  plugsup_manager *m = manager_with(2, false, NULL);
  load_ok(m, CALC, "calc-id");
  load_ok(m, "abi=process;call=fail", "boom");
  plugsup_result *r = execute(m, "calc", "1 2", "add"); /* by name */
  cr_assert_eq(r->outcome, PLUGSUP_OUTCOME_OK);
  cr_assert_str_eq(r->abi_output.data, "ran add");
  fake_free(NULL, r);
  r = execute(m, "boom", "x", NULL);
  cr_assert_eq(r->outcome, PLUGSUP_OUTCOME_TRAP);
  fake_free(NULL, r);
  fake_free(NULL, execute(m, "boom", "x", NULL));
  plugsup_plugin_info *i = info(m, "boom");
  cr_assert_eq(i->runs, 2);
  cr_assert_eq(i->successes, 0);
  cr_assert_eq(i->failures, 2);
  cr_assert_eq(i->by_outcome[PLUGSUP_OUTCOME_TRAP], 2);
  cr_assert_str_eq(i->last_error, "trap: unreachable executed");
  cr_assert_eq(i->fuel_used, 200);
  cr_assert_eq(i->cpu_usec, 14);
  cr_assert_eq(i->wall_usec, 22);
  plugsup_plugin_info_free(i);
  i = info(m, "calc-id");
  cr_assert_eq(i->runs, 1);
  cr_assert_eq(i->successes, 1);
  cr_assert_eq(i->by_outcome[PLUGSUP_OUTCOME_OK], 1);
  cr_assert_str_eq(i->last_error, "");
  plugsup_plugin_info_free(i);
  plugsup_manager_free(m);
}

Test(manager, execute_of_unknown_plugin_is_ENOENT) {
  plugsup_manager *m = manager_with(1, false, NULL);
  plugsup_result *r = (plugsup_result *)1;
  load_ok(m, UPPER, "nameless"); /* a process plugin has no name */
  cr_assert_eq(plugsup_manager_execute(m, "nope", "", 0, NULL, &r),
               PLUGSUP_ENOENT);
  cr_assert_str_eq(plugsup_errmsg(), "no plugin 'nope' is loaded");
  cr_assert_null(r);
  cr_assert_eq(plugsup_manager_execute(m, "", "", 0, NULL, &r), PLUGSUP_ENOENT);
  plugsup_manager_free(m);
}

Test(manager, a_tool_not_listed_is_EINVAL) {
  plugsup_manager *m = manager_with(1, false, NULL);
  plugsup_execute_options x = {.size = sizeof x, .tool = "mul"};
  plugsup_result *r = NULL;
  load_ok(m, CALC, NULL);
  cr_assert_eq(plugsup_manager_execute(m, "calc", "", 0, &x, &r),
               PLUGSUP_EINVAL);
  cr_assert_str_eq(plugsup_errmsg(), "no tool named 'mul' in plugin 'calc'");
  x.tool = NULL;
  cr_assert_eq(plugsup_manager_execute(m, "calc", "", 0, &x, &r),
               PLUGSUP_EINVAL);
  cr_assert_str_eq(plugsup_errmsg(),
                   "plugin 'calc' is a tool plugin: name the tool to run");
  cr_assert_eq(atomic_load(&calls), 0); /* refused before any worker */
  plugsup_plugin_info *i = info(m, "calc");
  cr_assert_eq(i->runs, 0);
  plugsup_plugin_info_free(i);
  plugsup_manager_free(m);
}

/* ---- execute_all: a chain of process plugins ---- */

Test(manager, chain_feeds_each_output_to_the_next_in_load_order) {
  plugsup_manager *m = manager_with(2, false, NULL);
  char *failed = (char *)"untouched";
  plugsup_result *r = NULL;
  load_ok(m, "abi=process;call=append:-a", "a");
  load_ok(m, CALC, NULL); /* not a process plugin: not in the chain */
  load_ok(m, UPPER, "up");
  load_ok(m, "abi=process;call=append:-b", "b");
  cr_assert_eq(plugsup_manager_execute_all(m, "in", 2, NULL, &r, &failed),
               PLUGSUP_OK, "%s", plugsup_errmsg());
  cr_assert_null(failed);
  cr_assert_eq(r->outcome, PLUGSUP_OUTCOME_OK);
  cr_assert_str_eq(r->abi_output.data, "IN-A-b");
  fake_free(NULL, r);
  plugsup_manager_free(m);
}

Test(manager, chain_stops_at_the_first_failure_and_names_it) {
  plugsup_manager *m = manager_with(2, false, NULL);
  char *failed = NULL;
  plugsup_result *r = NULL;
  load_ok(m, UPPER, "up");
  load_ok(m, "abi=process;call=fail", "boom");
  load_ok(m, "abi=process;call=append:-never", "after");
  cr_assert_eq(plugsup_manager_execute_all(m, "x", 1, NULL, &r, &failed),
               PLUGSUP_OK);
  cr_assert_str_eq(failed, "boom");
  cr_assert_eq(r->outcome, PLUGSUP_OUTCOME_TRAP);
  fake_free(NULL, r);
  free(failed);
  plugsup_plugin_info *i = info(m, "after");
  cr_assert_eq(i->runs, 0);
  plugsup_plugin_info_free(i);
  plugsup_manager_free(m);
}

Test(manager, chain_without_process_plugins_is_EEMPTY) {
  plugsup_manager *m = manager_with(1, false, NULL);
  plugsup_result *r = NULL;
  load_ok(m, CALC, NULL);
  cr_assert_eq(plugsup_manager_execute_all(m, "x", 1, NULL, &r, NULL),
               PLUGSUP_EEMPTY);
  cr_assert_str_eq(plugsup_errmsg(), "no process plugin is loaded");
  cr_assert_null(r);
  plugsup_manager_free(m);
}

/* ---- threads ---- */

typedef struct worker_arg {
  plugsup_manager *m;
  int ok;
} worker_arg;

static void *hammer(void *p) {
  worker_arg *a = p;
  for (int i = 0; i < 4; i++) {
    plugsup_result *r = NULL;
    if (plugsup_manager_execute(a->m, "slow", "", 0, NULL, &r) == PLUGSUP_OK &&
        r->outcome == PLUGSUP_OUTCOME_OK)
      a->ok++;
    fake_free(NULL, r);
  }
  return NULL;
}

Test(manager, executes_from_many_threads_stay_within_max_concurrent) {
  plugsup_manager *m = manager_with(3, false, NULL);
  pthread_t t[8];
  worker_arg a[8];
  atomic_store(&most_in_flight, 0);
  load_ok(m, "abi=process;call=sleep:20;version=1", "slow");
  for (int i = 0; i < 8; i++) {
    a[i] = (worker_arg){m, 0};
    cr_assert_eq(pthread_create(&t[i], NULL, hammer, &a[i]), 0);
  }
  for (int i = 0; i < 8; i++) {
    pthread_join(t[i], NULL);
    cr_assert_eq(a[i].ok, 4);
  }
  cr_assert_eq(atomic_load(&most_in_flight), 3);
  plugsup_plugin_info *i = info(m, "slow");
  cr_assert_eq(i->runs, 32);
  cr_assert_eq(i->successes, 32);
  plugsup_plugin_info_free(i);
  plugsup_manager_free(m);
}

static void *unload_slow(void *p) {
  plugsup_manager *m = p;
  usleep(20000);
  cr_assert_eq(plugsup_manager_unload(m, "slow"), PLUGSUP_OK);
  return NULL;
}

Test(manager, unload_waits_for_executes_in_flight) {
  plugsup_manager *m = manager_with(2, false, NULL);
  pthread_t t;
  load_ok(m, "abi=process;call=sleep:200;version=1", "slow");
  cr_assert_eq(pthread_create(&t, NULL, unload_slow, m), 0);
  plugsup_result *r = execute(m, "slow", "", NULL);
  cr_assert_eq(r->outcome, PLUGSUP_OUTCOME_OK);
  cr_assert_str_eq(r->abi_output.data, "version 1");
  fake_free(NULL, r);
  pthread_join(t, NULL);
  cr_assert_eq(plugsup_manager_execute(m, "slow", "", 0, NULL, &r),
               PLUGSUP_ENOENT);
  plugsup_manager_free(m);
}

/* ---- configuration ---- */

Test(manager, a_worker_that_cannot_run_is_EWORKER) {
  plugsup_manager_config cfg;
  plugsup_manager *m = (plugsup_manager *)1;
  plugsup_manager_config_init(&cfg);
  cfg.supervisor.worker_path = "/nonexistent/plugsup-worker";
  cr_assert_eq(plugsup_manager_new(&cfg, &m), PLUGSUP_EWORKER);
  cr_assert_null(m);
}

Test(manager, on_reload_without_watch_is_EINVAL) {
  plugsup_manager_config cfg;
  plugsup_manager *m = NULL;
  plugsup_manager_config_init(&cfg);
  cfg.supervisor.worker_path = REAL_WORKER;
  cfg.on_reload = on_reload;
  cr_assert_eq(plugsup_manager_new(&cfg, &m), PLUGSUP_EINVAL);
  cr_assert_str_eq(plugsup_errmsg(), "plugsup_manager_config.on_reload is "
                                     "set but watch is not");
  cfg.size = 8;
  cr_assert_eq(plugsup_manager_new(&cfg, &m), PLUGSUP_EINVAL);
  cr_assert(strstr(plugsup_errmsg(), "plugsup_manager_config.size is 8"));
}

Test(report, add_counts_by_severity_and_refuses_null) {
  plugsup_report rep = {0}, *heap;
  for (int i = 0; i < 40; i++)
    cr_assert_eq(plugsup_report_add(&rep, (plugsup_severity)(i % 3), "c.x",
                                    "finding %d", i),
                 PLUGSUP_OK);
  cr_assert_eq(rep.count, 40);
  cr_assert_eq(rep.errors, 13);
  cr_assert_eq(rep.warnings, 13);
  cr_assert_str_eq(rep.findings[39].message, "finding 39");
  cr_assert_eq(plugsup_report_add(&rep, PLUGSUP_SEVERITY_INFO, NULL, "x"),
               PLUGSUP_EINVAL);
  cr_assert_str_eq(plugsup_errmsg(), "plugsup_report_add: NULL argument");
  cr_assert_eq(plugsup_report_add(&rep, (plugsup_severity)7, "c", "x"),
               PLUGSUP_EINVAL);
  cr_assert_str_eq(plugsup_errmsg(), "plugsup_report_add: unknown severity 7");
  cr_assert_str_eq(plugsup_severity_name(PLUGSUP_SEVERITY_WARNING), "warning");
  heap = malloc(sizeof *heap);
  *heap = rep;
  plugsup_report_free(heap);
}

Test(manager, names_of_states_and_reload_outcomes) {
  cr_assert_str_eq(plugsup_plugin_state_name(PLUGSUP_PLUGIN_STALE), "stale");
  cr_assert_str_eq(plugsup_plugin_state_name((plugsup_plugin_state)9),
                   "unknown");
  cr_assert_str_eq(plugsup_reload_name(PLUGSUP_RELOAD_REJECTED), "rejected");
}

/* ---- hot reload ---- */

static plugsup_manager *watched(const char *file, const char *text,
                                const char *id) {
  char path[128];
  plugsup_manager *m = manager_with(2, true, NULL);
  make_tmpdir();
  write_file(file, text);
  snprintf(path, sizeof path, "%s/%s", tmpdir, file);
  pthread_mutex_lock(&rlog.lock);
  rlog.n = 0;
  rlog.unload_in_callback = NULL;
  pthread_mutex_unlock(&rlog.lock);
  plugsup_load_options o = {.size = sizeof o, .id = id};
  cr_assert_eq(plugsup_manager_load_file(m, path, &o, NULL, NULL), PLUGSUP_OK,
               "%s", plugsup_errmsg());
  return m;
}

Test(manager, a_changed_file_switches_to_the_new_version) {
  char h1[SUP_HASH_NAME], h2[SUP_HASH_NAME];
  const char *v1 = "abi=process;call=sleep:0;version=1";
  const char *v2 = "abi=process;call=sleep:0;version=2";
  plugsup_manager *m = watched("p.wasm", v1, "p");
  write_file("p.wasm", v2);
  cr_assert(wait_reloads(1), "no reload seen");
  sup_sha256_name(v1, strlen(v1), h1);
  sup_sha256_name(v2, strlen(v2), h2);
  cr_assert_eq(rlog.outcome, PLUGSUP_RELOAD_SWITCHED);
  cr_assert_str_eq(rlog.id, "p");
  cr_assert_str_eq(rlog.old_hash, h1);
  cr_assert_str_eq(rlog.new_hash, h2);
  plugsup_plugin_info *i = info(m, "p");
  cr_assert_str_eq(i->hash, h2);
  cr_assert_eq(i->reloads, 1);
  cr_assert_eq(i->state, PLUGSUP_PLUGIN_READY);
  plugsup_plugin_info_free(i);
  plugsup_result *r = execute(m, "p", "", NULL);
  cr_assert_str_eq(r->abi_output.data, "version 2");
  fake_free(NULL, r);
  plugsup_manager_free(m);
  remove_tmpdir();
}

Test(manager, a_failed_reload_keeps_the_old_version) {
  plugsup_manager *m =
      watched("p.wasm", "abi=process;call=sleep:0;version=1", "p");
  write_file("p.wasm", "inspect=fail");
  cr_assert(wait_reloads(1), "no reload seen");
  cr_assert_eq(rlog.outcome, PLUGSUP_RELOAD_REJECTED);
  cr_assert_str_eq(rlog.first_code, "module.invalid");
  plugsup_plugin_info *i = info(m, "p");
  cr_assert_eq(i->state, PLUGSUP_PLUGIN_STALE);
  cr_assert_eq(i->reloads, 0);
  plugsup_plugin_info_free(i);
  plugsup_result *r = execute(m, "p", "", NULL);
  cr_assert_str_eq(r->abi_output.data, "version 1");
  fake_free(NULL, r);
  plugsup_manager_free(m);
  remove_tmpdir();
}

typedef struct slow_run {
  plugsup_manager *m;
  char out[64];
} slow_run;

static void *run_slow(void *p) {
  slow_run *s = p;
  plugsup_result *r = execute(s->m, "p", "", NULL);
  snprintf(s->out, sizeof s->out, "%s", r->abi_output.data);
  fake_free(NULL, r);
  return NULL;
}

Test(manager, a_run_in_flight_finishes_on_the_version_it_started_with) {
  plugsup_manager *m = watched("p.wasm",
                               "abi=process;call=sleep:300;"
                               "version=1",
                               "p");
  slow_run s = {m, ""};
  pthread_t t;
  cr_assert_eq(pthread_create(&t, NULL, run_slow, &s), 0);
  usleep(50000);
  write_file("p.wasm", "abi=process;call=sleep:0;version=2");
  cr_assert(wait_reloads(1), "no reload seen");
  plugsup_result *r = execute(m, "p", "", NULL);
  cr_assert_str_eq(r->abi_output.data, "version 2");
  fake_free(NULL, r);
  pthread_join(t, NULL);
  cr_assert_str_eq(s.out, "version 1");
  plugsup_manager_free(m);
  remove_tmpdir();
}

Test(manager, a_deleted_file_leaves_the_plugin_serving_as_missing) {
  char path[128];
  plugsup_manager *m = watched("p.wasm", UPPER, "p");
  snprintf(path, sizeof path, "%s/p.wasm", tmpdir);
  cr_assert_eq(unlink(path), 0);
  cr_assert(wait_reloads(1), "no delete seen");
  cr_assert_eq(rlog.outcome, PLUGSUP_RELOAD_DELETED);
  cr_assert_str_eq(rlog.new_hash, "");
  plugsup_plugin_info *i = info(m, "p");
  cr_assert_eq(i->state, PLUGSUP_PLUGIN_MISSING);
  plugsup_plugin_info_free(i);
  plugsup_result *r = execute(m, "p", "abc", NULL);
  cr_assert_str_eq(r->abi_output.data, "ABC");
  fake_free(NULL, r);
  write_file("p.wasm", UPPER); /* back as it was: serving again */
  for (int k = 0; k < 200; k++) {
    i = info(m, "p");
    bool ready = i->state == PLUGSUP_PLUGIN_READY;
    plugsup_plugin_info_free(i);
    if (ready)
      break;
    usleep(10000);
  }
  i = info(m, "p");
  cr_assert_eq(i->state, PLUGSUP_PLUGIN_READY);
  plugsup_plugin_info_free(i);
  plugsup_manager_free(m);
  remove_tmpdir();
}

Test(manager, bytes_without_a_name_or_id_are_EREJECTED) {
  plugsup_manager *m = manager_with(1, false, NULL);
  plugsup_report *rep = NULL;
  cr_assert_eq(load_text(m, UPPER, NULL, &rep), PLUGSUP_EREJECTED);
  cr_assert_eq(rep->errors, 1);
  cr_assert_str_eq(finding(rep, "plugin.no_id")->message,
                   "the plugin has no id: it has no name, no file name, and "
                   "the load options give none");
  plugsup_report_free(rep);
  plugsup_manager_free(m);
}

Test(manager, the_reload_callback_may_unload_the_plugin) {
  plugsup_manager *m = watched("p.wasm", UPPER, "p");
  plugsup_result *r = NULL;
  rlog.unload_in_callback = m;
  rlog.unload_status = PLUGSUP_EIO;
  write_file("p.wasm", "abi=process;call=append:!");
  cr_assert(wait_reloads(1), "no reload seen");
  cr_assert_eq(rlog.outcome, PLUGSUP_RELOAD_SWITCHED);
  cr_assert_eq(rlog.unload_status, PLUGSUP_OK);
  cr_assert_eq(plugsup_manager_execute(m, "p", "", 0, NULL, &r),
               PLUGSUP_ENOENT);
  plugsup_manager_free(m);
  remove_tmpdir();
}

/* A path grant within a wider glob of the ceiling is covered. */
Test(manager, a_narrower_path_grant_lies_within_the_ceiling) {
  plugsup_policy *ceiling, *asks;
  cr_assert_eq(plugsup_policy_new(&ceiling), PLUGSUP_OK);
  cr_assert_eq(plugsup_policy_allow(ceiling, "fs:write:/srv/**"), PLUGSUP_OK);
  plugsup_manager *m = manager_with(1, false, ceiling);
  plugsup_policy_free(ceiling);
  cr_assert_eq(plugsup_policy_new(&asks), PLUGSUP_OK);
  cr_assert_eq(plugsup_policy_allow(asks, "fs:read:/srv/data/*.csv"),
               PLUGSUP_OK);
  plugsup_load_options o = {.size = sizeof o, .id = "reader", .policy = asks};
  cr_assert_eq(
      plugsup_manager_load_bytes(m, UPPER, strlen(UPPER), &o, NULL, NULL),
      PLUGSUP_OK, "%s", plugsup_errmsg());
  plugsup_policy_free(asks);
  plugsup_manager_free(m);
}

Test(manager, without_a_ceiling_no_grant_is_allowed) {
  plugsup_manager *m = manager_with(1, false, NULL);
  plugsup_policy *asks;
  plugsup_report *rep = NULL;
  cr_assert_eq(plugsup_policy_new(&asks), PLUGSUP_OK);
  cr_assert_eq(plugsup_policy_allow(asks, "env:HOME"), PLUGSUP_OK);
  plugsup_load_options o = {.size = sizeof o, .id = "p", .policy = asks};
  cr_assert_eq(
      plugsup_manager_load_bytes(m, UPPER, strlen(UPPER), &o, NULL, &rep),
      PLUGSUP_EREJECTED);
  cr_assert_eq(rep->errors, 1);
  cr_assert_str_eq(finding(rep, "permission.ceiling")->message,
                   "permission 'env:HOME' is beyond what the host allows");
  plugsup_report_free(rep);
  plugsup_policy_free(asks);
  plugsup_manager_free(m);
}

/* ---- through the real supervisor, with a fake ABI worker ----
** fake-worker-abi-ok answers INSPECT for any module: not a process plugin
** (a problem text with a terminal escape), a tool plugin "tk" with one
** tool, an observe plugin whose metadata failed, and a manifest section
** ({"id":"tk"}, which lacks its version);
** its CALL echoes the input. */

static plugsup_manager *manager_on(const char *worker) {
  plugsup_manager_config cfg;
  plugsup_manager *m = NULL;
  plugsup_manager_config_init(&cfg);
  cfg.supervisor.worker_path = worker;
  cfg.supervisor.spawn = spawn_for(worker);
  cr_assert_eq(plugsup_manager_new(&cfg, &m), PLUGSUP_OK, "%s",
               plugsup_errmsg());
  return m;
}

Test(manager_worker, two_satisfied_abis_are_ambiguous) {
  plugsup_manager *m = manager_on(E2E_DIR "/fake-worker-abi-ok");
  plugsup_report *rep = NULL;
  plugsup_load_options o = {.size = sizeof o, .id = "x"};
  cr_assert_eq(plugsup_manager_load_bytes(m, "\0asm", 4, &o, NULL, &rep),
               PLUGSUP_EREJECTED);
  cr_assert_eq(rep->errors, 2);
  cr_assert_str_eq(rep->findings[0].code, "manifest.invalid");
  cr_assert_str_eq(rep->findings[0].message,
                   "plugsup.manifest section:1:1: missing the field "
                   "'version'");
  finding(rep, "abi.ambiguous");
  plugsup_report_free(rep);
  plugsup_manager_free(m);
}

Test(manager_worker, the_chosen_abis_faults_are_each_an_error) {
  plugsup_manager *m = manager_on(E2E_DIR "/fake-worker-abi-ok");
  plugsup_report *rep = NULL;
  plugsup_load_options o = {.size = sizeof o, .abi = PLUGSUP_ABI_PROCESS};
  cr_assert_eq(plugsup_manager_load_bytes(m, "\0asm", 4, &o, NULL, &rep),
               PLUGSUP_EREJECTED);
  /* the worker's text, escaped by the supervisor */
  cr_assert_str_eq(finding(rep, "abi.mismatch")->message,
                   "the module does not satisfy the process ABI (the load "
                   "options'): missing export 'alloc'\\x1b[31m");
  plugsup_report_free(rep);
  o.abi = PLUGSUP_ABI_OBSERVE;
  cr_assert_eq(plugsup_manager_load_bytes(m, "\0asm", 4, &o, NULL, &rep),
               PLUGSUP_EREJECTED);
  cr_assert_str_eq(finding(rep, "abi.metadata")->message,
                   "the observe ABI's metadata cannot be read: describe: "
                   "string at 70000 is outside memory");
  plugsup_report_free(rep);
  plugsup_manager_free(m);
  assert_no_children();
}

Test(manager_worker, a_worker_that_breaks_the_protocol_rejects_the_load) {
  plugsup_manager *m = manager_on(E2E_DIR "/fake-worker-garbage");
  plugsup_report *rep = NULL;
  plugsup_load_options o = {.size = sizeof o, .id = "x"};
  cr_assert_eq(plugsup_manager_load_bytes(m, "\0asm", 4, &o, NULL, &rep),
               PLUGSUP_EREJECTED);
  cr_assert_str_eq(rep->findings[0].code, "module.invalid");
  cr_assert(strstr(rep->findings[0].message, "(protocol_error)"), "%s",
            rep->findings[0].message);
  plugsup_report_free(rep);
  plugsup_manager_free(m);
}

/* ---- manifests ---- */

#define MANIFEST(fields)                                                       \
  "manifest={\"id\":\"m1\",\"version\":\"1.0.0\"" fields "}"

Test(manifest, the_section_names_the_plugin_and_sets_its_limits) {
  plugsup_manager *m = manager_with(1, false, NULL);
  load_ok(m,
          "abi=process;call=limits;" MANIFEST(
              ",\"name\":\"Mani\",\"author\":\"Ann \\u001b\","
              "\"resources\":{\"time\":\"2s\"}"),
          "ignored");
  plugsup_plugin_info *i = info(m, "m1"); /* the manifest's id wins */
  cr_assert_str_eq(i->name, "Mani");
  cr_assert_str_eq(i->version, "1.0.0");
  cr_assert_str_eq(i->author, "Ann \\x1b");
  plugsup_plugin_info_free(i);
  plugsup_result *r = execute(m, "m1", "", NULL);
  cr_assert_str_eq(r->abi_output.data, "wall 2000");
  fake_free(NULL, r);
  plugsup_execute_options x = {.size = sizeof x, .limits.wall_ms = 300};
  cr_assert_eq(plugsup_manager_execute(m, "m1", "", 0, &x, &r), PLUGSUP_OK);
  cr_assert_str_eq(r->abi_output.data, "wall 300"); /* the execute's wins */
  fake_free(NULL, r);
  plugsup_manager_free(m);
}

Test(manifest, resources_above_the_hosts_limits_are_rejected) {
  plugsup_manager *m = manager_with(1, false, NULL);
  plugsup_report *rep = NULL;
  cr_assert_eq(
      load_text(m, "abi=process;" MANIFEST(",\"resources\":{\"time\":\"60s\"}"),
                NULL, &rep),
      PLUGSUP_EREJECTED);
  cr_assert_str_eq(finding(rep, "resource.limit")->message,
                   "resource 'time' asks for 1m, above the host's limit 10s");
  plugsup_report_free(rep);
  plugsup_manager_free(m);
}

Test(manifest, a_manifest_that_does_not_parse_is_rejected_with_where) {
  plugsup_manager *m = manager_with(1, false, NULL);
  plugsup_report *rep = NULL;
  cr_assert_eq(
      load_text(m, "abi=process;" MANIFEST(",\"colour\":1"), NULL, &rep),
      PLUGSUP_EREJECTED);
  cr_assert_str_eq(rep->findings[0].code, "manifest.invalid");
  cr_assert(
      strncmp(rep->findings[0].message, "plugsup.manifest section:1:", 27) == 0,
      "%s", rep->findings[0].message);
  plugsup_report_free(rep);
  plugsup_manager_free(m);
}

Test(manifest, permissions_become_the_policy_within_the_ceiling) {
  plugsup_policy *ceiling;
  plugsup_report *rep = NULL;
  cr_assert_eq(plugsup_policy_new(&ceiling), PLUGSUP_OK);
  cr_assert_eq(plugsup_policy_allow(ceiling, "env:APP_*"), PLUGSUP_OK);
  plugsup_manager *m = manager_with(1, false, ceiling);
  plugsup_policy_free(ceiling);
  load_ok(m,
          "abi=process;call=policy;" MANIFEST(
              ",\"permissions\":[\"env:APP_MODE\"]"),
          NULL);
  plugsup_result *r = execute(m, "m1", "", NULL);
  cr_assert_str_eq(r->abi_output.data, "env:APP_MODE\n");
  fake_free(NULL, r);
  cr_assert_eq(load_text(m,
                         "abi=process;manifest={\"id\":\"m2\",\"version\":"
                         "\"1.0.0\",\"permissions\":[\"env:HOME\"]}",
                         NULL, &rep),
               PLUGSUP_EREJECTED);
  cr_assert_str_eq(finding(rep, "permission.ceiling")->message,
                   "permission 'env:HOME' is beyond what the host allows");
  plugsup_report_free(rep);
  plugsup_manager_free(m);
}

Test(manifest, entry_points_must_be_exported) {
  plugsup_manager *m = manager_with(1, false, NULL);
  plugsup_report *rep = NULL;
  cr_assert_eq(load_text(m,
                         "abi=process;exports=process,alloc;" MANIFEST(
                             ",\"entry_points\":[\"process\",\"init\"]"),
                         NULL, &rep),
               PLUGSUP_EREJECTED);
  cr_assert_eq(rep->errors, 1);
  cr_assert_str_eq(finding(rep, "manifest.entry_point")->message,
                   "the manifest's entry point 'init' is not exported by the "
                   "module");
  plugsup_report_free(rep);
  plugsup_manager_free(m);
}

Test(manifest, dependencies_must_be_loaded_within_their_range) {
  plugsup_manager *m = manager_with(1, false, NULL);
  plugsup_report *rep = NULL;
  const char *user = "abi=process;manifest={\"id\":\"user\",\"version\":"
                     "\"1.0.0\",\"dependencies\":[{\"id\":\"base\","
                     "\"version\":\"^2.1.0\"}]}";
  cr_assert_eq(load_text(m, user, NULL, &rep), PLUGSUP_EREJECTED);
  cr_assert_str_eq(finding(rep, "manifest.dependency")->message,
                   "it needs 'base' ^2.1.0, which is not loaded");
  plugsup_report_free(rep);
  load_ok(m, "abi=process;manifest={\"id\":\"base\",\"version\":\"3.0.0\"}",
          NULL);
  cr_assert_eq(load_text(m, user, NULL, &rep), PLUGSUP_EREJECTED);
  cr_assert_str_eq(finding(rep, "manifest.dependency")->message,
                   "it needs 'base' ^2.1.0; the one loaded is '3.0.0'");
  plugsup_report_free(rep);
  cr_assert_eq(plugsup_manager_unload(m, "base"), PLUGSUP_OK);
  load_ok(m, "abi=process;manifest={\"id\":\"base\",\"version\":\"2.4.1\"}",
          NULL);
  load_ok(m, user, NULL);
  plugsup_manager_free(m);
}

Test(manifest, the_load_options_manifest_comes_before_the_section) {
  plugsup_manager *m = manager_with(1, false, NULL);
  const char *spec = "abi=process,tool;name=t;tools=a;" MANIFEST("");
  const char *mine = "{\"id\":\"mine\",\"version\":\"0.1.0\",\"abi\":\"tool\"}";
  plugsup_load_options o = {
      .size = sizeof o, .manifest_json = mine, .manifest_len = strlen(mine)};
  cr_assert_eq(
      plugsup_manager_load_bytes(m, spec, strlen(spec), &o, NULL, NULL),
      PLUGSUP_OK, "%s", plugsup_errmsg());
  plugsup_plugin_info *i = info(m, "mine");
  cr_assert_eq(i->abi, PLUGSUP_ABI_TOOL); /* the manifest's "abi" chose */
  plugsup_plugin_info_free(i);
  plugsup_manager_free(m);
}

Test(manifest, the_file_beside_the_module_is_read) {
  plugsup_manager *m = manager_with(1, false, NULL);
  char path[128];
  plugsup_report *rep = NULL;
  make_tmpdir();
  write_file("p.wasm", "abi=process");
  write_file("p.manifest.json", "{\"id\":\"beside\",\"version\":\"1.0.0\"}");
  snprintf(path, sizeof path, "%s/p.wasm", tmpdir);
  cr_assert_eq(plugsup_manager_load_file(m, path, NULL, NULL, NULL), PLUGSUP_OK,
               "%s", plugsup_errmsg());
  plugsup_plugin_info_free(info(m, "beside"));
  plugsup_load_options o = {.size = sizeof o,
                            .manifest_path = "/nonexistent.json"};
  cr_assert_eq(plugsup_manager_load_file(m, path, &o, NULL, &rep),
               PLUGSUP_EREJECTED);
  cr_assert_str_eq(rep->findings[0].message,
                   "cannot read '/nonexistent.json': No such file or "
                   "directory");
  plugsup_report_free(rep);
  plugsup_manager_free(m);
  remove_tmpdir();
}

Test(manifest, a_manifest_file_over_64_KiB_is_rejected_unparsed) {
  plugsup_manager *m = manager_with(1, false, NULL);
  char path[128], *big = malloc((64u << 10) + 2);
  plugsup_report *rep = NULL;
  cr_assert_not_null(big);
  memset(big, ' ', (64u << 10) + 1);
  big[(64u << 10) + 1] = '\0';
  make_tmpdir();
  write_file("p.wasm", "abi=process");
  write_file("p.manifest.json", big);
  snprintf(path, sizeof path, "%s/p.wasm", tmpdir);
  cr_assert_eq(plugsup_manager_load_file(m, path, NULL, NULL, &rep),
               PLUGSUP_EREJECTED);
  char want[160];
  snprintf(want, sizeof want, "'%s/p.manifest.json' is larger than 64 KiB",
           tmpdir);
  cr_assert_str_eq(rep->findings[0].message, want);
  plugsup_report_free(rep);
  plugsup_manager_free(m);
  remove_tmpdir();
  free(big);
}

/* ---- observe plugins ---- */

#define OBSERVE                                                                \
  "abi=observe;call=echo;describe={\"name\":\"disk\",\"version\":\"0.3\","     \
  "\"capabilities\":[{\"kind\":\"env\",\"pattern\":\"DISK_*\"},"               \
  "{\"kind\":\"clock\"}]};schema={\"type\":\"object\",\"properties\":"         \
  "{\"port\":{\"type\":\"integer\",\"maximum\":65535,\"default\":80}}}"

Test(observe, the_configuration_gets_its_defaults) {
  plugsup_manager *m = manager_with(1, false, NULL);
  load_ok(m, OBSERVE, NULL);
  plugsup_plugin_info *i = info(m, "disk");
  cr_assert_eq(i->abi, PLUGSUP_ABI_OBSERVE);
  cr_assert_str_eq(i->version, "0.3");
  cr_assert(strstr(i->metadata_json, "\"schema\":{\"properties\""), "%s",
            i->metadata_json);
  plugsup_plugin_info_free(i);
  plugsup_result *r = execute(m, "disk", "{}", NULL);
  cr_assert_str_eq(r->abi_output.data, "{\"port\":80}");
  fake_free(NULL, r);
  plugsup_manager_free(m);
}

Test(observe, a_configuration_that_does_not_match_is_EINVAL) {
  plugsup_manager *m = manager_with(1, false, NULL);
  plugsup_result *r = NULL;
  load_ok(m, OBSERVE, NULL);
  int before = atomic_load(&calls);
  cr_assert_eq(
      plugsup_manager_execute(m, "disk", "{\"port\":70000}", 14, NULL, &r),
      PLUGSUP_EINVAL);
  cr_assert_str_eq(plugsup_errmsg(),
                   "config.port: 70000 is above the maximum 65535");
  cr_assert_null(r);
  cr_assert_eq(atomic_load(&calls), before);
  plugsup_manager_free(m);
}

Test(observe, runs_get_only_what_both_the_grant_and_describe_allow) {
  plugsup_policy *ceiling, *grant;
  plugsup_report *rep = NULL;
  cr_assert_eq(plugsup_policy_new(&ceiling), PLUGSUP_OK);
  cr_assert_eq(plugsup_policy_allow(ceiling, "env:*"), PLUGSUP_OK);
  plugsup_manager *m = manager_with(1, false, ceiling);
  cr_assert_eq(plugsup_policy_new(&grant), PLUGSUP_OK);
  cr_assert_eq(plugsup_policy_allow(grant, "env:DISK_*"), PLUGSUP_OK);
  cr_assert_eq(plugsup_policy_allow(grant, "env:HOME"), PLUGSUP_OK);
  const char *spec = "abi=observe;call=policy;describe={\"name\":\"d\","
                     "\"capabilities\":[{\"kind\":\"env\",\"pattern\":"
                     "\"DISK_*\"},{\"kind\":\"clock\"}]};schema={}";
  plugsup_load_options o = {.size = sizeof o, .policy = grant};
  cr_assert_eq(
      plugsup_manager_load_bytes(m, spec, strlen(spec), &o, NULL, &rep),
      PLUGSUP_OK, "%s", plugsup_errmsg());
  cr_assert_eq(rep->errors, 0);
  cr_assert_eq(finding(rep, "permission.requested")->severity,
               PLUGSUP_SEVERITY_WARNING);
  cr_assert_str_eq(finding(rep, "permission.requested")->message,
                   "describe() asks for 'clock', which the plugin is not "
                   "granted: its runs go without");
  plugsup_report_free(rep);
  plugsup_result *r = execute(m, "d", "", NULL);
  cr_assert(strstr(r->abi_output.data, "env:DISK_*"), "%s", r->abi_output.data);
  fake_free(NULL, r);
  plugsup_policy_free(grant);
  plugsup_policy_free(ceiling);
  plugsup_manager_free(m);
}

Test(observe, a_describe_that_is_not_json_is_rejected) {
  plugsup_manager *m = manager_with(1, false, NULL);
  plugsup_report *rep = NULL;
  cr_assert_eq(load_text(m, "abi=observe;describe=nope;schema={}", "o", &rep),
               PLUGSUP_EREJECTED);
  cr_assert_str_eq(rep->findings[0].code, "abi.describe");
  cr_assert(strncmp(rep->findings[0].message, "describe: ", 10) == 0, "%s",
            rep->findings[0].message);
  plugsup_report_free(rep);
  plugsup_manager_free(m);
}

/* ---- with the real worker: the worker's ABI fixtures ---- */

#define WASM(name) PLUGSUP_BUILD_DIR "/tests/worker/wasm/" name

static char *load_real(plugsup_manager *m, const char *path, const char *id) {
  plugsup_load_options o = {.size = sizeof o, .id = id};
  plugsup_report *rep = NULL;
  char *got = NULL;
  plugsup_status st = plugsup_manager_load_file(m, path, &o, &got, &rep);
  for (size_t i = 0; st != PLUGSUP_OK && rep && i < rep->count; i++)
    fprintf(stderr, "%s: %s\n", rep->findings[i].code,
            rep->findings[i].message);
  cr_assert_eq(st, PLUGSUP_OK, "%s", plugsup_errmsg());
  plugsup_report_free(rep);
  return got;
}

static plugsup_result *execute_real(plugsup_manager *m, const char *key,
                                    const char *input, const char *tool) {
  plugsup_execute_options x = {.size = sizeof x, .tool = tool};
  plugsup_result *r = NULL;
  cr_assert_eq(plugsup_manager_execute(m, key, input, strlen(input), &x, &r),
               PLUGSUP_OK, "%s", plugsup_errmsg());
  cr_assert_eq(r->outcome, PLUGSUP_OUTCOME_OK, "%s: %s",
               plugsup_outcome_name(r->outcome), r->message);
  return r;
}

Test(real, process_and_tool_plugins_load_and_run) {
  plugsup_manager *m = manager_on(REAL_WORKER);
  free(load_real(m, WASM("abi_process.wasm"), NULL));
  char *tool = load_real(m, WASM("abi_tool.wasm"), NULL);
  cr_assert_str_eq(tool, "demo"); /* plugin_name() */
  free(tool);
  plugsup_plugin_info *i = info(m, "abi_process"); /* the file's name */
  cr_assert_eq(i->abi, PLUGSUP_ABI_PROCESS);
  cr_assert_eq(strncmp(i->hash, "sha256:", 7), 0);
  cr_assert_gt(i->load_usec, 0);
  plugsup_plugin_info_free(i);
  i = info(m, "demo");
  cr_assert_str_eq(i->metadata_json,
                   "{\"description\":\"A demo toolset\",\"name\":\"demo\","
                   "\"tools\":[{\"description\":\"Says it back\",\"name\":"
                   "\"echo\"},{\"description\":\"Says HEY\",\"name\":"
                   "\"shout\"}],\"version\":\"1.0.0\"}");
  plugsup_plugin_info_free(i);
  plugsup_result *r = execute_real(m, "abi_process", "hello", NULL);
  cr_assert_str_eq(r->abi_output.data, "HELLO");
  plugsup_result_free(r);
  r = execute_real(m, "demo", "ping", "shout");
  cr_assert_str_eq(r->abi_output.data, "HEY");
  plugsup_result_free(r);
  i = info(m, "demo");
  cr_assert_eq(i->runs, 1);
  cr_assert_eq(i->successes, 1);
  cr_assert_gt(i->wall_usec, 0);
  plugsup_plugin_info_free(i);
  plugsup_manager_free(m);
  assert_no_children();
}

Test(real, a_chain_of_real_process_plugins) {
  plugsup_manager *m = manager_on(REAL_WORKER);
  plugsup_result *r = NULL;
  char *failed = NULL;
  free(load_real(m, WASM("abi_process.wasm"), "one"));
  free(load_real(m, WASM("abi_process.wasm"), "two"));
  cr_assert_eq(plugsup_manager_execute_all(m, "chain", 5, NULL, &r, &failed),
               PLUGSUP_OK, "%s", plugsup_errmsg());
  cr_assert_null(failed);
  cr_assert_str_eq(r->abi_output.data, "CHAIN");
  plugsup_result_free(r);
  plugsup_plugin_info *i = info(m, "two");
  cr_assert_eq(i->runs, 1);
  plugsup_plugin_info_free(i);
  plugsup_manager_free(m);
}

Test(real, an_observe_plugin_gets_its_checked_configuration) {
  plugsup_manager *m = manager_on(REAL_WORKER);
  free(load_real(m, WASM("abi_observe32.wasm"), NULL));
  plugsup_result *r = execute_real(m, "file", "{\"a\":1}", NULL);
  cr_assert_str_eq(r->abi_output.data,
                   "{\"status\":true,\"config\":{\"a\":1}}");
  plugsup_result_free(r);
  plugsup_manager_free(m);
}

Test(real, a_file_that_is_not_wasm_is_rejected) {
  plugsup_manager *m = manager_on(REAL_WORKER);
  plugsup_report *rep = NULL;
  cr_assert_eq(
      plugsup_manager_load_file(m, WASM("not_wasm.bin"), NULL, NULL, &rep),
      PLUGSUP_EREJECTED);
  cr_assert(strncmp(finding(rep, "module.invalid")->message,
                    "the worker could not inspect the module "
                    "(invalid_module): ",
                    58) == 0,
            "%s", finding(rep, "module.invalid")->message);
  plugsup_report_free(rep);
  plugsup_manager_free(m);
}

/* Copies a fixture into tmpdir by a rename, as a deploy would. */
static void install(const char *fixture, const char *name) {
  char cmd[512];
  snprintf(cmd, sizeof cmd, "cp '%s' '%s/.%s.tmp' && mv '%s/.%s.tmp' '%s/%s'",
           fixture, tmpdir, name, tmpdir, name, tmpdir, name);
  cr_assert_eq(system(cmd), 0);
}

Test(real, hot_reload_validates_in_a_worker_before_switching) {
  plugsup_manager_config cfg;
  plugsup_manager *m = NULL;
  char path[128];
  plugsup_manager_config_init(&cfg);
  cfg.supervisor.worker_path = REAL_WORKER;
  cfg.watch = true;
  cfg.on_reload = on_reload;
  cfg.userdata = &rlog;
  cr_assert_eq(plugsup_manager_new(&cfg, &m), PLUGSUP_OK);
  make_tmpdir();
  install(WASM("abi_process.wasm"), "up.wasm");
  snprintf(path, sizeof path, "%s/up.wasm", tmpdir);
  rlog.n = 0;
  rlog.unload_in_callback = NULL;
  free(load_real(m, path, NULL));
  install(WASM("not_wasm.bin"), "up.wasm");
  cr_assert(wait_reloads(1), "no reload seen");
  cr_assert_eq(rlog.outcome, PLUGSUP_RELOAD_REJECTED);
  cr_assert_str_eq(rlog.first_code, "module.invalid");
  plugsup_result *r = execute_real(m, "up", "still", NULL);
  cr_assert_str_eq(r->abi_output.data, "STILL");
  plugsup_result_free(r);
  install(WASM("abi_tool.wasm"), "up.wasm"); /* now a tool plugin */
  cr_assert(wait_reloads(2), "no second reload seen");
  cr_assert_eq(rlog.outcome, PLUGSUP_RELOAD_SWITCHED);
  r = execute_real(m, "up", "x", "shout");
  cr_assert_str_eq(r->abi_output.data, "HEY");
  plugsup_result_free(r);
  plugsup_plugin_info *i = info(m, "up");
  cr_assert_eq(i->abi, PLUGSUP_ABI_TOOL);
  cr_assert_eq(i->reloads, 1);
  cr_assert_eq(i->runs, 2); /* counters survive a reload */
  plugsup_plugin_info_free(i);
  plugsup_manager_free(m);
  remove_tmpdir();
  assert_no_children();
}

/* ---- misuse: each call names itself ---- */

static void expect_einval(plugsup_status st, const char *message) {
  cr_assert_eq(st, PLUGSUP_EINVAL);
  cr_assert_str_eq(plugsup_errmsg(), message);
}

Test(manager, null_arguments_are_EINVAL_naming_the_call) {
  plugsup_manager *m = manager_with(1, false, NULL), *none = NULL;
  plugsup_plugin_info *i = NULL;
  plugsup_result *r = NULL;
  size_t n;
  expect_einval(plugsup_manager_new(NULL, &none),
                "plugsup_manager_new: cfg is NULL");
  expect_einval(plugsup_manager_load_bytes(m, NULL, 0, NULL, NULL, NULL),
                "plugsup_manager_load: NULL argument");
  expect_einval(plugsup_manager_load_file(NULL, "x", NULL, NULL, NULL),
                "plugsup_manager_load: NULL argument");
  expect_einval(plugsup_manager_unload(m, NULL),
                "plugsup_manager_unload: NULL argument");
  expect_einval(plugsup_manager_list(m, NULL, &n),
                "plugsup_manager_list: NULL argument");
  expect_einval(plugsup_manager_info(m, NULL, &i),
                "plugsup_manager_info: NULL argument");
  expect_einval(plugsup_manager_execute(m, "x", NULL, 3, NULL, &r),
                "plugsup_manager_execute: NULL argument");
  expect_einval(plugsup_manager_execute_all(m, "x", 1, NULL, NULL, NULL),
                "plugsup_manager_execute_all: NULL argument");
  expect_einval(plugsup_manager_add_validator(m, NULL, NULL),
                "plugsup_manager_add_validator: NULL argument");
  plugsup_manager_free(m);
  plugsup_manager_free(NULL); /* a no-op */
}

Test(manager, a_config_of_another_size_is_EINVAL) {
  plugsup_manager_config cfg;
  plugsup_manager *m = NULL;
  char want[160];
  plugsup_manager_config_init(&cfg);
  cfg.size = 8;
  snprintf(want, sizeof want,
           "plugsup_manager_config.size is 8; this library's is %zu (use "
           "plugsup_manager_config_init)",
           sizeof cfg);
  expect_einval(plugsup_manager_new(&cfg, &m), want);
  cr_assert_null(m);
}

Test(manager, a_bad_limit_in_the_supervisor_config_is_EINVAL) {
  plugsup_manager_config cfg;
  plugsup_manager *m = NULL;
  plugsup_manager_config_init(&cfg);
  cfg.supervisor.worker_path = REAL_WORKER;
  cfg.supervisor.limits.memory_bytes = 5ull << 30;
  cr_assert_eq(plugsup_manager_new(&cfg, &m), PLUGSUP_EINVAL);
  cr_assert_null(m);
  cr_assert_str_eq(plugsup_errmsg(),
                   "memory limit exceeds 4 GiB, the most a 32-bit memory can "
                   "use");
}

Test(real, an_observe_plugin_that_says_it_failed_is_counted_as_such) {
  plugsup_manager *m = manager_on(REAL_WORKER);
  free(load_real(m, E2E_DIR "/fixtures/abi_observe_fail.wasm", NULL));
  plugsup_result *r = NULL;
  cr_assert_eq(plugsup_manager_execute(m, "boom", "{}", 2, NULL, &r),
               PLUGSUP_OK, "%s", plugsup_errmsg());
  cr_assert_eq(r->outcome, PLUGSUP_OUTCOME_PLUGIN_ERROR);
  plugsup_result_free(r);
  plugsup_plugin_info *i = info(m, "boom");
  cr_assert_eq(i->failures, 1);
  cr_assert_eq(i->by_outcome[PLUGSUP_OUTCOME_PLUGIN_ERROR], 1);
  cr_assert_str_eq(i->last_error, "plugin_error: boom");
  cr_assert_str_eq(i->description, "Always fails");
  plugsup_plugin_info_free(i);
  plugsup_manager_free(m);
}

/* ---- everything at once ---- */

static void *churn_loads(void *p) {
  plugsup_manager *m = p;
  for (int i = 0; i < 50; i++) {
    plugsup_plugin_info *all = NULL;
    size_t n = 0;
    load_ok(m, "abi=process;call=append:+", "churn");
    cr_assert_eq(plugsup_manager_list(m, &all, &n), PLUGSUP_OK);
    plugsup_plugin_info_list_free(all, n);
    cr_assert_eq(plugsup_manager_unload(m, "churn"), PLUGSUP_OK);
  }
  return NULL;
}

static void *rewrite_file(void *p) {
  char text[64];
  (void)p;
  for (int i = 0; i < 20; i++) {
    snprintf(text, sizeof text, "abi=process;call=sleep:1;version=%d", i);
    write_file("w.wasm", text);
    usleep(5000);
  }
  return NULL;
}

static void *execute_w(void *p) {
  worker_arg *a = p;
  for (int i = 0; i < 50; i++) {
    plugsup_result *r = NULL;
    char *failed = NULL;
    if (plugsup_manager_execute(a->m, "w", "x", 1, NULL, &r) == PLUGSUP_OK &&
        r->outcome == PLUGSUP_OUTCOME_OK)
      a->ok++;
    fake_free(NULL, r);
    r = NULL;
    /* the chain sees "churn" come and go */
    cr_assert_eq(plugsup_manager_execute_all(a->m, "x", 1, NULL, &r, &failed),
                 PLUGSUP_OK);
    cr_assert_null(failed);
    fake_free(NULL, r);
  }
  return NULL;
}

Test(manager, executes_loads_unloads_and_reloads_at_once) {
  plugsup_manager *m =
      watched("w.wasm", "abi=process;call=sleep:1;version=x", "w");
  pthread_t t[6];
  worker_arg a[4];
  for (int i = 0; i < 4; i++) {
    a[i] = (worker_arg){m, 0};
    cr_assert_eq(pthread_create(&t[i], NULL, execute_w, &a[i]), 0);
  }
  cr_assert_eq(pthread_create(&t[4], NULL, churn_loads, m), 0);
  cr_assert_eq(pthread_create(&t[5], NULL, rewrite_file, NULL), 0);
  for (int i = 0; i < 6; i++)
    pthread_join(t[i], NULL);
  for (int i = 0; i < 4; i++)
    cr_assert_eq(a[i].ok, 50);
  cr_assert(wait_reloads(1), "no reload seen");
  plugsup_plugin_info *i = info(m, "w");
  cr_assert_eq(i->runs, 400); /* 200 executes, 200 chains */
  cr_assert_eq(i->failures, 0);
  cr_assert_geq(i->reloads, 1);
  plugsup_plugin_info_free(i);
  plugsup_manager_free(m);
  remove_tmpdir();
}
