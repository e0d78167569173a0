/*
** calls: function-call overhead.
**
** Doubly recursive Fibonacci, Ackermann (non-tail recursion some 600 frames deep, within
** every engine's default stack), the
** Takeuchi function (three recursive calls feeding a fourth), a loop of
** indirect calls through a table of function pointers (call_indirect with
** its signature check in wasm), and a recursive walk of an implicit binary
** tree. The callees are tiny and kept out of line, so the cost measured is
** the call and return themselves: frame set-up, argument passing, depth
** accounting.
*/
#include <stdint.h>

#include "harness.h"

#define EXPECTED 0x68239051u

#define FIB_N 33u
#define ACK_M 2u
#define ACK_N 300u
#define ACK_REPS 12u
#define TAK_X 22u
#define TAK_Y 14u
#define TAK_Z 6u
#define INDIRECT_CALLS 15000000u
#define TREE_DEPTH 21u
#define NOINLINE __attribute__((noinline))

static NOINLINE uint32_t fib(uint32_t n) {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

static NOINLINE uint32_t ack(uint32_t m, uint32_t n) {
  if (m == 0)
    return n + 1;
  if (n == 0)
    return ack(m - 1, 1);
  return ack(m - 1, ack(m, n - 1));
}

static NOINLINE uint32_t tak(uint32_t x, uint32_t y, uint32_t z) {
  if (y >= x)
    return z;
  return tak(tak(x - 1, y, z), tak(y - 1, z, x), tak(z - 1, x, y));
}

static NOINLINE uint32_t op_add(uint32_t a, uint32_t b) { return a + b; }
static NOINLINE uint32_t op_sub(uint32_t a, uint32_t b) { return a - b; }
static NOINLINE uint32_t op_xor(uint32_t a, uint32_t b) { return a ^ (b << 3); }
static NOINLINE uint32_t op_mul(uint32_t a, uint32_t b) { return a * (b | 1u); }
static NOINLINE uint32_t op_rot(uint32_t a, uint32_t b) {
  return (a << (b & 31u)) | (a >> ((32u - (b & 31u)) & 31u));
}
static NOINLINE uint32_t op_min(uint32_t a, uint32_t b) { return a < b ? a : b + a; }
static NOINLINE uint32_t op_avg(uint32_t a, uint32_t b) { return (a >> 1) + (b >> 1) + 12345u; }
static NOINLINE uint32_t op_not(uint32_t a, uint32_t b) { return ~a + b; }

typedef uint32_t (*binop)(uint32_t, uint32_t);
/* volatile so the compiler cannot turn the table into a switch. */
static binop volatile ops[8] = {op_add, op_sub, op_xor, op_mul,
                                op_rot, op_min, op_avg, op_not};

static uint32_t indirect_loop(void) {
  uint32_t x = 1;
  for (uint32_t i = 0; i < INDIRECT_CALLS; i++)
    x = ops[(x >> 7) & 7u](x, i);
  return x;
}

/* Node k of an implicit tree has children 2k and 2k+1. */
static NOINLINE uint32_t tree_sum(uint32_t k, uint32_t depth) {
  if (depth == 0)
    return k * 2654435761u;
  return (tree_sum(2 * k, depth - 1) ^ k) + tree_sum(2 * k + 1, depth - 1);
}

static uint32_t compute(void) {
  uint32_t sum = fib(FIB_N);
  for (uint32_t r = 0; r < ACK_REPS; r++)
    sum = sum * 7u + ack(ACK_M, ACK_N + r);
  sum = sum * 7u + tak(TAK_X, TAK_Y, TAK_Z);
  sum = sum * 7u + indirect_loop();
  sum = sum * 7u + tree_sum(1, TREE_DEPTH);
  return sum;
}

BENCH_MAIN("calls", EXPECTED, compute)
