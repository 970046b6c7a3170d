package service_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"syscall"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	"github.com/aws/aws-sdk-go-v2/service/firehose/types"

	"github.com/wasmhose/wasmhose/host/api"
	"github.com/wasmhose/wasmhose/host/fault"
	"github.com/wasmhose/wasmhose/host/service"
	"github.com/wasmhose/wasmhose/host/wal"
)

// sdk serves svc's Firehose API on an ephemeral port and returns the stock
// Go client for it, with the SDK's own retries off so that every throttled
// answer reaches the test.
func sdk(t *testing.T, svc *service.Service) *firehose.Client {
	t.Helper()
	hs := httptest.NewServer(api.New(svc, api.Options{}))
	t.Cleanup(hs.Close)
	return firehose.New(firehose.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(hs.URL),
		Credentials:      credentials.NewStaticCredentialsProvider("test", "test", ""),
		RetryMaxAttempts: 1,
		HTTPClient:       &http.Client{},
	})
}

// batch returns n records "<tag>-<i>\n".
func batch(tag string, n int) []types.Record {
	out := make([]types.Record, n)
	for i := range out {
		out[i] = types.Record{Data: fmt.Appendf(nil, "%s-%04d\n", tag, i)}
	}
	return out
}

// checkThrottled fails unless every record of out failed with Firehose's
// throttling answer.
func checkThrottled(t *testing.T, out *firehose.PutRecordBatchOutput, n int) {
	t.Helper()
	if int(aws.ToInt32(out.FailedPutCount)) != n || len(out.RequestResponses) != n {
		t.Fatalf("FailedPutCount %d of %d", aws.ToInt32(out.FailedPutCount), n)
	}
	for i, r := range out.RequestResponses {
		if r.RecordId != nil || aws.ToString(r.ErrorCode) != "ServiceUnavailableException" || aws.ToString(r.ErrorMessage) != "Slow down." {
			t.Fatalf("record %d: %+v, want ServiceUnavailableException \"Slow down.\"", i, r)
		}
	}
}

// putUntilAccepted sends recs with PutRecordBatch, resending the failed
// ones, as a well-behaved producer does, until every record has a RecordId
// or tries run out; it returns the data acknowledged and the records
// refused along the way.
func putUntilAccepted(t *testing.T, c *firehose.Client, name string, recs []types.Record, tries int) (acked []string, refused int) {
	t.Helper()
	for try := 0; try < tries && len(recs) > 0; try++ {
		out, err := c.PutRecordBatch(context.Background(), &firehose.PutRecordBatchInput{DeliveryStreamName: aws.String(name), Records: recs})
		if err != nil {
			t.Fatalf("PutRecordBatch: %v", err)
		}
		var again []types.Record
		for i, r := range out.RequestResponses {
			if r.RecordId != nil {
				acked = append(acked, string(recs[i].Data))
			} else {
				again = append(again, recs[i])
				refused++
			}
		}
		recs = again
	}
	if len(recs) > 0 {
		t.Fatalf("%d records still refused after %d tries", len(recs), tries)
	}
	return acked, refused
}

// TestDiskFullThroughTheSDK: while the write-ahead log's disk is full
// (ENOSPC, injected through the log's file seam), PutRecord answers
// ServiceUnavailableException "Slow down." (HTTP 503) and PutRecordBatch
// fails each record with it; nothing refused is stored, and producers that
// retry get through once the disk has room. Every acknowledged record is
// delivered.
func TestDiskFullThroughTheSDK(t *testing.T) {
	e := newEnv(t)
	plan := fault.NewPlan()
	svc := e.open(t, func(o *service.Options) { o.Log = wal.Options{NoSync: true, FS: fault.NewFS(plan, nil)} })
	create(t, svc, input("disk", nil))
	c := sdk(t, svc)
	ctx := context.Background()

	acked, _ := putUntilAccepted(t, c, "disk", batch("before", 10), 1)
	full := plan.Add(fault.Rule{Op: fault.OpWrite, Name: ".wal", Partial: 100, Err: syscall.ENOSPC})
	out, err := c.PutRecordBatch(ctx, &firehose.PutRecordBatchInput{DeliveryStreamName: aws.String("disk"), Records: batch("full", 20)})
	if err != nil {
		t.Fatal(err)
	}
	checkThrottled(t, out, 20)
	_, err = c.PutRecord(ctx, &firehose.PutRecordInput{DeliveryStreamName: aws.String("disk"), Record: &types.Record{Data: []byte("one\n")}})
	var su *types.ServiceUnavailableException
	if !errors.As(err, &su) || aws.ToString(su.Message) != "Slow down." {
		t.Fatalf("PutRecord with the disk full = %v, want ServiceUnavailableException \"Slow down.\"", err)
	}
	var hre interface{ HTTPStatusCode() int }
	if !errors.As(err, &hre) || hre.HTTPStatusCode() != http.StatusServiceUnavailable {
		t.Fatalf("PutRecord with the disk full: want HTTP 503, got %v", err)
	}
	full()
	more, refused := putUntilAccepted(t, c, "disk", batch("after", 20), 3)
	acked = append(acked, more...)
	if refused != 0 {
		t.Fatalf("%d records refused after the disk had room", refused)
	}
	svc.FlushAll()
	waitFor(t, "every acknowledged record delivered", func() bool { return len(e.records(t)) >= len(acked) })
	slices.Sort(acked)
	if got := e.records(t); !slices.Equal(got, acked) {
		t.Fatalf("stored %d records %q, want exactly the %d acknowledged", len(got), got, len(acked))
	}
}

// TestMemoryBudgetThroughTheSDK: with the destination stalled, once the
// streams' undelivered records together reach delivery.maxMemoryMB, puts to
// any stream, even one holding nothing, are throttled with "Slow down.";
// once the destination drains, retrying producers get through, and every
// acknowledged record is delivered.
func TestMemoryBudgetThroughTheSDK(t *testing.T) {
	e := newEnv(t)
	svc := e.open(t, func(o *service.Options) { o.MaxMemoryBytes = 64 << 10 })
	create(t, svc, input("heavy", nil))
	create(t, svc, input("light", nil))
	c := sdk(t, svc)
	e.store.hold()
	big := func(tag string) []types.Record {
		recs := make([]types.Record, 10)
		for i := range recs {
			recs[i] = types.Record{Data: fmt.Appendf(make([]byte, 0, 4000), "%s-%04d-%03990d\n", tag, i, 0)}
		}
		return recs
	}
	var acked []string
	for i := 0; ; i++ {
		out, err := c.PutRecordBatch(context.Background(), &firehose.PutRecordBatchInput{DeliveryStreamName: aws.String("heavy"), Records: big(fmt.Sprint("h", i))})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToInt32(out.FailedPutCount) > 0 {
			checkThrottled(t, out, 10)
			break
		}
		for _, r := range big(fmt.Sprint("h", i)) {
			acked = append(acked, string(r.Data))
		}
		if i > 100 {
			t.Fatal("the memory budget never throttled")
		}
		svc.FlushAll()
	}
	out, err := c.PutRecordBatch(context.Background(), &firehose.PutRecordBatchInput{DeliveryStreamName: aws.String("light"), Records: big("light")})
	if err != nil {
		t.Fatal(err)
	}
	checkThrottled(t, out, 10)
	svc.FlushAll()
	e.store.release()
	var more []string
	waitFor(t, "throttling to end", func() bool {
		out, err := c.PutRecordBatch(context.Background(), &firehose.PutRecordBatchInput{DeliveryStreamName: aws.String("light"), Records: big("light")})
		if err != nil || aws.ToInt32(out.FailedPutCount) > 0 {
			return false
		}
		for _, r := range big("light") {
			more = append(more, string(r.Data))
		}
		return true
	})
	acked = append(acked, more...)
	svc.FlushAll()
	waitFor(t, "every acknowledged record delivered", func() bool { return len(e.records(t)) >= len(acked) })
	slices.Sort(acked)
	if got := e.records(t); !slices.Equal(got, acked) {
		t.Fatalf("stored %d records, want exactly the %d acknowledged", len(got), len(acked))
	}
}
