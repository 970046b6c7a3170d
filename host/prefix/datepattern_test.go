package prefix

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestDatePatternFormat(t *testing.T) {
	kolkata := time.FixedZone("IST", 5*3600+30*60)
	la, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		t.Fatal(err)
	}
	morning := time.Date(2018, 7, 6, 0, 4, 5, 7000000, time.UTC)
	jan5 := time.Date(2018, 1, 5, 12, 0, 0, 0, time.UTC) // Friday
	// Expected values were checked against java.time 17 and 25 with
	// Locale.US (see TestJavaCrossCheck).
	tests := []struct {
		name    string
		pattern string
		t       time.Time
		exp     string
	}{
		{name: "default", pattern: "yyyy/MM/dd/HH/", t: at, exp: "2018/07/06/23/"},
		{name: "years", pattern: "y yy yyy yyyy yyyyy u uu uuuu", t: at, exp: "2018 18 2018 2018 02018 2018 18 2018"},
		{name: "year 5", pattern: "yyyy uuuu yy", t: time.Date(5, 1, 1, 0, 0, 0, 0, time.UTC), exp: "0005 0005 05"},
		{name: "year before 1 AD", pattern: "yyyy uuuu G", t: time.Date(-4, 1, 1, 0, 0, 0, 0, time.UTC), exp: "0005 -0004 BC"},
		{name: "year past width", pattern: "uuuu yyyy", t: time.Date(12345, 1, 1, 0, 0, 0, 0, time.UTC), exp: "+12345 +12345"},
		{name: "months", pattern: "M MM MMM MMMM MMMMM LLL", t: at, exp: "7 07 Jul July J Jul"},
		{name: "days", pattern: "d dd D DD DDD", t: jan5, exp: "5 05 5 05 005"},
		{name: "day of year", pattern: "D DD DDD", t: at, exp: "187 187 187"},
		{name: "day names", pattern: "E EE EEE EEEE EEEEE e ee eee c ccc", t: at, exp: "Fri Fri Fri Friday F 6 06 Fri 6 Fri"},
		{name: "hours evening", pattern: "H HH h hh k K a", t: at, exp: "23 23 11 11 23 11 PM"},
		{name: "hours midnight", pattern: "H HH h hh k kk K KK a", t: morning, exp: "0 00 12 12 24 24 0 00 AM"},
		{name: "minutes and seconds", pattern: "m mm s ss", t: morning, exp: "4 04 5 05"},
		{name: "fractions", pattern: "S SS SSS SSSSSS SSSSSSSSS", t: at, exp: "1 12 123 123456 123456789"},
		{name: "fraction truncates", pattern: "SSS", t: time.Date(2018, 1, 1, 0, 0, 0, 999999999, time.UTC), exp: "999"},
		{name: "fraction pads", pattern: "SSS", t: morning, exp: "007"},
		{name: "nanos and millis of day", pattern: "n N A", t: morning, exp: "7000000 245007000000 245007"},
		{name: "era and quarter", pattern: "G GGGG GGGGG Q QQ QQQ QQQQ QQQQQ q", t: at, exp: "AD Anno Domini A 3 03 Q3 3rd quarter 3 3"},
		{name: "weeks", pattern: "Y YY YYYY w ww W", t: at, exp: "2018 18 2018 27 27 1"},
		{name: "week-based year rolls over", pattern: "YYYY-ww", t: time.Date(2018, 12, 30, 0, 0, 0, 0, time.UTC), exp: "2019-01"},
		{name: "week-based year Jan 1", pattern: "YYYY-ww e", t: time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC), exp: "2022-01 7"},
		{name: "offsets UTC", pattern: "X XX XXX x xx xxx Z ZZZZ ZZZZZ O OOOO", t: at, exp: "Z Z Z +00 +0000 +00:00 +0000 GMT Z GMT GMT"},
		{name: "offsets half hour", pattern: "X XX XXX XXXX XXXXX x Z ZZZZ O OOOO", t: at.In(kolkata),
			exp: "+0530 +0530 +05:30 +0530 +05:30 +0530 +0530 GMT+05:30 GMT+5:30 GMT+05:30"},
		{name: "offsets negative", pattern: "X XXX x Z ZZZZZ O", t: at.In(la), exp: "-07 -07:00 -07 -0700 -07:00 GMT-7"},
		{name: "offset with seconds", pattern: "XXXX XXXXX ZZZZ OOOO", t: at.In(time.FixedZone("", 1172)),
			exp: "+001932 +00:19:32 GMT+00:19:32 GMT+00:19:32"},
		{name: "quotes", pattern: "'yyyy'yyyy''''", t: at, exp: "yyyy2018'"},
		{name: "quote inside quoted text", pattern: "'o''clock'", t: at, exp: "o'clock"},
		{name: "optional sections print", pattern: "yyyy[-MM[-dd]]", t: at, exp: "2018-07-06"},
		{name: "unclosed optional section", pattern: "[yyyy", t: at, exp: "2018"},
		{name: "punctuation and UTF-8 pass through", pattern: "é=yyyy/_-.:,@ü", t: at, exp: "é=2018/_-.:,@ü"},
		{name: "empty", pattern: "", t: at, exp: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := CompileDatePattern(tt.pattern)
			if err != nil {
				t.Fatal(err)
			}
			if got := p.Format(tt.t); got != tt.exp {
				t.Errorf("Format = %q, want %q", got, tt.exp)
			}
			if got := string(p.AppendFormat([]byte(">"), tt.t)); got != ">"+tt.exp {
				t.Errorf("AppendFormat = %q, want %q", got, ">"+tt.exp)
			}
			if p.String() != tt.pattern {
				t.Errorf("String() = %q", p.String())
			}
		})
	}
}

func TestCompileDatePatternErrors(t *testing.T) {
	tests := []struct {
		name    string
		pattern string
		expPos  int
		expErr  string
	}{
		{name: "unknown letter", pattern: "yyyy-b", expPos: 5, expErr: "unknown pattern letter 'b'"},
		{name: "unknown upper letter", pattern: "T", expErr: "unknown pattern letter 'T'"},
		{name: "ISO T must be quoted", pattern: "yyyy-MM-ddTHH", expPos: 10, expErr: "unknown pattern letter 'T'"},
		{name: "unsupported zone name", pattern: "z", expErr: "'z' is not supported"},
		{name: "unsupported zone id", pattern: "VV", expErr: "'V' is not supported"},
		{name: "unsupported pad", pattern: "ppH", expErr: "'p' is not supported"},
		{name: "too many d", pattern: "ddd", expErr: `too many pattern letters "ddd"`},
		{name: "too many H", pattern: "HHH", expErr: "too many pattern letters"},
		{name: "too many D", pattern: "DDDD", expErr: "too many pattern letters"},
		{name: "too many M", pattern: "MMMMMM", expErr: "too many pattern letters"},
		{name: "too many E", pattern: "EEEEEE", expErr: "too many pattern letters"},
		{name: "too many a", pattern: "aa", expErr: "too many pattern letters"},
		{name: "too many S", pattern: "SSSSSSSSSS", expErr: "too many pattern letters"},
		{name: "too many y", pattern: strings.Repeat("y", 20), expErr: "too many pattern letters"},
		{name: "too many w", pattern: "www", expErr: "too many pattern letters"},
		{name: "too many W", pattern: "WW", expErr: "too many pattern letters"},
		{name: "too many X", pattern: "XXXXXX", expErr: "too many pattern letters"},
		{name: "too many Z", pattern: "ZZZZZZ", expErr: "too many pattern letters"},
		{name: "O count", pattern: "OO", expErr: "must be 1 or 4"},
		{name: "cc", pattern: "cc", expErr: `invalid pattern "cc"`},
		{name: "unterminated quote", pattern: "yyyy'abc", expPos: 4, expErr: "unterminated quoted text"},
		{name: "lone quote", pattern: "'", expErr: "unterminated quoted text"},
		{name: "close without open", pattern: "yyyy]", expPos: 4, expErr: "']' without a matching '['"},
		{name: "reserved hash", pattern: "#", expErr: "reserved character '#'"},
		{name: "reserved brace", pattern: "yyyy{", expPos: 4, expErr: "reserved character '{'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := CompileDatePattern(tt.pattern)
			if err == nil {
				t.Fatalf("CompileDatePattern(%q) = %v, want error", tt.pattern, p)
			}
			var pe *PatternError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is %T, want *PatternError", err, err)
			}
			if pe.Pos != tt.expPos || pe.Pattern != tt.pattern {
				t.Errorf("Pattern, Pos = %q, %d; want %q, %d", pe.Pattern, pe.Pos, tt.pattern, tt.expPos)
			}
			if !strings.Contains(err.Error(), tt.expErr) {
				t.Errorf("error %q does not contain %q", err, tt.expErr)
			}
		})
	}
}

// TestWeekFields checks Y and w on every day of several years against a
// direct computation: the week-based year is the year of the week's
// Saturday, and week 1 is the Sunday-to-Saturday week holding January 1.
func TestWeekFields(t *testing.T) {
	p, err := CompileDatePattern("YYYY ww")
	if err != nil {
		t.Fatal(err)
	}
	for d := time.Date(2015, 12, 1, 12, 0, 0, 0, time.UTC); d.Year() < 2030; d = d.AddDate(0, 0, 1) {
		sat := d.AddDate(0, 0, 6-int(d.Weekday()))
		jan1 := time.Date(sat.Year(), 1, 1, 12, 0, 0, 0, time.UTC)
		week1Sun := jan1.AddDate(0, 0, -int(jan1.Weekday()))
		week := int(d.Sub(week1Sun).Hours()/24)/7 + 1
		want := time.Date(sat.Year(), 1, 1, 0, 0, 0, 0, time.UTC).Format("2006") + " " + twoDigits(week)
		if got := p.Format(d); got != want {
			t.Fatalf("%s: Format = %q, want %q", d.Format("2006-01-02 Mon"), got, want)
		}
	}
}

func twoDigits(n int) string { return string([]byte{byte('0' + n/10), byte('0' + n%10)}) }
