/*
** wasm_build.h: modules written byte by byte in tests, for what wat2wasm
** will not write (invalid modules) or what is too big to keep as a fixture.
** build() lays out the sections of a 'parts' in the binary format's order.
*/
#ifndef PLUGSUP_TESTS_WASM_BUILD_H
#define PLUGSUP_TESTS_WASM_BUILD_H

#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct bytes {
  const char *p;
  size_t n;
} bytes;

#define B(lit) ((bytes){lit, sizeof(lit) - 1})

/* Section contents of a module; empty ones are left out. With a body and
** no 'funcs', the module has one function of type 0 with that body
** (locals included). Without 'type', type 0 is [] -> []. */
typedef struct parts {
  bytes type, import, funcs, table, memory, global, export, start, elem,
      datacount, body, data;
} parts;

typedef struct buf {
  uint8_t *p;
  size_t n, cap;
} buf;

static inline void put(buf *b, const void *p, size_t n) {
  if (b->n + n > b->cap) {
    b->cap = (b->n + n) * 2;
    b->p = realloc(b->p, b->cap);
    cr_assert_not_null(b->p);
  }
  memcpy(b->p + b->n, p, n);
  b->n += n;
}

static inline void put_u32(buf *b, uint32_t v) {
  do {
    uint8_t byte = (uint8_t)(v & 0x7f);
    v >>= 7;
    if (v)
      byte |= 0x80;
    put(b, &byte, 1);
  } while (v);
}

static inline void put_section(buf *b, uint8_t id, bytes content) {
  if (content.n == 0)
    return;
  put(b, &id, 1);
  put_u32(b, (uint32_t)content.n);
  put(b, content.p, content.n);
}

static inline void put_code(buf *b, bytes body) {
  buf code = {0};
  if (body.n == 0)
    return;
  put_u32(&code, 1);
  put_u32(&code, (uint32_t)body.n);
  put(&code, body.p, body.n);
  put_section(b, 10, (bytes){(const char *)code.p, code.n});
  free(code.p);
}

static inline buf build(parts s) {
  buf b = {0};
  put(&b, "\0asm\1\0\0\0", 8);
  put_section(&b, 1, s.type.n ? s.type : B("\x01\x60\x00\x00"));
  put_section(&b, 2, s.import);
  put_section(&b, 3, s.funcs.n ? s.funcs : s.body.n ? B("\x01\x00") : s.funcs);
  put_section(&b, 4, s.table);
  put_section(&b, 5, s.memory);
  put_section(&b, 6, s.global);
  put_section(&b, 7, s.export);
  put_section(&b, 8, s.start);
  put_section(&b, 9, s.elem);
  put_section(&b, 12, s.datacount);
  put_code(&b, s.body);
  put_section(&b, 11, s.data);
  return b;
}

#endif
