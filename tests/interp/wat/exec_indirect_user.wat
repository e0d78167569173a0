;; Calls through an imported table with its own, structurally equal, type.
(module
  (type $other (func (result i64)))
  (type $same (func (param i32) (result i32)))
  (import "p" "tab" (table 2 funcref))
  (func (export "call_same") (param i32 i32) (result i32)
    (call_indirect (type $same) (local.get 1) (local.get 0)))
  (func (export "call_other") (param i32) (result i64)
    (call_indirect (type $other) (local.get 0))))
