package deliver

import (
	"context"
	"encoding/base64"
	"fmt"
	"time"

	"github.com/wasmhose/wasmhose/host/buffer"
	"github.com/wasmhose/wasmhose/host/compress"
	"github.com/wasmhose/wasmhose/host/objstore"
	"github.com/wasmhose/wasmhose/host/prefix"
	"github.com/wasmhose/wasmhose/host/stream"
)

// settings is a stream's destination compiled for delivery. It is immutable;
// an UpdateDestination swaps in a new one.
type settings struct {
	name       string
	arn        string
	bucketARN  string
	versionID  int64
	version    string
	logGroup   string // CloudWatchLoggingOptions, "" when off
	logStream  string
	bucket     string
	dataPrefix *prefix.Expr
	errPrefix  *prefix.Expr
	loc        *time.Location
	format     compress.Format
	ext        string
	delimiter  []byte // appended after every record; nil = none
	lambdas    []lambdaStep
	converter  Converter    // nil when format conversion is off
	table      CatalogTable // the conversion's table, as configured (for error records)
	kmsKeyID   string
	hints      buffer.Hints // the destination's BufferingHints
	// procHints are the processor buffer's: the first Lambda processor's
	// BufferSizeInMBs and BufferIntervalInSeconds (the destination's
	// hints when there is no Lambda processor).
	procHints buffer.Hints
}

// compile turns a stored stream into delivery settings, resolving its
// Lambda processors through tr.
func compile(ctx context.Context, s *stream.Stream, tr Transforms, cv Converters) (*settings, error) {
	d := stream.WithDefaults(s.Destination)
	bucket, err := objstore.BucketFromARN(d.BucketARN)
	if err != nil {
		return nil, fmt.Errorf("stream %s: %w", s.Name, err)
	}
	dp, err := prefix.DataPrefix(*d.Prefix)
	if err != nil {
		return nil, fmt.Errorf("stream %s: Prefix: %w", s.Name, err)
	}
	errOut := ""
	if d.ErrorOutputPrefix != nil {
		errOut = *d.ErrorOutputPrefix
	}
	ep, err := prefix.ErrorPrefix(errOut, *d.Prefix)
	if err != nil {
		return nil, fmt.Errorf("stream %s: ErrorOutputPrefix: %w", s.Name, err)
	}
	tz := ""
	if d.CustomTimeZone != nil {
		tz = *d.CustomTimeZone
	}
	loc, err := stream.LoadLocation(tz)
	if err != nil {
		return nil, fmt.Errorf("stream %s: %w", s.Name, err)
	}
	var format compress.Format
	if err := format.UnmarshalText([]byte(*d.CompressionFormat)); err != nil {
		return nil, fmt.Errorf("stream %s: %w", s.Name, err)
	}
	ext := format.Extension()
	var converter Converter
	var table CatalogTable
	if stream.ConversionEnabled(&d) {
		if cv == nil {
			return nil, fmt.Errorf("stream %s: DataFormatConversionConfiguration: format conversion is not configured in this service", s.Name)
		}
		if converter, err = cv.Converter(ctx, s); err != nil {
			return nil, fmt.Errorf("stream %s: DataFormatConversionConfiguration: %w", s.Name, err)
		}
		ext = converter.Extension()
		if sc := s.ConversionSchema(); sc != nil {
			region, catalog := deref(sc.Region), deref(sc.CatalogId)
			table = CatalogTable{CatalogID: catalog, DatabaseName: deref(sc.DatabaseName), TableName: deref(sc.TableName),
				Region: region, VersionID: deref(sc.VersionId), CatalogARN: fmt.Sprintf("arn:aws:glue:%s:%s:catalog", region, catalog)}
		}
	}
	if d.FileExtension != nil && *d.FileExtension != "" {
		ext = *d.FileExtension
	}
	st := &settings{
		name:       s.Name,
		arn:        s.ARN,
		bucketARN:  d.BucketARN,
		versionID:  s.VersionID,
		version:    s.Version(),
		bucket:     bucket,
		dataPrefix: dp,
		errPrefix:  ep,
		loc:        loc,
		format:     format,
		ext:        ext,
		converter:  converter,
		table:      table,
		hints: buffer.Hints{
			SizeBytes: *d.BufferingHints.SizeInMBs << 20,
			Interval:  time.Duration(*d.BufferingHints.IntervalInSeconds) * time.Second,
		},
	}
	if l := d.CloudWatchLoggingOptions; l != nil && l.Enabled != nil && *l.Enabled && l.LogGroupName != nil && l.LogStreamName != nil {
		st.logGroup, st.logStream = *l.LogGroupName, *l.LogStreamName
	}
	if kms := d.EncryptionConfiguration.KMSEncryptionConfig; kms != nil {
		st.kmsKeyID = kms.AWSKMSKeyARN
	}
	st.lambdas, st.delimiter, err = compileProcessors(ctx, &d, tr)
	if err != nil {
		return nil, fmt.Errorf("stream %s: ProcessingConfiguration.%w", s.Name, err)
	}
	st.procHints = st.hints
	if len(st.lambdas) > 0 {
		st.procHints = buffer.Hints{SizeBytes: st.lambdas[0].maxBytes, Interval: st.lambdas[0].interval}
	}
	return st, nil
}

// deref returns *s, or "" for nil.
func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// decodeDelimiter reads AppendDelimiterToRecord's Delimiter parameter.
// Firehose documents no parameter for this processor; the Delimiter
// parameter of RecordDeAggregation is base64, so a base64 value is decoded
// and anything else is taken literally.
func decodeDelimiter(v string) []byte {
	if b, err := base64.StdEncoding.DecodeString(v); err == nil && len(b) > 0 {
		return b
	}
	return []byte(v)
}
