package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	"github.com/aws/aws-sdk-go-v2/service/firehose/types"
	"github.com/aws/aws-sdk-go-v2/service/glue"
	gluetypes "github.com/aws/aws-sdk-go-v2/service/glue/types"
	"github.com/scritchley/orc"

	"github.com/wasmhose/wasmhose/host/config"
)

// readerDir holds the DuckDB reader script (npm ci installs its modules).
var readerDir = filepath.Join("..", "..", "converters", "parquet", "testdata", "reader")

// conversionRecords are the test's input: good rows (one record holds two
// concatenated objects), a record that is not JSON and one that does not
// fit the schema.
var conversionRecords = []string{
	`{"id":"a","user_id":1,"ts":"2026-11-26T10:00:00.123Z","price":12.34,"ok":true,"score":0.5,"tags":["x","y"],"attrs":{"k":1},"geo":{"lat":48.8,"lon":2.3},"note":"first","unknown":42}`,
	`{"ID":"b","user_id":"2","ts":1764151200,"price":"0.10","ok":false,"score":1e3,"tags":[],"attrs":{},"geo":null}`,
	`{"id":"c","user_id":3}{"id":"d","user_id":4,"tags":null,"note":null}`,
	`{"id":"broken",`,
	`{"id":"e","user_id":"not a number"}`,
}

// createClickTable creates analytics.clicks with the stock Glue client.
func createClickTable(t *testing.T, ts *testServer, cols ...string) {
	t.Helper()
	ctx := context.Background()
	g := ts.glueClient("test", "test")
	if _, err := g.CreateDatabase(ctx, &glue.CreateDatabaseInput{DatabaseInput: &gluetypes.DatabaseInput{Name: aws.String("analytics")}}); err != nil {
		t.Fatalf("CreateDatabase: %v", err)
	}
	if _, err := g.CreateTable(ctx, &glue.CreateTableInput{DatabaseName: aws.String("analytics"), TableInput: &gluetypes.TableInput{
		Name: aws.String("clicks"), StorageDescriptor: &gluetypes.StorageDescriptor{Columns: glueCols(cols...)},
	}}); err != nil {
		t.Fatalf("CreateTable: %v", err)
	}
}

// conversionStream creates a stream converting to serializer.
func conversionStream(t *testing.T, ts *testServer, name string, ser *types.Serializer) {
	t.Helper()
	createStream(t, ts.client(), name, &types.ExtendedS3DestinationConfiguration{
		Prefix:            aws.String(name + "/"),
		ErrorOutputPrefix: aws.String(name + "-errors/!{firehose:error-output-type}/"),
		BufferingHints:    &types.BufferingHints{SizeInMBs: aws.Int32(64), IntervalInSeconds: aws.Int32(1)},
		CloudWatchLoggingOptions: &types.CloudWatchLoggingOptions{
			Enabled: aws.Bool(true), LogGroupName: aws.String("conversion"), LogStreamName: aws.String(name),
		},
		DataFormatConversionConfiguration: &types.DataFormatConversionConfiguration{
			Enabled: aws.Bool(true),
			SchemaConfiguration: &types.SchemaConfiguration{
				RoleARN: aws.String(roleARN), DatabaseName: aws.String("analytics"), TableName: aws.String("clicks"),
			},
			InputFormatConfiguration:  &types.InputFormatConfiguration{Deserializer: &types.Deserializer{OpenXJsonSerDe: &types.OpenXJsonSerDe{}}},
			OutputFormatConfiguration: &types.OutputFormatConfiguration{Serializer: ser},
		},
	})
}

func putAll(t *testing.T, c *firehose.Client, name string, recs []string) {
	t.Helper()
	var batch []types.Record
	for _, r := range recs {
		batch = append(batch, types.Record{Data: []byte(r)})
	}
	out, err := c.PutRecordBatch(context.Background(), &firehose.PutRecordBatchInput{DeliveryStreamName: aws.String(name), Records: batch})
	if err != nil || aws.ToInt32(out.FailedPutCount) != 0 {
		t.Fatalf("PutRecordBatch: %v %+v", err, out)
	}
}

// waitObjects waits for one data object with ext and one error object.
func waitConverted(t *testing.T, ts *testServer, name, ext string) (data []byte, errDocs []map[string]any) {
	t.Helper()
	waitFor(t, name+" objects", func() bool {
		data, errDocs = nil, nil
		for k, b := range objects(t, ts.dataDir, "test-bucket") {
			switch {
			case strings.HasPrefix(k, name+"/") && strings.HasSuffix(k, ext):
				data = b
			case strings.HasPrefix(k, name+"-errors/format-conversion-failed/"):
				sc := bufio.NewScanner(bytes.NewReader(b))
				for sc.Scan() {
					var d map[string]any
					if err := json.Unmarshal(sc.Bytes(), &d); err != nil {
						t.Fatalf("error record %q: %v", sc.Text(), err)
					}
					errDocs = append(errDocs, d)
				}
			}
		}
		return data != nil && len(errDocs) == 2
	})
	return data, errDocs
}

// checkErrorLog checks that each failed record is in the stream's error
// log, as Firehose logs them to CloudWatch Logs.
func checkErrorLog(t *testing.T, ts *testServer, name string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(ts.dataDir, "logs", "conversion", name+".log"))
	if err != nil {
		t.Fatal(err)
	}
	for _, code := range []string{"DataFormatConversion.ParseError", "DataFormatConversion.MalformedData"} {
		if !bytes.Contains(b, []byte(`"errorCode":"`+code+`"`)) {
			t.Errorf("the error log has no %s entry:\n%s", code, b)
		}
	}
}

// checkErrorDocs checks the format-conversion-failed records.
func checkErrorDocs(t *testing.T, docs []map[string]any) {
	t.Helper()
	want := map[string]string{ // rawData → code
		`{"id":"broken",`:                     "DataFormatConversion.ParseError",
		`{"id":"e","user_id":"not a number"}`: "DataFormatConversion.MalformedData",
	}
	for _, d := range docs {
		raw, _ := base64.StdEncoding.DecodeString(d["rawData"].(string))
		code, ok := want[string(raw)]
		if !ok || d["lastErrorCode"] != code {
			t.Errorf("error record for %q has code %v, want %q", raw, d["lastErrorCode"], code)
		}
		if msg, _ := d["lastErrorMessage"].(string); msg == "" {
			t.Errorf("error record for %q has no message", raw)
		}
		table, _ := d["dataCatalogTable"].(map[string]any)
		if table["databaseName"] != "analytics" || table["tableName"] != "clicks" || table["catalogId"] != "000000000000" ||
			table["versionId"] != "1" || table["catalogArn"] != "arn:aws:glue:us-east-1:000000000000:catalog" || table["region"] != "us-east-1" {
			t.Errorf("dataCatalogTable = %v", table)
		}
		for _, k := range []string{"attemptsMade", "arrivalTimestamp", "attemptEndingTimestamp", "sequenceNumber", "subSequenceNumber"} {
			if _, ok := d[k]; !ok {
				t.Errorf("error record lacks %s: %v", k, d)
			}
		}
	}
}

// TestConversionParquet: a table created with the stock Glue client, a
// stream created with the stock Firehose client converting OpenX JSON to
// Parquet; DuckDB, a reader that is not ours, reads the object back row by
// row, and the two bad records are under format-conversion-failed.
func TestConversionParquet(t *testing.T) {
	ts := startServer(t, t.TempDir(), nil)
	createClickTable(t, ts, "id", "string", "user_id", "bigint", "ts", "timestamp", "price", "decimal(10,2)", "ok", "boolean",
		"score", "double", "tags", "array<string>", "attrs", "map<string,int>", "geo", "struct<lat:double,lon:double>", "note", "string")
	conversionStream(t, ts, "pq", &types.Serializer{ParquetSerDe: &types.ParquetSerDe{}})
	putAll(t, ts.client(), "pq", conversionRecords)
	data, errDocs := waitConverted(t, ts, "pq", ".parquet")
	checkErrorDocs(t, errDocs)
	checkErrorLog(t, ts, "pq")
	if !bytes.HasPrefix(data, []byte("PAR1")) || !bytes.HasSuffix(data, []byte("PAR1")) {
		t.Fatalf("the .parquet object is not Parquet: % x…", data[:min(8, len(data))])
	}

	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("SKIPPED: node is not installed; the independent reader check needs `npm ci --prefix converters/parquet/testdata/reader`")
	}
	if _, err := os.Stat(filepath.Join(readerDir, "node_modules", "@duckdb", "node-api")); err != nil {
		t.Skip("SKIPPED: run `npm ci --prefix converters/parquet/testdata/reader` for the DuckDB reader")
	}
	file := filepath.Join(t.TempDir(), "out.parquet")
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, "dump.mjs", file)
	cmd.Dir = readerDir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("DuckDB reader: %v\n%s", err, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	want := []string{
		`{"id":"a","user_id":"1","ts":"2026-11-26 10:00:00.123","price":"12.34","ok":true,"score":0.5,"tags":["x","y"],"attrs":[{"key":"k","value":1}],"geo":{"lat":48.8,"lon":2.3},"note":"first"}`,
		`{"id":"b","user_id":"2","ts":"2025-11-26 10:00:00","price":"0.10","ok":false,"score":1000,"tags":[],"attrs":[],"geo":null,"note":null}`,
		`{"id":"c","user_id":"3","ts":null,"price":null,"ok":null,"score":null,"tags":null,"attrs":null,"geo":null,"note":null}`,
		`{"id":"d","user_id":"4","ts":null,"price":null,"ok":null,"score":null,"tags":null,"attrs":null,"geo":null,"note":null}`,
	}
	if len(lines) != 2+len(want) {
		t.Fatalf("DuckDB read %d lines, want 2 header lines and %d rows:\n%s", len(lines), len(want), out)
	}
	for i, w := range want {
		if lines[2+i] != w {
			t.Errorf("row %d:\n got %s\nwant %s", i, lines[2+i], w)
		}
	}
	if !strings.Contains(lines[0], `"compression":["SNAPPY"]`) || !strings.Contains(lines[0], `"physical":"INT96"`) {
		t.Errorf("file metadata: %s", lines[0])
	}
}

// TestConversionORC: the same with OrcSerDe (ZLIB), read back with
// scritchley/orc, a reader with none of our code, and the stream's
// statistics checked against the rows.
func TestConversionORC(t *testing.T) {
	ts := startServer(t, t.TempDir(), nil)
	// scritchley/orc's row reader mis-reads maps and dates next to nulls
	// (see converters/orc's tests), so this table keeps to what it reads.
	createClickTable(t, ts, "id", "string", "user_id", "bigint", "ts", "timestamp", "ok", "boolean", "score", "double", "note", "string")
	conversionStream(t, ts, "oc", &types.Serializer{OrcSerDe: &types.OrcSerDe{Compression: types.OrcCompressionZlib}})
	putAll(t, ts.client(), "oc", conversionRecords)
	data, errDocs := waitConverted(t, ts, "oc", ".orc")
	checkErrorDocs(t, errDocs)
	checkErrorLog(t, ts, "oc")

	r, err := orc.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("scritchley/orc cannot open the object: %v", err)
	}
	defer r.Close()
	if got := r.NumRows(); got != 4 {
		t.Fatalf("NumRows = %d, want 4", got)
	}
	// Stripe statistics, read by the same independent reader: counts
	// without nulls, integer sums, timestamp bounds in milliseconds,
	// boolean true counts.
	md := r.Metadata()
	if md == nil || len(md.GetStripeStats()) != 1 {
		t.Fatalf("stripe statistics: %v", md)
	}
	cs := md.GetStripeStats()[0].GetColStats() // 0 is the root struct, then the columns in order
	if len(cs) != 7 {
		t.Fatalf("%d column statistics, want 7", len(cs))
	}
	if is := cs[2].GetIntStatistics(); cs[2].GetNumberOfValues() != 4 || is.GetMinimum() != 1 || is.GetMaximum() != 4 || is.GetSum() != 10 {
		t.Errorf("user_id statistics: %v", cs[2])
	}
	if ts := cs[3].GetTimestampStatistics(); cs[3].GetNumberOfValues() != 2 || !cs[3].GetHasNull() ||
		ts.GetMinimum() != 1764151200000 || ts.GetMaximum() != time.Date(2026, 11, 26, 10, 0, 0, 123e6, time.UTC).UnixMilli() {
		t.Errorf("ts statistics: %v", cs[3])
	}
	if bs := cs[4].GetBucketStatistics(); cs[4].GetNumberOfValues() != 2 || len(bs.GetCount()) != 1 || bs.GetCount()[0] != 1 {
		t.Errorf("ok statistics: %v", cs[4])
	}
	if cs[6].GetNumberOfValues() != 1 || !cs[6].GetHasNull() || cs[6].GetStringStatistics().GetMinimum() != "first" {
		t.Errorf("note statistics: %v", cs[6])
	}
	c := r.Select("id", "user_id", "ts", "ok", "score", "note")
	type row struct {
		id     any
		userID any
		ts     any
		ok     any
		score  any
		note   any
	}
	var rows []row
	for c.Stripes() {
		for c.Next() {
			v := c.Row()
			if d, ok := v[4].(orc.Double); ok { // the reader's own float64 type
				v[4] = float64(d)
			}
			rows = append(rows, row{v[0], v[1], v[2], v[3], v[4], v[5]})
		}
	}
	if err := c.Err(); err != nil {
		t.Fatal(err)
	}
	ts0 := time.Date(2026, 11, 26, 10, 0, 0, 123e6, time.UTC)
	want := []row{
		{"a", int64(1), ts0, true, 0.5, "first"},
		{"b", int64(2), time.Unix(1764151200, 0).UTC(), false, 1000.0, nil},
		{"c", int64(3), nil, nil, nil, nil},
		{"d", int64(4), nil, nil, nil, nil},
	}
	if len(rows) != len(want) {
		t.Fatalf("read %d rows, want %d: %v", len(rows), len(want), rows)
	}
	for i := range want {
		g, w := rows[i], want[i]
		gt, gok := g.ts.(time.Time)
		wt, wok := w.ts.(time.Time)
		if gok != wok || gok && !gt.Equal(wt) || !gok && g.ts != nil {
			t.Errorf("row %d: ts = %v (%T), want %v", i, g.ts, g.ts, w.ts)
		}
		g.ts, w.ts = nil, nil
		if g != w {
			t.Errorf("row %d = %#v, want %#v", i, g, w)
		}
	}
}

// TestConversionWaitsForTable: records put before their table exists wait
// in the log (the error is logged in Firehose's error-log shape) and are
// converted once the table is created; nothing goes to the error output.
func TestConversionWaitsForTable(t *testing.T) {
	ts := startServer(t, t.TempDir(), func(c *config.Config) { c.Delivery.Workers = 1 })
	createStream(t, ts.client(), "early", &types.ExtendedS3DestinationConfiguration{
		Prefix:         aws.String("early/"),
		BufferingHints: &types.BufferingHints{SizeInMBs: aws.Int32(64), IntervalInSeconds: aws.Int32(1)},
		CloudWatchLoggingOptions: &types.CloudWatchLoggingOptions{
			Enabled: aws.Bool(true), LogGroupName: aws.String("/aws/kinesisfirehose/early"), LogStreamName: aws.String("DestinationDelivery"),
		},
		DataFormatConversionConfiguration: &types.DataFormatConversionConfiguration{
			SchemaConfiguration: &types.SchemaConfiguration{
				RoleARN: aws.String(roleARN), DatabaseName: aws.String("analytics"), TableName: aws.String("clicks"),
			},
			InputFormatConfiguration:  &types.InputFormatConfiguration{Deserializer: &types.Deserializer{HiveJsonSerDe: &types.HiveJsonSerDe{}}},
			OutputFormatConfiguration: &types.OutputFormatConfiguration{Serializer: &types.Serializer{ParquetSerDe: &types.ParquetSerDe{}}},
		},
	})
	putAll(t, ts.client(), "early", []string{`{"id":"a"}`, `{"id":"b"}`})
	logFile := filepath.Join(ts.dataDir, "logs", "aws", "kinesisfirehose", "early", "DestinationDelivery.log")
	waitFor(t, "the missing table in the error log", func() bool {
		b, _ := os.ReadFile(logFile)
		return bytes.Contains(b, []byte("DataFormatConversion.EntityNotFound"))
	})
	if objs := objects(t, ts.dataDir, "test-bucket"); len(objs) != 0 {
		t.Fatalf("objects stored before the table exists: %v", objs)
	}
	createClickTable(t, ts, "id", "string")
	waitFor(t, "the Parquet object", func() bool {
		for k := range objects(t, ts.dataDir, "test-bucket") {
			if strings.HasPrefix(k, "early/") && strings.HasSuffix(k, ".parquet") {
				return true
			}
		}
		return false
	})
	for k := range objects(t, ts.dataDir, "test-bucket") {
		if !strings.HasPrefix(k, "early/") {
			t.Errorf("unexpected object %s", k)
		}
	}
}

// TestConversionFromAnotherGlue: with catalog.source glue, the pipeline
// reads the table through aws-sdk-go-v2's Glue client from another Glue
// endpoint (here a second wasmhose, whose catalog holds the table; this
// server's own catalog does not).
func TestConversionFromAnotherGlue(t *testing.T) {
	catalog := startServer(t, t.TempDir(), nil)
	createClickTable(t, catalog, "id", "string", "user_id", "bigint")
	ts := startServer(t, t.TempDir(), func(c *config.Config) {
		c.Catalog = config.Catalog{Source: config.CatalogGlue, Endpoint: "http://" + catalog.addr, AccessKeyID: "test", SecretAccessKey: "test"}
	})
	conversionStream(t, ts, "remote", &types.Serializer{ParquetSerDe: &types.ParquetSerDe{}})
	putAll(t, ts.client(), "remote", conversionRecords)
	data, errDocs := waitConverted(t, ts, "remote", ".parquet")
	checkErrorDocs(t, errDocs)
	if !bytes.HasPrefix(data, []byte("PAR1")) {
		t.Fatal("the .parquet object is not Parquet")
	}
	if n := len(deliveredParquetRows(t, data)); n != 4 {
		t.Fatalf("%d rows, want 4", n)
	}
}
