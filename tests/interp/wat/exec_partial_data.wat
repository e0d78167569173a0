;; The second active data segment is out of bounds: instantiation traps
;; after the first one has been written to the imported memory.
(module
  (import "env" "mem" (memory 1))
  (data (i32.const 0) "\2a\00\00\00")
  (data (i32.const 65534) "\01\02\03\04"))
