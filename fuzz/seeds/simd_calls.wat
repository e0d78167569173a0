;; simd_calls.wat: a seed for fuzz_exec: v128 through an imported
;; function (fuzz_exec's dummy returns zeros), an imported and a mutable
;; global, locals, blocks, a loop and call_indirect.
;; args: 01 00 00 00 02 00 00 00 03 00 00 00 04 00 00 00 05 00 00 00
(module
  (import "env" "get" (func $get (param v128 i32) (result v128)))
  (import "env" "base" (global $base v128))
  (global $acc (mut v128) (v128.const i32x4 0 0 0 0))
  (type $vv (func (param v128) (result v128)))
  (table 2 funcref)
  (elem (i32.const 0) $twice $negate)
  (func $twice (type $vv) (i32x4.add (local.get 0) (local.get 0)))
  (func $negate (type $vv) (f32x4.neg (local.get 0)))
  (func (export "through_host") (param v128 i32) (result v128)
    (i32x4.add (call $get (local.get 0) (local.get 1)) (global.get $base)))
  (func (export "indirect") (param v128 i32) (result v128)
    (call_indirect (type $vv) (local.get 0)
      (i32.and (local.get 1) (i32.const 1))))
  (func (export "accumulate") (param v128 i32) (result v128)
    (local $i i32)
    (loop $more
      (global.set $acc (i16x8.add_sat_s (global.get $acc) (local.get 0)))
      (br_if $more
        (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1)))
                  (i32.and (local.get 1) (i32.const 255)))))
    (global.get $acc))
  (func (export "blocks") (param v128 v128) (result v128 v128)
    (block (result v128 v128)
      (local.get 1) (local.get 0)
      (br_if 0 (v128.any_true (local.get 0)))
      (drop) (drop)
      (local.get 0) (local.get 1))))
