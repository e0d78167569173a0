/*
** test_budget.c: interp_config.max_bytes, the one memory budget of a store.
** Tables, globals, stacks and linear memory all draw on it; going over it
** is INTERP_NOMEM at instantiation, -1 from a grow, INTERP_NOMEM from a
** stack that must grow or a body that cannot be compiled at its first
** call. Fixtures: tests/interp/wat/budget_*.wat, exec_*.wat.
*/
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixtures.h"

#define MIB (1ull << 20)

static interp_store *store(interp_config cfg) {
  interp_store *s = NULL;
  cr_assert_eq(interp_store_new(&cfg, &s), INTERP_OK);
  return s;
}

static interp_status instantiate(interp_store *s, const interp_module *m,
                                 interp_instance **in, interp_error *err) {
  return interp_instantiate(s, m, NULL, NULL, in, err);
}

static interp_instance *instance(interp_store *s, const char *name) {
  interp_instance *in = NULL;
  interp_error err;
  cr_assert_eq(instantiate(s, load(s, name), &in, &err), INTERP_OK,
               "instantiate %s: %s", name, err.message);
  return in;
}

static uint32_t call_i32(interp_store *s, const interp_instance *in,
                         const char *name, uint32_t arg) {
  interp_value a = i32v(arg), r = {0};
  interp_error err;
  cr_assert_eq(interp_call(s, func(in, name), &a, 1, &r, 1, &err), INTERP_OK,
               "%s: %s", name, err.message);
  return r.of.i32;
}

static uint64_t peak(const interp_store *s) {
  interp_stats st;
  interp_store_stats(s, &st);
  return st.peak_bytes;
}

/* A module of n mutable i64 globals set to 0, built byte by byte (a .wat
** of 10,000 globals would be a 400 KB fixture). *len gets its size. */
static uint8_t *globals_module(uint32_t n, size_t *len) {
  static const uint8_t head[] = {0, 'a', 's', 'm', 1, 0, 0, 0};
  static const uint8_t global[] = {0x7e, 0x01, 0x42, 0x00, 0x0b};
  uint8_t count[5], size[5];
  size_t nc = 0, ns = 0, body;
  for (uint32_t v = n;; v >>= 7) {
    count[nc++] = (uint8_t)((v & 0x7f) | (v >> 7 ? 0x80 : 0));
    if ((v >> 7) == 0)
      break;
  }
  body = nc + (size_t)n * sizeof global;
  for (size_t v = body;; v >>= 7) {
    size[ns++] = (uint8_t)((v & 0x7f) | (v >> 7 ? 0x80 : 0));
    if ((v >> 7) == 0)
      break;
  }
  *len = sizeof head + 1 + ns + body;
  uint8_t *b = malloc(*len), *p = b;
  cr_assert_not_null(b);
  memcpy(p, head, sizeof head), p += sizeof head;
  *p++ = 6; /* the global section */
  memcpy(p, size, ns), p += ns;
  memcpy(p, count, nc), p += nc;
  for (uint32_t i = 0; i < n; i++, p += sizeof global)
    memcpy(p, global, sizeof global);
  return b;
}

/* ---- tables ---- */

Test(budget_tables, growing_100_tables_stops_at_the_budget_not_at_their_max) {
  const uint64_t limit = 64 * MIB, step = 1 << 20; /* 8 MiB of slots */
  interp_store *s = store((interp_config){.max_bytes = limit});
  interp_instance *in = instance(s, "budget_many_tables");
  /* Each table may reach 10,000,000 elements (80 MB); all of them together
  ** get what 64 MiB holds, less the step that no longer fitted. */
  uint64_t total = call_i32(s, in, "grow_all", (uint32_t)step);
  cr_assert_leq(total * sizeof(void *), limit);
  cr_assert_gt((total + step) * sizeof(void *), limit - MIB,
               "only %llu elements", (unsigned long long)total);
  cr_assert_eq(total % step, 0);
  cr_assert_leq(peak(s), limit);
  /* The budget is shared: less than one step (8 MiB, 128 pages) is left
  ** for linear memory too. */
  cr_assert_eq(call_i32(s, in, "grow_memory", 128), (uint32_t)-1);
  interp_store_free(s);
}

Test(budget_tables, instantiation_that_needs_more_than_the_budget_is_nomem) {
  interp_store *s = store((interp_config){.max_bytes = 64 * MIB});
  interp_instance *in = NULL;
  interp_error err;
  interp_status st = instantiate(s, load(s, "budget_big_tables"), &in, &err);
  cr_assert_eq(st, INTERP_NOMEM, "%s", interp_status_name(st));
  cr_assert_eq(err.status, INTERP_NOMEM);
  cr_assert_str_eq(err.message,
                   "out of memory instantiating: over the limit of 67108864 "
                   "bytes");
  cr_assert_leq(peak(s), 64 * MIB);
  interp_store_free(s);
}

/* ---- a store re-limited for a run (interp_store_relimit) ---- */

/* A zygote loads a module into a store with no budget, and each child
** gives that store its run's limits: the module is not charged, the
** budget and its message count from then. */
Test(budget_relimit, a_relimited_store_charges_only_what_comes_after) {
  interp_store *s = store((interp_config){0});
  interp_module *m = load(s, "budget_big_tables");
  interp_config run = {.max_bytes = 64 * MIB, .fuel = 1000};
  interp_stats st0;
  interp_store_stats(s, &st0);
  uint64_t held = st0.bytes_allocated;
  interp_instance *in = NULL;
  interp_error err;
  cr_assert_gt(held, 0u);
  cr_assert_eq(interp_store_relimit(s, &run), INTERP_OK);
  cr_assert_eq(peak(s), held, "the peak counts from what is held now");
  cr_assert_eq(interp_store_fuel_left(s), 1000u);
  interp_status st = instantiate(s, m, &in, &err);
  cr_assert_eq(st, INTERP_NOMEM, "%s", interp_status_name(st));
  cr_assert_str_eq(err.message,
                   "out of memory instantiating: over the limit of 67108864 "
                   "bytes");
  cr_assert_leq(peak(s), held + 64 * MIB);
  interp_store_free(s);
}

/* A zygote may instantiate before it forks: the instance keeps what it
** was made with, grows only as far as the run's limits allow, and says
** when it was made larger than they allow. */
Test(budget_relimit, a_relimited_memory_grows_only_within_the_new_limits) {
  interp_store *s = store((interp_config){0});
  interp_memory *mem = NULL;
  uint32_t old = 0;
  cr_assert_eq(interp_memory_new(s, (interp_limits){.min = 3}, &mem), INTERP_OK);
  cr_assert_eq(interp_store_relimit(s, &(interp_config){.max_memory_pages = 2}),
               INTERP_OK);
  cr_assert_not(interp_store_within_limits(s));
  cr_assert_eq(interp_store_relimit(s, &(interp_config){.max_memory_pages = 4}),
               INTERP_OK);
  cr_assert(interp_store_within_limits(s));
  cr_assert_eq(interp_memory_grow(s, mem, 1, &old), INTERP_OK);
  cr_assert_eq(old, 3u);
  cr_assert_eq(interp_memory_grow(s, mem, 1, &old), INTERP_NOMEM);
  cr_assert_eq(interp_memory_size(mem), 4u * 65536u);
  interp_store_free(s);
}

Test(budget_relimit, a_relimited_table_grows_only_within_the_new_limits) {
  interp_store *s = store((interp_config){0});
  interp_table *t = NULL;
  cr_assert_eq(interp_table_new(s, INTERP_FUNCREF, (interp_limits){.min = 10},
                                &t),
               INTERP_OK);
  cr_assert_eq(interp_store_relimit(s, &(interp_config){.max_table_elems = 9}),
               INTERP_OK);
  cr_assert_not(interp_store_within_limits(s));
  cr_assert_eq(interp_store_relimit(s, &(interp_config){.max_table_elems = 10}),
               INTERP_OK);
  cr_assert(interp_store_within_limits(s));
  interp_store_free(s);
}

/* What an instance made before the relimit holds is charged to the run
** that takes it, only if the budget can take it, and never more than the
** store held. */
Test(budget_relimit, bytes_held_before_are_charged_only_within_the_budget) {
  interp_store *s = store((interp_config){0});
  interp_memory *mem = NULL;
  cr_assert_eq(interp_memory_new(s, (interp_limits){.min = 2}, &mem), INTERP_OK);
  uint64_t held = peak(s);
  cr_assert_eq(interp_store_relimit(s, &(interp_config){.max_bytes = 65536}),
               INTERP_OK);
  cr_assert_eq(interp_store_charge(s, 2 * 65536), INTERP_NOMEM);
  cr_assert_eq(interp_store_charge(s, held + 1), INTERP_BAD_ARGS);
  cr_assert_eq(interp_store_relimit(s, &(interp_config){.max_bytes = 3 * 65536}),
               INTERP_OK);
  cr_assert_eq(interp_store_charge(s, 2 * 65536), INTERP_OK);
  uint32_t old = 0;
  cr_assert_eq(interp_memory_grow(s, mem, 2, &old), INTERP_NOMEM,
               "the 2 charged pages and 2 more exceed a budget of 3");
  cr_assert_eq(interp_memory_grow(s, mem, 1, &old), INTERP_OK);
  cr_assert_eq(old, 2u);
  cr_assert_eq(interp_store_relimit(s, &(interp_config){0}), INTERP_OK);
  cr_assert_eq(interp_store_charge(s, held), INTERP_OK, "no budget, no limit");
  interp_store_free(s);
}

Test(budget_relimit, a_store_whose_code_has_run_cannot_be_relimited) {
  interp_store *s = store((interp_config){0});
  interp_instance *in = instance(s, "exec_lazy_compile");
  interp_config run = {.max_bytes = 64 * MIB};
  cr_assert_not_null(in);
  cr_assert_eq(interp_store_relimit(s, &run), INTERP_OK,
               "instantiating runs no code here");
  interp_value r = {0};
  interp_error err;
  cr_assert_eq(interp_call(s, func(in, "small"), NULL, 0, &r, 1, &err),
               INTERP_OK, "%s", err.message);
  cr_assert_eq(interp_store_relimit(s, &run), INTERP_BAD_ARGS);
  cr_assert_eq(interp_store_relimit(NULL, &run), INTERP_BAD_ARGS);
  interp_store_free(s);
}

/* ---- globals ---- */

Test(budget_globals, globals_count_and_the_budget_is_exact) {
  size_t len;
  uint8_t *bytes = globals_module(10000, &len);
  interp_module *m = NULL;
  interp_instance *in = NULL;
  interp_error err;
  interp_stats loaded, done;

  /* What loading and instantiating take, measured without a budget. */
  interp_store *s = store((interp_config){0});
  cr_assert_eq(interp_module_load(s, bytes, len, &m, &err), INTERP_OK);
  interp_store_stats(s, &loaded);
  cr_assert_eq(instantiate(s, m, &in, &err), INTERP_OK, "%s", err.message);
  interp_store_stats(s, &done);
  interp_store_free(s);
  /* each global holds at least its 8-byte value and a pointer to it */
  cr_assert_geq(done.peak_bytes - loaded.bytes_allocated, 10000 * 16);

  /* One byte less and instantiation fails; exactly that much and it works. */
  s = store((interp_config){.max_bytes = done.peak_bytes - 1});
  cr_assert_eq(interp_module_load(s, bytes, len, &m, &err), INTERP_OK);
  cr_assert_eq(instantiate(s, m, &in, &err), INTERP_NOMEM);
  char want[128];
  snprintf(want, sizeof want,
           "out of memory instantiating: over the limit of %llu bytes",
           (unsigned long long)(done.peak_bytes - 1));
  cr_assert_str_eq(err.message, want);
  interp_store_free(s);
  s = store((interp_config){.max_bytes = done.peak_bytes});
  cr_assert_eq(interp_module_load(s, bytes, len, &m, &err), INTERP_OK);
  cr_assert_eq(instantiate(s, m, &in, &err), INTERP_OK, "%s", err.message);
  interp_store_free(s);
  free(bytes);
}

/* ---- stacks ---- */

Test(budget_stacks, deep_recursion_under_a_small_budget_is_nomem) {
  /* The depth and slot limits are far away: the budget comes first. */
  interp_store *s = store((interp_config){.max_bytes = 4 * MIB,
                                          .max_call_depth = 1000000,
                                          .max_stack_slots = 1 << 24});
  interp_instance *in = instance(s, "exec_deep_recursion");
  interp_value a = i32v(900000), r;
  interp_error err;
  interp_status st = interp_call(s, func(in, "depth"), &a, 1, &r, 1, &err);
  cr_assert_eq(st, INTERP_NOMEM, "%s (%s)", interp_status_name(st),
               err.message);
  cr_assert_str_eq(err.message, "out of memory growing the value stack: over "
                                "the limit of 4194304 bytes");
  cr_assert_leq(peak(s), 4 * MIB);
  /* the store runs on: shallow recursion still fits */
  cr_assert_eq(call_i32(s, in, "depth", 1000), 1000);
  interp_store_free(s);
}

/* realloc, counting the calls that allocate or resize. */
static void *counting_alloc(void *ud, void *p, size_t osize, size_t nsize) {
  (void)osize;
  if (nsize == 0) {
    free(p);
    return NULL;
  }
  ++*(unsigned long *)ud;
  return realloc(p, nsize);
}

Test(budget_stacks, stacks_close_in_on_the_budget_in_few_reallocations) {
  unsigned long calls = 0;
  interp_store *s = store((interp_config){.max_bytes = 4 * MIB,
                                          .max_call_depth = 1000000,
                                          .max_stack_slots = 1 << 24,
                                          .alloc = counting_alloc,
                                          .alloc_ud = &calls});
  interp_instance *in = instance(s, "exec_deep_recursion");
  unsigned long before = calls;
  interp_value a = i32v(900000), r;
  interp_error err;
  cr_assert_eq(interp_call(s, func(in, "depth"), &a, 1, &r, 1, &err),
               INTERP_NOMEM);
  /* Growing by one frame per call near the budget took tens of thousands. */
  cr_assert_lt(calls - before, 100, "%lu allocator calls", calls - before);
  interp_store_free(s);
}

Test(budget_stacks, deep_recursion_under_a_big_budget_stops_at_the_depth) {
  interp_store *s = store((interp_config){.max_bytes = 64 * MIB,
                                          .max_call_depth = 500});
  interp_instance *in = instance(s, "exec_deep_recursion");
  interp_value a = i32v(0), r;
  interp_error err;
  interp_status st = interp_call(s, func(in, "forever"), &a, 1, &r, 1, &err);
  cr_assert_eq(st, INTERP_TRAP, "%s (%s)", interp_status_name(st),
               err.message);
  cr_assert_eq(err.trap, INTERP_TRAP_CALL_STACK_EXHAUSTED);
  cr_assert_str_eq(err.message, "call stack exhausted");
  interp_store_free(s);
}

/* ---- the store itself ---- */

Test(budget_store, a_budget_smaller_than_the_store_refuses_the_store) {
  interp_config cfg = {.max_bytes = 16};
  interp_store *s = (interp_store *)&cfg; /* must be overwritten */
  cr_assert_eq(interp_store_new(&cfg, &s), INTERP_NOMEM);
  cr_assert_null(s);
}

/* ---- compiled code ---- */

static interp_status call0(interp_store *s, const interp_instance *in,
                           const char *name, interp_error *err,
                           uint32_t *result) {
  interp_value r = {0};
  interp_status st = interp_call(s, func(in, name), NULL, 0, &r, 1, err);
  *result = r.of.i32;
  return st;
}

static uint64_t live(const interp_store *s) {
  interp_stats st;
  interp_store_stats(s, &st);
  return st.bytes_allocated;
}

/* realloc, keeping a high-water mark that the test may reset. */
typedef struct marks {
  size_t live, peak;
} marks;

static void *marking_alloc(void *ud, void *p, size_t osize, size_t nsize) {
  marks *m = ud;
  m->live -= osize;
  if (nsize == 0) {
    free(p);
    return NULL;
  }
  void *q = realloc(p, nsize);
  m->live += q ? nsize : osize;
  if (m->live > m->peak)
    m->peak = m->live;
  return q;
}

/* A budget that holds exec_lazy_compile instantiated with 'small' called
** (so its stack has grown) and half of what compiling and running 'big'
** takes on top: *ready gets the bytes at that point. */
static uint64_t budget_short_of_big(uint64_t *ready) {
  marks mk = {0, 0};
  interp_store *s = store((interp_config){.alloc = marking_alloc,
                                          .alloc_ud = &mk});
  interp_instance *in = instance(s, "exec_lazy_compile");
  interp_error err;
  uint32_t r;
  cr_assert_eq(call0(s, in, "small", &err, &r), INTERP_OK);
  *ready = live(s);
  mk.peak = mk.live; /* from here on: what big takes */
  cr_assert_eq(call0(s, in, "big", &err, &r), INTERP_OK);
  cr_assert_eq(r, 288896);
  uint64_t need = mk.peak - *ready;
  interp_store_free(s);
  cr_assert_gt(need, 8192, "compiling big took only %llu bytes",
               (unsigned long long)need);
  return *ready + need / 2;
}

static void assert_compile_nomem(interp_status st, const interp_error *err,
                                 uint64_t limit) {
  char want[128];
  snprintf(want, sizeof want,
           "out of memory compiling function 1: over the limit of %llu "
           "bytes", (unsigned long long)limit);
  cr_assert_eq(st, INTERP_NOMEM, "%s (%s)", interp_status_name(st),
               err->message);
  cr_assert_eq(err->status, INTERP_NOMEM);
  cr_assert_str_eq(err->message, want);
}

Test(budget_code, a_body_over_the_budget_fails_its_first_call_not_the_load) {
  uint64_t ready, limit = budget_short_of_big(&ready);
  interp_store *s = store((interp_config){.max_bytes = limit});
  interp_instance *in = instance(s, "exec_lazy_compile");
  interp_error err;
  uint32_t r;
  cr_assert_eq(call0(s, in, "small", &err, &r), INTERP_OK);
  cr_assert_eq(live(s), ready);
  assert_compile_nomem(call0(s, in, "big", &err, &r), &err, limit);
  /* nothing half-compiled is kept, and the store runs on */
  cr_assert_eq(live(s), ready);
  cr_assert_leq(peak(s), limit);
  cr_assert_eq(call0(s, in, "small", &err, &r), INTERP_OK);
  cr_assert_eq(r, 1);
  assert_compile_nomem(call0(s, in, "big", &err, &r), &err, limit);
  cr_assert_eq(live(s), ready);
  interp_store_free(s);
}

Test(budget_code, a_call_from_wasm_to_a_body_over_the_budget_is_nomem) {
  uint64_t ready, limit = budget_short_of_big(&ready);
  interp_store *s = store((interp_config){.max_bytes = limit});
  interp_instance *in = instance(s, "exec_lazy_compile");
  interp_error err;
  uint32_t r;
  cr_assert_eq(call0(s, in, "small", &err, &r), INTERP_OK);
  /* the callers are small and compile; their call to big does not */
  assert_compile_nomem(call0(s, in, "calls_big", &err, &r), &err, limit);
  assert_compile_nomem(call0(s, in, "indirect_big", &err, &r), &err, limit);
  cr_assert_leq(peak(s), limit);
  cr_assert_eq(call0(s, in, "small", &err, &r), INTERP_OK);
  cr_assert_eq(r, 1);
  interp_store_free(s);
}

Test(budget_code, with_compile_eagerly_the_load_fails_instead) {
  marks mk = {0, 0};
  interp_store *s = store((interp_config){.alloc = marking_alloc,
                                          .alloc_ud = &mk});
  load(s, "exec_lazy_compile");
  uint64_t loading = mk.peak; /* decoding and validating, without code */
  interp_store_free(s);
  s = store((interp_config){.max_bytes = loading, .compile_eagerly = 1});
  size_t len;
  uint8_t *bytes = read_fixture("exec_lazy_compile", &len);
  interp_module *m = NULL;
  interp_error err;
  cr_assert_eq(interp_module_load(s, bytes, len, &m, &err), INTERP_NOMEM,
               "%s", err.message);
  /* small may still fit in what the validator gave back; big cannot */
  char want[128];
  snprintf(want, sizeof want, ": over the limit of %llu bytes",
           (unsigned long long)loading);
  const char *prefix = "out of memory compiling function ";
  cr_assert_eq(strncmp(err.message, prefix, strlen(prefix)), 0, "%s",
               err.message);
  cr_assert_not_null(strstr(err.message, want), "%s", err.message);
  cr_assert_null(m);
  cr_assert_eq(live(s) < loading / 2, 1); /* the module was given back */
  free(bytes);
  interp_store_free(s);
}
