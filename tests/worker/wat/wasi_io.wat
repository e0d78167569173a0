;; A WASI command: "hello\n" on stdout, "oops\n" on stderr, then returns.
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read"
    (func $fd_read (param i32 i32 i32 i32) (result i32)))
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
      (br_if $l (local.get $n))))
  ;; stdin to stdout, read through two iovecs of 3 and 4 bytes at 300 and
  ;; 303 so each read is scattered; returns the bytes copied, or -errno
  (func (export "echo") (result i32)
    (local $n i32) (local $total i32) (local $e i32)
    (i32.store (i32.const 200) (i32.const 300))
    (i32.store (i32.const 204) (i32.const 3))
    (i32.store (i32.const 208) (i32.const 303))
    (i32.store (i32.const 212) (i32.const 4))
    (block $eof
      (loop $l
        (local.set $e (call $fd_read (i32.const 0) (i32.const 200) (i32.const 2)
                                     (i32.const 256)))
        (if (local.get $e) (then (return (i32.sub (i32.const 0) (local.get $e)))))
        (local.set $n (i32.load (i32.const 256)))
        (br_if $eof (i32.eqz (local.get $n)))
        (i32.store (i32.const 216) (i32.const 300))
        (i32.store (i32.const 220) (local.get $n))
        (drop (call $fd_write (i32.const 1) (i32.const 216) (i32.const 1) (i32.const 260)))
        (local.set $total (i32.add (local.get $total) (local.get $n)))
        (br $l)))
    (local.get $total))
  ;; fd_read into an iovec beyond memory: EFAULT, and nothing is consumed
  (func (export "read_badiov") (result i32)
    (i32.store (i32.const 200) (i32.const 65534))
    (i32.store (i32.const 204) (i32.const 8))
    (call $fd_read (i32.const 0) (i32.const 200) (i32.const 1) (i32.const 256))))
