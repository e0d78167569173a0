/*
** options.h: parsing the plugsup command line's values: wasm values typed
** by an export's signature; sizes, durations and counts (policy_units.h).
*/
#ifndef PLUGSUP_CLI_OPTIONS_H
#define PLUGSUP_CLI_OPTIONS_H

#include <stddef.h>
#include <stdint.h>

#include "plugsup.h"

/* Sizes, durations and counts: policy_parse_size, _memory, _duration and
** _count, shared with policy files. */
#include "policy_units.h"

/* The parameter and result types of a function type written by the worker
** as "(i32 i64) -> (f32)". False if the text is not of that shape. */
#define CLI_MAX_TYPES 64
typedef struct cli_functype {
  plugsup_valtype params[CLI_MAX_TYPES], results[CLI_MAX_TYPES];
  size_t nparams, nresults;
} cli_functype;
bool cli_parse_functype(const char *text, cli_functype *out);

/* "i32", "f64", ... ; NULL for an unknown type. */
const char *cli_valtype_name(plugsup_valtype t);

/* The type a value is written with ("i64:5": i64; a v128's shape,
** "i32x4:1,2,3,4": v128); false for an untyped one ("5"). */
bool cli_value_type(const char *s, plugsup_valtype *out);

/* Room for why a value was refused when the sentence quotes part of it
** (a v128's lane). */
#define CLI_LANE_TEXT_MAX 63
typedef struct cli_why {
  char text[192];
} cli_why;

/* One argument: "5", "-1.5", "0x10", "nan", "inf", typed "i64:5" (the
** type must then equal 'want'), or a v128 as SHAPE:LANES, "i32x4:1,2,3,4"
** (shapes i8x16, i16x8, i32x4, i64x2, f32x4, f64x2; lanes as the numbers
** of that width are written, lane 0 first). NULL, or why not: a static
** sentence or why->text. */
const char *cli_parse_value(const char *s, plugsup_valtype want,
                            plugsup_value *out, cli_why *why);

/* Room for any value's text: the longest, an i32x4 of four -2147483648,
** takes 54 bytes. */
#define CLI_VALUE_TEXT_MAX 64

/* Writes v as text ("5", "-1.5", "nan", "null", a v128 as
** "i32x4:1,2,3,4") into buf. */
void cli_format_value(const plugsup_value *v, char *buf, size_t size);

/* The four i32 lanes of a v128, the shape it is printed in. */
void cli_v128_i32x4(const plugsup_value *v, int32_t lanes[4]);

#endif
