package deliver

import (
	"sync"
	"time"
)

// StoredObject is one object a pipeline stored, as kept for the console.
type StoredObject struct {
	// Bucket is the bucket it went to (the stream's bucket at the time).
	Bucket string
	// Key is its object key.
	Key string
	// Size is the length in bytes of the body handed to the store:
	// compressed, before any envelope encryption the store adds.
	Size int64
	// Stored is when the store reported it written.
	Stored time.Time
	// ErrorOutput is true for an object of the error output
	// (processing-failed, format-conversion-failed), false for data.
	ErrorOutput bool
}

// recentObjectsKept is how many objects RecentObjects keeps: five pages of
// the console's default twenty, in 100 small structs.
const recentObjectsKept = 100

// ring is a bounded ring of the latest n values, safe for concurrent use.
// Its zero value is unusable: make one with newRing.
type ring[T any] struct {
	mu   sync.Mutex
	buf  []T
	next int
	full bool
}

func newRing[T any](n int) *ring[T] { return &ring[T]{buf: make([]T, n)} }

// add keeps v, dropping the oldest value when the ring is full.
func (r *ring[T]) add(v T) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.buf[r.next] = v
	r.next = (r.next + 1) % len(r.buf)
	if r.next == 0 {
		r.full = true
	}
}

// list returns the values, newest first, in a new slice.
func (r *ring[T]) list() []T {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := r.next
	if r.full {
		n = len(r.buf)
	}
	out := make([]T, 0, n)
	for i := 1; i <= n; i++ {
		out = append(out, r.buf[(r.next-i+len(r.buf))%len(r.buf)])
	}
	return out
}

// RecentObjects returns the latest objects the pipeline stored (at most
// 100, data and error output), newest first. It is kept in memory only: a
// new pipeline (a restart, a recreated stream) starts with none.
func (p *Pipeline) RecentObjects() []StoredObject { return p.stored.list() }
