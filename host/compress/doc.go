// Package compress implements the formats Firehose compresses S3 objects
// with: the CompressionFormat values UNCOMPRESSED, GZIP, ZIP, Snappy and
// HADOOP_SNAPPY.
//
// [Format] is the CompressionFormat value. It validates itself (exact case,
// as the Firehose API matches it) and knows each format's S3 key extension
// and Content-Encoding. [NewWriter] compresses a stream into one object and
// [Encode] compresses a byte slice. [NewReader] decodes one object, strictly,
// for tests, the wasmhose tooling and delivery verification. The codecs
// (deflate, gzip, zip and Snappy block coding) come from
// github.com/klauspost/compress; this package adds the container framings
// and Firehose's conventions.
//
// # Formats
//
//	Format         Extension  Content-Encoding  Object
//	UNCOMPRESSED   (none)     (none)            the records, concatenated
//	GZIP           .gz        gzip              one gzip member (RFC 1952): no name, MTIME 0
//	ZIP            .zip       zip               a zip archive with one deflated entry
//	Snappy         .snappy    snappy-java       snappy-java stream, 32 KiB blocks
//	HADOOP_SNAPPY  .snappy    hadoop-snappy     Hadoop block framing, 32 KiB blocks
//
// The ZIP entry is named [Options.EntryName] (Firehose uses a UUID) and is
// written with a data descriptor, since its size is not known until the
// end, as Java's ZipOutputStream writes deflated entries.
//
// Snappy is the stream format of xerial snappy-java's SnappyOutputStream,
// not Google's framing format. All integers are big-endian:
//
//	offset  size  field
//	0       8     magic 82 53 4e 41 50 50 59 00 (0x82 "SNAPPY" 0x00)
//	8       4     int32 version, 1
//	12      4     int32 oldest compatible reader version, 1
//	16      4     int32 n: compressed length of block 1
//	20      n     raw Snappy block holding up to 32 KiB of input
//	...           further (length, block) pairs, one per 32 KiB of input
//
// An empty input gives the 16-byte header alone. A header may also appear
// where a length is due: snappy-java reads concatenated streams that way
// (0x82534e41 is negative as an int32, so it cannot be a length).
//
// HADOOP_SNAPPY is the framing of Hadoop's BlockCompressorStream, which
// Hadoop's and Spark's SnappyCodec read:
//
//	size  field
//	4     int32 u: uncompressed length of block 1
//	4     int32 n: compressed length of chunk 1
//	n     raw Snappy block
//	...   more (n, block) chunks until u bytes are decoded, then the next block
//
// The writer cuts a block every 32 KiB of input and writes one chunk per
// block, as snappy-java's SnappyHadoopCompatibleOutputStream does; an empty
// input gives empty output. Hadoop's own writer may split a block into
// several chunks, and writes a zero-length block for an empty stream. The
// reader accepts both; Hadoop stops reading at a zero-length block, so the
// reader insists that nothing follows one.
//
// # Notes
//
// Sources. The framings follow xerial/snappy-java (SnappyCodec.java,
// SnappyOutputStream.java, SnappyInputStream.java,
// SnappyHadoopCompatibleOutputStream.java) and apache/hadoop
// (hadoop-common io/compress/BlockCompressorStream.java and
// BlockDecompressorStream.java). What Firehose itself does comes from a
// probe of the real service published by the floci emulator (floci-io/floci
// issue #2328, PR #2410), not yet verified by this project: objects have
// Content-Type application/octet-stream and Content-Encoding gzip, zip,
// snappy-java or hadoop-snappy; the ZIP entry is named with a UUID; and
// snappy-java 1.1.10.8's SnappyOutputStream and
// SnappyHadoopCompatibleOutputStream reproduced AWS's Snappy (193 B) and
// HADOOP_SNAPPY (181 B) objects of one 690-byte payload byte for byte.
//
// HADOOP_SNAPPY extension. The developer guide's table
// (https://docs.aws.amazon.com/firehose/latest/dev/s3-object-name.html)
// gives ".hsnappy" for Hadoop-Snappy. Two captures of the real service say
// it writes ".snappy": floci issue #2328 ("Both variants get the same
// .snappy key extension", and floci's FirehoseCompression.java says it was
// reproduced on two separate dates), and another emulator's notes on its
// own capture ("The captured Hadoop suffix differs from documentation
// that describes .hsnappy"). One other emulator follows the documentation.
// This package follows the service: [Format.Extension] is ".snappy" for both
// Snappy variants, which only Content-Encoding tells apart. A stream that
// wants the documented suffix can set FileExtension to ".hsnappy".
//
// Block size. 32 KiB ([SnappyBlockSize]) is snappy-java's default for both
// stream classes. A 690-byte probe cannot tell block sizes apart, so it is
// an inference that AWS uses the default. Hadoop's SnappyCodec cuts blocks
// at 218,422 bytes (256 KiB less 256 KiB/6 + 32) so that an incompressible
// block still fits its SnappyDecompressor's 256 KiB buffer; 32 KiB blocks
// fit with room to spare.
//
// Byte identity. Headers and framing match the reference writers byte for
// byte, which the hand-checked fixtures in testdata/golden pin down. The
// Snappy blocks come from klauspost/compress/s2's Snappy-compatible
// encoder, not the C++ library snappy-java wraps, and deflate output comes
// from klauspost/compress/flate, not zlib; so compressed bytes differ from
// AWS's while every decoder reads them. The GZIP header carries OS 255
// (unknown), as Go's gzip writer does; what AWS's header carries is not
// known.
//
// Levels. [DeflateDefaultLevel] is 5. BenchmarkDeflateLevels writes 5 MiB
// of ~200-byte JSON-ish records one record per Write (go1.26,
// klauspost/compress v1.20.4, one core of an Intel Xeon VM; medians of 3):
//
//	level  MB/s  output/input
//	-2      796  0.659  HuffmanOnly
//	 1      530  0.154
//	 2      513  0.151
//	 3      411  0.151
//	 4      325  0.155
//	 5      279  0.138  default (klauspost's own default is also 5)
//	 6      240  0.136  zlib's default, used by Java's GZIPOutputStream
//	 7      217  0.134
//	 8      109  0.130
//	 9       44  0.123
//
// With a budget of about 40 MB/s of input per core for the whole delivery
// path, level 5 takes about 14% of a core. Levels 1 to 4 would save at most
// half of that but give 9-12% larger objects; level 6 saves 1.5% of output
// for 16% more CPU, and level 9 saves 11% for 6.4 times the CPU. On the same
// data the Snappy writers run at about 1,360 MB/s with output/input 0.263
// (Level 2 and up: about 790 MB/s, 0.253), and the readers decode at
// about 700 MB/s (GZIP, ZIP) and 2,300 MB/s (Snappy, HADOOP_SNAPPY).
//
// Reader strictness. [NewReader] accepts what the reference writers
// produce plus the variants their readers document, and reports anything
// else as [ErrCorrupt]: a second gzip member or trailing bytes, a zip
// archive without exactly one file entry, a snappy-java stream without its
// header (snappy-java would fall back to reading one raw Snappy block),
// zero-length chunks, and Snappy blocks that only the S2 extension of
// klauspost's default decoder accepts. Forged lengths cannot force large
// allocations: buffers grow only as input arrives, and a Snappy block's
// claimed size is checked against the densest possible encoding first.
// The ZIP reader reads its whole input into memory.
package compress
