package prefix

import (
	"fmt"
	"strconv"
	"unicode/utf8"
)

// MaxKeyLength is S3's limit on an object key, in bytes of UTF-8.
const MaxKeyLength = 1024

// maxVersionDigits is the most digits a VersionId has in an object name
// (an int64).
const maxVersionDigits = len("9223372036854775807")

// errorOutputTypes are the values !{firehose:error-output-type} takes for
// an S3 destination.
var errorOutputTypes = [...]string{ErrorOutputProcessingFailed, ErrorOutputFormatConversionFailed}

// Length is the length of a string in the two units that limit a key:
// characters (UTF-16 code units, as MaxEvaluatedLength counts them) and
// bytes (UTF-8, as MaxKeyLength counts them).
type Length struct {
	Chars, Bytes int
}

func (l Length) add(o Length) Length { return Length{l.Chars + o.Chars, l.Bytes + o.Bytes} }

// lengthOf measures s.
func lengthOf(s string) Length { return Length{Chars: utf16Len([]byte(s)), Bytes: len(s)} }

// ascii is the length of n ASCII characters.
func ascii(n int) Length { return Length{n, n} }

// MaxEval returns the longest result Eval can give, for any instant in the
// years 1 to 9999, in any time zone, and with !{firehose:error-output-type}
// set to any value an S3 destination uses. Partition keys count as empty:
// their values come with each record, which Eval checks.
func (e *Expr) MaxEval() Length {
	var n Length
	for i := range e.parts {
		p := &e.parts[i]
		switch p.kind {
		case partLiteral:
			n = n.add(lengthOf(p.text))
		case partTimestamp:
			n = n.add(p.pat.maxFormat())
		case partRandom:
			n = n.add(ascii(RandomStringLength))
		case partErrorType:
			longest := 0
			for _, t := range errorOutputTypes {
				longest = max(longest, len(t))
			}
			n = n.add(ascii(longest))
		}
	}
	return n
}

// MaxObjectNameLength returns the longest ObjectName of a stream called
// stream with extension ext, in bytes: the name, a VersionId of up to 19
// digits, the 19-character timestamp, a 36-character UUID and ext, joined
// by dashes.
func MaxObjectNameLength(stream, ext string) int {
	return len(stream) + 1 + maxVersionDigits + 1 + len("2006-01-02-15-04-05") + 1 + len("a9fa96af-e4e4-409f-bac3-1f804714faaa") + len(ext)
}

// longest returns the length of the longest string of list.
func longest(list []string) int {
	n := 0
	for _, s := range list {
		n = max(n, utf8.RuneCountInString(s))
	}
	return n
}

// maxFormat returns the longest output of the pattern for the years 1 to
// 9999 (four-digit years; a week-based year of 10000 is not counted).
// Everything but literal text is ASCII.
func (p *DatePattern) maxFormat() Length {
	var n Length
	for i := range p.ops {
		op := &p.ops[i]
		w := int(op.width)
		text := func(short, full []string) int {
			switch op.width {
			case styleFull:
				return longest(full)
			case styleNarrow:
				return 1
			}
			return longest(short)
		}
		switch op.kind {
		case dLit:
			n = n.add(lengthOf(op.lit))
			continue
		case dYear, dYearOfEra, dWeekYear:
			w = max(w, 4)
		case dYear2, dYearOfEra2, dWeekYear2, dWeekOfYear, dDay, dMonth, dHour, dClockHour, dHourAmPm, dClockHourAmPm, dMinute, dSecond:
			w = max(w, 2)
		case dEra:
			w = text([]string{"AD", "BC"}, []string{"Anno Domini", "Before Christ"})
		case dQuarter, dWeekOfMonth, dDayNum:
			w = max(w, 1)
		case dQuarterText:
			w = text([]string{"Q1"}, quarterFull[:])
		case dMonthText:
			w = text(monthShort[:], monthFull[:])
		case dDayOfYear:
			w = max(w, 3)
		case dDayText:
			w = text(dayShort[:], dayFull[:])
		case dAmPm:
			w = 2
		case dFraction:
		case dNano:
			w = max(w, len(strconv.Itoa(999_999_999)))
		case dNanoOfDay:
			w = max(w, len(strconv.FormatInt(86_400_000_000_000-1, 10)))
		case dMilliOfDay:
			w = max(w, len(strconv.Itoa(86_400_000-1)))
		case dOffset:
			// Sign, hours, minutes and seconds with colons at most, or
			// the text for zero.
			w = max(len(op.lit), len("+HH:MM:ss"))
		case dOffsetGMT:
			w = len("GMT+HH:MM:ss")
		default:
			panic(fmt.Sprintf("prefix: no length bound for pattern operation %d", op.kind))
		}
		n = n.add(ascii(w))
	}
	return n
}
