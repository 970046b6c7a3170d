package orc

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

func TestOptions(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{{Name: "a", Type: arrow.PrimitiveTypes.Int64, Nullable: true}}, nil)
	for _, tc := range []struct {
		name   string
		opts   Options
		expErr string
	}{
		{name: "defaults", opts: Options{}},
		{name: "lower-case codec", opts: Options{Compression: "zlib"}},
		{name: "firehose values", opts: Options{Compression: "NONE", StripeSizeBytes: 8 << 20, BlockSizeBytes: 64 << 20,
			RowIndexStride: 1000, EnablePadding: true, PaddingTolerance: 0.2, BloomFilterColumns: []string{"a"},
			BloomFilterFalsePositiveProbability: 0.01, DictionaryKeyThreshold: 1, FormatVersion: "V0_11"}},
		{name: "codec", opts: Options{Compression: "LZO"}, expErr: "Compression"},
		{name: "stripe", opts: Options{StripeSizeBytes: -1}, expErr: "StripeSizeBytes"},
		{name: "block", opts: Options{BlockSizeBytes: -1}, expErr: "BlockSizeBytes"},
		{name: "tolerance", opts: Options{PaddingTolerance: 1.5}, expErr: "PaddingTolerance"},
		{name: "bloom probability", opts: Options{BloomFilterFalsePositiveProbability: 2}, expErr: "BloomFilterFalsePositiveProbability"},
		{name: "bloom column", opts: Options{BloomFilterColumns: []string{"nope"}}, expErr: `no column "nope"`},
		{name: "dictionary", opts: Options{DictionaryKeyThreshold: 1.1}, expErr: "DictionaryKeyThreshold"},
		{name: "version", opts: Options{FormatVersion: "V2"}, expErr: "FormatVersion"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewWriter(&bytes.Buffer{}, schema, tc.opts)
			switch {
			case tc.expErr == "" && err != nil:
				t.Fatal(err)
			case tc.expErr != "" && (err == nil || !strings.Contains(err.Error(), tc.expErr)):
				t.Fatalf("err %v, want %q", err, tc.expErr)
			}
		})
	}
}

func TestSchemaErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		field  arrow.Field
		expErr string
	}{
		{name: "unsupported", field: arrow.Field{Name: "x", Type: arrow.PrimitiveTypes.Uint32}, expErr: "no ORC mapping"},
		{name: "mismatch", field: arrow.Field{Name: "x", Type: arrow.PrimitiveTypes.Int32, Metadata: hiveMeta("string")}, expErr: "does not match"},
		{name: "bad hive type", field: arrow.Field{Name: "x", Type: arrow.BinaryTypes.String, Metadata: hiveMeta("char(")}, expErr: "hive type"},
		{name: "char without length", field: arrow.Field{Name: "x", Type: arrow.BinaryTypes.String, Metadata: hiveMeta("char")}, expErr: `expected '('`},
		{name: "char too long", field: arrow.Field{Name: "x", Type: arrow.BinaryTypes.String, Metadata: hiveMeta("char(256)")}, expErr: "outside 1..255"},
		{name: "nested mismatch", field: arrow.Field{Name: "x", Type: arrow.ListOf(arrow.PrimitiveTypes.Int64), Metadata: hiveMeta("array<int>")}, expErr: "does not match"},
		{name: "struct arity", field: arrow.Field{Name: "x", Type: arrow.StructOf(arrow.Field{Name: "a", Type: arrow.PrimitiveTypes.Int32}),
			Metadata: hiveMeta("struct<a:int,b:int>")}, expErr: "2 fields"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewWriter(&bytes.Buffer{}, arrow.NewSchema([]arrow.Field{tc.field}, nil), Options{})
			if err == nil || !strings.Contains(err.Error(), tc.expErr) {
				t.Fatalf("err %v, want %q", err, tc.expErr)
			}
		})
	}
}

func TestWriteErrors(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{{Name: "a", Type: arrow.PrimitiveTypes.Int64, Nullable: true}}, nil)
	other := arrow.NewSchema([]arrow.Field{{Name: "a", Type: arrow.BinaryTypes.String, Nullable: true}}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, other)
	defer b.Release()
	b.Field(0).(*array.StringBuilder).Append("x")
	rec := b.NewRecordBatch()
	defer rec.Release()
	w, err := NewWriter(&bytes.Buffer{}, schema, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(rec); err == nil || !strings.Contains(err.Error(), "want a int64") {
		t.Errorf("schema mismatch: err %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Write(rec); !errors.Is(err, ErrClosed) {
		t.Errorf("write after close: err %v, want ErrClosed", err)
	}
	if _, err := NewWriter(failWriter{}, schema, Options{}); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("header write: err %v", err)
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

// TestEmptyFile checks that a file without rows is valid.
func TestEmptyFile(t *testing.T) {
	schema := allTypesSchema()
	data := writeFile(t, schema, Options{})
	if rows := treeRead(t, data); len(rows) != 0 {
		t.Fatalf("%d rows", len(rows))
	}
	tl := readTail(t, data)
	if len(tl.footer.GetStripes()) != 0 || len(tl.footer.GetTypes()) != 35 {
		t.Errorf("%d stripes, %d types", len(tl.footer.GetStripes()), len(tl.footer.GetTypes()))
	}
}

// TestStripeSizing checks that stripes close by size, so that memory is
// bounded by the stripe size and not by the number of rows, and that
// padding aligns stripes to blocks.
func TestStripeSizing(t *testing.T) {
	schema := allTypesSchema()
	g := &gen{r: rand.New(rand.NewPCG(9, 9)), nullProb: 0.1}
	var recs []arrow.RecordBatch
	for range 4 {
		recs = append(recs, g.batch(schema, 5000))
	}
	defer func() {
		for _, r := range recs {
			r.Release()
		}
	}()
	const stripe = 256 << 10
	for _, padding := range []bool{false, true} {
		data := writeFile(t, schema, Options{StripeSizeBytes: stripe, EnablePadding: padding,
			BlockSizeBytes: 1 << 20, PaddingTolerance: 0.5}, recs...)
		tl := readTail(t, data)
		stripes := tl.footer.GetStripes()
		if len(stripes) < 4 {
			t.Fatalf("%d stripes for %d bytes", len(stripes), len(data))
		}
		for i, s := range stripes {
			// A stripe may overshoot by what its last few rows add.
			if s.GetDataLength() > stripe+stripe/4 {
				t.Errorf("stripe %d holds %d bytes of data, the stripe size is %d", i, s.GetDataLength(), stripe)
			}
			if padding && i > 0 {
				end := s.GetOffset() + s.GetIndexLength() + s.GetDataLength() + s.GetFooterLength()
				startBlock, endBlock := s.GetOffset()>>20, (end-1)>>20
				prev := stripes[i-1]
				gap := s.GetOffset() - (prev.GetOffset() + prev.GetIndexLength() + prev.GetDataLength() + prev.GetFooterLength())
				if startBlock != endBlock && gap == 0 && (s.GetOffset()&(1<<20-1)) > 1<<20-stripe/2 {
					t.Errorf("stripe %d straddles a block boundary although padding was within tolerance", i)
				}
			}
		}
		compareRows(t, schema, treeRead(t, data), hiveAdjusted(schema, expectedRows(recs...)))
	}
}
