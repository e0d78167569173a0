;; An observe-ABI plugin whose describe exits with code 3 (WASI proc_exit).
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (func (export "allocate") (param i32) (result i32) (i32.const 1024))
  (func (export "deallocate") (param i32 i32))
  (func (export "describe") (result i32) (call $exit (i32.const 3)) (i32.const 0))
  (func (export "schema") (result i32) (i32.const 0))
  (func (export "observe") (param i32 i32) (result i32) (i32.const 0)))
