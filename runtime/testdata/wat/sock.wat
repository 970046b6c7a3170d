;; sock: imports WASI sock_accept, which the allow-list refuses.
(module
  (import "wasi_snapshot_preview1" "sock_accept" (func (param i32 i32 i32) (result i32)))
  (memory (export "memory") 2)
  (func (export "wasmhose_abi_v1"))
  (func (export "wasmhose_v1_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "wasmhose_v1_transform") (param i32 i32) (result i64) (i64.const 0)))
