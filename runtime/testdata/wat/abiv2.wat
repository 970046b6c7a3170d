;; abiv2: a plugin for a future ABI major version.
(module
  (memory (export "memory") 1)
  (func (export "wasmhose_abi_v2")))
