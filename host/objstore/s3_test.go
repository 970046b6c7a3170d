package objstore

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// request is one HTTP request the fake S3 server received.
type request struct {
	Method string
	Path   string
	Query  url.Values
	Header http.Header
}

// recorder is an http.Handler that notes each request's method, path,
// query and headers before passing it on.
type recorder struct {
	next http.Handler
	mu   sync.Mutex
	reqs []request
}

// ServeHTTP implements http.Handler.
func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	r.reqs = append(r.reqs, request{Method: req.Method, Path: req.URL.Path, Query: req.URL.Query(), Header: req.Header.Clone()})
	r.mu.Unlock()
	r.next.ServeHTTP(w, req)
}

// forPath returns the requests made to one path, in order.
func (r *recorder) forPath(p string) []request {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []request
	for _, q := range r.reqs {
		if q.Path == p {
			out = append(out, q)
		}
	}
	return out
}

// fakeS3 is a gofakes3 server on loopback and an S3 store talking to it.
type fakeS3 struct {
	store *S3
	rec   *recorder
	url   string
}

// newFakeS3 starts gofakes3 (in memory, path-style) on 127.0.0.1 behind a
// recorder, and returns a store with 5 MiB parts pointed at it.
func newFakeS3(t *testing.T) *fakeS3 {
	t.Helper()
	faker := gofakes3.New(s3mem.New(), gofakes3.WithLogger(gofakes3.DiscardLog()))
	rec := &recorder{next: faker.Server()}
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	s, err := NewS3(t.Context(), S3Config{
		Endpoint:        srv.URL,
		Region:          "us-east-1",
		AccessKeyID:     "AKIDEXAMPLE",
		SecretAccessKey: "secret",
		UsePathStyle:    true,
		PartSize:        MinPartSize,
		MaxAttempts:     1,
	})
	if err != nil {
		t.Fatalf("NewS3: %v", err)
	}
	return &fakeS3{store: s, rec: rec, url: srv.URL}
}

// createBucket creates a bucket through the raw client.
func (f *fakeS3) createBucket(t *testing.T, bucket string) {
	t.Helper()
	if _, err := f.store.Client().CreateBucket(t.Context(), &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("CreateBucket %s: %v", bucket, err)
	}
}

func TestS3Conformance(t *testing.T) {
	f := newFakeS3(t)
	f.createBucket(t, "conformance-bucket")
	testStore(t, f.store, "conformance-bucket")
}

func TestS3PutHeaders(t *testing.T) {
	f := newFakeS3(t)
	f.createBucket(t, "hdr")
	const kmsKey = "arn:aws:kms:us-east-1:000000000000:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	tests := []struct {
		name      string
		size      int
		opts      PutOptions
		multipart bool
		expType   string
	}{
		{name: "small defaults", size: 1 << 10, expType: "application/octet-stream"},
		{
			name:    "small with headers",
			size:    1 << 10,
			opts:    PutOptions{ContentType: "application/x-ndjson", ContentEncoding: "gzip", Metadata: map[string]string{"stream": "s1"}, SSEKMSKeyID: kmsKey},
			expType: "application/x-ndjson",
		},
		{name: "exactly one part", size: int(MinPartSize), expType: "application/octet-stream"},
		{
			name:      "multipart with headers",
			size:      12 << 20,
			opts:      PutOptions{ContentType: "application/x-parquet", ContentEncoding: "snappy-java", Metadata: map[string]string{"stream": "s2"}, SSEKMSKeyID: kmsKey},
			multipart: true,
			expType:   "application/x-parquet",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := t.Context()
			key := "obj/" + strings.ReplaceAll(tt.name, " ", "-")
			body := make([]byte, tt.size)
			for i := range body {
				body[i] = byte(i * 7)
			}
			if err := f.store.Put(ctx, "hdr", key, body, tt.opts); err != nil {
				t.Fatalf("Put: %v", err)
			}
			got, err := f.store.Get(ctx, "hdr", key)
			if err != nil {
				t.Fatalf("Get: %v", err)
			}
			if !bytes.Equal(got, body) {
				t.Fatalf("Get returned %d bytes that differ from the %d put", len(got), len(body))
			}

			// What the server stored, read back through the raw client.
			head, err := f.store.Client().HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("hdr"), Key: aws.String(key)})
			if err != nil {
				t.Fatalf("HeadObject: %v", err)
			}
			if ct := aws.ToString(head.ContentType); ct != tt.expType {
				t.Errorf("Content-Type = %q, want %q", ct, tt.expType)
			}
			if ce := aws.ToString(head.ContentEncoding); ce != tt.opts.ContentEncoding {
				t.Errorf("Content-Encoding = %q, want %q", ce, tt.opts.ContentEncoding)
			}
			if aws.ToInt64(head.ContentLength) != int64(tt.size) {
				t.Errorf("Content-Length = %d, want %d", aws.ToInt64(head.ContentLength), tt.size)
			}
			expMeta := tt.opts.Metadata
			if expMeta == nil {
				expMeta = map[string]string{}
			}
			if !maps.Equal(head.Metadata, expMeta) {
				t.Errorf("Metadata = %v, want %v", head.Metadata, expMeta)
			}

			// What went over the wire.
			reqs := f.rec.forPath("/hdr/" + key)
			var create, parts, puts, complete []request
			for _, r := range reqs {
				switch {
				case r.Method == http.MethodPost && r.Query.Has("uploads"):
					create = append(create, r)
				case r.Method == http.MethodPut && r.Query.Has("partNumber"):
					parts = append(parts, r)
				case r.Method == http.MethodPut:
					puts = append(puts, r)
				case r.Method == http.MethodPost && r.Query.Has("uploadId"):
					complete = append(complete, r)
				}
			}
			var first request
			if tt.multipart {
				wantParts := (tt.size + int(MinPartSize) - 1) / int(MinPartSize)
				if len(create) != 1 || len(parts) != wantParts || len(complete) != 1 || len(puts) != 0 {
					t.Fatalf("requests: %d create, %d parts, %d complete, %d single puts; want 1, %d, 1, 0",
						len(create), len(parts), len(complete), len(puts), wantParts)
				}
				first = create[0]
				for _, p := range parts {
					if p.Header.Get("X-Amz-Server-Side-Encryption") != "" {
						t.Errorf("UploadPart carried an SSE header; S3 wants it on CreateMultipartUpload only")
					}
				}
			} else {
				if len(puts) != 1 || len(create) != 0 || len(parts) != 0 {
					t.Fatalf("requests: %d single puts, %d creates, %d parts; want one PutObject", len(puts), len(create), len(parts))
				}
				first = puts[0]
			}
			wantHeaders := map[string]string{
				"Content-Type":                                tt.expType,
				"Content-Encoding":                            tt.opts.ContentEncoding,
				"X-Amz-Meta-Stream":                           tt.opts.Metadata["stream"],
				"X-Amz-Server-Side-Encryption":                map[bool]string{true: "aws:kms"}[tt.opts.SSEKMSKeyID != ""],
				"X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id": tt.opts.SSEKMSKeyID,
			}
			for h, want := range wantHeaders {
				if got := first.Header.Get(h); got != want {
					t.Errorf("request header %s = %q, want %q", h, got, want)
				}
			}
			// gofakes3 keeps every x-amz-* header it was sent, so the
			// encryption settings come back on HEAD as they would from S3.
			if string(head.ServerSideEncryption) != wantHeaders["X-Amz-Server-Side-Encryption"] ||
				aws.ToString(head.SSEKMSKeyId) != tt.opts.SSEKMSKeyID {
				t.Errorf("HEAD encryption = %q, key %q; want %q, %q", head.ServerSideEncryption, aws.ToString(head.SSEKMSKeyId),
					wantHeaders["X-Amz-Server-Side-Encryption"], tt.opts.SSEKMSKeyID)
			}
		})
	}
}

func TestS3MissingBucket(t *testing.T) {
	f := newFakeS3(t)
	ctx := t.Context()
	errs := map[string]error{
		"ping": f.store.Ping(ctx, "no-such-bucket"),
		"put":  f.store.Put(ctx, "no-such-bucket", "k", []byte("x"), PutOptions{}),
		"get":  func() error { _, err := f.store.Get(ctx, "no-such-bucket", "k"); return err }(),
		"list": func() error { _, err := f.store.List(ctx, "no-such-bucket", ""); return err }(),
	}
	for op, err := range errs {
		if got := ErrorCode(err); got != "S3.NoSuchBucket" {
			t.Errorf("%s: ErrorCode(%v) = %q, want S3.NoSuchBucket", op, err, got)
		}
		if !Permanent(err) {
			t.Errorf("%s: Permanent = false, want true", op)
		}
		if errors.Is(err, ErrNotFound) {
			t.Errorf("%s: a missing bucket must not read as a missing object", op)
		}
		var e *Error
		if !errors.As(err, &e) || e.Op != op || e.Bucket != "no-such-bucket" {
			t.Errorf("%s: err = %v, want an *Error for %s no-such-bucket", op, err, op)
		}
	}
}

// cannedS3 is a server that answers every request with one S3 error and
// counts the requests.
func cannedS3(t *testing.T, status int, code string) (string, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(status)
		if code != "" {
			fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>canned</Message><RequestId>r</RequestId></Error>`, code)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL, &n
}

func TestS3ErrorMapping(t *testing.T) {
	tests := []struct {
		name      string
		status    int
		code      string
		expCode   string
		permanent bool
	}{
		{name: "access denied", status: 403, code: "AccessDenied", expCode: "S3.AccessDenied", permanent: true},
		{name: "bad access key", status: 403, code: "InvalidAccessKeyId", expCode: "S3.InvalidAccessKeyId", permanent: true},
		{name: "bad signature", status: 403, code: "SignatureDoesNotMatch", expCode: "S3.SignatureDoesNotMatch", permanent: true},
		{name: "all access disabled", status: 403, code: "AllAccessDisabled", expCode: "S3.AllAccessDisabled", permanent: true},
		{name: "no such bucket", status: 404, code: "NoSuchBucket", expCode: "S3.NoSuchBucket", permanent: true},
		{name: "kms key not found", status: 400, code: "KMS.NotFoundException", expCode: "S3.KMS.NotFoundException", permanent: true},
		{name: "slow down", status: 503, code: "SlowDown", expCode: "S3.SlowDown", permanent: false},
		{name: "internal error", status: 500, code: "InternalError", expCode: "InternalError", permanent: false},
		{name: "request timeout", status: 400, code: "RequestTimeout", expCode: "S3.RequestTimeout", permanent: false},
		{name: "bodiless 502", status: 502, code: "", expCode: "", permanent: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			endpoint, n := cannedS3(t, tt.status, tt.code)
			s, err := NewS3(t.Context(), S3Config{Endpoint: endpoint, AccessKeyID: "a", SecretAccessKey: "b", UsePathStyle: true, MaxAttempts: 1})
			if err != nil {
				t.Fatal(err)
			}
			err = s.Put(t.Context(), "bucket", "key", []byte("x"), PutOptions{})
			if err == nil {
				t.Fatal("Put succeeded against an error server")
			}
			exp := tt.expCode
			if exp == "" {
				// Whatever the SDK names a bodiless 502, it is not a
				// client error.
				exp = ErrorCode(err)
				if exp != "InternalError" && !strings.HasPrefix(exp, "S3.") {
					t.Errorf("ErrorCode = %q", exp)
				}
			}
			if got := ErrorCode(err); got != exp {
				t.Errorf("ErrorCode(%v) = %q, want %q", err, got, exp)
			}
			if got := Permanent(err); got != tt.permanent {
				t.Errorf("Permanent(%v) = %v, want %v", err, got, tt.permanent)
			}
			if got := n.Load(); got != 1 {
				t.Errorf("server saw %d requests, want 1 (MaxAttempts 1)", got)
			}
		})
	}
}

func TestS3Unreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	s, err := NewS3(t.Context(), S3Config{Endpoint: "http://" + addr, AccessKeyID: "a", SecretAccessKey: "b", UsePathStyle: true, MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Ping(t.Context(), "bucket")
	if err == nil {
		t.Fatal("Ping of a closed port succeeded")
	}
	if ErrorCode(err) != "InternalError" || Permanent(err) {
		t.Errorf("ErrorCode = %q, Permanent = %v; want InternalError, false", ErrorCode(err), Permanent(err))
	}
}

func TestNewS3Config(t *testing.T) {
	tests := []struct {
		name   string
		cfg    S3Config
		expErr []string
	}{
		{name: "zero value", cfg: S3Config{}},
		{name: "full", cfg: S3Config{Endpoint: "https://s3.example:9000", Region: "eu-west-1", AccessKeyID: "a", SecretAccessKey: "b", SessionToken: "c", UsePathStyle: true, PartSize: 64 << 20, Concurrency: 8, MaxAttempts: 5}},
		{name: "part too small", cfg: S3Config{PartSize: MinPartSize - 1}, expErr: []string{"PartSize"}},
		{name: "bad endpoint", cfg: S3Config{Endpoint: "ftp://x"}, expErr: []string{"Endpoint"}},
		{name: "endpoint without scheme", cfg: S3Config{Endpoint: "localhost:9000"}, expErr: []string{"Endpoint"}},
		{name: "half credentials", cfg: S3Config{AccessKeyID: "a"}, expErr: []string{"SecretAccessKey"}},
		{name: "token alone", cfg: S3Config{SessionToken: "t"}, expErr: []string{"SessionToken"}},
		{name: "every problem", cfg: S3Config{PartSize: 1, Concurrency: -1, MaxAttempts: -1}, expErr: []string{"PartSize", "Concurrency", "MaxAttempts"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := NewS3(t.Context(), tt.cfg)
			if len(tt.expErr) == 0 {
				if err != nil || s == nil {
					t.Fatalf("NewS3 = %v, %v", s, err)
				}
				return
			}
			if err == nil {
				t.Fatal("NewS3 succeeded, want an error")
			}
			for _, field := range tt.expErr {
				if !strings.Contains(err.Error(), field) {
					t.Errorf("error %q does not name %s", err, field)
				}
			}
		})
	}
}
