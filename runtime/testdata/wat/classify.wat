;; classify: a second hand-written Wasmhose ABI v1 plugin, using what identity.wat
;; does not: the configuration, all three statuses, error text and partition
;; keys. The configuration (at most 256 bytes) is a prefix. Per record:
;;   - empty: ProcessingFailed, error text "empty record";
;;   - starting with '#': Dropped;
;;   - otherwise Ok, the prefix followed by the record, with one partition key,
;;     "first" = the record's first byte in two lower-case hex digits.
;;
;; Memory: 16.. log text, 64.. error texts, 128 "first", 160 hex digits,
;; 1024.. the prefix; the input frame at 64 KiB, the result frame right after.
(module
  (import "wasmhose_v1" "log" (func $log (param i32 i32 i32)))
  (memory (export "memory") 2)
  (global $out (mut i32) (i32.const 0))
  (global $plen (mut i32) (i32.const 0))
  (data (i32.const 16) "classify.wat: prefix set")
  (data (i32.const 64) "empty record")
  (data (i32.const 96) "config longer than 256 bytes")
  (data (i32.const 128) "first")
  (data (i32.const 160) "0123456789abcdef")

  (func (export "wasmhose_abi_v1"))

  ;; alloc(size) -> ptr. A result record is at most prefix + 15 bytes longer
  ;; than its input record (12-byte header, 27 bytes of header, key and
  ;; value on the way out), and there are at most size/12 records.
  (func (export "wasmhose_v1_alloc") (param $size i32) (result i32)
    (local $need i64) (local $pages i64)
    (local.set $need
      (i64.add
        (i64.add (i64.const 65552) (i64.mul (i64.extend_i32_u (local.get $size)) (i64.const 2)))
        (i64.mul
          (i64.div_u (i64.extend_i32_u (local.get $size)) (i64.const 12))
          (i64.add (i64.extend_i32_u (global.get $plen)) (i64.const 16)))))
    (local.set $pages (i64.shr_u (i64.add (local.get $need) (i64.const 65535)) (i64.const 16)))
    (if (i64.gt_u (local.get $pages) (i64.extend_i32_u (memory.size)))
      (then
        (if (i32.eq
              (memory.grow (i32.wrap_i64 (i64.sub (local.get $pages) (i64.extend_i32_u (memory.size)))))
              (i32.const -1))
          (then (return (i32.const 0))))))
    (global.set $out (i32.add (i32.const 65536) (local.get $size)))
    (i32.const 65536))

  (func (export "wasmhose_v1_init") (param $ptr i32) (param $len i32) (result i64)
    (if (i32.gt_u (local.get $len) (i32.const 256))
      (then (return (i64.or (i64.shl (i64.const 96) (i64.const 32)) (i64.const 28)))))
    (memory.copy (i32.const 1024) (local.get $ptr) (local.get $len))
    (global.set $plen (local.get $len))
    (call $log (i32.const 0) (i32.const 16) (i32.const 24))
    (i64.const 0))

  (func (export "wasmhose_v1_transform") (param $ptr i32) (param $len i32) (result i64)
    (local $n i32) (local $i i32) (local $p i32) (local $o i32) (local $l i32) (local $b i32)
    (local.set $n (i32.load (local.get $ptr)))
    (i32.store (global.get $out) (i32.const 0))
    (i32.store offset=4 (global.get $out) (local.get $n))
    (local.set $p (i32.add (local.get $ptr) (i32.const 4)))
    (local.set $o (i32.add (global.get $out) (i32.const 8)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $l (i32.load offset=8 (local.get $p)))
        (if (i32.eqz (local.get $l))
          (then
            ;; ProcessingFailed, "empty record", no keys
            (i32.store (local.get $o) (i32.const 2))
            (i32.store offset=4 (local.get $o) (i32.const 12))
            (memory.copy (i32.add (local.get $o) (i32.const 8)) (i32.const 64) (i32.const 12))
            (i32.store offset=20 (local.get $o) (i32.const 0))
            (local.set $o (i32.add (local.get $o) (i32.const 24))))
          (else
            (local.set $b (i32.load8_u offset=12 (local.get $p)))
            (if (i32.eq (local.get $b) (i32.const 35)) ;; '#'
              (then
                ;; Dropped, no payload, no keys
                (i32.store (local.get $o) (i32.const 1))
                (i32.store offset=4 (local.get $o) (i32.const 0))
                (i32.store offset=8 (local.get $o) (i32.const 0))
                (local.set $o (i32.add (local.get $o) (i32.const 12))))
              (else
                ;; Ok: prefix + record
                (i32.store (local.get $o) (i32.const 0))
                (i32.store offset=4 (local.get $o) (i32.add (global.get $plen) (local.get $l)))
                (memory.copy (i32.add (local.get $o) (i32.const 8)) (i32.const 1024) (global.get $plen))
                (memory.copy
                  (i32.add (i32.add (local.get $o) (i32.const 8)) (global.get $plen))
                  (i32.add (local.get $p) (i32.const 12))
                  (local.get $l))
                (local.set $o (i32.add (local.get $o) (i32.add (i32.const 8) (i32.add (global.get $plen) (local.get $l)))))
                ;; one key: "first" = two hex digits
                (i32.store (local.get $o) (i32.const 1))
                (i32.store offset=4 (local.get $o) (i32.const 5))
                (memory.copy (i32.add (local.get $o) (i32.const 8)) (i32.const 128) (i32.const 5))
                (i32.store offset=13 (local.get $o) (i32.const 2))
                (i32.store8 offset=17 (local.get $o) (i32.load8_u offset=160 (i32.shr_u (local.get $b) (i32.const 4))))
                (i32.store8 offset=18 (local.get $o) (i32.load8_u offset=160 (i32.and (local.get $b) (i32.const 15))))
                (local.set $o (i32.add (local.get $o) (i32.const 19)))))))
        (local.set $p (i32.add (local.get $p) (i32.add (i32.const 12) (local.get $l))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (i64.or
      (i64.shl (i64.extend_i32_u (global.get $out)) (i64.const 32))
      (i64.extend_i32_u (i32.sub (local.get $o) (global.get $out))))))
