// Command json-to-csv is the reference Wasmhose plugin in Go: each record, a
// flat JSON object {"user": string, "amount": number, …}, becomes the CSV
// line user<delimiter>amount, with the user as its partition key; negative
// amounts are dropped and anything else fails with a reason. The same
// plugin exists in C, Rust and AssemblyScript (examples/plugins/<lang>/),
// and all give byte-identical results on examples/plugins/testdata/cases.jsonl.
//
// Build: make (GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared).
package main

import (
	"errors"
	"unicode/utf8"

	wasmhose "github.com/wasmhose/wasmhose/sdk/go"
)

// The error texts, identical in every language.
const (
	errNotObject = "not a JSON object"
	errNested    = "nested values are not supported"
	errDuplicate = "duplicate key"
	errUser      = "user must be a string"
	errAmount    = "amount must be a number"
	errConfig    = "configuration must be a JSON object"
	errDelimiter = "delimiter must be one ASCII character other than a quote or a line break"
)

// maxConfigDepth is the deepest nesting a configuration may have, counting
// its top object.
const maxConfigDepth = 64

// delimiter is the configured field separator.
var delimiter byte = ','

func init() {
	wasmhose.HandleInit(configure)
	wasmhose.HandleRecord(convert)
}

func main() {}

// kind is the type of a JSON value.
type kind int

const (
	kindString kind = iota
	kindNumber
	kindLiteral
	kindNested
)

// parser reads JSON from b. Its methods return false on a syntax error.
type parser struct {
	b   []byte
	i   int
	buf []byte // the last decoded string
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func (p *parser) skipSpace() {
	for p.i < len(p.b) && isSpace(p.b[p.i]) {
		p.i++
	}
}

func (p *parser) peek() int {
	if p.i < len(p.b) {
		return int(p.b[p.i])
	}
	return -1
}

func hexVal(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// hex4 reads the four hex digits of a \u escape.
func (p *parser) hex4() (rune, bool) {
	if p.i+4 > len(p.b) {
		return 0, false
	}
	var r rune
	for k := 0; k < 4; k++ {
		h := hexVal(p.b[p.i+k])
		if h < 0 {
			return 0, false
		}
		r = r<<4 | rune(h)
	}
	p.i += 4
	return r, true
}

// str reads a string whose opening quote is at p.i, decoding it into p.buf.
func (p *parser) str() bool {
	p.i++
	p.buf = p.buf[:0]
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c == '"':
			p.i++
			return true
		case c < 0x20:
			return false
		case c == '\\':
			if p.i+1 >= len(p.b) {
				return false
			}
			e := p.b[p.i+1]
			p.i += 2
			switch e {
			case '"', '\\', '/':
				p.buf = append(p.buf, e)
			case 'b':
				p.buf = append(p.buf, '\b')
			case 'f':
				p.buf = append(p.buf, '\f')
			case 'n':
				p.buf = append(p.buf, '\n')
			case 'r':
				p.buf = append(p.buf, '\r')
			case 't':
				p.buf = append(p.buf, '\t')
			case 'u':
				r, ok := p.hex4()
				if !ok {
					return false
				}
				if r >= 0xDC00 && r <= 0xDFFF {
					return false
				}
				if r >= 0xD800 && r <= 0xDBFF {
					if p.i+2 > len(p.b) || p.b[p.i] != '\\' || p.b[p.i+1] != 'u' {
						return false
					}
					p.i += 2
					lo, ok := p.hex4()
					if !ok || lo < 0xDC00 || lo > 0xDFFF {
						return false
					}
					r = 0x10000 + (r-0xD800)<<10 + (lo - 0xDC00)
				}
				p.buf = utf8.AppendRune(p.buf, r)
			default:
				return false
			}
		case c < 0x80:
			p.buf = append(p.buf, c)
			p.i++
		default:
			r, n := utf8.DecodeRune(p.b[p.i:])
			if r == utf8.RuneError && n <= 1 {
				return false
			}
			p.buf = append(p.buf, p.b[p.i:p.i+n]...)
			p.i += n
		}
	}
	return false
}

func (p *parser) digits() int {
	start := p.i
	for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
		p.i++
	}
	return p.i - start
}

// number reads a number (RFC 8259 grammar) at p.i.
func (p *parser) number() bool {
	if p.peek() == '-' {
		p.i++
	}
	switch {
	case p.peek() == '0':
		p.i++
	case p.peek() >= '1' && p.peek() <= '9':
		p.digits()
	default:
		return false
	}
	if p.peek() == '.' {
		p.i++
		if p.digits() == 0 {
			return false
		}
	}
	if c := p.peek(); c == 'e' || c == 'E' {
		p.i++
		if c := p.peek(); c == '+' || c == '-' {
			p.i++
		}
		if p.digits() == 0 {
			return false
		}
	}
	return true
}

// literal reads true, false or null at p.i.
func (p *parser) literal() bool {
	for _, w := range []string{"true", "false", "null"} {
		if len(p.b)-p.i >= len(w) && string(p.b[p.i:p.i+len(w)]) == w {
			p.i += len(w)
			return true
		}
	}
	return false
}

// scalar reads a value at p.i that is not an object or array.
func (p *parser) scalar() (kind, bool) {
	switch c := p.peek(); {
	case c == '"':
		return kindString, p.str()
	case c == '-' || (c >= '0' && c <= '9'):
		return kindNumber, p.number()
	case c == 't' || c == 'f' || c == 'n':
		return kindLiteral, p.literal()
	}
	return 0, false
}

// convert is the record handler.
func convert(r wasmhose.Record) wasmhose.Result {
	p := &parser{b: trimSpace(r.Data)}
	if p.peek() != '{' {
		return wasmhose.Failed(errNotObject)
	}
	p.i++
	seen := map[string]struct{}{}
	var user []byte
	var amount []byte
	userOK, amountOK := false, false
	p.skipSpace()
	if p.peek() == '}' {
		p.i++
	} else {
		for {
			p.skipSpace()
			if p.peek() != '"' || !p.str() {
				return wasmhose.Failed(errNotObject)
			}
			if _, dup := seen[string(p.buf)]; dup {
				return wasmhose.Failed(errDuplicate)
			}
			seen[string(p.buf)] = struct{}{}
			key := string(p.buf)
			p.skipSpace()
			if p.peek() != ':' {
				return wasmhose.Failed(errNotObject)
			}
			p.i++
			p.skipSpace()
			if c := p.peek(); c == '{' || c == '[' {
				return wasmhose.Failed(errNested)
			}
			start := p.i
			k, ok := p.scalar()
			if !ok {
				return wasmhose.Failed(errNotObject)
			}
			switch key {
			case "user":
				userOK = k == kindString
				if userOK {
					user = append(user[:0], p.buf...)
				}
			case "amount":
				amountOK = k == kindNumber
				amount = p.b[start:p.i]
			}
			p.skipSpace()
			if p.peek() == ',' {
				p.i++
				continue
			}
			if p.peek() != '}' {
				return wasmhose.Failed(errNotObject)
			}
			p.i++
			break
		}
	}
	if p.i != len(p.b) {
		return wasmhose.Failed(errNotObject)
	}
	if !userOK {
		return wasmhose.Failed(errUser)
	}
	if !amountOK {
		return wasmhose.Failed(errAmount)
	}
	if amount[0] == '-' {
		return wasmhose.Dropped()
	}
	out := make([]byte, 0, len(user)+len(amount)+4)
	out = appendCSV(out, user)
	out = append(out, delimiter)
	out = append(out, amount...)
	out = append(out, '\n')
	return wasmhose.Ok(out).WithPartitionKey("user", string(user))
}

// appendCSV appends s as a CSV field: unchanged unless it holds the
// delimiter, a quote or a line break, else quoted with quotes doubled.
func appendCSV(dst, s []byte) []byte {
	quote := false
	for _, c := range s {
		if c == delimiter || c == '"' || c == '\n' || c == '\r' {
			quote = true
			break
		}
	}
	if !quote {
		return append(dst, s...)
	}
	dst = append(dst, '"')
	for _, c := range s {
		if c == '"' {
			dst = append(dst, '"')
		}
		dst = append(dst, c)
	}
	return append(dst, '"')
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

// value reads any JSON value at p.i, nested at most maxConfigDepth-depth
// more levels.
func (p *parser) value(depth int) bool {
	c := p.peek()
	if c != '{' && c != '[' {
		_, ok := p.scalar()
		return ok
	}
	if depth > maxConfigDepth {
		return false
	}
	p.i++
	p.skipSpace()
	closer := byte('}')
	if c == '[' {
		closer = ']'
	}
	if p.peek() == int(closer) {
		p.i++
		return true
	}
	for {
		p.skipSpace()
		if c == '{' {
			if p.peek() != '"' || !p.str() {
				return false
			}
			p.skipSpace()
			if p.peek() != ':' {
				return false
			}
			p.i++
			p.skipSpace()
		}
		if !p.value(depth + 1) {
			return false
		}
		p.skipSpace()
		switch p.peek() {
		case ',':
			p.i++
		case int(closer):
			p.i++
			return true
		default:
			return false
		}
	}
}

// configure is the init handler: see the package documentation of the
// reference plugin (README.md) for the rules.
func configure(cfg []byte) error {
	p := &parser{b: trimSpace(cfg)}
	if len(p.b) == 0 {
		return nil
	}
	if p.peek() != '{' || !p.value(1) || p.i != len(p.b) {
		return errors.New(errConfig)
	}
	// The object is valid: walk its top-level members for "delimiter".
	p.i = 1
	d := delimiter
	for {
		p.skipSpace()
		if p.peek() == '}' {
			break
		}
		p.str()
		isDelim := string(p.buf) == "delimiter"
		p.skipSpace()
		p.i++ // ':'
		p.skipSpace()
		isString := p.peek() == '"'
		p.value(1)
		if isDelim {
			if !isString || len(p.buf) != 1 || p.buf[0] >= 0x80 || p.buf[0] == '"' || p.buf[0] == '\n' || p.buf[0] == '\r' {
				return errors.New(errDelimiter)
			}
			d = p.buf[0]
		}
		p.skipSpace()
		if p.peek() == ',' {
			p.i++
		}
	}
	delimiter = d
	return nil
}
