/*
** fuzz_abi.c: the byte-call engine's reading of plugin output
** (worker/abi_read.c): what a hostile plugin answers, against what its
** memory holds.
**
** Input: byte 0 picks the reader (low 2 bits) and how large the memory
** is taken to be (bit 2: the image as it is; else the image followed by
** zero pages up to a size from bytes 9..12, so pointers near 4 GiB meet
** a real end of memory without the fuzzer allocating it); bytes 1..8 are
** the plugin's answer (an i64 packed ptr << 32 | len, or an i32 pointer
** in its low half) and bytes 9..16 a length or the output count already
** sent (9..12) and the limit (13..16); the rest is the memory image. Every answer the reader accepts
** must lie inside memory (a string: with its NUL right after it and none
** inside); every refusal must name the export; the limit check must
** agree with exact arithmetic. Contract violations abort.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "abi.h"
#include "fuzz_common.h"

#define WHERE "observe"
#define HEAD 17u
#define MAX_MEMORY (1u << 20)

static void check(int ok, const char *what) {
  if (!ok) {
    fprintf(stderr, "fuzz_abi: contract broken: %s\n", what);
    abort();
  }
}

static uint64_t le(const uint8_t *p, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; i--)
    v = v << 8 | p[i];
  return v;
}

static void check_refusal(const char *msg) {
  check(strncmp(msg, WHERE ": ", sizeof WHERE + 1) == 0,
        "a refusal names the export first");
  check(strlen(msg) < ABI_MESSAGE_MAX, "a refusal fits its buffer");
}

static void fuzz_string(const uint8_t *mem, uint64_t size, uint32_t ptr) {
  char msg[ABI_MESSAGE_MAX];
  abi_span s;
  if (abi_read_string(mem, size, ptr, WHERE, &s, msg) != 0) {
    check_refusal(msg);
    check(ptr >= size || memchr(mem + ptr, 0, (size_t)(size - ptr)) == NULL,
          "a string is refused only when it has no terminator in memory");
    return;
  }
  check(s.at == ptr && s.at < size && s.len < size - s.at,
        "the string and its NUL lie inside memory");
  check(mem[s.at + s.len] == 0, "the string ends at a NUL");
  check(memchr(mem + s.at, 0, (size_t)s.len) == NULL,
        "the string holds no NUL");
}

static void fuzz_span(uint64_t size, uint64_t at, uint64_t len, int ok) {
  unsigned __int128 end = (unsigned __int128)at + len;
  check(ok == (end <= size), "a span is accepted exactly when it fits");
}

static void fuzz_limit(uint64_t len, uint64_t sent, uint64_t limit) {
  char msg[ABI_MESSAGE_MAX];
  int ok = abi_check_limit(len, sent, limit, WHERE, msg) == 0;
  unsigned __int128 total = (unsigned __int128)len + sent;
  check(ok == (limit == 0 || total <= limit),
        "the limit holds exactly when the sum fits");
  if (!ok)
    check_refusal(msg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  uint8_t *mem;
  uint64_t answer, arg, msize, image;
  char msg[ABI_MESSAGE_MAX];
  abi_span s;
  int rc;

  if (size < HEAD)
    return 0;
  answer = le(data + 1, 8);
  arg = le(data + 9, 8);
  image = size - HEAD;
  msize = image;
  if ((data[0] & 4) == 0)
    msize = image + (le(data + 9, 4) % MAX_MEMORY);
  /* One byte more than the memory, so an empty image is not NULL. */
  mem = calloc(1, (size_t)msize + 1);
  if (mem == NULL)
    return 0;
  memcpy(mem, data + HEAD, (size_t)image);
  switch (data[0] & 3) {
  case 0:
    fuzz_string(mem, msize, (uint32_t)answer);
    break;
  case 1:
    rc = abi_read_packed(msize, answer, WHERE, &s, msg);
    fuzz_span(msize, answer >> 32, answer & 0xffffffffu, rc == 0);
    if (rc != 0)
      check_refusal(msg);
    else
      check(s.at == answer >> 32 && s.len == (answer & 0xffffffffu),
            "a packed answer is read as it was packed");
    break;
  case 2:
    rc = abi_read_buffer(msize, (uint32_t)answer, arg, WHERE, &s, msg);
    fuzz_span(msize, (uint32_t)answer, arg, rc == 0);
    if (rc != 0)
      check_refusal(msg);
    break;
  default:
    fuzz_limit(answer, le(data + 9, 4), le(data + 13, 4));
    break;
  }
  free(mem);
  return 0;
}
