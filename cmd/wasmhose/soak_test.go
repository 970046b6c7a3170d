package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	"github.com/aws/aws-sdk-go-v2/service/firehose/types"
	"github.com/aws/aws-sdk-go-v2/service/glue"
	gluetypes "github.com/aws/aws-sdk-go-v2/service/glue/types"
)

// soakDuration is how long TestSoak loads the server:
// WASMHOSE_SOAK_DURATION (make soak: 10m), else 45 s, CI's short run.
func soakDuration(t *testing.T) (run, every time.Duration) {
	run, every = 45*time.Second, 3*time.Second
	if v := os.Getenv("WASMHOSE_SOAK_DURATION"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 10*time.Second {
			t.Fatalf("WASMHOSE_SOAK_DURATION=%q: want a duration of at least 10s", v)
		}
		run, every = d, max(3*time.Second, d/60)
	}
	return run, every
}

// soakStream is one stream of the soak's mixed load.
type soakStream struct {
	name   string
	dest   func() *types.ExtendedS3DestinationConfiguration
	record func(w, n, i int) []byte
}

// lambda is a processing configuration running a built-in plugin.
func lambda(fn string) *types.ProcessingConfiguration {
	return &types.ProcessingConfiguration{Enabled: aws.Bool(true), Processors: []types.Processor{
		{Type: types.ProcessorTypeLambda, Parameters: []types.ProcessorParameter{{ParameterName: types.ProcessorParameterNameLambdaArn,
			ParameterValue: aws.String("arn:aws:lambda:us-east-1:000000000000:function:" + fn)},
			{ParameterName: types.ProcessorParameterNameBufferIntervalInSeconds, ParameterValue: aws.String("1")}}}}}
}

// soakStreams is the soak's stream mix: plain streams with different
// compression and buffering, two Wasm plugin streams, and a format
// conversion stream (JSON → Parquet with the soak.events table that
// TestSoak creates through the Glue API).
func soakStreams() []soakStream {
	jsonRec := func(w, n, i int) []byte {
		return fmt.Appendf(nil, `{"w":%d,"n":%d,"i":%d,"page":"/p/%d","ua":"soak"}`+"\n", w, n, i, i%37)
	}
	dest := func(bucket string, f types.CompressionFormat, mb, sec int32, proc *types.ProcessingConfiguration) func() *types.ExtendedS3DestinationConfiguration {
		return func() *types.ExtendedS3DestinationConfiguration {
			return &types.ExtendedS3DestinationConfiguration{BucketARN: aws.String("arn:aws:s3:::" + bucket), CompressionFormat: f,
				BufferingHints: &types.BufferingHints{SizeInMBs: aws.Int32(mb), IntervalInSeconds: aws.Int32(sec)}, ProcessingConfiguration: proc}
		}
	}
	return []soakStream{
		{name: "soak-gzip", dest: dest("soak", types.CompressionFormatGzip, 1, 2, nil), record: jsonRec},
		{name: "soak-snappy", dest: dest("soak", types.CompressionFormatSnappy, 5, 5, nil), record: jsonRec},
		{name: "soak-plain", dest: dest("soak", types.CompressionFormatUncompressed, 1, 1, nil), record: jsonRec},
		{name: "soak-plugin", dest: dest("soak", types.CompressionFormatGzip, 1, 2, lambda("process-record")), record: jsonRec},
		{name: "soak-apache", dest: dest("soak", types.CompressionFormatGzip, 1, 2, lambda("apachelog-to-json")),
			record: func(w, n, i int) []byte {
				return fmt.Appendf(nil, `10.0.%d.%d - frank [10/Oct/2025:13:55:36 -0700] "GET /item/%d HTTP/1.1" 200 %d "http://example.com/start" "Mozilla/5.0 (soak)"`,
					w, i%250, n, 1000+i)
			}},
		{name: "soak-parquet", record: jsonRec, dest: func() *types.ExtendedS3DestinationConfiguration {
			return &types.ExtendedS3DestinationConfiguration{BucketARN: aws.String("arn:aws:s3:::soak"), Prefix: aws.String("parquet/"),
				BufferingHints: &types.BufferingHints{SizeInMBs: aws.Int32(64), IntervalInSeconds: aws.Int32(2)},
				DataFormatConversionConfiguration: &types.DataFormatConversionConfiguration{
					SchemaConfiguration:       &types.SchemaConfiguration{RoleARN: aws.String(roleARN), DatabaseName: aws.String("soak"), TableName: aws.String("events")},
					InputFormatConfiguration:  &types.InputFormatConfiguration{Deserializer: &types.Deserializer{OpenXJsonSerDe: &types.OpenXJsonSerDe{}}},
					OutputFormatConfiguration: &types.OutputFormatConfiguration{Serializer: &types.Serializer{ParquetSerDe: &types.ParquetSerDe{}}},
				}}
		}},
	}
}

// createSoakTable creates the conversion stream's table through the Glue API.
func createSoakTable(t *testing.T, addr string) {
	t.Helper()
	g := (&testServer{addr: addr}).glueClient("test", "test")
	ctx := context.Background()
	if _, err := g.CreateDatabase(ctx, &glue.CreateDatabaseInput{DatabaseInput: &gluetypes.DatabaseInput{Name: aws.String("soak")}}); err != nil {
		t.Fatal(err)
	}
	if _, err := g.CreateTable(ctx, &glue.CreateTableInput{DatabaseName: aws.String("soak"), TableInput: &gluetypes.TableInput{
		Name: aws.String("events"), StorageDescriptor: &gluetypes.StorageDescriptor{Columns: glueCols("w", "int", "n", "bigint", "i", "int", "page", "string", "ua", "string")},
	}}); err != nil {
		t.Fatal(err)
	}
}

// procSample is one sample of the server process.
type procSample struct {
	at         time.Duration
	rssKiB     int64
	fds        int
	goroutines int
	records    int64 // acknowledged so far
}

// sampleProc reads the server's RSS and open files from /proc and its
// goroutines from /metrics.
func sampleProc(t *testing.T, pid int, addr string) (rssKiB int64, fds, goroutines int) {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			rssKiB, _ = strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		}
	}
	des, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		t.Fatal(err)
	}
	return rssKiB, len(des), int(scrape(t, addr, "go_goroutines"))
}

// thirds returns the means of the first and last thirds of xs.
func thirds(xs []float64) (first, last float64) {
	k := max(1, len(xs)/3)
	for _, x := range xs[:k] {
		first += x
	}
	for _, x := range xs[len(xs)-k:] {
		last += x
	}
	return first / float64(k), last / float64(k)
}

// TestSoak runs a mixed load (several streams, two of them Wasm plugins, one
// converting to Parquet;
// PutRecord and PutRecordBatch) against a server process and samples its
// RSS, open files and goroutines. It fails only on a clear upward trend:
// the mean of the last third of the samples against the first third, with
// generous slack. At the end every acknowledged record must be delivered.
// CI runs 45 s; `make soak` runs 10 minutes and prints the table that
// BENCHMARKS.md records.
func TestSoak(t *testing.T) {
	if testing.Short() {
		t.Skip("soak: skipped in -short mode")
	}
	run, every := soakDuration(t)
	dir := t.TempDir()
	srv := startChild(t, dir)
	defer srv.term(t)
	c := srv.client()
	streams := soakStreams()
	createSoakTable(t, srv.addr)
	for _, s := range streams {
		createStream(t, c, s.name, s.dest())
	}
	ctx := context.Background()
	var acked, refused atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 2 * len(streams) {
		s := streams[w%len(streams)]
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				if n%10 == 9 { // one call in ten is a PutRecord
					_, err := c.PutRecord(ctx, &firehose.PutRecordInput{DeliveryStreamName: aws.String(s.name), Record: &types.Record{Data: s.record(w, n, 0)}})
					if err == nil {
						acked.Add(1)
					} else {
						refused.Add(1)
					}
				} else {
					recs := make([]types.Record, 100)
					for i := range recs {
						recs[i] = types.Record{Data: s.record(w, n, i)}
					}
					out, err := c.PutRecordBatch(ctx, &firehose.PutRecordBatchInput{DeliveryStreamName: aws.String(s.name), Records: recs})
					if err != nil {
						t.Errorf("PutRecordBatch %s: %v", s.name, err)
						return
					}
					acked.Add(int64(len(recs)) - int64(aws.ToInt32(out.FailedPutCount)))
					refused.Add(int64(aws.ToInt32(out.FailedPutCount)))
				}
				time.Sleep(15 * time.Millisecond) // a steady load that leaves the machine usable
			}
		}()
	}
	pid := srv.cmd.Process.Pid
	start := time.Now()
	var samples []procSample
	tick := time.NewTicker(every)
	for time.Since(start) < run {
		<-tick.C
		rss, fds, g := sampleProc(t, pid, srv.addr)
		samples = append(samples, procSample{at: time.Since(start).Round(time.Second), rssKiB: rss, fds: fds, goroutines: g, records: acked.Load()})
	}
	tick.Stop()
	close(stop)
	wg.Wait()

	var table strings.Builder
	fmt.Fprintf(&table, "| t | RSS | open files | goroutines | records acknowledged |\n|---|---|---|---|---|\n")
	for _, s := range samples {
		fmt.Fprintf(&table, "| %s | %d MiB | %d | %d | %d |\n", s.at, s.rssKiB>>10, s.fds, s.goroutines, s.records)
	}
	t.Logf("soak %s, a sample every %s, %d streams (2 with Wasm plugins, 1 converting to Parquet), %d records acknowledged (%.0f/s), %d refused:\n%s",
		run, every, len(streams), acked.Load(), float64(acked.Load())/run.Seconds(), refused.Load(), table.String())

	// Flat, not growing: the first samples include warm-up, so they are
	// the high side of a fair comparison, and the slack is generous.
	series := func(f func(procSample) float64) []float64 {
		var out []float64
		for _, s := range samples[1:] {
			out = append(out, f(s))
		}
		return out
	}
	checks := []struct {
		what  string
		xs    []float64
		slack float64
	}{
		{"RSS (KiB)", series(func(s procSample) float64 { return float64(s.rssKiB) }), 96 << 10},
		{"open files", series(func(s procSample) float64 { return float64(s.fds) }), 20},
		{"goroutines", series(func(s procSample) float64 { return float64(s.goroutines) }), 50},
	}
	for _, ck := range checks {
		first, last := thirds(ck.xs)
		if last > first*1.5+ck.slack {
			t.Errorf("%s grows: mean %.0f in the first third, %.0f in the last", ck.what, first, last)
		}
	}

	// Everything acknowledged is delivered (plugins return every record Ok).
	var in, out float64
	waitFor(t, "every acknowledged record delivered", func() bool {
		in, out = 0, 0
		for _, s := range streams {
			in += scrape(t, srv.addr, fmt.Sprintf(`wasmhose_incoming_records_total{stream=%q}`, s.name))
			out += scrape(t, srv.addr, fmt.Sprintf(`wasmhose_delivery_to_s3_records_total{stream=%q}`, s.name))
		}
		return out >= in
	})
	// Incoming may exceed acknowledged: the SDK resends a call whose answer
	// it did not get (a timeout, a reset connection), and the server has
	// then accepted the records twice. Delivered must equal incoming.
	if int64(in) < acked.Load() || out != in {
		t.Fatalf("acknowledged %d, incoming %.0f, delivered %.0f", acked.Load(), in, out)
	}
	t.Logf("acknowledged %d, incoming %.0f (%d resent by the SDK), delivered %.0f", acked.Load(), in, int64(in)-acked.Load(), out)
}
