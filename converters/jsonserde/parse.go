package jsonserde

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/bits"
	"unicode"
	"unicode/utf8"
)

// maxDepth bounds the nesting of JSON the decoder walks, so a hostile
// record cannot exhaust the stack.
const maxDepth = 512

// Character classes for the scanner.
const (
	clsSpace  = 1 << iota // blank between tokens
	clsStrEnd             // ends the fast path of a string: '"', '\\', control or non-ASCII byte
)

var charClass = func() (t [256]uint8) {
	for _, c := range []byte{' ', '\t', '\n', '\r'} {
		t[c] |= clsSpace
	}
	for c := 0; c < 0x20; c++ {
		t[c] |= clsStrEnd
	}
	for c := 0x80; c < 0x100; c++ {
		t[c] |= clsStrEnd
	}
	t['"'] |= clsStrEnd
	t['\\'] |= clsStrEnd
	return t
}()

func (d *Decoder) parseErr(format string, args ...any) error {
	return &RecordError{Code: CodeParseError, Message: fmt.Sprintf(format, args...) + fmt.Sprintf(" at offset %d", d.pos)}
}

func malformed(format string, args ...any) error {
	return &RecordError{Code: CodeMalformedData, Message: fmt.Sprintf(format, args...)}
}

// quote renders a value for an error message, shortened.
func quote(b []byte) string {
	const max = 64
	if len(b) > max {
		return fmt.Sprintf("%q…", b[:max])
	}
	return fmt.Sprintf("%q", b)
}

func (d *Decoder) skipSpace() {
	for d.pos < len(d.in) && charClass[d.in[d.pos]]&clsSpace != 0 {
		d.pos++
	}
}

// parseRecord appends every object of the record and returns how many.
func (d *Decoder) parseRecord(rec []byte) (int, error) {
	d.in, d.pos, d.depth = rec, 0, 0
	rows := 0
	for {
		d.skipSpace()
		if d.pos >= len(d.in) {
			break
		}
		switch d.in[d.pos] {
		case '{':
		case '[':
			if rows == 0 {
				return 0, d.parseErr("a JSON array is not a record; send one object, or several concatenated objects")
			}
			return 0, d.parseErr("trailing data after the JSON object")
		default:
			if rows == 0 {
				return 0, d.parseErr("the record is not a JSON object")
			}
			return 0, d.parseErr("trailing data after the JSON object")
		}
		if err := d.parseObject(d.root); err != nil {
			return 0, err
		}
		rows++
	}
	if rows == 0 {
		return 0, &RecordError{Code: CodeParseError, Message: "the record holds no JSON object"}
	}
	return rows, nil
}

// parseObject reads a JSON object at d.pos into struct column c (the root
// for a row): matching keys fill fields, others are skipped, missing fields
// are null.
func (d *Decoder) parseObject(c *column) error {
	d.depth++
	if d.depth > maxDepth {
		return d.parseErr("JSON nested deeper than %d levels", maxDepth)
	}
	d.pos++ // '{'
	d.gen++
	gen := d.gen
	d.skipSpace()
	guess := c.first
	prev := -1
	if d.pos < len(d.in) && d.in[d.pos] == '}' {
		d.pos++
	} else {
		for {
			if d.pos >= len(d.in) || d.in[d.pos] != '"' {
				return d.syntaxErr("a quoted key")
			}
			// The key is most often the one that followed the previous
			// key last time, and already normalised: compare the raw
			// key with it before normalising.
			raw, err := d.readString()
			if err != nil {
				return err
			}
			key := raw
			idx := -1
			if guess < len(c.match) && c.stable[guess] && bytes.Equal(c.match[guess], raw) {
				idx = guess
			} else {
				key = d.normalize(raw)
				if guess < len(c.match) && bytes.Equal(c.match[guess], key) {
					idx = guess
				} else if i, ok := c.index[string(key)]; ok {
					idx = i
				}
			}
			d.skipSpace()
			if d.pos >= len(d.in) || d.in[d.pos] != ':' {
				return d.syntaxErr("':' after the key")
			}
			d.pos++
			d.skipSpace()
			if d.pos >= len(d.in) {
				return d.syntaxErr("a value")
			}
			if idx < 0 {
				if err := d.skipValue(); err != nil {
					return err
				}
			} else {
				ch := c.children[idx]
				if c.seenGen[idx] == gen {
					return malformed("the key %s appears twice in one object (column %s)", quote(key), ch.path)
				}
				c.seenGen[idx] = gen
				if err := d.parseValue(ch); err != nil {
					return err
				}
				if prev < 0 {
					c.first = idx
				} else {
					c.next[prev] = idx
				}
				prev = idx
				guess = c.next[idx]
			}
			more, err := d.more('}')
			if err != nil {
				return err
			}
			if more {
				continue
			}
			break
		}
	}
	for i, ch := range c.children {
		if c.seenGen[i] != gen {
			ch.appendNull()
		}
	}
	if c != d.root {
		c.endStruct()
	}
	d.depth--
	return nil
}

func (d *Decoder) syntaxErr(want string) error {
	if d.pos >= len(d.in) {
		return d.parseErr("unexpected end of the record, expected %s", want)
	}
	return d.parseErr("unexpected %s, expected %s", quote(d.in[d.pos:d.pos+1]), want)
}

// normalize returns the key s normalised (lower case, dots to underscores
// as configured): s itself when it needs no change, else the decoder's key
// buffer, valid until the next key.
func (d *Decoder) normalize(s []byte) []byte {
	needLower := false
	needDots := false
	for _, ch := range s {
		if d.lower && (ch >= 'A' && ch <= 'Z' || ch >= 0x80) {
			needLower = true
		}
		if d.dots && ch == '.' {
			needDots = true
		}
	}
	if !needLower && !needDots {
		return s
	}
	k := d.keyBuf[:0]
	if needLower {
		k = appendLower(k, s)
	} else {
		k = append(k, s...)
	}
	if needDots {
		for i, ch := range k {
			if ch == '.' {
				k[i] = '_'
			}
		}
	}
	d.keyBuf = k
	return k
}

func appendLower(dst, s []byte) []byte {
	for i := 0; i < len(s); {
		ch := s[i]
		if ch < 0x80 {
			if ch >= 'A' && ch <= 'Z' {
				ch += 'a' - 'A'
			}
			dst = append(dst, ch)
			i++
			continue
		}
		r, n := utf8.DecodeRune(s[i:])
		dst = utf8.AppendRune(dst, unicode.ToLower(r))
		i += n
	}
	return dst
}

// readString reads the string token at d.pos (the opening quote) and
// returns its contents, unescaped and with invalid UTF-8 replaced by
// U+FFFD. The result aliases the record or the decoder's scratch buffer,
// so it is only valid until the next string.
func (d *Decoder) readString() ([]byte, error) {
	start := d.pos + 1
	i := start
	in := d.in
	// Fast path: plain ASCII without escapes, eight bytes at a time; the
	// lowest bit of the mask marks the first byte that ends it.
	for i+8 <= len(in) {
		if m := strEndMask(binary.LittleEndian.Uint64(in[i:])); m != 0 {
			i += bits.TrailingZeros64(m) >> 3
			goto found
		}
		i += 8
	}
	for i < len(in) && charClass[in[i]]&clsStrEnd == 0 {
		i++
	}
found:
	if i < len(in) && in[i] == '"' {
		d.pos = i + 1
		return in[start:i], nil
	}
	return d.readStringSlow(start, i)
}

func (d *Decoder) readStringSlow(start, i int) ([]byte, error) {
	in := d.in
	out := append(d.scratch[:0], in[start:i]...)
	for {
		if i >= len(in) {
			d.pos = i
			return nil, d.parseErr("unterminated string")
		}
		ch := in[i]
		switch {
		case ch == '"':
			d.pos = i + 1
			d.scratch = out
			return out, nil
		case ch == '\\':
			if i+1 >= len(in) {
				d.pos = i
				return nil, d.parseErr("unterminated string")
			}
			e := in[i+1]
			i += 2
			switch e {
			case '"', '\\', '/':
				out = append(out, e)
			case 'b':
				out = append(out, '\b')
			case 'f':
				out = append(out, '\f')
			case 'n':
				out = append(out, '\n')
			case 'r':
				out = append(out, '\r')
			case 't':
				out = append(out, '\t')
			case 'u':
				r, ok := hex4(in, i)
				if !ok {
					d.pos = i
					return nil, d.parseErr("invalid \\u escape")
				}
				i += 4
				if r >= 0xD800 && r < 0xDC00 {
					// A surrogate pair, if the low half follows.
					if i+6 <= len(in) && in[i] == '\\' && in[i+1] == 'u' {
						if r2, ok := hex4(in, i+2); ok && r2 >= 0xDC00 && r2 < 0xE000 {
							r = 0x10000 + (r-0xD800)<<10 + (r2 - 0xDC00)
							i += 6
						} else {
							r = utf8.RuneError
						}
					} else {
						r = utf8.RuneError
					}
				} else if r >= 0xDC00 && r < 0xE000 {
					r = utf8.RuneError
				}
				out = utf8.AppendRune(out, r)
			default:
				d.pos = i - 1
				return nil, d.parseErr("invalid escape '\\%c'", e)
			}
		case ch < 0x20:
			d.pos = i
			return nil, d.parseErr("control character 0x%02x in a string", ch)
		case ch < 0x80:
			out = append(out, ch)
			i++
		default:
			r, n := utf8.DecodeRune(in[i:])
			if r == utf8.RuneError && n <= 1 {
				out = utf8.AppendRune(out, utf8.RuneError)
				i++
			} else {
				out = append(out, in[i:i+n]...)
				i += n
			}
		}
	}
}

func hex4(in []byte, i int) (rune, bool) {
	if i+4 > len(in) {
		return 0, false
	}
	var r rune
	for _, c := range in[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}

// scanNumber validates the JSON number at d.pos and returns its text and
// whether it is an integer literal (no fraction, no exponent).
func (d *Decoder) scanNumber() ([]byte, bool, error) {
	in := d.in
	start := d.pos
	i := start
	if i < len(in) && in[i] == '-' {
		i++
	}
	if i >= len(in) {
		d.pos = i
		return nil, false, d.parseErr("invalid number")
	}
	switch {
	case in[i] == '0':
		i++
	case in[i] >= '1' && in[i] <= '9':
		i++
		for i < len(in) && in[i] >= '0' && in[i] <= '9' {
			i++
		}
	default:
		d.pos = i
		return nil, false, d.parseErr("invalid number")
	}
	isInt := true
	if i < len(in) && in[i] == '.' {
		isInt = false
		i++
		j := i
		for i < len(in) && in[i] >= '0' && in[i] <= '9' {
			i++
		}
		if i == j {
			d.pos = i
			return nil, false, d.parseErr("invalid number: no digit after '.'")
		}
	}
	if i < len(in) && (in[i] == 'e' || in[i] == 'E') {
		isInt = false
		i++
		if i < len(in) && (in[i] == '+' || in[i] == '-') {
			i++
		}
		j := i
		for i < len(in) && in[i] >= '0' && in[i] <= '9' {
			i++
		}
		if i == j {
			d.pos = i
			return nil, false, d.parseErr("invalid number: no digit in the exponent")
		}
	}
	d.pos = i
	return in[start:i], isInt, nil
}

// literal consumes the keyword lit (true, false, null) at d.pos.
func (d *Decoder) literal(lit string) error {
	if len(d.in)-d.pos >= len(lit) && string(d.in[d.pos:d.pos+len(lit)]) == lit {
		d.pos += len(lit)
		return nil
	}
	return d.syntaxErr("a JSON value")
}

// more reads what follows a member or element: a comma (true, with the
// space after it skipped) or the closing byte (false), as every object and
// array loop does.
func (d *Decoder) more(closing byte) (bool, error) {
	d.skipSpace()
	if d.pos < len(d.in) {
		switch d.in[d.pos] {
		case ',':
			d.pos++
			d.skipSpace()
			return true, nil
		case closing:
			d.pos++
			return false, nil
		}
	}
	return false, d.syntaxErr("',' or '" + string(closing) + "'")
}

// skipValue validates and skips any JSON value at d.pos.
func (d *Decoder) skipValue() error {
	if d.pos >= len(d.in) {
		return d.syntaxErr("a value")
	}
	switch ch := d.in[d.pos]; ch {
	case '"':
		_, err := d.readString()
		return err
	case '{':
		d.depth++
		if d.depth > maxDepth {
			return d.parseErr("JSON nested deeper than %d levels", maxDepth)
		}
		d.pos++
		d.skipSpace()
		if d.pos < len(d.in) && d.in[d.pos] == '}' {
			d.pos++
			d.depth--
			return nil
		}
		for {
			if d.pos >= len(d.in) || d.in[d.pos] != '"' {
				return d.syntaxErr("a quoted key")
			}
			if _, err := d.readString(); err != nil {
				return err
			}
			d.skipSpace()
			if d.pos >= len(d.in) || d.in[d.pos] != ':' {
				return d.syntaxErr("':' after the key")
			}
			d.pos++
			d.skipSpace()
			if err := d.skipValue(); err != nil {
				return err
			}
			more, err := d.more('}')
			if err != nil {
				return err
			}
			if more {
				continue
			}
			d.depth--
			return nil
		}
	case '[':
		d.depth++
		if d.depth > maxDepth {
			return d.parseErr("JSON nested deeper than %d levels", maxDepth)
		}
		d.pos++
		d.skipSpace()
		if d.pos < len(d.in) && d.in[d.pos] == ']' {
			d.pos++
			d.depth--
			return nil
		}
		for {
			if err := d.skipValue(); err != nil {
				return err
			}
			more, err := d.more(']')
			if err != nil {
				return err
			}
			if more {
				continue
			}
			d.depth--
			return nil
		}
	case 't':
		return d.literal("true")
	case 'f':
		return d.literal("false")
	case 'n':
		return d.literal("null")
	default:
		if ch == '-' || ch >= '0' && ch <= '9' {
			_, _, err := d.scanNumber()
			return err
		}
		return d.syntaxErr("a JSON value")
	}
}

// validateRecord checks only the JSON syntax and framing of a record, for
// telling a parse error from a schema mismatch.
func validateRecord(rec []byte) error {
	v := &Decoder{}
	v.in = rec
	n := 0
	for {
		v.skipSpace()
		if v.pos >= len(v.in) {
			break
		}
		if v.in[v.pos] != '{' {
			if n == 0 && v.in[v.pos] == '[' {
				return v.parseErr("a JSON array is not a record; send one object, or several concatenated objects")
			}
			return v.parseErr("trailing data after the JSON object")
		}
		if err := v.skipValue(); err != nil {
			return err
		}
		n++
	}
	return nil
}

// compactInto appends the JSON value raw with the blanks between tokens
// removed (OpenX stores a nested object in a string column as its text).
// Invalid UTF-8 in its strings becomes U+FFFD, a byte at a time, as in
// string values; so dst needs room for 3*len(raw) bytes.
func compactInto(dst, raw []byte) []byte {
	inStr := false
	for i := 0; i < len(raw); i++ {
		ch := raw[i]
		if inStr {
			if ch >= 0x80 {
				r, n := utf8.DecodeRune(raw[i:])
				if r == utf8.RuneError && n <= 1 {
					dst = utf8.AppendRune(dst, utf8.RuneError)
				} else {
					dst = append(dst, raw[i:i+n]...)
					i += n - 1
				}
				continue
			}
			dst = append(dst, ch)
			if ch == '\\' && i+1 < len(raw) {
				i++
				dst = append(dst, raw[i])
			} else if ch == '"' {
				inStr = false
			}
			continue
		}
		if charClass[ch]&clsSpace != 0 {
			continue
		}
		if ch == '"' {
			inStr = true
		}
		dst = append(dst, ch)
	}
	return dst
}

// strEndMask returns a mask of the bytes of w (little-endian: byte k is
// bits 8k..8k+7) that are '"', '\\', a control byte (< 0x20) or non-ASCII
// (>= 0x80), with the classic SWAR tests. The lowest set bit is exact, so
// it locates the first such byte; bits above it may be false positives
// (a borrow runs on past the first match).
func strEndMask(w uint64) uint64 {
	const (
		ones  = 0x0101010101010101
		highs = 0x8080808080808080
	)
	quote := w ^ (ones * '"')
	slash := w ^ (ones * '\\')
	zeroQ := (quote - ones) &^ quote
	zeroS := (slash - ones) &^ slash
	ctrl := (w - ones*0x20) &^ w
	return (zeroQ | zeroS | ctrl | w) & highs
}
