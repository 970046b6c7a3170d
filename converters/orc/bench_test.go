package orc

import (
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// clickSchema is a click event of 16 columns like the conversion issue's.
func clickSchema() *arrow.Schema {
	device := arrow.StructOf(
		arrow.Field{Name: "os", Type: arrow.BinaryTypes.String, Nullable: true},
		arrow.Field{Name: "version", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	)
	f := func(name string, dt arrow.DataType) arrow.Field {
		return arrow.Field{Name: name, Type: dt, Nullable: true}
	}
	return arrow.NewSchema([]arrow.Field{
		f("event_id", arrow.BinaryTypes.String),
		f("user_id", arrow.BinaryTypes.String),
		f("event_type", arrow.BinaryTypes.String),
		f("url", arrow.BinaryTypes.String),
		f("user_agent", arrow.BinaryTypes.String),
		f("country", arrow.BinaryTypes.String),
		f("ts", &arrow.TimestampType{Unit: arrow.Nanosecond}),
		f("duration_ms", arrow.PrimitiveTypes.Int32),
		f("seq", arrow.PrimitiveTypes.Int64),
		f("score", arrow.PrimitiveTypes.Float64),
		f("is_bot", arrow.FixedWidthTypes.Boolean),
		f("referrer", arrow.BinaryTypes.String),
		f("price", &arrow.Decimal128Type{Precision: 10, Scale: 2}),
		f("device", device),
		f("tags", arrow.ListOf(arrow.BinaryTypes.String)),
		f("counters", arrow.MapOf(arrow.BinaryTypes.String, arrow.PrimitiveTypes.Int32)),
	}, nil)
}

// clickBatch builds n click events starting at event number first.
func clickBatch(schema *arrow.Schema, r *rand.Rand, first, n int) arrow.RecordBatch {
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	types := []string{"click", "view", "scroll", "purchase"}
	countries := []string{"US", "DE", "FR", "JP", "BR"}
	agents := []string{"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)"}
	base := time.Date(2026, 7, 13, 14, 0, 0, 0, time.UTC).UnixNano()
	for i := range n {
		id := first + i
		b.Field(0).(*array.StringBuilder).Append(fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", r.Uint32(), r.IntN(1<<16), r.IntN(1<<12), r.IntN(1<<12), r.Uint64()&(1<<48-1)))
		b.Field(1).(*array.StringBuilder).Append(fmt.Sprintf("user-%d", r.IntN(100000)))
		b.Field(2).(*array.StringBuilder).Append(types[r.IntN(len(types))])
		b.Field(3).(*array.StringBuilder).Append(fmt.Sprintf("https://shop.example.com/p/%d", r.IntN(5000)))
		b.Field(4).(*array.StringBuilder).Append(agents[r.IntN(len(agents))])
		b.Field(5).(*array.StringBuilder).Append(countries[r.IntN(len(countries))])
		b.Field(6).(*array.TimestampBuilder).Append(arrow.Timestamp(base + int64(id)*1e6 + r.Int64N(1e6)))
		b.Field(7).(*array.Int32Builder).Append(r.Int32N(60000))
		b.Field(8).(*array.Int64Builder).Append(int64(id))
		b.Field(9).(*array.Float64Builder).Append(r.Float64())
		b.Field(10).(*array.BooleanBuilder).Append(r.IntN(20) == 0)
		if r.IntN(3) == 0 {
			b.Field(11).AppendNull()
		} else {
			b.Field(11).(*array.StringBuilder).Append("https://search.example.org/?q=shoes")
		}
		b.Field(12).(*array.Decimal128Builder).Append(decimal128.FromI64(r.Int64N(100000)))
		sb := b.Field(13).(*array.StructBuilder)
		sb.Append(true)
		sb.FieldBuilder(0).(*array.StringBuilder).Append([]string{"linux", "ios", "android"}[r.IntN(3)])
		sb.FieldBuilder(1).(*array.Int32Builder).Append(r.Int32N(20))
		lb := b.Field(14).(*array.ListBuilder)
		lb.Append(true)
		for range r.IntN(3) {
			lb.ValueBuilder().(*array.StringBuilder).Append([]string{"sale", "new", "promo"}[r.IntN(3)])
		}
		mb := b.Field(15).(*array.MapBuilder)
		mb.Append(true)
		for k := range r.IntN(3) {
			mb.KeyBuilder().(*array.StringBuilder).Append([]string{"a", "b", "c"}[k])
			mb.ItemBuilder().(*array.Int32Builder).Append(r.Int32N(100))
		}
	}
	return b.NewRecordBatch()
}

const (
	benchBatch   = 10000
	benchBatches = 10
)

func clickBatches(b *testing.B) (*arrow.Schema, []arrow.RecordBatch) {
	schema := clickSchema()
	r := rand.New(rand.NewPCG(1, 2))
	var recs []arrow.RecordBatch
	for i := range benchBatches {
		recs = append(recs, clickBatch(schema, r, i*benchBatch, benchBatch))
	}
	b.Cleanup(func() {
		for _, r := range recs {
			r.Release()
		}
	})
	return schema, recs
}

// BenchmarkWrite writes 100,000 click events per iteration as ORC, per
// codec (with dictionaries, the default) and with SNAPPY without
// dictionaries, and reports records per second.
func BenchmarkWrite(b *testing.B) {
	schema, recs := clickBatches(b)
	for _, tc := range []struct {
		name string
		opts Options
	}{
		{"NONE", Options{Compression: "NONE"}},
		{"ZLIB", Options{Compression: "ZLIB"}},
		{"SNAPPY", Options{Compression: "SNAPPY"}},
		{"SNAPPY-direct", Options{Compression: "SNAPPY", DictionaryKeyThreshold: -1}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			var size int64
			for b.Loop() {
				cw := &countWriter{}
				w, err := NewWriter(cw, schema, tc.opts)
				if err != nil {
					b.Fatal(err)
				}
				for _, rec := range recs {
					if err := w.Write(rec); err != nil {
						b.Fatal(err)
					}
				}
				if err := w.Close(); err != nil {
					b.Fatal(err)
				}
				size = cw.n
			}
			b.ReportMetric(float64(benchBatch*benchBatches*b.N)/b.Elapsed().Seconds(), "records/s")
			b.ReportMetric(float64(size), "file-bytes")
		})
	}
}

// BenchmarkParquet writes the same batches with arrow-go's pqarrow, the
// Parquet path, for comparison.
func BenchmarkParquet(b *testing.B) {
	schema, recs := clickBatches(b)
	for _, comp := range []compress.Compression{compress.Codecs.Uncompressed, compress.Codecs.Gzip, compress.Codecs.Snappy} {
		b.Run(comp.String(), func(b *testing.B) {
			b.ReportAllocs()
			var size int64
			for b.Loop() {
				cw := &countWriter{}
				w, err := pqarrow.NewFileWriter(schema, cw, parquet.NewWriterProperties(parquet.WithCompression(comp)), pqarrow.DefaultWriterProps())
				if err != nil {
					b.Fatal(err)
				}
				for _, rec := range recs {
					if err := w.WriteBuffered(rec); err != nil {
						b.Fatal(err)
					}
				}
				if err := w.Close(); err != nil {
					b.Fatal(err)
				}
				size = cw.n
			}
			b.ReportMetric(float64(benchBatch*benchBatches*b.N)/b.Elapsed().Seconds(), "records/s")
			b.ReportMetric(float64(size), "file-bytes")
		})
	}
}

// BenchmarkMillion writes the one million click events in one ORC
// file (SNAPPY, default 64 MiB stripes), with dictionaries (the default
// threshold) and without, and reports the peak heap in use, sampled after
// each batch of 10,000 rows.
func BenchmarkMillion(b *testing.B) {
	schema, recs := clickBatches(b)
	for _, tc := range []struct {
		name      string
		threshold float64
	}{{"dictionary", 0}, {"direct", -1}} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				runtime.GC()
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				baseHeap := ms.HeapInuse
				peak := uint64(0)
				cw := &countWriter{}
				w, err := NewWriter(cw, schema, Options{DictionaryKeyThreshold: tc.threshold})
				if err != nil {
					b.Fatal(err)
				}
				for i := range 1000000 / benchBatch {
					if err := w.Write(recs[i%len(recs)]); err != nil {
						b.Fatal(err)
					}
					runtime.ReadMemStats(&ms)
					peak = max(peak, ms.HeapInuse-min(baseHeap, ms.HeapInuse))
				}
				if err := w.Close(); err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
				b.ReportMetric(float64(cw.n)/(1<<20), "file-MiB")
				b.ReportMetric(float64(len(w.stripes)), "stripes")
			}
			b.ReportMetric(float64(1000000*b.N)/b.Elapsed().Seconds(), "records/s")
		})
	}
}

type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return len(p), nil
}

var _ io.Writer = (*countWriter)(nil)
