/*
** memsort: memory-bound work over several MiB.
**
** A bottom-up merge sort of 1 Mi 32-bit keys (4 MiB plus a 4 MiB scratch
** buffer), a naive and a blocked transpose of a 1024 x 1024 matrix (column
** strides of 4 KiB defeat the cache), and a pointer chase around a random
** single-cycle permutation (one dependent load per step, mostly cache
** misses). What it stresses: i32 loads and stores with computed addresses,
** the bounds checks on them, and the memory system under the interpreter.
*/
#include <stdint.h>

#include "harness.h"

#define EXPECTED 0x99a5a7b7u

#define NKEYS (1u << 20)
#define DIM 1024u
#define BLOCK 32u
#define TRANSPOSE_ROUNDS 4u
#define CHASE_STEPS (1u << 22)

static uint32_t buf_a[NKEYS], buf_b[NKEYS];
static uint32_t rng_state = 0x2545f491u;

static uint32_t rnd(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 17;
  rng_state ^= rng_state << 5;
  return rng_state;
}

/* Merges src[lo,mid) and src[mid,hi) into dst[lo,hi). */
static void merge(const uint32_t *src, uint32_t *dst, uint32_t lo,
                  uint32_t mid, uint32_t hi) {
  uint32_t i = lo, j = mid, k = lo;
  while (i < mid && j < hi)
    dst[k++] = (src[j] < src[i]) ? src[j++] : src[i++];
  while (i < mid)
    dst[k++] = src[i++];
  while (j < hi)
    dst[k++] = src[j++];
}

/* Bottom-up: runs of width 1, 2, 4, ... ping-pong between the buffers. */
static uint32_t *merge_sort(uint32_t *a, uint32_t *tmp, uint32_t n) {
  uint32_t *src = a, *dst = tmp;
  for (uint32_t width = 1; width < n; width *= 2) {
    for (uint32_t lo = 0; lo < n; lo += 2 * width) {
      uint32_t mid = lo + width < n ? lo + width : n;
      uint32_t hi = lo + 2 * width < n ? lo + 2 * width : n;
      merge(src, dst, lo, mid, hi);
    }
    uint32_t *t = src; src = dst; dst = t;
  }
  return src;
}

static uint32_t sort_keys(void) {
  for (uint32_t i = 0; i < NKEYS; i++)
    buf_a[i] = rnd();
  uint32_t *sorted = merge_sort(buf_a, buf_b, NKEYS);
  uint32_t acc = 0;
  for (uint32_t i = 0; i < NKEYS; i++) {
    if (i > 0 && sorted[i - 1] > sorted[i])
      return 0; /* not sorted: the checksum will not match */
    acc = acc * 31u + sorted[i];
  }
  return acc;
}

static void transpose_naive(const uint32_t *src, uint32_t *dst) {
  for (uint32_t r = 0; r < DIM; r++)
    for (uint32_t c = 0; c < DIM; c++)
      dst[c * DIM + r] = src[r * DIM + c];
}

static void transpose_blocked(const uint32_t *src, uint32_t *dst) {
  for (uint32_t rb = 0; rb < DIM; rb += BLOCK)
    for (uint32_t cb = 0; cb < DIM; cb += BLOCK)
      for (uint32_t r = rb; r < rb + BLOCK; r++)
        for (uint32_t c = cb; c < cb + BLOCK; c++)
          dst[c * DIM + r] = src[r * DIM + c] + 1u;
}

static uint32_t transposes(void) {
  for (uint32_t i = 0; i < DIM * DIM; i++)
    buf_a[i] = i * 2654435761u;
  for (uint32_t round = 0; round < TRANSPOSE_ROUNDS; round++) {
    transpose_naive(buf_a, buf_b);
    transpose_blocked(buf_b, buf_a);
  }
  uint32_t acc = 0;
  for (uint32_t i = 0; i < DIM * DIM; i += 7)
    acc = acc * 31u + buf_a[i];
  return acc;
}

/* Sattolo's shuffle of the identity gives one cycle through every slot. */
static uint32_t pointer_chase(void) {
  for (uint32_t i = 0; i < NKEYS; i++)
    buf_a[i] = i;
  for (uint32_t i = NKEYS - 1; i > 0; i--) {
    uint32_t j = rnd() % i;
    uint32_t t = buf_a[i]; buf_a[i] = buf_a[j]; buf_a[j] = t;
  }
  uint32_t at = 0, acc = 0;
  for (uint32_t s = 0; s < CHASE_STEPS; s++) {
    at = buf_a[at];
    acc += at;
  }
  return acc ^ at;
}

static uint32_t compute(void) {
  uint32_t sum = sort_keys();
  sum = sum * 7u + transposes();
  sum = sum * 7u + pointer_chase();
  return sum;
}

BENCH_MAIN("memsort", EXPECTED, compute)
