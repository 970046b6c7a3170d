;; starttrap: the WASI reactor initialiser _initialize traps (unreachable)
;; when the plugin is loaded, before init.
(module
  (memory (export "memory") 2)
  (func (export "wasmhose_abi_v1"))
  (func (export "_initialize") unreachable)
  (func (export "wasmhose_v1_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "wasmhose_v1_transform") (param i32 i32) (result i64) (i64.const 0)))
