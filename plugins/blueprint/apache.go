package blueprint

import "bytes"

// apacheLine holds the parts of an Apache access-log line, as the
// blueprints' regular expression
//
//	^([\d.]+) (\S+) (\S+) \[([\w:/]+)(\s[\+\-]\d{4}){0,1}\] "(.+?)" (\d{3}) (\d+)
//
// captures them, plus the combined format's referer and agent. Every slice
// aliases the line.
type apacheLine struct {
	host, ident, authuser []byte
	time                  []byte // dd/Mon/yyyy:HH:mm:ss, group 4
	zone                  []byte // the whitespace character and ±hhmm, group 5; nil if absent
	request               []byte
	status, bytes         []byte
	combined              bool
	referer, agent        []byte // raw text between the quotes, escapes kept
}

// parseApache matches s (valid UTF-8) against the blueprints' expression,
// with JavaScript's semantics (see apacheLine), and then looks for the
// combined format's ` "referer" "agent"` right after the byte count.
func parseApache(s []byte) (l apacheLine, ok bool) {
	// ([\d.]+) and a space
	i := 0
	for i < len(s) && (isDigit(s[i]) || s[i] == '.') {
		i++
	}
	if i == 0 || i >= len(s) || s[i] != ' ' {
		return l, false
	}
	l.host = s[:i]
	i++
	// (\S+) (\S+) \[
	n := nonSpaceRun(s, i)
	if n == 0 || i+n >= len(s) || s[i+n] != ' ' {
		return l, false
	}
	l.ident = s[i : i+n]
	i += n + 1
	n = nonSpaceRun(s, i)
	if n == 0 || i+n+1 >= len(s) || s[i+n] != ' ' || s[i+n+1] != '[' {
		return l, false
	}
	l.authuser = s[i : i+n]
	i += n + 2
	// ([\w:/]+)(\s[\+\-]\d{4}){0,1}\]
	j := i
	for j < len(s) && (isWord(s[j]) || s[j] == ':' || s[j] == '/') {
		j++
	}
	if j == i || j >= len(s) {
		return l, false
	}
	l.time = s[i:j]
	i = j
	if s[i] != ']' {
		r, n := runeAt(s, i)
		if !isJSSpace(r) || i+n+5 >= len(s) || (s[i+n] != '+' && s[i+n] != '-') ||
			digitRun(s[:i+n+5], i+n+1) != 4 || s[i+n+5] != ']' {
			return l, false
		}
		l.zone = s[i : i+n+5]
		i += n + 5
	}
	// ] "
	if i+2 >= len(s) || s[i+1] != ' ' || s[i+2] != '"' {
		return l, false
	}
	i += 3
	// "(.+?)" (\d{3}) (\d+): the shortest request of at least one character
	// (no line terminators) that the rest follows. Only a quote can end it,
	// so the scan jumps from quote to quote, then checks that no line
	// terminator comes before the one that does.
	start := i
	if i >= len(s) {
		return l, false
	}
	r, n := runeAt(s, i)
	if isLineTerminator(r) {
		return l, false
	}
	for i += n; i < len(s); i++ {
		q := indexAny4(s[i:], '"', '\n', '\r', 0xE2)
		if q < 0 {
			return l, false
		}
		i += q
		switch s[i] {
		case '"':
			if k, ok := apacheTail(s, i); ok {
				l.request = s[start:i]
				l.status = s[i+2 : i+5]
				l.bytes = s[i+6 : k]
				l.referer, l.agent, l.combined = combinedTail(s, k)
				return l, true
			}
		case 0xE2:
			if i+2 < len(s) && s[i+1] == 0x80 && (s[i+2] == 0xA8 || s[i+2] == 0xA9) { // U+2028, U+2029
				return l, false
			}
		default:
			return l, false
		}
	}
	return l, false
}

// apacheTail matches `" ddd d+` at s[i] and returns the end of the digits.
func apacheTail(s []byte, i int) (int, bool) {
	if i+7 > len(s) || s[i] != '"' || s[i+1] != ' ' || !isDigit(s[i+2]) || !isDigit(s[i+3]) ||
		!isDigit(s[i+4]) || s[i+5] != ' ' || !isDigit(s[i+6]) {
		return 0, false
	}
	return i + 6 + digitRun(s, i+6), true
}

// combinedTail matches ` "referer" "agent"` at s[i], the combined format's
// %{Referer}i and %{User-agent}i. A quoted field ends at the first quote
// not escaped by a backslash (Apache writes " as \"), and holds no line
// terminator.
func combinedTail(s []byte, i int) (referer, agent []byte, ok bool) {
	quoted := func(i int) ([]byte, int, bool) {
		if i+1 >= len(s) || s[i] != ' ' || s[i+1] != '"' {
			return nil, 0, false
		}
		start := i + 2
		for j := start; j < len(s); j++ {
			k := indexAny4(s[j:], '"', '\\', '\n', '\r')
			if k < 0 {
				return nil, 0, false
			}
			j += k
			switch s[j] {
			case '\\':
				j++
			case '"':
				return s[start:j], j + 1, true
			default:
				return nil, 0, false
			}
		}
		return nil, 0, false
	}
	referer, i, ok = quoted(i)
	if !ok {
		return nil, nil, false
	}
	agent, _, ok = quoted(i)
	if !ok {
		return nil, nil, false
	}
	return referer, agent, true
}

// apacheDate returns, in milliseconds since the epoch, what the blueprint's
// new Date() gives for the log time t (group 4), and with zone (±hhmm) the
// time in UTC: it rewrites t as "dd Mon yyyy HH:mm:ss" (every "/" and the
// first ":" become spaces), appends " ±hhmm" if given, and parses that as
// V8 does in a process whose zone is UTC. false is an Invalid Date.
//
// Apache's own layout, dd/Mon/yyyy:HH:mm:ss with a valid date and time,
// takes a fast path; everything else goes through v8Date, the complete
// parser. The fast path gives what v8Date gives (FuzzApacheDate checks it).
func apacheDate(t, zone []byte) (int64, bool) {
	if ms, ok := apacheDateFast(t, zone); ok {
		return ms, true
	}
	return apacheDateV8(t, zone)
}

// apacheDateV8 is apacheDate through the complete V8 parser.
func apacheDateV8(t, zone []byte) (int64, bool) {
	var buf [64]byte
	b := append(buf[:0], t...)
	colon := false
	for i, c := range b {
		switch {
		case c == '/':
			b[i] = ' '
		case c == ':' && !colon:
			b[i], colon = ' ', true
		}
	}
	if zone != nil {
		b = append(append(b, ' '), zone...)
	}
	return v8Date(b)
}

// apacheDateFast handles dd/Mon/yyyy:HH:mm:ss (month name in any case) with
// day 1..31, hour 0..23, minute and second 0..59, and a ±hhmm zone or none,
// as V8 reads them: years 0..49 are 2000..2049 and 50..99 are 1950..1999, a
// day past the month's end rolls over, the zone's hh and mm are not
// range-checked. It reports false for anything else.
func apacheDateFast(t, zone []byte) (int64, bool) {
	if len(t) != 20 || t[2] != '/' || t[6] != '/' || t[11] != ':' || t[14] != ':' || t[17] != ':' {
		return 0, false
	}
	d2 := func(i int) (int, bool) {
		if !isDigit(t[i]) || !isDigit(t[i+1]) {
			return 0, false
		}
		return int(t[i]-'0')*10 + int(t[i+1]-'0'), true
	}
	day, ok1 := d2(0)
	yh, ok2 := d2(7)
	yl, ok3 := d2(9)
	hour, ok4 := d2(12)
	minute, ok5 := d2(15)
	sec, ok6 := d2(18)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || day < 1 || day > 31 || hour > 23 || minute > 59 || sec > 59 {
		return 0, false
	}
	month := monthNumber(t[3], t[4], t[5])
	if month == 0 {
		return 0, false
	}
	year := yh*100 + yl
	switch {
	case year <= 49:
		year += 2000
	case year <= 99:
		year += 1900
	}
	ms := (daysFromCivil(year, month, 1)+int64(day-1))*86400000 + int64(hour*3600+minute*60+sec)*1000
	if zone != nil {
		if len(zone) != 5 || (zone[0] != '+' && zone[0] != '-') || digitRun(zone, 1) != 4 {
			return 0, false
		}
		off := int64((int(zone[1]-'0')*10+int(zone[2]-'0'))*3600+(int(zone[3]-'0')*10+int(zone[4]-'0'))*60) * 1000
		if zone[0] == '-' {
			off = -off
		}
		ms -= off
	}
	return ms, true
}

// monthNames are the month names V8 recognises by their first three
// letters.
var monthNames = [12][3]byte{{'j', 'a', 'n'}, {'f', 'e', 'b'}, {'m', 'a', 'r'}, {'a', 'p', 'r'}, {'m', 'a', 'y'}, {'j', 'u', 'n'},
	{'j', 'u', 'l'}, {'a', 'u', 'g'}, {'s', 'e', 'p'}, {'o', 'c', 't'}, {'n', 'o', 'v'}, {'d', 'e', 'c'}}

// monthNumber returns 1..12 for a three-letter month name in any case, or 0.
func monthNumber(a, b, c byte) int {
	for i, m := range monthNames {
		if a|0x20 == m[0] && b|0x20 == m[1] && c|0x20 == m[2] {
			return i + 1
		}
	}
	return 0
}

// daysFromCivil returns the days from 1970-01-01 to y-m-d (proleptic
// Gregorian; m 1..12, d counted from 1 and may exceed the month).
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era)*146097 + int64(doe) - 719468
}

// civilFromDays is the inverse of daysFromCivil.
func civilFromDays(z int64) (y, m, d int) {
	z += 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era--
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = int(doy - (153*mp+2)/5 + 1)
	m = int(mp + 3)
	if m > 12 {
		m -= 12
	}
	y = int(yoe + era*400)
	if m <= 2 {
		y++
	}
	return y, m, d
}

// appendISOTime appends the time ms (milliseconds since the epoch, within
// JavaScript's range) as Date.prototype.toISOString writes it.
func appendISOTime(dst []byte, ms int64) []byte {
	days, rem := ms/86400000, ms%86400000
	if rem < 0 {
		days--
		rem += 86400000
	}
	y, m, d := civilFromDays(days)
	switch {
	case y >= 0 && y <= 9999:
		dst = append(dst, byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10))
	default:
		sign := byte('+')
		if y < 0 {
			sign, y = '-', -y
		}
		dst = append(dst, sign, byte('0'+y/100000), byte('0'+y/10000%10), byte('0'+y/1000%10),
			byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10))
	}
	t := int(rem)
	h, mi, sec, milli := t/3600000, t/60000%60, t/1000%60, t%1000
	return append(dst, '-', byte('0'+m/10), byte('0'+m%10), '-', byte('0'+d/10), byte('0'+d%10),
		'T', byte('0'+h/10), byte('0'+h%10), ':', byte('0'+mi/10), byte('0'+mi%10), ':', byte('0'+sec/10), byte('0'+sec%10),
		'.', byte('0'+milli/100), byte('0'+milli/10%10), byte('0'+milli%10), 'Z')
}

// apacheToJSON is the apachelog-to-json blueprint, plus the combined
// format's referer and agent (unless combined is false).
func apacheToJSON(combined bool) appendFunc {
	return func(dst, data []byte) ([]byte, Status, string) {
		l, ok := parseApache(text(data))
		if !ok {
			return dst, StatusProcessingFailed, "apachelog-to-json: the record is not an Apache access log line"
		}
		dst = append(dst, `{"host":`...)
		dst = appendJSONString(dst, l.host)
		dst = append(dst, `,"ident":`...)
		dst = appendJSONString(dst, l.ident)
		dst = append(dst, `,"authuser":`...)
		dst = appendJSONString(dst, l.authuser)
		dst = append(dst, `,"request":`...)
		dst = appendJSONString(dst, l.request)
		dst = append(dst, `,"response":`...)
		dst = appendJSNumber(dst, l.status)
		dst = append(dst, `,"bytes":`...)
		dst = appendJSNumber(dst, l.bytes)
		if k := bytes.IndexByte(l.request, ' '); k >= 0 { // request.split(' ').length > 1
			dst = append(dst, `,"verb":`...)
			dst = appendJSONString(dst, l.request[:k])
		}
		dst = append(dst, `,"@timestamp":`...)
		if ms, ok := apacheDate(l.time, nil); ok {
			dst = appendISOTime(append(dst, '"'), ms)
			dst = append(dst, '"')
		} else {
			dst = appendJSONString(dst, l.time)
		}
		if l.zone != nil {
			z := l.zone[len(l.zone)-5:] // trim(): drop the whitespace character
			dst = append(dst, `,"timezone":`...)
			dst = appendJSONString(dst, z)
			if ms, ok := apacheDate(l.time, z); ok {
				dst = append(dst, `,"@timestamp_utc":"`...)
				dst = appendISOTime(dst, ms)
				dst = append(dst, '"')
			}
		}
		if combined && l.combined {
			dst = append(dst, `,"referer":`...)
			dst = appendJSONString(dst, l.referer)
			dst = append(dst, `,"agent":`...)
			dst = appendJSONString(dst, l.agent)
		}
		return append(dst, '}'), StatusOk, ""
	}
}

// apacheToCSV is the apachelog-to-csv blueprint, whose expression requires
// the zone: host,ident,authuser,time zone,request,status,bytes and "\n",
// unquoted. With combined, two more columns, referer and agent, quoted as
// RFC 4180 requires and empty for a line without them.
func apacheToCSV(combined bool) appendFunc {
	return func(dst, data []byte) ([]byte, Status, string) {
		l, ok := parseApache(text(data))
		if !ok || l.zone == nil {
			return dst, StatusProcessingFailed, "apachelog-to-csv: the record is not an Apache access log line with a time zone"
		}
		for _, f := range [][]byte{l.host, l.ident, l.authuser} {
			dst = append(append(dst, f...), ',')
		}
		dst = append(append(dst, l.time...), l.zone...)
		for _, f := range [][]byte{l.request, l.status, l.bytes} {
			dst = append(append(dst, ','), f...)
		}
		if combined {
			dst = appendCSVField(append(dst, ','), l.referer)
			dst = appendCSVField(append(dst, ','), l.agent)
		}
		return append(dst, '\n'), StatusOk, ""
	}
}

// appendCSVField appends f, quoted (RFC 4180) if it holds a comma, a quote
// or a line break.
func appendCSVField(dst, f []byte) []byte {
	quote := false
	for _, c := range f {
		if c == ',' || c == '"' || c == '\n' || c == '\r' {
			quote = true
			break
		}
	}
	if !quote {
		return append(dst, f...)
	}
	dst = append(dst, '"')
	for _, c := range f {
		if c == '"' {
			dst = append(dst, '"')
		}
		dst = append(dst, c)
	}
	return append(dst, '"')
}
