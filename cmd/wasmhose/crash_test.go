package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	"github.com/aws/aws-sdk-go-v2/service/firehose/types"
)

// TestMain lets the test binary act as the wasmhose binary, so the crash
// test can SIGKILL a real server process without building one.
func TestMain(m *testing.M) {
	if args := os.Getenv("WASMHOSE_TEST_RUN"); args != "" {
		os.Exit(run(strings.Fields(args), os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// child is a wasmhose server process.
type child struct {
	cmd  *exec.Cmd
	addr string
}

// startChild starts `serve` on an ephemeral port in a child process; extra
// are more serve flags (no spaces inside one).
func startChild(t *testing.T, dataDir string, extra ...string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "WASMHOSE_TEST_RUN=serve --listen 127.0.0.1:0 --data-dir "+dataDir+" "+strings.Join(extra, " "))
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addrc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sent := false
		for sc.Scan() {
			var line struct {
				Msg, Addr string
			}
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "wasmhose serving" && !sent {
				addrc <- line.Addr
				sent = true
			}
		}
	}()
	select {
	case addr := <-addrc:
		return &child{cmd: cmd, addr: addr}
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("child server did not start")
		return nil
	}
}

func (c *child) kill() { _ = c.cmd.Process.Signal(syscall.SIGKILL); _ = c.cmd.Wait() }
func (c *child) term(t *testing.T) {
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	if err := c.cmd.Wait(); err != nil {
		t.Errorf("server exited with %v after SIGTERM", err)
	}
}

func (c *child) client() *firehose.Client {
	return (&testServer{addr: c.addr}).client()
}

// delivered counts each record id found in the stream's gzip objects.
func delivered(t *testing.T, dataDir string) map[string]int {
	t.Helper()
	seen := map[string]int{}
	for k, b := range objects(t, dataDir, "crash-bucket") {
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		raw, err := io.ReadAll(zr)
		if err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		for _, l := range strings.Split(strings.TrimSuffix(string(raw), "\n"), "\n") {
			seen[l]++
		}
	}
	return seen
}

// TestCrashLosesNothingAcknowledged SIGKILLs the server at random moments
// while producers send batches, restarts it on the same data dir, and checks
// that every acknowledged record reaches the object store.
func TestCrashLosesNothingAcknowledged(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test: skipped in -short mode")
	}
	dir := t.TempDir()
	rounds := 4
	var (
		mu    sync.Mutex
		acked = map[string]bool{}
	)
	srv := startChild(t, dir)
	c := srv.client()
	ctx := context.Background()
	if _, err := c.CreateDeliveryStream(ctx, &firehose.CreateDeliveryStreamInput{DeliveryStreamName: aws.String("crash"),
		ExtendedS3DestinationConfiguration: &types.ExtendedS3DestinationConfiguration{
			RoleARN: aws.String(roleARN), BucketARN: aws.String("arn:aws:s3:::crash-bucket"), CompressionFormat: types.CompressionFormatGzip,
			BufferingHints: &types.BufferingHints{SizeInMBs: aws.Int32(1), IntervalInSeconds: aws.Int32(1)},
		}}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "ACTIVE", func() bool {
		d, err := c.DescribeDeliveryStream(ctx, &firehose.DescribeDeliveryStreamInput{DeliveryStreamName: aws.String("crash")})
		return err == nil && d.DeliveryStreamDescription.DeliveryStreamStatus == types.DeliveryStreamStatusActive
	})
	for round := range rounds {
		c := srv.client()
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for w := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for n := 0; ; n++ {
					select {
					case <-stop:
						return
					default:
					}
					recs := make([]types.Record, 100)
					ids := make([]string, 100)
					for i := range recs {
						ids[i] = fmt.Sprintf("r%d-w%d-n%d-i%d", round, w, n, i)
						recs[i] = types.Record{Data: []byte(ids[i] + "\n")}
					}
					out, err := c.PutRecordBatch(ctx, &firehose.PutRecordBatchInput{DeliveryStreamName: aws.String("crash"), Records: recs})
					if err != nil {
						continue // the server died mid-request: not acknowledged
					}
					mu.Lock()
					for i, r := range out.RequestResponses {
						if r.RecordId != nil {
							acked[ids[i]] = true
						}
					}
					mu.Unlock()
				}
			}()
		}
		time.Sleep(time.Duration(200+rand.IntN(600)) * time.Millisecond) // the kill lands at a random moment
		srv.kill()
		close(stop)
		wg.Wait()
		srv = startChild(t, dir)
	}
	mu.Lock()
	want := len(acked)
	mu.Unlock()
	if want == 0 {
		t.Fatal("no record was acknowledged: the test measured nothing")
	}
	var seen map[string]int
	waitFor(t, "every acknowledged record delivered after the restarts", func() bool {
		seen = delivered(t, dir)
		for id := range acked {
			if seen[id] == 0 {
				return false
			}
		}
		return true
	})
	srv.term(t)
	dups := 0
	for id, n := range seen {
		if acked[id] && n > 1 {
			dups += n - 1
		}
	}
	t.Logf("%d rounds: %d records acknowledged, all delivered; %d duplicates (%.2f%%); %d unacknowledged records also delivered",
		rounds, want, dups, 100*float64(dups)/float64(want), len(seen)-want)
}
