/*
** test_fuel.c: fuel for bulk work. Bulk instructions and host functions
** pay in proportion to what they do (interp.h, INTERP_FUEL_BULK_BYTES),
** before doing it. Fixtures: tests/interp/wat/fuel_*.wat.
*/
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixtures.h"

static interp_store *store(uint64_t fuel) {
  interp_store *s = NULL;
  cr_assert_eq(interp_store_new(&(interp_config){.fuel = fuel}, &s),
               INTERP_OK);
  return s;
}

static uint64_t fuel_used(const interp_store *s) {
  interp_stats st;
  interp_store_stats(s, &st);
  return st.fuel_used;
}

static interp_status call1(interp_store *s, const interp_instance *in,
                           const char *name, uint32_t arg, uint32_t *out,
                           interp_error *err) {
  interp_value a = i32v(arg), r = {0};
  interp_status st = interp_call(s, func(in, name), &a, 1, &r, 1, err);
  *out = r.of.i32;
  return st;
}

/* The fuel one call of 'name' with 'arg' uses, on s (unlimited fuel). */
static uint64_t cost(interp_store *s, const interp_instance *in,
                     const char *name, uint32_t arg, uint32_t *result) {
  interp_error err;
  uint64_t before = fuel_used(s);
  cr_assert_eq(call1(s, in, name, arg, result, &err), INTERP_OK, "%s(%u): %s",
               name, arg, err.message);
  return fuel_used(s) - before;
}

static interp_instance *instance(interp_store *s, const char *name,
                                 interp_resolve_fn resolve, void *ud) {
  interp_instance *in = NULL;
  interp_error err;
  cr_assert_eq(interp_instantiate(s, load(s, name), resolve, ud, &in, &err),
               INTERP_OK, "instantiate %s: %s", name, err.message);
  return in;
}

/* ---- bulk instructions ---- */

typedef struct bulk_case {
  const char *op;
  uint32_t n;
  uint64_t extra;   /* fuel beyond the same call with n = 0 */
} bulk_case;

/* One unit per 64 bytes (rounded down), per 8 table slots, per 64 bytes of
** a grown page (1024 a page); a grow past the maximum does no work. */
static const bulk_case bulk_cases[] = {
    {"fill", 64000, 1000},     {"fill", 63, 0},
    {"fill", 65536 * 2, 2048}, {"copy", 6400, 100},
    {"init", 128, 2},          {"grow", 3, 3 * 1024},
    {"grow", 1000, 0},         {"table_fill", 800, 100},
    {"table_copy", 800, 100},  {"table_init", 64, 8},
    {"table_grow", 80, 10},    {"table_grow", 200000, 0},
};

Test(fuel_bulk, each_bulk_instruction_charges_its_documented_amount) {
  for (size_t i = 0; i < sizeof bulk_cases / sizeof bulk_cases[0]; i++) {
    const bulk_case *c = &bulk_cases[i];
    interp_store *s = store(0);
    interp_instance *in = instance(s, "fuel_bulk", NULL, NULL);
    uint32_t r;
    uint64_t base = cost(s, in, c->op, 0, &r);
    uint64_t used = cost(s, in, c->op, c->n, &r);
    cr_assert_eq(used - base, c->extra, "%s(%u): %llu extra, expected %llu",
                 c->op, c->n, (unsigned long long)(used - base),
                 (unsigned long long)c->extra);
    interp_store_free(s);
  }
}

/* Fuel budget 'fuel', then fill(n): the status, memory left as it was? */
static interp_status fill_with(uint64_t fuel, uint32_t n, interp_error *err,
                               int *untouched) {
  interp_store *s = store(fuel);
  interp_instance *in = instance(s, "fuel_bulk", NULL, NULL);
  uint32_t r, first, last;
  interp_status st = call1(s, in, "fill", n, &r, err);
  if (st == INTERP_TRAP)
    cr_assert_eq(fuel_used(s), fuel, "the whole budget is used");
  interp_store_set_fuel(s, 0);
  cost(s, in, "peek", 0, &first);
  cost(s, in, "peek", n - 1, &last);
  *untouched = first == 0 && last == 0;
  interp_store_free(s);
  return st;
}

Test(fuel_bulk, a_fill_bigger_than_the_fuel_left_traps_and_writes_nothing) {
  interp_error err;
  int untouched;
  /* 64000 bytes need 1000 units before memset runs; 999 are left. */
  cr_assert_eq(fill_with(999, 64000, &err, &untouched), INTERP_TRAP);
  cr_assert_eq(err.trap, INTERP_TRAP_OUT_OF_FUEL);
  cr_assert_str_eq(err.message, "out of fuel");
  cr_assert(untouched, "the fill was done anyway");
}

Test(fuel_bulk, a_fill_costs_its_instructions_plus_one_per_64_bytes) {
  interp_store *s = store(0);
  interp_instance *in = instance(s, "fuel_bulk", NULL, NULL);
  uint32_t r;
  uint64_t base = cost(s, in, "fill", 0, &r);
  interp_store_free(s);
  interp_error err;
  int untouched;
  cr_assert_eq(fill_with(base + 1000, 64000, &err, &untouched), INTERP_OK,
               "%s", err.message);
  cr_assert_not(untouched);
  /* One unit short: the block's own instructions are charged when it
  ** ends (per basic block), after the prepaid fill. */
  cr_assert_eq(fill_with(base + 999, 64000, &err, &untouched), INTERP_TRAP);
  cr_assert_eq(err.trap, INTERP_TRAP_OUT_OF_FUEL);
}

/* ---- host functions ---- */

typedef struct host_work {
  interp_func *fn;
  uint64_t done;    /* units of work actually done */
} host_work;

/* env.work(n): charges n, then "does" n units of work. */
static interp_status work(interp_caller *c, void *ud, const interp_value *args,
                          interp_value *results) {
  host_work *w = ud;
  interp_status st = interp_caller_charge(c, args[0].of.i32);
  if (st != INTERP_OK)
    return st;
  w->done += args[0].of.i32;
  results[0] = i32v(0);
  return INTERP_OK;
}

static interp_status give_work(void *ud, const interp_import_desc *imp,
                               interp_extern *out) {
  (void)imp;
  out->kind = INTERP_EXTERN_FUNC;
  out->of.func = ((host_work *)ud)->fn;
  return INTERP_OK;
}

static interp_instance *host_instance(interp_store *s, host_work *w) {
  static const interp_valtype i32[] = {INTERP_I32};
  interp_functype t = {1, 1, i32, i32};
  cr_assert_eq(interp_host_func_new(s, &t, work, w, &w->fn), INTERP_OK);
  return instance(s, "fuel_host", give_work, w);
}

Test(fuel_host, a_host_charge_counts_as_fuel_used) {
  host_work w = {0};
  interp_store *s = store(0);
  interp_instance *in = host_instance(s, &w);
  uint32_t r;
  uint64_t base = cost(s, in, "work", 0, &r);
  cr_assert_eq(cost(s, in, "work", 5000, &r) - base, 5000);
  cr_assert_eq(w.done, 5000);
  interp_store_free(s);
}

Test(fuel_host, a_host_charge_over_the_budget_traps_out_of_fuel_first) {
  host_work w = {0};
  interp_store *s = store(1000);
  interp_instance *in = host_instance(s, &w);
  interp_error err;
  uint32_t r;
  cr_assert_eq(call1(s, in, "work", 1000000, &r, &err), INTERP_TRAP);
  cr_assert_eq(err.trap, INTERP_TRAP_OUT_OF_FUEL);
  cr_assert_str_eq(err.message, "out of fuel");
  cr_assert_eq(w.done, 0, "the work was done anyway");
  cr_assert_eq(interp_store_fuel_left(s), 0);
  cr_assert_eq(fuel_used(s), 1000);
  /* the store runs on with new fuel */
  interp_store_set_fuel(s, 1000);
  cr_assert_eq(call1(s, in, "work", 10, &r, &err), INTERP_OK, "%s",
               err.message);
  cr_assert_eq(w.done, 10);
  interp_store_free(s);
}

Test(fuel_host, charging_without_a_caller_is_bad_args) {
  cr_assert_eq(interp_caller_charge(NULL, 1), INTERP_BAD_ARGS);
}
