package loadgen

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	"github.com/aws/aws-sdk-go-v2/service/firehose/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// Result is what a [Run] measured. Durations are in nanoseconds when
// marshalled to JSON.
type Result struct {
	// RunID prefixes the id of every record sent; pass it to [Check].
	RunID string `json:"runId"`
	// Stream and Endpoint are where the records went.
	Stream   string `json:"stream"`
	Endpoint string `json:"endpoint"`
	// Concurrency, BatchSize, RecordSize and Rate repeat the options the
	// run used, after defaults.
	Concurrency int     `json:"concurrency"`
	BatchSize   int     `json:"batchSize"`
	RecordSize  int     `json:"recordSize"`
	Rate        float64 `json:"rate"`
	// Started is when the first call was made, after the stream was
	// ready; Elapsed is the time from then to the end of the last call.
	Started time.Time     `json:"started"`
	Elapsed time.Duration `json:"elapsed"`

	// Requests is the number of PutRecordBatch calls made, and
	// FailedRequests the number that returned an error as a whole (an API
	// error, a transport error or a timeout).
	Requests       int64 `json:"requests"`
	FailedRequests int64 `json:"failedRequests"`
	// RecordsSent is the number of records the endpoint accepted: an
	// entry with a RecordId and no ErrorCode.
	RecordsSent int64 `json:"recordsSent"`
	// RecordsFailed is the sum of FailedPutCount over the calls that
	// returned a response, plus every record of the calls that failed as a
	// whole.
	RecordsFailed int64 `json:"recordsFailed"`
	// BytesSent is the payload size of the records sent, in bytes.
	BytesSent int64 `json:"bytesSent"`
	// RecordsPerSec and MBPerSec are RecordsSent and BytesSent over
	// Elapsed; an MB is 10^6 bytes.
	RecordsPerSec float64 `json:"recordsPerSec"`
	MBPerSec      float64 `json:"mbPerSec"`
	// Latency summarises the calls that returned a response.
	Latency Latency `json:"latency"`
	// Errors counts failures by error code, most frequent first: API
	// error codes for failed calls, ErrorCode values for failed records,
	// and "Timeout", "Canceled", "RequestError" or "InconsistentResponse"
	// for the rest.
	Errors []ErrorCount `json:"errors,omitempty"`

	// Delivery is the outcome of [Check]. Run leaves it nil; a caller
	// that runs Check can store it here to report both together.
	Delivery *Delivery `json:"delivery,omitempty"`
}

// ErrorCount is one kind of failure seen during a run.
type ErrorCount struct {
	// Code is the error code (see [Result.Errors]).
	Code string `json:"code"`
	// Calls is the number of calls that failed as a whole with Code.
	Calls int64 `json:"calls"`
	// Records is the number of records that failed with Code, including
	// every record of the failed calls.
	Records int64 `json:"records"`
	// Sample is the first message seen with Code.
	Sample string `json:"sample"`
}

// Run creates the stream if o.Create says so, waits for it to be ACTIVE and
// sends records until o.Count records have been attempted or o.Duration has
// passed. It writes a progress line to progress every o.ProgressInterval
// when progress is not nil.
//
// Failed calls and records are counted, not retried, and do not stop the
// run. Run returns an error, with the Result so far, when o is invalid (the
// error wraps [ErrInvalidOptions]), when the stream cannot be created or
// does not become ACTIVE, or when ctx ends before the run does; calls in
// flight then fail and are counted with code "Canceled".
func Run(ctx context.Context, o Options, progress io.Writer) (Result, error) {
	if err := o.Validate(); err != nil {
		return Result{}, err
	}
	o = o.withDefaults()
	if o.RunID == "" {
		o.RunID = newRunID()
	}
	res := Result{
		RunID: o.RunID, Stream: o.Stream, Endpoint: o.Endpoint,
		Concurrency: o.Concurrency, BatchSize: o.BatchSize, RecordSize: o.RecordSize, Rate: o.Rate,
	}

	hc := o.HTTPClient
	if hc == nil {
		tr := newTransport(o.Concurrency)
		defer tr.CloseIdleConnections()
		hc = &http.Client{Transport: tr}
	}
	client := newClient(o, hc)

	if err := prepareStream(ctx, client, o, progress); err != nil {
		return res, err
	}

	r := &runner{o: o, client: client, stop: make(chan struct{})}
	err := r.run(ctx, progress)
	r.fill(&res)
	if err != nil {
		return res, fmt.Errorf("loadgen: run interrupted: %w", err)
	}
	return res, nil
}

// newTransport returns a transport that keeps enough idle connections to
// the endpoint for n workers.
func newTransport(n int) *http.Transport {
	d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           d.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          2 * n,
		MaxIdleConnsPerHost:   2 * n,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
}

// newClient returns a Firehose client for o that never retries.
func newClient(o Options, hc *http.Client) *firehose.Client {
	creds := credentials.NewStaticCredentialsProvider("wasmhose", "wasmhose", "")
	if o.AccessKeyID != "" {
		creds = credentials.NewStaticCredentialsProvider(o.AccessKeyID, o.SecretAccessKey, o.SessionToken)
	}
	return firehose.New(firehose.Options{
		Region:       o.Region,
		Credentials:  creds,
		BaseEndpoint: aws.String(o.Endpoint),
		HTTPClient:   hc,
		Retryer:      aws.NopRetryer{},
	})
}

// runner is the state of one run shared by its workers.
type runner struct {
	o      Options
	client *firehose.Client

	stop     chan struct{} // closed when Duration has passed
	start    time.Time
	claimed  atomic.Int64 // records claimed, Count mode
	slot     atomic.Int64 // next pacing slot, Rate mode
	requests atomic.Int64
	failReq  atomic.Int64
	sent     atomic.Int64
	failed   atomic.Int64
	bytes    atomic.Int64
	elapsed  time.Duration

	mu     sync.Mutex // guards hist and errs while workers merge into them
	hist   *histogram
	errs   map[string]*ErrorCount
	errSeq []string // codes in order of first appearance
}

// run starts the workers and the progress reporter and waits for them.
func (r *runner) run(ctx context.Context, progress io.Writer) error {
	r.hist = newHistogram()
	r.errs = map[string]*ErrorCount{}
	r.start = time.Now()
	if r.o.Count == 0 {
		t := time.AfterFunc(r.o.Duration, func() { close(r.stop) })
		defer t.Stop()
	}

	done := make(chan struct{})
	var reporter sync.WaitGroup
	if progress != nil {
		reporter.Go(func() { r.report(progress, done) })
	}
	var workers sync.WaitGroup
	for i := range r.o.Concurrency {
		workers.Go(func() { r.work(ctx, i) })
	}
	workers.Wait()
	r.elapsed = time.Since(r.start)
	close(done)
	reporter.Wait()
	return ctx.Err()
}

// work is one worker's loop: pace, claim a batch, send it, count.
func (r *runner) work(ctx context.Context, id int) {
	gen := newRecordGen(r.o.RunID, id, r.o.RecordSize, r.o.BatchSize)
	hist := newHistogram()
	errs := map[string]*ErrorCount{}
	var errSeq []string
	count := func(code, msg string, calls, records int64) {
		e, ok := errs[code]
		if !ok {
			e = &ErrorCount{Code: code, Sample: msg}
			errs[code] = e
			errSeq = append(errSeq, code)
		}
		e.Calls += calls
		e.Records += records
	}
	stream := aws.String(r.o.Stream)

	for {
		if !r.pace(ctx) {
			break
		}
		n := r.claim()
		if n == 0 {
			break
		}
		recs, size := gen.batch(n, time.Now())
		r.requests.Add(1)
		cctx, cancel := context.WithTimeout(ctx, r.o.RequestTimeout)
		t0 := time.Now()
		out, err := r.client.PutRecordBatch(cctx, &firehose.PutRecordBatchInput{DeliveryStreamName: stream, Records: recs})
		lat := time.Since(t0)
		cancel()
		if err != nil {
			r.failReq.Add(1)
			r.failed.Add(int64(n))
			code, msg := classify(ctx, err)
			count(code, msg, 1, int64(n))
			continue
		}
		hist.record(lat)
		failed := int64(aws.ToInt32(out.FailedPutCount))
		var withCode int64
		for _, e := range out.RequestResponses {
			if e.ErrorCode != nil {
				withCode++
				count(*e.ErrorCode, aws.ToString(e.ErrorMessage), 0, 1)
			}
		}
		if failed < 0 || failed > int64(n) || len(out.RequestResponses) != n || withCode != failed {
			count("InconsistentResponse", fmt.Sprintf("FailedPutCount %d, %d entries of which %d with an ErrorCode, for %d records",
				failed, len(out.RequestResponses), withCode, n), 1, 0)
			failed = min(max(failed, withCode), int64(n))
		}
		r.failed.Add(failed)
		ok := int64(n) - failed
		r.sent.Add(ok)
		if failed == 0 {
			r.bytes.Add(size)
		} else {
			r.bytes.Add(okBytes(recs, out))
		}
	}

	r.mu.Lock()
	defer r.mu.Unlock()
	r.hist.merge(hist)
	for _, code := range errSeq {
		e := errs[code]
		t, ok := r.errs[code]
		if !ok {
			r.errs[code] = e
			r.errSeq = append(r.errSeq, code)
			continue
		}
		t.Calls += e.Calls
		t.Records += e.Records
	}
}

// okBytes returns the size of the records of a partly failed batch that were
// accepted: those whose entry has no ErrorCode.
func okBytes(recs []types.Record, out *firehose.PutRecordBatchOutput) int64 {
	var n int64
	for i, e := range out.RequestResponses {
		if i < len(recs) && e.ErrorCode == nil {
			n += int64(len(recs[i].Data))
		}
	}
	return n
}

// pace waits for the worker's next slot when a Rate is set. It returns false
// when the run is over: ctx ended or Duration passed.
func (r *runner) pace(ctx context.Context) bool {
	select {
	case <-ctx.Done():
		return false
	case <-r.stop:
		return false
	default:
	}
	if r.o.Rate <= 0 {
		return true
	}
	every := time.Duration(float64(r.o.BatchSize) / r.o.Rate * float64(time.Second))
	at := r.start.Add(time.Duration(r.slot.Add(1)-1) * every)
	wait := time.Until(at)
	if wait <= 0 {
		return true
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-r.stop:
		return false
	case <-t.C:
		return true
	}
}

// claim returns the size of the worker's next batch, or 0 when Count
// records have been claimed.
func (r *runner) claim() int {
	b := int64(r.o.BatchSize)
	if r.o.Count == 0 {
		return int(b)
	}
	end := r.claimed.Add(b)
	first := end - b
	if first >= r.o.Count {
		return 0
	}
	return int(min(end, r.o.Count) - first)
}

// classify returns the error code and message to count a failed call under.
// ctx is the run's context, to tell a cancelled run from a call timeout.
func classify(ctx context.Context, err error) (code, msg string) {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode(), ae.ErrorMessage()
	}
	var ne net.Error
	switch {
	case ctx.Err() != nil:
		return "Canceled", err.Error()
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "Timeout", err.Error()
	}
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) {
		return fmt.Sprintf("HTTP%d", re.HTTPStatusCode()), err.Error()
	}
	return "RequestError", err.Error()
}

// report writes a progress line every ProgressInterval until done closes.
func (r *runner) report(w io.Writer, done <-chan struct{}) {
	t := time.NewTicker(r.o.ProgressInterval)
	defer t.Stop()
	var lastSent int64
	last := r.start
	for {
		select {
		case <-done:
			return
		case now := <-t.C:
			sent := r.sent.Load()
			rate := float64(sent-lastSent) / now.Sub(last).Seconds()
			lastSent, last = sent, now
			_, _ = fmt.Fprintf(w, "%6.1fs  sent %d  failed %d  %.0f records/s\n",
				now.Sub(r.start).Seconds(), sent, r.failed.Load(), rate)
		}
	}
}

// fill copies the counters into res.
func (r *runner) fill(res *Result) {
	res.Started = r.start
	res.Elapsed = r.elapsed
	res.Requests = r.requests.Load()
	res.FailedRequests = r.failReq.Load()
	res.RecordsSent = r.sent.Load()
	res.RecordsFailed = r.failed.Load()
	res.BytesSent = r.bytes.Load()
	if s := r.elapsed.Seconds(); s > 0 {
		res.RecordsPerSec = float64(res.RecordsSent) / s
		res.MBPerSec = float64(res.BytesSent) / 1e6 / s
	}
	res.Latency = r.hist.summary()
	res.Errors = nil
	for _, code := range r.errSeq {
		res.Errors = append(res.Errors, *r.errs[code])
	}
	slices.SortStableFunc(res.Errors, func(a, b ErrorCount) int {
		return cmp.Or(cmp.Compare(b.Records, a.Records), cmp.Compare(b.Calls, a.Calls))
	})
}
