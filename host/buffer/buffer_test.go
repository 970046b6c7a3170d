package buffer

import (
	"sync"
	"testing"
	"time"
)

type sink struct {
	mu      sync.Mutex
	batches []*Batch
	ch      chan *Batch
}

func newSink() *sink { return &sink{ch: make(chan *Batch, 100)} }

func (s *sink) flush(b *Batch) {
	s.mu.Lock()
	s.batches = append(s.batches, b)
	s.mu.Unlock()
	s.ch <- b
}

func recs(from uint64, n, size int, at time.Time) []Record {
	out := make([]Record, n)
	for i := range out {
		out[i] = Record{Seq: from + uint64(i), Data: make([]byte, size), Arrival: at}
	}
	return out
}

func TestSizeTrigger(t *testing.T) {
	s := newSink()
	b := New(Hints{SizeBytes: 1000, Interval: time.Hour}, s.flush)
	t0 := time.Unix(1000, 0)
	b.Add(recs(1, 9, 100, t0)) // 900 bytes: stays open
	if n, by := b.Len(); n != 9 || by != 900 {
		t.Fatalf("Len = %d, %d", n, by)
	}
	b.Add(recs(10, 2, 100, t0.Add(-time.Second))) // the 10th record reaches 1000 bytes: flushes, the 11th opens a new batch
	select {
	case got := <-s.ch:
		if len(got.Records) != 10 || got.Bytes != 1000 || !got.Oldest.Equal(t0.Add(-time.Second)) {
			t.Fatalf("batch: %d records, %d bytes, oldest %v", len(got.Records), got.Bytes, got.Oldest)
		}
		if len(got.Ranges) != 1 || got.Ranges[0] != (Range{1, 11}) {
			t.Fatalf("ranges %v", got.Ranges)
		}
	default:
		t.Fatal("no flush at the size hint")
	}
	if n, by := b.Len(); n != 1 || by != 100 {
		t.Fatalf("after the flush the buffer holds %d records, %d bytes; want the 11th alone", n, by)
	}
}

func TestOneLargeAddSplitsBySize(t *testing.T) {
	s := newSink()
	b := New(Hints{SizeBytes: 1000, Interval: time.Hour}, s.flush)
	b.Add(recs(1, 35, 100, time.Now())) // 3500 bytes: three full batches, 500 bytes left open
	for i := range 3 {
		select {
		case got := <-s.ch:
			if len(got.Records) != 10 || got.Bytes != 1000 {
				t.Fatalf("batch %d: %d records, %d bytes", i, len(got.Records), got.Bytes)
			}
		default:
			t.Fatalf("only %d batches flushed", i)
		}
	}
	if n, _ := b.Len(); n != 5 {
		t.Fatalf("%d records left open, want 5", n)
	}
}

func TestIntervalTrigger(t *testing.T) {
	s := newSink()
	b := New(Hints{SizeBytes: 1 << 20, Interval: 20 * time.Millisecond}, s.flush)
	b.Add(recs(1, 3, 10, time.Now()))
	select {
	case got := <-s.ch:
		if len(got.Records) != 3 {
			t.Fatalf("got %d records", len(got.Records))
		}
	case <-time.After(10 * time.Second):
		t.Fatal("interval did not flush")
	}
}

func TestZeroIntervalFlushesPromptly(t *testing.T) {
	s := newSink()
	b := New(Hints{SizeBytes: 1 << 20, Interval: 0}, s.flush)
	b.Add(recs(1, 1, 10, time.Now()))
	select {
	case <-s.ch:
	case <-time.After(10 * time.Second):
		t.Fatal("zero interval did not flush")
	}
}

func TestRangesMergeAndSplit(t *testing.T) {
	tests := []struct {
		name string
		seqs []uint64
		exp  []Range
	}{
		{"contiguous", []uint64{1, 2, 3}, []Range{{1, 4}}},
		{"gap", []uint64{1, 2, 5, 6}, []Range{{1, 3}, {5, 7}}},
		{"out of order", []uint64{5, 1, 2}, []Range{{5, 6}, {1, 3}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSink()
			b := New(Hints{SizeBytes: 1 << 20, Interval: time.Hour}, s.flush)
			for _, q := range tt.seqs {
				b.Add([]Record{{Seq: q, Data: []byte("x")}})
			}
			b.Flush()
			got := <-s.ch
			if len(got.Ranges) != len(tt.exp) {
				t.Fatalf("ranges %v, want %v", got.Ranges, tt.exp)
			}
			for i := range tt.exp {
				if got.Ranges[i] != tt.exp[i] {
					t.Fatalf("ranges %v, want %v", got.Ranges, tt.exp)
				}
			}
		})
	}
}

func TestCloseFlushesAndAddAfterCloseIsNotLost(t *testing.T) {
	s := newSink()
	b := New(Hints{SizeBytes: 1 << 20, Interval: time.Hour}, s.flush)
	b.Add(recs(1, 2, 10, time.Now()))
	b.Close()
	if got := <-s.ch; len(got.Records) != 2 {
		t.Fatalf("close flushed %d records", len(got.Records))
	}
	b.Add(recs(3, 1, 10, time.Now()))
	if got := <-s.ch; len(got.Records) != 1 {
		t.Fatalf("add after close: %d records", len(got.Records))
	}
}

func TestSetHintsApplies(t *testing.T) {
	s := newSink()
	b := New(Hints{SizeBytes: 1 << 20, Interval: time.Hour}, s.flush)
	b.SetHints(Hints{SizeBytes: 10, Interval: time.Hour})
	b.Add(recs(1, 1, 10, time.Now()))
	select {
	case <-s.ch:
	default:
		t.Fatal("new size hint not applied")
	}
}

func TestConcurrentAddsKeepEveryRecord(t *testing.T) {
	var mu sync.Mutex
	seen := map[uint64]int{}
	b := New(Hints{SizeBytes: 500, Interval: time.Millisecond}, func(bt *Batch) {
		mu.Lock()
		for _, r := range bt.Records {
			seen[r.Seq]++
		}
		mu.Unlock()
	})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 100 {
				b.Add(recs(uint64(g*1000+i*10), 10, 7, time.Now()))
			}
		}()
	}
	wg.Wait()
	b.Close()
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 8000 {
		t.Fatalf("saw %d distinct records, want 8000", len(seen))
	}
	for q, n := range seen {
		if n != 1 {
			t.Fatalf("record %d flushed %d times", q, n)
		}
	}
}

func BenchmarkAdd(b *testing.B) {
	buf := New(Hints{SizeBytes: 5 << 20, Interval: time.Hour}, func(*Batch) {})
	rs := recs(1, 500, 200, time.Now())
	b.ReportAllocs()
	b.SetBytes(500 * 200)
	for b.Loop() {
		buf.Add(rs)
	}
}
