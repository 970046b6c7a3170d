;; asabort: what AssemblyScript builds without the SDK's asconfig.json: its
;; abort handler imported as env.abort (message, file, line, column).
(module
  (import "env" "abort" (func (param i32 i32 i32 i32)))
  (memory (export "memory") 2)
  (func (export "wasmhose_abi_v1"))
  (func (export "wasmhose_v1_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "wasmhose_v1_transform") (param i32 i32) (result i64) (i64.const 0)))
