/*
** alloc.h: the one allocator of a store. Every byte the interpreter holds
** goes through here, so a store can be capped, counted and fault-injected
** (tests hand in an allocator that fails on the Nth call).
**
** Sized free, as lua_Alloc: the caller passes back the size it asked for.
*/
#ifndef PLUGSUP_INTERP_ALLOC_H
#define PLUGSUP_INTERP_ALLOC_H

#include <stddef.h>
#include <stdint.h>

#include "interp.h"

typedef struct ialloc {
  interp_alloc_fn fn;
  void *ud;
  uint64_t live;       /* bytes currently allocated */
  uint64_t peak;       /* high-water mark of 'live' */
} ialloc;

void ialloc_init(ialloc *a, interp_alloc_fn fn, void *ud);

/* NULL on failure or when size is 0. */
void *ialloc_malloc(ialloc *a, size_t size);
/* Zeroed array of n items of 'size'; NULL on overflow or failure. */
void *ialloc_array(ialloc *a, size_t n, size_t size);
/* Resize an array from on to nn items; NULL on overflow or failure, with
** the old block untouched. */
void *ialloc_grow(ialloc *a, void *p, size_t on, size_t nn, size_t size);
void ialloc_free(ialloc *a, void *p, size_t size);
/* Free an array of n items of 'size' (pairs with ialloc_array). */
void ialloc_free_array(ialloc *a, void *p, size_t n, size_t size);

#endif
