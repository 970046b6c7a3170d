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

// chunkSize is the size of the chunks stream bytes and dictionaries are
// held in. Holding a stripe in fixed chunks instead of slices grown by
// doubling keeps the writer's memory near the stripe size: nothing is
// copied as a stream grows and no slice is ever twice what it holds.
const chunkSize = 256 << 10

// chunkPool recycles full-size chunks between the stripes of one writer, so
// the chunks of a stripe that was written serve the next one. It holds at
// most the chunks of the largest stripe.
type chunkPool struct{ free [][]byte }

// get returns an empty chunk of capacity chunkSize.
func (p *chunkPool) get() []byte {
	if p != nil {
		if n := len(p.free); n > 0 {
			c := p.free[n-1]
			p.free = p.free[:n-1]
			return c[:0]
		}
	}
	return make([]byte, 0, chunkSize)
}

// put gives a chunk back; chunks of another capacity are left to the
// garbage collector.
func (p *chunkPool) put(c []byte) {
	if p != nil && cap(c) == chunkSize {
		p.free = append(p.free, c[:0])
	}
}

// chunkList is a byte sequence held in chunks of chunkSize bytes. The first
// chunk grows by appending, so small lists stay small; later ones come
// whole from the pool.
type chunkList struct {
	pool   *chunkPool
	chunks [][]byte
	n      int // bytes held
}

// room returns the last chunk, starting a new one when it is full.
func (l *chunkList) room() *[]byte {
	k := len(l.chunks)
	if k == 0 {
		l.chunks = append(l.chunks, nil)
	} else if len(l.chunks[k-1]) >= chunkSize {
		l.chunks = append(l.chunks, l.pool.get())
	}
	return &l.chunks[len(l.chunks)-1]
}

func (l *chunkList) write(p []byte) {
	l.n += len(p)
	for len(p) > 0 {
		last := l.room()
		k := min(len(p), chunkSize-len(*last))
		*last = append(*last, p[:k]...)
		p = p[k:]
	}
}

func (l *chunkList) writeString(p string) {
	l.n += len(p)
	for len(p) > 0 {
		last := l.room()
		k := min(len(p), chunkSize-len(*last))
		*last = append(*last, p[:k]...)
		p = p[k:]
	}
}

// each calls fn with the held bytes, chunk by chunk, until fn fails.
func (l *chunkList) each(fn func([]byte) error) error {
	for _, c := range l.chunks {
		if err := fn(c); err != nil {
			return err
		}
	}
	return nil
}

// reset empties the list and gives its chunks back to the pool.
func (l *chunkList) reset() {
	for _, c := range l.chunks {
		l.pool.put(c)
	}
	clear(l.chunks)
	l.chunks = l.chunks[:0]
	l.n = 0
}

// stream is one ORC stream of one stripe (PRESENT, DATA, LENGTH, …). With
// compression it collects bytes into an open chunk of at most block bytes and
// compresses each full chunk at once, so a stripe is held compressed in memory.
// Without compression the bytes are kept as they are.
type stream struct {
	codec *codec
	block int
	buf   []byte    // the open compression chunk, grown as needed up to block
	out   chunkList // finished chunks with their headers, or every byte when uncompressed
}

func newStream(c *codec, block int, pool *chunkPool) *stream {
	return &stream{codec: c, block: block, out: chunkList{pool: pool}}
}

// write appends p to the stream.
func (s *stream) write(p []byte) {
	if s.codec == nil {
		s.out.write(p)
		return
	}
	compressBlocks(s, p)
}

// writeString appends p to the stream.
func (s *stream) writeString(p string) {
	if s.codec == nil {
		s.out.writeString(p)
		return
	}
	compressBlocks(s, p)
}

// compressBlocks adds p to the block being filled, compressing each full
// block (string and []byte alike, without converting one to the other).
func compressBlocks[T string | []byte](s *stream, p T) {
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
	var h [chunkHeaderLen]byte
	z := s.codec.compress(s.buf)
	if len(z) < len(s.buf) {
		s.out.write(appendChunkHeader(h[:0], len(z), false))
		s.out.write(z)
	} else {
		s.out.write(appendChunkHeader(h[:0], len(s.buf), true))
		s.out.write(s.buf)
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
		return append(pos, uint64(s.out.n))
	}
	return append(pos, uint64(s.out.n), uint64(len(s.buf)))
}

// finish closes the open chunk. The stream's bytes are then final.
func (s *stream) finish() {
	if s.codec != nil {
		s.spill()
	}
}

// length is the stored length of the stream after finish.
func (s *stream) length() int { return s.out.n }

// size is the number of bytes the stream holds in memory.
func (s *stream) size() int { return s.out.n + len(s.buf) }

// reset empties the stream for the next stripe. Its chunks go back to the
// pool; the open compression chunk keeps its memory.
func (s *stream) reset() {
	s.buf = s.buf[:0]
	s.out.reset()
}

// compressBlob frames a whole message (footer, index, …) as a stream.
func compressBlob(c *codec, block int, p []byte) []byte {
	if c == nil {
		return p
	}
	s := &stream{codec: c, block: block, buf: make([]byte, 0, min(block, len(p)))}
	s.write(p)
	s.finish()
	out := make([]byte, 0, s.out.n)
	for _, ch := range s.out.chunks {
		out = append(out, ch...)
	}
	return out
}
