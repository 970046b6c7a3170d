;; tablegrow: a table with no maximum that transform grows by 2^27
;; elements (1 GiB) per call. The runtime clamps the table's maximum at
;; load, so table.grow fails (-1) and transform traps on that.
(module
  (table $t 1 funcref)
  (memory (export "memory") 2)
  (func (export "wasmhose_abi_v1"))
  (func (export "wasmhose_v1_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "wasmhose_v1_transform") (param i32 i32) (result i64)
    (if (i32.eq (table.grow $t (ref.null func) (i32.const 134217728)) (i32.const -1))
      (then unreachable))
    (i64.const 0)))
