;; Imports of every kind: a host function, and a memory, table, global and
;; function of another instance (api_provider.wat).
(module
  (import "host" "add1" (func $add1 (param i32) (result i32)))
  (import "env" "f" (func $f (result i32)))
  (import "env" "mem" (memory 1))
  (import "env" "tab" (table 2 funcref))
  (import "env" "g" (global $g i32))
  (func (export "call_host") (param i32) (result i32)
    (call $add1 (local.get 0)))
  (func (export "call_f") (result i32) (call $f))
  (func (export "load8") (param i32) (result i32)
    (i32.load8_u (local.get 0)))
  (func (export "store8") (param i32 i32)
    (i32.store8 (local.get 0) (local.get 1)))
  (func (export "call_tab") (param i32) (result i32)
    (call_indirect (result i32) (local.get 0)))
  (func (export "get_g") (result i32) (global.get $g)))
