/*
** numeric.h: the numeric instructions whose C meaning differs from Wasm's
** (internal to interp/).
**
** Floats are kept as bit patterns and only become float/double for the
** arithmetic itself, so NaN payloads survive loads, stores, locals,
** globals and select untouched. neg/abs/copysign are bit operations for the
** same reason. This assumes IEEE-754 binary32/64 with SSE-style evaluation
** (FLT_EVAL_METHOD 0), checked below.
*/
#ifndef PLUGSUP_INTERP_NUMERIC_H
#define PLUGSUP_INTERP_NUMERIC_H

#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#if !defined(FLT_EVAL_METHOD) || FLT_EVAL_METHOD != 0
#error "plugsup's interpreter needs FLT_EVAL_METHOD 0 (no x87 excess precision)"
#endif

static inline float f32_of(uint32_t b) { float f; memcpy(&f, &b, 4); return f; }
static inline double f64_of(uint64_t b) { double d; memcpy(&d, &b, 8); return d; }
static inline uint32_t bits_f32(float f) { uint32_t b; memcpy(&b, &f, 4); return b; }
static inline uint64_t bits_f64(double d) { uint64_t b; memcpy(&b, &d, 8); return b; }

#define F32_SIGN 0x80000000u
#define F64_SIGN 0x8000000000000000ull

/* ---- integer ---- */

#if defined(__GNUC__)
static inline uint32_t n_clz32(uint32_t x) { return x ? (uint32_t)__builtin_clz(x) : 32; }
static inline uint32_t n_ctz32(uint32_t x) { return x ? (uint32_t)__builtin_ctz(x) : 32; }
static inline uint32_t n_pop32(uint32_t x) { return (uint32_t)__builtin_popcount(x); }
static inline uint64_t n_clz64(uint64_t x) { return x ? (uint64_t)__builtin_clzll(x) : 64; }
static inline uint64_t n_ctz64(uint64_t x) { return x ? (uint64_t)__builtin_ctzll(x) : 64; }
static inline uint64_t n_pop64(uint64_t x) { return (uint64_t)__builtin_popcountll(x); }
#else
static inline uint64_t n_clz64(uint64_t x) {
  uint64_t n = 0;
  for (uint64_t m = 1ull << 63; m && !(x & m); m >>= 1) n++;
  return n;
}
static inline uint64_t n_ctz64(uint64_t x) {
  uint64_t n = 0;
  for (uint64_t m = 1; m && !(x & m); m <<= 1) n++;
  return n;
}
static inline uint64_t n_pop64(uint64_t x) {
  uint64_t n = 0;
  for (; x; x &= x - 1) n++;
  return n;
}
static inline uint32_t n_clz32(uint32_t x) { return (uint32_t)n_clz64(x) - 32; }
static inline uint32_t n_ctz32(uint32_t x) { return x ? (uint32_t)n_ctz64(x) : 32; }
static inline uint32_t n_pop32(uint32_t x) { return (uint32_t)n_pop64(x); }
#endif

static inline uint32_t n_rotl32(uint32_t x, uint32_t k) {
  k &= 31;
  return (x << k) | (x >> ((32 - k) & 31));
}
static inline uint32_t n_rotr32(uint32_t x, uint32_t k) {
  k &= 31;
  return (x >> k) | (x << ((32 - k) & 31));
}
static inline uint64_t n_rotl64(uint64_t x, uint64_t k) {
  k &= 63;
  return (x << k) | (x >> ((64 - k) & 63));
}
static inline uint64_t n_rotr64(uint64_t x, uint64_t k) {
  k &= 63;
  return (x >> k) | (x << ((64 - k) & 63));
}

/* Arithmetic shift right without relying on implementation-defined >>. */
static inline uint32_t n_shr_s32(uint32_t x, uint32_t k) {
  k &= 31;
  uint32_t s = (uint32_t)0 - (x >> 31);
  return ((x ^ s) >> k) ^ s;
}
static inline uint64_t n_shr_s64(uint64_t x, uint64_t k) {
  k &= 63;
  uint64_t s = (uint64_t)0 - (x >> 63);
  return ((x ^ s) >> k) ^ s;
}

/* ---- float ---- */

static inline uint32_t f32_min(uint32_t a, uint32_t b) {
  float x = f32_of(a), y = f32_of(b);
  if (x != x || y != y)
    return bits_f32(x + y); /* a NaN, quiet; canonical if inputs are */
  if (x == y)
    return a | b;           /* -0 beats +0 */
  return x < y ? a : b;
}
static inline uint32_t f32_max(uint32_t a, uint32_t b) {
  float x = f32_of(a), y = f32_of(b);
  if (x != x || y != y)
    return bits_f32(x + y);
  if (x == y)
    return a & b;           /* +0 beats -0 */
  return x > y ? a : b;
}
static inline uint64_t f64_min(uint64_t a, uint64_t b) {
  double x = f64_of(a), y = f64_of(b);
  if (x != x || y != y)
    return bits_f64(x + y);
  if (x == y)
    return a | b;
  return x < y ? a : b;
}
static inline uint64_t f64_max(uint64_t a, uint64_t b) {
  double x = f64_of(a), y = f64_of(b);
  if (x != x || y != y)
    return bits_f64(x + y);
  if (x == y)
    return a & b;
  return x > y ? a : b;
}

/* libm's rounding functions may return a signalling NaN unchanged; Wasm
** wants it quiet (an arithmetic NaN): x + x quiets it. */
static inline float f32_ceil(float x) { return x != x ? x + x : ceilf(x); }
static inline float f32_floor(float x) { return x != x ? x + x : floorf(x); }
static inline float f32_trunc(float x) { return x != x ? x + x : truncf(x); }
static inline double f64_ceil(double x) { return x != x ? x + x : ceil(x); }
static inline double f64_floor(double x) { return x != x ? x + x : floor(x); }
static inline double f64_trunc(double x) { return x != x ? x + x : trunc(x); }

/* Round half to even, whatever the rounding mode: nearbyint uses the
** current mode, which the interpreter never changes (default = nearest). */
static inline uint32_t f32_nearest(uint32_t a) { float x = f32_of(a); return bits_f32(x != x ? x + x : nearbyintf(x)); }
static inline uint64_t f64_nearest(uint64_t a) { double x = f64_of(a); return bits_f64(x != x ? x + x : nearbyint(x)); }

/* ---- float -> integer ----
** Each returns 0 for success, 1 for NaN ("invalid conversion to integer"),
** 2 for out of range ("integer overflow"). The bounds are exact: each is a
** power of two representable in the source type, compared before
** truncation so no C conversion ever overflows. */
#define N_TRUNC(name, FT, OT, of, lo_ok, hi)                                   \
  static inline int name(uint64_t bits, OT *out) {                             \
    FT x = of(bits);                                                           \
    if (x != x)                                                                \
      return 1;                                                                \
    if (!(lo_ok) || !(x < (hi)))                                               \
      return 2;                                                                \
    *out = (OT)x;                                                              \
    return 0;                                                                  \
  }
N_TRUNC(trunc_f32_i32, float, int32_t, f32_of, x >= -2147483648.0f, 2147483648.0f)
N_TRUNC(trunc_f32_u32, float, uint32_t, f32_of, x > -1.0f, 4294967296.0f)
N_TRUNC(trunc_f64_i32, double, int32_t, f64_of, x > -2147483649.0, 2147483648.0)
N_TRUNC(trunc_f64_u32, double, uint32_t, f64_of, x > -1.0, 4294967296.0)
N_TRUNC(trunc_f32_i64, float, int64_t, f32_of, x >= -9223372036854775808.0f, 9223372036854775808.0f)
N_TRUNC(trunc_f32_u64, float, uint64_t, f32_of, x > -1.0f, 18446744073709551616.0f)
N_TRUNC(trunc_f64_i64, double, int64_t, f64_of, x >= -9223372036854775808.0, 9223372036854775808.0)
N_TRUNC(trunc_f64_u64, double, uint64_t, f64_of, x > -1.0, 18446744073709551616.0)
#undef N_TRUNC

/* Saturating forms: NaN -> 0, out of range -> the nearest bound. */
#define N_TRUNC_SAT(name, FT, OT, of, lo_ok, hi, MIN, MAX)                     \
  static inline OT name(uint64_t bits) {                                       \
    FT x = of(bits);                                                           \
    if (x != x)                                                                \
      return 0;                                                                \
    if (!(lo_ok))                                                              \
      return MIN;                                                              \
    if (!(x < (hi)))                                                           \
      return MAX;                                                              \
    return (OT)x;                                                              \
  }
N_TRUNC_SAT(sat_f32_i32, float, int32_t, f32_of, x >= -2147483648.0f, 2147483648.0f, INT32_MIN, INT32_MAX)
N_TRUNC_SAT(sat_f32_u32, float, uint32_t, f32_of, x > -1.0f, 4294967296.0f, 0, UINT32_MAX)
N_TRUNC_SAT(sat_f64_i32, double, int32_t, f64_of, x > -2147483649.0, 2147483648.0, INT32_MIN, INT32_MAX)
N_TRUNC_SAT(sat_f64_u32, double, uint32_t, f64_of, x > -1.0, 4294967296.0, 0, UINT32_MAX)
N_TRUNC_SAT(sat_f32_i64, float, int64_t, f32_of, x >= -9223372036854775808.0f, 9223372036854775808.0f, INT64_MIN, INT64_MAX)
N_TRUNC_SAT(sat_f32_u64, float, uint64_t, f32_of, x > -1.0f, 18446744073709551616.0f, 0, UINT64_MAX)
N_TRUNC_SAT(sat_f64_i64, double, int64_t, f64_of, x >= -9223372036854775808.0, 9223372036854775808.0, INT64_MIN, INT64_MAX)
N_TRUNC_SAT(sat_f64_u64, double, uint64_t, f64_of, x > -1.0, 18446744073709551616.0, 0, UINT64_MAX)
#undef N_TRUNC_SAT

#endif
