;; A WASI command: "hello\n" on stdout, "oops\n" on stderr, then returns.
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "hello\n")
  (data (i32.const 32) "oops\n")
  ;; iovecs at 0 (stdout) and 8 (stderr)
  (data (i32.const 0) "\10\00\00\00\06\00\00\00")
  (data (i32.const 8) "\20\00\00\00\05\00\00\00")
  (func (export "_start")
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 64)))
    (drop (call $fd_write (i32.const 2) (i32.const 8) (i32.const 1) (i32.const 64))))
  ;; fd_write to a bad fd and with a bad iovec: the errno comes back
  (func (export "badfd") (result i32)
    (call $fd_write (i32.const 7) (i32.const 0) (i32.const 1) (i32.const 64)))
  (func (export "badiov") (result i32)
    (call $fd_write (i32.const 1) (i32.const 65530) (i32.const 1) (i32.const 64)))
  ;; 100 bytes of stdout, 'n' times
  (func (export "flood") (param $n i32)
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 100))
    (loop $l
      (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 64)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $l (local.get $n)))))
