/*
** schema.c: a JSON Schema subset, enough for the schemas that Reglet's SDK
** generates (invopop/jsonschema, draft 2020-12): type, properties,
** required, default, enum, const, minimum/maximum and their exclusive
** forms, minLength/maxLength, items, minItems/maxItems,
** additionalProperties, and local $ref. Other keywords are ignored
** (docs/manifest.md lists them).
**
** One walk over the configuration, the schema beside it. Every step is
** counted against SCHEMA_MAX_STEPS, the walk's depth against
** SCHEMA_MAX_DEPTH, and $ref hops without descending against
** SCHEMA_MAX_HOPS, so no schema can make a check slow, deep or endless.
*/
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy_internal.h"
#include "schema.h"

typedef struct sctx {
  json_t *root; /* the schema, for $ref */
  char *err;
  size_t errlen;
  char path[512]; /* where in the configuration: "config.a[2]" */
  size_t plen;
  unsigned long steps;
  int depth, hops;
} sctx;

static int fail(sctx *c, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(sctx *c, int rc, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (rc == SCHEMA_MISMATCH)
    pol_err(c->err, c->errlen, "%s: %s", c->path, msg);
  else
    pol_err(c->err, c->errlen, "schema: %s", msg);
  return rc;
}

#define MISMATCH(c, ...) fail(c, SCHEMA_MISMATCH, __VA_ARGS__)
#define UNUSABLE(c, ...) fail(c, SCHEMA_UNUSABLE, __VA_ARGS__)

/* Counts n steps of work: UNUSABLE once over the bound. */
static int step(sctx *c, unsigned long n) {
  c->steps += n;
  if (c->steps <= SCHEMA_MAX_STEPS)
    return 0;
  return UNUSABLE(c, "more than %lu steps for this configuration",
                  SCHEMA_MAX_STEPS);
}

/* A value as compact JSON for a message, cut at 64 bytes. */
static const char *shown(json_t *v, char *buf, size_t size) {
  char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
  bool cut = s && strlen(s) > 64;
  snprintf(buf, size, "%.64s%s", s ? s : "?", cut ? "..." : "");
  free(s);
  return buf;
}

/* Whether v is a whole number, without libm: beyond 2^53 every double
** is whole, below it the cast to long long is exact. */
static bool integral(json_t *v) {
  if (json_is_integer(v))
    return true;
  if (!json_is_real(v))
    return false;
  double d = json_real_value(v);
  if (!isfinite(d))
    return false;
  if (d >= 9007199254740992.0 || d <= -9007199254740992.0)
    return true;
  return d == (double)(long long)d;
}

/* The JSON Schema type of v: 3.0 is an integer too. */
static const char *type_of(json_t *v) {
  switch (json_typeof(v)) {
  case JSON_OBJECT:
    return "object";
  case JSON_ARRAY:
    return "array";
  case JSON_STRING:
    return "string";
  case JSON_INTEGER:
    return "integer";
  case JSON_REAL:
    return integral(v) ? "integer" : "number";
  case JSON_TRUE:
  case JSON_FALSE:
    return "boolean";
  case JSON_NULL:
    break;
  }
  return "null";
}

static const char *const type_names[] = {
    "object", "array", "string", "integer", "number", "boolean", "null"};

static bool type_known(const char *t) {
  for (size_t i = 0; i < sizeof type_names / sizeof type_names[0]; i++)
    if (strcmp(type_names[i], t) == 0)
      return true;
  return false;
}

static bool type_is(json_t *v, const char *t) {
  const char *mine = type_of(v);
  return strcmp(mine, t) == 0 ||
         (strcmp(t, "number") == 0 && strcmp(mine, "integer") == 0);
}

/* ---- the configuration's path ---- */

static size_t push(sctx *c, const char *fmt, const char *key, size_t i) {
  size_t saved = c->plen;
  int n = key ? snprintf(c->path + c->plen, sizeof c->path - c->plen, fmt, key)
              : snprintf(c->path + c->plen, sizeof c->path - c->plen, fmt, i);
  if (n > 0)
    c->plen += (size_t)n < sizeof c->path - c->plen
                   ? (size_t)n
                   : sizeof c->path - c->plen - 1;
  for (size_t k = saved; k < c->plen; k++)
    if ((unsigned char)c->path[k] < 0x20 || c->path[k] == 0x7f)
      c->path[k] = '?';
  return saved;
}

static void pop(sctx *c, size_t saved) {
  c->plen = saved;
  c->path[saved] = '\0';
}

static int check(sctx *c, json_t *schema, json_t *v);

/* v checked against schema one level down (at the path pushed). */
static int descend(sctx *c, json_t *schema, json_t *v) {
  int hops = c->hops, rc;
  if (c->depth >= SCHEMA_MAX_DEPTH)
    return MISMATCH(c, "nested deeper than %d levels", SCHEMA_MAX_DEPTH);
  c->depth++;
  c->hops = 0;
  rc = check(c, schema, v);
  c->depth--;
  c->hops = hops;
  return rc;
}

/* ---- keywords ---- */

static int check_type(sctx *c, json_t *s, json_t *v) {
  json_t *t = json_object_get(s, "type"), *e;
  char want[256] = "";
  size_t i, used = 0;
  if (!t)
    return 0;
  if (json_is_string(t))
    t = json_pack("[O]", t);
  else if (json_is_array(t) && json_array_size(t) > 0)
    json_incref(t);
  else
    return UNUSABLE(c,
                    "at %s: 'type' must be a string or a non-empty "
                    "array of strings",
                    c->path);
  if (!t)
    return UNUSABLE(c, "out of memory");
  bool ok = false;
  int rc = 0;
  json_array_foreach(t, i, e) {
    if ((rc = step(c, 1)) < 0)
      break;
    if (!json_is_string(e) || !type_known(json_string_value(e))) {
      rc = UNUSABLE(c, "at %s: unknown type %s", c->path,
                    shown(e, want, sizeof want));
      break;
    }
    ok |= type_is(v, json_string_value(e));
    if (used < sizeof want)
      used += (size_t)snprintf(want + used, sizeof want - used, "%s%s",
                               i ? " or " : "", json_string_value(e));
  }
  json_decref(t);
  if (rc)
    return rc;
  return ok ? 0 : MISMATCH(c, "expected %s, got %s", want, type_of(v));
}

/* Equality for enum and const: 1 and 1.0 are the same number. */
static bool same(json_t *a, json_t *b) {
  if (json_is_number(a) && json_is_number(b))
    return json_number_value(a) == json_number_value(b);
  return json_equal(a, b);
}

static int check_enum(sctx *c, json_t *s, json_t *v) {
  json_t *list = json_object_get(s, "enum"), *e,
         *k = json_object_get(s, "const");
  char buf[80], all[320] = "";
  size_t i, used = 0;
  if (k && !same(k, v))
    return MISMATCH(c, "%s is not %s", shown(v, buf, sizeof buf),
                    shown(k, all, sizeof all));
  if (!list)
    return 0;
  if (!json_is_array(list))
    return UNUSABLE(c, "at %s: 'enum' must be an array", c->path);
  json_array_foreach(list, i, e) {
    if (step(c, 1) < 0)
      return SCHEMA_UNUSABLE;
    if (same(e, v))
      return 0;
    if (used < sizeof all)
      used += (size_t)snprintf(all + used, sizeof all - used, "%s%s",
                               i ? ", " : "", shown(e, buf, sizeof buf));
  }
  if (used >= sizeof all)
    strcpy(all + sizeof all - 4, "...");
  return MISMATCH(c, "%s is not one of %s", shown(v, buf, sizeof buf), all);
}

/* A numeric keyword: absent (false), a number (true), else unusable. */
static int number_kw(sctx *c, json_t *s, const char *kw, double *out,
                     json_t **raw) {
  json_t *n = json_object_get(s, kw);
  *raw = n;
  if (!n)
    return 0;
  if (!json_is_number(n))
    return UNUSABLE(c, "at %s: '%s' must be a number", c->path, kw);
  *out = json_number_value(n);
  return 1;
}

static int check_bounds(sctx *c, json_t *s, json_t *v) {
  static const struct {
    const char *kw;
    int sign; /* -1: a lower bound, 1: an upper one */
    bool strict;
    const char *says;
  } bounds[] = {
      {"minimum", -1, false, "is below the minimum"},
      {"maximum", 1, false, "is above the maximum"},
      {"exclusiveMinimum", -1, true, "is not above the exclusive minimum"},
      {"exclusiveMaximum", 1, true, "is not below the exclusive maximum"},
  };
  char a[80], b[80];
  double x = json_number_value(v), bound = 0;
  json_t *raw;
  for (size_t i = 0; i < sizeof bounds / sizeof bounds[0]; i++) {
    int has = number_kw(c, s, bounds[i].kw, &bound, &raw);
    if (has < 0)
      return has;
    if (!has)
      continue;
    double d =
        json_is_integer(v) && json_is_integer(raw)
            ? (double)((json_integer_value(v) > json_integer_value(raw)) -
                       (json_integer_value(v) < json_integer_value(raw)))
            : x - bound;
    d *= bounds[i].sign;
    if (d > 0 || (bounds[i].strict && d == 0))
      return MISMATCH(c, "%s %s %s", shown(v, a, sizeof a), bounds[i].says,
                      shown(raw, b, sizeof b));
  }
  return 0;
}

/* A count keyword (minLength, maxItems, ...): -1 when absent. */
static int count_kw(sctx *c, json_t *s, const char *kw, long long *out) {
  json_t *n = json_object_get(s, kw);
  *out = -1;
  if (!n)
    return 0;
  if (!json_is_integer(n) || json_integer_value(n) < 0)
    return UNUSABLE(c, "at %s: '%s' must be a non-negative integer", c->path,
                    kw);
  *out = json_integer_value(n);
  return 0;
}

/* Characters, not bytes: JSON strings are valid UTF-8. */
static long long chars(const char *s, size_t n) {
  long long count = 0;
  for (size_t i = 0; i < n; i++)
    count += ((unsigned char)s[i] & 0xC0) != 0x80;
  return count;
}

static int check_sizes(sctx *c, json_t *s, const char *min_kw,
                       const char *max_kw, long long have, const char *what) {
  long long min, max;
  if (count_kw(c, s, min_kw, &min) < 0 || count_kw(c, s, max_kw, &max) < 0)
    return SCHEMA_UNUSABLE;
  if (min >= 0 && have < min)
    return MISMATCH(c, "has %lld %s, fewer than the minimum %lld", have, what,
                    min);
  if (max >= 0 && have > max)
    return MISMATCH(c, "has %lld %s, more than the maximum %lld", have, what,
                    max);
  return 0;
}

static int check_items(sctx *c, json_t *s, json_t *v) {
  json_t *items = json_object_get(s, "items"), *e;
  size_t i;
  int rc = check_sizes(c, s, "minItems", "maxItems",
                       (long long)json_array_size(v), "items");
  if (rc || !items)
    return rc;
  if (!json_is_object(items) && !json_is_boolean(items))
    return UNUSABLE(c,
                    "at %s: 'items' must be a schema (an array of them "
                    "is not supported)",
                    c->path);
  json_array_foreach(v, i, e) {
    size_t saved = push(c, "[%zu]", NULL, i);
    rc = descend(c, items, e);
    pop(c, saved);
    if (rc)
      return rc;
  }
  return 0;
}

/* The properties present, each against its schema; the others against
** additionalProperties. */
static int check_properties(sctx *c, json_t *s, json_t *v) {
  json_t *props = json_object_get(s, "properties");
  json_t *extra = json_object_get(s, "additionalProperties"), *val;
  const char *key;
  if (props && !json_is_object(props))
    return UNUSABLE(c, "at %s: 'properties' must be an object", c->path);
  if (extra && !json_is_object(extra) && !json_is_boolean(extra))
    return UNUSABLE(c, "at %s: 'additionalProperties' must be a schema",
                    c->path);
  json_object_foreach(v, key, val) {
    json_t *sub = props ? json_object_get(props, key) : NULL;
    if (!sub && json_is_false(extra))
      return MISMATCH(c, "unknown property '%.64s'", key);
    if (!sub && !(sub = extra))
      continue;
    size_t saved = push(c, ".%s", key, 0);
    int rc = descend(c, sub, val);
    pop(c, saved);
    if (rc)
      return rc;
  }
  return 0;
}

/* Nodes and string bytes of a default: what copying it costs, in steps. */
static unsigned long weight(json_t *v) {
  const char *key;
  json_t *e;
  size_t i;
  unsigned long w = 1;
  if (json_is_string(v))
    return w + json_string_length(v) / 64;
  if (json_is_object(v))
    json_object_foreach(v, key, e) w += weight(e) + strlen(key) / 64;
  else if (json_is_array(v))
    json_array_foreach(v, i, e) w += weight(e);
  return w;
}

/* Absent properties whose schema has a default get it (shared, not
** copied: nothing changes it after). */
static int fill_defaults(sctx *c, json_t *s, json_t *v) {
  json_t *props = json_object_get(s, "properties"), *sub;
  const char *key;
  json_object_foreach(props, key, sub) {
    json_t *d = json_is_object(sub) ? json_object_get(sub, "default") : NULL;
    if (step(c, 1) < 0)
      return SCHEMA_UNUSABLE;
    if (!d || json_object_get(v, key))
      continue;
    if (step(c, weight(d)) < 0)
      return SCHEMA_UNUSABLE;
    if (json_object_set(v, key, d) < 0)
      return UNUSABLE(c, "out of memory");
  }
  return 0;
}

/* After defaults: a property with a default is never missing. */
static int check_required(sctx *c, json_t *s, json_t *v) {
  json_t *req = json_object_get(s, "required"), *e;
  size_t i;
  if (!req)
    return 0;
  if (!json_is_array(req))
    return UNUSABLE(c, "at %s: 'required' must be an array of strings",
                    c->path);
  json_array_foreach(req, i, e) {
    if (step(c, 1) < 0)
      return SCHEMA_UNUSABLE;
    if (!json_is_string(e))
      return UNUSABLE(c, "at %s: 'required' must be an array of strings",
                      c->path);
    if (!json_object_get(v, json_string_value(e)))
      return MISMATCH(c, "missing required property '%.64s'",
                      json_string_value(e));
  }
  return 0;
}

static int check_object(sctx *c, json_t *s, json_t *v) {
  int rc = check_sizes(c, s, "minProperties", "maxProperties",
                       (long long)json_object_size(v), "properties");
  if (!rc)
    rc = check_properties(c, s, v);
  if (!rc)
    rc = fill_defaults(c, s, v);
  return rc ? rc : check_required(c, s, v);
}

/* ---- $ref ---- */

/* The schema a local JSON pointer ("#", "#/$defs/Name") names, or NULL. */
static json_t *resolve(json_t *root, const char *ref) {
  char part[256];
  json_t *at = root;
  if (ref[0] != '#' || (ref[1] && ref[1] != '/'))
    return NULL;
  for (const char *s = ref + 1; *s == '/' && at;) {
    size_t n = strcspn(++s, "/"), o = 0;
    if (n >= sizeof part)
      return NULL;
    for (size_t i = 0; i < n; i++) /* ~1 is '/', ~0 is '~' */
      part[o++] =
          s[i] == '~' && i + 1 < n && (s[i + 1] == '0' || s[i + 1] == '1')
              ? (s[++i] == '1' ? '/' : '~')
              : s[i];
    part[o] = '\0';
    at = json_is_array(at) ? json_array_get(at, strtoul(part, NULL, 10))
                           : json_object_get(at, part);
    s += n;
  }
  return at;
}

static int check_ref(sctx *c, json_t *s, json_t *v) {
  json_t *ref = json_object_get(s, "$ref"), *target;
  char buf[80];
  if (!ref)
    return 0;
  if (!json_is_string(ref))
    return UNUSABLE(c, "at %s: '$ref' must be a string", c->path);
  const char *r = json_string_value(ref);
  if (!(target = resolve(c->root, r)))
    return UNUSABLE(c,
                    "$ref %s does not resolve (only local ones do: #, "
                    "#/$defs/NAME, #/definitions/NAME)",
                    shown(ref, buf, sizeof buf));
  if (++c->hops > SCHEMA_MAX_HOPS)
    return UNUSABLE(c, "$ref %s is a reference cycle",
                    shown(ref, buf, sizeof buf));
  int rc = check(c, target, v);
  c->hops--;
  return rc;
}

/* ---- one value against one schema ---- */

static int check(sctx *c, json_t *s, json_t *v) {
  int rc;
  if (step(c, 1) < 0)
    return SCHEMA_UNUSABLE;
  if (json_is_true(s))
    return 0;
  if (json_is_false(s))
    return MISMATCH(c, "not allowed by the schema");
  if (!json_is_object(s))
    return UNUSABLE(c, "at %s: a schema must be an object or a boolean",
                    c->path);
  if ((rc = check_ref(c, s, v)) || (rc = check_type(c, s, v)) ||
      (rc = check_enum(c, s, v)))
    return rc;
  if (json_is_number(v))
    return check_bounds(c, s, v);
  if (json_is_string(v))
    return check_sizes(c, s, "minLength", "maxLength",
                       chars(json_string_value(v), json_string_length(v)),
                       "characters");
  if (json_is_array(v))
    return check_items(c, s, v);
  if (json_is_object(v))
    return check_object(c, s, v);
  return 0;
}

/* ---- the entry ---- */

static json_t *load(const char *what, const char *text, size_t len, char *err,
                    size_t errlen) {
  json_error_t e;
  json_t *v;
  if (len > SCHEMA_MAX_BYTES) {
    pol_err(err, errlen, "%s: longer than 1 MiB", what);
    return NULL;
  }
  if (!(v = json_loadb(text, len, JSON_DECODE_ANY, &e)))
    pol_err(err, errlen, "%s: not JSON: %d:%d: %s", what, e.line, e.column,
            e.text);
  return v;
}

int schema_check(const char *schema, size_t slen, const char *config,
                 size_t clen, char **config_out, char *err, size_t errlen) {
  sctx c = {.err = err, .errlen = errlen, .path = "config", .plen = 6};
  json_t *conf = NULL;
  int rc = SCHEMA_UNUSABLE;
  if (config_out)
    *config_out = NULL;
  if (!(c.root = load("schema", schema, slen, err, errlen)))
    return SCHEMA_UNUSABLE;
  if (!json_is_object(c.root)) {
    pol_err(err, errlen, "schema: not a JSON object");
    goto done;
  }
  conf = clen ? load("config", config, clen, err, errlen) : json_object();
  if (!conf) {
    rc = clen ? SCHEMA_MISMATCH : SCHEMA_UNUSABLE;
    if (!clen)
      pol_err(err, errlen, "out of memory");
    goto done;
  }
  if ((rc = check(&c, c.root, conf)) == SCHEMA_OK && config_out &&
      !(*config_out = json_dumps(conf, JSON_COMPACT | JSON_ENCODE_ANY))) {
    pol_err(err, errlen, "out of memory");
    rc = SCHEMA_UNUSABLE;
  }
done:
  json_decref(conf);
  json_decref(c.root);
  return rc;
}
