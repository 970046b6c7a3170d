package loadgen

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// lines returns the records ids[i] of run, one per line, in the format
// recordGen writes.
func lines(run string, ids ...string) []byte {
	var b bytes.Buffer
	for _, id := range ids {
		fmt.Fprintf(&b, `{"id":"%s-%s","ts":1700000000000,"pad":"xx"}`+"\n", run, id)
	}
	return b.Bytes()
}

func gz(t *testing.T, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func concat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// equalDelivery compares two Deliveries.
func equalDelivery(a, b Delivery) bool { return reflect.DeepEqual(a, b) }

func TestCheck(t *testing.T) {
	// files maps a path under <dir>/s3/<bucket>/ to its bytes.
	type files map[string]func(t *testing.T) []byte
	raw := func(b []byte) func(*testing.T) []byte { return func(*testing.T) []byte { return b } }
	gzf := func(b []byte) func(*testing.T) []byte { return func(t *testing.T) []byte { return gz(t, b) } }

	tests := []struct {
		name   string
		files  files
		want   int64
		opts   CheckOptions
		exp    Delivery // Elapsed is not compared
		expErr error
	}{
		{
			name: "gzip and plain objects, other runs ignored",
			files: files{
				"2026/01/02/03/s-1.gz": gzf(lines("run1", "0-0", "0-1", "1-0")),
				"2026/01/02/03/s-2":    raw(concat(lines("run1", "1-1"), lines("run2", "0-0"), []byte("not a record\n"))),
				"2026/01/02/04/s-3.gz": gzf(lines("run10", "0-2")), // run10 is another run
			},
			want: 4,
			exp:  Delivery{Objects: 3, Delivered: 4, Distinct: 4, Stopped: "complete"},
		},
		{
			name: "duplicates and a missing record",
			files: files{
				"a.gz": gzf(lines("run1", "0-0", "0-1", "0-1")),
				"b.gz": gzf(lines("run1", "0-0", "1-70")),
			},
			want: 5,
			opts: CheckOptions{Quiet: time.Millisecond},
			exp:  Delivery{Objects: 2, Delivered: 5, Distinct: 3, Duplicates: 2, Missing: 2, Stopped: "quiet"},
		},
		{
			name:  "extra records",
			files: files{"a": raw(lines("run1", "0-0", "0-1", "0-2"))},
			want:  2,
			exp:   Delivery{Objects: 1, Delivered: 3, Distinct: 3, Extra: 1, Stopped: "complete"},
		},
		{
			name: "multi-member gzip",
			files: files{"a.gz": func(t *testing.T) []byte {
				return concat(gz(t, lines("run1", "0-0")), gz(t, lines("run1", "0-1")))
			}},
			want: 2,
			exp:  Delivery{Objects: 1, Delivered: 2, Distinct: 2, Stopped: "complete"},
		},
		{
			name: "hidden files and folders skipped",
			files: files{
				".tmp-123":      raw(lines("run1", "0-0")),
				".hidden/a":     raw(lines("run1", "0-1")),
				"x/.tmp-456.gz": gzf(lines("run1", "0-2")),
				"x/a":           raw(lines("run1", "0-3")),
			},
			want: 1,
			exp:  Delivery{Objects: 1, Delivered: 1, Distinct: 1, Stopped: "complete"},
		},
		{
			name: "unsupported and unreadable objects",
			files: files{
				"a.zip":    raw([]byte("PK")),
				"b.snappy": raw([]byte("x")),
				"c.gz":     raw(lines("run1", "0-0")), // not gzip
				"d":        raw(lines("run1", "0-1")),
			},
			want: 2,
			opts: CheckOptions{Quiet: time.Millisecond},
			exp: Delivery{Objects: 2, Delivered: 1, Distinct: 1, Missing: 1, Unsupported: 2, Unreadable: 1, Stopped: "quiet",
				Problems: []string{"a.zip: .zip unsupported for check", "b.snappy: .snappy unsupported for check", "c.gz: decode: gzip: invalid header"}},
		},
		{
			name: "malformed ids",
			files: files{"a": raw(concat(
				[]byte(`{"id":"run1-0"}`+"\n"),
				[]byte(`{"id":"run1-x-1"}`+"\n"),
				[]byte(`{"id":"run1-0-1`), // no closing quote, no newline
			))},
			want: 0,
			exp:  Delivery{Objects: 1, Delivered: 3, Malformed: 3, Stopped: "complete"},
		},
		{
			name: "long lines",
			files: files{"a.gz": gzf(concat(
				lines("run1", "0-0"),
				[]byte(`{"other":"`+strings.Repeat("y", 600<<10)+`"}`+"\n"),
				lines("run1", "0-1"),
			))},
			want: 2,
			exp:  Delivery{Objects: 1, Delivered: 2, Distinct: 2, Stopped: "complete"},
		},
		{
			name: "older objects skipped",
			files: files{
				"old-a": raw(lines("run1", "0-0")),
				"new-b": raw(lines("run1", "0-1")),
			},
			want: 1,
			opts: CheckOptions{Since: time.Now()},
			exp:  Delivery{Objects: 1, Skipped: 1, Delivered: 1, Distinct: 1, Stopped: "complete"},
		},
		{
			name: "no bucket folder yet",
			want: 1,
			opts: CheckOptions{Quiet: time.Millisecond},
			exp:  Delivery{Missing: 1, Stopped: "quiet"},
		},
		{
			name: "timeout",
			want: 1,
			opts: CheckOptions{Timeout: time.Millisecond, Quiet: time.Hour},
			exp:  Delivery{Missing: 1, Stopped: "timeout"},
		},
		{
			name:   "invalid run id",
			opts:   CheckOptions{Want: -1},
			expErr: ErrInvalidOptions,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, data := range tt.files {
				p := filepath.Join(dir, "s3", "bucket", filepath.FromSlash(name))
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, data(t), 0o644); err != nil {
					t.Fatal(err)
				}
				if strings.HasPrefix(filepath.Base(p), "old-") {
					old := time.Now().Add(-time.Hour)
					if err := os.Chtimes(p, old, old); err != nil {
						t.Fatal(err)
					}
				}
			}
			o := tt.opts
			if o.Want == 0 {
				o.Want = tt.want
			}
			runID := "run1"
			if tt.expErr != nil {
				runID = "bad-id"
			}
			d, err := Check(context.Background(), dir, "bucket", runID, o)
			if tt.expErr != nil {
				if !errors.Is(err, tt.expErr) {
					t.Fatalf("Check error = %v, want %v", err, tt.expErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Check: %v", err)
			}
			d.Elapsed = 0
			// Walk order is lexical, so Problems are stable.
			if !equalDelivery(d, tt.exp) {
				t.Errorf("Check =\n%+v, want\n%+v", d, tt.exp)
			}
		})
	}
}

func TestCheckMissingDataDir(t *testing.T) {
	_, err := Check(context.Background(), filepath.Join(t.TempDir(), "nope"), "bucket", "run1", CheckOptions{})
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Check error = %v, want fs.ErrNotExist", err)
	}
}

// TestCheckPolls checks that Check keeps scanning until the records it
// wants appear. The second object is written when Check reports the first,
// so the test needs no sleep.
func TestCheckPolls(t *testing.T) {
	dir := t.TempDir()
	bucketDir := filepath.Join(dir, "s3", "bucket")
	if err := os.MkdirAll(bucketDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bucketDir, "a"), lines("run1", "0-0"), 0o644); err != nil {
		t.Fatal(err)
	}
	reports := 0
	progress := writerFunc(func(p []byte) (int, error) {
		reports++
		if reports == 1 {
			if err := os.WriteFile(filepath.Join(bucketDir, "b.gz"), gz(t, lines("run1", "0-1", "1-0")), 0o644); err != nil {
				t.Error(err)
			}
		}
		return len(p), nil
	})
	d, err := Check(context.Background(), dir, "bucket", "run1", CheckOptions{Want: 3, Poll: time.Millisecond, Quiet: time.Minute, Progress: progress})
	if err != nil {
		t.Fatal(err)
	}
	if d.Distinct != 3 || d.Objects != 2 || d.Stopped != "complete" || reports != 2 {
		t.Errorf("Check = %+v after %d reports, want 3 distinct records in 2 objects, complete, 2 reports", d, reports)
	}
}

func TestCheckCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	d, err := Check(ctx, t.TempDir(), "bucket", "run1", CheckOptions{Want: 1})
	if !errors.Is(err, context.Canceled) || d.Stopped != "canceled" {
		t.Fatalf("Check = %+v, %v; want canceled", d, err)
	}
}
