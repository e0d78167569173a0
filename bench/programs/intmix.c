/*
** intmix: integer ALU work.
**
** A byte-array prime sieve, a table-driven CRC-32 over a generated buffer and
** a 64-bit multiply/xor-shift hash chain with 32-bit divisions in it. What it
** stresses: i32/i64 arithmetic, shifts and rotates, divisions, byte loads and
** stores, and tight loop control. Only fixed-width types are used so that
** the native (LP64) and wasm32 builds compute the same checksum.
*/
#include <stdint.h>

#include "harness.h"

#define EXPECTED 0x890d77c2u

#define SIEVE_N (1u << 22)     /* 4 MiB of flags */
#define SIEVE_PASSES 4u
#define CRC_BYTES (1u << 16)
#define CRC_PASSES 128u
#define HASH_ROUNDS 8000000u

static uint8_t composite[SIEVE_N];
static uint8_t text[CRC_BYTES];
static uint32_t crc_table[256];

/* Counts the primes below SIEVE_N and folds them into one word. */
static uint32_t sieve(void) {
  for (uint32_t i = 0; i < SIEVE_N; i++)
    composite[i] = 0;
  uint32_t count = 0, fold = 0;
  for (uint32_t i = 2; i < SIEVE_N; i++) {
    if (composite[i])
      continue;
    count++;
    fold = fold * 31u + i;
    for (uint64_t j = (uint64_t)i * i; j < SIEVE_N; j += i)
      composite[j] = 1;
  }
  return count ^ fold;
}

/* The reflected CRC-32 polynomial, one table entry per byte value. */
static void crc_init(void) {
  for (uint32_t n = 0; n < 256; n++) {
    uint32_t c = n;
    for (int k = 0; k < 8; k++)
      c = (c & 1u) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    crc_table[n] = c;
  }
}

static uint32_t crc32_update(uint32_t crc, const uint8_t *p, uint32_t n) {
  crc = ~crc;
  for (uint32_t i = 0; i < n; i++)
    crc = crc_table[(crc ^ p[i]) & 0xffu] ^ (crc >> 8);
  return ~crc;
}

/* Each pass perturbs the buffer so no pass can be skipped as redundant. */
static uint32_t crc_passes(void) {
  uint32_t x = 2463534242u;
  for (uint32_t i = 0; i < CRC_BYTES; i++) {
    x ^= x << 13; x ^= x >> 17; x ^= x << 5;
    text[i] = (uint8_t)(x >> 24);
  }
  uint32_t crc = 0;
  for (uint32_t pass = 0; pass < CRC_PASSES; pass++) {
    text[pass * 977u % CRC_BYTES] ^= (uint8_t)crc;
    crc = crc32_update(crc, text, CRC_BYTES);
  }
  return crc;
}

static uint64_t mix64(uint64_t x) {
  x ^= x >> 31;
  x *= 0x7fb5d329728ea185ull;
  x ^= x >> 27;
  x *= 0x81dadef4bc2dd44dull;
  x ^= x >> 33;
  return x;
}

/* A hash chain: each round depends on the last, so nothing vectorizes. */
static uint64_t hash_chain(void) {
  uint64_t h = 0x243f6a8885a308d3ull;
  uint32_t acc = 1;
  for (uint32_t i = 1; i <= HASH_ROUNDS; i++) {
    h = mix64(h + i);
    uint32_t d = (uint32_t)(h >> 40) | 1u;
    acc += (uint32_t)h / d + (uint32_t)(h % 1000003u);
    acc = (acc << 7) | (acc >> 25);
  }
  return h ^ acc;
}

static uint32_t compute(void) {
  uint32_t sum = 0;
  for (uint32_t p = 0; p < SIEVE_PASSES; p++)
    sum = sum * 7u + sieve();
  crc_init();
  sum = sum * 7u + crc_passes();
  uint64_t h = hash_chain();
  sum = sum * 7u + (uint32_t)h + (uint32_t)(h >> 32);
  return sum;
}

BENCH_MAIN("intmix", EXPECTED, compute)
