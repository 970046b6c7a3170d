package deliver_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	_ "time/tzdata" // CustomTimeZone cases must not depend on the machine's zoneinfo

	"github.com/aws/smithy-go"
	"github.com/google/uuid"

	"github.com/wasmhose/wasmhose/host/compress"
	"github.com/wasmhose/wasmhose/host/deliver"
	"github.com/wasmhose/wasmhose/host/objstore"
	"github.com/wasmhose/wasmhose/host/stream"
	"github.com/wasmhose/wasmhose/host/wal"
)

const (
	testBucket = "bkt"
	testRole   = "arn:aws:iam::000000000000:role/firehose"
	uuidRE     = `[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`
)

// t0 is the arrival time of the first record in most tests.
var t0 = time.Date(2026, 11, 26, 2, 41, 7, 0, time.UTC)

// clock is an injectable Options.Now that moves only when told to.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock(t time.Time) *clock { return &clock{t: t} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// putCall is one Put attempt seen by a faultStore.
type putCall struct {
	Bucket, Key string
	Opts        objstore.PutOptions
	Err         error
}

// faultStore wraps an objstore.Store and injects failures into Put. Its
// knobs are set before the pipeline opens (down may change at any time).
type faultStore struct {
	objstore.Store
	failNth   int64         // fail only the Nth Put call (1-based); 0 = none
	failFirst int64         // fail the first N Put calls
	delay     time.Duration // wait this long (or until ctx ends) before each Put
	block     chan struct{} // when not nil, Put waits until it is closed (or ctx ends)
	down      atomic.Bool   // while true, every Put fails

	calls atomic.Int64
	mu    sync.Mutex
	log   []putCall
}

// errUnavailable is a retryable S3 failure, as S3 answers a 503 SlowDown.
func errUnavailable(bucket, key string) error {
	return &objstore.Error{Op: "put", Bucket: bucket, Key: key,
		Err: &smithy.GenericAPIError{Code: "ServiceUnavailable", Message: "injected fault", Fault: smithy.FaultServer}}
}

func (f *faultStore) Put(ctx context.Context, bucket, key string, body []byte, o objstore.PutOptions) error {
	n := f.calls.Add(1)
	err := f.put(ctx, n, bucket, key, body, o)
	f.mu.Lock()
	f.log = append(f.log, putCall{Bucket: bucket, Key: key, Opts: o, Err: err})
	f.mu.Unlock()
	return err
}

func (f *faultStore) put(ctx context.Context, n int64, bucket, key string, body []byte, o objstore.PutOptions) error {
	if f.delay > 0 {
		select {
		case <-time.After(f.delay):
		case <-ctx.Done():
			return &objstore.Error{Op: "put", Bucket: bucket, Key: key, Err: ctx.Err()}
		}
	}
	if f.block != nil {
		select {
		case <-f.block:
		case <-ctx.Done():
			return &objstore.Error{Op: "put", Bucket: bucket, Key: key, Err: ctx.Err()}
		}
	}
	if n == f.failNth || n <= f.failFirst || f.down.Load() {
		return errUnavailable(bucket, key)
	}
	return f.Store.Put(ctx, bucket, key, body, o)
}

// attempts returns every Put attempt so far.
func (f *faultStore) attempts() []putCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.log)
}

// newLocal returns a local store in a temporary folder.
func newLocal(t testing.TB) *objstore.Local {
	t.Helper()
	l, err := objstore.NewLocal(filepath.Join(t.TempDir(), "s3"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// newStream returns an ACTIVE version-1 stream delivering to testBucket,
// buffering 1 MiB / 900 s unless mutate says otherwise.
func newStream(name string, mutate func(d *stream.ExtendedS3DestinationConfiguration)) *stream.Stream {
	d := stream.ExtendedS3DestinationConfiguration{
		RoleARN:        testRole,
		BucketARN:      "arn:aws:s3:::" + testBucket,
		BufferingHints: &stream.BufferingHints{SizeInMBs: stream.Int(1), IntervalInSeconds: stream.Int(900)},
	}
	if mutate != nil {
		mutate(&d)
	}
	return &stream.Stream{
		ID:            uuid.NewString(),
		Name:          name,
		ARN:           "arn:aws:firehose:us-east-1:000000000000:deliverystream/" + name,
		Type:          stream.TypeDirectPut,
		Status:        stream.StatusActive,
		VersionID:     1,
		Created:       t0,
		DestinationID: stream.DefaultDestinationID,
		Destination:   stream.WithDefaults(d),
	}
}

// open opens a pipeline and closes it when the test ends (abandoning what
// is still being retried).
func open(t testing.TB, s *stream.Stream, o deliver.Options) *deliver.Pipeline {
	t.Helper()
	if o.RetryBase == 0 {
		o.RetryBase, o.RetryMax = time.Millisecond, 4*time.Millisecond
	}
	if o.Log == (wal.Options{}) {
		o.Log = wal.Options{NoSync: true}
	}
	p, err := deliver.Open(s, o)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_ = p.Close(ctx)
	})
	return p
}

// waitFor polls cond until it holds; it never sleeps a fixed time in an
// assertion.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// put appends records through the pipeline.
func put(t testing.TB, p *deliver.Pipeline, recs ...[]byte) uint64 {
	t.Helper()
	first, err := p.Put(context.Background(), recs)
	if err != nil {
		t.Fatalf("Put: %v", err)
	}
	return first
}

// lines returns n newline-terminated records "<tag>-<i>\n".
func lines(tag string, from, n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = fmt.Appendf(nil, "%s-%04d\n", tag, from+i)
	}
	return out
}

type object struct {
	Key  string
	Body []byte
}

// objects returns every object of testBucket, by key.
func objects(t testing.TB, st objstore.Store) []object {
	t.Helper()
	ctx := context.Background()
	infos, err := st.List(ctx, testBucket, "")
	if err != nil {
		t.Fatal(err)
	}
	out := make([]object, len(infos))
	for i, in := range infos {
		b, err := st.Get(ctx, testBucket, in.Key)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = object{Key: in.Key, Body: b}
	}
	return out
}

// decode returns the uncompressed content of an object of format f.
func decode(t testing.TB, f compress.Format, b []byte) []byte {
	t.Helper()
	r, err := compress.NewReader(f, bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s: %v", f, err)
	}
	defer r.Close()
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("%s: %v", f, err)
	}
	return out
}

// keyRE matches an object key: evaluated prefix, then
// <name>-<version>-<yyyy-MM-dd-HH-mm-ss>-<uuid><ext>.
func keyRE(prefix, name, version, ts, ext string) *regexp.Regexp {
	return regexp.MustCompile("^" + regexp.QuoteMeta(prefix+name+"-"+version+"-"+ts+"-") + uuidRE + regexp.QuoteMeta(ext) + "$")
}

// delivered reports whether the pipeline has stored n objects.
func delivered(p *deliver.Pipeline, n int64) func() bool {
	return func() bool { return p.Stats().DeliveredObjects >= n }
}

// checkAllAcked fails unless every record of the log is acknowledged.
func checkAllAcked(t testing.TB, p *deliver.Pipeline, records uint64) {
	t.Helper()
	l := p.Stats().Log
	if l.Unacked != 0 || l.FirstUnacked != l.NextSeq || l.NextSeq != records+1 {
		t.Fatalf("log not fully acknowledged: %+v (want %d records)", l, records)
	}
}

func TestObjectNames(t *testing.T) {
	tests := []struct {
		name      string
		mutate    func(d *stream.ExtendedS3DestinationConfiguration)
		expPrefix string
		expTS     string
		expExt    string
	}{
		{name: "default prefix", expPrefix: "2026/11/26/02/", expTS: "2026-11-26-02-41-07"},
		{name: "prefix ending in a slash",
			mutate:    func(d *stream.ExtendedS3DestinationConfiguration) { d.Prefix = stream.String("events/") },
			expPrefix: "events/2026/11/26/02/", expTS: "2026-11-26-02-41-07"},
		{name: "prefix without a slash is concatenated",
			mutate:    func(d *stream.ExtendedS3DestinationConfiguration) { d.Prefix = stream.String("legacy") },
			expPrefix: "legacy2026/11/26/02/", expTS: "2026-11-26-02-41-07"},
		{name: "expression prefix is used as is",
			mutate: func(d *stream.ExtendedS3DestinationConfiguration) {
				d.Prefix = stream.String("y=!{timestamp:yyyy}/h=!{timestamp:HH}/")
				d.ErrorOutputPrefix = stream.String("errors/!{firehose:error-output-type}/")
			},
			expPrefix: "y=2026/h=02/", expTS: "2026-11-26-02-41-07"},
		{name: "custom time zone applies to prefix and name",
			mutate:    func(d *stream.ExtendedS3DestinationConfiguration) { d.CustomTimeZone = stream.String("Asia/Tokyo") },
			expPrefix: "2026/11/26/11/", expTS: "2026-11-26-11-41-07"},
		{name: "GZIP extension",
			mutate:    func(d *stream.ExtendedS3DestinationConfiguration) { d.CompressionFormat = stream.String("GZIP") },
			expPrefix: "2026/11/26/02/", expTS: "2026-11-26-02-41-07", expExt: ".gz"},
		{name: "FileExtension replaces the default",
			mutate: func(d *stream.ExtendedS3DestinationConfiguration) {
				d.CompressionFormat = stream.String("GZIP")
				d.FileExtension = stream.String(".jsonl")
			},
			expPrefix: "2026/11/26/02/", expTS: "2026-11-26-02-41-07", expExt: ".jsonl"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			local := newLocal(t)
			clk := newClock(t0)
			s := newStream("clicks", tt.mutate)
			p := open(t, s, deliver.Options{LogDir: t.TempDir(), Store: local, Now: clk.Now})

			// The oldest record names the object, whatever order records
			// arrive in: the second Put is an hour later.
			put(t, p, []byte("first\n"))
			clk.Set(t0.Add(time.Hour + 13*time.Second))
			put(t, p, []byte("second\n"), []byte("third\n"))
			p.Flush()
			waitFor(t, "one object", delivered(p, 1))

			objs := objects(t, local)
			if len(objs) != 1 {
				t.Fatalf("%d objects, want 1", len(objs))
			}
			if re := keyRE(tt.expPrefix, "clicks", "1", tt.expTS, tt.expExt); !re.MatchString(objs[0].Key) {
				t.Fatalf("key %q does not match %s", objs[0].Key, re)
			}
			var f compress.Format
			if err := f.UnmarshalText([]byte(*s.Destination.CompressionFormat)); err != nil {
				t.Fatal(err)
			}
			if got := string(decode(t, f, objs[0].Body)); got != "first\nsecond\nthird\n" {
				t.Fatalf("content %q", got)
			}
			checkAllAcked(t, p, 3)
		})
	}
}

func TestBufferingTriggers(t *testing.T) {
	big := bytes.Repeat([]byte("x"), 600<<10) // two of them pass 1 MiB
	small := []byte("small record")
	tests := []struct {
		name        string
		sizeMB      int
		intervalSec int
		puts        [][][]byte
		flush       bool // call Flush after the puts
		expObjects  int64
		expBuffered int   // records left in the open buffer
		expRecords  int64 // records delivered
	}{
		{name: "size hint reached", sizeMB: 1, intervalSec: 900, puts: [][][]byte{{big}, {big}},
			expObjects: 1, expBuffered: 0, expRecords: 2},
		{name: "size hint reached within one put", sizeMB: 1, intervalSec: 900, puts: [][][]byte{{big, big}},
			expObjects: 1, expBuffered: 0, expRecords: 2},
		{name: "below the size hint with a long interval stays buffered", sizeMB: 1, intervalSec: 900, puts: [][][]byte{{small}, {small}},
			expObjects: 0, expBuffered: 2},
		{name: "what follows a full batch stays buffered", sizeMB: 1, intervalSec: 900, puts: [][][]byte{{big}, {big}, {small}},
			expObjects: 1, expBuffered: 1, expRecords: 2},
		{name: "Flush delivers below the size hint", sizeMB: 1, intervalSec: 900, puts: [][][]byte{{small}, {small}}, flush: true,
			expObjects: 1, expBuffered: 0, expRecords: 2},
		{name: "interval 0 delivers at once", sizeMB: 128, intervalSec: 0, puts: [][][]byte{{small}},
			expObjects: 1, expBuffered: 0, expRecords: 1},
		{name: "interval 1 s delivers below the size hint", sizeMB: 128, intervalSec: 1, puts: [][][]byte{{small, small, small}},
			expObjects: 1, expBuffered: 0, expRecords: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := &faultStore{Store: newLocal(t)}
			s := newStream("trig", func(d *stream.ExtendedS3DestinationConfiguration) {
				d.BufferingHints = &stream.BufferingHints{SizeInMBs: stream.Int(tt.sizeMB), IntervalInSeconds: stream.Int(tt.intervalSec)}
			})
			p := open(t, s, deliver.Options{LogDir: t.TempDir(), Store: fs, Workers: 1})
			n := 0
			for _, recs := range tt.puts {
				put(t, p, recs...)
				n += len(recs)
			}
			if tt.flush {
				p.Flush()
			}
			if tt.expObjects > 0 {
				waitFor(t, fmt.Sprintf("%d objects", tt.expObjects), delivered(p, tt.expObjects))
			}
			st := p.Stats()
			if st.DeliveredObjects != tt.expObjects || st.BufferedRecords != tt.expBuffered || st.IncomingRecords != int64(n) {
				t.Fatalf("stats %+v, want %d objects and %d buffered records", st, tt.expObjects, tt.expBuffered)
			}
			objs := objects(t, fs)
			if len(objs) != int(tt.expObjects) {
				t.Fatalf("%d objects in the store, want %d", len(objs), tt.expObjects)
			}
			if st.DeliveredRecords != tt.expRecords {
				t.Fatalf("delivered %d records, want %d", st.DeliveredRecords, tt.expRecords)
			}
			if l := st.Log; l.Unacked != uint64(tt.expBuffered) {
				t.Fatalf("log has %d unacknowledged records, want %d (the buffered ones)", l.Unacked, tt.expBuffered)
			}
		})
	}
}

func TestRetriesUntilStoreRecovers(t *testing.T) {
	tests := []struct {
		name       string
		store      func(objstore.Store) *faultStore
		batches    int
		expCalls   int64
		expFailed  int64
		expObjects int64
	}{
		{name: "first three puts fail", store: func(s objstore.Store) *faultStore { return &faultStore{Store: s, failFirst: 3} },
			batches: 1, expCalls: 4, expFailed: 3, expObjects: 1},
		{name: "second put fails", store: func(s objstore.Store) *faultStore { return &faultStore{Store: s, failNth: 2} },
			batches: 3, expCalls: 4, expFailed: 1, expObjects: 3},
		{name: "slow store", store: func(s objstore.Store) *faultStore { return &faultStore{Store: s, delay: 20 * time.Millisecond} },
			batches: 2, expCalls: 2, expFailed: 0, expObjects: 2},
		{name: "healthy store", store: func(s objstore.Store) *faultStore { return &faultStore{Store: s} },
			batches: 3, expCalls: 3, expFailed: 0, expObjects: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := tt.store(newLocal(t))
			p := open(t, newStream("retry", nil), deliver.Options{LogDir: t.TempDir(), Store: fs})
			var want []string
			for b := range tt.batches {
				recs := lines(fmt.Sprint("b", b), 0, 10)
				put(t, p, recs...)
				p.Flush()
				for _, r := range recs {
					want = append(want, string(r))
				}
			}
			waitFor(t, "every batch delivered", delivered(p, tt.expObjects))
			st := p.Stats()
			if st.FailedStoreCalls != tt.expFailed || fs.calls.Load() != tt.expCalls || st.DeliveredObjects != tt.expObjects ||
				st.DeliveredRecords != int64(len(want)) {
				t.Fatalf("stats %+v, %d store calls; want %d calls, %d failed, %d objects", st, fs.calls.Load(), tt.expCalls, tt.expFailed, tt.expObjects)
			}
			checkAllAcked(t, p, uint64(len(want)))
			// A retried object keeps its key, so retries never duplicate.
			keys := map[string]bool{}
			for _, a := range fs.attempts() {
				keys[a.Key] = true
			}
			if int64(len(keys)) != tt.expObjects {
				t.Fatalf("%d distinct keys attempted, want %d", len(keys), tt.expObjects)
			}
			var got []string
			for _, o := range objects(t, fs) {
				got = slices.AppendSeq(got, strings.Lines(string(o.Body)))
			}
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Fatalf("delivered %d records, want %d exactly once", len(got), len(want))
			}
		})
	}
}

func TestLogAckedOnlyAfterStore(t *testing.T) {
	fs := &faultStore{Store: newLocal(t)}
	fs.down.Store(true)
	p := open(t, newStream("ack", nil), deliver.Options{LogDir: t.TempDir(), Store: fs})
	put(t, p, lines("r", 0, 10)...)
	p.Flush()
	waitFor(t, "several failed attempts", func() bool { return p.Stats().FailedStoreCalls >= 3 })

	st := p.Stats()
	if st.DeliveredObjects != 0 || st.Log.Unacked != 10 || st.Log.FirstUnacked != 1 || st.Log.NextSeq != 11 {
		t.Fatalf("while the store fails: %+v", st)
	}
	if n := len(objects(t, fs)); n != 0 {
		t.Fatalf("%d objects while the store fails", n)
	}
	for _, a := range fs.attempts() {
		if a.Err == nil || objstore.Permanent(a.Err) {
			t.Fatalf("attempt %+v: want a retryable failure", a)
		}
	}

	fs.down.Store(false)
	waitFor(t, "delivery after recovery", delivered(p, 1))
	checkAllAcked(t, p, 10)
	if n := len(objects(t, fs)); n != 1 {
		t.Fatalf("%d objects after recovery, want 1", n)
	}
}

func TestCloseWithFailingStoreKeepsRecordsForNextOpen(t *testing.T) {
	local := newLocal(t)
	logDir := t.TempDir()
	s := newStream("keep", nil)

	failing := &faultStore{Store: local}
	failing.down.Store(true)
	p, err := deliver.Open(s, deliver.Options{LogDir: logDir, Store: failing, Log: wal.Options{NoSync: true},
		RetryBase: time.Millisecond, RetryMax: 4 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { // a no-op once the test has closed it
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_ = p.Close(ctx)
	})
	var want []string
	for b := range 3 {
		recs := lines(fmt.Sprint("b", b), 0, 10)
		put(t, p, recs...)
		p.Flush()
		for _, r := range recs {
			want = append(want, string(r))
		}
	}
	put(t, p, lines("open", 0, 5)...) // still in the open buffer at Close
	for _, r := range lines("open", 0, 5) {
		want = append(want, string(r))
	}
	waitFor(t, "failed attempts", func() bool { return p.Stats().FailedStoreCalls >= 2 })

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err = p.Close(ctx)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "left in the log") {
		t.Fatalf("Close = %v, want a deadline error saying records stay in the log", err)
	}
	if _, err := p.Put(context.Background(), [][]byte{[]byte("late")}); !errors.Is(err, deliver.ErrClosed) {
		t.Fatalf("Put after Close = %v, want ErrClosed", err)
	}
	if n := len(objects(t, local)); n != 0 {
		t.Fatalf("%d objects stored by a failing store", n)
	}

	// The records are in the log, unacknowledged.
	l, err := wal.Open(logDir, wal.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	if err := l.Replay(func(wal.Entry) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if n != len(want) {
		t.Fatalf("log holds %d records, want %d", n, len(want))
	}

	// A new pipeline on the same log, with a store that works, delivers
	// every record exactly once.
	working := &faultStore{Store: local}
	p2 := open(t, s, deliver.Options{LogDir: logDir, Store: working})
	// Replay runs in the background, so Open returns even when the store is down.
	waitFor(t, "the log replayed", func() bool { return p2.Stats().ReplayedRecords == int64(len(want)) })
	p2.Flush()
	waitFor(t, "replayed records delivered", func() bool { return p2.Stats().DeliveredRecords == int64(len(want)) })
	checkAllAcked(t, p2, uint64(len(want)))
	var got []string
	for _, o := range objects(t, local) {
		got = slices.AppendSeq(got, strings.Lines(string(o.Body)))
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("delivered %d records after reopen, want exactly the %d acknowledged ones", len(got), len(want))
	}
	if err := p2.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestUpdateFlushesUnderOldVersion(t *testing.T) {
	tests := []struct {
		name string
		busy bool // a delivery is in flight when Update runs, so the flushed batch waits in the queue
	}{
		{name: "idle workers"},
		{name: "busy worker", busy: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := &faultStore{Store: newLocal(t)}
			if tt.busy {
				fs.block = make(chan struct{})
			}
			clk := newClock(t0)
			s := newStream("upd", func(d *stream.ExtendedS3DestinationConfiguration) { d.Prefix = stream.String("v1/") })
			p := open(t, s, deliver.Options{LogDir: t.TempDir(), Store: fs, Now: clk.Now, Workers: 1})
			var expObjects int64 = 2
			if tt.busy {
				put(t, p, []byte("in-flight\n"))
				p.Flush()
				waitFor(t, "a delivery in flight", func() bool { return fs.calls.Load() == 1 })
				expObjects = 3
			}
			put(t, p, lines("old", 0, 5)...)

			s2 := s.Clone()
			s2.VersionID = 2
			s2.Destination.Prefix = stream.String("v2/")
			if err := p.Update(s2); err != nil {
				t.Fatal(err)
			}
			if tt.busy {
				close(fs.block) // the worker may take the next batch now
			}
			put(t, p, lines("new", 0, 3)...)
			p.Flush()
			waitFor(t, "objects of both versions", delivered(p, expObjects))

			var v1, v2 []string
			for _, o := range objects(t, fs) {
				switch {
				case regexp.MustCompile(`^v1/2026/11/26/02/upd-1-2026-11-26-02-41-07-` + uuidRE + `$`).MatchString(o.Key):
					v1 = append(v1, string(o.Body))
				case regexp.MustCompile(`^v2/2026/11/26/02/upd-2-2026-11-26-02-41-07-` + uuidRE + `$`).MatchString(o.Key):
					v2 = append(v2, string(o.Body))
				default:
					t.Fatalf("unexpected object %q", o.Key)
				}
			}
			slices.Sort(v1)
			expV1 := []string{"old-0000\nold-0001\nold-0002\nold-0003\nold-0004\n"}
			if tt.busy {
				expV1 = []string{"in-flight\n", expV1[0]}
				slices.Sort(expV1)
			}
			if !slices.Equal(v1, expV1) || !slices.Equal(v2, []string{"new-0000\nnew-0001\nnew-0002\n"}) {
				t.Fatalf("version 1 objects %q, version 2 objects %q", v1, v2)
			}
		})
	}
}

func TestUpdateRejectsBrokenConfiguration(t *testing.T) {
	local := newLocal(t)
	s := newStream("bad", nil)
	p := open(t, s, deliver.Options{LogDir: t.TempDir(), Store: local})
	put(t, p, []byte("kept\n"))
	tests := []struct {
		name   string
		mutate func(s *stream.Stream)
		expErr string
	}{
		{name: "unknown compression", mutate: func(s *stream.Stream) { s.Destination.CompressionFormat = stream.String("BROTLI") }, expErr: "BROTLI"},
		{name: "not a bucket ARN", mutate: func(s *stream.Stream) { s.Destination.BucketARN = "arn:aws:sqs:::q" }, expErr: "not an S3 bucket ARN"},
		{name: "unknown time zone", mutate: func(s *stream.Stream) { s.Destination.CustomTimeZone = stream.String("Mars/Base") }, expErr: "Mars/Base"},
		{name: "unsupported processor", mutate: func(s *stream.Stream) {
			s.Destination.ProcessingConfiguration = &stream.ProcessingConfiguration{Enabled: stream.Bool(true), Processors: []stream.Processor{{Type: "RecordDeAggregation"}}}
		}, expErr: "processor type RecordDeAggregation is not supported"},
		{name: "Lambda without a plugin runtime", mutate: func(s *stream.Stream) {
			s.Destination.ProcessingConfiguration = &stream.ProcessingConfiguration{Enabled: stream.Bool(true), Processors: []stream.Processor{{Type: "Lambda",
				Parameters: []stream.ProcessorParameter{{ParameterName: "LambdaArn", ParameterValue: "arn:aws:lambda:us-east-1:000000000000:function:f"}}}}}
		}, expErr: "no plugin runtime is configured"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s2 := s.Clone()
			s2.VersionID = 2
			tt.mutate(s2)
			err := p.Update(s2)
			if err == nil || !strings.Contains(err.Error(), tt.expErr) {
				t.Fatalf("Update = %v, want an error containing %q", err, tt.expErr)
			}
		})
	}
	// The old configuration still applies.
	p.Flush()
	waitFor(t, "object", delivered(p, 1))
	if objs := objects(t, local); len(objs) != 1 || !strings.Contains(objs[0].Key, "/bad-1-") {
		t.Fatalf("objects after refused updates: %v", objs)
	}
}

func TestAppendDelimiterToRecord(t *testing.T) {
	processor := func(enabled bool, params ...stream.ProcessorParameter) func(d *stream.ExtendedS3DestinationConfiguration) {
		return func(d *stream.ExtendedS3DestinationConfiguration) {
			d.ProcessingConfiguration = &stream.ProcessingConfiguration{Enabled: stream.Bool(enabled),
				Processors: []stream.Processor{{Type: "AppendDelimiterToRecord", Parameters: params}}}
		}
	}
	tests := []struct {
		name   string
		mutate func(d *stream.ExtendedS3DestinationConfiguration)
		exp    string
	}{
		{name: "no processing: records concatenated", exp: `{"a":1}{"a":2}{"a":3}`},
		{name: "processing disabled", mutate: processor(false), exp: `{"a":1}{"a":2}{"a":3}`},
		{name: "default delimiter is a newline", mutate: processor(true), exp: "{\"a\":1}\n{\"a\":2}\n{\"a\":3}\n"},
		{name: "base64 Delimiter parameter", mutate: processor(true, stream.ProcessorParameter{ParameterName: "Delimiter", ParameterValue: "fHw="}),
			exp: `{"a":1}||{"a":2}||{"a":3}||`},
		{name: "base64 CRLF", mutate: processor(true, stream.ProcessorParameter{ParameterName: "Delimiter", ParameterValue: "DQo="}),
			exp: "{\"a\":1}\r\n{\"a\":2}\r\n{\"a\":3}\r\n"},
		{name: "non-base64 Delimiter is literal", mutate: processor(true, stream.ProcessorParameter{ParameterName: "Delimiter", ParameterValue: ","}),
			exp: `{"a":1},{"a":2},{"a":3},`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			local := newLocal(t)
			p := open(t, newStream("delim", tt.mutate), deliver.Options{LogDir: t.TempDir(), Store: local})
			put(t, p, []byte(`{"a":1}`), []byte(`{"a":2}`))
			put(t, p, []byte(`{"a":3}`))
			p.Flush()
			waitFor(t, "object", delivered(p, 1))
			objs := objects(t, local)
			if len(objs) != 1 || string(objs[0].Body) != tt.exp {
				t.Fatalf("objects %q, want one holding %q", objs, tt.exp)
			}
			if st := p.Stats(); st.DeliveredBytes != int64(len(`{"a":1}`)*3) || st.IncomingBytes != st.DeliveredBytes {
				t.Fatalf("bytes: %+v", st)
			}
		})
	}
}

func TestCompressionFormats(t *testing.T) {
	const kmsKey = "arn:aws:kms:us-east-1:000000000000:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	tests := []struct {
		name        string
		format      compress.Format
		fileExt     string
		kms         bool
		expExt      string
		expEncoding string
	}{
		{name: "UNCOMPRESSED", format: compress.Uncompressed, expExt: "", expEncoding: ""},
		{name: "GZIP", format: compress.GZIP, expExt: ".gz", expEncoding: "gzip"},
		{name: "ZIP", format: compress.ZIP, expExt: ".zip", expEncoding: "zip"},
		{name: "Snappy", format: compress.Snappy, expExt: ".snappy", expEncoding: "snappy-java"},
		{name: "HADOOP_SNAPPY", format: compress.HadoopSnappy, expExt: ".snappy", expEncoding: "hadoop-snappy"},
		{name: "GZIP with FileExtension", format: compress.GZIP, fileExt: ".json.gz", expExt: ".json.gz", expEncoding: "gzip"},
		{name: "GZIP with SSE-KMS", format: compress.GZIP, kms: true, expExt: ".gz", expEncoding: "gzip"},
	}
	// Enough data for several Snappy blocks and a real deflate stream.
	var recs [][]byte
	var want bytes.Buffer
	for i := range 2000 {
		r := fmt.Appendf(nil, `{"i":%d,"page":"/p/%d","pad":"%s"}`+"\n", i, i%37, strings.Repeat("z", i%50))
		recs = append(recs, r)
		want.Write(r)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := &faultStore{Store: newLocal(t)}
			s := newStream("fmt", func(d *stream.ExtendedS3DestinationConfiguration) {
				d.CompressionFormat = stream.String(string(tt.format))
				if tt.fileExt != "" {
					d.FileExtension = stream.String(tt.fileExt)
				}
				if tt.kms {
					d.EncryptionConfiguration = &stream.EncryptionConfiguration{KMSEncryptionConfig: &stream.KMSEncryptionConfig{AWSKMSKeyARN: kmsKey}}
				}
			})
			p := open(t, s, deliver.Options{LogDir: t.TempDir(), Store: fs, Now: newClock(t0).Now})
			for c := range slices.Chunk(recs, 500) {
				put(t, p, c...)
			}
			p.Flush()
			waitFor(t, "object", delivered(p, 1))
			objs := objects(t, fs)
			if len(objs) != 1 {
				t.Fatalf("%d objects", len(objs))
			}
			if re := keyRE("2026/11/26/02/", "fmt", "1", "2026-11-26-02-41-07", tt.expExt); !re.MatchString(objs[0].Key) {
				t.Fatalf("key %q does not match %s", objs[0].Key, re)
			}
			if got := decode(t, tt.format, objs[0].Body); !bytes.Equal(got, want.Bytes()) {
				t.Fatalf("decoded %d bytes, want %d", len(got), want.Len())
			}
			if tt.format != compress.Uncompressed && len(objs[0].Body) >= want.Len() {
				t.Fatalf("%s did not compress: %d bytes from %d", tt.format, len(objs[0].Body), want.Len())
			}
			a := fs.attempts()
			expKMS := ""
			if tt.kms {
				expKMS = kmsKey
			}
			if len(a) != 1 || a[0].Opts.ContentType != "application/octet-stream" || a[0].Opts.ContentEncoding != tt.expEncoding ||
				a[0].Opts.SSEKMSKeyID != expKMS || a[0].Bucket != testBucket {
				t.Fatalf("put options %+v, want Content-Encoding %q and KMS key %q", a, tt.expEncoding, expKMS)
			}
		})
	}
}

func TestPutAfterClose(t *testing.T) {
	local := newLocal(t)
	p := open(t, newStream("closed", nil), deliver.Options{LogDir: t.TempDir(), Store: local})
	put(t, p, []byte("before\n"))
	if err := p.Close(context.Background()); err != nil {
		t.Fatalf("Close: %v", err)
	}
	tests := []struct {
		name   string
		data   [][]byte
		expErr error
	}{
		{name: "one record", data: [][]byte{[]byte("after")}, expErr: deliver.ErrClosed},
		{name: "a batch", data: lines("after", 0, 3), expErr: deliver.ErrClosed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := p.Put(context.Background(), tt.data); !errors.Is(err, tt.expErr) {
				t.Fatalf("Put after Close = %v, want %v", err, tt.expErr)
			}
		})
	}
	if err := p.Close(context.Background()); err != nil {
		t.Fatalf("second Close = %v, want nil", err)
	}
	p.Flush() // a no-op, not a panic
	// Close delivered what was buffered, and acknowledged it.
	if objs := objects(t, local); len(objs) != 1 || string(objs[0].Body) != "before\n" {
		t.Fatalf("objects after Close: %q", objs)
	}
	if st := p.Stats(); st.IncomingRecords != 1 || st.DeliveredRecords != 1 || st.Log.Unacked != 0 {
		t.Fatalf("stats after Close: %+v", st)
	}
}

func TestCloseReturnsWhilePutIsBlockedByBackpressure(t *testing.T) {
	fs := &faultStore{Store: newLocal(t)}
	fs.down.Store(true)
	p := open(t, newStream("bp", nil), deliver.Options{LogDir: t.TempDir(), Store: fs, Workers: 1})
	t.Cleanup(func() { fs.down.Store(false) }) // runs before open's cleanup: lets a stuck Close finish
	big := bytes.Repeat([]byte("x"), 600<<10)
	put(t, p, big, big) // batch 1: the worker retries it
	waitFor(t, "a failing delivery", func() bool { return p.Stats().FailedStoreCalls >= 1 })
	put(t, p, big, big) // batch 2: waits in the queue
	// Batch 3 blocks in enqueue, inside Put.
	go func() { _, _ = p.Put(context.Background(), [][]byte{big, big}) }()
	waitFor(t, "the third put in the log", func() bool { return p.Stats().Log.NextSeq == 7 })

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- p.Close(ctx) }()
	select {
	case err := <-done:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Close = %v, want a deadline error", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not return after its context expired")
	}
}

// BenchmarkPipelinePut measures Put of 500 records of 200 bytes (one
// PutRecordBatch) into a GZIP stream that delivers to a local store, with
// and without fsync in the write-ahead log. Deliveries run in the
// background, as in the service.
func BenchmarkPipelinePut(b *testing.B) {
	for _, tt := range []struct {
		name   string
		noSync bool
	}{
		{name: "GZIP/nosync", noSync: true},
		{name: "GZIP/fsync", noSync: false},
	} {
		b.Run(tt.name, func(b *testing.B) {
			local := newLocal(b)
			s := newStream("bench", func(d *stream.ExtendedS3DestinationConfiguration) {
				d.CompressionFormat = stream.String("GZIP")
				d.BufferingHints = &stream.BufferingHints{SizeInMBs: stream.Int(1), IntervalInSeconds: stream.Int(900)}
			})
			p, err := deliver.Open(s, deliver.Options{LogDir: b.TempDir(), Store: local, Log: wal.Options{NoSync: tt.noSync}})
			if err != nil {
				b.Fatal(err)
			}
			recs := make([][]byte, 500)
			for i := range recs {
				recs[i] = bytes.Repeat([]byte{'a' + byte(i%26)}, 200)
			}
			ctx := context.Background()
			b.SetBytes(500 * 200)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := p.Put(ctx, recs); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			if err := p.Close(ctx); err != nil {
				b.Fatal(err)
			}
			if st := p.Stats(); st.DeliveredRecords != st.IncomingRecords {
				b.Fatalf("delivered %d of %d records", st.DeliveredRecords, st.IncomingRecords)
			}
		})
	}
}

func TestCloseWhileAFlushWaitsForAWorker(t *testing.T) {
	tests := []struct {
		name  string
		flush func(p *deliver.Pipeline) // hands the open batch to delivery without holding Put's gate
	}{
		{name: "interval timer", flush: func(*deliver.Pipeline) {}},
		{name: "Flush", flush: func(p *deliver.Pipeline) { go p.Flush() }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := &faultStore{Store: newLocal(t), block: make(chan struct{})}
			s := newStream("race", func(d *stream.ExtendedS3DestinationConfiguration) {
				d.BufferingHints = &stream.BufferingHints{SizeInMBs: stream.Int(1), IntervalInSeconds: stream.Int(1)}
			})
			p := open(t, s, deliver.Options{LogDir: t.TempDir(), Store: fs, Workers: 1})
			big := bytes.Repeat([]byte("x"), 600<<10)
			put(t, p, big, big) // batch 1: the worker waits on the store
			waitFor(t, "a delivery in flight", func() bool { return fs.calls.Load() == 1 })
			put(t, p, big, big) // batch 2: fills the queue
			put(t, p, []byte("small"))
			tt.flush(p)
			waitFor(t, "the open batch taken by a flush", func() bool { return p.Stats().BufferedRecords == 0 })

			ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			defer cancel()
			if err := p.Close(ctx); !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("Close = %v, want a deadline error", err)
			}
			if st := p.Stats(); st.Log.Unacked != 5 || st.DeliveredObjects != 0 {
				t.Fatalf("after Close: %+v", st)
			}
		})
	}
}

// fillLog appends puts calls of n records of size bytes through a
// pipeline whose store is down, and leaves them undelivered in the log in
// dir.
func fillLog(t *testing.T, s *stream.Stream, dir string, local objstore.Store, puts, n, size int) {
	t.Helper()
	fs := &faultStore{Store: local}
	fs.down.Store(true)
	p, err := deliver.Open(s, deliver.Options{LogDir: dir, Store: fs, Workers: puts, Log: wal.Options{NoSync: true},
		RetryBase: time.Millisecond, RetryMax: 4 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	recs := make([][]byte, n)
	for i := range recs {
		recs[i] = bytes.Repeat([]byte{'a' + byte(i%26)}, size)
	}
	for range puts {
		put(t, p, recs...)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := p.Close(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Close = %v", err)
	}
}

func TestReplayRespectsTheSizeHint(t *testing.T) {
	local := newLocal(t)
	s := newStream("replay", nil) // 1 MiB size hint
	dir := t.TempDir()
	fillLog(t, s, dir, local, 6, 2, 600<<10) // 6 objects' worth: 7.2 MiB

	p := open(t, s, deliver.Options{LogDir: dir, Store: local})
	p.Flush()
	waitFor(t, "every replayed record delivered", func() bool { return p.Stats().DeliveredRecords == 12 })
	for _, o := range objects(t, local) {
		if len(o.Body) > 1<<20+600<<10 {
			t.Fatalf("replayed object %s holds %d bytes; the size hint is 1 MiB", o.Key, len(o.Body))
		}
	}
}

func TestOpenReturnsWhileTheStoreIsDown(t *testing.T) {
	local := newLocal(t)
	s := newStream("replay", nil)
	dir := t.TempDir()
	fillLog(t, s, dir, local, 6, 500, 4<<10) // six chunks of 500 records, 2 MiB each: a batch each

	fs := &faultStore{Store: local}
	fs.down.Store(true)
	t.Cleanup(func() { fs.down.Store(false) }) // lets a stuck Open finish
	opened := make(chan *deliver.Pipeline, 1)
	go func() {
		p, err := deliver.Open(s, deliver.Options{LogDir: dir, Store: fs, Workers: 1, Log: wal.Options{NoSync: true},
			RetryBase: time.Millisecond, RetryMax: 4 * time.Millisecond})
		if err != nil {
			t.Error(err)
		}
		opened <- p
	}()
	select {
	case p := <-opened:
		if p != nil {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			_ = p.Close(ctx)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Open did not return while the store is down")
	}
}

func TestDestroyKeepsUndeliveredRecords(t *testing.T) {
	local := newLocal(t)
	fs := &faultStore{Store: local}
	fs.down.Store(true)
	dir := t.TempDir()
	p := open(t, newStream("destroy", nil), deliver.Options{LogDir: dir, Store: fs})
	put(t, p, lines("r", 0, 5)...)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := p.Destroy(ctx, false); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Destroy = %v, want a deadline error", err)
	}
	l, err := wal.Open(dir, wal.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if st := l.Stats(); st.Unacked != 5 {
		t.Fatalf("after a failed Destroy the log holds %d unacknowledged records, want 5", st.Unacked)
	}
}
