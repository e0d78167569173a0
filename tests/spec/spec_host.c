/*
** spec_host.c: the 'spectest' host module every spec script may import,
** the resolver that links imports to it and to registered instances, and
** the conversions between the JSON value form and interp_value.
*/
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec.h"

/* One export of the spectest module. */
typedef struct host_entry {
  const char *name;
  interp_extern ext;
} host_entry;

enum { HOST_MAX = 16 };

struct spec_host {
  host_entry entries[HOST_MAX];
  size_t n;
};

/* The print functions print nothing: the suite never checks their output,
** and a quiet runner keeps the report readable. */
static interp_status host_print(interp_caller *caller, void *ud,
                                const interp_value *args,
                                interp_value *results) {
  (void)caller; (void)ud; (void)args; (void)results;
  return INTERP_OK;
}

/* Parameter lists live in static storage: a functype only points at them. */
static const interp_valtype p_i32[] = {INTERP_I32};
static const interp_valtype p_i64[] = {INTERP_I64};
static const interp_valtype p_f32[] = {INTERP_F32};
static const interp_valtype p_f64[] = {INTERP_F64};
static const interp_valtype p_i32_f32[] = {INTERP_I32, INTERP_F32};
static const interp_valtype p_f64_f64[] = {INTERP_F64, INTERP_F64};

static const struct {
  const char *name;
  uint32_t nparams;
  const interp_valtype *params;
} host_funcs[] = {
  {"print", 0, NULL},
  {"print_i32", 1, p_i32},
  {"print_i64", 1, p_i64},
  {"print_f32", 1, p_f32},
  {"print_f64", 1, p_f64},
  {"print_i32_f32", 2, p_i32_f32},
  {"print_f64_f64", 2, p_f64_f64},
};

static void host_add(spec_host *h, const char *name, interp_extern ext) {
  h->entries[h->n].name = name;
  h->entries[h->n].ext = ext;
  h->n++;
}

static interp_status host_add_funcs(interp_store *store, spec_host *h) {
  for (size_t i = 0; i < sizeof host_funcs / sizeof host_funcs[0]; i++) {
    interp_functype ft = {host_funcs[i].nparams, 0, host_funcs[i].params, NULL};
    interp_extern ext = {.kind = INTERP_EXTERN_FUNC};
    interp_status s = interp_host_func_new(store, &ft, host_print, NULL,
                                           &ext.of.func);
    if (s != INTERP_OK)
      return s;
    host_add(h, host_funcs[i].name, ext);
  }
  return INTERP_OK;
}

static interp_status host_add_global(interp_store *store, spec_host *h,
                                     const char *name, interp_value v) {
  interp_extern ext = {.kind = INTERP_EXTERN_GLOBAL};
  interp_status s = interp_global_new(store, v, 0, &ext.of.global);
  if (s == INTERP_OK)
    host_add(h, name, ext);
  return s;
}

static interp_status host_add_globals(interp_store *store, spec_host *h) {
  float f32 = 666.6f;
  double f64 = 666.6;
  interp_value v[4] = {{.type = INTERP_I32}, {.type = INTERP_I64},
                       {.type = INTERP_F32}, {.type = INTERP_F64}};
  v[0].of.i32 = 666;
  v[1].of.i64 = 666;
  memcpy(&v[2].of.f32, &f32, sizeof f32);
  memcpy(&v[3].of.f64, &f64, sizeof f64);
  static const char *const names[4] = {"global_i32", "global_i64",
                                       "global_f32", "global_f64"};
  for (int i = 0; i < 4; i++) {
    interp_status s = host_add_global(store, h, names[i], v[i]);
    if (s != INTERP_OK)
      return s;
  }
  return INTERP_OK;
}

static interp_status host_add_table_memory(interp_store *store, spec_host *h) {
  interp_extern t = {.kind = INTERP_EXTERN_TABLE};
  interp_extern m = {.kind = INTERP_EXTERN_MEMORY};
  interp_limits tl = {10, 20, 1}, ml = {1, 2, 1};
  interp_status s = interp_table_new(store, INTERP_FUNCREF, tl, &t.of.table);
  if (s != INTERP_OK)
    return s;
  host_add(h, "table", t);
  s = interp_memory_new(store, ml, &m.of.memory);
  if (s != INTERP_OK)
    return s;
  host_add(h, "memory", m);
  return INTERP_OK;
}

interp_status spec_host_new(interp_store *store, spec_host **out) {
  spec_host *h = calloc(1, sizeof *h);
  if (h == NULL)
    return INTERP_NOMEM;
  interp_status s = host_add_funcs(store, h);
  if (s == INTERP_OK)
    s = host_add_globals(store, h);
  if (s == INTERP_OK)
    s = host_add_table_memory(store, h);
  if (s != INTERP_OK) {
    free(h);
    return s;
  }
  *out = h;
  return INTERP_OK;
}

void spec_host_free(spec_host *h) {
  /* The externs belong to the store; only the list is ours. */
  free(h);
}

/* Byte-string equality: import names may hold NUL. */
static int name_eq(const char *a, size_t alen, const char *b, size_t blen) {
  return alen == blen && memcmp(a, b, alen) == 0;
}

static interp_status resolve_host(const spec_host *h,
                                  const interp_import_desc *imp,
                                  interp_extern *out) {
  for (size_t i = 0; i < h->n; i++) {
    const char *n = h->entries[i].name;
    if (name_eq(imp->name, imp->name_len, n, strlen(n))) {
      *out = h->entries[i].ext;
      return INTERP_OK;
    }
  }
  return INTERP_NOT_FOUND;
}

interp_status spec_resolve(void *ud, const interp_import_desc *imp,
                           interp_extern *out) {
  spec_file *sf = ud;
  if (name_eq(imp->module, imp->module_len, "spectest", 8))
    return resolve_host(sf->host, imp, out);
  /* Later registrations shadow earlier ones, as in the reference runner. */
  for (size_t i = sf->nregistered; i-- > 0;) {
    const spec_binding *b = &sf->registered[i];
    if (name_eq(imp->module, imp->module_len, b->name, strlen(b->name)))
      return interp_instance_export(b->inst, imp->name, imp->name_len, out);
  }
  return INTERP_NOT_FOUND;
}

/* ---- values ---- */

/* externref values of the suite are small integers ('ref.extern 1'); they
** travel as the opaque pointer N+1 so that N = 0 is not null. The
** interpreter never dereferences an externref. */
static void *extern_ref(uint64_t n) { return (void *)(uintptr_t)(n + 1); }

static int parse_type(const char *t, interp_valtype *out) {
  static const struct { const char *name; interp_valtype type; } types[] = {
    {"i32", INTERP_I32}, {"i64", INTERP_I64}, {"f32", INTERP_F32},
    {"f64", INTERP_F64}, {"v128", INTERP_V128},
    {"funcref", INTERP_FUNCREF}, {"externref", INTERP_EXTERNREF},
  };
  for (size_t i = 0; t && i < sizeof types / sizeof types[0]; i++)
    if (strcmp(t, types[i].name) == 0) {
      *out = types[i].type;
      return 0;
    }
  return -1;
}

/* A v128's lanes: {"lane_type":"i16","value":["1",...]} gives the lane
** size in bytes and the array of lane strings (decimal, unsigned, or
** nan:canonical / nan:arithmetic in float lanes of expected results). */
static const json_t *v128_lanes(const json_t *j, unsigned *bytes,
                                int *is_float) {
  static const struct { const char *name; unsigned bytes; int fl; } shapes[] = {
    {"i8", 1, 0}, {"i16", 2, 0}, {"i32", 4, 0}, {"i64", 8, 0},
    {"f32", 4, 1}, {"f64", 8, 1},
  };
  const char *lt = json_string_value(json_object_get(j, "lane_type"));
  const json_t *lanes = json_object_get(j, "value");
  for (size_t i = 0; lt && i < sizeof shapes / sizeof shapes[0]; i++)
    if (strcmp(lt, shapes[i].name) == 0 && json_is_array(lanes) &&
        json_array_size(lanes) == 16 / shapes[i].bytes) {
      *bytes = shapes[i].bytes;
      *is_float = shapes[i].fl;
      return lanes;
    }
  return NULL;
}

static const char *lane_text(const json_t *lanes, size_t i) {
  const char *s = json_string_value(json_array_get(lanes, i));
  return s ? s : "";
}

static int v128_from_json(const json_t *j, interp_value *out) {
  unsigned bytes;
  int fl;
  const json_t *lanes = v128_lanes(j, &bytes, &fl);
  if (lanes == NULL)
    return -1;
  for (size_t i = 0; i < json_array_size(lanes); i++) {
    uint64_t x = strtoull(lane_text(lanes, i), NULL, 10);
    memcpy(out->of.v128 + i * bytes, &x, bytes); /* little-endian host */
  }
  return 0;
}

int spec_value_from_json(const json_t *j, interp_value *out) {
  const char *t = json_string_value(json_object_get(j, "type"));
  const char *v = json_string_value(json_object_get(j, "value"));
  memset(out, 0, sizeof *out);
  if (parse_type(t, &out->type) != 0)
    return -1;
  if (out->type == INTERP_V128)
    return v128_from_json(j, out);
  if (out->type == INTERP_FUNCREF || out->type == INTERP_EXTERNREF) {
    /* Only null funcrefs can be written as arguments. */
    if (v != NULL && strcmp(v, "null") != 0)
      out->of.ref = out->type == INTERP_EXTERNREF
                        ? extern_ref(strtoull(v, NULL, 10)) : NULL;
    return 0;
  }
  if (v == NULL)
    return -1;
  uint64_t bits = strtoull(v, NULL, 10);
  if (out->type == INTERP_I32 || out->type == INTERP_F32)
    out->of.i32 = (uint32_t)bits;
  else
    out->of.i64 = bits;
  return 0;
}

/* NaN classes: canonical has only the top mantissa bit set; arithmetic has
** at least that bit. The sign is free in both. */
static int nan_matches(const char *v, interp_valtype t, uint64_t bits) {
  int canonical = strcmp(v, "nan:canonical") == 0;
  if (t == INTERP_F32) {
    uint32_t b = (uint32_t)bits & 0x7fffffffu;
    return canonical ? b == 0x7fc00000u : (b & 0x7fc00000u) == 0x7fc00000u;
  }
  uint64_t b = bits & 0x7fffffffffffffffull;
  const uint64_t q = 0x7ff8000000000000ull;
  return canonical ? b == q : (b & q) == q;
}

static int ref_matches(const char *v, const interp_value *got) {
  if (v == NULL)          /* "(ref.func)" / "(ref.extern)": any non-null */
    return got->of.ref != NULL;
  if (strcmp(v, "null") == 0)
    return got->of.ref == NULL;
  if (got->type == INTERP_FUNCREF)
    return 0;             /* the suite never names a particular function */
  return got->of.ref == extern_ref(strtoull(v, NULL, 10));
}

/* Lane by lane, each either exact bits or a NaN class. */
static int v128_matches(const json_t *expected, const interp_value *got) {
  unsigned bytes;
  int fl;
  const json_t *lanes = v128_lanes(expected, &bytes, &fl);
  if (lanes == NULL)
    return 0;
  for (size_t i = 0; i < json_array_size(lanes); i++) {
    const char *v = lane_text(lanes, i);
    uint64_t have = 0;
    memcpy(&have, got->of.v128 + i * bytes, bytes);
    if (strncmp(v, "nan:", 4) == 0) {
      if (!fl || !nan_matches(v, bytes == 4 ? INTERP_F32 : INTERP_F64, have))
        return 0;
      continue;
    }
    uint64_t want = strtoull(v, NULL, 10);
    if (bytes < 8)
      want &= (1ull << (bytes * 8)) - 1;
    if (have != want)
      return 0;
  }
  return 1;
}

int spec_value_matches(const json_t *expected, const interp_value *got) {
  const char *t = json_string_value(json_object_get(expected, "type"));
  const char *v = json_string_value(json_object_get(expected, "value"));
  interp_valtype type;
  if (parse_type(t, &type) != 0 || type != got->type)
    return 0;
  if (type == INTERP_V128)
    return v128_matches(expected, got);
  if (type == INTERP_FUNCREF || type == INTERP_EXTERNREF)
    return ref_matches(v, got);
  if (v == NULL)
    return 0;
  if (strncmp(v, "nan:", 4) == 0)
    return type == INTERP_F32 || type == INTERP_F64
               ? nan_matches(v, type, type == INTERP_F32 ? got->of.f32
                                                        : got->of.f64)
               : 0;
  uint64_t bits = strtoull(v, NULL, 10);
  if (type == INTERP_I32 || type == INTERP_F32)
    return got->of.i32 == (uint32_t)bits;
  return got->of.i64 == bits;
}

void spec_value_format(const interp_value *v, char *buf, size_t len) {
  float f;
  double d;
  switch (v->type) {
  case INTERP_I32:
    snprintf(buf, len, "i32:%" PRIu32 " (0x%08" PRIx32 ")", v->of.i32, v->of.i32);
    return;
  case INTERP_I64:
    snprintf(buf, len, "i64:%" PRIu64 " (0x%016" PRIx64 ")", v->of.i64, v->of.i64);
    return;
  case INTERP_F32:
    memcpy(&f, &v->of.f32, sizeof f);
    snprintf(buf, len, "f32:%.9g (0x%08" PRIx32 ")", (double)f, v->of.f32);
    return;
  case INTERP_F64:
    memcpy(&d, &v->of.f64, sizeof d);
    snprintf(buf, len, "f64:%.17g (0x%016" PRIx64 ")", d, v->of.f64);
    return;
  case INTERP_V128: {
    uint32_t w[4];
    memcpy(w, v->of.v128, 16);
    snprintf(buf, len, "v128:i32x4 0x%08" PRIx32 " 0x%08" PRIx32
             " 0x%08" PRIx32 " 0x%08" PRIx32, w[0], w[1], w[2], w[3]);
    return;
  }
  default:
    if (v->of.ref == NULL)
      snprintf(buf, len, "%s:null", interp_valtype_name(v->type));
    else if (v->type == INTERP_EXTERNREF)   /* undo extern_ref() */
      snprintf(buf, len, "externref:%" PRIuPTR, (uintptr_t)v->of.ref - 1);
    else
      snprintf(buf, len, "funcref:%p", v->of.ref);
    return;
  }
}

void spec_json_value_format(const json_t *j, char *buf, size_t len) {
  const char *t = json_string_value(json_object_get(j, "type"));
  const char *v = json_string_value(json_object_get(j, "value"));
  interp_value iv;
  if (t != NULL && strcmp(t, "v128") == 0) {
    json_t *lanes = json_object_get(j, "value");
    char *text = json_dumps(lanes, JSON_COMPACT);
    const char *lt = json_string_value(json_object_get(j, "lane_type"));
    snprintf(buf, len, "v128:%s %s", lt ? lt : "?", text ? text : "?");
    free(text);
    return;
  }
  if (v != NULL && strncmp(v, "nan:", 4) != 0 &&
      spec_value_from_json(j, &iv) == 0 && iv.type != INTERP_FUNCREF &&
      iv.type != INTERP_EXTERNREF) {
    spec_value_format(&iv, buf, len);
    return;
  }
  snprintf(buf, len, "%s:%s", t ? t : "?", v ? v : "(any non-null)");
}
