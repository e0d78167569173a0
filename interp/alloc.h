/*
** alloc.h: the one allocator of a store. Every byte the interpreter holds
** goes through here, so a store can be capped, counted and fault-injected
** (tests hand in an allocator that fails on the Nth call).
**
** Sized free, as lua_Alloc: the caller passes back the size it asked for.
**
** The limit is the store's memory budget (interp_config.max_bytes): every
** byte counts against it, linear memory, tables, globals, stacks and the
** module's own code alike, so one number bounds all a plugin can make the
** interpreter allocate. A request over it fails like a failed malloc.
*/
#ifndef PLUGSUP_INTERP_ALLOC_H
#define PLUGSUP_INTERP_ALLOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "interp.h"

typedef struct ialloc {
  interp_alloc_fn fn;
  void *ud;
  uint64_t limit;      /* most 'live' may reach; 0 = no limit */
  uint64_t exempt;     /* of which held before the budget was set
                          (interp_store_relimit): not the budget's */
  uint64_t live;       /* bytes currently allocated */
  uint64_t peak;       /* high-water mark of 'live' */
  bool over_limit;     /* the last failure was the limit's, not fn's */
} ialloc;

/* No limit; set a->limit before the first allocation to have one. */
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

/* Zeroed memory in whole pages, for the large blocks a run may leave
** mostly untouched (linear memory, the value and frame stacks): grows p
** from osize to nsize bytes (p NULL and osize 0 for a new block); NULL on
** failure with the old block untouched. Free only with ialloc_pages_free. */
void *ialloc_pages_grow(ialloc *a, void *p, size_t osize, size_t nsize);
void ialloc_pages_free(ialloc *a, void *p, size_t size);

/* How many more items of 'size' the limit allows now (SIZE_MAX / size
** without a limit). */
size_t ialloc_room(const ialloc *a, size_t size);

/* Record INTERP_NOMEM in err (may be NULL) for a failed allocation while
** 'doing' ("instantiating"): "out of memory instantiating", plus the limit
** when it was the limit that said no. Returns INTERP_NOMEM. */
interp_status ialloc_fail(const ialloc *a, interp_error *err,
                          const char *doing);

#endif
