// Package buffer batches a delivery stream's records by size and interval,
// whichever comes first, the way Firehose's BufferingHints work.
//
// A Buffer holds one open batch. Add appends records; when the batch's size
// reaches the size hint, or the interval has passed since the batch's first
// record was added, the batch is handed to the flush function and a new one
// opens. The flush function runs outside the Buffer's lock, on the goroutine
// that triggered it (the adder or the interval timer), and may block: that is
// how a slow destination pushes back on producers.
//
// AddGroup adds records that stand for a span of the log as one piece (a
// transformed batch, say): a group is never split, and carries the log
// ranges its batch acknowledges.
package buffer

import (
	"sync"
	"time"
)

// Record is one record with its write-ahead log sequence number.
type Record struct {
	// Seq is the record's sequence number in the stream's log.
	Seq uint64
	// Data is the record's bytes; the Buffer keeps the slice, callers must not reuse it.
	Data []byte
	// Arrival is when the service acknowledged the record.
	Arrival time.Time
}

// Range is the half-open span [From, To) of sequence numbers.
type Range struct {
	From uint64 // From is the first sequence number.
	To   uint64 // To is one past the last.
}

// Batch is a closed buffer: the records of one object, in the order added.
type Batch struct {
	// Records in the order they were added.
	Records []Record
	// Bytes is the sum of the records' lengths.
	Bytes int
	// Oldest is the earliest arrival time among the records (and groups).
	Oldest time.Time
	// Ranges are the records' sequence numbers, merged into maximal spans;
	// for groups, the ranges they carry.
	Ranges []Range
	// Weight is what the batch weighs for its owner's memory accounting:
	// Bytes for records added with Add, plus each group's Weight.
	Weight int
	// Key is the key of the groups in the batch (nil for Add).
	Key any
	// Values are the groups' values, one per group, in the order added;
	// empty for a batch filled by Add.
	Values []any
}

// Group is records that derive from a span of the log, a batch of raw
// records after a transform say, added to a Buffer as one piece: a Group
// is never split across batches, so a batch that holds it can acknowledge
// its ranges as a whole.
type Group struct {
	// Records are the records to deliver (they may be fewer than the log
	// records the group stands for, or none at all).
	Records []Record
	// Ranges are the log's sequence numbers the group stands for.
	Ranges []Range
	// Weight is what the group weighs for its owner's memory accounting
	// (the deliver pipeline counts the bytes it holds in memory: the
	// transformed records and the raw data of failed ones).
	Weight int
	// Oldest is the earliest arrival among those log records.
	Oldest time.Time
	// Key separates groups that must not share a batch (the settings they
	// were made under): a group whose key differs from the open batch's
	// closes that batch first. Keys are compared with ==.
	Key any
	// Value is handed back in the batch's Values.
	Value any
}

// Hints are the flush triggers.
type Hints struct {
	// SizeBytes flushes once the batch holds at least this many bytes (> 0).
	SizeBytes int
	// Interval flushes this long after the batch's first record; 0 flushes as soon as possible.
	Interval time.Duration
}

// Buffer is the open batch of one delivery stream (or one partition).
// It is safe for concurrent use.
type Buffer struct {
	flush func(*Batch)

	mu     sync.Mutex
	hints  Hints
	cur    *Batch
	gen    uint64 // incremented each time the open batch is taken
	timer  *time.Timer
	closed bool
}

// New returns an empty Buffer that hands full batches to flush.
func New(h Hints, flush func(*Batch)) *Buffer {
	return &Buffer{hints: h, flush: flush}
}

// SetHints changes the triggers; they apply from the next batch opened.
func (b *Buffer) SetHints(h Hints) {
	b.mu.Lock()
	b.hints = h
	b.mu.Unlock()
}

// Add appends records to the open batch, flushing each time the size hint
// is reached, so one large Add (a replay, a batch of big records) becomes
// several objects of about the hinted size. After Close, Add hands the
// records straight to flush so nothing acknowledged is dropped.
func (b *Buffer) Add(recs []Record) {
	for len(recs) > 0 {
		b.mu.Lock()
		var prev *Batch
		if b.cur != nil && len(b.cur.Values) > 0 {
			prev = b.takeLocked() // a batch of groups: records do not join it
		}
		if b.cur == nil {
			b.open(recs[0].Arrival)
		}
		c := b.cur
		n := 0
		for _, r := range recs {
			c.Records = append(c.Records, r)
			c.Bytes += len(r.Data)
			c.Weight += len(r.Data)
			if r.Arrival.Before(c.Oldest) {
				c.Oldest = r.Arrival
			}
			if k := len(c.Ranges); k > 0 && c.Ranges[k-1].To == r.Seq {
				c.Ranges[k-1].To++
			} else {
				c.Ranges = append(c.Ranges, Range{From: r.Seq, To: r.Seq + 1})
			}
			n++
			if c.Bytes >= b.hints.SizeBytes {
				break
			}
		}
		recs = recs[n:]
		var full *Batch
		if c.Bytes >= b.hints.SizeBytes || (b.closed && len(recs) == 0) {
			full = b.takeLocked()
		}
		b.mu.Unlock()
		b.hand(prev, full)
	}
}

// hand passes the batches that are not nil to flush, in order; b.mu must
// not be held.
func (b *Buffer) hand(batches ...*Batch) {
	for _, c := range batches {
		if c != nil {
			b.flush(c)
		}
	}
}

// AddGroup adds g to the open batch whole, then flushes the batch if it has
// reached the size hint. A batch holding groups holds nothing added by
// Add: a group (or an Add) meets a batch of the other kind, or of another
// key, by flushing it first. An empty group (no records) still opens a
// batch, so its ranges are acknowledged at the interval. After Close, the
// group is handed straight to flush.
func (b *Buffer) AddGroup(g Group) {
	b.mu.Lock()
	var prev *Batch
	if c := b.cur; c != nil && (len(c.Values) == 0 || c.Key != g.Key) {
		prev = b.takeLocked()
	}
	if b.cur == nil {
		b.open(g.Oldest)
	}
	c := b.cur
	c.Records = append(c.Records, g.Records...)
	for _, r := range g.Records {
		c.Bytes += len(r.Data)
	}
	if g.Oldest.Before(c.Oldest) {
		c.Oldest = g.Oldest
	}
	for _, r := range g.Ranges {
		if k := len(c.Ranges); k > 0 && c.Ranges[k-1].To == r.From {
			c.Ranges[k-1].To = r.To
		} else {
			c.Ranges = append(c.Ranges, r)
		}
	}
	c.Weight += g.Weight
	c.Key = g.Key
	c.Values = append(c.Values, g.Value)
	var full *Batch
	if c.Bytes >= b.hints.SizeBytes || b.closed {
		full = b.takeLocked()
	}
	b.mu.Unlock()
	b.hand(prev, full)
}

// open starts a batch and its interval timer; b.mu must be held.
func (b *Buffer) open(oldest time.Time) {
	b.cur = &Batch{Oldest: oldest}
	if !b.closed {
		gen := b.gen
		b.timer = time.AfterFunc(b.hints.Interval, func() { b.expire(gen) })
	}
}

// Len returns the number of records and bytes in the open batch.
func (b *Buffer) Len() (records, bytes int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.cur == nil {
		return 0, 0
	}
	return len(b.cur.Records), b.cur.Bytes
}

// Flush hands the open batch, if any, to flush now.
func (b *Buffer) Flush() {
	b.mu.Lock()
	c := b.takeLocked()
	b.mu.Unlock()
	if c != nil {
		b.flush(c)
	}
}

// Close flushes the open batch and stops the interval timer.
func (b *Buffer) Close() {
	b.mu.Lock()
	b.closed = true
	c := b.takeLocked()
	b.mu.Unlock()
	if c != nil {
		b.flush(c)
	}
}

func (b *Buffer) expire(gen uint64) {
	b.mu.Lock()
	if b.gen != gen {
		b.mu.Unlock()
		return
	}
	c := b.takeLocked()
	b.mu.Unlock()
	if c != nil {
		b.flush(c)
	}
}

// takeLocked detaches the open batch; b.mu must be held.
func (b *Buffer) takeLocked() *Batch {
	c := b.cur
	if c == nil {
		return nil
	}
	b.cur = nil
	b.gen++
	if b.timer != nil {
		b.timer.Stop()
		b.timer = nil
	}
	return c
}
