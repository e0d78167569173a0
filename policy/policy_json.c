/*
** policy_json.c: the JSON policy format (docs/policy.md), through Jansson.
**
** Jansson keeps no position per value, so a message about a value finds
** it again: the text is known to be valid JSON by then, and a small
** scanner walks it along the field path to the value (or, for an unknown
** field, to its key). Line and column count as Jansson's do: from 1, in
** characters.
*/
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy_internal.h"

#define MAX_DEPTH 4 /* dirs[i].host is the deepest field */

typedef struct jctx {
  policy *p;
  const char *source, *text;
  size_t len;
  char *err;
  size_t errlen;
  struct {
    const char *key; /* NULL: an array index */
    size_t index;
  } path[MAX_DEPTH];
  int depth;
  struct {
    const char *host, *guest;
    bool read_only;
  } dir; /* the element of dirs being read */
} jctx;

/* ---- where a value is in the text ---- */

static char at(const jctx *c, size_t i) { return i < c->len ? c->text[i] : 0; }

static size_t skip_ws(const jctx *c, size_t i) {
  while (at(c, i) == ' ' || at(c, i) == '\t' || at(c, i) == '\r' ||
         at(c, i) == '\n')
    i++;
  return i;
}

static size_t skip_string(const jctx *c, size_t i) {
  for (i++; i < c->len && c->text[i] != '"'; i++)
    if (c->text[i] == '\\')
      i++;
  return i + 1;
}

static size_t skip_value(const jctx *c, size_t i) {
  int depth = 0;
  if (at(c, i) == '"')
    return skip_string(c, i);
  if (at(c, i) != '{' && at(c, i) != '[') {
    while (i < c->len && !strchr(",}] \t\r\n", c->text[i]))
      i++;
    return i;
  }
  while (i < c->len) {
    char ch = c->text[i];
    if (ch == '"') {
      i = skip_string(c, i);
      continue;
    }
    depth += (ch == '{' || ch == '[') - (ch == '}' || ch == ']');
    i++;
    if (depth == 0)
      break;
  }
  return i;
}

/* Past a value and the ',' after it, if any. */
static size_t next_item(const jctx *c, size_t i) {
  i = skip_ws(c, skip_value(c, i));
  return at(c, i) == ',' ? skip_ws(c, i + 1) : i;
}

/* Whether the JSON string at text[i..end) decodes to key. */
static bool key_is(const jctx *c, size_t i, size_t end, const char *key) {
  json_t *s = json_loadb(c->text + i, end - i, JSON_DECODE_ANY, NULL);
  bool same = json_is_string(s) && strcmp(json_string_value(s), key) == 0;
  json_decref(s);
  return same;
}

/* The offset of the value at c's path, or of its last key (at_key). */
static size_t locate(const jctx *c, bool at_key) {
  size_t i = skip_ws(c, 0);
  for (int d = 0; d < c->depth; d++) {
    if (at(c, i) != (c->path[d].key ? '{' : '['))
      return i;
    i = skip_ws(c, i + 1);
    if (!c->path[d].key) {
      for (size_t k = 0; k < c->path[d].index; k++)
        i = next_item(c, i);
      continue;
    }
    for (;;) {
      if (at(c, i) != '"')
        return i;
      size_t key = i, end = skip_string(c, i);
      i = skip_ws(c, skip_ws(c, end) + 1); /* past ':' */
      if (key_is(c, key, end, c->path[d].key)) {
        if (at_key && d == c->depth - 1)
          return key;
        break;
      }
      i = next_item(c, i);
    }
  }
  return i;
}

static void line_column(const jctx *c, size_t off, int *line, int *col) {
  *line = 1;
  *col = 1;
  for (size_t i = 0; i < off && i < c->len; i++) {
    unsigned char ch = (unsigned char)c->text[i];
    if (ch == '\n') {
      (*line)++;
      *col = 1;
    } else if ((ch & 0xC0) != 0x80) {
      (*col)++;
    }
  }
}

/* "filesystem.read[2]", with controls in keys shown as '?'. */
static void path_text(const jctx *c, char *buf, size_t size) {
  size_t used = 0;
  buf[0] = '\0';
  for (int d = 0; d < c->depth && used < size; d++) {
    if (!c->path[d].key) {
      used += (size_t)snprintf(buf + used, size - used, "[%zu]",
                               c->path[d].index);
      continue;
    }
    if (d > 0 && used + 1 < size)
      buf[used++] = '.';
    for (const char *k = c->path[d].key; *k && used + 1 < size; k++)
      buf[used++] = (unsigned char)*k < 0x20 || *k == 0x7f ? '?' : *k;
    buf[used] = '\0';
  }
}

/* "SOURCE:LINE:COLUMN: PATH: message" into c->err; returns -1. */
static int jfail(const jctx *c, bool at_key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int jfail(const jctx *c, bool at_key, const char *fmt, ...) {
  char msg[600], path[128];
  int line, col;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  line_column(c, locate(c, at_key), &line, &col);
  path_text(c, path, sizeof path);
  return pol_err(c->err, c->errlen, "%s:%d:%d: %s%s%s", c->source, line, col,
                 path, *path ? ": " : "", msg);
}

static void push_key(jctx *c, const char *key) {
  c->path[c->depth].key = key;
  c->path[c->depth++].index = 0;
}

static void push_index(jctx *c, size_t index) {
  c->path[c->depth].key = NULL;
  c->path[c->depth++].index = index;
}

/* ---- fields ---- */

typedef int field_fn(jctx *c, json_t *v);
typedef struct jfield {
  const char *name;
  field_fn *fn;
} jfield;

/* Each field of obj through its handler; an unknown one is an error that
** lists the known ones, so a typo never grants or drops anything. */
static int walk_object(jctx *c, json_t *obj, const jfield *fields, size_t n) {
  const char *key;
  json_t *v;
  if (!json_is_object(obj))
    return jfail(c, false, "expected an object");
  json_object_foreach(obj, key, v) {
    size_t i = 0;
    while (i < n && strcmp(fields[i].name, key) != 0)
      i++;
    push_key(c, key);
    if (i == n) {
      char known[256];
      size_t used = 0;
      for (size_t k = 0; k < n && used < sizeof known; k++)
        used += (size_t)snprintf(known + used, sizeof known - used, "%s%s",
                                 k ? ", " : "", fields[k].name);
      return jfail(c, true, "unknown field (known: %s)", known);
    }
    if (fields[i].fn(c, v) < 0)
      return -1;
    c->depth--;
  }
  return 0;
}

/* Each string of an array as a grant of kind. */
static int grant_each(jctx *c, json_t *v, policy_cap_kind kind) {
  size_t i;
  json_t *s;
  char why[512];
  if (!json_is_array(v))
    return jfail(c, false, "expected an array of strings");
  json_array_foreach(v, i, s) {
    push_index(c, i);
    if (!json_is_string(s))
      return jfail(c, false, "expected a string");
    if (pol_add_grant(c->p, kind, json_string_value(s), why, sizeof why) < 0)
      return jfail(c, false, "%s", why);
    c->depth--;
  }
  return 0;
}

static int bool_of(jctx *c, json_t *v, bool *out) {
  if (!json_is_boolean(v))
    return jfail(c, false, "expected true or false");
  *out = json_is_true(v);
  return 0;
}

/* A limit's value: a JSON integer (bytes, seconds or a count, as digits
** alone are on the command line) or a string with a unit. */
static int limit_of(jctx *c, json_t *v, const char *name) {
  char buf[32], why[512];
  const char *text = buf;
  if (json_is_integer(v))
    snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
  else if (json_is_string(v))
    text = json_string_value(v);
  else
    return jfail(c, false, "expected a number or a string");
  if (pol_set_limit(c->p, name, text, why, sizeof why) < 0)
    return jfail(c, false, "%s", why);
  return 0;
}

static int f_capabilities(jctx *c, json_t *v) {
  size_t i;
  json_t *s;
  char why[512];
  if (!json_is_array(v))
    return jfail(c, false, "expected an array of strings");
  json_array_foreach(v, i, s) {
    push_index(c, i);
    if (!json_is_string(s))
      return jfail(c, false, "expected a string");
    if (pol_apply_line(c->p, json_string_value(s), why, sizeof why) < 0)
      return jfail(c, false, "%s", why);
    c->depth--;
  }
  return 0;
}

static int f_read(jctx *c, json_t *v) {
  return grant_each(c, v, POLICY_CAP_FS_READ);
}

static int f_write(jctx *c, json_t *v) {
  return grant_each(c, v, POLICY_CAP_FS_WRITE);
}

/* true: "/tmp"; a string: that guest path; false: none. */
static int f_tmp(jctx *c, json_t *v) {
  char why[512];
  if (json_is_false(v))
    return 0;
  if (!json_is_true(v) && !json_is_string(v))
    return jfail(c, false, "expected true, false or a guest path");
  const char *guest = json_is_true(v) ? "/tmp" : json_string_value(v);
  if (pol_set_tmp(c->p, guest, why, sizeof why) < 0)
    return jfail(c, false, "%s", why);
  return 0;
}

static int f_max_file_size(jctx *c, json_t *v) {
  return limit_of(c, v, "file_size");
}

/* Only false changes anything: adding to a policy never loosens it. */
static int f_create_directories(jctx *c, json_t *v) {
  bool yes = false;
  if (bool_of(c, v, &yes) < 0)
    return -1;
  c->p->no_mkdir |= !yes;
  return 0;
}

static const jfield filesystem_fields[] = {
    {"read", f_read},
    {"write", f_write},
    {"tmp", f_tmp},
    {"max_file_size", f_max_file_size},
    {"create_directories", f_create_directories},
};

static int f_filesystem(jctx *c, json_t *v) {
  return walk_object(c, v, filesystem_fields,
                     sizeof filesystem_fields / sizeof filesystem_fields[0]);
}

static int f_env(jctx *c, json_t *v) {
  return grant_each(c, v, POLICY_CAP_ENV);
}

static int flag(jctx *c, json_t *v, policy_cap_kind kind) {
  bool yes = false;
  char why[512];
  if (bool_of(c, v, &yes) < 0)
    return -1;
  if (yes && pol_add_grant(c->p, kind, NULL, why, sizeof why) < 0)
    return jfail(c, false, "%s", why);
  return 0;
}

static int f_clock(jctx *c, json_t *v) {
  return flag(c, v, POLICY_CAP_CLOCK);
}

static int f_random(jctx *c, json_t *v) {
  return flag(c, v, POLICY_CAP_RANDOM);
}

static int f_outbound(jctx *c, json_t *v) {
  return grant_each(c, v, POLICY_CAP_NETWORK);
}

static const jfield network_fields[] = {{"outbound", f_outbound}};

static int f_network(jctx *c, json_t *v) {
  return walk_object(c, v, network_fields, 1);
}

static int f_exec(jctx *c, json_t *v) {
  return grant_each(c, v, POLICY_CAP_EXEC);
}

static int dir_string(jctx *c, json_t *v, const char **out) {
  if (!json_is_string(v))
    return jfail(c, false, "expected a string");
  *out = json_string_value(v);
  return 0;
}

static int f_host(jctx *c, json_t *v) {
  return dir_string(c, v, &c->dir.host);
}

static int f_guest(jctx *c, json_t *v) {
  return dir_string(c, v, &c->dir.guest);
}

static int f_read_only(jctx *c, json_t *v) {
  return bool_of(c, v, &c->dir.read_only);
}

static const jfield dir_fields[] = {
    {"host", f_host}, {"guest", f_guest}, {"read_only", f_read_only}};

static int f_dirs(jctx *c, json_t *v) {
  size_t i;
  json_t *d;
  char why[512];
  if (!json_is_array(v))
    return jfail(c, false, "expected an array of objects");
  json_array_foreach(v, i, d) {
    push_index(c, i);
    c->dir.host = c->dir.guest = NULL;
    c->dir.read_only = false;
    if (walk_object(c, d, dir_fields, 3) < 0)
      return -1;
    if (!c->dir.host)
      return jfail(c, false, "missing the field 'host'");
    if (policy_add_dir(c->p, c->dir.host,
                       c->dir.guest ? c->dir.guest : c->dir.host,
                       !c->dir.read_only, why, sizeof why) < 0)
      return jfail(c, false, "%s", why);
    c->depth--;
  }
  return 0;
}

static int f_limits(jctx *c, json_t *v) {
  const char *key;
  json_t *val;
  if (!json_is_object(v))
    return jfail(c, false, "expected an object");
  json_object_foreach(v, key, val) {
    push_key(c, key);
    if (!pol_is_limit(key))
      return jfail(c, true, "unknown limit (known: memory, fuel, wall_time, "
                   "output, host_calls, bytes_read, bytes_written, "
                   "file_size, open_files)");
    if (limit_of(c, val, key) < 0)
      return -1;
    c->depth--;
  }
  return 0;
}

static const jfield top_fields[] = {
    {"capabilities", f_capabilities},
    {"filesystem", f_filesystem},
    {"env", f_env},
    {"clock", f_clock},
    {"random", f_random},
    {"network", f_network},
    {"exec", f_exec},
    {"dirs", f_dirs},
    {"limits", f_limits},
};

int policy_parse_json(policy *p, const char *source, const char *text,
                      size_t len, char *err, size_t errlen) {
  json_error_t e;
  json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &e);
  if (!root)
    return pol_err(err, errlen, "%s:%d:%d: %s", source, e.line, e.column,
                   e.text);
  jctx c = {.source = source, .text = text, .len = len, .err = err,
            .errlen = errlen};
  int rc = -1;
  /* Everything goes into a copy, swapped in only if all of it is good. */
  if (!(c.p = pol_clone(p)))
    pol_err(err, errlen, "out of memory");
  else if (!json_is_object(root))
    jfail(&c, false, "a policy is a JSON object");
  else
    rc = walk_object(&c, root, top_fields,
                     sizeof top_fields / sizeof top_fields[0]);
  if (rc == 0)
    pol_swap(p, c.p);
  policy_free(c.p);
  json_decref(root);
  return rc;
}
