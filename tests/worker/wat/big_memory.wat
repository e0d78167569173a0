;; Needs 100 pages (6.4 MB) just to instantiate.
(module
  (memory (export "memory") 100)
  (func (export "_start")))
