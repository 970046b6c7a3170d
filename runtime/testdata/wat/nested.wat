;; nested: transform loops forever, each iteration calling a function whose
;; own loop runs 50 times, fewer than the injected counter's interval, so
;; only the checks at function entry and the outer loop's count stop it.
(module
  (memory (export "memory") 2)
  (func (export "wasmhose_abi_v1"))
  (func (export "wasmhose_v1_alloc") (param i32) (result i32) (i32.const 1024))
  (func $inner (param $n i32) (result i32)
    (local $i i32)
    (loop $l
      (local.set $n (i32.add (local.get $n) (i32.const 3)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 50))))
    (local.get $n))
  (func (export "wasmhose_v1_transform") (param i32 i32) (result i64)
    (local $acc i32)
    (loop $outer
      (local.set $acc (call $inner (local.get $acc)))
      (br $outer))
    (i64.const 0)))
