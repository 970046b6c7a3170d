package wal

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

const (
	// segmentExt ends every segment file name.
	segmentExt = ".wal"
	// segmentDigits is the width of the zero-padded first sequence number
	// in a segment file name (enough for any uint64).
	segmentDigits = 20
	// quarantineDir is the folder, inside the log folder, that keeps a
	// copy of every damaged range Open finds.
	quarantineDir = "quarantine"
	// damagedExt ends the name of a quarantined copy.
	damagedExt = ".damaged"
	// markInterval is the arrival-time resolution of Stats'
	// OldestUnackedArrival, in nanoseconds.
	markInterval = int64(1e9)
	// readBufferSize is the read buffer used to scan and replay segments.
	readBufferSize = 1 << 20
)

// errSeqDamage marks damage that is a sequence-number discontinuity: a
// valid frame whose records do not follow those before it.
var errSeqDamage = errors.New("sequence numbers do not follow on")

// segment describes one segment file. The fields of the active segment
// change under Log.mu.
type segment struct {
	first uint64 // sequence number of the first record, also the file name
	end   uint64 // one past the last record written to it
	size  int64  // bytes of whole frames (and damaged ranges between them) in the file
	marks []mark // sparse (seq, arrival) samples, for OldestUnackedArrival
	// skips are the damaged ranges Open found in the file, in file order:
	// Replay steps over them. A segment with skips is never appended to.
	skips []span
}

// span is a damaged byte range [off, end) of a segment; off == end marks
// sequence numbers missing between two valid frames.
type span struct{ off, end int64 }

// mark records that the frame starting at seq held records that arrived no
// earlier than arrival (Unix nanoseconds; 0 for unknown).
type mark struct {
	seq     uint64
	arrival int64
}

// addMark samples a frame's arrival when it differs from the last sample
// by at least markInterval, so a segment keeps about one mark per second of
// arrivals however many frames it holds.
func (s *segment) addMark(first uint64, arrival int64) {
	if n := len(s.marks); n > 0 {
		d := arrival - s.marks[n-1].arrival
		if d < markInterval && d > -markInterval {
			return
		}
	}
	s.marks = append(s.marks, mark{first, arrival})
}

// arrivalAt returns the sampled arrival time of the record seq.
func (s *segment) arrivalAt(seq uint64) int64 {
	i, _ := slices.BinarySearchFunc(s.marks, seq, func(m mark, seq uint64) int {
		switch {
		case m.seq < seq:
			return -1
		case m.seq > seq:
			return 1
		}
		return 0
	})
	// marks[i] is the first mark at or after seq; the one that covers seq
	// is marks[i] if it starts exactly there, else the one before.
	if i < len(s.marks) && s.marks[i].seq == seq {
		return s.marks[i].arrival
	}
	if i > 0 {
		return s.marks[i-1].arrival
	}
	return 0
}

// segmentName returns the file name of the segment starting at first.
func segmentName(first uint64) string {
	return fmt.Sprintf("%0*d%s", segmentDigits, first, segmentExt)
}

// parseSegmentName returns the first sequence number a segment file name
// encodes.
func parseSegmentName(name string) (uint64, bool) {
	digits, ok := strings.CutSuffix(name, segmentExt)
	if !ok || len(digits) != segmentDigits {
		return 0, false
	}
	first, err := strconv.ParseUint(digits, 10, 64)
	if err != nil || first == 0 {
		return 0, false
	}
	return first, true
}

// listSegments returns the first sequence numbers of the segments in dir,
// in increasing order.
func listSegments(dir string) ([]uint64, error) {
	des, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("wal: list segments: %w", err)
	}
	var firsts []uint64
	for _, de := range des {
		if first, ok := parseSegmentName(de.Name()); ok && de.Type().IsRegular() {
			firsts = append(firsts, first)
		}
	}
	slices.Sort(firsts)
	return firsts, nil
}

// scanResult is what scanSegment learned about a segment file.
type scanResult struct {
	end      uint64 // one past the last record of the valid frames
	size     int64  // offset just past the last valid frame
	fileSize int64  // bytes in the file
	frames   int    // number of valid frames
	marks    []mark
	// damage lists, in file order, the stretches that hold no valid frame
	// and the sequence numbers missing between two valid frames.
	damage []damagedRange
}

// damagedRange is one stretch of a segment that holds no valid frame.
type damagedRange struct {
	off, end int64  // the bytes [off, end); off == end when only sequence numbers are missing
	seq      uint64 // the sequence number expected at off
	next     uint64 // first sequence number of the valid frame at end; 0 when none follows in the file
	err      error  // why the bytes at off are not the frame expected there
}

// trailing reports whether no valid frame follows the damage in its file.
func (d damagedRange) trailing() bool { return d.next == 0 }

// scanSegment reads the segment file at path, which must start with the
// record first, validating every frame. A valid frame decodes, checksums
// and layout included, starts at or after the sequence number expected and
// ends at or below limit. When the bytes at some offset are not a valid
// frame, the scan resynchronises on the next valid frame in the file (see
// resync) and goes on from there, so damage hides only what it covers.
// buf is scratch space it may grow. The error is for failures to read the
// file; damage is reported in the result.
func scanSegment(path string, first, limit uint64, buf *[]byte) (scanResult, error) {
	f, err := os.Open(path)
	if err != nil {
		return scanResult{}, fmt.Errorf("wal: scan segment: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return scanResult{}, fmt.Errorf("wal: scan segment: %w", err)
	}
	res := scanResult{end: first, fileSize: fi.Size()}
	r := newReader(f, res.fileSize)
	var hdr [HeaderSize]byte
	var off int64
	for off < res.fileSize {
		fr, n, err := readFrame(r, hdr[:], res.fileSize-off, buf)
		if err == nil && (fr.FirstSeq < res.end || fr.EndSeq() > limit) {
			err = fmt.Errorf("%w: %w: frame holds sequence numbers %d to %d, want from %d and below %d",
				ErrCorrupt, errSeqDamage, fr.FirstSeq, fr.EndSeq()-1, res.end, limit)
		}
		if err == nil {
			if fr.FirstSeq > res.end {
				// A valid frame, but records are missing before it.
				res.damage = append(res.damage, damagedRange{off: off, end: off, seq: res.end, next: fr.FirstSeq,
					err: fmt.Errorf("%w: %w: frame starts at sequence number %d, want %d", ErrCorrupt, errSeqDamage, fr.FirstSeq, res.end)})
			}
			res.marks = appendMark(res.marks, fr)
			res.end = fr.EndSeq()
			off += int64(n)
			res.size = off
			res.frames++
			continue
		}
		if !errors.Is(err, ErrTruncated) && !errors.Is(err, ErrCorrupt) {
			return res, fmt.Errorf("wal: scan segment %s: %w", path, err)
		}
		at, next, rerr := resync(f, off, res.end, limit, res.fileSize, buf)
		if rerr != nil {
			return res, fmt.Errorf("wal: scan segment %s: %w", path, rerr)
		}
		res.damage = append(res.damage, damagedRange{off: off, end: at, seq: res.end, next: next, err: err})
		if next == 0 {
			break
		}
		if _, err := f.Seek(at, io.SeekStart); err != nil {
			return res, fmt.Errorf("wal: scan segment %s: %w", path, err)
		}
		r.Reset(f)
		off, res.end = at, next
	}
	return res, nil
}

// appendMark adds the arrival sample of a frame to marks, as
// segment.addMark does.
func appendMark(marks []mark, fr Frame) []mark {
	s := segment{marks: marks}
	s.addMark(fr.FirstSeq, minArrival(fr))
	return s.marks
}

// minArrival returns the earliest arrival among a frame's records, in Unix
// nanoseconds (0 if one is unknown).
func minArrival(fr Frame) int64 {
	if fr.Sealed() {
		return fr.arrival
	}
	lo := int64(0)
	for e := range fr.Entries() {
		n := toNanos(e.Arrival)
		if lo == 0 || n < lo {
			lo = n
		}
		if n == 0 {
			return 0
		}
	}
	return lo
}

// readFrame reads and validates the next frame from r, which has remain
// bytes left. The frame's bytes live in *buf (grown as needed) until the
// next call. Errors wrap ErrTruncated or ErrCorrupt when the bytes are
// damaged; other errors are read failures.
func readFrame(r *bufio.Reader, hdr []byte, remain int64, buf *[]byte) (Frame, int, error) {
	if remain < HeaderSize {
		return Frame{}, 0, fmt.Errorf("%w: %d of %d header bytes", ErrTruncated, remain, HeaderSize)
	}
	if _, err := io.ReadFull(r, hdr); err != nil {
		return Frame{}, 0, err
	}
	n, crc, sealed, err := parseHeader(hdr)
	if err != nil {
		return Frame{}, 0, err
	}
	if int64(n) > remain-HeaderSize {
		// The length is bounded by MaxPayload and by the file, so a
		// corrupt length never causes a large allocation.
		return Frame{}, 0, fmt.Errorf("%w: frame of %d bytes, %d left in the file", ErrTruncated, HeaderSize+n, remain)
	}
	if cap(*buf) < n {
		*buf = make([]byte, n)
	}
	p := (*buf)[:n]
	if _, err := io.ReadFull(r, p); err != nil {
		return Frame{}, 0, err
	}
	fr, err := decodeAny(p, crc, sealed)
	if err != nil {
		return Frame{}, 0, err
	}
	return fr, HeaderSize + n, nil
}

// newReader returns a buffered reader for a file of size bytes, with a
// buffer no larger than the file (and at most readBufferSize).
func newReader(f *os.File, size int64) *bufio.Reader {
	return bufio.NewReaderSize(f, int(max(16, min(size, readBufferSize))))
}

// resync finds the first valid frame after the damage at offset off of the
// segment file f of size bytes: a position, after off, where a frame
// decodes with both checksums and its layout, starting at or after the
// sequence number expect and ending at or below limit. It returns that
// frame's offset and first sequence number, or size and 0 when there is
// none.
//
// Every position after off is a candidate, including those inside the
// extent the damaged frame's header announces, because a frame cut short
// in the middle of the file is followed by the next one sooner than its
// header says. The file is read in windows of readBufferSize bytes; only a
// position holding "WH" and a header whose checksum verifies costs a
// payload read.
//
// # Notes
//
// A record whose data is itself a valid frame (a log segment sent as a
// record) is a candidate like any other: if damage falls just before it,
// its records would be taken for the log's. The sequence-number bounds
// make that unlikely; sealed frames, whose data is encrypted, cannot hold
// one.
func resync(f *os.File, off int64, expect, limit uint64, size int64, buf *[]byte) (int64, uint64, error) {
	at, first := size, uint64(0)
	err := headersFrom(f, off+1, size, func(q int64, n int, crc uint32, sealed bool) (bool, error) {
		if int64(n) > size-q-HeaderSize {
			return false, nil
		}
		if cap(*buf) < n {
			*buf = make([]byte, n)
		}
		p := (*buf)[:n]
		if _, err := f.ReadAt(p, q+HeaderSize); err != nil {
			return false, err
		}
		if fr, err := decodeAny(p, crc, sealed); err == nil && fr.FirstSeq >= expect && fr.EndSeq() <= limit {
			at, first = q, fr.FirstSeq
			return true, nil
		}
		return false, nil
	})
	if err != nil {
		return 0, 0, err
	}
	return at, first, nil
}

// headersFrom calls fn, in order, with each position at or after from, in
// the file f of size bytes, that holds a frame header whose checksum
// verifies, and with that header's fields, until fn stops (true) or fails.
// The file is read in windows of readBufferSize bytes; only positions
// holding "WH" are parsed.
func headersFrom(f *os.File, from, size int64, fn func(at int64, n int, crc uint32, sealed bool) (bool, error)) error {
	var win []byte
	prefix := []byte(frameMagic[:2]) // "WH", shared by plain and sealed frames
	for base := from; base+HeaderSize <= size; base += readBufferSize {
		m := min(int64(readBufferSize+HeaderSize-1), size-base)
		if int64(cap(win)) < m {
			win = make([]byte, m)
		}
		w := win[:m]
		if _, err := f.ReadAt(w, base); err != nil {
			return err
		}
		for i := 0; i < readBufferSize && i+HeaderSize <= len(w); i++ {
			k := bytes.Index(w[i:], prefix)
			if k < 0 {
				break
			}
			i += k
			if i >= readBufferSize || i+HeaderSize > len(w) {
				break
			}
			n, crc, sealed, err := parseHeader(w[i : i+HeaderSize])
			if err != nil {
				continue
			}
			if stop, err := fn(base+int64(i), n, crc, sealed); err != nil || stop {
				return err
			}
		}
	}
	return nil
}

// tornStart tells, in the damaged end [off, size) of the segment at path,
// the last of a log that was not closed, the torn write from damage before it. A crash
// cuts short only the frame being written, and the log writes a frame only
// after the previous one is synced: so a frame whose header verifies and
// whose announced end lies before the end of the file was written whole,
// and is damaged, not torn. tornStart steps over such frames (and over
// bytes up to the next header that verifies) and returns where the torn
// frame starts, off when the whole range is one torn write. claimed is the
// first sequence number the torn frame's payload announces, unverified
// (its checksum cannot be checked), 0 when it is not there.
func tornStart(path string, off, size int64) (at int64, claimed uint64, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	at = off
	var h [HeaderSize + 8]byte
	for size-at >= HeaderSize {
		if _, err := f.ReadAt(h[:HeaderSize], at); err != nil {
			return 0, 0, err
		}
		n, _, _, herr := parseHeader(h[:HeaderSize])
		if herr != nil {
			q, found, err := nextHeader(f, at+1, size)
			if err != nil || !found {
				return at, 0, err
			}
			at = q
			continue
		}
		end := at + HeaderSize + int64(n)
		if end < size {
			at = end // written whole before later writes: damaged
			continue
		}
		if size-at >= int64(len(h)) {
			if _, err := f.ReadAt(h[HeaderSize:], at+HeaderSize); err != nil {
				return 0, 0, err
			}
			claimed = binary.LittleEndian.Uint64(h[HeaderSize:])
		}
		return at, claimed, nil
	}
	return at, 0, nil
}

// nextHeader finds the first position at or after from, in a file of size
// bytes, holding a frame header whose checksum verifies.
func nextHeader(f *os.File, from, size int64) (int64, bool, error) {
	at, found := int64(0), false
	err := headersFrom(f, from, size, func(q int64, _ int, _ uint32, _ bool) (bool, error) {
		at, found = q, true
		return true, nil
	})
	if err != nil {
		return 0, false, err
	}
	return at, found, nil
}

// quarantine copies the bytes [off, end) of the segment at path into the
// log folder's quarantine folder and returns the copy's path. A copy of
// the right size already there (the same damage, found by an earlier
// Open) is kept as it is.
func quarantine(dir, path string, off, end int64, noSync bool) (string, error) {
	qdir := filepath.Join(dir, quarantineDir)
	dst := filepath.Join(qdir, fmt.Sprintf("%s.%d-%d%s", filepath.Base(path), off, end, damagedExt))
	if fi, err := os.Stat(dst); err == nil && fi.Mode().IsRegular() && fi.Size() == end-off {
		return dst, nil
	}
	if err := os.MkdirAll(qdir, 0o755); err != nil {
		return "", err
	}
	src, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer src.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return "", err
	}
	_, err = io.Copy(out, io.NewSectionReader(src, off, end-off))
	if err == nil && !noSync {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil && !noSync {
		err = errors.Join(syncDir(qdir), syncDir(dir))
	}
	if err != nil {
		return "", err
	}
	return dst, nil
}

// truncateFile cuts the file at path to size bytes, and syncs it.
func truncateFile(path string, size int64, sync bool) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	err = f.Truncate(size)
	if err == nil && sync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// segmentPath returns the path of the segment starting at first in dir.
func segmentPath(dir string, first uint64) string {
	return filepath.Join(dir, segmentName(first))
}
