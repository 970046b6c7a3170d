package compress

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"time"

	"github.com/klauspost/compress/flate"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zip"
)

// Compression levels accepted in [Options.Level]. Other than DefaultLevel
// they have compress/gzip's values and meanings.
const (
	// DefaultLevel selects each format's default: [DeflateDefaultLevel]
	// for GZIP and ZIP, and the fast Snappy encoder for Snappy and
	// HADOOP_SNAPPY.
	DefaultLevel = 0
	// HuffmanOnly disables match searching in GZIP and ZIP: fastest, and
	// the worst ratio. Same value as compress/gzip.HuffmanOnly.
	HuffmanOnly = -2
	// CodecDefault is compress/gzip.DefaultCompression: whatever
	// klauspost/compress/flate currently defaults to (level 5 in v1.20.4).
	CodecDefault = -1
	// BestSpeed is compress/gzip.BestSpeed.
	BestSpeed = 1
	// BestCompression is compress/gzip.BestCompression.
	BestCompression = 9
)

// DeflateDefaultLevel is the deflate level GZIP and ZIP use when
// [Options.Level] is [DefaultLevel].
//
// # Notes
//
// The target is about 40 MB/s of input per core for the whole delivery
// path, so compression must take a small share of a core at that rate.
// BenchmarkDeflateLevels measures every level on 5 MiB of ~200-byte
// JSON-ish records; the table is in the package documentation. Level 5 is
// the knee: about 280 MB/s, so about 14% of a core at 40 MB/s. Levels 1 to 4
// give 9-12% larger output on that data; level 6 (zlib's default) saves
// 1.5% for 16% more CPU. The value is pinned rather than left to
// [CodecDefault] so that a library upgrade cannot change it silently.
const DeflateDefaultLevel = 5

// SnappyBlockSize is the number of input bytes in each block of Snappy and
// HADOOP_SNAPPY output (the last block may be shorter). It is snappy-java's
// default block size, for both SnappyOutputStream and
// SnappyHadoopCompatibleOutputStream, and it keeps every HADOOP_SNAPPY chunk
// well inside the 256 KiB buffer of Hadoop's SnappyDecompressor.
const SnappyBlockSize = 32 << 10

// DefaultEntryName is the ZIP entry name used when [Options.EntryName] is
// empty.
const DefaultEntryName = "data"

// dosEpoch is the earliest time an MS-DOS timestamp can hold; ZIP entries
// get it when Options.ModTime is zero, so that output is deterministic.
var dosEpoch = time.Date(1980, time.January, 1, 0, 0, 0, 0, time.UTC)

// maxZipTime is the last time both the MS-DOS timestamp and the 32-bit Unix
// extended timestamp that Go's zip writer emits can hold.
var maxZipTime = time.Date(2106, time.February, 7, 6, 28, 15, 0, time.UTC)

// Options tune a writer. The zero value selects every default.
type Options struct {
	// Level is the compression level. 0 ([DefaultLevel]) selects the
	// format's default. Otherwise it takes compress/gzip's values: -2
	// ([HuffmanOnly]), -1 ([CodecDefault]), 1 ([BestSpeed]) to 9
	// ([BestCompression]). compress/gzip's NoCompression (0) is not
	// available, because 0 means "default" here.
	//
	// GZIP and ZIP use the level for deflate. Snappy and HADOOP_SNAPPY
	// use the fast Snappy encoder for levels up to 1 and klauspost/s2's
	// slower "better" Snappy-compatible encoder from 2 up. UNCOMPRESSED
	// ignores the level. Values outside -2..9 are rejected for every
	// format.
	Level int

	// EntryName is the name of the single entry in ZIP output. Firehose
	// uses a random UUID. "" selects [DefaultEntryName]. The name must be a
	// relative slash-separated path as [fs.ValidPath] defines it (no
	// leading or trailing "/", no "." or ".." elements, no backslash).
	// Other formats ignore it, but an invalid name is rejected for every
	// format.
	EntryName string

	// ModTime is the modification time of the ZIP entry, recorded as an
	// MS-DOS date and time in ModTime's own location and as a UTC Unix
	// extended timestamp. The zero value records 1980-01-01 00:00:00 UTC,
	// which keeps output deterministic. It must lie between 1980-01-01 and
	// 2106-02-07. Other formats ignore it (GZIP's header always carries
	// MTIME 0 and no file name).
	ModTime time.Time
}

// validate checks o and returns it with defaults applied.
func (o Options) validate() (Options, error) {
	if o.Level < HuffmanOnly || o.Level > BestCompression {
		return o, fmt.Errorf("%w: Level %d: must be between %d and %d",
			ErrInvalidOptions, o.Level, HuffmanOnly, BestCompression)
	}
	if o.EntryName == "" {
		o.EntryName = DefaultEntryName
	} else if !fs.ValidPath(o.EntryName) || o.EntryName == "." ||
		strings.Contains(o.EntryName, `\`) || len(o.EntryName) > 0xffff {
		return o, fmt.Errorf("%w: EntryName %q: must be a relative slash-separated path without . or .. elements",
			ErrInvalidOptions, o.EntryName)
	}
	if o.ModTime.IsZero() {
		o.ModTime = dosEpoch
	} else if o.ModTime.Before(dosEpoch) || o.ModTime.After(maxZipTime) {
		return o, fmt.Errorf("%w: ModTime %s: must be between %s and %s",
			ErrInvalidOptions, o.ModTime.Format(time.RFC3339), dosEpoch.Format(time.RFC3339),
			maxZipTime.Format(time.RFC3339))
	}
	return o, nil
}

// deflateLevel maps Options.Level onto a klauspost/compress/flate level.
func (o Options) deflateLevel() int {
	if o.Level == DefaultLevel {
		return DeflateDefaultLevel
	}
	return o.Level
}

// NewWriter returns a writer that compresses what is written to it into w,
// in format f.
//
// Close writes whatever the format still holds (the last block, the gzip
// trailer, the zip central directory) but does not close w. Output is
// complete only after Close returns nil. A second Close returns the first
// one's result; Write after Close returns [ErrClosed]. The first error from w
// is returned by that call and by every later Write and Close. The writer
// is not safe for concurrent use.
//
// For Snappy and HADOOP_SNAPPY the output does not depend on how the input
// is split across Write calls: blocks are cut every [SnappyBlockSize] input
// bytes, as snappy-java cuts them.
//
// NewWriter returns an error wrapping [ErrUnknownFormat] for an invalid f,
// and one wrapping [ErrInvalidOptions] for an invalid o.
func NewWriter(f Format, w io.Writer, o Options) (io.WriteCloser, error) {
	if !f.Valid() {
		return nil, unknownFormat(string(f))
	}
	o, err := o.validate()
	if err != nil {
		return nil, fmt.Errorf("compress: new %s writer: %w", f, err)
	}
	var enc io.WriteCloser
	switch f {
	case Uncompressed:
		enc = plainWriter{w}
	case GZIP:
		zw, err := gzip.NewWriterLevel(w, o.deflateLevel())
		if err != nil {
			return nil, fmt.Errorf("compress: new GZIP writer: %w", err)
		}
		enc = zw
	case ZIP:
		enc, err = newZipWriter(w, o)
		if err != nil {
			return nil, err
		}
	case Snappy:
		enc = newSnappyWriter(w, false, o.Level, SnappyBlockSize)
	case HadoopSnappy:
		enc = newSnappyWriter(w, true, o.Level, SnappyBlockSize)
	}
	return &writer{f: f, enc: enc}, nil
}

// Encode compresses b into format f in one go and returns the complete
// object. The output is identical to writing b to [NewWriter] and closing
// it. The caller owns the returned slice; b is not retained.
func Encode(f Format, b []byte, o Options) ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(encodeSizeHint(f, len(b)))
	w, err := NewWriter(f, &buf, o)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(b); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// encodeSizeHint guesses the output size of Encode, to size its buffer.
func encodeSizeHint(f Format, n int) int {
	switch f {
	case Uncompressed:
		return n
	case Snappy, HadoopSnappy:
		return 64 + n/2
	}
	return 256 + n/4
}

// writer adds the shared contract of NewWriter (ErrClosed, sticky errors,
// idempotent Close, errors naming the format) to a format's encoder.
type writer struct {
	f      Format
	enc    io.WriteCloser
	err    error // first Write error, sticky
	closed bool
}

func (w *writer) Write(p []byte) (int, error) {
	if w.closed {
		return 0, fmt.Errorf("compress: %s write: %w", w.f, ErrClosed)
	}
	if w.err != nil {
		return 0, w.err
	}
	n, err := w.enc.Write(p)
	if err != nil {
		w.err = fmt.Errorf("compress: %s write: %w", w.f, err)
		return n, w.err
	}
	return n, nil
}

// Close finishes the object. After a failed Write the object is already
// broken, so Close only reports that failure.
func (w *writer) Close() error {
	if w.closed {
		return w.err
	}
	w.closed = true
	if w.err != nil {
		return w.err
	}
	if err := w.enc.Close(); err != nil {
		w.err = fmt.Errorf("compress: %s close: %w", w.f, err)
	}
	return w.err
}

// plainWriter is the UNCOMPRESSED encoder: it passes writes through and
// does not close w.
type plainWriter struct{ w io.Writer }

func (p plainWriter) Write(b []byte) (int, error) { return p.w.Write(b) }
func (plainWriter) Close() error                  { return nil }

// zipWriter writes a zip archive holding one deflated entry.
type zipWriter struct {
	zw    *zip.Writer
	entry io.Writer
}

func newZipWriter(w io.Writer, o Options) (*zipWriter, error) {
	zw := zip.NewWriter(w)
	level := o.deflateLevel()
	zw.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) {
		fw, err := flate.NewWriter(out, level)
		if err != nil {
			return nil, err
		}
		return fw, nil
	})
	entry, err := zw.CreateHeader(&zip.FileHeader{
		Name:     o.EntryName,
		Method:   zip.Deflate,
		Modified: o.ModTime,
	})
	if err != nil {
		return nil, fmt.Errorf("compress: new ZIP writer: entry %q: %w", o.EntryName, err)
	}
	return &zipWriter{zw: zw, entry: entry}, nil
}

func (z *zipWriter) Write(p []byte) (int, error) { return z.entry.Write(p) }

// Close finishes the entry and writes the central directory; zip.Writer
// does not close the underlying writer.
func (z *zipWriter) Close() error { return z.zw.Close() }
