// Package orc writes Apache ORC files from Arrow record batches, in pure Go.
//
// It is the ORC output of format conversion (Firehose's OrcSerDe): the
// batches follow the Arrow mapping of Glue/Hive types shared by the
// converters, and [Options] mirror OrcSerDe's settings.
//
//	w, err := orc.NewWriter(f, schema, orc.Options{Compression: "SNAPPY"})
//	...
//	err = w.Write(batch) // as often as needed
//	...
//	err = w.Close() // last stripe, metadata, footer, postscript
//
// # What is written
//
// Types: boolean, tinyint, smallint, int, bigint, float, double,
// decimal(p,s) up to 38 digits, string, char(n), varchar(n), date,
// timestamp (nanoseconds), binary, and array, map and struct nested to any
// depth. Char and varchar lengths come from the field metadata "hive.type"
// (hive.MetadataKey, parsed with hive.ParseType: e.g. "char(5)" or, on an
// enclosing field, "array<varchar(3)>"); without it a column's type is
// derived from its Arrow type. Char values are cut and
// padded with spaces to n characters and varchar values cut to n
// characters, as Hive stores them.
//
// Encodings follow the ORC v1 specification: compression NONE, ZLIB (raw
// deflate) or SNAPPY in independently compressed chunks of 256 KiB with
// 3-byte headers; integer RLE version 2 (format 0.12) or 1 (format 0.11);
// byte and boolean RLE; PRESENT streams at every level of nesting, written
// only when the stripe holds a null, so an empty list or map is distinct
// from a null one and the children of a null struct, list or map hold no
// values; timestamps as seconds from 2015-01-01 plus encoded nanoseconds,
// in UTC; decimals as zigzag base-128 varints with their scale in SECONDARY.
//
// String, char and varchar columns are dictionary encoded (DICTIONARY_V2,
// or DICTIONARY in V0_11 files) in each stripe where the ratio of distinct
// to non-null values is at most DictionaryKeyThreshold (0.8 by default, as
// in Hive), and DIRECT otherwise. As in ORC Java, the dictionary is sorted
// by the values' bytes, DATA holds each value's rank in it and LENGTH the
// entries' lengths; the ratio is checked early, at the end of the stripe's
// first row group, and a column that fails it is written directly from
// then on; a dictionary that outgrows half the stripe size is given up for
// the stripe too (see Options.DictionaryKeyThreshold). Binary columns are
// always DIRECT. Statistics do not depend on the encoding.
//
// Statistics, per row group (in the row index), per stripe (metadata) and
// for the file (footer), are what readers that prune expect: counts exclude
// nulls, hasNull is set; integer, double and decimal sums are left out when
// they overflow (decimals past 38 digits); booleans record their true
// count; timestamps record milliseconds (floored) in both the local and the
// UTC fields (the writer's time zone is UTC) plus the sub-millisecond
// nanoseconds; strings record minimum, maximum and total length, with
// minimums and maximums longer than 1024 bytes stored as truncated lower and
// upper bounds; lists and maps record child counts.
//
// The row index records, at each row group start, every stream's position
// (chunk offset and offset in the chunk when compressed, then values to skip
// in the open run), so readers can seek to and skip row groups.
//
// Columns named in BloomFilterColumns get a bloom filter per row group in a
// BLOOM_FILTER_UTF8 stream next to their row index, built as ORC Java
// builds them (sized for RowIndexStride values at
// BloomFilterFalsePositiveProbability; ORC's Murmur3 hash64 of the UTF-8
// bytes for strings, char (padded), varchar and binary; Thomas Wang's hash
// of the value as a long for integers, booleans, dates (days), timestamps
// (UTC milliseconds) and floating point bits), with bloomEncoding 1 (UTC)
// in the column encoding. Decimal and compound columns get none.
//
// A stripe is written once the column data buffered for it, held
// compressed, reaches StripeSizeBytes (checked more often as the stripe
// fills, at most every 4,096 rows), so memory stays bounded by about one
// stripe plus the open compression chunks (256 KiB per stream at most).
// Dictionaries count towards the stripe size as they are held: the
// distinct values uncompressed plus 4 bytes per value written.
//
// # Notes
//
// Not implemented: RLE v2's PATCHED_BASE sub-encoding (an optional size
// optimisation; SHORT_REPEAT, DIRECT and DELTA are used), so files are
// somewhat larger than ORC Java's for outlier-heavy integers, and read the
// same; bloom filters for decimal columns; the pre-ORC-101 BLOOM_FILTER
// stream (readers since Hive 2.x / ORC 1.4 use BLOOM_FILTER_UTF8).
//
// A timestamp strictly between one second before the epoch and the epoch
// whose fraction exceeds 999,999 ns (1969-12-31T23:59:59.001 to .999999999)
// cannot be represented in ORC: readers take one second off negative seconds
// with such fractions (ORC-763), and this writer, like ORC Java and C++,
// stores those values with seconds truncated toward zero, so they read back
// one second late. Every other pre-1970 timestamp reads back exactly.
//
// The footer names no writer (there is no registered writer code for this
// project); readers then apply ORC Java's writer-version-6 semantics, which
// this writer follows (UTC timestamp statistics). The calendar is recorded
// as proleptic Gregorian, as Arrow's dates are.
package orc
