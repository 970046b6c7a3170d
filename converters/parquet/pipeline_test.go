package parquet

import (
	"bytes"
	"errors"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/wasmhose/wasmhose/converters/hive"
	"github.com/wasmhose/wasmhose/converters/jsonserde"
)

// decodeGolden decodes a golden case's records into batches of at most
// rows rows (the failing records are left out, as in the golden run).
func decodeGolden(t *testing.T, g goldenCase, rows int, mem memory.Allocator) (*arrow.Schema, []arrow.RecordBatch) {
	t.Helper()
	schema, err := hive.ArrowSchema(g.columns)
	if err != nil {
		t.Fatal(err)
	}
	var dec *jsonserde.Decoder
	if g.serde == "hive" {
		dec, err = jsonserde.NewHive(schema, g.hive, mem)
	} else {
		dec, err = jsonserde.NewOpenX(schema, g.openx, mem)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Release()
	var out []arrow.RecordBatch
	flush := func() {
		b, err := dec.NewBatch()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	for _, r := range g.records {
		_ = dec.Append([]byte(r))
		if dec.Rows() >= rows {
			flush()
		}
	}
	flush()
	return schema, out
}

// writeAll writes the batches with the options and returns the file.
func writeAll(t *testing.T, schema *arrow.Schema, batches []arrow.RecordBatch, opts Options) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewWriter(&buf, schema, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range batches {
		if err := w.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestBackgroundEncoderWritesTheSameFile writes every golden case in small
// batches and small row groups, in the caller's goroutine and in the
// writer's own, and requires the same bytes, and every Arrow buffer
// released in both.
func TestBackgroundEncoderWritesTheSameFile(t *testing.T) {
	files, err := filepath.Glob("testdata/golden/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden files: %v", err)
	}
	for _, file := range files {
		for _, rows := range []int{1, 3, 1000} {
			g := parseGolden(t, file)
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			schema, batches := decodeGolden(t, g, rows, mem)
			opts := g.parquet
			opts.Allocator = mem
			opts.BlockSizeBytes = 200
			opts.Synchronous = true
			sync := writeAll(t, schema, batches, opts)
			opts.Synchronous = false
			async := writeAll(t, schema, batches, opts)
			for _, b := range batches {
				b.Release()
			}
			if !bytes.Equal(sync, async) {
				t.Errorf("%s, %d rows a batch: the background encoder wrote %d bytes, the synchronous one %d, and they differ", filepath.Base(file), rows, len(async), len(sync))
			}
			mem.AssertSize(t, 0)
		}
	}
}

var errDiskFull = errors.New("disk full")

// failingWriter accepts limit bytes, then fails every write.
type failingWriter struct{ limit int }

func (f *failingWriter) Write(p []byte) (int, error) {
	if len(p) > f.limit {
		n := f.limit
		f.limit = 0
		return n, errDiskFull
	}
	f.limit -= len(p)
	return len(p), nil
}

// TestBackgroundEncoderReportsErrors has the destination fail while row
// groups are flushed by the writer's goroutine: a later Write or Close
// must return the error, in both modes, and Close must end the goroutine.
func TestBackgroundEncoderReportsErrors(t *testing.T) {
	g := parseGolden(t, "testdata/golden/openx_types.txt")
	mem := memory.NewGoAllocator()
	schema, batches := decodeGolden(t, g, 1, mem)
	defer func() {
		for _, b := range batches {
			b.Release()
		}
	}()
	full := writeAll(t, schema, batches, Options{BlockSizeBytes: 1, Synchronous: true})
	for _, synchronous := range []bool{true, false} {
		for _, limit := range []int{0, 4, len(full) / 2, len(full) - 1} {
			w, err := NewWriter(&failingWriter{limit: limit}, schema, Options{BlockSizeBytes: 1, Synchronous: synchronous})
			if err != nil {
				t.Fatal(err)
			}
			var got error
			for _, b := range batches {
				if got = w.Write(b); got != nil {
					break
				}
			}
			if err := w.Close(); got == nil {
				got = err
			}
			if !errors.Is(got, errDiskFull) {
				t.Errorf("synchronous %v, destination full after %d of %d bytes: got %v, want the destination's error", synchronous, limit, len(full), got)
			}
			if err := w.Write(batches[0]); err == nil {
				t.Errorf("synchronous %v: Write after Close succeeded", synchronous)
			}
		}
	}
}
