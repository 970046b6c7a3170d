package blueprint

import (
	"fmt"
	"testing"
)

func TestAppendJSNumber(t *testing.T) {
	tests := []struct{ name, in, exp string }{
		{"zero", "0", "0"},
		{"zeros", "000", "0"},
		{"leading zeros", "000123", "123"},
		{"fifteen digits", "999999999999999", "999999999999999"},
		{"2^53", "9007199254740992", "9007199254740992"},
		{"2^53+1 rounds", "9007199254740993", "9007199254740992"},
		{"twenty digits", "12345678901234567890", "12345678901234567000"},
		{"1e20", "100000000000000000000", "100000000000000000000"},
		{"1e21 is exponent form", "1000000000000000000000", "1e+21"},
		{"fraction digits", "123456789012345678901234", "1.2345678901234569e+23"},
		{"infinity is null", "1" + repeat('0', 400), "null"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := string(appendJSNumber(nil, []byte(tc.in))); got != tc.exp {
				t.Errorf("got %s, want %s", got, tc.exp)
			}
		})
	}
}

func repeat(c byte, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = c
	}
	return string(b)
}

func TestAppendUTF8(t *testing.T) {
	tests := []struct{ name, in, exp string }{
		{"valid", "caf\u00e9 \U0001F600", "caf\u00e9 \U0001F600"},
		{"lone continuation", "a\x80b", "a\uFFFDb"},
		{"truncated 3-byte is one U+FFFD", "\xe2\x82z", "\uFFFDz"},
		{"truncated at end", "x\xf0\x9f\x98", "x\uFFFD"},
		{"overlong", "\xc0\xaf", "\uFFFD\uFFFD"},
		{"surrogate", "\xed\xa0\x80", "\uFFFD\uFFFD\uFFFD"},
		{"beyond U+10FFFF", "\xf4\x90\x80\x80", "\uFFFD\uFFFD\uFFFD\uFFFD"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := string(appendUTF8(nil, []byte(tc.in))); got != tc.exp {
				t.Errorf("got %+q, want %+q", got, tc.exp)
			}
		})
	}
}

func TestAppendJSONString(t *testing.T) {
	in := "a\"b\\c\b\f\n\r\t\x00\x1f\x7f<>&\u2028é"
	exp := `"a\"b\\c\b\f\n\r\t\u0000\u001f` + "\x7f<>&\u2028é\""
	if got := string(appendJSONString(nil, []byte(in))); got != exp {
		t.Errorf("got %s, want %s", got, exp)
	}
}

// TestV8Date checks the date parser on the strings the Apache blueprint
// builds; the expectations are Node 20's new Date(s).toISOString() with
// TZ=UTC.
func TestV8Date(t *testing.T) {
	tests := []struct{ in, exp string }{
		{"10 Oct 2000 13:55:36", "2000-10-10T13:55:36.000Z"},
		{"10 Oct 2000 13:55:36 -0700", "2000-10-10T20:55:36.000Z"},
		{"10 Oct 2000 13:55:36 +9999", "2000-10-06T09:16:36.000Z"},
		{"31 Feb 2001 10:00:00", "2001-03-03T10:00:00.000Z"},
		{"31 Dec 1999 24:00:00", "2000-01-01T00:00:00.000Z"},
		{"31 Dec 1999 24:00:01", ""},
		{"1 jan 0049 1:2:3", "2049-01-01T01:02:03.000Z"},
		{"1 jan 0149 1:2:3", "0149-01-01T01:02:03.000Z"},
		{"10 Oct 20060 13:55:36", "+020060-10-10T13:55:36.000Z"},
		{"10 Oct 275761 00:00:00", ""},
		{"32 Oct 2000 13:55:36", ""},
		{"notadate +0100", "0100-01-01T00:00:00.000Z"},
		{"notadate", ""},
		{"2000 10:20", "2000-01-01T10:20:00.000Z"},
		{"2000T10 20", ""},
		{"Oct 10 2000 1 pm", ""},
		{"Oct 10 2000 1:00 pm", "2000-10-10T13:00:00.000Z"},
		{"10 Oct 2000 13:55:36 utc", "2000-10-10T13:55:36.000Z"},
		{"10 Oct 2000 13:55:36 pst", "2000-10-10T21:55:36.000Z"},
		{"0000492000", ""},
		{"000049200", "+049200-01-01T00:00:00.000Z"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got := ""
			if ms, ok := v8Date([]byte(tc.in)); ok {
				got = string(appendISOTime(nil, ms))
			}
			if got != tc.exp {
				t.Errorf("got %q, want %q", got, tc.exp)
			}
		})
	}
}

// TestApacheDateFastPath compares the fast path with the complete parser
// over a grid of Apache times, in and out of range, with and without zones.
func TestApacheDateFastPath(t *testing.T) {
	months := []string{"Jan", "feb", "MAR", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec", "Xyz"}
	zones := []string{"", "+0000", "-0700", "+0530", "-9999", "+1260"}
	n := 0
	for _, day := range []int{0, 1, 9, 28, 29, 30, 31, 32} {
		for _, mon := range months {
			for _, year := range []int{0, 49, 50, 99, 100, 1900, 1969, 1970, 2000, 2024, 9999} {
				for _, hms := range [][3]int{{0, 0, 0}, {13, 55, 36}, {23, 59, 59}, {24, 0, 0}, {12, 60, 0}, {1, 2, 60}} {
					for _, z := range zones {
						tm := []byte(fmt.Sprintf("%02d/%s/%04d:%02d:%02d:%02d", day, mon, year, hms[0], hms[1], hms[2]))
						var zone []byte
						if z != "" {
							zone = []byte(z)
						}
						full, okFull := apacheDateV8(tm, zone)
						fast, okFast := apacheDateFast(tm, zone)
						if okFast && (!okFull || fast != full) {
							t.Fatalf("%s %s: fast %d, V8 %d %v", tm, z, fast, full, okFull)
						}
						if got, ok := apacheDate(tm, zone); ok != okFull || got != full {
							t.Fatalf("%s %s: apacheDate %d %v, V8 %d %v", tm, z, got, ok, full, okFull)
						}
						n++
					}
				}
			}
		}
	}
	t.Logf("%d times compared", n)
}
