package wal

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"iter"
	"math"
	"time"
)

const (
	// HeaderSize is the size in bytes of a frame header.
	HeaderSize = 16

	// MaxPayload is the largest frame payload, in bytes, that the log writes
	// or accepts when reading. It bounds what a corrupt length field can make
	// a reader allocate, and it bounds one Append: the records of a single
	// call must fit in one frame (see [ErrTooLarge]).
	MaxPayload = 16 << 20

	// frameMagic opens every frame: the bytes 'W' 'H' 'F' '1'.
	frameMagic = "WHF1"

	// payloadFixed is the size of the fixed part of a payload: first
	// sequence number (8) and record count (4).
	payloadFixed = 12

	// minRecordSize is the smallest encoded record: arrival (8) and a
	// one-byte uvarint length of an empty record.
	minRecordSize = 9

	// maxRecordsBytes is the room for records in a payload.
	maxRecordsBytes = MaxPayload - payloadFixed
)

// castagnoli is the CRC-32C table. It is computed once and never written.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

var (
	// ErrTruncated reports bytes that end inside a frame: what a write cut
	// short by a crash leaves at the end of the last segment.
	ErrTruncated = errors.New("wal: frame truncated")

	// ErrCorrupt reports bytes that are not a valid frame or checkpoint: a
	// bad magic number, a checksum mismatch, an impossible length or count.
	// [*CorruptionError] wraps it.
	ErrCorrupt = errors.New("wal: corrupt data")
)

// Frame is a decoded frame: one or more consecutive records written by one
// group commit. Its records alias the bytes it was decoded from.
type Frame struct {
	// FirstSeq is the sequence number of the first record.
	FirstSeq uint64
	// Count is the number of records; their sequence numbers are
	// FirstSeq .. FirstSeq+Count-1.
	Count int

	records []byte // the validated record encodings, Count of them

	// A sealed frame (see seal.go) keeps its records encrypted until Open.
	sealed  []byte // the Sealer's output
	aad     []byte // payload bytes 0..sealedFixed, authenticated with it
	arrival int64  // earliest arrival, Unix nanoseconds (0: unknown)
}

// EndSeq returns one past the sequence number of the frame's last record.
func (f Frame) EndSeq() uint64 { return f.FirstSeq + uint64(f.Count) }

// Entries yields the frame's records in order. Each Entry's Data aliases the
// bytes the frame was decoded from; nothing is allocated. A sealed frame
// yields nothing: Open it first.
func (f Frame) Entries() iter.Seq[Entry] {
	return func(yield func(Entry) bool) {
		if f.sealed != nil {
			return
		}
		b := f.records
		for i := range f.Count {
			arr := int64(binary.LittleEndian.Uint64(b))
			n, k := binary.Uvarint(b[8:])
			b = b[8+k:]
			e := Entry{Seq: f.FirstSeq + uint64(i), Data: b[:n:n], Arrival: fromNanos(arr)}
			b = b[n:]
			if !yield(e) {
				return
			}
		}
	}
}

// DecodeFrame decodes the frame at the start of b and returns it with its
// encoded size (HeaderSize plus the payload length). It checks everything
// it can: magic, header checksum, length bounds, payload checksum, and the
// exact layout of the payload (count, record lengths, canonical varints,
// no trailing bytes). It never allocates and never reads past b.
//
// The error wraps [ErrTruncated] when b ends before the frame does, and
// [ErrCorrupt] otherwise.
func DecodeFrame(b []byte) (Frame, int, error) {
	n, crc, sealed, err := parseHeader(b)
	if err != nil {
		return Frame{}, 0, err
	}
	if len(b)-HeaderSize < n {
		return Frame{}, 0, fmt.Errorf("%w: need %d bytes, have %d", ErrTruncated, HeaderSize+n, len(b))
	}
	f, err := decodeAny(b[HeaderSize:HeaderSize+n], crc, sealed)
	if err != nil {
		return Frame{}, 0, err
	}
	return f, HeaderSize + n, nil
}

// parseHeader checks a frame header and returns the payload length and
// checksum it announces, and whether the frame is sealed. The length is
// within [payloadFixed+minRecordSize, MaxPayload] for a plain frame and
// [sealedFixed+1, maxSealedPayload] for a sealed one when err is nil.
func parseHeader(h []byte) (n int, crc uint32, sealed bool, err error) {
	if len(h) < HeaderSize {
		return 0, 0, false, fmt.Errorf("%w: %d of %d header bytes", ErrTruncated, len(h), HeaderSize)
	}
	sealed = string(h[0:4]) == sealedMagic
	if !sealed && string(h[0:4]) != frameMagic {
		return 0, 0, false, fmt.Errorf("%w: bad frame magic %x", ErrCorrupt, h[0:4])
	}
	if got, want := crc32.Checksum(h[0:12], castagnoli), binary.LittleEndian.Uint32(h[12:16]); got != want {
		return 0, 0, false, fmt.Errorf("%w: frame header checksum %08x, want %08x", ErrCorrupt, got, want)
	}
	length := binary.LittleEndian.Uint32(h[4:8])
	lo, hi := uint32(payloadFixed+minRecordSize), uint32(MaxPayload)
	if sealed {
		lo, hi = sealedFixed+1, maxSealedPayload
	}
	if length < lo || length > hi {
		return 0, 0, false, fmt.Errorf("%w: frame payload length %d out of range", ErrCorrupt, length)
	}
	return int(length), binary.LittleEndian.Uint32(h[8:12]), sealed, nil
}

// decodePayload checks a payload against its checksum and validates its
// layout.
func decodePayload(p []byte, crc uint32) (Frame, error) {
	if got := crc32.Checksum(p, castagnoli); got != crc {
		return Frame{}, fmt.Errorf("%w: frame payload checksum %08x, want %08x", ErrCorrupt, got, crc)
	}
	first := binary.LittleEndian.Uint64(p[0:8])
	count := binary.LittleEndian.Uint32(p[8:12])
	recs := p[payloadFixed:]
	switch {
	case first == 0:
		return Frame{}, fmt.Errorf("%w: frame first sequence number 0", ErrCorrupt)
	case count == 0 || uint64(count) > uint64(len(recs)/minRecordSize):
		return Frame{}, fmt.Errorf("%w: frame record count %d impossible in %d bytes", ErrCorrupt, count, len(recs))
	case first > math.MaxUint64-uint64(count):
		return Frame{}, fmt.Errorf("%w: frame sequence numbers overflow", ErrCorrupt)
	}
	if err := validateRecords(recs, count); err != nil {
		return Frame{}, err
	}
	return Frame{FirstSeq: first, Count: int(count), records: recs}, nil
}

// validateRecords checks that recs holds exactly count record encodings.
func validateRecords(recs []byte, count uint32) error {
	b := recs
	for i := range count {
		if len(b) < minRecordSize {
			return fmt.Errorf("%w: record %d: truncated", ErrCorrupt, i)
		}
		n, k := binary.Uvarint(b[8:])
		if k <= 0 || k != uvarintLen(n) {
			return fmt.Errorf("%w: record %d: bad length varint", ErrCorrupt, i)
		}
		b = b[8+k:]
		if n > uint64(len(b)) {
			return fmt.Errorf("%w: record %d: length %d exceeds the frame", ErrCorrupt, i, n)
		}
		b = b[n:]
	}
	if len(b) != 0 {
		return fmt.Errorf("%w: %d bytes after the last record", ErrCorrupt, len(b))
	}
	return nil
}

// AppendFrame appends to dst the frame holding recs with sequence numbers
// starting at first, and returns the extended slice. It fails with
// [ErrTooLarge] when the records do not fit in [MaxPayload], and with an
// error when recs is empty or first is 0.
func AppendFrame(dst []byte, first uint64, recs []Record) ([]byte, error) {
	if len(recs) == 0 || first == 0 {
		return dst, errors.New("wal: a frame needs at least one record and a first sequence number above 0")
	}
	if recordsSize(recs) > maxRecordsBytes {
		return dst, ErrTooLarge
	}
	dst, start := beginFrame(dst, first)
	for _, r := range recs {
		dst = appendRecord(dst, r)
	}
	finishFrame(dst, start, len(recs))
	return dst, nil
}

// beginFrame appends a frame header and the fixed payload fields, to be
// filled in by finishFrame, and returns the slice and the frame's offset.
func beginFrame(dst []byte, first uint64) ([]byte, int) {
	start := len(dst)
	dst = append(dst, frameMagic...)
	dst = append(dst, make([]byte, HeaderSize-len(frameMagic))...)
	dst = binary.LittleEndian.AppendUint64(dst, first)
	dst = binary.LittleEndian.AppendUint32(dst, 0)
	return dst, start
}

// appendRecord appends one record's encoding: arrival, length, bytes.
func appendRecord(dst []byte, r Record) []byte {
	dst = binary.LittleEndian.AppendUint64(dst, uint64(toNanos(r.Arrival)))
	dst = binary.AppendUvarint(dst, uint64(len(r.Data)))
	return append(dst, r.Data...)
}

// finishFrame fills in the record count, payload length and checksums of
// the frame that starts at dst[start] and runs to the end of dst.
func finishFrame(dst []byte, start, count int) {
	h := dst[start : start+HeaderSize]
	p := dst[start+HeaderSize:]
	binary.LittleEndian.PutUint32(p[8:12], uint32(count))
	binary.LittleEndian.PutUint32(h[4:8], uint32(len(p)))
	binary.LittleEndian.PutUint32(h[8:12], crc32.Checksum(p, castagnoli))
	binary.LittleEndian.PutUint32(h[12:16], crc32.Checksum(h[0:12], castagnoli))
}

// recordsSize returns the encoded size of recs, without the frame header
// and fixed payload fields.
func recordsSize(recs []Record) int {
	n := 0
	for _, r := range recs {
		n += recordSize(len(r.Data))
	}
	return n
}

// recordSize returns the encoded size of one record of n data bytes.
func recordSize(n int) int { return 8 + uvarintLen(uint64(n)) + n }

// uvarintLen returns the size of the canonical uvarint encoding of v.
func uvarintLen(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}

// toNanos encodes an arrival time: Unix nanoseconds, with the zero Time as 0.
func toNanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// fromNanos decodes an arrival time written by toNanos.
func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n)
}
