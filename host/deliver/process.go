package deliver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wasmhose/wasmhose/host/buffer"
	"github.com/wasmhose/wasmhose/host/stream"
	wasmrt "github.com/wasmhose/wasmhose/runtime"
)

// Transforms resolves the LambdaArn of a Lambda processor to the transform
// that stands in for the function: an installed Wasm plugin.
type Transforms interface {
	// Resolve returns the transform of a Lambda ARN
	// (arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]).
	// The caller does not close it: the resolver owns its lifetime.
	Resolve(ctx context.Context, lambdaARN string) (wasmrt.Transformer, error)
}

// Processor defaults and bounds (firehose-reference §3).
const (
	defaultRetries       = 3
	defaultProcessorMB   = 1.0
	defaultProcessorWait = 60 * time.Second
	maxRecordsPerInvoke  = 10000
	errorTypeProcessing  = "processing-failed"
	codeProcessingFailed = "Lambda.ProcessingFailedStatus"
	codeFunctionError    = "Lambda.FunctionError"
	codeBadResponse      = "Lambda.JsonProcessingException"
)

// lambdaStep is a compiled Lambda processor.
type lambdaStep struct {
	arn      string
	t        wasmrt.Transformer
	retries  int
	maxBytes int           // records per invocation are cut at this many bytes (BufferSizeInMBs)
	interval time.Duration // the processor buffer's interval (BufferIntervalInSeconds)
}

// compileProcessors turns a stream's processing configuration into steps.
// Lambda processors resolve their plugin at their first batch (see
// lazyTransform).
func compileProcessors(ctx context.Context, d *stream.ExtendedS3DestinationConfiguration, tr Transforms) (lambdas []lambdaStep, delimiter []byte, err error) {
	if !stream.ProcessingEnabled(d) {
		return nil, nil, nil
	}
	for i, p := range d.ProcessingConfiguration.Processors {
		params := map[string]string{}
		for _, par := range p.Parameters {
			params[par.ParameterName] = par.ParameterValue
		}
		switch p.Type {
		case "AppendDelimiterToRecord":
			delimiter = []byte("\n")
			if v, ok := params["Delimiter"]; ok {
				delimiter = decodeDelimiter(v)
			}
		case "Lambda":
			step, err := compileLambda(ctx, params, tr)
			if err != nil {
				return nil, nil, fmt.Errorf("Processors[%d]: %w", i, err)
			}
			lambdas = append(lambdas, step)
		default:
			return nil, nil, fmt.Errorf("Processors[%d]: processor type %s is not supported", i, p.Type)
		}
	}
	return lambdas, delimiter, nil
}

func compileLambda(ctx context.Context, params map[string]string, tr Transforms) (lambdaStep, error) {
	if err := stream.ValidateLambdaParameters(params); err != nil {
		return lambdaStep{}, err
	}
	if tr == nil {
		return lambdaStep{}, errors.New("no plugin runtime is configured")
	}
	arn := params["LambdaArn"]
	step := lambdaStep{arn: arn, t: &lazyTransform{arn: arn, tr: tr}, retries: defaultRetries, maxBytes: int(defaultProcessorMB * 1e6), interval: defaultProcessorWait}
	if v, ok := params["NumberOfRetries"]; ok {
		step.retries, _ = strconv.Atoi(v)
	}
	if v, ok := params["BufferSizeInMBs"]; ok {
		f, _ := strconv.ParseFloat(v, 64)
		step.maxBytes = int(f * 1e6)
	}
	if v, ok := params["BufferIntervalInSeconds"]; ok {
		n, _ := strconv.Atoi(v)
		step.interval = time.Duration(n) * time.Second
	}
	return step, nil
}

// lazyTransform resolves its plugin at the first batch, not when the
// pipeline opens: compiling a plugin can take seconds (up to the runtime's
// compile deadline), and a stream must accept records, and a restarted
// service listen, meanwhile. CreateDeliveryStream and UpdateDestination
// still resolve the function first (the service's checkFunctions), so an
// unknown plugin fails the request. A resolution that fails (the plugin
// removed, or its first instance failing to start) fails that invocation
// like a function error: retried, then processing-failed; the next
// invocation resolves again.
type lazyTransform struct {
	arn string
	tr  Transforms
	t   atomic.Pointer[wasmrt.Transformer] // set once resolved: the hot path reads only this
	mu  sync.Mutex                         // serialises resolutions
}

// get returns the resolved transform, resolving it if needed.
func (l *lazyTransform) get(ctx context.Context) (wasmrt.Transformer, error) {
	if t := l.t.Load(); t != nil {
		return *t, nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if t := l.t.Load(); t != nil {
		return *t, nil
	}
	t, err := l.tr.Resolve(ctx, l.arn)
	if err != nil {
		return nil, err
	}
	l.t.Store(&t)
	return t, nil
}

// Transform resolves the plugin and runs the batch.
func (l *lazyTransform) Transform(ctx context.Context, records []wasmrt.Record) ([]wasmrt.Result, error) {
	t, err := l.get(ctx)
	if err != nil {
		return nil, err
	}
	return t.Transform(ctx, records)
}

// Close does nothing: the resolver owns the transform.
func (l *lazyTransform) Close(context.Context) error { return nil }

var _ wasmrt.Transformer = (*lazyTransform)(nil)

// processingFailure is one record for the processing-failed error output.
type processingFailure struct {
	raw      []byte
	arrival  time.Time
	code     string
	message  string
	attempts int
	ended    time.Time
	arn      string
}

// processingFailedDoc is Firehose's processing-failed error record. The key
// casing "lambdaARN" is what real objects show (firehose-reference §7).
type processingFailedDoc struct {
	AttemptsMade           int    `json:"attemptsMade"`
	ArrivalTimestamp       int64  `json:"arrivalTimestamp"`
	ErrorCode              string `json:"errorCode"`
	ErrorMessage           string `json:"errorMessage"`
	AttemptEndingTimestamp int64  `json:"attemptEndingTimestamp"`
	RawData                []byte `json:"rawData"`
	LambdaARN              string `json:"lambdaARN"`
}

func (f processingFailure) doc() ([]byte, error) {
	return json.Marshal(processingFailedDoc{
		AttemptsMade: f.attempts, ArrivalTimestamp: f.arrival.UnixMilli(), ErrorCode: f.code, ErrorMessage: f.message,
		AttemptEndingTimestamp: f.ended.UnixMilli(), RawData: f.raw, LambdaARN: f.arn,
	})
}

// processed is a batch after its Lambda processors.
type processed struct {
	records  []buffer.Record // Ok records, transformed, in order
	dropped  int
	failures []processingFailure
}

// process runs the batch through the Lambda steps: each step sees the
// previous step's Ok records, cut into invocations of at most maxBytes. It
// returns ctx's error, and nothing else, when the pipeline stops mid-way:
// the batch then stays in the log.
func (p *Pipeline) process(ctx context.Context, st *settings, b *buffer.Batch) (processed, error) {
	out := processed{records: b.Records}
	for _, step := range st.lambdas {
		var next []buffer.Record
		recs := out.records
		for len(recs) > 0 {
			n, size := 0, 0
			for n < len(recs) && n < maxRecordsPerInvoke && (n == 0 || size+len(recs[n].Data) <= step.maxBytes) {
				size += len(recs[n].Data)
				n++
			}
			chunk := recs[:n]
			recs = recs[n:]
			ok, dropped, failed := p.invoke(ctx, step, chunk)
			if err := ctx.Err(); err != nil {
				return processed{}, err
			}
			next = append(next, ok...)
			out.dropped += dropped
			out.failures = append(out.failures, failed...)
		}
		out.records = next
	}
	return out, nil
}

// invoke calls one step on one chunk, retrying a failed invocation
// NumberOfRetries times; after that the whole chunk has failed.
func (p *Pipeline) invoke(ctx context.Context, step lambdaStep, chunk []buffer.Record) (ok []buffer.Record, dropped int, failed []processingFailure) {
	in := make([]wasmrt.Record, len(chunk))
	for i, r := range chunk {
		in[i] = wasmrt.Record{Data: r.Data, ArrivalMillis: r.Arrival.UnixMilli()}
	}
	var (
		results []wasmrt.Result
		err     error
		attempt int
	)
	for attempt = 1; attempt <= step.retries+1; attempt++ {
		start := time.Now()
		results, err = step.t.Transform(ctx, in)
		p.processingCalls.Add(1)
		p.processingNanos.Add(int64(time.Since(start)))
		if err == nil {
			break
		}
		p.processingFailures.Add(1)
		p.failureKinds[failureKind(err)].Add(1)
		p.reportError(p.cfg.Load(), ErrorEvent{Time: p.opts.Now(), ErrorCode: lambdaErrorCode(err), Message: err.Error(), Attempt: attempt})
		if ctx.Err() != nil || len(chunk) > 1 && tooLarge(err) {
			break // a too-large batch is split below rather than retried as is
		}
	}
	now := p.opts.Now()
	if err != nil && len(chunk) > 1 && tooLarge(err) && ctx.Err() == nil {
		// Lambda's 6 MB problem: rather than fail every record of an
		// invocation whose answer is too big, split it in halves.
		half := len(chunk) / 2
		ok1, d1, f1 := p.invoke(ctx, step, chunk[:half])
		ok2, d2, f2 := p.invoke(ctx, step, chunk[half:])
		return append(ok1, ok2...), d1 + d2, append(f1, f2...)
	}
	if err != nil {
		for _, r := range chunk {
			failed = append(failed, processingFailure{raw: r.Data, arrival: r.Arrival, code: lambdaErrorCode(err), message: err.Error(),
				attempts: min(attempt, step.retries+1), ended: now, arn: step.arn})
		}
		p.processingFailedRecords.Add(int64(len(failed)))
		return nil, 0, failed
	}
	for i, res := range results {
		switch res.Status {
		case wasmrt.StatusOk:
			ok = append(ok, buffer.Record{Seq: chunk[i].Seq, Data: res.Data, Arrival: chunk[i].Arrival})
			p.processedOK.Add(1)
			p.processedBytes.Add(int64(len(res.Data)))
		case wasmrt.StatusDropped:
			dropped++
		default:
			msg := res.Error
			if msg == "" {
				msg = "ProcessingFailed status set for record"
			}
			failed = append(failed, processingFailure{raw: chunk[i].Data, arrival: chunk[i].Arrival, code: codeProcessingFailed,
				message: msg, attempts: attempt, ended: now, arn: step.arn})
		}
	}
	p.droppedRecords.Add(int64(dropped))
	p.processingFailedRecords.Add(int64(len(failed)))
	return ok, dropped, failed
}

// lambdaErrorCode maps a failed invocation to Firehose's Lambda error codes.
func lambdaErrorCode(err error) string {
	switch {
	case errors.Is(err, wasmrt.ErrMalformedResult), errors.Is(err, wasmrt.ErrOutputTooLarge):
		return codeBadResponse
	default:
		return codeFunctionError
	}
}

// tooLarge reports whether an invocation failed for its size alone.
func tooLarge(err error) bool {
	return errors.Is(err, wasmrt.ErrOutputTooLarge) || errors.Is(err, wasmrt.ErrBatchTooLarge)
}

// Kinds of failed invocation, counted apart for the metrics.
const (
	KindTimeout = iota
	KindTrap
	KindOutOfMemory
	KindMalformed
	KindOther
	numKinds
)

// KindNames names the failure kinds, by index.
var KindNames = [numKinds]string{"timeout", "trap", "out_of_memory", "malformed", "other"}

// failureKind classifies a failed invocation.
func failureKind(err error) int {
	var trap *wasmrt.TrapError
	switch {
	case errors.Is(err, wasmrt.ErrTimeout):
		return KindTimeout
	case errors.Is(err, wasmrt.ErrOutOfMemory):
		return KindOutOfMemory
	case errors.Is(err, wasmrt.ErrMalformedResult), errors.Is(err, wasmrt.ErrOutputTooLarge):
		return KindMalformed
	case errors.As(err, &trap):
		return KindTrap
	default:
		return KindOther
	}
}
