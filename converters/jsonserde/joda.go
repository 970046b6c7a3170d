package jsonserde

import (
	"bytes"
	"fmt"
)

// tsElem is one element of a compiled Joda-Time pattern: a field letter
// repeated count times, or a literal.
type tsElem struct {
	letter byte
	count  int
	lit    []byte
}

// tsFormat is a compiled Joda-Time pattern, as the Hive JSON SerDe's
// TimestampFormats take. Supported letters: y Y (year), M (month, numeric
// or text), d (day), H k (hour of day), h K (hour of half day), m, s,
// S (fraction of second, up to 9 digits), a (AM/PM), Z (offset: Z, +HH,
// +HHmm, +HH:mm), z (UTC, GMT or Z), E (day name, read and ignored), and
// literals: any other non-letter, and text in single quotes (” is a quote).
type tsFormat struct {
	pattern string
	elems   []tsElem
}

func (e tsElem) numeric() bool {
	switch e.letter {
	case 'y', 'Y', 'd', 'H', 'k', 'h', 'K', 'm', 's', 'S':
		return true
	case 'M':
		return e.count < 3
	}
	return false
}

func compileJoda(p string) (*tsFormat, error) {
	f := &tsFormat{pattern: p}
	for i := 0; i < len(p); {
		ch := p[i]
		switch {
		case ch == '\'':
			j := i + 1
			var lit []byte
			for {
				if j >= len(p) {
					return nil, fmt.Errorf("unterminated quote at offset %d", i)
				}
				if p[j] == '\'' {
					if j+1 < len(p) && p[j+1] == '\'' {
						lit = append(lit, '\'')
						j += 2
						continue
					}
					break
				}
				lit = append(lit, p[j])
				j++
			}
			if j == i+1 {
				lit = []byte{'\''}
			}
			f.addLit(lit)
			i = j + 1
		case ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z':
			j := i
			for j < len(p) && p[j] == ch {
				j++
			}
			switch ch {
			case 'y', 'Y', 'M', 'd', 'H', 'k', 'h', 'K', 'm', 's', 'S', 'a', 'Z', 'z', 'E':
			default:
				return nil, fmt.Errorf("pattern letter '%c' is not supported", ch)
			}
			f.elems = append(f.elems, tsElem{letter: ch, count: j - i})
			i = j
		default:
			f.addLit([]byte{ch})
			i++
		}
	}
	if len(f.elems) == 0 {
		return nil, fmt.Errorf("empty pattern")
	}
	return f, nil
}

func (f *tsFormat) addLit(b []byte) {
	if n := len(f.elems); n > 0 && f.elems[n-1].letter == 0 {
		f.elems[n-1].lit = append(f.elems[n-1].lit, b...)
		return
	}
	f.elems = append(f.elems, tsElem{lit: b})
}

var monthNames = [...]string{"january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"}
var dayNames = [...]string{"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}

// matchName matches a full or three-letter name from names at s[i:],
// ignoring case, and returns its index and the end.
func matchName(s []byte, i int, names []string) (int, int, bool) {
	for k, n := range names {
		if len(s)-i >= len(n) && bytes.EqualFold(s[i:i+len(n)], []byte(n)) {
			return k, i + len(n), true
		}
	}
	for k, n := range names {
		if len(s)-i >= 3 && bytes.EqualFold(s[i:i+3], []byte(n[:3])) {
			return k, i + 3, true
		}
	}
	return 0, i, false
}

// parse reads s with the pattern and returns nanoseconds since the epoch
// (UTC unless the text has an offset).
func (f *tsFormat) parse(s []byte) (int64, bool) {
	year, month, day := int64(1970), int64(1), int64(1)
	var hour, minute, sec, nanos, offset int64
	pm, half := -1, false
	i := 0
	for k, e := range f.elems {
		if e.letter == 0 {
			if !bytes.HasPrefix(s[i:], e.lit) {
				return 0, false
			}
			i += len(e.lit)
			continue
		}
		// A numeric field followed directly by another numeric field is
		// read at its fixed width, as Joda does.
		fixed := k+1 < len(f.elems) && f.elems[k+1].numeric() && e.numeric()
		maxDigits := max(e.count, 2)
		switch e.letter {
		case 'y', 'Y':
			maxDigits = 9
		case 'S':
			maxDigits = 9
		}
		minDigits := 1
		if fixed {
			minDigits, maxDigits = e.count, e.count
		}
		var ok bool
		var v int64
		start := i
		switch e.letter {
		case 'M':
			if e.count >= 3 {
				var m int
				if m, i, ok = matchName(s, i, monthNames[:]); !ok {
					return 0, false
				}
				month = int64(m + 1)
				continue
			}
			if month, i, ok = digits(s, i, minDigits, maxDigits); !ok {
				return 0, false
			}
			continue
		case 'E':
			if _, i, ok = matchName(s, i, dayNames[:]); !ok {
				return 0, false
			}
			continue
		case 'a':
			switch {
			case len(s)-i >= 2 && bytes.EqualFold(s[i:i+2], []byte("am")):
				pm = 0
			case len(s)-i >= 2 && bytes.EqualFold(s[i:i+2], []byte("pm")):
				pm = 1
			default:
				return 0, false
			}
			i += 2
			continue
		case 'Z':
			if offset, i, ok = parseOffset(s, i); !ok {
				return 0, false
			}
			continue
		case 'z':
			switch {
			case bytes.HasPrefix(s[i:], []byte("UTC")), bytes.HasPrefix(s[i:], []byte("GMT")):
				i += 3
			case bytes.HasPrefix(s[i:], []byte("Z")):
				i++
			default:
				return 0, false
			}
			continue
		}
		neg := false
		if (e.letter == 'y' || e.letter == 'Y') && i < len(s) && s[i] == '-' {
			neg = true
			i++
		}
		if v, i, ok = digits(s, i, minDigits, maxDigits); !ok {
			return 0, false
		}
		switch e.letter {
		case 'y', 'Y':
			if e.count == 2 && i-start == 2 {
				// Joda's two-digit years pivot on 2000: 1950 to 2049.
				v += 2000
				if v >= 2050 {
					v -= 100
				}
			}
			if neg {
				v = -v
			}
			year = v
		case 'd':
			day = v
		case 'H', 'k':
			hour = v
			if e.letter == 'k' && v == 24 {
				hour = 0
			}
		case 'h', 'K':
			hour, half = v, true
			if e.letter == 'h' && v == 12 {
				hour = 0
			}
		case 'm':
			minute = v
		case 's':
			sec = v
		case 'S':
			for n := i - start; n < 9; n++ {
				v *= 10
			}
			nanos = v
		}
	}
	if i != len(s) {
		return 0, false
	}
	if half {
		if hour > 11 {
			return 0, false
		}
		if pm == 1 {
			hour += 12
		}
	} else if pm == 1 && hour < 12 {
		hour += 12
	}
	if month < 1 || month > 12 || day < 1 || day > daysIn(year, month) || hour > 23 || minute > 59 || sec > 59 {
		return 0, false
	}
	return civilNanos(year, month, day, hour, minute, sec, nanos, offset)
}

// parseOffset reads Z, +HH, +HHmm or +HH:mm and returns seconds east of UTC.
func parseOffset(s []byte, i int) (int64, int, bool) {
	if i >= len(s) {
		return 0, i, false
	}
	if s[i] == 'Z' {
		return 0, i + 1, true
	}
	if s[i] != '+' && s[i] != '-' {
		return 0, i, false
	}
	sign := int64(1)
	if s[i] == '-' {
		sign = -1
	}
	h, j, ok := digits(s, i+1, 2, 2)
	if !ok || h > 23 {
		return 0, i, false
	}
	var m int64
	if j < len(s) && s[j] == ':' {
		if m, j, ok = digits(s, j+1, 2, 2); !ok {
			return 0, i, false
		}
	} else if j+1 < len(s) && s[j] >= '0' && s[j] <= '9' {
		if m, j, ok = digits(s, j, 2, 2); !ok {
			return 0, i, false
		}
	}
	if m > 59 {
		return 0, i, false
	}
	return sign * (h*3600 + m*60), j, true
}
