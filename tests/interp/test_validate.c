/*
** test_validate.c: the validator (mod_validate) on hand-written modules.
** Each invalid case asserts INTERP_INVALID and the spec suite's wording,
** which the message must start with.
*/
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "module.h"
#include "wasm_build.h"

/* An allocator that fails once 'left' allocations have succeeded
** (left < 0: never fails). */
static void *budget_alloc(void *ud, void *p, size_t osize, size_t nsize) {
  long *left = ud;
  (void)osize;
  if (nsize == 0) {
    free(p);
    return NULL;
  }
  if (*left == 0)
    return NULL;
  if (*left > 0)
    (*left)--;
  return realloc(p, nsize);
}

/* Decode (which must succeed), then validate with 'budget' allocations
** left to the validator (-1: no limit). */
static interp_status validate_with(const buf *b, long budget,
                                   interp_error *err) {
  long left = -1;
  ialloc a;
  interp_module m;
  ialloc_init(&a, budget_alloc, &left);
  memset(&m, 0, sizeof m);
  m.alloc = &a;
  cr_assert_eq(mod_decode(&m, b->p, b->n, MOD_SKIM, err), INTERP_OK, "decode: %s",
               err->message);
  left = budget;
  interp_status st = mod_validate(&m, err);
  mod_free(&m);
  cr_assert_eq(a.live, 0, "leaked %llu bytes", (unsigned long long)a.live);
  return st;
}

static void expect_invalid(parts s, const char *text) {
  interp_error err;
  buf b = build(s);
  interp_status st = validate_with(&b, -1, &err);
  free(b.p);
  cr_assert_eq(st, INTERP_INVALID, "status %s (%s), wanted \"%s\"",
               interp_status_name(st), err.message, text);
  cr_assert(strncmp(err.message, text, strlen(text)) == 0,
            "message \"%s\" does not start with \"%s\"", err.message, text);
}

static void expect_valid(parts s) {
  interp_error err;
  buf b = build(s);
  interp_status st = validate_with(&b, -1, &err);
  free(b.p);
  cr_assert_eq(st, INTERP_OK, "status %s: %s", interp_status_name(st),
               err.message);
}

#define MEMORY1 B("\x01\x00\x01")
#define TABLE_FUNCREF B("\x01\x70\x00\x01")
#define TABLE_EXTERNREF B("\x01\x6f\x00\x01")

/* ---- operands ---- */

Test(validate, arithmetic_on_the_wrong_type_is_a_type_mismatch) {
  /* i32.const 0, i64.const 0, i32.add */
  expect_invalid((parts){.body = B("\x00\x41\x00\x42\x00\x6a\x1a\x0b")},
                 "type mismatch");
}

Test(validate, missing_operand_is_a_type_mismatch) {
  expect_invalid((parts){.body = B("\x00\x41\x00\x6a\x1a\x0b")},
                 "type mismatch");
}

Test(validate, value_left_over_at_the_end_is_a_type_mismatch) {
  expect_invalid((parts){.body = B("\x00\x41\x00\x0b")}, "type mismatch");
}

Test(validate, missing_result_is_a_type_mismatch) {
  expect_invalid((parts){.type = B("\x01\x60\x00\x01\x7f"),
                         .body = B("\x00\x0b")},
                 "type mismatch");
}

Test(validate, functions_may_return_several_values) {
  expect_valid((parts){.type = B("\x01\x60\x00\x02\x7f\x7e"),
                       .body = B("\x00\x41\x00\x42\x00\x0b")});
}

Test(validate, unreachable_code_has_a_polymorphic_stack) {
  /* unreachable, i32.add, drop */
  expect_valid((parts){.body = B("\x00\x00\x6a\x1a\x0b")});
}

Test(validate, unreachable_code_still_checks_known_operands) {
  /* unreachable, i64.const 0, i32.add */
  expect_invalid((parts){.body = B("\x00\x00\x42\x00\x6a\x1a\x0b")},
                 "type mismatch");
}

/* ---- variables ---- */

Test(validate, local_index_past_params_and_locals_is_unknown) {
  expect_invalid((parts){.type = B("\x01\x60\x01\x7f\x00"),
                         .body = B("\x01\x01\x7e\x20\x02\x1a\x0b")},
                 "unknown local");
}

Test(validate, locals_are_numbered_after_params) {
  /* local.get 1 is the i64 local: i64.eqz accepts it */
  expect_valid((parts){.type = B("\x01\x60\x01\x7f\x00"),
                       .body = B("\x01\x01\x7e\x20\x01\x50\x1a\x0b")});
}

Test(validate, unknown_global_is_invalid) {
  expect_invalid((parts){.body = B("\x00\x23\x00\x1a\x0b")}, "unknown global");
}

Test(validate, setting_an_immutable_global_is_invalid) {
  expect_invalid((parts){.global = B("\x01\x7f\x00\x41\x00\x0b"),
                         .body = B("\x00\x41\x00\x24\x00\x0b")},
                 "global is immutable");
}

/* ---- indices ---- */

Test(validate, call_to_a_missing_function_is_unknown) {
  expect_invalid((parts){.body = B("\x00\x10\x05\x0b")}, "unknown function");
}

Test(validate, table_get_without_a_table_is_unknown) {
  expect_invalid((parts){.body = B("\x00\x41\x00\x25\x00\x1a\x0b")},
                 "unknown table");
}

Test(validate, load_without_a_memory_is_unknown) {
  expect_invalid((parts){.body = B("\x00\x41\x00\x28\x02\x00\x1a\x0b")},
                 "unknown memory");
}

Test(validate, call_indirect_to_a_missing_type_is_unknown) {
  expect_invalid((parts){.table = TABLE_FUNCREF,
                         .body = B("\x00\x41\x00\x11\x05\x00\x0b")},
                 "unknown type");
}

Test(validate, function_of_a_missing_type_is_unknown) {
  expect_invalid((parts){.funcs = B("\x01\x03"), .body = B("\x00\x0b")},
                 "unknown type");
}

Test(validate, import_of_a_missing_type_is_unknown) {
  expect_invalid((parts){.import = B("\x01\x01m\x01" "f\x00\x02")},
                 "unknown type");
}

Test(validate, branch_past_the_function_is_an_unknown_label) {
  expect_invalid((parts){.body = B("\x00\x0c\x01\x0b")}, "unknown label");
}

Test(validate, data_drop_past_the_data_count_is_unknown) {
  expect_invalid((parts){.memory = MEMORY1, .datacount = B("\x00"),
                         .body = B("\x00\xfc\x09\x00\x0b")},
                 "unknown data segment");
}

Test(validate, data_drop_without_any_data_is_unknown) {
  expect_invalid((parts){.memory = MEMORY1, .body = B("\x00\xfc\x09\x00\x0b")},
                 "unknown data segment");
}

Test(validate, memory_init_without_a_memory_is_unknown_memory) {
  expect_invalid((parts){.datacount = B("\x01"),
                         .body = B("\x00\x41\x00\x41\x00\x41\x00\xfc\x08\x00"
                                   "\x00\x0b"),
                         .data = B("\x01\x01\x01\x61")},
                 "unknown memory");
}

Test(validate, elem_drop_without_segments_is_unknown) {
  expect_invalid((parts){.body = B("\x00\xfc\x0d\x00\x0b")},
                 "unknown elem segment");
}

Test(validate, active_data_without_a_memory_is_unknown) {
  expect_invalid((parts){.data = B("\x01\x00\x41\x00\x0b\x01\x61")},
                 "unknown memory");
}

/* ---- memory ---- */

Test(validate, alignment_above_natural_is_invalid) {
  expect_invalid((parts){.memory = MEMORY1,
                         .body = B("\x00\x41\x00\x28\x03\x00\x1a\x0b")},
                 "alignment must not be larger than natural");
}

Test(validate, natural_alignment_is_accepted) {
  expect_valid((parts){.memory = MEMORY1,
                       .body = B("\x00\x41\x00\x29\x03\x00\x1a\x0b")});
}

Test(validate, memory_above_4gib_is_invalid) {
  expect_invalid((parts){.memory = B("\x01\x00\x81\x80\x04")},
                 "memory size must be at most 65536 pages (4GiB)");
}

Test(validate, limits_minimum_above_maximum_is_invalid) {
  expect_invalid((parts){.memory = B("\x01\x01\x02\x01")},
                 "size minimum must not be greater than maximum");
}

Test(validate, second_memory_is_invalid) {
  expect_invalid((parts){.memory = B("\x02\x00\x00\x00\x00")},
                 "multiple memories");
}

/* ---- exports and start ---- */

Test(validate, duplicate_export_name_is_invalid) {
  expect_invalid((parts){.export = B("\x02\x01" "a\x00\x00\x01" "a\x00\x00"),
                         .body = B("\x00\x0b")},
                 "duplicate export name");
}

Test(validate, distinct_export_names_are_accepted) {
  expect_valid((parts){.export = B("\x02\x01" "a\x00\x00\x01" "b\x00\x00"),
                       .body = B("\x00\x0b")});
}

Test(validate, export_of_a_missing_global_is_unknown) {
  expect_invalid((parts){.export = B("\x01\x01" "a\x03\x00")},
                 "unknown global");
}

Test(validate, start_function_with_parameters_is_invalid) {
  expect_invalid((parts){.type = B("\x01\x60\x01\x7f\x00"),
                         .start = B("\x00"), .body = B("\x00\x0b")},
                 "start function");
}

/* ---- references ---- */

Test(validate, ref_func_of_an_undeclared_function_is_invalid) {
  /* the function naming itself in its own body does not declare it */
  expect_invalid((parts){.body = B("\x00\xd2\x00\x1a\x0b")},
                 "undeclared function reference");
}

Test(validate, export_declares_a_function_for_ref_func) {
  expect_valid((parts){.export = B("\x01\x01" "f\x00\x00"),
                       .body = B("\x00\xd2\x00\x1a\x0b")});
}

Test(validate, declarative_segment_declares_a_function_for_ref_func) {
  expect_valid((parts){.elem = B("\x01\x03\x00\x01\x00"),
                       .body = B("\x00\xd2\x00\x1a\x0b")});
}

Test(validate, ref_is_null_of_a_number_is_a_type_mismatch) {
  expect_invalid((parts){.body = B("\x00\x41\x00\xd1\x1a\x0b")},
                 "type mismatch");
}

Test(validate, untyped_select_of_references_is_a_type_mismatch) {
  expect_invalid((parts){.body = B("\x00\xd0\x70\xd0\x70\x41\x00\x1b\x1a"
                                   "\x0b")},
                 "type mismatch");
}

Test(validate, typed_select_of_references_is_accepted) {
  expect_valid((parts){.body = B("\x00\xd0\x70\xd0\x70\x41\x00\x1c\x01\x70"
                                 "\x1a\x0b")});
}

Test(validate, typed_select_with_two_types_is_invalid_arity) {
  expect_invalid((parts){.body = B("\x00\x41\x00\x41\x00\x41\x00\x1c\x02\x7f"
                                   "\x7f\x1a\x0b")},
                 "invalid result arity");
}

Test(validate, call_indirect_through_an_externref_table_is_a_mismatch) {
  expect_invalid((parts){.table = TABLE_EXTERNREF,
                         .body = B("\x00\x41\x00\x11\x00\x00\x0b")},
                 "type mismatch");
}

Test(validate, table_init_across_reference_types_is_a_mismatch) {
  expect_invalid((parts){.table = TABLE_EXTERNREF,
                         .elem = B("\x01\x01\x00\x00"),
                         .body = B("\x00\x41\x00\x41\x00\x41\x00\xfc\x0c\x00"
                                   "\x00\x0b")},
                 "type mismatch");
}

Test(validate, table_copy_across_reference_types_is_a_mismatch) {
  expect_invalid((parts){.table = B("\x02\x70\x00\x01\x6f\x00\x01"),
                         .body = B("\x00\x41\x00\x41\x00\x41\x00\xfc\x0e\x00"
                                   "\x01\x0b")},
                 "type mismatch");
}

Test(validate, active_segment_into_a_table_of_another_type_is_a_mismatch) {
  expect_invalid((parts){.table = TABLE_EXTERNREF,
                         .elem = B("\x01\x00\x41\x00\x0b\x00"),
                         .body = B("\x00\x0b")},
                 "type mismatch");
}

/* ---- constant expressions ---- */

Test(validate, arithmetic_in_a_global_initialiser_is_not_constant) {
  expect_invalid((parts){.global = B("\x01\x7f\x00\x41\x00\x41\x00\x6a\x0b")},
                 "constant expression required");
}

Test(validate, initialiser_may_not_read_a_defined_global) {
  expect_invalid((parts){.global = B("\x02\x7f\x00\x41\x00\x0b"
                                     "\x7f\x00\x23\x00\x0b")},
                 "unknown global");
}

Test(validate, initialiser_may_not_read_a_mutable_import) {
  expect_invalid((parts){.import = B("\x01\x01m\x01g\x03\x7f\x01"),
                         .global = B("\x01\x7f\x00\x23\x00\x0b")},
                 "constant expression required");
}

Test(validate, initialiser_may_read_an_immutable_import) {
  expect_valid((parts){.import = B("\x01\x01m\x01g\x03\x7f\x00"),
                       .global = B("\x01\x7f\x00\x23\x00\x0b")});
}

Test(validate, empty_initialiser_is_a_type_mismatch) {
  expect_invalid((parts){.global = B("\x01\x7f\x00\x0b")}, "type mismatch");
}

Test(validate, initialiser_of_two_values_is_a_type_mismatch) {
  expect_invalid((parts){.global = B("\x01\x7f\x00\x41\x00\x41\x00\x0b")},
                 "type mismatch");
}

Test(validate, initialiser_of_the_wrong_type_is_a_type_mismatch) {
  expect_invalid((parts){.global = B("\x01\x7e\x00\x41\x00\x0b")},
                 "type mismatch");
}

/* ---- control ---- */

Test(validate, if_without_else_must_return_its_parameters) {
  /* if (result i32) i32.const 1 end */
  expect_invalid((parts){.body = B("\x00\x41\x00\x04\x7f\x41\x01\x0b\x1a"
                                   "\x0b")},
                 "type mismatch");
}

Test(validate, blocks_take_parameters_through_a_type_index) {
  /* i32.const 1, i32.const 2, block (type 1: [i32 i32] -> [i32]) i32.add */
  expect_valid((parts){.type = B("\x02\x60\x00\x00\x60\x02\x7f\x7f\x01\x7f"),
                       .body = B("\x00\x41\x01\x41\x02\x02\x01\x6a\x0b\x1a"
                                 "\x0b")});
}

Test(validate, br_table_targets_of_different_arities_are_a_mismatch) {
  /* block { block (result i32) { i32.const 0 i32.const 0 br_table 0 1 } } */
  expect_invalid((parts){.body = B("\x00\x02\x40\x02\x7f\x41\x00\x41\x00\x0e"
                                   "\x01\x00\x01\x0b\x1a\x0b\x0b")},
                 "type mismatch");
}

Test(validate, loop_label_takes_the_loop_parameters) {
  /* loop [] -> [i32]: br 0 needs nothing, so i32.const 1 br_if 0 ok */
  expect_valid((parts){.body = B("\x00\x03\x7f\x41\x01\x0d\x00\x41\x02\x0b"
                                 "\x1a\x0b")});
}

/* ---- implementation limits and hostile input ---- */

Test(validate, function_type_with_too_many_parameters_is_invalid) {
  enum { N = 1001 };
  char type[N + 6];
  memcpy(type, "\x01\x60\xe9\x07", 4);   /* 1001 params */
  memset(type + 4, 0x7f, N);
  memcpy(type + 4 + N, "\x00", 1);
  expect_invalid((parts){.type = {type, N + 5}}, "type 0 has more than");
}

static void deep_body(buf *b, size_t depth) {
  put(b, "\x00", 1);
  for (size_t i = 0; i < depth; i++)
    put(b, "\x02\x40", 2);
  for (size_t i = 0; i <= depth; i++)
    put(b, "\x0b", 1);
}

Test(validate, deep_nesting_needs_no_recursion) {
  buf body = {0};
  deep_body(&body, 200000);
  expect_valid((parts){.body = {(const char *)body.p, body.n}});
  free(body.p);
}

Test(validate, operand_stack_beyond_the_limit_is_invalid) {
  buf body = {0};
  put(&body, "\x00", 1);
  for (size_t i = 0; i <= (1u << 20); i++)
    put(&body, "\x41\x00", 2);
  put(&body, "\x0b", 1);
  expect_invalid((parts){.body = {(const char *)body.p, body.n}},
                 "operand stack deeper than");
  free(body.p);
}

Test(validate, every_failed_allocation_is_out_of_memory) {
  buf body = {0};
  deep_body(&body, 1000);
  buf b = build((parts){.export = B("\x02\x01" "a\x00\x00\x01" "b\x00\x00"),
                        .body = {(const char *)body.p, body.n}});
  for (long budget = 0;; budget++) {
    interp_error err;
    interp_status st = validate_with(&b, budget, &err);
    if (st == INTERP_OK)
      break;
    cr_assert_eq(st, INTERP_NOMEM, "allocation %ld: %s (%s)", budget,
                 interp_status_name(st), err.message);
  }
  free(b.p);
  free(body.p);
}
