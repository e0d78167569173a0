;; Exports a table holding functions of type (i32) -> i32 and () -> i32.
(module
  (type $unused (func (param f64)))
  (type $t (func (param i32) (result i32)))
  (table (export "tab") 2 funcref)
  (elem (i32.const 0) $double $seven)
  (func $double (type $t) (i32.mul (local.get 0) (i32.const 2)))
  (func $seven (result i32) (i32.const 7)))
