package blueprint

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/wasmhose/wasmhose/plugins/internal/golden"
)

// seed adds the records of the golden files of the named blueprints.
func seed(f *testing.F, names ...string) {
	for _, name := range names {
		files, err := filepath.Glob(filepath.Join("testdata", name, "*.txt"))
		if err != nil {
			f.Fatal(err)
		}
		for _, path := range files {
			src, err := os.ReadFile(path)
			if err != nil {
				f.Fatal(err)
			}
			g, err := golden.Parse(src)
			if err != nil {
				f.Fatal(err)
			}
			for _, r := range g.Records {
				f.Add(r)
			}
		}
	}
}

// checkBlueprint runs data through each named blueprint (with and without
// its options) and checks what holds for every record: one result with a
// valid status, no data on failure, an error text, JSON output that is
// valid JSON, CSV output ending in "\n", valid UTF-8 text, and
// AppendTransform equal to Transform without touching the prefix.
func checkBlueprint(t *testing.T, data []byte, name string, configs ...string) {
	for _, cfg := range configs {
		bp, err := New(name, []byte(cfg))
		if err != nil {
			t.Fatal(err)
		}
		r := bp.Transform(data)
		switch r.Status {
		case StatusOk:
			if strings.HasSuffix(name, "-json") && !json.Valid(r.Data) {
				t.Fatalf("%s %s: invalid JSON %q for %q", name, cfg, r.Data, data)
			}
			if strings.HasSuffix(name, "-csv") && !bytes.HasSuffix(r.Data, []byte("\n")) {
				t.Fatalf("%s: CSV line %q without a newline", name, r.Data)
			}
			if name != ProcessRecord && !utf8.Valid(r.Data) {
				t.Fatalf("%s: invalid UTF-8 %q", name, r.Data)
			}
		case StatusProcessingFailed:
			if r.Data != nil || r.Error == "" {
				t.Fatalf("%s: failed with data %q, error %q", name, r.Data, r.Error)
			}
		case StatusDropped:
			if name != CloudwatchLogsProcessor {
				t.Fatalf("%s dropped a record", name)
			}
		default:
			t.Fatalf("%s: status %v", name, r.Status)
		}
		prefix := []byte("prefix")
		out, r2 := bp.AppendTransform(bytes.Clone(prefix), data)
		if !bytes.HasPrefix(out, prefix) || r2.Status != r.Status || !bytes.Equal(r2.Data, r.Data) || r2.Error != r.Error {
			t.Fatalf("%s: AppendTransform differs from Transform for %q", name, data)
		}
	}
}

func FuzzApache(f *testing.F) {
	seed(f, ApachelogToJSON, ApachelogToCSV)
	f.Fuzz(func(t *testing.T, data []byte) {
		checkBlueprint(t, data, ApachelogToJSON, "", `{"combined":false}`)
		checkBlueprint(t, data, ApachelogToCSV, "", `{"combined":true,"newline":true}`)
		if l, ok := parseApache(text(data)); ok {
			if len(l.host) == 0 || len(l.ident) == 0 || len(l.authuser) == 0 || len(l.time) == 0 || len(l.request) == 0 ||
				len(l.status) != 3 || len(l.bytes) == 0 {
				t.Fatalf("parsed %q into empty fields: %+v", data, l)
			}
		}
	})
}

func FuzzSyslog(f *testing.F) {
	seed(f, SyslogToJSON, SyslogToCSV)
	f.Fuzz(func(t *testing.T, data []byte) {
		checkBlueprint(t, data, SyslogToJSON, "")
		checkBlueprint(t, data, SyslogToCSV, `{"newline":true}`)
	})
}

func FuzzCloudWatchLogs(f *testing.F) {
	seed(f, CloudwatchLogsProcessor)
	f.Fuzz(func(t *testing.T, data []byte) {
		checkBlueprint(t, data, CloudwatchLogsProcessor, "", `{"controlMessages":"drop","newline":true}`)
	})
}

func FuzzProcessRecord(f *testing.F) {
	seed(f, ProcessRecord)
	f.Fuzz(func(t *testing.T, data []byte) {
		checkBlueprint(t, data, ProcessRecord, "", `{"newline":true}`)
	})
}

// FuzzV8Date checks the date parser on any string: no panic, and a valid
// date within JavaScript's range.
func FuzzV8Date(f *testing.F) {
	for _, s := range []string{"10 Oct 2000 13:55:36", "10 Oct 2000 13:55:36 -0700", "2000-10-10T13:55:36.123+07:00",
		"+275760-09-13", "Tue Oct 10 2000 (comment) 1:2:3.4 pm GMT+0200", "notadate +0100", "1::", "12.5", "-000000"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ms, ok := v8Date([]byte(s))
		if !ok {
			return
		}
		if ms < -8.64e15 || ms > 8.64e15 {
			t.Fatalf("%q: %d ms is outside JavaScript's range", s, ms)
		}
		if iso := appendISOTime(nil, ms); len(iso) < 24 {
			t.Fatalf("%q: ISO string %q", s, iso)
		}
	})
}

// FuzzApacheDate checks that the fast path for Apache's layout gives what
// the complete V8 parser gives.
func FuzzApacheDate(f *testing.F) {
	f.Add("10/Oct/2000:13:55:36", "-0700")
	f.Add("31/Feb/0049:23:59:59", "+9999")
	f.Add("00/oCT/1999:24:00:00", "")
	f.Fuzz(func(t *testing.T, tm, zone string) {
		var z []byte
		if zone != "" {
			z = []byte(zone)
		}
		fast, ok := apacheDateFast([]byte(tm), z)
		if !ok {
			return
		}
		full, ok := apacheDateV8([]byte(tm), z)
		if !ok || full != fast {
			t.Fatalf("%q %q: fast path %d, V8 parser %d (%v)", tm, zone, fast, full, ok)
		}
	})
}

// FuzzJSONScanner checks the CloudWatch Logs processor's JSON scanner
// against encoding/json: the same documents are valid, and decoded strings
// are equal.
func FuzzJSONScanner(f *testing.F) {
	for _, s := range []string{`{"a":[1,-2.5e+3,true,false,null,{"b":"c\u00e9\ud83d\ude00\ud800"}]}`, `"x"`, `01`, `[1,]`, `{"a" 1}`, "\"\t\"", ` [ ] `} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		data = text(data)
		p := &jsonScanner{s: data}
		err := p.value()
		if err == nil {
			if p.ws(); p.i != len(data) {
				err = p.errorf("trailing data")
			}
		}
		if (err == nil) != json.Valid(data) {
			t.Fatalf("%q: scanner error %v, json.Valid %v", data, err, json.Valid(data))
		}
		if err != nil || len(data) == 0 {
			return
		}
		if q := (&jsonScanner{s: data}); func() bool { q.ws(); return q.s[q.i] == '"' }() {
			got, err := q.str(nil, true)
			var want string
			if err != nil || json.Unmarshal(data, &want) != nil || string(got) != want {
				t.Fatalf("%q: decoded %q (%v), encoding/json %q", data, got, err, want)
			}
		}
	})
}
