/*
** test_schema.c: configurations against JSON Schemas: each keyword's
** refusal with its exact message and path, defaults filled in, schemas
** that cannot be used, and hostile schemas stopped by the bounds.
*/
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema.h"

/* The form Reglet's SDK generates (invopop/jsonschema, ExpandedStruct). */
static const char *const FILE_SCHEMA =
    "{\"$schema\":\"https://json-schema.org/draft/2020-12/schema\","
    "\"$id\":\"https://example.com/file-config\","
    "\"properties\":{"
    "\"path\":{\"type\":\"string\",\"description\":\"Path to file\"},"
    "\"port\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":65535,"
    "\"default\":80},"
    "\"mode\":{\"type\":\"string\",\"enum\":[\"a\",\"b\"]},"
    "\"retries\":{\"type\":\"integer\"},"
    "\"limits\":{\"$ref\":\"#/$defs/Limits\"},"
    "\"tags\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}}},"
    "\"additionalProperties\":false,\"type\":\"object\","
    "\"required\":[\"path\",\"port\"],"
    "\"$defs\":{\"Limits\":{\"properties\":{\"max\":{\"type\":\"number\","
    "\"exclusiveMaximum\":100}},\"additionalProperties\":false,"
    "\"type\":\"object\"}}}";

static char *ok(const char *schema, const char *config) {
  char err[512], *out = NULL;
  int rc = schema_check(schema, strlen(schema), config, strlen(config), &out,
                        err, sizeof err);
  cr_assert_eq(rc, SCHEMA_OK, "%s", err);
  return out;
}

static const char *refusal(const char *schema, const char *config, int want) {
  static char err[512];
  char *out = (char *)"untouched";
  int rc = schema_check(schema, strlen(schema), config, strlen(config), &out,
                        err, sizeof err);
  cr_assert_eq(rc, want, "rc %d: %s", rc, rc ? err : out);
  cr_assert_null(out);
  return err;
}

#define MISMATCH(schema, config) refusal(schema, config, SCHEMA_MISMATCH)
#define UNUSABLE(schema, config) refusal(schema, config, SCHEMA_UNUSABLE)

Test(schema, a_matching_config_gets_its_defaults) {
  char *out = ok(FILE_SCHEMA, "{\"path\":\"/etc/hosts\",\"tags\":[\"x\"]}");
  cr_assert_str_eq(out, "{\"path\":\"/etc/hosts\",\"tags\":[\"x\"],"
                        "\"port\":80}");
  free(out);
}

Test(schema, an_empty_config_is_an_empty_object) {
  char *out = ok("{\"properties\":{\"a\":{\"default\":[1]}}}", "");
  cr_assert_str_eq(out, "{\"a\":[1]}");
  free(out);
}

Test(schema, messages_carry_the_path_and_the_reason) {
  cr_assert_str_eq(MISMATCH(FILE_SCHEMA, "{\"path\":\"/\",\"port\":70000}"),
                   "config.port: 70000 is above the maximum 65535");
  cr_assert_str_eq(MISMATCH(FILE_SCHEMA, "{\"path\":\"/\",\"port\":0}"),
                   "config.port: 0 is below the minimum 1");
  cr_assert_str_eq(MISMATCH(FILE_SCHEMA, "{\"port\":1}"),
                   "config: missing required property 'path'");
  cr_assert_str_eq(MISMATCH(FILE_SCHEMA, "{\"path\":\"/\",\"mode\":\"x\"}"),
                   "config.mode: \"x\" is not one of \"a\", \"b\"");
  cr_assert_str_eq(MISMATCH(FILE_SCHEMA, "{\"path\":\"/\",\"retries\":\"3\"}"),
                   "config.retries: expected integer, got string");
  cr_assert_str_eq(MISMATCH(FILE_SCHEMA, "{\"path\":\"/\",\"colour\":1}"),
                   "config: unknown property 'colour'");
  cr_assert_str_eq(MISMATCH(FILE_SCHEMA, "{\"path\":\"/\",\"tags\":[\"a\",2]}"),
                   "config.tags[1]: expected string, got integer");
  cr_assert_str_eq(MISMATCH(FILE_SCHEMA, "[]"),
                   "config: expected object, got array");
  cr_assert_str_eq(MISMATCH(FILE_SCHEMA, "{\"path\""),
                   "config: not JSON: 1:7: ':' expected near end of file");
}

Test(schema, refs_reach_defs_and_definitions) {
  cr_assert_str_eq(
      MISMATCH(FILE_SCHEMA, "{\"path\":\"/\",\"limits\":{\"max\":100}}"),
      "config.limits.max: 100 is not below the exclusive maximum 100");
  cr_assert_str_eq(
      MISMATCH("{\"properties\":{\"a\":{\"$ref\":\"#/definitions/A\"}},"
               "\"definitions\":{\"A\":{\"type\":\"boolean\"}}}",
               "{\"a\":null}"),
      "config.a: expected boolean, got null");
  cr_assert_str_eq(
      MISMATCH("{\"properties\":{\"a~b/c\":{\"type\":\"null\"}},"
               "\"$ref\":\"#/properties/a~0b~1c\"}",
               "{}"),
      "config: expected null, got object");
}

Test(schema, types_lists_and_numbers_as_json_schema_says) {
  char *out = ok("{\"type\":\"integer\"}", "3.0");
  cr_assert_str_eq(out, "3.0", "3.0 is an integer");
  free(out);
  free(ok("{\"type\":\"number\"}", "3"));
  free(ok("{\"type\":[\"string\",\"null\"]}", "null"));
  cr_assert_str_eq(MISMATCH("{\"type\":[\"string\",\"null\"]}", "1.5"),
                   "config: expected string or null, got number");
  cr_assert_str_eq(MISMATCH("{\"exclusiveMinimum\":0}", "0"),
                   "config: 0 is not above the exclusive minimum 0");
  cr_assert_str_eq(MISMATCH("{\"const\":\"on\"}", "\"off\""),
                   "config: \"off\" is not \"on\"");
  free(ok("{\"enum\":[1]}", "1.0"));
  cr_assert_str_eq(MISMATCH("{\"minimum\":9007199254740993}",
                            "9007199254740992"),
                   "config: 9007199254740992 is below the minimum "
                   "9007199254740993",
                   "integers compare exactly");
}

Test(schema, sizes_of_strings_arrays_and_objects) {
  cr_assert_str_eq(MISMATCH("{\"minLength\":2}", "\"\xc3\xa9\""),
                   "config: has 1 characters, fewer than the minimum 2");
  cr_assert_str_eq(MISMATCH("{\"maxItems\":1}", "[1,2]"),
                   "config: has 2 items, more than the maximum 1");
  cr_assert_str_eq(MISMATCH("{\"minProperties\":1}", "{}"),
                   "config: has 0 properties, fewer than the minimum 1");
}

Test(schema, boolean_schemas_and_additional_property_schemas) {
  free(ok("{\"properties\":{\"a\":true}}", "{\"a\":[1]}"));
  cr_assert_str_eq(MISMATCH("{\"properties\":{\"a\":false}}", "{\"a\":1}"),
                   "config.a: not allowed by the schema");
  cr_assert_str_eq(
      MISMATCH("{\"additionalProperties\":{\"type\":\"string\"}}",
               "{\"k\":1}"),
      "config.k: expected string, got integer");
}

Test(schema, a_required_property_with_a_default_is_never_missing) {
  char *out = ok("{\"properties\":{\"n\":{\"default\":3}},\"required\":"
                 "[\"n\"]}",
                 "{}");
  cr_assert_str_eq(out, "{\"n\":3}");
  free(out);
}

Test(schema, unusable_schemas_are_a_distinct_error) {
  cr_assert_str_eq(UNUSABLE("x", "{}"),
                   "schema: not JSON: 1:1: invalid token near 'x'");
  cr_assert_str_eq(UNUSABLE("[]", "{}"), "schema: not a JSON object");
  cr_assert_str_eq(UNUSABLE("{\"$ref\":\"#/$defs/Z\"}", "{}"),
                   "schema: $ref \"#/$defs/Z\" does not resolve (only local "
                   "ones do: #, #/$defs/NAME, #/definitions/NAME)");
  cr_assert_str_eq(UNUSABLE("{\"$ref\":\"https://x/s.json\"}", "{}"),
                   "schema: $ref \"https://x/s.json\" does not resolve (only "
                   "local ones do: #, #/$defs/NAME, #/definitions/NAME)");
  cr_assert_str_eq(
      UNUSABLE("{\"$ref\":\"#/$defs/A\",\"$defs\":{\"A\":{\"$ref\":"
               "\"#/$defs/B\"},\"B\":{\"$ref\":\"#/$defs/A\"}}}",
               "{}"),
      "schema: $ref \"#/$defs/A\" is a reference cycle");
  cr_assert_str_eq(UNUSABLE("{\"type\":\"int\"}", "1"),
                   "schema: at config: unknown type \"int\"");
  cr_assert_str_eq(UNUSABLE("{\"properties\":{\"a\":{\"maximum\":\"9\"}}}",
                            "{\"a\":1}"),
                   "schema: at config.a: 'maximum' must be a number");
  cr_assert_str_eq(UNUSABLE("{\"properties\":{\"a\":1}}", "{\"a\":1}"),
                   "schema: at config.a: a schema must be an object or a "
                   "boolean");
  cr_assert_str_eq(UNUSABLE("{\"items\":[{}]}", "[1]"),
                   "schema: at config: 'items' must be a schema (an array of "
                   "them is not supported)");
}

Test(schema, a_recursive_schema_stops_at_the_depth_bound) {
  char config[200] = "";
  for (int i = 0; i < 70; i++)
    strcat(config, "[");
  for (int i = 0; i < 70; i++)
    strcat(config, "]");
  const char *err = MISMATCH("{\"items\":{\"$ref\":\"#\"}}", config);
  cr_assert(strstr(err, ": nested deeper than 64 levels"), "%s", err);
}

Test(schema, a_hostile_enum_stops_at_the_step_bound) {
  /* 20000 enum members, the match last, for each of 100 elements: 2M
  ** steps. */
  size_t cap = 20000 * 2 + 64;
  char *schema = malloc(cap), *config = malloc(512);
  size_t n = (size_t)snprintf(schema, cap, "{\"items\":{\"enum\":[");
  for (int i = 0; i < 20000; i++)
    n += (size_t)snprintf(schema + n, cap - n, "%s%d", i ? "," : "",
                          i == 19999);
  snprintf(schema + n, cap - n, "]}}");
  n = (size_t)snprintf(config, 512, "[");
  for (int i = 0; i < 100; i++)
    n += (size_t)snprintf(config + n, 512 - n, "%s1", i ? "," : "");
  snprintf(config + n, 512 - n, "]");
  cr_assert_str_eq(UNUSABLE(schema, config),
                   "schema: more than 1000000 steps for this configuration");
  free(schema);
  free(config);
}
