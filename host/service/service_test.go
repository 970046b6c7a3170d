package service_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wasmhose/wasmhose/host/apierror"
	"github.com/wasmhose/wasmhose/host/objstore"
	"github.com/wasmhose/wasmhose/host/service"
	"github.com/wasmhose/wasmhose/host/stream"
	"github.com/wasmhose/wasmhose/host/wal"
)

const (
	testBucket = "bkt"
	testRole   = "arn:aws:iam::000000000000:role/firehose"
)

// t0 is the service clock in most tests.
var t0 = time.Date(2026, 11, 26, 2, 41, 7, 0, time.UTC)

// gateStore wraps a store; while held, Put waits until it is released or
// its context ends (the pipeline cancels it when it stops retrying).
type gateStore struct {
	objstore.Store
	mu    sync.Mutex
	gate  chan struct{} // nil: open
	calls atomic.Int64
}

// hold makes Puts wait from now on.
func (g *gateStore) hold() {
	g.mu.Lock()
	g.gate = make(chan struct{})
	g.mu.Unlock()
}

// release lets waiting and later Puts through.
func (g *gateStore) release() {
	g.mu.Lock()
	if g.gate != nil {
		close(g.gate)
		g.gate = nil
	}
	g.mu.Unlock()
}

func (g *gateStore) Put(ctx context.Context, bucket, key string, body []byte, o objstore.PutOptions) error {
	g.calls.Add(1)
	g.mu.Lock()
	gate := g.gate
	g.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return &objstore.Error{Op: "put", Bucket: bucket, Key: key, Err: ctx.Err()}
		}
	}
	return g.Store.Put(ctx, bucket, key, body, o)
}

// env is a data dir with a local store shared by the services opened on it.
type env struct {
	dir   string
	local *objstore.Local
	store *gateStore
}

func newEnv(t *testing.T) *env {
	t.Helper()
	dir := t.TempDir()
	local, err := objstore.NewLocal(filepath.Join(dir, "s3"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { local.Close() })
	return &env{dir: dir, local: local, store: &gateStore{Store: local}}
}

// open starts a service on the env; it is closed (abandoning deliveries
// still waiting on the store) when the test ends.
func (e *env) open(t *testing.T, mutate func(*service.Options)) *service.Service {
	t.Helper()
	o := service.Options{
		DataDir:   e.dir,
		Store:     e.store,
		Log:       wal.Options{NoSync: true},
		RetryBase: time.Millisecond,
		RetryMax:  4 * time.Millisecond,
		Now:       func() time.Time { return t0 },
	}
	if mutate != nil {
		mutate(&o)
	}
	svc, err := service.New(o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		_ = svc.Close(ctx)
	})
	return svc
}

// objects returns the contents of every object of testBucket, by key.
func (e *env) objects(t *testing.T) map[string]string {
	t.Helper()
	ctx := context.Background()
	infos, err := e.local.List(ctx, testBucket, "")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, in := range infos {
		b, err := e.local.Get(ctx, testBucket, in.Key)
		if err != nil {
			t.Fatal(err)
		}
		out[in.Key] = string(b)
	}
	return out
}

// records returns the newline-terminated records of every object, sorted.
func (e *env) records(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, body := range e.objects(t) {
		out = slices.AppendSeq(out, strings.Lines(body))
	}
	slices.Sort(out)
	return out
}

// input returns a CreateDeliveryStream request buffering 1 MiB / 900 s.
func input(name string, mutate func(d *stream.ExtendedS3DestinationConfiguration)) *stream.CreateInput {
	d := &stream.ExtendedS3DestinationConfiguration{
		RoleARN:        testRole,
		BucketARN:      "arn:aws:s3:::" + testBucket,
		BufferingHints: &stream.BufferingHints{SizeInMBs: stream.Int(1), IntervalInSeconds: stream.Int(900)},
	}
	if mutate != nil {
		mutate(d)
	}
	return &stream.CreateInput{DeliveryStreamName: name, ExtendedS3DestinationConfiguration: d}
}

// waitFor polls cond until it holds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// status returns a stream's status, or "" once it is gone.
func status(t *testing.T, svc *service.Service, name string) string {
	t.Helper()
	d, err := svc.Describe(context.Background(), name)
	if err != nil {
		checkErr(t, err, apierror.TypeResourceNotFound, "")
		return ""
	}
	return d.DeliveryStreamStatus
}

// create creates a stream and waits until it is ACTIVE.
func create(t *testing.T, svc *service.Service, in *stream.CreateInput) string {
	t.Helper()
	arn, err := svc.Create(context.Background(), in)
	if err != nil {
		t.Fatalf("Create %s: %v", in.DeliveryStreamName, err)
	}
	waitFor(t, in.DeliveryStreamName+" ACTIVE", func() bool { return status(t, svc, in.DeliveryStreamName) == stream.StatusActive })
	return arn
}

// checkErr fails unless err is an *apierror.Error of type typ whose message
// contains msg.
func checkErr(t *testing.T, err error, typ, msg string) {
	t.Helper()
	var ae *apierror.Error
	if !errors.As(err, &ae) {
		t.Fatalf("error %v (%T), want %s", err, err, typ)
	}
	if ae.Type != typ || !strings.Contains(ae.Message, msg) {
		t.Fatalf("error %s: %q, want %s containing %q", ae.Type, ae.Message, typ, msg)
	}
	if ae.Status != apierror.StatusOf(typ) {
		t.Fatalf("status %d, want %d", ae.Status, apierror.StatusOf(typ))
	}
}

// putLines puts "<tag>-<i>\n" records and returns them.
func putLines(t *testing.T, svc *service.Service, name, tag string, n int) []string {
	t.Helper()
	data := make([][]byte, n)
	out := make([]string, n)
	for i := range data {
		out[i] = fmt.Sprintf("%s-%04d\n", tag, i)
		data[i] = []byte(out[i])
	}
	ids, _, err := svc.Put(context.Background(), name, data)
	if err != nil {
		t.Fatalf("Put: %v", err)
	}
	if len(ids) != n {
		t.Fatalf("%d record ids for %d records", len(ids), n)
	}
	return out
}

func TestCreateBecomesActive(t *testing.T) {
	tests := []struct {
		name      string
		region    string
		account   string
		expARN    string
		expStatus []string
	}{
		{name: "defaults", expARN: "arn:aws:firehose:us-east-1:000000000000:deliverystream/s1"},
		{name: "region and account", region: "eu-west-3", account: "123456789012", expARN: "arn:aws:firehose:eu-west-3:123456789012:deliverystream/s1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			svc := e.open(t, func(o *service.Options) { o.Region, o.AccountID = tt.region, tt.account })
			arn, err := svc.Create(context.Background(), input("s1", nil))
			if err != nil {
				t.Fatal(err)
			}
			if arn != tt.expARN || svc.ARN("s1") != tt.expARN {
				t.Fatalf("ARN %q, want %q", arn, tt.expARN)
			}
			// CREATING, then ACTIVE, and never anything else.
			var seen []string
			waitFor(t, "ACTIVE", func() bool {
				s := status(t, svc, "s1")
				if len(seen) == 0 || seen[len(seen)-1] != s {
					seen = append(seen, s)
				}
				return s == stream.StatusActive
			})
			if !slices.Equal(seen, []string{stream.StatusCreating, stream.StatusActive}) && !slices.Equal(seen, []string{stream.StatusActive}) {
				t.Fatalf("statuses %v, want CREATING then ACTIVE", seen)
			}
			d, err := svc.Describe(context.Background(), "s1")
			if err != nil {
				t.Fatal(err)
			}
			if d.DeliveryStreamARN != tt.expARN || d.VersionId != "1" || d.DeliveryStreamType != stream.TypeDirectPut ||
				!time.Time(d.CreateTimestamp).Equal(t0) || d.LastUpdateTimestamp != nil || len(d.Destinations) != 1 ||
				d.Destinations[0].DestinationId != stream.DefaultDestinationID {
				t.Fatalf("description %+v", d)
			}
			if _, err := os.Stat(filepath.Join(e.dir, "streams", "s1.json")); err != nil {
				t.Fatalf("registry file: %v", err)
			}
		})
	}
}

func TestCreateErrors(t *testing.T) {
	e := newEnv(t)
	svc := e.open(t, nil)
	create(t, svc, input("taken", nil))
	tests := []struct {
		name   string
		in     *stream.CreateInput
		expTyp string
		expMsg string
	}{
		{name: "duplicate name", in: input("taken", nil), expTyp: apierror.TypeResourceInUse,
			expMsg: "Firehose taken under accountId 000000000000 already exists"},
		{name: "invalid name", in: input("bad name!", nil), expTyp: apierror.TypeValidation, expMsg: "deliveryStreamName"},
		{name: "no destination", in: &stream.CreateInput{DeliveryStreamName: "nodest"}, expTyp: apierror.TypeInvalidArgument,
			expMsg: "Exactly one destination configuration"},
		{name: "hints given alone", in: input("hints", func(d *stream.ExtendedS3DestinationConfiguration) {
			d.BufferingHints = &stream.BufferingHints{SizeInMBs: stream.Int(2)}
		}), expTyp: apierror.TypeInvalidArgument, expMsg: "SizeInMBs and IntervalInSeconds must be specified together"},
		{name: "unsupported processor", in: input("deagg", func(d *stream.ExtendedS3DestinationConfiguration) {
			d.ProcessingConfiguration = &stream.ProcessingConfiguration{Enabled: stream.Bool(true), Processors: []stream.Processor{{Type: "RecordDeAggregation"}}}
		}), expTyp: apierror.TypeInvalidArgument, expMsg: "not available in this wasmhose build"},
		{name: "Lambda without LambdaArn", in: input("lambda", func(d *stream.ExtendedS3DestinationConfiguration) {
			d.ProcessingConfiguration = &stream.ProcessingConfiguration{Enabled: stream.Bool(true), Processors: []stream.Processor{{Type: "Lambda"}}}
		}), expTyp: apierror.TypeInvalidArgument, expMsg: "needs the LambdaArn parameter"},
		{name: "Lambda without a plugin runtime", in: input("lambda2", func(d *stream.ExtendedS3DestinationConfiguration) {
			d.ProcessingConfiguration = &stream.ProcessingConfiguration{Enabled: stream.Bool(true), Processors: []stream.Processor{{Type: "Lambda",
				Parameters: []stream.ProcessorParameter{{ParameterName: "LambdaArn", ParameterValue: "arn:aws:lambda:us-east-1:000000000000:function:f"}}}}}
		}), expTyp: apierror.TypeInvalidArgument, expMsg: "no plugin runtime"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := svc.Create(context.Background(), tt.in)
			checkErr(t, err, tt.expTyp, tt.expMsg)
		})
	}
	names, _ := svc.List(context.Background(), 0, "", "")
	if !slices.Equal(names, []string{"taken"}) {
		t.Fatalf("failed creations left streams behind: %v", names)
	}
}

func TestStreamLimit(t *testing.T) {
	tests := []struct {
		name       string
		maxStreams int // 0: the default, Firehose's 50
		expLimit   int
	}{
		{name: "MaxStreams 3", maxStreams: 3, expLimit: 3},
		{name: "default 50", expLimit: 50},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			svc := e.open(t, func(o *service.Options) { o.MaxStreams = tt.maxStreams })
			var names []string
			for i := range tt.expLimit {
				name := fmt.Sprintf("s%02d", i)
				names = append(names, name)
				if _, err := svc.Create(context.Background(), input(name, nil)); err != nil {
					t.Fatalf("stream %d of %d: %v", i+1, tt.expLimit, err)
				}
			}
			_, err := svc.Create(context.Background(), input("one-too-many", nil))
			checkErr(t, err, apierror.TypeLimitExceeded,
				fmt.Sprintf("You have already consumed your firehose quota of %d hoses. Firehose names: %s", tt.expLimit, strings.Join(names, ", ")))

			// Deleting one makes room again.
			waitFor(t, "s00 ACTIVE", func() bool { return status(t, svc, "s00") == stream.StatusActive })
			if err := svc.Delete(context.Background(), "s00", false); err != nil {
				t.Fatal(err)
			}
			waitFor(t, "s00 removed", func() bool { return status(t, svc, "s00") == "" })
			create(t, svc, input("one-too-many", nil))
		})
	}
}

func TestDeleteDrainsThenRemoves(t *testing.T) {
	e := newEnv(t)
	svc := e.open(t, nil)
	create(t, svc, input("gone", nil))
	create(t, svc, input("other", nil))
	want := putLines(t, svc, "gone", "r", 25) // buffered: 900 s interval

	e.store.hold()
	if err := svc.Delete(context.Background(), "gone", false); err != nil {
		t.Fatal(err)
	}
	// While the drain waits on the store, the stream is DELETING.
	waitFor(t, "the drain to reach the store", func() bool { return e.store.calls.Load() >= 1 })
	tests := []struct {
		name   string
		call   func() error
		expTyp string
		expMsg string
	}{
		{name: "describe shows DELETING", call: func() error {
			if s := status(t, svc, "gone"); s != stream.StatusDeleting {
				return fmt.Errorf("status %s", s)
			}
			return nil
		}},
		{name: "delete again is accepted", call: func() error { return svc.Delete(context.Background(), "gone", false) }},
		{name: "put refused", call: func() error {
			_, _, err := svc.Put(context.Background(), "gone", [][]byte{[]byte("late")})
			return err
		}, expTyp: apierror.TypeResourceNotFound, expMsg: "is not ACTIVE (it is DELETING)"},
		{name: "update refused", call: func() error {
			return svc.Update(context.Background(), &stream.UpdateInput{DeliveryStreamName: "gone", CurrentDeliveryStreamVersionId: "1",
				DestinationId: stream.DefaultDestinationID, ExtendedS3DestinationUpdate: &stream.ExtendedS3DestinationUpdate{}})
		}, expTyp: apierror.TypeResourceInUse, expMsg: "not in the ACTIVE state"},
		{name: "other streams unaffected", call: func() error {
			_, _, err := svc.Put(context.Background(), "other", [][]byte{[]byte("x\n")})
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if tt.expTyp == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			checkErr(t, err, tt.expTyp, tt.expMsg)
		})
	}

	e.store.release()
	waitFor(t, "stream removed", func() bool { return status(t, svc, "gone") == "" })
	if got := e.records(t); !slices.Equal(got, want) {
		t.Fatalf("delete delivered %d records, want the %d acknowledged", len(got), len(want))
	}
	_, err := svc.Describe(context.Background(), "gone")
	checkErr(t, err, apierror.TypeResourceNotFound, "Firehose gone under account 000000000000 not found.")
	if _, err := os.Stat(filepath.Join(e.dir, "streams", "gone.json")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("registry file still there: %v", err)
	}
	logs, err := os.ReadDir(filepath.Join(e.dir, "wal"))
	if err != nil || len(logs) != 1 {
		t.Fatalf("wal folders %v (%v), want only the other stream's", logs, err)
	}
}

func TestUnknownStream(t *testing.T) {
	svc := newEnv(t).open(t, nil)
	const msg = "Firehose nope under account 000000000000 not found."
	tests := []struct {
		name string
		call func() error
	}{
		{name: "Describe", call: func() error { _, err := svc.Describe(context.Background(), "nope"); return err }},
		{name: "Delete", call: func() error { return svc.Delete(context.Background(), "nope", false) }},
		{name: "Put", call: func() error { _, _, err := svc.Put(context.Background(), "nope", [][]byte{[]byte("x")}); return err }},
		{name: "Update", call: func() error {
			return svc.Update(context.Background(), &stream.UpdateInput{DeliveryStreamName: "nope", CurrentDeliveryStreamVersionId: "1",
				DestinationId: stream.DefaultDestinationID, ExtendedS3DestinationUpdate: &stream.ExtendedS3DestinationUpdate{}})
		}},
		{name: "Tag", call: func() error {
			return svc.Tag(context.Background(), "nope", []stream.Tag{{Key: "k", Value: stream.String("v")}})
		}},
		{name: "Untag", call: func() error { return svc.Untag(context.Background(), "nope", []string{"k"}) }},
		{name: "ListTags", call: func() error { _, _, err := svc.ListTags(context.Background(), "nope", "", 0); return err }},
		{name: "StreamStats", call: func() error { _, err := svc.StreamStats("nope"); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkErr(t, tt.call(), apierror.TypeResourceNotFound, msg)
		})
	}
}

func TestUpdate(t *testing.T) {
	e := newEnv(t)
	now := t0
	var mu sync.Mutex
	svc := e.open(t, func(o *service.Options) {
		o.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	})
	create(t, svc, input("u", func(d *stream.ExtendedS3DestinationConfiguration) {
		d.Prefix = stream.String("v1/")
		d.CompressionFormat = stream.String("GZIP")
	}))
	mu.Lock()
	now = t0.Add(time.Hour)
	mu.Unlock()
	upd := func(version, destID string, u *stream.ExtendedS3DestinationUpdate) *stream.UpdateInput {
		return &stream.UpdateInput{DeliveryStreamName: "u", CurrentDeliveryStreamVersionId: version, DestinationId: destID, ExtendedS3DestinationUpdate: u}
	}
	if err := svc.Update(context.Background(), upd("1", stream.DefaultDestinationID, &stream.ExtendedS3DestinationUpdate{Prefix: stream.String("v2/")})); err != nil {
		t.Fatal(err)
	}
	d, err := svc.Describe(context.Background(), "u")
	if err != nil {
		t.Fatal(err)
	}
	ext := d.Destinations[0].ExtendedS3DestinationDescription
	if d.VersionId != "2" || *ext.Prefix != "v2/" || *ext.CompressionFormat != "GZIP" || d.LastUpdateTimestamp == nil ||
		!time.Time(*d.LastUpdateTimestamp).Equal(t0.Add(time.Hour)) {
		t.Fatalf("after update: version %s, prefix %s, compression %s, last update %v", d.VersionId, *ext.Prefix, *ext.CompressionFormat, d.LastUpdateTimestamp)
	}

	tests := []struct {
		name   string
		in     *stream.UpdateInput
		expTyp string
		expMsg string
	}{
		{name: "stale version", in: upd("1", stream.DefaultDestinationID, &stream.ExtendedS3DestinationUpdate{Prefix: stream.String("v3/")}),
			expTyp: apierror.TypeConcurrentModification,
			expMsg: "Cannot update firehose: u since the current version id: 2 and specified version id: 1 do not match"},
		{name: "future version", in: upd("3", stream.DefaultDestinationID, &stream.ExtendedS3DestinationUpdate{}),
			expTyp: apierror.TypeConcurrentModification,
			expMsg: "Cannot update firehose: u since the current version id: 2 and specified version id: 3 do not match"},
		{name: "unknown destination id", in: upd("2", "destinationId-000000000009", &stream.ExtendedS3DestinationUpdate{}),
			expTyp: apierror.TypeInvalidArgument, expMsg: "Destination Id destinationId-000000000009 not found"},
		{name: "version not a number", in: upd("two", stream.DefaultDestinationID, &stream.ExtendedS3DestinationUpdate{}),
			expTyp: apierror.TypeValidation, expMsg: "currentDeliveryStreamVersionId"},
		{name: "no update member", in: upd("2", stream.DefaultDestinationID, nil),
			expTyp: apierror.TypeInvalidArgument, expMsg: "Exactly one destination update"},
		{name: "unsupported feature", in: upd("2", stream.DefaultDestinationID, &stream.ExtendedS3DestinationUpdate{S3BackupMode: stream.String("Enabled")}),
			expTyp: apierror.TypeInvalidArgument, expMsg: "S3BackupMode Enabled is not available"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkErr(t, svc.Update(context.Background(), tt.in), tt.expTyp, tt.expMsg)
			if d, _ := svc.Describe(context.Background(), "u"); d.VersionId != "2" {
				t.Fatalf("a refused update changed the version to %s", d.VersionId)
			}
		})
	}
}

func TestTags(t *testing.T) {
	svc := newEnv(t).open(t, nil)
	in := input("tagged", nil)
	in.Tags = []stream.Tag{{Key: "team", Value: stream.String("data")}}
	create(t, svc, in)
	ctx := context.Background()
	tag := func(kv ...string) error {
		var tags []stream.Tag
		for i := 0; i < len(kv); i += 2 {
			tags = append(tags, stream.Tag{Key: kv[i], Value: stream.String(kv[i+1])})
		}
		return svc.Tag(ctx, "tagged", tags)
	}
	list := func() string {
		tags, more, err := svc.ListTags(ctx, "tagged", "", 0)
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for _, tg := range tags {
			fmt.Fprintf(&b, "%s=%s,", tg.Key, *tg.Value)
		}
		if more {
			b.WriteString("...")
		}
		return b.String()
	}
	tests := []struct {
		name   string
		call   func() error
		exp    string // ListTags afterwards
		expTyp string
		expMsg string
	}{
		{name: "tags given at create", call: func() error { return nil }, exp: "team=data,"},
		{name: "add", call: func() error { return tag("b", "2", "a", "1") }, exp: "a=1,b=2,team=data,"},
		{name: "overwrite", call: func() error { return tag("a", "9") }, exp: "a=9,b=2,team=data,"},
		{name: "absent value is empty", call: func() error { return svc.Tag(ctx, "tagged", []stream.Tag{{Key: "empty"}}) }, exp: "a=9,b=2,empty=,team=data,"},
		{name: "untag, unknown keys ignored", call: func() error { return svc.Untag(ctx, "tagged", []string{"b", "empty", "never-set"}) }, exp: "a=9,team=data,"},
		{name: "reserved prefix", call: func() error { return tag("aws:owner", "x") }, exp: "a=9,team=data,",
			expTyp: apierror.TypeValidation, expMsg: "Value 'aws:owner' at 'tags.1.member.key'"},
		{name: "empty key", call: func() error { return tag("", "x") }, exp: "a=9,team=data,",
			expTyp: apierror.TypeValidation, expMsg: "tags.1.member.key"},
		{name: "no tags", call: func() error { return svc.Tag(ctx, "tagged", nil) }, exp: "a=9,team=data,",
			expTyp: apierror.TypeValidation, expMsg: "tags"},
		{name: "untag nothing", call: func() error { return svc.Untag(ctx, "tagged", nil) }, exp: "a=9,team=data,",
			expTyp: apierror.TypeValidation, expMsg: "tagKeys"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if tt.expTyp != "" {
				checkErr(t, err, tt.expTyp, tt.expMsg)
			} else if err != nil {
				t.Fatal(err)
			}
			if got := list(); got != tt.exp {
				t.Fatalf("tags %q, want %q", got, tt.exp)
			}
		})
	}
}

func TestTagLimits(t *testing.T) {
	svc := newEnv(t).open(t, nil)
	create(t, svc, input("many", nil))
	ctx := context.Background()
	tags := func(from, n int) []stream.Tag {
		out := make([]stream.Tag, n)
		for i := range out {
			out[i] = stream.Tag{Key: fmt.Sprintf("k%02d", from+i), Value: stream.String(fmt.Sprint(from + i))}
		}
		return out
	}
	// 51 in one call is a model violation.
	checkErr(t, svc.Tag(ctx, "many", tags(0, 51)), apierror.TypeValidation, "Member must have length less than or equal to 50")
	// 50 is the limit; overwriting at the limit is fine; one more is not.
	if err := svc.Tag(ctx, "many", tags(0, 30)); err != nil {
		t.Fatal(err)
	}
	if err := svc.Tag(ctx, "many", tags(20, 30)); err != nil {
		t.Fatal(err)
	}
	if err := svc.Tag(ctx, "many", tags(0, 10)); err != nil {
		t.Fatalf("overwriting at the limit: %v", err)
	}
	checkErr(t, svc.Tag(ctx, "many", tags(50, 1)), apierror.TypeLimitExceeded,
		"A delivery stream can have at most 50 tags; this request would leave 51.")

	// Paging: limit and ExclusiveStartTagKey.
	tests := []struct {
		name    string
		start   string
		limit   int
		expKeys []string
		expMore bool
	}{
		{name: "first page", limit: 3, expKeys: []string{"k00", "k01", "k02"}, expMore: true},
		{name: "after k02", start: "k02", limit: 3, expKeys: []string{"k03", "k04", "k05"}, expMore: true},
		{name: "last page exactly", start: "k46", limit: 3, expKeys: []string{"k47", "k48", "k49"}, expMore: false},
		{name: "short last page", start: "k47", limit: 3, expKeys: []string{"k48", "k49"}, expMore: false},
		{name: "start between keys", start: "k47a", limit: 10, expKeys: []string{"k48", "k49"}, expMore: false},
		{name: "start after every key", start: "z", limit: 10, expKeys: nil, expMore: false},
		{name: "default limit returns all 50", limit: 0, expKeys: keys(tags(0, 50)), expMore: false},
		{name: "limit 49", limit: 49, expKeys: keys(tags(0, 49)), expMore: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, more, err := svc.ListTags(ctx, "many", tt.start, tt.limit)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(keys(got), tt.expKeys) || more != tt.expMore {
				t.Fatalf("keys %v more %v, want %v more %v", keys(got), more, tt.expKeys, tt.expMore)
			}
		})
	}
	// Walking every page yields every tag once.
	var all []string
	start := ""
	for range 100 {
		page, more, err := svc.ListTags(ctx, "many", start, 7)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, keys(page)...)
		if !more {
			break
		}
		start = page[len(page)-1].Key
	}
	if !slices.Equal(all, keys(tags(0, 50))) {
		t.Fatalf("paged through %v", all)
	}
}

func keys(tags []stream.Tag) []string {
	var out []string
	for _, t := range tags {
		out = append(out, t.Key)
	}
	return out
}

func TestList(t *testing.T) {
	svc := newEnv(t).open(t, nil)
	for _, n := range []string{"c", "a", "e", "b", "d"} {
		if _, err := svc.Create(context.Background(), input(n, nil)); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name    string
		limit   int
		typ     string
		start   string
		exp     []string
		expMore bool
	}{
		{name: "first page", limit: 2, exp: []string{"a", "b"}, expMore: true},
		{name: "middle page", limit: 2, start: "b", exp: []string{"c", "d"}, expMore: true},
		{name: "last page", limit: 2, start: "d", exp: []string{"e"}},
		{name: "limit equal to the count", limit: 5, exp: []string{"a", "b", "c", "d", "e"}},
		{name: "default limit", exp: []string{"a", "b", "c", "d", "e"}},
		{name: "start not a stream", limit: 10, start: "bb", exp: []string{"c", "d", "e"}},
		{name: "start after the last", limit: 10, start: "z"},
		{name: "DirectPut filter", limit: 10, typ: stream.TypeDirectPut, exp: []string{"a", "b", "c", "d", "e"}},
		{name: "KinesisStreamAsSource filter", limit: 10, typ: stream.TypeKinesisStreamAsSource},
		{name: "filter with paging", limit: 2, typ: stream.TypeDirectPut, start: "a", exp: []string{"b", "c"}, expMore: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, more := svc.List(context.Background(), tt.limit, tt.typ, tt.start)
			if !slices.Equal(got, tt.exp) || more != tt.expMore {
				t.Fatalf("List = %v, %v; want %v, %v", got, more, tt.exp, tt.expMore)
			}
		})
	}
}

func TestRegistryPersistsAndLogReplays(t *testing.T) {
	e := newEnv(t)
	svc := e.open(t, nil)
	in := input("keep", func(d *stream.ExtendedS3DestinationConfiguration) {
		d.BufferingHints = &stream.BufferingHints{SizeInMBs: stream.Int(128), IntervalInSeconds: stream.Int(900)}
	})
	in.Tags = []stream.Tag{{Key: "team", Value: stream.String("data")}}
	create(t, svc, in)
	create(t, svc, input("idle", nil))
	if err := svc.Update(context.Background(), &stream.UpdateInput{DeliveryStreamName: "keep", CurrentDeliveryStreamVersionId: "1",
		DestinationId: stream.DefaultDestinationID, ExtendedS3DestinationUpdate: &stream.ExtendedS3DestinationUpdate{Prefix: stream.String("p/")}}); err != nil {
		t.Fatal(err)
	}
	if err := svc.Tag(context.Background(), "keep", []stream.Tag{{Key: "env", Value: stream.String("test")}}); err != nil {
		t.Fatal(err)
	}
	want := putLines(t, svc, "keep", "r", 7)
	before, err := svc.Describe(context.Background(), "keep")
	if err != nil {
		t.Fatal(err)
	}

	// Close with a context that is already over while the store holds every
	// Put: nothing is delivered, everything stays in the log.
	e.store.hold()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := svc.Close(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Close = %v, want context.Canceled", err)
	}
	if n := len(e.objects(t)); n != 0 {
		t.Fatalf("%d objects delivered at a cancelled Close", n)
	}
	_, _, err = svc.Put(context.Background(), "keep", [][]byte{[]byte("late")})
	checkErr(t, err, apierror.TypeServiceUnavailable, "shutting down")
	e.store.release()

	svc2 := e.open(t, nil)
	after, err := svc2.Describe(context.Background(), "keep")
	if err != nil {
		t.Fatal(err)
	}
	if after.DeliveryStreamStatus != stream.StatusActive || after.VersionId != "2" || after.DeliveryStreamARN != before.DeliveryStreamARN ||
		*after.Destinations[0].ExtendedS3DestinationDescription.Prefix != "p/" ||
		*after.Destinations[0].ExtendedS3DestinationDescription.BufferingHints.IntervalInSeconds != 900 ||
		!time.Time(after.CreateTimestamp).Equal(time.Time(before.CreateTimestamp)) {
		t.Fatalf("after reopening: %+v", after)
	}
	tags, _, err := svc2.ListTags(context.Background(), "keep", "", 0)
	if err != nil || strings.Join(keys(tags), ",") != "env,team" {
		t.Fatalf("tags after reopening: %v %v", keys(tags), err)
	}
	names, _ := svc2.List(context.Background(), 0, "", "")
	if !slices.Equal(names, []string{"idle", "keep"}) {
		t.Fatalf("streams after reopening: %v", names)
	}
	// The log is replayed in the background and flushed at its end.
	waitFor(t, "the log replayed", func() bool {
		st, err := svc2.StreamStats("keep")
		return err == nil && st.ReplayedRecords == int64(len(want))
	})
	waitFor(t, "replayed records delivered", func() bool {
		st, _ := svc2.StreamStats("keep")
		return st.DeliveredRecords == int64(len(want))
	})
	if got := e.records(t); !slices.Equal(got, want) {
		t.Fatalf("delivered %q, want %q", got, want)
	}
	for k := range e.objects(t) {
		if !strings.HasPrefix(k, "p/2026/") || !strings.Contains(k, "/keep-2-") {
			t.Fatalf("replayed object %q: want the version-2 prefix and name", k)
		}
	}
}

func TestStoredStatusResumesAtStart(t *testing.T) {
	tests := []struct {
		name      string
		stored    string // status written to the registry while the service is down
		expStatus string // "" once the stream is gone
	}{
		{name: "CREATING becomes ACTIVE", stored: stream.StatusCreating, expStatus: stream.StatusActive},
		{name: "ACTIVE stays ACTIVE", stored: stream.StatusActive, expStatus: stream.StatusActive},
		{name: "DELETING drains and is removed", stored: stream.StatusDeleting, expStatus: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			svc := e.open(t, nil)
			create(t, svc, input("s", nil))
			want := putLines(t, svc, "s", "r", 5)
			e.store.hold()
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			_ = svc.Close(ctx) // the records stay in the log
			e.store.release()

			reg, err := stream.NewFileRegistry(filepath.Join(e.dir, "streams"))
			if err != nil {
				t.Fatal(err)
			}
			stored, err := reg.Load()
			if err != nil || len(stored) != 1 {
				t.Fatalf("registry: %v %v", stored, err)
			}
			stored[0].Status = tt.stored
			if err := reg.Save(stored[0]); err != nil {
				t.Fatal(err)
			}

			svc2 := e.open(t, nil)
			if tt.expStatus != "" {
				waitFor(t, tt.expStatus, func() bool { return status(t, svc2, "s") == tt.expStatus })
				svc2.FlushAll()
			}
			waitFor(t, "the logged records delivered", func() bool { return len(e.records(t)) >= len(want) })
			waitFor(t, "final status "+tt.expStatus, func() bool { return status(t, svc2, "s") == tt.expStatus })
			if got := e.records(t); !slices.Equal(got, want) {
				t.Fatalf("delivered %q, want %q", got, want)
			}
		})
	}
}

func TestStreamWhoseLogCannotOpen(t *testing.T) {
	tests := []struct {
		name      string
		stored    string // status in the registry at start
		expStatus string
	}{
		{name: "ACTIVE", stored: stream.StatusActive, expStatus: stream.StatusCreatingFailed},
		{name: "DELETING", stored: stream.StatusDeleting, expStatus: stream.StatusDeletingFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			svc := e.open(t, nil)
			create(t, svc, input("locked", nil))
			if err := svc.Close(context.Background()); err != nil {
				t.Fatal(err)
			}
			reg, err := stream.NewFileRegistry(filepath.Join(e.dir, "streams"))
			if err != nil {
				t.Fatal(err)
			}
			stored, err := reg.Load()
			if err != nil || len(stored) != 1 {
				t.Fatalf("registry: %v %v", stored, err)
			}
			stored[0].Status = tt.stored
			if err := reg.Save(stored[0]); err != nil {
				t.Fatal(err)
			}
			// Someone else holds the stream's log folder.
			l, err := wal.Open(filepath.Join(e.dir, "wal", stored[0].ID), wal.Options{NoSync: true})
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()

			svc2 := e.open(t, nil)
			if s := status(t, svc2, "locked"); s != tt.expStatus {
				t.Fatalf("status %s, want %s", s, tt.expStatus)
			}
			// Its acknowledged records are stuck: readiness says so.
			if err := svc2.Ready(context.Background()); err == nil || !strings.Contains(err.Error(), "stream locked is "+tt.expStatus) {
				t.Fatalf("Ready = %v, want the stream that could not open", err)
			}
			_, _, err = svc2.Put(context.Background(), "locked", [][]byte{[]byte("x")})
			checkErr(t, err, apierror.TypeResourceNotFound, "is not ACTIVE (it is "+tt.expStatus+")")
			if tt.expStatus == stream.StatusDeletingFailed {
				// Its log may hold acknowledged records: only a forced
				// delete discards them.
				err := svc2.Delete(context.Background(), "locked", false)
				checkErr(t, err, apierror.TypeResourceInUse, "AllowForceDelete")
			}
			if err := svc2.Delete(context.Background(), "locked", true); err != nil {
				t.Fatal(err)
			}
			if s := status(t, svc2, "locked"); s != "" {
				t.Fatalf("status %s after Delete, want the stream gone", s)
			}
		})
	}
}

func TestRecreatedStreamDoesNotReplayOldRecords(t *testing.T) {
	e := newEnv(t)
	svc := e.open(t, nil)
	create(t, svc, input("again", nil))
	old := putLines(t, svc, "again", "old", 4)
	if err := svc.Delete(context.Background(), "again", false); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "stream removed", func() bool { return status(t, svc, "again") == "" })
	if got := e.records(t); !slices.Equal(got, old) {
		t.Fatalf("the deleted stream delivered %q, want %q", got, old)
	}

	create(t, svc, input("again", nil))
	st, err := svc.StreamStats("again")
	if err != nil || st.ReplayedRecords != 0 || st.BufferedRecords != 0 || st.Log.NextSeq != 1 {
		t.Fatalf("re-created stream: %+v %v", st, err)
	}
	fresh := putLines(t, svc, "again", "new", 2)
	ids, _, err := svc.Put(context.Background(), "again", [][]byte{[]byte("new-0002\n")})
	if err != nil {
		t.Fatal(err)
	}
	fresh = append(fresh, "new-0002\n")
	svc.FlushAll()
	waitFor(t, "new records delivered", func() bool {
		st, _ := svc.StreamStats("again")
		return st.DeliveredRecords == int64(len(fresh))
	})
	if got := e.records(t); !slices.Equal(got, slices.Sorted(slices.Values(append(slices.Clone(old), fresh...)))) {
		t.Fatalf("objects hold %q", got)
	}
	if len(ids) != 1 || len(ids[0]) != 52 {
		t.Fatalf("record id %q: want 32 hex digits of the incarnation and 20 of the sequence number", ids)
	}

	// Nor after a restart.
	if err := svc.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	svc2 := e.open(t, nil)
	st, err = svc2.StreamStats("again")
	if err != nil || st.ReplayedRecords != 0 {
		t.Fatalf("after restart: %+v %v", st, err)
	}
}

func TestRecordIDsAreUniqueAcrossIncarnations(t *testing.T) {
	svc := newEnv(t).open(t, nil)
	seen := map[string]bool{}
	for round := range 2 {
		create(t, svc, input("ids", nil))
		for range 3 {
			ids, _, err := svc.Put(context.Background(), "ids", [][]byte{[]byte("a\n"), []byte("b\n")})
			if err != nil {
				t.Fatal(err)
			}
			for _, id := range ids {
				if seen[id] {
					t.Fatalf("round %d: record id %s reused", round, id)
				}
				seen[id] = true
			}
		}
		if err := svc.Delete(context.Background(), "ids", false); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "stream removed", func() bool { return status(t, svc, "ids") == "" })
	}
}

func TestCloseReturnsWhileADeletionWaitsOnTheStore(t *testing.T) {
	e := newEnv(t)
	svc := e.open(t, nil)
	create(t, svc, input("del", nil))
	putLines(t, svc, "del", "r", 3)
	e.store.hold()
	t.Cleanup(e.store.release)
	if err := svc.Delete(context.Background(), "del", false); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the drain to reach the store", func() bool { return e.store.calls.Load() >= 1 })
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- svc.Close(ctx) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not return after its context expired")
	}
}

func TestCallsAfterClose(t *testing.T) {
	e := newEnv(t)
	svc := e.open(t, nil)
	create(t, svc, input("s", nil))
	if err := svc.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		call   func() error
		expTyp string
	}{
		{name: "Create", call: func() error { _, err := svc.Create(context.Background(), input("t", nil)); return err },
			expTyp: apierror.TypeServiceUnavailable},
		{name: "Put", call: func() error { _, _, err := svc.Put(context.Background(), "s", [][]byte{[]byte("x")}); return err },
			expTyp: apierror.TypeServiceUnavailable},
		{name: "Update", call: func() error {
			return svc.Update(context.Background(), &stream.UpdateInput{DeliveryStreamName: "s", CurrentDeliveryStreamVersionId: "1",
				DestinationId: stream.DefaultDestinationID, ExtendedS3DestinationUpdate: &stream.ExtendedS3DestinationUpdate{}})
		}, expTyp: apierror.TypeServiceUnavailable},
		{name: "Delete", call: func() error { return svc.Delete(context.Background(), "s", false) },
			expTyp: apierror.TypeServiceUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkErr(t, tt.call(), tt.expTyp, "")
		})
	}
}

func TestUpdateWaitingOnASlowStoreDoesNotBlockOtherStreams(t *testing.T) {
	e := newEnv(t)
	svc := e.open(t, func(o *service.Options) { o.Workers = 1 })
	create(t, svc, input("slow", nil))
	create(t, svc, input("other", nil))
	e.store.hold()
	t.Cleanup(e.store.release)
	big := []byte(strings.Repeat("x", 600<<10))
	put := func(data ...[]byte) {
		t.Helper()
		if _, _, err := svc.Put(context.Background(), "slow", data); err != nil {
			t.Fatal(err)
		}
	}
	put(big, big) // batch 1: the worker waits on the store
	waitFor(t, "a delivery in flight", func() bool { return e.store.calls.Load() >= 1 })
	put(big, big) // batch 2: fills the queue
	put([]byte("small\n"))
	updated := make(chan error, 1)
	go func() {
		updated <- svc.Update(context.Background(), &stream.UpdateInput{DeliveryStreamName: "slow", CurrentDeliveryStreamVersionId: "1",
			DestinationId: stream.DefaultDestinationID, ExtendedS3DestinationUpdate: &stream.ExtendedS3DestinationUpdate{Prefix: stream.String("v2/")}})
	}()
	for range 100 {
		done := make(chan struct{})
		go func() {
			defer close(done)
			_, _, _ = svc.Put(context.Background(), "other", [][]byte{[]byte("x\n")})
		}()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("Put to another stream blocked behind an UpdateDestination")
		}
		time.Sleep(2 * time.Millisecond)
	}
	e.store.release()
	if err := <-updated; err != nil {
		t.Fatal(err)
	}
}
