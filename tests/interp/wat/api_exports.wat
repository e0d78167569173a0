;; Export lookup (names are byte strings, NUL included) and multi-value.
(module
  (func (export "add") (param i32 i32) (result i32)
    (i32.add (local.get 0) (local.get 1)))
  ;; "a", "a\00b" and "a\00" are three different names.
  (func (export "a") (result i32) (i32.const 1))
  (func (export "a\00b") (result i32) (i32.const 2))
  (func (export "swap") (param i32 i64) (result i64 i32)
    (local.get 1) (local.get 0))
  (func (export "four") (result i32 i64 f32 f64)
    (i32.const -1) (i64.const 0x100000000) (f32.const 1.5) (f64.const -2.25))
  ;; A block with two results, to check multi-value inside the body too.
  (func (export "divmod") (param i32 i32) (result i32 i32)
    (block (result i32 i32)
      (i32.div_u (local.get 0) (local.get 1))
      (i32.rem_u (local.get 0) (local.get 1))))
  (memory (export "mem") 1)
  (table (export "tab") 2 funcref)
  (global (export "g") (mut i32) (i32.const 42)))
