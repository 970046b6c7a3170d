package orc

import (
	"errors"
	"fmt"
	"strings"
)

// Defaults, as Firehose documents them for OrcSerDe.
const (
	// DefaultStripeSizeBytes is the default stripe size: 64 MiB.
	DefaultStripeSizeBytes = 64 << 20
	// DefaultBlockSizeBytes is the default block size padding aligns to: 256 MiB.
	DefaultBlockSizeBytes = 256 << 20
	// DefaultRowIndexStride is the default number of rows per row group.
	DefaultRowIndexStride = 10000
	// DefaultPaddingTolerance is the default padding tolerance.
	DefaultPaddingTolerance = 0.05
	// DefaultDictionaryKeyThreshold is ORC's default dictionary threshold.
	DefaultDictionaryKeyThreshold = 0.8
	// DefaultBloomFilterFalsePositiveProbability is the Firehose default.
	DefaultBloomFilterFalsePositiveProbability = 0.05
)

// compressionBlockSize is the largest chunk compressed at once (ORC's
// default of 256 KiB); it is recorded in the PostScript.
const compressionBlockSize = 256 << 10

// Options mirror Firehose's OrcSerDe. The zero value of each field means its
// default.
type Options struct {
	// Compression is NONE, ZLIB or SNAPPY (case-insensitive). Default SNAPPY.
	Compression string
	// StripeSizeBytes is the target stripe size: a stripe is closed once the
	// column data buffered for it (compressed) reaches this many bytes, which
	// also bounds the writer's memory. Default 64 MiB. Firehose requires at
	// least 8 MiB; the writer accepts any positive size.
	StripeSizeBytes int64
	// BlockSizeBytes is the file system block size stripes are padded to
	// when EnablePadding is set. Default 256 MiB.
	BlockSizeBytes int64
	// RowIndexStride is the number of rows per row group of the row index.
	// Default 10,000. A negative value writes no row index (stride 0 in the
	// file), which every reader accepts.
	RowIndexStride int
	// EnablePadding pads the file with zeros up to the next block boundary
	// when the next stripe would straddle it. Default false.
	EnablePadding bool
	// PaddingTolerance is the largest part of a stripe, as a fraction of
	// StripeSizeBytes, that may be spent on padding: when more space than
	// that is left in the block, the stripe straddles the boundary instead.
	// 0 to 1; default 0.05. Ignored unless EnablePadding is set.
	PaddingTolerance float64
	// BloomFilterColumns names top-level columns to get bloom filters: a
	// BLOOM_FILTER_UTF8 stream with one filter per row group, as ORC Java
	// writes them. Every name must be a column of the schema. Columns of
	// type decimal, array, map or struct get no filter (readers then have
	// none to use), nor does any column when there is no row index
	// (negative RowIndexStride). Default none.
	BloomFilterColumns []string
	// BloomFilterFalsePositiveProbability is the false positive probability
	// each filter is sized for, given RowIndexStride values; the lower, the
	// larger the filters. Above 0, at most 1; default 0.05.
	BloomFilterFalsePositiveProbability float64
	// DictionaryKeyThreshold is the largest ratio of distinct to non-null
	// values for which a string, char or varchar column is dictionary
	// encoded in a stripe. At most 1; default 0.8; 1 means always (for a
	// stripe with values) and a negative value never, which is how
	// Firehose's 0 ("off") is to be passed. The ratio is checked at the end
	// of each stripe's first row group, as ORC Java does, and when the
	// stripe is written; a column that fails either check, or whose
	// dictionary would hold more than half of StripeSizeBytes, is written
	// DIRECT for the rest of the stripe.
	DictionaryKeyThreshold float64
	// FormatVersion is V0_11 (integer RLE version 1) or V0_12 (version 2).
	// Default V0_12.
	FormatVersion string
}

// settings are Options with defaults applied and values checked.
type settings struct {
	compression     int
	stripeSize      int64
	blockSize       int64
	stride          int // 0: no row index
	padding         bool
	tolerance       float64
	dictThreshold   float64 // < 0: no dictionaries
	bloomFPP        float64
	v2              bool
	version         []uint64
	compressionName string
}

func (o Options) settings() (settings, error) {
	s := settings{
		stripeSize:    o.StripeSizeBytes,
		blockSize:     o.BlockSizeBytes,
		stride:        o.RowIndexStride,
		padding:       o.EnablePadding,
		tolerance:     o.PaddingTolerance,
		dictThreshold: o.DictionaryKeyThreshold,
	}
	var errs []error
	switch c := strings.ToUpper(o.Compression); c {
	case "", "SNAPPY":
		s.compression, s.compressionName = compressionSnappy, "SNAPPY"
	case "ZLIB":
		s.compression, s.compressionName = compressionZlib, c
	case "NONE":
		s.compression, s.compressionName = compressionNone, c
	default:
		errs = append(errs, fmt.Errorf("Compression %q is not NONE, ZLIB or SNAPPY", o.Compression))
	}
	switch {
	case s.stripeSize == 0:
		s.stripeSize = DefaultStripeSizeBytes
	case s.stripeSize < 0:
		errs = append(errs, fmt.Errorf("StripeSizeBytes %d is negative", o.StripeSizeBytes))
	}
	switch {
	case s.blockSize == 0:
		s.blockSize = DefaultBlockSizeBytes
	case s.blockSize < 0:
		errs = append(errs, fmt.Errorf("BlockSizeBytes %d is negative", o.BlockSizeBytes))
	}
	switch {
	case s.stride == 0:
		s.stride = DefaultRowIndexStride
	case s.stride < 0:
		s.stride = 0
	}
	switch {
	case s.tolerance == 0:
		s.tolerance = DefaultPaddingTolerance
	case s.tolerance < 0 || s.tolerance > 1:
		errs = append(errs, fmt.Errorf("PaddingTolerance %v is not between 0 and 1", o.PaddingTolerance))
	}
	switch p := o.BloomFilterFalsePositiveProbability; {
	case p == 0:
		s.bloomFPP = DefaultBloomFilterFalsePositiveProbability
	case p < 0 || p > 1:
		errs = append(errs, fmt.Errorf("BloomFilterFalsePositiveProbability %v is not between 0 and 1", p))
	default:
		s.bloomFPP = p
	}
	switch {
	case s.dictThreshold == 0:
		s.dictThreshold = DefaultDictionaryKeyThreshold
	case s.dictThreshold > 1:
		errs = append(errs, fmt.Errorf("DictionaryKeyThreshold %v is above 1", o.DictionaryKeyThreshold))
	}
	switch strings.ToUpper(o.FormatVersion) {
	case "", "V0_12":
		s.v2, s.version = true, []uint64{0, 12}
	case "V0_11":
		s.v2, s.version = false, []uint64{0, 11}
	default:
		errs = append(errs, fmt.Errorf("FormatVersion %q is not V0_11 or V0_12", o.FormatVersion))
	}
	if err := errors.Join(errs...); err != nil {
		return s, fmt.Errorf("orc: options: %w", err)
	}
	return s, nil
}
