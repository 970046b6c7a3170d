package wal

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// base is the arrival time of test record 0.
var base = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// testRecord returns the deterministic record number i: its data encodes i
// and has a length that varies with it.
func testRecord(i int) Record {
	data := fmt.Appendf(nil, "record-%d-", i)
	for len(data) < 10+i%97 {
		data = append(data, byte('a'+i%26))
	}
	return Record{Data: data, Arrival: base.Add(time.Duration(i) * time.Millisecond)}
}

// testRecords returns records from .. to-1.
func testRecords(from, to int) []Record {
	var rs []Record
	for i := from; i < to; i++ {
		rs = append(rs, testRecord(i))
	}
	return rs
}

// openLog opens a log in dir and closes it when the test ends.
func openLog(t testing.TB, dir string, o Options) *Log {
	t.Helper()
	l, err := Open(dir, o)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// mustAppend appends recs and checks the first sequence number.
func mustAppend(t testing.TB, l *Log, recs []Record, wantFirst uint64) {
	t.Helper()
	first, err := l.Append(context.Background(), recs)
	if err != nil {
		t.Fatalf("Append: %v", err)
	}
	if wantFirst != 0 && first != wantFirst {
		t.Fatalf("Append: first = %d, want %d", first, wantFirst)
	}
}

// replayAll returns every entry Replay yields.
func replayAll(t testing.TB, l *Log) []Entry {
	t.Helper()
	var es []Entry
	if err := l.Replay(func(e Entry) error {
		es = append(es, e)
		return nil
	}); err != nil {
		t.Fatalf("Replay: %v", err)
	}
	return es
}

// seqs returns the sequence numbers of es.
func seqs(es []Entry) []uint64 {
	out := make([]uint64, len(es))
	for i, e := range es {
		out[i] = e.Seq
	}
	return out
}

// seqRange returns from .. to-1.
func seqRange(from, to uint64) []uint64 {
	var out []uint64
	for s := from; s < to; s++ {
		out = append(out, s)
	}
	return out
}

// checkEntries checks that es are the test records with the given
// sequence numbers, where sequence number s holds testRecord(s-1).
func checkEntries(t testing.TB, es []Entry, want []uint64) {
	t.Helper()
	if got := seqs(es); !slices.Equal(got, want) {
		t.Fatalf("replayed sequence numbers %v, want %v", compact(got), compact(want))
	}
	for _, e := range es {
		r := testRecord(int(e.Seq - 1))
		if string(e.Data) != string(r.Data) || !e.Arrival.Equal(r.Arrival) {
			t.Fatalf("entry %d = %q at %v, want %q at %v", e.Seq, e.Data, e.Arrival, r.Data, r.Arrival)
		}
	}
}

// compact renders sequence numbers as ranges, for readable failures.
func compact(s []uint64) string {
	out := ""
	for i := 0; i < len(s); {
		j := i
		for j+1 < len(s) && s[j+1] == s[j]+1 {
			j++
		}
		if out != "" {
			out += ","
		}
		if i == j {
			out += fmt.Sprint(s[i])
		} else {
			out += fmt.Sprintf("%d-%d", s[i], s[j])
		}
		i = j + 1
	}
	return "[" + out + "]"
}

// segmentFiles returns the names of the segment files in dir.
func segmentFiles(t testing.TB, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*.wal"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range m {
		m[i] = filepath.Base(m[i])
	}
	return m
}

// frameOffsets returns the start offsets of the frames in a segment file,
// and its size.
func frameOffsets(t testing.TB, path string) ([]int64, int64) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var offs []int64
	for off := 0; off < len(b); {
		_, n, err := DecodeFrame(b[off:])
		if err != nil {
			t.Fatalf("%s at %d: %v", path, off, err)
		}
		offs = append(offs, int64(off))
		off += n
	}
	return offs, int64(len(b))
}

// lastSegment returns the path of the last segment file in dir.
func lastSegment(t testing.TB, dir string) string {
	t.Helper()
	fs := segmentFiles(t, dir)
	if len(fs) == 0 {
		t.Fatal("no segments")
	}
	return filepath.Join(dir, fs[len(fs)-1])
}

// copyDir copies the regular files of src into a new temporary folder.
func copyDir(t testing.TB, src string) string {
	t.Helper()
	dst := t.TempDir()
	des, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, de := range des {
		b, err := os.ReadFile(filepath.Join(src, de.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, de.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// crash stops l as a killed process would leave its folder: the appends
// already returned are on disk, and the sequence lease does not record a
// clean close.
func crash(t testing.TB, l *Log) {
	t.Helper()
	if err := l.close(false); err != nil {
		t.Fatal(err)
	}
}
