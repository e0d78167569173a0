/*
** test_cli_options.c: the CLI's value parsers, accepted and refused.
*/
#include <criterion/criterion.h>
#include <math.h>

#include "options.h"

Test(cli_options, sizes) {
  uint64_t v;
  cr_assert_null(policy_parse_size("4096", &v));
  cr_assert_eq(v, 4096);
  cr_assert_null(policy_parse_size("64K", &v));
  cr_assert_eq(v, 65536);
  cr_assert_null(policy_parse_size("16M", &v));
  cr_assert_eq(v, 16u << 20);
  cr_assert_null(policy_parse_size("2G", &v));
  cr_assert_eq(v, 2ull << 30);
  cr_assert_str_eq(policy_parse_size("12x", &v),
                   "expected bytes, with an optional K, M or G suffix");
  cr_assert_not_null(policy_parse_size("", &v));
  cr_assert_not_null(policy_parse_size("-1", &v));
  cr_assert_not_null(policy_parse_size("M", &v));
  cr_assert_str_eq(policy_parse_size("0", &v), "must be more than zero");
  cr_assert_str_eq(policy_parse_size("99999999999999999999", &v),
                   "expected bytes, with an optional K, M or G suffix");
  cr_assert_str_eq(policy_parse_size("99999999999G", &v), "too large");
}

Test(cli_options, durations) {
  uint64_t v;
  cr_assert_null(policy_parse_duration("5", &v));
  cr_assert_eq(v, 5000, "a bare number is seconds");
  cr_assert_null(policy_parse_duration("250ms", &v));
  cr_assert_eq(v, 250);
  cr_assert_null(policy_parse_duration("3s", &v));
  cr_assert_eq(v, 3000);
  cr_assert_null(policy_parse_duration("2m", &v));
  cr_assert_eq(v, 120000);
  cr_assert_not_null(policy_parse_duration("1.5s", &v));
  cr_assert_not_null(policy_parse_duration("5h", &v));
  cr_assert_str_eq(policy_parse_duration("0s", &v), "must be more than zero");
}

Test(cli_options, counts) {
  uint64_t v;
  cr_assert_null(policy_parse_count("1000000", &v));
  cr_assert_eq(v, 1000000);
  cr_assert_str_eq(policy_parse_count("1e6", &v),
                   "expected a positive whole number");
  cr_assert_str_eq(policy_parse_count("0", &v), "must be more than zero");
}

Test(cli_options, function_types) {
  cli_functype ft;
  cr_assert(cli_parse_functype("(i32 i64) -> (f32)", &ft));
  cr_assert_eq(ft.nparams, 2);
  cr_assert_eq(ft.params[0], PLUGSUP_I32);
  cr_assert_eq(ft.params[1], PLUGSUP_I64);
  cr_assert_eq(ft.nresults, 1);
  cr_assert_eq(ft.results[0], PLUGSUP_F32);
  cr_assert(cli_parse_functype("() -> ()", &ft));
  cr_assert_eq(ft.nparams + ft.nresults, 0);
  cr_assert(cli_parse_functype("(externref, f64) -> (funcref)", &ft));
  cr_assert_eq(ft.params[0], PLUGSUP_EXTERNREF);
  cr_assert_not(cli_parse_functype("(i32) (i32)", &ft));
  cr_assert_not(cli_parse_functype("(i33) -> ()", &ft));
  cr_assert_not(cli_parse_functype("(i32 -> ()", &ft));
}

Test(cli_options, values) {
  plugsup_value v;
  cli_why why;
  cr_assert_null(cli_parse_value("-5", PLUGSUP_I32, &v, &why));
  cr_assert_eq(v.of.i32, -5);
  cr_assert_null(cli_parse_value("4294967295", PLUGSUP_I32, &v, &why));
  cr_assert_eq(v.of.i32, -1);
  cr_assert_null(cli_parse_value("0x10", PLUGSUP_I64, &v, &why));
  cr_assert_eq(v.of.i64, 16);
  cr_assert_null(cli_parse_value("i64:-9223372036854775808", PLUGSUP_I64, &v, &why));
  cr_assert_eq(v.of.i64, INT64_MIN);
  cr_assert_null(cli_parse_value("2.5", PLUGSUP_F64, &v, &why));
  cr_assert_eq(v.of.f64, 2.5);
  cr_assert_null(cli_parse_value("nan", PLUGSUP_F32, &v, &why));
  cr_assert(isnan(v.of.f32));
  cr_assert_null(cli_parse_value("null", PLUGSUP_EXTERNREF, &v, &why));
  cr_assert_str_eq(cli_parse_value("4294967296", PLUGSUP_I32, &v, &why),
                   "expected a 32-bit integer");
  cr_assert_str_eq(cli_parse_value("abc", PLUGSUP_I32, &v, &why),
                   "expected a 32-bit integer");
  cr_assert_str_eq(cli_parse_value("1.5", PLUGSUP_I32, &v, &why),
                   "expected a 32-bit integer");
  cr_assert_str_eq(cli_parse_value("f32:1", PLUGSUP_I32, &v, &why),
                   "its type prefix does not match the parameter's type");
  cr_assert_str_eq(cli_parse_value("", PLUGSUP_F64, &v, &why),
                   "expected a number (or nan, inf)");
}

/* v's 16 bytes are 'want', as lane 0 first, little endian, gives them. */
static void expect_bytes(const plugsup_value *v, const uint8_t want[16]) {
  cr_assert_eq(v->type, PLUGSUP_V128);
  cr_assert_arr_eq(v->of.v128, want, 16);
}

Test(cli_options, v128_every_shape_lays_its_lanes_out_little_endian) {
  plugsup_value v;
  cli_why why;
  static const uint8_t i8[16] = {1, 0xff, 0x80, 0x7f, 0xff, 0x10, 0, 0,
                                 0, 0, 0, 0, 0, 0, 0, 2};
  static const uint8_t i16[16] = {1, 0, 0xff, 0xff, 0xff, 0xff, 0x34, 0x12};
  static const uint8_t i32[16] = {1, 0, 0, 0, 0xfe, 0xff, 0xff, 0xff,
                                  0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0x80};
  static const uint8_t i64[16] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                  0xff, 0x10, 0, 0, 0, 0, 0, 0, 0};
  static const uint8_t f32[16] = {0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0,
                                  0, 0, 0xc0, 0x7f, 0, 0, 0x80, 0x7f};
  static const uint8_t f64[16] = {0, 0, 0, 0, 0, 0, 0xf8, 0x3f,
                                  0, 0, 0, 0, 0, 0, 0xf0, 0xff};
  cr_assert_null(cli_parse_value("i8x16:1,-1,-128,127,255,0x10,0,0,0,0,0,0,"
                                 "0,0,0,2", PLUGSUP_V128, &v, &why));
  expect_bytes(&v, i8);
  cr_assert_null(cli_parse_value("i16x8:1,65535,-1,0x1234,0,0,0,0",
                                 PLUGSUP_V128, &v, &why));
  expect_bytes(&v, i16);
  cr_assert_null(cli_parse_value("i32x4:1,-2,4294967295,-2147483648",
                                 PLUGSUP_V128, &v, &why));
  expect_bytes(&v, i32);
  cr_assert_null(cli_parse_value("i64x2:-1,16", PLUGSUP_V128, &v, &why));
  expect_bytes(&v, i64);
  cr_assert_null(cli_parse_value("f32x4:1,-2,nan,inf", PLUGSUP_V128, &v,
                                 &why));
  expect_bytes(&v, f32);
  cr_assert_null(cli_parse_value("f64x2:1.5,-inf", PLUGSUP_V128, &v, &why));
  expect_bytes(&v, f64);
}

Test(cli_options, v128_is_typed_by_its_shape_not_by_a_v128_prefix) {
  plugsup_valtype t;
  cr_assert(cli_value_type("i64x2:1,2", &t));
  cr_assert_eq(t, PLUGSUP_V128);
  cr_assert_not(cli_value_type("v128:i32x4:1,2,3,4", &t));
}

/* The sentence cli_parse_value gives for text as a v128. */
static const char *v128_refusal(const char *text, cli_why *why) {
  plugsup_value v;
  const char *bad = cli_parse_value(text, PLUGSUP_V128, &v, why);
  cr_assert_not_null(bad, "'%s' was accepted", text);
  return bad;
}

Test(cli_options, v128_refusals_name_the_shape_and_the_lane) {
  cli_why why;
  cr_assert_str_eq(v128_refusal("5", &why),
                   "expected SHAPE:LANES, as in i32x4:1,2,3,4");
  cr_assert_str_eq(v128_refusal("i32x5:1,2,3,4,5", &why),
                   "unknown shape 'i32x5': use i8x16, i16x8, i32x4, i64x2, "
                   "f32x4 or f64x2");
  cr_assert_str_eq(v128_refusal("v128:i32x4:1,2,3,4", &why),
                   "unknown shape 'v128': use i8x16, i16x8, i32x4, i64x2, "
                   "f32x4 or f64x2");
  cr_assert_str_eq(v128_refusal("i32x4:1,2,3", &why),
                   "i32x4 takes 4 lanes, got 3");
  cr_assert_str_eq(v128_refusal("i64x2:1,2,", &why),
                   "i64x2 takes 2 lanes, got 3");
  cr_assert_str_eq(v128_refusal("i16x8:1,2,x,4,5,6,7,8", &why),
                   "lane 2 'x' of i16x8 is not an integer");
  cr_assert_str_eq(v128_refusal("i32x4:1,1.5,3,4", &why),
                   "lane 1 '1.5' of i32x4 is not an integer");
  cr_assert_str_eq(v128_refusal("i8x16:0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,256",
                                &why),
                   "lane 15 '256' of i8x16 is out of range (-128 to 255)");
  cr_assert_str_eq(v128_refusal("i8x16:-129,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0",
                                &why),
                   "lane 0 '-129' of i8x16 is out of range (-128 to 255)");
  cr_assert_str_eq(v128_refusal("i64x2:0,18446744073709551616", &why),
                   "lane 1 '18446744073709551616' of i64x2 is out of range "
                   "(-9223372036854775808 to 18446744073709551615)");
  cr_assert_str_eq(v128_refusal("f32x4:1,2,3,pi", &why),
                   "lane 3 'pi' of f32x4 is not a number (or nan, inf)");
  cr_assert_str_eq(v128_refusal("f64x2:1,0000000000000000000000000000000000"
                                "0000000000000000000000000000001", &why),
                   "lane 1 of f64x2 is longer than 63 characters");
}

Test(cli_options, v128_type_prefix_must_match_the_parameter) {
  plugsup_value v;
  cli_why why;
  cr_assert_str_eq(cli_parse_value("i32x4:1,2,3,4", PLUGSUP_I32, &v, &why),
                   "its type prefix does not match the parameter's type");
  cr_assert_str_eq(cli_parse_value("i32:1", PLUGSUP_V128, &v, &why),
                   "its type prefix does not match the parameter's type");
}

Test(cli_options, v128_prints_as_i32x4) {
  char buf[CLI_VALUE_TEXT_MAX];
  plugsup_value v;
  cli_why why;
  cr_assert_null(cli_parse_value("i8x16:1,0,0,0,0xff,0xff,0xff,0xff,0,0,0,"
                                 "0x80,0,0,0,0", PLUGSUP_V128, &v, &why));
  cli_format_value(&v, buf, sizeof buf);
  cr_assert_str_eq(buf, "i32x4:1,-1,-2147483648,0");
  cr_assert_null(cli_parse_value("i32x4:-2147483648,-2147483648,-2147483648,"
                                 "-2147483648", PLUGSUP_V128, &v, &why));
  cli_format_value(&v, buf, sizeof buf);
  cr_assert_str_eq(buf, "i32x4:-2147483648,-2147483648,-2147483648,"
                        "-2147483648");
}

Test(cli_options, formatting) {
  char buf[64];
  plugsup_value v = {.type = PLUGSUP_F64, .of.f64 = 0.1};
  cli_format_value(&v, buf, sizeof buf);
  cr_assert_str_eq(buf, "0.10000000000000001");
  v = (plugsup_value){.type = PLUGSUP_I64, .of.i64 = -7};
  cli_format_value(&v, buf, sizeof buf);
  cr_assert_str_eq(buf, "-7");
  v = (plugsup_value){.type = PLUGSUP_FUNCREF, .of.ref = 0};
  cli_format_value(&v, buf, sizeof buf);
  cr_assert_str_eq(buf, "null");
}
