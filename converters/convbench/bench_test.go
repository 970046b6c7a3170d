package convbench

import (
	"bytes"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/wasmhose/wasmhose/converters/hive"
	"github.com/wasmhose/wasmhose/converters/jsonserde"
	"github.com/wasmhose/wasmhose/converters/parquet"
	"io"
	"testing"
)

// BenchmarkJSONToParquet converts click events to Parquet (SNAPPY, the
// ParquetSerDe defaults) through the OpenX decoder; b.N is the number of
// records, so ns/op is the cost of one record.
func BenchmarkJSONToParquet(b *testing.B) {
	var in bytes.Buffer
	n := b.N
	if _, err := Generate(&in, n, 1); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(in.Len() / n))
	b.ReportAllocs()
	b.ResetTimer()
	defer reportCPU(b)()
	res, err := Convert(&in, io.Discard, Config{})
	if err != nil {
		b.Fatal(err)
	}
	if res.Records != n || res.Failed != 0 {
		b.Fatalf("converted %d records (%d failed), want %d", res.Records, res.Failed, n)
	}
}

// reportCPU starts measuring the process's CPU time; the returned function
// reports it per op as cpu-ns/op. On a machine shared with other work, CPU
// time is steadier than the wall time behind ns/op.
func reportCPU(b *testing.B) func() {
	cpu0 := processCPU()
	return func() {
		b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/op")
	}
}

// events returns n generated records.
func events(n int) [][]byte {
	g := NewGenerator(1)
	out := make([][]byte, n)
	for i := range out {
		out[i] = append([]byte(nil), g.Next()...)
	}
	return out
}

// BenchmarkDecode isolates the OpenX decoder: JSON records into Arrow
// batches of 8,192 rows, nothing written.
func BenchmarkDecode(b *testing.B) {
	recs := events(8192)
	schema, err := hive.ArrowSchema(Columns())
	if err != nil {
		b.Fatal(err)
	}
	dec, err := jsonserde.NewOpenX(schema, jsonserde.OpenXOptions{}, memory.NewGoAllocator())
	if err != nil {
		b.Fatal(err)
	}
	defer dec.Release()
	b.SetBytes(int64(len(recs[0])))
	b.ReportAllocs()
	b.ResetTimer()
	defer reportCPU(b)()
	for i := 0; i < b.N; i++ {
		if err := dec.Append(recs[i%len(recs)]); err != nil {
			b.Fatal(err)
		}
		if dec.Rows() == len(recs) {
			batch, err := dec.NewBatch()
			if err != nil {
				b.Fatal(err)
			}
			batch.Release()
		}
	}
}

// BenchmarkWrite isolates the Parquet writer: already decoded batches of
// 8,192 click events into one file, per codec and dictionary setting.
func BenchmarkWrite(b *testing.B) {
	recs := events(8192)
	schema, err := hive.ArrowSchema(Columns())
	if err != nil {
		b.Fatal(err)
	}
	dec, err := jsonserde.NewOpenX(schema, jsonserde.OpenXOptions{}, memory.NewGoAllocator())
	if err != nil {
		b.Fatal(err)
	}
	defer dec.Release()
	for _, r := range recs {
		if err := dec.Append(r); err != nil {
			b.Fatal(err)
		}
	}
	batch, err := dec.NewBatch()
	if err != nil {
		b.Fatal(err)
	}
	defer batch.Release()
	off := false
	for _, tc := range []struct {
		name string
		opts parquet.Options
	}{
		{"snappy", parquet.Options{}},
		{"uncompressed", parquet.Options{Compression: parquet.Uncompressed}},
		{"snappy-nodict", parquet.Options{EnableDictionaryCompression: &off}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			defer reportCPU(b)()
			w, err := parquet.NewWriter(io.Discard, schema, tc.opts)
			if err != nil {
				b.Fatal(err)
			}
			for i := 0; i < b.N; i += int(batch.NumRows()) {
				if err := w.Write(batch); err != nil {
					b.Fatal(err)
				}
			}
			if err := w.Close(); err != nil {
				b.Fatal(err)
			}
		})
	}
}
