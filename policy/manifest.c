/*
** manifest.c: the plugin manifest in JSON (docs/manifest.md), read field
** by field through json_walk.c so that every message says where.
*/
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_walk.h"
#include "manifest.h"
#include "policy_internal.h"
#include "policy_units.h"

#define MAX_STRING 4096 /* any text field */
#define M(c) ((manifest *)(c)->target)
#define POL_GROW_N(arr, n, cap)                                                \
  pol_grow((void **)&(arr), &(cap), (n), sizeof *(arr))

/* The ABIs a manifest may name (the public plugsup_abi names). */
static const char *const abi_names[] = {"process", "tool", "observe"};

static int string_of(pol_jctx *c, json_t *v, char **out) {
  if (!json_is_string(v))
    return pol_jfail(c, false, "expected a string");
  if (json_string_length(v) > MAX_STRING)
    return pol_jfail(c, false, "longer than %d bytes", MAX_STRING);
  free(*out);
  if (!(*out = strdup(json_string_value(v))))
    return pol_jfail(c, false, "out of memory");
  return 0;
}

/* A plugin id: 1 to 64 of [a-z0-9._-], so it is a safe file and log
** name as it is. */
static int id_of(pol_jctx *c, json_t *v, char **out) {
  const char *s = json_string_value(v);
  size_t n = s ? strlen(s) : 0;
  if (!json_is_string(v))
    return pol_jfail(c, false, "expected a string");
  if (n == 0 || n > 64 ||
      strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789._-") != n)
    return pol_jfail(c, false,
                     "'%.64s%s' is not an id: 1 to 64 of a-z, "
                     "0-9, '.', '_', '-'",
                     s, n > 64 ? "..." : "");
  return string_of(c, v, out);
}

static int f_id(pol_jctx *c, json_t *v) { return id_of(c, v, &M(c)->id); }

static int f_name(pol_jctx *c, json_t *v) {
  return string_of(c, v, &M(c)->name);
}

static int f_description(pol_jctx *c, json_t *v) {
  return string_of(c, v, &M(c)->description);
}

static int f_author(pol_jctx *c, json_t *v) {
  return string_of(c, v, &M(c)->author);
}

static int f_version(pol_jctx *c, json_t *v) {
  const char *why;
  if (string_of(c, v, &M(c)->version) < 0)
    return -1;
  if (semver_parse(M(c)->version, &M(c)->semver, &why) < 0)
    return pol_jfail(c, false, "'%.64s' is not a semantic version: %s",
                     M(c)->version, why);
  return 0;
}

static int f_abi(pol_jctx *c, json_t *v) {
  const char *s = json_string_value(v);
  for (size_t i = 0; s && i < sizeof abi_names / sizeof abi_names[0]; i++)
    if (strcmp(s, abi_names[i]) == 0)
      return string_of(c, v, &M(c)->abi);
  return pol_jfail(c, false, "expected \"process\", \"tool\" or \"observe\"");
}

/* Each element of an array through fn, its index on the path. */
static int each(pol_jctx *c, json_t *v, const char *expected,
                int (*fn)(pol_jctx *, json_t *)) {
  size_t i;
  json_t *e;
  if (!json_is_array(v))
    return pol_jfail(c, false, "expected an array of %s", expected);
  json_array_foreach(v, i, e) {
    pol_jpush_index(c, i);
    if (fn(c, e) < 0)
      return -1;
    c->depth--;
  }
  return 0;
}

static int permission(pol_jctx *c, json_t *e) {
  char why[512];
  if (!json_is_string(e))
    return pol_jfail(c, false, "expected a string");
  if (pol_apply_line(M(c)->permissions, json_string_value(e), why, sizeof why) <
      0)
    return pol_jfail(c, false, "%s", why);
  return 0;
}

static int f_permissions(pol_jctx *c, json_t *v) {
  M(c)->has_permissions = true;
  return each(c, v, "capability strings", permission);
}

static int entry_point(pol_jctx *c, json_t *e) {
  manifest *m = M(c);
  char *name = NULL;
  if (string_of(c, e, &name) < 0)
    return -1;
  if (!*name) {
    free(name);
    return pol_jfail(c, false, "an export name cannot be empty");
  }
  if (!POL_GROW_N(m->entry_points, m->entry_point_count, m->ep_cap)) {
    free(name);
    return pol_jfail(c, false, "out of memory");
  }
  m->entry_points[m->entry_point_count++] = name;
  return 0;
}

static int f_entry_points(pol_jctx *c, json_t *v) {
  return each(c, v, "export names", entry_point);
}

/* The dependency being read: the last of m->deps. */
static manifest_dep *dep(pol_jctx *c) {
  return &M(c)->deps[M(c)->dep_count - 1];
}

static int f_dep_id(pol_jctx *c, json_t *v) { return id_of(c, v, &dep(c)->id); }

static int f_dep_version(pol_jctx *c, json_t *v) {
  char why[256];
  bool match;
  if (string_of(c, v, &dep(c)->range) < 0)
    return -1;
  if (semver_range_match(dep(c)->range, NULL, &match, why, sizeof why) < 0)
    return pol_jfail(c, false, "bad version range: %s", why);
  return 0;
}

static const pol_jfield dep_fields[] = {{"id", f_dep_id},
                                        {"version", f_dep_version}};

static int dependency(pol_jctx *c, json_t *e) {
  manifest *m = M(c);
  if (!POL_GROW_N(m->deps, m->dep_count, m->dep_cap))
    return pol_jfail(c, false, "out of memory");
  m->deps[m->dep_count++] = (manifest_dep){NULL, NULL};
  if (pol_jwalk_object(c, e, dep_fields, 2) < 0)
    return -1;
  if (!dep(c)->id || !dep(c)->range)
    return pol_jfail(c, false, "missing the field '%s'",
                     dep(c)->id ? "version" : "id");
  return 0;
}

static int f_dependencies(pol_jctx *c, json_t *v) {
  return each(c, v, "objects", dependency);
}

/* A resource: a string with a unit, or an integer in the base unit
** (bytes, instructions, milliseconds). */
static int resource(pol_jctx *c, json_t *v,
                    const char *(*parse)(const char *, uint64_t *),
                    uint64_t *out) {
  char buf[32];
  const char *bad = NULL;
  if (json_is_integer(v) && json_integer_value(v) > 0) {
    *out = (uint64_t)json_integer_value(v);
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)*out);
    /* memory's bounds (a page to 4G) hold for bytes too */
    if (parse == policy_parse_memory)
      bad = parse(buf, out);
  } else if (json_is_string(v)) {
    bad = parse(json_string_value(v), out);
  } else {
    return pol_jfail(c, false, "expected a positive integer or a string");
  }
  return bad ? pol_jfail(c, false, "%s", bad) : 0;
}

static int f_memory(pol_jctx *c, json_t *v) {
  return resource(c, v, policy_parse_memory, &M(c)->resources.memory_bytes);
}

static int f_fuel(pol_jctx *c, json_t *v) {
  return resource(c, v, policy_parse_count, &M(c)->resources.fuel);
}

/* A string is a duration ("5s", "1500ms"); an integer is milliseconds. */
static int f_time(pol_jctx *c, json_t *v) {
  return resource(c, v, policy_parse_duration, &M(c)->resources.wall_ms);
}

static const pol_jfield resource_fields[] = {
    {"memory", f_memory}, {"fuel", f_fuel}, {"time", f_time}};

static int f_resources(pol_jctx *c, json_t *v) {
  return pol_jwalk_object(c, v, resource_fields, 3);
}

static int f_metadata(pol_jctx *c, json_t *v) {
  if (!json_is_object(v))
    return pol_jfail(c, false, "expected an object");
  free(M(c)->metadata_json);
  M(c)->metadata_json = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER);
  return M(c)->metadata_json ? 0 : pol_jfail(c, false, "out of memory");
}

static const pol_jfield top_fields[] = {
    {"id", f_id},
    {"name", f_name},
    {"version", f_version},
    {"description", f_description},
    {"author", f_author},
    {"abi", f_abi},
    {"permissions", f_permissions},
    {"entry_points", f_entry_points},
    {"dependencies", f_dependencies},
    {"resources", f_resources},
    {"metadata", f_metadata},
};

void manifest_free(manifest *m) {
  if (!m)
    return;
  free(m->id);
  free(m->version);
  free(m->name);
  free(m->description);
  free(m->author);
  free(m->abi);
  policy_free(m->permissions);
  for (size_t i = 0; i < m->entry_point_count; i++)
    free(m->entry_points[i]);
  free(m->entry_points);
  for (size_t i = 0; i < m->dep_count; i++) {
    free(m->deps[i].id);
    free(m->deps[i].range);
  }
  free(m->deps);
  free(m->metadata_json);
  free(m);
}

static int walk(pol_jctx *c, json_t *root) {
  if (!json_is_object(root))
    return pol_jfail(c, false, "a manifest is a JSON object");
  if (pol_jwalk_object(c, root, top_fields,
                       sizeof top_fields / sizeof top_fields[0]) < 0)
    return -1;
  if (!M(c)->id || !M(c)->version)
    return pol_jfail(c, false, "missing the field '%s'",
                     M(c)->id ? "version" : "id");
  return 0;
}

manifest *manifest_parse(const char *source, const char *text, size_t len,
                         char *err, size_t errlen) {
  json_error_t e;
  json_t *root = NULL;
  manifest *m = NULL;
  if (len > MANIFEST_MAX_BYTES) {
    pol_err(err, errlen, "%s: larger than %u KiB", source,
            MANIFEST_MAX_BYTES >> 10);
    goto fail;
  }
  if (!(root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &e))) {
    pol_err(err, errlen, "%s:%d:%d: %s", source, e.line, e.column, e.text);
    goto fail;
  }
  if (!(m = calloc(1, sizeof *m)) || !(m->permissions = policy_new())) {
    pol_err(err, errlen, "out of memory");
    goto fail;
  }
  pol_jctx c = {.target = m,
                .source = source,
                .text = text,
                .len = len,
                .err = err,
                .errlen = errlen};
  if (walk(&c, root) < 0)
    goto fail;
  json_decref(root);
  return m;
fail:
  manifest_free(m);
  json_decref(root);
  return NULL;
}
