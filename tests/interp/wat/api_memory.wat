;; memory.grow against the store's cap, and the bulk memory instructions.
(module
  (memory (export "mem") 1)
  (data $hello "hello")
  (func (export "grow") (param i32) (result i32)
    (memory.grow (local.get 0)))
  (func (export "size") (result i32) (memory.size))
  ;; fill [dst, dst+n) with val
  (func (export "fill") (param i32 i32 i32)
    (memory.fill (local.get 0) (local.get 1) (local.get 2)))
  (func (export "copy") (param i32 i32 i32)
    (memory.copy (local.get 0) (local.get 1) (local.get 2)))
  ;; copy n bytes of "hello" from offset src to dst
  (func (export "init") (param i32 i32 i32)
    (memory.init $hello (local.get 0) (local.get 1) (local.get 2)))
  (func (export "drop") (data.drop $hello))
  (func (export "load8") (param i32) (result i32)
    (i32.load8_u (local.get 0))))
