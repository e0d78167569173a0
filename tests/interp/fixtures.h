/*
** fixtures.h: what the interpreter tests share: the .wasm fixtures that
** wat2wasm compiled into INTERP_WASM_DIR, export lookup and value makers.
*/
#ifndef PLUGSUP_TESTS_INTERP_FIXTURES_H
#define PLUGSUP_TESTS_INTERP_FIXTURES_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "interp.h"

#ifndef INTERP_WASM_DIR
#error "INTERP_WASM_DIR must name the folder of the compiled fixtures"
#endif

/* The bytes of fixture 'name' (without .wasm); the caller frees them. */
static inline uint8_t *read_fixture(const char *name, size_t *len) {
  char path[1024];
  snprintf(path, sizeof path, "%s/%s.wasm", INTERP_WASM_DIR, name);
  FILE *f = fopen(path, "rb");
  cr_assert_not_null(f, "fixture %s missing (wat2wasm not run?)", path);
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t *buf = malloc(n > 0 ? (size_t)n : 1);
  cr_assert_not_null(buf);
  cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
  fclose(f);
  *len = (size_t)n;
  return buf;
}

/* Fixture 'name' loaded into s; it must decode and validate. */
static inline interp_module *load(interp_store *s, const char *name) {
  size_t len;
  uint8_t *bytes = read_fixture(name, &len);
  interp_module *m = NULL;
  interp_error err;
  interp_status st = interp_module_load(s, bytes, len, &m, &err);
  free(bytes);
  cr_assert_eq(st, INTERP_OK, "load %s: %s", name, err.message);
  return m;
}

/* The exported function 'name' of in; it must exist. */
static inline interp_func *func(const interp_instance *in, const char *name) {
  interp_extern ext;
  cr_assert_eq(interp_instance_export(in, name, strlen(name), &ext),
               INTERP_OK, "no export %s", name);
  cr_assert_eq(ext.kind, INTERP_EXTERN_FUNC);
  return ext.of.func;
}

static inline interp_value i32v(uint32_t v) {
  return (interp_value){.type = INTERP_I32, .of.i32 = v};
}

static inline interp_value i64v(uint64_t v) {
  return (interp_value){.type = INTERP_I64, .of.i64 = v};
}

#endif
