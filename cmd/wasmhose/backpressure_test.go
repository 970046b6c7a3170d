package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	"github.com/aws/aws-sdk-go-v2/service/firehose/types"

	"github.com/wasmhose/wasmhose/host/config"
)

// TestThrottlingWhenTheDestinationFallsBehind: with the destination down,
// once a stream holds delivery.maxPendingMB of undelivered records,
// PutRecordBatch fails each record with ServiceUnavailableException
// "Slow down." (HTTP 200, FailedPutCount) and PutRecord answers the
// exception; when the destination is back, everything accepted is
// delivered and puts succeed again.
func TestThrottlingWhenTheDestinationFallsBehind(t *testing.T) {
	dir := t.TempDir()
	ts := startServer(t, dir, func(c *config.Config) { c.Delivery.MaxPendingMB = 1 })
	c := ts.client()
	ctx := context.Background()
	if err := os.MkdirAll(filepath.Join(dir, "s3"), 0o755); err != nil {
		t.Fatal(err)
	}
	blocker := filepath.Join(dir, "s3", "slow-bucket")
	if err := os.WriteFile(blocker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	createStream(t, c, "throttled", &types.ExtendedS3DestinationConfiguration{
		BucketARN:      aws.String("arn:aws:s3:::slow-bucket"),
		BufferingHints: &types.BufferingHints{SizeInMBs: aws.Int32(1), IntervalInSeconds: aws.Int32(0)},
	})
	batch := make([]types.Record, 100)
	for i := range batch {
		batch[i] = types.Record{Data: make([]byte, 6000)} // 600 KB a batch
	}
	put := func() *firehose.PutRecordBatchOutput {
		out, err := c.PutRecordBatch(ctx, &firehose.PutRecordBatchInput{DeliveryStreamName: aws.String("throttled"), Records: batch})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	if out := put(); *out.FailedPutCount != 0 {
		t.Fatalf("first batch: %d failed", *out.FailedPutCount)
	}
	out := put() // 1.2 MB would be pending: over the 1 MiB bound
	if *out.FailedPutCount != 100 || *out.RequestResponses[0].ErrorCode != "ServiceUnavailableException" ||
		*out.RequestResponses[0].ErrorMessage != "Slow down." || out.RequestResponses[0].RecordId != nil {
		t.Fatalf("second batch: %+v", out)
	}
	_, err := c.PutRecord(ctx, &firehose.PutRecordInput{DeliveryStreamName: aws.String("throttled"), Record: &types.Record{Data: make([]byte, 600_000)}},
		func(o *firehose.Options) { o.RetryMaxAttempts = 1 })
	var su *types.ServiceUnavailableException
	if !errors.As(err, &su) {
		t.Fatalf("PutRecord while throttled = %v, want ServiceUnavailableException", err)
	}
	if got := scrape(t, ts.addr, `wasmhose_throttled_records_total{stream="throttled"}`); got != 101 {
		t.Fatalf("ThrottledRecords metric = %v, want 101", got)
	}
	if err := os.Remove(blocker); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the accepted batch delivered", func() bool { return len(objects(t, dir, "slow-bucket")) > 0 })
	waitFor(t, "puts accepted again", func() bool { return *put().FailedPutCount == 0 })
}
