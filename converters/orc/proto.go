package orc

import (
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// The file's metadata is Protocol Buffers (proto2) as defined by
// orc_proto.proto in the ORC specification. The messages are small and
// written once per stripe or file, so they are encoded by hand with
// protowire; the field numbers below are those of orc_proto.proto.

// Type.Kind values.
const (
	kindBoolean   = 0
	kindByte      = 1
	kindShort     = 2
	kindInt       = 3
	kindLong      = 4
	kindFloat     = 5
	kindDouble    = 6
	kindString    = 7
	kindBinary    = 8
	kindTimestamp = 9
	kindList      = 10
	kindMap       = 11
	kindStruct    = 12
	kindDecimal   = 14
	kindDate      = 15
	kindVarchar   = 16
	kindChar      = 17
)

// Stream.Kind values.
const (
	streamPresent   = 0
	streamData      = 1
	streamLength    = 2
	streamDictData  = 3
	streamSecondary = 5
	streamRowIndex  = 6
	streamBloomUTF8 = 8
)

// bloomEncodingUTC is ColumnEncoding.bloomEncoding for bloom filters whose
// timestamps are UTC milliseconds (ORC-135), what readers expect of
// BLOOM_FILTER_UTF8 streams.
const bloomEncodingUTC = 1

// ColumnEncoding.Kind values.
const (
	encDirect       = 0
	encDictionary   = 1
	encDirectV2     = 2
	encDictionaryV2 = 3
)

// writerVersion is PostScript.writer_version: 6 is the first value open to
// writers other than ORC Java and means timestamp statistics are in UTC
// (ORC-135).
const writerVersion = 6

// calendarProlepticGregorian is Footer.calendar for Arrow's proleptic
// Gregorian dates and timestamps.
const calendarProlepticGregorian = 2

func appendVarintField(b []byte, num protowire.Number, v uint64) []byte {
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}

func appendSintField(b []byte, num protowire.Number, v int64) []byte {
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, protowire.EncodeZigZag(v))
}

func appendBytesField(b []byte, num protowire.Number, v []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, v)
}

func appendStringField(b []byte, num protowire.Number, v string) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendString(b, v)
}

func appendDoubleField(b []byte, num protowire.Number, v float64) []byte {
	b = protowire.AppendTag(b, num, protowire.Fixed64Type)
	return protowire.AppendFixed64(b, math.Float64bits(v))
}

// appendMessageField appends a length-delimited sub-message built by fn.
func appendMessageField(b []byte, num protowire.Number, fn func([]byte) []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	at := len(b)
	b = fn(b)
	body := len(b) - at
	// Move the body right to make room for its length prefix.
	n := protowire.SizeVarint(uint64(body))
	b = append(b, make([]byte, n)...)
	copy(b[at+n:], b[at:at+body])
	protowire.AppendVarint(b[at:at], uint64(body))
	return b
}

// appendPackedField appends a packed repeated uint64 field.
func appendPackedField(b []byte, num protowire.Number, vs []uint64) []byte {
	if len(vs) == 0 {
		return b
	}
	return appendMessageField(b, num, func(b []byte) []byte {
		for _, v := range vs {
			b = protowire.AppendVarint(b, v)
		}
		return b
	})
}

// streamInfo is a Stream entry of a stripe footer.
type streamInfo struct {
	kind   int
	column int
	length uint64
}

// stripeInfo is a StripeInformation entry of the footer.
type stripeInfo struct {
	offset, indexLength, dataLength, footerLength, rows uint64
}

// typeInfo is a Type entry of the footer.
type typeInfo struct {
	kind       int
	subtypes   []uint64
	fieldNames []string
	maxLength  int
	precision  int
	scale      int
}

func appendType(b []byte, t *typeInfo) []byte {
	b = appendVarintField(b, 1, uint64(t.kind))
	b = appendPackedField(b, 2, t.subtypes)
	for _, n := range t.fieldNames {
		b = appendStringField(b, 3, n)
	}
	switch t.kind {
	case kindChar, kindVarchar:
		b = appendVarintField(b, 4, uint64(t.maxLength))
	case kindDecimal:
		b = appendVarintField(b, 5, uint64(t.precision))
		b = appendVarintField(b, 6, uint64(t.scale))
	}
	return b
}

// encodeStripeFooter encodes a StripeFooter.
func encodeStripeFooter(streams []streamInfo, encodings []columnEncoding) []byte {
	var b []byte
	for _, s := range streams {
		b = appendMessageField(b, 1, func(b []byte) []byte {
			b = appendVarintField(b, 1, uint64(s.kind))
			b = appendVarintField(b, 2, uint64(s.column))
			return appendVarintField(b, 3, s.length)
		})
	}
	for _, e := range encodings {
		b = appendMessageField(b, 2, func(b []byte) []byte {
			b = appendVarintField(b, 1, uint64(e.kind))
			if e.kind == encDictionary || e.kind == encDictionaryV2 {
				b = appendVarintField(b, 2, uint64(e.dictSize))
			}
			if e.bloomEncoding != 0 {
				b = appendVarintField(b, 3, uint64(e.bloomEncoding))
			}
			return b
		})
	}
	// Values are instants in UTC, written and read as such.
	return appendStringField(b, 3, "UTC")
}

// columnEncoding is a ColumnEncoding entry of a stripe footer.
type columnEncoding struct {
	kind          int
	dictSize      int
	bloomEncoding int
}

// encodeRowIndex encodes a RowIndex message from its entries.
func encodeRowIndex(entries []indexEntry) []byte {
	var b []byte
	for i := range entries {
		e := &entries[i]
		b = appendMessageField(b, 1, func(b []byte) []byte {
			b = appendPackedField(b, 1, e.positions)
			return appendBytesField(b, 2, e.stats)
		})
	}
	return b
}

// footer holds what the file Footer records.
type footer struct {
	contentLength uint64
	stripes       []stripeInfo
	types         []typeInfo
	rows          uint64
	stats         [][]byte // encoded ColumnStatistics per column
	stride        int
}

func encodeFooter(f *footer) []byte {
	var b []byte
	b = appendVarintField(b, 1, 3) // header "ORC"
	b = appendVarintField(b, 2, f.contentLength)
	for _, s := range f.stripes {
		b = appendMessageField(b, 3, func(b []byte) []byte {
			b = appendVarintField(b, 1, s.offset)
			b = appendVarintField(b, 2, s.indexLength)
			b = appendVarintField(b, 3, s.dataLength)
			b = appendVarintField(b, 4, s.footerLength)
			return appendVarintField(b, 5, s.rows)
		})
	}
	for i := range f.types {
		b = appendMessageField(b, 4, func(b []byte) []byte { return appendType(b, &f.types[i]) })
	}
	b = appendVarintField(b, 6, f.rows)
	for _, s := range f.stats {
		b = appendBytesField(b, 7, s)
	}
	b = appendVarintField(b, 8, uint64(f.stride))
	b = appendVarintField(b, 11, calendarProlepticGregorian)
	return appendStringField(b, 12, "wasmhose")
}

// encodeStripeStatistics encodes one StripeStatistics message (an entry of
// Metadata.stripe_stats) from the encoded statistics of every column.
func encodeStripeStatistics(b []byte, cols [][]byte) []byte {
	return appendMessageField(b, 1, func(b []byte) []byte {
		for _, s := range cols {
			b = appendBytesField(b, 1, s)
		}
		return b
	})
}

type postScript struct {
	footerLength   uint64
	compression    int
	blockSize      uint64
	version        []uint64
	metadataLength uint64
}

func encodePostScript(p *postScript) []byte {
	var b []byte
	b = appendVarintField(b, 1, p.footerLength)
	b = appendVarintField(b, 2, uint64(p.compression))
	b = appendVarintField(b, 3, p.blockSize)
	b = appendPackedField(b, 4, p.version)
	b = appendVarintField(b, 5, p.metadataLength)
	b = appendVarintField(b, 6, writerVersion)
	return appendStringField(b, 8000, "ORC")
}
