;; A WASI reactor: _initialize sets what its exports read, as C
;; constructors do.
(module
  (global $ready (mut i32) (i32.const 0))
  (func (export "_initialize") (global.set $ready (i32.const 42)))
  (func (export "ready") (result i32) (global.get $ready)))
