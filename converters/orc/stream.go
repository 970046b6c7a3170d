package orc

import (
	"bytes"
	"fmt"

	"github.com/klauspost/compress/flate"
	"github.com/klauspost/compress/s2"
)

// Compression kinds, as numbered by the PostScript's CompressionKind enum.
const (
	compressionNone   = 0
	compressionZlib   = 1
	compressionSnappy = 2
)

// chunkHeaderLen is the size of the header in front of every compressed
// chunk: (length << 1 | isOriginal) as a 3-byte little-endian number.
const chunkHeaderLen = 3

// maxChunkLen is the largest chunk length a 3-byte header can carry.
const maxChunkLen = 1<<23 - 1

// codec compresses one chunk. Each chunk is compressed on its own, so a
// reader can start decompressing at any chunk header.
type codec struct {
	kind    int
	zw      *flate.Writer
	zbuf    bytes.Buffer
	scratch []byte
}

// newCodec returns the codec for a PostScript compression kind, or nil for
// NONE.
func newCodec(kind int) (*codec, error) {
	switch kind {
	case compressionNone:
		return nil, nil
	case compressionZlib:
		// ORC's ZLIB is raw deflate (RFC 1951), without the zlib header.
		zw, err := flate.NewWriter(nil, flate.DefaultCompression)
		if err != nil {
			return nil, fmt.Errorf("orc: zlib: %w", err)
		}
		return &codec{kind: kind, zw: zw}, nil
	case compressionSnappy:
		return &codec{kind: kind}, nil
	}
	return nil, fmt.Errorf("orc: unknown compression kind %d", kind)
}

// compress returns src compressed. The result is only valid until the next
// call.
func (c *codec) compress(src []byte) []byte {
	switch c.kind {
	case compressionZlib:
		c.zbuf.Reset()
		c.zw.Reset(&c.zbuf)
		// Writes to a bytes.Buffer cannot fail.
		_, _ = c.zw.Write(src)
		_ = c.zw.Close()
		return c.zbuf.Bytes()
	default:
		// s2's Snappy mode writes the raw Snappy block format ORC expects.
		c.scratch = s2.EncodeSnappy(c.scratch[:cap(c.scratch)], src)
		return c.scratch
	}
}

// stream is one ORC stream of one stripe (PRESENT, DATA, LENGTH, …). With
// compression it collects bytes into an open chunk of at most block bytes and
// compresses each full chunk at once, so a stripe is held compressed in memory.
// Without compression the bytes are kept as they are.
type stream struct {
	codec *codec
	block int
	buf   []byte // the open chunk, or every byte when uncompressed
	out   []byte // finished chunks with their headers
}

func newStream(c *codec, block int) *stream {
	s := &stream{codec: c, block: block}
	if c != nil {
		s.buf = make([]byte, 0, block)
	}
	return s
}

// write appends p to the stream.
func (s *stream) write(p []byte) {
	if s.codec == nil {
		s.buf = append(s.buf, p...)
		return
	}
	for len(p) > 0 {
		n := min(len(p), s.block-len(s.buf))
		s.buf = append(s.buf, p[:n]...)
		p = p[n:]
		if len(s.buf) == s.block {
			s.spill()
		}
	}
}

// spill closes the open chunk: it is stored compressed, or as it is (with
// the isOriginal bit) when compression does not make it smaller.
func (s *stream) spill() {
	if len(s.buf) == 0 {
		return
	}
	z := s.codec.compress(s.buf)
	if len(z) < len(s.buf) {
		s.out = appendChunkHeader(s.out, len(z), false)
		s.out = append(s.out, z...)
	} else {
		s.out = appendChunkHeader(s.out, len(s.buf), true)
		s.out = append(s.out, s.buf...)
	}
	s.buf = s.buf[:0]
}

func appendChunkHeader(dst []byte, n int, original bool) []byte {
	v := n << 1
	if original {
		v |= 1
	}
	return append(dst, byte(v), byte(v>>8), byte(v>>16))
}

// position appends the stream's current position as a row index records it:
// the byte offset when uncompressed; the offset of the open chunk in the
// stored stream and the offset inside the decompressed chunk when compressed.
func (s *stream) position(pos []uint64) []uint64 {
	if s.codec == nil {
		return append(pos, uint64(len(s.buf)))
	}
	return append(pos, uint64(len(s.out)), uint64(len(s.buf)))
}

// finish closes the open chunk. The stream's bytes are then final.
func (s *stream) finish() {
	if s.codec != nil {
		s.spill()
	}
}

// bytes returns the stored stream after finish.
func (s *stream) bytes() []byte {
	if s.codec == nil {
		return s.buf
	}
	return s.out
}

// size is the number of bytes the stream holds in memory.
func (s *stream) size() int { return len(s.out) + len(s.buf) }

// reset empties the stream for the next stripe, keeping its memory.
func (s *stream) reset() {
	s.buf = s.buf[:0]
	s.out = s.out[:0]
}

// compressBlob frames a whole message (footer, index, …) as a stream.
func compressBlob(c *codec, block int, p []byte) []byte {
	if c == nil {
		return p
	}
	s := &stream{codec: c, block: block, buf: make([]byte, 0, min(block, len(p)))}
	s.write(p)
	s.finish()
	return s.out
}

// writeString appends s to the stream.
func (s *stream) writeString(p string) {
	if s.codec == nil {
		s.buf = append(s.buf, p...)
		return
	}
	for len(p) > 0 {
		n := min(len(p), s.block-len(s.buf))
		s.buf = append(s.buf, p[:n]...)
		p = p[n:]
		if len(s.buf) == s.block {
			s.spill()
		}
	}
}
