// json-to-csv, the reference Wasmhose plugin in AssemblyScript: each record,
// a flat JSON object {"user": string, "amount": number, …}, becomes the CSV
// line user<delimiter>amount, with the user as its partition key; negative
// amounts are dropped and anything else fails with a reason. The same plugin
// exists in Go, C and Rust (examples/plugins/<lang>/); all give
// byte-identical results on examples/plugins/testdata/cases.jsonl.
import { Record, Result, handleInit, handleRecord } from "wasmhose-sdk/assembly";
export * from "wasmhose-sdk/assembly/exports";

// The error texts, identical in every language.
const ERR_NOT_OBJECT = "not a JSON object";
const ERR_NESTED = "nested values are not supported";
const ERR_DUPLICATE = "duplicate key";
const ERR_USER = "user must be a string";
const ERR_AMOUNT = "amount must be a number";
const ERR_CONFIG = "configuration must be a JSON object";
const ERR_DELIMITER = "delimiter must be one ASCII character other than a quote or a line break";

// The deepest nesting a configuration may have, counting its top object.
const MAX_CONFIG_DEPTH = 64;

const KIND_STRING = 0;
const KIND_NUMBER = 1;
const KIND_LITERAL = 2;
const KIND_BAD = -1;

let delimiter: u8 = 44; // ','

@inline function isSpace(c: i32): bool {
  return c == 32 || c == 9 || c == 10 || c == 13;
}

function hexVal(c: i32): i32 {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

// A growing byte buffer.
class Bytes {
  buf: Uint8Array = new Uint8Array(64);
  len: i32 = 0;

  push(c: i32): void {
    if (this.len == this.buf.length) {
      const nb = new Uint8Array(this.buf.length << 1);
      memory.copy(nb.dataStart, this.buf.dataStart, this.len);
      this.buf = nb;
    }
    unchecked((this.buf[this.len++] = <u8>c));
  }

  // appendRune appends r as UTF-8.
  pushRune(r: i32): void {
    if (r < 0x80) {
      this.push(r);
    } else if (r < 0x800) {
      this.push(0xc0 | (r >> 6));
      this.push(0x80 | (r & 0x3f));
    } else if (r < 0x10000) {
      this.push(0xe0 | (r >> 12));
      this.push(0x80 | ((r >> 6) & 0x3f));
      this.push(0x80 | (r & 0x3f));
    } else {
      this.push(0xf0 | (r >> 18));
      this.push(0x80 | ((r >> 12) & 0x3f));
      this.push(0x80 | ((r >> 6) & 0x3f));
      this.push(0x80 | (r & 0x3f));
    }
  }

  view(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }

  key(): string {
    return String.UTF8.decodeUnsafe(this.buf.dataStart, this.len);
  }
}

// A JSON reader over [start, end) of memory. Its methods return false on a
// syntax error.
class Parser {
  i: usize;
  end: usize;
  str: Bytes = new Bytes();

  constructor(start: usize, end: usize) {
    this.i = start;
    this.end = end;
  }

  @inline peek(): i32 {
    return this.i < this.end ? <i32>load<u8>(this.i) : -1;
  }

  skipSpace(): void {
    while (this.i < this.end && isSpace(load<u8>(this.i))) this.i++;
  }

  hex4(): i32 {
    if (this.end - this.i < 4) return -1;
    let r = 0;
    for (let k: usize = 0; k < 4; k++) {
      const h = hexVal(load<u8>(this.i + k));
      if (h < 0) return -1;
      r = (r << 4) | h;
    }
    this.i += 4;
    return r;
  }

  // utf8 validates the multi-byte sequence at i and returns its length, 0
  // if invalid (overlong, surrogate, above U+10FFFF, truncated).
  utf8(): i32 {
    const c = <i32>load<u8>(this.i);
    const left = <i32>(this.end - this.i);
    let n = 0;
    let lo = 0x80;
    let hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) n = 2;
    else if (c >= 0xe0 && c <= 0xef) {
      n = 3;
      if (c == 0xe0) lo = 0xa0;
      if (c == 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 4;
      if (c == 0xf0) lo = 0x90;
      if (c == 0xf4) hi = 0x8f;
    } else return 0;
    if (left < n) return 0;
    const c1 = <i32>load<u8>(this.i + 1);
    if (c1 < lo || c1 > hi) return 0;
    for (let k = 2; k < n; k++) {
      const ck = <i32>load<u8>(this.i + k);
      if (ck < 0x80 || ck > 0xbf) return 0;
    }
    return n;
  }

  // string reads a string whose opening quote is at i, decoding it into str.
  string(): bool {
    this.i++;
    const s = this.str;
    s.len = 0;
    while (this.i < this.end) {
      const c = <i32>load<u8>(this.i);
      if (c == 34) {
        this.i++;
        return true;
      }
      if (c < 0x20) return false;
      if (c == 92) {
        if (this.end - this.i < 2) return false;
        const e = <i32>load<u8>(this.i + 1);
        this.i += 2;
        if (e == 34 || e == 92 || e == 47) s.push(e);
        else if (e == 98) s.push(8);
        else if (e == 102) s.push(12);
        else if (e == 110) s.push(10);
        else if (e == 114) s.push(13);
        else if (e == 116) s.push(9);
        else if (e == 117) {
          let r = this.hex4();
          if (r < 0) return false;
          if (r >= 0xdc00 && r <= 0xdfff) return false;
          if (r >= 0xd800 && r <= 0xdbff) {
            if (this.end - this.i < 2 || load<u8>(this.i) != 92 || load<u8>(this.i + 1) != 117) return false;
            this.i += 2;
            const low = this.hex4();
            if (low < 0xdc00 || low > 0xdfff) return false;
            r = 0x10000 + ((r - 0xd800) << 10) + (low - 0xdc00);
          }
          s.pushRune(r);
        } else return false;
      } else if (c < 0x80) {
        s.push(c);
        this.i++;
      } else {
        const n = this.utf8();
        if (n == 0) return false;
        for (let k = 0; k < n; k++) s.push(load<u8>(this.i + k));
        this.i += n;
      }
    }
    return false;
  }

  digits(): i32 {
    const start = this.i;
    while (this.i < this.end) {
      const c = load<u8>(this.i);
      if (c < 48 || c > 57) break;
      this.i++;
    }
    return <i32>(this.i - start);
  }

  number(): bool {
    if (this.peek() == 45) this.i++;
    const c = this.peek();
    if (c == 48) this.i++;
    else if (c >= 49 && c <= 57) this.digits();
    else return false;
    if (this.peek() == 46) {
      this.i++;
      if (this.digits() == 0) return false;
    }
    const e = this.peek();
    if (e == 101 || e == 69) {
      this.i++;
      const s = this.peek();
      if (s == 43 || s == 45) this.i++;
      if (this.digits() == 0) return false;
    }
    return true;
  }

  word(w: string): bool {
    const n = <usize>w.length;
    if (this.end - this.i < n) return false;
    for (let k = 0; k < <i32>n; k++) {
      if (<i32>load<u8>(this.i + k) != w.charCodeAt(k)) return false;
    }
    this.i += n;
    return true;
  }

  // scalar reads a value that is not an object or array; KIND_BAD on error.
  scalar(): i32 {
    const c = this.peek();
    if (c == 34) return this.string() ? KIND_STRING : KIND_BAD;
    if (c == 45 || (c >= 48 && c <= 57)) return this.number() ? KIND_NUMBER : KIND_BAD;
    if (c == 116) return this.word("true") ? KIND_LITERAL : KIND_BAD;
    if (c == 102) return this.word("false") ? KIND_LITERAL : KIND_BAD;
    if (c == 110) return this.word("null") ? KIND_LITERAL : KIND_BAD;
    return KIND_BAD;
  }

  // value reads any value, nested at most MAX_CONFIG_DEPTH-depth more levels.
  value(depth: i32): bool {
    const c = this.peek();
    if (c != 123 && c != 91) return this.scalar() != KIND_BAD;
    if (depth > MAX_CONFIG_DEPTH) return false;
    const closer = c == 123 ? 125 : 93;
    this.i++;
    this.skipSpace();
    if (this.peek() == closer) {
      this.i++;
      return true;
    }
    while (true) {
      this.skipSpace();
      if (c == 123) {
        if (this.peek() != 34 || !this.string()) return false;
        this.skipSpace();
        if (this.peek() != 58) return false;
        this.i++;
        this.skipSpace();
      }
      if (!this.value(depth + 1)) return false;
      this.skipSpace();
      const d = this.peek();
      if (d == 44) this.i++;
      else if (d == closer) {
        this.i++;
        return true;
      } else return false;
    }
    return false;
  }
}

// trimmed returns the parser over data without surrounding ASCII whitespace.
function trimmed(data: Uint8Array): Parser {
  let s = data.dataStart;
  let e = s + <usize>data.byteLength;
  while (s < e && isSpace(load<u8>(s))) s++;
  while (e > s && isSpace(load<u8>(e - 1))) e--;
  return new Parser(s, e);
}

const user = new Bytes();

function convert(r: Record): Result {
  const p = trimmed(r.data);
  if (p.peek() != 123) return Result.failed(ERR_NOT_OBJECT);
  p.i++;
  const seen = new Set<string>();
  let userOK = false;
  let amountOK = false;
  let amountStart: usize = 0;
  let amountEnd: usize = 0;
  p.skipSpace();
  if (p.peek() == 125) {
    p.i++;
  } else {
    while (true) {
      p.skipSpace();
      if (p.peek() != 34 || !p.string()) return Result.failed(ERR_NOT_OBJECT);
      const key = p.str.key();
      if (seen.has(key)) return Result.failed(ERR_DUPLICATE);
      seen.add(key);
      p.skipSpace();
      if (p.peek() != 58) return Result.failed(ERR_NOT_OBJECT);
      p.i++;
      p.skipSpace();
      const c = p.peek();
      if (c == 123 || c == 91) return Result.failed(ERR_NESTED);
      const start = p.i;
      const k = p.scalar();
      if (k == KIND_BAD) return Result.failed(ERR_NOT_OBJECT);
      if (key == "user") {
        userOK = k == KIND_STRING;
        if (userOK) {
          user.len = 0;
          for (let j = 0; j < p.str.len; j++) user.push(unchecked(p.str.buf[j]));
        }
      } else if (key == "amount") {
        amountOK = k == KIND_NUMBER;
        amountStart = start;
        amountEnd = p.i;
      }
      p.skipSpace();
      const d = p.peek();
      if (d == 44) {
        p.i++;
        continue;
      }
      if (d != 125) return Result.failed(ERR_NOT_OBJECT);
      p.i++;
      break;
    }
  }
  if (p.i != p.end) return Result.failed(ERR_NOT_OBJECT);
  if (!userOK) return Result.failed(ERR_USER);
  if (!amountOK) return Result.failed(ERR_AMOUNT);
  if (load<u8>(amountStart) == 45) return Result.dropped();

  const out = new Bytes();
  let quote = false;
  for (let j = 0; j < user.len; j++) {
    const c = unchecked(user.buf[j]);
    if (c == delimiter || c == 34 || c == 10 || c == 13) {
      quote = true;
      break;
    }
  }
  if (quote) out.push(34);
  for (let j = 0; j < user.len; j++) {
    const c = unchecked(user.buf[j]);
    if (quote && c == 34) out.push(34);
    out.push(c);
  }
  if (quote) out.push(34);
  out.push(delimiter);
  for (let q = amountStart; q < amountEnd; q++) out.push(load<u8>(q));
  out.push(10);
  return Result.ok(out.view()).withPartitionKeyBytes("user", user.view());
}

function configure(cfg: Uint8Array): string | null {
  const p = trimmed(cfg);
  if (p.i == p.end) return null;
  const start = p.i;
  if (p.peek() != 123 || !p.value(1) || p.i != p.end) return ERR_CONFIG;
  // The object is valid: walk its top-level members for "delimiter".
  p.i = start + 1;
  let d = delimiter;
  while (true) {
    p.skipSpace();
    if (p.peek() == 125) break;
    p.string();
    const isDelim = p.str.key() == "delimiter";
    p.skipSpace();
    p.i++; // ':'
    p.skipSpace();
    const isString = p.peek() == 34;
    p.value(1);
    if (isDelim) {
      const s = p.str;
      if (!isString || s.len != 1) return ERR_DELIMITER;
      const c = unchecked(s.buf[0]);
      if (c >= 0x80 || c == 34 || c == 10 || c == 13) return ERR_DELIMITER;
      d = c;
    }
    p.skipSpace();
    if (p.peek() == 44) p.i++;
  }
  delimiter = d;
  return null;
}

handleInit(configure);
handleRecord(convert);
