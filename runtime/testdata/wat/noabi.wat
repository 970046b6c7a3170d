;; noabi: a module without the ABI marker export.
(module
  (memory (export "memory") 1)
  (func (export "transform")))
