package deliver_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wasmhose/wasmhose/host/deliver"
	"github.com/wasmhose/wasmhose/host/fault"
	"github.com/wasmhose/wasmhose/host/objstore"
	"github.com/wasmhose/wasmhose/host/stream"
	"github.com/wasmhose/wasmhose/host/wal"
)

// logged is one line of a stream's error log (Firehose's CloudWatch shape).
type logged struct {
	DeliveryStreamARN string `json:"deliveryStreamARN"`
	Destination       string `json:"destination"`
	ErrorCode         string `json:"errorCode"`
	Message           string `json:"message"`
}

// withErrorLog turns on CloudWatchLoggingOptions (group g, stream "S3Delivery").
func withErrorLog(d *stream.ExtendedS3DestinationConfiguration) {
	d.CloudWatchLoggingOptions = &stream.CloudWatchLoggingOptions{Enabled: stream.Bool(true),
		LogGroupName: stream.String("/aws/kinesisfirehose/g"), LogStreamName: stream.String("S3Delivery")}
}

// errorLog reads the error log withErrorLog configures under logsDir.
func errorLog(t *testing.T, logsDir string) []logged {
	t.Helper()
	f, err := os.Open(filepath.Join(logsDir, "aws", "kinesisfirehose", "g", "S3Delivery.log"))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []logged
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var l logged
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("error log line %q: %v", sc.Text(), err)
		}
		out = append(out, l)
	}
	return out
}

// countLines counts each record line across the data objects of local.
func countLines(t *testing.T, local objstore.Store, under string) map[string]int {
	t.Helper()
	seen := map[string]int{}
	for _, o := range objects(t, local) {
		if !strings.HasPrefix(o.Key, under) {
			continue
		}
		for _, l := range strings.SplitAfter(string(o.Body), "\n") {
			if l != "" {
				seen[l]++
			}
		}
	}
	return seen
}

// TestStoreFaults: each failure S3 answers, injected into the first three
// store calls, is retried with backoff, logged with its Firehose error
// code in the stream's error log, and once the store answers every record
// is stored exactly once and the log is fully acknowledged. Even a lost
// response (the object stored, the call reported failed) duplicates
// nothing: the retry stores the same object under the same key.
func TestStoreFaults(t *testing.T) {
	tests := []struct {
		name string
		rule fault.Rule
		code string // logged error code; "" when nothing fails
	}{
		{name: "500 InternalError", rule: fault.Rule{Op: fault.OpPut, Times: 3, Err: fault.InternalError()}, code: "InternalError"},
		{name: "503 SlowDown", rule: fault.Rule{Op: fault.OpPut, Times: 3, Err: fault.SlowDown()}, code: "S3.SlowDown"},
		{name: "403 AccessDenied", rule: fault.Rule{Op: fault.OpPut, Times: 3, Err: fault.AccessDenied()}, code: "S3.AccessDenied"},
		{name: "404 NoSuchBucket", rule: fault.Rule{Op: fault.OpPut, Times: 3, Err: fault.NoSuchBucket()}, code: "S3.NoSuchBucket"},
		{name: "network failure", rule: fault.Rule{Op: fault.OpPut, Times: 3, Err: syscall.ECONNREFUSED}, code: "InternalError"},
		{name: "slow store", rule: fault.Rule{Op: fault.OpPut, Times: 3, Delay: 20 * time.Millisecond}},
		{name: "lost response", rule: fault.Rule{Op: fault.OpPut, Times: 1, Commit: true, Err: fault.InternalError()}, code: "InternalError"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			local := newLocal(t)
			plan := fault.NewPlan(tc.rule)
			logs := t.TempDir()
			s := newStream("faults", withErrorLog)
			p := open(t, s, deliver.Options{LogDir: t.TempDir(), Store: fault.NewStore(local, plan), LogsDir: logs})
			const batches, per = 4, 25
			for i := range batches {
				put(t, p, lines("r", i*per, per)...)
				p.Flush()
			}
			waitFor(t, "every record delivered", func() bool { return p.Stats().DeliveredRecords == batches*per })
			checkAllAcked(t, p, batches*per)
			seen := countLines(t, local, "")
			for _, rec := range lines("r", 0, batches*per) {
				if n := seen[string(rec)]; n != 1 {
					t.Fatalf("record %q stored %d times, want once", rec, n)
				}
			}
			failures := plan.Injected(fault.OpPut)
			if st := p.Stats(); st.FailedStoreCalls != int64(failures) {
				t.Fatalf("FailedStoreCalls = %d, want %d", st.FailedStoreCalls, failures)
			}
			el := errorLog(t, logs)
			if len(el) != failures {
				t.Fatalf("error log has %d lines, want one per failed call (%d): %+v", len(el), failures, el)
			}
			for _, l := range el {
				if l.ErrorCode != tc.code || l.DeliveryStreamARN != s.ARN || l.Destination != s.Destination.BucketARN {
					t.Fatalf("error log line %+v, want errorCode %s", l, tc.code)
				}
			}
			if tc.code != "" {
				if re := p.RecentErrors(); len(re) != failures || re[0].ErrorCode != tc.code {
					t.Fatalf("recent errors %+v", re)
				}
			}
		})
	}
}

// TestOutageThenRecovery: every store call fails (503 SlowDown) while
// records keep arriving; they wait in the log; when the outage ends,
// everything acknowledged is stored, once.
func TestOutageThenRecovery(t *testing.T) {
	tests := []struct {
		name   string
		stream *stream.Stream
		opts   func(*deliver.Options)
		prefix string // what the stream puts before each record
	}{
		{"plain", newStream("outage", nil), nil, ""},
		// Transformed batches wait in the destination buffer and in the
		// store's retries; the log is released only when they are stored.
		{"with a plugin", lambdaStream("outage", stream.ProcessorParameter{ParameterName: "BufferIntervalInSeconds", ParameterValue: "0"}),
			func(o *deliver.Options) { o.Transforms = newKitchenResolver(t) }, "T:"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			local := newLocal(t)
			plan := fault.NewPlan()
			down := plan.Add(fault.Rule{Op: fault.OpPut, Err: fault.SlowDown()})
			o := deliver.Options{LogDir: t.TempDir(), Store: fault.NewStore(local, plan), Workers: 2}
			if tc.opts != nil {
				tc.opts(&o)
			}
			p := open(t, tc.stream, o)
			for i := range 10 {
				put(t, p, lines("o", i*10, 10)...)
				p.Flush()
			}
			waitFor(t, "several failed attempts", func() bool { return plan.Injected(fault.OpPut) >= 10 })
			if st := p.Stats(); st.DeliveredRecords != 0 || st.Log.Unacked != 100 {
				t.Fatalf("during the outage: %+v", st)
			}
			down()
			waitFor(t, "delivery after the outage", func() bool { return p.Stats().DeliveredRecords == 100 })
			checkAllAcked(t, p, 100)
			seen := countLines(t, local, "")
			for _, rec := range lines("o", 0, 100) {
				if seen[tc.prefix+string(rec)] != 1 {
					t.Fatalf("record %q stored %d times", rec, seen[tc.prefix+string(rec)])
				}
			}
		})
	}
}

// TestErrorOutputFailuresAreRetried: the processing-failed error output
// failing is retried like the data output; no error record is dropped, and
// the batch is acknowledged only when both objects are stored.
func TestErrorOutputFailuresAreRetried(t *testing.T) {
	local := newLocal(t)
	plan := fault.NewPlan()
	down := plan.Add(fault.Rule{Op: fault.OpPut, Name: "/errors/", Err: fault.InternalError()})
	p := open(t, lambdaStream("errout"), deliver.Options{LogDir: t.TempDir(), Store: fault.NewStore(local, plan),
		Transforms: newKitchenResolver(t), Now: newClock(t0).Now})
	put(t, p, []byte("a"), []byte("fail"), []byte("b"), []byte("fail"))
	p.Flush()
	waitFor(t, "the error output failing", func() bool { return plan.Injected(fault.OpPut) >= 3 })
	if st := p.Stats(); st.ErrorObjects != 0 || st.Log.Unacked != 4 {
		t.Fatalf("while the error output fails: %+v", st)
	}
	down()
	waitFor(t, "both outputs stored", func() bool { st := p.Stats(); return st.ErrorObjects == 1 && st.DeliveredObjects == 1 })
	checkAllAcked(t, p, 4)
	data, errs := split(t, objects(t, local))
	if data != "T:a\nT:b\n" || len(errs) != 2 || string(errs[0].RawData) != "fail" || string(errs[1].RawData) != "fail" {
		t.Fatalf("data %q, error records %+v", data, errs)
	}
}

// TestRetentionDiscardsLoudly: records that cannot be delivered within the
// retention period are discarded, as Firehose discards them after 24 h,
// but never silently: the error log says S3.RetentionExpired with the
// count, and the expired counters move. Records younger than the period
// keep waiting; after the outage, new records are delivered as usual.
func TestRetentionDiscardsLoudly(t *testing.T) {
	local := newLocal(t)
	plan := fault.NewPlan()
	down := plan.Add(fault.Rule{Op: fault.OpPut, Err: fault.NoSuchBucket()})
	clk := newClock(t0)
	logs := t.TempDir()
	p := open(t, newStream("ret", withErrorLog), deliver.Options{LogDir: t.TempDir(), Store: fault.NewStore(local, plan),
		Now: clk.Now, Retention: time.Hour, LogsDir: logs, Workers: 1})
	put(t, p, lines("old", 0, 7)...)
	p.Flush()
	waitFor(t, "failed attempts", func() bool { return plan.Injected(fault.OpPut) >= 3 })
	clk.Set(t0.Add(59 * time.Minute))
	n := plan.Injected(fault.OpPut)
	waitFor(t, "more attempts within the retention", func() bool { return plan.Injected(fault.OpPut) >= n+3 })
	if st := p.Stats(); st.ExpiredRecords != 0 || st.Log.Unacked != 7 {
		t.Fatalf("records expired before the retention period: %+v", st)
	}
	clk.Set(t0.Add(61 * time.Minute))
	waitFor(t, "the records expired", func() bool { return p.Stats().ExpiredRecords == 7 })
	st := p.Stats()
	if st.ExpiredObjects != 1 || st.DeliveredRecords != 0 || st.Log.Unacked != 0 || st.PendingBytes != 0 {
		t.Fatalf("after expiry: %+v", st)
	}
	var expired []logged
	for _, l := range errorLog(t, logs) {
		if l.ErrorCode == "S3.RetentionExpired" {
			expired = append(expired, l)
		} else if l.ErrorCode != "S3.NoSuchBucket" {
			t.Fatalf("unexpected error log line %+v", l)
		}
	}
	if len(expired) != 1 || !strings.Contains(expired[0].Message, "7 records discarded") || !strings.Contains(expired[0].Message, "S3.NoSuchBucket") {
		t.Fatalf("expiry log lines %+v", expired)
	}
	down()
	put(t, p, lines("new", 0, 3)...)
	p.Flush()
	waitFor(t, "new records delivered", func() bool { return p.Stats().DeliveredRecords == 3 })
	if seen := countLines(t, local, ""); len(seen) != 3 {
		t.Fatalf("stored %v", seen)
	}
}

// TestMemoryBudgetAcrossStreams: a budget shared by two streams throttles
// either once their undelivered records together reach it, and gives the
// room back as deliveries complete and when a pipeline closes.
func TestMemoryBudgetAcrossStreams(t *testing.T) {
	local := newLocal(t)
	plan := fault.NewPlan()
	down := plan.Add(fault.Rule{Op: fault.OpPut, Err: fault.SlowDown()})
	budget := deliver.NewBudget(1000)
	store := fault.NewStore(local, plan)
	opts := func() deliver.Options {
		return deliver.Options{LogDir: t.TempDir(), Store: store, Memory: budget}
	}
	a := open(t, newStream("a", nil), opts())
	b := open(t, newStream("b", nil), opts())
	rec := func() [][]byte { return [][]byte{make([]byte, 300)} }
	put(t, a, rec()...)
	put(t, a, rec()...)
	put(t, b, rec()...)
	if _, err := b.Put(context.Background(), rec()); !errors.Is(err, deliver.ErrBackpressure) {
		t.Fatalf("Put past the shared budget = %v, want ErrBackpressure", err)
	}
	if _, err := a.Put(context.Background(), rec()); !errors.Is(err, deliver.ErrBackpressure) {
		t.Fatalf("Put past the shared budget = %v, want ErrBackpressure", err)
	}
	if budget.Used() != 900 || b.Stats().ThrottledRecords != 1 || b.Stats().Log.NextSeq != 2 {
		t.Fatalf("budget used %d, b %+v", budget.Used(), b.Stats())
	}
	a.Flush()
	b.Flush()
	down()
	waitFor(t, "the budget released by deliveries", func() bool { return budget.Used() == 0 })
	put(t, b, rec()...)
	put(t, b, rec()...)

	// A closed pipeline's undelivered records stay in its log, not in
	// memory: closing gives their room back.
	c := open(t, newStream("c", nil), deliver.Options{LogDir: t.TempDir(), Store: fault.NewStore(local, fault.NewPlan(fault.Rule{Op: fault.OpPut, Err: fault.SlowDown()})), Memory: budget})
	put(t, c, rec()...)
	before := budget.Used()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_ = c.Close(ctx)
	if got := budget.Used(); got != before-300 {
		t.Fatalf("budget after closing c = %d, want %d", got, before-300)
	}
}

// TestDiskFullThrottlesPut: when the write-ahead log cannot write (ENOSPC),
// Put fails without acknowledging anything and without leaking budget;
// once the disk has room Put succeeds and everything acknowledged is
// delivered.
func TestDiskFullThrottlesPut(t *testing.T) {
	local := newLocal(t)
	plan := fault.NewPlan()
	budget := deliver.NewBudget(1 << 20)
	p := open(t, newStream("full", nil), deliver.Options{LogDir: t.TempDir(), Store: local, Memory: budget,
		Log: wal.Options{NoSync: true, FS: fault.NewFS(plan, nil)}})
	put(t, p, lines("before", 0, 5)...)
	full := plan.Add(fault.Rule{Op: fault.OpWrite, Name: ".wal", Partial: 11, Err: syscall.ENOSPC})
	for i := range 5 {
		if _, err := p.Put(context.Background(), lines("full", i, 1)); !errors.Is(err, syscall.ENOSPC) {
			t.Fatalf("Put with the disk full = %v, want ENOSPC", err)
		}
	}
	if st := p.Stats(); st.IncomingRecords != 5 || st.PendingBytes != budget.Used() {
		t.Fatalf("after refused puts: %+v, budget %d", st, budget.Used())
	}
	full()
	put(t, p, lines("after", 0, 5)...)
	p.Flush()
	waitFor(t, "delivery", func() bool { return p.Stats().DeliveredRecords == 10 })
	checkAllAcked(t, p, 10)
	seen := countLines(t, local, "")
	if len(seen) != 10 || seen["full-0000\n"] != 0 {
		t.Fatalf("stored %v", seen)
	}
}
