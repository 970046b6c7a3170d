package blueprint

import (
	"bytes"
	"strconv"
)

// syslogLine is a parsed syslog line: the blueprints' five fields, and what
// the extensions add (PRI, and RFC 5424's header and structured data).
// Slices alias the line; a nil slice is an absent field.
type syslogLine struct {
	timestamp, hostname, program, processid, message []byte

	hasPRI     bool
	priority   int
	rfc5424    bool
	version    []byte
	msgid      []byte
	structured []sdElement
}

// sdElement is one RFC 5424 SD-ELEMENT.
type sdElement struct {
	id     []byte
	params []sdParam
}

// sdParam is one SD-PARAM; value is unescaped.
type sdParam struct {
	name, value []byte
}

// parseSyslog parses s (valid UTF-8) as the blueprints do (RFC 3164 style,
// see parse3164), or, beyond them, as RFC 3164 with its <PRI> prefix, or as
// RFC 5424.
func parseSyslog(s []byte) (l syslogLine, ok bool) {
	if len(s) > 0 && s[0] == '<' {
		pri, rest, ok := parsePRI(s)
		if !ok {
			return l, false
		}
		if len(rest) > 0 && rest[0] >= '1' && rest[0] <= '9' {
			l, ok = parse5424(rest)
		} else {
			l, ok = parse3164(rest)
		}
		l.hasPRI, l.priority = true, pri
		return l, ok
	}
	return parse3164(s)
}

// parsePRI parses RFC 5424's PRI, "<" 1*3DIGIT ">" with a value up to 191
// (RFC 3164 has the same).
func parsePRI(s []byte) (int, []byte, bool) {
	n := digitRun(s, 1)
	if n < 1 || n > 3 || 1+n >= len(s) || s[1+n] != '>' {
		return 0, nil, false
	}
	v, _ := strconv.Atoi(string(s[1 : 1+n]))
	if v > 191 {
		return 0, nil, false
	}
	return v, s[2+n:], true
}

// The month names the blueprints' expression accepts.
var syslogMonths = map[string]bool{
	"Jan": true, "January": true, "Feb": true, "February": true, "Mar": true, "March": true,
	"Apr": true, "April": true, "May": true, "Jun": true, "June": true, "Jul": true, "July": true,
	"Aug": true, "August": true, "Sep": true, "September": true, "Oct": true, "October": true,
	"Nov": true, "November": true, "Dec": true, "December": true,
}

// parse3164 matches s against the blueprints' expression (JavaScript
// semantics; groups: timestamp, hostname, program, pid, message):
//
//	^((?:\b(?:Jan(?:uary)?|…|Dec(?:ember)?)\b\s+(?:(?:0[1-9])|(?:[12][0-9])|(?:3[01])|[1-9])\s+
//	(?:(?:2[0123]|[01]?[0-9]):(?:[0-5][0-9]):(?:(?:[0-5]?[0-9]|60)(?:[:\.,][0-9]+)?)))) (?:<(?:[0-9]+).(?:[0-9]+)> )?
//	((?:[a-zA-Z0-9._-]+)) ([\w\._/%-]+)(?:\[((?:[1-9][0-9]*))\])?: (.*)
//
// Every part is forced but the optional "<n.n> " group, whose "." may be any
// character, so the ways it can match are tried in the order the
// expression's backtracking tries them.
func parse3164(s []byte) (l syslogLine, ok bool) {
	// The month: a whole \w word (\b on both sides) that is a month name.
	i := 0
	for i < len(s) && isWord(s[i]) {
		i++
	}
	if !syslogMonths[string(s[:i])] {
		return l, false
	}
	n := spaceRun(s, i)
	if n == 0 {
		return l, false
	}
	i += n
	// The day: 0[1-9] | [12][0-9] | 3[01] | [1-9], then \s+.
	n = digitRun(s, i)
	switch {
	case n == 1 && s[i] != '0':
	case n == 2 && (s[i] == '0' && s[i+1] != '0' || s[i] == '1' || s[i] == '2' || s[i] == '3' && s[i+1] <= '1'):
	default:
		return l, false
	}
	i += n
	if n = spaceRun(s, i); n == 0 {
		return l, false
	}
	i += n
	// The hour: 2[0123] | [01]?[0-9], then ":".
	n = digitRun(s, i)
	switch {
	case n == 1:
	case n == 2 && (s[i] <= '1' || s[i] == '2' && s[i+1] <= '3'):
	default:
		return l, false
	}
	i += n
	// ":" [0-5][0-9] ":"
	if i+3 >= len(s) || s[i] != ':' || s[i+1] < '0' || s[i+1] > '5' || !isDigit(s[i+2]) || s[i+3] != ':' {
		return l, false
	}
	i += 4
	// The second: [0-5]?[0-9] | 60, then an optional [:.,][0-9]+, then " ".
	n = digitRun(s, i)
	switch {
	case n == 1:
	case n == 2 && (s[i] <= '5' || s[i] == '6' && s[i+1] == '0'):
	default:
		return l, false
	}
	i += n
	if i < len(s) && (s[i] == ':' || s[i] == '.' || s[i] == ',') {
		if n = digitRun(s, i+1); n > 0 {
			i += 1 + n
		}
	}
	if i >= len(s) || s[i] != ' ' {
		return l, false
	}
	l.timestamp = s[:i]
	i++
	// (?:<(?:[0-9]+).(?:[0-9]+)> )? then the rest.
	if i < len(s) && s[i] == '<' {
		p := i + 1
		d := digitRun(s, p)
		if d == 0 {
			return l, false
		}
		// [0-9]+ takes all d digits: "." is the next character (one UTF-16
		// unit, not a line terminator), then [0-9]+ and "> ".
		if p+d < len(s) {
			r, size := runeAt(s, p+d)
			if r <= 0xFFFF && !isLineTerminator(r) {
				q := p + d + size
				if e := digitRun(s, q); e > 0 && q+e+1 < len(s) && s[q+e] == '>' && s[q+e+1] == ' ' {
					if l, ok = syslogRest(s, q+e+2, l); ok {
						return l, true
					}
				}
			}
		}
		// [0-9]+ gives digits back: "." is a digit and the second [0-9]+
		// ends where the run does.
		if d >= 3 && p+d+1 < len(s) && s[p+d] == '>' && s[p+d+1] == ' ' {
			return syslogRest(s, p+d+2, l)
		}
		return l, false
	}
	return syslogRest(s, i, l)
}

// syslogRest matches ((?:[a-zA-Z0-9._-]+)) ([\w\._/%-]+)(?:\[((?:[1-9][0-9]*))\])?: (.*)
// at s[i].
func syslogRest(s []byte, i int, l syslogLine) (syslogLine, bool) {
	j := i
	for j < len(s) && (isWord(s[j]) || s[j] == '.' || s[j] == '-') {
		j++
	}
	if j == i || j >= len(s) || s[j] != ' ' {
		return l, false
	}
	l.hostname = s[i:j]
	i = j + 1
	j = i
	for j < len(s) && (isWord(s[j]) || s[j] == '.' || s[j] == '/' || s[j] == '%' || s[j] == '-') {
		j++
	}
	if j == i || j >= len(s) {
		return l, false
	}
	l.program = s[i:j]
	i = j
	if s[i] == '[' {
		n := digitRun(s, i+1)
		if n == 0 || s[i+1] == '0' || i+1+n >= len(s) || s[i+1+n] != ']' {
			return l, false
		}
		l.processid = s[i+1 : i+1+n]
		i += n + 2
	}
	if i+1 >= len(s) || s[i] != ':' || s[i+1] != ' ' {
		return l, false
	}
	i += 2
	l.message = s[i:lineEnd(s, i)]
	return l, true
}

// parse5424 parses the rest of an RFC 5424 message after its PRI:
//
//	VERSION SP TIMESTAMP SP HOSTNAME SP APP-NAME SP PROCID SP MSGID SP STRUCTURED-DATA [SP MSG]
//
// NILVALUE ("-") fields stay nil. A leading UTF-8 BOM is removed from MSG,
// and so are line terminators at its end.
func parse5424(s []byte) (l syslogLine, ok bool) {
	l.rfc5424 = true
	n := digitRun(s, 0)
	if n < 1 || n > 3 || n >= len(s) || s[n] != ' ' {
		return l, false
	}
	l.version = s[:n]
	s = s[n+1:]
	fields := [5]struct {
		dst *[]byte
		max int
	}{{&l.timestamp, 64}, {&l.hostname, 255}, {&l.program, 48}, {&l.processid, 128}, {&l.msgid, 32}}
	for _, f := range fields {
		j := 0
		for j < len(s) && s[j] >= 33 && s[j] <= 126 {
			j++
		}
		if j == 0 || j > f.max || j >= len(s) || s[j] != ' ' {
			return l, false
		}
		if !(j == 1 && s[0] == '-') {
			*f.dst = s[:j]
		}
		s = s[j+1:]
	}
	if l.timestamp != nil && !validRFC3339(l.timestamp) {
		return l, false
	}
	// STRUCTURED-DATA = NILVALUE / 1*SD-ELEMENT
	if len(s) > 0 && s[0] == '-' {
		s = s[1:]
	} else {
		if len(s) == 0 || s[0] != '[' {
			return l, false
		}
		for len(s) > 0 && s[0] == '[' {
			var e sdElement
			if e, s, ok = parseSDElement(s); !ok {
				return l, false
			}
			for _, prev := range l.structured {
				if bytes.Equal(prev.id, e.id) { // an SD-ID must not repeat (RFC 5424 6.3.2)
					return l, false
				}
			}
			l.structured = append(l.structured, e)
		}
	}
	// [SP MSG]
	switch {
	case len(s) == 0:
		l.message = s
	case s[0] == ' ':
		l.message = bytes.TrimPrefix(s[1:], []byte("\uFEFF"))
	default:
		return l, false
	}
	for len(l.message) > 0 && (l.message[len(l.message)-1] == '\n' || l.message[len(l.message)-1] == '\r') {
		l.message = l.message[:len(l.message)-1]
	}
	return l, true
}

// isSDName reports whether c may appear in an SD-NAME: PRINTUSASCII except
// '=', ' ', ']' and '"'.
func isSDName(c byte) bool {
	return c >= 33 && c <= 126 && c != '=' && c != ']' && c != '"'
}

// parseSDElement parses "[" SD-ID *(SP SD-PARAM) "]" at the start of s.
func parseSDElement(s []byte) (e sdElement, rest []byte, ok bool) {
	j := 1
	for j < len(s) && isSDName(s[j]) {
		j++
	}
	if j == 1 || j-1 > 32 {
		return e, nil, false
	}
	e.id = s[1:j]
	s = s[j:]
	for {
		if len(s) == 0 {
			return e, nil, false
		}
		if s[0] == ']' {
			return e, s[1:], true
		}
		if s[0] != ' ' {
			return e, nil, false
		}
		j = 1
		for j < len(s) && isSDName(s[j]) {
			j++
		}
		if j == 1 || j-1 > 32 || j+1 >= len(s) || s[j] != '=' || s[j+1] != '"' {
			return e, nil, false
		}
		p := sdParam{name: s[1:j]}
		s = s[j+2:]
		// PARAM-VALUE up to the closing quote; \" \\ \] are escapes, any
		// other backslash is itself.
		var val []byte
		k, closed := 0, false
		for k < len(s) {
			c := s[k]
			if c == '\\' && k+1 < len(s) && (s[k+1] == '"' || s[k+1] == '\\' || s[k+1] == ']') {
				if val == nil {
					val = append(make([]byte, 0, k+8), s[:k]...)
				}
				val = append(val, s[k+1])
				k += 2
				continue
			}
			if c == '"' {
				closed = true
				break
			}
			if val != nil {
				val = append(val, c)
			}
			k++
		}
		if !closed {
			return e, nil, false
		}
		if val == nil {
			val = s[:k]
		}
		p.value = val
		e.params = append(e.params, p)
		s = s[k+1:]
	}
}

// validRFC3339 checks RFC 5424's TIMESTAMP (FULL-DATE "T" FULL-TIME):
// YYYY-MM-DDThh:mm:ss[.1*6DIGIT](Z|±hh:mm), fields in range.
func validRFC3339(t []byte) bool {
	// num reports whether t[i:i+2] is a two-digit number in [min, max].
	num := func(t []byte, i int, min, max byte) bool {
		if i+1 >= len(t) || !isDigit(t[i]) || !isDigit(t[i+1]) {
			return false
		}
		v := (t[i]-'0')*10 + (t[i+1] - '0')
		return v >= min && v <= max
	}
	if len(t) < 20 || digitRun(t, 0) != 4 || t[4] != '-' || !num(t, 5, 1, 12) || t[7] != '-' || !num(t, 8, 1, 31) ||
		t[10] != 'T' || !num(t, 11, 0, 23) || t[13] != ':' || !num(t, 14, 0, 59) || t[16] != ':' || !num(t, 17, 0, 60) {
		return false
	}
	rest := t[19:]
	if rest[0] == '.' {
		n := digitRun(rest, 1)
		if n < 1 || n > 6 {
			return false
		}
		rest = rest[1+n:]
	}
	switch {
	case len(rest) == 1 && rest[0] == 'Z':
		return true
	case len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':':
		return num(rest, 1, 0, 23) && num(rest, 4, 0, 59)
	}
	return false
}

// syslogToJSON is the syslog-to-json blueprint: {timestamp, hostname,
// program, processid (absent without a pid), message}. Beyond it, a <PRI>
// prefix adds priority, facility and severity, and RFC 5424 lines fill the
// same five fields (NILVALUE fields absent) and add version, msgid and
// structuredData.
func syslogToJSON(dst, data []byte) ([]byte, Status, string) {
	l, ok := parseSyslog(text(data))
	if !ok {
		return dst, StatusProcessingFailed, "syslog-to-json: the record is not an RFC 3164 or RFC 5424 syslog line"
	}
	dst = append(dst, '{')
	sep := false
	field := func(name string, v []byte) {
		if v == nil {
			return
		}
		if sep {
			dst = append(dst, ',')
		}
		sep = true
		dst = appendJSONString(dst, []byte(name))
		dst = append(dst, ':')
		dst = appendJSONString(dst, v)
	}
	number := func(name string, v int) {
		dst = append(dst, ',')
		dst = appendJSONString(dst, []byte(name))
		dst = append(dst, ':')
		dst = strconv.AppendInt(dst, int64(v), 10)
	}
	field("timestamp", l.timestamp)
	field("hostname", l.hostname)
	field("program", l.program)
	field("processid", l.processid)
	if l.message == nil {
		l.message = []byte{}
	}
	field("message", l.message)
	if l.hasPRI {
		number("priority", l.priority)
		number("facility", l.priority/8)
		number("severity", l.priority%8)
	}
	if l.rfc5424 {
		v, _ := strconv.Atoi(string(l.version))
		number("version", v)
		field("msgid", l.msgid)
		if len(l.structured) > 0 {
			dst = append(dst, `,"structuredData":{`...)
			for i, e := range l.structured {
				if i > 0 {
					dst = append(dst, ',')
				}
				dst = appendJSONString(dst, e.id)
				dst = append(dst, ":{"...)
				dst = appendSDParams(dst, e.params)
				dst = append(dst, '}')
			}
			dst = append(dst, '}')
		}
	}
	return append(dst, '}'), StatusOk, ""
}

// appendSDParams writes an element's parameters as JSON members: a string,
// or an array of strings for a name that repeats, in order of first
// appearance.
func appendSDParams(dst []byte, params []sdParam) []byte {
	for i, p := range params {
		first := true
		for _, q := range params[:i] {
			if bytes.Equal(q.name, p.name) {
				first = false
				break
			}
		}
		if !first {
			continue
		}
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendJSONString(dst, p.name)
		dst = append(dst, ':')
		n := 0
		for _, q := range params[i:] {
			if bytes.Equal(q.name, p.name) {
				n++
			}
		}
		if n == 1 {
			dst = appendJSONString(dst, p.value)
			continue
		}
		dst = append(dst, '[')
		k := 0
		for _, q := range params[i:] {
			if bytes.Equal(q.name, p.name) {
				if k > 0 {
					dst = append(dst, ',')
				}
				dst = appendJSONString(dst, q.value)
				k++
			}
		}
		dst = append(dst, ']')
	}
	return dst
}

// syslogToCSV is the syslog-to-csv blueprint:
// timestamp,hostname,program,processid,message and "\n", unquoted; an
// absent field is empty.
func syslogToCSV(dst, data []byte) ([]byte, Status, string) {
	l, ok := parseSyslog(text(data))
	if !ok {
		return dst, StatusProcessingFailed, "syslog-to-csv: the record is not an RFC 3164 or RFC 5424 syslog line"
	}
	dst = append(append(dst, l.timestamp...), ',')
	dst = append(append(dst, l.hostname...), ',')
	dst = append(append(dst, l.program...), ',')
	dst = append(append(dst, l.processid...), ',')
	dst = append(dst, l.message...)
	return append(dst, '\n'), StatusOk, ""
}
