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

/* The type a value is written with ("i64:5": i64); false for an untyped
** one ("5"). */
bool cli_value_type(const char *s, plugsup_valtype *out);

/* One argument: "5", "-1.5", "0x10", "nan", "inf", or typed "i64:5"
** (the type must then equal 'want'). */
const char *cli_parse_value(const char *s, plugsup_valtype want,
                            plugsup_value *out);

/* Writes v as text ("5", "-1.5", "nan", "null") into buf. */
void cli_format_value(const plugsup_value *v, char *buf, size_t size);

#endif
