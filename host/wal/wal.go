package wal

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"
)

// DefaultSegmentBytes is the segment size used when Options.SegmentBytes
// is 0.
const DefaultSegmentBytes = 64 << 20

// lockName is the lock file's name inside the log folder.
const lockName = "LOCK"

var (
	// ErrClosed is returned by calls on a closed Log.
	ErrClosed = errors.New("wal: log closed")

	// ErrTooLarge is returned by Append when the records of one call do
	// not fit in one frame ([MaxPayload] bytes, about 16 MiB). Split the
	// batch.
	ErrTooLarge = errors.New("wal: append batch larger than one frame")

	// ErrLocked is returned by Open when another Log holds the folder.
	ErrLocked = errors.New("wal: log folder in use")

	// ErrRange is returned by Ack for a span that is reversed or reaches
	// past the last durable record: a bug in the caller.
	ErrRange = errors.New("wal: bad sequence range")
)

// Options configures a Log. The zero value is ready to use: 64 MiB
// segments, every append synced to disk.
type Options struct {
	// SegmentBytes is the size after which the log starts a new segment
	// file: a frame that would take a non-empty segment past it goes to a
	// new one. A single frame larger than this gets a segment of its own.
	// Default DefaultSegmentBytes (64 MiB).
	SegmentBytes int64

	// NoSync skips every fsync (of segments, checkpoints and the folder).
	// It is UNSAFE: an operating-system crash or power loss can then lose
	// acknowledged records. Only a process crash is survived. For tests
	// and benchmarks. Default false.
	NoSync bool

	// FS opens the files the log writes (segments and the checkpoint).
	// Default nil: the operating system's. Tests set it to inject faults.
	FS FileSystem

	// Sealer, when not nil, encrypts the records of every frame written
	// (see Log.SetSealer, which changes it). Default nil: frames are
	// written in the clear.
	Sealer Sealer

	// Opener decrypts sealed frames when Replay reads them. Without one,
	// or when it cannot open a frame (a wrong or missing key), Replay
	// fails with an error wrapping ErrSealed. Open never needs it: the
	// sequence numbers of a sealed frame are in the clear.
	Opener Opener
}

// withDefaults returns o with zero fields replaced by their defaults.
func (o Options) withDefaults() Options {
	if o.SegmentBytes <= 0 {
		o.SegmentBytes = DefaultSegmentBytes
	}
	if o.FS == nil {
		o.FS = OSFileSystem{}
	}
	return o
}

// Record is one producer record with its arrival time.
type Record struct {
	// Data is the record's bytes. Append reads it and does not keep it.
	Data []byte
	// Arrival is when the service received the record. It is stored as
	// Unix nanoseconds, so it must lie between the years 1678 and 2262;
	// the zero Time is stored as unknown and replayed as the zero Time.
	Arrival time.Time
}

// Entry is a replayed or appended record with its sequence number.
type Entry struct {
	// Seq is the record's sequence number: 1 for the first record ever
	// appended to the log, then consecutive.
	Seq uint64
	// Data is the record's bytes.
	Data []byte
	// Arrival is the record's arrival time, as appended.
	Arrival time.Time
}

// Stats describes a log's state on disk.
type Stats struct {
	// Segments is the number of segment files.
	Segments int
	// Bytes is the size of the segment files.
	Bytes int64
	// FirstUnacked is the lowest sequence number not acknowledged; equal
	// to NextSeq when everything is.
	FirstUnacked uint64
	// NextSeq is one past the last durable record: the sequence number the
	// next appended record gets, once appends in flight have returned.
	NextSeq uint64
	// Unacked is the number of durable records not acknowledged.
	Unacked uint64
	// OldestUnackedArrival is the arrival time of the record FirstUnacked,
	// to within about a second (the log samples arrival times once per
	// second of arrivals, taking each frame's earliest), or the zero Time
	// when every record is acknowledged or the arrival is unknown.
	OldestUnackedArrival time.Time
}

// Recovery reports what Open found and repaired.
type Recovery struct {
	// TornSegment is the path of the last segment when its tail was torn:
	// a frame cut short or garbled by a crash during the write that was
	// never acknowledged. Empty when the tail was clean.
	TornSegment string
	// TruncatedBytes is how many bytes were cut from the torn tail.
	TruncatedBytes int64
	// DroppedFrames is how many frames were dropped with the torn tail:
	// 0 or 1, since the log writes one frame per fsync.
	DroppedFrames int

	// Damaged lists the damage found in segments that is not a torn tail:
	// data that was synced, and may have been acknowledged, but no longer
	// reads back. Open delivers everything around it and copies each
	// damaged range to the quarantine folder. Empty for a healthy log.
	Damaged []Damage

	// Skipped is the range of sequence numbers Open stepped over because
	// some of them may have been given out before the log stopped without
	// closing (see Log.Append): they are never given again. Empty after a
	// clean close.
	Skipped Range

	// Holes lists sequence numbers below NextSeq that no segment holds and
	// the checkpoint did not mark acknowledged. They are treated as
	// acknowledged. Normally empty; a checkpoint lost in an operating-system
	// crash can make the records of deleted segments show up here.
	Holes []Range

	// CheckpointErr is why the checkpoint could not be used, if it could
	// not; the log then replays everything in its segments (duplicates,
	// not loss).
	CheckpointErr error

	// LeaseErr is why the sequence lease could not be used, if it could
	// not; Open then skips a whole lease block of sequence numbers so
	// that none is given twice.
	LeaseErr error
}

// Damage is one damaged range of a segment that Open found: bytes that are
// not a valid frame although valid frames, or records that were
// acknowledged, follow them. The records they held cannot be delivered;
// everything before and after them is.
type Damage struct {
	// Segment is the path of the damaged segment file.
	Segment string
	// Offset and End delimit the damaged bytes [Offset, End) in it. They
	// are equal when no bytes are damaged but records are missing: a frame
	// whose sequence numbers do not follow on, or a log that ends before
	// the sequence number it was closed at.
	Offset, End int64
	// Seqs are the sequence numbers the damaged range may have held: none
	// of them is delivered, and none is given out again. An upper bound:
	// some may never have been given out.
	Seqs Range
	// Quarantine is the path of the copy of the damaged bytes, under the
	// log folder's quarantine folder; empty when End == Offset.
	Quarantine string
	// Err describes the damage at Offset. errors.Is(Err, ErrCorrupt) or
	// errors.Is(Err, ErrTruncated) is true.
	Err error
}

// Bytes returns the number of damaged bytes.
func (d Damage) Bytes() int64 { return d.End - d.Offset }

// String describes the damage for a log line.
func (d Damage) String() string {
	s := fmt.Sprintf("segment %s damaged at bytes %d to %d", d.Segment, d.Offset, d.End)
	if d.Seqs.To > d.Seqs.From {
		s += fmt.Sprintf(", sequence numbers %d to %d unreadable", d.Seqs.From, d.Seqs.To-1)
	}
	if d.Quarantine != "" {
		s += ", copied to " + d.Quarantine
	}
	return s + ": " + d.Err.Error()
}

// CorruptionError reports damage that Replay found in data Open had
// validated: a segment damaged while the log was open. Replay stops there;
// the next Open finds the damage, quarantines it and delivers what
// surrounds it. errors.Is(err, ErrCorrupt) is true.
type CorruptionError struct {
	// Segment is the path of the damaged segment file.
	Segment string
	// Offset is the byte offset of the first bad frame in it; everything
	// before it is valid.
	Offset int64
	// Seq is the sequence number expected at Offset.
	Seq uint64
	// Err describes the damage.
	Err error
}

// Error implements error.
func (e *CorruptionError) Error() string {
	return fmt.Sprintf("wal: segment %s corrupt at offset %d (sequence number %d): %v",
		e.Segment, e.Offset, e.Seq, e.Err)
}

// Unwrap returns ErrCorrupt and the underlying error.
func (e *CorruptionError) Unwrap() []error { return []error{ErrCorrupt, e.Err} }

// request is one Append call waiting for the writer.
type request struct {
	recs  []Record
	size  int // encoded size of recs
	first uint64
	err   error
	done  chan struct{} // capacity 1: the writer never blocks on it
}

// Log is the durable record log of one delivery stream: a folder of segment
// files and a checkpoint. Its methods are safe for concurrent use.
//
// Lock order: ckMu before mu. qmu is never held together with either.
type Log struct {
	dir  string
	opts Options
	lock *os.File
	rec  Recovery
	reqs sync.Pool // of *request

	// The append queue, shared by Append and the writer.
	qmu     sync.Mutex
	qcond   sync.Cond // on qmu: the queue is not empty, or closing
	queue   []*request
	next    uint64 // sequence number of the next record to queue for writing
	closing bool
	failed  error // sticky write or sync failure

	// sealer seals the frames the writer takes from now on; under qmu.
	sealer Sealer

	// leased is the limit of the sequence lease on disk: the writer gives
	// out no sequence number at or above it before writing a larger one.
	// Owned by the writer goroutine (and by Open and Close around it).
	leased uint64

	// Owned by the writer goroutine (and by Open before it starts).
	sealBuf  []byte
	file     File
	active   *segment
	buf      []byte
	batch    []*request
	finished chan struct{} // closed when the writer returns

	// ckMu serialises acknowledgements and checkpoint writes.
	ckMu  sync.Mutex
	ckBuf []byte

	// mu guards the segment list, the fields of its segments, the
	// acknowledged set and durable.
	mu      sync.Mutex
	segs    []*segment
	acks    ackSet
	durable uint64 // one past the last synced record
	closed  bool
}

// Open opens the log in dir, creating the folder if needed, and recovers
// it: it loads the checkpoint, deletes segments whose records are all
// acknowledged, scans the others frame by frame validating checksums and
// sequence numbers, and truncates a torn tail of the last segment (see
// Recovered). Damage anywhere else does not stop it: the records before
// and after a damaged range are kept, the range is copied to the
// quarantine folder and listed in Recovery.Damaged, and its sequence
// numbers are never given again. Another Log holding dir fails it with
// ErrLocked.
func Open(dir string, o Options) (*Log, error) {
	o = o.withDefaults()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("wal: %w", err)
	}
	if !o.NoSync {
		if err := syncDir(filepath.Dir(dir)); err != nil {
			return nil, fmt.Errorf("wal: %w", err)
		}
	}
	lock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	l := &Log{dir: dir, opts: o, lock: lock, finished: make(chan struct{}), sealer: o.Sealer}
	l.qcond.L = &l.qmu
	l.reqs.New = func() any { return &request{done: make(chan struct{}, 1)} }
	if err := l.recover(); err != nil {
		if l.file != nil {
			l.file.Close()
		}
		lock.Close()
		return nil, err
	}
	go l.run()
	return l, nil
}

// recover rebuilds the log's state from dir. See Open.
func (l *Log) recover() error {
	dir, o := l.dir, l.opts
	for _, tmp := range []string{checkpointTemp, leaseTemp} {
		if err := os.Remove(filepath.Join(dir, tmp)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("wal: %w", err)
		}
	}
	acks, err := readCheckpoint(dir)
	if err != nil {
		if !errors.Is(err, ErrCorrupt) {
			return err
		}
		l.rec.CheckpointErr = err
		acks = ackSet{}
	}
	acks.add(0, 1) // there is no sequence number 0
	ls, haveLease, err := readLease(dir)
	if err != nil {
		if !errors.Is(err, ErrCorrupt) {
			return err
		}
		l.rec.LeaseErr = err
	}
	closed := haveLease && ls.closed
	firsts, err := listSegments(dir)
	if err != nil {
		return err
	}
	next := max(1, acks.maxEnd())
	recovered := false // acknowledgements added by recovery: persist them durably
	var buf []byte
	for i, first := range firsts {
		path := segmentPath(dir, first)
		last := i == len(firsts)-1
		if !last && acks.covers(first, firsts[i+1]) {
			// Everything acknowledged: no need to read it.
			if err := os.Remove(path); err != nil {
				return fmt.Errorf("wal: %w", err)
			}
			continue
		}
		limit := uint64(math.MaxUint64)
		if !last {
			limit = firsts[i+1]
		}
		res, err := scanSegment(path, first, limit, &buf)
		if err != nil {
			return err
		}
		seg := &segment{first: first, end: res.end, size: res.size, marks: res.marks}
		for _, d := range res.damage {
			if d.trailing() && last && !closed {
				// A bad frame with nothing valid behind it, in the segment
				// being written when the process stopped without closing
				// the log, is the torn tail of a write that never
				// returned: nothing in it was acknowledged. Cut it off.
				// Whole frames before it are damage, not the tear.
				torn, claimed, err := tornStart(path, d.off, d.end)
				if err != nil {
					return fmt.Errorf("wal: scan torn tail: %w", err)
				}
				if torn > d.off {
					to := claimed
					if to < d.seq || (haveLease && to > ls.limit) {
						to = d.seq // unknown: the lease skips past it
					}
					dd := d
					dd.end, dd.next = torn, max(to, d.seq)
					dmg, err := l.damaged(seg, path, dd, 0, &acks)
					if err != nil {
						return err
					}
					next, recovered = max(next, dmg.Seqs.To), true
				}
				if err := truncateFile(path, torn, !o.NoSync); err != nil {
					return fmt.Errorf("wal: truncate torn tail: %w", err)
				}
				seg.size = torn
				l.rec.TornSegment = path
				l.rec.TruncatedBytes = d.end - torn
				l.rec.DroppedFrames = 1
				continue
			}
			to := d.next
			if d.trailing() {
				to = limit // the next segment's first
				if last {
					to = ls.limit // closed cleanly at that sequence number
				}
				seg.size = d.end
			}
			dmg, err := l.damaged(seg, path, d, to, &acks)
			if err != nil {
				return err
			}
			next, recovered = max(next, dmg.Seqs.To), true
		}
		if !last && res.end < limit && l.rec.CheckpointErr == nil && (len(res.damage) == 0 || !res.damage[len(res.damage)-1].trailing()) {
			// The segment ends before the next one starts: whole frames
			// (or segments) are gone, unless they were acknowledged (the
			// numbers skipped after a crash are). Without a checkpoint
			// this cannot be told from segments deleted once
			// acknowledged: the gap is then only one of the Holes.
			if gaps := acks.gaps(res.end, limit); len(gaps) > 0 {
				d := damagedRange{off: res.size, end: res.size, seq: res.end,
					err: fmt.Errorf("%w: %w: segment ends at sequence number %d, the next one starts at %d", ErrCorrupt, errSeqDamage, res.end, limit)}
				if _, err := l.damaged(seg, path, d, limit, &acks); err != nil {
					return err
				}
				recovered = true
			}
		}
		l.segs = append(l.segs, seg)
		next = max(next, res.end)
	}

	// The sequence lease: numbers below its limit may have been given out.
	switch {
	case closed && next < ls.limit:
		// Closed cleanly at ls.limit, yet the records before it are gone
		// from the end of the log: damage, not a crash.
		path := dir
		var seg *segment
		if n := len(l.segs); n > 0 {
			seg = l.segs[n-1]
			path = segmentPath(dir, seg.first)
		} else {
			seg = &segment{} // no segment left to mark
		}
		d := damagedRange{off: seg.size, end: seg.size, seq: next,
			err: fmt.Errorf("%w: %w: the log ends at sequence number %d, it was closed at %d", ErrCorrupt, errSeqDamage, next, ls.limit)}
		if _, err := l.damaged(seg, path, d, ls.limit, &acks); err != nil {
			return err
		}
		next, recovered = ls.limit, true
	case haveLease && !closed && next < ls.limit:
		// Stopped without closing: numbers up to the lease's limit may
		// have been given out with records a crash or damage took away.
		l.rec.Skipped = Range{next, ls.limit}
	case !haveLease && (l.rec.LeaseErr != nil || l.rec.TornSegment != ""):
		// No usable lease (a damaged one, or a log written before
		// leases) and a crash: skip a whole block.
		l.rec.Skipped = Range{next, next + 2*leaseBlock}
	}
	if r := l.rec.Skipped; r.To > r.From {
		acks.add(r.From, r.To)
		next, recovered = r.To, true
	}

	// Sequence numbers below next that no segment holds were acknowledged
	// (their segments were deleted) or lost; either way nothing can
	// replay them.
	prev := uint64(1)
	for _, s := range append(slices.Clone(l.segs), &segment{first: next, end: next}) {
		if prev < s.first {
			l.rec.Holes = append(l.rec.Holes, acks.gaps(prev, s.first)...)
			acks.add(prev, s.first)
		}
		prev = max(prev, s.end)
	}

	// The active segment: the last one if it ends at next, is undamaged
	// and still has unacknowledged records (or none at all), else a new
	// one.
	var lastSeg *segment
	if n := len(l.segs); n > 0 {
		lastSeg = l.segs[n-1]
	}
	if lastSeg == nil || lastSeg.end != next || len(lastSeg.skips) > 0 || (lastSeg.size > 0 && acks.covers(lastSeg.first, lastSeg.end)) {
		lastSeg = &segment{first: next, end: next}
		if l.file, err = l.createSegment(next); err != nil {
			return err
		}
		l.segs = append(l.segs, lastSeg)
	} else if l.file, err = o.FS.OpenFile(segmentPath(dir, lastSeg.first), os.O_WRONLY|os.O_APPEND, 0); err != nil {
		return fmt.Errorf("wal: %w", err)
	}
	l.active = lastSeg
	l.acks = acks
	l.next, l.durable = next, next
	// Nothing at or above next is leased by this Log yet: the first
	// Append writes a lease, and marks the log open, before it returns.
	l.leased = next

	// Delete what is now known to be acknowledged and persist the
	// checkpoint with the holes, durably when recovery added to it.
	l.ckMu.Lock()
	defer l.ckMu.Unlock()
	return l.collect(o.NoSync, recovered)
}

// damaged records the damaged range d of the segment seg (at path), whose
// records run up to sequence number to when d is trailing: it copies the
// bytes to the quarantine folder, marks the range for Replay to step over,
// and treats its sequence numbers as acknowledged, since nothing can
// deliver them.
func (l *Log) damaged(seg *segment, path string, d damagedRange, to uint64, acks *ackSet) (Damage, error) {
	if !d.trailing() {
		to = d.next
	}
	dmg := Damage{Segment: path, Offset: d.off, End: d.end, Seqs: Range{d.seq, max(d.seq, to)}, Err: d.err}
	if d.end > d.off {
		q, err := quarantine(l.dir, path, d.off, d.end, l.opts.NoSync)
		if err != nil {
			return Damage{}, fmt.Errorf("wal: quarantine damaged range: %w", err)
		}
		dmg.Quarantine = q
	}
	seg.skips = append(seg.skips, span{d.off, d.end})
	if dmg.Seqs.To > dmg.Seqs.From {
		acks.add(dmg.Seqs.From, dmg.Seqs.To)
	}
	l.rec.Damaged = append(l.rec.Damaged, dmg)
	return dmg, nil
}

// createSegment creates the empty segment file starting at first and makes
// its folder entry durable.
// If that fails, the new file is removed again, so a later attempt can
// create it.
func (l *Log) createSegment(first uint64) (File, error) {
	path := segmentPath(l.dir, first)
	f, err := l.opts.FS.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("wal: new segment: %w", err)
	}
	if !l.opts.NoSync {
		if err := syncDir(l.dir); err != nil {
			f.Close()
			_ = os.Remove(path)
			return nil, fmt.Errorf("wal: new segment: %w", err)
		}
	}
	return f, nil
}

// Append writes recs durably and returns the sequence number of the first;
// the others follow consecutively. When it returns nil the records are
// synced to disk (unless Options.NoSync) and survive any crash.
//
// Concurrent calls are committed in groups: one writer goroutine takes
// every queued call, writes their records as one frame with one write, and
// syncs once for all of them, so throughput grows with concurrency instead
// of collapsing under fsync.
//
// Cancelling ctx stops the wait. If the writer had not yet taken the
// records they are not written; otherwise they may still be written and
// replayed later. Either way Append returns ctx's error and no longer
// reads recs.
//
// Append of no records writes nothing and returns 0. Records whose encoding
// exceeds MaxPayload fail with ErrTooLarge.
//
// A failed write or sync (a full disk: ENOSPC) fails the appends of that
// frame only: the log cuts the frame off the segment (and, after a failed
// sync, syncs the cut), takes its sequence numbers back and goes on, so
// appends succeed again once the disk has room. Only when the frame cannot
// be cut off does the log stop: every later Append returns that failure
// (the partial frame is a torn tail that the next Open removes; reopen the
// log).
func (l *Log) Append(ctx context.Context, recs []Record) (first uint64, err error) {
	if len(recs) == 0 {
		return 0, nil
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	size := recordsSize(recs)
	if size > maxRecordsBytes {
		return 0, ErrTooLarge
	}
	r := l.reqs.Get().(*request)
	r.recs, r.size = recs, size

	l.qmu.Lock()
	if l.closing || l.failed != nil {
		err := l.failed
		if l.closing {
			err = ErrClosed
		}
		l.qmu.Unlock()
		r.recs = nil
		l.reqs.Put(r)
		return 0, err
	}
	l.queue = append(l.queue, r)
	l.qcond.Signal()
	l.qmu.Unlock()

	select {
	case <-r.done:
		first, err = r.first, r.err
		r.first, r.err = 0, nil
		l.reqs.Put(r)
		return first, err
	case <-ctx.Done():
	}
	select {
	case <-r.done: // done after all: report success
		first, err = r.first, r.err
		r.first, r.err = 0, nil
		l.reqs.Put(r)
		return first, err
	default:
	}
	l.qmu.Lock()
	if i := slices.Index(l.queue, r); i >= 0 {
		l.queue = slices.Delete(l.queue, i, i+1)
		l.qmu.Unlock()
		r.recs = nil
		l.reqs.Put(r)
		return 0, ctx.Err()
	}
	// The writer took and encoded the records (it does so while holding
	// qmu); it will signal r, which is left to the garbage collector.
	l.qmu.Unlock()
	return 0, ctx.Err()
}

// run is the writer goroutine: the group commit loop.
func (l *Log) run() {
	defer close(l.finished)
	for {
		l.qmu.Lock()
		for len(l.queue) == 0 && !l.closing {
			l.qcond.Wait()
		}
		if len(l.queue) == 0 {
			l.qmu.Unlock()
			return
		}
		if l.failed != nil {
			batch := l.queue
			l.queue = nil
			err := l.failed
			l.qmu.Unlock()
			for _, r := range batch {
				r.recs, r.err = nil, err
				r.done <- struct{}{}
			}
			continue
		}

		// Take as many queued calls as fit in one frame (at least one:
		// Append checked that each fits alone), assign their sequence
		// numbers and encode them, all under qmu so that a cancelled
		// Append knows its records are either still queued or copied.
		size, n := 0, 0
		for n < len(l.queue) && (n == 0 || size+l.queue[n].size <= maxRecordsBytes) {
			size += l.queue[n].size
			n++
		}
		batch := append(l.batch[:0], l.queue[:n]...)
		k := copy(l.queue, l.queue[n:])
		clear(l.queue[k:])
		l.queue = l.queue[:k]

		seal := l.sealer
		first := l.next
		buf, start := beginFrame(l.buf[:0], first)
		count := 0
		lo := int64(0)
		for _, r := range batch {
			r.first = first + uint64(count)
			for _, rec := range r.recs {
				buf = appendRecord(buf, rec)
				if a := toNanos(rec.Arrival); count == 0 || (lo != 0 && (a < lo || a == 0)) {
					lo = a
				}
				count++
			}
			r.recs = nil
		}
		l.next += uint64(count)
		l.qmu.Unlock()

		frame, fatal, err := buf, false, error(nil)
		if seal == nil {
			finishFrame(buf, start, count)
		} else {
			l.sealBuf, err = appendSealedFrame(l.sealBuf[:0], first, count, lo, buf[start+HeaderSize+payloadFixed:], seal)
			frame = l.sealBuf
		}
		if err == nil && first+uint64(count) > l.leased {
			err = l.extendLease(first + uint64(count))
		}
		if err == nil {
			fatal, err = l.write(frame, first, first+uint64(count), lo)
		}
		if err != nil {
			l.qmu.Lock()
			if fatal {
				l.failed = err
			} else {
				// Nothing of the frame is left in the file: its sequence
				// numbers are given again. Only this goroutine moves next.
				l.next = first
			}
			l.qmu.Unlock()
		}
		for _, r := range batch {
			r.err = err
			r.done <- struct{}{}
		}
		clear(batch)
		l.buf, l.batch = buf, batch
	}
}

// extendLease makes the sequence lease on disk reach past end, by a whole
// lease block, before any number below end is given out: after a crash
// Open skips to the lease's limit, so no sequence number that reached a
// producer is given again, whatever happened to the records that held it.
func (l *Log) extendLease(end uint64) error {
	limit := end + leaseBlock
	if err := writeLease(l.opts.FS, l.dir, lease{limit: limit}, l.opts.NoSync); err != nil {
		return err
	}
	l.leased = limit
	return nil
}

// write appends one frame to the active segment, starting a new segment
// first if the frame would take the active one past SegmentBytes, and
// syncs it. On failure, fatal reports that the frame could not be cut off
// again, so the segment may hold a partial frame and the log must stop.
//
// A failed sync is survivable here, unlike in a database with a shared
// page cache, because every earlier frame was synced before this one was
// written: only this frame's pages are in doubt, and cutting them off and
// syncing the cut leaves the file exactly as the last successful sync did.
func (l *Log) write(frame []byte, first, end uint64, arrival int64) (fatal bool, err error) {
	if l.active.size > 0 && l.active.size+int64(len(frame)) > l.opts.SegmentBytes {
		if err := l.roll(first); err != nil {
			return false, err // nothing written
		}
	}
	if _, err := l.file.Write(frame); err != nil {
		// Leave no partial frame for later writes to follow. If this
		// fails too, Open will treat the partial frame as a torn tail.
		if terr := l.file.Truncate(l.active.size); terr != nil {
			return true, fmt.Errorf("wal: write: %w (and cutting the partial frame off: %v)", err, terr)
		}
		return false, fmt.Errorf("wal: write: %w", err)
	}
	if !l.opts.NoSync {
		if err := l.file.Sync(); err != nil {
			if terr := l.file.Truncate(l.active.size); terr != nil {
				return true, fmt.Errorf("wal: sync: %w (and cutting the frame off: %v)", err, terr)
			}
			if serr := l.file.Sync(); serr != nil {
				return true, fmt.Errorf("wal: sync: %w (and syncing the cut: %v)", err, serr)
			}
			return false, fmt.Errorf("wal: sync: %w", err)
		}
	}
	l.mu.Lock()
	l.active.size += int64(len(frame))
	l.active.end = end
	l.active.addMark(first, arrival)
	l.durable = end
	l.mu.Unlock()
	return false, nil
}

// roll closes the active segment (already synced) and starts a new one
// whose first record is first. A sealed segment whose records are all
// acknowledged is deleted by the next Ack (or Open).
func (l *Log) roll(first uint64) error {
	f, err := l.createSegment(first)
	if err != nil {
		return err
	}
	old := l.file
	seg := &segment{first: first, end: first}
	l.mu.Lock()
	l.segs = append(l.segs, seg)
	l.active = seg
	l.mu.Unlock()
	l.file = f
	if err := old.Close(); err != nil {
		return fmt.Errorf("wal: close segment: %w", err)
	}
	return nil
}

// Ack marks the sequence numbers [from, to) as stored in the destination or
// the error output. Acknowledgements may arrive in any order and overlap.
// Ack deletes the segments whose records are now all acknowledged (never
// the one being written) and persists the checkpoint: the low watermark
// plus the acknowledged ranges above it.
//
// The checkpoint replaces the old one atomically (temporary file and
// rename) but is not synced: after an operating-system crash the log may
// come back with an older checkpoint, which only makes it replay records
// already delivered (a duplicate, never a loss). It is synced before
// segments are deleted, so deleted records are never forgotten as
// acknowledged.
//
// A span with from > to, or with to past the last durable record (see
// Stats.NextSeq), fails with ErrRange. An empty span does nothing.
func (l *Log) Ack(from, to uint64) error {
	if from == to {
		return nil
	}
	l.ckMu.Lock()
	defer l.ckMu.Unlock()
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return ErrClosed
	}
	if from > to || to > l.durable {
		durable := l.durable
		l.mu.Unlock()
		return fmt.Errorf("%w: [%d, %d) with records below %d", ErrRange, from, to, durable)
	}
	changed := l.acks.add(from, to)
	l.mu.Unlock()
	if !changed {
		return nil
	}
	return l.collect(l.opts.NoSync, false)
}

// collect deletes the sealed segments whose records are all acknowledged
// and writes the checkpoint, durably before any deletion or when force is
// set (unless noSync). The caller holds ckMu.
func (l *Log) collect(noSync, force bool) error {
	l.mu.Lock()
	var dead []uint64
	l.segs = slices.DeleteFunc(l.segs, func(s *segment) bool {
		if s != l.active && l.acks.covers(s.first, s.end) {
			dead = append(dead, s.first)
			return true
		}
		return false
	})
	l.ckBuf = encodeCheckpoint(l.ckBuf[:0], &l.acks)
	l.mu.Unlock()

	if err := writeCheckpoint(l.opts.FS, l.dir, l.ckBuf, (force || len(dead) > 0) && !noSync); err != nil {
		return err
	}
	var errs []error
	for _, first := range dead {
		if err := os.Remove(segmentPath(l.dir, first)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, fmt.Errorf("wal: delete segment: %w", err))
		}
	}
	return errors.Join(errs...)
}

// Replay calls fn, in order, for every durable entry not yet acknowledged:
// what the service must deliver again after a restart. It reads the
// segments from disk, validating every frame again. It stops at the first
// error fn returns, and returns it.
//
// fn may keep e.Data: each frame is read into fresh memory. Replay reads
// the entries durable when it starts; Append, Ack and Stats may run
// meanwhile.
func (l *Log) Replay(fn func(Entry) error) error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return ErrClosed
	}
	segs := make([]segment, len(l.segs))
	for i, s := range l.segs {
		segs[i] = segment{first: s.first, end: s.end, size: s.size, skips: s.skips}
	}
	acks := l.acks.clone()
	l.mu.Unlock()

	cur := ackCursor{s: &acks}
	var scratch []byte
	for _, s := range segs {
		if acks.covers(s.first, s.end) {
			continue
		}
		if err := replaySegment(segmentPath(l.dir, s.first), s, &cur, &scratch, l.opts.Opener, fn); err != nil {
			return err
		}
	}
	return nil
}

// replaySegment is Replay for one segment, read up to s.size.
func replaySegment(path string, s segment, cur *ackCursor, scratch *[]byte, o Opener, fn func(Entry) error) error {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil // deleted by an Ack since Replay started: all acknowledged
	}
	if err != nil {
		return fmt.Errorf("wal: replay: %w", err)
	}
	defer f.Close()
	r := newReader(f, s.size)
	var hdr [HeaderSize]byte
	var off int64
	seq := s.first
	skips := s.skips
	for off < s.size {
		// Step over the damaged ranges Open found; the frame after one
		// may start past the sequence number expected.
		gap := false
		for len(skips) > 0 && skips[0].off == off {
			if n := skips[0].end - off; n > 0 {
				if _, err := r.Discard(int(n)); err != nil {
					return fmt.Errorf("wal: replay %s: %w", path, err)
				}
				off = skips[0].end
			}
			skips, gap = skips[1:], true
		}
		if off >= s.size {
			break
		}
		fr, n, err := readFrame(r, hdr[:], s.size-off, scratch)
		if err == nil && fr.FirstSeq != seq && !(gap && fr.FirstSeq > seq) {
			err = fmt.Errorf("%w: %w: frame starts at sequence number %d, want %d", ErrCorrupt, errSeqDamage, fr.FirstSeq, seq)
		}
		if err != nil {
			if errors.Is(err, ErrCorrupt) || errors.Is(err, ErrTruncated) {
				return &CorruptionError{Segment: path, Offset: off, Seq: seq, Err: err}
			}
			return fmt.Errorf("wal: replay %s: %w", path, err)
		}
		off += int64(n)
		seq = fr.EndSeq()
		if cur.s.covers(fr.FirstSeq, fr.EndSeq()) {
			continue
		}
		// Copy the frame out of the scratch buffer so fn may keep Data
		// (opening a sealed frame decrypts into fresh memory).
		own := Frame{FirstSeq: fr.FirstSeq, Count: fr.Count, records: bytes.Clone(fr.records)}
		if fr.Sealed() {
			if own, err = fr.Open(o); err != nil {
				return fmt.Errorf("wal: replay %s at offset %d (sequence numbers %d to %d): %w", path, off-int64(n), fr.FirstSeq, fr.EndSeq()-1, err)
			}
		}
		for e := range own.Entries() {
			if cur.acked(e.Seq) {
				continue
			}
			if err := fn(e); err != nil {
				return err
			}
		}
	}
	return nil
}

// Stats returns the log's current state.
func (l *Log) Stats() Stats {
	l.mu.Lock()
	defer l.mu.Unlock()
	st := Stats{Segments: len(l.segs), NextSeq: l.durable, FirstUnacked: min(l.acks.low, l.durable)}
	for _, s := range l.segs {
		st.Bytes += s.size
	}
	if st.FirstUnacked < st.NextSeq {
		st.Unacked = st.NextSeq - st.FirstUnacked - l.acks.countAcked(st.FirstUnacked, st.NextSeq)
		i, _ := slices.BinarySearchFunc(l.segs, st.FirstUnacked, func(s *segment, seq uint64) int {
			switch {
			case s.end <= seq:
				return -1
			case s.first > seq:
				return 1
			}
			return 0
		})
		if i < len(l.segs) {
			st.OldestUnackedArrival = fromNanos(l.segs[i].arrivalAt(st.FirstUnacked))
		}
	}
	return st
}

// Recovered reports what Open found and repaired: a torn tail cut off,
// corruption moved aside, holes in the sequence numbers.
func (l *Log) Recovered() Recovery {
	r := l.rec
	r.Damaged = slices.Clone(r.Damaged)
	r.Holes = slices.Clone(r.Holes)
	return r
}

// Dir returns the log's folder.
func (l *Log) Dir() string { return l.dir }

// Close writes and syncs the appends already queued, stops the writer,
// records in the sequence lease that the log closed cleanly (so the next
// Open neither skips sequence numbers nor takes a damaged end for a torn
// tail) and releases the folder. Later calls on the log return ErrClosed;
// closing again returns nil. It returns the failure that stopped the
// writer, if one did.
func (l *Log) Close() error { return l.close(true) }

// close is Close; clean false leaves the lease as a killed process would.
func (l *Log) close(clean bool) error {
	l.qmu.Lock()
	if l.closing {
		l.qmu.Unlock()
		<-l.finished
		return nil
	}
	l.closing = true
	l.qcond.Broadcast()
	l.qmu.Unlock()
	<-l.finished

	l.ckMu.Lock()
	l.mu.Lock()
	l.closed = true
	l.mu.Unlock()
	l.ckMu.Unlock()

	l.qmu.Lock()
	err, next := l.failed, l.next
	l.qmu.Unlock()
	var lerr error
	if clean && err == nil {
		// After a failure that left a partial frame the next Open must
		// see a torn tail: the lease stays open.
		lerr = writeLease(l.opts.FS, l.dir, lease{limit: next, closed: true}, l.opts.NoSync)
	}
	return errors.Join(err, lerr, l.file.Close(), l.lock.Close())
}

// Remove closes the log and deletes its folder: the delivery stream is
// gone, and so are its undelivered records.
func (l *Log) Remove() error {
	err := l.Close()
	return errors.Join(err, os.RemoveAll(l.dir))
}
