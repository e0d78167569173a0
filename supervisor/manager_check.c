/*
** manager_check.c: what a worker's INSPECT run says of a module, checked
** and made into a plugin version (manager.h).
**
** The worker measured the module against each ABI and read the metadata
** of those it satisfies; here the manager reads the manifest, chooses the
** ABI, the id and the policy, turns the metadata into what executes need
** (tool names, the observe schema, what describe() requests), and has
** every finding written into the report: policy/'s validate_plugin for
** the checks that are pure decisions, this file for those only the
** registry can make (dependencies), then the embedder's validators.
*/
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "abi_json.h"
#include "internal.h"
#include "manager.h"
#include "manifest.h"
#include "policy.h"
#include "schema.h"
#include "validate.h"

/* Plugin-given bytes as printable text; NULL when out of memory. */
static char *guest_text(const char *data, size_t len) {
  return sup_guest_text(data, len, SUP_TEXT_PROSE);
}

/* ---- what an INSPECT run says, as a version ---- */

/* The building of one version: the run's result, the report, and the
** version as far as it got. */
typedef struct mgr_build {
  plugsup_manager *m;
  const mgr_source *src;
  const char *path;    /* "" for bytes */
  plugsup_result *res; /* the INSPECT run */
  manifest *man;       /* the plugin's manifest, if it has one */
  plugsup_report *rep;
  mgr_version *v;
  plugsup_status oom; /* ENOMEM once an allocation failed */
} mgr_build;

static const struct {
  const char *code;
  plugsup_severity severity;
} mgr_codes[] = {
#define MGR_X_(id, code, severity, meaning) {code, PLUGSUP_SEVERITY_##severity},
    MGR_CODE_LIST(MGR_X_)
#undef MGR_X_
};

plugsup_status mgr_finding(plugsup_report *rep, mgr_code code, const char *fmt,
                           ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return plugsup_report_add(rep, mgr_codes[code].severity, mgr_codes[code].code,
                            "%s", msg);
}

/* A finding of validate_plugin's: its severity and code as given. */
static void note_as(mgr_build *b, plugsup_severity sev, const char *code,
                    const char *message) {
  if (plugsup_report_add(b->rep, sev, code, "%s", message) != PLUGSUP_OK)
    b->oom = PLUGSUP_ENOMEM;
}

static void note(mgr_build *b, mgr_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void note(mgr_build *b, mgr_code code, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (mgr_finding(b->rep, code, "%s", msg) != PLUGSUP_OK)
    b->oom = PLUGSUP_ENOMEM;
}

static const plugsup_abi_match *match_of(const plugsup_result *r,
                                         plugsup_abi abi) {
  for (size_t i = 0; i < r->abi_count; i++)
    if (r->abis[i].abi == abi)
      return &r->abis[i];
  return NULL;
}

static bool satisfied(const plugsup_abi_match *a) {
  return a && a->problem_count == 0;
}

/* The ABI to run the plugin with: the one asked for, else the one the
** module satisfies; NONE when there is none (validate_plugin says why). */
static plugsup_abi choose_abi(const mgr_build *b, plugsup_abi wanted) {
  plugsup_abi found = PLUGSUP_ABI_NONE;
  size_t n = 0;
  if (wanted != PLUGSUP_ABI_NONE)
    return satisfied(match_of(b->res, wanted)) ? wanted : PLUGSUP_ABI_NONE;
  for (size_t i = 0; i < b->res->abi_count; i++)
    if (satisfied(&b->res->abis[i]))
      found = b->res->abis[i].abi, n++;
  return n == 1 ? found : PLUGSUP_ABI_NONE;
}

static const plugsup_abi_item *item_of(const plugsup_result *r,
                                       const char *call, uint32_t index) {
  for (size_t i = 0; i < r->abi_item_count; i++)
    if (strcmp(r->abi_items[i].call, call) == 0 &&
        r->abi_items[i].index == index)
      return &r->abi_items[i];
  return NULL;
}

/* An item's bytes as printable text ("" when the call is missing). */
static char *item_text(mgr_build *b, const char *call, uint32_t index) {
  const plugsup_abi_item *it = item_of(b->res, call, index);
  char *s = it ? guest_text(it->data, it->len) : strdup("");
  if (!s)
    b->oom = PLUGSUP_ENOMEM;
  return s;
}

/* A policy of policy/ as a public one, taking it. */
static plugsup_policy *wrap_policy(mgr_build *b, policy *rules) {
  plugsup_policy *p = rules ? calloc(1, sizeof *p) : NULL;
  if (!p) {
    policy_free(rules);
    b->oom = PLUGSUP_ENOMEM;
    return NULL;
  }
  atomic_init(&p->refs, 1);
  p->rules = rules;
  return p;
}

/* An item's bytes as the plugin gave them, up to a NUL ("" if missing). */
static const char *item_raw(mgr_build *b, const char *call, uint32_t index) {
  const plugsup_abi_item *it = item_of(b->res, call, index);
  return it ? it->data : "";
}

/* A JSON text re-written compact, keys sorted, in ASCII: what a plugin
** wrote prints as escapes, not as itself. NULL if it is not JSON. */
static char *ascii_json(const char *text, size_t len) {
  json_error_t err;
  json_t *j = json_loadb(text, len, 0, &err);
  char *out = j ? json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII |
                                    JSON_SORT_KEYS | JSON_ENCODE_ANY)
                : NULL;
  json_decref(j);
  return out;
}

/* TOOL: name, version, description and the tools, each name kept as the
** plugin gave it (execute matches on it); policy/ writes the JSON, made
** ASCII here so that it is safe to print. */
static char *tool_metadata(mgr_build *b) {
  mgr_version *v = b->v;
  const char **descs;
  char *json;
  v->name = item_text(b, "plugin_name", 0);
  v->version = item_text(b, "plugin_version", 0);
  v->description = item_text(b, "plugin_description", 0);
  while (item_of(b->res, "plugin_tool_name", (uint32_t)v->ntools))
    v->ntools++;
  v->tools = calloc(v->ntools + 1, sizeof *v->tools);
  descs = calloc(v->ntools + 1, sizeof *descs);
  for (size_t i = 0; v->tools && descs && i < v->ntools; i++) {
    v->tools[i] = strdup(item_raw(b, "plugin_tool_name", (uint32_t)i));
    descs[i] = item_raw(b, "plugin_tool_description", (uint32_t)i);
    if (!v->tools[i])
      b->oom = PLUGSUP_ENOMEM;
  }
  if (!v->tools || !descs || b->oom) {
    b->oom = PLUGSUP_ENOMEM;
    free(descs);
    return NULL;
  }
  json = abi_tool_metadata(item_raw(b, "plugin_name", 0),
                           item_raw(b, "plugin_version", 0),
                           item_raw(b, "plugin_description", 0),
                           (const char *const *)v->tools, descs, v->ntools);
  free(descs);
  char *ascii = json ? ascii_json(json, strlen(json)) : NULL;
  free(json);
  return ascii;
}

/* schema() must be a schema policy/ can check configurations against;
** an empty configuration may mismatch (a required field), not more. */
static void check_schema(mgr_build *b, const plugsup_abi_item *it) {
  char err[256];
  mgr_version *v = b->v;
  if (!it) {
    note(b, MGR_ABI_SCHEMA, "schema() returned nothing");
    return;
  }
  if (!(v->schema = malloc(it->len + 1))) {
    b->oom = PLUGSUP_ENOMEM;
    return;
  }
  memcpy(v->schema, it->data, it->len);
  v->schema[it->len] = '\0';
  v->schema_len = it->len;
  if (schema_check(v->schema, v->schema_len, "", 0, NULL, err, sizeof err) ==
      SCHEMA_UNUSABLE)
    note(b, MGR_ABI_SCHEMA, "%s", err);
}

/* OBSERVE: describe() names the plugin and says which capabilities it
** wants; schema() checks each execute's configuration. */
static char *observe_metadata(mgr_build *b) {
  const plugsup_abi_item *d = item_of(b->res, "describe", 0);
  const plugsup_abi_item *sc = item_of(b->res, "schema", 0);
  abi_describe desc;
  char err[256], *dj = NULL, *sj = NULL, *json = NULL;
  check_schema(b, sc);
  if (abi_describe_parse(d ? d->data : "", d ? d->len : 0, &desc, err,
                         sizeof err) < 0) {
    note(b, MGR_ABI_DESCRIBE, "%s", err);
    return NULL;
  }
  b->v->name = guest_text(desc.name, strlen(desc.name));
  b->v->version = guest_text(desc.version, strlen(desc.version));
  b->v->description = guest_text(desc.description, strlen(desc.description));
  b->v->requested = wrap_policy(b, desc.capabilities);
  desc.capabilities = NULL;
  dj = ascii_json(desc.json, strlen(desc.json));
  sj = sc ? ascii_json(sc->data, sc->len) : NULL;
  if (dj && asprintf(&json, "{\"describe\":%s,\"schema\":%s}", dj,
                     sj ? sj : "{}") < 0)
    json = NULL;
  if (!b->v->name || !b->v->version || !b->v->description)
    b->oom = PLUGSUP_ENOMEM;
  abi_describe_free(&desc);
  free(dj);
  free(sj);
  return json;
}

static void read_metadata(mgr_build *b) {
  mgr_version *v = b->v;
  const plugsup_abi_match *a = match_of(b->res, v->abi);
  if (a && a->error && a->error[0])
    return; /* validate_plugin reports it */
  v->metadata_json = v->abi == PLUGSUP_ABI_TOOL      ? tool_metadata(b)
                     : v->abi == PLUGSUP_ABI_OBSERVE ? observe_metadata(b)
                                                     : strdup("{}");
  if (!v->metadata_json && (v->abi != PLUGSUP_ABI_OBSERVE || !b->rep->errors))
    b->oom = PLUGSUP_ENOMEM;
}

/* ---- manifest, id, policy ---- */

/* NAME.manifest.json beside NAME.wasm, if there is one; malloc'd. */
static char *sibling_manifest(const char *path) {
  size_t n = strlen(path);
  char *p;
  if (n < 5 || strcmp(path + n - 5, ".wasm") != 0)
    return NULL;
  if (asprintf(&p, "%.*s.manifest.json", (int)(n - 5), path) < 0)
    return NULL;
  if (access(p, F_OK) == 0)
    return p;
  free(p);
  return NULL;
}

/* A manifest file's text, or NULL with a finding. */
static char *read_manifest_file(mgr_build *b, const char *path, size_t *len) {
  char *text = NULL;
  if (sup_read_file(path, MANIFEST_MAX_BYTES, &text, len) == 0)
    return text;
  if (errno == ENOMEM)
    b->oom = PLUGSUP_ENOMEM;
  else if (errno == EFBIG)
    note(b, MGR_MANIFEST_INVALID, "'%s' is larger than 64 KiB", path);
  else
    note(b, MGR_MANIFEST_INVALID, "cannot read '%s': %s", path,
         strerror(errno));
  return NULL;
}

/* MANIFESTS in plugsup.h: the load's, the file beside, the section, in
** that order; policy/ parses it. */
static void read_manifest(mgr_build *b) {
  char *beside = b->path[0] && !b->src->manifest_json && !b->src->manifest_path
                     ? sibling_manifest(b->path)
                     : NULL;
  const char *file = b->src->manifest_path ? b->src->manifest_path : beside;
  const char *text =
      b->src->manifest_json ? b->src->manifest_json : b->res->manifest;
  size_t len =
      b->src->manifest_json ? b->src->manifest_len : b->res->manifest_len;
  const char *source = b->src->manifest_json ? "manifest"
                       : file                ? file
                                             : "plugsup.manifest section";
  char err[512], *owned = NULL;
  if (!b->src->manifest_json && file &&
      !(text = owned = read_manifest_file(b, file, &len)))
    goto done;
  if (!len)
    goto done; /* no manifest */
  if (!(b->man = manifest_parse(source, text, len, err, sizeof err)))
    note(b, MGR_MANIFEST_INVALID, "%s", err);
done:
  free(owned);
  free(beside);
}

/* Manifest text is the plugin author's: shown escaped. NULL stays NULL. */
static void take_text(mgr_build *b, char **dst, const char *src) {
  if (!src)
    return;
  free(*dst);
  if (!(*dst = guest_text(src, strlen(src))))
    b->oom = PLUGSUP_ENOMEM;
}

/* Each dependency must be loaded, at a version within its range. */
static void check_dependencies(mgr_build *b) {
  for (size_t i = 0; i < b->man->dep_count; i++) {
    const manifest_dep *d = &b->man->deps[i];
    char version[128] = "", why[256];
    semver sv;
    const char *bad;
    bool match = false;
    pthread_mutex_lock(&b->m->lock);
    mgr_entry *e = mgr_find_id(b->m, d->id);
    if (e)
      snprintf(version, sizeof version, "%s", e->cur->version);
    pthread_mutex_unlock(&b->m->lock);
    if (!e)
      note(b, MGR_DEPENDENCY, "it needs '%s' %s, which is not loaded", d->id,
           d->range);
    else if (semver_parse(version, &sv, &bad) < 0 ||
             semver_range_match(d->range, &sv, &match, why, sizeof why) < 0 ||
             !match)
      note(b, MGR_DEPENDENCY, "it needs '%s' %s; the one loaded is '%s'", d->id,
           d->range, version);
  }
}

/* What the manifest says over what the module says: names, limits, and
** its dependencies, which only the registry can check. */
static void apply_manifest(mgr_build *b) {
  mgr_version *v = b->v;
  if (!b->man)
    return;
  take_text(b, &v->name, b->man->name);
  take_text(b, &v->version, b->man->version);
  take_text(b, &v->description, b->man->description);
  take_text(b, &v->author, b->man->author);
  v->limits.memory_bytes = b->man->resources.memory_bytes;
  v->limits.fuel = b->man->resources.fuel;
  v->limits.wall_ms = b->man->resources.wall_ms;
  check_dependencies(b);
}

/* The file name without its directory and ".wasm". */
static char *id_from_path(const char *path) {
  const char *base = strrchr(path, '/');
  base = base ? base + 1 : path;
  size_t n = strlen(base);
  if (n > 5 && strcmp(base + n - 5, ".wasm") == 0)
    n -= 5;
  return strndup(base, n);
}

/* plugsup_plugin_info.id: the manifest's, else the load's, else the
** name, else the file's. */
static void choose_id(mgr_build *b) {
  mgr_version *v = b->v;
  const char *name = v->name ? v->name : "";
  v->id = b->man && b->man->id ? strdup(b->man->id)
          : b->src->id         ? strdup(b->src->id)
          : name[0]            ? strdup(name)
          : b->path[0]         ? id_from_path(b->path)
                               : strdup("");
  if (!v->id)
    b->oom = PLUGSUP_ENOMEM;
  else if (!v->id[0])
    note(b, MGR_NO_ID,
         "the plugin has no id: it has no name, no file name, and the load "
         "options give none");
}

static void requested_finding(void *ud, const char *line, const char *why) {
  (void)why;
  note(ud, MGR_PERMISSION_REQUESTED,
       "describe() asks for '%s', which the plugin is not granted: its runs "
       "go without",
       line);
}

/* The manifest's permissions, else the load's policy: what its runs get
** (validate_plugin checks it against the ceiling). */
static void choose_policy(mgr_build *b) {
  mgr_version *v = b->v;
  plugsup_policy *nothing = NULL;
  if (b->man && b->man->has_permissions) {
    v->policy = wrap_policy(b, b->man->permissions);
    b->man->permissions = NULL;
  } else if (b->src->policy) {
    sup_policy_ref(b->src->policy);
    v->policy = b->src->policy;
  }
  if (plugsup_policy_new(&nothing) != PLUGSUP_OK)
    b->oom = PLUGSUP_ENOMEM;
  if (v->requested && nothing)
    policy_excess(v->policy ? v->policy->rules : nothing->rules,
                  v->requested->rules, requested_finding, b);
  plugsup_policy_free(nothing);
  v->policy_text = v->policy ? plugsup_policy_describe(v->policy) : strdup("");
  if (!v->policy_text)
    b->oom = PLUGSUP_ENOMEM;
}

/* ---- validation ---- */

/* The embedder's validators, in the order added, with no lock held. */
static void run_validators(mgr_build *b) {
  plugsup_plugin_info info;
  plugsup_manager *m = b->m;
  if (!mgr_info_of_version(&info, b->v, b->path)) {
    mgr_info_clear(&info);
    b->oom = PLUGSUP_ENOMEM;
    return;
  }
  for (size_t i = 0;; i++) {
    pthread_mutex_lock(&m->lock);
    mgr_validator val = {0};
    if (i < m->nvalidators)
      val = m->validators[i];
    pthread_mutex_unlock(&m->lock);
    if (!val.fn)
      break;
    val.fn(val.userdata, &info, b->rep);
  }
  mgr_info_clear(&info);
}

static plugsup_status inspect(mgr_build *b) {
  plugsup_run_options o;
  memset(&o, 0, sizeof o);
  o.size = sizeof o;
  o.mode = PLUGSUP_MODE_INSPECT;
  plugsup_status st = mgr_pooled_run(b->m, b->v->module, &o, &b->res);
  if (st != PLUGSUP_OK)
    return st;
  if (b->res->outcome != PLUGSUP_OUTCOME_OK)
    note(b, MGR_MODULE_INVALID,
         "the worker could not inspect the module (%s): %s",
         plugsup_outcome_name(b->res->outcome), b->res->message);
  return PLUGSUP_OK;
}

static void found(void *ud, validate_severity sev, const char *code,
                  const char *message) {
  mgr_build *b = ud;
  char *safe = guest_text(message, strlen(message));
  if (!safe)
    b->oom = PLUGSUP_ENOMEM;
  else
    note_as(b, (plugsup_severity)sev, code, safe);
  free(safe);
}

/* "module.name kind" (plugsup_result.imports) as validate_plugin's
** "module::name" and kind, in text. */
static void import_of(char *text, validate_import *out) {
  char *sp = strrchr(text, ' '), *dot = strchr(text, '.');
  static char func[] = "func";
  out->kind = sp ? (*sp = '\0', sp + 1) : func;
  if (dot && asprintf((char **)&out->name, "%.*s::%s", (int)(dot - text), text,
                      dot + 1) < 0)
    out->name = NULL;
}

/* policy/'s checks over what the worker said, the manifest, the policy,
** the ceiling and the host's limits. */
static void run_checks(mgr_build *b) {
  const plugsup_result *r = b->res;
  const plugsup_limits *h = &b->m->host;
  validate_abi abis[PLUGSUP_ABI_COUNT_];
  size_t nabis =
      r->abi_count < PLUGSUP_ABI_COUNT_ ? r->abi_count : PLUGSUP_ABI_COUNT_;
  validate_import *imps = calloc(r->import_count + 1, sizeof *imps);
  char **texts = calloc(r->import_count + 1, sizeof *texts);
  const char **exps = calloc(r->export_count + 1, sizeof *exps);
  policy_limits host = {.memory_bytes = h->memory_bytes,
                        .fuel = h->fuel == PLUGSUP_FUEL_UNLIMITED ? 0 : h->fuel,
                        .wall_ms = h->wall_ms,
                        .output_bytes = h->output_bytes};
  for (size_t i = 0; i < nabis; i++)
    abis[i] =
        (validate_abi){plugsup_abi_name(r->abis[i].abi), r->abis[i].problems,
                       r->abis[i].problem_count, r->abis[i].error};
  for (size_t i = 0; imps && texts && i < r->import_count; i++)
    if ((texts[i] = strdup(r->imports[i])))
      import_of(texts[i], &imps[i]);
  for (size_t i = 0; exps && i < r->export_count; i++)
    exps[i] = r->exports[i].name;
  validate_input in = {.manifest = b->man,
                       .abi =
                           b->src->abi ? plugsup_abi_name(b->src->abi) : NULL,
                       .abis = abis,
                       .abi_count = nabis,
                       .imports = imps,
                       .import_count = imps && texts ? r->import_count : 0,
                       .exports = exps,
                       .export_count = exps ? r->export_count : 0,
                       .policy = b->v->policy ? b->v->policy->rules : NULL,
                       .ceiling = b->m->ceiling ? b->m->ceiling->rules : NULL,
                       .host = &host};
  if (!imps || !texts || !exps)
    b->oom = PLUGSUP_ENOMEM;
  else
    validate_plugin(&in, found, b);
  for (size_t i = 0; imps && texts && i < r->import_count; i++) {
    free((char *)imps[i].name);
    free(texts[i]);
  }
  free(imps);
  free(texts);
  free(exps);
}

/* What neither the metadata nor the manifest said is "", so that every
** lookup by name may compare it. */
static void fill_blanks(mgr_build *b) {
  char **fields[] = {&b->v->name, &b->v->version, &b->v->description,
                     &b->v->author};
  for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
    if (!*fields[i] && !(*fields[i] = strdup("")))
      b->oom = PLUGSUP_ENOMEM;
}

/* The load's ABI, else the manifest's. */
static plugsup_abi wanted_abi(mgr_build *b) {
  if (b->src->abi != PLUGSUP_ABI_NONE || !b->man || !b->man->abi)
    return b->src->abi;
  return plugsup_abi_from_name(b->man->abi);
}

/* Inspects module in a worker and runs every check over what it says:
** *out is the version (even when the report holds errors, so that the
** validators see it), or NULL when the call itself failed (the status).
** Takes module's reference. */
plugsup_status mgr_build_version(plugsup_manager *m, plugsup_plugin *module,
                                 const mgr_source *src, const char *path,
                                 plugsup_report *rep, mgr_version **out) {
  mgr_build b = {.m = m, .src = src, .path = path, .rep = rep};
  plugsup_status st;
  *out = NULL;
  if (!(b.v = calloc(1, sizeof *b.v))) {
    plugsup_plugin_free(module);
    return sup_fail(PLUGSUP_ENOMEM, "out of memory loading a plugin");
  }
  atomic_init(&b.v->refs, 1);
  b.v->module = module;
  sup_sha256_name(module->bytes, module->len, b.v->hash);
  if ((st = inspect(&b)) != PLUGSUP_OK)
    goto fail;
  /* A module whose imports do not link was still measured against each
  ** ABI, and that says why (a process plugin's forbidden import). */
  bool measured = b.res->outcome == PLUGSUP_OUTCOME_OK ||
                  (b.res->outcome == PLUGSUP_OUTCOME_INVALID_MODULE &&
                   b.res->abi_count > 0);
  if (measured) {
    read_manifest(&b);
    b.v->abi = choose_abi(&b, wanted_abi(&b));
    if (b.v->abi != PLUGSUP_ABI_NONE)
      read_metadata(&b);
    apply_manifest(&b);
  }
  fill_blanks(&b);
  choose_id(&b);
  choose_policy(&b);
  if (measured)
    run_checks(&b);
  manifest_free(b.man);
  if (b.oom == PLUGSUP_OK)
    run_validators(&b);
  if ((st = b.oom) != PLUGSUP_OK) {
    sup_fail(st, "out of memory loading a plugin");
    goto fail;
  }
  m->runner.free_result(m->runner.ud, b.res);
  *out = b.v;
  return PLUGSUP_OK;
fail:
  if (b.res)
    m->runner.free_result(m->runner.ud, b.res);
  mgr_version_unref(b.v);
  return st;
}
