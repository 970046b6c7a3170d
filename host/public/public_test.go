package public_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wasmhose/wasmhose/host/apierror"
	"github.com/wasmhose/wasmhose/host/config"
	"github.com/wasmhose/wasmhose/host/pluginstore"
	"github.com/wasmhose/wasmhose/host/public"
	"github.com/wasmhose/wasmhose/plugins"
	wasmrt "github.com/wasmhose/wasmhose/runtime"
)

const clickSchema = `{
  "type": "object",
  "required": ["page", "ts"],
  "additionalProperties": false,
  "properties": {
    "page": {"type": "string", "minLength": 1},
    "ts":   {"type": "integer", "minimum": 0},
    "user": {"type": "string", "format": "email"}
  }
}`

// recorder is the stream end of the handler in these tests: it keeps what
// it is given, or fails with err. The service's own Put is exercised by the
// end-to-end tests in cmd/wasmhose.
type recorder struct {
	mu      sync.Mutex
	records map[string][]string
	err     error
}

func (r *recorder) Put(_ context.Context, name string, data [][]byte) ([]string, bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return nil, false, r.err
	}
	if r.records == nil {
		r.records = map[string][]string{}
	}
	ids := make([]string, len(data))
	for i, d := range data {
		r.records[name] = append(r.records[name], string(d))
		ids[i] = fmt.Sprintf("id-%d", len(r.records[name]))
	}
	return ids, false, nil
}

func (r *recorder) got(name string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.records[name]...)
}

func clicksRoute() config.PublicRoute {
	return config.PublicRoute{
		Path: "/v1/clicks", Stream: "clicks", Schema: config.Document(clickSchema),
		Template: `{"page":{{json .page}},"ts":{{.ts}}}`, Newline: true, MaxBodyBytes: 256,
		RateLimit: config.RateLimit{PerSecond: 1, Burst: 3},
		CORS:      config.CORS{AllowedOrigins: []string{"https://shop.example"}, MaxAgeSeconds: 60},
	}
}

// clock is a settable clock for the rate limits.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func newHandler(t *testing.T, p public.Putter, clk *clock, routes ...config.PublicRoute) *public.Handler {
	t.Helper()
	h, err := public.New(context.Background(), public.Options{Routes: routes, Putter: p, Now: clk.now, Region: "us-east-1", AccountID: "000000000000"})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

type req struct {
	method, path, body, origin, ctype string
	headers                           map[string]string
	remote                            string
}

func (q req) do(h http.Handler) *httptest.ResponseRecorder {
	if q.method == "" {
		q.method = http.MethodPost
	}
	if q.path == "" {
		q.path = "/v1/clicks"
	}
	r := httptest.NewRequest(q.method, "http://public.example"+q.path, strings.NewReader(q.body))
	if q.ctype == "" {
		q.ctype = "application/json"
	}
	r.Header.Set("Content-Type", q.ctype)
	if q.origin != "" {
		r.Header.Set("Origin", q.origin)
	}
	for k, v := range q.headers {
		r.Header.Set(k, v)
	}
	if q.remote != "" {
		r.RemoteAddr = q.remote
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestHandler(t *testing.T) {
	tests := []struct {
		name      string
		req       req
		expStatus int
		expBody   string // substring
		expRecord string // "" means nothing reaches the stream
		expHeader map[string]string
	}{
		{name: "valid", req: req{body: `{"page":"/home","ts":1700000000,"user":"a@b.example"}`},
			expStatus: 200, expBody: `{"RecordId":"id-1"}`, expRecord: "{\"page\":\"/home\",\"ts\":1700000000}\n"},
		{name: "content type with parameters", req: req{body: `{"page":"/","ts":1}`, ctype: "application/json; charset=utf-8"},
			expStatus: 200, expRecord: "{\"page\":\"/\",\"ts\":1}\n"},
		{name: "allowed origin gets CORS headers", req: req{body: `{"page":"/","ts":1}`, origin: "https://shop.example"},
			expStatus: 200, expRecord: "{\"page\":\"/\",\"ts\":1}\n", expHeader: map[string]string{"Access-Control-Allow-Origin": "https://shop.example", "Vary": "Origin"}},
		{name: "schema violations", req: req{body: `{"page":"","ts":-1,"user":"nope","extra":1}`},
			expStatus: 400, expBody: `"instanceLocation":"/ts"`},
		{name: "missing member", req: req{body: `{"page":"/"}`}, expStatus: 400, expBody: `missing property 'ts'`},
		{name: "format asserted", req: req{body: `{"page":"/","ts":1,"user":"not-an-email"}`}, expStatus: 400, expBody: `"instanceLocation":"/user"`},
		{name: "not JSON", req: req{body: `{"page":`}, expStatus: 400, expBody: "the body is not JSON"},
		{name: "two documents", req: req{body: `{"page":"/","ts":1} {}`}, expStatus: 400, expBody: "the body is not JSON"},
		{name: "too large", req: req{body: `{"page":"` + strings.Repeat("x", 300) + `","ts":1}`}, expStatus: 413, expBody: "exceeds 256 bytes"},
		{name: "too large without a length", req: req{body: `{"page":"` + strings.Repeat("x", 300) + `","ts":1}`, headers: map[string]string{"Transfer-Encoding": "chunked"}},
			expStatus: 413, expBody: "exceeds 256 bytes"},
		{name: "wrong content type", req: req{body: `{"page":"/","ts":1}`, ctype: "text/plain"}, expStatus: 415},
		{name: "GET", req: req{method: http.MethodGet}, expStatus: 405, expHeader: map[string]string{"Allow": "POST, OPTIONS"}},
		{name: "unknown route", req: req{path: "/v1/orders", body: `{}`}, expStatus: 404},
		{name: "management operation", req: req{path: "/", body: `{}`, headers: map[string]string{"X-Amz-Target": "Firehose_20150804.DeleteDeliveryStream"}}, expStatus: 404},
		{name: "other origin may not post", req: req{body: `{"page":"/","ts":1}`, origin: "https://evil.example"}, expStatus: 403},
		{name: "preflight", req: req{method: http.MethodOptions, origin: "https://shop.example", headers: map[string]string{"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}},
			expStatus: 204, expHeader: map[string]string{"Access-Control-Allow-Origin": "https://shop.example", "Access-Control-Allow-Methods": "POST", "Access-Control-Allow-Headers": "Content-Type", "Access-Control-Max-Age": "60"}},
		{name: "preflight from another origin", req: req{method: http.MethodOptions, origin: "https://evil.example", headers: map[string]string{"Access-Control-Request-Method": "POST"}},
			expStatus: 403, expHeader: map[string]string{"Access-Control-Allow-Origin": ""}},
		{name: "preflight for another method", req: req{method: http.MethodOptions, origin: "https://shop.example", headers: map[string]string{"Access-Control-Request-Method": "DELETE"}},
			expStatus: 403, expHeader: map[string]string{"Access-Control-Allow-Origin": ""}},
		{name: "a duplicate key cannot smuggle a value past the schema", req: req{path: "/v1/raw", body: `{"page":"<script>alert(1)</script>","ts":1,"page":"/ok"}`},
			expStatus: 400, expBody: "the key at /page more than once"},
		{name: "a duplicate nested key", req: req{path: "/v1/raw", body: `{"page":"/ok","ts":1,"meta":[{"a":1},{"a":1,"a":2}]}`},
			expStatus: 400, expBody: "the key at /meta/1/a more than once"},
		{name: "the same key in sibling objects is fine", req: req{path: "/v1/raw", body: `{"page":"/ok","ts":1,"meta":[{"a":1},{"a":2}]}`},
			expStatus: 200, expRecord: `{"page":"/ok","ts":1,"meta":[{"a":1},{"a":2}]}`},
		{name: "template needs a member the schema leaves optional", req: req{path: "/v1/optional", body: `{"page":"/","ts":1}`},
			expStatus: 400, expBody: "does not fit the route's record template"},
	}
	optional := clicksRoute()
	optional.Path, optional.Template = "/v1/optional", `{{.user}}`
	raw := clicksRoute() // the body stored as sent, behind a pattern
	raw.Path, raw.Template, raw.Newline = "/v1/raw", "", false
	raw.Schema = config.Document(`{"type":"object","required":["page","ts"],"properties":{"page":{"type":"string","pattern":"^/[a-z/]*$"}}}`)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{}
			h := newHandler(t, rec, &clock{t: time.Unix(1e9, 0)}, clicksRoute(), optional, raw)
			w := tt.req.do(h)
			if w.Code != tt.expStatus || !strings.Contains(w.Body.String(), tt.expBody) {
				t.Fatalf("%d %s, want %d containing %q", w.Code, w.Body, tt.expStatus, tt.expBody)
			}
			if w.Code != http.StatusNoContent && w.Header().Get("Content-Type") != "application/json" {
				t.Fatalf("Content-Type %q", w.Header().Get("Content-Type"))
			}
			for k, v := range tt.expHeader {
				if got := w.Header().Get(k); got != v {
					t.Fatalf("header %s = %q, want %q", k, got, v)
				}
			}
			got := append(rec.got("clicks"), rec.got("optional")...)
			switch {
			case tt.expRecord == "" && len(got) != 0:
				t.Fatalf("a refused request reached the stream: %q", got)
			case tt.expRecord != "" && (len(got) != 1 || got[0] != tt.expRecord):
				t.Fatalf("records %q, want [%q]", got, tt.expRecord)
			}
			if tt.name == "schema violations" {
				var e public.BodyError
				if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || len(e.Errors) < 3 {
					t.Fatalf("validation errors %s (%v): want one per violation", w.Body, err)
				}
			}
		})
	}
}

func TestRateLimit(t *testing.T) {
	rec := &recorder{}
	clk := &clock{t: time.Unix(1e9, 0)}
	h := newHandler(t, rec, clk, clicksRoute()) // 1/s, burst 3
	post := func(remote string) *httptest.ResponseRecorder {
		return req{body: `{"page":"/","ts":1}`, remote: remote}.do(h)
	}
	for i := range 3 {
		if w := post("192.0.2.1:1000"); w.Code != 200 {
			t.Fatalf("request %d: %d %s", i, w.Code, w.Body)
		}
	}
	w := post("192.0.2.1:2000") // same client, another port
	if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != "1" {
		t.Fatalf("4th request: %d Retry-After %q", w.Code, w.Header().Get("Retry-After"))
	}
	if w := post("192.0.2.2:1000"); w.Code != 200 {
		t.Fatalf("another client was limited: %d", w.Code)
	}
	// IPv6 clients are limited per /64.
	for i := range 3 {
		if w := post(fmt.Sprintf("[2001:db8::%d]:1000", i+1)); w.Code != 200 {
			t.Fatalf("v6 request %d: %d", i, w.Code)
		}
	}
	if w := post("[2001:db8::ff]:1000"); w.Code != http.StatusTooManyRequests {
		t.Fatalf("same /64: %d, want 429", w.Code)
	}
	clk.add(time.Second)
	if w := post("192.0.2.1:1000"); w.Code != 200 {
		t.Fatalf("after a second: %d", w.Code)
	}
	if n := len(rec.got("clicks")); n != 8 {
		t.Fatalf("%d records stored, want 8", n)
	}
}

func TestStreamErrors(t *testing.T) {
	tests := []struct {
		name      string
		err       error
		expStatus int
		expBody   string
	}{
		{"throttled", apierror.ServiceUnavailable("Slow down."), 503, "retry later"},
		{"stream gone", apierror.ResourceNotFound("Firehose clicks under account 000000000000 not found."), 500, "could not be stored"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHandler(t, &recorder{err: tt.err}, &clock{t: time.Unix(1e9, 0)}, clicksRoute())
			w := req{body: `{"page":"/","ts":1}`}.do(h)
			if w.Code != tt.expStatus || !strings.Contains(w.Body.String(), tt.expBody) || strings.Contains(w.Body.String(), "000000000000") {
				t.Fatalf("%d %s, want %d %q without internal details", w.Code, w.Body, tt.expStatus, tt.expBody)
			}
		})
	}
}

func TestNewErrors(t *testing.T) {
	tests := []struct {
		name   string
		mut    func(r *config.PublicRoute)
		expErr string
	}{
		{"schema not JSON", func(r *config.PublicRoute) { r.Schema = config.Document(`{`) }, "not JSON"},
		{"schema invalid", func(r *config.PublicRoute) { r.Schema = config.Document(`{"type":5}`) }, "schema"},
		{"schema with an external ref", func(r *config.PublicRoute) { r.Schema = config.Document(`{"$ref":"file:///etc/passwd"}`) }, "self-contained"},
		{"schema file missing", func(r *config.PublicRoute) { r.Schema, r.SchemaFile = nil, "/nonexistent/s.json" }, "/nonexistent/s.json"},
		{"template invalid", func(r *config.PublicRoute) { r.Template = "{{" }, "template"},
		{"plugin without a store", func(r *config.PublicRoute) { r.Plugin = "process-record" }, "no plugin store"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := clicksRoute()
			tt.mut(&r)
			_, err := public.New(context.Background(), public.Options{Routes: []config.PublicRoute{r}, Putter: &recorder{}})
			if err == nil || !strings.Contains(err.Error(), tt.expErr) {
				t.Fatalf("New = %v, want %q", err, tt.expErr)
			}
		})
	}
}

// TestPluginRoute runs a built-in Wasm plugin on the record: the template
// makes a syslog line of the body and syslog-to-json turns it into JSON.
func TestPluginRoute(t *testing.T) {
	ctx := context.Background()
	rt, err := wasmrt.New(ctx, wasmrt.NewConfig())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rt.Close(ctx) })
	store, err := pluginstore.Open(t.TempDir(), plugins.Catalogue(), rt, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close(ctx) })
	r := config.PublicRoute{
		Path: "/v1/logs", Stream: "logs", Plugin: "syslog-to-json", Newline: true,
		Schema:   config.Document(`{"type":"object","required":["host","msg"],"properties":{"host":{"type":"string","pattern":"^[a-z0-9-]+$"},"msg":{"type":"string"}}}`),
		Template: `<13>Mar  1 12:00:00 {{.host}} app[1]: {{.msg}}`,
	}
	rec := &recorder{}
	h, err := public.New(ctx, public.Options{Routes: []config.PublicRoute{r}, Putter: rec, Transforms: store, Region: "us-east-1", AccountID: "000000000000"})
	if err != nil {
		t.Fatal(err)
	}
	w := req{path: "/v1/logs", body: `{"host":"web-1","msg":"hello"}`}.do(h)
	if w.Code != 200 {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	got := rec.got("logs")
	if len(got) != 1 || !strings.HasSuffix(got[0], "}\n") {
		t.Fatalf("records %q", got)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(got[0]), &m); err != nil || m["hostname"] != "web-1" || m["message"] != "hello" {
		t.Fatalf("plugin output %q (%v)", got[0], err)
	}
}

// FuzzRecord: any body, of any size up to the limit, is answered without a
// panic, and a body that reaches the stream satisfies the schema: with
// the '{{json .}}' template the record is the body's own JSON again.
func FuzzRecord(f *testing.F) {
	f.Add(`{"page":"/home","ts":1700000000,"user":"a@b.example"}`)
	f.Add(`{"page":"/","ts":1e3}`)
	f.Add(`{"page":"\u0000","ts":0}`)
	f.Add(`[[[[[[[[[[]]]]]]]]]]`)
	f.Add(`{"page":"/","ts":1,"page":""}`)
	f.Add("\xff\xfe")
	r := clicksRoute()
	r.Template, r.MaxBodyBytes, r.RateLimit = `{{json .}}`, 4096, config.RateLimit{PerSecond: 1e9, Burst: 1e9}
	rec := &recorder{}
	h, err := public.New(context.Background(), public.Options{Routes: []config.PublicRoute{r}, Putter: rec})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body string) {
		before := len(rec.got("clicks"))
		w := req{body: body}.do(h)
		after := rec.got("clicks")
		switch w.Code {
		case 200:
			if len(after) != before+1 {
				t.Fatalf("200 without a record")
			}
			var v map[string]any
			got := after[len(after)-1]
			if err := json.Unmarshal([]byte(got), &v); err != nil || v["page"] == nil || v["ts"] == nil || len(v) > 3 {
				t.Fatalf("stored %q for body %q, which the schema refuses", got, body)
			}
		case 400, 413:
			if len(after) != before {
				t.Fatalf("a refused body was stored: %q", body)
			}
		default:
			t.Fatalf("%d %s for body %q", w.Code, w.Body, body)
		}
	})
}

// TestLimiterForgets: clients whose bucket has refilled are forgotten, so
// the limiter's memory follows the clients of the last minute or so.
func TestLimiterForgets(t *testing.T) {
	clk := &clock{t: time.Unix(1e9, 0)}
	h := newHandler(t, &recorder{}, clk, clicksRoute()) // 1/s, burst 3: full again after 3 s
	for i := range 5 {
		req{body: `{"page":"/","ts":1}`, remote: fmt.Sprintf("192.0.2.%d:1", i+1)}.do(h)
	}
	if n := public.ClientsOf(h, "/v1/clicks"); n != 5 {
		t.Fatalf("%d clients tracked, want 5", n)
	}
	clk.add(2 * time.Minute)
	req{body: `{"page":"/","ts":1}`, remote: "192.0.2.9:1"}.do(h)
	if n := public.ClientsOf(h, "/v1/clicks"); n != 1 {
		t.Fatalf("%d clients tracked after the idle ones refilled, want 1", n)
	}
}

func TestClientKey(t *testing.T) {
	tests := []struct{ addr, exp string }{
		{"192.0.2.1:443", "192.0.2.1"},
		{"[::ffff:192.0.2.1]:443", "192.0.2.1"},
		{"[2001:db8:1:2:3:4:5:6]:443", "2001:db8:1:2::/64"},
		{"[fe80::1%eth0]:443", "fe80::/64"},
		{"not an address", "not an address"},
	}
	for _, tt := range tests {
		if got := public.ClientKey(tt.addr); got != tt.exp {
			t.Errorf("ClientKey(%q) = %q, want %q", tt.addr, got, tt.exp)
		}
	}
}

// TestTrustedProxies: behind a configured proxy, the rate limit (burst 3)
// is kept per client named in X-Forwarded-For; a header from anyone else,
// or with no proxy configured, is ignored, so a client cannot escape its
// limit by writing the header itself.
func TestTrustedProxies(t *testing.T) {
	route := clicksRoute()
	route.RateLimit = config.RateLimit{PerSecond: 1, Burst: 1}
	body := `{"page":"/","ts":1}`
	proxy := func(remote, xff string) req {
		return req{body: body, remote: remote, headers: map[string]string{"X-Forwarded-For": xff}}
	}
	tests := []struct {
		name    string
		trusted []string
		reqs    []req
		exp     []int // statuses
	}{
		{"two clients through the proxy", []string{"10.0.0.0/8"},
			[]req{proxy("10.0.0.5:4000", "203.0.113.7"), proxy("10.0.0.5:4001", "203.0.113.8")}, []int{200, 200}},
		{"one client through the proxy twice", []string{"10.0.0.0/8"},
			[]req{proxy("10.0.0.5:4000", "203.0.113.7"), proxy("10.0.0.6:4001", "203.0.113.7")}, []int{200, 429}},
		{"a forged hop before the client is skipped only if trusted", []string{"10.0.0.0/8", "192.0.2.1"},
			[]req{proxy("10.0.0.5:4000", "198.51.100.1, 203.0.113.7, 192.0.2.1"), proxy("10.0.0.5:4000", "198.51.100.2, 203.0.113.7")}, []int{200, 429}},
		{"a header from an untrusted peer is ignored", []string{"10.0.0.0/8"},
			[]req{proxy("198.51.100.9:4000", "203.0.113.7"), proxy("198.51.100.9:4001", "203.0.113.8")}, []int{200, 429}},
		{"no proxies configured: the header is ignored", nil,
			[]req{proxy("10.0.0.5:4000", "203.0.113.7"), proxy("10.0.0.5:4001", "203.0.113.8")}, []int{200, 429}},
		{"IPv6 proxy, single address", []string{"2001:db8::1"},
			[]req{proxy("[2001:db8::1]:4000", "203.0.113.7"), proxy("[2001:db8::1]:4000", "203.0.113.8")}, []int{200, 200}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nets, err := config.Public{TrustedProxies: tt.trusted}.TrustedProxyNets()
			if err != nil {
				t.Fatal(err)
			}
			clk := &clock{t: time.Unix(1e9, 0)}
			h, err := public.New(context.Background(), public.Options{Routes: []config.PublicRoute{route}, Putter: &recorder{}, Now: clk.now,
				Region: "us-east-1", AccountID: "000000000000", TrustedProxies: nets})
			if err != nil {
				t.Fatal(err)
			}
			for i, q := range tt.reqs {
				if w := q.do(h); w.Code != tt.exp[i] {
					t.Fatalf("request %d: %d %s, want %d", i, w.Code, w.Body, tt.exp[i])
				}
			}
		})
	}
}
