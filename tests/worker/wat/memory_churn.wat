;; Grows memory one page at a time up to $n pages, touching each page:
;; the allocator's mmap/mremap/brk paths under the real filter.
(module
  (memory 1)
  (func (export "churn") (param $n i32) (result i32)
    (local $i i32)
    (loop $l
      (if (i32.eq (memory.grow (i32.const 1)) (i32.const -1))
        (then (return (memory.size))))
      (i32.store (i32.mul (i32.sub (memory.size) (i32.const 1)) (i32.const 65536))
                 (memory.size))
      (br_if $l (i32.lt_u (memory.size) (local.get $n))))
    (memory.size)))
