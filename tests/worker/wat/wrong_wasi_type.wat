;; A WASI function imported with the wrong type must not link.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func (param i32) (result i32)))
  (func (export "_start")))
