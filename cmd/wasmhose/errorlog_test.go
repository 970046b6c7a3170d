package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	"github.com/aws/aws-sdk-go-v2/service/firehose/types"
)

// TestDeliveryErrorsAreLoggedAndRetried blocks the destination (a file sits
// where the bucket folder must be), checks the error log that
// CloudWatchLoggingOptions names gets Firehose-style records, then unblocks
// it and checks the record is delivered after all.
func TestDeliveryErrorsAreLoggedAndRetried(t *testing.T) {
	dir := t.TempDir()
	ts := startServer(t, dir, nil)
	c := ts.client()
	if err := os.MkdirAll(filepath.Join(dir, "s3"), 0o755); err != nil {
		t.Fatal(err)
	}
	blocker := filepath.Join(dir, "s3", "blocked-bucket")
	if err := os.WriteFile(blocker, []byte("not a folder"), 0o644); err != nil {
		t.Fatal(err)
	}
	createStream(t, c, "logged", &types.ExtendedS3DestinationConfiguration{
		BucketARN:      aws.String("arn:aws:s3:::blocked-bucket"),
		BufferingHints: &types.BufferingHints{SizeInMBs: aws.Int32(1), IntervalInSeconds: aws.Int32(0)},
		CloudWatchLoggingOptions: &types.CloudWatchLoggingOptions{Enabled: aws.Bool(true),
			LogGroupName: aws.String("/aws/kinesisfirehose/logged"), LogStreamName: aws.String("DestinationDelivery")},
	})
	if _, err := c.PutRecord(context.Background(), &firehose.PutRecordInput{DeliveryStreamName: aws.String("logged"), Record: &types.Record{Data: []byte("r1")}}); err != nil {
		t.Fatal(err)
	}
	logFile := filepath.Join(dir, "logs", "aws", "kinesisfirehose", "logged", "DestinationDelivery.log")
	var line map[string]any
	waitFor(t, "an error record in "+logFile, func() bool {
		b, err := os.ReadFile(logFile)
		if err != nil || len(b) == 0 {
			return false
		}
		first, _, _ := strings.Cut(string(b), "\n")
		if err := json.Unmarshal([]byte(first), &line); err != nil {
			t.Fatalf("error log line is not JSON: %q", first)
		}
		return true
	})
	if line["deliveryStreamARN"] != "arn:aws:firehose:us-east-1:000000000000:deliverystream/logged" ||
		line["destination"] != "arn:aws:s3:::blocked-bucket" || line["deliveryStreamVersionId"] != float64(1) ||
		!strings.HasPrefix(line["errorCode"].(string), "S3.") && line["errorCode"] != "InternalError" || line["message"] == "" {
		t.Fatalf("error record %v", line)
	}
	// The failures show in the metrics.
	if got := scrape(t, ts.addr, `wasmhose_delivery_to_s3_calls_total{result="failure",stream="logged"}`); got < 1 {
		t.Fatalf("failed store calls metric = %v", got)
	}
	// /readyz names the stream whose store is unreachable.
	resp, err := http.Get("http://" + ts.addr + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), "stream logged") {
		t.Fatalf("/readyz while blocked = %d %q", resp.StatusCode, body)
	}
	if err := os.Remove(blocker); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "delivery after the destination recovers", func() bool {
		return len(objects(t, dir, "blocked-bucket")) == 1
	})
}
