;; recurse: transform never returns, through exponential recursion and no
;; loop at all, so only a check at function entry can stop it.
(module
  (memory (export "memory") 2)
  (func (export "wasmhose_abi_v1"))
  (func (export "wasmhose_v1_alloc") (param i32) (result i32) (i32.const 1024))
  (func $fib (param $n i32) (result i32)
    (if (result i32) (i32.lt_u (local.get $n) (i32.const 2))
      (then (local.get $n))
      (else (i32.add
        (call $fib (i32.sub (local.get $n) (i32.const 1)))
        (call $fib (i32.sub (local.get $n) (i32.const 2)))))))
  (func (export "wasmhose_v1_transform") (param i32 i32) (result i64)
    (i64.extend_i32_u (call $fib (i32.const 200)))))
