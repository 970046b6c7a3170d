package deliver_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/wasmhose/wasmhose/converters/schema"
	"github.com/wasmhose/wasmhose/host/convert"
	"github.com/wasmhose/wasmhose/host/deliver"
	"github.com/wasmhose/wasmhose/host/stream"
)

// TestUnconvertibleRecordsGoToTheErrorOutputAfterRetention: a stream whose
// table does not exist keeps its records in the log and retries, loudly;
// once the oldest has outlived the retention period, the batch goes,
// unconverted, to the format-conversion-failed error output with the last
// error and the configured table, and the log is released. Nothing is
// discarded.
func TestUnconvertibleRecordsGoToTheErrorOutputAfterRetention(t *testing.T) {
	local := newLocal(t)
	reg, err := schema.Open(t.TempDir(), schema.Options{})
	if err != nil {
		t.Fatal(err)
	}
	clk := newClock(t0)
	logs := t.TempDir()
	s := newStream("conv", func(d *stream.ExtendedS3DestinationConfiguration) {
		withErrorLog(d)
		d.Prefix = stream.String("data/")
		d.ErrorOutputPrefix = stream.String("errors/!{firehose:error-output-type}/")
		d.CompressionFormat = stream.String("UNCOMPRESSED")
		d.DataFormatConversionConfiguration = &stream.DataFormatConversionConfiguration{
			SchemaConfiguration:       &stream.SchemaConfiguration{RoleARN: stream.String(testRole), DatabaseName: stream.String("db"), TableName: stream.String("missing")},
			InputFormatConfiguration:  &stream.InputFormatConfiguration{Deserializer: &stream.Deserializer{OpenXJsonSerDe: &stream.OpenXJsonSerDe{}}},
			OutputFormatConfiguration: &stream.OutputFormatConfiguration{Serializer: &stream.Serializer{ParquetSerDe: &stream.ParquetSerDe{}}},
		}
	})
	p := open(t, s, deliver.Options{LogDir: t.TempDir(), Store: local, Now: clk.Now, Retention: time.Hour, LogsDir: logs, Workers: 1,
		RetryBase: time.Millisecond, RetryMax: 5 * time.Millisecond,
		Converters: convert.New(convert.Options{Source: reg, Allocator: memory.NewGoAllocator()})})
	put(t, p, []byte(`{"a":1}`), []byte(`{"a":2}`))
	p.Flush()
	notFound := func() int {
		n := 0
		for _, l := range errorLog(t, logs) {
			if l.ErrorCode == convert.CodeEntityNotFound {
				n++
			}
		}
		return n
	}
	waitFor(t, "retries logged", func() bool { return notFound() >= 3 })
	if st := p.Stats(); st.Log.Unacked != 2 || st.ConversionFailedRecords != 0 || len(objects(t, local)) != 0 {
		t.Fatalf("within the retention period: %+v, objects %v", st, objects(t, local))
	}
	clk.Set(t0.Add(61 * time.Minute))
	waitFor(t, "the records in the error output", func() bool { return p.Stats().ConversionFailedRecords == 2 })
	waitFor(t, "the log released", func() bool { return p.Stats().Log.Unacked == 0 })
	st := p.Stats()
	if st.ExpiredRecords != 0 || st.DeliveredObjects != 0 || st.ErrorObjects != 1 || st.PendingBytes != 0 {
		t.Fatalf("stats %+v", st)
	}
	objs := objects(t, local)
	if len(objs) != 1 || !strings.HasPrefix(objs[0].Key, "errors/format-conversion-failed/") {
		t.Fatalf("objects %v", objs)
	}
	var raws []string
	for _, line := range strings.Split(strings.TrimSpace(string(objs[0].Body)), "\n") {
		var doc struct {
			AttemptsMade     int    `json:"attemptsMade"`
			LastErrorCode    string `json:"lastErrorCode"`
			LastErrorMessage string `json:"lastErrorMessage"`
			RawData          []byte `json:"rawData"`
			DataCatalogTable struct {
				CatalogID, DatabaseName, TableName, Region, VersionID, CatalogARN string
			} `json:"dataCatalogTable"`
		}
		if err := json.Unmarshal([]byte(line), &doc); err != nil {
			t.Fatalf("error record %q: %v", line, err)
		}
		tb := doc.DataCatalogTable
		if doc.LastErrorCode != convert.CodeEntityNotFound || !strings.Contains(doc.LastErrorMessage, "retention period of 1h0m0s") ||
			doc.AttemptsMade < 3 || tb.DatabaseName != "db" || tb.TableName != "missing" || tb.CatalogID != "000000000000" ||
			tb.Region != "us-east-1" || tb.VersionID != "LATEST" || tb.CatalogARN != "arn:aws:glue:us-east-1:000000000000:catalog" {
			t.Fatalf("error record %s", line)
		}
		raws = append(raws, string(doc.RawData))
	}
	if strings.Join(raws, " ") != `{"a":1} {"a":2}` {
		t.Fatalf("raw data %q", raws)
	}
	sent := false
	for _, l := range errorLog(t, logs) {
		sent = sent || strings.Contains(l.Message, "2 records sent unconverted to the format-conversion-failed error output")
	}
	if !sent {
		t.Fatalf("the error log does not say the records were sent unconverted: %+v", errorLog(t, logs))
	}
}
