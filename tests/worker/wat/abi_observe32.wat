;; A good observe-ABI plugin, u32 convention (pointers to NUL-terminated
;; JSON), shaped like a TinyGo reactor: _initialize must run before the
;; exports work, and it imports WASI (observe writes "observing\n" to
;; stdout). observe answers {"status":true,"config":<config> and a closing brace. deallocate
;; traps unless it frees the config buffer, exactly.
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 256) "{\"name\":\"file\",\"version\":\"1.0.0\"}\00")
  (data (i32.const 512) "{\"type\":\"object\"}\00")
  (data (i32.const 1024) "{\"status\":true,\"config\":")
  (data (i32.const 1100) "observing\n")
  ;; iovec for fd_write: 10 bytes at 1100
  (data (i32.const 1120) "\4c\04\00\00\0a\00\00\00")
  (global $heap (mut i32) (i32.const 4096))
  (global $last_ptr (mut i32) (i32.const -1))
  (global $last_len (mut i32) (i32.const -1))
  (func (export "allocate") (param $len i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $heap))
    (global.set $last_ptr (local.get $p))
    (global.set $last_len (local.get $len))
    (global.set $heap (i32.add (local.get $p) (i32.add (local.get $len) (i32.const 1))))
    (local.get $p))
  ;; The answer to observe at 8192: prefix, config, a closing brace and a
  ;; NUL; returns its length without the NUL.
  (func $answer (param $ptr i32) (param $len i32) (result i32)
    (local $n i32)
    (drop (call $fd_write (i32.const 1) (i32.const 1120) (i32.const 1) (i32.const 1136)))
    (memory.copy (i32.const 8192) (i32.const 1024) (i32.const 24))
    (memory.copy (i32.const 8216) (local.get $ptr) (local.get $len))
    (local.set $n (i32.add (i32.const 24) (local.get $len)))
    (i32.store8 (i32.add (i32.const 8192) (local.get $n)) (i32.const 125))
    (local.set $n (i32.add (local.get $n) (i32.const 1)))
    (i32.store8 (i32.add (i32.const 8192) (local.get $n)) (i32.const 0))
    (local.get $n))
  (global $ready (mut i32) (i32.const 0))
  (func (export "_initialize") (global.set $ready (i32.const 1)))
  (func (export "deallocate") (param $ptr i32) (param $len i32)
    (if (i32.or (i32.ne (local.get $ptr) (global.get $last_ptr))
                (i32.ne (local.get $len) (global.get $last_len)))
      (then unreachable)))
  (func (export "describe") (result i32)
    (if (i32.eqz (global.get $ready)) (then unreachable))
    (i32.const 256))
  (func (export "schema") (result i32) (i32.const 512))
  (func (export "observe") (param $ptr i32) (param $len i32) (result i32)
    (drop (call $answer (local.get $ptr) (local.get $len)))
    (i32.const 8192)))
