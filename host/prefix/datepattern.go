package prefix

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// DatePattern is a compiled java.time.DateTimeFormatter pattern, the value
// of a !{timestamp:PATTERN} expression. It is immutable and safe for
// concurrent use.
//
// Supported pattern letters, with Java's meaning and letter counts
// (English, Locale.US text):
//
//	G        era: AD (1-3), Anno Domini (4), A (5)
//	u        proleptic year: 2018; uu = 18
//	y        year of era: 2018; yy = 18
//	Y        week-based year (weeks start on Sunday, week 1 holds Jan 1)
//	Q q      quarter: 3, 03, Q3, 3rd quarter, 3
//	M L      month: 7, 07, Jul, July, J
//	w        week of week-based year: 27, 27
//	W        week of month: 1
//	D        day of year: 7, 07, 007
//	d        day of month: 6, 06
//	E        day name: Fri (1-3), Friday (4), F (5)
//	e c      localized day of week: 6 (Sunday = 1), Fri, Friday, F (cc is invalid)
//	a        AM or PM (one letter only)
//	H        hour 0-23     k  hour 1-24
//	h        hour 1-12     K  hour 0-11
//	m s      minute, second
//	S        fraction of second, 1 to 9 digits, truncated
//	n N A    nano of second, nano of day, milli of day
//	X x Z O  zone offset: X = Z for zero, x = +00, Z = +0000, O = GMT+8
//
// Text inside single quotes is literal, and two single quotes (”) are one
// quote, inside or outside quoted text. '[' and ']' mark optional sections, which are
// always printed when formatting, so they produce no output. Every other
// non-letter byte is copied as is, except '#', '{' and '}', which Java
// reserves. Any other ASCII letter is an error: Java rejects unknown
// letters, and V, v, z, F, B, g and p, which Java accepts, are not
// implemented.
type DatePattern struct {
	src string
	ops []dop
	// needWeek is set when an op needs the week-based fields.
	needWeek bool
}

type dopKind uint8

const (
	dLit           dopKind = iota // lit
	dYear                         // proleptic year, width, signed
	dYearOfEra                    // year of era, width
	dYear2                        // last two digits of the proleptic year
	dYearOfEra2                   // last two digits of the year of era
	dWeekYear                     // week-based year, width
	dWeekYear2                    // last two digits of the week-based year
	dEra                          // text
	dQuarter                      // number, width
	dQuarterText                  // text
	dMonth                        // number, width
	dMonthText                    // text
	dWeekOfYear                   // number, width
	dWeekOfMonth                  // number
	dDayOfYear                    // number, width
	dDay                          // number, width
	dDayText                      // text
	dDayNum                       // localized day of week number, width
	dAmPm                         // AM or PM
	dHour                         // 0-23, width
	dClockHour                    // 1-24, width
	dHourAmPm                     // 0-11, width
	dClockHourAmPm                // 1-12, width
	dMinute                       // width
	dSecond                       // width
	dFraction                     // width digits of the nanoseconds
	dNano                         // nano of second, width
	dNanoOfDay                    // width
	dMilliOfDay                   // width
	dOffset                       // pattern in width (offsetPattern), zero text in lit
	dOffsetGMT                    // GMT+8 (short) or GMT+08:00 (full)
)

// Text styles.
const (
	styleShort uint8 = iota
	styleFull
	styleNarrow
)

// Offset printing patterns, as java.time's OffsetIdPrinterParser names them.
const (
	offHHmm     uint8 = iota // +HHmm: hours, minutes if non-zero
	offHHMM                  // +HHMM
	offHHcMM                 // +HH:MM
	offHHMMss                // +HHMMss: seconds if non-zero
	offHHcMMcss              // +HH:MM:ss
)

// dop is one formatting operation.
type dop struct {
	kind  dopKind
	width uint8 // minimum width, fraction digits, text style or offset pattern
	lit   string
}

// PatternError reports a DateTimeFormatter pattern that cannot be compiled.
type PatternError struct {
	Pattern string // the whole pattern
	Pos     int    // byte offset in Pattern where the problem starts
	Msg     string // what is wrong
}

// Error implements error.
func (e *PatternError) Error() string {
	return fmt.Sprintf("timestamp pattern %q: %s at position %d", e.Pattern, e.Msg, e.Pos)
}

// CompileDatePattern compiles a java.time.DateTimeFormatter pattern such as
// "yyyy/MM/dd/HH/". It returns a *PatternError for letters Java rejects or
// this package does not implement, too many repeated letters, unterminated
// quoted text, a ']' without a '[' and the reserved characters '#', '{'
// and '}'. The empty pattern is valid and formats as "".
func CompileDatePattern(pattern string) (*DatePattern, error) {
	p := &DatePattern{src: pattern}
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			p.ops = append(p.ops, dop{kind: dLit, lit: lit.String()})
			lit.Reset()
		}
	}
	optional := 0
	for pos := 0; pos < len(pattern); {
		c := pattern[pos]
		switch {
		case isASCIILetter(c):
			start := pos
			for pos < len(pattern) && pattern[pos] == c {
				pos++
			}
			count := pos - start
			op, err := letterOp(c, count)
			if err != nil {
				return nil, &PatternError{Pattern: pattern, Pos: start, Msg: err.Error()}
			}
			if op.kind == dLit {
				lit.WriteString(op.lit)
				continue
			}
			flush()
			if op.kind == dWeekYear || op.kind == dWeekYear2 || op.kind == dWeekOfYear {
				p.needWeek = true
			}
			p.ops = append(p.ops, op)
		case c == '\'':
			start := pos
			pos++
			for ; pos < len(pattern); pos++ {
				if pattern[pos] == '\'' {
					if pos+1 < len(pattern) && pattern[pos+1] == '\'' {
						pos++
					} else {
						break
					}
				}
			}
			if pos >= len(pattern) {
				return nil, &PatternError{Pattern: pattern, Pos: start, Msg: "unterminated quoted text"}
			}
			s := pattern[start+1 : pos]
			if s == "" {
				lit.WriteByte('\'')
			} else {
				lit.WriteString(strings.ReplaceAll(s, "''", "'"))
			}
			pos++
		case c == '[':
			optional++
			pos++
		case c == ']':
			if optional == 0 {
				return nil, &PatternError{Pattern: pattern, Pos: pos, Msg: "']' without a matching '['"}
			}
			optional--
			pos++
		case c == '#' || c == '{' || c == '}':
			return nil, &PatternError{Pattern: pattern, Pos: pos, Msg: fmt.Sprintf("reserved character %q", c)}
		default:
			lit.WriteByte(c)
			pos++
		}
	}
	flush()
	return p, nil
}

func isASCIILetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// letterOp maps a run of count letters c to its operation, following
// java.time.format.DateTimeFormatterBuilder.parseField.
func letterOp(c byte, count int) (dop, error) {
	tooMany := func() (dop, error) {
		return dop{}, fmt.Errorf("too many pattern letters %q", strings.Repeat(string(c), count))
	}
	num := func(kind dopKind, max int) (dop, error) {
		if count > max {
			return tooMany()
		}
		return dop{kind: kind, width: uint8(count)}, nil
	}
	text := func(kind dopKind) (dop, error) {
		switch count {
		case 1, 2, 3:
			return dop{kind: kind, width: styleShort}, nil
		case 4:
			return dop{kind: kind, width: styleFull}, nil
		case 5:
			return dop{kind: kind, width: styleNarrow}, nil
		}
		return tooMany()
	}
	// numText is a field printed as a number for one or two letters and as
	// text for three to five.
	numText := func(n, t dopKind) (dop, error) {
		if count <= 2 {
			return dop{kind: n, width: uint8(count)}, nil
		}
		return text(t)
	}
	switch c {
	case 'G':
		return text(dEra)
	case 'u', 'y', 'Y':
		if count > 19 {
			return tooMany()
		}
		full, short := dYear, dYear2
		switch c {
		case 'y':
			full, short = dYearOfEra, dYearOfEra2
		case 'Y':
			full, short = dWeekYear, dWeekYear2
		}
		if count == 2 {
			return dop{kind: short}, nil
		}
		return dop{kind: full, width: uint8(count)}, nil
	case 'Q', 'q':
		return numText(dQuarter, dQuarterText)
	case 'M', 'L':
		return numText(dMonth, dMonthText)
	case 'w':
		return num(dWeekOfYear, 2)
	case 'W':
		return num(dWeekOfMonth, 1)
	case 'D':
		return num(dDayOfYear, 3)
	case 'd':
		return num(dDay, 2)
	case 'E':
		return text(dDayText)
	case 'e':
		return numText(dDayNum, dDayText)
	case 'c':
		if count == 2 {
			return dop{}, fmt.Errorf("invalid pattern %q", "cc")
		}
		return numText(dDayNum, dDayText)
	case 'a':
		return num(dAmPm, 1)
	case 'H':
		return num(dHour, 2)
	case 'k':
		return num(dClockHour, 2)
	case 'K':
		return num(dHourAmPm, 2)
	case 'h':
		return num(dClockHourAmPm, 2)
	case 'm':
		return num(dMinute, 2)
	case 's':
		return num(dSecond, 2)
	case 'S':
		return num(dFraction, 9)
	case 'n':
		return num(dNano, 19)
	case 'N':
		return num(dNanoOfDay, 19)
	case 'A':
		return num(dMilliOfDay, 19)
	case 'X', 'x':
		if count > 5 {
			return tooMany()
		}
		zero := "Z"
		if c == 'x' {
			zero = [...]string{"+00", "+0000", "+00:00", "+0000", "+00:00"}[count-1]
		}
		return dop{kind: dOffset, width: uint8(count - 1), lit: zero}, nil
	case 'Z':
		switch {
		case count <= 3:
			return dop{kind: dOffset, width: offHHMM, lit: "+0000"}, nil
		case count == 4:
			return dop{kind: dOffsetGMT, width: styleFull}, nil
		case count == 5:
			return dop{kind: dOffset, width: offHHcMMcss, lit: "Z"}, nil
		}
		return tooMany()
	case 'O':
		switch count {
		case 1:
			return dop{kind: dOffsetGMT, width: styleShort}, nil
		case 4:
			return dop{kind: dOffsetGMT, width: styleFull}, nil
		}
		return dop{}, fmt.Errorf("pattern letter count must be 1 or 4 for 'O', got %d", count)
	case 'V', 'v', 'z', 'F', 'B', 'g', 'p':
		return dop{}, fmt.Errorf("pattern letter %q is not supported", c)
	}
	return dop{}, fmt.Errorf("unknown pattern letter %q", c)
}

// String returns the pattern source.
func (p *DatePattern) String() string { return p.src }

// Format formats t, in its own location, with the pattern.
func (p *DatePattern) Format(t time.Time) string {
	var f timeFields
	f.set(t, p.needWeek)
	return string(p.appendFields(make([]byte, 0, len(p.src)+8), &f))
}

// AppendFormat is like Format but appends to b and returns the extended
// buffer.
func (p *DatePattern) AppendFormat(b []byte, t time.Time) []byte {
	var f timeFields
	f.set(t, p.needWeek)
	return p.appendFields(b, &f)
}

// timeFields is a time broken into the fields the ops print, computed once
// per evaluation so that every !{timestamp:...} of a prefix sees the same
// instant without recomputing it.
type timeFields struct {
	year, month, day     int
	hour, min, sec, nsec int
	yday                 int
	wday                 int // Sunday = 0
	offset               int // seconds east of UTC
	weekYear, weekOfYear int
	haveWeek             bool
}

func (f *timeFields) set(t time.Time, week bool) {
	y, m, d := t.Date()
	f.year, f.month, f.day = y, int(m), d
	f.hour, f.min, f.sec = t.Clock()
	f.nsec = t.Nanosecond()
	f.yday = t.YearDay()
	f.wday = int(t.Weekday())
	_, f.offset = t.Zone()
	if week {
		f.setWeek()
	}
}

// setWeek computes the week-based year and week of year with Locale.US
// week rules: weeks run Sunday to Saturday and week 1 is the week that
// holds January 1. A week belongs to the year of its Saturday.
func (f *timeFields) setWeek() {
	if f.haveWeek {
		return
	}
	f.haveWeek = true
	toSat := 6 - f.wday
	satYday := f.yday + toSat
	f.weekYear = f.year
	if n := daysIn(f.year); satYday > n {
		f.weekYear++
		satYday -= n
	}
	f.weekOfYear = (satYday-1)/7 + 1
}

func daysIn(year int) int {
	if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
		return 366
	}
	return 365
}

var (
	monthShort  = [...]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}
	monthFull   = [...]string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}
	dayShort    = [...]string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"}
	dayFull     = [...]string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}
	quarterFull = [...]string{"1st quarter", "2nd quarter", "3rd quarter", "4th quarter"}
)

func pickText(style uint8, short, full string) string {
	switch style {
	case styleFull:
		return full
	case styleNarrow:
		return full[:1]
	}
	return short
}

// appendFields runs the ops against precomputed fields.
func (p *DatePattern) appendFields(b []byte, f *timeFields) []byte {
	for i := range p.ops {
		op := &p.ops[i]
		w := int(op.width)
		switch op.kind {
		case dLit:
			b = append(b, op.lit...)
		case dYear:
			b = appendYear(b, int64(f.year), w)
		case dYearOfEra:
			b = appendYear(b, int64(yearOfEra(f.year)), w)
		case dYear2:
			b = appendPad(b, mod100(f.year), 2)
		case dYearOfEra2:
			b = appendPad(b, mod100(yearOfEra(f.year)), 2)
		case dWeekYear:
			f.setWeek()
			b = appendYear(b, int64(f.weekYear), w)
		case dWeekYear2:
			f.setWeek()
			b = appendPad(b, mod100(f.weekYear), 2)
		case dEra:
			if f.year > 0 {
				b = append(b, pickText(op.width, "AD", "Anno Domini")...)
			} else {
				b = append(b, pickText(op.width, "BC", "Before Christ")...)
			}
		case dQuarter:
			b = appendPad(b, (f.month-1)/3+1, w)
		case dQuarterText:
			q := (f.month - 1) / 3
			switch op.width {
			case styleFull:
				b = append(b, quarterFull[q]...)
			case styleNarrow:
				b = append(b, byte('1'+q))
			default:
				b = append(b, 'Q', byte('1'+q))
			}
		case dMonth:
			b = appendPad(b, f.month, w)
		case dMonthText:
			b = append(b, pickText(op.width, monthShort[f.month-1], monthFull[f.month-1])...)
		case dWeekOfYear:
			f.setWeek()
			b = appendPad(b, f.weekOfYear, w)
		case dWeekOfMonth:
			first := ((f.wday-(f.day-1))%7 + 7) % 7 // weekday of the 1st
			b = appendPad(b, (f.day-1+first)/7+1, 1)
		case dDayOfYear:
			b = appendPad(b, f.yday, w)
		case dDay:
			b = appendPad(b, f.day, w)
		case dDayText:
			b = append(b, pickText(op.width, dayShort[f.wday], dayFull[f.wday])...)
		case dDayNum:
			b = appendPad(b, f.wday+1, w)
		case dAmPm:
			if f.hour < 12 {
				b = append(b, "AM"...)
			} else {
				b = append(b, "PM"...)
			}
		case dHour:
			b = appendPad(b, f.hour, w)
		case dClockHour:
			h := f.hour
			if h == 0 {
				h = 24
			}
			b = appendPad(b, h, w)
		case dHourAmPm:
			b = appendPad(b, f.hour%12, w)
		case dClockHourAmPm:
			h := f.hour % 12
			if h == 0 {
				h = 12
			}
			b = appendPad(b, h, w)
		case dMinute:
			b = appendPad(b, f.min, w)
		case dSecond:
			b = appendPad(b, f.sec, w)
		case dFraction:
			var digits [9]byte
			n := f.nsec
			for j := 8; j >= 0; j-- {
				digits[j] = byte('0' + n%10)
				n /= 10
			}
			b = append(b, digits[:w]...)
		case dNano:
			b = appendPad64(b, int64(f.nsec), w)
		case dNanoOfDay:
			b = appendPad64(b, int64(f.hour*3600+f.min*60+f.sec)*1e9+int64(f.nsec), w)
		case dMilliOfDay:
			b = appendPad64(b, int64(f.hour*3600+f.min*60+f.sec)*1e3+int64(f.nsec/1e6), w)
		case dOffset:
			b = appendOffset(b, f.offset, op.width, op.lit)
		case dOffsetGMT:
			b = appendOffsetGMT(b, f.offset, op.width == styleFull)
		}
	}
	return b
}

func yearOfEra(y int) int {
	if y <= 0 {
		return 1 - y
	}
	return y
}

func mod100(v int) int {
	v %= 100
	if v < 0 {
		v = -v
	}
	return v
}

// appendYear prints a year the way java.time prints YEAR with a minimum
// width: zero-padded, '-' when negative, and for four or more letters
// (SignStyle.EXCEEDS_PAD) '+' when the year has more digits than letters.
func appendYear(b []byte, y int64, width int) []byte {
	if y < 0 {
		return appendPad64(append(b, '-'), -y, width)
	}
	if width >= 4 {
		digits := 1
		for v := y; v >= 10; v /= 10 {
			digits++
		}
		if digits > width {
			b = append(b, '+')
		}
	}
	return appendPad64(b, y, width)
}

// appendPad appends non-negative v in decimal, zero-padded to width.
func appendPad(b []byte, v, width int) []byte {
	if width <= 2 && v >= 0 && v < 100 {
		if v >= 10 || width == 2 {
			return append(b, byte('0'+v/10), byte('0'+v%10))
		}
		return append(b, byte('0'+v))
	}
	return appendPad64(b, int64(v), width)
}

func appendPad64(b []byte, v int64, width int) []byte {
	var buf [20]byte
	s := strconv.AppendInt(buf[:0], v, 10)
	for i := len(s); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, s...)
}

// appendOffset prints a zone offset with one of the +HH... patterns.
func appendOffset(b []byte, offset int, pattern uint8, zero string) []byte {
	if offset == 0 {
		return append(b, zero...)
	}
	sign := byte('+')
	if offset < 0 {
		sign, offset = '-', -offset
	}
	h, m, s := offset/3600, offset/60%60, offset%60
	b = appendPad(append(b, sign), h, 2)
	colon := pattern == offHHcMM || pattern == offHHcMMcss
	switch pattern {
	case offHHmm:
		if m != 0 || s != 0 {
			b = appendPad(b, m, 2)
		}
	case offHHMM, offHHcMM:
		if colon {
			b = append(b, ':')
		}
		b = appendPad(b, m, 2)
	case offHHMMss, offHHcMMcss:
		if colon {
			b = append(b, ':')
		}
		b = appendPad(b, m, 2)
		if s != 0 {
			if colon {
				b = append(b, ':')
			}
			b = appendPad(b, s, 2)
		}
	}
	return b
}

// appendOffsetGMT prints a localized offset: GMT, GMT+8, GMT+5:30 (short)
// or GMT+08:00 (full); seconds are added when non-zero.
func appendOffsetGMT(b []byte, offset int, full bool) []byte {
	b = append(b, "GMT"...)
	if offset == 0 {
		return b
	}
	sign := byte('+')
	if offset < 0 {
		sign, offset = '-', -offset
	}
	h, m, s := offset/3600, offset/60%60, offset%60
	b = append(b, sign)
	if full {
		b = append(appendPad(b, h, 2), ':')
		b = appendPad(b, m, 2)
	} else {
		b = appendPad(b, h, 1)
		if m == 0 && s == 0 {
			return b
		}
		b = append(b, ':')
		b = appendPad(b, m, 2)
	}
	if s != 0 {
		b = append(b, ':')
		b = appendPad(b, s, 2)
	}
	return b
}
