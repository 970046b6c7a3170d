;; identity: a Wasmhose ABI v1 plugin written by hand in WebAssembly text, the
;; second-language guest that proves the ABI is not Go-shaped. It returns every
;; record unchanged with status Ok and no partition keys.
;;
;; Memory: the input frame is placed at 64 KiB, the result frame right after
;; it. A result frame is exactly 4 bytes longer than its input frame (header 8
;; vs 4 bytes; 12 bytes per record on both sides).
(module
  (import "wasmhose_v1" "log" (func $log (param i32 i32 i32)))
  (memory (export "memory") 2)
  (global $out (mut i32) (i32.const 0))
  (data (i32.const 16) "identity.wat ready")

  (func (export "wasmhose_abi_v1"))

  ;; alloc(size) -> ptr: grow memory to hold the input and the result frame.
  (func (export "wasmhose_v1_alloc") (param $size i32) (result i32)
    (local $need i64) (local $pages i64)
    ;; need = 65536 + size + size + 4 (bytes), computed in i64 to avoid overflow
    (local.set $need
      (i64.add (i64.const 65540)
        (i64.mul (i64.extend_i32_u (local.get $size)) (i64.const 2))))
    (local.set $pages (i64.shr_u (i64.add (local.get $need) (i64.const 65535)) (i64.const 16)))
    (if (i64.gt_u (local.get $pages) (i64.extend_i32_u (memory.size)))
      (then
        (if (i32.eq
              (memory.grow (i32.wrap_i64 (i64.sub (local.get $pages) (i64.extend_i32_u (memory.size)))))
              (i32.const -1))
          (then (return (i32.const 0))))))
    (global.set $out (i32.add (i32.const 65536) (local.get $size)))
    (i32.const 65536))

  (func (export "wasmhose_v1_init") (param i32 i32) (result i64)
    (call $log (i32.const 0) (i32.const 16) (i32.const 18))
    (i64.const 0))

  (func (export "wasmhose_v1_transform") (param $ptr i32) (param $len i32) (result i64)
    (local $n i32) (local $i i32) (local $p i32) (local $o i32) (local $l i32)
    (local.set $n (i32.load (local.get $ptr)))
    (i32.store (global.get $out) (i32.const 0))
    (i32.store offset=4 (global.get $out) (local.get $n))
    (local.set $p (i32.add (local.get $ptr) (i32.const 4)))
    (local.set $o (i32.add (global.get $out) (i32.const 8)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $l (i32.load offset=8 (local.get $p)))
        (i32.store (local.get $o) (i32.const 0))
        (i32.store offset=4 (local.get $o) (local.get $l))
        (memory.copy
          (i32.add (local.get $o) (i32.const 8))
          (i32.add (local.get $p) (i32.const 12))
          (local.get $l))
        (i32.store (i32.add (i32.add (local.get $o) (i32.const 8)) (local.get $l)) (i32.const 0))
        (local.set $p (i32.add (local.get $p) (i32.add (i32.const 12) (local.get $l))))
        (local.set $o (i32.add (local.get $o) (i32.add (i32.const 12) (local.get $l))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (i64.or
      (i64.shl (i64.extend_i32_u (global.get $out)) (i64.const 32))
      (i64.extend_i32_u (i32.sub (local.get $o) (global.get $out))))))
