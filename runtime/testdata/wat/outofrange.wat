;; outofrange: transform returns a result pointer beyond its memory.
(module
  (memory (export "memory") 2)
  (func (export "wasmhose_abi_v1"))
  (func (export "wasmhose_v1_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "wasmhose_v1_transform") (param i32 i32) (result i64)
    (i64.or (i64.shl (i64.const 0x7FFF0000) (i64.const 32)) (i64.const 64))))
