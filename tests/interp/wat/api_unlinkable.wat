;; Imports "env" "g" as an i64 global; the provider's "g" is an i32.
(module
  (import "env" "g" (global i64))
  (func (export "nothing")))
