package blueprint

import (
	"strconv"
	"time"
)

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
	// (no line terminators) that the rest follows.
	start := i
	for i < len(s) {
		r, n := runeAt(s, i)
		if isLineTerminator(r) {
			return l, false
		}
		i += n
		if k, ok := apacheTail(s, i); ok {
			l.request = s[start:i]
			l.status = s[i+2 : i+5]
			l.bytes = s[i+6 : k]
			l.referer, l.agent, l.combined = combinedTail(s, k)
			return l, true
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
			switch s[j] {
			case '\\':
				j++
			case '"':
				return s[start:j], j + 1, true
			case '\n', '\r':
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

// formatDate is the blueprint's rewrite of the time for new Date(): every
// "/" becomes a space, and so does the first ":".
func formatDate(t []byte) string {
	b := []byte(string(t))
	colon := false
	for i, c := range b {
		switch {
		case c == '/':
			b[i] = ' '
		case c == ':' && !colon:
			b[i], colon = ' ', true
		}
	}
	return string(b)
}

// appendISOTime appends t as Date.prototype.toISOString writes it.
func appendISOTime(dst []byte, t time.Time) []byte {
	y := t.Year()
	switch {
	case y >= 0 && y <= 9999:
		dst = appendPadded(dst, y, 4)
	case y < 0:
		dst = appendPadded(append(dst, '-'), -y, 6)
	default:
		dst = appendPadded(append(dst, '+'), y, 6)
	}
	dst = appendPadded(append(dst, '-'), int(t.Month()), 2)
	dst = appendPadded(append(dst, '-'), t.Day(), 2)
	dst = appendPadded(append(dst, 'T'), t.Hour(), 2)
	dst = appendPadded(append(dst, ':'), t.Minute(), 2)
	dst = appendPadded(append(dst, ':'), t.Second(), 2)
	dst = appendPadded(append(dst, '.'), t.Nanosecond()/1e6, 3)
	return append(dst, 'Z')
}

func appendPadded(dst []byte, v, width int) []byte {
	var b [20]byte
	s := strconv.AppendInt(b[:0], int64(v), 10)
	for range width - len(s) {
		dst = append(dst, '0')
	}
	return append(dst, s...)
}

// apacheToJSON is the apachelog-to-json blueprint, plus the combined
// format's referer and agent (unless combined is false).
func apacheToJSON(combined bool) appendFunc {
	return func(dst, data []byte) ([]byte, Status, string) {
		s := text(data)
		l, ok := parseApache(s)
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
		for k, c := range l.request {
			if c == ' ' { // request.split(' ').length > 1
				dst = append(dst, `,"verb":`...)
				dst = appendJSONString(dst, l.request[:k])
				break
			}
		}
		dst = append(dst, `,"@timestamp":`...)
		date := formatDate(l.time)
		t, valid := v8Date(date)
		if valid {
			dst = appendISOTime(append(dst, '"'), t)
			dst = append(dst, '"')
		} else {
			dst = appendJSONString(dst, l.time)
		}
		if l.zone != nil {
			z := l.zone[len(l.zone)-5:] // trim(): drop the whitespace character
			dst = append(dst, `,"timezone":`...)
			dst = appendJSONString(dst, z)
			if utc, ok := v8Date(date + " " + string(z)); ok {
				dst = append(dst, `,"@timestamp_utc":"`...)
				dst = appendISOTime(dst, utc)
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
		s := text(data)
		l, ok := parseApache(s)
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
