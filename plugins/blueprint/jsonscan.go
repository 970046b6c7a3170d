package blueprint

import (
	"bytes"
	"errors"
	"fmt"
	"unicode/utf16"
	"unicode/utf8"
)

// jsonScanner validates JSON as JSON.parse does and decodes the strings it
// is asked for, without building values: the CloudWatch Logs processor
// needs two members of a large payload. Input is valid UTF-8 (see text).
type jsonScanner struct {
	s     []byte
	i     int
	depth int
}

// maxJSONDepth bounds nesting, as encoding/json does (JSON.parse is bounded
// by V8's stack).
const maxJSONDepth = 10000

var errJSONDepth = errors.New("nested too deeply")

func (p *jsonScanner) errorf(format string, args ...any) error {
	return fmt.Errorf("offset %d: %s", p.i, fmt.Sprintf(format, args...))
}

func (p *jsonScanner) ws() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// value skips one value, validating it.
func (p *jsonScanner) value() error {
	p.ws()
	if p.i >= len(p.s) {
		return p.errorf("unexpected end of input")
	}
	switch c := p.s[p.i]; {
	case c == '{':
		return p.object(func([]byte) error { return p.value() })
	case c == '[':
		return p.array(p.value)
	case c == '"':
		_, err := p.str(nil, false)
		return err
	case c == '-' || isDigit(c):
		return p.number()
	case bytes.HasPrefix(p.s[p.i:], []byte("true")):
		p.i += 4
	case bytes.HasPrefix(p.s[p.i:], []byte("false")):
		p.i += 5
	case bytes.HasPrefix(p.s[p.i:], []byte("null")):
		p.i += 4
	default:
		return p.errorf("unexpected character %q", c)
	}
	return nil
}

// object reads an object, calling member with each decoded key when the
// scanner is at the member's value; member must consume the value.
func (p *jsonScanner) object(member func(key []byte) error) error {
	if p.depth++; p.depth > maxJSONDepth {
		return errJSONDepth
	}
	defer func() { p.depth-- }()
	p.i++ // {
	p.ws()
	if p.i < len(p.s) && p.s[p.i] == '}' {
		p.i++
		return nil
	}
	var key []byte
	for {
		p.ws()
		if p.i >= len(p.s) || p.s[p.i] != '"' {
			return p.errorf("expected a member name")
		}
		var err error
		if key, err = p.str(key[:0], true); err != nil {
			return err
		}
		p.ws()
		if p.i >= len(p.s) || p.s[p.i] != ':' {
			return p.errorf("expected ':'")
		}
		p.i++
		if err := member(key); err != nil {
			return err
		}
		p.ws()
		if p.i >= len(p.s) {
			return p.errorf("unexpected end of input")
		}
		switch p.s[p.i] {
		case ',':
			p.i++
		case '}':
			p.i++
			return nil
		default:
			return p.errorf("expected ',' or '}'")
		}
	}
}

// array reads an array, calling elem at each element; elem must consume it.
func (p *jsonScanner) array(elem func() error) error {
	if p.depth++; p.depth > maxJSONDepth {
		return errJSONDepth
	}
	defer func() { p.depth-- }()
	p.i++ // [
	p.ws()
	if p.i < len(p.s) && p.s[p.i] == ']' {
		p.i++
		return nil
	}
	for {
		if err := elem(); err != nil {
			return err
		}
		p.ws()
		if p.i >= len(p.s) {
			return p.errorf("unexpected end of input")
		}
		switch p.s[p.i] {
		case ',':
			p.i++
		case ']':
			p.i++
			return nil
		default:
			return p.errorf("expected ',' or ']'")
		}
	}
}

// number skips a number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (p *jsonScanner) number() error {
	if p.s[p.i] == '-' {
		p.i++
	}
	switch n := digitRun(p.s, p.i); {
	case n == 0:
		return p.errorf("bad number")
	case p.s[p.i] == '0' && n > 1:
		return p.errorf("leading zero in a number")
	default:
		p.i += n
	}
	if p.i < len(p.s) && p.s[p.i] == '.' {
		n := digitRun(p.s, p.i+1)
		if n == 0 {
			return p.errorf("bad number")
		}
		p.i += 1 + n
	}
	if p.i < len(p.s) && (p.s[p.i] == 'e' || p.s[p.i] == 'E') {
		p.i++
		if p.i < len(p.s) && (p.s[p.i] == '+' || p.s[p.i] == '-') {
			p.i++
		}
		n := digitRun(p.s, p.i)
		if n == 0 {
			return p.errorf("bad number")
		}
		p.i += n
	}
	return nil
}

// str reads a string at p.s[p.i] == '"'. With decode, it appends the
// string's UTF-8 to dst as JSON.parse and Buffer.from would produce it
// (escapes decoded, surrogate pairs joined, lone surrogates as U+FFFD);
// otherwise it only validates.
func (p *jsonScanner) str(dst []byte, decode bool) ([]byte, error) {
	p.i++ // "
	for {
		// The run up to the next quote, backslash or control character.
		k := indexJSONEscape(p.s[p.i:])
		if k < 0 {
			p.i = len(p.s)
			return dst, p.errorf("unterminated string")
		}
		if decode {
			dst = append(dst, p.s[p.i:p.i+k]...)
		}
		p.i += k
		switch c := p.s[p.i]; {
		case c == '"':
			p.i++
			return dst, nil
		case c < 0x20:
			return dst, p.errorf("control character in a string")
		}
		// A backslash.
		if p.i+1 >= len(p.s) {
			return dst, p.errorf("unterminated string")
		}
		e := p.s[p.i+1]
		p.i += 2
		var r rune
		switch e {
		case '"', '\\', '/':
			r = rune(e)
		case 'b':
			r = '\b'
		case 'f':
			r = '\f'
		case 'n':
			r = '\n'
		case 'r':
			r = '\r'
		case 't':
			r = '\t'
		case 'u':
			u, ok := p.hex4()
			if !ok {
				return dst, p.errorf("bad \\u escape")
			}
			r = rune(u)
			if utf16.IsSurrogate(r) {
				r = utf8.RuneError // a lone surrogate, unless a low one follows
				if u < 0xDC00 && p.i+1 < len(p.s) && p.s[p.i] == '\\' && p.s[p.i+1] == 'u' {
					save := p.i
					p.i += 2
					if lo, ok := p.hex4(); ok && lo >= 0xDC00 && lo <= 0xDFFF {
						r = utf16.DecodeRune(rune(u), rune(lo))
					} else {
						p.i = save
					}
				}
			}
		default:
			return dst, p.errorf("bad escape \\%c", e)
		}
		if decode {
			dst = utf8.AppendRune(dst, r)
		}
	}
}

// hex4 reads four hex digits.
func (p *jsonScanner) hex4() (uint16, bool) {
	if p.i+4 > len(p.s) {
		return 0, false
	}
	var v uint16
	for _, c := range p.s[p.i : p.i+4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		v = v<<4 | uint16(c)
	}
	p.i += 4
	return v, true
}
