/*
** test_abi_json.c: what observe and tool plugins say in JSON: describe()
** and its capabilities as policy lines, observe()'s verdict, and the tool
** metadata object built from any bytes.
*/
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "abi_json.h"

static const char *line_of(const char *kind, const char *pattern) {
  static char line[256];
  cr_assert_eq(abi_capability_line(kind, pattern, line, sizeof line), 0);
  return line;
}

Test(abi_describe, capabilities_map_to_policy_lines) {
  cr_assert_str_eq(line_of("fs", "read:/etc/**"), "fs:read:/etc/**");
  cr_assert_str_eq(line_of("fs", "read:**"), "fs:read:/**");
  cr_assert_str_eq(line_of("fs", "write:var/log/*"), "fs:write:/var/log/*");
  cr_assert_str_eq(line_of("network", "outbound:80,443"),
                   "network:outbound:80,443");
  cr_assert_str_eq(line_of("exec", "/usr/bin/ls"), "exec:/usr/bin/ls");
  cr_assert_str_eq(line_of("exec", "**"), "exec:*");
  cr_assert_str_eq(line_of("env", "HOME"), "env:HOME");
  cr_assert_str_eq(line_of("clock", ""), "clock");
}

Test(abi_describe, a_line_that_does_not_fit_is_refused) {
  char line[8];
  cr_assert_eq(abi_capability_line("fs", "read:/etc/**", line, sizeof line),
               -1);
}

Test(abi_describe, fields_capabilities_and_canonical_text) {
  const char *text =
      "{\"version\":\"1.1.0\",\"name\":\"file\",\"description\":\"d\","
      "\"sdk_version\":\"0.1\",\"capabilities\":["
      "{\"kind\":\"fs\",\"pattern\":\"read:**\"},"
      "{\"kind\":\"network\",\"pattern\":\"outbound:80,443\"},"
      "{\"kind\":\"exec\",\"pattern\":\"/usr/bin/ls\"},"
      "{\"kind\":\"env\",\"pattern\":\"HOME\"}]}";
  abi_describe d;
  char err[512];
  cr_assert_eq(abi_describe_parse(text, strlen(text), &d, err, sizeof err), 0,
               "%s", err);
  cr_assert_str_eq(d.name, "file");
  cr_assert_str_eq(d.version, "1.1.0");
  cr_assert_str_eq(d.description, "d");
  char *lines = policy_describe(d.capabilities);
  cr_assert_str_eq(lines, "fs:read:/**\nenv:HOME\nnetwork:outbound:*:80,443\n"
                          "exec:/usr/bin/ls\n");
  free(lines);
  cr_assert_str_eq(d.json,
                   "{\"capabilities\":[{\"kind\":\"fs\",\"pattern\":"
                   "\"read:**\"},{\"kind\":\"network\",\"pattern\":"
                   "\"outbound:80,443\"},{\"kind\":\"exec\",\"pattern\":"
                   "\"/usr/bin/ls\"},{\"kind\":\"env\",\"pattern\":\"HOME\"}],"
                   "\"description\":\"d\",\"name\":\"file\",\"sdk_version\":"
                   "\"0.1\",\"version\":\"1.1.0\"}");
  abi_describe_free(&d);
}

Test(abi_describe, absent_fields_are_empty) {
  abi_describe d;
  cr_assert_eq(abi_describe_parse("{}", 2, &d, NULL, 0), 0);
  cr_assert_str_eq(d.name, "");
  cr_assert_not(policy_has(d.capabilities, POLICY_CAP_CLOCK));
  abi_describe_free(&d);
}

static const char *describe_refusal(const char *text) {
  static char err[512];
  abi_describe d;
  cr_assert_eq(abi_describe_parse(text, strlen(text), &d, err, sizeof err), -1,
               "accepted: %s", text);
  cr_assert_null(d.capabilities);
  return err;
}

Test(abi_describe, refusals_name_the_problem) {
  cr_assert_str_eq(describe_refusal("nope"),
                   "describe: not JSON: 1:4: '[' or '{' expected near 'nope'");
  cr_assert_str_eq(describe_refusal("[1]"), "describe: not a JSON object");
  cr_assert_str_eq(describe_refusal("{\"name\":1}"),
                   "describe: 'name' must be a string");
  cr_assert_str_eq(describe_refusal("{\"capabilities\":{}}"),
                   "describe: 'capabilities' must be an array");
  cr_assert_str_eq(describe_refusal("{\"capabilities\":[{\"kind\":1}]}"),
                   "describe: capabilities[0] must be an object with a "
                   "string 'kind' and 'pattern'");
  cr_assert_str_eq(
      describe_refusal("{\"capabilities\":[{\"kind\":\"env\",\"pattern\":"
                       "\"A\"},{\"kind\":\"fs\",\"pattern\":\"rea:/x\"}]}"),
      "describe: capabilities[1] 'fs:rea:/x': unknown kind 'fs:rea'");
}

/* ---- verdicts ---- */

static abi_verdict verdict_of(const char *text, char *msg) {
  return abi_verdict_parse(text, strlen(text), msg, 256);
}

Test(abi_verdict, status_true_is_success) {
  char msg[256];
  cr_assert_eq(verdict_of("{\"status\":true,\"data\":{}}", msg),
               ABI_VERDICT_SUCCESS);
  cr_assert_str_eq(msg, "");
}

Test(abi_verdict, status_false_carries_the_message) {
  char msg[256];
  cr_assert_eq(verdict_of("{\"status\":false,\"error\":\"boom\"}", msg),
               ABI_VERDICT_FAILURE);
  cr_assert_str_eq(msg, "boom");
  cr_assert_eq(verdict_of("{\"status\":false,\"error\":{\"message\":\"no "
                          "route\",\"type\":\"network\"}}",
                          msg),
               ABI_VERDICT_FAILURE);
  cr_assert_str_eq(msg, "no route");
  cr_assert_eq(verdict_of("{\"status\":false,\"error\":null}", msg),
               ABI_VERDICT_FAILURE);
  cr_assert_str_eq(msg, "the plugin reported a failure without a message");
}

Test(abi_verdict, go_field_names_as_reglets_sdk_writes_them) {
  char msg[256];
  cr_assert_eq(verdict_of("{\"Status\":false,\"Error\":{\"message\":\"x\"},"
                          "\"Timestamp\":\"2024-01-01T00:00:00Z\"}",
                          msg),
               ABI_VERDICT_FAILURE);
  cr_assert_str_eq(msg, "x");
}

Test(abi_verdict, what_is_not_a_response_says_why) {
  char msg[256];
  cr_assert_eq(verdict_of("oops", msg), ABI_VERDICT_INVALID);
  cr_assert_str_eq(msg, "the response is not JSON: 1:4: '[' or '{' expected "
                        "near 'oops'");
  cr_assert_eq(verdict_of("[true]", msg), ABI_VERDICT_INVALID);
  cr_assert_str_eq(msg, "the response is not a JSON object");
  cr_assert_eq(verdict_of("{\"status\":\"ok\"}", msg), ABI_VERDICT_INVALID);
  cr_assert_str_eq(msg, "the response has no boolean 'status'");
}

/* ---- tool metadata ---- */

Test(abi_tool_metadata, plain_strings_make_the_object) {
  const char *names[] = {"grep", "wc"}, *descs[] = {"find \"x\"", "count"};
  char *json = abi_tool_metadata("tools", "1.0", "d", names, descs, 2);
  cr_assert_str_eq(json, "{\"name\":\"tools\",\"version\":\"1.0\","
                         "\"description\":\"d\",\"tools\":[{\"name\":"
                         "\"grep\",\"description\":\"find \\\"x\\\"\"},"
                         "{\"name\":\"wc\",\"description\":\"count\"}]}");
  free(json);
}

Test(abi_tool_metadata, any_bytes_give_valid_json_and_stay_distinct) {
  const char *names[] = {"\xff\\x", "\xc3\xa9\x01"}, *descs[] = {"", ""};
  char *json =
      abi_tool_metadata("\xc0\xaf", NULL, "\xed\xa0\x80", names, descs, 2);
  json_error_t e;
  json_t *v = json_loads(json, 0, &e);
  cr_assert_not_null(v, "not JSON: %s: %s", json, e.text);
  cr_assert_str_eq(json_string_value(json_object_get(v, "name")), "\\xC0\\xAF",
                   "an overlong form is invalid");
  cr_assert_str_eq(json_string_value(json_object_get(v, "description")),
                   "\\xED\\xA0\\x80", "a surrogate is invalid");
  cr_assert_str_eq(json_string_value(json_object_get(v, "version")), "");
  json_t *tools = json_object_get(v, "tools");
  cr_assert_str_eq(
      json_string_value(json_object_get(json_array_get(tools, 0), "name")),
      "\\xFF\\\\x");
  cr_assert_str_eq(
      json_string_value(json_object_get(json_array_get(tools, 1), "name")),
      "\xc3\xa9\x01");
  json_decref(v);
  free(json);
}

Test(abi_verdict, a_long_message_is_cut_between_characters) {
  char msg[6];
  const char *text = "{\"status\":false,\"error\":\"ab\xc3\xa9\xc3\xa9\"}";
  cr_assert_eq(abi_verdict_parse(text, strlen(text), msg, sizeof msg),
               ABI_VERDICT_FAILURE);
  cr_assert_str_eq(msg, "ab\xc3\xa9", "not half of the second e-acute");
}

Test(abi_describe, a_text_over_1_MiB_is_refused_unread) {
  abi_describe d;
  char err[128];
  cr_assert_eq(
      abi_describe_parse("{}", ABI_JSON_MAX_BYTES + 1, &d, err, sizeof err),
      -1);
  cr_assert_str_eq(err, "describe: longer than 1 MiB");
}
