;; Loads and stores whose address is an i32.add (compiled to the two-slot
;; address forms): the sum wraps at 32 bits before the offset is added.
(module
  (memory 1)
  (data (i32.const 4) "\2a\00\00\00")
  (func (export "load") (param $a i32) (param $b i32) (result i32)
    (i32.load offset=4 (i32.add (local.get $a) (local.get $b))))
  (func (export "store_load") (param $a i32) (param $b i32) (result i32)
    (i32.store offset=8 (i32.add (local.get $a) (local.get $b)) (i32.const 7))
    (i32.load (i32.const 8)))
  (func (export "load_k") (param $a i32) (result i32)
    (i32.load offset=4 (i32.add (local.get $a) (i32.const 1))))
  (func (export "store_k") (param $a i32) (result i32)
    (i32.store offset=12 (i32.add (local.get $a) (i32.const 2)) (i32.const 9))
    (i32.load (i32.const 12))))
