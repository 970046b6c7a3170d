package deliver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/wasmhose/wasmhose/host/buffer"
	"github.com/wasmhose/wasmhose/host/objstore"
	"github.com/wasmhose/wasmhose/host/prefix"
	"github.com/wasmhose/wasmhose/host/stream"
)

// errorTypeConversion is !{firehose:error-output-type} for records that
// failed format conversion.
const errorTypeConversion = "format-conversion-failed"

// maxConversionErrorsLogged bounds the error-log entries of one batch's
// conversion failures.
const maxConversionErrorsLogged = 20

// Converters builds the record format converter of a stream's
// DataFormatConversionConfiguration (host/convert implements it).
type Converters interface {
	// Converter returns the converter for a stream whose conversion is
	// enabled. An error means the configuration cannot be served at all
	// (for example an unknown serializer); a table that cannot be found is
	// not such an error: Convert reports it, per batch, so it is retried.
	Converter(ctx context.Context, s *stream.Stream) (Converter, error)
}

// Converter turns a batch of JSON records into one columnar object.
type Converter interface {
	// Convert writes the records that convert to w as one object and
	// reports the others by index. An error means no object was produced
	// and nothing was reported (the table could not be read, say): the
	// batch stays in the log and is tried again.
	Convert(ctx context.Context, records [][]byte, w io.Writer) (ConvertResult, error)
	// Extension is the objects' default file extension (".parquet", ".orc").
	Extension() string
}

// ConvertResult is the outcome of one Convert call.
type ConvertResult struct {
	// Rows is the number of records written to the object.
	Rows int
	// Failed are the records that did not convert, in input order.
	Failed []ConvertFailure
	// Table is the catalog table the batch was converted with.
	Table CatalogTable
}

// ConvertFailure is one record that did not convert.
type ConvertFailure struct {
	// Index is the record's position in the batch given to Convert.
	Index int
	// Code is Firehose's error code (DataFormatConversion.ParseError,
	// DataFormatConversion.MalformedData).
	Code string
	// Message says what is wrong with the record.
	Message string
}

// CatalogTable is the dataCatalogTable member of an error record.
type CatalogTable struct {
	CatalogID    string `json:"catalogId"`    // CatalogID is the Glue catalog.
	DatabaseName string `json:"databaseName"` // DatabaseName is the table's database.
	TableName    string `json:"tableName"`    // TableName is the table.
	Region       string `json:"region"`       // Region of the catalog.
	VersionID    string `json:"versionId"`    // VersionID is the table version used.
	CatalogARN   string `json:"catalogArn"`   // CatalogARN is arn:aws:glue:<region>:<catalog>:catalog.
}

// RetryableError marks a failure that leaves the batch in the log to be
// tried again (a table that cannot be read).
type RetryableError struct {
	// Code is the error code logged (e.g. DataFormatConversion.EntityNotFound).
	Code string
	// Err is the cause.
	Err error
}

// Error implements error.
func (e *RetryableError) Error() string { return e.Err.Error() }

// Unwrap returns the cause.
func (e *RetryableError) Unwrap() error { return e.Err }

// conversionFailedDoc is Firehose's format-conversion-failed error record
// (firehose-reference.md §8). Real objects carry lastErrorCode and
// lastErrorMessage.
type conversionFailedDoc struct {
	AttemptsMade           int          `json:"attemptsMade"`
	ArrivalTimestamp       int64        `json:"arrivalTimestamp"`
	LastErrorCode          string       `json:"lastErrorCode"`
	LastErrorMessage       string       `json:"lastErrorMessage"`
	AttemptEndingTimestamp int64        `json:"attemptEndingTimestamp"`
	RawData                []byte       `json:"rawData"`
	SequenceNumber         string       `json:"sequenceNumber"`
	SubSequenceNumber      int64        `json:"subSequenceNumber"`
	DataCatalogTable       CatalogTable `json:"dataCatalogTable"`
}

// convert turns the batch's records into the data object and, when some
// records failed, the format-conversion-failed error object. It returns the
// number of records and bytes stored in the data object.
func (p *Pipeline) convert(ctx context.Context, st *settings, recs []buffer.Record) (objs []object, rows, bytes int, err error) {
	data := make([][]byte, len(recs))
	for i, r := range recs {
		data[i] = r.Data
	}
	var body bytesBuffer
	res, err := st.converter.Convert(ctx, data, &body)
	if err != nil {
		var re *RetryableError
		if !errors.As(err, &re) {
			err = &RetryableError{Code: "DataFormatConversion.InternalError", Err: err}
		}
		return nil, 0, 0, fmt.Errorf("format conversion: %w", err)
	}
	failed := make([]bool, len(recs))
	if len(res.Failed) > 0 {
		for _, f := range res.Failed {
			if f.Index < 0 || f.Index >= len(recs) || failed[f.Index] {
				return nil, 0, 0, fmt.Errorf("format conversion: converter reported record %d of %d", f.Index, len(recs))
			}
			failed[f.Index] = true
		}
		o, err := p.conversionFailedObject(st, recs, res.Failed, 1, res.Table)
		if err != nil {
			return nil, 0, 0, err
		}
		// Firehose logs each record that fails conversion to the stream's
		// error log; a batch logs at most maxConversionErrorsLogged of them
		// (the error output holds them all).
		ended := p.opts.Now()
		for i, f := range res.Failed {
			if i == maxConversionErrorsLogged {
				p.reportError(st, ErrorEvent{Time: ended, ErrorCode: f.Code, Message: fmt.Sprintf("%d more records of this batch failed conversion; all are in the %s error output", len(res.Failed)-i, errorTypeConversion)})
				break
			}
			p.reportError(st, ErrorEvent{Time: ended, ErrorCode: f.Code, Message: f.Message})
		}
		objs = append(objs, o)
	}
	if res.Rows > 0 {
		var oldest time.Time
		for i, r := range recs {
			if failed[i] {
				continue
			}
			if oldest.IsZero() || r.Arrival.Before(oldest) {
				oldest = r.Arrival
			}
			bytes += len(r.Data)
		}
		o, err := p.objectKey(st, st.dataPrefix, prefix.Env{Time: oldest, Location: st.loc}, oldest)
		if err != nil {
			return nil, 0, 0, err
		}
		o.body = body.Bytes()
		o.opts = objstore.PutOptions{ContentType: "application/octet-stream", SSEKMSKeyID: st.kmsKeyID}
		o.conv = convCounts{records: int64(res.Rows), bytes: int64(bytes)}
		o.records = res.Rows
		objs = append(objs, o)
	}
	return objs, res.Rows, bytes, nil
}

// unconverted says why a batch is sent to the error output unconverted:
// its conversion kept failing (cause) for longer than the retention period.
type unconverted struct {
	cause    *RetryableError
	attempts int
}

// unconvertedObject makes the format-conversion-failed object of records
// that could not be converted within the retention period, each with the
// last error, and says so in the error log.
func (p *Pipeline) unconvertedObject(st *settings, recs []buffer.Record, unc *unconverted) (object, error) {
	msg := fmt.Sprintf("not converted within the retention period of %s: %v", p.opts.Retention, unc.cause)
	fails := make([]ConvertFailure, len(recs))
	for i := range recs {
		fails[i] = ConvertFailure{Index: i, Code: unc.cause.Code, Message: msg}
	}
	o, err := p.conversionFailedObject(st, recs, fails, unc.attempts, st.table)
	if err != nil {
		return object{}, err
	}
	p.reportError(st, ErrorEvent{Time: p.opts.Now(), ErrorCode: unc.cause.Code, Attempt: unc.attempts,
		Message: fmt.Sprintf("%d records sent unconverted to the %s error output: %s", len(recs), errorTypeConversion, msg)})
	p.opts.Logger.Error("records sent unconverted to the error output after the retention period", "stream", st.name,
		"errorCode", unc.cause.Code, "records", len(recs), "retention", p.opts.Retention.String(), "attempts", unc.attempts, "err", unc.cause)
	return o, nil
}

// conversionFailedObject makes the format-conversion-failed object of the
// records fails names (indexes into recs, valid and distinct), one error
// document each.
func (p *Pipeline) conversionFailedObject(st *settings, recs []buffer.Record, fails []ConvertFailure, attempts int, table CatalogTable) (object, error) {
	ended := p.opts.Now()
	docs := make([][]byte, 0, len(fails))
	oldest := recs[fails[0].Index].Arrival
	var n int64
	for _, f := range fails {
		r := recs[f.Index]
		if r.Arrival.Before(oldest) {
			oldest = r.Arrival
		}
		d, err := json.Marshal(conversionFailedDoc{
			AttemptsMade: attempts, ArrivalTimestamp: r.Arrival.UnixMilli(), LastErrorCode: f.Code, LastErrorMessage: f.Message,
			AttemptEndingTimestamp: ended.UnixMilli(), RawData: r.Data, SequenceNumber: fmt.Sprint(r.Seq), DataCatalogTable: table,
		})
		if err != nil {
			return object{}, fmt.Errorf("error record: %w", err)
		}
		docs = append(docs, d)
		n += int64(len(r.Data))
	}
	o, err := p.encode(st, st.errPrefix, prefix.Env{Time: oldest, Location: st.loc, ErrorOutputType: errorTypeConversion}, oldest, docs, []byte("\n"))
	if err != nil {
		return object{}, err
	}
	o.errorOutput = true
	o.records = len(docs)
	o.conv = convCounts{failedRecords: int64(len(docs)), failedBytes: n}
	return o, nil
}

// convCounts are an object's share of the conversion counters, added once
// the object is stored and its records acknowledged.
type convCounts struct {
	records, bytes             int64 // converted (SucceedConversion.Records/Bytes)
	failedRecords, failedBytes int64 // failed (FailedConversion.Records/Bytes)
}
