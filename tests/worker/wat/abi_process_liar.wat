;; A hostile process-ABI plugin; its input picks the lie:
;;   "runs-past"  output at 65530 of 100 bytes (memory is 65536)
;;   "far"        output at 70000 of 0 bytes
;;   "trap"       unreachable inside process
;;   "garbage"    (7 bytes) alloc answers 0xfffffff0
;; anything else: the input back, unchanged.
(module
  (memory (export "memory") 1)
  (data (i32.const 16) "runs-past")
  (data (i32.const 32) "far")
  (data (i32.const 48) "trap")
  (func $is (param $ptr i32) (param $len i32) (param $at i32) (param $n i32)
            (result i32)
    (local $i i32)
    (if (i32.ne (local.get $len) (local.get $n)) (then (return (i32.const 0))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (if (i32.ne (i32.load8_u (i32.add (local.get $ptr) (local.get $i)))
                    (i32.load8_u (i32.add (local.get $at) (local.get $i))))
          (then (return (i32.const 0))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (i32.const 1))
  (func (export "alloc") (param $len i32) (result i32)
    (if (result i32) (i32.eq (local.get $len) (i32.const 7))
      (then (i32.const 0xfffffff0))
      (else (i32.const 1024))))
  (func (export "process") (param $ptr i32) (param $len i32) (result i64)
    (if (call $is (local.get $ptr) (local.get $len) (i32.const 16) (i32.const 9))
      (then (return (i64.or (i64.shl (i64.const 65530) (i64.const 32))
                            (i64.const 100)))))
    (if (call $is (local.get $ptr) (local.get $len) (i32.const 32) (i32.const 3))
      (then (return (i64.shl (i64.const 70000) (i64.const 32)))))
    (if (call $is (local.get $ptr) (local.get $len) (i32.const 48) (i32.const 4))
      (then unreachable))
    (i64.or (i64.shl (i64.extend_i32_u (local.get $ptr)) (i64.const 32))
            (i64.extend_i32_u (local.get $len)))))
