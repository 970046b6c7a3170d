;; command: a WASI command (exports _start), which is not a plugin.
(module
  (memory (export "memory") 2)
  (func (export "wasmhose_abi_v1"))
  (func (export "wasmhose_v1_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "_start"))
  (func (export "wasmhose_v1_transform") (param i32 i32) (result i64) (i64.const 0)))
