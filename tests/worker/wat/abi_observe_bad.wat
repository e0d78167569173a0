;; Not an observe-ABI plugin: no memory, 'allocate' is a global,
;; 'deallocate' a table, describe takes a parameter, schema answers an
;; f64, observe is missing.
(module
  (global (export "allocate") i32 (i32.const 0))
  (table (export "deallocate") 1 funcref)
  (func (export "describe") (param i32) (result i32) (i32.const 0))
  (func (export "schema") (result f64) (f64.const 0)))
