package blueprint

import (
	"encoding/binary"
	"strconv"
	"unicode/utf8"
)

// This file reproduces the JavaScript semantics the Node.js blueprints rely
// on: Node's UTF-8 decoding, the regular-expression classes \s and ., and
// JSON.stringify's strings and numbers.

// appendUTF8 appends s to dst, replacing each maximal invalid subsequence
// with U+FFFD as the WHATWG decoder does (Node's Buffer.toString('utf8')).
// The result is valid UTF-8.
func appendUTF8(dst, s []byte) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			dst = append(dst, c)
			i++
			continue
		}
		need, lo, hi := 0, byte(0x80), byte(0xBF)
		switch {
		case c >= 0xC2 && c <= 0xDF:
			need = 1
		case c == 0xE0:
			need, lo = 2, 0xA0
		case c >= 0xE1 && c <= 0xEC, c == 0xEE, c == 0xEF:
			need = 2
		case c == 0xED:
			need, hi = 2, 0x9F
		case c == 0xF0:
			need, lo = 3, 0x90
		case c >= 0xF1 && c <= 0xF3:
			need = 3
		case c == 0xF4:
			need, hi = 3, 0x8F
		default:
			dst = append(dst, "\uFFFD"...)
			i++
			continue
		}
		j, ok := i+1, true
		for range need {
			if j >= len(s) || s[j] < lo || s[j] > hi {
				ok = false
				break
			}
			lo, hi = 0x80, 0xBF
			j++
		}
		if ok {
			dst = append(dst, s[i:j]...)
		} else {
			dst = append(dst, "\uFFFD"...)
		}
		i = j
	}
	return dst
}

// text returns s as valid UTF-8, decoded as Node decodes a Buffer: s itself
// if it is valid.
func text(s []byte) []byte {
	if utf8.Valid(s) {
		return s
	}
	return appendUTF8(make([]byte, 0, len(s)+16), s)
}

// isJSSpace reports whether r is in JavaScript's \s: WhiteSpace and
// LineTerminator.
func isJSSpace(r rune) bool {
	switch r {
	case '\t', '\n', '\v', '\f', '\r', ' ', 0xA0, 0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000, 0xFEFF:
		return true
	}
	return r >= 0x2000 && r <= 0x200A
}

// isLineTerminator reports whether r is a JavaScript LineTerminator, the
// characters . does not match.
func isLineTerminator(r rune) bool {
	return r == '\n' || r == '\r' || r == 0x2028 || r == 0x2029
}

// runeAt decodes the rune at s[i] (s is valid UTF-8, i < len(s)).
func runeAt(s []byte, i int) (rune, int) {
	if c := s[i]; c < utf8.RuneSelf {
		return rune(c), 1
	}
	return utf8.DecodeRune(s[i:])
}

// spaceRun returns the length in bytes of the run of \s characters at s[i].
func spaceRun(s []byte, i int) int {
	j := i
	for j < len(s) {
		r, n := runeAt(s, j)
		if !isJSSpace(r) {
			break
		}
		j += n
	}
	return j - i
}

// nonSpaceRun returns the length in bytes of the run of \S characters at
// s[i].
func nonSpaceRun(s []byte, i int) int {
	j := i
	for j < len(s) {
		if c := s[j]; c < utf8.RuneSelf {
			if c == ' ' || (c >= '\t' && c <= '\r') {
				break
			}
			j++
			continue
		}
		r, n := utf8.DecodeRune(s[j:])
		if isJSSpace(r) {
			break
		}
		j += n
	}
	return j - i
}

// lineEnd returns the index of the first line terminator in s at or after
// i, or len(s): the end of a JavaScript (.*) match starting at i.
func lineEnd(s []byte, i int) int {
	for j := i; j < len(s); j++ {
		switch c := s[j]; {
		case c == '\n' || c == '\r':
			return j
		case c == 0xE2 && j+2 < len(s) && s[j+1] == 0x80 && (s[j+2] == 0xA8 || s[j+2] == 0xA9):
			return j
		}
	}
	return len(s)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// isWord reports whether c is in the ASCII class \w.
func isWord(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

// digitRun returns the length of the run of ASCII digits at s[i].
func digitRun(s []byte, i int) int {
	j := i
	for j < len(s) && isDigit(s[j]) {
		j++
	}
	return j - i
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s (valid UTF-8) as JSON.stringify writes a
// string: only ", \ and control characters are escaped, and the latter as
// \b \t \n \f \r or \u00xx.
func appendJSONString(dst []byte, s []byte) []byte {
	dst = append(dst, '"')
	for {
		i := indexJSONEscape(s)
		if i < 0 {
			dst = append(dst, s...)
			return append(dst, '"')
		}
		dst = append(dst, s[:i]...)
		switch c := s[i]; c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\b':
			dst = append(dst, '\\', 'b')
		case '\t':
			dst = append(dst, '\\', 't')
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\f':
			dst = append(dst, '\\', 'f')
		case '\r':
			dst = append(dst, '\\', 'r')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&15])
		}
		s = s[i+1:]
	}
}

// Word-at-a-time ("SWAR") byte search: eight bytes per step, which in Wasm
// is about three times as fast as a byte loop.
const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// hasByte reports whether a byte of the word w equals c.
func hasByte(w uint64, c byte) bool {
	x := w ^ (ones * uint64(c))
	return (x-ones)&^x&highs != 0
}

// hasLess reports whether a byte of the word w is less than n (n <= 128).
func hasLess(w uint64, n byte) bool {
	return (w-ones*uint64(n))&^w&highs != 0
}

// indexJSONEscape returns the index of the first byte of s that
// JSON.stringify escapes (", \ or a control character), or -1.
func indexJSONEscape(s []byte) int {
	i := 0
	for ; i+8 <= len(s); i += 8 {
		w := binary.LittleEndian.Uint64(s[i:])
		if hasLess(w, 0x20) || hasByte(w, '"') || hasByte(w, '\\') {
			break
		}
	}
	for ; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' {
			return i
		}
	}
	return -1
}

// indexAny4 returns the index of the first byte of s equal to a, b, c or
// d, or -1.
func indexAny4(s []byte, a, b, c, d byte) int {
	i := 0
	for ; i+8 <= len(s); i += 8 {
		w := binary.LittleEndian.Uint64(s[i:])
		if hasByte(w, a) || hasByte(w, b) || hasByte(w, c) || hasByte(w, d) {
			break
		}
	}
	for ; i < len(s); i++ {
		if x := s[i]; x == a || x == b || x == c || x == d {
			return i
		}
	}
	return -1
}

// appendJSNumber appends the ASCII digit string digits as
// JSON.stringify(Number(digits)) writes it: leading zeros dropped, values
// beyond 2^53 rounded to the nearest double and written as JavaScript does
// (exponent form from 1e21), and "null" for Infinity.
func appendJSNumber(dst []byte, digits []byte) []byte {
	for len(digits) > 1 && digits[0] == '0' {
		digits = digits[1:]
	}
	if len(digits) <= 15 {
		return append(dst, digits...)
	}
	f, err := strconv.ParseFloat(string(digits), 64)
	if err != nil { // out of range: Number() gives Infinity, which JSON writes as null
		return append(dst, "null"...)
	}
	// Shortest round-trip digits d1.d2…dk and exponent, then ECMAScript's
	// Number::toString layout.
	e := strconv.AppendFloat(nil, f, 'e', -1, 64)
	mant, exp := e, 0
	for i, c := range e {
		if c == 'e' {
			mant = e[:i]
			exp, _ = strconv.Atoi(string(e[i+1:]))
			break
		}
	}
	ds := make([]byte, 0, len(mant))
	for _, c := range mant {
		if c != '.' {
			ds = append(ds, c)
		}
	}
	n := exp + 1 // position of the decimal point
	if n <= 21 {
		dst = append(dst, ds...)
		for range n - len(ds) {
			dst = append(dst, '0')
		}
		return dst
	}
	dst = append(dst, ds[0])
	if len(ds) > 1 {
		dst = append(dst, '.')
		dst = append(dst, ds[1:]...)
	}
	dst = append(dst, 'e', '+')
	return strconv.AppendInt(dst, int64(n-1), 10)
}
