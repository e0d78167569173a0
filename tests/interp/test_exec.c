/*
** test_exec.c: the interpreter's back end (compile.c, exec.c, store.c):
** limits, linking across instances, bit-exact values, re-entry, and code
** shapes that stress the compiler's operand-slot model. Fixtures are
** tests/interp/wat/exec_*.wat, compiled by wat2wasm at build time.
*/
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixtures.h"

/* ---- plumbing ---- */

/* Resolves every import to 'ud', an interp_extern. */
static interp_status give(void *ud, const interp_import_desc *imp,
                          interp_extern *out) {
  (void)imp;
  *out = *(const interp_extern *)ud;
  return INTERP_OK;
}

static interp_instance *inst_of(interp_store *s, const char *name,
                                const interp_extern *import) {
  interp_instance *in = NULL;
  interp_error err;
  interp_status st = interp_instantiate(s, load(s, name), give,
                                        (void *)import, &in, &err);
  cr_assert_eq(st, INTERP_OK, "instantiate %s: %s", name, err.message);
  return in;
}

static interp_store *store(interp_config cfg) {
  interp_store *s = NULL;
  cr_assert_eq(interp_store_new(&cfg, &s), INTERP_OK);
  return s;
}

static interp_status run(interp_store *s, const interp_instance *in,
                         const char *name, const interp_value *args,
                         uint32_t nargs, interp_value *res, uint32_t nres,
                         interp_error *err) {
  return interp_call(s, func(in, name), args, nargs, res, nres, err);
}

static uint32_t run_i32(interp_store *s, const interp_instance *in,
                        const char *name, uint32_t arg) {
  interp_value a = i32v(arg), r = {0};
  interp_error err;
  cr_assert_eq(run(s, in, name, &a, 1, &r, 1, &err), INTERP_OK, "%s: %s",
               name, err.message);
  return r.of.i32;
}

static void assert_trap(interp_status st, const interp_error *err,
                        interp_trap kind) {
  cr_assert_eq(st, INTERP_TRAP, "status %s (%s)", interp_status_name(st),
               err->message);
  cr_assert_eq(err->trap, kind, "trap %d (%s), expected %d", err->trap,
               err->message, kind);
  cr_assert_str_eq(err->message, interp_trap_message(kind));
}

/* ---- fuel ---- */

Test(exec_fuel, endless_loop_traps_out_of_fuel_and_the_store_runs_on) {
  interp_store *s = store((interp_config){.fuel = 100000});
  interp_instance *in = inst_of(s, "exec_fuel_loop", NULL);
  interp_error err;
  assert_trap(run(s, in, "forever", NULL, 0, NULL, 0, &err), &err,
              INTERP_TRAP_OUT_OF_FUEL);
  cr_assert_eq(interp_store_fuel_left(s), 0);
  interp_stats st;
  interp_store_stats(s, &st);
  cr_assert_eq(st.fuel_used, 100000, "the whole budget was used");
  interp_store_set_fuel(s, 100000);
  cr_assert_eq(run_i32(s, in, "count", 100), 100);
  interp_store_free(s);
}

Test(exec_fuel, recursion_without_loops_is_charged_per_call) {
  interp_store *s = store((interp_config){.fuel = 1000});
  interp_instance *in = inst_of(s, "exec_fuel_loop", NULL);
  interp_value a = i32v(5000), r;
  interp_error err;
  assert_trap(run(s, in, "down", &a, 1, &r, 1, &err), &err,
              INTERP_TRAP_OUT_OF_FUEL);
  interp_store_free(s);
}

Test(exec_fuel, fuel_used_grows_with_the_work_done) {
  interp_store *s = store((interp_config){.fuel = 10000000});
  interp_instance *in = inst_of(s, "exec_fuel_loop", NULL);
  interp_stats st1, st2;
  cr_assert_eq(run_i32(s, in, "count", 10), 10);
  interp_store_stats(s, &st1);
  cr_assert_eq(run_i32(s, in, "count", 10000), 10000);
  interp_store_stats(s, &st2);
  cr_assert_gt(st1.fuel_used, 10);
  /* each of the 10000 iterations is charged its five instructions */
  cr_assert_geq(st2.fuel_used - st1.fuel_used, 50000);
  cr_assert_eq(interp_store_fuel_left(s), 10000000 - st2.fuel_used);
  interp_store_free(s);
}

Test(exec_fuel, zero_fuel_means_unlimited) {
  interp_store *s = store((interp_config){.fuel = 10});
  interp_instance *in = inst_of(s, "exec_fuel_loop", NULL);
  interp_store_set_fuel(s, 0);
  cr_assert_eq(run_i32(s, in, "count", 1000000), 1000000);
  cr_assert_eq(interp_store_fuel_left(s), UINT64_MAX);
  interp_store_free(s);
}

/* ---- stacks ---- */

Test(exec_stack, endless_recursion_stops_at_max_call_depth) {
  interp_store *s = store((interp_config){.max_call_depth = 500});
  interp_instance *in = inst_of(s, "exec_deep_recursion", NULL);
  interp_value a = i32v(0), r;
  interp_error err;
  assert_trap(run(s, in, "forever", &a, 1, &r, 1, &err), &err,
              INTERP_TRAP_CALL_STACK_EXHAUSTED);
  cr_assert_eq(run_i32(s, in, "depth", 400), 400);
  assert_trap(run(s, in, "depth", (interp_value[]){i32v(600)}, 1, &r, 1,
                  &err),
              &err, INTERP_TRAP_CALL_STACK_EXHAUSTED);
  interp_store_free(s);
}

Test(exec_stack, a_million_wasm_frames_never_touch_the_native_stack) {
  /* Far deeper than any C stack would allow if calls recursed in C. */
  interp_store *s = store((interp_config){.max_call_depth = 1000000,
                                          .max_stack_slots = 1 << 24});
  interp_instance *in = inst_of(s, "exec_deep_recursion", NULL);
  cr_assert_eq(run_i32(s, in, "depth", 900000), 900000);
  interp_value a = i32v(0), r;
  interp_error err;
  assert_trap(run(s, in, "forever", &a, 1, &r, 1, &err), &err,
              INTERP_TRAP_CALL_STACK_EXHAUSTED);
  interp_store_free(s);
}

Test(exec_stack, big_frames_exhaust_the_value_stack_first) {
  interp_store *s = store((interp_config){.max_stack_slots = 20000});
  interp_instance *in = inst_of(s, "exec_big_frames", NULL);
  interp_value a = i32v(0), r;
  interp_error err;
  assert_trap(run(s, in, "big", &a, 1, &r, 1, &err), &err,
              INTERP_TRAP_VALUE_STACK_EXHAUSTED);
  /* and the store is still usable with small frames */
  interp_instance *d = inst_of(s, "exec_deep_recursion", NULL);
  cr_assert_eq(run_i32(s, d, "depth", 100), 100);
  interp_store_free(s);
}

/* ---- memories shared between instances ---- */

Test(exec_memory, growing_an_imported_memory_is_seen_by_every_instance) {
  interp_store *s = store((interp_config){.max_memory_pages = 4});
  interp_memory *mem;
  cr_assert_eq(interp_memory_new(s, (interp_limits){1, 10, 1}, &mem),
               INTERP_OK);
  interp_extern e = {.kind = INTERP_EXTERN_MEMORY, .of.memory = mem};
  interp_instance *a = inst_of(s, "exec_shared_memory", &e);
  interp_instance *b = inst_of(s, "exec_shared_memory", &e);
  cr_assert_eq(run_i32(s, a, "grow", 2), 1);
  interp_value sz;
  interp_error err;
  cr_assert_eq(run(s, b, "size", NULL, 0, &sz, 1, &err), INTERP_OK);
  cr_assert_eq(sz.of.i32, 3);
  cr_assert_eq(interp_memory_size(mem), 3 * 65536);
  interp_value st[2] = {i32v(3 * 65536 - 4), i32v(0xdeadbeef)};
  cr_assert_eq(run(s, a, "store", st, 2, NULL, 0, &err), INTERP_OK);
  cr_assert_eq(run_i32(s, b, "load", 3 * 65536 - 4), 0xdeadbeef);
  /* the store's cap (4 pages) is lower than the declared max (10) */
  cr_assert_eq(run_i32(s, b, "grow", 2), 0xffffffff);
  cr_assert_eq(run_i32(s, b, "grow", 1), 3);
  interp_store_free(s);
}

Test(exec_memory, memory_over_max_memory_pages_cannot_be_instantiated) {
  interp_store *s = store((interp_config){.max_memory_pages = 4});
  interp_instance *in = NULL;
  interp_error err;
  interp_status st = interp_instantiate(s, load(s, "exec_five_pages"), give,
                                        NULL, &in, &err);
  cr_assert_eq(st, INTERP_NOMEM);
  cr_assert_eq(err.status, INTERP_NOMEM);
  cr_assert_str_eq(err.message,
                   "memory of 5 pages is over the limit of 4 pages");
  interp_store_free(s);
  s = store((interp_config){.max_memory_pages = 5});
  in = inst_of(s, "exec_five_pages", NULL);
  interp_extern e;
  cr_assert_eq(interp_instance_export(in, "mem", 3, &e), INTERP_OK);
  cr_assert_eq(interp_memory_size(e.of.memory), 5 * 65536);
  interp_store_free(s);
}

Test(exec_memory, trapping_data_segment_keeps_the_earlier_writes) {
  interp_store *s = store((interp_config){0});
  interp_memory *mem;
  cr_assert_eq(interp_memory_new(s, (interp_limits){1, 1, 1}, &mem),
               INTERP_OK);
  interp_extern e = {.kind = INTERP_EXTERN_MEMORY, .of.memory = mem};
  interp_instance *in = NULL;
  interp_error err;
  interp_status st = interp_instantiate(s, load(s, "exec_partial_data"), give,
                                        &e, &in, &err);
  cr_assert_eq(st, INTERP_UNINSTANTIABLE);
  cr_assert_eq(err.trap, INTERP_TRAP_MEMORY_OOB);
  cr_assert_str_eq(err.message, "out of bounds memory access");
  cr_assert_eq(interp_memory_data(mem)[0], 0x2a);
  cr_assert_eq(interp_memory_data(mem)[65534], 0, "nothing of the 2nd one");
  interp_store_free(s);
}

/* ---- call_indirect across modules ---- */

Test(exec_indirect, structurally_equal_types_match_across_modules) {
  interp_store *s = store((interp_config){0});
  interp_instance *p = inst_of(s, "exec_indirect_provider", NULL);
  interp_extern tab;
  cr_assert_eq(interp_instance_export(p, "tab", 3, &tab), INTERP_OK);
  interp_instance *u = inst_of(s, "exec_indirect_user", &tab);
  interp_value a[2] = {i32v(0), i32v(21)}, r;
  interp_error err;
  cr_assert_eq(run(s, u, "call_same", a, 2, &r, 1, &err), INTERP_OK, "%s",
               err.message);
  cr_assert_eq(r.of.i32, 42);
  a[0] = i32v(1);
  assert_trap(run(s, u, "call_same", a, 2, &r, 1, &err), &err,
              INTERP_TRAP_INDIRECT_MISMATCH);
  assert_trap(run(s, u, "call_other", a, 1, &r, 1, &err), &err,
              INTERP_TRAP_INDIRECT_MISMATCH);
  interp_store_free(s);
}

/* ---- bits ---- */

Test(exec_bits, signalling_nans_pass_through_unchanged) {
  interp_store *s = store((interp_config){0});
  interp_instance *in = inst_of(s, "exec_nan_bits", NULL);
  const uint32_t f32s[] = {0x7fa00001, 0xffa12345, 0x7f800001, 0x7fc00000};
  for (size_t i = 0; i < sizeof f32s / sizeof f32s[0]; i++) {
    cr_assert_eq(run_i32(s, in, "f32_roundtrip", f32s[i]), f32s[i]);
    cr_assert_eq(run_i32(s, in, "f32_neg", f32s[i]), f32s[i] ^ 0x80000000u);
  }
  interp_value a = i64v(0x7ff4000000000001ull), r;
  interp_error err;
  cr_assert_eq(run(s, in, "f64_roundtrip", &a, 1, &r, 1, &err), INTERP_OK);
  cr_assert_eq(r.of.i64, 0x7ff4000000000001ull);
  /* arithmetic on a signalling NaN gives a quiet (arithmetic) NaN */
  uint32_t q = run_i32(s, in, "f32_add", 0x7fa00001);
  cr_assert_eq(q & 0x7fc00000u, 0x7fc00000u, "got %08x", q);
  interp_store_free(s);
}

/* ---- host functions calling back in ---- */

typedef struct reentry {
  interp_store *s;
  interp_func *target;
} reentry;

static interp_status back(interp_caller *c, void *ud, const interp_value *a,
                          interp_value *r) {
  reentry *re = ud;
  interp_error err;
  interp_value arg = i32v(a[0].of.i32 + 1);
  interp_status st = interp_call(re->s, re->target, &arg, 1, r, 1, &err);
  if (st == INTERP_TRAP)
    return interp_caller_trap(c, err.message);
  return st;
}

static interp_instance *reentry_instance(reentry *re, interp_config cfg) {
  static const interp_valtype i32[] = {INTERP_I32};
  interp_functype ft = {1, 1, i32, i32};
  interp_func *host;
  re->s = store(cfg);
  cr_assert_eq(interp_host_func_new(re->s, &ft, back, re, &host), INTERP_OK);
  interp_extern e = {.kind = INTERP_EXTERN_FUNC, .of.func = host};
  return inst_of(re->s, "exec_reentry", &e);
}

Test(exec_host, host_function_may_call_back_into_the_store) {
  reentry re;
  interp_instance *in = reentry_instance(&re, (interp_config){0});
  re.target = func(in, "inner");
  cr_assert_eq(run_i32(re.s, in, "outer", 4), (4 + 1) * 3 + 1000);
  interp_store_free(re.s);
}

Test(exec_host, endless_host_reentry_is_a_clean_trap) {
  reentry re;
  interp_instance *in = reentry_instance(&re, (interp_config){0});
  re.target = func(in, "outer");
  interp_value a = i32v(0), r;
  interp_error err;
  interp_status st = run(re.s, in, "outer", &a, 1, &r, 1, &err);
  cr_assert_eq(st, INTERP_TRAP);
  cr_assert_eq(err.trap, INTERP_TRAP_HOST);
  cr_assert_str_eq(err.message, "call stack exhausted");
  re.target = func(in, "inner");
  cr_assert_eq(run_i32(re.s, in, "outer", 1), 1006);
  interp_store_free(re.s);
}

/* ---- compiler slot model ---- */

static void run2(interp_store *s, const interp_instance *in, const char *name,
                 uint32_t arg, uint64_t r0, uint64_t r1) {
  interp_value a[2] = {i32v(arg), i32v(arg + 1)}, r[2];
  interp_error err;
  interp_func *f = func(in, name);
  interp_functype t;
  interp_func_type(f, &t);
  cr_assert_eq(interp_call(s, f, a, t.nparams, r, 2, &err), INTERP_OK, "%s",
               err.message);
  cr_assert_eq(r[0].of.i32, r0, "%s(%u)[0] = %u", name, arg, r[0].of.i32);
  cr_assert_eq(r[1].of.i32, r1, "%s(%u)[1] = %u", name, arg, r[1].of.i32);
}

Test(exec_slots, locals_on_the_stack_survive_a_later_local_set) {
  interp_store *s = store((interp_config){0});
  interp_instance *in = inst_of(s, "exec_slot_hazards", NULL);
  run2(s, in, "swap", 7, 8, 7);
  cr_assert_eq(run_i32(s, in, "tee_under", 12), 7);
  interp_store_free(s);
}

Test(exec_slots, block_loop_and_if_parameters_flow_through) {
  interp_store *s = store((interp_config){0});
  interp_instance *in = inst_of(s, "exec_slot_hazards", NULL);
  cr_assert_eq(run_i32(s, in, "loop_params", 4), 10);
  cr_assert_eq(run_i32(s, in, "if_params", 1), 7);
  cr_assert_eq(run_i32(s, in, "if_params", 0), 30);
  cr_assert_eq(run_i32(s, in, "if_no_else", 1), 15);
  cr_assert_eq(run_i32(s, in, "if_no_else", 0), 10);
  interp_store_free(s);
}

Test(exec_slots, br_table_moves_values_to_each_target) {
  interp_store *s = store((interp_config){0});
  interp_instance *in = inst_of(s, "exec_slot_hazards", NULL);
  run2(s, in, "br_table_values", 0, 0, 3);
  run2(s, in, "br_table_values", 1, 101, 7);
  run2(s, in, "br_table_values", 5, 2, 5);
  run2(s, in, "br_table_values", 0xffffffffu, 2, 0xffffffffu);
  interp_store_free(s);
}

Test(exec_slots, constants_come_back_in_order) {
  interp_store *s = store((interp_config){0});
  interp_instance *in = inst_of(s, "exec_slot_hazards", NULL);
  interp_value r[3];
  interp_error err;
  cr_assert_eq(run(s, in, "consts_swapped", NULL, 0, r, 3, &err), INTERP_OK);
  cr_assert_eq(r[0].of.i64, 3);
  cr_assert_eq(r[1].of.i64, 2);
  cr_assert_eq(r[2].of.i64, 1);
  cr_assert_eq(r[2].type, INTERP_I64);
  interp_store_free(s);
}

/* ---- addresses ---- */

Test(exec_memory, an_added_address_wraps_before_the_offset_is_added) {
  interp_store *s = store((interp_config){0});
  interp_instance *in = inst_of(s, "exec_address_wrap", NULL);
  interp_value a[2] = {i32v(0xffffffffu), i32v(1)}, r;
  interp_error err;
  cr_assert_eq(run(s, in, "load", a, 2, &r, 1, &err), INTERP_OK, "%s",
               err.message);
  cr_assert_eq(r.of.i32, 42);
  cr_assert_eq(run(s, in, "store_load", a, 2, &r, 1, &err), INTERP_OK);
  cr_assert_eq(r.of.i32, 7);
  cr_assert_eq(run_i32(s, in, "load_k", 0xffffffffu), 42);
  cr_assert_eq(run_i32(s, in, "store_k", 0xfffffffeu), 9);
  a[0] = i32v(65536 - 4);
  a[1] = i32v(0);
  assert_trap(run(s, in, "load", a, 2, &r, 1, &err), &err,
              INTERP_TRAP_MEMORY_OOB);
  a[0] = i32v(65536 - 5);
  assert_trap(run(s, in, "load_k", a, 1, &r, 1, &err), &err,
              INTERP_TRAP_MEMORY_OOB);
  interp_store_free(s);
}

Test(exec_slots, select_on_a_comparison_picks_the_right_arm) {
  interp_store *s = store((interp_config){0});
  interp_instance *in = inst_of(s, "exec_slot_hazards", NULL);
  interp_value a[2] = {i32v(0xffffffffu), i32v(0)}, r; /* -1 < 0 */
  interp_error err;
  cr_assert_eq(run(s, in, "sel_lt", a, 2, &r, 1, &err), INTERP_OK);
  cr_assert_eq(r.of.i32, 10);
  a[0] = i32v(5);
  a[1] = i32v(3);
  cr_assert_eq(run(s, in, "sel_lt", a, 2, &r, 1, &err), INTERP_OK);
  cr_assert_eq(r.of.i32, 20);
  cr_assert_eq(run_i32(s, in, "sel_eqz", 0), 10);
  cr_assert_eq(run_i32(s, in, "sel_eqz", 7), 20);
  interp_store_free(s);
}

static uint64_t i64_imm_model(uint64_t x) {
  uint64_t sar = (uint64_t)((int64_t)x >> 60); /* arithmetic on gcc/clang */
  return ((x * 0x9e3779b97f4a7c15ull) ^ (x >> 33)) + (sar << 4) -
         ((x & 0xff00ff00ff00ff00ull) | 0x1234567890ull);
}

Test(exec_slots, i64_ops_with_64_bit_constants) {
  interp_store *s = store((interp_config){0});
  interp_instance *in = inst_of(s, "exec_slot_hazards", NULL);
  const uint64_t xs[] = {0, 1, 0x8000000000000000ull, 0xfedcba9876543210ull};
  for (size_t i = 0; i < sizeof xs / sizeof xs[0]; i++) {
    interp_value a = i64v(xs[i]), r;
    interp_error err;
    cr_assert_eq(run(s, in, "i64_imm", &a, 1, &r, 1, &err), INTERP_OK);
    cr_assert_eq(r.of.i64, i64_imm_model(xs[i]), "x = %llx",
                 (unsigned long long)xs[i]);
  }
  interp_store_free(s);
}

/* ---- stores keep to themselves ---- */

Test(exec_stores, objects_of_another_store_are_refused) {
  interp_store *s1 = store((interp_config){0});
  interp_store *s2 = store((interp_config){0});
  interp_memory *mem;
  cr_assert_eq(interp_memory_new(s1, (interp_limits){1, 0, 0}, &mem),
               INTERP_OK);
  interp_extern e = {.kind = INTERP_EXTERN_MEMORY, .of.memory = mem};
  interp_instance *in = NULL;
  interp_error err;
  interp_status st = interp_instantiate(s2, load(s2, "exec_shared_memory"),
                                        give, &e, &in, &err);
  cr_assert_eq(st, INTERP_UNLINKABLE);
  cr_assert_str_eq(err.message, "import from another store: \"env\" \"mem\"");
  interp_instance *d = inst_of(s1, "exec_deep_recursion", NULL);
  interp_value a = i32v(3), r;
  cr_assert_eq(interp_call(s2, func(d, "depth"), &a, 1, &r, 1, &err),
               INTERP_BAD_ARGS);
  interp_store_free(s2);
  interp_store_free(s1);
}

Test(exec_slots, if_parameters_in_save_slots_are_values_not_constants) {
  interp_store *s = store((interp_config){0});
  interp_instance *in = inst_of(s, "exec_slot_hazards", NULL);
  interp_value a[2] = {i32v(1), i32v(5)}, r;
  interp_error err;
  cr_assert_eq(run(s, in, "if_params_saved", a, 2, &r, 1, &err), INTERP_OK);
  cr_assert_eq(r.of.i32, 6 + 15);
  a[0] = i32v(0);
  cr_assert_eq(run(s, in, "if_params_saved", a, 2, &r, 1, &err), INTERP_OK);
  cr_assert_eq(r.of.i32, 6 - 15);
  interp_store_free(s);
}

/* ---- bodies are compiled on their first call ---- */

static uint64_t live_bytes(const interp_store *s) {
  interp_stats st;
  interp_store_stats(s, &st);
  return st.bytes_allocated;
}

static uint32_t call0(interp_store *s, const interp_instance *in,
                      const char *name) {
  interp_value r = {0};
  interp_error err;
  cr_assert_eq(run(s, in, name, NULL, 0, &r, 1, &err), INTERP_OK, "%s: %s",
               name, err.message);
  return r.of.i32;
}

Test(exec_lazy, a_body_is_compiled_at_its_first_call_and_only_then) {
  interp_store *s = store((interp_config){0});
  interp_instance *in = inst_of(s, "exec_lazy_compile", NULL);
  cr_assert_eq(call0(s, in, "small"), 1); /* the stack has grown now */
  uint64_t before = live_bytes(s);
  cr_assert_eq(call0(s, in, "small"), 1);
  cr_assert_eq(live_bytes(s), before, "a second call compiled again");
  cr_assert_eq(call0(s, in, "big"), 288896);
  /* 256 instructions and 256 constants: kilobytes of code appeared */
  uint64_t compiled = live_bytes(s);
  cr_assert_gt(compiled, before + 4096);
  cr_assert_eq(call0(s, in, "big"), 288896);
  cr_assert_eq(live_bytes(s), compiled);
  interp_store_free(s);
}

Test(exec_lazy, direct_and_indirect_calls_compile_their_callee) {
  interp_store *s = store((interp_config){0});
  interp_instance *in = inst_of(s, "exec_lazy_compile", NULL);
  cr_assert_eq(call0(s, in, "calls_big"), 288896);
  interp_store_free(s);
  s = store((interp_config){0});
  in = inst_of(s, "exec_lazy_compile", NULL);
  cr_assert_eq(call0(s, in, "indirect_big"), 288896);
  cr_assert_eq(call0(s, in, "calls_big"), 288896);
  interp_store_free(s);
}

Test(exec_lazy, instances_of_one_module_share_its_compiled_code) {
  interp_store *s = store((interp_config){0});
  interp_module *m = load(s, "exec_lazy_compile");
  interp_instance *a = NULL, *b = NULL;
  interp_error err;
  cr_assert_eq(interp_instantiate(s, m, NULL, NULL, &a, &err), INTERP_OK);
  cr_assert_eq(interp_instantiate(s, m, NULL, NULL, &b, &err), INTERP_OK);
  cr_assert_eq(call0(s, a, "big"), 288896);
  uint64_t compiled = live_bytes(s);
  cr_assert_eq(call0(s, b, "big"), 288896);
  cr_assert_eq(live_bytes(s), compiled, "the second instance compiled again");
  cr_assert_eq(call0(s, b, "indirect_big"), 288896);
  interp_store_free(s);
}

/* A host with time to spare compiles ahead, a few bodies at a time, in
** order; a body already compiled by a call is passed over, and calls
** after find the code there. */
Test(exec_lazy, compile_some_compiles_ahead_in_slices) {
  interp_store *s = store((interp_config){0});
  interp_module *m = load(s, "exec_lazy_compile");
  interp_instance *in = NULL;
  interp_error err;
  uint32_t left = 99;
  cr_assert_eq(interp_instantiate(s, m, NULL, NULL, &in, &err), INTERP_OK);
  cr_assert_eq(call0(s, in, "small"), 1);
  uint64_t before = live_bytes(s);
  cr_assert_eq(interp_module_compile_some(m, 1, &left, &err), INTERP_OK);
  cr_assert_eq(left, 2u, "small was compiled already, big is now");
  uint64_t ahead = live_bytes(s);
  cr_assert_gt(ahead, before + 4096, "big's code is not there");
  cr_assert_eq(interp_module_compile_some(m, 100, &left, &err), INTERP_OK);
  cr_assert_eq(left, 0u);
  /* The first call two deep grows the frame stack; after it, nothing
  ** grows: indirect_big was compiled ahead, like calls_big. */
  cr_assert_eq(call0(s, in, "calls_big"), 288896);
  uint64_t all = live_bytes(s);
  cr_assert_eq(call0(s, in, "indirect_big"), 288896);
  cr_assert_eq(live_bytes(s), all, "a call compiled again");
  cr_assert_eq(interp_module_compile_some(m, 100, &left, &err), INTERP_OK);
  cr_assert_eq(left, 0u);
  interp_store_free(s);
}

Test(exec_lazy, a_bad_body_is_refused_at_load_though_never_called) {
  /* () -> i32 whose body is a bare 'end': no value to return */
  static const uint8_t bad[] = {0, 'a', 's', 'm', 1, 0, 0, 0,
                                1, 5, 1, 0x60, 0, 1, 0x7f, /* type */
                                3, 2, 1, 0,                /* func */
                                10, 4, 1, 2, 0, 0x0b};     /* code */
  interp_store *s = store((interp_config){0});
  interp_module *m = NULL;
  interp_error err;
  cr_assert_eq(interp_module_load(s, bad, sizeof bad, &m, &err),
               INTERP_INVALID, "%s", err.message);
  cr_assert_null(m);
  interp_store_free(s);
}

Test(exec_lazy, compile_eagerly_compiles_every_body_at_load) {
  interp_store *lazy = store((interp_config){0});
  interp_store *eager = store((interp_config){.compile_eagerly = 1});
  load(lazy, "exec_lazy_compile");
  load(eager, "exec_lazy_compile");
  cr_assert_gt(live_bytes(eager), live_bytes(lazy) + 4096);
  interp_store_free(eager);
  interp_store_free(lazy);
}
