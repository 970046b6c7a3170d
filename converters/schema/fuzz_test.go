package schema

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzServiceCall sends arbitrary bodies to every operation: nothing may
// panic, every refusal must be a client *Error (no internal failures from
// bad input), and every answer must encode as JSON. Seeds are the requests
// of the golden files.
func FuzzServiceCall(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.txt"))
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		input, _, _ := strings.Cut(string(raw), "\n"+separator+"\n")
		for _, line := range strings.Split(input, "\n") {
			if op, body, ok := strings.Cut(line, " "); ok && !strings.HasPrefix(line, "#") {
				f.Add(op, []byte(body))
			}
		}
	}
	f.Add("GetTables", []byte(`{"DatabaseName":"db","Expression":"a|b*|(","NextToken":"YQ"}`))
	f.Add("CreateTable", []byte(`{"DatabaseName":"db","TableInput":{"Name":"t","StorageDescriptor":{"Columns":[{"Name":"s","Type":"struct<a:array<map<string,decimal(38,10)>>>"}]}}}`))
	reg, err := Open(f.TempDir(), Options{})
	if err != nil {
		f.Fatal(err)
	}
	if err := reg.CreateDatabase("", DatabaseInput{Name: "db"}); err != nil {
		f.Fatal(err)
	}
	s := NewService(reg, "")
	ops := Operations()
	f.Fuzz(func(t *testing.T, op string, body []byte) {
		if !strings.HasPrefix(op, "Get") && !strings.HasPrefix(op, "Create") && !strings.HasPrefix(op, "Update") && !strings.HasPrefix(op, "Delete") {
			op = ops[len(op)%len(ops)]
		}
		out, err := s.Call(context.Background(), op, body)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("%s %q: not a client error: %v", op, body, err)
			}
			return
		}
		if _, err := json.Marshal(out); err != nil {
			t.Fatalf("%s %q: answer does not encode: %v", op, body, err)
		}
		_, _ = s.Action(op, body)
	})
}

// FuzzTime checks that a timestamp that decodes encodes back to the same
// instant (to the millisecond).
func FuzzTime(f *testing.F) {
	for _, s := range []string{"0", "1767225600", "1767225600.5", "-1.25", "1e9", "99999999999.999", `"x"`, "null"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var a Time
		if err := json.Unmarshal([]byte(s), &a); err != nil {
			return
		}
		b, err := json.Marshal(a)
		if err != nil {
			t.Fatalf("%s: marshal: %v", s, err)
		}
		var c Time
		if err := json.Unmarshal(b, &c); err != nil {
			t.Fatalf("%s → %s: %v", s, b, err)
		}
		if !a.Equal(c.Time) {
			t.Fatalf("%s → %s → %v, want %v", s, b, c.Time, a.Time)
		}
	})
}
