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
// It keeps the maxFree buffers freed last: when more come back, the
// oldest goes back to the caller's allocator (a buffer of a size no longer
// asked for ages out that way), as does everything freed after the decoder
// is released.
type recycler struct {
	mem     memory.Allocator
	maxFree int

	mu     sync.Mutex
	free   [][]byte // oldest first
	closed bool
}

func newRecycler(mem memory.Allocator) *recycler {
	return &recycler{mem: mem}
}

// Allocate implements memory.Allocator: the newest free buffer of exactly
// size bytes, else new memory from the caller's allocator.
func (r *recycler) Allocate(size int) []byte {
	r.mu.Lock()
	for i := len(r.free) - 1; i >= 0; i-- {
		if b := r.free[i]; len(b) == size {
			copy(r.free[i:], r.free[i+1:])
			r.free[len(r.free)-1] = nil
			r.free = r.free[:len(r.free)-1]
			r.mu.Unlock()
			return b
		}
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
	if r.closed {
		r.mu.Unlock()
		r.mem.Free(b)
		return
	}
	r.free = append(r.free, b)
	var old []byte
	if len(r.free) > r.maxFree {
		old = r.free[0]
		copy(r.free, r.free[1:])
		r.free[len(r.free)-1] = nil
		r.free = r.free[:len(r.free)-1]
	}
	r.mu.Unlock()
	if old != nil {
		r.mem.Free(old)
	}
}

// close returns the kept buffers to the caller's allocator; buffers freed
// later go straight to it.
func (r *recycler) close() {
	r.mu.Lock()
	free := r.free
	r.free, r.closed = nil, true
	r.mu.Unlock()
	for _, b := range free {
		r.mem.Free(b)
	}
}
