package compress

import (
	"encoding/binary"
	"fmt"
	"io"

	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/snappy"
)

// The snappy-java stream header (SnappyCodec in xerial/snappy-java): an
// 8-byte magic, then the writer's format version and the oldest reader
// version that can read the stream, both int32 big-endian.
var xerialMagic = [8]byte{0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0}

const (
	xerialHeaderLen = 16
	// xerialVersion is both the version this package writes and the
	// newest version it reads (snappy-java DEFAULT_VERSION and
	// MINIMUM_COMPATIBLE_VERSION are both 1).
	xerialVersion = 1
	// xerialMagicHead is the magic's first four bytes as a big-endian
	// uint32. Read where a chunk length is expected, it marks a
	// concatenated stream: as an int32 it is negative, so it cannot be a
	// length.
	xerialMagicHead = 0x82534e41

	// maxSnappyBlock bounds the uncompressed size of one Snappy block a
	// reader accepts: snappy-java's MAX_BLOCK_SIZE (512 MiB).
	maxSnappyBlock = 512 << 20
	// maxSnappyExpansion bounds decoded/encoded size for a valid Snappy
	// block: the densest element is a 3-byte copy of 64 bytes (21.3x).
	// Readers check a block's claimed length against it before allocating.
	maxSnappyExpansion = 22
	// readStep bounds how far a reader grows its buffer ahead of the bytes
	// that actually arrived, so a forged length cannot force a large
	// allocation.
	readStep = 1 << 20
)

// maxSnappyChunk bounds the compressed size of one chunk a reader accepts.
var maxSnappyChunk = s2.MaxEncodedLen(maxSnappyBlock)

func xerialHeader() [xerialHeaderLen]byte {
	var h [xerialHeaderLen]byte
	copy(h[:], xerialMagic[:])
	binary.BigEndian.PutUint32(h[8:], xerialVersion)
	binary.BigEndian.PutUint32(h[12:], xerialVersion)
	return h
}

// snappyWriter writes the snappy-java stream format (hadoop false) or
// Hadoop's BlockCompressorStream framing (hadoop true). Both cut the input
// into blocks of blockSize bytes and Snappy-encode each block on its own:
//
//	Snappy:        header(16) { int32 BE compressed length, block }...
//	HADOOP_SNAPPY: { int32 BE uncompressed length, int32 BE compressed length, block }...
//
// A Hadoop block may hold several length-prefixed chunks; this writer always
// writes one, as snappy-java's SnappyHadoopCompatibleOutputStream does.
type snappyWriter struct {
	w         io.Writer
	hadoop    bool
	encode    func(dst, src []byte) []byte
	blockSize int
	pending   []byte // input not yet encoded, len < blockSize between calls
	out       []byte // one framed block, reused
	started   bool   // the xerial header has been written
	err       error  // first error from w, sticky
}

func newSnappyWriter(w io.Writer, hadoop bool, level, blockSize int) *snappyWriter {
	encode := s2.EncodeSnappy
	if level >= 2 {
		encode = s2.EncodeSnappyBetter
	}
	return &snappyWriter{
		w:         w,
		hadoop:    hadoop,
		encode:    encode,
		blockSize: blockSize,
		pending:   make([]byte, 0, blockSize),
		out:       make([]byte, 0, xerialHeaderLen+8+s2.MaxEncodedLen(blockSize)),
	}
}

func (s *snappyWriter) Write(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	n := 0
	for len(p) > 0 {
		if len(s.pending) == 0 && len(p) >= s.blockSize {
			// A whole block is available: encode it in place, no copy.
			if err := s.writeBlock(p[:s.blockSize]); err != nil {
				return n, err
			}
			n += s.blockSize
			p = p[s.blockSize:]
			continue
		}
		k := min(len(p), s.blockSize-len(s.pending))
		s.pending = append(s.pending, p[:k]...)
		n += k
		p = p[k:]
		if len(s.pending) == s.blockSize {
			if err := s.writeBlock(s.pending); err != nil {
				return n, err
			}
			s.pending = s.pending[:0]
		}
	}
	return n, nil
}

// Close writes the last, short block. snappy-java writes the header even
// for an empty stream; SnappyHadoopCompatibleOutputStream writes nothing.
func (s *snappyWriter) Close() error {
	if s.err != nil {
		return s.err
	}
	if len(s.pending) > 0 {
		if err := s.writeBlock(s.pending); err != nil {
			return err
		}
		s.pending = s.pending[:0]
		return nil
	}
	if !s.hadoop && !s.started {
		h := xerialHeader()
		s.started = true
		return s.emit(h[:])
	}
	return nil
}

// writeBlock frames and writes one block, in a single Write to s.w.
func (s *snappyWriter) writeBlock(src []byte) error {
	out := s.out[:0]
	if !s.hadoop && !s.started {
		h := xerialHeader()
		out = append(out, h[:]...)
		s.started = true
	}
	if s.hadoop {
		out = binary.BigEndian.AppendUint32(out, uint32(len(src)))
	}
	lenAt := len(out)
	out = append(out, 0, 0, 0, 0)
	dst := out[len(out):cap(out)]
	block := s.encode(dst, src)
	binary.BigEndian.PutUint32(out[lenAt:], uint32(len(block)))
	if &block[0] == &dst[0] {
		// Encoded in place: out's spare capacity was sized for the
		// largest possible block.
		out = out[:len(out)+len(block)]
	} else {
		out = append(out, block...)
	}
	return s.emit(out)
}

func (s *snappyWriter) emit(b []byte) error {
	n, err := s.w.Write(b)
	if err == nil && n < len(b) {
		err = io.ErrShortWrite
	}
	if err != nil {
		s.err = err
	}
	return err
}

// snappyReader decodes the snappy-java stream format or Hadoop's block
// framing; see snappyWriter. It is strict: it accepts what the reference
// writers produce, plus the variants their readers document (concatenated
// snappy-java streams, Hadoop's zero-length end-of-stream block), and
// returns an error wrapping ErrCorrupt for anything else.
type snappyReader struct {
	r      io.Reader
	f      Format
	hadoop bool
	off    int64  // bytes consumed from r, for error messages
	left   int64  // HADOOP_SNAPPY: bytes still due in the current block
	comp   []byte // one compressed chunk, reused
	dec    []byte // the decoded chunk being handed out
	pos    int    // next byte of dec to hand out
	err    error  // sticky: io.EOF at a clean end, else the failure
	closed bool
	hdr    [xerialHeaderLen]byte // scratch for headers and length fields
}

func newSnappyReader(r io.Reader, hadoop bool) (*snappyReader, error) {
	s := &snappyReader{r: r, f: Snappy, hadoop: hadoop}
	if hadoop {
		s.f = HadoopSnappy
		return s, nil
	}
	h := s.hdr[:]
	n, err := io.ReadFull(r, h)
	s.off += int64(n)
	switch {
	case err == io.EOF:
		return nil, s.corrupt("empty input: a snappy-java stream starts with a 16-byte header")
	case err == io.ErrUnexpectedEOF && [8]byte(h[:8]) != xerialMagic:
		return nil, s.corrupt("missing snappy-java header (magic 82 53 4e 41 50 50 59 00)")
	case err == io.ErrUnexpectedEOF:
		return nil, s.corrupt("truncated header: %d of 16 bytes", n)
	case err != nil:
		return nil, s.readErr(err)
	}
	if err := s.checkHeader(h); err != nil {
		return nil, err
	}
	return s, nil
}

// checkHeader validates a 16-byte snappy-java header.
func (s *snappyReader) checkHeader(h []byte) error {
	if [8]byte(h[:8]) != xerialMagic {
		return s.corrupt("missing snappy-java header (magic 82 53 4e 41 50 50 59 00)")
	}
	version := int32(binary.BigEndian.Uint32(h[8:]))
	compat := int32(binary.BigEndian.Uint32(h[12:]))
	if version < xerialVersion {
		return s.corrupt("snappy-java stream version %d: the lowest compatible version is %d",
			version, xerialVersion)
	}
	if compat > xerialVersion {
		return s.corrupt("snappy-java stream needs reader version %d: this reader implements version %d",
			compat, xerialVersion)
	}
	return nil
}

func (s *snappyReader) Read(p []byte) (int, error) {
	if s.closed {
		return 0, fmt.Errorf("compress: %s read: %w", s.f, ErrClosed)
	}
	if len(p) == 0 {
		return 0, nil
	}
	for s.pos == len(s.dec) {
		if s.err != nil {
			return 0, s.err
		}
		if s.hadoop {
			s.err = s.nextHadoop()
		} else {
			s.err = s.nextXerial()
		}
	}
	n := copy(p, s.dec[s.pos:])
	s.pos += n
	return n, nil
}

// Close releases the buffers. It does not close the underlying reader.
func (s *snappyReader) Close() error {
	s.closed = true
	s.comp, s.dec = nil, nil
	s.pos = 0
	return nil
}

// nextXerial decodes the next chunk into s.dec. It returns io.EOF at the
// clean end of the stream and may return nil with s.dec empty.
func (s *snappyReader) nextXerial() error {
	s.dec, s.pos = s.dec[:0], 0
	v, err := s.readUint32(true)
	if err != nil {
		return err
	}
	if v == xerialMagicHead {
		// A concatenated stream: the rest of a header follows.
		h := s.hdr[:]
		binary.BigEndian.PutUint32(h, v)
		n, err := io.ReadFull(s.r, h[4:])
		s.off += int64(n)
		if err != nil {
			return s.truncatedOr(err, "truncated header of a concatenated stream")
		}
		return s.checkHeader(h)
	}
	return s.decodeChunk(v, -1)
}

// nextHadoop decodes the next chunk of the current block into s.dec,
// reading the next block's length first when the current one is complete.
func (s *snappyReader) nextHadoop() error {
	s.dec, s.pos = s.dec[:0], 0
	if s.left == 0 {
		v, err := s.readUint32(true)
		if err != nil {
			return err
		}
		if v > 1<<31-1 {
			return s.corrupt("negative block length %d", int32(v))
		}
		if v == 0 {
			// Hadoop's BlockDecompressorStream ends the stream at a
			// zero-length block; nothing may follow it.
			n, err := io.ReadFull(s.r, s.hdr[:1])
			if n > 0 {
				return s.corrupt("data after the zero-length end-of-stream block")
			}
			if err != io.EOF {
				return s.readErr(err)
			}
			return io.EOF
		}
		s.left = int64(v)
		return nil
	}
	v, err := s.readUint32(false)
	if err != nil {
		return err
	}
	return s.decodeChunk(v, s.left)
}

// decodeChunk reads a compressed chunk of length n and decodes it into
// s.dec. If left >= 0 the decoded size must not exceed it (HADOOP_SNAPPY),
// and left is reduced by the decoded size.
func (s *snappyReader) decodeChunk(n uint32, left int64) error {
	if n == 0 || int64(n) > int64(maxSnappyChunk) {
		return s.corrupt("chunk length %d out of range 1..%d", int32(n), maxSnappyChunk)
	}
	chunkAt := s.off - 4
	var err error
	s.comp, err = readN(s.r, s.comp, int(n))
	s.off += int64(len(s.comp))
	if err != nil {
		return s.truncatedOr(err, "truncated chunk: %d of %d bytes", len(s.comp), n)
	}
	d, err := snappy.DecodedLen(s.comp)
	if err != nil {
		return s.corruptAt(chunkAt, "chunk: %v", err)
	}
	if d > maxSnappyBlock || d > maxSnappyExpansion*len(s.comp) {
		return s.corruptAt(chunkAt, "chunk claims %d decoded bytes from %d compressed bytes", d, len(s.comp))
	}
	if left >= 0 && int64(d) > left {
		return s.corruptAt(chunkAt, "chunk decodes to %d bytes but its block has only %d left", d, left)
	}
	s.dec, err = snappy.DecodeStrict(s.dec[:0], s.comp)
	if err != nil {
		return s.corruptAt(chunkAt, "chunk: %v", err)
	}
	if left >= 0 {
		s.left -= int64(len(s.dec))
	}
	return nil
}

// readUint32 reads a big-endian uint32. At a boundary where the stream may
// end (atBoundary), a clean EOF returns io.EOF; elsewhere it is corrupt.
func (s *snappyReader) readUint32(atBoundary bool) (uint32, error) {
	b := s.hdr[:4]
	n, err := io.ReadFull(s.r, b)
	s.off += int64(n)
	switch {
	case err == io.EOF && atBoundary:
		return 0, io.EOF
	case err == io.EOF:
		return 0, s.corrupt("truncated block: %d bytes still due", s.left)
	case err != nil:
		return 0, s.truncatedOr(err, "truncated length field: %d of 4 bytes", n)
	}
	return binary.BigEndian.Uint32(b), nil
}

// truncatedOr reports a short read as corruption and anything else as an
// I/O error.
func (s *snappyReader) truncatedOr(err error, format string, args ...any) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return s.corrupt(format, args...)
	}
	return s.readErr(err)
}

func (s *snappyReader) corrupt(format string, args ...any) error {
	return s.corruptAt(s.off, format, args...)
}

func (s *snappyReader) corruptAt(off int64, format string, args ...any) error {
	return fmt.Errorf("%w: %s at byte %d: %s", ErrCorrupt, s.f, off, fmt.Sprintf(format, args...))
}

func (s *snappyReader) readErr(err error) error {
	return fmt.Errorf("compress: %s read at byte %d: %w", s.f, s.off, err)
}

// readN reads exactly n bytes into buf (reusing its capacity) and returns
// them. It reads at most readStep bytes at a time and grows buf only as
// data arrives (to at most twice what has arrived, or readStep), so a
// forged length on a short input fails with io.ErrUnexpectedEOF instead of
// allocating n bytes. On error it returns what was read.
func readN(r io.Reader, buf []byte, n int) ([]byte, error) {
	buf = buf[:0]
	for len(buf) < n {
		step := min(n-len(buf), readStep)
		if cap(buf)-len(buf) < step {
			grown := make([]byte, len(buf), max(len(buf)+step, 2*cap(buf)))
			copy(grown, buf)
			buf = grown
		}
		m, err := io.ReadFull(r, buf[len(buf):len(buf)+step])
		buf = buf[:len(buf)+m]
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return buf, err
		}
	}
	return buf, nil
}
