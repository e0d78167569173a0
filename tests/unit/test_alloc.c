#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>

#include "alloc.h"

/* An allocator that fails once 'budget' calls have succeeded. */
typedef struct failing { int budget; } failing;

static void *failing_alloc(void *ud, void *p, size_t osize, size_t nsize) {
  failing *f = ud;
  (void)osize;
  if (nsize == 0) {
    free(p);
    return NULL;
  }
  if (f->budget-- <= 0)
    return NULL;
  return realloc(p, nsize);
}

Test(alloc, counts_live_and_peak_bytes) {
  ialloc a;
  ialloc_init(&a, NULL, NULL);
  void *p = ialloc_malloc(&a, 100);
  void *q = ialloc_array(&a, 10, 8);
  cr_assert(p && q);
  cr_assert_eq(a.live, 180);
  ialloc_free(&a, p, 100);
  cr_assert_eq(a.live, 80);
  cr_assert_eq(a.peak, 180);
  q = ialloc_grow(&a, q, 10, 20, 8);
  cr_assert_eq(a.live, 160);
  cr_assert_eq(((uint64_t *)q)[19], 0, "grown part is zeroed");
  ialloc_free_array(&a, q, 20, 8);
  cr_assert_eq(a.live, 0);
}

Test(alloc, array_size_overflow_is_refused_without_calling_allocator) {
  failing f = {0};
  ialloc a;
  ialloc_init(&a, failing_alloc, &f);
  cr_assert_null(ialloc_array(&a, SIZE_MAX / 2, 4));
  cr_assert_eq(f.budget, 0, "allocator was not called");
}

Test(alloc, failed_grow_keeps_old_block_and_counts) {
  failing f = {1};
  ialloc a;
  ialloc_init(&a, failing_alloc, &f);
  uint32_t *p = ialloc_array(&a, 4, 4);
  cr_assert_not_null(p);
  p[3] = 7;
  cr_assert_null(ialloc_grow(&a, p, 4, 8, 4));
  cr_assert_eq(p[3], 7);
  cr_assert_eq(a.live, 16);
  ialloc_free_array(&a, p, 4, 4);
  cr_assert_eq(a.live, 0);
}
