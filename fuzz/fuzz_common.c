/*
** fuzz_common.c: the capped allocator and invariant checks of the
** interpreter harnesses.
*/
#include "fuzz_common.h"

#include <stdio.h>
#include <stdlib.h>

void *fuzz_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
  fuzz_heap *h = ud;
  if (nsize == 0) {
    free(ptr);
    h->live -= osize;
    return NULL;
  }
  /* Growing past the cap fails like a real allocator would. */
  if (nsize > osize && nsize - osize > h->cap - h->live)
    return NULL;
  void *p = realloc(ptr, nsize);
  if (p != NULL)
    h->live = h->live - osize + nsize;
  return p;
}

void fuzz_fail(const char *what, interp_status s, const interp_error *err) {
  fprintf(stderr, "fuzz invariant broken: %s: status %s (%d), message \"%s\"\n",
          what, interp_status_name(s), (int)s, err ? err->message : "");
  /* __builtin_trap, not abort: no dependence on signal handlers. */
  __builtin_trap();
}

void fuzz_check_error(const char *what, interp_status s,
                      const interp_error *err) {
  if (s == INTERP_OK)
    return;
  if (err->status != s || err->message[0] == '\0')
    fuzz_fail(what, s, err);
}
