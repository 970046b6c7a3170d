;; noalloc: has the marker but not wasmhose_v1_alloc.
(module
  (memory (export "memory") 2)
  (func (export "wasmhose_abi_v1"))
  (func (export "wasmhose_v1_transform") (param i32 i32) (result i64) (i64.const 0)))
