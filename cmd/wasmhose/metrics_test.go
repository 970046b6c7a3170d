package main

import (
	"context"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	"github.com/aws/aws-sdk-go-v2/service/firehose/types"
)

// scrape returns the value of one sample in /metrics, or -1 when absent.
func scrape(t *testing.T, addr, sample string) float64 {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(sample) + ` (\S+)$`).FindSubmatch(b)
	if m == nil {
		return -1
	}
	v, err := strconv.ParseFloat(string(m[1]), 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestMetricsMoveWithRecords(t *testing.T) {
	ts := startServer(t, t.TempDir(), nil)
	c := ts.client()
	createStream(t, c, "m", &types.ExtendedS3DestinationConfiguration{
		BufferingHints: &types.BufferingHints{SizeInMBs: aws.Int32(1), IntervalInSeconds: aws.Int32(0)},
	})
	recs := make([]types.Record, 10)
	for i := range recs {
		recs[i] = types.Record{Data: []byte("0123456789")}
	}
	if _, err := c.PutRecordBatch(context.Background(), &firehose.PutRecordBatchInput{DeliveryStreamName: aws.String("m"), Records: recs}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "delivery metrics", func() bool {
		return scrape(t, ts.addr, `wasmhose_delivery_to_s3_records_total{stream="m"}`) == 10
	})
	tests := []struct {
		sample string
		exp    float64
	}{
		{`wasmhose_incoming_records_total{stream="m"}`, 10},
		{`wasmhose_incoming_bytes_total{stream="m"}`, 100},
		{`wasmhose_delivery_to_s3_bytes_total{stream="m"}`, 100},
		{`wasmhose_delivery_to_s3_objects_total{stream="m"}`, 1},
		{`wasmhose_delivery_to_s3_calls_total{result="failure",stream="m"}`, 0},
		{`wasmhose_delivery_to_s3_data_freshness_seconds{stream="m"}`, 0},
		{`wasmhose_api_requests_total{code="200",operation="PutRecordBatch",stream="m"}`, 1},
		{`wasmhose_api_put_records_total{operation="PutRecordBatch",stream="m"}`, 10},
		{`wasmhose_streams`, 1},
	}
	for _, tt := range tests {
		if got := scrape(t, ts.addr, tt.sample); got != tt.exp {
			t.Errorf("%s = %v, want %v", tt.sample, got, tt.exp)
		}
	}
	if got := scrape(t, ts.addr, `wasmhose_api_latency_seconds_count{operation="PutRecordBatch"}`); got != 1 {
		t.Errorf("latency histogram count = %v", got)
	}
	resp, err := http.Get("http://" + ts.addr + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/readyz = %d", resp.StatusCode)
	}
}
