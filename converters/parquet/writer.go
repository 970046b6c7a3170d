// Package parquet writes Arrow record batches as one Parquet object with
// the settings of Firehose's ParquetSerDe, through arrow-go's pqarrow
// writer.
//
// # How the ParquetSerDe settings are honoured
//
//   - Compression: UNCOMPRESSED, GZIP or SNAPPY (default SNAPPY), for
//     every column chunk.
//   - BlockSizeBytes (default 256 MiB): the target size of a row group. The
//     writer buffers a row group in memory (pqarrow's buffered row group)
//     and starts the next one once the Arrow size of the batches in it, or
//     its encoded pages, reach the target, checked after each batch, so a
//     row group can pass the target by up to one batch. parquet-mr measures
//     its buffered, encoded size instead; the Arrow size is a close upper
//     bound of that. Memory is bounded by this size plus two batches (one
//     being encoded, one handed over; see Writer), not by the number of
//     records.
//   - PageSizeBytes (default 1 MiB): the data page size.
//   - EnableDictionaryCompression (default true): dictionary encoding, used
//     only where it pays: the writer looks at the first batch and turns the
//     dictionary off for leaf columns whose sampled values are mostly
//     distinct (ids, timestamps, prices), where a dictionary costs hashing
//     and falls back to plain pages anyway. Booleans never use one.
//   - WriterVersion V1 (default) writes Parquet format 1.0 with version 1
//     data pages; V2 writes format 2.6 with version 2 data pages. Encodings
//     stay plain and dictionary in both (parquet-mr's V2 also switches to
//     delta encodings; pqarrow does not).
//   - MaxPaddingBytes is accepted and has no effect: pqarrow does not pad
//     row groups to HDFS block boundaries, and an S3 object has no blocks
//     to align to.
//
// # Types
//
// Timestamps are written as INT96, as Firehose (through Hive's Parquet
// writer) writes them: Athena, Hive, Spark, Presto and DuckDB all read
// INT96 as a timestamp, whereas INT64 nanoseconds are not read by Hive 2 or
// older Athena engines, and INT64 micros would lose the nanoseconds that
// the SerDes parse. Decimals with precision up to 9 are stored as INT32 and
// up to 18 as INT64 (the Parquet spec's recommendation, smaller and faster
// to encode), larger ones as FIXED_LEN_BYTE_ARRAY. Hive char(n) and
// varchar(n) are strings (BYTE_ARRAY, UTF8), maps use the MAP logical type
// and arrays the three-level LIST layout with elements named "element".
package parquet

import (
	"errors"
	"fmt"
	"io"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/wasmhose/wasmhose/converters"
)

// Compression is ParquetSerDe.Compression.
type Compression string

// The compressions Firehose offers for Parquet.
const (
	Uncompressed Compression = "UNCOMPRESSED"
	Gzip         Compression = "GZIP"
	Snappy       Compression = "SNAPPY"
)

// WriterVersion is ParquetSerDe.WriterVersion.
type WriterVersion string

// The writer versions Firehose offers.
const (
	V1 WriterVersion = "V1"
	V2 WriterVersion = "V2"
)

// Defaults and minimums of the ParquetSerDe settings.
const (
	DefaultBlockSizeBytes = 256 << 20
	MinBlockSizeBytes     = 64 << 20
	DefaultPageSizeBytes  = 1 << 20
	MinPageSizeBytes      = 64 << 10
)

// Options are ParquetSerDe's settings. The zero value means Firehose's
// defaults.
type Options struct {
	// Compression codec; "" means SNAPPY.
	Compression Compression
	// BlockSizeBytes is the row group target; 0 means 256 MiB. Firehose
	// refuses less than 64 MiB; the writer takes any positive size, which
	// tests use to force several row groups.
	BlockSizeBytes int64
	// PageSizeBytes is the data page size; 0 means 1 MiB.
	PageSizeBytes int64
	// EnableDictionaryCompression; nil means true.
	EnableDictionaryCompression *bool
	// MaxPaddingBytes is accepted for compatibility and not applied.
	MaxPaddingBytes int64
	// WriterVersion; "" means V1.
	WriterVersion WriterVersion
	// Allocator for the writer's buffers; nil means memory.DefaultAllocator.
	Allocator memory.Allocator
	// Synchronous encodes each batch in the caller's goroutine, during
	// Write. By default (false) Write hands the batch to the writer's own
	// goroutine and returns at once, so the caller decodes the next batch
	// while this one is encoded: conversion then uses two cores. This is
	// not a ParquetSerDe setting; the file is the same either way.
	Synchronous bool
}

// Validate reports every setting Firehose would refuse.
func (o Options) Validate() error {
	var errs []error
	switch o.Compression {
	case "", Uncompressed, Gzip, Snappy:
	default:
		errs = append(errs, fmt.Errorf("Compression %q is not UNCOMPRESSED, GZIP or SNAPPY", o.Compression))
	}
	switch o.WriterVersion {
	case "", V1, V2:
	default:
		errs = append(errs, fmt.Errorf("WriterVersion %q is not V1 or V2", o.WriterVersion))
	}
	if o.BlockSizeBytes < 0 {
		errs = append(errs, fmt.Errorf("BlockSizeBytes %d is negative", o.BlockSizeBytes))
	}
	if o.PageSizeBytes < 0 {
		errs = append(errs, fmt.Errorf("PageSizeBytes %d is negative", o.PageSizeBytes))
	}
	if o.MaxPaddingBytes < 0 {
		errs = append(errs, fmt.Errorf("MaxPaddingBytes %d is negative", o.MaxPaddingBytes))
	}
	return errors.Join(errs...)
}

func (o Options) withDefaults() Options {
	if o.Compression == "" {
		o.Compression = Snappy
	}
	if o.WriterVersion == "" {
		o.WriterVersion = V1
	}
	if o.BlockSizeBytes == 0 {
		o.BlockSizeBytes = DefaultBlockSizeBytes
	}
	if o.PageSizeBytes == 0 {
		o.PageSizeBytes = DefaultPageSizeBytes
	}
	if o.EnableDictionaryCompression == nil {
		t := true
		o.EnableDictionaryCompression = &t
	}
	if o.Allocator == nil {
		o.Allocator = memory.DefaultAllocator
	}
	return o
}

// Writer writes record batches of one schema as a Parquet file. It is a
// converters.BatchWriter. The file writer is created at the first batch,
// whose values choose the dictionary columns; nothing is written to w
// before that.
//
// Unless Options.Synchronous is set, batches are encoded by a goroutine of
// the writer's, one at a time and in order: Write retains the batch and
// waits only while the previous batch is still being encoded, so the
// writer holds at most two batches besides its row group. An error from
// encoding a batch is returned by a later Write or by Close. Close must be
// called, also after an error, to end the goroutine.
type Writer struct {
	w      io.Writer
	schema *arrow.Schema
	opts   Options
	fw     *pqarrow.FileWriter
	closed bool
	// rgBytes is the Arrow size of the batches in the current row group.
	rgBytes int64

	// The background encoder: queue carries batches to it, done is closed
	// when it has ended, and failed holds its first error (set before the
	// encoder goes on to drain the queue; read by Write and, after done,
	// by Close).
	queue  chan arrow.RecordBatch
	done   chan struct{}
	failed atomic.Pointer[error]
}

var _ converters.BatchWriter = (*Writer)(nil)

// NewWriter returns a writer of the schema's batches to w.
func NewWriter(w io.Writer, schema *arrow.Schema, opts Options) (*Writer, error) {
	if err := opts.Validate(); err != nil {
		return nil, fmt.Errorf("parquet: %w", err)
	}
	if schema == nil || schema.NumFields() == 0 {
		return nil, errors.New("parquet: the schema has no columns")
	}
	return &Writer{w: writeOnly{w}, schema: schema, opts: opts.withDefaults()}, nil
}

func (wr *Writer) start(first arrow.RecordBatch) error {
	o := wr.opts
	useFastSnappy()
	codec := compress.Codecs.Snappy
	switch o.Compression {
	case Uncompressed:
		codec = compress.Codecs.Uncompressed
	case Gzip:
		codec = compress.Codecs.Gzip
	}
	props := []parquet.WriterProperty{
		parquet.WithAllocator(o.Allocator),
		parquet.WithCompression(codec),
		parquet.WithDataPageSize(o.PageSizeBytes),
		parquet.WithStoreDecimalAsInteger(true),
		parquet.WithCreatedBy("wasmhose"),
		parquet.WithDictionaryDefault(*o.EnableDictionaryCompression),
	}
	if o.WriterVersion == V2 {
		props = append(props, parquet.WithVersion(parquet.V2_6), parquet.WithDataPageVersion(parquet.DataPageV2))
	} else {
		props = append(props, parquet.WithVersion(parquet.V1_0), parquet.WithDataPageVersion(parquet.DataPageV1))
	}
	if *o.EnableDictionaryCompression && first != nil {
		for _, path := range noDictionaryPaths(first) {
			props = append(props, parquet.WithDictionaryFor(path, false))
		}
	}
	fw, err := pqarrow.NewFileWriter(wr.schema, wr.w, parquet.NewWriterProperties(props...),
		pqarrow.NewArrowWriterProperties(pqarrow.WithAllocator(o.Allocator), pqarrow.WithDeprecatedInt96Timestamps(true)))
	if err != nil {
		return fmt.Errorf("parquet: create writer: %w", err)
	}
	wr.fw = fw
	return nil
}

// Write appends the batch's rows to the current row group, and starts a
// new row group once the current one reaches BlockSizeBytes. The caller
// may release the batch as soon as Write returns.
func (wr *Writer) Write(batch arrow.RecordBatch) error {
	if wr.closed {
		return errors.New("parquet: write after close")
	}
	if batch.NumRows() == 0 {
		return nil
	}
	if wr.opts.Synchronous {
		return wr.encode(batch)
	}
	if err := wr.failed.Load(); err != nil {
		return *err
	}
	if wr.queue == nil {
		wr.queue, wr.done = make(chan arrow.RecordBatch), make(chan struct{})
		go wr.encoder()
	}
	batch.Retain()
	wr.queue <- batch
	return nil
}

// encoder is the writer's goroutine: it encodes the queued batches until
// Close closes the queue. After an error it only releases them.
func (wr *Writer) encoder() {
	defer close(wr.done)
	for b := range wr.queue {
		if wr.failed.Load() == nil {
			if err := wr.encode(b); err != nil {
				wr.failed.Store(&err)
			}
		}
		b.Release()
	}
}

// encode writes one batch into the file.
func (wr *Writer) encode(batch arrow.RecordBatch) error {
	if wr.fw == nil {
		if err := wr.start(batch); err != nil {
			return err
		}
	}
	if err := wr.fw.WriteBuffered(batch); err != nil {
		return fmt.Errorf("parquet: write batch: %w", err)
	}
	for _, col := range batch.Columns() {
		wr.rgBytes += dataSize(col.Data())
	}
	if wr.rgBytes >= wr.opts.BlockSizeBytes || wr.fw.RowGroupTotalCompressedBytes() >= wr.opts.BlockSizeBytes {
		if err := wr.fw.NewBufferedRowGroupChecked(); err != nil {
			return fmt.Errorf("parquet: start row group: %w", err)
		}
		wr.rgBytes = 0
	}
	return nil
}

// Close writes the last row group and the footer; it does not close the
// io.Writer. A writer that got no rows writes a valid file with none.
func (wr *Writer) Close() error {
	if wr.closed {
		return nil
	}
	wr.closed = true
	if wr.queue != nil {
		close(wr.queue)
		<-wr.done
		if err := wr.failed.Load(); err != nil {
			if wr.fw != nil {
				_ = wr.fw.Close()
			}
			return *err
		}
	}
	if wr.fw == nil {
		if err := wr.start(nil); err != nil {
			return err
		}
	}
	if err := wr.fw.Close(); err != nil {
		return fmt.Errorf("parquet: close: %w", err)
	}
	return nil
}

// writeOnly hides a Close method of the destination, which pqarrow would
// otherwise call: the caller owns the io.Writer.
type writeOnly struct{ w io.Writer }

func (w writeOnly) Write(p []byte) (int, error) { return w.w.Write(p) }

// dataSize is the bytes held by an array's buffers, children included.
func dataSize(d arrow.ArrayData) int64 {
	var n int64
	for _, b := range d.Buffers() {
		if b != nil {
			n += int64(b.Len())
		}
	}
	for _, c := range d.Children() {
		n += dataSize(c)
	}
	return n
}
