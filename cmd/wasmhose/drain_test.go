package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	"github.com/aws/aws-sdk-go-v2/service/firehose/types"
)

// storedLines counts each newline-terminated record in a bucket of the
// local store (uncompressed objects).
func storedLines(t *testing.T, dataDir, bucket string) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, b := range objects(t, dataDir, bucket) {
		for _, l := range strings.SplitAfter(string(b), "\n") {
			if l != "" {
				out[l]++
			}
		}
	}
	return out
}

// waitExit waits for the child to exit after a signal, failing if it has
// not within limit (a liveness bound, far above the drain deadline).
func (c *child) waitExit(t *testing.T, limit time.Duration) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- c.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("server exited with %v after SIGTERM\n%s", err, c.out.unexpected())
		}
	case <-time.After(limit):
		_ = c.cmd.Process.Kill()
		t.Fatalf("server still running %s after SIGTERM", limit)
	}
}

// produce sends batches of 50 records to name from n goroutines until stop
// closes, and returns the acknowledged records once they have returned.
func produce(c *firehose.Client, name string, n int, stop <-chan struct{}) (wait func() map[string]bool) {
	var (
		mu    sync.Mutex
		acked = map[string]bool{}
		wg    sync.WaitGroup
	)
	for w := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := 0; ; b++ {
				select {
				case <-stop:
					return
				default:
				}
				recs := make([]types.Record, 50)
				for i := range recs {
					recs[i] = types.Record{Data: fmt.Appendf(nil, "%s-w%d-b%d-i%d\n", name, w, b, i)}
				}
				out, err := c.PutRecordBatch(context.Background(), &firehose.PutRecordBatchInput{DeliveryStreamName: aws.String(name), Records: recs})
				if err != nil {
					time.Sleep(10 * time.Millisecond) // shutting down: refused, not acknowledged
					continue
				}
				mu.Lock()
				for i, r := range out.RequestResponses {
					if r.RecordId != nil {
						acked[string(recs[i].Data)] = true
					}
				}
				mu.Unlock()
			}
		}()
	}
	return func() map[string]bool {
		wg.Wait()
		mu.Lock()
		defer mu.Unlock()
		return acked
	}
}

// TestSIGTERMDrainsUnderLoad: SIGTERM during sustained load stops
// accepting, flushes every buffer (here 15 minutes from their interval) and
// finishes the uploads before the process exits: every acknowledged record
// is in the destination without a restart.
func TestSIGTERMDrainsUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("child process: skipped in -short mode")
	}
	dir := t.TempDir()
	srv := startChild(t, dir)
	c := srv.client()
	for _, name := range []string{"drain-a", "drain-b"} {
		createStream(t, c, name, &types.ExtendedS3DestinationConfiguration{
			BucketARN:      aws.String("arn:aws:s3:::drain"),
			Prefix:         aws.String(name + "/"),
			BufferingHints: &types.BufferingHints{SizeInMBs: aws.Int32(128), IntervalInSeconds: aws.Int32(900)},
		})
	}
	stop := make(chan struct{})
	waitA, waitB := produce(c, "drain-a", 2, stop), produce(c, "drain-b", 2, stop)
	waitFor(t, "records buffered", func() bool {
		return scrape(t, srv.addr, `wasmhose_buffered_records{stream="drain-b"}`) > 1000
	})
	if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	srv.waitExit(t, 60*time.Second)
	close(stop)
	acked := waitA()
	for k := range waitB() {
		acked[k] = true
	}
	stored := storedLines(t, dir, "drain")
	for r := range acked {
		if stored[r] != 1 {
			t.Fatalf("acknowledged record %q stored %d times after SIGTERM", r, stored[r])
		}
	}
	if len(stored) != len(acked) {
		t.Fatalf("%d records stored, %d acknowledged", len(stored), len(acked))
	}
	t.Logf("SIGTERM under load: %d acknowledged records all stored before exit", len(acked))
}

// TestSIGTERMDeadline: with the destination down, SIGTERM still ends the
// process once delivery.drainTimeout has passed; the records it could not
// store stay in the write-ahead log and are delivered after the next start.
func TestSIGTERMDeadline(t *testing.T) {
	if testing.Short() {
		t.Skip("child process: skipped in -short mode")
	}
	dir := t.TempDir()
	cfg := filepath.Join(t.TempDir(), "wasmhose.yaml")
	if err := os.WriteFile(cfg, []byte("delivery:\n  drainTimeout: 2s\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "s3"), 0o755); err != nil {
		t.Fatal(err)
	}
	blocker := filepath.Join(dir, "s3", "down")
	if err := os.WriteFile(blocker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	srv := startChild(t, dir, "--config", cfg)
	c := srv.client()
	createStream(t, c, "late", &types.ExtendedS3DestinationConfiguration{
		BucketARN:      aws.String("arn:aws:s3:::down"),
		BufferingHints: &types.BufferingHints{SizeInMBs: aws.Int32(1), IntervalInSeconds: aws.Int32(0)},
	})
	stop := make(chan struct{})
	wait := produce(c, "late", 2, stop)
	waitFor(t, "failed deliveries", func() bool {
		return scrape(t, srv.addr, `wasmhose_delivery_to_s3_calls_total{result="failure",stream="late"}`) >= 3
	})
	close(stop)
	acked := wait()
	if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	srv.waitExit(t, 30*time.Second) // 2 s of drain, plus the HTTP shutdown's bound
	if err := os.Remove(blocker); err != nil {
		t.Fatal(err)
	}
	srv = startChild(t, dir, "--config", cfg)
	defer srv.term(t)
	waitFor(t, "the records left in the log delivered after the restart", func() bool {
		return len(storedLines(t, dir, "down")) >= len(acked)
	})
	stored := storedLines(t, dir, "down")
	for r := range acked {
		if stored[r] == 0 {
			t.Fatalf("acknowledged record %q lost", r)
		}
	}
}
