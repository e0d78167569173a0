/*
** test_plugin_validate.c: the validation report's checks: every finding with its
** code, severity and exact message, all of them and not only the first.
*/
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "policy_helpers.h"
#include "validate.h"

typedef struct {
  char text[4096];
  size_t count;
} findings;

static void collect(void *ud, validate_severity s, const char *code,
                    const char *message) {
  static const char *const names[] = {"info", "warning", "error"};
  findings *f = ud;
  size_t n = strlen(f->text);
  snprintf(f->text + n, sizeof f->text - n, "%s %s: %s\n", names[s], code,
           message);
  f->count++;
}

static const char *const none[] = {NULL};
static const char *const missing_describe[] = {"missing export 'describe'",
                                               "missing export 'observe'"};
static const char *const missing_alloc[] = {"missing export 'alloc'"};

/* process is missing alloc, tool is satisfied, observe lacks two. */
static const validate_abi ABIS[] = {
    {"process", missing_alloc, 1, NULL},
    {"tool", none, 0, ""},
    {"observe", missing_describe, 2, NULL},
};

static const char *run(const validate_input *in, size_t want_errors) {
  static findings f;
  memset(&f, 0, sizeof f);
  size_t errors = validate_plugin(in, collect, &f);
  cr_assert_eq(errors, want_errors, "%s", f.text);
  return f.text;
}

static manifest *parse(const char *json) {
  char err[512];
  manifest *m = manifest_parse("m", json, strlen(json), err, sizeof err);
  cr_assert_not_null(m, "%s", err);
  return m;
}

Test(validate, the_one_satisfied_abi_is_detected) {
  validate_input in = {.abis = ABIS, .abi_count = 3};
  cr_assert_str_eq(run(&in, 0),
                   "info abi.detected: the module satisfies the tool ABI\n"
                   "info manifest.none: the plugin has no manifest: runs get "
                   "the load options' policy\n");
}

Test(validate, no_satisfied_abi_lists_every_problem) {
  validate_input in = {.abis = ABIS, .abi_count = 3, .abi = NULL};
  validate_abi two[] = {ABIS[0], ABIS[2]};
  in.abis = two;
  in.abi_count = 2;
  cr_assert_str_eq(run(&in, 1),
                   "error abi.none: the module satisfies no ABI: process: "
                   "missing export 'alloc'; observe: missing export "
                   "'describe'; missing export 'observe'\n"
                   "info manifest.none: the plugin has no manifest: runs get "
                   "the load options' policy\n");
}

Test(validate, two_satisfied_abis_are_ambiguous) {
  validate_abi two[] = {{"process", none, 0, NULL}, {"tool", none, 0, NULL}};
  validate_input in = {.abis = two, .abi_count = 2};
  cr_assert(strstr(run(&in, 1),
                   "error abi.ambiguous: the module satisfies more than one "
                   "ABI (process, tool): name one in the manifest or the "
                   "load options\n"));
}

Test(validate, the_manifests_abi_must_be_satisfied) {
  manifest *m = parse("{\"id\":\"p\",\"version\":\"1.0.0\",\"abi\":"
                      "\"observe\",\"entry_points\":[\"observe\",\"x\"]}");
  const char *const exports[] = {"observe", "memory"};
  validate_input in = {.manifest = m, .abis = ABIS, .abi_count = 3,
                       .exports = exports, .export_count = 2};
  cr_assert_str_eq(run(&in, 2),
                   "error abi.mismatch: the module does not satisfy the "
                   "observe ABI (the manifest's): missing export 'describe'; "
                   "missing export 'observe'\n"
                   "error manifest.entry_point: the manifest's entry point "
                   "'x' is not exported by the module\n");
  manifest_free(m);
}

Test(validate, the_load_options_abi_wins_and_a_conflict_is_an_error) {
  manifest *m = parse("{\"id\":\"p\",\"version\":\"1.0.0\",\"abi\":"
                      "\"observe\"}");
  validate_input in = {.manifest = m, .abi = "tool", .abis = ABIS,
                       .abi_count = 3};
  cr_assert_str_eq(run(&in, 1),
                   "error abi.conflict: the manifest says abi 'observe' but "
                   "the plugin is loaded as 'tool'\n");
  manifest_free(m);
}

Test(validate, metadata_that_cannot_be_read_is_an_error) {
  validate_abi one[] = {{"tool", none, 0, "plugin_name returned no string"}};
  validate_input in = {.abi = "tool", .abis = one, .abi_count = 1};
  cr_assert(strstr(run(&in, 1),
                   "error abi.metadata: the tool ABI's metadata cannot be "
                   "read: plugin_name returned no string\n"));
}

Test(validate, an_abi_not_inspected_is_a_mismatch) {
  validate_input in = {.abi = "process", .abis = NULL, .abi_count = 0};
  cr_assert(strstr(run(&in, 1),
                   "error abi.mismatch: the module was not inspected for the "
                   "process ABI (the load options')\n"));
}

Test(validate, imports_without_grants_are_warnings_each) {
  const validate_import imports[] = {
      {"wasi_snapshot_preview1::path_open", "func"},
      {"wasi_snapshot_preview1::clock_time_get", "func"},
      {"wasi_snapshot_preview1::environ_get", "func"},
      {"wasi_snapshot_preview1::random_get", "func"},
      {"wasi_unstable::sock_send", "func"},
      {"wasi_snapshot_preview1::fd_write", "func"},
      {"env::path_open", "func"},
  };
  policy *p = POLICY("limit:fuel:10");
  validate_input in = {.abi = "tool", .abis = ABIS, .abi_count = 3,
                       .imports = imports, .import_count = 7, .policy = p,
                       .ceiling = p};
  const char *text = run(&in, 0);
  cr_assert(strstr(text,
                   "warning import.ungranted: imports "
                   "wasi_snapshot_preview1::path_open but is granted no file "
                   "access\n"
                   "warning import.ungranted: imports "
                   "wasi_snapshot_preview1::clock_time_get but is granted no "
                   "clock (only the monotonic clock answers)\n"
                   "warning import.ungranted: imports "
                   "wasi_snapshot_preview1::environ_get but is granted no "
                   "environment variables\n"
                   "warning import.ungranted: imports "
                   "wasi_snapshot_preview1::random_get but is granted no "
                   "randomness (it gets a fixed seed)\n"
                   "warning import.ungranted: imports wasi_unstable::sock_send "
                   "but is granted no network access\n"),
            "%s", text);
  policy_free(p);
}

Test(validate, granted_imports_are_quiet) {
  const validate_import imports[] = {
      {"wasi_snapshot_preview1::path_open", "func"},
      {"wasi_snapshot_preview1::clock_time_get", "func"},
      {"wasi_snapshot_preview1::environ_get", "func"},
      {"wasi_snapshot_preview1::random_get", "func"},
  };
  policy *p = POLICY("fs:read:/srv/**", "clock", "env:HOME", "random");
  validate_input in = {.abi = "tool", .abis = ABIS, .abi_count = 3,
                       .imports = imports, .import_count = 4, .policy = p,
                       .ceiling = p};
  cr_assert_str_eq(run(&in, 0),
                   "info manifest.none: the plugin has no manifest: runs get "
                   "the load options' policy\n");
  policy_free(p);
}

Test(validate, each_permission_beyond_the_ceiling_is_an_error) {
  policy *p = POLICY("fs:write:/**", "fs:read:/etc/**", "clock",
                     "limit:memory:128M");
  policy *ceiling = POLICY("fs:read:/**", "limit:memory:64M");
  validate_input in = {.abi = "tool", .abis = ABIS, .abi_count = 3,
                       .policy = p, .ceiling = ceiling};
  cr_assert(strstr(run(&in, 3),
                   "error permission.ceiling: permission 'fs:write:/**' is "
                   "beyond what the host allows\n"
                   "error permission.ceiling: permission 'clock' is beyond "
                   "what the host allows\n"
                   "error permission.ceiling: permission 'limit:memory:128M' "
                   "is beyond what the host allows (above the ceiling's "
                   "limit:memory:64M)\n"));
  policy_free(p);
  policy_free(ceiling);
}

Test(validate, no_ceiling_allows_nothing) {
  policy *p = POLICY("random");
  validate_input in = {.abi = "tool", .abis = ABIS, .abi_count = 3,
                       .policy = p};
  cr_assert(strstr(run(&in, 1), "error permission.ceiling: permission "
                                "'random' is beyond what the host allows\n"));
  policy_free(p);
}

Test(validate, resources_above_the_hosts_limits_are_errors) {
  manifest *m = parse("{\"id\":\"p\",\"version\":\"1.0.0\",\"abi\":\"tool\","
                      "\"resources\":{\"memory\":\"128M\",\"fuel\":5000,"
                      "\"time\":\"5s\"}}");
  policy_limits host = {.memory_bytes = 64u << 20, .fuel = 1000,
                        .wall_ms = 10000};
  validate_input in = {.manifest = m, .abis = ABIS, .abi_count = 3,
                       .host = &host};
  cr_assert_str_eq(run(&in, 2),
                   "error resource.limit: resource 'memory' asks for 128M, "
                   "above the host's limit 64M\n"
                   "error resource.limit: resource 'fuel' asks for 5000, "
                   "above the host's limit 1000\n");
  manifest_free(m);
}

Test(validate, codes_have_names_from_one_table) {
  cr_assert_str_eq(validate_code_name(VALIDATE_PERMISSION_CEILING),
                   "permission.ceiling");
  cr_assert_null(validate_code_name(VALIDATE_CODE_COUNT));
}
