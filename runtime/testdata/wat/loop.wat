;; loop: transform spins forever in a tight loop with no calls.
(module
  (memory (export "memory") 2)
  (func (export "wasmhose_abi_v1"))
  (func (export "wasmhose_v1_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "wasmhose_v1_transform") (param i32 i32) (result i64)
    (loop $l (br $l))
    (i64.const 0)))
