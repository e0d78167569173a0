;; Endless recursion with 200-local frames: the value stack runs out
;; before the call depth does.
(module
  (func $big (export "big") (param $n i32) (result i32)
    (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64) (local i64)
    (local.set 1 (i64.add (local.get 1) (i64.const 1)))
    (local.set 21 (i64.add (local.get 21) (i64.const 1)))
    (local.set 41 (i64.add (local.get 41) (i64.const 1)))
    (local.set 61 (i64.add (local.get 61) (i64.const 1)))
    (local.set 81 (i64.add (local.get 81) (i64.const 1)))
    (local.set 101 (i64.add (local.get 101) (i64.const 1)))
    (local.set 121 (i64.add (local.get 121) (i64.const 1)))
    (local.set 141 (i64.add (local.get 141) (i64.const 1)))
    (local.set 161 (i64.add (local.get 161) (i64.const 1)))
    (local.set 181 (i64.add (local.get 181) (i64.const 1)))
    (i32.add (call $big (i32.add (local.get $n) (i32.const 1)))
             (i32.wrap_i64 (local.get 1)))))
