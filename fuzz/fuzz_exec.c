/*
** fuzz_exec.c: load, link every import to a dummy of the right type, and
** call every exported function, under small limits
** (fuel, memory pages, call depth, value stack, heap). Any valid module
** must end each call as a result, a trap or an out-of-memory; a crash,
** a sanitizer report, a hang past the fuel or a broken invariant is a
** finding.
**
** Bodies are compiled as the interpreter does by default, at their first
** call (the start function, an export, a call or call_indirect from a
** running body), under the memory budget: compiling mid-run and failing
** to are fuzzed here. fuzz_module compiles every body at load.
**
** Arguments are zeros, unless the module has a custom section named
** "args": then they are its bytes, taken in order and cycled (a v128 takes
** 16, an i64 or f64 8, an i32 or f32 4, little endian). A custom
** section's contents are the one part of a module that no mutation makes
** invalid, so the fuzzer varies SIMD lanes, shift counts and NaN bits
** there without breaking the code that uses them.
*/
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"

enum {
  FUEL = 100000,        /* per call; the loop is the budget's whole point */
  MAX_PAGES = 16,
  MAX_DEPTH = 200,
  MAX_SLOTS = 1 << 16,
  MAX_ELEMS = 10000,
  MAX_CALLS = 64        /* exports called per input */
};

static interp_value zero_of(interp_valtype t) {
  interp_value v;
  memset(&v, 0, sizeof v);
  v.type = t;
  return v;
}

/* The "args" section's bytes; none: every argument is zero. */
typedef struct arg_source {
  const uint8_t *bytes;
  size_t len, next;
} arg_source;

static uint64_t next_bytes(arg_source *a, unsigned n) {
  uint64_t bits = 0;
  for (unsigned i = 0; i < n && a->len != 0; i++)
    bits |= (uint64_t)a->bytes[a->next++ % a->len] << (8 * i);
  return bits;
}

static interp_value arg_of(interp_valtype t, arg_source *a) {
  interp_value v = zero_of(t);
  switch (t) {
  case INTERP_I32:
  case INTERP_F32:
    v.of.i32 = (uint32_t)next_bytes(a, 4);
    break;
  case INTERP_I64:
  case INTERP_F64:
    v.of.i64 = next_bytes(a, 8);
    break;
  case INTERP_V128:
    for (unsigned i = 0; i < sizeof v.of.v128; i++)
      v.of.v128[i] = (uint8_t)next_bytes(a, 1);
    break;
  case INTERP_FUNCREF:
  case INTERP_EXTERNREF:
    break; /* null: a fuzzer cannot name a live reference */
  }
  return v;
}

static arg_source args_section(const interp_module *m) {
  arg_source a = {NULL, 0, 0};
  if (interp_module_custom_section(m, "args", 4, &a.bytes, &a.len) != INTERP_OK)
    a.len = 0;
  return a;
}

/* Every dummy import function returns zeros of its result types. 'ud' is
** its functype, whose arrays belong to the module (so to the store). */
static interp_status dummy_func(interp_caller *caller, void *ud,
                                const interp_value *args,
                                interp_value *results) {
  const interp_functype *ft = ud;
  (void)caller; (void)args;
  for (uint32_t i = 0; i < ft->nresults; i++)
    results[i] = zero_of(ft->results[i]);
  return INTERP_OK;
}

typedef struct linker {
  interp_store *store;
  interp_functype *types;   /* one per import, kept alive for dummy_func */
  uint32_t next;
} linker;

static interp_status make_dummy(linker *l, const interp_import_desc *imp,
                                interp_extern *out) {
  const interp_externtype *t = &imp->type;
  out->kind = t->kind;
  switch (t->kind) {
  case INTERP_EXTERN_FUNC: {
    interp_functype *ft = &l->types[l->next++];
    *ft = t->func;
    return interp_host_func_new(l->store, ft, dummy_func, ft, &out->of.func);
  }
  case INTERP_EXTERN_TABLE:
    return interp_table_new(l->store, t->table.elem, t->table.limits,
                            &out->of.table);
  case INTERP_EXTERN_MEMORY:
    return interp_memory_new(l->store, t->memory, &out->of.memory);
  case INTERP_EXTERN_GLOBAL:
    return interp_global_new(l->store, zero_of(t->global.type),
                             t->global.mutable_, &out->of.global);
  }
  return INTERP_NOT_FOUND;
}

static interp_status resolve(void *ud, const interp_import_desc *imp,
                             interp_extern *out) {
  return make_dummy(ud, imp, out);
}

static void check_call_status(interp_status s, const interp_error *err) {
  switch (s) {
  case INTERP_OK:
    return;
  case INTERP_TRAP:
  case INTERP_NOMEM:
    fuzz_check_error("interp_call", s, err);
    return;
  default:  /* BAD_ARGS would mean the API lied about the type */
    fuzz_fail("interp_call returned an unexpected status", s, err);
  }
}

static void call_export(interp_store *store, interp_func *f, arg_source *a) {
  interp_functype ft;
  interp_error err;
  interp_func_type(f, &ft);
  interp_value *args = calloc(ft.nparams + 1, sizeof *args);
  interp_value *res = calloc(ft.nresults + 1, sizeof *res);
  if (args == NULL || res == NULL)
    goto done;
  for (uint32_t i = 0; i < ft.nparams; i++)
    args[i] = arg_of(ft.params[i], a);
  interp_store_set_fuel(store, FUEL);
  memset(&err, 0, sizeof err);
  check_call_status(interp_call(store, f, args, ft.nparams, res, ft.nresults,
                                &err), &err);
done:
  free(args);
  free(res);
}

static void call_exports(interp_store *store, const interp_module *m,
                         const interp_instance *inst) {
  uint32_t n = interp_module_export_count(m), calls = 0;
  arg_source a = args_section(m);
  for (uint32_t i = 0; i < n && calls < MAX_CALLS; i++) {
    interp_export_desc d;
    interp_extern ext;
    interp_module_export(m, i, &d);
    if (d.type.kind != INTERP_EXTERN_FUNC)
      continue;
    if (interp_instance_export(inst, d.name, d.name_len, &ext) != INTERP_OK ||
        ext.kind != INTERP_EXTERN_FUNC)
      fuzz_fail("a described export cannot be found", INTERP_NOT_FOUND, NULL);
    call_export(store, ext.of.func, &a);
    calls++;
  }
}

static void check_instantiate_status(interp_status s, const interp_error *err) {
  switch (s) {
  case INTERP_OK:
    return;
  case INTERP_UNLINKABLE:      /* a dummy the limits refuse, e.g. 1000 pages */
  case INTERP_UNINSTANTIABLE:  /* a segment or the start function trapped */
  case INTERP_NOMEM:
    fuzz_check_error("interp_instantiate", s, err);
    return;
  default:
    fuzz_fail("interp_instantiate returned an unexpected status", s, err);
  }
}

/* Load, link and call. The caller frees the store, then l->types, which
** the store's dummy functions point into. */
static void run(linker *l, const uint8_t *data, size_t size) {
  interp_module *m = NULL;
  interp_instance *inst = NULL;
  interp_error err = {0};
  if (interp_module_load(l->store, data, size, &m, &err) != INTERP_OK)
    return;  /* fuzz_module judges load failures */
  l->types = calloc(interp_module_import_count(m) + 1, sizeof *l->types);
  if (l->types == NULL)
    return;
  interp_store_set_fuel(l->store, FUEL);  /* the start function runs here */
  interp_status s = interp_instantiate(l->store, m, resolve, l, &inst, &err);
  check_instantiate_status(s, &err);
  if (s == INTERP_OK)
    call_exports(l->store, m, inst);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_heap heap = {0, (size_t)64 << 20};
  interp_config cfg = {.fuel = FUEL, .max_memory_pages = MAX_PAGES,
                       .max_table_elems = MAX_ELEMS,
                       .max_call_depth = MAX_DEPTH,
                       .max_stack_slots = MAX_SLOTS,
                       /* Below the heap's cap, so the budget refuses first
                       ** and its own paths are fuzzed. */
                       .max_bytes = (uint64_t)48 << 20,
                       .alloc = fuzz_alloc, .alloc_ud = &heap};
  linker l = {NULL, NULL, 0};
  if (interp_store_new(&cfg, &l.store) != INTERP_OK)
    return 0;
  run(&l, data, size);
  interp_store_free(l.store);
  free(l.types);
  if (heap.live != 0)
    fuzz_fail("store freed but bytes still live", INTERP_OK, NULL);
  return 0;
}
