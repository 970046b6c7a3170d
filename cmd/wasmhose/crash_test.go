package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	"github.com/aws/aws-sdk-go-v2/service/firehose/types"
	"github.com/aws/aws-sdk-go-v2/service/glue"
	gluetypes "github.com/aws/aws-sdk-go-v2/service/glue/types"
)

// TestMain lets the test binary act as the wasmhose binary, so the crash
// test can SIGKILL a real server process without building one.
func TestMain(m *testing.M) {
	if args := os.Getenv("WASMHOSE_TEST_RUN"); args != "" {
		os.Exit(run(strings.Fields(args), os.Stdout, os.Stderr))
	}
	// Every server of the run, in process or child, shares one compilation
	// cache: compiling the built-in plugins takes seconds (tens under -race
	// on a busy machine), once per run instead of once per test.
	dir, err := os.MkdirTemp("", "wasmhose-compile-cache-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	compileCache = dir
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// compileCache is the run's shared plugin compilation cache (TestMain).
var compileCache string

// child is a wasmhose server process.
type child struct {
	cmd  *exec.Cmd
	addr string
	out  *childOutput
}

// childOutput reads a child server's stderr line by line: it passes the
// address of the "wasmhose serving" line on, and keeps the lines that are
// not the service's JSON log (a race report, a panic) to show if the
// child exits badly.
type childOutput struct {
	addrc chan string
	mu    sync.Mutex
	part  []byte
	other []string
	sent  bool
}

// Write implements io.Writer; exec.Cmd copies the child's stderr into it,
// and Wait returns only once the copy is done.
func (o *childOutput) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.part = append(o.part, p...)
	for {
		i := bytes.IndexByte(o.part, '\n')
		if i < 0 {
			return len(p), nil
		}
		line := o.part[:i]
		var l struct{ Msg, Addr string }
		switch {
		case json.Unmarshal(line, &l) != nil:
			if len(o.other) < 400 {
				o.other = append(o.other, string(line))
			}
		case l.Msg == "wasmhose serving" && !o.sent:
			o.addrc <- l.Addr
			o.sent = true
		}
		o.part = o.part[i+1:]
	}
}

// unexpected returns the child's stderr lines that were not its JSON log.
func (o *childOutput) unexpected() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return strings.Join(o.other, "\n")
}

// startChild starts `serve` on an ephemeral port in a child process; extra
// are more serve flags (no spaces inside one).
func startChild(t *testing.T, dataDir string, extra ...string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "WASMHOSE_TEST_RUN=serve --listen 127.0.0.1:0 --data-dir "+dataDir+" --compilation-cache "+compileCache+" "+strings.Join(extra, " "))
	out := &childOutput{addrc: make(chan string, 1)}
	cmd.Stderr = out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case addr := <-out.addrc:
		return &child{cmd: cmd, addr: addr, out: out}
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatalf("child server did not start\n%s", out.unexpected())
		return nil
	}
}

func (c *child) kill() { _ = c.cmd.Process.Signal(syscall.SIGKILL); _ = c.cmd.Wait() }
func (c *child) term(t *testing.T) {
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	if err := c.cmd.Wait(); err != nil {
		t.Errorf("server exited with %v after SIGTERM\n%s", err, c.out.unexpected())
	}
}

func (c *child) client() *firehose.Client {
	return (&testServer{addr: c.addr}).client()
}

// delivered counts each record id found in a bucket's gzip objects.
func delivered(t *testing.T, dataDir, bucket string) map[string]int {
	t.Helper()
	seen := map[string]int{}
	for k, b := range objects(t, dataDir, bucket) {
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

// deliveredParquet counts each id found in a bucket's Parquet objects,
// read with arrow-go's Parquet reader.
func deliveredParquet(t *testing.T, dataDir, bucket string) map[string]int {
	t.Helper()
	seen := map[string]int{}
	for _, b := range objects(t, dataDir, bucket) {
		for _, id := range deliveredParquetRows(t, b) {
			seen[id]++
		}
	}
	return seen
}

// deliveredParquetRows returns the first column, a string column, of a
// Parquet object, read with arrow-go's Parquet reader.
func deliveredParquetRows(t *testing.T, b []byte) []string {
	t.Helper()
	pf, err := file.NewParquetReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer pf.Close()
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := fr.ReadTable(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer tbl.Release()
	var out []string
	for _, chunk := range tbl.Column(0).Data().Chunks() {
		ids := chunk.(*array.String)
		for i := range ids.Len() {
			out = append(out, ids.Value(i))
		}
	}
	return out
}

// createCrashTable creates the Parquet stream's table through the Glue API.
func createCrashTable(t *testing.T, addr string) {
	t.Helper()
	g := (&testServer{addr: addr}).glueClient("test", "test")
	ctx := context.Background()
	if _, err := g.CreateDatabase(ctx, &glue.CreateDatabaseInput{DatabaseInput: &gluetypes.DatabaseInput{Name: aws.String("crash")}}); err != nil {
		t.Fatal(err)
	}
	if _, err := g.CreateTable(ctx, &glue.CreateTableInput{DatabaseName: aws.String("crash"), TableInput: &gluetypes.TableInput{
		Name: aws.String("ids"), StorageDescriptor: &gluetypes.StorageDescriptor{Columns: glueCols("id", "string")},
	}}); err != nil {
		t.Fatal(err)
	}
}

// crashRounds is the number of kills in TestCrashLosesNothingAcknowledged:
// WASMHOSE_CRASH_ROUNDS, else 10.
func crashRounds(t *testing.T) int {
	if v := os.Getenv("WASMHOSE_CRASH_ROUNDS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("WASMHOSE_CRASH_ROUNDS=%q: want a positive number", v)
		}
		return n
	}
	return 10
}

// crashSeed seeds the kill moments: WASMHOSE_CRASH_SEED to replay a run,
// else the clock. It is logged either way.
func crashSeed(t *testing.T) uint64 {
	if v := os.Getenv("WASMHOSE_CRASH_SEED"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("WASMHOSE_CRASH_SEED=%q: %v", v, err)
		}
		return n
	}
	return uint64(time.Now().UnixNano())
}

// TestCrashLosesNothingAcknowledged SIGKILLs the server at random moments
// (seeded; the seed is logged) while producers send batches to three
// streams, one transforming every record in a Wasm plugin and one converting
// JSON to Parquet, restarts it on the same data dir, and repeats. The
// write-ahead log is cut into 1 MiB segments and the buffers flush every
// second, so kills land during ingest, buffering, plugin calls, conversion,
// compression, uploads and log truncation. At the end every acknowledged record must be stored; records
// stored more than once are counted and reported as the duplicate rate.
func TestCrashLosesNothingAcknowledged(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test: skipped in -short mode")
	}
	rounds, seed := crashRounds(t), crashSeed(t)
	rng := rand.New(rand.NewPCG(seed, seed^0x5eed))
	t.Logf("crash test: %d rounds, seed %d (rerun with WASMHOSE_CRASH_SEED=%d WASMHOSE_CRASH_ROUNDS=%d)", rounds, seed, seed, rounds)
	dir := t.TempDir()
	cfg := filepath.Join(t.TempDir(), "wasmhose.yaml")
	if err := os.WriteFile(cfg, []byte("wal:\n  segmentBytes: 1048576\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	streams := []struct {
		name, bucket    string
		plugin, parquet bool
	}{
		{name: "crash", bucket: "crash-bucket"},
		{name: "crash-plugin", bucket: "crash-plugin-bucket", plugin: true},
		{name: "crash-parquet", bucket: "crash-parquet-bucket", parquet: true},
	}
	var (
		mu    sync.Mutex
		acked = map[string]map[string]bool{}
	)
	srv := startChild(t, dir, "--config", cfg)
	c := srv.client()
	ctx := context.Background()
	createCrashTable(t, srv.addr)
	for _, st := range streams {
		acked[st.name] = map[string]bool{}
		dest := &types.ExtendedS3DestinationConfiguration{
			BucketARN: aws.String("arn:aws:s3:::" + st.bucket), CompressionFormat: types.CompressionFormatGzip,
			BufferingHints: &types.BufferingHints{SizeInMBs: aws.Int32(1), IntervalInSeconds: aws.Int32(1)},
		}
		if st.plugin {
			dest.ProcessingConfiguration = &types.ProcessingConfiguration{Enabled: aws.Bool(true), Processors: []types.Processor{
				{Type: types.ProcessorTypeLambda, Parameters: []types.ProcessorParameter{{ParameterName: types.ProcessorParameterNameLambdaArn,
					ParameterValue: aws.String("arn:aws:lambda:us-east-1:000000000000:function:process-record")},
					{ParameterName: types.ProcessorParameterNameBufferIntervalInSeconds, ParameterValue: aws.String("1")}}}}}
		}
		if st.parquet {
			dest.CompressionFormat = types.CompressionFormatUncompressed
			dest.BufferingHints.SizeInMBs = aws.Int32(64)
			dest.DataFormatConversionConfiguration = &types.DataFormatConversionConfiguration{
				SchemaConfiguration:       &types.SchemaConfiguration{RoleARN: aws.String(roleARN), DatabaseName: aws.String("crash"), TableName: aws.String("ids")},
				InputFormatConfiguration:  &types.InputFormatConfiguration{Deserializer: &types.Deserializer{OpenXJsonSerDe: &types.OpenXJsonSerDe{}}},
				OutputFormatConfiguration: &types.OutputFormatConfiguration{Serializer: &types.Serializer{ParquetSerDe: &types.ParquetSerDe{}}},
			}
		}
		createStream(t, c, st.name, dest)
	}
	for round := range rounds {
		c := srv.client()
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for w := range 2 * len(streams) {
			st := streams[w%len(streams)]
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
						if st.parquet {
							recs[i].Data = []byte(`{"id":"` + ids[i] + `"}`)
						}
					}
					out, err := c.PutRecordBatch(ctx, &firehose.PutRecordBatchInput{DeliveryStreamName: aws.String(st.name), Records: recs})
					if err != nil {
						continue // the server died mid-request: not acknowledged
					}
					mu.Lock()
					for i, r := range out.RequestResponses {
						if r.RecordId != nil {
							acked[st.name][ids[i]] = true
						}
					}
					mu.Unlock()
				}
			}()
		}
		// The kill lands at a random moment of sustained load.
		time.Sleep(time.Duration(200+rng.IntN(1300)) * time.Millisecond)
		srv.kill()
		close(stop)
		wg.Wait()
		srv = startChild(t, dir, "--config", cfg)
	}
	total, totalDups := 0, 0
	for _, st := range streams {
		mu.Lock()
		want := acked[st.name]
		mu.Unlock()
		if len(want) == 0 {
			t.Fatalf("stream %s: no record was acknowledged: the test measured nothing", st.name)
		}
		var seen map[string]int
		waitFor(t, "every acknowledged record of "+st.name+" delivered after the restarts", func() bool {
			if st.parquet {
				seen = deliveredParquet(t, dir, st.bucket)
			} else {
				seen = delivered(t, dir, st.bucket)
			}
			for id := range want {
				if seen[id] == 0 {
					return false
				}
			}
			return true
		})
		dups, extra := 0, 0
		for id, n := range seen {
			if want[id] {
				dups += n - 1
			} else {
				extra++
			}
		}
		total += len(want)
		totalDups += dups
		t.Logf("stream %s: %d records acknowledged, all delivered; %d duplicates (%.3f%%); %d unacknowledged records also delivered",
			st.name, len(want), dups, 100*float64(dups)/float64(len(want)), extra)
	}
	srv.term(t)
	t.Logf("%d kills (seed %d): %d records acknowledged, none lost; duplicate rate %.3f%% (%d)",
		rounds, seed, total, 100*float64(totalDups)/float64(total), totalDups)
}
