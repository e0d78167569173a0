/*
** test_manifest.c: semantic versions and ranges, and the plugin manifest:
** every field read, and every refusal with its exact message.
*/
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "manifest.h"

static semver V(const char *text) {
  semver v;
  const char *why = NULL;
  cr_assert_eq(semver_parse(text, &v, &why), 0, "'%s': %s", text, why);
  return v;
}

static const char *version_refusal(const char *text) {
  semver v;
  const char *why = NULL;
  cr_assert_eq(semver_parse(text, &v, &why), -1, "'%s' accepted", text);
  return why;
}

Test(semver, precedence_follows_the_specification_example) {
  const char *order[] = {"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta",
                         "1.0.0-beta",  "1.0.0-beta.2",  "1.0.0-beta.11",
                         "1.0.0-rc.1",  "1.0.0",         "1.0.1",
                         "1.2.0",       "2.0.0",         "10.0.0"};
  size_t n = sizeof order / sizeof order[0];
  for (size_t i = 0; i + 1 < n; i++) {
    semver a = V(order[i]), b = V(order[i + 1]);
    cr_assert_lt(semver_cmp(&a, &b), 0, "%s < %s", order[i], order[i + 1]);
    cr_assert_gt(semver_cmp(&b, &a), 0);
  }
}

Test(semver, build_metadata_has_no_precedence) {
  semver a = V("1.0.0+a.01"), b = V("1.0.0+b");
  cr_assert_eq(semver_cmp(&a, &b), 0);
}

Test(semver, strict_forms_are_refused_with_the_reason) {
  cr_assert_str_eq(version_refusal("1.0"),
                   "expected MAJOR.MINOR.PATCH, each a number");
  cr_assert_str_eq(version_refusal("v1.0.0"),
                   "expected MAJOR.MINOR.PATCH, each a number");
  cr_assert_str_eq(version_refusal("1.01.0"), "a number has a leading zero");
  cr_assert_str_eq(version_refusal("1.0.0-01"), "a number has a leading zero");
  cr_assert_str_eq(version_refusal("1.0.0-"), "an identifier is empty");
  cr_assert_str_eq(version_refusal("1.0.0-a_b"),
                   "an identifier has a character other than [0-9A-Za-z-]");
  cr_assert_str_eq(version_refusal("1.0.0 "),
                   "unexpected text after the version");
  cr_assert_str_eq(version_refusal("99999999999999999999.0.0"),
                   "a number is too large");
}

static bool in(const char *range, const char *version) {
  semver v = V(version);
  bool match = false;
  char why[256];
  cr_assert_eq(semver_range_match(range, &v, &match, why, sizeof why), 0,
               "'%s': %s", range, why);
  return match;
}

Test(semver_range, caret_tilde_partial_and_comparators) {
  cr_assert(in("^1.2.0", "1.9.9"));
  cr_assert_not(in("^1.2.0", "2.0.0"));
  cr_assert_not(in("^1.2.0", "1.1.9"));
  cr_assert(in("^0.2.3", "0.2.9"));
  cr_assert_not(in("^0.2.3", "0.3.0"));
  cr_assert_not(in("^0.0.3", "0.0.4"));
  cr_assert(in("~1.2.3", "1.2.9"));
  cr_assert_not(in("~1.2.3", "1.3.0"));
  cr_assert(in(">=1.0.0 <2.0.0", "1.5.0"));
  cr_assert_not(in(">=1.0.0 <2.0.0", "2.0.0"));
  cr_assert(in("1.x", "1.7.0"));
  cr_assert_not(in("1.x", "2.0.0"));
  cr_assert(in("1.2.x", "1.2.5"));
  cr_assert_not(in("1.2", "1.3.0"));
  cr_assert(in("*", "0.0.1"));
  cr_assert(in("1.0.0", "1.0.0"));
  cr_assert_not(in("=1.0.0", "1.0.1"));
  cr_assert(in("<1.0.0 || >=3.0.0", "3.1.0"));
  cr_assert_not(in("<1.0.0 || >=3.0.0", "2.0.0"));
}

static const char *range_refusal(const char *range) {
  static char why[256];
  bool match;
  cr_assert_eq(semver_range_match(range, NULL, &match, why, sizeof why), -1,
               "'%s' accepted", range);
  return why;
}

Test(semver_range, bad_terms_are_named) {
  cr_assert_str_eq(range_refusal("^1.x"), "'^1.x' is not a version range term");
  cr_assert_str_eq(range_refusal(">=1.0"),
                   "'>=1.0' is not a version range term");
  cr_assert_str_eq(range_refusal("1.0.0 ||"), "an alternative is empty");
  cr_assert_str_eq(range_refusal(""), "an alternative is empty");
  cr_assert_str_eq(range_refusal("01.x"), "'01.x' is not a version range term");
}

/* ---- the manifest ---- */

static manifest *parse(const char *json) {
  char err[1024];
  manifest *m = manifest_parse("m.json", json, strlen(json), err, sizeof err);
  cr_assert_not_null(m, "refused: %s", err);
  return m;
}

static const char *refusal(const char *json) {
  static char err[1024];
  manifest *m = manifest_parse("m.json", json, strlen(json), err, sizeof err);
  cr_assert_null(m, "accepted: %s", json);
  return err;
}

Test(manifest, every_field_is_read) {
  manifest *m =
      parse("{\"id\":\"my.plugin-1\",\"version\":\"1.0.0-rc.1+build.5\","
            "\"name\":\"n\",\"description\":\"d\",\"author\":\"a\","
            "\"abi\":\"tool\",\"permissions\":[\"fs:read:/srv/**\",\"clock\"],"
            "\"entry_points\":[\"plugin_name\"],"
            "\"dependencies\":[{\"id\":\"b\",\"version\":\">=1.0.0 <2.0.0\"}],"
            "\"resources\":{\"memory\":\"64M\",\"fuel\":1000,\"time\":\"5s\"},"
            "\"metadata\":{\"z\":[1, 2],\"a\":null}}");
  cr_assert_str_eq(m->id, "my.plugin-1");
  cr_assert_str_eq(m->version, "1.0.0-rc.1+build.5");
  cr_assert_str_eq(m->semver.pre, "rc.1");
  cr_assert_str_eq(m->name, "n");
  cr_assert_str_eq(m->description, "d");
  cr_assert_str_eq(m->author, "a");
  cr_assert_str_eq(m->abi, "tool");
  cr_assert(m->has_permissions);
  cr_assert(policy_has(m->permissions, POLICY_CAP_CLOCK));
  cr_assert(policy_may_access(m->permissions, "/srv/x", POLICY_READ, NULL, 0));
  cr_assert_eq(m->entry_point_count, 1);
  cr_assert_str_eq(m->entry_points[0], "plugin_name");
  cr_assert_eq(m->dep_count, 1);
  cr_assert_str_eq(m->deps[0].id, "b");
  cr_assert_str_eq(m->deps[0].range, ">=1.0.0 <2.0.0");
  cr_assert_eq(m->resources.memory_bytes, 64u << 20);
  cr_assert_eq(m->resources.fuel, 1000);
  cr_assert_eq(m->resources.wall_ms, 5000);
  cr_assert_str_eq(m->metadata_json, "{\"z\":[1,2],\"a\":null}");
  manifest_free(m);
}

Test(manifest, the_least_is_id_and_version) {
  manifest *m = parse("{\"id\":\"a\",\"version\":\"0.1.0\"}");
  cr_assert_null(m->name);
  cr_assert_null(m->abi);
  cr_assert_not(m->has_permissions);
  cr_assert_not_null(m->permissions);
  cr_assert_null(m->metadata_json);
  manifest_free(m);
}

Test(manifest, integer_resources_are_bytes_and_milliseconds) {
  manifest *m = parse("{\"id\":\"a\",\"version\":\"0.1.0\",\"resources\":"
                      "{\"memory\":131072,\"time\":1500}}");
  cr_assert_eq(m->resources.memory_bytes, 131072);
  cr_assert_eq(m->resources.wall_ms, 1500);
  manifest_free(m);
}

Test(manifest, refusals_say_where_and_why) {
  cr_assert_str_eq(refusal("{\"id\":\"a\"}"),
                   "m.json:1:1: missing the field 'version'");
  cr_assert_str_eq(refusal("{\"version\":\"1.0.0\"}"),
                   "m.json:1:1: missing the field 'id'");
  cr_assert_str_eq(refusal("{\"id\":\"A\",\"version\":\"1.0.0\"}"),
                   "m.json:1:7: id: 'A' is not an id: 1 to 64 of a-z, 0-9, "
                   "'.', '_', '-'");
  cr_assert_str_eq(refusal("{\"id\":\"a\",\n \"version\":\"1.0\"}"),
                   "m.json:2:12: version: '1.0' is not a semantic version: "
                   "expected MAJOR.MINOR.PATCH, each a number");
  cr_assert_str_eq(refusal("{\"id\":\"a\",\"version\":\"1.0.0\",\"x\":1}"),
                   "m.json:1:29: x: unknown field (known: id, name, version, "
                   "description, author, abi, permissions, entry_points, "
                   "dependencies, resources, metadata)");
  cr_assert_str_eq(refusal("{\"id\":\"a\",\"id\":\"b\"}"),
                   "m.json:1:14: duplicate object key near '\"id\"'");
  cr_assert_str_eq(
      refusal("{\"id\":\"a\",\"version\":\"1.0.0\",\"abi\":\"wasi\"}"),
      "m.json:1:35: abi: expected \"process\", \"tool\" or \"observe\"");
  cr_assert_str_eq(refusal("{\"id\":\"a\",\"version\":\"1.0.0\","
                           "\"permissions\":[\"fs:rea:/x\"]}"),
                   "m.json:1:44: permissions[0]: unknown kind 'fs:rea'");
  cr_assert_str_eq(refusal("{\"id\":\"a\",\"version\":\"1.0.0\",\"dependencies"
                           "\":[{\"id\":\"b\",\"version\":\"^1.x\"}]}"),
                   "m.json:1:65: dependencies[0].version: bad version range: "
                   "'^1.x' is not a version range term");
  cr_assert_str_eq(refusal("{\"id\":\"a\",\"version\":\"1.0.0\",\"dependencies"
                           "\":[{\"id\":\"b\"}]}"),
                   "m.json:1:45: dependencies[0]: missing the field "
                   "'version'");
  cr_assert_str_eq(refusal("{\"id\":\"a\",\"version\":\"1.0.0\",\"resources\":"
                           "{\"memory\":\"1K\"}}"),
                   "m.json:1:51: resources.memory: at least 64K, one wasm "
                   "page");
  cr_assert_str_eq(refusal("{\"id\":\"a\",\"version\":\"1.0.0\",\"resources\":"
                           "{\"time\":0}}"),
                   "m.json:1:49: resources.time: expected a positive integer "
                   "or a string");
  cr_assert_str_eq(
      refusal("{\"id\":\"a\",\"version\":\"1.0.0\",\"metadata\":[]}"),
      "m.json:1:40: metadata: expected an object");
  cr_assert_str_eq(
      refusal("{\"id\":\"a\",\"version\":\"1.0.0\",\"entry_points\":[\"\"]}"),
      "m.json:1:45: entry_points[0]: an export name cannot be empty");
  cr_assert_str_eq(refusal("[]"), "m.json:1:1: a manifest is a JSON object");
  cr_assert_str_eq(refusal("{"),
                   "m.json:1:1: string or '}' expected near end of file");
}

Test(manifest, a_text_over_64_KiB_is_refused_unread) {
  char err[256];
  cr_assert_null(
      manifest_parse("sec", "{}", MANIFEST_MAX_BYTES + 1, err, sizeof err));
  cr_assert_str_eq(err, "sec: larger than 64 KiB");
}

Test(manifest, fields_of_the_wrong_shape_are_refused) {
  cr_assert_str_eq(refusal("{\"id\":\"a\",\"version\":\"1.0.0\",\"name\":1}"),
                   "m.json:1:36: name: expected a string");
  cr_assert_str_eq(
      refusal("{\"id\":\"a\",\"version\":\"1.0.0\",\"permissions\":\"x\"}"),
      "m.json:1:43: permissions: expected an array of capability strings");
  cr_assert_str_eq(
      refusal("{\"id\":\"a\",\"version\":\"1.0.0\",\"entry_points\":[1]}"),
      "m.json:1:45: entry_points[0]: expected a string");
  cr_assert_str_eq(
      refusal("{\"id\":\"a\",\"version\":\"1.0.0\",\"dependencies\":[1]}"),
      "m.json:1:45: dependencies[0]: expected an object");
  cr_assert_str_eq(refusal("{\"id\":\"a\",\"version\":\"1.0.0\",\"resources\":"
                           "{\"disk\":1}}"),
                   "m.json:1:42: resources.disk: unknown field (known: "
                   "memory, fuel, time)");
  cr_assert_str_eq(refusal("{\"id\":\"a\",\"version\":\"1.0.0\",\"resources\":"
                           "{\"time\":\"5 years\"}}"),
                   "m.json:1:49: resources.time: expected seconds, or a number "
                   "with ms, s or m");
}

Test(manifest, a_string_over_4096_bytes_is_refused) {
  char json[5000];
  snprintf(json, sizeof json,
           "{\"id\":\"a\",\"version\":\"1.0.0\","
           "\"description\":\"%04097d\"}",
           0);
  cr_assert_str_eq(refusal(json),
                   "m.json:1:43: description: longer than 4096 bytes");
}

Test(semver, a_version_over_255_bytes_is_refused) {
  char text[300];
  snprintf(text, sizeof text, "1.0.0-%0260d", 1);
  cr_assert_str_eq(version_refusal(text), "longer than 255 bytes");
}
