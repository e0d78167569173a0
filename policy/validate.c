/*
** validate.c: the validation report's checks (validate.h). Each check is
** a function that reports through one emit(); none stops the others, so
** a plugin's author sees every problem at once.
*/
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy_internal.h"
#include "policy_units.h"
#include "validate.h"

static const struct {
  const char *code;
  validate_severity severity;
} codes[] = {
#define VALIDATE_X_(id, code, severity, meaning) [id] = {code, severity},
    VALIDATE_CODE_LIST(VALIDATE_X_)
#undef VALIDATE_X_
};

const char *validate_code_name(validate_code code) {
  return (unsigned)code < VALIDATE_CODE_COUNT ? codes[code].code : NULL;
}

typedef struct vctx {
  const validate_input *in;
  validate_fn *found;
  void *ud;
  size_t errors;
} vctx;

static void emit(vctx *v, validate_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void emit(vctx *v, validate_code code, const char *fmt, ...) {
  char msg[2048];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  v->errors += codes[code].severity == VALIDATE_ERROR;
  v->found(v->ud, codes[code].severity, codes[code].code, msg);
}

/* ---- ABIs ---- */

static const validate_abi *abi_named(const validate_input *in,
                                     const char *name) {
  for (size_t i = 0; i < in->abi_count; i++)
    if (strcmp(in->abis[i].name, name) == 0)
      return &in->abis[i];
  return NULL;
}

/* "p1; p2; p3" into t. */
static void list_problems(pol_text *t, const validate_abi *a) {
  for (size_t i = 0; i < a->problem_count; i++)
    pol_text_add(t, "%s%s", i ? "; " : "", a->problems[i]);
}

static void check_named_abi(vctx *v, const char *name, const char *whose) {
  const validate_abi *a = abi_named(v->in, name);
  pol_text t = {0};
  if (!a) {
    emit(v, VALIDATE_ABI_MISMATCH,
         "the module was not inspected for the "
         "%s ABI (%s)",
         name, whose);
    return;
  }
  if (a->problem_count) {
    list_problems(&t, a);
    emit(v, VALIDATE_ABI_MISMATCH,
         "the module does not satisfy the %s ABI "
         "(%s): %s",
         name, whose, t.s ? t.s : "out of memory");
  } else if (a->error && *a->error) {
    emit(v, VALIDATE_ABI_METADATA,
         "the %s ABI's metadata cannot be read: "
         "%s",
         name, a->error);
  }
  free(t.s);
}

/* No ABI named: exactly one must be satisfied. */
static void check_detected_abi(vctx *v) {
  const validate_input *in = v->in;
  pol_text sat = {0}, all = {0};
  size_t n = 0;
  const char *one = NULL;
  for (size_t i = 0; i < in->abi_count; i++) {
    const validate_abi *a = &in->abis[i];
    if (a->problem_count == 0) {
      pol_text_add(&sat, "%s%s", n++ ? ", " : "", a->name);
      one = a->name;
      continue;
    }
    pol_text_add(&all, "%s%s: ", all.len ? "; " : "", a->name);
    list_problems(&all, a);
  }
  if (n == 0)
    emit(v, VALIDATE_ABI_NONE, "the module satisfies no ABI: %s",
         all.s ? all.s : "none was inspected");
  else if (n > 1)
    emit(v, VALIDATE_ABI_AMBIGUOUS,
         "the module satisfies more than one "
         "ABI (%s): name one in the manifest or the load options",
         sat.s);
  else
    emit(v, VALIDATE_ABI_DETECTED, "the module satisfies the %s ABI", one);
  if (n == 1)
    check_named_abi(v, one, "detected");
  free(sat.s);
  free(all.s);
}

static void check_abi(vctx *v) {
  const char *run = v->in->abi && *v->in->abi ? v->in->abi : NULL;
  const char *man = v->in->manifest ? v->in->manifest->abi : NULL;
  if (run && man && strcmp(run, man) != 0)
    emit(v, VALIDATE_ABI_CONFLICT,
         "the manifest says abi '%s' but the "
         "plugin is loaded as '%s'",
         man, run);
  if (run)
    check_named_abi(v, run, "the load options'");
  else if (man)
    check_named_abi(v, man, "the manifest's");
  else
    check_detected_abi(v);
}

/* ---- the manifest's promises ---- */

static bool exported(const validate_input *in, const char *name) {
  for (size_t i = 0; i < in->export_count; i++)
    if (strcmp(in->exports[i], name) == 0)
      return true;
  return false;
}

static void check_entry_points(vctx *v) {
  const manifest *m = v->in->manifest;
  if (!m) {
    emit(v, VALIDATE_MANIFEST_NONE,
         "the plugin has no manifest: runs get "
         "the load options' policy");
    return;
  }
  for (size_t i = 0; i < m->entry_point_count; i++)
    if (!exported(v->in, m->entry_points[i]))
      emit(v, VALIDATE_ENTRY_POINT,
           "the manifest's entry point '%s' is not "
           "exported by the module",
           m->entry_points[i]);
}

/* ---- imports the policy grants nothing for ---- */

typedef bool grant_fn(const policy *p);

static bool any_file(const policy *p) {
  return policy_preopen_count(p) > 0 || policy_tmpdir(p);
}
static bool any_clock(const policy *p) {
  return policy_has(p, POLICY_CAP_CLOCK);
}
static bool any_env(const policy *p) {
  return policy_has(p, POLICY_CAP_ENV) || policy_env_count(p) > 0;
}
static bool any_random(const policy *p) {
  return policy_has(p, POLICY_CAP_RANDOM);
}
static bool any_network(const policy *p) {
  return policy_has(p, POLICY_CAP_NETWORK);
}

/* WASI calls (by name, or by prefix when ending in '*') and the grant
** without which the broker refuses them all. */
#define VALIDATE_IMPORT_LIST(X)                                                \
  X("path_*", any_file, "file access")                                         \
  X("clock_time_get", any_clock, "clock (only the monotonic clock answers)")   \
  X("environ_get", any_env, "environment variables")                           \
  X("environ_sizes_get", any_env, "environment variables")                     \
  X("random_get", any_random, "randomness (it gets a fixed seed)")             \
  X("sock_*", any_network, "network access")

static const struct {
  const char *call;
  grant_fn *granted;
  const char *what;
} import_needs[] = {
#define VALIDATE_X_(call, granted, what) {call, granted, what},
    VALIDATE_IMPORT_LIST(VALIDATE_X_)
#undef VALIDATE_X_
};

static bool call_is(const char *name, const char *pattern) {
  size_t n = strlen(pattern);
  if (pattern[n - 1] == '*')
    return strncmp(name, pattern, n - 1) == 0;
  return strcmp(name, pattern) == 0;
}

static void check_import(vctx *v, const policy *p, const char *full) {
  static const char *const wasi[] = {"wasi_snapshot_preview1::",
                                     "wasi_unstable::"};
  for (size_t m = 0; m < 2; m++) {
    size_t n = strlen(wasi[m]);
    if (strncmp(full, wasi[m], n) != 0)
      continue;
    for (size_t i = 0; i < sizeof import_needs / sizeof import_needs[0]; i++)
      if (call_is(full + n, import_needs[i].call) &&
          (!p || !import_needs[i].granted(p)))
        emit(v, VALIDATE_IMPORT_UNGRANTED, "imports %s but is granted no %s",
             full, import_needs[i].what);
  }
}

static void check_imports(vctx *v) {
  for (size_t i = 0; i < v->in->import_count; i++)
    if (!v->in->imports[i].kind || strcmp(v->in->imports[i].kind, "func") == 0)
      check_import(v, v->in->policy, v->in->imports[i].name);
}

/* ---- the ceiling ---- */

static void beyond(void *ud, const char *line, const char *why) {
  vctx *v = ud;
  if (strcmp(why, POLICY_EXCESS_NOT_COVERED) == 0)
    emit(v, VALIDATE_PERMISSION_CEILING,
         "permission '%s' is beyond what "
         "the host allows",
         line);
  else
    emit(v, VALIDATE_PERMISSION_CEILING,
         "permission '%s' is beyond what "
         "the host allows (%s)",
         line, why);
}

static void check_ceiling(vctx *v) {
  policy *none = NULL;
  const policy *ceiling = v->in->ceiling;
  if (!v->in->policy)
    return;
  if (!ceiling && !(ceiling = none = policy_new())) {
    emit(v, VALIDATE_PERMISSION_CEILING, "out of memory");
    return;
  }
  policy_excess(ceiling, v->in->policy, beyond, v);
  policy_free(none);
}

/* ---- resources ---- */

static void check_resource(vctx *v, const char *name, uint64_t asked,
                           uint64_t most,
                           void (*format)(uint64_t, char *, size_t)) {
  char a[32], b[32];
  if (!asked || !most || asked <= most)
    return;
  format(asked, a, sizeof a);
  format(most, b, sizeof b);
  emit(v, VALIDATE_RESOURCE_LIMIT,
       "resource '%s' asks for %s, above the "
       "host's limit %s",
       name, a, b);
}

static void format_count(uint64_t n, char *buf, size_t size) {
  snprintf(buf, size, "%llu", (unsigned long long)n);
}

static void check_resources(vctx *v) {
  const manifest *m = v->in->manifest;
  const policy_limits *h = v->in->host;
  if (!m || !h)
    return;
  check_resource(v, "memory", m->resources.memory_bytes, h->memory_bytes,
                 policy_format_size);
  check_resource(v, "fuel", m->resources.fuel, h->fuel, format_count);
  check_resource(v, "time", m->resources.wall_ms, h->wall_ms,
                 policy_format_duration);
}

size_t validate_plugin(const validate_input *in, validate_fn *found, void *ud) {
  vctx v = {in, found, ud, 0};
  check_abi(&v);
  check_entry_points(&v);
  check_imports(&v);
  check_ceiling(&v);
  check_resources(&v);
  return v.errors;
}
