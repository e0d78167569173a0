/*
** abi_read.c: the engine's reading of what a plugin hands back (abi.h).
** Every pointer and length comes from untrusted code: each is checked
** against the memory's size in 64-bit arithmetic before a byte is read,
** so no sum can wrap.
*/
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "abi.h"

/* [at, at + len) within size bytes, else -1 with "WHERE: WHAT at AT of
** LEN bytes runs past the end of memory (SIZE bytes)". */
static int read_span(uint64_t size, uint64_t at, uint64_t len,
                     const char *where, const char *what, abi_span *out,
                     char *msg) {
  if (at > size || len > size - at) {
    snprintf(msg, ABI_MESSAGE_MAX,
             "%s: %s at %" PRIu64 " of %" PRIu64
             " bytes runs past the end of memory (%" PRIu64 " bytes)",
             where, what, at, len, size);
    return -1;
  }
  out->at = at;
  out->len = len;
  return 0;
}

int abi_read_packed(uint64_t size, uint64_t packed, const char *where,
                    abi_span *out, char *msg) {
  return read_span(size, packed >> 32, packed & 0xffffffffu, where, "output",
                   out, msg);
}

int abi_read_string(const uint8_t *mem, uint64_t size, uint32_t ptr,
                    const char *where, abi_span *out, char *msg) {
  const uint8_t *nul;
  if (ptr >= size) {
    snprintf(msg, ABI_MESSAGE_MAX,
             "%s: string at %" PRIu32 " is outside memory (%" PRIu64 " bytes)",
             where, ptr, size);
    return -1;
  }
  nul = memchr(mem + ptr, 0, (size_t)(size - ptr));
  if (nul == NULL) {
    snprintf(msg, ABI_MESSAGE_MAX,
             "%s: string at %" PRIu32
             " has no terminator before the end of memory (%" PRIu64 " bytes)",
             where, ptr, size);
    return -1;
  }
  out->at = ptr;
  out->len = (uint64_t)(nul - (mem + ptr));
  return 0;
}

int abi_read_buffer(uint64_t size, uint32_t ptr, uint64_t len,
                    const char *where, abi_span *out, char *msg) {
  return read_span(size, ptr, len, where, "buffer", out, msg);
}

int abi_check_limit(uint64_t len, uint64_t sent, uint64_t limit,
                    const char *where, char *msg) {
  if (limit == 0 || (sent <= limit && len <= limit - sent))
    return 0;
  if (sent == 0)
    snprintf(msg, ABI_MESSAGE_MAX,
             "%s: output of %" PRIu64 " bytes is over the output limit (%" PRIu64
             " bytes)", where, len, limit);
  else
    snprintf(msg, ABI_MESSAGE_MAX,
             "%s: output of %" PRIu64 " bytes is over the output limit (%" PRIu64
             " bytes, %" PRIu64 " already sent)", where, len, limit, sent);
  return -1;
}
