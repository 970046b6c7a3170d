package wal

import (
	"bufio"
	"bytes"
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
	// corruptExt is appended to the name of a segment's damaged remainder
	// when Options.RepairCorrupt moves it aside.
	corruptExt = ".corrupt"
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
	size  int64  // bytes of whole frames in the file
	marks []mark // sparse (seq, arrival) samples, for OldestUnackedArrival
}

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
	size     int64  // bytes of valid frames
	fileSize int64  // bytes in the file
	frames   int    // number of valid frames
	marks    []mark
	// damage, when not nil, is why the frame at offset size is not valid.
	// It wraps ErrTruncated, or ErrCorrupt (including a frame whose
	// sequence numbers do not continue the segment).
	damage error
}

// scanSegment reads the segment file at path, which must start with the
// record first, validating every frame up to the end of the file or the
// first invalid one. buf is scratch space it may grow. The error is for
// failures to read the file; damage is reported in the result.
func scanSegment(path string, first uint64, buf *[]byte) (scanResult, error) {
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
	for res.size < res.fileSize {
		fr, n, err := readFrame(r, hdr[:], res.fileSize-res.size, buf)
		if err != nil {
			if errors.Is(err, ErrTruncated) || errors.Is(err, ErrCorrupt) {
				res.damage = err
				return res, nil
			}
			return res, fmt.Errorf("wal: scan segment %s: %w", path, err)
		}
		if fr.FirstSeq != res.end {
			res.damage = fmt.Errorf("%w: %w: frame starts at sequence number %d, want %d", ErrCorrupt, errSeqDamage, fr.FirstSeq, res.end)
			return res, nil
		}
		res.marks = appendMark(res.marks, fr)
		res.end = fr.EndSeq()
		res.size += int64(n)
		res.frames++
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

// validAfter looks for evidence that the damage at offset in the segment at
// path is not a torn tail: a valid frame further on whose records come
// after after (the sequence number expected at the damage). It returns how
// many such frames it found and one past the highest sequence number they
// hold. A write cut short by a crash leaves nothing valid behind it, because
// the log issues one frame per write and syncs it before the next write.
func validAfter(path string, offset int64, after uint64) (frames int, end uint64, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	if _, err := f.Seek(offset+1, io.SeekStart); err != nil {
		return 0, 0, err
	}
	// The remainder of one segment: bounded by the segment size plus one
	// frame, read once on a rare path.
	b, err := io.ReadAll(f)
	if err != nil {
		return 0, 0, err
	}
	for i := 0; ; {
		k := bytes.Index(b[i:], []byte(frameMagic))
		if k < 0 {
			return frames, end, nil
		}
		i += k
		fr, n, err := DecodeFrame(b[i:])
		if err == nil && fr.FirstSeq > after {
			frames++
			end = max(end, fr.EndSeq())
			i += n
			continue
		}
		i++
	}
}

// moveAside copies the bytes of the segment at path from offset on into
// corruptPath(path, offset), syncs that copy, and truncates the segment at
// offset.
func moveAside(path string, offset int64, sync bool) error {
	src, err := os.Open(path)
	if err != nil {
		return err
	}
	defer src.Close()
	if _, err := src.Seek(offset, io.SeekStart); err != nil {
		return err
	}
	dst, err := os.OpenFile(corruptPath(path, offset), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	_, err = io.Copy(dst, src)
	if err == nil && sync {
		err = dst.Sync()
	}
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return truncateFile(path, offset, sync)
}

// corruptPath names the file that keeps the damaged remainder, from
// offset on, of the segment at path.
func corruptPath(path string, offset int64) string {
	return fmt.Sprintf("%s.%d%s", path, offset, corruptExt)
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
