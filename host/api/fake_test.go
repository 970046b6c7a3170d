package api_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wasmhose/wasmhose/host/api"
	"github.com/wasmhose/wasmhose/host/apierror"
	"github.com/wasmhose/wasmhose/host/stream"
)

// Fixed values of the fake backend, so responses are deterministic.
var (
	fakeCreated = time.Date(2026, 11, 26, 2, 41, 7, 811e6, time.UTC)
	fakeUpdated = time.Date(2026, 11, 26, 3, 0, 0, 250e6, time.UTC)
)

const (
	fakeRegion  = "us-east-1"
	fakeAccount = "000000000000"
)

// fakeBackend is an in-memory api.Backend. It behaves like host/service in
// the ways the protocol layer can observe (validation through host/stream,
// the error texts, paging, tag merging) but keeps everything in memory, has
// a fixed clock and hands out RecordIds "rec-000001", "rec-000002", ...
//
// It records every call (log) and the data of every Put (puts), counts the
// errors it returned that the protocol maps to HTTP 500 (internalErrs), and
// fails on demand: fail maps a method name ("Put", "Create", ...; "*" for
// all) to the error to return.
type fakeBackend struct {
	mu          sync.Mutex
	streams     map[string]*stream.Stream
	fail        map[string]error
	panicOn     string // a method that panics, to test that tests see panics
	log         []string
	puts        [][][]byte
	internalErr int
	nextRecord  int
}

var _ api.Backend = (*fakeBackend)(nil)

func newFakeBackend() *fakeBackend {
	return &fakeBackend{streams: map[string]*stream.Stream{}, fail: map[string]error{}}
}

func fakeARN(name string) string {
	return fmt.Sprintf("arn:aws:firehose:%s:%s:deliverystream/%s", fakeRegion, fakeAccount, name)
}

// injected returns the error to fail method with, counting the ones the
// protocol answers with a 5xx other than 503. mu must be held.
func (f *fakeBackend) injected(method string) error {
	if f.panicOn == method {
		panic("fake backend: " + method)
	}
	err := f.fail[method]
	if err == nil {
		err = f.fail["*"]
	}
	return f.ret(err)
}

// ret counts err if the API layer must answer it with HTTP 500; mu must be held.
func (f *fakeBackend) ret(err error) error {
	if err == nil {
		return nil
	}
	var e *apierror.Error
	if !errors.As(err, &e) || e.Status >= 500 && e.Type != apierror.TypeServiceUnavailable {
		f.internalErr++
	}
	return err
}

func (f *fakeBackend) record(format string, args ...any) {
	f.log = append(f.log, fmt.Sprintf(format, args...))
}

func (f *fakeBackend) notFound(name string) error {
	return apierror.ResourceNotFound("Firehose %s under account %s not found.", name, fakeAccount)
}

func (f *fakeBackend) Create(ctx context.Context, in *stream.CreateInput) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("Create %q", in.DeliveryStreamName)
	if err := f.injected("Create"); err != nil {
		return "", err
	}
	if err := stream.ValidateCreate(in); err != nil {
		return "", f.ret(err)
	}
	if _, ok := f.streams[in.DeliveryStreamName]; ok {
		return "", apierror.ResourceInUse("Firehose %s under accountId %s already exists", in.DeliveryStreamName, fakeAccount)
	}
	if len(f.streams) >= stream.MaxStreams {
		return "", apierror.LimitExceeded("You have already consumed your firehose quota of %d hoses.", stream.MaxStreams)
	}
	var dest stream.ExtendedS3DestinationConfiguration
	if in.ExtendedS3DestinationConfiguration != nil {
		dest = *in.ExtendedS3DestinationConfiguration
	} else {
		dest = stream.FromS3(in.S3DestinationConfiguration)
	}
	s := &stream.Stream{
		ID:            fmt.Sprintf("stream-%d", len(f.streams)+1),
		Name:          in.DeliveryStreamName,
		ARN:           fakeARN(in.DeliveryStreamName),
		Type:          stream.TypeDirectPut,
		Status:        stream.StatusActive,
		VersionID:     1,
		Created:       fakeCreated,
		DirectPut:     in.DirectPutSourceConfiguration,
		Encryption:    in.DeliveryStreamEncryptionConfigurationInput,
		DestinationID: stream.DefaultDestinationID,
		Destination:   stream.WithDefaults(dest),
		Tags:          mergeTags(nil, in.Tags),
	}
	f.streams[s.Name] = s
	return s.ARN, nil
}

func (f *fakeBackend) Describe(ctx context.Context, name string) (stream.Description, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("Describe %q", name)
	if err := f.injected("Describe"); err != nil {
		return stream.Description{}, err
	}
	s, ok := f.streams[name]
	if !ok {
		return stream.Description{}, f.notFound(name)
	}
	return s.Describe(), nil
}

func (f *fakeBackend) List(ctx context.Context, limit int, typ, exclusiveStart string) ([]string, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("List limit=%d type=%q exclusiveStart=%q", limit, typ, exclusiveStart)
	names := make([]string, 0, len(f.streams))
	for n := range f.streams {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []string
	for _, n := range names {
		if exclusiveStart != "" && n <= exclusiveStart || typ != "" && f.streams[n].Type != typ {
			continue
		}
		if len(out) == limit {
			return out, true
		}
		out = append(out, n)
	}
	return out, false
}

func (f *fakeBackend) Delete(ctx context.Context, name string, force bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("Delete %q force=%t", name, force)
	if err := f.injected("Delete"); err != nil {
		return err
	}
	if _, ok := f.streams[name]; !ok {
		return f.notFound(name)
	}
	delete(f.streams, name)
	return nil
}

func (f *fakeBackend) Update(ctx context.Context, in *stream.UpdateInput) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("Update %q version=%q destination=%q", in.DeliveryStreamName, in.CurrentDeliveryStreamVersionId, in.DestinationId)
	if err := f.injected("Update"); err != nil {
		return err
	}
	if err := stream.ValidateUpdateIDs(in); err != nil {
		return f.ret(err)
	}
	s, ok := f.streams[in.DeliveryStreamName]
	if !ok {
		return f.notFound(in.DeliveryStreamName)
	}
	if in.CurrentDeliveryStreamVersionId != s.Version() {
		return apierror.ConcurrentModification("Cannot update firehose: %s since the current version id: %s and specified version id: %s do not match",
			s.Name, s.Version(), in.CurrentDeliveryStreamVersionId)
	}
	if in.DestinationId != s.DestinationID {
		return apierror.InvalidArgument("Destination Id %s not found", in.DestinationId)
	}
	next, err := stream.Merge(s.Clone().Destination, in)
	if err != nil {
		return f.ret(err)
	}
	c := s.Clone()
	c.Destination = next
	c.VersionID++
	c.LastUpdate = fakeUpdated
	f.streams[c.Name] = c
	return nil
}

func (f *fakeBackend) Put(ctx context.Context, name string, data [][]byte) ([]string, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("Put %q %s", name, describeData(data))
	// The data is copied: the Backend contract does not say the slices
	// stay valid after Put returns.
	cp := make([][]byte, len(data))
	for i, d := range data {
		cp[i] = slices.Clone(d)
		if d != nil && cp[i] == nil {
			cp[i] = []byte{}
		}
	}
	f.puts = append(f.puts, cp)
	if err := f.injected("Put"); err != nil {
		return nil, false, err
	}
	s, ok := f.streams[name]
	if !ok {
		return nil, false, f.notFound(name)
	}
	ids := make([]string, len(data))
	for i := range data {
		f.nextRecord++
		ids[i] = fmt.Sprintf("rec-%06d", f.nextRecord)
	}
	return ids, s.Encryption != nil, nil
}

func (f *fakeBackend) Tag(ctx context.Context, name string, tags []stream.Tag) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("Tag %q %d tags", name, len(tags))
	if err := f.injected("Tag"); err != nil {
		return err
	}
	if err := stream.CheckStreamName(name); err != nil {
		return err
	}
	if err := stream.ValidateTags(tags); err != nil {
		return f.ret(err)
	}
	s, ok := f.streams[name]
	if !ok {
		return f.notFound(name)
	}
	merged := mergeTags(s.Tags, tags)
	if len(merged) > stream.MaxTags {
		return apierror.LimitExceeded("A delivery stream can have at most %d tags; this request would leave %d.", stream.MaxTags, len(merged))
	}
	s.Tags = merged
	return nil
}

func (f *fakeBackend) Untag(ctx context.Context, name string, keys []string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("Untag %q %q", name, keys)
	if err := f.injected("Untag"); err != nil {
		return err
	}
	if err := stream.CheckStreamName(name); err != nil {
		return err
	}
	if err := stream.ValidateTagKeys(keys); err != nil {
		return f.ret(err)
	}
	s, ok := f.streams[name]
	if !ok {
		return f.notFound(name)
	}
	s.Tags = slices.DeleteFunc(s.Tags, func(t stream.Tag) bool { return slices.Contains(keys, t.Key) })
	return nil
}

func (f *fakeBackend) ListTags(ctx context.Context, name, exclusiveStart string, limit int) ([]stream.Tag, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("ListTags %q exclusiveStart=%q limit=%d", name, exclusiveStart, limit)
	if err := f.injected("ListTags"); err != nil {
		return nil, false, err
	}
	s, ok := f.streams[name]
	if !ok {
		return nil, false, f.notFound(name)
	}
	if limit <= 0 {
		limit = stream.MaxTags
	}
	tags := slices.Clone(s.Tags)
	sort.Slice(tags, func(i, j int) bool { return tags[i].Key < tags[j].Key })
	var out []stream.Tag
	for _, t := range tags {
		if exclusiveStart != "" && t.Key <= exclusiveStart {
			continue
		}
		if len(out) == limit {
			return out, true, nil
		}
		out = append(out, t)
	}
	return out, false, nil
}

func mergeTags(cur, add []stream.Tag) []stream.Tag {
	out := slices.Clone(cur)
	for _, t := range add {
		if t.Value == nil {
			t.Value = stream.String("")
		}
		if i := slices.IndexFunc(out, func(o stream.Tag) bool { return o.Key == t.Key }); i >= 0 {
			out[i] = t
		} else {
			out = append(out, t)
		}
	}
	return out
}

// describeData writes records for the call log: quoted when small, else
// their count, total size and a hash of the length-prefixed records.
func describeData(data [][]byte) string {
	small := len(data) <= 8
	total := 0
	for _, d := range data {
		total += len(d)
		if len(d) > 32 {
			small = false
		}
	}
	if small {
		q := make([]string, len(data))
		for i, d := range data {
			q[i] = strconv.Quote(string(d))
			if d == nil {
				q[i] = "nil"
			}
		}
		return "[" + strings.Join(q, " ") + "]"
	}
	h := sha256.New()
	for _, d := range data {
		fmt.Fprintf(h, "%d:", len(d))
		h.Write(d)
	}
	return fmt.Sprintf("[%d records, %d bytes, sha256 %x]", len(data), total, h.Sum(nil)[:8])
}

// panicLog is a slog.Handler that keeps every record mentioning a panic, so
// tests see panics that echo's Recover middleware turned into responses.
type panicLog struct {
	mu     sync.Mutex
	panics []string
}

func (p *panicLog) Enabled(context.Context, slog.Level) bool { return true }
func (p *panicLog) WithAttrs([]slog.Attr) slog.Handler       { return p }
func (p *panicLog) WithGroup(string) slog.Handler            { return p }
func (p *panicLog) Handle(_ context.Context, r slog.Record) error {
	text := r.Message
	r.Attrs(func(a slog.Attr) bool {
		text += " " + a.Key + "=" + a.Value.String()
		return true
	})
	if strings.Contains(strings.ToLower(text), "panic") {
		p.mu.Lock()
		p.panics = append(p.panics, text)
		p.mu.Unlock()
	}
	return nil
}

func (p *panicLog) take() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := p.panics
	p.panics = nil
	return out
}

// observed is one call of api.Observer.
type observed struct {
	op, stream             string
	status                 int
	records, bytes, failed int
}

// observer is an api.Observer that keeps every call.
type observer struct {
	mu    sync.Mutex
	calls []observed
}

func (o *observer) ObserveRequest(op, stream string, status int, d time.Duration, records, bytes, failed int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.calls = append(o.calls, observed{op, stream, status, records, bytes, failed})
}

// harness is a Server over a fakeBackend.
type harness struct {
	fake   *fakeBackend
	srv    *api.Server
	panics *panicLog
	obs    *observer
}

func newHarness() *harness {
	h := &harness{fake: newFakeBackend(), panics: &panicLog{}, obs: &observer{}}
	h.srv = api.New(h.fake, api.Options{Logger: slog.New(h.panics), Observer: h.obs})
	return h
}

// do sends one request straight to the handler. An empty target sends no
// X-Amz-Target header.
func (h *harness) do(method, path, target string, body []byte) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	if target != "" {
		req.Header.Set("X-Amz-Target", target)
	}
	rec := httptest.NewRecorder()
	h.srv.ServeHTTP(rec, req)
	return rec
}

// post sends a Firehose operation.
func (h *harness) post(op string, body []byte) *httptest.ResponseRecorder {
	return h.do(http.MethodPost, "/", api.TargetPrefix+op, body)
}

// createStream makes a stream in the fake directly, with the smallest valid
// configuration.
func (h *harness) createStream(t testing.TB, name string) {
	t.Helper()
	_, err := h.fake.Create(context.Background(), &stream.CreateInput{
		DeliveryStreamName: name,
		ExtendedS3DestinationConfiguration: &stream.ExtendedS3DestinationConfiguration{
			RoleARN:   "arn:aws:iam::000000000000:role/firehose",
			BucketARN: "arn:aws:s3:::bucket",
		},
	})
	if err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	h.fake.mu.Lock()
	h.fake.log = nil
	h.fake.mu.Unlock()
}

// StartEncryption switches encryption on at once (the service goes through
// ENABLING in the background).
func (f *fakeBackend) StartEncryption(ctx context.Context, in *stream.StartEncryptionInput) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("StartEncryption %q", in.DeliveryStreamName)
	if err := f.injected("StartEncryption"); err != nil {
		return err
	}
	cfg, err := stream.ValidateStartEncryption(in)
	if err != nil {
		return f.ret(err)
	}
	s, ok := f.streams[in.DeliveryStreamName]
	if !ok {
		return f.notFound(in.DeliveryStreamName)
	}
	s.Encryption, s.EncryptionStatus = &cfg, stream.EncryptionEnabled
	return nil
}

// StopEncryption switches encryption off at once.
func (f *fakeBackend) StopEncryption(ctx context.Context, name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("StopEncryption %q", name)
	if err := f.injected("StopEncryption"); err != nil {
		return err
	}
	s, ok := f.streams[name]
	if !ok {
		return f.notFound(name)
	}
	s.Encryption, s.EncryptionStatus = nil, ""
	return nil
}
