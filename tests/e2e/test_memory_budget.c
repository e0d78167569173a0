/*
** test_memory_budget.c: --memory bounds everything a plugin can make the
** interpreter allocate, not only linear memory, through the real worker.
** Before, 100 tables grew the worker to about 1.25 GB under a 256 MiB
** limit and only the address-space rlimit stopped them.
*/
#include "helpers.h"

#define FIX E2E_DIR "/fixtures/"
#define MIB (1ull << 20)
#define LIMIT (64 * MIB)
/* The worker's own code, libc and protobuf buffers, beyond the budget. */
#define OVERHEAD (64 * MIB)

static plugsup_supervisor *sup;

static void setup(void) { sup = sup_on(REAL_WORKER, 2, 20000); }
static void teardown(void) { plugsup_supervisor_free(sup); }

TestSuite(memory_budget, .init = setup, .fini = teardown);

/* The worker stayed near the limit. Not in a sanitized build: ASan's
** shadow memory and its quarantine of freed blocks (256 MiB) make the
** worker's RSS say nothing about the interpreter there. */
static void expect_rss_bounded(const plugsup_result *r) {
#ifdef __SANITIZE_ADDRESS__
  (void)r;
#else
  cr_assert_lt(r->max_rss_bytes, LIMIT + OVERHEAD, "max RSS %llu",
               (unsigned long long)r->max_rss_bytes);
#endif
}

static plugsup_result *run_with(const char *path, plugsup_run_options *o) {
  plugsup_plugin *p = NULL;
  plugsup_result *r = NULL;
  cr_assert_eq(plugsup_plugin_load_file(path, &p), PLUGSUP_OK, "%s",
               plugsup_errmsg());
  cr_assert_eq(plugsup_run(sup, p, o, &r), PLUGSUP_OK, "%s", plugsup_errmsg());
  plugsup_plugin_free(p);
  return r;
}

Test(memory_budget, tables_grown_until_failure_stay_inside_the_limit) {
  /* 8 MiB of slots a step: few reallocations, quick even under ASan */
  plugsup_value step = {.type = PLUGSUP_I32, .of.i32 = 1 << 20};
  plugsup_run_options o = run_opts(PLUGSUP_MODE_INVOKE);
  o.export_name = "grow_all";
  o.args = &step;
  o.nargs = 1;
  o.limits.memory_bytes = LIMIT;
  plugsup_result *r = run_with(FIX "budget_many_tables.wasm", &o);
  cr_assert_eq(r->outcome, PLUGSUP_OUTCOME_OK, "%s: %s",
               plugsup_outcome_name(r->outcome), r->message);
  /* table.grow failed (-1) once the slots filled the budget */
  uint64_t slots = (uint64_t)r->values[0].of.i32 * sizeof(void *);
  cr_assert_leq(slots, LIMIT);
  cr_assert_gt(slots + 8 * MIB, LIMIT - MIB, "only %llu bytes of slots",
               (unsigned long long)slots);
  cr_assert_leq(r->peak_memory_bytes, LIMIT);
  expect_rss_bounded(r);
  plugsup_result_free(r);
}

Test(memory_budget, tables_that_need_more_than_the_limit_end_out_of_memory) {
  plugsup_run_options o = run_opts(PLUGSUP_MODE_START);
  o.limits.memory_bytes = LIMIT;
  plugsup_result *r = run_with(FIX "budget_big_tables.wasm", &o);
  cr_assert_eq(r->outcome, PLUGSUP_OUTCOME_OUT_OF_MEMORY, "%s: %s",
               plugsup_outcome_name(r->outcome), r->message);
  cr_assert_str_eq(r->message, "out of memory instantiating: over the limit "
                               "of 67108864 bytes");
  cr_assert_leq(r->peak_memory_bytes, LIMIT);
  expect_rss_bounded(r);
  plugsup_result_free(r);
}
