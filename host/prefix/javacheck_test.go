package prefix

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"strings"
	"testing"
	"time"
)

var javaCheck = flag.Bool("java", false, "cross-check timestamp patterns against java.time (needs a JDK 11+ on PATH)")

// TestJavaCrossCheck compares DatePattern with java.time.DateTimeFormatter
// (Locale.US) over hand-picked and random patterns, instants and zones. It
// runs only with -java, because CI machines need not have a JDK:
//
//	go test ./host/prefix -run JavaCrossCheck -java
func TestJavaCrossCheck(t *testing.T) {
	if !*javaCheck {
		t.Skip("cross-check against java.time skipped: run with -java and a JDK on PATH")
	}
	java, err := exec.LookPath("java")
	if err != nil {
		t.Fatalf("-java given but no java on PATH: %v", err)
	}
	patterns := javaCheckPatterns()
	instants := []string{
		"2018-07-06T23:04:05.123456789Z", "2016-02-25T13:05:09Z", "2026-07-13T14:00:00Z",
		"2000-01-01T00:00:00Z", "1999-12-31T23:59:59.999999999Z", "2021-01-01T00:00:00.5Z",
		"2021-12-26T12:00:00Z", "2022-01-01T12:00:00Z", "2022-12-31T12:00:00Z", "2023-01-01T12:00:00Z",
		"2024-12-29T12:00:00Z", "2024-12-31T12:00:00Z", "2027-01-02T00:00:01Z", "2020-02-29T12:30:00.000001Z",
		"0900-03-04T05:06:07Z", "1900-06-01T00:00:00Z",
	}
	zones := []string{"UTC", "America/Los_Angeles", "Asia/Kolkata", "Asia/Kathmandu", "America/St_Johns",
		"Pacific/Chatham", "Asia/Tokyo", "+00:19:32", "-03:25:52"}

	type row struct{ zone, instant, pattern string }
	var rows []row
	var in bytes.Buffer
	r := rand.New(rand.NewPCG(1, 2))
	for _, p := range patterns {
		for i := 0; i < 4; i++ { // a few combinations per pattern keeps the run short
			z, ins := zones[r.IntN(len(zones))], instants[r.IntN(len(instants))]
			rows = append(rows, row{z, ins, p})
			fmt.Fprintf(&in, "%s\t%s\t%s\n", z, ins, p)
		}
	}
	// Every day around several year ends, for the week-based fields.
	for _, y := range []int{2019, 2020, 2021, 2022, 2023, 2026, 2027} {
		for d := time.Date(y, 12, 15, 12, 0, 0, 0, time.UTC); d.Before(time.Date(y+1, 1, 20, 0, 0, 0, 0, time.UTC)); d = d.AddDate(0, 0, 1) {
			ins := d.Format(time.RFC3339)
			rows = append(rows, row{"UTC", ins, "YYYY YY Y ww w W e c D"})
			fmt.Fprintf(&in, "UTC\t%s\tYYYY YY Y ww w W e c D\n", ins)
		}
	}
	cmd := exec.Command(java, "testdata/javacheck/Fmt.java")
	cmd.Stdin = &in
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("run java: %v", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	i, mismatches := 0, 0
	for sc.Scan() {
		rw := rows[i]
		i++
		status, jv, _ := strings.Cut(sc.Text(), "\t")
		loc, err := javaZone(rw.zone)
		if err != nil {
			t.Fatal(err)
		}
		tm, err := time.Parse(time.RFC3339Nano, rw.instant)
		if err != nil {
			t.Fatal(err)
		}
		dp, gerr := CompileDatePattern(rw.pattern)
		switch {
		case status == "ERR" && gerr != nil:
		case status == "ERR":
			t.Errorf("pattern %q: java rejects (%s), Go accepts", rw.pattern, jv)
			mismatches++
		case gerr != nil:
			if !strings.Contains(gerr.Error(), "not supported") {
				t.Errorf("pattern %q: java accepts (%q), Go rejects: %v", rw.pattern, jv, gerr)
				mismatches++
			}
		default:
			if got := dp.Format(tm.In(loc)); got != jv {
				t.Errorf("pattern %q at %s in %s: Go %q, java %q", rw.pattern, rw.instant, rw.zone, got, jv)
				mismatches++
			}
		}
		if mismatches > 30 {
			t.Fatal("too many mismatches")
		}
	}
	if i != len(rows) {
		t.Fatalf("java answered %d of %d lines", i, len(rows))
	}
	t.Logf("compared %d cases", len(rows))
}

func javaCheckPatterns() []string {
	var ps []string
	for c := byte('A'); c <= 'z'; c++ {
		if !isASCIILetter(c) {
			continue
		}
		for n := 1; n <= 6; n++ {
			ps = append(ps, strings.Repeat(string(c), n))
		}
	}
	ps = append(ps, "", "yyyyy", "uuuuu", "YYYYY", "SSSSSSSSSS", "nnnnnnnnnn",
		"yyyy'-'MM'-'dd", "''", "''''", "'it''s' HH", "'unterminated", "[yyyy]", "[[MM]]", "]", "[",
		"yyyy/MM/dd/HH/", "#", "{", "}", "é yyyy ü", "hh:mm a", "EEEE, MMMM d, yyyy",
		"YYYY-'W'ww-e", "yyyy-DDD", "uuuu-MM-dd'T'HH:mm:ss.SSSXXX")
	// Random patterns over letters, quotes, brackets and punctuation.
	r := rand.New(rand.NewPCG(3, 4))
	const alphabet = "yyyyuMMMdddDHHhhKkmmssSSSaEEEewWYQqLGXxZOnNA'''[]-/: .T"
	for i := 0; i < 400; i++ {
		n := 1 + r.IntN(10)
		b := make([]byte, n)
		for j := range b {
			b[j] = alphabet[r.IntN(len(alphabet))]
		}
		ps = append(ps, string(b))
	}
	return ps
}

// javaZone loads a zone name or a fixed offset "+HH:MM:SS", as Java's
// ZoneId.of accepts both. Fixed offsets with seconds test the offset
// printers without depending on two copies of historical tz data.
func javaZone(z string) (*time.Location, error) {
	if z[0] != '+' && z[0] != '-' {
		return time.LoadLocation(z)
	}
	var h, m, s int
	if _, err := fmt.Sscanf(z[1:], "%d:%d:%d", &h, &m, &s); err != nil {
		return nil, fmt.Errorf("parse offset %q: %w", z, err)
	}
	off := h*3600 + m*60 + s
	if z[0] == '-' {
		off = -off
	}
	return time.FixedZone(z, off), nil
}
