;; allocfail: alloc always reports failure (0).
(module
  (memory (export "memory") 1)
  (func (export "wasmhose_abi_v1"))
  (func (export "wasmhose_v1_alloc") (param i32) (result i32) (i32.const 0))
  (func (export "wasmhose_v1_transform") (param i32 i32) (result i64) (i64.const 0)))
