/*
** abi_observe.c: an observe-ABI plugin as a real toolchain makes one: a
** WASI reactor (clang -mexec-model=reactor, so _initialize runs the
** C library's constructors), wasi-libc's malloc behind allocate and
** deallocate, answers in the u64 convention (ptr << 32 | len) in memory
** the host frees through deallocate, and printf to stdout.
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXPORT(name) __attribute__((export_name(name)))

EXPORT("allocate") uint32_t allocate(uint32_t n) {
  return (uint32_t)(uintptr_t)malloc(n ? n : 1);
}

EXPORT("deallocate") void deallocate(uint32_t ptr, uint32_t n) {
  (void)n;
  free((void *)(uintptr_t)ptr);
}

/* A malloc'd copy of s, packed; the host frees it. */
static uint64_t answer(const char *s) {
  size_t n = strlen(s);
  char *c = malloc(n ? n : 1);
  if (c == NULL)
    abort();
  memcpy(c, s, n);
  return (uint64_t)(uintptr_t)c << 32 | n;
}

EXPORT("describe") uint64_t describe(void) {
  return answer("{\"name\":\"c-observe\"}");
}

EXPORT("schema") uint64_t schema(void) { return answer("{}"); }

EXPORT("observe") uint64_t observe(uint32_t ptr, uint32_t len) {
  char buf[128];
  const char *config = (const char *)(uintptr_t)ptr;
  snprintf(buf, sizeof buf, "{\"status\":true,\"bytes\":%u,\"first\":\"%c\"}",
           (unsigned)len, len > 0 ? config[0] : '-');
  printf("observed\n");
  fflush(stdout);
  return answer(buf);
}
