package buffer

import (
	"fmt"
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

func TestAddGroup(t *testing.T) {
	t0 := time.Unix(1000, 0)
	group := func(from uint64, n, size, weight int, key any, at time.Time) Group {
		return Group{Records: recs(from, n, size, at), Ranges: []Range{{from, from + uint64(n) + 2}},
			Weight: weight, Oldest: at.Add(-time.Second), Key: key, Value: from}
	}
	type batch struct {
		records, bytes, weight int
		ranges                 []Range
		values                 []any
	}
	tests := []struct {
		name    string
		run     func(b *Buffer)
		exp     []batch // flushed, in order
		expOpen int     // records left in the open batch
	}{
		{"a group is never split", func(b *Buffer) {
			b.AddGroup(group(1, 30, 100, 500, "k", t0)) // 3000 bytes > 1000: one batch
		}, []batch{{30, 3000, 500, []Range{{1, 33}}, []any{uint64(1)}}}, 0},
		{"groups accumulate to the size hint, ranges merge", func(b *Buffer) {
			b.AddGroup(group(1, 4, 100, 900, "k", t0))  // ranges [1,7)
			b.AddGroup(group(7, 4, 100, 900, "k", t0))  // [7,13): merges
			b.AddGroup(group(20, 4, 100, 900, "k", t0)) // 1200 bytes: flush
		}, []batch{{12, 1200, 2700, []Range{{1, 13}, {20, 26}}, []any{uint64(1), uint64(7), uint64(20)}}}, 0},
		{"another key closes the open batch", func(b *Buffer) {
			b.AddGroup(group(1, 2, 100, 10, "old", t0))
			b.AddGroup(group(5, 2, 100, 10, "new", t0))
		}, []batch{{2, 200, 10, []Range{{1, 5}}, []any{uint64(1)}}}, 2},
		{"Add after a group closes it", func(b *Buffer) {
			b.AddGroup(group(1, 2, 100, 10, "k", t0))
			b.Add(recs(9, 3, 10, t0))
		}, []batch{{2, 200, 10, []Range{{1, 5}}, []any{uint64(1)}}}, 3},
		{"a group after Add closes it", func(b *Buffer) {
			b.Add(recs(9, 3, 10, t0))
			b.AddGroup(group(1, 2, 100, 10, "k", t0))
		}, []batch{{3, 30, 30, []Range{{9, 12}}, nil}}, 2},
		{"an empty group opens a batch", func(b *Buffer) {
			b.AddGroup(Group{Ranges: []Range{{1, 4}}, Weight: 30, Oldest: t0, Key: "k", Value: "failures"})
			b.Flush()
		}, []batch{{0, 0, 30, []Range{{1, 4}}, []any{"failures"}}}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newSink()
			b := New(Hints{SizeBytes: 1000, Interval: time.Hour}, s.flush)
			tc.run(b)
			if len(s.batches) != len(tc.exp) {
				t.Fatalf("%d batches flushed, want %d", len(s.batches), len(tc.exp))
			}
			for i, e := range tc.exp {
				g := s.batches[i]
				got := batch{len(g.Records), g.Bytes, g.Weight, g.Ranges, g.Values}
				if fmt.Sprint(got) != fmt.Sprint(e) {
					t.Errorf("batch %d = %+v, want %+v", i, got, e)
				}
			}
			if n, _ := b.Len(); n != tc.expOpen {
				t.Errorf("%d records open, want %d", n, tc.expOpen)
			}
		})
	}
}

func TestEmptyGroupFlushesAtTheInterval(t *testing.T) {
	s := newSink()
	b := New(Hints{SizeBytes: 1000, Interval: 20 * time.Millisecond}, s.flush)
	b.AddGroup(Group{Ranges: []Range{{1, 4}}, Weight: 30, Oldest: time.Now(), Key: "k"})
	select {
	case got := <-s.ch:
		if len(got.Records) != 0 || len(got.Ranges) != 1 || len(got.Values) != 1 {
			t.Fatalf("batch %+v", got)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no flush at the interval")
	}
}

func TestAddGroupAfterCloseIsNotLost(t *testing.T) {
	s := newSink()
	b := New(Hints{SizeBytes: 1000, Interval: time.Hour}, s.flush)
	b.Close()
	b.AddGroup(Group{Records: recs(1, 1, 10, time.Now()), Ranges: []Range{{1, 2}}, Key: "k"})
	if len(s.batches) != 1 || len(s.batches[0].Records) != 1 {
		t.Fatalf("batches %v", s.batches)
	}
}
