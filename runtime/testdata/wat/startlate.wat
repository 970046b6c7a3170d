;; startlate: the start section loops only once the wall clock has passed
;; the nanosecond time stored at offset 64 (the eight bytes "LATELATE",
;; which the test overwrites), so loading succeeds and a later instance
;; hangs in its start function. transform always traps, so every batch
;; recycles its instance and the next one runs the start function again.
(module
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock (param i32 i64 i32) (result i32)))
  (memory (export "memory") 2)
  (data (i32.const 64) "LATELATE")
  (func $start
    (drop (call $clock (i32.const 0) (i64.const 1) (i32.const 128)))
    (if (i64.gt_u (i64.load (i32.const 128)) (i64.load (i32.const 64)))
      (then (loop $l (br $l)))))
  (start $start)
  (func (export "wasmhose_abi_v1"))
  (func (export "wasmhose_v1_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "wasmhose_v1_transform") (param i32 i32) (result i64) unreachable))
