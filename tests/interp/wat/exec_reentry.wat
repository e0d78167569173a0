;; "outer" calls the host, which calls back into "inner" (or "outer").
(module
  (import "env" "back" (func $back (param i32) (result i32)))
  (func (export "outer") (param i32) (result i32)
    (i32.add (call $back (local.get 0)) (i32.const 1000)))
  (func (export "inner") (param i32) (result i32)
    (i32.mul (local.get 0) (i32.const 3))))
