// The AssemblyScript SDK for Wasmhose transform plugins: the guest side of
// sdk/ABI.md (ABI v1), so that a plugin author writes only a function.
//
// A plugin's entry file registers its handler at top level and re-exports
// the ABI functions:
//
//   import { Record, Result, handleRecord } from "wasmhose-sdk/assembly";
//   export * from "wasmhose-sdk/assembly/exports";
//
//   handleRecord((r: Record): Result => Result.ok(r.data));
//
// and is built with `--use abort=wasmhose-sdk/assembly/index/abort` (the
// package's asconfig.json does it), which routes AssemblyScript's abort
// handler to the service's log instead of the forbidden env.abort import.

// --- the host's import -------------------------------------------------

// @ts-ignore: decorator
@external("wasmhose_v1", "log")
declare function hostLog(level: i32, ptr: usize, len: usize): void;

/** Log levels: the `log/slog` levels the service uses. */
export enum Level {
  Debug = -4,
  Info = 0,
  Warn = 4,
  Error = 8,
}

/** Writes msg to the service's log, attributed to the plugin. */
export function log(level: Level, msg: string): void {
  if (msg.length == 0) return;
  const b = String.UTF8.encode(msg);
  hostLog(level, changetype<usize>(b), b.byteLength);
}

/**
 * The abort handler (`--use abort=…/abort`): AssemblyScript calls it on a
 * failed assertion, an out-of-bounds access or an explicit abort. It logs
 * the message at error level and traps; the service fails the batch, retries
 * it on a fresh instance and finally sends its records to the error output.
 */
export function abort(message: string | null, fileName: string | null, line: u32, column: u32): void {
  let text = "abort: " + (message !== null ? message : "(no message)");
  if (fileName !== null) text += " at " + fileName + ":" + line.toString() + ":" + column.toString();
  log(Level.Error, text);
  unreachable();
}

// --- records and results -----------------------------------------------

/** The status of a result (Firehose's Lambda result). */
export enum Status {
  Ok = 0,
  Dropped = 1,
  ProcessingFailed = 2,
}

/** One input record. */
export class Record {
  /**
   * The record's bytes: a view of the SDK's input buffer (no copy), valid
   * until the handler returns. Copy it (`data.slice()`) to keep it.
   */
  data: Uint8Array;
  /** The approximate arrival time, in ms since the Unix epoch. */
  arrivalMillis: i64;

  constructor(data: Uint8Array, arrivalMillis: i64) {
    this.data = data;
    this.arrivalMillis = arrivalMillis;
  }
}

/** The outcome of one record. Build it with Result.ok, dropped or failed. */
export class Result {
  /** The outcome. */
  status: Status = Status.Ok;
  /** Ok: the new record data (may be a view of the input: it is copied). */
  data: Uint8Array | null = null;
  /** ProcessingFailed: the error text (errorMessage in the error output). */
  error: string = "";
  /** Partition key names, parallel to keyValues; null for none. */
  keyNames: Array<string> | null = null;
  /** Partition key values, UTF-8; null for none. */
  keyValues: Array<Uint8Array> | null = null;

  /** A successful result carrying data. */
  static ok(data: Uint8Array): Result {
    const r = new Result();
    r.data = data;
    return r;
  }

  /** A result that discards the record. */
  static dropped(): Result {
    const r = new Result();
    r.status = Status.Dropped;
    return r;
  }

  /** A result that sends the record to the error output with message. */
  static failed(message: string): Result {
    const r = new Result();
    r.status = Status.ProcessingFailed;
    r.error = message;
    return r;
  }

  /** Sets the partition key name to value (Ok results only). */
  withPartitionKey(name: string, value: string): Result {
    return this.withPartitionKeyBytes(name, Uint8Array.wrap(String.UTF8.encode(value)));
  }

  /**
   * Sets the partition key name to value, given as UTF-8 bytes. Like data,
   * value may be a view of a buffer the plugin reuses: it is copied when the
   * handler returns.
   */
  withPartitionKeyBytes(name: string, value: Uint8Array): Result {
    let names = this.keyNames;
    let values = this.keyValues;
    if (names === null || values === null) {
      names = new Array<string>(0);
      values = new Array<Uint8Array>(0);
      this.keyNames = names;
      this.keyValues = values;
    }
    for (let i = 0; i < names.length; i++) {
      if (names[i] == name) {
        values[i] = value;
        return this;
      }
    }
    names.push(name);
    values.push(value);
    return this;
  }
}

/** Transforms one record. */
export type RecordHandler = (r: Record) => Result;

/**
 * Receives the configuration (JSON by convention, possibly empty) once,
 * before the first batch: return null to accept it, or the error text that
 * makes the plugin fail to load.
 */
export type InitHandler = (config: Uint8Array) => string | null;

let recordHandler: RecordHandler | null = null;
let initHandler: InitHandler | null = null;

/** Registers the per-record transform. Call it at the top level. */
export function handleRecord(f: RecordHandler): void {
  recordHandler = f;
}

/** Registers the configuration handler. Without it, any configuration is accepted. */
export function handleInit(f: InitHandler): void {
  initHandler = f;
}

// --- the ABI -----------------------------------------------------------

// The buffer alloc returns: the host writes frames and the configuration here.
let inBuf: ArrayBuffer = new ArrayBuffer(0);

/** A growing byte buffer: the result frame or the init error text. */
class Writer {
  buf: ArrayBuffer = new ArrayBuffer(1024);
  len: i32 = 0;

  reset(): void {
    this.len = 0;
  }

  ensure(n: i32): void {
    if (this.len + n <= this.buf.byteLength) return;
    let c = this.buf.byteLength << 1;
    while (c < this.len + n) c <<= 1;
    const nb = new ArrayBuffer(c);
    memory.copy(changetype<usize>(nb), changetype<usize>(this.buf), this.len);
    this.buf = nb;
  }

  u32(v: u32): void {
    this.ensure(4);
    store<u32>(changetype<usize>(this.buf) + this.len, v);
    this.len += 4;
  }

  bytes(ptr: usize, n: i32): void {
    this.ensure(n);
    memory.copy(changetype<usize>(this.buf) + this.len, ptr, n);
    this.len += n;
  }

  lp(ptr: usize, n: i32): void {
    this.u32(n);
    this.bytes(ptr, n);
  }

  // The last key name written and its UTF-8: plugins use few names.
  lastName: string = "";
  lastNameUTF8: ArrayBuffer = new ArrayBuffer(0);

  name(s: string): void {
    if (s != this.lastName) {
      this.lastName = s;
      this.lastNameUTF8 = String.UTF8.encode(s);
    }
    this.lp(changetype<usize>(this.lastNameUTF8), this.lastNameUTF8.byteLength);
  }

  lpString(s: string): void {
    const b = String.UTF8.encode(s);
    this.lp(changetype<usize>(b), b.byteLength);
  }

  packed(): u64 {
    return (<u64>changetype<usize>(this.buf) << 32) | <u64>this.len;
  }
}

const out = new Writer();

export function abiV1(): void {}

export function alloc(size: u32): usize {
  if (<u32>inBuf.byteLength < size || inBuf.byteLength == 0) {
    inBuf = new ArrayBuffer(<i32>max<u32>(size, 64));
  }
  return changetype<usize>(inBuf);
}

/** The region [ptr, ptr+n) as a view of inBuf, or null if outside it. */
function view(ptr: usize, n: u32): Uint8Array | null {
  const base = changetype<usize>(inBuf);
  if (ptr < base || <u64>(ptr - base) + <u64>n > <u64>inBuf.byteLength) return null;
  return Uint8Array.wrap(inBuf, <i32>(ptr - base), <i32>n);
}

export function init(ptr: usize, n: u32): u64 {
  out.reset();
  const cfg = view(ptr, n);
  if (cfg === null) {
    const b = String.UTF8.encode("wasmhose sdk: config outside the alloc buffer");
    out.bytes(changetype<usize>(b), b.byteLength);
    return out.packed();
  }
  const h = initHandler;
  if (h === null) return 0;
  const err = h(cfg);
  if (err === null) return 0;
  const b = String.UTF8.encode(err.length > 0 ? err : "init failed");
  out.bytes(changetype<usize>(b), b.byteLength);
  return out.packed();
}

function batchFailed(msg: string): u64 {
  out.reset();
  out.u32(1);
  out.lpString(msg);
  return out.packed();
}

export function transform(ptr: usize, n: u32): u64 {
  const frame = view(ptr, n);
  if (frame === null) return batchFailed("wasmhose sdk: input frame outside the alloc buffer");
  const h = recordHandler;
  if (h === null) return batchFailed("wasmhose: no handler registered (call handleRecord at the top level)");
  const end = ptr + n;
  if (n < 4) return batchFailed("wasmhose sdk: input frame truncated");
  const count = load<u32>(ptr);
  let p = ptr + 4;
  out.reset();
  out.u32(0);
  out.u32(count);
  for (let i: u32 = 0; i < count; i++) {
    if (end - p < 12) return batchFailed("wasmhose sdk: input frame truncated");
    const arrival = load<i64>(p);
    const len = load<u32>(p + 8);
    p += 12;
    if (<u64>(end - p) < <u64>len) return batchFailed("wasmhose sdk: input frame truncated");
    const rec = new Record(Uint8Array.wrap(inBuf, <i32>(p - changetype<usize>(inBuf)), <i32>len), arrival);
    p += len;
    const r = h(rec);
    if (<u32>r.status > <u32>Status.ProcessingFailed) {
      return batchFailed("wasmhose: result " + i.toString() + " has unknown status " + (<u32>r.status).toString());
    }
    out.u32(r.status);
    if (r.status == Status.Ok) {
      const d = r.data;
      if (d !== null) out.lp(d.dataStart, d.byteLength);
      else out.u32(0);
      const names = r.keyNames;
      const values = r.keyValues;
      if (names === null || values === null) {
        out.u32(0);
      } else {
        out.u32(names.length);
        for (let k = 0; k < names.length; k++) {
          out.name(names[k]);
          const v = values[k];
          out.lp(v.dataStart, v.byteLength);
        }
      }
    } else {
      if (r.status == Status.ProcessingFailed) out.lpString(r.error);
      else out.u32(0);
      out.u32(0);
    }
  }
  if (p != end) return batchFailed("wasmhose sdk: trailing bytes in input frame");
  return out.packed();
}
