/*
** store.c: stores, modules (load = decode + validate; each body is compiled
** on its first call, rt_func_compile), runtime objects, linking and
** instantiation, and interp_call.
**
** Every object is owned by its store and freed by interp_store_free: an
** instance whose instantiation failed after it started writing to shared
** tables may still be referenced from them, so nothing is freed early.
*/
#include <string.h>

#include "code.h"
#include "runtime.h"

#define PAGE 65536u
#define MAX_PAGES 65536u

/* ---- store ---- */

static interp_config with_defaults(const interp_config *cfg) {
  interp_config c = {0};
  if (cfg)
    c = *cfg;
  if (c.max_memory_pages == 0 || c.max_memory_pages > MAX_PAGES)
    c.max_memory_pages = MAX_PAGES;
  if (c.max_table_elems == 0)
    c.max_table_elems = 10000000;
  if (c.max_call_depth == 0)
    c.max_call_depth = 10000;
  if (c.max_stack_slots == 0)
    c.max_stack_slots = 1048576;
  return c;
}

interp_status interp_store_new(const interp_config *cfg, interp_store **out) {
  if (out == NULL)
    return INTERP_BAD_ARGS;
  *out = NULL;
  interp_config c = with_defaults(cfg);
  ialloc a;
  ialloc_init(&a, c.alloc, c.alloc_ud);
  a.limit = c.max_bytes;
  interp_store *s = ialloc_array(&a, 1, sizeof *s);
  if (s == NULL)
    return INTERP_NOMEM;
  s->alloc = a;
  s->cfg = c;
  interp_store_set_fuel(s, c.fuel);
  s->fuel_used = 0;
  *out = s;
  return INTERP_OK;
}

static uint32_t cap_max(const interp_limits *l, uint32_t hard) {
  return l->has_max && l->max < hard ? l->max : hard;
}

/* Memories and tables already made keep their size; what they may grow to
** is capped by the new limits, as if they were made under them. Written
** only when it changes: the store may be a zygote's, shared copy-on-write
** with a child, where a write of the same value still copies the page. */
static void recap_objects(interp_store *s) {
  for (interp_memory *m = s->memories; m; m = m->next) {
    uint32_t max = cap_max(&m->limits, s->cfg.max_memory_pages);
    if (m->max_pages != max)
      m->max_pages = max;
  }
  for (interp_table *t = s->tables; t; t = t->next) {
    uint32_t max = cap_max(&t->limits, s->cfg.max_table_elems);
    if (t->max != max)
      t->max = max;
  }
}

/* Never while code runs: the stacks are made under the limits in force. */
interp_status interp_store_relimit(interp_store *s, const interp_config *cfg) {
  if (s == NULL || s->stack != NULL || s->frames != NULL)
    return INTERP_BAD_ARGS;
  interp_config c = with_defaults(cfg);
  c.alloc = s->cfg.alloc;
  c.alloc_ud = s->cfg.alloc_ud;
  c.compile_eagerly = s->cfg.compile_eagerly;
  s->cfg = c;
  recap_objects(s);
  s->alloc.exempt = c.max_bytes && c.max_bytes <= UINT64_MAX - s->alloc.live
                       ? s->alloc.live
                       : 0;
  s->alloc.limit = c.max_bytes ? s->alloc.exempt + c.max_bytes : 0;
  s->alloc.peak = s->alloc.live;
  s->alloc.over_limit = false;
  s->fuel_unlimited = true;
  s->fuel = s->fuel_budget = UINT64_MAX;
  interp_store_set_fuel(s, c.fuel);
  s->fuel_used = 0;
  return INTERP_OK;
}

interp_status interp_store_charge(interp_store *s, uint64_t bytes) {
  ialloc *a = &s->alloc;
  if (a->limit == 0)
    return INTERP_OK;
  if (bytes > a->exempt)
    return INTERP_BAD_ARGS;
  if (a->live + bytes > a->limit)
    return INTERP_NOMEM;
  a->exempt -= bytes;
  a->limit -= bytes;
  return INTERP_OK;
}

bool interp_store_within_limits(const interp_store *s) {
  for (const interp_memory *m = s->memories; m; m = m->next)
    if (m->pages > s->cfg.max_memory_pages)
      return false;
  for (const interp_table *t = s->tables; t; t = t->next)
    if (t->size > s->cfg.max_table_elems)
      return false;
  return true;
}

static void free_module(interp_store *s, module_rec *rec) {
  interp_module *m = &rec->m;
  for (uint32_t i = 0; m->funcs && i < m->nfuncs - m->nimported_funcs; i++) {
    compile_free(&s->alloc, m->funcs[i].compiled);
    m->funcs[i].compiled = NULL;
  }
  if (rec->types)
    ialloc_free_array(&s->alloc, rec->types, m->ntypes, sizeof *rec->types);
  mod_free(m);
  ialloc_free(&s->alloc, rec->copy, rec->copy_len);
  ialloc_free(&s->alloc, rec, sizeof *rec);
}

static void free_instance(interp_store *s, interp_instance *in) {
  const interp_module *m = in->mod;
  ialloc *a = &s->alloc;
  ialloc_free_array(a, in->funcs, m->nfuncs, sizeof *in->funcs);
  ialloc_free_array(a, in->tables, m->ntables, sizeof *in->tables);
  ialloc_free_array(a, in->memories, m->nmemories, sizeof *in->memories);
  ialloc_free_array(a, in->globals, m->nglobals, sizeof *in->globals);
  for (uint32_t i = 0; in->elems && i < m->nelems; i++)
    ialloc_free_array(a, in->elems[i].refs, in->elems[i].cap, sizeof(void *));
  ialloc_free_array(a, in->elems, m->nelems, sizeof *in->elems);
  ialloc_free_array(a, in->data_len, m->ndatas, sizeof *in->data_len);
  ialloc_free(a, in, sizeof *in);
}

void interp_store_free(interp_store *s) {
  if (s == NULL)
    return;
  ialloc *a = &s->alloc;
  for (interp_instance *in = s->instances, *n; in; in = n) {
    n = in->next;
    free_instance(s, in);
  }
  for (uint32_t i = 0; i < s->nmodules; i++)
    free_module(s, s->modules[i]);
  ialloc_free_array(a, s->modules, s->modules_cap, sizeof *s->modules);
  for (interp_func *f = s->funcs, *n; f; f = n) {
    n = f->next;
    ialloc_free(a, f, sizeof *f);
  }
  for (interp_memory *m = s->memories, *n; m; m = n) {
    n = m->next;
    ialloc_pages_free(a, m->data, m->size);
    ialloc_free(a, m, sizeof *m);
  }
  for (interp_table *t = s->tables, *n; t; t = n) {
    n = t->next;
    ialloc_pages_free(a, t->elems, (size_t)t->size * sizeof(void *));
    ialloc_free(a, t, sizeof *t);
  }
  for (interp_global *g = s->globals, *n; g; g = n) {
    n = g->next;
    ialloc_free(a, g, sizeof *g);
  }
  for (rt_type *t = s->types, *n; t; t = n) {
    n = t->next;
    size_t k = (size_t)t->nparams + t->nresults;
    ialloc_free_array(a, t->types, k ? k : 1, 1);
    ialloc_free_array(a, t->vtypes, k ? k : 1, sizeof *t->vtypes);
    ialloc_free(a, t, sizeof *t);
  }
  ialloc_pages_free(a, s->stack, s->stack_cap * sizeof *s->stack);
  ialloc_pages_free(a, s->frames, s->frames_cap * sizeof *s->frames);
  ialloc copy = s->alloc;
  ialloc_free(&copy, s, sizeof *s);
}

uint64_t interp_store_fuel_left(const interp_store *s) {
  return s->fuel_unlimited ? UINT64_MAX : s->fuel;
}

void interp_store_set_fuel(interp_store *s, uint64_t fuel) {
  if (s->fuel_unlimited)
    s->fuel_used += UINT64_MAX - s->fuel;
  else
    s->fuel_used += s->fuel_budget - s->fuel;
  s->fuel_unlimited = fuel == 0;
  s->fuel = fuel ? fuel : UINT64_MAX;
  s->fuel_budget = s->fuel;
}

void interp_store_stats(const interp_store *s, interp_stats *out) {
  memset(out, 0, sizeof *out);
  out->fuel_used = s->fuel_used + (s->fuel_budget - s->fuel);
  out->bytes_allocated = s->alloc.live;
  out->peak_bytes = s->alloc.peak;
  for (const interp_memory *m = s->memories; m; m = m->next)
    out->memory_bytes += m->size;
}

/* ---- canonical types ---- */

const rt_type *rt_type_intern(interp_store *s, uint32_t np, uint32_t nr,
                              const uint8_t *types) {
  size_t k = (size_t)np + nr;
  for (rt_type *t = s->types; t; t = t->next)
    if (t->nparams == np && t->nresults == nr &&
        (k == 0 || memcmp(t->types, types, k) == 0))
      return t;
  rt_type *t = ialloc_array(&s->alloc, 1, sizeof *t);
  if (t == NULL)
    return NULL;
  t->types = ialloc_array(&s->alloc, k ? k : 1, 1);
  t->vtypes = ialloc_array(&s->alloc, k ? k : 1, sizeof *t->vtypes);
  if (t->types == NULL || t->vtypes == NULL) {
    ialloc_free_array(&s->alloc, t->types, k ? k : 1, 1);
    ialloc_free_array(&s->alloc, t->vtypes, k ? k : 1, sizeof *t->vtypes);
    ialloc_free(&s->alloc, t, sizeof *t);
    return NULL;
  }
  t->nparams = np;
  t->nresults = nr;
  t->param_slots = t->result_slots = 0;
  for (size_t i = 0; i < k; i++) {
    t->types[i] = types[i];
    t->vtypes[i] = (interp_valtype)types[i];
    if (i < np)
      t->param_slots += mod_slots(types[i]);
    else
      t->result_slots += mod_slots(types[i]);
  }
  t->next = s->types;
  s->types = t;
  return t;
}

/* ---- modules ---- */

static interp_store *store_of(const interp_module *m) {
  return (interp_store *)(uintptr_t)((const char *)m->alloc -
                                     offsetof(interp_store, alloc));
}

static interp_status add_module(interp_store *s, module_rec *rec) {
  if (s->nmodules == s->modules_cap) {
    uint32_t cap = s->modules_cap ? s->modules_cap * 2 : 8;
    module_rec **p = ialloc_grow(&s->alloc, s->modules, s->modules_cap, cap,
                                 sizeof *p);
    if (p == NULL)
      return INTERP_NOMEM;
    s->modules = p;
    s->modules_cap = cap;
  }
  s->modules[s->nmodules++] = rec;
  return INTERP_OK;
}

static interp_status back_end(interp_store *s, module_rec *rec,
                              interp_error *err) {
  interp_module *m = &rec->m;
  if (m->ntypes) {
    rec->types = ialloc_array(&s->alloc, m->ntypes, sizeof *rec->types);
    if (rec->types == NULL)
      return ialloc_fail(&s->alloc, err, "loading the module");
  }
  for (uint32_t i = 0; i < m->ntypes; i++) {
    const mod_functype *t = &m->types[i];
    rec->types[i] = rt_type_intern(s, t->nparams, t->nresults, t->types);
    if (rec->types[i] == NULL)
      return ialloc_fail(&s->alloc, err, "loading the module");
  }
  /* Bodies are compiled on their first call (rt_func_compile): most of a
  ** large module never runs in one plugin call, and validation above has
  ** already refused any bad body. */
  for (uint32_t i = 0; s->cfg.compile_eagerly &&
                       i < m->nfuncs - m->nimported_funcs; i++) {
    interp_status st = compile_func(m, i, err);
    if (st != INTERP_OK)
      return st;
  }
  return INTERP_OK;
}

interp_status interp_module_compile_some(interp_module *m, uint32_t max,
                                         uint32_t *left, interp_error *err) {
  uint32_t n = m->nfuncs - m->nimported_funcs;
  interp_status st = INTERP_OK;
  while (m->compile_next < n && max > 0 && st == INTERP_OK) {
    if (m->funcs[m->compile_next].compiled == NULL) {
      st = compile_func(m, m->compile_next, err);
      max--;
    }
    m->compile_next++;
  }
  *left = n - m->compile_next;
  return st;
}

interp_status rt_func_compile(interp_func *f, interp_error *err) {
  interp_module *m = &module_rec_of(f->inst->mod)->m;
  mod_func *body = &m->funcs[f->body];
  if (body->compiled == NULL) { /* else another instance compiled it */
    interp_status st = compile_func(m, f->body, err);
    if (st != INTERP_OK)
      return st;
  }
  f->code = body->compiled;
  return INTERP_OK;
}

/* Decode and validate in one pass over the bodies; a failure is then
** reported in the spec's order (mod_first_error). */
static interp_status front_end(interp_store *s, module_rec *rec,
                               const uint8_t *bytes, size_t len,
                               interp_error *err) {
  interp_status st = mod_decode(&rec->m, bytes, len, MOD_SKIM, err);
  if (st == INTERP_OK)
    st = mod_validate(&rec->m, err);
  if (st == INTERP_MALFORMED || st == INTERP_INVALID)
    st = mod_first_error(&s->alloc, bytes, len, st, err);
  return st;
}

static interp_status load(interp_store *s, const uint8_t *bytes, size_t len,
                          bool copy, interp_module **out, interp_error *err) {
  ip_clear(err);
  if (s == NULL || out == NULL || (bytes == NULL && len > 0))
    return ip_fail(err, INTERP_BAD_ARGS, "interp_module_load: bad arguments");
  *out = NULL;
  interp_status st;
  module_rec *rec = ialloc_array(&s->alloc, 1, sizeof *rec);
  if (rec == NULL)
    return ialloc_fail(&s->alloc, err, "loading the module");
  rec->m.alloc = &s->alloc;
  if (copy && len > 0) {
    if ((rec->copy = ialloc_malloc(&s->alloc, len)) == NULL) {
      st = ialloc_fail(&s->alloc, err, "loading the module");
      goto fail;
    }
    rec->copy_len = len;
    bytes = memcpy(rec->copy, bytes, len);
  }
  st = front_end(s, rec, bytes, len, err);
  if (st == INTERP_OK)
    st = back_end(s, rec, err);
  if (st == INTERP_OK && (st = add_module(s, rec)) != INTERP_OK)
    ialloc_fail(&s->alloc, err, "loading the module");
  if (st != INTERP_OK)
    goto fail;
  *out = &rec->m;
  return INTERP_OK;
fail:
  free_module(s, rec);
  return st;
}

interp_status interp_module_load(interp_store *s, const uint8_t *bytes,
                                 size_t len, interp_module **out,
                                 interp_error *err) {
  return load(s, bytes, len, true, out, err);
}

interp_status interp_module_load_static(interp_store *s, const uint8_t *bytes,
                                        size_t len, interp_module **out,
                                        interp_error *err) {
  return load(s, bytes, len, false, out, err);
}

static void limits_of(const mod_limits *l, interp_limits *out) {
  out->min = l->min;
  out->max = l->max;
  out->has_max = l->has_max;
}

static void functype_of(const rt_type *t, interp_functype *out) {
  out->nparams = t->nparams;
  out->nresults = t->nresults;
  out->params = t->vtypes;
  out->results = t->vtypes + t->nparams;
}

bool interp_module_has_start(const interp_module *m) { return m->has_start; }

uint32_t interp_module_import_count(const interp_module *m) {
  return m->nimports;
}

static void import_type(const interp_module *m, const mod_import *im,
                        interp_externtype *t) {
  memset(t, 0, sizeof *t);
  t->kind = im->kind;
  switch (im->kind) {
  case INTERP_EXTERN_FUNC:
    functype_of(module_rec_of(m)->types[im->of.func], &t->func);
    break;
  case INTERP_EXTERN_TABLE:
    t->table.elem = (interp_valtype)im->of.table.elem;
    limits_of(&im->of.table.limits, &t->table.limits);
    break;
  case INTERP_EXTERN_MEMORY:
    limits_of(&im->of.memory, &t->memory);
    break;
  case INTERP_EXTERN_GLOBAL:
    t->global.type = (interp_valtype)im->of.global.type;
    t->global.mutable_ = im->of.global.mutable_;
    break;
  }
}

void interp_module_import(const interp_module *m, uint32_t i,
                          interp_import_desc *out) {
  memset(out, 0, sizeof *out);
  if (i >= m->nimports)
    return;
  const mod_import *im = &m->imports[i];
  out->module = im->module.bytes;
  out->module_len = im->module.len;
  out->name = im->name.bytes;
  out->name_len = im->name.len;
  import_type(m, im, &out->type);
}

uint32_t interp_module_export_count(const interp_module *m) {
  return m->nexports;
}

void interp_module_export(const interp_module *m, uint32_t i,
                          interp_export_desc *out) {
  memset(out, 0, sizeof *out);
  if (i >= m->nexports)
    return;
  const mod_export *e = &m->exports[i];
  interp_externtype *t = &out->type;
  out->name = e->name.bytes;
  out->name_len = e->name.len;
  t->kind = e->kind;
  switch (e->kind) {
  case INTERP_EXTERN_FUNC:
    functype_of(module_rec_of(m)->types[m->func_types[e->index]], &t->func);
    break;
  case INTERP_EXTERN_TABLE:
    t->table.elem = (interp_valtype)m->tables[e->index].elem;
    limits_of(&m->tables[e->index].limits, &t->table.limits);
    break;
  case INTERP_EXTERN_MEMORY:
    limits_of(&m->memories[e->index], &t->memory);
    break;
  case INTERP_EXTERN_GLOBAL:
    t->global.type = (interp_valtype)m->global_types[e->index].type;
    t->global.mutable_ = m->global_types[e->index].mutable_;
    break;
  }
}

/* ---- runtime objects ---- */

static interp_func *new_func(interp_store *s, const rt_type *t) {
  interp_func *f = ialloc_array(&s->alloc, 1, sizeof *f);
  if (f == NULL)
    return NULL;
  f->type = t;
  f->owner = s;
  f->next = s->funcs;
  s->funcs = f;
  return f;
}

interp_status interp_host_func_new(interp_store *s, const interp_functype *type,
                                   interp_host_fn fn, void *ud,
                                   interp_func **out) {
  uint8_t small[32], *types = small;
  size_t k;
  if (s == NULL || type == NULL || fn == NULL || out == NULL)
    return INTERP_BAD_ARGS;
  k = (size_t)type->nparams + type->nresults;
  if (k > sizeof small && (types = ialloc_malloc(&s->alloc, k)) == NULL)
    return INTERP_NOMEM;
  for (uint32_t i = 0; i < type->nparams; i++)
    types[i] = (uint8_t)type->params[i];
  for (uint32_t i = 0; i < type->nresults; i++)
    types[type->nparams + i] = (uint8_t)type->results[i];
  const rt_type *t = rt_type_intern(s, type->nparams, type->nresults, types);
  if (types != small)
    ialloc_free(&s->alloc, types, k);
  interp_func *f = t ? new_func(s, t) : NULL;
  if (f == NULL)
    return INTERP_NOMEM;
  f->host = fn;
  f->ud = ud;
  *out = f;
  return INTERP_OK;
}

static interp_memory *new_memory(interp_store *s, interp_limits limits) {
  if (limits.min > s->cfg.max_memory_pages)
    return NULL;
  interp_memory *m = ialloc_array(&s->alloc, 1, sizeof *m);
  if (m == NULL)
    return NULL;
  m->limits = limits;
  m->max_pages = cap_max(&limits, s->cfg.max_memory_pages);
  if (limits.min) {
    m->data = ialloc_pages_grow(&s->alloc, NULL, 0, (size_t)limits.min * PAGE);
    if (m->data == NULL) {
      ialloc_free(&s->alloc, m, sizeof *m);
      return NULL;
    }
  }
  m->pages = limits.min;
  m->size = (uint64_t)limits.min * PAGE;
  m->owner = s;
  m->next = s->memories;
  s->memories = m;
  return m;
}

interp_status interp_memory_new(interp_store *s, interp_limits limits,
                                interp_memory **out) {
  if (s == NULL || out == NULL || limits.min > MAX_PAGES ||
      (limits.has_max && (limits.max < limits.min || limits.max > MAX_PAGES)))
    return INTERP_BAD_ARGS;
  *out = new_memory(s, limits);
  return *out ? INTERP_OK : INTERP_NOMEM;
}

uint8_t *interp_memory_data(interp_memory *mem) { return mem->data; }
uint64_t interp_memory_size(const interp_memory *mem) { return mem->size; }

int64_t rt_memory_grow(interp_store *s, interp_memory *mem, uint32_t delta) {
  uint32_t old = mem->pages;
  if (delta == 0)
    return old;
  if ((uint64_t)old + delta > mem->max_pages)
    return -1;
  uint64_t nsize = ((uint64_t)old + delta) * PAGE;
  if (nsize > SIZE_MAX)
    return -1;
  uint8_t *p = ialloc_pages_grow(&s->alloc, mem->data, (size_t)mem->size,
                                 (size_t)nsize);
  if (p == NULL)
    return -1;
  mem->data = p;
  mem->size = nsize;
  mem->pages = old + delta;
  return old;
}

interp_status interp_memory_grow(interp_store *s, interp_memory *mem,
                                 uint32_t delta, uint32_t *old_pages) {
  int64_t old;
  if (s == NULL || mem == NULL || mem->owner != s)
    return INTERP_BAD_ARGS;
  if ((old = rt_memory_grow(s, mem, delta)) < 0)
    return INTERP_NOMEM;
  if (old_pages != NULL)
    *old_pages = (uint32_t)old;
  return INTERP_OK;
}

static interp_table *new_table(interp_store *s, uint8_t elem,
                               interp_limits limits) {
  if (limits.min > s->cfg.max_table_elems)
    return NULL;
  interp_table *t = ialloc_array(&s->alloc, 1, sizeof *t);
  if (t == NULL)
    return NULL;
  /* Page blocks, as memories: a table of millions of slots costs the
  ** pages that are set, not a memset of all of them. */
  if (limits.min &&
      (t->elems = ialloc_pages_grow(&s->alloc, NULL, 0,
                                    (size_t)limits.min * sizeof(void *))) ==
          NULL) {
    ialloc_free(&s->alloc, t, sizeof *t);
    return NULL;
  }
  t->elem = elem;
  t->limits = limits;
  t->size = limits.min;
  t->max = cap_max(&limits, s->cfg.max_table_elems);
  t->owner = s;
  t->next = s->tables;
  s->tables = t;
  return t;
}

interp_status interp_table_new(interp_store *s, interp_valtype elem,
                               interp_limits limits, interp_table **out) {
  if (s == NULL || out == NULL ||
      (elem != INTERP_FUNCREF && elem != INTERP_EXTERNREF) ||
      (limits.has_max && limits.max < limits.min))
    return INTERP_BAD_ARGS;
  *out = new_table(s, (uint8_t)elem, limits);
  return *out ? INTERP_OK : INTERP_NOMEM;
}

int64_t rt_table_grow(interp_store *s, interp_table *t, uint32_t delta,
                      void *init) {
  uint32_t old = t->size;
  if ((uint64_t)old + delta > t->max)
    return -1;
  if (delta == 0)
    return old;
  void **p = ialloc_pages_grow(&s->alloc, t->elems,
                               (size_t)old * sizeof(void *),
                               ((size_t)old + delta) * sizeof(void *));
  if (p == NULL)
    return -1;
  for (uint32_t i = old; init != NULL && i < old + delta; i++)
    p[i] = init; /* null slots are already zero */
  t->elems = p;
  t->size = old + delta;
  return old;
}

/* 'bits' holds mod_slots(type) slots. */
static interp_global *new_global(interp_store *s, uint8_t type, bool mut,
                                 const uint64_t *bits) {
  interp_global *g = ialloc_array(&s->alloc, 1, sizeof *g);
  if (g == NULL)
    return NULL;
  g->type = type;
  g->mutable_ = mut;
  g->bits[0] = bits[0];
  g->bits[1] = type == INTERP_V128 ? bits[1] : 0;
  g->owner = s;
  g->next = s->globals;
  s->globals = g;
  return g;
}

static bool valtype_ok(interp_valtype t) {
  return t == INTERP_I32 || t == INTERP_I64 || t == INTERP_F32 ||
         t == INTERP_F64 || t == INTERP_V128 || t == INTERP_FUNCREF ||
         t == INTERP_EXTERNREF;
}

interp_status interp_global_new(interp_store *s, interp_value init,
                                int mutable_, interp_global **out) {
  uint64_t bits[2];
  if (s == NULL || out == NULL || !valtype_ok(init.type))
    return INTERP_BAD_ARGS;
  rt_value_to_slots(&init, bits);
  *out = new_global(s, (uint8_t)init.type, mutable_ != 0, bits);
  return *out ? INTERP_OK : INTERP_NOMEM;
}

interp_value interp_global_get(const interp_global *g) {
  interp_value v;
  rt_slots_to_value(g->bits, g->type, &v);
  return v;
}

void interp_extern_type(const interp_extern *ext, interp_externtype *out) {
  memset(out, 0, sizeof *out);
  out->kind = ext->kind;
  switch (ext->kind) {
  case INTERP_EXTERN_FUNC:
    functype_of(ext->of.func->type, &out->func);
    break;
  case INTERP_EXTERN_TABLE:
    out->table.elem = (interp_valtype)ext->of.table->elem;
    out->table.limits = ext->of.table->limits;
    out->table.limits.min = ext->of.table->size;
    break;
  case INTERP_EXTERN_MEMORY:
    out->memory = ext->of.memory->limits;
    out->memory.min = ext->of.memory->pages;
    break;
  case INTERP_EXTERN_GLOBAL:
    out->global.type = (interp_valtype)ext->of.global->type;
    out->global.mutable_ = ext->of.global->mutable_;
    break;
  }
}

void interp_func_type(const interp_func *f, interp_functype *out) {
  functype_of(f->type, out);
}

/* ---- instantiation ---- */

/* Limits subtyping: the actual extern (current size, declared max) must fit
** the import's declared limits. */
static bool limits_match(uint32_t size, const interp_limits *have,
                         const mod_limits *want) {
  if (size < want->min)
    return false;
  if (!want->has_max)
    return true;
  return have->has_max && have->max <= want->max;
}

static interp_status link_fail(interp_error *err, const mod_import *im,
                               const char *why) {
  return ip_fail(err, INTERP_UNLINKABLE, "%s: \"%.*s\" \"%.*s\"", why,
                 (int)im->module.len, im->module.bytes, (int)im->name.len,
                 im->name.bytes);
}

static bool owned_by(const interp_store *s, const interp_extern *e) {
  switch (e->kind) {
  case INTERP_EXTERN_FUNC: return e->of.func->owner == s;
  case INTERP_EXTERN_TABLE: return e->of.table->owner == s;
  case INTERP_EXTERN_MEMORY: return e->of.memory->owner == s;
  case INTERP_EXTERN_GLOBAL: return e->of.global->owner == s;
  }
  return false;
}

static interp_status link_one(interp_store *s, interp_instance *in,
                              const mod_import *im, const interp_extern *ext,
                              uint32_t counts[4], interp_error *err) {
  if (ext->kind != im->kind || ext->of.func == NULL)
    return link_fail(err, im, "incompatible import type");
  if (!owned_by(s, ext))
    return link_fail(err, im, "import from another store");
  switch (im->kind) {
  case INTERP_EXTERN_FUNC:
    if (ext->of.func->type != in->types[im->of.func])
      return link_fail(err, im, "incompatible import type");
    in->funcs[counts[0]++] = ext->of.func;
    break;
  case INTERP_EXTERN_TABLE: {
    interp_table *t = ext->of.table;
    if (t->elem != im->of.table.elem ||
        !limits_match(t->size, &t->limits, &im->of.table.limits))
      return link_fail(err, im, "incompatible import type");
    in->tables[counts[1]++] = t;
    break;
  }
  case INTERP_EXTERN_MEMORY: {
    interp_memory *m = ext->of.memory;
    if (!limits_match(m->pages, &m->limits, &im->of.memory))
      return link_fail(err, im, "incompatible import type");
    in->memories[counts[2]++] = m;
    break;
  }
  case INTERP_EXTERN_GLOBAL: {
    interp_global *g = ext->of.global;
    if (g->type != im->of.global.type || g->mutable_ != im->of.global.mutable_)
      return link_fail(err, im, "incompatible import type");
    in->globals[counts[3]++] = g;
    break;
  }
  }
  return INTERP_OK;
}

static interp_status link_imports(interp_store *s, interp_instance *in,
                                  interp_resolve_fn resolve, void *ud,
                                  interp_error *err) {
  const interp_module *m = in->mod;
  uint32_t counts[4] = {0, 0, 0, 0};
  for (uint32_t i = 0; i < m->nimports; i++) {
    interp_import_desc d;
    interp_extern ext;
    memset(&ext, 0, sizeof ext);
    interp_module_import(m, i, &d);
    if (resolve == NULL || resolve(ud, &d, &ext) != INTERP_OK)
      return link_fail(err, &m->imports[i], "unknown import");
    interp_status st = link_one(s, in, &m->imports[i], &ext, counts, err);
    if (st != INTERP_OK)
      return st;
  }
  return INTERP_OK;
}

/* The value of a constant expression, in slot form (out[1] for v128). */
static void eval_const_slots(const interp_instance *in,
                             const mod_constexpr *e, uint64_t out[2]) {
  out[1] = 0;
  switch (e->op) {
  case OP_REF_FUNC:
    out[0] = (uint64_t)(uintptr_t)in->funcs[e->value];
    return;
  case OP_REF_NULL:
    out[0] = 0;
    return;
  case OP_GLOBAL_GET:
    out[0] = in->globals[e->value]->bits[0];
    out[1] = in->globals[e->value]->bits[1];
    return;
  case OP_I32_CONST:
  case OP_F32_CONST:
    out[0] = (uint32_t)e->value;
    return;
  default:
    out[0] = e->value;
    out[1] = e->value_hi;
    return;
  }
}

/* The same for the one-slot values of offsets and element items. */
static uint64_t eval_const(const interp_instance *in, const mod_constexpr *e) {
  uint64_t v[2];
  eval_const_slots(in, e, v);
  return v[0];
}

static interp_status alloc_arrays(interp_store *s, interp_instance *in) {
  const interp_module *m = in->mod;
  ialloc *a = &s->alloc;
#define ARR(field, n)                                                          \
  if ((n) && (in->field = ialloc_array(a, (n), sizeof *in->field)) == NULL)    \
    return INTERP_NOMEM;
  ARR(funcs, m->nfuncs)
  ARR(tables, m->ntables)
  ARR(memories, m->nmemories)
  ARR(globals, m->nglobals)
  ARR(elems, m->nelems)
  ARR(data_len, m->ndatas)
#undef ARR
  return INTERP_OK;
}

static interp_status define_all(interp_store *s, interp_instance *in,
                                interp_error *err) {
  const interp_module *m = in->mod;
  for (uint32_t i = m->nimported_funcs; i < m->nfuncs; i++) {
    interp_func *f = new_func(s, in->types[m->func_types[i]]);
    if (f == NULL)
      return INTERP_NOMEM;
    f->inst = in;
    f->body = i - m->nimported_funcs;
    f->code = m->funcs[f->body].compiled; /* NULL until the first call */
    in->funcs[i] = f;
  }
  for (uint32_t i = m->nimported_tables; i < m->ntables; i++) {
    interp_limits l;
    limits_of(&m->tables[i].limits, &l);
    if (l.min > s->cfg.max_table_elems)
      return ip_fail(err, INTERP_NOMEM,
                     "table of %u elements is over the limit of %u", l.min,
                     s->cfg.max_table_elems);
    if ((in->tables[i] = new_table(s, m->tables[i].elem, l)) == NULL)
      return INTERP_NOMEM;
  }
  for (uint32_t i = m->nimported_memories; i < m->nmemories; i++) {
    interp_limits l;
    limits_of(&m->memories[i], &l);
    if (l.min > s->cfg.max_memory_pages)
      return ip_fail(err, INTERP_NOMEM,
                     "memory of %u pages is over the limit of %u pages",
                     l.min, s->cfg.max_memory_pages);
    if ((in->memories[i] = new_memory(s, l)) == NULL)
      return INTERP_NOMEM;
  }
  for (uint32_t i = m->nimported_globals; i < m->nglobals; i++) {
    const mod_global *g = &m->globals[i - m->nimported_globals];
    uint64_t init[2];
    eval_const_slots(in, &g->init, init);
    in->globals[i] = new_global(s, g->type.type, g->type.mutable_, init);
    if (in->globals[i] == NULL)
      return INTERP_NOMEM;
  }
  return INTERP_OK;
}

static interp_status init_segments(interp_store *s, interp_instance *in) {
  const interp_module *m = in->mod;
  for (uint32_t i = 0; i < m->nelems; i++) {
    const mod_elem *e = &m->elems[i];
    rt_elem *r = &in->elems[i];
    if (e->count &&
        (r->refs = ialloc_array(&s->alloc, e->count, sizeof(void *))) == NULL)
      return INTERP_NOMEM;
    r->cap = e->count;
    r->count = e->count;
    for (uint32_t k = 0; k < e->count; k++)
      r->refs[k] = (void *)(uintptr_t)eval_const(in, &e->items[k]);
  }
  for (uint32_t i = 0; i < m->ndatas; i++)
    in->data_len[i] = m->datas[i].len;
  return INTERP_OK;
}

/* Active segments in order, then start. A trap leaves earlier writes. */
static interp_status run_segments(interp_store *s, interp_instance *in,
                                  interp_error *err) {
  const interp_module *m = in->mod;
  for (uint32_t i = 0; i < m->nelems; i++) {
    const mod_elem *e = &m->elems[i];
    if (e->mode == MOD_SEG_ACTIVE) {
      uint32_t off = (uint32_t)eval_const(in, &e->offset);
      interp_trap t = rt_table_init(in->tables[e->table], &in->elems[i], off,
                                    0, e->count);
      if (t != INTERP_TRAP_NONE)
        goto trapped_elem;
      in->elems[i].count = 0;
      continue;
    trapped_elem:
      ip_trap(err, t);
      if (err)
        err->status = INTERP_UNINSTANTIABLE;
      return INTERP_UNINSTANTIABLE;
    }
    if (e->mode == MOD_SEG_DECLARATIVE)
      in->elems[i].count = 0;
  }
  for (uint32_t i = 0; i < m->ndatas; i++) {
    const mod_data *d = &m->datas[i];
    if (d->mode != MOD_SEG_ACTIVE)
      continue;
    uint32_t off = (uint32_t)eval_const(in, &d->offset);
    interp_trap t = rt_memory_init(in->memories[d->memory], d->bytes, d->len,
                                   off, 0, d->len);
    if (t != INTERP_TRAP_NONE) {
      ip_trap(err, t);
      if (err)
        err->status = INTERP_UNINSTANTIABLE;
      return INTERP_UNINSTANTIABLE;
    }
    in->data_len[i] = 0;
  }
  return INTERP_OK;
}

static interp_status run_start(interp_store *s, interp_instance *in,
                               interp_error *err) {
  if (!in->mod->has_start)
    return INTERP_OK;
  uint64_t slots[1];
  interp_status st = rt_invoke(s, in->funcs[in->mod->start], slots, err);
  if (st == INTERP_TRAP) {
    if (err)
      err->status = INTERP_UNINSTANTIABLE;
    return INTERP_UNINSTANTIABLE;
  }
  return st;
}

interp_status interp_instantiate(interp_store *s, const interp_module *m,
                                 interp_resolve_fn resolve, void *ud,
                                 interp_instance **out, interp_error *err) {
  ip_clear(err);
  if (s == NULL || m == NULL || out == NULL || store_of(m) != s)
    return ip_fail(err, INTERP_BAD_ARGS, "interp_instantiate: bad arguments");
  *out = NULL;
  interp_instance *in = ialloc_array(&s->alloc, 1, sizeof *in);
  if (in == NULL)
    return ialloc_fail(&s->alloc, err, "instantiating");
  in->mod = m;
  in->types = module_rec_of(m)->types;
  in->next = s->instances;
  s->instances = in;
  interp_status st = alloc_arrays(s, in);
  if (st == INTERP_OK)
    st = link_imports(s, in, resolve, ud, err);
  else
    ialloc_fail(&s->alloc, err, "instantiating");
  if (st != INTERP_OK)
    return st;
  if ((st = define_all(s, in, err)) != INTERP_OK ||
      (st = init_segments(s, in)) != INTERP_OK)
    return err && err->status == st
               ? st
               : ialloc_fail(&s->alloc, err, "instantiating");
  in->mem = m->nmemories ? in->memories[0] : &s->no_memory;
  if ((st = run_segments(s, in, err)) != INTERP_OK)
    return st;
  if ((st = run_start(s, in, err)) != INTERP_OK)
    return st;
  *out = in;
  return INTERP_OK;
}

interp_status interp_instance_export(const interp_instance *in,
                                     const char *name, size_t name_len,
                                     interp_extern *out) {
  if (in == NULL || out == NULL || (name == NULL && name_len))
    return INTERP_BAD_ARGS;
  const interp_module *m = in->mod;
  for (uint32_t i = 0; i < m->nexports; i++) {
    const mod_export *e = &m->exports[i];
    if (e->name.len != name_len ||
        (name_len && memcmp(e->name.bytes, name, name_len) != 0))
      continue;
    out->kind = e->kind;
    switch (e->kind) {
    case INTERP_EXTERN_FUNC: out->of.func = in->funcs[e->index]; break;
    case INTERP_EXTERN_TABLE: out->of.table = in->tables[e->index]; break;
    case INTERP_EXTERN_MEMORY: out->of.memory = in->memories[e->index]; break;
    case INTERP_EXTERN_GLOBAL: out->of.global = in->globals[e->index]; break;
    }
    return INTERP_OK;
  }
  return INTERP_NOT_FOUND;
}

/* ---- calls ---- */

static interp_status check_args(const rt_type *t, const interp_value *args,
                                uint32_t nargs, uint32_t nresults,
                                interp_error *err) {
  if (nargs != t->nparams || nresults < t->nresults ||
      (nargs && args == NULL))
    return ip_fail(err, INTERP_BAD_ARGS,
                   "function takes %u arguments and returns %u results",
                   t->nparams, t->nresults);
  for (uint32_t i = 0; i < nargs; i++)
    if (args[i].type != t->vtypes[i])
      return ip_fail(err, INTERP_BAD_ARGS, "argument %u has the wrong type",
                     i);
  return INTERP_OK;
}

interp_status interp_call(interp_store *s, interp_func *f,
                          const interp_value *args, uint32_t nargs,
                          interp_value *results, uint32_t nresults,
                          interp_error *err) {
  ip_clear(err);
  if (s == NULL || f == NULL || (nresults && results == NULL))
    return ip_fail(err, INTERP_BAD_ARGS, "interp_call: bad arguments");
  if (f->owner != s)
    return ip_fail(err, INTERP_BAD_ARGS,
                   "interp_call: the function belongs to another store");
  const rt_type *t = f->type;
  interp_status st = check_args(t, args, nargs, nresults, err);
  if (st != INTERP_OK)
    return st;
  uint64_t small[32], *slots = small;
  size_t n = t->param_slots > t->result_slots ? t->param_slots
                                               : t->result_slots;
  if (n > 32 && (slots = ialloc_array(&s->alloc, n, sizeof *slots)) == NULL)
    return ialloc_fail(&s->alloc, err, "calling");
  for (uint32_t i = 0, at = 0; i < nargs; at += mod_slots(t->types[i++]))
    rt_value_to_slots(&args[i], slots + at);
  st = rt_invoke(s, f, slots, err);
  if (st == INTERP_OK)
    for (uint32_t i = 0, at = 0; i < t->nresults; i++) {
      uint8_t type = t->types[t->nparams + i];
      rt_slots_to_value(slots + at, type, &results[i]);
      at += mod_slots(type);
    }
  if (slots != small)
    ialloc_free_array(&s->alloc, slots, n, sizeof *slots);
  return st;
}
