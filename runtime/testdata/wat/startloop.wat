;; startloop: the module's start section loops forever. wazero runs a start
;; function inside instantiation; the runtime exports it instead and runs it
;; under the batch deadline, so loading fails with a timeout.
(module
  (memory (export "memory") 2)
  (func $start (loop $l (br $l)))
  (start $start)
  (func (export "wasmhose_abi_v1"))
  (func (export "wasmhose_v1_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "wasmhose_v1_transform") (param i32 i32) (result i64) (i64.const 0)))
