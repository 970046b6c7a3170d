package wal

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
)

// Sealed frames: the records of a frame encrypted by a Sealer (server-side
// stream encryption). The layout is in the package documentation.
const (
	// sealedMagic opens a sealed frame: the bytes 'W' 'H' 'S' '1'.
	sealedMagic = "WHS1"

	// sealedFixed is the clear part of a sealed payload: first sequence
	// number (8), record count (4), earliest arrival (8).
	sealedFixed = 20

	// maxSealOverhead is the most a Sealer may add to the records it
	// seals (nonce, tag, key reference).
	maxSealOverhead = 64 << 10

	// maxSealedPayload bounds a sealed payload, as MaxPayload bounds a
	// plain one.
	maxSealedPayload = MaxPayload + maxSealOverhead
)

// ErrSealed reports a sealed frame that could not be opened: the log has no
// Opener, or its keys do not open the frame (a wrong or missing key, or
// bytes changed after they were checksummed). The records are never
// returned as they are.
var ErrSealed = errors.New("wal: cannot open sealed frame")

// Sealer encrypts the records of a frame. *crypt.FrameSealer implements it.
type Sealer interface {
	// Seal appends to dst the sealed form of plain, authenticated together
	// with aad, and returns the extended slice. It adds at most 64 KiB.
	Seal(dst, plain, aad []byte) ([]byte, error)
}

// Opener decrypts what a Sealer sealed. *crypt.FrameOpener implements it.
type Opener interface {
	// Open appends to dst the plaintext of sealed, which was sealed with
	// aad, and returns the extended slice, or an error if sealed does not
	// authenticate.
	Open(dst, sealed, aad []byte) ([]byte, error)
}

// SetSealer makes the log seal every frame it writes from now on with s, or
// write them in the clear when s is nil. Appends that return after SetSealer
// returns are written its way; appends in flight may be written either way.
// Frames already written keep their form: Replay opens sealed ones with
// Options.Opener and reads plain ones as they are.
func (l *Log) SetSealer(s Sealer) {
	l.qmu.Lock()
	l.sealer = s
	l.qmu.Unlock()
}

// Sealed reports whether the frame's records are sealed; Entries yields
// nothing until the frame is opened.
func (f Frame) Sealed() bool { return f.sealed != nil }

// Open returns the frame with its records decrypted by o, checked like a
// plain frame's. A frame that is not sealed is returned as it is. The
// error wraps ErrSealed when o is nil or cannot open the frame, and
// ErrCorrupt when the opened records break the layout.
func (f Frame) Open(o Opener) (Frame, error) {
	if !f.Sealed() {
		return f, nil
	}
	if o == nil {
		return Frame{}, fmt.Errorf("%w: the log has no key to open it", ErrSealed)
	}
	recs, err := o.Open(nil, f.sealed, f.aad)
	if err != nil {
		return Frame{}, fmt.Errorf("%w: %w", ErrSealed, err)
	}
	if err := validateRecords(recs, uint32(f.Count)); err != nil {
		return Frame{}, err
	}
	return Frame{FirstSeq: f.FirstSeq, Count: f.Count, records: recs}, nil
}

// decodeAny decodes a plain or a sealed payload.
func decodeAny(p []byte, crc uint32, sealed bool) (Frame, error) {
	if sealed {
		return decodeSealed(p, crc)
	}
	return decodePayload(p, crc)
}

// decodeSealed checks a sealed payload against its checksum and validates
// its clear fields. The records are checked when the frame is opened.
func decodeSealed(p []byte, crc uint32) (Frame, error) {
	if got := crc32.Checksum(p, castagnoli); got != crc {
		return Frame{}, fmt.Errorf("%w: frame payload checksum %08x, want %08x", ErrCorrupt, got, crc)
	}
	first := binary.LittleEndian.Uint64(p[0:8])
	count := binary.LittleEndian.Uint32(p[8:12])
	switch {
	case first == 0:
		return Frame{}, fmt.Errorf("%w: frame first sequence number 0", ErrCorrupt)
	case count == 0 || uint64(count) > maxRecordsBytes/minRecordSize:
		return Frame{}, fmt.Errorf("%w: sealed frame record count %d impossible", ErrCorrupt, count)
	case first > math.MaxUint64-uint64(count):
		return Frame{}, fmt.Errorf("%w: frame sequence numbers overflow", ErrCorrupt)
	}
	return Frame{
		FirstSeq: first,
		Count:    int(count),
		sealed:   p[sealedFixed:],
		aad:      p[:sealedFixed],
		arrival:  int64(binary.LittleEndian.Uint64(p[12:20])),
	}, nil
}

// appendSealedFrame appends to dst a sealed frame holding count encoded
// records with sequence numbers from first and the earliest arrival
// arrival (Unix nanoseconds), and returns the extended slice.
func appendSealedFrame(dst []byte, first uint64, count int, arrival int64, records []byte, s Sealer) ([]byte, error) {
	start := len(dst)
	dst = append(dst, sealedMagic...)
	dst = append(dst, make([]byte, HeaderSize-len(sealedMagic))...)
	dst = binary.LittleEndian.AppendUint64(dst, first)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(count))
	dst = binary.LittleEndian.AppendUint64(dst, uint64(arrival))
	aad := dst[start+HeaderSize:]
	dst, err := s.Seal(dst, records, aad)
	if err != nil {
		return dst[:start], fmt.Errorf("wal: seal frame: %w", err)
	}
	n := len(dst) - start - HeaderSize
	if n > maxSealedPayload {
		return dst[:start], fmt.Errorf("wal: seal frame: sealed payload of %d bytes exceeds %d", n, maxSealedPayload)
	}
	h := dst[start : start+HeaderSize]
	p := dst[start+HeaderSize:]
	binary.LittleEndian.PutUint32(h[4:8], uint32(n))
	binary.LittleEndian.PutUint32(h[8:12], crc32.Checksum(p, castagnoli))
	binary.LittleEndian.PutUint32(h[12:16], crc32.Checksum(h[0:12], castagnoli))
	return dst, nil
}

// Sealing reports whether the log seals the frames it writes now.
func (l *Log) Sealing() bool {
	l.qmu.Lock()
	defer l.qmu.Unlock()
	return l.sealer != nil
}
