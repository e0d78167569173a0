/*
** fuzz_schema.c: a plugin's JSON Schema and a user's configuration
** through schema_check. Input: the schema, a NUL byte, the configuration
** (no NUL: the whole input is the schema, the configuration {}).
** Checked: the outcome is one of the three; a mismatch's message starts
** "config", an unusable schema's "schema: " (or is "out of memory"); a
** success gives a configuration that is JSON. Slowness is a finding too
** (libFuzzer's -timeout): the step and depth bounds must hold.
*/
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok, const char *what) {
  if (!ok) {
    fprintf(stderr, "fuzz_schema: contract broken: %s\n", what);
    abort();
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *text = (const char *)data, *nul = memchr(data, 0, size);
  size_t slen = nul ? (size_t)(nul - text) : size;
  const char *config = nul ? nul + 1 : "{}";
  size_t clen = nul ? size - slen - 1 : 2;
  char err[1024] = "", *out = NULL;
  int rc = schema_check(text, slen, config, clen, &out, err, sizeof err);
  if (rc == SCHEMA_OK) {
    json_t *v = out ? json_loads(out, JSON_DECODE_ANY, NULL) : NULL;
    check(v != NULL, "a filled-in configuration that is not JSON");
    json_decref(v);
  } else if (rc == SCHEMA_MISMATCH) {
    check(strncmp(err, "config", 6) == 0, "a mismatch without its path");
    check(out == NULL, "a mismatch with an output");
  } else {
    check(rc == SCHEMA_UNUSABLE, "an outcome out of range");
    check(strncmp(err, "schema: ", 8) == 0 || strcmp(err, "out of memory") == 0,
          "an unusable schema without 'schema: '");
    check(out == NULL, "an unusable schema with an output");
  }
  free(out);
  return 0;
}
