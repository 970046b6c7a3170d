package main

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	"github.com/aws/aws-sdk-go-v2/service/firehose/types"
	"github.com/aws/smithy-go"

	"github.com/wasmhose/wasmhose/host/compress"
	"github.com/wasmhose/wasmhose/host/config"
)

// testServer runs `serve` in-process on an ephemeral port.
type testServer struct {
	addr    string
	dataDir string
	cancel  context.CancelFunc
	done    chan error
	logs    *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func startServer(t *testing.T, dataDir string, mutate func(*config.Config)) *testServer {
	t.Helper()
	cfg := config.Default()
	cfg.Listen = "127.0.0.1:0"
	cfg.DataDir = dataDir
	cfg.LogLevel = "debug"
	cfg.Plugins.CompilationCacheDir = compileCache
	if mutate != nil {
		mutate(&cfg)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ts := &testServer{dataDir: dataDir, cancel: cancel, done: make(chan error, 1), logs: &syncBuffer{}}
	ready := make(chan string, 1)
	go func() { ts.done <- serve(ctx, cfg, ts.logs, ready) }()
	select {
	case ts.addr = <-ready:
	case err := <-ts.done:
		t.Fatalf("serve: %v\n%s", err, ts.logs)
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not start")
	}
	t.Cleanup(func() { ts.stop(t) })
	return ts
}

func (ts *testServer) stop(t *testing.T) {
	if ts.cancel == nil {
		return
	}
	ts.cancel()
	ts.cancel = nil
	if err := <-ts.done; err != nil {
		t.Errorf("serve returned %v", err)
	}
}

func (ts *testServer) client() *firehose.Client {
	return firehose.New(firehose.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String("http://" + ts.addr),
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		HTTPClient:   &http.Client{Timeout: 30 * time.Second},
	})
}

const roleARN = "arn:aws:iam::000000000000:role/firehose"

func createStream(t *testing.T, c *firehose.Client, name string, dest *types.ExtendedS3DestinationConfiguration) {
	t.Helper()
	ctx := context.Background()
	if dest.RoleARN == nil {
		dest.RoleARN = aws.String(roleARN)
	}
	if dest.BucketARN == nil {
		dest.BucketARN = aws.String("arn:aws:s3:::test-bucket")
	}
	if _, err := c.CreateDeliveryStream(ctx, &firehose.CreateDeliveryStreamInput{
		DeliveryStreamName: aws.String(name), ExtendedS3DestinationConfiguration: dest,
	}); err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	waitFor(t, "stream "+name+" ACTIVE", func() bool {
		out, err := c.DescribeDeliveryStream(ctx, &firehose.DescribeDeliveryStreamInput{DeliveryStreamName: aws.String(name)})
		return err == nil && out.DeliveryStreamDescription.DeliveryStreamStatus == types.DeliveryStreamStatusActive
	})
}

// waitFor polls cond until it holds (no fixed sleeps in assertions).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// objects returns the delivered objects of a bucket in the local store, by key.
func objects(t *testing.T, dataDir, bucket string) map[string][]byte {
	t.Helper()
	root := filepath.Join(dataDir, "s3", bucket)
	out := map[string][]byte{}
	_ = filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() || strings.HasPrefix(info.Name(), ".") {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(root, p)
		out[filepath.ToSlash(rel)] = b
		return nil
	})
	return out
}

func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func TestLifecycleWithSDK(t *testing.T) {
	ts := startServer(t, t.TempDir(), nil)
	c := ts.client()
	ctx := context.Background()

	createStream(t, c, "orders", &types.ExtendedS3DestinationConfiguration{
		Prefix:            aws.String("orders/"),
		CompressionFormat: types.CompressionFormatGzip,
		BufferingHints:    &types.BufferingHints{SizeInMBs: aws.Int32(1), IntervalInSeconds: aws.Int32(1)},
	})

	d, err := c.DescribeDeliveryStream(ctx, &firehose.DescribeDeliveryStreamInput{DeliveryStreamName: aws.String("orders")})
	if err != nil {
		t.Fatal(err)
	}
	desc := d.DeliveryStreamDescription
	if *desc.DeliveryStreamARN != "arn:aws:firehose:us-east-1:000000000000:deliverystream/orders" || *desc.VersionId != "1" ||
		desc.DeliveryStreamType != types.DeliveryStreamTypeDirectPut || desc.CreateTimestamp == nil || len(desc.Destinations) != 1 {
		t.Fatalf("describe: %+v", desc)
	}
	ext := desc.Destinations[0].ExtendedS3DestinationDescription
	if *desc.Destinations[0].DestinationId != "destinationId-000000000001" || ext.CompressionFormat != types.CompressionFormatGzip ||
		ext.EncryptionConfiguration.NoEncryptionConfig != types.NoEncryptionConfigNoEncryption || *ext.CloudWatchLoggingOptions.Enabled ||
		ext.S3BackupMode != types.S3BackupModeDisabled || desc.Destinations[0].S3DestinationDescription == nil {
		t.Fatalf("destination defaults: %+v", ext)
	}

	pr, err := c.PutRecord(ctx, &firehose.PutRecordInput{DeliveryStreamName: aws.String("orders"), Record: &types.Record{Data: []byte("one\n")}})
	if err != nil || *pr.RecordId == "" || *pr.Encrypted {
		t.Fatalf("PutRecord: %v %+v", err, pr)
	}
	var batch []types.Record
	for i := range 500 {
		batch = append(batch, types.Record{Data: fmt.Appendf(nil, "rec-%03d\n", i)})
	}
	bo, err := c.PutRecordBatch(ctx, &firehose.PutRecordBatchInput{DeliveryStreamName: aws.String("orders"), Records: batch})
	if err != nil || *bo.FailedPutCount != 0 || len(bo.RequestResponses) != 500 || *bo.RequestResponses[499].RecordId == "" {
		t.Fatalf("PutRecordBatch: %v %+v", err, bo)
	}

	keyRE := regexp.MustCompile(`^orders/\d{4}/\d{2}/\d{2}/\d{2}/orders-1-\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.gz$`)
	var lines []string
	waitFor(t, "501 records delivered", func() bool {
		lines = lines[:0]
		for k, b := range objects(t, ts.dataDir, "test-bucket") {
			if !keyRE.MatchString(k) {
				t.Fatalf("object key %q does not follow Firehose's naming", k)
			}
			zr, err := gzip.NewReader(bytes.NewReader(b))
			if err != nil {
				t.Fatalf("%s: %v", k, err)
			}
			raw, err := io.ReadAll(zr)
			if err != nil {
				t.Fatalf("%s: %v", k, err)
			}
			lines = append(lines, strings.Split(strings.TrimSuffix(string(raw), "\n"), "\n")...)
		}
		return len(lines) >= 501
	})
	sort.Strings(lines)
	if len(lines) != 501 || lines[0] != "one" || lines[500] != "rec-499" {
		t.Fatalf("delivered %d lines: first %q last %q", len(lines), lines[0], lines[len(lines)-1])
	}

	// UpdateDestination: merge, version bump, stale version rejected.
	if _, err := c.UpdateDestination(ctx, &firehose.UpdateDestinationInput{
		DeliveryStreamName: aws.String("orders"), CurrentDeliveryStreamVersionId: aws.String("1"),
		DestinationId:               aws.String("destinationId-000000000001"),
		ExtendedS3DestinationUpdate: &types.ExtendedS3DestinationUpdate{Prefix: aws.String("v2/")},
	}); err != nil {
		t.Fatal(err)
	}
	d, _ = c.DescribeDeliveryStream(ctx, &firehose.DescribeDeliveryStreamInput{DeliveryStreamName: aws.String("orders")})
	ext = d.DeliveryStreamDescription.Destinations[0].ExtendedS3DestinationDescription
	if *d.DeliveryStreamDescription.VersionId != "2" || *ext.Prefix != "v2/" || ext.CompressionFormat != types.CompressionFormatGzip ||
		d.DeliveryStreamDescription.LastUpdateTimestamp == nil {
		t.Fatalf("after update: version %s prefix %s", *d.DeliveryStreamDescription.VersionId, *ext.Prefix)
	}
	_, err = c.UpdateDestination(ctx, &firehose.UpdateDestinationInput{
		DeliveryStreamName: aws.String("orders"), CurrentDeliveryStreamVersionId: aws.String("1"),
		DestinationId:               aws.String("destinationId-000000000001"),
		ExtendedS3DestinationUpdate: &types.ExtendedS3DestinationUpdate{Prefix: aws.String("v3/")},
	})
	var cme *types.ConcurrentModificationException
	if !errors.As(err, &cme) {
		t.Fatalf("stale update: want ConcurrentModificationException, got %v", err)
	}
	if _, err := c.PutRecord(ctx, &firehose.PutRecordInput{DeliveryStreamName: aws.String("orders"), Record: &types.Record{Data: []byte("after-update\n")}}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "object under the new prefix, named with version 2", func() bool {
		for k := range objects(t, ts.dataDir, "test-bucket") {
			if strings.HasPrefix(k, "v2/") && strings.Contains(k, "/orders-2-") {
				return true
			}
		}
		return false
	})

	// Tags.
	if _, err := c.TagDeliveryStream(ctx, &firehose.TagDeliveryStreamInput{DeliveryStreamName: aws.String("orders"),
		Tags: []types.Tag{{Key: aws.String("b"), Value: aws.String("2")}, {Key: aws.String("a"), Value: aws.String("1")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UntagDeliveryStream(ctx, &firehose.UntagDeliveryStreamInput{DeliveryStreamName: aws.String("orders"), TagKeys: []string{"b", "unknown"}}); err != nil {
		t.Fatal(err)
	}
	lt, err := c.ListTagsForDeliveryStream(ctx, &firehose.ListTagsForDeliveryStreamInput{DeliveryStreamName: aws.String("orders")})
	if err != nil || len(lt.Tags) != 1 || *lt.Tags[0].Key != "a" || *lt.HasMoreTags {
		t.Fatalf("tags: %v %+v", err, lt)
	}

	// Delete: gone after it drains.
	if _, err := c.DeleteDeliveryStream(ctx, &firehose.DeleteDeliveryStreamInput{DeliveryStreamName: aws.String("orders")}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "stream deleted", func() bool {
		_, err := c.DescribeDeliveryStream(ctx, &firehose.DescribeDeliveryStreamInput{DeliveryStreamName: aws.String("orders")})
		var nf *types.ResourceNotFoundException
		return errors.As(err, &nf)
	})
}

func TestListPaging(t *testing.T) {
	ts := startServer(t, t.TempDir(), nil)
	c := ts.client()
	ctx := context.Background()
	for _, n := range []string{"c", "a", "e", "b", "d"} {
		createStream(t, c, n, &types.ExtendedS3DestinationConfiguration{})
	}
	var all []string
	start := (*string)(nil)
	for pages := 0; ; pages++ {
		out, err := c.ListDeliveryStreams(ctx, &firehose.ListDeliveryStreamsInput{Limit: aws.Int32(2), ExclusiveStartDeliveryStreamName: start})
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, out.DeliveryStreamNames...)
		if !*out.HasMoreDeliveryStreams {
			break
		}
		start = aws.String(out.DeliveryStreamNames[len(out.DeliveryStreamNames)-1])
		if pages > 5 {
			t.Fatal("paging does not end")
		}
	}
	if strings.Join(all, ",") != "a,b,c,d,e" {
		t.Fatalf("listed %v", all)
	}
	out, err := c.ListDeliveryStreams(ctx, &firehose.ListDeliveryStreamsInput{DeliveryStreamType: types.DeliveryStreamTypeKinesisStreamAsSource})
	if err != nil || len(out.DeliveryStreamNames) != 0 {
		t.Fatalf("type filter: %v %v", err, out.DeliveryStreamNames)
	}
}

func TestErrorsWithSDK(t *testing.T) {
	ts := startServer(t, t.TempDir(), nil)
	c := ts.client()
	ctx := context.Background()
	createStream(t, c, "s", &types.ExtendedS3DestinationConfiguration{})

	big := make([]types.Record, 5)
	for i := range big {
		big[i] = types.Record{Data: make([]byte, 1_000_000)}
	}
	tooMany := make([]types.Record, 501)
	for i := range tooMany {
		tooMany[i] = types.Record{Data: []byte("x")}
	}
	tests := []struct {
		name    string
		call    func() error
		expCode string
		expMsg  string
	}{
		{"unknown stream", func() error {
			_, err := c.PutRecord(ctx, &firehose.PutRecordInput{DeliveryStreamName: aws.String("nope"), Record: &types.Record{Data: []byte("x")}})
			return err
		}, "ResourceNotFoundException", "Firehose nope under account 000000000000 not found."},
		{"record too large", func() error {
			_, err := c.PutRecord(ctx, &firehose.PutRecordInput{DeliveryStreamName: aws.String("s"), Record: &types.Record{Data: make([]byte, 1_024_001)}})
			return err
		}, "ValidationException", "at 'record.data' failed to satisfy constraint: Member must have length less than or equal to 1024000"},
		{"largest record is fine", func() error {
			_, err := c.PutRecord(ctx, &firehose.PutRecordInput{DeliveryStreamName: aws.String("s"), Record: &types.Record{Data: make([]byte, 1_024_000)}})
			if err == nil {
				return errors.New("ok")
			}
			return err
		}, "", "ok"},
		{"batch over 4 MiB", func() error {
			_, err := c.PutRecordBatch(ctx, &firehose.PutRecordBatchInput{DeliveryStreamName: aws.String("s"), Records: big})
			return err
		}, "InvalidArgumentException", "Records size exceeds 4 MB limit"},
		{"batch of 501", func() error {
			_, err := c.PutRecordBatch(ctx, &firehose.PutRecordBatchInput{DeliveryStreamName: aws.String("s"), Records: tooMany})
			return err
		}, "ValidationException", "Member must have length less than or equal to 500"},
		{"duplicate name", func() error {
			_, err := c.CreateDeliveryStream(ctx, &firehose.CreateDeliveryStreamInput{DeliveryStreamName: aws.String("s"),
				ExtendedS3DestinationConfiguration: &types.ExtendedS3DestinationConfiguration{RoleARN: aws.String(roleARN), BucketARN: aws.String("arn:aws:s3:::b")}})
			return err
		}, "ResourceInUseException", "Firehose s under accountId 000000000000 already exists"},
		{"bad buffering", func() error {
			_, err := c.CreateDeliveryStream(ctx, &firehose.CreateDeliveryStreamInput{DeliveryStreamName: aws.String("t"),
				ExtendedS3DestinationConfiguration: &types.ExtendedS3DestinationConfiguration{RoleARN: aws.String(roleARN), BucketARN: aws.String("arn:aws:s3:::b"),
					BufferingHints: &types.BufferingHints{SizeInMBs: aws.Int32(200), IntervalInSeconds: aws.Int32(60)}}})
			return err
		}, "ValidationException", "bufferingHints.sizeInMBs"},
		{"unknown destination id", func() error {
			_, err := c.UpdateDestination(ctx, &firehose.UpdateDestinationInput{DeliveryStreamName: aws.String("s"), CurrentDeliveryStreamVersionId: aws.String("1"),
				DestinationId: aws.String("destinationId-000000000009"), ExtendedS3DestinationUpdate: &types.ExtendedS3DestinationUpdate{}})
			return err
		}, "InvalidArgumentException", "Destination Id destinationId-000000000009 not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if apiCode(err) != tt.expCode || !strings.Contains(err.Error(), tt.expMsg) {
				t.Fatalf("want %s %q, got %v", tt.expCode, tt.expMsg, err)
			}
		})
	}
}

func TestRawProtocolErrors(t *testing.T) {
	ts := startServer(t, t.TempDir(), nil)
	tests := []struct {
		name, target, body string
		status             int
		expType            string
	}{
		{"unknown operation", "Firehose_20150804.Explode", `{}`, 400, "UnknownOperationException"},
		{"missing target", "", `{}`, 400, "UnknownOperationException"},
		{"malformed JSON", "Firehose_20150804.PutRecord", `{"DeliveryStreamName":`, 400, "SerializationException"},
		{"wrong member type", "Firehose_20150804.PutRecord", `{"DeliveryStreamName":5}`, 400, "SerializationException"},
		{"bad base64", "Firehose_20150804.PutRecord", `{"DeliveryStreamName":"s","Record":{"Data":"!!!"}}`, 400, "SerializationException"},
		{"empty body is {}", "Firehose_20150804.ListDeliveryStreams", ``, 200, ""},
		{"missing record", "Firehose_20150804.PutRecord", `{"DeliveryStreamName":"s"}`, 400, "ValidationException"},
		{"null data", "Firehose_20150804.PutRecordBatch", `{"DeliveryStreamName":"s","Records":[{}]}`, 400, "ValidationException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, "http://"+ts.addr+"/", strings.NewReader(tt.body))
			req.Header.Set("Content-Type", "application/x-amz-json-1.1")
			if tt.target != "" {
				req.Header.Set("X-Amz-Target", tt.target)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, b)
			}
			if tt.expType != "" && (!strings.Contains(string(b), `"__type":"`+tt.expType+`"`) || !strings.Contains(string(b), `"message":`) ||
				resp.Header.Get("X-Amzn-ErrorType") != tt.expType) {
				t.Fatalf("body %s, header %q", b, resp.Header.Get("X-Amzn-ErrorType"))
			}
		})
	}
}

func TestCompressionFormats(t *testing.T) {
	ts := startServer(t, t.TempDir(), nil)
	c := ts.client()
	ctx := context.Background()
	want := "alpha\nbeta\ngamma\n"
	for _, f := range []types.CompressionFormat{types.CompressionFormatUncompressed, types.CompressionFormatGzip, types.CompressionFormatZip,
		types.CompressionFormatSnappy, types.CompressionFormatHadoopSnappy} {
		t.Run(string(f), func(t *testing.T) {
			name := "c-" + strings.ToLower(string(f))
			bucket := "b-" + strings.ToLower(strings.ReplaceAll(string(f), "_", "-"))
			createStream(t, c, name, &types.ExtendedS3DestinationConfiguration{
				BucketARN: aws.String("arn:aws:s3:::" + bucket), CompressionFormat: f,
				BufferingHints: &types.BufferingHints{SizeInMBs: aws.Int32(1), IntervalInSeconds: aws.Int32(0)},
			})
			_, err := c.PutRecordBatch(ctx, &firehose.PutRecordBatchInput{DeliveryStreamName: aws.String(name), Records: []types.Record{
				{Data: []byte("alpha\n")}, {Data: []byte("beta\n")}, {Data: []byte("gamma\n")}}})
			if err != nil {
				t.Fatal(err)
			}
			var objs map[string][]byte
			waitFor(t, "object", func() bool { objs = objects(t, ts.dataDir, bucket); return len(objs) > 0 })
			for k, b := range objs {
				ext := compress.Format(f).Extension()
				if !strings.HasSuffix(k, name+"-1-"+k[len(k)-len(ext)-36-20:len(k)-len(ext)-36]+k[len(k)-len(ext)-36:]) || !strings.HasSuffix(k, ext) {
					t.Fatalf("key %q, extension %q", k, ext)
				}
				var got []byte
				switch f {
				case types.CompressionFormatGzip:
					zr, err := gzip.NewReader(bytes.NewReader(b))
					if err != nil {
						t.Fatal(err)
					}
					got, err = io.ReadAll(zr)
					if err != nil {
						t.Fatal(err)
					}
				case types.CompressionFormatZip:
					zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
					if err != nil || len(zr.File) != 1 {
						t.Fatalf("zip: %v", err)
					}
					rc, _ := zr.File[0].Open()
					got, _ = io.ReadAll(rc)
				default:
					rc, err := compress.NewReader(compress.Format(f), bytes.NewReader(b))
					if err != nil {
						t.Fatal(err)
					}
					got, err = io.ReadAll(rc)
					if err != nil {
						t.Fatal(err)
					}
				}
				if string(got) != want {
					t.Fatalf("%s: decoded %q", f, got)
				}
			}
		})
	}
}

func TestAppendDelimiterAndFileExtension(t *testing.T) {
	ts := startServer(t, t.TempDir(), nil)
	c := ts.client()
	createStream(t, c, "delim", &types.ExtendedS3DestinationConfiguration{
		FileExtension:  aws.String(".jsonl"),
		CustomTimeZone: aws.String("Asia/Tokyo"),
		BufferingHints: &types.BufferingHints{SizeInMBs: aws.Int32(1), IntervalInSeconds: aws.Int32(0)},
		ProcessingConfiguration: &types.ProcessingConfiguration{Enabled: aws.Bool(true), Processors: []types.Processor{
			{Type: types.ProcessorTypeAppendDelimiterToRecord}}},
	})
	if _, err := c.PutRecordBatch(context.Background(), &firehose.PutRecordBatchInput{DeliveryStreamName: aws.String("delim"),
		Records: []types.Record{{Data: []byte(`{"a":1}`)}, {Data: []byte(`{"a":2}`)}}}); err != nil {
		t.Fatal(err)
	}
	var objs map[string][]byte
	waitFor(t, "object", func() bool { objs = objects(t, ts.dataDir, "test-bucket"); return len(objs) > 0 })
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	hour := time.Now().In(tokyo).Format("2006/01/02/15/")
	for k, b := range objs {
		if string(b) != "{\"a\":1}\n{\"a\":2}\n" || !strings.HasSuffix(k, ".jsonl") {
			t.Fatalf("%s: %q", k, b)
		}
		if !strings.HasPrefix(k, hour) && !strings.HasPrefix(k, time.Now().Add(-time.Minute).In(tokyo).Format("2006/01/02/15/")) {
			t.Fatalf("key %s is not in Tokyo time (%s)", k, hour)
		}
	}
}

func TestRestartKeepsStreamsAndDeliversBufferedRecords(t *testing.T) {
	dir := t.TempDir()
	ts := startServer(t, dir, nil)
	c := ts.client()
	// A long interval: records stay buffered until shutdown flushes them.
	createStream(t, c, "keep", &types.ExtendedS3DestinationConfiguration{
		BufferingHints: &types.BufferingHints{SizeInMBs: aws.Int32(128), IntervalInSeconds: aws.Int32(900)},
	})
	if _, err := c.TagDeliveryStream(context.Background(), &firehose.TagDeliveryStreamInput{DeliveryStreamName: aws.String("keep"),
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("data")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutRecord(context.Background(), &firehose.PutRecordInput{DeliveryStreamName: aws.String("keep"), Record: &types.Record{Data: []byte("buffered")}}); err != nil {
		t.Fatal(err)
	}
	if n := len(objects(t, dir, "test-bucket")); n != 0 {
		t.Fatalf("%d objects before the interval", n)
	}
	ts.stop(t) // graceful: flushes
	if objs := objects(t, dir, "test-bucket"); len(objs) != 1 {
		t.Fatalf("shutdown flushed %d objects", len(objs))
	}
	ts2 := startServer(t, dir, nil)
	c2 := ts2.client()
	lt, err := c2.ListTagsForDeliveryStream(context.Background(), &firehose.ListTagsForDeliveryStreamInput{DeliveryStreamName: aws.String("keep")})
	if err != nil || len(lt.Tags) != 1 {
		t.Fatalf("tags after restart: %v %+v", err, lt)
	}
	d, err := c2.DescribeDeliveryStream(context.Background(), &firehose.DescribeDeliveryStreamInput{DeliveryStreamName: aws.String("keep")})
	if err != nil || d.DeliveryStreamDescription.DeliveryStreamStatus != types.DeliveryStreamStatusActive ||
		*d.DeliveryStreamDescription.Destinations[0].ExtendedS3DestinationDescription.BufferingHints.IntervalInSeconds != 900 {
		t.Fatalf("after restart: %v %+v", err, d)
	}
}
