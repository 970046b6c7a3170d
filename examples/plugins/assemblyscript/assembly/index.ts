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
  buf: ArrayBuffer;
  ptr: usize;
  cap: i32;
  len: i32 = 0;

  constructor() {
    this.buf = new ArrayBuffer(64);
    this.ptr = changetype<usize>(this.buf);
    this.cap = 64;
  }

  grow(n: i32): void {
    let c = this.cap << 1;
    while (c < this.len + n) c <<= 1;
    const nb = new ArrayBuffer(c);
    memory.copy(changetype<usize>(nb), this.ptr, this.len);
    this.buf = nb;
    this.ptr = changetype<usize>(nb);
    this.cap = c;
  }

  @inline push(c: i32): void {
    if (this.len == this.cap) this.grow(1);
    store<u8>(this.ptr + <usize>this.len, c);
    this.len++;
  }

  append(src: usize, n: i32): void {
    if (this.len + n > this.cap) this.grow(n);
    memory.copy(this.ptr + <usize>this.len, src, n);
    this.len += n;
  }

  @inline at(i: i32): i32 {
    return <i32>load<u8>(this.ptr + <usize>i);
  }

  // pushRune appends r as UTF-8.
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
    return Uint8Array.wrap(this.buf, 0, this.len);
  }
}

// eqASCII says whether b holds exactly the ASCII string s.
function eqASCII(b: Bytes, s: string): bool {
  if (b.len != s.length) return false;
  for (let i = 0; i < b.len; i++) {
    if (b.at(i) != s.charCodeAt(i)) return false;
  }
  return true;
}

// A set of byte strings (an object's decoded keys), reused from record to
// record: open addressing over FNV-1a hashes, the keys in one arena and
// their (offset, length, hash) entries in another, so that adding a key
// allocates nothing once the buffers have grown.
class KeySet {
  arena: Bytes = new Bytes();
  ents: Bytes = new Bytes(); // 12 bytes per key: offset, length, hash
  n: i32 = 0;
  slots: StaticArray<i32> = new StaticArray<i32>(16); // key index + 1; 0: empty

  reset(): void {
    if (this.slots.length > 64) this.slots = new StaticArray<i32>(16);
    else memory.fill(changetype<usize>(this.slots), 0, <usize>this.slots.length << 2);
    this.arena.len = 0;
    this.ents.len = 0;
    this.n = 0;
  }

  @inline ent(k: i32): usize {
    return this.ents.ptr + <usize>(k * 12);
  }

  // add adds the len bytes at ptr; false if they are already in the set.
  add(ptr: usize, len: i32): bool {
    if ((this.n + 1) * 2 > this.slots.length) this.grow();
    let h: u32 = 2166136261;
    for (let k = 0; k < len; k++) h = (h ^ <u32>load<u8>(ptr + k)) * 16777619;
    const mask = this.slots.length - 1;
    let i = <i32>(h & <u32>mask);
    while (true) {
      const s = unchecked(this.slots[i]);
      if (s == 0) break;
      const e = this.ent(s - 1);
      if (load<u32>(e, 8) == h && load<i32>(e, 4) == len &&
          memory.compare(this.arena.ptr + <usize>load<i32>(e), ptr, len) == 0) return false;
      i = (i + 1) & mask;
    }
    if (this.ents.len + 12 > this.ents.cap) this.ents.grow(12);
    const e = this.ent(this.n);
    store<i32>(e, this.arena.len);
    store<i32>(e, len, 4);
    store<u32>(e, h, 8);
    this.ents.len += 12;
    this.arena.append(ptr, len);
    this.n++;
    unchecked((this.slots[i] = this.n));
    return true;
  }

  grow(): void {
    const slots = new StaticArray<i32>(this.slots.length << 1);
    const mask = slots.length - 1;
    for (let k = 0; k < this.n; k++) {
      let i = <i32>(load<u32>(this.ent(k), 8) & <u32>mask);
      while (unchecked(slots[i]) != 0) i = (i + 1) & mask;
      unchecked((slots[i] = k + 1));
    }
    this.slots = slots;
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
        // A run of plain ASCII: copy it at once.
        let j = this.i + 1;
        while (j < this.end) {
          const d = <i32>load<u8>(j);
          if (d < 0x20 || d >= 0x80 || d == 34 || d == 92) break;
          j++;
        }
        s.append(this.i, <i32>(j - this.i));
        this.i = j;
      } else {
        const n = this.utf8();
        if (n == 0) return false;
        s.append(this.i, n);
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

// The parser, reused from record to record.
const parser = new Parser(0, 0);

// trimmed returns the parser set on data without surrounding ASCII
// whitespace.
function trimmed(data: Uint8Array): Parser {
  let s = data.dataStart;
  let e = s + <usize>data.byteLength;
  while (s < e && isSpace(load<u8>(s))) s++;
  while (e > s && isSpace(load<u8>(e - 1))) e--;
  parser.i = s;
  parser.end = e;
  return parser;
}

const user = new Bytes();
const seen = new KeySet();
const line = new Bytes(); // the CSV line: the SDK copies it when convert returns

function convert(r: Record): Result {
  const p = trimmed(r.data);
  if (p.peek() != 123) return Result.failed(ERR_NOT_OBJECT);
  p.i++;
  seen.reset();
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
      if (!seen.add(p.str.ptr, p.str.len)) return Result.failed(ERR_DUPLICATE);
      const isUser = eqASCII(p.str, "user");
      const isAmount = !isUser && eqASCII(p.str, "amount");
      p.skipSpace();
      if (p.peek() != 58) return Result.failed(ERR_NOT_OBJECT);
      p.i++;
      p.skipSpace();
      const c = p.peek();
      if (c == 123 || c == 91) return Result.failed(ERR_NESTED);
      const start = p.i;
      const k = p.scalar();
      if (k == KIND_BAD) return Result.failed(ERR_NOT_OBJECT);
      if (isUser) {
        userOK = k == KIND_STRING;
        if (userOK) {
          user.len = 0;
          user.append(p.str.ptr, p.str.len);
        }
      } else if (isAmount) {
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

  const out = line;
  out.len = 0;
  let quote = false;
  for (let j = 0; j < user.len; j++) {
    const c = user.at(j);
    if (c == delimiter || c == 34 || c == 10 || c == 13) {
      quote = true;
      break;
    }
  }
  if (quote) {
    out.push(34);
    for (let j = 0; j < user.len; j++) {
      const c = user.at(j);
      if (c == 34) out.push(34);
      out.push(c);
    }
    out.push(34);
  } else {
    out.append(user.ptr, user.len);
  }
  out.push(delimiter);
  out.append(amountStart, <i32>(amountEnd - amountStart));
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
    const isDelim = eqASCII(p.str, "delimiter");
    p.skipSpace();
    p.i++; // ':'
    p.skipSpace();
    const isString = p.peek() == 34;
    p.value(1);
    if (isDelim) {
      const s = p.str;
      if (!isString || s.len != 1) return ERR_DELIMITER;
      const c = s.at(0);
      if (c >= 0x80 || c == 34 || c == 10 || c == 13) return ERR_DELIMITER;
      d = <u8>c;
    }
    p.skipSpace();
    if (p.peek() == 44) p.i++;
  }
  delimiter = d;
  return null;
}

handleInit(configure);
handleRecord(convert);
