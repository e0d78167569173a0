;; Reference types: table.get/set/grow/size on an externref table, ref.func,
;; an externref passed through unchanged, funcrefs handed to the embedder.
(module
  (table $ext (export "ext") 2 externref)
  (table $fn 1 funcref)
  (func $seven (result i32) (i32.const 7))
  (elem declare func $seven)
  (func (export "id") (param externref) (result externref) (local.get 0))
  (func (export "set") (param i32 externref)
    (table.set $ext (local.get 0) (local.get 1)))
  (func (export "get") (param i32) (result externref)
    (table.get $ext (local.get 0)))
  (func (export "grow") (param externref i32) (result i32)
    (table.grow $ext (local.get 0) (local.get 1)))
  (func (export "size") (result i32) (table.size $ext))
  (func (export "is_null") (param externref) (result i32)
    (ref.is_null (local.get 0)))
  (func (export "seven_ref") (result funcref) (ref.func $seven))
  ;; Store a funcref in $fn and call it through call_indirect.
  (func (export "call_via_table") (param funcref) (result i32)
    (table.set $fn (i32.const 0) (local.get 0))
    (call_indirect $fn (result i32) (i32.const 0))))
