;; v128 through the API: arguments, results, a host function and a global.
(module
  (import "host" "mix" (func $mix (param i32 v128 f64 v128)
                                  (result v128 i32 v128)))
  (global (export "g") (mut v128) (v128.const i32x4 1 2 3 4))
  ;; every value passes through the host function and back
  (func (export "via_host") (param i32 v128 f64 v128) (result v128 i32 v128)
    (call $mix (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
  ;; two v128 results out of a block, one computed into a local: each
  ;; value takes two slots wherever it goes
  (func (export "swap_add") (param v128 v128) (result v128 v128)
    (local v128)
    (local.set 2 (i32x4.add (local.get 0) (local.get 1)))
    (block (result v128 v128) (local.get 1) (local.get 2)))
  (func (export "bump_g") (result v128)
    (global.set 0 (i32x4.add (global.get 0) (v128.const i32x4 10 10 10 10)))
    (global.get 0))
  ;; returns its params swapped: both sources sit in the result slots
  ;; fp[0..4), so they must go home before the copy down
  (func (export "swap") (param v128 v128) (result v128 v128)
    (local.get 1) (local.get 0))
  ;; an if with v128 parameters (kept in save slots for the else arm), a
  ;; br_table carrying a v128, a loop with a v128 parameter, and select
  ;; on a comparison
  (type $vv (func (param v128) (result v128)))
  (func (export "control") (param i32 v128) (result v128)
    (local.get 1)
    (if (type $vv) (i32.eqz (local.get 0))
      (then (i32x4.add (v128.const i32x4 1 1 1 1)))
      (else (i32x4.sub (v128.const i32x4 1 1 1 1))))
    (block $b (param v128) (result v128)
      (block $a (param v128) (result v128)
        (br_table $a $b (local.get 0)))
      (i32x4.mul (v128.const i32x4 2 2 2 2)))
    (loop $l (param v128) (result v128)
      (if (param v128) (result v128) (i32.lt_u (local.get 0) (i32.const 3))
        (then (local.set 0 (i32.add (local.get 0) (i32.const 1)))
              (i32x4.add (v128.const i32x4 0 0 0 100))
              (br $l))))
    (select (v128.const i32x4 7 7 7 7) (i32.lt_u (local.get 0) (i32.const 4))))
  (table funcref (elem $twice))
  (func $twice (param v128 i64 v128) (result i64 v128)
    (local.get 1) (i64x2.add (local.get 0) (local.get 2)))
  (func (export "indirect") (param v128 v128) (result i64 v128)
    (call_indirect (param v128 i64 v128) (result i64 v128)
      (local.get 0) (i64.const 5) (local.get 1) (i32.const 0))))
