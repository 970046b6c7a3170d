//! json-to-csv: the Wasmhose reference plugin in Rust (see README.md).
//!
//! Each record is one flat JSON object with a string "user" and a numeric
//! "amount"; it becomes the CSV line user<delimiter>amount, with "user" as
//! its partition key. Negative amounts are dropped; anything else fails the
//! record with a message. The configuration {"delimiter":";"} changes the
//! delimiter.
//!
//! The JSON scanner below is the plugin's own (no crates): it reads a record
//! once, left to right, decodes strings into a scratch buffer only when they
//! hold escapes, and copies the amount's text as written.

use wasmhose::{Failure, Output, Plugin, Record, Status};

const NOT_OBJECT: &str = "not a JSON object";
const NESTED: &str = "nested values are not supported";
const DUPLICATE: &str = "duplicate key";
const USER: &str = "user must be a string";
const AMOUNT: &str = "amount must be a number";
const BAD_CONFIG: &str = "configuration must be a JSON object";
const BAD_DELIMITER: &str = "delimiter must be one ASCII character other than a quote or a line break";
const MAX_CONFIG_DEPTH: usize = 64;

/// A string or number: a range of the input, or of the scratch buffer.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Span {
    In(usize, usize),
    Scratch(usize, usize),
}

/// A syntax error.
struct Syntax;

struct Scanner<'a> {
    b: &'a [u8],
    i: usize,
    scratch: &'a mut Vec<u8>,
}

#[derive(PartialEq, Eq)]
enum Kind {
    Str,
    Num,
    Lit,
}

fn is_ws(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r')
}

/// The length of the valid UTF-8 sequence at the start of b, or 0.
fn utf8_len(b: &[u8]) -> usize {
    let (n, lo, hi) = match b[0] {
        0xC2..=0xDF => (2, 0x80, 0xBF),
        0xE0 => (3, 0xA0, 0xBF),
        0xED => (3, 0x80, 0x9F),
        0xE1..=0xEF => (3, 0x80, 0xBF),
        0xF0 => (4, 0x90, 0xBF),
        0xF1..=0xF3 => (4, 0x80, 0xBF),
        0xF4 => (4, 0x80, 0x8F),
        _ => return 0,
    };
    if b.len() < n || b[1] < lo || b[1] > hi || b[2..n].iter().any(|&c| !(0x80..=0xBF).contains(&c)) {
        return 0;
    }
    n
}

impl<'a> Scanner<'a> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn skip_ws(&mut self) {
        while self.i < self.b.len() && is_ws(self.b[self.i]) {
            self.i += 1;
        }
    }

    fn bytes(&self, s: Span) -> &[u8] {
        match s {
            Span::In(a, b) => &self.b[a..b],
            Span::Scratch(a, b) => &self.scratch[a..b],
        }
    }

    fn expect(&mut self, c: u8) -> Result<(), Syntax> {
        if self.peek() == Some(c) {
            self.i += 1;
            Ok(())
        } else {
            Err(Syntax)
        }
    }

    fn hex4(&mut self) -> Result<u32, Syntax> {
        let h = self.b.get(self.i..self.i + 4).ok_or(Syntax)?;
        let mut x = 0;
        for &c in h {
            x = x << 4
                | match c {
                    b'0'..=b'9' => c - b'0',
                    b'a'..=b'f' => c - b'a' + 10,
                    b'A'..=b'F' => c - b'A' + 10,
                    _ => return Err(Syntax),
                } as u32;
        }
        self.i += 4;
        Ok(x)
    }

    /// Reads a string, the opening quote already consumed.
    fn string(&mut self) -> Result<Span, Syntax> {
        let start = self.i;
        // Fast path: no escapes, the span stays in the input.
        while let Some(c) = self.peek() {
            match c {
                b'"' => {
                    self.i += 1;
                    return Ok(Span::In(start, self.i - 1));
                }
                b'\\' => break,
                0..=0x1F => return Err(Syntax),
                0x20..=0x7F => self.i += 1,
                _ => match utf8_len(&self.b[self.i..]) {
                    0 => return Err(Syntax),
                    n => self.i += n,
                },
            }
        }
        if self.i >= self.b.len() {
            return Err(Syntax);
        }
        // Escapes: decode into the scratch buffer.
        let d = self.scratch.len();
        self.scratch.extend_from_slice(&self.b[start..self.i]);
        while let Some(c) = self.peek() {
            match c {
                b'"' => {
                    self.i += 1;
                    return Ok(Span::Scratch(d, self.scratch.len()));
                }
                0..=0x1F => return Err(Syntax),
                b'\\' => {}
                0x20..=0x7F => {
                    self.scratch.push(c);
                    self.i += 1;
                    continue;
                }
                _ => {
                    let n = utf8_len(&self.b[self.i..]);
                    if n == 0 {
                        return Err(Syntax);
                    }
                    self.scratch.extend_from_slice(&self.b[self.i..self.i + n]);
                    self.i += n;
                    continue;
                }
            }
            let e = *self.b.get(self.i + 1).ok_or(Syntax)?;
            self.i += 2;
            let byte = match e {
                b'"' | b'\\' | b'/' => e,
                b'b' => 8,
                b'f' => 12,
                b'n' => b'\n',
                b'r' => b'\r',
                b't' => b'\t',
                b'u' => {
                    let mut cp = self.hex4()?;
                    if (0xDC00..=0xDFFF).contains(&cp) {
                        return Err(Syntax);
                    }
                    if (0xD800..=0xDBFF).contains(&cp) {
                        if self.b.get(self.i..self.i + 2) != Some(b"\\u") {
                            return Err(Syntax);
                        }
                        self.i += 2;
                        let lo = self.hex4()?;
                        if !(0xDC00..=0xDFFF).contains(&lo) {
                            return Err(Syntax);
                        }
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    }
                    let ch = char::from_u32(cp).ok_or(Syntax)?;
                    let mut buf = [0; 4];
                    self.scratch.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                    continue;
                }
                _ => return Err(Syntax),
            };
            self.scratch.push(byte);
        }
        Err(Syntax)
    }

    fn digits(&mut self) -> usize {
        let s = self.i;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.i += 1;
        }
        self.i - s
    }

    /// Reads an RFC 8259 number.
    fn number(&mut self) -> Result<Span, Syntax> {
        let start = self.i;
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        match self.peek() {
            Some(b'0') => self.i += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(Syntax),
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            if self.digits() == 0 {
                return Err(Syntax);
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.i += 1;
            }
            if self.digits() == 0 {
                return Err(Syntax);
            }
        }
        Ok(Span::In(start, self.i))
    }

    fn literal(&mut self, lit: &[u8]) -> Result<(), Syntax> {
        if self.b.get(self.i..self.i + lit.len()) != Some(lit) {
            return Err(Syntax);
        }
        self.i += lit.len();
        Ok(())
    }

    /// Reads a string, number, true, false or null.
    fn scalar(&mut self) -> Result<(Kind, Span), Syntax> {
        let none = Span::In(0, 0);
        match self.peek().ok_or(Syntax)? {
            b'"' => {
                self.i += 1;
                Ok((Kind::Str, self.string()?))
            }
            b't' => self.literal(b"true").map(|_| (Kind::Lit, none)),
            b'f' => self.literal(b"false").map(|_| (Kind::Lit, none)),
            b'n' => self.literal(b"null").map(|_| (Kind::Lit, none)),
            _ => Ok((Kind::Num, self.number()?)),
        }
    }

    /// Reads any value, objects and arrays nested up to MAX_CONFIG_DEPTH.
    fn value(&mut self, depth: usize) -> Result<(), Syntax> {
        match self.peek() {
            Some(open @ (b'{' | b'[')) => {
                if depth > MAX_CONFIG_DEPTH {
                    return Err(Syntax);
                }
                let close = if open == b'{' { b'}' } else { b']' };
                self.i += 1;
                self.skip_ws();
                if self.peek() == Some(close) {
                    self.i += 1;
                    return Ok(());
                }
                loop {
                    if close == b'}' {
                        self.expect(b'"')?;
                        self.string()?;
                        self.skip_ws();
                        self.expect(b':')?;
                        self.skip_ws();
                    }
                    self.value(depth + 1)?;
                    self.skip_ws();
                    match self.peek() {
                        Some(b',') => {
                            self.i += 1;
                            self.skip_ws();
                        }
                        Some(c) if c == close => {
                            self.i += 1;
                            return Ok(());
                        }
                        _ => return Err(Syntax),
                    }
                }
            }
            _ => self.scalar().map(|_| ()),
        }
    }
}

/// The keys seen in a record: an open-addressing set of spans, cleared per
/// record by a generation number.
#[derive(Default)]
struct KeySet {
    slots: Vec<(u32, u32, Span)>, // generation, hash, key
    used: usize,
    generation: u32,
}

fn hash(b: &[u8]) -> u32 {
    b.iter().fold(2166136261u32, |h, &c| (h ^ c as u32).wrapping_mul(16777619))
}

impl KeySet {
    fn reset(&mut self) {
        self.used = 0;
        self.generation = self.generation.wrapping_add(1);
        if self.generation == 0 {
            self.slots.iter_mut().for_each(|s| s.0 = 0);
            self.generation = 1;
        }
    }

    /// Adds k; false if it was there already.
    fn insert(&mut self, s: &Scanner, k: Span) -> bool {
        if (self.used + 1) * 2 > self.slots.len() {
            let n = (self.slots.len() * 2).max(64);
            let old = std::mem::replace(&mut self.slots, vec![(0, 0, Span::In(0, 0)); n]);
            for e in old.into_iter().filter(|e| e.0 == self.generation) {
                let mut j = e.1 as usize & (n - 1);
                while self.slots[j].0 == self.generation {
                    j = (j + 1) & (n - 1);
                }
                self.slots[j] = e;
            }
        }
        let kb = s.bytes(k);
        let h = hash(kb);
        let mask = self.slots.len() - 1;
        let mut j = h as usize & mask;
        while self.slots[j].0 == self.generation {
            if self.slots[j].1 == h && s.bytes(self.slots[j].2) == kb {
                return false;
            }
            j = (j + 1) & mask;
        }
        self.slots[j] = (self.generation, h, k);
        self.used += 1;
        true
    }
}

/// The plugin: its delimiter and reused buffers.
struct JsonToCsv {
    delimiter: u8,
    scratch: Vec<u8>,
    keys: KeySet,
}

/// A record's failure, before it becomes a wasmhose::Failure.
enum Bad {
    Syntax,
    Nested,
    Duplicate,
}

impl From<Syntax> for Bad {
    fn from(_: Syntax) -> Self {
        Bad::Syntax
    }
}

/// What a record holds: the user and amount members, if present.
struct Fields {
    user: Option<(Kind, Span)>,
    amount: Option<(Kind, Span)>,
}

fn scan_record(s: &mut Scanner, keys: &mut KeySet) -> Result<Fields, Bad> {
    let mut f = Fields { user: None, amount: None };
    keys.reset();
    s.skip_ws();
    s.expect(b'{')?;
    s.skip_ws();
    if s.peek() == Some(b'}') {
        s.i += 1;
    } else {
        loop {
            s.expect(b'"')?;
            let k = s.string()?;
            if !keys.insert(s, k) {
                return Err(Bad::Duplicate);
            }
            s.skip_ws();
            s.expect(b':')?;
            s.skip_ws();
            if matches!(s.peek(), Some(b'{' | b'[')) {
                return Err(Bad::Nested);
            }
            let v = s.scalar()?;
            match s.bytes(k) {
                b"user" => f.user = Some(v),
                b"amount" => f.amount = Some(v),
                _ => {}
            }
            s.skip_ws();
            match s.peek() {
                Some(b',') => {
                    s.i += 1;
                    s.skip_ws();
                }
                Some(b'}') => {
                    s.i += 1;
                    break;
                }
                _ => return Err(Bad::Syntax),
            }
        }
    }
    s.skip_ws();
    if s.i != s.b.len() {
        return Err(Bad::Syntax);
    }
    Ok(f)
}

/// Writes s as a CSV field: quoted if it holds the delimiter, a quote or a
/// line break, quotes doubled.
fn csv(out: &mut Output<'_>, s: &[u8], delimiter: u8) {
    if !s.iter().any(|&c| c == delimiter || c == b'"' || c == b'\n' || c == b'\r') {
        out.write(s);
        return;
    }
    out.push(b'"');
    for part in s.split_inclusive(|&c| c == b'"') {
        out.write(part);
        if part.last() == Some(&b'"') {
            out.push(b'"');
        }
    }
    out.push(b'"');
}

impl Plugin for JsonToCsv {
    fn init(config: &[u8]) -> Result<Self, String> {
        let mut scratch = Vec::with_capacity(config.len());
        let delimiter = parse_config(config, &mut scratch)?;
        Ok(JsonToCsv { delimiter, scratch, keys: KeySet::default() })
    }

    fn record(&mut self, rec: &Record<'_>, out: &mut Output<'_>) -> Result<Status, Failure> {
        self.scratch.clear();
        self.scratch.reserve(rec.data.len());
        let mut s = Scanner { b: rec.data, i: 0, scratch: &mut self.scratch };
        let f = match scan_record(&mut s, &mut self.keys) {
            Ok(f) => f,
            Err(Bad::Syntax) => return Err(NOT_OBJECT.into()),
            Err(Bad::Nested) => return Err(NESTED.into()),
            Err(Bad::Duplicate) => return Err(DUPLICATE.into()),
        };
        let user = match f.user {
            Some((Kind::Str, u)) => s.bytes(u),
            _ => return Err(USER.into()),
        };
        let amount = match f.amount {
            Some((Kind::Num, a)) => s.bytes(a),
            _ => return Err(AMOUNT.into()),
        };
        if amount[0] == b'-' {
            return Ok(Status::Dropped);
        }
        csv(out, user, self.delimiter);
        out.push(self.delimiter);
        out.write(amount);
        out.push(b'\n');
        // The scanner accepted only valid UTF-8 in strings.
        out.partition_key("user", std::str::from_utf8(user).map_err(|_| Failure::from(NOT_OBJECT))?);
        Ok(Status::Ok)
    }
}

fn parse_config(config: &[u8], scratch: &mut Vec<u8>) -> Result<u8, String> {
    let mut s = Scanner { b: config, i: 0, scratch };
    let mut delimiter = b',';
    let mut bad = false;
    s.skip_ws();
    if s.i == config.len() {
        return Ok(delimiter);
    }
    let top = (|| -> Result<(), Syntax> {
        s.expect(b'{')?;
        s.skip_ws();
        if s.peek() == Some(b'}') {
            s.i += 1;
        } else {
            loop {
                s.expect(b'"')?;
                let k = s.string()?;
                s.skip_ws();
                s.expect(b':')?;
                s.skip_ws();
                let v = match s.peek() {
                    Some(b'{' | b'[') => {
                        s.value(2)?;
                        None
                    }
                    _ => Some(s.scalar()?),
                };
                if s.bytes(k) == b"delimiter" {
                    match v {
                        Some((Kind::Str, d)) if matches!(s.bytes(d), [c] if *c < 0x80 && !matches!(c, b'"' | b'\n' | b'\r')) => {
                            delimiter = s.bytes(d)[0]
                        }
                        _ => bad = true,
                    }
                }
                s.skip_ws();
                match s.peek() {
                    Some(b',') => {
                        s.i += 1;
                        s.skip_ws();
                    }
                    Some(b'}') => {
                        s.i += 1;
                        break;
                    }
                    _ => return Err(Syntax),
                }
            }
        }
        s.skip_ws();
        if s.i != s.b.len() {
            return Err(Syntax);
        }
        Ok(())
    })();
    if top.is_err() {
        return Err(BAD_CONFIG.to_string());
    }
    if bad {
        return Err(BAD_DELIMITER.to_string());
    }
    Ok(delimiter)
}

wasmhose::plugin!(JsonToCsv);
