package main

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wasmhose/wasmhose/cmd/wasmhose/internal/loadgen"
	"github.com/wasmhose/wasmhose/cmd/wasmhose/internal/loadgen/loadgentest"
)

func TestRunBench(t *testing.T) {
	// Signing credentials from the environment would only change the
	// signature, but a half-set pair is rejected: start from none.
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	t.Setenv("AWS_SESSION_TOKEN", "")

	tests := []struct {
		name      string
		server    loadgentest.Options
		args      []string // after --endpoint, when withServer
		noServer  bool
		exp       int
		expStdout []string
		expStderr []string
		// expSent and expFailed, when expJSON, are checked in the JSON
		// result, with a complete delivery check of expSent records.
		expJSON           bool
		expSent, expFaild int64
	}{
		{
			name:    "create, check, json",
			args:    []string{"--stream", "s", "--create", "--count", "500", "--batch", "100", "--concurrency", "2", "--buffer-seconds", "0", "--check-dir", "{dir}", "--json"},
			exp:     0,
			expJSON: true, expSent: 500,
		},
		{
			name:      "text report with failures",
			server:    loadgentest.Options{FailRecord: func(n, i int) bool { return i == 0 }},
			args:      []string{"--stream", "s", "--create", "--bucket", "other-bucket", "--compression", "UNCOMPRESSED", "--count", "30", "--batch", "10", "--concurrency", "1", "--check-dir", "{dir}"},
			exp:       0,
			expStdout: []string{"27 sent ok, 3 failed", "p50", "p99", "records/s", "MB/s", "ServiceUnavailableException: 0 calls, 3 records", "27 distinct, 0 duplicates, 0 missing"},
			expStderr: []string{"created stream s (bucket other-bucket, UNCOMPRESSED"},
		},
		{
			name:      "nothing accepted",
			server:    loadgentest.Options{Streams: map[string]string{"s": "bench-bucket"}, FailCall: func(int) bool { return true }},
			args:      []string{"--stream", "s", "--count", "20", "--batch", "10"},
			exp:       1,
			expStdout: []string{"0 sent ok, 20 failed", "2 calls, 20 records"},
			expStderr: []string{"no record was accepted"},
		},
		{
			name:      "stream not found",
			args:      []string{"--stream", "s", "--count", "20"},
			exp:       1,
			expStderr: []string{"delivery stream not found"},
		},
		{name: "stream required", args: []string{"--count", "1"}, exp: 2, expStderr: []string{"--stream is required"}},
		{name: "unknown flag", args: []string{"--stream", "s", "--nope"}, exp: 2, expStderr: []string{"flag provided but not defined"}},
		{name: "extra argument", args: []string{"--stream", "s", "extra"}, exp: 2, expStderr: []string{"unexpected arguments"}},
		{name: "batch too large", args: []string{"--stream", "s", "--batch", "501"}, exp: 2, expStderr: []string{"BatchSize"}},
		{name: "zero concurrency", args: []string{"--stream", "s", "--concurrency", "0"}, exp: 2, expStderr: []string{"--concurrency must be positive"}},
		{name: "bad compression", args: []string{"--stream", "s", "--create", "--compression", "LZ4"}, exp: 2, expStderr: []string{"Create.Compression"}},
		{name: "help", args: []string{"--help"}, noServer: true, exp: 0, expStderr: []string{"usage: wasmhose bench", "--check-dir"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			var args []string
			if !tt.noServer {
				srv := loadgentest.New(t, dir, tt.server)
				args = append(args, "--endpoint", srv.URL)
			}
			for _, a := range tt.args {
				args = append(args, strings.ReplaceAll(a, "{dir}", dir))
			}
			var stdout, stderr bytes.Buffer
			if got := runBench(args, &stdout, &stderr); got != tt.exp {
				t.Fatalf("runBench = %d, want %d\nstdout:\n%s\nstderr:\n%s", got, tt.exp, stdout.String(), stderr.String())
			}
			for _, want := range tt.expStdout {
				if !strings.Contains(stdout.String(), want) {
					t.Errorf("stdout lacks %q:\n%s", want, stdout.String())
				}
			}
			for _, want := range tt.expStderr {
				if !strings.Contains(stderr.String(), want) {
					t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
				}
			}
			if !tt.expJSON {
				return
			}
			var res loadgen.Result
			if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
				t.Fatalf("stdout is not a JSON Result: %v\n%s", err, stdout.String())
			}
			d := res.Delivery
			if res.RecordsSent != tt.expSent || res.RecordsFailed != tt.expFaild || d == nil ||
				d.Distinct != tt.expSent || d.Missing != 0 || d.Stopped != "complete" {
				t.Errorf("result = %s", stdout.String())
			}
		})
	}
}

func TestBenchConvert(t *testing.T) {
	for _, tt := range []struct{ format, compression, magic string }{
		{"parquet", "SNAPPY", "PAR1"},
		{"orc", "ZLIB", "ORC"},
	} {
		t.Run(tt.format, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			var stdout, stderr bytes.Buffer
			if code := run([]string{"bench-convert", "--records", "3000", "--format", tt.format, "--compression", tt.compression, "--out", out}, &stdout, &stderr); code != 0 {
				t.Fatalf("exit %d: %s", code, stderr.String())
			}
			if !strings.Contains(stdout.String(), "3000 records (0 failed)") {
				t.Fatalf("output: %s", stdout.String())
			}
			b, err := os.ReadFile(out)
			if err != nil || !bytes.HasPrefix(b, []byte(tt.magic)) {
				t.Fatalf("%s is not %s: %v", out, tt.format, err)
			}
		})
	}
	var stderr bytes.Buffer
	if code := run([]string{"bench-convert", "--format", "csv"}, io.Discard, &stderr); code != 2 || !strings.Contains(stderr.String(), "want parquet or orc") {
		t.Fatalf("--format csv: exit %d, %s", code, stderr.String())
	}
}
