;; Not a process-ABI plugin: 'memory' is a global, alloc takes an i64,
;; process answers an i32; and it imports a function.
(module
  (import "env" "log" (func (param i32)))
  (global (export "memory") i32 (i32.const 0))
  (func (export "alloc") (param i64) (result i32) (i32.const 0))
  (func (export "process") (param i32 i32) (result i32) (i32.const 0)))
