package wal

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
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

	// RepairCorrupt makes Open proceed past corruption that is not a torn
	// tail, instead of failing with a *CorruptionError. The frames before
	// the damage are kept; the damaged remainder of that segment is moved
	// to a file named <segment>.<offset>.corrupt (nothing is
	// destroyed), the sequence numbers it held are treated as
	// acknowledged, and the damage is listed in Recovery.Repaired and
	// Recovery.Lost. Records acknowledged to producers may be lost this
	// way; it is an operator's decision. Default false.
	RepairCorrupt bool

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

	// Repaired lists corruption that Options.RepairCorrupt moved aside.
	Repaired []*CorruptionError
	// Lost lists the sequence numbers known to have been in the damaged
	// data that Options.RepairCorrupt moved aside. Records of the damaged
	// frame itself may be missing from it when no later frame tells where
	// they ended.
	Lost []Range

	// Holes lists sequence numbers below NextSeq that no segment holds and
	// the checkpoint did not mark acknowledged. They are treated as
	// acknowledged. Normally empty; a checkpoint lost in an operating-system
	// crash can make the records of deleted segments show up here.
	Holes []Range

	// CheckpointErr is why the checkpoint could not be used, if it could
	// not; the log then replays everything in its segments (duplicates,
	// not loss).
	CheckpointErr error
}

// CorruptionError reports damaged log data that is not a torn tail: a bad
// frame in a segment that is not the last one, a bad frame followed by
// valid ones, or sequence numbers that do not follow on. Records after the
// damage may have been acknowledged to producers, so the log does not
// guess: Open fails (unless Options.RepairCorrupt is set), leaving the files
// untouched for an operator. errors.Is(err, ErrCorrupt) is true.
type CorruptionError struct {
	// Segment is the path of the damaged segment file.
	Segment string
	// Offset is the byte offset of the first bad frame in it; everything
	// before it is valid.
	Offset int64
	// Seq is the sequence number expected at Offset.
	Seq uint64
	// FramesAfter is the number of valid frames found after the damage in
	// the same file.
	FramesAfter int
	// Err describes the damage.
	Err error
}

// Error implements error.
func (e *CorruptionError) Error() string {
	return fmt.Sprintf("wal: segment %s corrupt at offset %d (sequence number %d, %d valid frames after): %v",
		e.Segment, e.Offset, e.Seq, e.FramesAfter, e.Err)
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
// Recovered). Damage anywhere else fails Open with a *CorruptionError
// unless Options.RepairCorrupt is set. Another Log holding dir fails it with
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
	if err := os.Remove(filepath.Join(dir, checkpointTemp)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("wal: %w", err)
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
	firsts, err := listSegments(dir)
	if err != nil {
		return err
	}
	next := max(1, acks.maxEnd())
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
		res, err := scanSegment(path, first, &buf)
		if err != nil {
			return err
		}
		if res.damage != nil {
			if err := l.handleDamage(path, first, last, &res, &acks, &next, firsts); err != nil {
				return err
			}
		}
		if !last && res.end > firsts[i+1] {
			return &CorruptionError{Segment: path, Offset: res.size, Seq: res.end,
				Err: fmt.Errorf("%w: segment holds records up to %d, past the next segment's first %d", ErrCorrupt, res.end-1, firsts[i+1])}
		}
		l.segs = append(l.segs, &segment{first: first, end: res.end, size: res.size, marks: res.marks})
		next = max(next, res.end)
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

	// The active segment: the last one if it ends at next and still has
	// unacknowledged records (or none at all), else a new one.
	var lastSeg *segment
	if n := len(l.segs); n > 0 {
		lastSeg = l.segs[n-1]
	}
	if lastSeg == nil || lastSeg.end != next || (lastSeg.size > 0 && acks.covers(lastSeg.first, lastSeg.end)) {
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

	// Delete what is now known to be acknowledged and persist the
	// checkpoint with the holes.
	l.ckMu.Lock()
	defer l.ckMu.Unlock()
	return l.collect(o.NoSync)
}

// handleDamage deals with the damage scanSegment found in the segment at
// path: it truncates a torn tail, moves corruption aside under
// RepairCorrupt, or returns a *CorruptionError.
func (l *Log) handleDamage(path string, first uint64, last bool, res *scanResult, acks *ackSet, next *uint64, firsts []uint64) error {
	framesAfter, endAfter, err := validAfter(path, res.size, res.end)
	if err != nil {
		return fmt.Errorf("wal: %w", err)
	}
	// A bad frame with nothing valid behind it, in the segment being
	// written when the process stopped, is the torn tail of a write that
	// never returned: it was not acknowledged, and it is cut off.
	// Sequence numbers that do not follow on are never a tear.
	badSeq := errors.Is(res.damage, errSeqDamage)
	if last && framesAfter == 0 && !badSeq {
		if err := truncateFile(path, res.size, !l.opts.NoSync); err != nil {
			return fmt.Errorf("wal: truncate torn tail: %w", err)
		}
		l.rec.TornSegment = path
		l.rec.TruncatedBytes = res.fileSize - res.size
		l.rec.DroppedFrames = 1
		return nil
	}
	cerr := &CorruptionError{Segment: path, Offset: res.size, Seq: res.end, FramesAfter: framesAfter, Err: res.damage}
	if !l.opts.RepairCorrupt {
		return cerr
	}
	if err := moveAside(path, res.size, !l.opts.NoSync); err != nil {
		return fmt.Errorf("wal: move corrupt data aside: %w", err)
	}
	l.rec.Repaired = append(l.rec.Repaired, cerr)
	lost := endAfter
	if !last {
		i, _ := slices.BinarySearch(firsts, first)
		lost = firsts[i+1]
	}
	if lost > res.end {
		l.rec.Lost = append(l.rec.Lost, Range{res.end, lost})
		acks.add(res.end, lost)
		*next = max(*next, lost)
	}
	return nil
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
	return l.collect(l.opts.NoSync)
}

// collect deletes the sealed segments whose records are all acknowledged
// and writes the checkpoint, durably before any deletion. The caller holds
// ckMu.
func (l *Log) collect(noSync bool) error {
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

	if err := writeCheckpoint(l.opts.FS, l.dir, l.ckBuf, len(dead) > 0 && !noSync); err != nil {
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
		segs[i] = segment{first: s.first, end: s.end, size: s.size}
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
	for off < s.size {
		fr, n, err := readFrame(r, hdr[:], s.size-off, scratch)
		if err == nil && fr.FirstSeq != seq {
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
	r.Repaired = slices.Clone(r.Repaired)
	r.Lost = slices.Clone(r.Lost)
	r.Holes = slices.Clone(r.Holes)
	return r
}

// Dir returns the log's folder.
func (l *Log) Dir() string { return l.dir }

// Close writes and syncs the appends already queued, stops the writer and
// releases the folder. Later calls on the log return ErrClosed; closing
// again returns nil. It returns the failure that stopped the writer, if
// one did.
func (l *Log) Close() error {
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
	err := l.failed
	l.qmu.Unlock()
	return errors.Join(err, l.file.Close(), l.lock.Close())
}

// Remove closes the log and deletes its folder: the delivery stream is
// gone, and so are its undelivered records.
func (l *Log) Remove() error {
	err := l.Close()
	return errors.Join(err, os.RemoveAll(l.dir))
}
