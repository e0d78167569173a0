;; A memory of five pages, for a store capped below that.
(module (memory (export "mem") 5))
