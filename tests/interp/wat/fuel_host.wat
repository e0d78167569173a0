;; A host function that does n units of work, called from Wasm.
(module
  (import "env" "work" (func $work (param i32) (result i32)))
  (func (export "work") (param $n i32) (result i32)
    (call $work (local.get $n))))
