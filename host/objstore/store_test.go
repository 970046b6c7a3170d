package objstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// testStore is the conformance suite for Store: every implementation runs
// it against an empty bucket that Put may write to.
func testStore(t *testing.T, s Store, bucket string) {
	t.Helper()
	start := time.Now()

	t.Run("Ping", func(t *testing.T) {
		if err := s.Ping(t.Context(), bucket); err != nil {
			t.Fatalf("Ping: %v", err)
		}
	})

	t.Run("GetMissing", func(t *testing.T) {
		_, err := s.Get(t.Context(), bucket, "missing/object")
		if !errors.Is(err, ErrNotFound) {
			t.Fatalf("Get missing: err = %v, want ErrNotFound", err)
		}
		var e *Error
		if !errors.As(err, &e) || e.Op != "get" || e.Bucket != bucket || e.Key != "missing/object" {
			t.Fatalf("Get missing: err = %#v, want *Error naming get %s/missing/object", err, bucket)
		}
		if got := ErrorCode(err); got != "S3.NoSuchKey" {
			t.Errorf("ErrorCode = %q, want S3.NoSuchKey", got)
		}
		if !Permanent(err) {
			t.Errorf("Permanent(%v) = false, want true", err)
		}
	})

	t.Run("PutGet", func(t *testing.T) {
		binary := make([]byte, 300)
		for i := range binary {
			binary[i] = byte(i)
		}
		tests := []struct {
			name string
			key  string
			body []byte
		}{
			{name: "empty", key: "rt/empty", body: []byte{}},
			{name: "text", key: "rt/text.json", body: []byte(`{"a":1}` + "\n")},
			{name: "binary", key: "rt/binary", body: binary},
			{name: "nested", key: "rt/2026/07/13/14/stream-1-2026-07-13-14-05-09-a9fa96af.gz", body: []byte("abcabcabc")},
			{name: "unicode and spaces", key: "rt/ключ/with space/ü.txt", body: []byte("u")},
			{name: "dots inside names", key: "rt/a..b/c.d.", body: []byte("d")},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if err := s.Put(t.Context(), bucket, tt.key, tt.body, PutOptions{}); err != nil {
					t.Fatalf("Put: %v", err)
				}
				got, err := s.Get(t.Context(), bucket, tt.key)
				if err != nil {
					t.Fatalf("Get: %v", err)
				}
				if !bytes.Equal(got, tt.body) {
					t.Fatalf("Get = %q, want %q", got, tt.body)
				}
			})
		}
	})

	t.Run("Overwrite", func(t *testing.T) {
		ctx := t.Context()
		for _, body := range []string{"first version, longer", "second"} {
			if err := s.Put(ctx, bucket, "ow/key", []byte(body), PutOptions{}); err != nil {
				t.Fatalf("Put: %v", err)
			}
			got, err := s.Get(ctx, bucket, "ow/key")
			if err != nil || string(got) != body {
				t.Fatalf("Get = %q, %v; want %q", got, err, body)
			}
		}
	})

	t.Run("Ownership", func(t *testing.T) {
		ctx := t.Context()
		body := []byte("original")
		if err := s.Put(ctx, bucket, "own/key", body, PutOptions{}); err != nil {
			t.Fatalf("Put: %v", err)
		}
		copy(body, "XXXXXXXX") // Put must not keep body
		got, err := s.Get(ctx, bucket, "own/key")
		if err != nil || string(got) != "original" {
			t.Fatalf("Get after changing Put's body = %q, %v", got, err)
		}
		copy(got, "YYYYYYYY") // the caller owns Get's slice
		again, err := s.Get(ctx, bucket, "own/key")
		if err != nil || string(again) != "original" {
			t.Fatalf("Get after changing Get's result = %q, %v", again, err)
		}
	})

	t.Run("List", func(t *testing.T) {
		ctx := t.Context()
		objects := map[string]string{
			"ls/a-c":     "1",
			"ls/a/b":     "22",
			"ls/a/c/d":   "333",
			"ls/b":       "4444",
			"ls/ab":      "",
			"ls/2024-01": "x",
			"ls/2024-02": "y",
		}
		for k, v := range objects {
			if err := s.Put(ctx, bucket, k, []byte(v), PutOptions{}); err != nil {
				t.Fatalf("Put %s: %v", k, err)
			}
		}
		tests := []struct {
			prefix string
			exp    []string
		}{
			{prefix: "ls/", exp: []string{"ls/2024-01", "ls/2024-02", "ls/a-c", "ls/a/b", "ls/a/c/d", "ls/ab", "ls/b"}},
			{prefix: "ls", exp: []string{"ls/2024-01", "ls/2024-02", "ls/a-c", "ls/a/b", "ls/a/c/d", "ls/ab", "ls/b"}},
			{prefix: "ls/a", exp: []string{"ls/a-c", "ls/a/b", "ls/a/c/d", "ls/ab"}},
			{prefix: "ls/a/", exp: []string{"ls/a/b", "ls/a/c/d"}},
			{prefix: "ls/a/c", exp: []string{"ls/a/c/d"}},
			{prefix: "ls/a/c/d", exp: []string{"ls/a/c/d"}},
			{prefix: "ls/2024-0", exp: []string{"ls/2024-01", "ls/2024-02"}},
			{prefix: "ls/a/c/d/", exp: nil},
			{prefix: "ls/zzz", exp: nil},
			{prefix: "nothing/", exp: nil},
		}
		for _, tt := range tests {
			t.Run(tt.prefix, func(t *testing.T) {
				infos, err := s.List(ctx, bucket, tt.prefix)
				if err != nil {
					t.Fatalf("List: %v", err)
				}
				var keys []string
				for _, in := range infos {
					keys = append(keys, in.Key)
					if want := int64(len(objects[in.Key])); in.Size != want {
						t.Errorf("%s: Size = %d, want %d", in.Key, in.Size, want)
					}
					if in.LastModified.Before(start.Add(-2*time.Second)) || in.LastModified.After(time.Now().Add(2*time.Second)) {
						t.Errorf("%s: LastModified = %v, want between %v and now", in.Key, in.LastModified, start)
					}
				}
				if !slices.Equal(keys, tt.exp) {
					t.Fatalf("List(%q) = %q, want %q", tt.prefix, keys, tt.exp)
				}
			})
		}
		t.Run("whole bucket is sorted", func(t *testing.T) {
			infos, err := s.List(ctx, bucket, "")
			if err != nil {
				t.Fatalf("List: %v", err)
			}
			if len(infos) < len(objects) {
				t.Fatalf("List(\"\") has %d objects, want at least %d", len(infos), len(objects))
			}
			if !slices.IsSortedFunc(infos, func(a, b ObjectInfo) int { return strings.Compare(a.Key, b.Key) }) {
				t.Fatalf("List(\"\") is not sorted: %v", infos)
			}
		})
	})

	t.Run("Concurrent", func(t *testing.T) {
		ctx := t.Context()
		const n = 8
		var wg sync.WaitGroup
		errs := make(chan error, 2*n)
		for i := range n {
			wg.Go(func() {
				if err := s.Put(ctx, bucket, fmt.Sprintf("cc/own-%d", i), []byte{byte(i)}, PutOptions{}); err != nil {
					errs <- err
				}
				if err := s.Put(ctx, bucket, "cc/shared", bytes.Repeat([]byte{byte('a' + i)}, 1000), PutOptions{}); err != nil {
					errs <- err
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Errorf("Put: %v", err)
		}
		for i := range n {
			got, err := s.Get(ctx, bucket, fmt.Sprintf("cc/own-%d", i))
			if err != nil || !bytes.Equal(got, []byte{byte(i)}) {
				t.Errorf("Get cc/own-%d = %v, %v", i, got, err)
			}
		}
		got, err := s.Get(ctx, bucket, "cc/shared")
		if err != nil {
			t.Fatalf("Get shared: %v", err)
		}
		if len(got) != 1000 || bytes.Count(got, got[:1]) != 1000 || got[0] < 'a' || got[0] >= 'a'+n {
			t.Fatalf("Get shared = %q..., want 1000 copies of one writer's byte", got[:min(len(got), 10)])
		}
		infos, err := s.List(ctx, bucket, "cc/")
		if err != nil || len(infos) != n+1 {
			t.Fatalf("List cc/ = %v, %v; want %d objects", infos, err, n+1)
		}
	})

	t.Run("Cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		checks := map[string]error{
			"put":  s.Put(ctx, bucket, "cancel/key", []byte("x"), PutOptions{}),
			"list": func() error { _, err := s.List(ctx, bucket, ""); return err }(),
			"get":  func() error { _, err := s.Get(ctx, bucket, "rt/text.json"); return err }(),
			"ping": s.Ping(ctx, bucket),
		}
		for op, err := range checks {
			if !errors.Is(err, context.Canceled) {
				t.Errorf("%s with a cancelled context: err = %v, want context.Canceled", op, err)
			}
			if Permanent(err) {
				t.Errorf("%s: Permanent(%v) = true, want false", op, err)
			}
		}
		if _, err := s.Get(t.Context(), bucket, "cancel/key"); !errors.Is(err, ErrNotFound) {
			t.Errorf("Get after a cancelled Put: err = %v, want ErrNotFound", err)
		}
	})
}

func TestBucketFromARN(t *testing.T) {
	tests := []struct {
		name   string
		arn    string
		exp    string
		expErr bool
	}{
		{name: "aws", arn: "arn:aws:s3:::my-bucket", exp: "my-bucket"},
		{name: "china", arn: "arn:aws-cn:s3:::logs.example", exp: "logs.example"},
		{name: "govcloud", arn: "arn:aws-us-gov:s3:::b_1", exp: "b_1"},
		{name: "max length", arn: "arn:aws:s3:::" + string(bytes.Repeat([]byte("a"), 255)), exp: string(bytes.Repeat([]byte("a"), 255))},
		{name: "too long", arn: "arn:aws:s3:::" + string(bytes.Repeat([]byte("a"), 256)), expErr: true},
		{name: "empty", arn: "", expErr: true},
		{name: "bare name", arn: "my-bucket", expErr: true},
		{name: "no bucket", arn: "arn:aws:s3:::", expErr: true},
		{name: "object ARN", arn: "arn:aws:s3:::my-bucket/key", expErr: true},
		{name: "region set", arn: "arn:aws:s3:us-east-1::my-bucket", expErr: true},
		{name: "account set", arn: "arn:aws:s3::000000000000:my-bucket", expErr: true},
		{name: "other service", arn: "arn:aws:firehose:us-east-1:000000000000:deliverystream/s", expErr: true},
		{name: "empty partition", arn: "arn::s3:::b", expErr: true},
		{name: "bad character", arn: "arn:aws:s3:::my bucket", expErr: true},
		{name: "upper-case prefix", arn: "ARN:aws:s3:::b", expErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := BucketFromARN(tt.arn)
			if (err != nil) != tt.expErr {
				t.Fatalf("BucketFromARN(%q) = %q, %v; want error %v", tt.arn, got, err, tt.expErr)
			}
			if got != tt.exp {
				t.Fatalf("BucketFromARN(%q) = %q, want %q", tt.arn, got, tt.exp)
			}
		})
	}
}

// responseError is what the SDK returns for an HTTP response with status
// st and S3 error code code.
func responseError(st int, code string) error {
	return &smithyhttp.ResponseError{
		Response: &smithyhttp.Response{Response: &http.Response{StatusCode: st}},
		Err:      &smithy.GenericAPIError{Code: code, Message: "test"},
	}
}

func TestErrorCodeAndPermanent(t *testing.T) {
	tests := []struct {
		name      string
		err       error
		code      string
		permanent bool
	}{
		{name: "nil", err: nil, code: "", permanent: false},
		{name: "access denied", err: responseError(403, "AccessDenied"), code: "S3.AccessDenied", permanent: true},
		{name: "bodiless 403", err: responseError(403, "Forbidden"), code: "S3.AccessDenied", permanent: true},
		{name: "no such bucket", err: responseError(404, "NoSuchBucket"), code: "S3.NoSuchBucket", permanent: true},
		{name: "bad key id", err: responseError(403, "InvalidAccessKeyId"), code: "S3.InvalidAccessKeyId", permanent: true},
		{name: "bad signature", err: responseError(403, "SignatureDoesNotMatch"), code: "S3.SignatureDoesNotMatch", permanent: true},
		{name: "account problem", err: responseError(403, "AccountProblem"), code: "S3.AccountProblem", permanent: true},
		{name: "kms key missing", err: responseError(400, "KMS.NotFoundException"), code: "S3.KMS.NotFoundException", permanent: true},
		{name: "kms disabled", err: responseError(400, "KMS.DisabledException"), code: "S3.KMS.DisabledException", permanent: true},
		{name: "kms throttled", err: responseError(400, "KMS.RequestLimitExceeded"), code: "S3.KMS.RequestLimitExceeded", permanent: false},
		{name: "unknown kms throttling", err: responseError(400, "KMS.SomeThrottlingThing"), code: "S3.KMS.SomeThrottlingThing", permanent: false},
		{name: "unknown kms failure", err: responseError(400, "KMS.NewKindOfException"), code: "S3.KMS.NewKindOfException", permanent: true},
		{name: "slow down", err: responseError(503, "SlowDown"), code: "S3.SlowDown", permanent: false},
		{name: "internal error", err: responseError(500, "InternalError"), code: "InternalError", permanent: false},
		{name: "request timeout is a 400", err: responseError(400, "RequestTimeout"), code: "S3.RequestTimeout", permanent: false},
		{name: "expired token", err: responseError(400, "ExpiredToken"), code: "S3.ExpiredToken", permanent: false},
		{name: "unknown 4xx", err: responseError(409, "SomethingNew"), code: "S3.SomethingNew", permanent: true},
		{name: "unknown 5xx", err: responseError(502, "SomethingNew"), code: "S3.SomethingNew", permanent: false},
		{name: "429 without code", err: responseError(429, ""), code: "InternalError", permanent: false},
		{name: "wrapped in Error", err: opError("put", "b", "k", responseError(404, "NoSuchBucket")), code: "S3.NoSuchBucket", permanent: true},
		{name: "not found", err: opError("get", "b", "k", fmt.Errorf("%w: gone", ErrNotFound)), code: "S3.NoSuchKey", permanent: true},
		{name: "invalid key", err: fmt.Errorf("%w: x", ErrInvalidKey), code: "S3.InvalidArgument", permanent: true},
		{name: "invalid bucket", err: fmt.Errorf("%w: x", ErrInvalidBucket), code: "S3.InvalidBucketName", permanent: true},
		{name: "key conflict", err: fmt.Errorf("%w: x", ErrKeyConflict), code: "S3.InvalidArgument", permanent: true},
		{name: "local permission", err: &fs.PathError{Op: "open", Path: "x", Err: syscall.EACCES}, code: "S3.AccessDenied", permanent: true},
		{name: "disk full", err: &fs.PathError{Op: "write", Path: "x", Err: syscall.ENOSPC}, code: "InternalError", permanent: false},
		{name: "cancelled", err: opError("put", "b", "k", context.Canceled), code: "InternalError", permanent: false},
		{name: "deadline", err: context.DeadlineExceeded, code: "InternalError", permanent: false},
		{name: "plain error", err: errors.New("connection reset"), code: "InternalError", permanent: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ErrorCode(tt.err); got != tt.code {
				t.Errorf("ErrorCode = %q, want %q", got, tt.code)
			}
			if got := Permanent(tt.err); got != tt.permanent {
				t.Errorf("Permanent = %v, want %v", got, tt.permanent)
			}
		})
	}
}

func TestErrorText(t *testing.T) {
	tests := []struct {
		name string
		err  error
		exp  string
	}{
		{name: "put", err: opError("put", "b", "a/k", errors.New("boom")), exp: "objstore: put b/a/k: boom"},
		{name: "list with prefix", err: opError("list", "b", "logs/", errors.New("boom")), exp: "objstore: list b/logs/: boom"},
		{name: "list whole bucket", err: opError("list", "b", "", errors.New("boom")), exp: "objstore: list b: boom"},
		{name: "ping", err: opError("ping", "b", "", errors.New("boom")), exp: "objstore: ping b: boom"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.exp {
				t.Fatalf("Error() = %q, want %q", got, tt.exp)
			}
		})
	}
}
