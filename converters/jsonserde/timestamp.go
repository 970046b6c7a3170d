package jsonserde

import (
	"bytes"
	"math"
	"strconv"
)

const (
	secondsPerDay = 86400
	nanosPerSec   = 1_000_000_000
	nanosPerMilli = 1_000_000
)

// daysFromCivil returns the days since 1970-01-01 of a proleptic
// Gregorian date (Howard Hinnant's algorithm).
func daysFromCivil(y, m, d int64) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era = (y - 399) / 400
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

func daysIn(y, m int64) int64 {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// digits reads between min and max decimal digits at s[i:].
func digits(s []byte, i, min, max int) (v int64, next int, ok bool) {
	j := i
	for j < len(s) && j-i < max && s[j] >= '0' && s[j] <= '9' {
		v = v*10 + int64(s[j]-'0')
		j++
	}
	return v, j, j-i >= min
}

// parseYMD reads yyyy-M-d at s[0:] and returns the date and where it ends.
func parseYMD(s []byte) (y, m, d int64, i int, ok bool) {
	if y, i, ok = digits(s, 0, 4, 4); !ok || i >= len(s) || s[i] != '-' {
		return 0, 0, 0, 0, false
	}
	if m, i, ok = digits(s, i+1, 1, 2); !ok || i >= len(s) || s[i] != '-' {
		return 0, 0, 0, 0, false
	}
	if d, i, ok = digits(s, i+1, 1, 2); !ok {
		return 0, 0, 0, 0, false
	}
	if m < 1 || m > 12 || d < 1 || d > daysIn(y, m) {
		return 0, 0, 0, 0, false
	}
	return y, m, d, i, true
}

// parseDate reads a date yyyy-M-d and returns days since the epoch.
func parseDate(s []byte) (int32, bool) {
	y, m, d, i, ok := parseYMD(s)
	if !ok || i != len(s) {
		return 0, false
	}
	return int32(daysFromCivil(y, m, d)), true
}

// civilNanos combines a date, a time of day and nanoseconds into
// nanoseconds since the epoch, or false if it leaves int64's range
// (years 1677 to 2262).
func civilNanos(y, mo, d, h, mi, s, ns, offsetSec int64) (int64, bool) {
	secs := daysFromCivil(y, mo, d)*secondsPerDay + h*3600 + mi*60 + s - offsetSec
	if secs > math.MaxInt64/nanosPerSec-1 || secs < math.MinInt64/nanosPerSec+1 {
		return 0, false
	}
	return secs*nanosPerSec + ns, true
}

// parseDateTime reads java.sql.Timestamp.valueOf's form
// yyyy-[M]M-[d]d [H]H:[m]m:[s]s[.f…] (up to 9 fraction digits). OpenX also
// takes a 'T' between date and time and a trailing 'Z'.
func parseDateTime(s []byte, openx bool) (int64, bool) {
	y, mo, d, i, ok := parseYMD(s)
	if !ok || i >= len(s) || !(s[i] == ' ' || openx && s[i] == 'T') {
		return 0, false
	}
	var h, mi, sec, frac int64
	if h, i, ok = digits(s, i+1, 1, 2); !ok || i >= len(s) || s[i] != ':' {
		return 0, false
	}
	if mi, i, ok = digits(s, i+1, 1, 2); !ok || i >= len(s) || s[i] != ':' {
		return 0, false
	}
	if sec, i, ok = digits(s, i+1, 1, 2); !ok {
		return 0, false
	}
	if i < len(s) && s[i] == '.' {
		j := i + 1
		if frac, i, ok = digits(s, j, 1, 9); !ok {
			return 0, false
		}
		for k := i - j; k < 9; k++ {
			frac *= 10
		}
	}
	if openx && i < len(s) && s[i] == 'Z' {
		i++
	}
	if i != len(s) || h > 23 || mi > 59 || sec > 59 {
		return 0, false
	}
	return civilNanos(y, mo, d, h, mi, sec, frac, 0)
}

// appendOpenXTimestamp applies the OpenX SerDe's rules to s, the text of a
// JSON string or number: with a ':' it is a date and time; with a '.' it is
// fractional epoch seconds (kept to the millisecond, as OpenX does); else
// an integer of 13 or more characters is epoch milliseconds, and a shorter
// one epoch seconds.
func (d *Decoder) appendOpenXTimestamp(c *column, s []byte) error {
	s = bytes.TrimSpace(s)
	var ns int64
	ok := false
	switch {
	case bytes.IndexByte(s, ':') > 0:
		ns, ok = parseDateTime(s, true)
	case bytes.IndexByte(s, '.') >= 0:
		f, err := strconv.ParseFloat(bstr(s), 64)
		if err == nil && !math.IsNaN(f) && math.Abs(f) < math.MaxInt64/nanosPerSec {
			ns, ok = int64(f*1000)*nanosPerMilli, true
		}
	default:
		var v int64
		if v, ok = parseInt(s); ok {
			if len(s) >= 13 {
				ok = v <= math.MaxInt64/nanosPerMilli && v >= math.MinInt64/nanosPerMilli
				ns = v * nanosPerMilli
			} else {
				ok = v <= math.MaxInt64/nanosPerSec && v >= math.MinInt64/nanosPerSec
				ns = v * nanosPerSec
			}
		}
	}
	if !ok {
		return malformed("column %s (timestamp) cannot hold %s: expected yyyy-MM-dd HH:mm:ss[.fff], yyyy-MM-ddTHH:mm:ss[.fff]Z or epoch seconds or milliseconds", c.path, quote(s))
	}
	c.appendInt(ns)
	return nil
}

// appendHiveTimestamp tries the TimestampFormats in order, then epoch
// milliseconds if "millis" is among them, then Timestamp.valueOf's form.
func (d *Decoder) appendHiveTimestamp(c *column, s []byte) error {
	for _, f := range d.formats {
		if ns, ok := f.parse(s); ok {
			c.appendInt(ns)
			return nil
		}
	}
	if d.millis {
		if v, ok := parseInt(s); ok && v <= math.MaxInt64/nanosPerMilli && v >= math.MinInt64/nanosPerMilli {
			c.appendInt(v * nanosPerMilli)
			return nil
		}
	}
	if ns, ok := parseDateTime(s, false); ok {
		c.appendInt(ns)
		return nil
	}
	return malformed("column %s (timestamp) cannot hold %s: it matches none of the timestamp formats nor yyyy-MM-dd HH:mm:ss[.fffffffff]", c.path, quote(s))
}
