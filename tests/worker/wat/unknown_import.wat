;; Imports from a module the worker does not provide.
(module
  (import "env" "launch_missiles" (func (param i32)))
  (func (export "_start")))
