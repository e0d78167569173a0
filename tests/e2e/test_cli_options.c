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
  cr_assert_null(cli_parse_value("-5", PLUGSUP_I32, &v));
  cr_assert_eq(v.of.i32, -5);
  cr_assert_null(cli_parse_value("4294967295", PLUGSUP_I32, &v));
  cr_assert_eq(v.of.i32, -1);
  cr_assert_null(cli_parse_value("0x10", PLUGSUP_I64, &v));
  cr_assert_eq(v.of.i64, 16);
  cr_assert_null(cli_parse_value("i64:-9223372036854775808", PLUGSUP_I64, &v));
  cr_assert_eq(v.of.i64, INT64_MIN);
  cr_assert_null(cli_parse_value("2.5", PLUGSUP_F64, &v));
  cr_assert_eq(v.of.f64, 2.5);
  cr_assert_null(cli_parse_value("nan", PLUGSUP_F32, &v));
  cr_assert(isnan(v.of.f32));
  cr_assert_null(cli_parse_value("null", PLUGSUP_EXTERNREF, &v));
  cr_assert_str_eq(cli_parse_value("4294967296", PLUGSUP_I32, &v),
                   "expected a 32-bit integer");
  cr_assert_str_eq(cli_parse_value("abc", PLUGSUP_I32, &v),
                   "expected a 32-bit integer");
  cr_assert_str_eq(cli_parse_value("1.5", PLUGSUP_I32, &v),
                   "expected a 32-bit integer");
  cr_assert_str_eq(cli_parse_value("f32:1", PLUGSUP_I32, &v),
                   "its type prefix does not match the parameter's type");
  cr_assert_str_eq(cli_parse_value("", PLUGSUP_F64, &v),
                   "expected a number (or nan, inf)");
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
