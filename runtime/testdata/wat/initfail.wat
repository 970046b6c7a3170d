;; initfail: init reports an error text.
(module
  (memory (export "memory") 2)
  (func (export "wasmhose_abi_v1"))
  (func (export "wasmhose_v1_alloc") (param i32) (result i32) (i32.const 1024))
  (data (i32.const 512) "bad config")
  (func (export "wasmhose_v1_init") (param i32 i32) (result i64)
    (i64.or (i64.shl (i64.const 512) (i64.const 32)) (i64.const 10)))
  (func (export "wasmhose_v1_transform") (param i32 i32) (result i64) (i64.const 0)))
