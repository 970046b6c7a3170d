package blueprint

// This file reproduces what new Date(s) does with the strings the Apache
// blueprint builds, in V8 (Node.js): its date parser (ES5 ISO strings, then
// the legacy parser, which accepts almost anything with a number in it),
// MakeDay/MakeTime, the local-time conversion (Lambda runs in UTC) and
// TimeClip. It is written from V8's documented algorithm
// (src/date/dateparser*.{h,cc}, builtins-date.cc) and checked against Node.

// dateToken is a token of V8's date tokenizer.
type dateToken struct {
	kind   tokenKind
	value  int // number value (first 9 digits), keyword value, or symbol
	length int // characters in the token
	kw     kwType
}

type tokenKind int

const (
	tokInvalid tokenKind = iota
	tokUnknown
	tokWhiteSpace
	tokNumber
	tokSymbol
	tokEnd
	tokKeyword
)

type kwType int

const (
	kwInvalid kwType = iota
	kwMonth
	kwZone
	kwTimeSep
	kwAMPM
)

// dateKeywords is V8's keyword table: a word matches when its first three
// letters (lower-cased, zero-padded) equal the entry's, and it is no longer
// than three letters unless it is a month name.
var dateKeywords = []struct {
	prefix string
	kw     kwType
	value  int
}{
	{"jan", kwMonth, 1}, {"feb", kwMonth, 2}, {"mar", kwMonth, 3}, {"apr", kwMonth, 4},
	{"may", kwMonth, 5}, {"jun", kwMonth, 6}, {"jul", kwMonth, 7}, {"aug", kwMonth, 8},
	{"sep", kwMonth, 9}, {"oct", kwMonth, 10}, {"nov", kwMonth, 11}, {"dec", kwMonth, 12},
	{"am\x00", kwAMPM, 0}, {"pm\x00", kwAMPM, 12},
	{"ut\x00", kwZone, 0}, {"utc", kwZone, 0}, {"z\x00\x00", kwZone, 0}, {"gmt", kwZone, 0},
	{"cdt", kwZone, -5}, {"cst", kwZone, -6}, {"edt", kwZone, -4}, {"est", kwZone, -5},
	{"mdt", kwZone, -6}, {"mst", kwZone, -7}, {"pdt", kwZone, -7}, {"pst", kwZone, -8},
	{"t\x00\x00", kwTimeSep, 0},
}

func (t dateToken) isSymbol(c byte) bool { return t.kind == tokSymbol && t.value == int(c) }
func (t dateToken) isSign() bool         { return t.isSymbol('+') || t.isSymbol('-') }
func (t dateToken) sign() int            { return 44 - t.value } // '+' → 1, '-' → -1
func (t dateToken) isFixedNumber(n int) bool {
	return t.kind == tokNumber && t.length == n
}
func (t dateToken) isKeywordZ() bool {
	return t.kind == tokKeyword && t.kw == kwZone && t.length == 1 && t.value == 0
}

// dateScanner is V8's DateStringTokenizer over a byte string.
type dateScanner struct {
	s    []byte
	pos  int
	next dateToken
}

func (sc *dateScanner) peek() dateToken { return sc.next }

func (sc *dateScanner) take() dateToken {
	t := sc.next
	sc.next = sc.scan()
	return t
}

func (sc *dateScanner) skipSymbol(c byte) bool {
	if sc.next.isSymbol(c) {
		sc.next = sc.scan()
		return true
	}
	return false
}

// ch returns the current character, 0 at the end (as V8's reader does).
func (sc *dateScanner) ch() byte {
	if sc.pos < len(sc.s) {
		return sc.s[sc.pos]
	}
	return 0
}

func (sc *dateScanner) scan() dateToken {
	start := sc.pos
	c := sc.ch()
	switch {
	case c == 0:
		return dateToken{kind: tokEnd}
	case isDigit(c):
		// Leading zeros are skipped; then at most nine significant digits
		// count, the rest are read and ignored. The length counts them all.
		for sc.ch() == '0' {
			sc.pos++
		}
		n := 0
		for i := 0; isDigit(sc.ch()); i++ {
			if i < 9 {
				n = n*10 + int(sc.ch()-'0')
			}
			sc.pos++
		}
		return dateToken{kind: tokNumber, value: n, length: sc.pos - start}
	case c == ':' || c == '-' || c == '+' || c == '.' || c == ')':
		sc.pos++
		return dateToken{kind: tokSymbol, value: int(c), length: 1}
	case c >= 'A':
		var pre [3]byte
		for sc.ch() >= 'A' {
			if k := sc.pos - start; k < 3 {
				pre[k] = sc.ch() | 0x20
			}
			sc.pos++
		}
		length := sc.pos - start
		for _, k := range dateKeywords {
			if pre[0] == k.prefix[0] && pre[1] == k.prefix[1] && pre[2] == k.prefix[2] && (length <= 3 || k.kw == kwMonth) {
				return dateToken{kind: tokKeyword, kw: k.kw, value: k.value, length: length}
			}
		}
		return dateToken{kind: tokKeyword, kw: kwInvalid, length: length}
	case c == ' ' || (c >= '\t' && c <= '\r'):
		sc.pos++
		return dateToken{kind: tokWhiteSpace, length: 1}
	case c == '(':
		balance := 0
		for {
			switch sc.ch() {
			case ')':
				balance--
			case '(':
				balance++
			}
			sc.pos++
			if balance <= 0 || sc.ch() == 0 {
				break
			}
		}
		return dateToken{kind: tokUnknown, length: 1}
	}
	sc.pos++
	return dateToken{kind: tokUnknown, length: 1}
}

const none = 1<<31 - 1 // V8's kNone

// dayComposer, timeComposer and zoneComposer collect the parts of a date
// as V8's composers do.
type dayComposer struct {
	comp       [3]int
	n          int
	namedMonth int
	iso        bool
}

func (d *dayComposer) add(v int) bool {
	if d.n < 3 {
		d.comp[d.n] = v
		d.n++
		return true
	}
	return false
}

func isMonth(x int) bool  { return x >= 1 && x <= 12 }
func isDay(x int) bool    { return x >= 1 && x <= 31 }
func isMinute(x int) bool { return x >= 0 && x <= 59 }
func isHour(x int) bool   { return x >= 0 && x <= 23 }

func (d *dayComposer) write() (year, month, day int, ok bool) {
	if d.n < 1 {
		return 0, 0, 0, false
	}
	for d.n < 3 {
		d.comp[d.n] = 1
		d.n++
	}
	month, day = none, none
	if d.namedMonth == none {
		if d.iso || (d.n == 3 && !isDay(d.comp[0])) {
			year, month, day = d.comp[0], d.comp[1], d.comp[2]
		} else {
			month, day, year = d.comp[0], d.comp[1], d.comp[2]
		}
	} else {
		month = d.namedMonth
		// n is 3 here, so V8's "index_ == 1" case (MD or DM) never applies.
		if !isDay(d.comp[0]) {
			year, day = d.comp[0], d.comp[1]
		} else {
			day, year = d.comp[0], d.comp[1]
		}
	}
	if !d.iso {
		if year >= 0 && year <= 49 {
			year += 2000
		} else if year >= 50 && year <= 99 {
			year += 1900
		}
	}
	return year, month, day, isMonth(month) && isDay(day)
}

type timeComposer struct {
	comp       [4]int
	n          int
	hourOffset int
}

func (t *timeComposer) empty() bool { return t.n == 0 }

func (t *timeComposer) expecting(v int) bool {
	return (t.n == 1 && isMinute(v)) || (t.n == 2 && isMinute(v)) || (t.n == 3 && v >= 0 && v <= 999)
}

func (t *timeComposer) add(v int) bool {
	if t.n < 4 {
		t.comp[t.n] = v
		t.n++
		return true
	}
	return false
}

func (t *timeComposer) addFinal(v int) bool {
	if !t.add(v) {
		return false
	}
	for t.n < 4 {
		t.comp[t.n] = 0
		t.n++
	}
	return true
}

func (t *timeComposer) write() (h, m, s, ms int, ok bool) {
	for t.n < 4 {
		t.comp[t.n] = 0
		t.n++
	}
	h, m, s, ms = t.comp[0], t.comp[1], t.comp[2], t.comp[3]
	if t.hourOffset != none {
		if h < 0 || h > 12 {
			return 0, 0, 0, 0, false
		}
		h = h%12 + t.hourOffset
	}
	if !isHour(h) || !isMinute(m) || !isMinute(s) || ms < 0 || ms > 999 {
		if h != 24 || m != 0 || s != 0 || ms != 0 {
			return 0, 0, 0, 0, false
		}
	}
	return h, m, s, ms, true
}

type zoneComposer struct{ sign, hour, minute int }

func (z *zoneComposer) set(hours int) {
	z.sign = 1
	if hours < 0 {
		z.sign = -1
	}
	z.hour, z.minute = hours*z.sign, 0
}
func (z *zoneComposer) expecting(v int) bool {
	return z.hour != none && z.minute == none && isMinute(v)
}
func (z *zoneComposer) isUTC() bool { return z.hour == 0 && z.minute == 0 }
func (z *zoneComposer) empty() bool { return z.hour == none }

// write returns the offset in seconds, or has == false for local time.
func (z *zoneComposer) write() (offset int, has, ok bool) {
	if z.sign == none {
		return 0, false, true
	}
	h, m := z.hour, z.minute
	if h == none {
		h = 0
	}
	if m == none {
		m = 0
	}
	// Unsigned 32-bit arithmetic, as V8 does it, against the Smi maximum
	// (31 bits: Node does not compress pointers).
	total := uint32(h)*3600 + uint32(m)*60
	if total > 1<<31-1 {
		return 0, false, false
	}
	offset = int(total)
	if z.sign < 0 {
		offset = -offset
	}
	return offset, true, true
}

// readMilliseconds keeps the first three significant digits of a numeral.
func readMilliseconds(t dateToken) int {
	n, l := t.value, t.length
	switch {
	case l == 1:
		return n * 100
	case l == 2:
		return n * 10
	case l > 3:
		if l > 9 {
			l = 9
		}
		for ; l > 3; l-- {
			n /= 10
		}
	}
	return n
}

// parseES5 is V8's ParseES5DateTime: it reads as much of an ISO date as it
// can and returns the first token it did not use (tokEnd when the whole
// string was an ISO date, tokInvalid when it cannot be a date at all).
func parseES5(sc *dateScanner, day *dayComposer, tm *timeComposer, tz *zoneComposer) dateToken {
	if sc.peek().isSign() {
		signTok := sc.take()
		if !sc.peek().isFixedNumber(6) {
			return signTok
		}
		year := sc.take().value
		if signTok.sign() < 0 && year == 0 {
			return signTok
		}
		day.add(signTok.sign() * year)
	} else if sc.peek().isFixedNumber(4) {
		day.add(sc.take().value)
	} else {
		return sc.take()
	}
	if sc.skipSymbol('-') {
		if !sc.peek().isFixedNumber(2) || !isMonth(sc.peek().value) {
			return sc.take()
		}
		day.add(sc.take().value)
		if sc.skipSymbol('-') {
			if !sc.peek().isFixedNumber(2) || !isDay(sc.peek().value) {
				return sc.take()
			}
			day.add(sc.take().value)
		}
	}
	if p := sc.peek(); !(p.kind == tokKeyword && p.kw == kwTimeSep) {
		if p.kind != tokEnd {
			return sc.take()
		}
	} else {
		sc.take()
		if !sc.peek().isFixedNumber(2) || sc.peek().value > 24 {
			return dateToken{kind: tokInvalid}
		}
		h24 := sc.peek().value == 24
		tm.add(sc.take().value)
		if !sc.skipSymbol(':') {
			return dateToken{kind: tokInvalid}
		}
		if !sc.peek().isFixedNumber(2) || !isMinute(sc.peek().value) || (h24 && sc.peek().value > 0) {
			return dateToken{kind: tokInvalid}
		}
		tm.add(sc.take().value)
		if sc.skipSymbol(':') {
			if !sc.peek().isFixedNumber(2) || !isMinute(sc.peek().value) || (h24 && sc.peek().value > 0) {
				return dateToken{kind: tokInvalid}
			}
			tm.add(sc.take().value)
			if sc.skipSymbol('.') {
				if sc.peek().kind != tokNumber || (h24 && sc.peek().value > 0) {
					return dateToken{kind: tokInvalid}
				}
				tm.add(readMilliseconds(sc.take()))
			}
		}
		if sc.peek().isKeywordZ() {
			sc.take()
			tz.set(0)
		} else if sc.peek().isSign() {
			tz.sign = sc.take().sign()
			if sc.peek().isFixedNumber(4) {
				hm := sc.take().value
				if !isHour(hm/100) || !isMinute(hm%100) {
					return dateToken{kind: tokInvalid}
				}
				tz.hour, tz.minute = hm/100, hm%100
			} else {
				if !sc.peek().isFixedNumber(2) || !isHour(sc.peek().value) {
					return dateToken{kind: tokInvalid}
				}
				tz.hour = sc.take().value
				if !sc.skipSymbol(':') {
					return dateToken{kind: tokInvalid}
				}
				if !sc.peek().isFixedNumber(2) || !isMinute(sc.peek().value) {
					return dateToken{kind: tokInvalid}
				}
				tz.minute = sc.take().value
			}
		}
		if sc.peek().kind != tokEnd {
			return dateToken{kind: tokInvalid}
		}
	}
	if tz.empty() && tm.empty() {
		tz.set(0)
	}
	day.iso = true
	return dateToken{kind: tokEnd}
}

// v8Date returns new Date(s) in a process whose local zone is UTC, in
// milliseconds since the epoch, or false for an Invalid Date (on which
// toISOString throws).
func v8Date(s []byte) (int64, bool) {
	sc := &dateScanner{s: s}
	sc.next = sc.scan()
	day := dayComposer{namedMonth: none}
	tm := timeComposer{hourOffset: none}
	tz := zoneComposer{sign: none, hour: none, minute: none}
	tok := parseES5(sc, &day, &tm, &tz)
	if tok.kind == tokInvalid {
		return 0, false
	}
	hasNumber := day.n > 0
	for ; tok.kind != tokEnd; tok = sc.take() {
		switch {
		case tok.kind == tokNumber:
			hasNumber = true
			n := tok.value
			switch {
			case sc.skipSymbol(':'):
				if sc.skipSymbol(':') {
					if !tm.empty() {
						return 0, false
					}
					tm.add(n)
					tm.add(0)
				} else {
					if !tm.add(n) {
						return 0, false
					}
					if sc.peek().isSymbol('.') {
						sc.take()
					}
				}
			case sc.skipSymbol('.') && tm.expecting(n): // V8 consumes the '.' either way
				tm.add(n)
				if sc.peek().kind != tokNumber {
					return 0, false
				}
				ms := readMilliseconds(sc.take())
				if ms < 0 {
					return 0, false
				}
				tm.addFinal(ms)
			case tz.expecting(n):
				tz.minute = n
			case tm.expecting(n):
				tm.addFinal(n)
				if p := sc.peek(); p.kind != tokEnd && p.kind != tokWhiteSpace && !p.isKeywordZ() && !p.isSign() {
					return 0, false
				}
			default:
				if !day.add(n) {
					return 0, false
				}
				sc.skipSymbol('-')
			}
		case tok.kind == tokKeyword:
			switch {
			case tok.kw == kwAMPM && !tm.empty():
				tm.hourOffset = tok.value
			case tok.kw == kwMonth:
				day.namedMonth = tok.value
				sc.skipSymbol('-')
			case tok.kw == kwZone && hasNumber:
				tz.set(tok.value)
			default:
				if hasNumber || sc.peek().kind == tokNumber {
					return 0, false
				}
			}
		case tok.isSign() && (tz.isUTC() || !tm.empty()):
			tz.sign = tok.sign()
			n, length := 0, 0
			if sc.peek().kind == tokNumber {
				t := sc.take()
				n, length = t.value, t.length
			}
			hasNumber = true
			switch {
			case sc.peek().isSymbol(':'):
				tz.hour, tz.minute = n, none
			case length == 1 || length == 2:
				tz.hour, tz.minute = n, 0
			case length == 3 || length == 4:
				tz.hour, tz.minute = n/100, n%100
			default:
				return 0, false
			}
		case (tok.isSign() || tok.isSymbol(')')) && hasNumber:
			return 0, false
		}
	}
	year, month, dd, ok := day.write()
	if !ok {
		return 0, false
	}
	h, m, sec, ms, ok := tm.write()
	if !ok {
		return 0, false
	}
	offset, hasOffset, ok := tz.write()
	if !ok {
		return 0, false
	}
	// MakeDay (years beyond ±1,000,000 are NaN), MakeTime, MakeDate; a
	// string without a zone is local time, which is UTC in Lambda; then
	// TimeClip to ±8.64e15 ms.
	if year < -1000000 || year > 1000000 {
		return 0, false
	}
	days := daysFromCivil(year, month, 1) + int64(dd) - 1
	t := days*86400000 + int64(h)*3600000 + int64(m)*60000 + int64(sec)*1000 + int64(ms)
	if hasOffset {
		t -= int64(offset) * 1000
	}
	if t < -8.64e15 || t > 8.64e15 {
		return 0, false
	}
	return t, true
}
