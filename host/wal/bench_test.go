package wal

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkAppend measures group-committed appends, fsync on unless the
// name says nosync. One op is one Append call of batch records; the
// records/s metric is the figure to compare with the 250,000 records/s
// target (200-byte records, 8 goroutines, 500 per Append).
func BenchmarkAppend(b *testing.B) {
	for _, sync := range []bool{true, false} {
		for _, size := range []int{200, 1024} {
			for _, batch := range []int{1, 500} {
				for _, conc := range []int{1, 8, 64} {
					name := fmt.Sprintf("size=%d/batch=%d/conc=%d", size, batch, conc)
					if !sync {
						name = "nosync/" + name
					}
					b.Run(name, func(b *testing.B) {
						benchAppend(b, Options{NoSync: !sync}, size, batch, conc)
					})
				}
			}
		}
	}
}

// benchAppend runs b.N Append calls of batch records of size bytes from
// conc goroutines.
func benchAppend(b *testing.B, o Options, size, batch, conc int) {
	l, err := Open(b.TempDir(), o)
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	recs := make([][]Record, conc)
	now := time.Now()
	for g := range recs {
		recs[g] = make([]Record, batch)
		for i := range recs[g] {
			recs[g][i] = Record{Data: make([]byte, size), Arrival: now}
		}
	}
	b.SetBytes(int64(size * batch))
	b.ReportAllocs()
	b.ResetTimer()
	var left atomic.Int64
	left.Store(int64(b.N))
	var wg sync.WaitGroup
	for g := range conc {
		wg.Go(func() {
			for left.Add(-1) >= 0 {
				if _, err := l.Append(context.Background(), recs[g]); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkReplay measures reading back unacknowledged records.
func BenchmarkReplay(b *testing.B) {
	l, err := Open(b.TempDir(), Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	recs := make([]Record, 500)
	for i := range recs {
		recs[i] = Record{Data: make([]byte, 200), Arrival: time.Now()}
	}
	const batches = 200
	for range batches {
		if _, err := l.Append(context.Background(), recs); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(batches * 500 * 200)
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		if err := l.Replay(func(Entry) error { n++; return nil }); err != nil {
			b.Fatal(err)
		}
		if n != batches*500 {
			b.Fatalf("replayed %d", n)
		}
	}
}

// BenchmarkDecodeFrame measures validating and iterating one frame of 500
// records of 200 bytes.
func BenchmarkDecodeFrame(b *testing.B) {
	recs := make([]Record, 500)
	for i := range recs {
		recs[i] = Record{Data: make([]byte, 200), Arrival: time.Now()}
	}
	frame, err := AppendFrame(nil, 1, recs)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	for b.Loop() {
		f, _, err := DecodeFrame(frame)
		if err != nil {
			b.Fatal(err)
		}
		for range f.Entries() {
		}
	}
}
