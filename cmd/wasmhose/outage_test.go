package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	"github.com/aws/aws-sdk-go-v2/service/firehose/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/wasmhose/wasmhose/host/config"
)

// outage is how the fake S3 server answers object PUTs during a phase of
// TestDestinationOutage.
type outage struct {
	name   string // the phase
	logged string // the error code the phase must put in the error log ("": none)
	status int    // an S3 error status, or 0
	code   string // its S3 error code
	hangUp bool   // close the connection without an answer (server down)
	delay  time.Duration
}

// flakyS3 sits in front of gofakes3 and fails object PUTs as the current
// outage says; other requests (the test's own checks) pass.
type flakyS3 struct {
	next   http.Handler
	mode   atomic.Pointer[outage]
	failed atomic.Int64 // PUTs failed in the current mode
}

func (f *flakyS3) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m := f.mode.Load()
	isPut := r.Method == http.MethodPut && strings.Count(strings.Trim(r.URL.Path, "/"), "/") >= 1
	if m == nil || !isPut {
		f.next.ServeHTTP(w, r)
		return
	}
	if m.delay > 0 {
		time.Sleep(m.delay)
	}
	switch {
	case m.hangUp:
		f.failed.Add(1)
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			conn.Close()
		}
		return
	case m.status != 0:
		f.failed.Add(1)
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(m.status)
		fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>injected %s</Message><RequestId>1</RequestId></Error>`, m.code, m.name)
		return
	}
	f.failed.Add(1) // a slow success counts as this phase's progress
	f.next.ServeHTTP(w, r)
}

// TestDestinationOutage: a real S3 protocol server (gofakes3, through
// aws-sdk-go-v2's S3 client) throttles (503 SlowDown), fails (500
// InternalError), refuses (403 AccessDenied, 404 NoSuchBucket), goes down
// (connections dropped) and is slow, phase after phase, while producers
// keep sending. Records wait in the log; every failure is in the stream's
// error log with Firehose's error code; once the server is back, every
// acknowledged record is stored, and the count of acknowledged equals the
// count of distinct records stored.
func TestDestinationOutage(t *testing.T) {
	fake := startFakeS3(t)
	flaky := &flakyS3{next: fake.next}
	fake.next = flaky
	dir := t.TempDir()
	ts := startServer(t, dir, func(c *config.Config) {
		c.Store = "s3"
		c.S3 = config.S3{Endpoint: fake.url, Region: "us-east-1", AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "secret", UsePathStyle: true}
	})
	ctx := context.Background()
	if _, err := fake.client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("outage")}); err != nil {
		t.Fatal(err)
	}
	fc := ts.client()
	createStream(t, fc, "outage", &types.ExtendedS3DestinationConfiguration{
		BucketARN:         aws.String("arn:aws:s3:::outage"),
		CompressionFormat: types.CompressionFormatGzip,
		BufferingHints:    &types.BufferingHints{SizeInMBs: aws.Int32(1), IntervalInSeconds: aws.Int32(0)},
		CloudWatchLoggingOptions: &types.CloudWatchLoggingOptions{Enabled: aws.Bool(true),
			LogGroupName: aws.String("/aws/kinesisfirehose/outage"), LogStreamName: aws.String("S3Delivery")},
	})

	var (
		mu    sync.Mutex
		acked = map[string]bool{}
		stop  = make(chan struct{})
		wg    sync.WaitGroup
	)
	for w := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				recs := make([]types.Record, 50)
				for i := range recs {
					recs[i] = types.Record{Data: fmt.Appendf(nil, "w%d-n%d-i%d\n", w, n, i)}
				}
				out, err := fc.PutRecordBatch(ctx, &firehose.PutRecordBatchInput{DeliveryStreamName: aws.String("outage"), Records: recs})
				if err != nil {
					t.Errorf("PutRecordBatch during the outage: %v", err)
					return
				}
				mu.Lock()
				for i, r := range out.RequestResponses {
					if r.RecordId != nil {
						acked[string(recs[i].Data)] = true
					}
				}
				mu.Unlock()
				time.Sleep(20 * time.Millisecond) // a steady trickle, not a flood
			}
		}()
	}

	phases := []outage{
		{name: "throttled", status: http.StatusServiceUnavailable, code: "SlowDown", logged: "S3.SlowDown"},
		{name: "failing", status: http.StatusInternalServerError, code: "InternalError", logged: "InternalError"},
		{name: "access denied", status: http.StatusForbidden, code: "AccessDenied", logged: "S3.AccessDenied"},
		{name: "bucket gone", status: http.StatusNotFound, code: "NoSuchBucket", logged: "S3.NoSuchBucket"},
		{name: "down", hangUp: true, logged: "InternalError"},
		{name: "slow", delay: 300 * time.Millisecond},
	}
	logFile := filepath.Join(dir, "logs", "aws", "kinesisfirehose", "outage", "S3Delivery.log")
	for _, ph := range phases {
		before := errorCodes(t, logFile)[ph.logged]
		flaky.failed.Store(0)
		flaky.mode.Store(&ph)
		// A phase lasts until delivery has met it: the S3 client's own
		// retries hide single failed requests, so wait for the pipeline's
		// error log to show the phase's code.
		waitFor(t, "phase "+ph.name, func() bool {
			if ph.logged == "" {
				return flaky.failed.Load() >= 2
			}
			return errorCodes(t, logFile)[ph.logged] > before
		})
	}
	flaky.mode.Store(nil)
	close(stop)
	wg.Wait()

	mu.Lock()
	want := len(acked)
	mu.Unlock()
	if want == 0 {
		t.Fatal("nothing acknowledged")
	}
	stored := map[string]int{}
	waitFor(t, "every acknowledged record stored after the outage", func() bool {
		clear(stored)
		for _, o := range fake.objects(t, "outage", "") {
			for _, l := range gunzipLines(t, o.Key, o.Body) {
				stored[l]++
			}
		}
		for id := range acked {
			if stored[id] == 0 {
				return false
			}
		}
		return true
	})
	dups := 0
	for _, n := range stored {
		dups += n - 1
	}
	if len(stored) != want {
		t.Fatalf("%d distinct records stored, %d acknowledged", len(stored), want)
	}
	if dups != 0 {
		t.Fatalf("%d duplicates without a crash", dups)
	}

	codes := errorCodes(t, logFile)
	t.Logf("%d records acknowledged and stored once each through %d outage phases; error log codes %v", want, len(phases), codes)
}

// errorCodes counts the error codes in a stream's error log file.
func errorCodes(t *testing.T, path string) map[string]int {
	t.Helper()
	codes := map[string]int{}
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return codes
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var rec struct{ ErrorCode string }
		if l == "" {
			continue
		}
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			continue // a line being written
		}
		codes[rec.ErrorCode]++
	}
	return codes
}
