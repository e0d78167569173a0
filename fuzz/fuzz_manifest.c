/*
** fuzz_manifest.c: a plugin manifest as a plugin's author (or its custom
** section) may write it, through manifest_parse, then the validation
** checks over it; and semantic versions and ranges.
**
** Input: the whole input as a manifest. Then its first line as a
** version and its second as a range, through semver_parse and
** semver_range_match. Checked:
**   - a refusal has a message starting "fuzz:" (or "out of memory");
**   - a parsed manifest has an id and a version that semver_parse takes,
**     and dependency ranges that semver_range_match takes;
**   - validate_plugin reports with a known code, a severity in range and
**     a non-empty message, and counts its errors right;
**   - semver_cmp is antisymmetric and agrees with an exact range.
** Contract violations abort.
*/
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "manifest.h"
#include "validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok, const char *what) {
  if (!ok) {
    fprintf(stderr, "fuzz_manifest: contract broken: %s\n", what);
    abort();
  }
}

static size_t errors_seen;

static void found(void *ud, validate_severity s, const char *code,
                  const char *message) {
  bool known = false;
  (void)ud;
  for (int c = 0; c < VALIDATE_CODE_COUNT; c++)
    known |= strcmp(validate_code_name((validate_code)c), code) == 0;
  check(known, "an unknown code");
  check(s <= VALIDATE_ERROR, "a severity out of range");
  check(*message != '\0', "an empty message");
  errors_seen += s == VALIDATE_ERROR;
}

static void validate(const manifest *m) {
  static const char *const missing[] = {"missing export 'alloc'"};
  static const char *const none[] = {NULL};
  const validate_abi abis[] = {{"process", missing, 1, NULL},
                               {"tool", none, 0, NULL},
                               {"observe", none, 0, "no describe"}};
  const validate_import imports[] = {
      {"wasi_snapshot_preview1::path_open", "func"},
      {"wasi_snapshot_preview1::random_get", "func"}};
  const char *const exports[] = {"memory", "plugin_name"};
  policy_limits host = {
      .memory_bytes = 1u << 20, .fuel = 1000, .wall_ms = 1000};
  policy *ceiling = policy_new();
  char err[256];
  check(ceiling && policy_allow(ceiling, "fs:read:/**", err, sizeof err) == 0,
        "setup");
  validate_input in = {m,       NULL, abis,           3,       imports, 2,
                       exports, 2,    m->permissions, ceiling, &host};
  errors_seen = 0;
  check(validate_plugin(&in, found, NULL) == errors_seen,
        "the error count differs from the errors reported");
  policy_free(ceiling);
}

static void parsed(const manifest *m) {
  semver v;
  const char *why;
  bool match;
  char err[256];
  check(m->id && m->version && m->permissions, "a required field is NULL");
  check(semver_parse(m->version, &v, &why) == 0, "the version does not parse");
  check(semver_cmp(&v, &m->semver) == 0, "the version differs");
  for (size_t i = 0; i < m->dep_count; i++)
    check(semver_range_match(m->deps[i].range, &v, &match, err, sizeof err) ==
              0,
          "a dependency's range does not parse");
  validate(m);
}

/* Lines 1 and 2 of the input as a version and a range. */
static void versions(const char *text, size_t len) {
  char line1[300], line2[300], err[256];
  size_t a = strcspn(text, "\n"), b;
  semver v, w;
  const char *why;
  bool match;
  if (a >= sizeof line1 || a >= len)
    return;
  memcpy(line1, text, a);
  line1[a] = '\0';
  b = strcspn(text + a + 1, "\n");
  if (b >= sizeof line2)
    return;
  memcpy(line2, text + a + 1, b);
  line2[b] = '\0';
  if (semver_parse(line1, &v, &why) < 0) {
    check(why && *why, "a refused version without a reason");
    return;
  }
  if (semver_parse(line2, &w, &why) == 0)
    check(semver_cmp(&v, &w) == -semver_cmp(&w, &v), "cmp not antisymmetric");
  if (semver_range_match(line2, &v, &match, err, sizeof err) < 0)
    check(*err != '\0', "a refused range without a reason");
  char exact[310];
  snprintf(exact, sizeof exact, "=%s", line1);
  check(semver_range_match(exact, &v, &match, err, sizeof err) == 0 && match,
        "a version does not match itself");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char err[1024];
  char *text = strndup((const char *)data, size);
  check(text != NULL, "out of memory");
  manifest *m =
      manifest_parse("fuzz", (const char *)data, size, err, sizeof err);
  if (m)
    parsed(m);
  else
    check(strncmp(err, "fuzz:", 5) == 0 || strcmp(err, "out of memory") == 0,
          "a refusal without its position");
  manifest_free(m);
  versions(text, strlen(text));
  free(text);
  return 0;
}
