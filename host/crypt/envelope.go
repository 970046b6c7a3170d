package crypt

import (
	"bufio"
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Envelope format constants. See the package documentation for the layout.
const (
	// Magic opens every encrypted object: 0x89 'W' 'H' 'E' CR LF 0x1A LF.
	// The high first byte and the line endings (as in PNG's signature) make
	// it unlikely that a plain object starts with it by accident.
	Magic = "\x89WHE\r\n\x1a\n"

	// FormatVersion is the version of the envelope format written.
	FormatVersion = 1

	// DefaultChunkSize is the plaintext size of each authenticated chunk.
	DefaultChunkSize = 64 << 10

	// minChunk and maxChunk bound the chunk size a header may announce, so
	// a reader never allocates more than maxChunk+tagSize for a chunk.
	minChunk = 1 << 10
	maxChunk = 16 << 20

	// tagSize is the AES-GCM tag; nonceSize its nonce.
	tagSize   = 16
	nonceSize = 12

	// wrappedKeySize is a wrapped data key: nonce, key, tag.
	wrappedKeySize = nonceSize + KeySize + tagSize

	// noncePrefixSize is the random part of each chunk's nonce; the last 4
	// bytes are the chunk's index.
	noncePrefixSize = 8

	// maxHeader bounds a header: fixed fields and the longest key id.
	maxHeader = len(Magic) + 2 + 255 + 4 + 4 + 1 + wrappedKeySize + noncePrefixSize
)

// ErrNotEncrypted means the bytes do not start with the envelope's magic.
var ErrNotEncrypted = errors.New("crypt: not an encrypted object")

// ErrFormat means an envelope header that is not valid: an unknown format
// version, an impossible length or chunk size.
var ErrFormat = errors.New("crypt: malformed encrypted object")

// Header is the parsed header of an encrypted object.
type Header struct {
	// KeyID names the keyring key that wrapped the data key.
	KeyID string
	// KeyVersion is the version of that key.
	KeyVersion uint32
	// ChunkSize is the plaintext size of every chunk but the last.
	ChunkSize uint32
	// WrappedKey is the data key encrypted with the key version:
	// nonce (12) || AES-256-GCM ciphertext (32) || tag (16).
	WrappedKey []byte
	// NoncePrefix is the first 8 bytes of every chunk's nonce.
	NoncePrefix [noncePrefixSize]byte

	raw []byte // the header's bytes: the additional data of every chunk
}

// IsEncrypted reports whether b starts with the envelope's magic.
func IsEncrypted(b []byte) bool { return bytes.HasPrefix(b, []byte(Magic)) }

// ParseHeader parses the header at the start of b and returns it with its
// size. It fails with ErrNotEncrypted when b does not start with Magic,
// io.ErrUnexpectedEOF when b ends inside the header, and ErrFormat when the
// header is malformed. It does not check the wrapped key: that takes the
// keyring.
func ParseHeader(b []byte) (Header, int, error) {
	if len(b) < len(Magic) {
		if bytes.HasPrefix([]byte(Magic), b) {
			return Header{}, 0, io.ErrUnexpectedEOF
		}
		return Header{}, 0, ErrNotEncrypted
	}
	if !IsEncrypted(b) {
		return Header{}, 0, ErrNotEncrypted
	}
	p := len(Magic)
	need := func(n int) error {
		if len(b)-p < n {
			return io.ErrUnexpectedEOF
		}
		return nil
	}
	if err := need(2); err != nil {
		return Header{}, 0, err
	}
	if b[p] != FormatVersion {
		return Header{}, 0, fmt.Errorf("%w: format version %d, want %d", ErrFormat, b[p], FormatVersion)
	}
	idLen := int(b[p+1])
	p += 2
	if idLen == 0 {
		return Header{}, 0, fmt.Errorf("%w: empty key id", ErrFormat)
	}
	if err := need(idLen + 4 + 4 + 1); err != nil {
		return Header{}, 0, err
	}
	h := Header{KeyID: string(b[p : p+idLen])}
	p += idLen
	h.KeyVersion = binary.BigEndian.Uint32(b[p:])
	h.ChunkSize = binary.BigEndian.Uint32(b[p+4:])
	wlen := int(b[p+8])
	p += 9
	switch {
	case h.KeyVersion == 0:
		return Header{}, 0, fmt.Errorf("%w: key version 0", ErrFormat)
	case h.ChunkSize < minChunk || h.ChunkSize > maxChunk:
		return Header{}, 0, fmt.Errorf("%w: chunk size %d out of range [%d, %d]", ErrFormat, h.ChunkSize, minChunk, maxChunk)
	case wlen != wrappedKeySize:
		return Header{}, 0, fmt.Errorf("%w: wrapped key of %d bytes, want %d", ErrFormat, wlen, wrappedKeySize)
	}
	if err := need(wlen + noncePrefixSize); err != nil {
		return Header{}, 0, err
	}
	h.WrappedKey = b[p : p+wlen : p+wlen]
	p += wlen
	copy(h.NoncePrefix[:], b[p:])
	p += noncePrefixSize
	h.raw = b[:p:p]
	return h, p, nil
}

// appendHeaderPrefix appends the header fields that the data key's
// wrapping authenticates: everything before the wrapped key.
func appendHeaderPrefix(dst []byte, id string, version, chunk uint32) []byte {
	dst = append(dst, Magic...)
	dst = append(dst, FormatVersion, byte(len(id)))
	dst = append(dst, id...)
	dst = binary.BigEndian.AppendUint32(dst, version)
	dst = binary.BigEndian.AppendUint32(dst, chunk)
	return append(dst, wrappedKeySize)
}

// newGCM returns AES-256-GCM with key.
func newGCM(key []byte) (cipher.AEAD, error) {
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("crypt: %w", err)
	}
	a, err := cipher.NewGCM(b)
	if err != nil {
		return nil, fmt.Errorf("crypt: %w", err)
	}
	return a, nil
}

// Writer encrypts a stream into the envelope format. Create one with
// NewWriter, write the plaintext, and Close it to write the last chunk;
// Close does not close the underlying writer.
type Writer struct {
	w      io.Writer
	aead   cipher.AEAD
	header []byte
	prefix [noncePrefixSize]byte
	chunk  int
	buf    []byte // plaintext not yet sealed, up to chunk bytes
	out    []byte
	index  uint64
	err    error
	closed bool
}

// NewWriter writes the header of a new encrypted object to w, with a fresh
// data key wrapped by the current version of arn's key (created on first
// use), and returns the Writer for the plaintext.
func NewWriter(w io.Writer, k *Keyring, arn string) (*Writer, error) {
	return newWriter(w, k, arn, DefaultChunkSize)
}

func newWriter(w io.Writer, k *Keyring, arn string, chunk int) (*Writer, error) {
	id, version, kek, err := k.current(arn)
	if err != nil {
		return nil, err
	}
	dataKey := make([]byte, KeySize)
	_, _ = rand.Read(dataKey) // crypto/rand.Read never fails
	wrap, err := newGCM(kek)
	if err != nil {
		return nil, err
	}
	hdr := appendHeaderPrefix(make([]byte, 0, maxHeader), id, version, uint32(chunk))
	nonce := make([]byte, nonceSize)
	_, _ = rand.Read(nonce)
	hdr = append(hdr, nonce...)
	hdr = wrap.Seal(hdr, nonce, dataKey, hdr[:len(hdr)-nonceSize])
	ew := &Writer{w: w, chunk: chunk, buf: make([]byte, 0, chunk)}
	_, _ = rand.Read(ew.prefix[:])
	hdr = append(hdr, ew.prefix[:]...)
	ew.header = hdr
	if ew.aead, err = newGCM(dataKey); err != nil {
		return nil, err
	}
	if _, err := w.Write(hdr); err != nil {
		return nil, fmt.Errorf("crypt: write header: %w", err)
	}
	return ew, nil
}

// Write encrypts p. Full chunks are written as they fill; the last chunk is
// written by Close.
func (w *Writer) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	if w.closed {
		return 0, errors.New("crypt: write after close")
	}
	n := 0
	for len(p) > 0 {
		if len(w.buf) == w.chunk {
			// More data follows a full chunk, so it is not the last.
			if err := w.seal(false); err != nil {
				return n, err
			}
		}
		k := min(len(p), w.chunk-len(w.buf))
		w.buf = append(w.buf, p[:k]...)
		p = p[k:]
		n += k
	}
	return n, nil
}

// Close writes the last chunk (possibly empty). It does not close the
// underlying writer.
func (w *Writer) Close() error {
	if w.err != nil || w.closed {
		return w.err
	}
	w.closed = true
	return w.seal(true)
}

// seal encrypts the buffered plaintext as the next chunk and writes it.
func (w *Writer) seal(last bool) error {
	if w.index > 0xFFFFFFFF {
		w.err = errors.New("crypt: object too large for one envelope")
		return w.err
	}
	nonce := chunkNonce(w.prefix, uint32(w.index))
	w.out = w.aead.Seal(w.out[:0], nonce[:], w.buf, chunkAAD(w.header, last))
	w.index++
	w.buf = w.buf[:0]
	if _, err := w.w.Write(w.out); err != nil {
		w.err = fmt.Errorf("crypt: write chunk: %w", err)
		return w.err
	}
	return nil
}

// chunkNonce is a chunk's nonce: the header's prefix and the chunk's index.
func chunkNonce(prefix [noncePrefixSize]byte, index uint32) [nonceSize]byte {
	var n [nonceSize]byte
	copy(n[:], prefix[:])
	binary.BigEndian.PutUint32(n[noncePrefixSize:], index)
	return n
}

// chunkAAD is a chunk's additional data: the whole header, then 1 for the
// last chunk and 0 for the others.
func chunkAAD(header []byte, last bool) []byte {
	flag := byte(0)
	if last {
		flag = 1
	}
	return append(header[:len(header):len(header)], flag)
}

// Reader decrypts an encrypted object. Read returns only authenticated
// plaintext, a chunk at a time; damage, a wrong key or a truncated object
// is an error (wrapping ErrAuth) at the chunk where it is found, so a
// caller that must not act on a partial result should read to the end
// before using what it read.
type Reader struct {
	r      *bufio.Reader
	aead   cipher.AEAD
	h      Header
	chunk  []byte // ciphertext of the current chunk
	plain  []byte // plaintext not yet returned
	index  uint64
	done   bool
	err    error
	header []byte
}

// NewReader reads the header of an encrypted object from r and unwraps its
// data key with the keyring. It fails with ErrNotEncrypted when r does not
// start with Magic, ErrFormat for a malformed header, ErrKeyNotFound when
// the keyring lacks the key version, and ErrAuth when the key does not
// unwrap the data key.
func NewReader(r io.Reader, k *Keyring) (*Reader, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	// Read the header: its length is known once the key id length is.
	fixed, err := br.Peek(len(Magic) + 2)
	if err != nil && len(fixed) < len(Magic) {
		if _, _, perr := ParseHeader(fixed); errors.Is(perr, ErrNotEncrypted) {
			return nil, ErrNotEncrypted
		}
		return nil, fmt.Errorf("%w: header cut short", ErrFormat)
	}
	size := len(Magic) + 2 + 9 + wrappedKeySize + noncePrefixSize
	if len(fixed) == len(Magic)+2 {
		size += int(fixed[len(Magic)+1])
	}
	b, err := br.Peek(size)
	h, n, perr := ParseHeader(b)
	if perr != nil {
		if errors.Is(perr, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("%w: header cut short: %v", ErrFormat, err)
		}
		return nil, perr
	}
	h.raw = bytes.Clone(h.raw)
	h.WrappedKey = h.raw[n-noncePrefixSize-wrappedKeySize : n-noncePrefixSize]
	if _, err := br.Discard(n); err != nil {
		return nil, fmt.Errorf("crypt: read header: %w", err)
	}
	dataKey, err := unwrap(k, h)
	if err != nil {
		return nil, err
	}
	aead, err := newGCM(dataKey)
	if err != nil {
		return nil, err
	}
	return &Reader{r: br, aead: aead, h: h, header: h.raw, chunk: make([]byte, int(h.ChunkSize)+tagSize)}, nil
}

// Header returns the object's header.
func (r *Reader) Header() Header { return r.h }

// unwrap decrypts the data key of h with the keyring.
func unwrap(k *Keyring, h Header) ([]byte, error) {
	kek, err := k.keyMaterial(h.KeyID, h.KeyVersion)
	if err != nil {
		return nil, err
	}
	a, err := newGCM(kek)
	if err != nil {
		return nil, err
	}
	prefix := h.raw[:len(h.raw)-noncePrefixSize-wrappedKeySize]
	w := h.WrappedKey
	dk, err := a.Open(nil, w[:nonceSize], w[nonceSize:], prefix)
	if err != nil {
		return nil, fmt.Errorf("%w: the data key does not unwrap with key %s version %d", ErrAuth, h.KeyID, h.KeyVersion)
	}
	return dk, nil
}

// Read implements io.Reader.
func (r *Reader) Read(p []byte) (int, error) {
	for len(r.plain) == 0 {
		if r.err != nil {
			return 0, r.err
		}
		if r.done {
			return 0, io.EOF
		}
		r.next()
	}
	n := copy(p, r.plain)
	r.plain = r.plain[n:]
	return n, nil
}

// next reads, authenticates and decrypts the next chunk into r.plain, or
// sets r.done or r.err.
func (r *Reader) next() {
	full := int(r.h.ChunkSize) + tagSize
	n, err := io.ReadFull(r.r, r.chunk[:full])
	last := false
	switch {
	case err == nil:
		// A full chunk is the last one only if nothing follows it.
		if _, perr := r.r.Peek(1); errors.Is(perr, io.EOF) {
			last = true
		} else if perr != nil {
			r.err = fmt.Errorf("crypt: read chunk %d: %w", r.index, perr)
			return
		}
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		last = true
	default:
		r.err = fmt.Errorf("crypt: read chunk %d: %w", r.index, err)
		return
	}
	if n < tagSize {
		r.err = fmt.Errorf("%w: the object ends before its last chunk (chunk %d)", ErrAuth, r.index)
		return
	}
	if r.index > 0xFFFFFFFF {
		r.err = fmt.Errorf("%w: too many chunks", ErrFormat)
		return
	}
	nonce := chunkNonce(r.h.NoncePrefix, uint32(r.index))
	pt, oerr := r.aead.Open(r.chunk[:0], nonce[:], r.chunk[:n], chunkAAD(r.header, last))
	if oerr != nil {
		if last {
			r.err = fmt.Errorf("%w: chunk %d (the object may have been cut short)", ErrAuth, r.index)
		} else {
			r.err = fmt.Errorf("%w: chunk %d", ErrAuth, r.index)
		}
		return
	}
	r.index++
	r.plain = pt
	r.done = last
}

// Encrypt returns plain in the envelope format, with a fresh data key
// wrapped by the current version of arn's key (created on first use).
func Encrypt(k *Keyring, arn string, plain []byte) ([]byte, error) {
	var out bytes.Buffer
	chunks := len(plain)/DefaultChunkSize + 1
	out.Grow(maxHeader + len(plain) + chunks*tagSize)
	w, err := NewWriter(&out, k, arn)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(plain); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// Decrypt returns the plaintext of an encrypted object, or an error if any
// of it fails to authenticate (nothing is returned then).
func Decrypt(k *Keyring, data []byte) ([]byte, error) {
	r, err := NewReader(bytes.NewReader(data), k)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	out.Grow(len(data))
	if _, err := out.ReadFrom(r); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}
