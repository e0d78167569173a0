/*
** options.c: strict parsing of wasm values on the command line. Every
** value is checked whole. Sizes, durations and counts are parsed by
** policy/policy_units.c, the rules policy files follow too.
*/
#include "options.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- wasm types and values ---- */

static const char *const type_names[] = {
    [PLUGSUP_I32] = "i32",       [PLUGSUP_I64] = "i64",
    [PLUGSUP_F32] = "f32",       [PLUGSUP_F64] = "f64",
    [PLUGSUP_FUNCREF] = "funcref", [PLUGSUP_EXTERNREF] = "externref",
    [PLUGSUP_V128] = "v128",
};

const char *cli_valtype_name(plugsup_valtype t) {
  if ((size_t)t >= sizeof type_names / sizeof type_names[0])
    return NULL;
  return type_names[t];
}

static bool type_named(const char *s, size_t len, plugsup_valtype *out) {
  for (size_t t = PLUGSUP_I32; t <= PLUGSUP_V128; t++)
    if (strlen(type_names[t]) == len && memcmp(type_names[t], s, len) == 0) {
      *out = (plugsup_valtype)t;
      return true;
    }
  return false;
}

/* Reads "(t t ...)" at *p into types; advances *p past the ')'. */
static bool parse_type_list(const char **p, plugsup_valtype *types,
                            size_t *n) {
  const char *s = *p;
  *n = 0;
  while (*s == ' ')
    s++;
  if (*s++ != '(')
    return false;
  for (;;) {
    while (*s == ' ' || *s == ',')
      s++;
    if (*s == ')')
      break;
    size_t len = strcspn(s, " ,)");
    if (len == 0 || *n == CLI_MAX_TYPES || !type_named(s, len, &types[*n]))
      return false;
    (*n)++;
    s += len;
  }
  *p = s + 1;
  return true;
}

bool cli_parse_functype(const char *text, cli_functype *out) {
  const char *p = text;
  if (!parse_type_list(&p, out->params, &out->nparams))
    return false;
  while (*p == ' ')
    p++;
  if (strncmp(p, "->", 2) != 0)
    return false;
  p += 2;
  return parse_type_list(&p, out->results, &out->nresults);
}

static bool parse_int(const char *s, int64_t lo, int64_t hi, uint64_t umax,
                      int64_t *out) {
  char *end;
  errno = 0;
  if (*s == '-') {
    long long v = strtoll(s, &end, 0);
    if (errno || *end || end == s || v < lo)
      return false;
    *out = v;
    return true;
  }
  unsigned long long u = strtoull(s, &end, 0);
  /* Unsigned spellings up to 2^N-1 are accepted and wrap, as in wasm. */
  if (errno || *end || end == s || *s == '+' || u > umax)
    return false;
  *out = u > (uint64_t)hi ? (int64_t)(u - umax - 1) : (int64_t)u;
  return true;
}

static bool parse_float(const char *s, double *out) {
  char *end;
  errno = 0;
  *out = strtod(s, &end);
  return *s && !*end && errno != ERANGE;
}

/* ---- v128: SHAPE:LANES, the shapes of wasm's text format ---- */

typedef struct v128_shape {
  const char *name;
  unsigned lanes, bytes; /* lanes x bytes = 16 */
  bool is_float;
} v128_shape;

static const v128_shape shapes[] = {
    {"i8x16", 16, 1, false}, {"i16x8", 8, 2, false}, {"i32x4", 4, 4, false},
    {"i64x2", 2, 8, false},  {"f32x4", 4, 4, true},  {"f64x2", 2, 8, true},
};

static const v128_shape *shape_named(const char *s, size_t len) {
  for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
    if (strlen(shapes[i].name) == len && memcmp(shapes[i].name, s, len) == 0)
      return &shapes[i];
  return NULL;
}

/* " i8x16, i16x8, ... or f64x2", from the table. */
static void shape_list(char *buf, size_t size) {
  const size_t n = sizeof shapes / sizeof shapes[0];
  size_t used = 0;
  for (size_t i = 0; i < n && used < size; i++)
    used += (size_t)snprintf(buf + used, size - used, "%s%s",
                             i == 0 ? " " : i + 1 < n ? ", " : " or ",
                             shapes[i].name);
}

/* Lane k of 'bytes' bytes, little endian, as v128.store lays it out. */
static void put_lane(plugsup_value *v, unsigned k, unsigned bytes,
                     uint64_t bits) {
  for (unsigned j = 0; j < bytes; j++)
    v->of.v128[k * bytes + j] = (uint8_t)(bits >> (8 * j));
}

static uint64_t get_lane(const plugsup_value *v, unsigned k, unsigned bytes) {
  uint64_t bits = 0;
  for (unsigned j = bytes; j-- > 0;)
    bits = bits << 8 | v->of.v128[k * bytes + j];
  return bits;
}

/* Whole text an integer, whatever its size: a lane that is one, yet
** fails parse_int, is out of range. */
static bool integer_text(const char *s) {
  char *end;
  if (*s == '-')
    (void)strtoll(s, &end, 0);
  else
    (void)strtoull(s, &end, 0);
  return end != s && !*end && *s != '+';
}

static const char *parse_int_lane(const char *text, unsigned k,
                                  const v128_shape *sh, plugsup_value *out,
                                  cli_why *why) {
  unsigned bits = sh->bytes * 8;
  uint64_t umax = bits == 64 ? UINT64_MAX : (UINT64_C(1) << bits) - 1;
  int64_t hi = (int64_t)(umax >> 1), lo = -hi - 1, i;
  if (parse_int(text, lo, hi, umax, &i)) {
    put_lane(out, k, sh->bytes, (uint64_t)i);
    return NULL;
  }
  if (integer_text(text))
    snprintf(why->text, sizeof why->text,
             "lane %u '%s' of %s is out of range (%" PRId64 " to %" PRIu64 ")",
             k, text, sh->name, lo, umax);
  else
    snprintf(why->text, sizeof why->text,
             "lane %u '%s' of %s is not an integer", k, text, sh->name);
  return why->text;
}

static const char *parse_float_lane(const char *text, unsigned k,
                                    const v128_shape *sh, plugsup_value *out,
                                    cli_why *why) {
  double d;
  uint32_t b32;
  uint64_t b64;
  if (!parse_float(text, &d)) {
    snprintf(why->text, sizeof why->text,
             "lane %u '%s' of %s is not a number (or nan, inf)", k, text,
             sh->name);
    return why->text;
  }
  if (sh->bytes == 4) {
    float f = (float)d;
    memcpy(&b32, &f, sizeof b32);
    put_lane(out, k, 4, b32);
  } else {
    memcpy(&b64, &d, sizeof b64);
    put_lane(out, k, 8, b64);
  }
  return NULL;
}

/* The lanes after "SHAPE:", comma-separated, as many as the shape has. */
static const char *parse_lanes(const char *s, const v128_shape *sh,
                               plugsup_value *out, cli_why *why) {
  char text[CLI_LANE_TEXT_MAX + 1];
  unsigned n = 1;
  for (const char *p = s; *p; p++)
    n += *p == ',';
  if (n != sh->lanes) {
    snprintf(why->text, sizeof why->text, "%s takes %u lanes, got %u",
             sh->name, sh->lanes, n);
    return why->text;
  }
  for (unsigned k = 0; k < n; k++) {
    size_t len = strcspn(s, ",");
    const char *bad;
    if (len > CLI_LANE_TEXT_MAX) {
      snprintf(why->text, sizeof why->text,
               "lane %u of %s is longer than %d characters", k, sh->name,
               CLI_LANE_TEXT_MAX);
      return why->text;
    }
    memcpy(text, s, len);
    text[len] = '\0';
    bad = sh->is_float ? parse_float_lane(text, k, sh, out, why)
                       : parse_int_lane(text, k, sh, out, why);
    if (bad)
      return bad;
    s += len + 1;
  }
  return NULL;
}

static const char *parse_v128(const char *s, plugsup_value *out,
                              cli_why *why) {
  const char *colon = strchr(s, ':');
  const v128_shape *sh;
  if (!colon)
    return "expected SHAPE:LANES, as in i32x4:1,2,3,4";
  if (!(sh = shape_named(s, (size_t)(colon - s)))) {
    int used = snprintf(why->text, sizeof why->text, "unknown shape '%.*s': use",
                        (int)(colon - s < 32 ? colon - s : 32), s);
    shape_list(why->text + used, sizeof why->text - (size_t)used);
    return why->text;
  }
  memset(out->of.v128, 0, sizeof out->of.v128);
  return parse_lanes(colon + 1, sh, out, why);
}

/* ---- one value ---- */

static const char *parse_untyped(const char *s, plugsup_valtype t,
                                 plugsup_value *out, cli_why *why) {
  int64_t i;
  double d;
  out->type = t;
  switch (t) {
  case PLUGSUP_I32:
    if (!parse_int(s, INT32_MIN, INT32_MAX, UINT32_MAX, &i))
      return "expected a 32-bit integer";
    out->of.i32 = (int32_t)i;
    return NULL;
  case PLUGSUP_I64:
    if (!parse_int(s, INT64_MIN, INT64_MAX, UINT64_MAX, &i))
      return "expected a 64-bit integer";
    out->of.i64 = i;
    return NULL;
  case PLUGSUP_F32:
  case PLUGSUP_F64:
    if (!parse_float(s, &d))
      return "expected a number (or nan, inf)";
    if (t == PLUGSUP_F32)
      out->of.f32 = (float)d;
    else
      out->of.f64 = d;
    return NULL;
  case PLUGSUP_V128:
    return parse_v128(s, out, why);
  case PLUGSUP_FUNCREF:
  case PLUGSUP_EXTERNREF:
    break;
  }
  if (strcmp(s, "null") != 0)
    return "only null can be passed for a reference";
  out->of.ref = 0;
  return NULL;
}

/* A shape names a v128 ("i32x4:1,2,3,4"); "v128:" is no prefix, so that
** each v128 has one spelling. */
bool cli_value_type(const char *s, plugsup_valtype *out) {
  const char *colon = strchr(s, ':');
  plugsup_valtype t;
  if (!colon)
    return false;
  if (shape_named(s, (size_t)(colon - s))) {
    *out = PLUGSUP_V128;
    return true;
  }
  if (!type_named(s, (size_t)(colon - s), &t) || t == PLUGSUP_V128)
    return false;
  *out = t;
  return true;
}

const char *cli_parse_value(const char *s, plugsup_valtype want,
                            plugsup_value *out, cli_why *why) {
  plugsup_valtype t;
  if (cli_value_type(s, &t)) {
    if (t != want)
      return "its type prefix does not match the parameter's type";
    if (t != PLUGSUP_V128) /* a v128's shape is part of its text */
      s = strchr(s, ':') + 1;
  }
  return parse_untyped(s, want, out, why);
}

void cli_v128_i32x4(const plugsup_value *v, int32_t lanes[4]) {
  for (unsigned k = 0; k < 4; k++)
    lanes[k] = (int32_t)(uint32_t)get_lane(v, k, 4);
}

void cli_format_value(const plugsup_value *v, char *buf, size_t size) {
  int32_t l[4];
  switch (v->type) {
  case PLUGSUP_I32:
    snprintf(buf, size, "%" PRId32, v->of.i32);
    return;
  case PLUGSUP_I64:
    snprintf(buf, size, "%" PRId64, v->of.i64);
    return;
  case PLUGSUP_F32:
    snprintf(buf, size, "%.9g", (double)v->of.f32);
    return;
  case PLUGSUP_F64:
    snprintf(buf, size, "%.17g", v->of.f64);
    return;
  case PLUGSUP_V128:
    cli_v128_i32x4(v, l);
    snprintf(buf, size, "i32x4:%" PRId32 ",%" PRId32 ",%" PRId32 ",%" PRId32,
             l[0], l[1], l[2], l[3]);
    return;
  case PLUGSUP_FUNCREF:
  case PLUGSUP_EXTERNREF:
    break;
  }
  snprintf(buf, size, "%s", v->of.ref ? "ref" : "null");
}
