/*
** fuzz_abi_json.c: what an observe or tool plugin returns, through the
** parsers of abi_json.c. Input: byte 0 picks the parser, the rest is the
** plugin's text.
**   0: describe(): a success has a policy whose describe lines policy_
**      allow takes again, and canonical JSON that parses to an object;
**      a refusal starts "describe: " (or is "out of memory").
**   1: observe()'s verdict: one of the three, INVALID with a message.
**   2: the rest split at NUL bytes into name, version, description and
**      tool name/description pairs for abi_tool_metadata: the text must
**      be JSON with as many tools as were given, whatever the bytes.
** Contract violations abort.
*/
#define _GNU_SOURCE
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "abi_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok, const char *what) {
  if (!ok) {
    fprintf(stderr, "fuzz_abi_json: contract broken: %s\n", what);
    abort();
  }
}

static void describe(const char *text, size_t len) {
  abi_describe d;
  char err[1024];
  if (abi_describe_parse(text, len, &d, err, sizeof err) < 0) {
    check(strncmp(err, "describe: ", 10) == 0 ||
              strcmp(err, "out of memory") == 0,
          "a refusal without 'describe: '");
    return;
  }
  char *lines = policy_describe(d.capabilities), *save = NULL;
  policy *again = policy_new();
  check(lines && again, "out of memory");
  for (char *l = strtok_r(lines, "\n", &save); l;
       l = strtok_r(NULL, "\n", &save))
    check(policy_allow(again, l, err, sizeof err) == 0,
          "a capability line is refused when read back");
  json_t *v = json_loads(d.json, 0, NULL);
  check(json_is_object(v), "the canonical text is not an object");
  json_decref(v);
  policy_free(again);
  free(lines);
  abi_describe_free(&d);
}

static void verdict(const char *text, size_t len) {
  char msg[512];
  abi_verdict v = abi_verdict_parse(text, len, msg, sizeof msg);
  check(v == ABI_VERDICT_SUCCESS || v == ABI_VERDICT_FAILURE ||
            v == ABI_VERDICT_INVALID,
        "a verdict out of range");
  check(v != ABI_VERDICT_INVALID || *msg, "an invalid response without why");
}

/* NUL-separated strings: at most 3 + 2 * 16. */
static void metadata(const char *text, size_t len) {
  const char *s[35] = {"", "", ""};
  size_t n = 0;
  char *copy = malloc(len + 1);
  check(copy != NULL, "out of memory");
  memcpy(copy, text, len);
  copy[len] = '\0';
  for (size_t i = 0; i <= len && n < 35; i += strlen(copy + i) + 1)
    s[n++] = copy + i;
  size_t tools = n > 3 ? (n - 3) / 2 : 0;
  const char *names[16], *descs[16];
  for (size_t i = 0; i < tools; i++) {
    names[i] = s[3 + 2 * i];
    descs[i] = s[4 + 2 * i];
  }
  char *json = abi_tool_metadata(s[0], s[1], s[2], names, descs, tools);
  json_error_t e;
  json_t *v = json ? json_loads(json, 0, &e) : NULL;
  check(v != NULL, "the tool metadata is not JSON");
  check(json_array_size(json_object_get(v, "tools")) == tools,
        "the tool count differs");
  json_decref(v);
  free(json);
  free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  const char *text = (const char *)data + 1;
  switch (data[0] % 3) {
  case 0:
    describe(text, size - 1);
    break;
  case 1:
    verdict(text, size - 1);
    break;
  default:
    metadata(text, size - 1);
    break;
  }
  return 0;
}
