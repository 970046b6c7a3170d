package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	"github.com/aws/aws-sdk-go-v2/service/firehose/types"

	"github.com/wasmhose/wasmhose/host/api"
	"github.com/wasmhose/wasmhose/host/deliver"
	"github.com/wasmhose/wasmhose/host/objstore"
	"github.com/wasmhose/wasmhose/host/pluginstore"
	"github.com/wasmhose/wasmhose/host/service"
	"github.com/wasmhose/wasmhose/host/wal"
	"github.com/wasmhose/wasmhose/plugins"
	wasmrt "github.com/wasmhose/wasmhose/runtime"
)

// hostileStack is the service as serve assembles it (plugin runtime and
// store, local object store, service, Firehose API), with a 1 s plugin
// deadline instead of 30 s so runaway plugins are stopped quickly (not
// shorter: a first instantiation under -race must fit in it).
type hostileStack struct {
	dir    string
	client *firehose.Client
	svc    *service.Service
}

func startHostileStack(t *testing.T) *hostileStack {
	t.Helper()
	st, stop := openHostileStack(t, t.TempDir())
	t.Cleanup(stop)
	return st
}

// openHostileStack assembles the stack over dir; stop closes it (the
// service first, within 5 s, as SIGTERM does).
func openHostileStack(t *testing.T, dir string) (*hostileStack, func()) {
	t.Helper()
	ctx := context.Background()
	var closers []func()
	stop := func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}
	ok := false
	defer func() {
		if !ok {
			stop()
		}
	}()
	pluginDir := filepath.Join(dir, pluginstore.DirName)
	rt, err := wasmrt.New(ctx, wasmrt.NewConfig().WithBatchTimeout(2*time.Second).
		WithCompilationCacheDir(pluginstore.CompilationCacheDir(pluginDir)))
	if err != nil {
		t.Fatal(err)
	}
	closers = append(closers, func() { _ = rt.Close(ctx) })
	plugs, err := pluginstore.Open(pluginDir, plugins.Catalogue(), rt, nil)
	if err != nil {
		t.Fatal(err)
	}
	closers = append(closers, func() { _ = plugs.Close(ctx) })
	local, err := objstore.NewLocal(filepath.Join(dir, "s3"))
	if err != nil {
		t.Fatal(err)
	}
	closers = append(closers, func() { _ = local.Close() })
	svc, err := service.New(service.Options{DataDir: dir, Store: local, Transforms: plugs, Log: wal.Options{NoSync: true},
		RetryBase: 10 * time.Millisecond, RetryMax: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	closers = append(closers, func() {
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if err := svc.Close(cctx); err != nil {
			t.Errorf("service close: %v", err)
		}
	})
	srv := httptest.NewServer(api.New(svc, api.Options{}))
	closers = append(closers, srv.Close)
	c := firehose.New(firehose.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""), HTTPClient: &http.Client{Timeout: 30 * time.Second}})
	ok = true
	return &hostileStack{dir: dir, client: c, svc: svc}, stop
}

// TestStartSectionTurnsHostileAfterRestart is issue #13 item 1: a module
// whose start section loops only once some time has passed installs, runs,
// and after a restart neither keeps the service from starting and
// answering nor from shutting down; its batches fail into processing-failed
// after the deadline.
func TestStartSectionTurnsHostileAfterRestart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	wasm, err := os.ReadFile(wat("startlate"))
	if err != nil {
		t.Fatal(err)
	}
	at := time.Now().Add(2 * time.Second)
	i := bytes.Index(wasm, []byte("LATELATE"))
	binary.LittleEndian.PutUint64(wasm[i:], uint64(at.UnixNano()))
	file := filepath.Join(t.TempDir(), "startlate.wasm")
	if err := os.WriteFile(file, wasm, 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := runCLI("plugin", "install", "--data-dir", dir, "--timeout", "2s", "--name", "startlate", file); code != 0 {
		t.Fatalf("install: %s", errOut)
	}
	st, stop := openHostileStack(t, dir)
	createStream(t, st.client, "late", lambdaDest("late", "startlate", "0"))
	stop()
	for time.Now().Before(at) {
		time.Sleep(20 * time.Millisecond) // the wall clock, which the plugin reads
	}

	opened := make(chan struct{})
	var stop2 func()
	go func() {
		defer close(opened)
		st, stop2 = openHostileStack(t, dir)
	}()
	select {
	case <-opened:
	case <-time.After(20 * time.Second):
		t.Fatal("the service did not start within 20 s with a hostile plugin on a stream")
	}
	if _, err := st.client.PutRecord(ctx, &firehose.PutRecordInput{DeliveryStreamName: aws.String("late"), Record: &types.Record{Data: []byte("r1")}}); err != nil {
		t.Fatalf("PutRecord after the restart: %v", err)
	}
	var docs []processingFailed
	waitFor(t, "the record in processing-failed", func() bool {
		docs = failedDocs(t, dir, "errors/late/processing-failed/")
		return len(docs) == 1
	})
	if !strings.Contains(docs[0].ErrorMessage, "start function") || string(docs[0].RawData) != "r1" {
		t.Fatalf("error record %+v, want the start function's timeout", docs[0])
	}
	done := make(chan struct{})
	go func() { stop2(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("the service did not stop within 20 s")
	}
}

// lambdaDest is a destination whose one processor is the function fn,
// retried retries times, with data under <stream>/ and the error output
// under errors/<stream>/<type>/.
func lambdaDest(streamName, fn, retries string) *types.ExtendedS3DestinationConfiguration {
	return &types.ExtendedS3DestinationConfiguration{
		BucketARN:         aws.String("arn:aws:s3:::hostile"),
		Prefix:            aws.String(streamName + "/"),
		ErrorOutputPrefix: aws.String("errors/" + streamName + "/!{firehose:error-output-type}/"),
		BufferingHints:    &types.BufferingHints{SizeInMBs: aws.Int32(1), IntervalInSeconds: aws.Int32(0)},
		ProcessingConfiguration: &types.ProcessingConfiguration{Enabled: aws.Bool(true), Processors: []types.Processor{
			{Type: types.ProcessorTypeLambda, Parameters: []types.ProcessorParameter{
				{ParameterName: types.ProcessorParameterNameLambdaArn, ParameterValue: aws.String("arn:aws:lambda:us-east-1:000000000000:function:" + fn)},
				{ParameterName: types.ProcessorParameterNameLambdaNumberOfRetries, ParameterValue: aws.String(retries)},
				{ParameterName: types.ProcessorParameterNameBufferIntervalInSeconds, ParameterValue: aws.String("0")}}},
			{Type: types.ProcessorTypeAppendDelimiterToRecord},
		}},
	}
}

// TestHostilePlugins is issue #4 item 7: each hostile plugin, installed
// with `wasmhose plugin install` and put on a stream through the Firehose
// API, is refused at install time (and then at CreateDeliveryStream) or
// contained: its batch goes to the error output, or it runs without
// reaching what it wanted. After each one, a good record on a healthy
// stream (the WAT identity plugin, in the same runtime) is delivered.
func TestHostilePlugins(t *testing.T) {
	st := startHostileStack(t)
	c := st.client
	ctx := context.Background()
	if code, _, errOut := runCLI("plugin", "install", "--data-dir", st.dir, "--name", "identity", wat("identity")); code != 0 {
		t.Fatalf("install identity: %s", errOut)
	}
	createStream(t, c, "healthy", lambdaDest("healthy", "identity", "2"))

	tests := []struct {
		name, fixture string
		// Refused at install: the command's message matches expInstall.
		expInstall string
		// Contained: the hostile records go to the error output with
		// expCode, or (expData) are delivered as expData.
		expCode, expData string
		// expKind is the plugin failure kind counted (deliver.KindNames).
		expKind string
	}{
		{name: "reads a file", fixture: "readfile", expData: "open=08 read=00 \n"},
		{name: "opens a socket", fixture: "sock", expInstall: `forbidden import wasi_snapshot_preview1\.sock_accept`},
		{name: "imports from an unknown module", fixture: "unknown", expInstall: `forbidden import env\.now`},
		{name: "loops forever", fixture: "loop", expCode: "Lambda.FunctionError", expKind: "timeout"},
		{name: "recurses forever without a loop", fixture: "recurse", expCode: "Lambda.FunctionError", expKind: "timeout"},
		{name: "allocates without bound", fixture: "memgrow", expCode: "Lambda.FunctionError", expKind: "trap"},
		{name: "cannot allocate its input", fixture: "allocfail", expCode: "Lambda.FunctionError", expKind: "out_of_memory"},
		{name: "returns oversized output", fixture: "bigout", expCode: "Lambda.JsonProcessingException", expKind: "malformed"},
		{name: "returns malformed output (wrong count)", fixture: "badcount", expCode: "Lambda.JsonProcessingException", expKind: "malformed"},
		{name: "returns malformed output (outside memory)", fixture: "outofrange", expCode: "Lambda.JsonProcessingException", expKind: "malformed"},
		{name: "traps in transform", fixture: "trap", expCode: "Lambda.FunctionError", expKind: "trap"},
		{name: "traps in init", fixture: "inittrap", expInstall: `plugin initialisation failed.*wasmhose_v1_init trapped`},
		{name: "traps in _initialize", fixture: "starttrap", expInstall: `plugin initialisation failed.*_initialize trapped`},
		{name: "rejects its configuration in init", fixture: "initfail", expInstall: `plugin initialisation failed.*bad config`},
		{name: "loops in its start section", fixture: "startloop", expInstall: `plugin initialisation failed: plugin exceeded its batch deadline \(2s, in start function\)`},
		{name: "declares four 2^27-element tables", fixture: "tablebomb", expInstall: `module exceeds a limit: table elements .*: 536870912, limit 1048576`},
		{name: "grows a table without a maximum", fixture: "tablegrow", expCode: "Lambda.FunctionError", expKind: "trap"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := "h-" + tt.fixture
			code, _, errOut := runCLI("plugin", "install", "--data-dir", st.dir, "--timeout", "2s", "--name", tt.fixture, wat(tt.fixture))
			if tt.expInstall != "" {
				if code != 1 || !regexp.MustCompile(tt.expInstall).MatchString(errOut) {
					t.Fatalf("install: exit %d, %s; want refusal matching %s", code, errOut, tt.expInstall)
				}
				// Never installed, so no stream can use it.
				_, err := c.CreateDeliveryStream(ctx, &firehose.CreateDeliveryStreamInput{DeliveryStreamName: aws.String(name),
					ExtendedS3DestinationConfiguration: withRole(lambdaDest(name, tt.fixture, "0"))})
				var ia *types.InvalidArgumentException
				if !errors.As(err, &ia) || !strings.Contains(err.Error(), tt.fixture) {
					t.Fatalf("CreateDeliveryStream with the refused plugin: %v, want InvalidArgumentException", err)
				}
			} else {
				if code != 0 {
					t.Fatalf("install: exit %d, %s", code, errOut)
				}
				createStream(t, c, name, lambdaDest(name, tt.fixture, "0"))
				hostile := []types.Record{{Data: []byte("hostile-1")}, {Data: []byte("hostile-2")}}
				if _, err := c.PutRecordBatch(ctx, &firehose.PutRecordBatchInput{DeliveryStreamName: aws.String(name), Records: hostile}); err != nil {
					t.Fatal(err)
				}
				if tt.expData != "" {
					waitFor(t, "the batch delivered", func() bool { return strings.Count(prefixed(t, st.dir, name+"/"), tt.expData) == 2 })
					if got := prefixed(t, st.dir, name+"/"); got != tt.expData+tt.expData {
						t.Fatalf("delivered %q, want %q twice", got, tt.expData)
					}
				} else {
					var docs []processingFailed
					waitFor(t, "the batch in the error output", func() bool {
						docs = failedDocs(t, st.dir, "errors/"+name+"/processing-failed/")
						return len(docs) == 2
					})
					for _, d := range docs {
						if d.ErrorCode != tt.expCode || !strings.HasPrefix(string(d.RawData), "hostile-") || d.ErrorMessage == "" {
							t.Fatalf("error record %+v, want %s with the original record", d, tt.expCode)
						}
					}
				}
				// Contained: nothing of the stream is left undelivered, and
				// the failure is counted by kind.
				waitFor(t, "the hostile stream's log acknowledged", func() bool {
					s, err := st.svc.StreamStats(name)
					return err == nil && s.Log.Unacked == 0
				})
				s, _ := st.svc.StreamStats(name)
				for i, kind := range deliver.KindNames {
					if n := s.PluginFailures[i]; (kind == tt.expKind) != (n > 0) {
						t.Errorf("%d %s failures counted; want some only of kind %q", n, kind, tt.expKind)
					}
				}
			}
			// The service keeps delivering.
			good := "good after " + tt.fixture
			if _, err := c.PutRecord(ctx, &firehose.PutRecordInput{DeliveryStreamName: aws.String("healthy"), Record: &types.Record{Data: []byte(good)}}); err != nil {
				t.Fatal(err)
			}
			waitFor(t, "the good record delivered", func() bool { return strings.Contains(prefixed(t, st.dir, "healthy/"), good+"\n") })
		})
	}
}

// withRole sets the role createStream would.
func withRole(d *types.ExtendedS3DestinationConfiguration) *types.ExtendedS3DestinationConfiguration {
	d.RoleARN = aws.String(roleARN)
	return d
}

// prefixed returns the concatenated objects of the hostile bucket under
// prefix, in key order.
func prefixed(t *testing.T, dir, prefix string) string {
	t.Helper()
	objs := objects(t, dir, "hostile")
	var keys []string
	for k := range objs {
		if strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
		}
	}
	var b strings.Builder
	slices.Sort(keys)
	for _, k := range keys {
		b.Write(objs[k])
	}
	return b.String()
}

// processingFailed is the part of Firehose's processing-failed error record
// the suite checks.
type processingFailed struct {
	ErrorCode    string `json:"errorCode"`
	ErrorMessage string `json:"errorMessage"`
	RawData      []byte `json:"rawData"`
}

// failedDocs returns the error records under prefix.
func failedDocs(t *testing.T, dir, prefix string) []processingFailed {
	t.Helper()
	var out []processingFailed
	for line := range strings.Lines(prefixed(t, dir, prefix)) {
		var d processingFailed
		if err := json.Unmarshal([]byte(line), &d); err != nil {
			t.Fatalf("error record %q: %v", line, err)
		}
		out = append(out, d)
	}
	return out
}
