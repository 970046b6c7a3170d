//! The Rust SDK for Wasmhose plugins (ABI version 1, `sdk/ABI.md`).
//!
//! A plugin is a type implementing [`Plugin`], made into a WebAssembly module
//! with [`plugin!`]. The SDK owns the ABI: the exports, decoding input frames
//! and encoding result frames. Record data borrows the input frame, and
//! outcomes are written straight into the result frame (no copies but the
//! output bytes themselves).
//!
//! ```ignore
//! use wasmhose::{Failure, Output, Plugin, Record, Status};
//!
//! struct Upper;
//!
//! impl Plugin for Upper {
//!     fn init(_config: &[u8]) -> Result<Self, String> {
//!         Ok(Upper)
//!     }
//!     fn record(&mut self, rec: &Record<'_>, out: &mut Output<'_>) -> Result<Status, Failure> {
//!         if rec.data.is_empty() {
//!             return Err("empty record".into()); // ProcessingFailed
//!         }
//!         out.write(&rec.data.to_ascii_uppercase());
//!         out.partition_key("first", &(rec.data[0] as char).to_string());
//!         Ok(Status::Ok)
//!     }
//! }
//!
//! wasmhose::plugin!(Upper);
//! ```
//!
//! Build (no Cargo needed; see README.md):
//!
//! ```text
//! rustc --edition 2021 --crate-type rlib --crate-name wasmhose --target wasm32-wasi -O sdk/rust/src/lib.rs
//! rustc --edition 2021 --crate-type cdylib --target wasm32-wasi -O -C strip=symbols \
//!       --extern wasmhose=libwasmhose.rlib src/lib.rs -o my-plugin.wasm
//! ```
//!
//! An instance runs one call at a time, so a plugin needs no locks: the SDK
//! keeps its state in `static mut`s that only the exports touch.

use std::borrow::Cow;
use std::fmt;

/// One input record. `data` borrows the input frame: it is valid only while
/// the record is being transformed.
#[derive(Clone, Copy, Debug)]
pub struct Record<'a> {
    /// The record's bytes (binary allowed, may be empty).
    pub data: &'a [u8],
    /// Approximate arrival time at the service, in milliseconds since the
    /// Unix epoch (Firehose's approximateArrivalTimestamp).
    pub arrival_ms: i64,
}

/// The outcome of a record that did not fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Deliver what was written to the [`Output`] (possibly nothing), with its
    /// partition keys.
    Ok,
    /// Do not deliver the record; it counts as a success. Anything written
    /// to the output is discarded.
    Dropped,
}

/// A record's failure (ProcessingFailed): the original record goes to the
/// error output with this text as its errorMessage. Anything written to the
/// output is discarded. Build one with `"text".into()` or `String::into`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure(pub Cow<'static, str>);

impl From<&'static str> for Failure {
    fn from(s: &'static str) -> Self {
        Failure(Cow::Borrowed(s))
    }
}

impl From<String> for Failure {
    fn from(s: String) -> Self {
        Failure(Cow::Owned(s))
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A plugin: its state is built once per instance from the configuration,
/// then transforms records.
pub trait Plugin: Sized {
    /// Builds the plugin from its configuration (JSON by convention,
    /// possibly empty), once per instance before the first batch. An error
    /// refuses the configuration: installing the plugin, or creating the
    /// stream using it, fails with that text.
    fn init(config: &[u8]) -> Result<Self, String>;

    /// Transforms one record: write the new data (and partition keys) to
    /// `out` and return `Ok(Status::Ok)`, or return `Ok(Status::Dropped)`, or
    /// `Err(failure)`.
    fn record(&mut self, record: &Record<'_>, out: &mut Output<'_>) -> Result<Status, Failure>;

    /// Transforms a batch. The default calls [`Plugin::record`] for each
    /// record; override it to see the whole batch, calling
    /// [`Batch::record`] exactly once per record, in order. An error fails
    /// the whole batch (the service retries it, then sends its records to
    /// the error output).
    fn batch(&mut self, records: &[Record<'_>], out: &mut Batch<'_>) -> Result<(), Failure> {
        for r in records {
            out.record(|o| self.record(r, o));
        }
        Ok(())
    }
}

/// The output of one record: its data, then its partition keys. It
/// implements `std::io::Write` and `std::fmt::Write`, so `write!` works.
pub struct Output<'a> {
    frame: &'a mut Vec<u8>,
    start: usize,
    keys: &'a mut Vec<u8>,
    nkeys: u32,
}

impl Output<'_> {
    /// Appends bytes to the record's data.
    #[inline]
    pub fn write(&mut self, b: &[u8]) {
        self.frame.extend_from_slice(b);
    }

    /// Appends one byte to the record's data.
    #[inline]
    pub fn push(&mut self, b: u8) {
        self.frame.push(b);
    }

    /// The data written so far.
    pub fn data(&self) -> &[u8] {
        &self.frame[self.start..]
    }

    /// Adds a partition key (Firehose's metadata.partitionKeys), kept only if
    /// the record is Ok. An empty name is ignored.
    pub fn partition_key(&mut self, name: &str, value: &str) {
        if name.is_empty() {
            return;
        }
        put_lp(self.keys, name.as_bytes());
        put_lp(self.keys, value.as_bytes());
        self.nkeys += 1;
    }
}

impl std::io::Write for Output<'_> {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.frame.extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl fmt::Write for Output<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.frame.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

/// The result frame of a batch, for [`Plugin::batch`].
pub struct Batch<'a> {
    frame: &'a mut Vec<u8>,
    keys: &'a mut Vec<u8>,
    count: u32,
}

impl Batch<'_> {
    /// Gives the next record its outcome: `f` writes to an [`Output`] and
    /// returns the record's status or failure.
    pub fn record<F>(&mut self, f: F)
    where
        F: FnOnce(&mut Output<'_>) -> Result<Status, Failure>,
    {
        let head = self.frame.len();
        self.frame.extend_from_slice(&[0; 8]); // status, len
        self.keys.clear();
        let mut out = Output { frame: &mut *self.frame, start: head + 8, keys: &mut *self.keys, nkeys: 0 };
        let outcome = f(&mut out);
        let nkeys = out.nkeys;
        match outcome {
            Ok(Status::Ok) => {
                let n = (self.frame.len() - head - 8) as u32;
                self.frame[head + 4..head + 8].copy_from_slice(&n.to_le_bytes());
                self.frame.extend_from_slice(&nkeys.to_le_bytes());
                self.frame.extend_from_slice(self.keys);
            }
            Ok(Status::Dropped) => {
                self.frame.truncate(head);
                self.frame.extend_from_slice(&[1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
            }
            Err(Failure(msg)) => {
                self.frame.truncate(head);
                put32(self.frame, 2);
                put_lp(self.frame, msg.as_bytes());
                put32(self.frame, 0);
            }
        }
        self.count += 1;
    }
}

/// Log levels (log/slog's).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    /// -4
    Debug = -4,
    /// 0
    Info = 0,
    /// 4
    Warn = 4,
    /// 8
    Error = 8,
}

/// Writes a line to the service's log, attributed to the plugin. The
/// service truncates lines beyond 4096 bytes and keeps 100 lines per call.
/// Outside WebAssembly (native tests), it writes to stderr.
pub fn log(level: Level, msg: &str) {
    if msg.is_empty() {
        return;
    }
    #[cfg(target_arch = "wasm32")]
    unsafe {
        host_log(level as i32, msg.as_ptr(), msg.len() as u32)
    }
    #[cfg(not(target_arch = "wasm32"))]
    eprintln!("{:?}: {}", level, msg);
}

#[cfg(target_arch = "wasm32")]
#[link(wasm_import_module = "wasmhose_v1")]
extern "C" {
    #[link_name = "log"]
    fn host_log(level: i32, ptr: *const u8, len: u32);
}

#[inline]
fn put32(v: &mut Vec<u8>, x: u32) {
    v.extend_from_slice(&x.to_le_bytes());
}

fn put_lp(v: &mut Vec<u8>, b: &[u8]) {
    put32(v, b.len() as u32);
    v.extend_from_slice(b);
}

fn get32(b: &[u8], off: usize) -> u32 {
    u32::from_le_bytes([b[off], b[off + 1], b[off + 2], b[off + 3]])
}

/// Decodes an input frame into records borrowing it.
fn decode<'a>(b: &'a [u8], recs: &mut Vec<Record<'a>>) -> Result<(), &'static str> {
    if b.len() < 4 {
        return Err("wasmhose sdk: input frame truncated");
    }
    let n = get32(b, 0) as usize;
    if n.saturating_mul(12) > b.len() - 4 {
        return Err("wasmhose sdk: input frame truncated");
    }
    recs.reserve(n);
    let mut off = 4;
    for _ in 0..n {
        if b.len() - off < 12 {
            return Err("wasmhose sdk: input frame truncated");
        }
        let at = get32(b, off) as u64 | (get32(b, off + 4) as u64) << 32;
        let l = get32(b, off + 8) as usize;
        off += 12;
        if b.len() - off < l {
            return Err("wasmhose sdk: input frame truncated");
        }
        recs.push(Record { data: &b[off..off + l], arrival_ms: at as i64 });
        off += l;
    }
    if off != b.len() {
        return Err("wasmhose sdk: trailing bytes in input frame");
    }
    Ok(())
}

/// Runs `p` on an input frame and returns the result frame: the ABI's
/// transform, usable natively to test a plugin without a Wasm runtime.
pub fn transform_frame<P: Plugin>(p: &mut P, input: &[u8], frame: &mut Vec<u8>) {
    let mut recs = Vec::new();
    frame.clear();
    if let Err(e) = decode(input, &mut recs) {
        put32(frame, 1);
        put_lp(frame, e.as_bytes());
        return;
    }
    put32(frame, 0);
    put32(frame, recs.len() as u32);
    let mut keys = Vec::new();
    let mut batch = Batch { frame: &mut *frame, keys: &mut keys, count: 0 };
    let r = p.batch(&recs, &mut batch);
    let count = batch.count;
    let msg: Cow<'static, str> = match r {
        Err(Failure(m)) if m.is_empty() => "batch failed".into(),
        Err(Failure(m)) => m,
        Ok(()) if count as usize != recs.len() => {
            format!("wasmhose: Plugin::batch gave {} outcomes for {} records", count, recs.len()).into()
        }
        Ok(()) => return,
    };
    frame.clear();
    put32(frame, 1);
    put_lp(frame, msg.as_bytes());
}

/// The exports' implementation, used by [`plugin!`]. Not a stable API.
#[doc(hidden)]
pub mod __rt {
    use super::*;

    /// The ABI's buffers: `input` is what alloc returns (the host writes
    /// frames and the configuration there), `out` the last result frame or
    /// init error text (valid until the next call).
    pub struct Buffers {
        input: Vec<u8>,
        out: Vec<u8>,
    }

    static mut BUFFERS: Buffers = Buffers { input: Vec::new(), out: Vec::new() };

    /// The buffers. An instance runs one call at a time and each export
    /// takes this reference once, so it is never aliased.
    unsafe fn buffers() -> &'static mut Buffers {
        &mut *core::ptr::addr_of_mut!(BUFFERS)
    }

    fn pack(b: &[u8]) -> u64 {
        if b.is_empty() {
            0
        } else {
            (b.as_ptr() as usize as u64) << 32 | b.len() as u64
        }
    }

    /// The region [ptr, ptr+len) of the alloc buffer, if it is one.
    fn region(input: &[u8], ptr: u32, len: u32) -> Option<&[u8]> {
        let base = input.as_ptr() as usize;
        let (ptr, len) = (ptr as usize, len as usize);
        if len == 0 {
            return Some(&[]);
        }
        if ptr < base || ptr - base > input.len() || input.len() - (ptr - base) < len {
            return None;
        }
        Some(&input[ptr - base..ptr - base + len])
    }

    fn fail(out: &mut Vec<u8>, msg: &[u8]) -> u64 {
        out.clear();
        put32(out, 1);
        put_lp(out, msg);
        pack(out)
    }

    /// wasmhose_v1_alloc.
    pub fn alloc(size: u32) -> u32 {
        let b = unsafe { buffers() };
        let size = size.max(64) as usize;
        if b.input.len() < size {
            b.input = Vec::new();
            if b.input.try_reserve_exact(size).is_err() {
                return 0;
            }
            b.input.resize(size, 0);
        }
        b.input.as_ptr() as usize as u32
    }

    /// wasmhose_v1_init.
    ///
    /// # Safety
    /// Only the exports call it, one at a time.
    pub unsafe fn init<P: Plugin>(state: *mut Option<P>, ptr: u32, len: u32) -> u64 {
        let b = buffers();
        let err = match region(&b.input, ptr, len) {
            None => "wasmhose sdk: config outside the alloc buffer".to_string(),
            Some(cfg) => match P::init(cfg) {
                Ok(p) => {
                    *state = Some(p);
                    return 0;
                }
                Err(e) if e.is_empty() => "init failed".to_string(),
                Err(e) => e,
            },
        };
        b.out.clear();
        b.out.extend_from_slice(err.as_bytes());
        pack(&b.out)
    }

    /// wasmhose_v1_transform.
    ///
    /// # Safety
    /// Only the exports call it, one at a time.
    pub unsafe fn transform<P: Plugin>(state: *mut Option<P>, ptr: u32, len: u32) -> u64 {
        let b = buffers();
        let input = match region(&b.input, ptr, len) {
            Some(i) => i,
            None => return fail(&mut b.out, b"wasmhose sdk: input frame outside the alloc buffer"),
        };
        let state = &mut *state;
        if state.is_none() {
            match P::init(b"") {
                Ok(p) => *state = Some(p),
                Err(e) => return fail(&mut b.out, e.as_bytes()),
            }
        }
        let p = state.as_mut().unwrap();
        transform_frame(p, input, &mut b.out);
        pack(&b.out)
    }
}

/// Makes the type `$t`, which implements [`Plugin`], the module's plugin: it
/// defines the ABI's exports (`wasmhose_abi_v1`, `wasmhose_v1_alloc`,
/// `wasmhose_v1_init`, `wasmhose_v1_transform`). Use it once, in a
/// `cdylib` crate.
#[macro_export]
macro_rules! plugin {
    ($t:ty) => {
        static mut __WASMHOSE_PLUGIN: ::core::option::Option<$t> = ::core::option::Option::None;

        #[no_mangle]
        pub extern "C" fn wasmhose_abi_v1() {}

        #[no_mangle]
        pub extern "C" fn wasmhose_v1_alloc(size: u32) -> u32 {
            $crate::__rt::alloc(size)
        }

        #[no_mangle]
        pub extern "C" fn wasmhose_v1_init(ptr: u32, len: u32) -> u64 {
            unsafe { $crate::__rt::init::<$t>(::core::ptr::addr_of_mut!(__WASMHOSE_PLUGIN), ptr, len) }
        }

        #[no_mangle]
        pub extern "C" fn wasmhose_v1_transform(ptr: u32, len: u32) -> u64 {
            unsafe { $crate::__rt::transform::<$t>(::core::ptr::addr_of_mut!(__WASMHOSE_PLUGIN), ptr, len) }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Classify;

    impl Plugin for Classify {
        fn init(_: &[u8]) -> Result<Self, String> {
            Ok(Classify)
        }
        fn record(&mut self, rec: &Record<'_>, out: &mut Output<'_>) -> Result<Status, Failure> {
            out.write(b"written then discarded?");
            match rec.data {
                b"" => Err("empty record".into()),
                [b'#', ..] => Ok(Status::Dropped),
                d => {
                    out.partition_key("k", "v");
                    out.frame.truncate(out.start);
                    use std::fmt::Write;
                    write!(out, "{}!", std::str::from_utf8(d).unwrap()).unwrap();
                    Ok(Status::Ok)
                }
            }
        }
    }

    struct Lossy;

    impl Plugin for Lossy {
        fn init(_: &[u8]) -> Result<Self, String> {
            Ok(Lossy)
        }
        fn record(&mut self, _: &Record<'_>, _: &mut Output<'_>) -> Result<Status, Failure> {
            Ok(Status::Ok)
        }
        fn batch(&mut self, _: &[Record<'_>], _: &mut Batch<'_>) -> Result<(), Failure> {
            Ok(())
        }
    }

    fn frame(recs: &[&[u8]]) -> Vec<u8> {
        let mut f = Vec::new();
        put32(&mut f, recs.len() as u32);
        for (i, r) in recs.iter().enumerate() {
            f.extend_from_slice(&(1000 + i as i64).to_le_bytes());
            put_lp(&mut f, r);
        }
        f
    }

    #[test]
    fn outcomes_are_encoded_as_the_abi_says() {
        let mut out = Vec::new();
        transform_frame(&mut Classify, &frame(&[b"hi", b"#x", b""]), &mut out);
        let mut want = Vec::new();
        for x in [0u32, 3] {
            put32(&mut want, x);
        }
        put32(&mut want, 0); // Ok "hi!", k=v
        put_lp(&mut want, b"hi!");
        put32(&mut want, 1);
        put_lp(&mut want, b"k");
        put_lp(&mut want, b"v");
        want.extend_from_slice(&[1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]); // Dropped
        put32(&mut want, 2); // ProcessingFailed
        put_lp(&mut want, b"empty record");
        put32(&mut want, 0);
        assert_eq!(out, want);
    }

    #[test]
    fn a_wrong_count_fails_the_batch() {
        let mut out = Vec::new();
        transform_frame(&mut Lossy, &frame(&[b"a"]), &mut out);
        let mut want = Vec::new();
        put32(&mut want, 1);
        put_lp(&mut want, b"wasmhose: Plugin::batch gave 0 outcomes for 1 records");
        assert_eq!(out, want);
    }

    #[test]
    fn a_malformed_frame_fails_the_batch() {
        for bad in [&b""[..], &[1, 0, 0, 0][..], &[0, 0, 0, 0, 9][..]] {
            let mut out = Vec::new();
            transform_frame(&mut Classify, bad, &mut out);
            assert_eq!(get32(&out, 0), 1, "{:?}", bad);
        }
    }

    #[test]
    fn records_borrow_the_frame() {
        let f = frame(&[b"abc"]);
        let mut recs = Vec::new();
        decode(&f, &mut recs).unwrap();
        assert_eq!(recs[0].data.as_ptr(), f[16..].as_ptr());
        assert_eq!(recs[0].arrival_ms, 1000);
    }
}
