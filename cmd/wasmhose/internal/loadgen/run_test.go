package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/wasmhose/wasmhose/cmd/wasmhose/internal/loadgen/loadgentest"
)

// counts are the Result fields a test can predict exactly.
type counts struct {
	Requests, FailedRequests, RecordsSent, RecordsFailed, BytesSent int64
}

func countsOf(r Result) counts {
	return counts{r.Requests, r.FailedRequests, r.RecordsSent, r.RecordsFailed, r.BytesSent}
}

func TestRun(t *testing.T) {
	tests := []struct {
		name   string
		server loadgentest.Options
		opts   Options
		exp    *counts // nil: not predictable (Duration runs)
		expErr error
		// expErrors lists the expected ErrorCount entries, when not nil.
		expErrors []ErrorCount
		// expDup is the number of duplicates Check must find.
		expDup int64
	}{
		{
			name: "create and inject failures",
			server: loadgentest.Options{
				CreatingDescribes: 2,
				FailCall:          func(n int) bool { return n == 5 },
				FailRecord:        func(n, i int) bool { return n%3 == 0 && i == 0 },
				Duplicate:         func(n int) bool { return n == 2 },
			},
			opts: Options{
				Create: &CreateOptions{}, Count: 1000, BatchSize: 100, RecordSize: 200, Concurrency: 4,
			},
			// 10 calls; call 5 fails whole (100 records); calls 3, 6 and 9
			// fail one record each.
			exp: &counts{Requests: 10, FailedRequests: 1, RecordsSent: 897, RecordsFailed: 103, BytesSent: 897 * 200},
			expErrors: []ErrorCount{
				{Code: "ServiceUnavailableException", Calls: 1, Records: 103},
			},
			expDup: 100,
		},
		{
			name:   "uncompressed with a partial last batch",
			opts:   Options{Create: &CreateOptions{Compression: "UNCOMPRESSED", Bucket: "plain-bucket"}, Count: 250, BatchSize: 100, RecordSize: 120, Concurrency: 2},
			exp:    &counts{Requests: 3, RecordsSent: 250, BytesSent: 250 * 120},
			expDup: 0,
		},
		{
			name:   "existing stream, paced",
			server: loadgentest.Options{Streams: map[string]string{"s": DefaultBucket}},
			opts:   Options{Count: 300, BatchSize: 50, RecordSize: 100, Concurrency: 3, Rate: 1e6},
			exp:    &counts{Requests: 6, RecordsSent: 300, BytesSent: 300 * 100},
		},
		{
			name:   "existing stream, duration",
			server: loadgentest.Options{Streams: map[string]string{"s": DefaultBucket}},
			opts:   Options{Duration: 50 * time.Millisecond, BatchSize: 20, Concurrency: 2},
		},
		{
			name:   "records smaller than their id",
			server: loadgentest.Options{Streams: map[string]string{"s": DefaultBucket}},
			opts:   Options{Count: 10, BatchSize: 10, RecordSize: 1, Concurrency: 1, RunID: "tiny"},
			// {"id":"tiny-0-N","ts":<13 digits>,"pad":""}\n is 46 bytes.
			exp: &counts{Requests: 1, RecordsSent: 10, BytesSent: 10 * 46},
		},
		{
			name:   "stream not found",
			opts:   Options{Count: 10},
			expErr: ErrStreamNotFound,
		},
		{
			name:   "invalid options",
			opts:   Options{BatchSize: 501},
			expErr: ErrInvalidOptions,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			srv := loadgentest.New(t, dir, tt.server)
			o := tt.opts
			o.Endpoint = srv.URL
			if o.Stream == "" {
				o.Stream = "s"
			}
			var progress bytes.Buffer
			res, err := Run(context.Background(), o, &progress)
			if tt.expErr != nil {
				if !errors.Is(err, tt.expErr) {
					t.Fatalf("Run error = %v, want %v", err, tt.expErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			if tt.exp != nil {
				if got := countsOf(res); got != *tt.exp {
					t.Errorf("counts = %+v, want %+v", got, *tt.exp)
				}
			}
			// Invariants that hold for every run.
			if res.RecordsSent != srv.Accepted() {
				t.Errorf("RecordsSent = %d, server accepted %d", res.RecordsSent, srv.Accepted())
			}
			if res.Requests != int64(srv.Calls()) || res.Requests == 0 {
				t.Errorf("Requests = %d, server saw %d calls", res.Requests, srv.Calls())
			}
			if res.Latency.Count != res.Requests-res.FailedRequests {
				t.Errorf("Latency.Count = %d, want %d", res.Latency.Count, res.Requests-res.FailedRequests)
			}
			l := res.Latency
			if !(0 < l.P50 && l.P50 <= l.P90 && l.P90 <= l.P99 && l.P99 <= l.Max) {
				t.Errorf("latency percentiles out of order: %+v", l)
			}
			if res.RunID == "" || res.Stream != "s" || res.Endpoint != srv.URL {
				t.Errorf("identity fields = %q %q %q", res.RunID, res.Stream, res.Endpoint)
			}
			if res.Elapsed <= 0 || res.RecordsPerSec <= 0 || res.MBPerSec <= 0 {
				t.Errorf("rates not set: elapsed %v, %v records/s, %v MB/s", res.Elapsed, res.RecordsPerSec, res.MBPerSec)
			}
			if tt.expErrors != nil {
				got := make([]ErrorCount, len(res.Errors))
				for i, e := range res.Errors {
					got[i] = ErrorCount{Code: e.Code, Calls: e.Calls, Records: e.Records}
				}
				if !equalErrors(got, tt.expErrors) {
					t.Errorf("Errors = %+v, want %+v", got, tt.expErrors)
				}
			} else if len(res.Errors) > 0 {
				t.Errorf("unexpected Errors %+v", res.Errors)
			}

			bucket := DefaultBucket
			if o.Create != nil && o.Create.Bucket != "" {
				bucket = o.Create.Bucket
			}
			d, err := Check(context.Background(), dir, bucket, res.RunID, CheckOptions{Want: res.RecordsSent, Quiet: time.Minute})
			if err != nil {
				t.Fatalf("Check: %v", err)
			}
			exp := Delivery{
				Objects:    d.Objects,
				Delivered:  res.RecordsSent + tt.expDup,
				Distinct:   res.RecordsSent,
				Duplicates: tt.expDup,
				Stopped:    "complete",
				Elapsed:    d.Elapsed,
			}
			if !equalDelivery(d, exp) {
				t.Errorf("Check = %+v, want %+v", d, exp)
			}

			// The text report names every figure; the JSON one round-trips.
			res.Delivery = &d
			var text bytes.Buffer
			if err := res.WriteText(&text); err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{res.RunID, "sent ok", "records/s", "MB/s", "p50", "p90", "p99", "max", "delivery"} {
				if !strings.Contains(text.String(), want) {
					t.Errorf("text report lacks %q:\n%s", want, text.String())
				}
			}
			b, err := json.Marshal(res)
			if err != nil {
				t.Fatal(err)
			}
			var back Result
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatal(err)
			}
			if countsOf(back) != countsOf(res) || back.Delivery == nil || back.Delivery.Distinct != d.Distinct {
				t.Errorf("JSON round trip lost data: %s", b)
			}
		})
	}
}

func equalErrors(a, b []ErrorCount) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestRunCanceled(t *testing.T) {
	dir := t.TempDir()
	srv := loadgentest.New(t, dir, loadgentest.Options{Streams: map[string]string{"s": DefaultBucket}})
	ctx, cancel := context.WithCancel(context.Background())
	// Cancel once a progress line shows records sent: the run is then
	// under way, and Run must stop early with the counts so far.
	o := Options{Endpoint: srv.URL, Stream: "s", Duration: time.Hour, BatchSize: 10, Concurrency: 2, ProgressInterval: time.Millisecond}
	res, err := Run(ctx, o, writerFunc(func(p []byte) (int, error) {
		if !strings.Contains(string(p), "sent 0 ") {
			cancel()
		}
		return len(p), nil
	}))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run error = %v, want context.Canceled", err)
	}
	// A call cancelled in flight may still have been accepted by the server.
	if res.RecordsSent > srv.Accepted() || res.RecordsSent == 0 {
		t.Errorf("RecordsSent = %d after %d calls, server accepted %d", res.RecordsSent, res.Requests, srv.Accepted())
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func TestOptionsValidate(t *testing.T) {
	tests := []struct {
		name   string
		opts   Options
		expErr []string // field names the error must mention; nil: valid
	}{
		{name: "defaults", opts: Options{Stream: "s"}},
		{name: "full", opts: Options{Stream: "a.b_c-1", Endpoint: "https://firehose.us-east-1.amazonaws.com", Count: 5, Rate: 10,
			AccessKeyID: "AK", SecretAccessKey: "SK", RunID: "r_1.2", Create: &CreateOptions{Compression: "HADOOP_SNAPPY", BufferMB: 128, BufferSeconds: 900}}},
		{name: "max batch bytes", opts: Options{Stream: "s", BatchSize: 5, RecordSize: MaxBatchBytes / 5}},
		{name: "no stream", opts: Options{}, expErr: []string{"Stream"}},
		{name: "bad endpoint", opts: Options{Stream: "s", Endpoint: "127.0.0.1:4573"}, expErr: []string{"Endpoint"}},
		{name: "everything wrong", opts: Options{
			Stream: "bad/name", BatchSize: 501, RecordSize: -1, Concurrency: -1, Count: -1, Rate: -1, RunID: "has-dash",
			AccessKeyID: "AK", Create: &CreateOptions{Bucket: "Bad_Bucket", Compression: "gzip", BufferMB: 129, BufferSeconds: 901},
		}, expErr: []string{"Stream", "BatchSize", "RecordSize", "Concurrency", "Count", "Rate", "RunID", "SecretAccessKey",
			"Create.Bucket", "Create.Compression", "Create.BufferMB", "Create.BufferSeconds"}},
		{name: "batch over 4 MiB", opts: Options{Stream: "s", BatchSize: 500, RecordSize: 10000}, expErr: []string{"RecordSize"}},
		{name: "negative duration", opts: Options{Stream: "s", Duration: -time.Second}, expErr: []string{"Duration"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.opts.Validate()
			if tt.expErr == nil {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, ErrInvalidOptions) {
				t.Fatalf("Validate() = %v, want ErrInvalidOptions", err)
			}
			got := len(err.(interface{ Unwrap() []error }).Unwrap())
			if got != len(tt.expErr) {
				t.Errorf("Validate() reported %d problems, want %d: %v", got, len(tt.expErr), err)
			}
			for _, field := range tt.expErr {
				if !strings.Contains(err.Error(), field+": ") {
					t.Errorf("Validate() = %v, want a problem with %s", err, field)
				}
			}
		})
	}
}

func TestRecordGen(t *testing.T) {
	tests := []struct {
		name string
		size int
		// expShort: records are longer than size, with an empty pad.
		expShort bool
	}{
		{name: "default size", size: 200},
		{name: "just above the id", size: 50},
		{name: "smaller than the id", size: 1, expShort: true},
		{name: "large", size: 100_000},
	}
	now := time.UnixMilli(1_700_000_000_000)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newRecordGen("run", 3, tt.size, 4)
			seen := map[string]bool{}
			for range 3 { // several batches reuse the buffers
				recs, total := g.batch(4, now)
				var sum int64
				for _, r := range recs {
					var v struct {
						ID  string
						TS  int64
						Pad string
					}
					if err := json.Unmarshal(r.Data, &v); err != nil {
						t.Fatalf("record %q is not JSON: %v", r.Data[:min(len(r.Data), 80)], err)
					}
					short := len(r.Data) > tt.size && v.Pad == ""
					if (len(r.Data) != tt.size && !short) || short != tt.expShort || r.Data[len(r.Data)-1] != '\n' {
						t.Fatalf("record %q: %d bytes for size %d", r.Data[:min(len(r.Data), 80)], len(r.Data), tt.size)
					}
					if !strings.HasPrefix(v.ID, "run-3-") || v.TS != now.UnixMilli() || seen[v.ID] {
						t.Fatalf("record %+v: bad or repeated id or ts", v)
					}
					seen[v.ID] = true
					sum += int64(len(r.Data))
				}
				if sum != total {
					t.Errorf("batch size = %d, records add up to %d", total, sum)
				}
			}
			if len(seen) != 12 {
				t.Errorf("%d distinct ids, want 12", len(seen))
			}
		})
	}
}
