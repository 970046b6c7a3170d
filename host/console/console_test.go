package console

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/wasmhose/wasmhose/host/apierror"
	"github.com/wasmhose/wasmhose/host/deliver"
	"github.com/wasmhose/wasmhose/host/metrics"
	"github.com/wasmhose/wasmhose/host/objstore"
	"github.com/wasmhose/wasmhose/host/stream"
)

// fakeBackend serves fixed streams; nil funcs and maps mean "none".
type fakeBackend struct {
	streams  []*stream.Stream
	snapshot func() []metrics.Stream
	errs     map[string][]deliver.ErrorEvent
	recent   map[string][]deliver.StoredObject // by stream, newest first
	objects  map[string][]objstore.ObjectInfo  // by stream, in key order
	objErr   error
	calls    []objectsCall // calls to Objects
}

// objectsCall is one call to fakeBackend.Objects.
type objectsCall struct {
	after string
	limit int
}

func (f *fakeBackend) find(name string) *stream.Stream {
	for _, s := range f.streams {
		if s.Name == name {
			return s
		}
	}
	return nil
}

func notFound(name string) error {
	return apierror.ResourceNotFound("Firehose %s under account 000000000000 not found.", name)
}

func (f *fakeBackend) List(ctx context.Context, limit int, typ, start string) ([]string, bool) {
	var names []string
	for _, s := range f.streams {
		if s.Name > start {
			names = append(names, s.Name)
		}
	}
	slices.Sort(names)
	if len(names) > limit {
		return names[:limit], true
	}
	return names, false
}

func (f *fakeBackend) Describe(ctx context.Context, name string) (stream.Description, error) {
	s := f.find(name)
	if s == nil {
		return stream.Description{}, notFound(name)
	}
	return s.Describe(), nil
}

func (f *fakeBackend) Snapshot() []metrics.Stream {
	if f.snapshot == nil {
		return nil
	}
	return f.snapshot()
}

func (f *fakeBackend) RecentErrors(name string) ([]deliver.ErrorEvent, error) {
	if f.find(name) == nil {
		return nil, notFound(name)
	}
	return f.errs[name], nil
}

func (f *fakeBackend) RecentObjects(name string) ([]deliver.StoredObject, error) {
	s := f.find(name)
	if s == nil {
		return nil, notFound(name)
	}
	if s.Status != stream.StatusActive {
		return nil, apierror.ResourceNotFound("Firehose %s is not ACTIVE.", name)
	}
	return f.recent[name], nil
}

func (f *fakeBackend) Objects(ctx context.Context, name, after string, limit int) ([]objstore.ObjectInfo, string, error) {
	f.calls = append(f.calls, objectsCall{after: after, limit: limit})
	if f.objErr != nil {
		return nil, "", f.objErr
	}
	var page []objstore.ObjectInfo
	for _, o := range f.objects[name] {
		if o.Key > after {
			page = append(page, o)
		}
	}
	if len(page) > limit {
		return page[:limit], page[limit-1].Key, nil
	}
	return page, "", nil
}

func newStream(name, status, prefix string) *stream.Stream {
	return &stream.Stream{
		ID: "id-" + name, Name: name, Status: status, Type: stream.TypeDirectPut, VersionID: 3,
		ARN: "arn:aws:firehose:us-east-1:000000000000:deliverystream/" + name, Created: t0,
		DestinationID: stream.DefaultDestinationID,
		Destination: stream.WithDefaults(stream.ExtendedS3DestinationConfiguration{
			RoleARN: "arn:aws:iam::000000000000:role/firehose", BucketARN: "arn:aws:s3:::analytics",
			Prefix: stream.String(prefix), CompressionFormat: stream.String("GZIP"),
			BufferingHints: &stream.BufferingHints{SizeInMBs: stream.Int(1), IntervalInSeconds: stream.Int(60)},
		}),
	}
}

const scriptMessage = `objstore: put analytics/<script>alert("x")</script>: denied`

// fixture is a console over two streams, "clicks" (ACTIVE, with counters,
// an error and objects) and "fresh" (CREATING).
func fixture(t *testing.T) (*Console, *fakeBackend) {
	t.Helper()
	var in atomic.Int64
	b := &fakeBackend{
		streams: []*stream.Stream{newStream("fresh", stream.StatusCreating, ""), newStream("clicks", stream.StatusActive, "clicks/!{timestamp:yyyy}/")},
		snapshot: func() []metrics.Stream {
			return []metrics.Stream{{Name: "clicks", IncomingRecords: in.Add(10), IncomingBytes: 1000, DeliveredObjects: 4, BufferedRecords: 2, UnackedRecords: 2, LogDamagedRanges: 1, LogDamagedBytes: 512}}
		},
		errs: map[string][]deliver.ErrorEvent{"clicks": {{Time: t0, ErrorCode: "S3.AccessDenied", Message: scriptMessage, Key: "<img src=x>", Attempt: 2}}},
		recent: map[string][]deliver.StoredObject{"clicks": {
			{Bucket: "analytics", Key: "clicks/2026/c", Size: 30, Stored: t0.Add(2 * time.Minute)},
			{Bucket: "analytics", Key: "errors/2026/e", Size: 5, Stored: t0.Add(90 * time.Second), ErrorOutput: true},
			{Bucket: "old-bucket", Key: "clicks/2025/z", Size: 1, Stored: t0.Add(time.Minute)},
		}},
		objects: map[string][]objstore.ObjectInfo{"clicks": {
			{Key: "clicks/2026/a", Size: 10, LastModified: t0},
			{Key: "clicks/2026/b", Size: 20, LastModified: t0.Add(time.Minute)},
			{Key: "clicks/2026/c", Size: 30, LastModified: t0.Add(2 * time.Minute)},
		}},
	}
	now := t0
	// The ticker never fires within a test: samples are taken by hand.
	c := New(b, Options{Interval: time.Hour, Window: 100 * time.Hour, Now: func() time.Time { return now }})
	t.Cleanup(c.Close)
	now = t0.Add(5 * time.Second)
	c.sm.sample(now) // one point for clicks: 10 records in 5 s
	return c, b
}

func get(t *testing.T, h http.Handler, method, path string, hdr http.Header) *http.Response {
	t.Helper()
	req := httptest.NewRequest(method, path, nil)
	for k, v := range hdr {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func body(t *testing.T, r *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestRoutes(t *testing.T) {
	c, _ := fixture(t)
	tests := []struct {
		name     string
		method   string
		path     string
		exp      int
		expType  string            // Content-Type prefix
		expHdr   map[string]string // headers that must match
		expInBod string            // a substring of the body
	}{
		{name: "root redirects to the console", method: "GET", path: "/", exp: http.StatusFound, expHdr: map[string]string{"Location": "/console/"}},
		{name: "console without slash redirects", method: "GET", path: "/console", exp: http.StatusFound, expHdr: map[string]string{"Location": "/console/"}},
		{name: "page", method: "GET", path: "/console/", exp: http.StatusOK, expType: "text/html",
			expHdr:   map[string]string{"Content-Security-Policy": contentSecurityPolicy, "X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY"},
			expInBod: `<script src="/console/assets/app.js" defer></script>`},
		{name: "HEAD of the page", method: "HEAD", path: "/console/", exp: http.StatusOK, expType: "text/html"},
		{name: "script", method: "GET", path: "/console/assets/app.js", exp: http.StatusOK, expType: "text/javascript", expHdr: map[string]string{"Cache-Control": "no-cache"}},
		{name: "style", method: "GET", path: "/console/assets/app.css", exp: http.StatusOK, expType: "text/css"},
		{name: "icon", method: "GET", path: "/console/assets/favicon.svg", exp: http.StatusOK, expType: "image/svg+xml"},
		{name: "missing asset", method: "GET", path: "/console/assets/nope.js", exp: http.StatusNotFound},
		{name: "unknown page", method: "GET", path: "/console/nope", exp: http.StatusNotFound},
		{name: "stream list", method: "GET", path: "/console/api/streams", exp: http.StatusOK, expType: "application/json", expHdr: map[string]string{"Cache-Control": "no-store"}, expInBod: `"name":"clicks"`},
		{name: "one stream", method: "GET", path: "/console/api/streams/clicks", exp: http.StatusOK, expType: "application/json", expInBod: `"DeliveryStreamName":"clicks"`},
		{name: "unknown stream", method: "GET", path: "/console/api/streams/nope", exp: http.StatusNotFound, expType: "application/json", expInBod: `"code":"ResourceNotFoundException"`},
		{name: "series of an unknown stream", method: "GET", path: "/console/api/streams/nope/series", exp: http.StatusNotFound, expInBod: "ResourceNotFoundException"},
		{name: "errors of an unknown stream", method: "GET", path: "/console/api/streams/nope/errors", exp: http.StatusNotFound},
		{name: "objects of an unknown stream", method: "GET", path: "/console/api/streams/nope/objects", exp: http.StatusNotFound},
		{name: "bad since", method: "GET", path: "/console/api/streams/clicks/series?since=yesterday", exp: http.StatusBadRequest, expInBod: `"code":"InvalidParameter"`},
		{name: "limit zero", method: "GET", path: "/console/api/streams/clicks/objects?limit=0", exp: http.StatusBadRequest, expInBod: "limit must be"},
		{name: "limit too large", method: "GET", path: "/console/api/streams/clicks/objects?limit=1001", exp: http.StatusBadRequest},
		{name: "limit not a number", method: "GET", path: "/console/api/streams/clicks/objects?limit=ten", exp: http.StatusBadRequest},
		{name: "unknown API path", method: "GET", path: "/console/api/nope", exp: http.StatusNotFound, expType: "application/json", expInBod: `"code":"NotFound"`},
		{name: "the API is read-only", method: "POST", path: "/console/api/streams", exp: http.StatusMethodNotAllowed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := get(t, c, tt.method, tt.path, nil)
			b := body(t, r)
			if r.StatusCode != tt.exp {
				t.Fatalf("%s %s = %d, want %d; body %s", tt.method, tt.path, r.StatusCode, tt.exp, b)
			}
			if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, tt.expType) {
				t.Errorf("Content-Type %q, want %q...", ct, tt.expType)
			}
			for k, v := range tt.expHdr {
				if got := r.Header.Get(k); got != v {
					t.Errorf("%s: %q, want %q", k, got, v)
				}
			}
			if !strings.Contains(b, tt.expInBod) {
				t.Errorf("body lacks %q:\n%s", tt.expInBod, b)
			}
		})
	}
}

func decode[T any](t *testing.T, h http.Handler, path string) T {
	t.Helper()
	r := get(t, h, "GET", path, nil)
	var v T
	b := body(t, r)
	if r.StatusCode != http.StatusOK {
		t.Fatalf("GET %s = %d: %s", path, r.StatusCode, b)
	}
	if err := json.Unmarshal([]byte(b), &v); err != nil {
		t.Fatalf("GET %s: %v\n%s", path, err, b)
	}
	return v
}

func TestStreamList(t *testing.T) {
	c, _ := fixture(t)
	got := decode[streamsResponse](t, c, "/console/api/streams")
	if got.Interval != 3600 || got.Window != 360000 {
		t.Errorf("interval %v, window %v", got.Interval, got.Window)
	}
	if len(got.Streams) != 2 || got.Streams[0].Name != "clicks" || got.Streams[1].Name != "fresh" {
		t.Fatalf("streams %+v, want clicks then fresh", got.Streams)
	}
	clicks, fresh := got.Streams[0], got.Streams[1]
	tests := []struct {
		name     string
		got, exp any
	}{
		{"status", clicks.Status, "ACTIVE"},
		{"bucket", clicks.Bucket, "analytics"},
		{"bucket ARN", clicks.BucketARN, "arn:aws:s3:::analytics"},
		{"prefix", clicks.Prefix, "clicks/!{timestamp:yyyy}/"},
		{"compression", clicks.Compression, "GZIP"},
		{"buffer size", clicks.BufferSizeMB, 1},
		{"buffer interval", clicks.BufferIntervalSeconds, 60},
		{"version", clicks.Version, "3"},
		{"created", clicks.Created, t0},
		{"live totals", clicks.Totals != nil && clicks.Totals.IncomingRecords >= 20 && clicks.Totals.DeliveredObjects == 4, true},
		{"log damage", clicks.Totals != nil && clicks.Totals.LogDamagedRanges == 1 && clicks.Totals.LogDamagedBytes == 512, true},
		{"latest point", clicks.Latest != nil && clicks.Latest.IncomingRecords == 2, true},
		{"sparkline", clicks.Spark, []float64{2}},
		{"CREATING has no totals", fresh.Totals == nil, true},
		{"CREATING status", fresh.Status, "CREATING"},
		{"no samples, empty sparkline", fresh.Spark, []float64{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, _ := json.Marshal(tt.got)
			e, _ := json.Marshal(tt.exp)
			if string(g) != string(e) {
				t.Errorf("%s = %s, want %s", tt.name, g, e)
			}
		})
	}
}

func TestStreamDetailIsDescribeView(t *testing.T) {
	c, b := fixture(t)
	got := decode[map[string]json.RawMessage](t, c, "/console/api/streams/clicks")
	want, _ := json.Marshal(b.streams[1].Describe())
	if string(got["description"]) != string(want) {
		t.Errorf("description\n%s\nwant DescribeDeliveryStream's view\n%s", got["description"], want)
	}
}

func TestSeriesSince(t *testing.T) {
	c, _ := fixture(t)
	c.sm.sample(t0.Add(10 * time.Second))
	c.sm.sample(t0.Add(15 * time.Second))
	tests := []struct {
		name  string
		since string
		exp   int
	}{
		{"everything", "", 3},
		{"after the first", "?since=" + itoa64(t0.Add(5*time.Second).UnixMilli()), 2},
		{"after the last", "?since=" + itoa64(t0.Add(15*time.Second).UnixMilli()), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := decode[seriesResponse](t, c, "/console/api/streams/clicks/series"+tt.since)
			if len(got.Points) != tt.exp {
				t.Errorf("%d points, want %d", len(got.Points), tt.exp)
			}
			if got.Points == nil {
				t.Error("points is null, want []")
			}
		})
	}
	// A stream the sampler has not seen yet has an empty series, not an error.
	if got := decode[seriesResponse](t, c, "/console/api/streams/fresh/series"); len(got.Points) != 0 {
		t.Errorf("fresh: %d points", len(got.Points))
	}
}

func itoa64(v int64) string { b, _ := json.Marshal(v); return string(b) }

// TestErrorsKeepMarkupAsData checks that an error message holding HTML comes
// back byte for byte as JSON data, with no literal "<" in the body that a
// browser sniffing the response could take for markup.
func TestErrorsKeepMarkupAsData(t *testing.T) {
	c, _ := fixture(t)
	r := get(t, c, "GET", "/console/api/streams/clicks/errors", nil)
	raw := body(t, r)
	if strings.ContainsAny(raw, "<>") {
		t.Errorf("body has raw angle brackets: %s", raw)
	}
	var got errorsResponse
	if err := json.Unmarshal([]byte(raw), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Errors) != 1 || got.Errors[0].Message != scriptMessage || got.Errors[0].Key != "<img src=x>" || got.Errors[0].ErrorCode != "S3.AccessDenied" {
		t.Errorf("errors %+v", got.Errors)
	}
	// A stream without a pipeline (CREATING) has no errors: [] not null.
	if raw := body(t, get(t, c, "GET", "/console/api/streams/fresh/errors", nil)); !strings.Contains(raw, `"errors":[]`) {
		t.Errorf("fresh errors: %s", raw)
	}
}

func TestObjects(t *testing.T) {
	storeDown := &objstore.Error{Op: "list", Bucket: "analytics", Key: "clicks/", Err: errors.New("connection refused")}
	tests := []struct {
		name      string
		query     string
		noRecent  bool // the pipeline stored nothing since it opened
		objErr    error
		exp       int
		expOrder  string
		expKeys   []string
		expNext   *string
		expCalls  []objectsCall
		expInBody string
	}{
		{name: "recent objects from memory, in the stream's bucket", exp: http.StatusOK, expOrder: "newest",
			expKeys: []string{"clicks/2026/c", "errors/2026/e"}, expNext: strPtr("")},
		{name: "recent with a limit", query: "?limit=1", exp: http.StatusOK, expOrder: "newest", expKeys: []string{"clicks/2026/c"}, expNext: strPtr("")},
		{name: "no recent objects: the first page of the listing", noRecent: true, query: "?limit=2", exp: http.StatusOK, expOrder: "key",
			expKeys: []string{"clicks/2026/a", "clicks/2026/b"}, expNext: strPtr("clicks/2026/b"), expCalls: []objectsCall{{"", 2}}},
		{name: "an empty after browses from the start", query: "?after=", exp: http.StatusOK, expOrder: "key",
			expKeys: []string{"clicks/2026/a", "clicks/2026/b", "clicks/2026/c"}, expCalls: []objectsCall{{"", DefaultObjects}}},
		{name: "the page after a key", query: "?after=clicks/2026/a&limit=1", exp: http.StatusOK, expOrder: "key",
			expKeys: []string{"clicks/2026/b"}, expNext: strPtr("clicks/2026/b"), expCalls: []objectsCall{{"clicks/2026/a", 1}}},
		{name: "the last page", query: "?after=clicks/2026/b&limit=1", exp: http.StatusOK, expOrder: "key",
			expKeys: []string{"clicks/2026/c"}, expCalls: []objectsCall{{"clicks/2026/b", 1}}},
		{name: "after the end", query: "?after=z", exp: http.StatusOK, expOrder: "key", expKeys: nil, expCalls: []objectsCall{{"z", DefaultObjects}}},
		{name: "after too long", query: "?after=" + strings.Repeat("k", 1025), exp: http.StatusBadRequest, expInBody: "after must be an object key"},
		{name: "after not UTF-8", query: "?after=%ff", exp: http.StatusBadRequest, expInBody: "after must be an object key"},
		{name: "store failure is a 500 with the cause", query: "?after=", objErr: storeDown,
			exp: http.StatusInternalServerError, expCalls: []objectsCall{{"", DefaultObjects}}, expInBody: "objstore: list analytics/clicks/: connection refused"},
		{name: "slow store is a 504", noRecent: true, objErr: context.DeadlineExceeded, exp: http.StatusGatewayTimeout, expCalls: []objectsCall{{"", DefaultObjects}}},
		{name: "a store failure does not hide the recent objects", objErr: storeDown, exp: http.StatusOK, expOrder: "newest",
			expKeys: []string{"clicks/2026/c", "errors/2026/e"}, expNext: strPtr("")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, b := fixture(t)
			b.objErr = tt.objErr
			if tt.noRecent {
				b.recent = nil
			}
			r := get(t, c, "GET", "/console/api/streams/clicks/objects"+tt.query, nil)
			raw := body(t, r)
			if r.StatusCode != tt.exp {
				t.Fatalf("status %d, want %d: %s", r.StatusCode, tt.exp, raw)
			}
			if !slices.Equal(b.calls, tt.expCalls) {
				t.Errorf("backend Objects calls %v, want %v", b.calls, tt.expCalls)
			}
			if !strings.Contains(raw, tt.expInBody) {
				t.Errorf("body lacks %q: %s", tt.expInBody, raw)
			}
			if tt.exp != http.StatusOK {
				return
			}
			var got objectsResponse
			if err := json.Unmarshal([]byte(raw), &got); err != nil {
				t.Fatal(err)
			}
			var keys []string
			for _, o := range got.Objects {
				keys = append(keys, o.Key)
				if o.ErrorOutput != strings.HasPrefix(o.Key, "errors/") {
					t.Errorf("object %+v: errorOutput wrong", o)
				}
			}
			if got.Bucket != "analytics" || got.Order != tt.expOrder || !slices.Equal(keys, tt.expKeys) {
				t.Errorf("bucket %q order %q keys %v, want analytics %q %v", got.Bucket, got.Order, keys, tt.expOrder, tt.expKeys)
			}
			if (got.Next == nil) != (tt.expNext == nil) || got.Next != nil && *got.Next != *tt.expNext {
				t.Errorf("next %v, want %v", deref(got.Next), deref(tt.expNext))
			}
			if !strings.Contains(raw, `"objects":[`) {
				t.Errorf("objects not a list: %s", raw)
			}
		})
	}
	// A stream that is not ACTIVE has no pipeline: its first page is the
	// listing's.
	c, b := fixture(t)
	b.objects["fresh"] = []objstore.ObjectInfo{{Key: "fresh-1", Size: 1, LastModified: t0}}
	raw := body(t, get(t, c, "GET", "/console/api/streams/fresh/objects", nil))
	if !strings.Contains(raw, `"order":"key"`) || !strings.Contains(raw, `"key":"fresh-1"`) || !strings.Contains(raw, `"next":null`) {
		t.Errorf("fresh objects: %s", raw)
	}
}

func strPtr(v string) *string { return &v }

func TestAssetsRevalidate(t *testing.T) {
	c, _ := fixture(t)
	first := get(t, c, "GET", "/console/assets/app.js", nil)
	etag := first.Header.Get("ETag")
	if !regexp.MustCompile(`^"[0-9a-f]{16}"$`).MatchString(etag) {
		t.Fatalf("ETag %q", etag)
	}
	tests := []struct {
		name, ifNoneMatch string
		exp               int
	}{
		{"same version", etag, http.StatusNotModified},
		{"weak form of the same", "W/" + etag, http.StatusNotModified},
		{"in a list", `"other", ` + etag, http.StatusNotModified},
		{"another version", `"0000000000000000"`, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := get(t, c, "GET", "/console/assets/app.js", http.Header{"If-None-Match": {tt.ifNoneMatch}})
			if r.StatusCode != tt.exp {
				t.Errorf("status %d, want %d", r.StatusCode, tt.exp)
			}
		})
	}
}

// TestPageNeverParsesData guards the page's safety rule: the script builds
// the DOM with text nodes only, and the HTML has no inline script or style
// (which the Content-Security-Policy would block anyway).
func TestPageNeverParsesData(t *testing.T) {
	js, err := static.ReadFile("static/app.js")
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function", "createContextualFragment", "DOMParser"} {
		if strings.Contains(string(js), bad) {
			t.Errorf("app.js uses %s", bad)
		}
	}
	page, err := static.ReadFile("static/index.html")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range regexp.MustCompile(`(?s)<script([^>]*)>(.*?)</script>`).FindAllStringSubmatch(string(page), -1) {
		if !strings.Contains(m[1], "src=") || strings.TrimSpace(m[2]) != "" {
			t.Errorf("inline script in index.html: %s", m[0])
		}
	}
	if regexp.MustCompile(`\sstyle=|<style|\son[a-z]+=`).Match(page) {
		t.Error("index.html has an inline style or event handler")
	}
}

func TestRegisterOnEcho(t *testing.T) {
	c, _ := fixture(t)
	e := echo.New()
	e.POST("/", func(ec echo.Context) error { return ec.String(http.StatusOK, "firehose") })
	c.Register(e)
	tests := []struct {
		method, path string
		exp          int
	}{
		{"GET", "/", http.StatusFound},
		{"POST", "/", http.StatusOK}, // the Firehose API keeps POST /
		{"GET", "/console", http.StatusFound},
		{"GET", "/console/", http.StatusOK},
		{"GET", "/console/api/streams/clicks/errors", http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			if r := get(t, e, tt.method, tt.path, nil); r.StatusCode != tt.exp {
				t.Errorf("status %d, want %d", r.StatusCode, tt.exp)
			}
		})
	}
}

func TestSamplerRunsUntilClose(t *testing.T) {
	var calls atomic.Int64
	c := New(&fakeBackend{snapshot: func() []metrics.Stream {
		calls.Add(1)
		return nil
	}}, Options{Interval: time.Millisecond})
	deadline := time.Now().Add(10 * time.Second)
	for calls.Load() < 5 {
		if time.Now().After(deadline) {
			t.Fatalf("sampler ran %d times in 10 s", calls.Load())
		}
		time.Sleep(time.Millisecond)
	}
	c.Close()
	select {
	case <-c.done:
	default:
		t.Fatal("Close returned with the sampler running")
	}
	after := calls.Load()
	c.Close() // idempotent
	if calls.Load() != after {
		t.Error("the sampler ran after Close")
	}
}
