package jsonserde

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// countingAllocator counts the allocations that reach the caller's
// allocator.
type countingAllocator struct {
	memory.Allocator
	allocs atomic.Int64
}

func (c *countingAllocator) Allocate(size int) []byte {
	c.allocs.Add(1)
	return c.Allocator.Allocate(size)
}

func (c *countingAllocator) Reallocate(size int, b []byte) []byte {
	c.allocs.Add(1)
	return c.Allocator.Reallocate(size, b)
}

// recycleRecord is row i of the recycling tests: every kind of buffer
// (validity with nulls, fixed width, offsets and bytes, nested).
func recycleRecord(i int) string {
	if i%7 == 3 {
		return fmt.Sprintf(`{"i":%d}`, i)
	}
	return fmt.Sprintf(`{"s":"value %d","i":%d,"b":%v,"l":["x%d","y"],"m":{"k%d":%d},"st":{"f":%d.5}}`, i, i, i%2 == 0, i, i%3, i, i)
}

// batchText renders a batch's rows for comparison.
func batchText(b arrow.RecordBatch) string {
	s := ""
	for r := 0; r < int(b.NumRows()); r++ {
		for c := 0; c < int(b.NumCols()); c++ {
			s += b.Column(c).ValueStr(r) + "|"
		}
		s += "\n"
	}
	return s
}

// TestRecycledBuffers decodes batches that are released in another
// goroutine, as the Parquet writer releases them, while one batch is kept:
// the kept batch is not overwritten by later ones, everything is returned
// to the allocator in the end, and the decoder's buffers circulate instead
// of being allocated anew. Batch 1 takes one fresh set of buffers (batch 0
// is kept, nothing is free yet). At NewBatch(k) batch k-2 has been released
// but batch k-1 may still be held, so at most two more sets are ever
// allocated, whatever the timing; without recycling every batch would take
// a set.
func TestRecycledBuffers(t *testing.T) {
	checked := memory.NewCheckedAllocator(memory.NewGoAllocator())
	mem := &countingAllocator{Allocator: checked}
	s := schemaOf(t, "s string", "i int", "b boolean", "l array<string>", "m map<string,int>", "st struct<f:double>")
	d, err := NewOpenX(s, OpenXOptions{}, mem)
	if err != nil {
		t.Fatal(err)
	}
	const rows, batches = 200, 30
	decode := func(k int) arrow.RecordBatch {
		for i := k * rows; i < (k+1)*rows; i++ {
			if err := d.Append([]byte(recycleRecord(i))); err != nil {
				t.Fatal(err)
			}
		}
		b, err := d.NewBatch()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	want := func(k int) string {
		ref, err := NewOpenX(s, OpenXOptions{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer ref.Release()
		for i := k * rows; i < (k+1)*rows; i++ {
			if err := ref.Append([]byte(recycleRecord(i))); err != nil {
				t.Fatal(err)
			}
		}
		b, err := ref.NewBatch()
		if err != nil {
			t.Fatal(err)
		}
		defer b.Release()
		return batchText(b)
	}

	kept := decode(0)
	keptText := batchText(kept)
	if keptText != want(0) {
		t.Fatal("the first batch differs from a fresh decoder's")
	}
	queue := make(chan arrow.RecordBatch)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for b := range queue {
			b.Release()
		}
	}()
	var oneSet, later int64
	for k := 1; k < batches; k++ {
		before := mem.allocs.Load()
		b := decode(k)
		if got := batchText(b); got != want(k) {
			t.Fatalf("batch %d differs from a fresh decoder's", k)
		}
		if k == 1 {
			oneSet = mem.allocs.Load() - before
		} else {
			later += mem.allocs.Load() - before
		}
		queue <- b
	}
	close(queue)
	wg.Wait()
	if oneSet == 0 || later > 2*oneSet {
		t.Errorf("batch 1 took %d allocations from the caller's allocator and batches 2 to %d took %d; want at most two sets more (%d)", oneSet, batches-1, later, 2*oneSet)
	}
	if got := batchText(kept); got != keptText {
		t.Error("a batch still held changed while later batches were decoded")
	}
	for c := 0; c < int(kept.NumCols()); c++ {
		if err := array.ValidateFull(kept.Column(c)); err != nil {
			t.Errorf("kept batch, column %d: %v", c, err)
		}
	}
	d.Release()
	kept.Release()
	checked.AssertSize(t, 0)
}
