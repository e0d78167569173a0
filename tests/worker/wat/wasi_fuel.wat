;; WASI calls whose work grows with the sizes the plugin passes: each pays
;; fuel for it (worker/wasi.c), so a small budget stops them.
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "random_get"
    (func $random_get (param i32 i32) (result i32)))
  (memory (export "memory") 2)
  ;; $n iovecs at address 0, all {ptr 0, len 0}: the page starts zeroed.
  (func (export "many_iovecs") (param $n i32) (result i32)
    (call $fd_write (i32.const 1) (i32.const 0) (local.get $n) (i32.const 65536)))
  ;; One iovec of $n bytes of page 0, described at 65540.
  (func (export "big_write") (param $n i32) (result i32)
    (i32.store (i32.const 65540) (i32.const 0))
    (i32.store (i32.const 65544) (local.get $n))
    (call $fd_write (i32.const 1) (i32.const 65540) (i32.const 1) (i32.const 65536)))
  ;; $n iovecs of one byte each ("x" at 65548), described from 0 on.
  (func (export "one_byte_iovecs") (param $n i32) (result i32)
    (local $i i32)
    (i32.store8 (i32.const 65548) (i32.const 120))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (i32.store (i32.shl (local.get $i) (i32.const 3)) (i32.const 65548))
        (i32.store (i32.add (i32.shl (local.get $i) (i32.const 3)) (i32.const 4))
                   (i32.const 1))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (call $fd_write (i32.const 1) (i32.const 0) (local.get $n) (i32.const 65536)))
  (func (export "random") (param $n i32) (result i32)
    (call $random_get (i32.const 0) (local.get $n))))
