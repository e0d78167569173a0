/*
** policy_json.c: the JSON policy format (docs/policy.md), through Jansson.
** Messages find their value in the text through json_walk.c.
*/
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_walk.h"
#include "policy_internal.h"

/* The element of dirs being read. */
typedef struct dir_fields_seen {
  const char *host, *guest;
  bool read_only;
} dir_fields_seen;

#define DIR(c) ((dir_fields_seen *)(c)->ud)
#define POL(c) ((policy *)(c)->target)

/* Each string of an array as a grant of kind. */
static int grant_each(pol_jctx *c, json_t *v, policy_cap_kind kind) {
  size_t i;
  json_t *s;
  char why[512];
  if (!json_is_array(v))
    return pol_jfail(c, false, "expected an array of strings");
  json_array_foreach(v, i, s) {
    pol_jpush_index(c, i);
    if (!json_is_string(s))
      return pol_jfail(c, false, "expected a string");
    if (pol_add_grant(POL(c), kind, json_string_value(s), why, sizeof why) < 0)
      return pol_jfail(c, false, "%s", why);
    c->depth--;
  }
  return 0;
}

static int bool_of(pol_jctx *c, json_t *v, bool *out) {
  if (!json_is_boolean(v))
    return pol_jfail(c, false, "expected true or false");
  *out = json_is_true(v);
  return 0;
}

/* A limit's value: a JSON integer (bytes, seconds or a count, as digits
** alone are on the command line) or a string with a unit. */
static int limit_of(pol_jctx *c, json_t *v, const char *name) {
  char buf[32], why[512];
  const char *text = buf;
  if (json_is_integer(v))
    snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
  else if (json_is_string(v))
    text = json_string_value(v);
  else
    return pol_jfail(c, false, "expected a number or a string");
  if (pol_set_limit(POL(c), name, text, why, sizeof why) < 0)
    return pol_jfail(c, false, "%s", why);
  return 0;
}

static int f_capabilities(pol_jctx *c, json_t *v) {
  size_t i;
  json_t *s;
  char why[512];
  if (!json_is_array(v))
    return pol_jfail(c, false, "expected an array of strings");
  json_array_foreach(v, i, s) {
    pol_jpush_index(c, i);
    if (!json_is_string(s))
      return pol_jfail(c, false, "expected a string");
    if (pol_apply_line(POL(c), json_string_value(s), why, sizeof why) < 0)
      return pol_jfail(c, false, "%s", why);
    c->depth--;
  }
  return 0;
}

static int f_read(pol_jctx *c, json_t *v) {
  return grant_each(c, v, POLICY_CAP_FS_READ);
}

static int f_write(pol_jctx *c, json_t *v) {
  return grant_each(c, v, POLICY_CAP_FS_WRITE);
}

/* true: "/tmp"; a string: that guest path; false: none. */
static int f_tmp(pol_jctx *c, json_t *v) {
  char why[512];
  if (json_is_false(v))
    return 0;
  if (!json_is_true(v) && !json_is_string(v))
    return pol_jfail(c, false, "expected true, false or a guest path");
  const char *guest = json_is_true(v) ? "/tmp" : json_string_value(v);
  if (pol_set_tmp(POL(c), guest, why, sizeof why) < 0)
    return pol_jfail(c, false, "%s", why);
  return 0;
}

static int f_max_file_size(pol_jctx *c, json_t *v) {
  return limit_of(c, v, "file_size");
}

/* Only false changes anything: adding to a policy never loosens it. */
static int f_create_directories(pol_jctx *c, json_t *v) {
  bool yes = false;
  if (bool_of(c, v, &yes) < 0)
    return -1;
  POL(c)->no_mkdir |= !yes;
  return 0;
}

static const pol_jfield filesystem_fields[] = {
    {"read", f_read},
    {"write", f_write},
    {"tmp", f_tmp},
    {"max_file_size", f_max_file_size},
    {"create_directories", f_create_directories},
};

static int f_filesystem(pol_jctx *c, json_t *v) {
  return pol_jwalk_object(c, v, filesystem_fields,
                     sizeof filesystem_fields / sizeof filesystem_fields[0]);
}

static int f_env(pol_jctx *c, json_t *v) {
  return grant_each(c, v, POLICY_CAP_ENV);
}

static int flag(pol_jctx *c, json_t *v, policy_cap_kind kind) {
  bool yes = false;
  char why[512];
  if (bool_of(c, v, &yes) < 0)
    return -1;
  if (yes && pol_add_grant(POL(c), kind, NULL, why, sizeof why) < 0)
    return pol_jfail(c, false, "%s", why);
  return 0;
}

static int f_clock(pol_jctx *c, json_t *v) {
  return flag(c, v, POLICY_CAP_CLOCK);
}

static int f_random(pol_jctx *c, json_t *v) {
  return flag(c, v, POLICY_CAP_RANDOM);
}

static int f_outbound(pol_jctx *c, json_t *v) {
  return grant_each(c, v, POLICY_CAP_NETWORK);
}

static const pol_jfield network_fields[] = {{"outbound", f_outbound}};

static int f_network(pol_jctx *c, json_t *v) {
  return pol_jwalk_object(c, v, network_fields, 1);
}

static int f_exec(pol_jctx *c, json_t *v) {
  return grant_each(c, v, POLICY_CAP_EXEC);
}

static int dir_string(pol_jctx *c, json_t *v, const char **out) {
  if (!json_is_string(v))
    return pol_jfail(c, false, "expected a string");
  *out = json_string_value(v);
  return 0;
}

static int f_host(pol_jctx *c, json_t *v) {
  return dir_string(c, v, &DIR(c)->host);
}

static int f_guest(pol_jctx *c, json_t *v) {
  return dir_string(c, v, &DIR(c)->guest);
}

static int f_read_only(pol_jctx *c, json_t *v) {
  return bool_of(c, v, &DIR(c)->read_only);
}

static const pol_jfield dir_fields[] = {
    {"host", f_host}, {"guest", f_guest}, {"read_only", f_read_only}};

static int f_dirs(pol_jctx *c, json_t *v) {
  size_t i;
  json_t *d;
  char why[512];
  if (!json_is_array(v))
    return pol_jfail(c, false, "expected an array of objects");
  json_array_foreach(v, i, d) {
    pol_jpush_index(c, i);
    DIR(c)->host = DIR(c)->guest = NULL;
    DIR(c)->read_only = false;
    if (pol_jwalk_object(c, d, dir_fields, 3) < 0)
      return -1;
    if (!DIR(c)->host)
      return pol_jfail(c, false, "missing the field 'host'");
    if (policy_add_dir(POL(c), DIR(c)->host,
                       DIR(c)->guest ? DIR(c)->guest : DIR(c)->host,
                       !DIR(c)->read_only, why, sizeof why) < 0)
      return pol_jfail(c, false, "%s", why);
    c->depth--;
  }
  return 0;
}

static int f_limits(pol_jctx *c, json_t *v) {
  const char *key;
  json_t *val;
  if (!json_is_object(v))
    return pol_jfail(c, false, "expected an object");
  json_object_foreach(v, key, val) {
    pol_jpush_key(c, key);
    if (!pol_is_limit(key))
      return pol_jfail(c, true, "unknown limit (known: memory, fuel, "
                       "wall_time, output, host_calls, bytes_read, "
                       "bytes_written, file_size, open_files)");
    if (limit_of(c, val, key) < 0)
      return -1;
    c->depth--;
  }
  return 0;
}

static const pol_jfield top_fields[] = {
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
  dir_fields_seen dir = {0};
  pol_jctx c = {.source = source, .text = text, .len = len, .err = err,
            .errlen = errlen, .ud = &dir};
  policy *copy;
  int rc = -1;
  /* Everything goes into a copy, swapped in only if all of it is good. */
  if (!(c.target = copy = pol_clone(p)))
    pol_err(err, errlen, "out of memory");
  else if (!json_is_object(root))
    pol_jfail(&c, false, "a policy is a JSON object");
  else
    rc = pol_jwalk_object(&c, root, top_fields,
                     sizeof top_fields / sizeof top_fields[0]);
  if (rc == 0)
    pol_swap(p, copy);
  policy_free(copy);
  json_decref(root);
  return rc;
}
