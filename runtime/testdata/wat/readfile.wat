;; readfile: tries to read a file. transform calls WASI path_open on
;; descriptor 3 (the first pre-opened directory, had the host granted one)
;; for "etc/passwd", reads up to 64 bytes if that opened, and answers every
;; record with the outcome: "open=EE read=NN " (EE the errno, NN the bytes
;; read) then the bytes read. The host grants no directory, so the answer is
;; "open=08 read=00 " (EBADF) and nothing of the file.
(module
  (import "wasi_snapshot_preview1" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read"
    (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 2)
  (global $out (mut i32) (i32.const 0))
  (data (i32.const 100) "etc/passwd")
  (data (i32.const 2048) "open=00 read=00 ")

  (func (export "wasmhose_abi_v1"))

  ;; alloc(size) -> ptr: the input at 64 KiB, the result frame after it
  ;; (at most 8 times the input's size), so memory grows to 64 KiB + 9 size.
  (func (export "wasmhose_v1_alloc") (param $size i32) (result i32)
    (local $need i64) (local $pages i64)
    (local.set $need
      (i64.add (i64.const 66560)
        (i64.mul (i64.extend_i32_u (local.get $size)) (i64.const 9))))
    (local.set $pages (i64.shr_u (i64.add (local.get $need) (i64.const 65535)) (i64.const 16)))
    (if (i64.gt_u (local.get $pages) (i64.extend_i32_u (memory.size)))
      (then
        (if (i32.eq
              (memory.grow (i32.wrap_i64 (i64.sub (local.get $pages) (i64.extend_i32_u (memory.size)))))
              (i32.const -1))
          (then (return (i32.const 0))))))
    (global.set $out (i32.add (i32.const 65536) (local.get $size)))
    (i32.const 65536))

  ;; digits writes v mod 100 as two decimal digits at p.
  (func $digits (param $p i32) (param $v i32)
    (local.set $v (i32.rem_u (local.get $v) (i32.const 100)))
    (i32.store8 (local.get $p) (i32.add (i32.const 48) (i32.div_u (local.get $v) (i32.const 10))))
    (i32.store8 offset=1 (local.get $p) (i32.add (i32.const 48) (i32.rem_u (local.get $v) (i32.const 10)))))

  (func (export "wasmhose_v1_transform") (param $ptr i32) (param $len i32) (result i64)
    (local $n i32) (local $i i32) (local $o i32) (local $errno i32) (local $got i32) (local $alen i32)
    (local.set $n (i32.load (local.get $ptr)))
    ;; path_open(dirfd 3, dirflags 0, path, oflags 0, all rights, fdflags 0, &fd at 200)
    (local.set $errno
      (call $path_open (i32.const 3) (i32.const 0) (i32.const 100) (i32.const 10) (i32.const 0)
        (i64.const -1) (i64.const -1) (i32.const 0) (i32.const 200)))
    (if (i32.eqz (local.get $errno))
      (then
        ;; one iovec at 300: 64 bytes into the answer, after its 16-byte header
        (i32.store (i32.const 300) (i32.const 2064))
        (i32.store (i32.const 304) (i32.const 64))
        (if (i32.eqz (call $fd_read (i32.load (i32.const 200)) (i32.const 300) (i32.const 1) (i32.const 320)))
          (then (local.set $got (i32.load (i32.const 320)))))))
    (call $digits (i32.const 2053) (local.get $errno))
    (call $digits (i32.const 2061) (local.get $got))
    (local.set $alen (i32.add (i32.const 16) (local.get $got)))
    ;; BatchOk, n results, each Ok with the answer and no keys
    (i32.store (global.get $out) (i32.const 0))
    (i32.store offset=4 (global.get $out) (local.get $n))
    (local.set $o (i32.add (global.get $out) (i32.const 8)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (i32.store (local.get $o) (i32.const 0))
        (i32.store offset=4 (local.get $o) (local.get $alen))
        (memory.copy (i32.add (local.get $o) (i32.const 8)) (i32.const 2048) (local.get $alen))
        (i32.store (i32.add (i32.add (local.get $o) (i32.const 8)) (local.get $alen)) (i32.const 0))
        (local.set $o (i32.add (local.get $o) (i32.add (i32.const 12) (local.get $alen))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (i64.or
      (i64.shl (i64.extend_i32_u (global.get $out)) (i64.const 32))
      (i64.extend_i32_u (i32.sub (local.get $o) (global.get $out))))))
