package compress

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/klauspost/compress/flate"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zip"
)

// NewReader returns a reader of the uncompressed content of one object of
// format f read from r. It is meant for tests, the wasmhose tooling and
// delivery verification, and it is strict: input that a Firehose object of
// format f could not be yields an error wrapping [ErrCorrupt], from
// NewReader (for a bad header) or from Read.
//
//   - UNCOMPRESSED: r itself.
//   - GZIP: exactly one gzip member; its CRC-32 and size are checked, and
//     any byte after the member is an error.
//   - ZIP: an archive with exactly one file entry, whose CRC-32 is checked.
//     NewReader reads all of r into memory first, since a zip archive is
//     read from its end.
//   - Snappy: the snappy-java stream format with its header (the raw Snappy
//     block snappy-java falls back to without a header is rejected).
//     Concatenated streams are accepted, as snappy-java accepts them.
//   - HADOOP_SNAPPY: Hadoop block framing, with any number of chunks per
//     block; a zero-length block ends the stream and must be last.
//
// Snappy blocks are decoded strictly: the S2 extensions that klauspost's
// default Snappy decoder tolerates are rejected.
//
// Errors from r are returned wrapped. Close releases resources but does not
// close r; Read after Close returns [ErrClosed]. NewReader returns an error
// wrapping [ErrUnknownFormat] for an invalid f.
func NewReader(f Format, r io.Reader) (io.ReadCloser, error) {
	switch f {
	case Uncompressed:
		return &plainReader{r: r}, nil
	case GZIP:
		return newGzipReader(r)
	case ZIP:
		return newZipReader(r)
	case Snappy:
		return newSnappyReader(r, false)
	case HadoopSnappy:
		return newSnappyReader(r, true)
	}
	return nil, unknownFormat(string(f))
}

// plainReader is the UNCOMPRESSED reader.
type plainReader struct {
	r      io.Reader
	closed bool
}

func (p *plainReader) Read(b []byte) (int, error) {
	if p.closed {
		return 0, fmt.Errorf("compress: UNCOMPRESSED read: %w", ErrClosed)
	}
	n, err := p.r.Read(b)
	if err != nil && err != io.EOF {
		err = fmt.Errorf("compress: UNCOMPRESSED read: %w", err)
	}
	return n, err
}

func (p *plainReader) Close() error {
	p.closed = true
	return nil
}

// gzipReader reads one gzip member and then insists on the end of input.
type gzipReader struct {
	src    flate.Reader
	zr     *gzip.Reader
	err    error // sticky: io.EOF after the trailing-data check, else the failure
	closed bool
}

func newGzipReader(r io.Reader) (*gzipReader, error) {
	src, ok := r.(flate.Reader)
	if !ok {
		src = bufio.NewReader(r)
	}
	zr, err := gzip.NewReader(src)
	if err == io.EOF {
		return nil, fmt.Errorf("%w: GZIP: empty input", ErrCorrupt)
	}
	if err != nil {
		return nil, gzipErr(err)
	}
	zr.Multistream(false)
	return &gzipReader{src: src, zr: zr}, nil
}

func (g *gzipReader) Read(p []byte) (int, error) {
	if g.closed {
		return 0, fmt.Errorf("compress: GZIP read: %w", ErrClosed)
	}
	if g.err != nil {
		return 0, g.err
	}
	n, err := g.zr.Read(p)
	if err == io.EOF {
		// The member ended and its CRC-32 and size matched. Firehose
		// writes one member, so anything after it is an error.
		switch _, berr := g.src.ReadByte(); {
		case berr == nil:
			err = fmt.Errorf("%w: GZIP: trailing data after the gzip member", ErrCorrupt)
		case berr != io.EOF:
			err = fmt.Errorf("compress: GZIP read: %w", berr)
		}
	} else if err != nil {
		err = gzipErr(err)
	}
	g.err = err
	return n, err
}

// Close marks the reader closed. It does not call the gzip.Reader's Close,
// which holds no resources and only repeats the decoding error that Read
// has already returned.
func (g *gzipReader) Close() error {
	g.closed = true
	return nil
}

// gzipErr classifies a gzip decoding error. klauspost/compress/flate
// reports some malformed Huffman data as an InternalError ("unexpected
// length code") where compress/flate says CorruptInputError, so both count
// as corruption.
func gzipErr(err error) error {
	var ce flate.CorruptInputError
	var ie flate.InternalError
	if errors.Is(err, gzip.ErrHeader) || errors.Is(err, gzip.ErrChecksum) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.As(err, &ce) || errors.As(err, &ie) {
		return fmt.Errorf("%w: GZIP: %w", ErrCorrupt, err)
	}
	return fmt.Errorf("compress: GZIP read: %w", err)
}

// zipReader reads the single entry of a zip archive.
type zipReader struct {
	rc     io.ReadCloser
	err    error
	closed bool
}

func newZipReader(r io.Reader) (*zipReader, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("compress: ZIP read: %w", err)
	}
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	// ErrInsecurePath comes with a usable reader: Firehose names its
	// entry with a UUID, and the name is not used to build a path here.
	if err != nil && !(errors.Is(err, zip.ErrInsecurePath) && zr != nil) {
		return nil, zipErr(err)
	}
	if len(zr.File) != 1 {
		return nil, fmt.Errorf("%w: ZIP: archive has %d entries, want exactly 1", ErrCorrupt, len(zr.File))
	}
	f := zr.File[0]
	if f.FileInfo().IsDir() {
		return nil, fmt.Errorf("%w: ZIP: entry %q is a directory", ErrCorrupt, f.Name)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, zipErr(err)
	}
	return &zipReader{rc: rc}, nil
}

func (z *zipReader) Read(p []byte) (int, error) {
	if z.closed {
		return 0, fmt.Errorf("compress: ZIP read: %w", ErrClosed)
	}
	if z.err != nil {
		return 0, z.err
	}
	n, err := z.rc.Read(p)
	if err != nil && err != io.EOF {
		err = zipErr(err)
	}
	z.err = err
	return n, err
}

// Close returns the entry's decompressor to its pool. The decompressor's
// Close repeats the decoding error, if any; Read has already returned that
// one, so Close reports an error only if Read has not.
func (z *zipReader) Close() error {
	if z.closed {
		return nil
	}
	z.closed = true
	if err := z.rc.Close(); err != nil && z.err == nil {
		return fmt.Errorf("compress: ZIP close: %w", err)
	}
	return nil
}

// zipErr classifies a zip decoding error. The archive is in memory, so
// every failure is a property of its bytes.
func zipErr(err error) error {
	return fmt.Errorf("%w: ZIP: %w", ErrCorrupt, err)
}
