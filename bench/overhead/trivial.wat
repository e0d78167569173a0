;; trivial.wat: the cheapest WASI command there is: _start returns at once.
(module
  (memory (export "memory") 1)
  (func (export "_start")))
