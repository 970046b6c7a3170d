package compress

import (
	"fmt"
	"strings"
)

// Format is a Firehose CompressionFormat value, spelled exactly as the
// Firehose API spells it (the match is case-sensitive: "SNAPPY" is not
// [Snappy]). The zero value is not a valid Format; callers that load
// configuration default an absent value to [Uncompressed], as Firehose does.
type Format string

// The CompressionFormat values Firehose accepts for S3 destinations.
const (
	// Uncompressed stores the concatenated records as they are.
	Uncompressed Format = "UNCOMPRESSED"
	// GZIP stores a single gzip member (RFC 1952).
	GZIP Format = "GZIP"
	// ZIP stores a zip archive holding one deflated entry.
	ZIP Format = "ZIP"
	// Snappy stores the xerial snappy-java stream format (not Google's
	// framing format).
	Snappy Format = "Snappy"
	// HadoopSnappy stores Hadoop's BlockCompressorStream framing of Snappy
	// blocks, which Hadoop's and Spark's SnappyCodec read.
	HadoopSnappy Format = "HADOOP_SNAPPY"
)

// formats lists every valid Format in the order the Firehose API model
// lists them.
var formats = [...]Format{Uncompressed, GZIP, ZIP, Snappy, HadoopSnappy}

// Formats returns every valid Format, in the Firehose API model's order.
// The caller owns the returned slice.
func Formats() []Format {
	out := make([]Format, len(formats))
	copy(out, formats[:])
	return out
}

// Valid reports whether f is one of the five Firehose CompressionFormat
// values, with exact case.
func (f Format) Valid() bool {
	switch f {
	case Uncompressed, GZIP, ZIP, Snappy, HadoopSnappy:
		return true
	}
	return false
}

// String returns f as Firehose spells it.
func (f Format) String() string { return string(f) }

// ParseFormat returns the Format spelled s. It rejects unknown values and
// wrong case with an error that wraps [ErrUnknownFormat] and lists the
// allowed values.
func ParseFormat(s string) (Format, error) {
	f := Format(s)
	if !f.Valid() {
		return "", unknownFormat(s)
	}
	return f, nil
}

// UnmarshalText implements [encoding.TextUnmarshaler], so Format can be
// decoded from JSON, YAML and flags. It accepts only the exact Firehose
// spellings; any other value leaves f unchanged and returns an error that
// wraps [ErrUnknownFormat] and lists the allowed values.
func (f *Format) UnmarshalText(b []byte) error {
	v, err := ParseFormat(string(b))
	if err != nil {
		return err
	}
	*f = v
	return nil
}

// Extension returns the file extension Firehose appends to S3 object keys
// for f: "" for [Uncompressed], ".gz", ".zip", and ".snappy" for both
// [Snappy] and [HadoopSnappy]. It returns "" for an invalid Format.
//
// # Notes
//
// The Firehose developer guide's object-name table lists ".hsnappy" for
// Hadoop-Snappy, but objects delivered by the real service end in ".snappy";
// see the package documentation for the evidence. A stream that wants the
// documented suffix can set FileExtension to ".hsnappy".
func (f Format) Extension() string {
	switch f {
	case GZIP:
		return ".gz"
	case ZIP:
		return ".zip"
	case Snappy, HadoopSnappy:
		return ".snappy"
	}
	return ""
}

// ContentEncoding returns the S3 Content-Encoding value Firehose sets on
// objects of format f: "" (no header) for [Uncompressed], "gzip", "zip",
// "snappy-java" and "hadoop-snappy". It returns "" for an invalid Format.
// The non-standard values are what a probe of the real service observed;
// see the package documentation.
func (f Format) ContentEncoding() string {
	switch f {
	case GZIP:
		return "gzip"
	case ZIP:
		return "zip"
	case Snappy:
		return "snappy-java"
	case HadoopSnappy:
		return "hadoop-snappy"
	}
	return ""
}

func unknownFormat(s string) error {
	allowed := make([]string, len(formats))
	for i, f := range formats {
		allowed[i] = string(f)
	}
	return fmt.Errorf("%w %q: must be one of %s (exact case)",
		ErrUnknownFormat, s, strings.Join(allowed, ", "))
}
