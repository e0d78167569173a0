/*
** simd.h: the v128 operations of Wasm's fixed-width SIMD (internal to
** interp/, used by exec.c's handlers).
**
** A v128 is 16 bytes in memory order, lane 0 first, each lane little
** endian: exactly how it sits in its two frame slots and in linear memory,
** so loads, stores, moves and locals copy bytes and never convert. The
** union below views those bytes as lanes, which is right on little-endian
** hosts only (checked below; the slots and loads assume it already).
**
** Every operation has a portable definition, one C statement per lane.
** Where GCC's vector extensions compute the same thing in one expression
** (bitwise ops, integer add/sub/mul and compares, float arithmetic and
** compares) that form is used instead, unless INTERP_SIMD_PORTABLE is
** defined (CMake PLUGSUP_SIMD_PORTABLE), which builds the per-lane forms
** everywhere so that the spec suite can test them (docs/interp.md). Float
** lanes are read as bits and converted per lane, so NaN payloads survive
** the bit-level ops (abs, neg, bitselect, shuffles, lane moves).
*/
#ifndef PLUGSUP_INTERP_SIMD_H
#define PLUGSUP_INTERP_SIMD_H

#include <stdint.h>
#include <string.h>

#include "numeric.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "plugsup's interpreter keeps v128 lanes little endian in host order"
#endif

#if defined(__GNUC__) && !defined(INTERP_SIMD_PORTABLE)
#define V_VECTOR 1
#else
#define V_VECTOR 0
#endif

typedef union v128 {
  uint8_t u8[16];
  int8_t i8[16];
  uint16_t u16[8];
  int16_t i16[8];
  uint32_t u32[4];
  int32_t i32[4];
  uint64_t u64[2];
  int64_t i64[2];
} v128;

/* Slots and memory hold bytes: copy them, never cast the pointer. */
static inline v128 v_get(const void *p) { v128 v; memcpy(&v, p, 16); return v; }
static inline void v_put(void *p, v128 v) { memcpy(p, &v, 16); }

#if V_VECTOR
typedef uint8_t vec_u8 __attribute__((vector_size(16)));
typedef int8_t vec_i8 __attribute__((vector_size(16)));
typedef uint16_t vec_u16 __attribute__((vector_size(16)));
typedef int16_t vec_i16 __attribute__((vector_size(16)));
typedef uint32_t vec_u32 __attribute__((vector_size(16)));
typedef int32_t vec_i32 __attribute__((vector_size(16)));
typedef uint64_t vec_u64 __attribute__((vector_size(16)));
typedef int64_t vec_i64 __attribute__((vector_size(16)));
typedef float vec_f32 __attribute__((vector_size(16)));
typedef double vec_f64 __attribute__((vector_size(16)));

/* r = a OP b over vectors of type VT; compares give all-ones lanes. */
#define V_EXPR2(name, VT, F, N, expr)                                          \
  static inline v128 name(v128 va, v128 vb) {                                  \
    VT a, b, r;                                                                \
    memcpy(&a, &va, 16);                                                       \
    memcpy(&b, &vb, 16);                                                       \
    r = (VT)(expr);                                                            \
    memcpy(&va, &r, 16);                                                       \
    return va;                                                                 \
  }
#define V_VEC2(name, VT, F, N, T, expr) V_EXPR2(name, VT, F, N, expr)
#define V_VCMP(name, VT, F, N, T, expr) V_EXPR2(name, VT, F, N, expr)
#else
/* The same per lane. V_VEC2 lanes are unsigned (type T) and computed in
** 64 bits, truncated back: C would promote narrow lanes to int, where
** u16 * u16 could overflow. */
#define V_VEC2(name, VT, F, N, T, expr)                                        \
  static inline v128 name(v128 va, v128 vb) {                                  \
    v128 r;                                                                    \
    for (int i = 0; i < N; i++) {                                              \
      uint64_t a = va.F[i], b = vb.F[i];                                       \
      r.F[i] = (T)(expr);                                                      \
    }                                                                          \
    return r;                                                                  \
  }
#define V_VCMP(name, VT, F, N, T, expr)                                        \
  static inline v128 name(v128 va, v128 vb) {                                  \
    v128 r;                                                                    \
    for (int i = 0; i < N; i++) {                                              \
      T a = va.F[i], b = vb.F[i];                                              \
      r.F[i] = (expr) ? (T)~(T)0 : 0;                                          \
    }                                                                          \
    return r;                                                                  \
  }
#endif

/* Per-lane forms with no vector counterpart: lane values of type T from
** field F in, the expression's value into field R of the result. */
#define V_LANE1(name, N, F, T, R, expr)                                        \
  static inline v128 name(v128 va) {                                           \
    v128 r;                                                                    \
    for (int i = 0; i < N; i++) {                                              \
      T a = va.F[i];                                                           \
      r.R[i] = (expr);                                                         \
    }                                                                          \
    return r;                                                                  \
  }
#define V_LANE2(name, N, F, T, R, expr)                                        \
  static inline v128 name(v128 va, v128 vb) {                                  \
    v128 r;                                                                    \
    for (int i = 0; i < N; i++) {                                              \
      T a = va.F[i], b = vb.F[i];                                              \
      r.R[i] = (expr);                                                         \
    }                                                                          \
    return r;                                                                  \
  }
/* Compare lanes of type T: all ones where true. */
#define V_CMP(name, N, F, T, expr)                                             \
  V_LANE2(name, N, F, T, F, (expr) ? (T)~(T)0 : 0)

/* ---- bitwise ---- */

V_VEC2(v_and, vec_u64, u64, 2, uint64_t, a & b)
V_VEC2(v_or, vec_u64, u64, 2, uint64_t, a | b)
V_VEC2(v_xor, vec_u64, u64, 2, uint64_t, a ^ b)
V_VEC2(v_andnot, vec_u64, u64, 2, uint64_t, a & ~b)
static inline v128 v_not(v128 a) {
  a.u64[0] = ~a.u64[0];
  a.u64[1] = ~a.u64[1];
  return a;
}
static inline v128 v_bitselect(v128 a, v128 b, v128 c) {
  return v_or(v_and(a, c), v_andnot(b, c));
}
static inline uint32_t v_any_true(v128 a) { return (a.u64[0] | a.u64[1]) != 0; }

/* ---- integer lanes ---- */

V_VEC2(i8x16_add, vec_u8, u8, 16, uint8_t, a + b)
V_VEC2(i8x16_sub, vec_u8, u8, 16, uint8_t, a - b)
V_VEC2(i16x8_add, vec_u16, u16, 8, uint16_t, a + b)
V_VEC2(i16x8_sub, vec_u16, u16, 8, uint16_t, a - b)
V_VEC2(i16x8_mul, vec_u16, u16, 8, uint16_t, a * b)
V_VEC2(i32x4_add, vec_u32, u32, 4, uint32_t, a + b)
V_VEC2(i32x4_sub, vec_u32, u32, 4, uint32_t, a - b)
V_VEC2(i32x4_mul, vec_u32, u32, 4, uint32_t, a * b)
V_VEC2(i64x2_add, vec_u64, u64, 2, uint64_t, a + b)
V_VEC2(i64x2_sub, vec_u64, u64, 2, uint64_t, a - b)
V_VEC2(i64x2_mul, vec_u64, u64, 2, uint64_t, a * b)

#define V_INT_CMPS(S, N, UF, SF, UT, ST, UV, SV)                               \
  V_VCMP(S##_eq, UV, UF, N, UT, a == b)                                        \
  V_VCMP(S##_ne, UV, UF, N, UT, a != b)                                        \
  V_VCMP(S##_lt_s, SV, SF, N, ST, a < b)                                       \
  V_VCMP(S##_lt_u, UV, UF, N, UT, a < b)                                       \
  V_VCMP(S##_gt_s, SV, SF, N, ST, a > b)                                       \
  V_VCMP(S##_gt_u, UV, UF, N, UT, a > b)                                       \
  V_VCMP(S##_le_s, SV, SF, N, ST, a <= b)                                      \
  V_VCMP(S##_le_u, UV, UF, N, UT, a <= b)                                      \
  V_VCMP(S##_ge_s, SV, SF, N, ST, a >= b)                                      \
  V_VCMP(S##_ge_u, UV, UF, N, UT, a >= b)
V_INT_CMPS(i8x16, 16, u8, i8, uint8_t, int8_t, vec_u8, vec_i8)
V_INT_CMPS(i16x8, 8, u16, i16, uint16_t, int16_t, vec_u16, vec_i16)
V_INT_CMPS(i32x4, 4, u32, i32, uint32_t, int32_t, vec_u32, vec_i32)
V_INT_CMPS(i64x2, 2, u64, i64, uint64_t, int64_t, vec_u64, vec_i64)
#undef V_INT_CMPS

/* Saturation and min/max: lanes widened to int32 (to int64 for 32 bits). */
static inline int32_t v_clamp(int32_t x, int32_t lo, int32_t hi) {
  return x < lo ? lo : x > hi ? hi : x;
}
V_LANE2(i8x16_add_sat_s, 16, i8, int32_t, i8, (int8_t)v_clamp(a + b, -128, 127))
V_LANE2(i8x16_add_sat_u, 16, u8, int32_t, u8, (uint8_t)v_clamp(a + b, 0, 255))
V_LANE2(i8x16_sub_sat_s, 16, i8, int32_t, i8, (int8_t)v_clamp(a - b, -128, 127))
V_LANE2(i8x16_sub_sat_u, 16, u8, int32_t, u8, (uint8_t)v_clamp(a - b, 0, 255))
V_LANE2(i16x8_add_sat_s, 8, i16, int32_t, i16, (int16_t)v_clamp(a + b, -32768, 32767))
V_LANE2(i16x8_add_sat_u, 8, u16, int32_t, u16, (uint16_t)v_clamp(a + b, 0, 65535))
V_LANE2(i16x8_sub_sat_s, 8, i16, int32_t, i16, (int16_t)v_clamp(a - b, -32768, 32767))
V_LANE2(i16x8_sub_sat_u, 8, u16, int32_t, u16, (uint16_t)v_clamp(a - b, 0, 65535))
V_LANE2(i8x16_min_s, 16, i8, int8_t, i8, a < b ? a : b)
V_LANE2(i8x16_min_u, 16, u8, uint8_t, u8, a < b ? a : b)
V_LANE2(i8x16_max_s, 16, i8, int8_t, i8, a > b ? a : b)
V_LANE2(i8x16_max_u, 16, u8, uint8_t, u8, a > b ? a : b)
V_LANE2(i16x8_min_s, 8, i16, int16_t, i16, a < b ? a : b)
V_LANE2(i16x8_min_u, 8, u16, uint16_t, u16, a < b ? a : b)
V_LANE2(i16x8_max_s, 8, i16, int16_t, i16, a > b ? a : b)
V_LANE2(i16x8_max_u, 8, u16, uint16_t, u16, a > b ? a : b)
V_LANE2(i32x4_min_s, 4, i32, int32_t, i32, a < b ? a : b)
V_LANE2(i32x4_min_u, 4, u32, uint32_t, u32, a < b ? a : b)
V_LANE2(i32x4_max_s, 4, i32, int32_t, i32, a > b ? a : b)
V_LANE2(i32x4_max_u, 4, u32, uint32_t, u32, a > b ? a : b)
V_LANE2(i8x16_avgr_u, 16, u8, uint32_t, u8, (uint8_t)((a + b + 1) >> 1))
V_LANE2(i16x8_avgr_u, 8, u16, uint32_t, u16, (uint16_t)((a + b + 1) >> 1))
/* The only overflow, -32768 * -32768, saturates to 32767. */
V_LANE2(i16x8_q15mulr_sat_s, 8, i16, int32_t, i16,
        (int16_t)v_clamp((int32_t)n_shr_s32((uint32_t)(a * b + 0x4000), 15),
                         -32768, 32767))

/* abs and neg wrap: abs(-128) is -128, computed in unsigned lanes. */
V_LANE1(i8x16_abs, 16, i8, int8_t, u8, (uint8_t)(a < 0 ? 0u - (uint32_t)a : (uint32_t)a))
V_LANE1(i8x16_neg, 16, u8, uint8_t, u8, (uint8_t)(0u - a))
V_LANE1(i16x8_abs, 8, i16, int16_t, u16, (uint16_t)(a < 0 ? 0u - (uint32_t)a : (uint32_t)a))
V_LANE1(i16x8_neg, 8, u16, uint16_t, u16, (uint16_t)(0u - a))
V_LANE1(i32x4_abs, 4, i32, int32_t, u32, a < 0 ? 0u - (uint32_t)a : (uint32_t)a)
V_LANE1(i32x4_neg, 4, u32, uint32_t, u32, 0u - a)
V_LANE1(i64x2_abs, 2, i64, int64_t, u64, a < 0 ? 0u - (uint64_t)a : (uint64_t)a)
V_LANE1(i64x2_neg, 2, u64, uint64_t, u64, 0u - a)
V_LANE1(i8x16_popcnt, 16, u8, uint8_t, u8, (uint8_t)n_pop32(a))

/* Shifts take the count modulo the lane width. Signed shifts right go
** through numeric.h's n_shr_s32/64, which avoid implementation-defined >>. */
#define V_SHIFTS(S, N, UF, SF, UT, BITS, W)                                    \
  static inline v128 S##_shl(v128 a, uint32_t k) {                             \
    for (int i = 0; i < N; i++)                                                \
      a.UF[i] = (UT)((uint##W##_t)a.UF[i] << (k % BITS));                      \
    return a;                                                                  \
  }                                                                            \
  static inline v128 S##_shr_u(v128 a, uint32_t k) {                           \
    for (int i = 0; i < N; i++)                                                \
      a.UF[i] = (UT)(a.UF[i] >> (k % BITS));                                   \
    return a;                                                                  \
  }                                                                            \
  static inline v128 S##_shr_s(v128 a, uint32_t k) {                           \
    for (int i = 0; i < N; i++)                                                \
      a.UF[i] = (UT)n_shr_s##W((uint##W##_t)(int##W##_t)a.SF[i], k % BITS);    \
    return a;                                                                  \
  }
V_SHIFTS(i8x16, 16, u8, i8, uint8_t, 8, 32)
V_SHIFTS(i16x8, 8, u16, i16, uint16_t, 16, 32)
V_SHIFTS(i32x4, 4, u32, i32, uint32_t, 32, 32)
V_SHIFTS(i64x2, 2, u64, i64, uint64_t, 64, 64)
#undef V_SHIFTS

/* ---- lane tests ---- */

#define V_TESTS(S, N, UF, SF, TOP)                                             \
  static inline uint32_t S##_all_true(v128 a) {                                \
    for (int i = 0; i < N; i++)                                                \
      if (a.UF[i] == 0)                                                        \
        return 0;                                                              \
    return 1;                                                                  \
  }                                                                            \
  static inline uint32_t S##_bitmask(v128 a) {                                 \
    uint32_t m = 0;                                                            \
    for (int i = 0; i < N; i++)                                                \
      m |= (uint32_t)(a.UF[i] >> TOP) << i;                                    \
    return m;                                                                  \
  }
V_TESTS(i8x16, 16, u8, i8, 7)
V_TESTS(i16x8, 8, u16, i16, 15)
V_TESTS(i32x4, 4, u32, i32, 31)
V_TESTS(i64x2, 2, u64, i64, 63)
#undef V_TESTS

/* ---- widening and narrowing ---- */

/* Narrow: a's lanes then b's, each saturated to the narrow type. */
#define V_NARROW(name, N, F, T, R, lo, hi)                                     \
  static inline v128 name(v128 a, v128 b) {                                    \
    v128 r;                                                                    \
    for (int i = 0; i < N; i++) {                                              \
      r.R[i] = (T)v_clamp(a.F[i], lo, hi);                                     \
      r.R[i + N] = (T)v_clamp(b.F[i], lo, hi);                                 \
    }                                                                          \
    return r;                                                                  \
  }
V_NARROW(i8x16_narrow_i16x8_s, 8, i16, int8_t, i8, -128, 127)
V_NARROW(i8x16_narrow_i16x8_u, 8, i16, uint8_t, u8, 0, 255)
V_NARROW(i16x8_narrow_i32x4_s, 4, i32, int16_t, i16, -32768, 32767)
V_NARROW(i16x8_narrow_i32x4_u, 4, i32, uint16_t, u16, 0, 65535)
#undef V_NARROW

/* Extend: the N lanes of field F from lane 'from' on, widened into R. */
#define V_EXTEND(name, N, F, R, from)                                          \
  static inline v128 name(v128 a) {                                            \
    v128 r;                                                                    \
    for (int i = 0; i < N; i++)                                                \
      r.R[i] = a.F[i + from];                                                  \
    return r;                                                                  \
  }
#define V_EXTENDS(S, N, SF, UF, SR, UR)                                        \
  V_EXTEND(S##_low_s, N, SF, SR, 0)                                            \
  V_EXTEND(S##_high_s, N, SF, SR, N)                                           \
  V_EXTEND(S##_low_u, N, UF, UR, 0)                                            \
  V_EXTEND(S##_high_u, N, UF, UR, N)
V_EXTENDS(i16x8_extend, 8, i8, u8, i16, u16)
V_EXTENDS(i32x4_extend, 4, i16, u16, i32, u32)
V_EXTENDS(i64x2_extend, 2, i32, u32, i64, u64)
#undef V_EXTENDS
#undef V_EXTEND

/* Extended multiply: lanes from 'from' on, multiplied in the wide type
** (which holds every product). */
#define V_EXTMUL(name, N, F, R, WT, from)                                      \
  static inline v128 name(v128 a, v128 b) {                                    \
    v128 r;                                                                    \
    for (int i = 0; i < N; i++)                                                \
      r.R[i] = (WT)((WT)a.F[i + from] * (WT)b.F[i + from]);                    \
    return r;                                                                  \
  }
#define V_EXTMULS(S, N, SF, UF, SR, UR, ST, UT)                                \
  V_EXTMUL(S##_low_s, N, SF, SR, ST, 0)                                        \
  V_EXTMUL(S##_high_s, N, SF, SR, ST, N)                                       \
  V_EXTMUL(S##_low_u, N, UF, UR, UT, 0)                                        \
  V_EXTMUL(S##_high_u, N, UF, UR, UT, N)
V_EXTMULS(i16x8_extmul, 8, i8, u8, i16, u16, int32_t, uint32_t)
V_EXTMULS(i32x4_extmul, 4, i16, u16, i32, u32, int32_t, uint32_t)
V_EXTMULS(i64x2_extmul, 2, i32, u32, i64, u64, int64_t, uint64_t)
#undef V_EXTMULS
#undef V_EXTMUL

/* Pairwise: lanes 2i and 2i+1 added in the wide type. */
#define V_PAIRWISE(name, N, F, R, WT)                                          \
  static inline v128 name(v128 a) {                                            \
    v128 r;                                                                    \
    for (int i = 0; i < N; i++)                                                \
      r.R[i] = (WT)((WT)a.F[2 * i] + (WT)a.F[2 * i + 1]);                      \
    return r;                                                                  \
  }
V_PAIRWISE(i16x8_extadd_s, 8, i8, i16, int32_t)
V_PAIRWISE(i16x8_extadd_u, 8, u8, u16, uint32_t)
V_PAIRWISE(i32x4_extadd_s, 4, i16, i32, int32_t)
V_PAIRWISE(i32x4_extadd_u, 4, u16, u32, uint32_t)
#undef V_PAIRWISE

/* Two products of int16 lanes summed; only -32768^2 * 2 overflows int32,
** and Wasm wraps it: the sum is taken in int64 and truncated. */
static inline v128 i32x4_dot_i16x8_s(v128 a, v128 b) {
  v128 r;
  for (int i = 0; i < 4; i++)
    r.u32[i] = (uint32_t)((int64_t)a.i16[2 * i] * b.i16[2 * i] +
                          (int64_t)a.i16[2 * i + 1] * b.i16[2 * i + 1]);
  return r;
}

/* ---- float lanes ---- */

#if V_VECTOR
V_EXPR2(f32x4_add, vec_f32, , , a + b)
V_EXPR2(f32x4_sub, vec_f32, , , a - b)
V_EXPR2(f32x4_mul, vec_f32, , , a * b)
V_EXPR2(f32x4_div, vec_f32, , , a / b)
V_EXPR2(f64x2_add, vec_f64, , , a + b)
V_EXPR2(f64x2_sub, vec_f64, , , a - b)
V_EXPR2(f64x2_mul, vec_f64, , , a * b)
V_EXPR2(f64x2_div, vec_f64, , , a / b)
/* Float compares give integer vectors of the lane width. */
#define V_FCMP(name, VT, IT, expr)                                             \
  static inline v128 name(v128 va, v128 vb) {                                  \
    VT a, b;                                                                   \
    IT r;                                                                      \
    memcpy(&a, &va, 16);                                                       \
    memcpy(&b, &vb, 16);                                                       \
    r = (expr);                                                                \
    memcpy(&va, &r, 16);                                                       \
    return va;                                                                 \
  }
#define V_FCMPS(S, VT, IT)                                                     \
  V_FCMP(S##_eq, VT, IT, a == b) V_FCMP(S##_ne, VT, IT, a != b)                \
  V_FCMP(S##_lt, VT, IT, a < b) V_FCMP(S##_gt, VT, IT, a > b)                  \
  V_FCMP(S##_le, VT, IT, a <= b) V_FCMP(S##_ge, VT, IT, a >= b)
V_FCMPS(f32x4, vec_f32, vec_i32)
V_FCMPS(f64x2, vec_f64, vec_i64)
#else
V_LANE2(f32x4_add, 4, u32, uint32_t, u32, bits_f32(f32_of(a) + f32_of(b)))
V_LANE2(f32x4_sub, 4, u32, uint32_t, u32, bits_f32(f32_of(a) - f32_of(b)))
V_LANE2(f32x4_mul, 4, u32, uint32_t, u32, bits_f32(f32_of(a) * f32_of(b)))
V_LANE2(f32x4_div, 4, u32, uint32_t, u32, bits_f32(f32_of(a) / f32_of(b)))
V_LANE2(f64x2_add, 2, u64, uint64_t, u64, bits_f64(f64_of(a) + f64_of(b)))
V_LANE2(f64x2_sub, 2, u64, uint64_t, u64, bits_f64(f64_of(a) - f64_of(b)))
V_LANE2(f64x2_mul, 2, u64, uint64_t, u64, bits_f64(f64_of(a) * f64_of(b)))
V_LANE2(f64x2_div, 2, u64, uint64_t, u64, bits_f64(f64_of(a) / f64_of(b)))
#define V_FCMPS(S, N, F, T, of)                                                \
  V_CMP(S##_eq, N, F, T, of(a) == of(b))                                       \
  V_CMP(S##_ne, N, F, T, of(a) != of(b))                                       \
  V_CMP(S##_lt, N, F, T, of(a) < of(b))                                        \
  V_CMP(S##_gt, N, F, T, of(a) > of(b))                                        \
  V_CMP(S##_le, N, F, T, of(a) <= of(b))                                       \
  V_CMP(S##_ge, N, F, T, of(a) >= of(b))
V_FCMPS(f32x4, 4, u32, uint32_t, f32_of)
V_FCMPS(f64x2, 2, u64, uint64_t, f64_of)
#endif
#undef V_FCMPS

V_LANE1(f32x4_abs, 4, u32, uint32_t, u32, a & ~F32_SIGN)
V_LANE1(f32x4_neg, 4, u32, uint32_t, u32, a ^ F32_SIGN)
V_LANE1(f64x2_abs, 2, u64, uint64_t, u64, a & ~F64_SIGN)
V_LANE1(f64x2_neg, 2, u64, uint64_t, u64, a ^ F64_SIGN)
V_LANE1(f32x4_sqrt, 4, u32, uint32_t, u32, bits_f32(sqrtf(f32_of(a))))
V_LANE1(f64x2_sqrt, 2, u64, uint64_t, u64, bits_f64(sqrt(f64_of(a))))
V_LANE1(f32x4_ceil, 4, u32, uint32_t, u32, bits_f32(f32_ceil(f32_of(a))))
V_LANE1(f32x4_floor, 4, u32, uint32_t, u32, bits_f32(f32_floor(f32_of(a))))
V_LANE1(f32x4_trunc, 4, u32, uint32_t, u32, bits_f32(f32_trunc(f32_of(a))))
V_LANE1(f32x4_nearest, 4, u32, uint32_t, u32, f32_nearest(a))
V_LANE1(f64x2_ceil, 2, u64, uint64_t, u64, bits_f64(f64_ceil(f64_of(a))))
V_LANE1(f64x2_floor, 2, u64, uint64_t, u64, bits_f64(f64_floor(f64_of(a))))
V_LANE1(f64x2_trunc, 2, u64, uint64_t, u64, bits_f64(f64_trunc(f64_of(a))))
V_LANE1(f64x2_nearest, 2, u64, uint64_t, u64, f64_nearest(a))
/* min/max as the scalar ones (NaN and signed zeros: numeric.h); pmin and
** pmax are C's b < a ? b : a, NaNs and zeros as they fall. */
V_LANE2(f32x4_min, 4, u32, uint32_t, u32, f32_min(a, b))
V_LANE2(f32x4_max, 4, u32, uint32_t, u32, f32_max(a, b))
V_LANE2(f64x2_min, 2, u64, uint64_t, u64, f64_min(a, b))
V_LANE2(f64x2_max, 2, u64, uint64_t, u64, f64_max(a, b))
V_LANE2(f32x4_pmin, 4, u32, uint32_t, u32, f32_of(b) < f32_of(a) ? b : a)
V_LANE2(f32x4_pmax, 4, u32, uint32_t, u32, f32_of(a) < f32_of(b) ? b : a)
V_LANE2(f64x2_pmin, 2, u64, uint64_t, u64, f64_of(b) < f64_of(a) ? b : a)
V_LANE2(f64x2_pmax, 2, u64, uint64_t, u64, f64_of(a) < f64_of(b) ? b : a)

/* ---- conversions ---- */

V_LANE1(i32x4_trunc_sat_f32x4_s, 4, u32, uint32_t, i32, sat_f32_i32(a))
V_LANE1(i32x4_trunc_sat_f32x4_u, 4, u32, uint32_t, u32, sat_f32_u32(a))
V_LANE1(f32x4_convert_i32x4_s, 4, i32, int32_t, u32, bits_f32((float)a))
V_LANE1(f32x4_convert_i32x4_u, 4, u32, uint32_t, u32, bits_f32((float)a))

/* The two-lane forms: results in lanes 0 and 1, the others zero. */
static inline v128 i32x4_trunc_sat_f64x2_s_zero(v128 a) {
  v128 r = {{0}};
  r.i32[0] = sat_f64_i32(a.u64[0]);
  r.i32[1] = sat_f64_i32(a.u64[1]);
  return r;
}
static inline v128 i32x4_trunc_sat_f64x2_u_zero(v128 a) {
  v128 r = {{0}};
  r.u32[0] = sat_f64_u32(a.u64[0]);
  r.u32[1] = sat_f64_u32(a.u64[1]);
  return r;
}
static inline v128 f32x4_demote_f64x2_zero(v128 a) {
  v128 r = {{0}};
  r.u32[0] = bits_f32((float)f64_of(a.u64[0]));
  r.u32[1] = bits_f32((float)f64_of(a.u64[1]));
  return r;
}
/* Lanes 0 and 1 widened to f64. */
V_LANE1(f64x2_promote_low_f32x4, 2, u32, uint32_t, u64, bits_f64((double)f32_of(a)))
V_LANE1(f64x2_convert_low_i32x4_s, 2, i32, int32_t, u64, bits_f64((double)a))
V_LANE1(f64x2_convert_low_i32x4_u, 2, u32, uint32_t, u64, bits_f64((double)a))

/* ---- splats, lanes, shuffles ---- */

static inline v128 i8x16_splat(uint64_t x) {
  v128 r;
  memset(r.u8, (uint8_t)x, 16);
  return r;
}
static inline v128 i16x8_splat(uint64_t x) {
  v128 r;
  for (int i = 0; i < 8; i++)
    r.u16[i] = (uint16_t)x;
  return r;
}
static inline v128 i32x4_splat(uint64_t x) {
  v128 r;
  for (int i = 0; i < 4; i++)
    r.u32[i] = (uint32_t)x;
  return r;
}
static inline v128 i64x2_splat(uint64_t x) {
  v128 r;
  r.u64[0] = r.u64[1] = x;
  return r;
}

/* Lane l of 'bytes' bytes, zero-extended (the slot form of an extract). */
static inline uint64_t v_lane(v128 a, uint32_t bytes, uint32_t l) {
  uint64_t x = 0;
  memcpy(&x, a.u8 + l * bytes, bytes);
  return x;
}
static inline v128 v_replace(v128 a, uint32_t bytes, uint32_t l, uint64_t x) {
  memcpy(a.u8 + l * bytes, &x, bytes);
  return a;
}

/* Byte i of the result is byte p[i] of a:b (p[i] < 32, validated). */
static inline v128 i8x16_shuffle(v128 a, v128 b, const uint8_t p[16]) {
  v128 r;
  for (int i = 0; i < 16; i++)
    r.u8[i] = p[i] < 16 ? a.u8[p[i]] : b.u8[p[i] - 16];
  return r;
}
/* Out-of-range indices give 0. */
static inline v128 i8x16_swizzle(v128 a, v128 b) {
  v128 r;
  for (int i = 0; i < 16; i++)
    r.u8[i] = b.u8[i] < 16 ? a.u8[b.u8[i]] : 0;
  return r;
}

/* ---- loads that widen or splat ---- */

/* 8 bytes as lanes of field F (type T), widened into field R. */
#define V_LOAD_EXT(name, N, T, R)                                              \
  static inline v128 name(const uint8_t *p) {                                  \
    T x[N];                                                                    \
    v128 r;                                                                    \
    memcpy(x, p, 8);                                                           \
    for (int i = 0; i < N; i++)                                                \
      r.R[i] = x[i];                                                           \
    return r;                                                                  \
  }
V_LOAD_EXT(v_load8x8_s, 8, int8_t, i16)
V_LOAD_EXT(v_load8x8_u, 8, uint8_t, u16)
V_LOAD_EXT(v_load16x4_s, 4, int16_t, i32)
V_LOAD_EXT(v_load16x4_u, 4, uint16_t, u32)
V_LOAD_EXT(v_load32x2_s, 2, int32_t, i64)
V_LOAD_EXT(v_load32x2_u, 2, uint32_t, u64)
#undef V_LOAD_EXT

static inline v128 v_load_zero(const uint8_t *p, uint32_t bytes) {
  v128 r = {{0}};
  memcpy(r.u8, p, bytes);
  return r;
}
static inline v128 v_load_splat(const uint8_t *p, uint32_t bytes) {
  v128 r;
  for (uint32_t i = 0; i < 16; i += bytes)
    memcpy(r.u8 + i, p, bytes);
  return r;
}

#endif
