;; An import whose name has a two-byte character across byte 64, where
;; messages cut guest names, and a NUL with more after it.
(module
  (import "e\00v" "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\c3\a9z"
    (func))
  (func (export "_start")))
