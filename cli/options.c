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
};

const char *cli_valtype_name(plugsup_valtype t) {
  if ((size_t)t >= sizeof type_names / sizeof type_names[0])
    return NULL;
  return type_names[t];
}

static bool type_named(const char *s, size_t len, plugsup_valtype *out) {
  for (size_t t = PLUGSUP_I32; t <= PLUGSUP_EXTERNREF; t++)
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

static const char *parse_untyped(const char *s, plugsup_valtype t,
                                 plugsup_value *out) {
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
  case PLUGSUP_FUNCREF:
  case PLUGSUP_EXTERNREF:
    break;
  }
  if (strcmp(s, "null") != 0)
    return "only null can be passed for a reference";
  out->of.ref = 0;
  return NULL;
}

bool cli_value_type(const char *s, plugsup_valtype *out) {
  const char *colon = strchr(s, ':');
  return colon && type_named(s, (size_t)(colon - s), out);
}

const char *cli_parse_value(const char *s, plugsup_valtype want,
                            plugsup_value *out) {
  plugsup_valtype t;
  if (cli_value_type(s, &t)) {
    if (t != want)
      return "its type prefix does not match the parameter's type";
    s = strchr(s, ':') + 1;
  }
  return parse_untyped(s, want, out);
}

void cli_format_value(const plugsup_value *v, char *buf, size_t size) {
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
  case PLUGSUP_FUNCREF:
  case PLUGSUP_EXTERNREF:
    break;
  }
  snprintf(buf, size, "%s", v->of.ref ? "ref" : "null");
}
