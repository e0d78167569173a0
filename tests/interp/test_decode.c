/*
** test_decode.c: the binary decoder (mod_decode, mod_free) on hand-written
** modules. Each malformed case asserts the status and the spec suite's
** wording, which the message must start with.
*/
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "interp.h"
#include "module.h"
#include "opcodes.h"
#include "wasm_build.h"

#define HDR "\0asm\1\0\0\0"
/* Type section: one type [] -> []. */
#define TYPE0 "\x01\x04\x01\x60\x00\x00"
/* Function section: one function of type 0. */
#define FUNC0 "\x03\x02\x01\x00"
/* Code section: one empty body. */
#define CODE0 "\x0a\x04\x01\x02\x00\x0b"

/* An allocator that fails once 'budget' allocations have succeeded
** (budget < 0: never fails). */
typedef struct budget {
  long left;
} budget;

static void *budget_alloc(void *ud, void *p, size_t osize, size_t nsize) {
  budget *b = ud;
  (void)osize;
  if (nsize == 0) {
    free(p);
    return NULL;
  }
  if (b && b->left == 0)
    return NULL;
  if (b && b->left > 0)
    b->left--;
  return realloc(p, nsize);
}

typedef struct result {
  interp_status status;
  interp_error err;
  uint64_t peak;        /* most bytes the decoder held at once */
} result;

/* interp_module_load decodes bodies in the validator's pass (MOD_SKIM)
** and must still report what the whole decoder reports: the same
** malformed error, or none. */
static void expect_load_agrees(const void *data, size_t len, const result *r) {
  interp_store *s;
  interp_module *m;
  interp_error err;
  cr_assert_eq(interp_store_new(NULL, &s), INTERP_OK);
  interp_status st = interp_module_load(s, data, len, &m, &err);
  interp_store_free(s);
  if (r->status == INTERP_MALFORMED) {
    cr_assert_eq(st, INTERP_MALFORMED, "load: %s (%s), decoder: %s",
                 interp_status_name(st), err.message, r->err.message);
    cr_assert_str_eq(err.message, r->err.message);
  } else {
    cr_assert_neq(st, INTERP_MALFORMED, "load: %s, decoder: OK", err.message);
  }
}

/* Decode, check that mod_free gives every byte back, and report. */
static result decode_with(const void *data, size_t len, budget *b) {
  result r;
  ialloc a;
  interp_module m;
  ialloc_init(&a, budget_alloc, b);
  memset(&m, 0, sizeof m);
  m.alloc = &a;
  r.status = mod_decode(&m, data, len, MOD_SCAN, &r.err);
  mod_free(&m);
  cr_assert_eq(a.live, 0, "mod_free leaked %llu bytes",
               (unsigned long long)a.live);
  r.peak = a.peak;
  if (b == NULL)
    expect_load_agrees(data, len, &r);
  return r;
}

static result decode(const void *data, size_t len) {
  return decode_with(data, len, NULL);
}

#define DECODE(lit) decode(lit, sizeof(lit) - 1)

static void expect_malformed(result r, const char *text) {
  cr_assert_eq(r.status, INTERP_MALFORMED, "status %s (%s), wanted \"%s\"",
               interp_status_name(r.status), r.err.message, text);
  cr_assert(strncmp(r.err.message, text, strlen(text)) == 0,
            "message \"%s\" does not start with \"%s\"", r.err.message, text);
}

static void expect_ok(result r) {
  cr_assert_eq(r.status, INTERP_OK, "status %s: %s",
               interp_status_name(r.status), r.err.message);
}

/* ---- header ---- */

Test(decode, empty_input_is_unexpected_end) {
  expect_malformed(decode("", 0), "unexpected end");
}

Test(decode, truncated_magic_is_unexpected_end) {
  expect_malformed(DECODE("\0as"), "unexpected end");
}

Test(decode, wrong_magic_is_malformed) {
  expect_malformed(DECODE("\0asn\1\0\0\0"), "magic header not detected");
}

Test(decode, wrong_version_is_malformed) {
  expect_malformed(DECODE("\0asm\2\0\0\0"), "unknown binary version");
}

Test(decode, header_alone_is_an_empty_module) {
  expect_ok(DECODE(HDR));
}

/* ---- LEB128 ---- */

Test(decode, overlong_leb128_is_malformed) {
  /* memory min 0 in six bytes */
  expect_malformed(DECODE(HDR "\x05\x08\x01\x00\x82\x80\x80\x80\x80\x00"),
                   "integer representation too long");
}

Test(decode, unused_bits_of_u32_are_malformed) {
  expect_malformed(DECODE(HDR "\x05\x07\x01\x00\x82\x80\x80\x80\x70"),
                   "integer too large");
}

Test(decode, non_sign_extension_bits_of_s32_are_malformed) {
  /* global i32 = i32.const with 0x0f in the fifth byte */
  expect_malformed(DECODE(HDR "\x06\x0a\x01\x7f\x00\x41\xff\xff\xff\xff\x0f"
                              "\x0b"),
                   "integer too large");
}

Test(decode, padded_leb128_within_the_limit_is_accepted) {
  /* i32.const -1 in five bytes, memory min 1 in five bytes */
  expect_ok(DECODE(HDR "\x05\x07\x01\x00\x81\x80\x80\x80\x00"
                       "\x06\x0a\x01\x7f\x00\x41\xff\xff\xff\xff\x7f\x0b"));
}

Test(decode, overlong_i64_constant_is_malformed) {
  expect_malformed(DECODE(HDR "\x06\x10\x01\x7e\x00\x42\x80\x80\x80\x80\x80"
                              "\x80\x80\x80\x80\x80\x00\x0b"),
                   "integer representation too long");
}

/* ---- sections ---- */

Test(decode, section_id_beyond_datacount_is_malformed) {
  expect_malformed(DECODE(HDR "\x0d\x00"), "malformed section id");
}

Test(decode, sections_out_of_order_are_malformed) {
  expect_malformed(DECODE(HDR FUNC0 TYPE0),
                   "unexpected content after last section");
}

Test(decode, repeated_section_is_malformed) {
  expect_malformed(DECODE(HDR TYPE0 TYPE0),
                   "unexpected content after last section");
}

Test(decode, section_shorter_than_its_contents_is_malformed) {
  /* type section says 3 bytes, its type needs 3 after the count */
  expect_malformed(DECODE(HDR "\x01\x03\x01\x60\x00\x00"),
                   "section size mismatch");
}

Test(decode, section_longer_than_its_contents_is_malformed) {
  expect_malformed(DECODE(HDR "\x01\x05\x01\x60\x00\x00\x00"),
                   "section size mismatch");
}

Test(decode, section_size_beyond_the_module_is_out_of_bounds) {
  expect_malformed(DECODE(HDR "\x01\x07\x01\x60\x00\x00"),
                   "length out of bounds");
}

Test(decode, count_beyond_the_bytes_is_unexpected_end) {
  expect_malformed(DECODE(HDR "\x04\x01\x01"), "unexpected end");
}

Test(decode, custom_sections_are_accepted_anywhere) {
  expect_ok(DECODE(HDR "\x00\x03\x01x\x00" TYPE0 "\x00\x02\x01y" FUNC0
                   "\x00\x01\x00" CODE0 "\x00\x02\x01z"));
}

Test(decode, custom_section_name_must_fit_its_section) {
  expect_malformed(DECODE(HDR "\x00\x00\x00\x05\x01\x00\x07\x00\x00"),
                   "unexpected end");
}

Test(decode, custom_section_name_must_be_utf8) {
  expect_malformed(DECODE(HDR "\x00\x02\x01\xff"), "malformed UTF-8 encoding");
}

/* ---- names ---- */

Test(decode, overlong_utf8_in_export_name_is_malformed) {
  expect_malformed(DECODE(HDR TYPE0 FUNC0 "\x07\x06\x01\x02\xc0\x80\x00\x00"
                          CODE0),
                   "malformed UTF-8 encoding");
}

Test(decode, utf8_surrogate_in_import_name_is_malformed) {
  expect_malformed(DECODE(HDR TYPE0 "\x02\x09\x01\x01m\x03\xed\xa0\x80\x00"
                                    "\x00"),
                   "malformed UTF-8 encoding");
}

Test(decode, four_byte_utf8_names_are_accepted) {
  expect_ok(DECODE(HDR TYPE0 FUNC0 "\x07\x08\x01\x04\xf0\x9f\x98\x80\x00\x00"
                   CODE0));
}

Test(decode, name_length_beyond_the_module_is_out_of_bounds) {
  expect_malformed(DECODE(HDR TYPE0 FUNC0 "\x07\x06\x01\x7f\x66\x31\x00\x00"),
                   "length out of bounds");
}

Test(decode, function_names_are_read_from_the_name_section) {
  static const char mod[] = HDR TYPE0 FUNC0 CODE0
      "\x00\x0c\x04name\x01\x05\x01\x00\x02hi";
  ialloc a;
  interp_module m;
  interp_error err;
  ialloc_init(&a, NULL, NULL);
  memset(&m, 0, sizeof m);
  m.alloc = &a;
  cr_assert_eq(mod_decode(&m, (const uint8_t *)mod, sizeof mod - 1, MOD_SCAN, &err),
               INTERP_OK, "%s", err.message);
  cr_assert_not_null(m.func_names);
  cr_assert_eq(m.func_names[0].len, 2);
  cr_assert(memcmp(m.func_names[0].bytes, "hi", 2) == 0);
  mod_free(&m);
  cr_assert_eq(a.live, 0);
}

Test(decode, malformed_name_section_is_ignored) {
  /* function name length runs past the subsection */
  expect_ok(DECODE(HDR TYPE0 FUNC0 CODE0
                   "\x00\x0c\x04name\x01\x05\x01\x00\x09hi"));
}

/* ---- types, imports, limits ---- */

Test(decode, long_function_type_form_is_malformed) {
  expect_malformed(DECODE(HDR "\x01\x05\x01\xe0\x7f\x00\x00"),
                   "integer representation too long");
}

Test(decode, unknown_import_kind_is_malformed) {
  expect_malformed(DECODE(HDR "\x02\x04\x01\x00\x00\x04"),
                   "malformed import kind");
}

Test(decode, global_mutability_above_one_is_malformed) {
  expect_malformed(DECODE(HDR "\x06\x06\x01\x7f\x02\x41\x00\x0b"),
                   "malformed mutability");
}

Test(decode, limits_flag_above_one_is_malformed) {
  expect_malformed(DECODE(HDR "\x05\x03\x01\x02\x00"), "integer too large");
}

Test(decode, table_of_a_numeric_type_is_malformed) {
  expect_malformed(DECODE(HDR "\x04\x04\x01\x7f\x00\x00"),
                   "malformed reference type");
}

/* ---- code ---- */

Test(decode, body_without_end_at_eof_is_unexpected_end) {
  expect_malformed(DECODE(HDR TYPE0 FUNC0 "\x0a\x06\x01\x04\x00\x41\x01\x1a"),
                   "unexpected end of section or function");
}

Test(decode, body_without_end_reads_into_the_next_and_wants_end) {
  expect_malformed(DECODE(HDR TYPE0 "\x03\x03\x02\x00\x00"
                          "\x0a\x0c\x02\x04\x00\x41\x01\x1a"
                          "\x05\x00\x41\x01\x1a\x0b"),
                   "END opcode expected");
}

Test(decode, else_outside_if_wants_end) {
  expect_malformed(DECODE(HDR TYPE0 FUNC0
                          "\x0a\x08\x01\x06\x00\x02\x40\x05\x0b\x0b"),
                   "END opcode expected");
}

/* interp_module_load reads bodies once, in the validator; each case below
** also checks that it reports what the decoder does (decode_with). */
Test(decode, a_malformed_body_after_an_invalid_one_is_what_loading_reports) {
  /* body 0: i32.add on an empty stack (invalid); body 1: opcode 0x06 */
  expect_malformed(DECODE(HDR TYPE0 "\x03\x03\x02\x00\x00"
                          "\x0a\x09\x02\x03\x00\x6a\x0b\x03\x00\x06\x0b"),
                   "illegal opcode at offset 0x1c");
}

Test(decode, bytes_after_a_bodys_end_are_a_size_mismatch) {
  expect_malformed(DECODE(HDR TYPE0 FUNC0 "\x0a\x05\x01\x03\x00\x0b\x01"),
                   "section size mismatch");
}

Test(decode, a_body_its_locals_fill_has_no_end) {
  expect_malformed(DECODE(HDR TYPE0 FUNC0 "\x0a\x03\x01\x01\x00"),
                   "unexpected end");
}

/* 0xFD 0x9A is a hole in the SIMD numbering. */
Test(decode, simd_unassigned_opcode_is_illegal) {
  expect_malformed(DECODE(HDR TYPE0 FUNC0
                          "\x0a\x07\x01\x05\x00\xfd\x9a\x01\x0b"),
                   "illegal opcode");
}

Test(decode, unassigned_opcodes_are_illegal) {
  expect_malformed(DECODE(HDR TYPE0 FUNC0 "\x0a\x05\x01\x03\x00\x06\x0b"),
                   "illegal opcode");
  expect_malformed(DECODE(HDR TYPE0 FUNC0 "\x0a\x06\x01\x04\x00\xfc\x12\x0b"),
                   "illegal opcode");
}

Test(decode, memory_size_reserved_byte_must_be_zero) {
  expect_malformed(DECODE(HDR TYPE0 FUNC0 "\x05\x03\x01\x00\x00"
                          "\x0a\x08\x01\x06\x00\x3f\x80\x00\x1a\x0b"),
                   "zero byte expected");
}

Test(decode, local_counts_summing_past_u32_are_too_many) {
  expect_malformed(DECODE(HDR TYPE0 FUNC0 "\x0a\x0c\x01\x0a\x02\xff\xff\xff"
                          "\xff\x0f\x7f\x02\x7e\x0b"),
                   "too many locals");
}

Test(decode, locals_beyond_the_implementation_limit_are_too_many) {
  /* 0x10000 locals: within u32, beyond 50,000 */
  expect_malformed(DECODE(HDR TYPE0 FUNC0 "\x0a\x08\x01\x06\x01\x80\x80\x04"
                          "\x7f\x0b"),
                   "too many locals");
}

Test(decode, function_section_without_code_is_inconsistent) {
  expect_malformed(DECODE(HDR TYPE0 FUNC0),
                   "function and code section have inconsistent lengths");
}

Test(decode, code_without_function_section_is_inconsistent) {
  expect_malformed(DECODE(HDR TYPE0 CODE0),
                   "function and code section have inconsistent lengths");
}

Test(decode, data_count_must_match_the_data_section) {
  expect_malformed(DECODE(HDR "\x05\x03\x01\x00\x01\x0c\x01\x02"
                          "\x0b\x04\x01\x01\x01\x61"),
                   "data count and data section have inconsistent lengths");
}

Test(decode, data_drop_needs_a_data_count_section) {
  expect_malformed(DECODE(HDR TYPE0 FUNC0 "\x05\x03\x01\x00\x00"
                          "\x0a\x07\x01\x05\x00\xfc\x09\x00\x0b"
                          "\x0b\x03\x01\x01\x00"),
                   "data count section required");
}

/* ---- segments ---- */

Test(decode, all_element_segment_encodings_are_read) {
  static const char mod[] = HDR TYPE0 FUNC0
      "\x04\x04\x01\x70\x00\x01"                     /* table funcref 1 */
      "\x09\x2f\x08"
      "\x00\x41\x00\x0b\x01\x00"                     /* 0: active, funcs */
      "\x01\x00\x01\x00"                             /* 1: passive, funcs */
      "\x02\x00\x41\x00\x0b\x00\x01\x00"             /* 2: table 0, funcs */
      "\x03\x00\x01\x00"                             /* 3: declarative */
      "\x04\x41\x00\x0b\x01\xd2\x00\x0b"             /* 4: active, exprs */
      "\x05\x70\x01\xd0\x70\x0b"                     /* 5: passive, exprs */
      "\x06\x00\x41\x00\x0b\x70\x00"                 /* 6: table 0, exprs */
      "\x07\x70\x00"                                 /* 7: declarative */
      CODE0;
  ialloc a;
  interp_module m;
  interp_error err;
  ialloc_init(&a, NULL, NULL);
  memset(&m, 0, sizeof m);
  m.alloc = &a;
  cr_assert_eq(mod_decode(&m, (const uint8_t *)mod, sizeof mod - 1, MOD_SCAN, &err),
               INTERP_OK, "%s", err.message);
  cr_assert_eq(m.nelems, 8);
  cr_assert_eq(m.elems[1].mode, MOD_SEG_PASSIVE);
  cr_assert_eq(m.elems[3].mode, MOD_SEG_DECLARATIVE);
  cr_assert_eq(m.elems[4].items[0].op, OP_REF_FUNC);
  cr_assert_eq(m.elems[5].items[0].op, OP_REF_NULL);
  cr_assert(m.declared_funcs[0] & 1, "ref.func 0 in a segment declares it");
  mod_free(&m);
  cr_assert_eq(a.live, 0);
}

Test(decode, element_segment_kind_above_seven_is_malformed) {
  expect_malformed(DECODE(HDR "\x09\x02\x01\x08"),
                   "malformed elements segment kind");
}

Test(decode, element_kind_other_than_funcref_is_malformed) {
  expect_malformed(DECODE(HDR "\x09\x04\x01\x01\x01\x00"),
                   "malformed element kind");
}

Test(decode, all_data_segment_encodings_are_read) {
  expect_ok(DECODE(HDR "\x05\x03\x01\x00\x01"
                   "\x0b\x11\x03"
                   "\x00\x41\x00\x0b\x01\x61"          /* 0: active */
                   "\x01\x01\x62"                      /* 1: passive */
                   "\x02\x00\x41\x01\x0b\x01\x63"));   /* 2: memory 0 */
}

Test(decode, data_bytes_beyond_the_module_are_unexpected_end) {
  expect_malformed(DECODE(HDR "\x05\x03\x01\x00\x01"
                          "\x0b\x07\x01\x00\x41\x00\x0b\x07\x61"),
                   "unexpected end");
}

/* ---- hostile input ---- */

/* A module that touches most sections, for the whole-module tests below. */
static const char rich[] = HDR
    "\x01\x09\x02\x60\x01\x7f\x01\x7f\x60\x00\x00"      /* 2 types */
    "\x02\x08\x01\x01m\x01g\x03\x7f\x00"                /* import global */
    "\x03\x03\x02\x00\x01"                              /* 2 functions */
    "\x04\x04\x01\x70\x00\x02"                          /* table */
    "\x05\x03\x01\x00\x01"                              /* memory */
    "\x06\x06\x01\x7f\x01\x41\x07\x0b"                  /* global */
    "\x07\x05\x01\x01\x66\x00\x00"                      /* export "f" */
    "\x08\x01\x01"                                      /* start */
    "\x09\x07\x01\x00\x41\x00\x0b\x01\x00"              /* elem */
    "\x0c\x01\x01"                                      /* data count */
    "\x0a\x15\x02"                                      /* code */
    "\x0e\x01\x01\x7e\x20\x00\x04\x7f\x41\x01\x05\x41\x02\x0b\x0b"
    "\x04\x00\x01\x01\x0b"
    "\x0b\x07\x01\x00\x41\x00\x0b\x01\x61"              /* data */
    "\x00\x0b\x04name\x01\x04\x01\x00\x01" "f";        /* names */

Test(decode, rich_module_decodes) {
  expect_ok(decode(rich, sizeof rich - 1));
}

Test(decode, every_truncation_of_a_module_fails_cleanly) {
  size_t len = sizeof rich - 1;
  for (size_t n = 0; n < len; n++) {
    result r = decode(rich, n);
    /* A cut that falls between sections can leave a shorter valid
    ** module; any other cut is malformed, with a message. */
    cr_assert(r.status == INTERP_OK || r.status == INTERP_MALFORMED,
              "prefix %zu: %s", n, interp_status_name(r.status));
    if (r.status == INTERP_MALFORMED)
      cr_assert(r.err.message[0] != '\0', "prefix %zu: no message", n);
  }
}

Test(decode, every_failed_allocation_is_out_of_memory) {
  size_t len = sizeof rich - 1;
  for (long fail_at = 0;; fail_at++) {
    budget b = {fail_at};
    result r = decode_with(rich, len, &b);
    if (r.status == INTERP_OK)
      break;
    cr_assert_eq(r.status, INTERP_NOMEM, "allocation %ld: %s (%s)", fail_at,
                 interp_status_name(r.status), r.err.message);
    cr_assert(r.err.message[0] != '\0');
  }
}

Test(decode, huge_counts_allocate_no_more_than_the_bytes_left) {
  /* 2^32-1 types, imports, elements and bodies, with nothing after them */
  static const char *const sections[] = {
      HDR "\x01\x05\xff\xff\xff\xff\x0f", HDR "\x02\x05\xff\xff\xff\xff\x0f",
      HDR "\x09\x05\xff\xff\xff\xff\x0f", HDR "\x0a\x05\xff\xff\xff\xff\x0f"};
  for (size_t i = 0; i < sizeof sections / sizeof sections[0]; i++) {
    result r = decode(sections[i], 15);
    cr_assert_eq(r.status, INTERP_MALFORMED);
    cr_assert_lt(r.peak, 4096, "section %zu: peak %llu bytes", i,
                 (unsigned long long)r.peak);
  }
}

Test(decode, deep_nesting_needs_no_recursion) {
  enum { DEPTH = 200000 };
  size_t body = 1 + DEPTH * 2 + DEPTH + 1;   /* locals, blocks, ends, end */
  size_t len = 8 + 6 + 4 + 1 + 5 + 1 + 5 + body;
  uint8_t *mod = malloc(len), *p = mod;
  cr_assert_not_null(mod);
  memcpy(p, HDR TYPE0 FUNC0, 18);
  p += 18;
  *p++ = 0x0a;
  uint32_t sizes[2] = {(uint32_t)(body + 6), (uint32_t)body};
  for (int s = 0; s < 2; s++) {
    if (s == 1)
      *p++ = 1;          /* one body */
    for (int k = 0; k < 4; k++)
      *p++ = (uint8_t)((sizes[s] >> (7 * k) & 0x7f) | 0x80);
    *p++ = (uint8_t)(sizes[s] >> 28);
  }
  *p++ = 0;              /* no locals */
  for (int i = 0; i < DEPTH; i++) {
    *p++ = 0x02;
    *p++ = 0x40;
  }
  memset(p, 0x0b, DEPTH + 1);
  p += DEPTH + 1;
  cr_assert_eq((size_t)(p - mod), len);
  expect_ok(decode(mod, len));
  free(mod);
}

/* ---- implementation limits ---- */

/* n exports of function 0, named by number, or n function imports. */
static buf many_entries(uint32_t n, bool exports) {
  buf v = {0};
  put_u32(&v, n);
  for (uint32_t i = 0; i < n; i++) {
    char name[16];
    int len = snprintf(name, sizeof name, "%u", i);
    if (!exports)
      put(&v, "\x01m", 2);
    put_u32(&v, (uint32_t)len);
    put(&v, name, (size_t)len);
    put(&v, "\0\0", 2); /* func 0, or type 0 */
  }
  bytes section = {(const char *)v.p, v.n};
  buf m = build(exports ? (parts){.export = section, .body = B("\x00\x0b")}
                        : (parts){.import = section});
  free(v.p);
  return m;
}

/* A module at a limit decodes; one past it is malformed with 'message'. */
static void expect_limit(buf at, buf over, const char *message) {
  expect_ok(decode(at.p, at.n));
  expect_malformed(decode(over.p, over.n), message);
  free(at.p);
  free(over.p);
}

Test(decode, at_most_100000_exports) {
  expect_limit(many_entries(INTERP_MAX_EXPORTS, true),
               many_entries(INTERP_MAX_EXPORTS + 1, true), "too many exports");
}

Test(decode, at_most_100000_imports) {
  expect_limit(many_entries(INTERP_MAX_IMPORTS, false),
               many_entries(INTERP_MAX_IMPORTS + 1, false), "too many imports");
}
