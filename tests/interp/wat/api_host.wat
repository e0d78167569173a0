;; Calls host functions that trap and that ask to exit.
(module
  (import "host" "trap" (func $trap))
  (import "host" "exit" (func $exit (param i32)))
  (import "host" "peek" (func $peek (param i32) (result i32)))
  (memory (export "mem") 1)
  (data (i32.const 16) "\2a")
  (func (export "trap") (call $trap))
  (func (export "exit") (param i32) (call $exit (local.get 0)) (unreachable))
  ;; the host reads the caller's memory at the given address
  (func (export "peek") (param i32) (result i32) (call $peek (local.get 0))))
