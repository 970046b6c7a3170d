package deliver_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wasmhose/wasmhose/host/deliver"
	"github.com/wasmhose/wasmhose/host/stream"
	wasmrt "github.com/wasmhose/wasmhose/runtime"
)

// kitchenResolver resolves every Lambda ARN to the runtime's "kitchen"
// fixture, a Go Wasm plugin whose behaviour each record picks ("drop",
// "fail", "loop", "oom", "panic", anything else: prefixed copy).
type kitchenResolver struct {
	rt *wasmrt.Runtime

	mu      sync.Mutex
	plugins map[string]*wasmrt.Plugin
}

func newKitchenResolver(t testing.TB) *kitchenResolver {
	return newKitchenResolverWith(t, wasmrt.NewConfig())
}

func newKitchenResolverWith(t testing.TB, cfg wasmrt.Config) *kitchenResolver {
	t.Helper()
	ctx := context.Background()
	cache := filepath.Join(os.TempDir(), "wasmhose-deliver-test-cache")
	rt, err := wasmrt.New(ctx, cfg.WithWorkers(2).WithBatchTimeout(2*time.Second).
		WithMemoryLimitPages(256).WithCompilationCacheDir(cache))
	if err != nil {
		t.Fatal(err)
	}
	r := &kitchenResolver{rt: rt, plugins: map[string]*wasmrt.Plugin{}}
	t.Cleanup(func() { _ = rt.Close(context.Background()) })
	return r
}

func (r *kitchenResolver) Resolve(ctx context.Context, arn string) (wasmrt.Transformer, error) {
	name, _, err := stream.ParseLambdaARN(arn)
	if err != nil {
		return nil, err
	}
	path := filepath.Join("..", "..", "runtime", "testdata", "kitchen", "kitchen.wasm")
	config := []byte(`{"prefix":"T:"}`)
	if wat, ok := strings.CutPrefix(name, "wat-"); ok {
		// The runtime's hand-written hostile fixtures, e.g. wat-badcount.
		path, config = filepath.Join("..", "..", "runtime", "testdata", "wat", wat+".wasm"), nil
	} else if name == "kitchen-big" {
		config = []byte(`{"prefix":"` + strings.Repeat("x", 1000) + `"}`) // inflates every record by 1000 bytes
	} else if name != "kitchen" {
		return nil, errors.New("no such plugin")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if p, ok := r.plugins[arn]; ok {
		return p, nil
	}
	wasm, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	p, err := r.rt.Load(ctx, name, wasm, config)
	if err != nil {
		return nil, err
	}
	r.plugins[arn] = p
	return p, nil
}

const kitchenARN = "arn:aws:lambda:us-east-1:000000000000:function:kitchen"

func lambdaStream(name string, params ...stream.ProcessorParameter) *stream.Stream {
	return newStream(name, func(d *stream.ExtendedS3DestinationConfiguration) {
		d.Prefix = stream.String("data/")
		d.ErrorOutputPrefix = stream.String("errors/!{firehose:error-output-type}/")
		d.ProcessingConfiguration = &stream.ProcessingConfiguration{Enabled: stream.Bool(true), Processors: []stream.Processor{
			{Type: "Lambda", Parameters: append([]stream.ProcessorParameter{{ParameterName: "LambdaArn", ParameterValue: kitchenARN}}, params...)},
			{Type: "AppendDelimiterToRecord"},
		}}
	})
}

type failedDoc struct {
	AttemptsMade           int    `json:"attemptsMade"`
	ArrivalTimestamp       int64  `json:"arrivalTimestamp"`
	ErrorCode              string `json:"errorCode"`
	ErrorMessage           string `json:"errorMessage"`
	AttemptEndingTimestamp int64  `json:"attemptEndingTimestamp"`
	RawData                []byte `json:"rawData"`
	LambdaARN              string `json:"lambdaARN"`
}

// split returns the data and error objects' contents.
func split(t *testing.T, objs []object) (data string, errs []failedDoc) {
	t.Helper()
	for _, o := range objs {
		switch {
		case strings.HasPrefix(o.Key, "data/"):
			data += string(o.Body)
		case strings.HasPrefix(o.Key, "errors/processing-failed/"):
			for _, l := range strings.Split(strings.TrimSuffix(string(o.Body), "\n"), "\n") {
				var d failedDoc
				if err := json.Unmarshal([]byte(l), &d); err != nil {
					t.Fatalf("error record %q: %v", l, err)
				}
				errs = append(errs, d)
			}
		default:
			t.Fatalf("unexpected object %s", o.Key)
		}
	}
	return data, errs
}

func TestLambdaProcessorRunsThePlugin(t *testing.T) {
	local := newLocal(t)
	p := open(t, lambdaStream("lam"), deliver.Options{LogDir: t.TempDir(), Store: local, Transforms: newKitchenResolver(t), Now: newClock(t0).Now})
	put(t, p, []byte("a"), []byte("drop"), []byte("fail"), []byte("b"))
	p.Flush()
	waitFor(t, "the batch processed", func() bool { st := p.Stats(); return st.ErrorObjects == 1 && st.DeliveredObjects == 1 })
	data, errs := split(t, objects(t, local))
	if data != "T:a\nT:b\n" {
		t.Fatalf("data object %q", data)
	}
	if len(errs) != 1 || string(errs[0].RawData) != "fail" || errs[0].ErrorCode != "Lambda.ProcessingFailedStatus" ||
		errs[0].ErrorMessage != "record asked to fail" || errs[0].AttemptsMade != 1 || errs[0].LambdaARN != kitchenARN ||
		errs[0].ArrivalTimestamp != t0.UnixMilli() {
		t.Fatalf("error records %+v", errs)
	}
	st := p.Stats()
	if st.DroppedRecords != 1 || st.ProcessingFailedRecords != 1 || st.ProcessedRecords != 2 || st.DeliveredRecords != 2 || st.Log.Unacked != 0 {
		t.Fatalf("stats %+v", st)
	}
}

func TestHostilePluginIsContained(t *testing.T) {
	tests := []struct {
		name    string
		record  string
		expCode string
		expKind int
	}{
		{"infinite loop", "loop", "Lambda.FunctionError", deliver.KindTimeout},
		// A Go guest that cannot grow its memory dies of a fatal runtime
		// error (proc_exit), which the runtime reports as a trap.
		{"memory bomb", "oom", "Lambda.FunctionError", deliver.KindTrap},
		{"panic", "panic", "Lambda.FunctionError", deliver.KindTrap},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			local := newLocal(t)
			p := open(t, lambdaStream("hostile", stream.ProcessorParameter{ParameterName: "NumberOfRetries", ParameterValue: "1"}),
				deliver.Options{LogDir: t.TempDir(), Store: local, Transforms: newKitchenResolver(t)})
			put(t, p, []byte("x"), []byte(tt.record))
			p.Flush()
			waitFor(t, "the failed batch in the error output", func() bool { return p.Stats().ErrorObjects == 1 })
			// The stream goes on delivering.
			put(t, p, []byte("after"))
			p.Flush()
			waitFor(t, "the next batch delivered", func() bool { return p.Stats().DeliveredObjects == 1 })
			data, errs := split(t, objects(t, local))
			if data != "T:after\n" {
				t.Fatalf("data %q", data)
			}
			if len(errs) != 2 {
				t.Fatalf("%d error records, want the whole failed batch (2)", len(errs))
			}
			for _, e := range errs {
				if e.ErrorCode != tt.expCode || e.AttemptsMade != 2 || e.ErrorMessage == "" {
					t.Fatalf("error record %+v", e)
				}
			}
			// At least the two attempts of the failed batch; under -race a
			// fresh instance can also miss the short deadline once.
			if st := p.Stats(); st.PluginFailures[tt.expKind] < 2 {
				t.Fatalf("failures by kind %v, want at least 2 %s", st.PluginFailures, deliver.KindNames[tt.expKind])
			}
			if st := p.Stats(); st.ProcessingFailures < 2 || st.Log.Unacked != 0 {
				t.Fatalf("stats %+v", st)
			}
		})
	}
}

// TestPluginResolvedAtFirstBatch: opening a pipeline does not compile its
// plugins (a restarted service must listen while they compile); a function
// that cannot be resolved fails its batches like a function error, into
// processing-failed, and leaves nothing in the log.
func TestPluginResolvedAtFirstBatch(t *testing.T) {
	s := newStream("nofn", func(d *stream.ExtendedS3DestinationConfiguration) {
		d.ProcessingConfiguration = &stream.ProcessingConfiguration{Enabled: stream.Bool(true), Processors: []stream.Processor{
			{Type: "Lambda", Parameters: []stream.ProcessorParameter{
				{ParameterName: "LambdaArn", ParameterValue: "arn:aws:lambda:us-east-1:000000000000:function:nope"},
				{ParameterName: "NumberOfRetries", ParameterValue: "1"}}}}}
		d.ErrorOutputPrefix = stream.String("errors/!{firehose:error-output-type}/")
	})
	local := newLocal(t)
	p := open(t, s, deliver.Options{LogDir: t.TempDir(), Store: local, Transforms: newKitchenResolver(t)})
	put(t, p, []byte("x"))
	p.Flush()
	waitFor(t, "the batch in the error output", func() bool { return p.Stats().ErrorObjects == 1 })
	_, errs := split(t, objects(t, local))
	if len(errs) != 1 || errs[0].ErrorCode != "Lambda.FunctionError" || !strings.Contains(errs[0].ErrorMessage, "no such plugin") || errs[0].AttemptsMade != 2 {
		t.Fatalf("error records %+v", errs)
	}
	if st := p.Stats(); st.Log.Unacked != 0 {
		t.Fatalf("stats %+v", st)
	}
}

// TestOversizedAnswerIsSplit: an invocation whose answer exceeds the output
// limit is split in halves until the answers fit, instead of failing every
// record (Lambda's 6 MB problem).
func TestOversizedAnswerIsSplit(t *testing.T) {
	local := newLocal(t)
	tr := newKitchenResolverWith(t, wasmrt.NewConfig().WithMaxOutputBytes(64<<10))
	p := open(t, lambdaStream("split"), deliver.Options{LogDir: t.TempDir(), Store: local, Transforms: tr})
	var recs [][]byte
	for i := range 8 {
		recs = append(recs, []byte(strings.Repeat(string(rune('a'+i)), 20<<10)))
	}
	put(t, p, recs...)
	p.Flush()
	waitFor(t, "delivery", func() bool { return p.Stats().DeliveredObjects == 1 })
	data, errs := split(t, objects(t, local))
	if len(errs) != 0 {
		t.Fatalf("%d records in the error output", len(errs))
	}
	lines := strings.Split(strings.TrimSuffix(data, "\n"), "\n")
	if len(lines) != 8 {
		t.Fatalf("%d records delivered, want 8", len(lines))
	}
	for i, l := range lines {
		if l != "T:"+string(recs[i]) {
			t.Fatalf("record %d out of order or changed", i)
		}
	}
	if st := p.Stats(); st.ProcessingFailures == 0 {
		t.Fatalf("the oversized first answer was not seen: %+v", st)
	}
}

// TestMalformedAnswerGoesToTheErrorOutput: a plugin answering the wrong
// number of results (or pointing outside its memory) fails its batch with
// Lambda.JsonProcessingException, Firehose's code for an answer out of the
// model, and the stream is not stalled.
func TestMalformedAnswerGoesToTheErrorOutput(t *testing.T) {
	tests := []struct{ fixture, expCode string }{
		{"badcount", "Lambda.JsonProcessingException"},
		{"outofrange", "Lambda.JsonProcessingException"},
		{"trap", "Lambda.FunctionError"},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			local := newLocal(t)
			s := newStream("bad-"+tt.fixture, func(d *stream.ExtendedS3DestinationConfiguration) {
				d.ErrorOutputPrefix = stream.String("errors/!{firehose:error-output-type}/")
				d.Prefix = stream.String("data/")
				d.ProcessingConfiguration = &stream.ProcessingConfiguration{Enabled: stream.Bool(true), Processors: []stream.Processor{
					{Type: "Lambda", Parameters: []stream.ProcessorParameter{
						{ParameterName: "LambdaArn", ParameterValue: "arn:aws:lambda:us-east-1:000000000000:function:wat-" + tt.fixture},
						{ParameterName: "NumberOfRetries", ParameterValue: "0"}}}}}
			})
			p := open(t, s, deliver.Options{LogDir: t.TempDir(), Store: local, Transforms: newKitchenResolver(t)})
			put(t, p, []byte("one"), []byte("two"))
			p.Flush()
			waitFor(t, "the error object", func() bool { return p.Stats().ErrorObjects == 1 })
			_, errs := split(t, objects(t, local))
			if len(errs) != 2 || errs[0].ErrorCode != tt.expCode || errs[0].AttemptsMade != 1 || string(errs[0].RawData) != "one" {
				t.Fatalf("error records %+v", errs)
			}
			if st := p.Stats(); st.Log.Unacked != 0 {
				t.Fatalf("records left unacknowledged: %+v", st)
			}
		})
	}
}

// TestProcessorBuffersOnItsOwnHints: records are transformed when the
// processor buffer's hints say (here BufferIntervalInSeconds 0: at once),
// while the results wait for the destination's (900 s); the log is
// acknowledged only when the object is stored.
func TestProcessorBuffersOnItsOwnHints(t *testing.T) {
	local := newLocal(t)
	p := open(t, lambdaStream("lam", stream.ProcessorParameter{ParameterName: "BufferIntervalInSeconds", ParameterValue: "0"}),
		deliver.Options{LogDir: t.TempDir(), Store: local, Transforms: newKitchenResolver(t), Now: newClock(t0).Now})
	put(t, p, []byte("a"), []byte("drop"), []byte("b"))
	waitFor(t, "the records transformed", func() bool { return p.Stats().ProcessedRecords == 2 })
	time.Sleep(50 * time.Millisecond)
	if st := p.Stats(); st.DeliveredObjects != 0 || st.Log.Unacked != 3 || st.BufferedRecords != 2 || st.DroppedRecords != 1 {
		t.Fatalf("before the destination's interval: %+v", st)
	}
	p.Flush()
	waitFor(t, "the object stored", func() bool { return p.Stats().DeliveredObjects == 1 })
	if data, _ := split(t, objects(t, local)); data != "T:a\nT:b\n" {
		t.Fatalf("data %q", data)
	}
	waitFor(t, "the log acknowledged", func() bool { return p.Stats().Log.Unacked == 0 })
}

// TestDestinationSizeCountsTransformedBytes: Firehose sends the transformed
// data to the destination "when the specified destination buffering size
// or buffering interval is reached", so the size hint (1 MiB here) applies
// to what the plugin returned. The raw records (10,300 × 100 bytes) are
// under 1 MiB; with the plugin's two-byte prefix they are over it, so an
// object is stored without waiting for the 900 s interval.
func TestDestinationSizeCountsTransformedBytes(t *testing.T) {
	local := newLocal(t)
	p := open(t, lambdaStream("lam", stream.ProcessorParameter{ParameterName: "BufferIntervalInSeconds", ParameterValue: "0"}),
		deliver.Options{LogDir: t.TempDir(), Store: local, Transforms: newKitchenResolver(t), Now: newClock(t0).Now})
	recs := make([][]byte, 10300)
	for i := range recs {
		recs[i] = []byte(strings.Repeat("x", 100))
	}
	put(t, p, recs...)
	waitFor(t, "an object stored by size", func() bool { return p.Stats().DeliveredObjects == 1 })
	st := p.Stats()
	if st.DeliveredRecords != 10300 || st.DeliveredBytes != 10300*102 || st.Log.Unacked != 0 {
		t.Fatalf("stats %+v", st)
	}
}

// TestAllDroppedIsAcknowledged: a batch whose records the plugin all drops
// stores nothing and still releases the log.
func TestAllDroppedIsAcknowledged(t *testing.T) {
	local := newLocal(t)
	p := open(t, lambdaStream("lam"), deliver.Options{LogDir: t.TempDir(), Store: local, Transforms: newKitchenResolver(t), Now: newClock(t0).Now})
	put(t, p, []byte("drop"), []byte("drop"))
	p.Flush()
	waitFor(t, "the log acknowledged", func() bool { return p.Stats().Log.Unacked == 0 })
	if st := p.Stats(); st.DeliveredObjects != 0 || st.DroppedRecords != 2 || st.PendingBytes != 0 {
		t.Fatalf("stats %+v", st)
	}
	if objs := objects(t, local); len(objs) != 0 {
		t.Fatalf("objects %v", objs)
	}
}

// TestUpdateWhileProcessing: records transformed under the old settings are
// stored under the old prefix, even when their processing ends after the
// update; records put after it go out raw under the new prefix. None is
// lost or stored twice.
func TestUpdateWhileProcessing(t *testing.T) {
	local := newLocal(t)
	p := open(t, lambdaStream("lam", stream.ProcessorParameter{ParameterName: "BufferIntervalInSeconds", ParameterValue: "0"}),
		deliver.Options{LogDir: t.TempDir(), Store: local, Transforms: newKitchenResolver(t), Now: newClock(t0).Now})
	put(t, p, lines("old", 0, 500)...)
	next := newStream("lam", func(d *stream.ExtendedS3DestinationConfiguration) { d.Prefix = stream.String("raw/") })
	next.VersionID = 2
	if err := p.Update(next); err != nil {
		t.Fatal(err)
	}
	put(t, p, lines("new", 0, 500)...)
	p.Flush()
	waitFor(t, "everything stored", func() bool { return p.Stats().DeliveredRecords == 1000 })
	var oldLines, newLines int
	for _, o := range objects(t, local) {
		for _, l := range strings.SplitAfter(string(o.Body), "\n") {
			switch {
			case l == "", l == "\n" && strings.HasPrefix(o.Key, "data/"): // the old stream's AppendDelimiterToRecord
			case strings.HasPrefix(o.Key, "data/") && strings.HasPrefix(l, "T:old-"):
				oldLines++
			case strings.HasPrefix(o.Key, "raw/") && strings.HasPrefix(l, "new-"):
				newLines++
			default:
				t.Fatalf("object %s holds %q", o.Key, l)
			}
		}
	}
	if oldLines != 500 || newLines != 500 {
		t.Fatalf("%d transformed lines under data/, %d raw under raw/; want 500 each", oldLines, newLines)
	}
}

// TestBudgetCountsTransformedBytes: once a batch is transformed, the memory
// budget counts what the pipeline now holds, the transformed records (here
// each 1000 bytes longer), not the raw batch; Put is throttled on it, and
// it all comes back when the object is stored.
func TestBudgetCountsTransformedBytes(t *testing.T) {
	local := newLocal(t)
	s := newStream("big", func(d *stream.ExtendedS3DestinationConfiguration) {
		d.ProcessingConfiguration = &stream.ProcessingConfiguration{Enabled: stream.Bool(true), Processors: []stream.Processor{
			{Type: "Lambda", Parameters: []stream.ProcessorParameter{
				{ParameterName: "LambdaArn", ParameterValue: "arn:aws:lambda:us-east-1:000000000000:function:kitchen-big"},
				{ParameterName: "BufferIntervalInSeconds", ParameterValue: "0"}}},
		}}
	})
	p := open(t, s, deliver.Options{LogDir: t.TempDir(), Store: local, Transforms: newKitchenResolver(t), Now: newClock(t0).Now,
		MaxPendingBytes: 50_000})
	recs := make([][]byte, 100)
	for i := range recs {
		recs[i] = []byte(fmt.Sprintf("record-%03d", i)) // 10 bytes
	}
	put(t, p, recs...)
	waitFor(t, "the batch transformed", func() bool { return p.Stats().ProcessedRecords == 100 })
	if st := p.Stats(); st.PendingBytes != 100*1010 {
		t.Fatalf("pending %d bytes, want the transformed %d", st.PendingBytes, 100*1010)
	}
	if _, err := p.Put(context.Background(), [][]byte{[]byte("one more")}); !errors.Is(err, deliver.ErrBackpressure) {
		t.Fatalf("Put over the budget = %v, want ErrBackpressure", err)
	}
	p.Flush()
	waitFor(t, "the object stored", func() bool { return p.Stats().DeliveredRecords == 100 })
	if st := p.Stats(); st.PendingBytes != 0 || st.DeliveredBytes != 100*1010 {
		t.Fatalf("after delivery: %+v", st)
	}
	put(t, p, []byte("one more"))
}
