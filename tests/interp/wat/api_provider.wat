;; Exports that api_imports.wat imports from another instance.
(module
  (memory (export "mem") 1 2)
  (data (i32.const 0) "XYZ")
  (table (export "tab") 2 funcref)
  (elem (i32.const 1) func $ninety_nine)
  (global (export "g") i32 (i32.const 1234))
  (global (export "g64") i64 (i64.const 5))
  (func $ninety_nine (export "f") (result i32) (i32.const 99)))
