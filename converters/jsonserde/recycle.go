package jsonserde

import (
	"sync"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// recycler is a decoder's allocator. The buffers of a batch come back to it
// when the batch's last reference is released (by the writer, possibly in
// another goroutine), and the decoder takes them again for the next batch
// instead of fresh memory: a new Go buffer is zeroed by the runtime and
// later collected, which cost ~8% of decoding. Buffers are matched by their
// exact size, which is what NewBatch asks for (each column starts its next
// buffer with the capacity the last one reached). Recycled memory is not
// zeroed; the decoder writes every byte it hands over, except the unused
// bits of a bitmap's last byte, which Arrow ignores.
//
// It keeps at most maxFree buffers; beyond that, and after the decoder is
// released, freed buffers go back to the caller's allocator.
type recycler struct {
	mem     memory.Allocator
	maxFree int

	mu     sync.Mutex
	free   map[int][][]byte // by length
	n      int              // buffers in free
	closed bool
}

func newRecycler(mem memory.Allocator) *recycler {
	return &recycler{mem: mem, free: make(map[int][][]byte)}
}

// Allocate implements memory.Allocator.
func (r *recycler) Allocate(size int) []byte {
	r.mu.Lock()
	if l := r.free[size]; len(l) > 0 {
		b := l[len(l)-1]
		l[len(l)-1] = nil
		r.free[size] = l[:len(l)-1]
		r.n--
		r.mu.Unlock()
		return b
	}
	r.mu.Unlock()
	return r.mem.Allocate(size)
}

// Reallocate implements memory.Allocator. The buffer a column outgrew goes
// back to the caller's allocator, not to the free list: nothing asks for
// its size again once the column has grown.
func (r *recycler) Reallocate(size int, b []byte) []byte {
	if size <= len(b) {
		return b[:size]
	}
	nb := r.Allocate(size)
	copy(nb, b)
	r.mem.Free(b)
	return nb
}

// Free implements memory.Allocator.
func (r *recycler) Free(b []byte) {
	r.mu.Lock()
	if r.closed || r.n >= r.maxFree {
		r.mu.Unlock()
		r.mem.Free(b)
		return
	}
	r.free[len(b)] = append(r.free[len(b)], b)
	r.n++
	r.mu.Unlock()
}

// close returns the kept buffers to the caller's allocator; buffers freed
// later go straight to it.
func (r *recycler) close() {
	r.mu.Lock()
	free := r.free
	r.free, r.n, r.closed = nil, 0, true
	r.mu.Unlock()
	for _, l := range free {
		for _, b := range l {
			r.mem.Free(b)
		}
	}
}
