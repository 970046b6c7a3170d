package deliver

import "sync/atomic"

// Budget bounds the record bytes accepted and not yet stored across every
// pipeline that shares it (Options.Memory): the service's memory budget
// for undelivered records, on top of each stream's MaxPendingBytes. Past
// the limit, Put answers ErrBackpressure ("Slow down."), whichever stream
// it is for, until deliveries bring the total down. A nil *Budget is no
// bound. Safe for concurrent use.
type Budget struct {
	limit int64
	used  atomic.Int64
}

// NewBudget returns a budget of limit bytes; limit <= 0 means no bound.
func NewBudget(limit int64) *Budget { return &Budget{limit: limit} }

// Used returns the bytes held now by the pipelines sharing the budget.
func (b *Budget) Used() int64 {
	if b == nil {
		return 0
	}
	return b.used.Load()
}

// Limit returns the budget's bound in bytes (0: none).
func (b *Budget) Limit() int64 {
	if b == nil || b.limit < 0 {
		return 0
	}
	return b.limit
}

// fits reports whether n more bytes stay within the budget. Concurrent
// puts may each see room and together pass the limit by up to one batch
// each (at most 4 MiB): the bound is soft by that much, as the per-stream
// one is.
func (b *Budget) fits(n int64) bool {
	return b == nil || b.limit <= 0 || b.used.Load()+n <= b.limit
}

// add moves the bytes held by n (negative to release).
func (b *Budget) add(n int64) {
	if b != nil {
		b.used.Add(n)
	}
}

// addPending moves the pipeline's bytes accepted and not yet stored, and
// the shared budget's with them.
func (p *Pipeline) addPending(n int64) {
	p.pendingBytes.Add(n)
	p.opts.Memory.add(n)
}
