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
    (global.get 0)))
