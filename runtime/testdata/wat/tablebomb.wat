;; tablebomb: 155 bytes that declare four tables of 2^27 elements; wazero
;; would allocate 1 GiB for each, in every instance. Refused at load.
(module
  (table 134217728 funcref)
  (table 134217728 funcref)
  (table 134217728 funcref)
  (table 134217728 funcref)
  (memory (export "memory") 2)
  (func (export "wasmhose_abi_v1"))
  (func (export "wasmhose_v1_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "wasmhose_v1_transform") (param i32 i32) (result i64) (i64.const 0)))
