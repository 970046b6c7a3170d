// Package convert is record format conversion in the delivery pipeline: it
// implements deliver.Converters over the converters packages, turning a
// stream's DataFormatConversionConfiguration into a Converter that reads the
// table schema from the registry (or AWS Glue), decodes the batch's JSON
// records with the OpenX or Hive SerDe into Arrow, and writes one Parquet or
// ORC object.
//
// # Behaviour
//
//   - The schema is resolved for every batch, so a SchemaConfiguration with
//     VersionId LATEST (the default) follows new table versions; the Source
//     may cache (schema.Cached).
//   - A table that cannot be resolved fails the batch with a
//     deliver.RetryableError: the records stay in the write-ahead log and
//     the pipeline tries again with backoff, logging the error code
//     (DataFormatConversion.EntityNotFound when the table or its database
//     is missing, DataFormatConversion.InvalidSchema when a column type does
//     not convert, DataFormatConversion.InternalError otherwise). These three
//     codes are wasmhose's; Firehose documents none for them.
//   - A record that is not JSON (DataFormatConversion.ParseError) or does
//     not fit the schema (DataFormatConversion.MalformedData) fails alone;
//     the pipeline writes it to the format-conversion-failed error output.
//   - Rows are decoded into Arrow batches of at most BatchRows rows or
//     BatchBytes bytes, each handed to the writer as soon as it is full, so
//     the decoder's memory stays bounded whatever the buffer size. The
//     Parquet writer encodes a batch in its own goroutine while the next
//     one is decoded, so a Parquet conversion uses two cores; it holds at
//     most two batches besides its row group.
package convert

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/wasmhose/wasmhose/converters"
	"github.com/wasmhose/wasmhose/converters/jsonserde"
	"github.com/wasmhose/wasmhose/converters/orc"
	"github.com/wasmhose/wasmhose/converters/parquet"
	"github.com/wasmhose/wasmhose/converters/schema"
	"github.com/wasmhose/wasmhose/host/deliver"
	"github.com/wasmhose/wasmhose/host/stream"
)

// Error codes of batch-level failures (retried; see the package doc).
const (
	CodeEntityNotFound = "DataFormatConversion.EntityNotFound"
	CodeInvalidSchema  = "DataFormatConversion.InvalidSchema"
	CodeInternal       = "DataFormatConversion.InternalError"
)

// Defaults of Options.
const (
	DefaultBatchRows  = 64 << 10
	DefaultBatchBytes = 16 << 20
)

// Options configure the converters.
type Options struct {
	// Source resolves SchemaConfigurations to table schemas.
	Source schema.Source
	// Allocator is Arrow's memory allocator (default memory.DefaultAllocator).
	Allocator memory.Allocator
	// BatchRows and BatchBytes bound one Arrow batch handed to the writer.
	BatchRows, BatchBytes int
}

// Factory implements deliver.Converters.
type Factory struct {
	o Options
}

// New returns a Factory.
func New(o Options) *Factory {
	if o.Allocator == nil {
		o.Allocator = memory.DefaultAllocator
	}
	if o.BatchRows <= 0 {
		o.BatchRows = DefaultBatchRows
	}
	if o.BatchBytes <= 0 {
		o.BatchBytes = DefaultBatchBytes
	}
	return &Factory{o: o}
}

// Converter implements deliver.Converters: it checks the serializer's
// settings now (a bad one fails the request that set it) and resolves the
// table at every Convert.
func (f *Factory) Converter(ctx context.Context, s *stream.Stream) (deliver.Converter, error) {
	if f.o.Source == nil {
		return nil, errors.New("no schema source is configured")
	}
	cfg := s.Destination.DataFormatConversionConfiguration
	sc := s.ConversionSchema()
	if cfg == nil || sc == nil || cfg.InputFormatConfiguration == nil || cfg.InputFormatConfiguration.Deserializer == nil ||
		cfg.OutputFormatConfiguration == nil || cfg.OutputFormatConfiguration.Serializer == nil {
		return nil, errors.New("schema, input and output configurations are required")
	}
	c := &converter{f: f, ref: schema.Ref{
		CatalogID: deref(sc.CatalogId), Database: deref(sc.DatabaseName), Table: deref(sc.TableName),
		Region: deref(sc.Region), VersionID: deref(sc.VersionId),
	}, input: *cfg.InputFormatConfiguration.Deserializer}
	ser := cfg.OutputFormatConfiguration.Serializer
	switch {
	case ser.ParquetSerDe != nil:
		c.parquet = parquetOptions(ser.ParquetSerDe)
		c.parquet.Allocator = f.o.Allocator
		if err := c.parquet.Validate(); err != nil {
			return nil, fmt.Errorf("ParquetSerDe: %w", err)
		}
		c.ext = ".parquet"
	case ser.OrcSerDe != nil:
		o := orcOptions(ser.OrcSerDe)
		c.orc = &o
		c.ext = ".orc"
	default:
		return nil, errors.New("OutputFormatConfiguration.Serializer names no serializer")
	}
	return c, nil
}

// converter is one stream's conversion settings.
type converter struct {
	f       *Factory
	ref     schema.Ref
	input   stream.Deserializer
	parquet parquet.Options
	orc     *orc.Options
	ext     string
}

// Extension implements deliver.Converter.
func (c *converter) Extension() string { return c.ext }

// Convert implements deliver.Converter.
func (c *converter) Convert(ctx context.Context, records [][]byte, w io.Writer) (deliver.ConvertResult, error) {
	res, err := c.f.o.Source.Resolve(ctx, c.ref)
	if err != nil {
		code := CodeInternal
		if errors.Is(err, schema.ErrEntityNotFound) {
			code = CodeEntityNotFound
		} else if errors.Is(err, schema.ErrInvalidInput) {
			code = CodeInvalidSchema
		}
		return deliver.ConvertResult{}, &deliver.RetryableError{Code: code, Err: fmt.Errorf("table %s.%s (catalog %s, version %s): %w", c.ref.Database, c.ref.Table, c.ref.CatalogID, c.ref.VersionID, err)}
	}
	out := deliver.ConvertResult{Table: deliver.CatalogTable{
		CatalogID: res.CatalogID, DatabaseName: res.Database, TableName: res.Table, Region: c.ref.Region, VersionID: res.VersionID,
		CatalogARN: fmt.Sprintf("arn:aws:glue:%s:%s:catalog", c.ref.Region, res.CatalogID),
	}}
	dec, err := c.decoder(res.Schema)
	if err != nil {
		return out, &deliver.RetryableError{Code: CodeInvalidSchema, Err: fmt.Errorf("table %s.%s: %w", res.Database, res.Table, err)}
	}
	defer dec.Release()
	bw, err := c.writer(w, dec.Schema())
	if err != nil {
		return out, &deliver.RetryableError{Code: CodeInvalidSchema, Err: fmt.Errorf("table %s.%s: %w", res.Database, res.Table, err)}
	}
	flush := func() error {
		if dec.Rows() == 0 {
			return nil
		}
		b, err := dec.NewBatch()
		if err != nil {
			return fmt.Errorf("arrow batch: %w", err)
		}
		defer b.Release()
		if err := bw.Write(b); err != nil {
			return fmt.Errorf("write %s: %w", c.ext, err)
		}
		return nil
	}
	for i, r := range records {
		if i%1024 == 0 && ctx.Err() != nil {
			_ = bw.Close()
			return out, ctx.Err()
		}
		if err := dec.Append(r); err != nil {
			var re *jsonserde.RecordError
			if !errors.As(err, &re) {
				_ = bw.Close()
				return out, fmt.Errorf("record %d: %w", i, err)
			}
			out.Failed = append(out.Failed, deliver.ConvertFailure{Index: i, Code: re.Code, Message: re.Message})
			continue
		}
		out.Rows++
		if dec.Rows() >= c.f.o.BatchRows || dec.Bytes() >= c.f.o.BatchBytes {
			if err := flush(); err != nil {
				_ = bw.Close()
				return out, err
			}
		}
	}
	if err := flush(); err != nil {
		_ = bw.Close()
		return out, err
	}
	if err := bw.Close(); err != nil {
		return out, fmt.Errorf("close %s: %w", c.ext, err)
	}
	return out, nil
}

func (c *converter) decoder(s *arrow.Schema) (*jsonserde.Decoder, error) {
	if o := c.input.OpenXJsonSerDe; o != nil {
		return jsonserde.NewOpenX(s, jsonserde.OpenXOptions{
			CaseInsensitive:                    o.CaseInsensitive,
			ConvertDotsInJsonKeysToUnderscores: o.ConvertDotsInJsonKeysToUnderscores != nil && *o.ConvertDotsInJsonKeysToUnderscores,
			ColumnToJsonKeyMappings:            o.ColumnToJsonKeyMappings,
		}, c.f.o.Allocator)
	}
	var formats []string
	if h := c.input.HiveJsonSerDe; h != nil {
		formats = h.TimestampFormats
	}
	return jsonserde.NewHive(s, jsonserde.HiveOptions{TimestampFormats: formats}, c.f.o.Allocator)
}

func (c *converter) writer(w io.Writer, s *arrow.Schema) (converters.BatchWriter, error) {
	if c.orc != nil {
		return orc.NewWriter(w, s, *c.orc)
	}
	return parquet.NewWriter(w, s, c.parquet)
}

func parquetOptions(p *stream.ParquetSerDe) parquet.Options {
	o := parquet.Options{EnableDictionaryCompression: p.EnableDictionaryCompression}
	if p.Compression != nil {
		o.Compression = parquet.Compression(*p.Compression)
	}
	if p.BlockSizeBytes != nil {
		o.BlockSizeBytes = *p.BlockSizeBytes
	}
	if p.PageSizeBytes != nil {
		o.PageSizeBytes = *p.PageSizeBytes
	}
	if p.MaxPaddingBytes != nil {
		o.MaxPaddingBytes = *p.MaxPaddingBytes
	}
	if p.WriterVersion != nil {
		o.WriterVersion = parquet.WriterVersion(*p.WriterVersion)
	}
	return o
}

func orcOptions(p *stream.OrcSerDe) orc.Options {
	o := orc.Options{}
	for _, c := range p.BloomFilterColumns { // Glue lower-cases column names, and so does hive.ArrowSchema
		o.BloomFilterColumns = append(o.BloomFilterColumns, strings.ToLower(c))
	}
	if p.Compression != nil {
		o.Compression = *p.Compression
	}
	if p.StripeSizeBytes != nil {
		o.StripeSizeBytes = *p.StripeSizeBytes
	}
	if p.BlockSizeBytes != nil {
		o.BlockSizeBytes = *p.BlockSizeBytes
	}
	if p.RowIndexStride != nil {
		o.RowIndexStride = int(*p.RowIndexStride)
	}
	if p.EnablePadding != nil {
		o.EnablePadding = *p.EnablePadding
	}
	if p.PaddingTolerance != nil {
		o.PaddingTolerance = *p.PaddingTolerance
	}
	if p.BloomFilterFalsePositiveProbability != nil {
		o.BloomFilterFalsePositiveProbability = *p.BloomFilterFalsePositiveProbability
	}
	if p.DictionaryKeyThreshold != nil {
		o.DictionaryKeyThreshold = *p.DictionaryKeyThreshold
		if o.DictionaryKeyThreshold == 0 {
			o.DictionaryKeyThreshold = -1 // orc.Options: negative is "off", zero the default
		}
	}
	if p.FormatVersion != nil {
		o.FormatVersion = *p.FormatVersion
	}
	return o
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
