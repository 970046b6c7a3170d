package jsonserde

import (
	"bytes"
	"encoding/base64"
	"math"
	"strconv"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow/decimal128"
)

// parseValue reads the JSON value at d.pos into column c.
func (d *Decoder) parseValue(c *column) error {
	ch := d.in[d.pos]
	if ch == 'n' {
		if err := d.literal("null"); err != nil {
			return err
		}
		c.appendNull()
		return nil
	}
	switch c.kind {
	case kStruct:
		if ch != '{' {
			return d.mismatch(c)
		}
		return d.parseObject(c)
	case kList:
		if ch != '[' {
			return d.mismatch(c)
		}
		return d.parseList(c)
	case kMap:
		if ch != '{' {
			return d.mismatch(c)
		}
		return d.parseMap(c)
	}
	switch ch {
	case '"':
		s, err := d.readString()
		if err != nil {
			return err
		}
		return d.fromString(c, s, false)
	case 't', 'f':
		v := ch == 't'
		lit := "false"
		if v {
			lit = "true"
		}
		if err := d.literal(lit); err != nil {
			return err
		}
		switch c.kind {
		case kBool:
			c.appendBool(v)
		case kString:
			c.appendBytes([]byte(lit))
		default:
			return malformed("column %s (%s) cannot hold the boolean %s", c.path, c.htype, lit)
		}
		return nil
	case '{', '[':
		if c.kind == kString && d.flavor == openX {
			start := d.pos
			if err := d.skipValue(); err != nil {
				return err
			}
			c.data.ensure(3 * (d.pos - start))
			c.data.n = len(compactInto(c.data.b[:c.data.n], d.in[start:d.pos]))
			c.endBytes()
			return nil
		}
		return d.mismatch(c)
	}
	if ch != '-' && (ch < '0' || ch > '9') {
		return d.syntaxErr("a JSON value")
	}
	text, isInt, err := d.scanNumber()
	if err != nil {
		return err
	}
	return d.fromNumber(c, text, isInt)
}

// mismatch reports a JSON value of the wrong shape for c (the value at d.pos).
func (d *Decoder) mismatch(c *column) error {
	what := "this value"
	switch d.in[d.pos] {
	case '{':
		what = "a JSON object"
	case '[':
		what = "a JSON array"
	case '"':
		what = "a string"
	default:
		what = "a number"
	}
	return malformed("column %s (%s) cannot hold %s", c.path, c.htype, what)
}

func (d *Decoder) parseList(c *column) error {
	d.depth++
	if d.depth > maxDepth {
		return d.parseErr("JSON nested deeper than %d levels", maxDepth)
	}
	d.pos++
	d.skipSpace()
	elem := c.children[0]
	if d.pos < len(d.in) && d.in[d.pos] == ']' {
		d.pos++
	} else {
		for {
			if d.pos >= len(d.in) {
				return d.syntaxErr("a value")
			}
			if err := d.parseValue(elem); err != nil {
				return err
			}
			more, err := d.more(']')
			if err != nil {
				return err
			}
			if more {
				continue
			}
			break
		}
	}
	c.endNested()
	d.depth--
	return nil
}

func (d *Decoder) parseMap(c *column) error {
	d.depth++
	if d.depth > maxDepth {
		return d.parseErr("JSON nested deeper than %d levels", maxDepth)
	}
	d.pos++
	d.skipSpace()
	entries := c.children[0]
	kc, vc := entries.children[0], entries.children[1]
	first := kc.n
	if d.pos < len(d.in) && d.in[d.pos] == '}' {
		d.pos++
	} else {
		for {
			if d.pos >= len(d.in) || d.in[d.pos] != '"' {
				return d.syntaxErr("a quoted key")
			}
			key, err := d.readString()
			if err != nil {
				return err
			}
			if err := d.fromString(kc, key, true); err != nil {
				return err
			}
			if kc.duplicateOf(first, kc.n-1) {
				return malformed("column %s: the map key %s appears twice", c.path, quote(key))
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
			if err := d.parseValue(vc); err != nil {
				return err
			}
			entries.endStruct()
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
	c.endNested()
	d.depth--
	return nil
}

// bstr views b as a string without copying; the string must not outlive b.
func bstr(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

var intRange = [...]struct{ min, max int64 }{
	kInt8:  {math.MinInt8, math.MaxInt8},
	kInt16: {math.MinInt16, math.MaxInt16},
	kInt32: {math.MinInt32, math.MaxInt32},
	kInt64: {math.MinInt64, math.MaxInt64},
}

// parseInt parses a decimal integer with an optional sign.
func parseInt(s []byte) (int64, bool) {
	neg := false
	i := 0
	if len(s) > 0 && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		i = 1
	}
	if i >= len(s) {
		return 0, false
	}
	var u uint64
	for ; i < len(s); i++ {
		ch := s[i]
		if ch < '0' || ch > '9' {
			return 0, false
		}
		if u > (math.MaxUint64-9)/10 {
			return 0, false
		}
		u = u*10 + uint64(ch-'0')
	}
	if neg {
		if u > 1<<63 {
			return 0, false
		}
		return -int64(u), true
	}
	if u > math.MaxInt64 {
		return 0, false
	}
	return int64(u), true
}

func (d *Decoder) appendIntText(c *column, text []byte, fromString bool) error {
	var v int64
	var ok bool
	if fromString && len(text) > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X') {
		var u uint64
		u, err := strconv.ParseUint(bstr(text[2:]), 16, 64)
		ok = err == nil && u <= math.MaxInt64
		v = int64(u)
	} else {
		v, ok = parseInt(text)
	}
	if !ok {
		if isIntegerText(text) {
			return malformed("column %s (%s): %s is out of range", c.path, c.htype, quote(text))
		}
		return malformed("column %s (%s) cannot hold %s: not an integer", c.path, c.htype, quote(text))
	}
	if r := intRange[c.kind]; v < r.min || v > r.max {
		return malformed("column %s (%s): %s is out of range", c.path, c.htype, quote(text))
	}
	c.appendInt(v)
	return nil
}

func isIntegerText(s []byte) bool {
	if len(s) > 0 && (s[0] == '-' || s[0] == '+') {
		s = s[1:]
	}
	if len(s) == 0 {
		return false
	}
	for _, ch := range s {
		if ch < '0' || ch > '9' {
			return false
		}
	}
	return true
}

// fromNumber stores the JSON number text into c.
func (d *Decoder) fromNumber(c *column, text []byte, isInt bool) error {
	switch c.kind {
	case kInt8, kInt16, kInt32, kInt64:
		if !isInt {
			return malformed("column %s (%s) cannot hold %s: not an integer", c.path, c.htype, quote(text))
		}
		return d.appendIntText(c, text, false)
	case kFloat32, kFloat64:
		v, err := strconv.ParseFloat(bstr(text), 64)
		if err != nil && !isRangeErr(err) {
			return malformed("column %s (%s) cannot hold %s", c.path, c.htype, quote(text))
		}
		c.appendFloat(v)
		return nil
	case kDecimal:
		return d.appendDecimal(c, text)
	case kString:
		c.appendBytes(text)
		return nil
	case kTimestamp:
		if d.flavor == openX {
			return d.appendOpenXTimestamp(c, text)
		}
		return d.appendHiveTimestamp(c, text)
	}
	return malformed("column %s (%s) cannot hold the number %s", c.path, c.htype, quote(text))
}

func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

// fromString stores the JSON string s into c. isKey says s is a map key,
// which every SerDe converts from text.
func (d *Decoder) fromString(c *column, s []byte, isKey bool) error {
	lenient := isKey || d.flavor == openX
	switch c.kind {
	case kString:
		c.appendBytes(s)
		return nil
	case kBinary:
		return d.appendBase64(c, s)
	case kInt8, kInt16, kInt32, kInt64:
		if !lenient {
			return malformed("column %s (%s) cannot hold the string %s: the Hive JSON SerDe takes numbers only", c.path, c.htype, quote(s))
		}
		return d.appendIntText(c, bytes.TrimSpace(s), true)
	case kFloat32, kFloat64:
		if !lenient {
			return malformed("column %s (%s) cannot hold the string %s: the Hive JSON SerDe takes numbers only", c.path, c.htype, quote(s))
		}
		v, err := strconv.ParseFloat(bstr(bytes.TrimSpace(s)), 64)
		if err != nil && !isRangeErr(err) {
			return malformed("column %s (%s) cannot hold %s: not a number", c.path, c.htype, quote(s))
		}
		c.appendFloat(v)
		return nil
	case kBool:
		switch {
		case lenient && bytes.EqualFold(s, []byte("true")):
			c.appendBool(true)
		case lenient && bytes.EqualFold(s, []byte("false")):
			c.appendBool(false)
		default:
			return malformed("column %s (%s) cannot hold the string %s", c.path, c.htype, quote(s))
		}
		return nil
	case kDecimal:
		return d.appendDecimal(c, bytes.TrimSpace(s))
	case kDate:
		days, ok := parseDate(s)
		if !ok {
			return malformed("column %s (%s) cannot hold %s: a date is yyyy-MM-dd", c.path, c.htype, quote(s))
		}
		c.appendInt(int64(days))
		return nil
	case kTimestamp:
		if d.flavor == openX {
			return d.appendOpenXTimestamp(c, s)
		}
		return d.appendHiveTimestamp(c, s)
	}
	return malformed("column %s (%s) cannot hold the string %s", c.path, c.htype, quote(s))
}

// appendBase64 decodes s (standard alphabet, padded or not) into c.
func (d *Decoder) appendBase64(c *column, s []byte) error {
	enc := base64.StdEncoding
	if len(s)%4 != 0 {
		enc = base64.RawStdEncoding
	}
	c.data.ensure(enc.DecodedLen(len(s)))
	n, err := enc.Decode(c.data.b[c.data.n:], s)
	if err != nil {
		return malformed("column %s (%s) cannot hold %s: binary values are base64", c.path, c.htype, quote(s))
	}
	c.data.n += n
	c.endBytes()
	return nil
}

// appendDecimal parses the decimal text exactly, rounds it half up to the
// column's scale (as Hive does) and stores it if it fits the precision.
func (d *Decoder) appendDecimal(c *column, text []byte) error {
	lo, hi, ok := d.parseDecimal(text, c.precision, c.scale)
	if !ok {
		if _, _, valid := d.parseDecimal(text, 38, 0); valid || looksDecimal(text) {
			return malformed("column %s (%s): %s does not fit decimal(%d,%d)", c.path, c.htype, quote(text), c.precision, c.scale)
		}
		return malformed("column %s (%s) cannot hold %s: not a decimal number", c.path, c.htype, quote(text))
	}
	c.appendDecimal(lo, hi)
	return nil
}

// looksDecimal reports whether s has the syntax of a decimal number.
func looksDecimal(s []byte) bool {
	_, _, _, _, ok := splitDecimal(s, nil)
	return ok
}

// splitDecimal splits decimal text into its sign, significant digits
// (appended to buf, no leading zeros) and the power of ten of the last digit.
func splitDecimal(s []byte, buf []byte) (neg bool, digits []byte, exp10 int, _ []byte, ok bool) {
	i := 0
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		neg = s[i] == '-'
		i++
	}
	digits = buf[:0]
	seen := false
	frac := 0
	inFrac := false
	for ; i < len(s); i++ {
		ch := s[i]
		if ch >= '0' && ch <= '9' {
			seen = true
			if inFrac {
				frac++
			}
			if ch != '0' || len(digits) > 0 {
				digits = append(digits, ch-'0')
			}
			continue
		}
		if ch == '.' && !inFrac {
			inFrac = true
			continue
		}
		break
	}
	if !seen {
		return false, nil, 0, digits, false
	}
	exp := 0
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		eneg := false
		if i < len(s) && (s[i] == '-' || s[i] == '+') {
			eneg = s[i] == '-'
			i++
		}
		j := i
		for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			if exp < 100000 {
				exp = exp*10 + int(s[i]-'0')
			}
		}
		if i == j {
			return false, nil, 0, digits, false
		}
		if eneg {
			exp = -exp
		}
	}
	if i != len(s) {
		return false, nil, 0, digits, false
	}
	return neg, digits, exp - frac, digits, true
}

// parseDecimal returns the unscaled value of text at the given scale as
// the two halves of a decimal128, or false if it is not a number or does
// not fit the precision.
func (d *Decoder) parseDecimal(text []byte, precision, scale int32) (uint64, int64, bool) {
	neg, digits, exp10, buf, ok := splitDecimal(text, d.numBuf)
	d.numBuf = buf
	if !ok {
		return 0, 0, false
	}
	shift := exp10 + int(scale) // unscaled = digits * 10^shift
	roundUp := false
	if shift < 0 {
		keep := len(digits) + shift
		if keep < 0 {
			digits = digits[:0]
		} else {
			roundUp = digits[keep] >= 5
			digits = digits[:keep]
		}
		shift = 0
	}
	if len(digits)+shift > int(precision) {
		return 0, 0, false
	}
	var n decimal128.Num
	var u uint64
	i := 0
	for ; i < len(digits) && i < 19; i++ {
		u = u*10 + uint64(digits[i])
	}
	n = decimal128.FromU64(u)
	ten := decimal128.FromU64(10)
	for ; i < len(digits); i++ {
		n = n.Mul(ten).Add(decimal128.FromU64(uint64(digits[i])))
	}
	for ; shift > 0; shift-- {
		n = n.Mul(ten)
	}
	if roundUp {
		n = n.Add(decimal128.FromU64(1))
	}
	if !n.FitsInPrecision(precision) {
		return 0, 0, false
	}
	if neg {
		n = n.Negate()
	}
	return n.LowBits(), n.HighBits(), true
}
