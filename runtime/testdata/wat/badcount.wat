;; badcount: transform returns a well-formed frame with zero results whatever
;; the number of records.
(module
  (memory (export "memory") 2)
  (func (export "wasmhose_abi_v1"))
  (func (export "wasmhose_v1_alloc") (param i32) (result i32) (i32.const 1024))
  (data (i32.const 2048) "\00\00\00\00\00\00\00\00")
  (func (export "wasmhose_v1_transform") (param i32 i32) (result i64)
    (i64.or (i64.shl (i64.const 2048) (i64.const 32)) (i64.const 8))))
