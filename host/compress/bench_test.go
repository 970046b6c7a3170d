package compress_test

import (
	"bytes"
	"fmt"
	"io"
	"testing"

	"github.com/wasmhose/wasmhose/host/compress"
)

// benchSize is one Firehose buffer at the default BufferingHints (5 MiB).
const benchSize = 5 << 20

// countWriter counts bytes and discards them.
type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return len(p), nil
}

// benchWrite writes ~200-byte records one Write at a time, as the delivery
// path appends buffered records, and reports the output/input ratio.
func benchWrite(b *testing.B, f compress.Format, o compress.Options) {
	recs := jsonRecords(benchSize)
	total := 0
	for _, r := range recs {
		total += len(r)
	}
	b.SetBytes(int64(total))
	b.ReportAllocs()
	var cw countWriter
	b.ResetTimer()
	for b.Loop() {
		cw.n = 0
		w, err := compress.NewWriter(f, &cw, o)
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range recs {
			if _, err := w.Write(r); err != nil {
				b.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cw.n)/float64(total), "ratio")
}

// BenchmarkWriter measures each format's writer at its default level.
func BenchmarkWriter(b *testing.B) {
	for _, f := range compress.Formats() {
		b.Run("format="+string(f), func(b *testing.B) {
			benchWrite(b, f, compress.Options{})
		})
	}
}

// BenchmarkDeflateLevels measures GZIP at every level; it is the evidence
// for compress.DeflateDefaultLevel.
func BenchmarkDeflateLevels(b *testing.B) {
	for level := compress.HuffmanOnly; level <= compress.BestCompression; level++ {
		if level == compress.DefaultLevel {
			continue
		}
		b.Run(fmt.Sprintf("level=%d", level), func(b *testing.B) {
			benchWrite(b, compress.GZIP, compress.Options{Level: level})
		})
	}
}

// BenchmarkSnappyBetter measures the slower Snappy encoder (Level >= 2).
func BenchmarkSnappyBetter(b *testing.B) {
	for _, f := range []compress.Format{compress.Snappy, compress.HadoopSnappy} {
		b.Run("format="+string(f), func(b *testing.B) {
			benchWrite(b, f, compress.Options{Level: 2})
		})
	}
}

// BenchmarkReader measures decoding one 5 MiB object of each format.
func BenchmarkReader(b *testing.B) {
	data := jsonBytes(benchSize)
	for _, f := range compress.Formats() {
		b.Run("format="+string(f), func(b *testing.B) {
			enc, err := compress.Encode(f, data, compress.Options{})
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				r, err := compress.NewReader(f, bytes.NewReader(enc))
				if err != nil {
					b.Fatal(err)
				}
				if _, err := io.Copy(io.Discard, r); err != nil {
					b.Fatal(err)
				}
				if err := r.Close(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
