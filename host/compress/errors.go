package compress

import "errors"

// Errors returned (wrapped, so test with [errors.Is]) by this package.
var (
	// ErrUnknownFormat means a Format is not one of the five Firehose
	// CompressionFormat values. It is a configuration error: reject the
	// request or configuration that carried the value.
	ErrUnknownFormat = errors.New("compress: unknown compression format")

	// ErrInvalidOptions means an [Options] field is out of range. It is a
	// programming or configuration error and retrying cannot help.
	ErrInvalidOptions = errors.New("compress: invalid options")

	// ErrCorrupt means the input to a reader is not a well-formed object of
	// its format: bad magic or header, a truncated stream, a checksum
	// mismatch, a malformed Snappy block, or trailing data. The object
	// cannot be decoded; retrying the same bytes cannot help.
	ErrCorrupt = errors.New("compress: corrupt input")

	// ErrClosed is returned by Write on a writer that has been closed.
	ErrClosed = errors.New("compress: writer is closed")
)
