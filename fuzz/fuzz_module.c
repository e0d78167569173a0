/*
** fuzz_module.c: any bytes through interp_module_load (decode, validate,
** compile). The only acceptable answers are a module or a typed refusal
** with a message; anything else, or a sanitizer report, is a finding.
**
** interp_module_load reads bodies once (the decoder skims them, the
** validator reads them); each input is also decoded in full and then
** validated, the two-pass way, and both must give the same answer, to the
** message.
**
** The store compiles eagerly: by default a body is compiled only when it
** is first called, and most fuzzed modules are never run, so without it
** the compiler would go unfuzzed here. (fuzz_exec keeps the default and
** fuzzes compiling at the first call.)
*/
#include <string.h>

#include "fuzz_common.h"
#include "module.h"

static void check_load_status(interp_status s, const interp_error *err) {
  switch (s) {
  case INTERP_OK:
    return;
  case INTERP_MALFORMED:
  case INTERP_INVALID:
  case INTERP_NOMEM:
    fuzz_check_error("interp_module_load", s, err);
    return;
  default:
    fuzz_fail("interp_module_load returned an unexpected status", s, err);
  }
}

/* Walk the import and export descriptions: their names and types come
** straight from the bytes, so reading them must be safe too. */
static void walk_descriptions(const interp_module *m) {
  volatile size_t sink = 0;
  for (uint32_t i = 0; i < interp_module_import_count(m); i++) {
    interp_import_desc d;
    interp_module_import(m, i, &d);
    for (size_t k = 0; k < d.module_len; k++) sink += (uint8_t)d.module[k];
    for (size_t k = 0; k < d.name_len; k++) sink += (uint8_t)d.name[k];
    if (d.type.kind == INTERP_EXTERN_FUNC)
      for (uint32_t k = 0; k < d.type.func.nparams; k++)
        sink += d.type.func.params[k];
  }
  for (uint32_t i = 0; i < interp_module_export_count(m); i++) {
    interp_export_desc d;
    interp_module_export(m, i, &d);
    for (size_t k = 0; k < d.name_len; k++) sink += (uint8_t)d.name[k];
    if (d.type.kind == INTERP_EXTERN_FUNC)
      for (uint32_t k = 0; k < d.type.func.nresults; k++)
        sink += d.type.func.results[k];
  }
  (void)sink;
}

/* The answer of decoding every body, then validating. */
static interp_status two_passes(const uint8_t *data, size_t size,
                                interp_error *err) {
  fuzz_heap heap = {0, (size_t)64 << 20};
  ialloc a;
  interp_module m = {0};
  ialloc_init(&a, fuzz_alloc, &heap);
  m.alloc = &a;
  interp_status s = mod_decode(&m, data, size, MOD_SCAN, err);
  if (s == INTERP_OK)
    s = mod_validate(&m, err);
  mod_free(&m);
  return s;
}

static void expect_same_answer(const uint8_t *data, size_t size,
                               interp_status s, const interp_error *err) {
  interp_error e2 = {0};
  interp_status s2 = two_passes(data, size, &e2);
  if (s == INTERP_NOMEM || s2 == INTERP_NOMEM)
    return;
  if (s != s2 || (s != INTERP_OK && strcmp(err->message, e2.message) != 0))
    fuzz_fail(e2.message, s2, err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_heap heap = {0, (size_t)64 << 20};
  interp_config cfg = {.alloc = fuzz_alloc, .alloc_ud = &heap,
                       .compile_eagerly = 1};
  interp_store *store = NULL;
  interp_module *m = NULL;
  interp_error err = {0};
  if (interp_store_new(&cfg, &store) != INTERP_OK)
    return 0;
  interp_status s = interp_module_load(store, data, size, &m, &err);
  check_load_status(s, &err);
  expect_same_answer(data, size, s, &err);
  if (s == INTERP_OK)
    walk_descriptions(m);
  interp_store_free(store);
  if (heap.live != 0)
    fuzz_fail("store freed but bytes still live", INTERP_OK, NULL);
  return 0;
}
