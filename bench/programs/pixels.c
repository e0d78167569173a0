/*
** pixels: 8-bit image work written for the loop vectorizer.
**
** A 3x3 Gaussian blur of a 1024x768 grey image (weights 1 2 1, sums in
** 16 bits, a shift instead of a division), the sum of absolute
** differences between the image and its blur, a saturating brighten, and
** a scan counting the bytes equal to one value and those above another.
** Every loop runs over independent elements with fixed-width unsigned
** types and no float, so clang -O2 -msimd128 turns them into v128 code
** (i16x8 adds and shifts, i8x16 compares, subtractions and saturating
** adds), and the scalar wasm, the SIMD wasm and the native build compute
** the same checksum whatever order a vector reduction adds in. Sums are
** written in the narrowest type that holds them (a 16-bit row sum, an
** 8-bit difference): computed in 32 bits, the vectorizer widens every
** byte to an i32x4 lane and the SIMD build gains little.
*/
#include <stdint.h>

#include "harness.h"

#define EXPECTED 0x2c497815u

#define W 1024u
#define H 768u
#define PASSES 40u

static uint8_t image[H][W];
static uint8_t blurred[H][W];
static uint16_t rows[3][W];

/* An xorshift texture: the same bytes in every build. */
static void make_image(void) {
  uint32_t x = 2463534242u;
  for (uint32_t y = 0; y < H; y++)
    for (uint32_t i = 0; i < W; i++) {
      x ^= x << 13;
      x ^= x >> 17;
      x ^= x << 5;
      image[y][i] = (uint8_t)((x >> 24) / 2 + ((y + i) & 127));
    }
}

/* The 1 2 1 pass along a row, edges clamped: the horizontal half. */
static void blur_row(const uint8_t *src, uint16_t *dst) {
  dst[0] = (uint16_t)(3u * src[0] + src[1]);
  for (uint32_t i = 1; i < W - 1; i++) {
    uint16_t left = src[i - 1], mid = src[i], right = src[i + 1];
    dst[i] = (uint16_t)(left + mid + mid + right);
  }
  dst[W - 1] = (uint16_t)(src[W - 2] + 3u * src[W - 1]);
}

/* The vertical half over three row sums: at most 16 * 255 before >> 4. */
static void blur_column(const uint16_t *a, const uint16_t *b,
                        const uint16_t *c, uint8_t *dst) {
  for (uint32_t i = 0; i < W; i++)
    dst[i] = (uint8_t)((uint16_t)(a[i] + b[i] + b[i] + c[i]) >> 4);
}

static void blur(void) {
  blur_row(image[0], rows[0]);
  blur_row(image[0], rows[1]);
  for (uint32_t y = 0; y < H; y++) {
    blur_row(image[y + 1 < H ? y + 1 : y], rows[(y + 2) % 3]);
    blur_column(rows[y % 3], rows[(y + 1) % 3], rows[(y + 2) % 3],
                blurred[y]);
  }
}

static uint32_t abs_differences(void) {
  uint32_t sum = 0;
  for (uint32_t y = 0; y < H; y++)
    for (uint32_t i = 0; i < W; i++) {
      uint8_t a = image[y][i], b = blurred[y][i];
      sum += (uint8_t)(a > b ? a - b : b - a);
    }
  return sum;
}

/* Adds 'by' to every pixel, stopping at 255: i8x16.add_sat_u. */
static void brighten(uint8_t by) {
  for (uint32_t y = 0; y < H; y++)
    for (uint32_t i = 0; i < W; i++) {
      uint8_t v = image[y][i];
      image[y][i] = v > 255u - by ? 255u : (uint8_t)(v + by);
    }
}

/* How many bytes are 'value', and how many are above 'limit', folded. */
static uint32_t scan(uint8_t value, uint8_t limit) {
  uint32_t equal = 0, above = 0;
  const uint8_t *p = &image[0][0];
  for (uint32_t i = 0; i < W * H; i++) {
    equal += p[i] == value;
    above += p[i] > limit;
  }
  return equal * 65599u + above;
}

static uint32_t compute(void) {
  uint32_t sum = 0;
  make_image();
  for (uint32_t pass = 0; pass < PASSES; pass++) {
    blur();
    sum = sum * 31u + abs_differences();
    sum = sum * 31u + scan((uint8_t)(pass * 37u), (uint8_t)(200u - pass));
    brighten((uint8_t)(pass & 3u));
    /* The blur becomes the next pass's image: nothing is repeated. */
    for (uint32_t y = 0; y < H; y++)
      for (uint32_t i = 0; i < W; i++)
        image[y][i] = (uint8_t)(blurred[y][i] ^ (uint8_t)(y + pass));
  }
  return sum;
}

BENCH_MAIN("pixels", EXPECTED, compute)
