;; A process plugin that forgot its allocator.
(module
  (memory (export "memory") 1)
  (func (export "process") (param i32 i32) (result i64) (i64.const 0)))
