package schema

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the expected part of testdata/*.txt")

// separator splits a golden file into its input and its expected output
// (Caddy's layout).
const separator = "----------"

// TestGolden replays the requests of each testdata/*.txt file, one per line
// ("<Operation> <JSON body>"; blank lines and lines starting with # are
// skipped) against a fresh registry with a fixed clock, and compares every
// answer, JSON or error, with the part after the separator. The files pin
// the wire shapes the Glue clients read.
func TestGolden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.txt"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden files: %v", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			raw, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			input, expected, ok := strings.Cut(string(raw), "\n"+separator+"\n")
			if !ok && !*update {
				t.Fatalf("%s has no %q line", file, separator)
			}
			s := NewService(openTest(t, t.TempDir()), "us-east-1")
			var out bytes.Buffer
			for _, line := range strings.Split(input, "\n") {
				line = strings.TrimSpace(line)
				if line == "" || strings.HasPrefix(line, "#") {
					continue
				}
				op, body, _ := strings.Cut(line, " ")
				res, err := s.Call(context.Background(), op, []byte(body))
				out.WriteString(op + " -> ")
				if err != nil {
					var e *Error
					if !errors.As(err, &e) {
						t.Fatalf("%s: internal error %v", op, err)
					}
					out.WriteString(e.Type + ": " + e.Message + "\n")
					continue
				}
				b, err := json.Marshal(res)
				if err != nil {
					t.Fatal(err)
				}
				out.Write(b)
				out.WriteByte('\n')
			}
			if *update {
				if err := os.WriteFile(file, []byte(input+"\n"+separator+"\n"+out.String()), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if got := out.String(); got != expected {
				t.Errorf("%s: answers differ (run with -update to accept)\n got:\n%s\nwant:\n%s", file, got, expected)
			}
		})
	}
}
