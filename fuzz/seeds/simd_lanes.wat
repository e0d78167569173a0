;; simd_lanes.wat: a seed for fuzz_exec. Its exports take v128, i32 and
;; f64 arguments, which fuzz_exec draws from the custom section "args":
;; make_corpus.sh appends it from the args lines below. Mutating those
;; bytes varies lanes, shift counts, addresses and NaN bits while the code
;; stays valid.
;; args: ff 00 80 7f 01 fe 10 20 c0 7f 00 00 00 00 f8 7f
;; args: 07 00 00 00 00 00 80 ff 00 00 00 80 01 02 03 04
;; args: 21 00 00 00 00 00 00 00 00 00 f0 3f ff ff ff ff
(module
  (memory 1)
  (func (export "shuffle_swizzle") (param v128 v128) (result v128)
    (i8x16.swizzle
      (i8x16.shuffle 0 17 2 19 4 21 6 23 8 25 10 27 12 29 14 31
        (local.get 0) (local.get 1))
      (local.get 1)))
  (func (export "narrow_extend") (param v128 v128) (result v128)
    (i16x8.extend_low_i8x16_s
      (i8x16.narrow_i16x8_s (local.get 0) (local.get 1))))
  (func (export "dot_extmul") (param v128 v128) (result v128)
    (i32x4.add
      (i32x4.dot_i16x8_s (local.get 0) (local.get 1))
      (i32x4.extmul_high_i16x8_u (local.get 0) (local.get 1))))
  (func (export "shifts") (param v128 i32) (result v128)
    (i64x2.shr_s
      (i32x4.shl (i8x16.shr_u (local.get 0) (local.get 1)) (local.get 1))
      (local.get 1)))
  (func (export "floats") (param v128 v128) (result v128)
    (f32x4.nearest
      (f32x4.pmin
        (f32x4.min (local.get 0) (local.get 1))
        (f32x4.max (local.get 1) (local.get 0)))))
  (func (export "conversions") (param v128) (result v128)
    (f64x2.promote_low_f32x4
      (f32x4.demote_f64x2_zero
        (f64x2.convert_low_i32x4_s
          (i32x4.trunc_sat_f32x4_u (local.get 0))))))
  (func (export "float_math") (param v128 v128) (result v128)
    (f64x2.sqrt (f64x2.div (local.get 0) (f64x2.abs (local.get 1)))))
  (func (export "tests") (param v128) (result i32)
    (i32.add
      (i32.add (v128.any_true (local.get 0)) (i8x16.all_true (local.get 0)))
      (i8x16.bitmask (local.get 0))))
  (func (export "bitselect_lanes") (param v128 v128 v128) (result i64)
    (i64x2.extract_lane 1
      (i64x2.replace_lane 0
        (v128.bitselect (local.get 0) (local.get 1) (local.get 2))
        (i64.extend_i32_s (i8x16.extract_lane_s 15 (local.get 2))))))
  (func (export "memory_lanes") (param i32 v128) (result v128)
    (v128.store offset=16 (local.get 0) (local.get 1))
    (v128.store32_lane 3 (local.get 0) (local.get 1))
    (v128.load16_lane 1 (local.get 0)
      (v128.load32_zero offset=4
        (i32.and (local.get 0) (i32.const 0xfff)))))
  (func (export "splat_load") (param i32 f64) (result v128)
    (f64x2.mul (v128.load64_splat (i32.and (local.get 0) (i32.const 0xfff)))
               (f64x2.splat (local.get 1))))
  (func (export "saturating") (param v128 v128) (result v128)
    (i16x8.q15mulr_sat_s
      (i8x16.add_sat_u (local.get 0) (local.get 1))
      (i16x8.sub_sat_s (local.get 1) (local.get 0)))))
