/*
** test_api.c: the public interp.h API, driven through .wat fixtures
** (tests/interp/wat/api_*.wat, compiled by wat2wasm at build time).
**
** Each test is named after the behaviour it proves and asserts the exact
** status, trap kind and message (trap messages are the spec suite's texts;
** the interpreter may add detail after them, as the suite allows).
*/
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixtures.h"

/* ---- fixture plumbing ---- */

static interp_status refuse_all(void *ud, const interp_import_desc *imp,
                                interp_extern *out) {
  (void)ud; (void)imp; (void)out;
  return INTERP_NOT_FOUND;
}

/* A store and one instance of the named fixture, which imports nothing. */
static interp_instance *open_fixture(const interp_config *cfg,
                                     const char *name, interp_store **s) {
  interp_instance *inst = NULL;
  interp_error err;
  cr_assert_eq(interp_store_new(cfg, s), INTERP_OK);
  interp_module *m = load(*s, name);
  cr_assert_eq(interp_instantiate(*s, m, refuse_all, NULL, &inst, &err),
               INTERP_OK, "instantiate %s: %s", name, err.message);
  return inst;
}

static interp_value refv(interp_valtype t, void *p) {
  return (interp_value){.type = t, .of.ref = p};
}

/* Call an export; returns the status and leaves the message in *err. */
static interp_status call(interp_store *s, const interp_instance *inst,
                          const char *name, const interp_value *args,
                          uint32_t nargs, interp_value *res, uint32_t nres,
                          interp_error *err) {
  return interp_call(s, func(inst, name), args, nargs, res, nres, err);
}

/* Call an export that must succeed with one i32 result. */
static uint32_t call_i32(interp_store *s, const interp_instance *inst,
                         const char *name, const interp_value *args,
                         uint32_t nargs) {
  interp_value r = {0};
  interp_error err;
  interp_status st = call(s, inst, name, args, nargs, &r, 1, &err);
  cr_assert_eq(st, INTERP_OK, "%s: %s", name, err.message);
  cr_assert_eq(r.type, INTERP_I32);
  return r.of.i32;
}

static int starts_with(const char *s, const char *prefix) {
  return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* The call traps with 'kind' and the kind's spec message. */
static void assert_traps(interp_store *s, const interp_instance *inst,
                         const char *name, const interp_value *args,
                         uint32_t nargs, uint32_t nres, interp_trap kind) {
  interp_value r[2];
  interp_error err;
  interp_status st = call(s, inst, name, args, nargs, r, nres, &err);
  cr_assert_eq(st, INTERP_TRAP, "%s: status %s", name, interp_status_name(st));
  cr_assert_eq(err.status, INTERP_TRAP);
  cr_assert_eq(err.trap, kind, "%s: trap %d (%s), expected %d", name,
               err.trap, err.message, kind);
  cr_assert(starts_with(err.message, interp_trap_message(kind)),
            "%s: message \"%s\" should start with \"%s\"", name, err.message,
            interp_trap_message(kind));
}

/* ---- exports and calls ---- */

Test(api_exports, lookup_tells_apart_names_that_differ_after_a_nul_byte) {
  interp_store *s;
  interp_instance *inst = open_fixture(NULL, "api_exports", &s);
  interp_extern a, anb, an;
  cr_assert_eq(interp_instance_export(inst, "a", 1, &a), INTERP_OK);
  cr_assert_eq(interp_instance_export(inst, "a\0b", 3, &anb), INTERP_OK);
  cr_assert_eq(interp_instance_export(inst, "a\0", 2, &an), INTERP_NOT_FOUND);
  interp_value r;
  interp_error err;
  cr_assert_eq(interp_call(s, a.of.func, NULL, 0, &r, 1, &err), INTERP_OK);
  cr_assert_eq(r.of.i32, 1);
  cr_assert_eq(interp_call(s, anb.of.func, NULL, 0, &r, 1, &err), INTERP_OK);
  cr_assert_eq(r.of.i32, 2);
  interp_store_free(s);
}

Test(api_exports, unknown_export_is_not_found) {
  interp_store *s;
  interp_instance *inst = open_fixture(NULL, "api_exports", &s);
  interp_extern ext;
  cr_assert_eq(interp_instance_export(inst, "nope", 4, &ext), INTERP_NOT_FOUND);
  cr_assert_eq(interp_instance_export(inst, "ad", 2, &ext), INTERP_NOT_FOUND);
  interp_store_free(s);
}

Test(api_exports, module_describes_exports_with_lengths_and_types) {
  interp_store *s;
  cr_assert_eq(interp_store_new(NULL, &s), INTERP_OK);
  interp_module *m = load(s, "api_exports");
  int seen_nul = 0, seen_mem = 0, seen_global = 0;
  for (uint32_t i = 0; i < interp_module_export_count(m); i++) {
    interp_export_desc d;
    interp_module_export(m, i, &d);
    if (d.name_len == 3 && memcmp(d.name, "a\0b", 3) == 0) {
      seen_nul = 1;
      cr_assert_eq(d.type.kind, INTERP_EXTERN_FUNC);
      cr_assert_eq(d.type.func.nresults, 1);
    } else if (d.name_len == 3 && memcmp(d.name, "mem", 3) == 0) {
      seen_mem = 1;
      cr_assert_eq(d.type.kind, INTERP_EXTERN_MEMORY);
      cr_assert_eq(d.type.memory.min, 1);
      cr_assert_eq(d.type.memory.has_max, 0);
    } else if (d.name_len == 1 && d.name[0] == 'g') {
      seen_global = 1;
      cr_assert_eq(d.type.kind, INTERP_EXTERN_GLOBAL);
      cr_assert_eq(d.type.global.type, INTERP_I32);
      cr_assert_eq(d.type.global.mutable_, 1);
    }
  }
  cr_assert_eq(interp_module_export_count(m), 9);
  cr_assert(seen_nul && seen_mem && seen_global);
  interp_store_free(s);
}

Test(api_exports, exported_global_reads_its_initial_value) {
  interp_store *s;
  interp_instance *inst = open_fixture(NULL, "api_exports", &s);
  interp_extern g;
  cr_assert_eq(interp_instance_export(inst, "g", 1, &g), INTERP_OK);
  cr_assert_eq(g.kind, INTERP_EXTERN_GLOBAL);
  interp_value v = interp_global_get(g.of.global);
  cr_assert_eq(v.type, INTERP_I32);
  cr_assert_eq(v.of.i32, 42);
  interp_store_free(s);
}

Test(api_exports, call_with_too_few_arguments_is_bad_args) {
  interp_store *s;
  interp_instance *inst = open_fixture(NULL, "api_exports", &s);
  interp_value args[1] = {i32v(1)}, r;
  interp_error err;
  cr_assert_eq(call(s, inst, "add", args, 1, &r, 1, &err), INTERP_BAD_ARGS);
  cr_assert_eq(err.status, INTERP_BAD_ARGS);
  cr_assert_neq(err.message[0], '\0', "a bad call says why");
  interp_store_free(s);
}

Test(api_exports, call_with_wrong_argument_type_is_bad_args) {
  interp_store *s;
  interp_instance *inst = open_fixture(NULL, "api_exports", &s);
  interp_value args[2] = {i32v(1), i64v(2)}, r;
  interp_error err;
  cr_assert_eq(call(s, inst, "add", args, 2, &r, 1, &err), INTERP_BAD_ARGS);
  cr_assert_neq(err.message[0], '\0');
  interp_store_free(s);
}

Test(api_exports, call_with_too_little_room_for_results_is_bad_args) {
  interp_store *s;
  interp_instance *inst = open_fixture(NULL, "api_exports", &s);
  interp_value args[2] = {i32v(1), i64v(2)}, r[1];
  interp_error err;
  cr_assert_eq(call(s, inst, "swap", args, 2, r, 1, &err), INTERP_BAD_ARGS);
  cr_assert_neq(err.message[0], '\0');
  interp_store_free(s);
}

Test(api_exports, bad_call_leaves_the_store_usable) {
  interp_store *s;
  interp_instance *inst = open_fixture(NULL, "api_exports", &s);
  interp_value r;
  interp_error err;
  cr_assert_eq(call(s, inst, "add", NULL, 0, &r, 1, &err), INTERP_BAD_ARGS);
  interp_value args[2] = {i32v(40), i32v(2)};
  cr_assert_eq(call_i32(s, inst, "add", args, 2), 42);
  interp_store_free(s);
}

Test(api_exports, multi_value_results_come_back_in_order) {
  interp_store *s;
  interp_instance *inst = open_fixture(NULL, "api_exports", &s);
  interp_value args[2] = {i32v(7), i64v(0x123456789ull)}, r[4];
  interp_error err;
  cr_assert_eq(call(s, inst, "swap", args, 2, r, 2, &err), INTERP_OK);
  cr_assert_eq(r[0].type, INTERP_I64);
  cr_assert_eq(r[0].of.i64, 0x123456789ull);
  cr_assert_eq(r[1].type, INTERP_I32);
  cr_assert_eq(r[1].of.i32, 7);
  cr_assert_eq(call(s, inst, "four", NULL, 0, r, 4, &err), INTERP_OK);
  cr_assert_eq(r[0].of.i32, 0xffffffffu);
  cr_assert_eq(r[1].of.i64, 0x100000000ull);
  cr_assert_eq(r[2].type, INTERP_F32);
  cr_assert_eq(r[2].of.f32, 0x3fc00000u, "1.5f");
  cr_assert_eq(r[3].type, INTERP_F64);
  cr_assert_eq(r[3].of.f64, 0xc002000000000000ull, "-2.25");
  interp_value dm[2] = {i32v(17), i32v(5)};
  cr_assert_eq(call(s, inst, "divmod", dm, 2, r, 2, &err), INTERP_OK);
  cr_assert_eq(r[0].of.i32, 3);
  cr_assert_eq(r[1].of.i32, 2);
  interp_store_free(s);
}

/* ---- imports ---- */

/* What api_imports.wat links against: a host function and a provider. */
typedef struct linker {
  interp_instance *provider;
  interp_func *add1;
} linker;

static interp_status host_add1(interp_caller *caller, void *ud,
                               const interp_value *args, interp_value *res) {
  (void)caller; (void)ud;
  res[0] = i32v(args[0].of.i32 + 1);
  return INTERP_OK;
}

static interp_status link_imports(void *ud, const interp_import_desc *imp,
                                  interp_extern *out) {
  linker *l = ud;
  if (imp->module_len == 4 && memcmp(imp->module, "host", 4) == 0) {
    out->kind = INTERP_EXTERN_FUNC;
    out->of.func = l->add1;
    return INTERP_OK;
  }
  if (imp->module_len == 3 && memcmp(imp->module, "env", 3) == 0)
    return interp_instance_export(l->provider, imp->name, imp->name_len, out);
  return INTERP_NOT_FOUND;
}

static const interp_valtype i32_type[] = {INTERP_I32};

static void make_linker(interp_store *s, linker *l) {
  interp_functype ft = {1, 1, i32_type, i32_type};
  interp_error err;
  cr_assert_eq(interp_host_func_new(s, &ft, host_add1, NULL, &l->add1),
               INTERP_OK);
  cr_assert_eq(interp_instantiate(s, load(s, "api_provider"), refuse_all, NULL,
                                  &l->provider, &err),
               INTERP_OK, "%s", err.message);
}

Test(api_imports, module_describes_its_imports_in_order) {
  interp_store *s;
  cr_assert_eq(interp_store_new(NULL, &s), INTERP_OK);
  interp_module *m = load(s, "api_imports");
  cr_assert_eq(interp_module_import_count(m), 5);
  interp_import_desc d;
  interp_module_import(m, 0, &d);
  cr_assert(d.module_len == 4 && memcmp(d.module, "host", 4) == 0);
  cr_assert(d.name_len == 4 && memcmp(d.name, "add1", 4) == 0);
  cr_assert_eq(d.type.kind, INTERP_EXTERN_FUNC);
  cr_assert_eq(d.type.func.nparams, 1);
  cr_assert_eq(d.type.func.params[0], INTERP_I32);
  interp_module_import(m, 3, &d);
  cr_assert_eq(d.type.kind, INTERP_EXTERN_TABLE);
  cr_assert_eq(d.type.table.elem, INTERP_FUNCREF);
  cr_assert_eq(d.type.table.limits.min, 2);
  interp_store_free(s);
}

Test(api_imports, host_function_and_other_instance_exports_are_linked) {
  interp_store *s;
  linker l;
  interp_instance *inst;
  interp_error err;
  cr_assert_eq(interp_store_new(NULL, &s), INTERP_OK);
  make_linker(s, &l);
  cr_assert_eq(interp_instantiate(s, load(s, "api_imports"), link_imports, &l,
                                  &inst, &err),
               INTERP_OK, "%s", err.message);
  interp_value a = i32v(41);
  cr_assert_eq(call_i32(s, inst, "call_host", &a, 1), 42);
  cr_assert_eq(call_i32(s, inst, "call_f", NULL, 0), 99);
  cr_assert_eq(call_i32(s, inst, "get_g", NULL, 0), 1234);
  a = i32v(1);
  cr_assert_eq(call_i32(s, inst, "call_tab", &a, 1), 99, "provider's elem");
  cr_assert_eq(call_i32(s, inst, "load8", &a, 1), 'Y', "provider's data");
  interp_value st[2] = {i32v(3), i32v('!')};
  cr_assert_eq(call(s, inst, "store8", st, 2, NULL, 0, &err), INTERP_OK);
  interp_extern mem;
  cr_assert_eq(interp_instance_export(l.provider, "mem", 3, &mem), INTERP_OK);
  cr_assert_eq(interp_memory_data(mem.of.memory)[3], '!', "memory is shared");
  interp_store_free(s);
}

Test(api_imports, import_of_wrong_global_type_is_unlinkable) {
  interp_store *s;
  linker l;
  interp_instance *inst = NULL;
  interp_error err;
  cr_assert_eq(interp_store_new(NULL, &s), INTERP_OK);
  make_linker(s, &l);
  interp_status st = interp_instantiate(s, load(s, "api_unlinkable"),
                                        link_imports, &l, &inst, &err);
  cr_assert_eq(st, INTERP_UNLINKABLE);
  cr_assert_eq(err.status, INTERP_UNLINKABLE);
  cr_assert(starts_with(err.message, "incompatible import type"),
            "message: %s", err.message);
  cr_assert_not_null(strstr(err.message, "g"), "names the import: %s",
                     err.message);
  interp_store_free(s);
}

Test(api_imports, import_the_resolver_refuses_is_unlinkable) {
  interp_store *s;
  interp_instance *inst = NULL;
  interp_error err;
  cr_assert_eq(interp_store_new(NULL, &s), INTERP_OK);
  interp_status st = interp_instantiate(s, load(s, "api_imports"), refuse_all,
                                        NULL, &inst, &err);
  cr_assert_eq(st, INTERP_UNLINKABLE);
  cr_assert(starts_with(err.message, "unknown import"), "message: %s",
            err.message);
  interp_store_free(s);
}

/* ---- traps ---- */

Test(api_traps, unreachable_traps) {
  interp_store *s;
  interp_instance *inst = open_fixture(NULL, "api_traps", &s);
  assert_traps(s, inst, "unreachable", NULL, 0, 0, INTERP_TRAP_UNREACHABLE);
  interp_store_free(s);
}

Test(api_traps, integer_division_by_zero_traps) {
  interp_store *s;
  interp_instance *inst = open_fixture(NULL, "api_traps", &s);
  assert_traps(s, inst, "div_zero", NULL, 0, 1, INTERP_TRAP_DIV_ZERO);
  interp_store_free(s);
}

Test(api_traps, signed_division_overflow_traps) {
  interp_store *s;
  interp_instance *inst = open_fixture(NULL, "api_traps", &s);
  assert_traps(s, inst, "int_overflow", NULL, 0, 1, INTERP_TRAP_INT_OVERFLOW);
  interp_store_free(s);
}

Test(api_traps, truncating_nan_to_integer_traps) {
  interp_store *s;
  interp_instance *inst = open_fixture(NULL, "api_traps", &s);
  assert_traps(s, inst, "invalid_conversion", NULL, 0, 1,
               INTERP_TRAP_INVALID_CONVERSION);
  interp_store_free(s);
}

Test(api_traps, load_past_memory_end_traps) {
  interp_store *s;
  interp_instance *inst = open_fixture(NULL, "api_traps", &s);
  assert_traps(s, inst, "memory_oob", NULL, 0, 1, INTERP_TRAP_MEMORY_OOB);
  interp_store_free(s);
}

Test(api_traps, table_get_past_table_end_traps) {
  interp_store *s;
  interp_instance *inst = open_fixture(NULL, "api_traps", &s);
  assert_traps(s, inst, "table_oob", NULL, 0, 1, INTERP_TRAP_TABLE_OOB);
  interp_store_free(s);
}

Test(api_traps, call_indirect_past_table_end_is_undefined_element) {
  interp_store *s;
  interp_instance *inst = open_fixture(NULL, "api_traps", &s);
  assert_traps(s, inst, "undefined_element", NULL, 0, 1,
               INTERP_TRAP_UNDEFINED_ELEMENT);
  interp_store_free(s);
}

Test(api_traps, call_indirect_of_null_slot_is_uninitialized_element) {
  interp_store *s;
  interp_instance *inst = open_fixture(NULL, "api_traps", &s);
  assert_traps(s, inst, "uninitialized_element", NULL, 0, 1,
               INTERP_TRAP_UNINITIALIZED_ELEMENT);
  interp_store_free(s);
}

Test(api_traps, call_indirect_with_other_signature_is_type_mismatch) {
  interp_store *s;
  interp_instance *inst = open_fixture(NULL, "api_traps", &s);
  assert_traps(s, inst, "indirect_mismatch", NULL, 0, 1,
               INTERP_TRAP_INDIRECT_MISMATCH);
  interp_store_free(s);
}

Test(api_traps, endless_recursion_exhausts_the_call_stack) {
  interp_config cfg = {.max_call_depth = 500};
  interp_store *s;
  interp_instance *inst = open_fixture(&cfg, "api_traps", &s);
  interp_value a = i32v(0);
  assert_traps(s, inst, "recurse", &a, 1, 1, INTERP_TRAP_CALL_STACK_EXHAUSTED);
  interp_store_free(s);
}

Test(api_traps, endless_recursion_with_default_limits_exhausts_a_stack) {
  interp_store *s;
  interp_instance *inst = open_fixture(NULL, "api_traps", &s);
  interp_value a = i32v(0), r;
  interp_error err;
  cr_assert_eq(call(s, inst, "recurse", &a, 1, &r, 1, &err), INTERP_TRAP);
  cr_assert(err.trap == INTERP_TRAP_CALL_STACK_EXHAUSTED ||
                err.trap == INTERP_TRAP_VALUE_STACK_EXHAUSTED,
            "trap %d: %s", err.trap, err.message);
  interp_store_free(s);
}

Test(api_traps, endless_loop_runs_out_of_fuel_and_refuel_resumes_work) {
  interp_config cfg = {.fuel = 10000};
  interp_store *s;
  interp_instance *inst = open_fixture(&cfg, "api_traps", &s);
  assert_traps(s, inst, "spin", NULL, 0, 0, INTERP_TRAP_OUT_OF_FUEL);
  cr_assert_eq(interp_store_fuel_left(s), 0);
  interp_stats st;
  interp_store_stats(s, &st);
  cr_assert_geq(st.fuel_used, 10000);
  interp_store_set_fuel(s, 1000);
  cr_assert_eq(call_i32(s, inst, "ok", NULL, 0), 7);
  cr_assert_lt(interp_store_fuel_left(s), 1000, "the call was charged");
  interp_store_free(s);
}

Test(api_traps, store_stays_usable_after_every_kind_of_trap) {
  static const char *const names[] = {
      "unreachable", "div_zero", "int_overflow", "invalid_conversion",
      "memory_oob", "table_oob", "undefined_element",
      "uninitialized_element", "indirect_mismatch"};
  interp_store *s;
  interp_instance *inst = open_fixture(NULL, "api_traps", &s);
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    interp_value r[1];
    interp_error err;
    cr_assert_eq(call(s, inst, names[i], NULL, 0, r,
                      i == 0 ? 0 : 1, &err), INTERP_TRAP, "%s", names[i]);
    cr_assert_eq(call_i32(s, inst, "ok", NULL, 0), 7, "after %s", names[i]);
  }
  interp_store_free(s);
}

/* ---- memory ---- */

Test(api_memory, grow_beyond_max_memory_pages_returns_minus_one) {
  interp_config cfg = {.max_memory_pages = 2};
  interp_store *s;
  interp_instance *inst = open_fixture(&cfg, "api_memory", &s);
  interp_value one = i32v(1), zero = i32v(0);
  cr_assert_eq(call_i32(s, inst, "grow", &one, 1), 1, "old size in pages");
  cr_assert_eq(call_i32(s, inst, "grow", &one, 1), 0xffffffffu, "past the cap");
  cr_assert_eq(call_i32(s, inst, "grow", &zero, 1), 2);
  cr_assert_eq(call_i32(s, inst, "size", NULL, 0), 2);
  interp_extern mem;
  cr_assert_eq(interp_instance_export(inst, "mem", 3, &mem), INTERP_OK);
  cr_assert_eq(interp_memory_size(mem.of.memory), 2 * 65536);
  interp_store_free(s);
}

static interp_memory *memory_of(const interp_instance *inst) {
  interp_extern mem;
  cr_assert_eq(interp_instance_export(inst, "mem", 3, &mem), INTERP_OK);
  return mem.of.memory;
}

Test(api_memory, host_grow_adds_zeroed_pages_the_module_sees) {
  interp_store *s;
  interp_instance *inst = open_fixture(NULL, "api_memory", &s);
  interp_memory *m = memory_of(inst);
  uint32_t old = 0;
  cr_assert_eq(interp_memory_grow(s, m, 2, &old), INTERP_OK);
  cr_assert_eq(old, 1, "old size in pages");
  cr_assert_eq(interp_memory_size(m), 3 * 65536);
  cr_assert_eq(call_i32(s, inst, "size", NULL, 0), 3);
  cr_assert_eq(interp_memory_data(m)[3 * 65536 - 1], 0);
  cr_assert_eq(interp_memory_grow(s, m, 0, &old), INTERP_OK);
  cr_assert_eq(old, 3, "growing by 0 answers the size");
  interp_store_free(s);
}

Test(api_memory, host_grow_beyond_max_memory_pages_is_nomem_and_changes_nothing) {
  interp_config cfg = {.max_memory_pages = 2};
  interp_store *s;
  interp_instance *inst = open_fixture(&cfg, "api_memory", &s);
  interp_memory *m = memory_of(inst);
  uint32_t old = 99;
  cr_assert_eq(interp_memory_grow(s, m, 2, &old), INTERP_NOMEM);
  cr_assert_eq(old, 99);
  cr_assert_eq(interp_memory_size(m), 65536);
  cr_assert_eq(interp_memory_grow(s, m, 1, NULL), INTERP_OK);
  cr_assert_eq(call_i32(s, inst, "size", NULL, 0), 2);
  interp_store_free(s);
}

Test(api_memory, host_grow_of_another_stores_memory_is_bad_args) {
  interp_store *s, *other;
  interp_instance *inst = open_fixture(NULL, "api_memory", &s);
  cr_assert_eq(interp_store_new(NULL, &other), INTERP_OK);
  cr_assert_eq(interp_memory_grow(other, memory_of(inst), 1, NULL),
               INTERP_BAD_ARGS);
  cr_assert_eq(interp_memory_size(memory_of(inst)), 65536);
  interp_store_free(other);
  interp_store_free(s);
}

static uint8_t mem_byte(const interp_instance *inst, uint32_t at) {
  interp_extern mem;
  cr_assert_eq(interp_instance_export(inst, "mem", 3, &mem), INTERP_OK);
  return interp_memory_data(mem.of.memory)[at];
}

Test(api_memory, fill_copy_and_init_write_the_expected_bytes) {
  interp_store *s;
  interp_instance *inst = open_fixture(NULL, "api_memory", &s);
  interp_error err;
  interp_value fill[3] = {i32v(100), i32v(0xab), i32v(4)};
  cr_assert_eq(call(s, inst, "fill", fill, 3, NULL, 0, &err), INTERP_OK);
  cr_assert_eq(mem_byte(inst, 103), 0xab);
  cr_assert_eq(mem_byte(inst, 104), 0);
  interp_value copy[3] = {i32v(102), i32v(100), i32v(4)};  /* overlapping */
  cr_assert_eq(mem_byte(inst, 105), 0);
  cr_assert_eq(call(s, inst, "copy", copy, 3, NULL, 0, &err), INTERP_OK);
  cr_assert_eq(mem_byte(inst, 105), 0xab);
  cr_assert_eq(mem_byte(inst, 106), 0);
  interp_value init[3] = {i32v(300), i32v(1), i32v(4)};
  cr_assert_eq(call(s, inst, "init", init, 3, NULL, 0, &err), INTERP_OK);
  for (uint32_t i = 0; i < 4; i++)
    cr_assert_eq(mem_byte(inst, 300 + i), (uint8_t)"ello"[i]);
  interp_store_free(s);
}

Test(api_memory, fill_past_the_end_traps_and_writes_nothing) {
  interp_store *s;
  interp_instance *inst = open_fixture(NULL, "api_memory", &s);
  interp_value fill[3] = {i32v(65535), i32v(0x11), i32v(2)};
  assert_traps(s, inst, "fill", fill, 3, 0, INTERP_TRAP_MEMORY_OOB);
  cr_assert_eq(mem_byte(inst, 65535), 0);
  interp_store_free(s);
}

Test(api_memory, init_from_a_dropped_segment_traps) {
  interp_store *s;
  interp_instance *inst = open_fixture(NULL, "api_memory", &s);
  interp_error err;
  cr_assert_eq(call(s, inst, "drop", NULL, 0, NULL, 0, &err), INTERP_OK);
  interp_value empty[3] = {i32v(0), i32v(0), i32v(0)};
  cr_assert_eq(call(s, inst, "init", empty, 3, NULL, 0, &err), INTERP_OK,
               "a zero-length init of a dropped segment is allowed");
  interp_value init[3] = {i32v(0), i32v(0), i32v(1)};
  assert_traps(s, inst, "init", init, 3, 0, INTERP_TRAP_MEMORY_OOB);
  interp_store_free(s);
}

/* ---- reference types ---- */

Test(api_refs, externref_passes_through_unchanged) {
  interp_store *s;
  interp_instance *inst = open_fixture(NULL, "api_refs", &s);
  int marker;
  interp_value a = refv(INTERP_EXTERNREF, &marker), r;
  interp_error err;
  cr_assert_eq(call(s, inst, "id", &a, 1, &r, 1, &err), INTERP_OK);
  cr_assert_eq(r.type, INTERP_EXTERNREF);
  cr_assert_eq(r.of.ref, &marker);
  cr_assert_eq(call_i32(s, inst, "is_null", &a, 1), 0);
  a.of.ref = NULL;
  cr_assert_eq(call_i32(s, inst, "is_null", &a, 1), 1);
  interp_store_free(s);
}

Test(api_refs, table_set_get_grow_and_size_on_an_externref_table) {
  interp_store *s;
  interp_instance *inst = open_fixture(NULL, "api_refs", &s);
  int m1, m2;
  interp_value r;
  interp_error err;
  cr_assert_eq(call_i32(s, inst, "size", NULL, 0), 2);
  interp_value set[2] = {i32v(1), refv(INTERP_EXTERNREF, &m1)};
  cr_assert_eq(call(s, inst, "set", set, 2, NULL, 0, &err), INTERP_OK);
  interp_value at = i32v(1);
  cr_assert_eq(call(s, inst, "get", &at, 1, &r, 1, &err), INTERP_OK);
  cr_assert_eq(r.of.ref, &m1);
  interp_value grow[2] = {refv(INTERP_EXTERNREF, &m2), i32v(3)};
  cr_assert_eq(call_i32(s, inst, "grow", grow, 2), 2, "old size");
  cr_assert_eq(call_i32(s, inst, "size", NULL, 0), 5);
  at = i32v(4);
  cr_assert_eq(call(s, inst, "get", &at, 1, &r, 1, &err), INTERP_OK);
  cr_assert_eq(r.of.ref, &m2, "new slots hold the grow value");
  at = i32v(5);
  assert_traps(s, inst, "get", &at, 1, 1, INTERP_TRAP_TABLE_OOB);
  interp_store_free(s);
}

Test(api_refs, table_grow_past_max_table_elems_returns_minus_one) {
  interp_config cfg = {.max_table_elems = 4};
  interp_store *s;
  interp_instance *inst = open_fixture(&cfg, "api_refs", &s);
  interp_value grow[2] = {refv(INTERP_EXTERNREF, NULL), i32v(3)};
  cr_assert_eq(call_i32(s, inst, "grow", grow, 2), 0xffffffffu);
  cr_assert_eq(call_i32(s, inst, "size", NULL, 0), 2);
  interp_store_free(s);
}

Test(api_refs, ref_func_yields_a_funcref_the_embedder_can_call) {
  interp_store *s;
  interp_instance *inst = open_fixture(NULL, "api_refs", &s);
  interp_value r, v;
  interp_error err;
  cr_assert_eq(call(s, inst, "seven_ref", NULL, 0, &r, 1, &err), INTERP_OK);
  cr_assert_eq(r.type, INTERP_FUNCREF);
  cr_assert_not_null(r.of.ref);
  cr_assert_eq(interp_call(s, r.of.ref, NULL, 0, &v, 1, &err), INTERP_OK);
  cr_assert_eq(v.of.i32, 7);
  cr_assert_eq(call_i32(s, inst, "call_via_table", &r, 1), 7);
  interp_value null = refv(INTERP_FUNCREF, NULL);
  assert_traps(s, inst, "call_via_table", &null, 1, 1,
               INTERP_TRAP_UNINITIALIZED_ELEMENT);
  interp_store_free(s);
}

/* ---- host functions ---- */

static interp_status host_trap(interp_caller *caller, void *ud,
                               const interp_value *args, interp_value *res) {
  (void)ud; (void)args; (void)res;
  return interp_caller_trap(caller, "the host says no");
}

static interp_status host_exit(interp_caller *caller, void *ud,
                               const interp_value *args, interp_value *res) {
  (void)ud; (void)res;
  return interp_caller_exit(caller, (int32_t)args[0].of.i32);
}

static interp_status host_peek(interp_caller *caller, void *ud,
                               const interp_value *args, interp_value *res) {
  (void)ud;
  interp_memory *m = interp_caller_memory(caller);
  if (m == NULL || args[0].of.i32 >= interp_memory_size(m))
    return interp_caller_trap(caller, "peek out of range");
  res[0] = i32v(interp_memory_data(m)[args[0].of.i32]);
  return INTERP_OK;
}

static interp_status link_host(void *ud, const interp_import_desc *imp,
                               interp_extern *out) {
  interp_func **fns = ud;  /* trap, exit, peek */
  static const char *const names[] = {"trap", "exit", "peek"};
  for (int i = 0; i < 3; i++)
    if (imp->name_len == strlen(names[i]) &&
        memcmp(imp->name, names[i], imp->name_len) == 0) {
      out->kind = INTERP_EXTERN_FUNC;
      out->of.func = fns[i];
      return INTERP_OK;
    }
  return INTERP_NOT_FOUND;
}

static interp_instance *open_host(interp_store **s) {
  interp_func *fns[3];
  interp_functype none = {0, 0, NULL, NULL};
  interp_functype one = {1, 0, i32_type, NULL};
  interp_functype peek = {1, 1, i32_type, i32_type};
  interp_instance *inst;
  interp_error err;
  cr_assert_eq(interp_store_new(NULL, s), INTERP_OK);
  cr_assert_eq(interp_host_func_new(*s, &none, host_trap, NULL, &fns[0]), INTERP_OK);
  cr_assert_eq(interp_host_func_new(*s, &one, host_exit, NULL, &fns[1]), INTERP_OK);
  cr_assert_eq(interp_host_func_new(*s, &peek, host_peek, NULL, &fns[2]), INTERP_OK);
  cr_assert_eq(interp_instantiate(*s, load(*s, "api_host"), link_host, fns,
                                  &inst, &err), INTERP_OK, "%s", err.message);
  return inst;
}

Test(api_host, host_trap_unwinds_as_a_host_trap_with_its_message) {
  interp_store *s;
  interp_instance *inst = open_host(&s);
  interp_error err;
  cr_assert_eq(call(s, inst, "trap", NULL, 0, NULL, 0, &err), INTERP_TRAP);
  cr_assert_eq(err.trap, INTERP_TRAP_HOST);
  cr_assert_not_null(strstr(err.message, "the host says no"), "message: %s",
                     err.message);
  interp_value a = i32v(16);
  cr_assert_eq(call_i32(s, inst, "peek", &a, 1), 42, "usable after the trap");
  interp_store_free(s);
}

Test(api_host, host_exit_ends_the_call_with_its_code) {
  interp_store *s;
  interp_instance *inst = open_host(&s);
  interp_error err;
  interp_value a = i32v(3);
  cr_assert_eq(call(s, inst, "exit", &a, 1, NULL, 0, &err), INTERP_EXIT,
               "the unreachable after the host call must not run");
  cr_assert_eq(err.status, INTERP_EXIT);
  cr_assert_eq(err.exit_code, 3);
  interp_store_free(s);
}

Test(api_host, host_reads_the_callers_memory) {
  interp_store *s;
  interp_instance *inst = open_host(&s);
  interp_value a = i32v(16);
  cr_assert_eq(call_i32(s, inst, "peek", &a, 1), 42);
  interp_store_free(s);
}

/* ---- v128 ---- */

static interp_value v128v(uint32_t a, uint32_t b, uint32_t c, uint32_t d) {
  interp_value v = {.type = INTERP_V128};
  uint32_t w[4] = {a, b, c, d};
  memcpy(v.of.v128, w, 16);
  return v;
}

static void assert_v128(const interp_value *v, uint32_t a, uint32_t b,
                        uint32_t c, uint32_t d) {
  uint32_t w[4];
  cr_assert_eq(v->type, INTERP_V128);
  memcpy(w, v->of.v128, 16);
  cr_assert(w[0] == a && w[1] == b && w[2] == c && w[3] == d,
            "got %x %x %x %x", w[0], w[1], w[2], w[3]);
}

/* (i32 x, v128 a, f64 d, v128 b) -> (a ^ b, x + 1, b), if d is 2.5. */
static interp_status host_mix(interp_caller *caller, void *ud,
                              const interp_value *args, interp_value *res) {
  (void)ud;
  double d;
  memcpy(&d, &args[2].of.f64, sizeof d);
  if (args[1].type != INTERP_V128 || args[3].type != INTERP_V128 || d != 2.5)
    return interp_caller_trap(caller, "mix: wrong arguments");
  res[0] = args[1];
  for (int i = 0; i < 16; i++)
    res[0].of.v128[i] ^= args[3].of.v128[i];
  res[1] = i32v(args[0].of.i32 + 1);
  res[2] = args[3];
  return INTERP_OK;
}

static interp_status link_mix(void *ud, const interp_import_desc *imp,
                              interp_extern *out) {
  out->kind = INTERP_EXTERN_FUNC;
  out->of.func = ud;
  return imp->name_len == 3 && memcmp(imp->name, "mix", 3) == 0
             ? INTERP_OK : INTERP_NOT_FOUND;
}

static interp_instance *open_v128(interp_store **s) {
  static const interp_valtype params[] = {INTERP_I32, INTERP_V128, INTERP_F64,
                                          INTERP_V128};
  static const interp_valtype results[] = {INTERP_V128, INTERP_I32,
                                           INTERP_V128};
  interp_functype mix = {4, 3, params, results};
  interp_func *f;
  interp_instance *inst;
  interp_error err;
  cr_assert_eq(interp_store_new(NULL, s), INTERP_OK);
  cr_assert_eq(interp_host_func_new(*s, &mix, host_mix, NULL, &f), INTERP_OK);
  cr_assert_eq(interp_instantiate(*s, load(*s, "api_v128"), link_mix, f,
                                  &inst, &err), INTERP_OK, "%s", err.message);
  return inst;
}

Test(api_v128, host_function_takes_and_returns_v128_among_other_values) {
  interp_store *s;
  interp_instance *inst = open_v128(&s);
  double d = 2.5;
  interp_value args[4] = {i32v(41), v128v(1, 2, 3, 4),
                          {.type = INTERP_F64}, v128v(0xf0, 0, 0, 0x80000000u)};
  memcpy(&args[2].of.f64, &d, sizeof d);
  interp_value r[3];
  interp_error err;
  cr_assert_eq(call(s, inst, "via_host", args, 4, r, 3, &err), INTERP_OK,
               "%s", err.message);
  assert_v128(&r[0], 0xf1, 2, 3, 0x80000004u);
  cr_assert_eq(r[1].type, INTERP_I32);
  cr_assert_eq(r[1].of.i32, 42);
  assert_v128(&r[2], 0xf0, 0, 0, 0x80000000u);
  interp_store_free(s);
}

Test(api_v128, block_results_and_locals_keep_both_halves) {
  interp_store *s;
  interp_instance *inst = open_v128(&s);
  interp_value args[2] = {v128v(1, 2, 3, 0xffffffffu),
                          v128v(10, 20, 30, 1)};
  interp_value r[2];
  interp_error err;
  cr_assert_eq(call(s, inst, "swap_add", args, 2, r, 2, &err), INTERP_OK,
               "%s", err.message);
  assert_v128(&r[0], 10, 20, 30, 1);
  assert_v128(&r[1], 11, 22, 33, 0);
  interp_store_free(s);
}

Test(api_v128, v128_global_reads_and_writes_from_both_sides) {
  interp_store *s;
  interp_instance *inst = open_v128(&s);
  interp_extern g;
  interp_value r;
  interp_error err;
  cr_assert_eq(interp_instance_export(inst, "g", 1, &g), INTERP_OK);
  interp_value v = interp_global_get(g.of.global);
  assert_v128(&v, 1, 2, 3, 4);
  cr_assert_eq(call(s, inst, "bump_g", NULL, 0, &r, 1, &err), INTERP_OK,
               "%s", err.message);
  assert_v128(&r, 11, 12, 13, 14);
  v = interp_global_get(g.of.global);
  assert_v128(&v, 11, 12, 13, 14);
  interp_store_free(s);
}

Test(api_v128, returning_swapped_params_copies_through_home_slots) {
  interp_store *s;
  interp_instance *inst = open_v128(&s);
  interp_value args[2] = {v128v(1, 2, 3, 4), v128v(5, 6, 7, 8)};
  interp_value r[2];
  interp_error err;
  cr_assert_eq(call(s, inst, "swap", args, 2, r, 2, &err), INTERP_OK,
               "%s", err.message);
  assert_v128(&r[0], 5, 6, 7, 8);
  assert_v128(&r[1], 1, 2, 3, 4);
  interp_store_free(s);
}

/* control(x, v): if/else on x == 0 (+1 or -1), br_table on x (x == 0
** doubles), a loop adding 100 to lane 3 until x is 3, then select on
** x < 4 between that and 7s. */
static void assert_control(interp_store *s, interp_instance *inst, uint32_t x,
                           uint32_t a, uint32_t b, uint32_t c, uint32_t d) {
  interp_value args[2] = {i32v(x), v128v(1, 2, 3, 4)};
  interp_value r;
  interp_error err;
  cr_assert_eq(call(s, inst, "control", args, 2, &r, 1, &err), INTERP_OK,
               "%s", err.message);
  assert_v128(&r, a, b, c, d);
}

Test(api_v128, v128_through_if_params_br_table_loop_and_select) {
  interp_store *s;
  interp_instance *inst = open_v128(&s);
  assert_control(s, inst, 0, 4, 6, 8, 310);
  assert_control(s, inst, 1, 0, 1, 2, 203);
  assert_control(s, inst, 5, 7, 7, 7, 7);
  interp_store_free(s);
}

Test(api_v128, call_indirect_with_v128_and_i64_params_and_results) {
  interp_store *s;
  interp_instance *inst = open_v128(&s);
  interp_value args[2] = {v128v(1, 0, 2, 0), v128v(10, 0, 20, 0)};
  interp_value r[2];
  interp_error err;
  cr_assert_eq(call(s, inst, "indirect", args, 2, r, 2, &err), INTERP_OK,
               "%s", err.message);
  cr_assert_eq(r[0].type, INTERP_I64);
  cr_assert_eq(r[0].of.i64, 5);
  assert_v128(&r[1], 11, 0, 22, 0);
  interp_store_free(s);
}

/* ---- allocation failures ---- */

/* Succeeds 'left' times, then fails every allocation; counts live bytes
** from the sizes the interpreter passes back, so leaks show up too. */
typedef struct countdown {
  long left;
  long long live;
} countdown;

static void *countdown_alloc(void *ud, void *p, size_t osize, size_t nsize) {
  countdown *c = ud;
  if (nsize == 0) {
    free(p);
    c->live -= (long long)osize;
    return NULL;
  }
  if (c->left <= 0)
    return NULL;
  c->left--;
  void *q = realloc(p, nsize);
  if (q != NULL)
    c->live += (long long)nsize - (long long)osize;
  return q;
}

/* Load, link and call, as a plugin run would; every step may say NOMEM,
** and every step that takes an interp_error must fill it. */
static interp_status full_run(interp_store *s, uint8_t *const bytes[2],
                              const size_t len[2], uint32_t *answer) {
  interp_module *pm, *im;
  interp_instance *inst;
  interp_error err;
  linker l;
  interp_functype ft = {1, 1, i32_type, i32_type};
  interp_value a = i32v(1), r = {0};
  interp_status st = interp_host_func_new(s, &ft, host_add1, NULL, &l.add1);
  if (st != INTERP_OK)
    return st;  /* no interp_error to check */
  memset(&err, 0, sizeof err);
  st = interp_module_load(s, bytes[0], len[0], &pm, &err);
  if (st == INTERP_OK)
    st = interp_instantiate(s, pm, refuse_all, NULL, &l.provider, &err);
  if (st == INTERP_OK)
    st = interp_module_load(s, bytes[1], len[1], &im, &err);
  if (st == INTERP_OK)
    st = interp_instantiate(s, im, link_imports, &l, &inst, &err);
  if (st == INTERP_OK)
    st = interp_call(s, func(inst, "call_tab"), &a, 1, &r, 1, &err);
  if (st != INTERP_OK) {
    cr_assert_eq(err.status, st, "err.status %s for %s",
                 interp_status_name(err.status), interp_status_name(st));
    cr_assert_neq(err.message[0], '\0', "a NOMEM says what it was doing");
  }
  *answer = r.of.i32;
  return st;
}

Test(api_alloc, every_failed_allocation_is_nomem_until_the_run_succeeds) {
  uint8_t *bytes[2];
  size_t len[2];
  bytes[0] = read_fixture("api_provider", &len[0]);
  bytes[1] = read_fixture("api_imports", &len[1]);
  long n;
  for (n = 0; n < 100000; n++) {
    countdown c = {n, 0};
    interp_config cfg = {.alloc = countdown_alloc, .alloc_ud = &c};
    interp_store *s = NULL;
    uint32_t answer = 0;
    interp_status st = interp_store_new(&cfg, &s);
    if (st == INTERP_OK)
      st = full_run(s, bytes, len, &answer);
    cr_assert(st == INTERP_OK || st == INTERP_NOMEM,
              "allocation %ld failing gave %s", n, interp_status_name(st));
    if (s != NULL)
      interp_store_free(s);
    cr_assert_eq(c.live, 0, "leak of %lld bytes when allocation %ld failed",
                 c.live, n);
    if (st == INTERP_OK) {
      cr_assert_eq(answer, 99);
      break;
    }
  }
  cr_assert_gt(n, 0, "the store itself allocates");
  cr_assert_lt(n, 100000, "never succeeded");
  free(bytes[0]);
  free(bytes[1]);
}

/* ---- custom sections ---- */

/* Header; custom "plugsup.manifest" = "{}"; an empty type section; custom
** "plugsup.manifest" = "second"; custom "empty" with no payload. */
static const uint8_t with_customs[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    0x00, 0x13, 0x10, 'p', 'l', 'u', 'g', 's', 'u', 'p', '.', 'm', 'a', 'n',
    'i', 'f', 'e', 's', 't', '{', '}',
    0x01, 0x01, 0x00,
    0x00, 0x17, 0x10, 'p', 'l', 'u', 'g', 's', 'u', 'p', '.', 'm', 'a', 'n',
    'i', 'f', 'e', 's', 't', 's', 'e', 'c', 'o', 'n', 'd',
    0x00, 0x06, 0x05, 'e', 'm', 'p', 't', 'y'};

static interp_module *load_customs(interp_store **s) {
  interp_module *m;
  interp_error err;
  cr_assert_eq(interp_store_new(NULL, s), INTERP_OK);
  cr_assert_eq(interp_module_load(*s, with_customs, sizeof with_customs, &m,
                                  &err), INTERP_OK, "%s", err.message);
  return m;
}

Test(api_custom, section_is_found_by_name_and_the_first_one_wins) {
  interp_store *s;
  interp_module *m = load_customs(&s);
  const uint8_t *data;
  size_t len;
  cr_assert_eq(interp_module_custom_section(m, "plugsup.manifest", 16, &data,
                                            &len), INTERP_OK);
  cr_assert_eq(len, 2);
  cr_assert_eq(memcmp(data, "{}", 2), 0);
  cr_assert_eq(interp_module_custom_section(m, "empty", 5, &data, &len),
               INTERP_OK);
  cr_assert_eq(len, 0);
  interp_store_free(s);
}

Test(api_custom, absent_or_partly_matching_name_is_not_found) {
  interp_store *s;
  interp_module *m = load_customs(&s);
  const uint8_t *data;
  size_t len;
  cr_assert_eq(interp_module_custom_section(m, "plugsup", 7, &data, &len),
               INTERP_NOT_FOUND);
  cr_assert_eq(interp_module_custom_section(m, "plugsup.manifest.x", 18,
                                            &data, &len), INTERP_NOT_FOUND);
  cr_assert_eq(interp_module_custom_section(m, "name", 4, &data, &len),
               INTERP_NOT_FOUND);
  cr_assert_eq(interp_module_custom_section(m, NULL, 3, &data, &len),
               INTERP_BAD_ARGS);
  interp_store_free(s);
}

/* ---- loading in place ---- */

static bool points_into(const uint8_t *p, const uint8_t *base, size_t len) {
  return p >= base && p < base + len;
}

Test(api_load, a_static_load_reads_the_callers_bytes_and_does_not_copy_them) {
  interp_store *copied, *in_place;
  interp_module *m1, *m2;
  interp_stats st1, st2;
  interp_error err;
  const uint8_t *d1, *d2;
  size_t len;
  cr_assert_eq(interp_store_new(NULL, &copied), INTERP_OK);
  cr_assert_eq(interp_store_new(NULL, &in_place), INTERP_OK);
  cr_assert_eq(interp_module_load(copied, with_customs, sizeof with_customs,
                                  &m1, &err), INTERP_OK, "%s", err.message);
  cr_assert_eq(interp_module_load_static(in_place, with_customs,
                                         sizeof with_customs, &m2, &err),
               INTERP_OK, "%s", err.message);
  interp_module_custom_section(m1, "plugsup.manifest", 16, &d1, &len);
  interp_module_custom_section(m2, "plugsup.manifest", 16, &d2, &len);
  cr_assert_not(points_into(d1, with_customs, sizeof with_customs));
  cr_assert(points_into(d2, with_customs, sizeof with_customs));
  interp_store_stats(copied, &st1);
  interp_store_stats(in_place, &st2);
  cr_assert_eq(st1.bytes_allocated - st2.bytes_allocated, sizeof with_customs);
  interp_store_free(copied);
  interp_store_free(in_place);
}

Test(api_load, a_static_load_refuses_what_a_copying_load_refuses) {
  interp_store *s;
  interp_module *m = NULL;
  interp_error err;
  static const uint8_t bad[] = {0x00, 0x61, 0x73, 0x6d, 0x02, 0x00, 0x00, 0x00};
  cr_assert_eq(interp_store_new(NULL, &s), INTERP_OK);
  cr_assert_eq(interp_module_load_static(s, bad, sizeof bad, &m, &err),
               INTERP_MALFORMED);
  cr_assert_str_eq(err.message, "unknown binary version at offset 0x4");
  cr_assert_null(m);
  cr_assert_eq(interp_module_load_static(s, NULL, 1, &m, &err),
               INTERP_BAD_ARGS);
  cr_assert_str_eq(err.message, "interp_module_load: bad arguments");
  interp_store_free(s);
}
