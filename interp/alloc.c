/*
** alloc.c: counting front end of the store allocator.
*/
#define _GNU_SOURCE /* mremap */
#include "alloc.h"
#include "error.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

static void *default_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
  (void)ud;
  (void)osize;
  if (nsize == 0) {
    free(ptr);
    return NULL;
  }
  return realloc(ptr, nsize);
}

void ialloc_init(ialloc *a, interp_alloc_fn fn, void *ud) {
  a->fn = fn ? fn : default_alloc;
  a->ud = fn ? ud : NULL;
  a->limit = 0;
  a->exempt = 0;
  a->live = 0;
  a->peak = 0;
  a->over_limit = false;
}

/* 'live' never exceeds a set limit, so 'limit - live' cannot wrap. The
** check comes before any allocation: a refused block is never allocated. */
static bool within_limit(ialloc *a, size_t osize, size_t nsize) {
  if (a->limit && nsize > osize && nsize - osize > a->limit - a->live) {
    a->over_limit = true;
    return false;
  }
  return true;
}

static void account(ialloc *a, size_t osize, size_t nsize) {
  a->live = a->live - osize + nsize;
  if (a->live > a->peak)
    a->peak = a->live;
}

static void *resize(ialloc *a, void *p, size_t osize, size_t nsize) {
  if (!within_limit(a, osize, nsize))
    return NULL;
  void *q = a->fn(a->ud, p, osize, nsize);
  if (q == NULL && nsize != 0) {
    a->over_limit = false;
    return NULL;
  }
  account(a, osize, nsize);
  return q;
}

void *ialloc_malloc(ialloc *a, size_t size) {
  if (size == 0)
    return NULL;
  return resize(a, NULL, 0, size);
}

void *ialloc_array(ialloc *a, size_t n, size_t size) {
  if (n == 0 || size == 0 || n > SIZE_MAX / size)
    return NULL;
  void *p = resize(a, NULL, 0, n * size);
  if (p)
    memset(p, 0, n * size);
  return p;
}

void *ialloc_grow(ialloc *a, void *p, size_t on, size_t nn, size_t size) {
  if (nn == 0 || size == 0 || nn > SIZE_MAX / size || on > nn)
    return NULL;
  char *q = resize(a, p, on * size, nn * size);
  if (q)
    memset(q + on * size, 0, (nn - on) * size);
  return q;
}

/* Pages come from the kernel already zero, and a page the program never
** touches is never faulted in: a run that uses one page of a 1 MiB memory
** pays for one page, where malloc plus memset would write all 256 (in a
** process forked from a zygote, each a copy-on-write fault). Only the
** default allocator can promise that; an embedder's gets the same sizes
** and a memset. Sizes need no rounding: mmap, mremap and munmap take
** whole pages of any length. */

void *ialloc_pages_grow(ialloc *a, void *p, size_t osize, size_t nsize) {
  void *q;
  if (nsize == 0 || osize > nsize || nsize > SIZE_MAX / 2)
    return NULL;
  if (a->fn != default_alloc) {
    if ((q = resize(a, p, osize, nsize)) != NULL)
      memset((char *)q + osize, 0, nsize - osize);
    return q;
  }
  if (!within_limit(a, osize, nsize))
    return NULL;
  a->over_limit = false;
  if (osize == 0)
    q = mmap(NULL, nsize, PROT_READ | PROT_WRITE,
             MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  else
    q = mremap(p, osize, nsize, MREMAP_MAYMOVE);
  if (q == MAP_FAILED)
    return NULL;
  account(a, osize, nsize);
  return q;
}

void ialloc_pages_free(ialloc *a, void *p, size_t size) {
  if (p == NULL)
    return;
  if (a->fn != default_alloc) {
    resize(a, p, size, 0);
    return;
  }
  munmap(p, size);
  account(a, size, 0);
}

void ialloc_free(ialloc *a, void *p, size_t size) {
  if (p == NULL)
    return;
  resize(a, p, size, 0);
}

void ialloc_free_array(ialloc *a, void *p, size_t n, size_t size) {
  ialloc_free(a, p, n * size);
}

size_t ialloc_room(const ialloc *a, size_t size) {
  if (a->limit == 0)
    return SIZE_MAX / size;
  return (size_t)((a->limit - a->live) / size);
}

interp_status ialloc_fail(const ialloc *a, interp_error *err,
                          const char *doing) {
  if (a->over_limit)
    return ip_fail(err, INTERP_NOMEM,
                   "out of memory %s: over the limit of %llu bytes", doing,
                   (unsigned long long)(a->limit - a->exempt));
  return ip_fail(err, INTERP_NOMEM, "out of memory %s", doing);
}
