;; proc_exit, args, clocks and their resolution, random, and an unimplemented WASI call.
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get"
    (func $args_sizes (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get"
    (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "clock_time_get"
    (func $clock (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "clock_res_get"
    (func $clock_res (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "random_get"
    (func $random (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_prestat_get"
    (func $prestat (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start") (call $exit (i32.const 7)))
  ;; argc * 1000 + argv buffer size
  (func (export "argsizes") (result i32)
    (drop (call $args_sizes (i32.const 0) (i32.const 4)))
    (i32.add (i32.mul (i32.load (i32.const 0)) (i32.const 1000))
             (i32.load (i32.const 4))))
  ;; the first byte of argv[1]
  (func (export "arg1") (result i32)
    (drop (call $args_get (i32.const 0) (i32.const 100)))
    (i32.load8_u (i32.load (i32.const 4))))
  ;; errno of clock_time_get(id), and the time is non-zero
  (func (export "clock") (param i32) (result i32 i64)
    (call $clock (local.get 0) (i64.const 1) (i32.const 8))
    (i64.load (i32.const 8)))
  ;; errno of clock_res_get(id), and the resolution is non-zero
  (func (export "clock_res") (param i32) (result i32 i64)
    (call $clock_res (local.get 0) (i32.const 8))
    (i64.load (i32.const 8)))
  (func (export "random") (result i64)
    (drop (call $random (i32.const 16) (i32.const 8)))
    (i64.load (i32.const 16)))
  (func (export "enosys") (result i32)
    (call $path_open (i32.const 3) (i32.const 0) (i32.const 0) (i32.const 0)
                     (i32.const 0) (i64.const 0) (i64.const 0) (i32.const 0)
                     (i32.const 0)))
  (func (export "prestat") (result i32)
    (call $prestat (i32.const 3) (i32.const 0))))
