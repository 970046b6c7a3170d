package fault

import (
	"context"
	"net/http"

	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/wasmhose/wasmhose/host/objstore"
)

// S3Error returns the error the aws-sdk-go-v2 S3 client returns for an S3
// error response of HTTP status and S3 error code (for example 503
// "SlowDown", 500 "InternalError", 403 "AccessDenied", 404
// "NoSuchBucket"): an API error with that code inside a response error with
// that status. objstore.Permanent and objstore.ErrorCode classify it as
// they classify the real thing.
func S3Error(status int, code, message string) error {
	fault := smithy.FaultServer
	if status < 500 {
		fault = smithy.FaultClient
	}
	return &smithyhttp.ResponseError{
		Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status, Header: http.Header{}}},
		Err:      &smithy.GenericAPIError{Code: code, Message: message, Fault: fault},
	}
}

// InternalError is S3's 500 InternalError (Firehose logs "InternalError").
func InternalError() error {
	return S3Error(http.StatusInternalServerError, "InternalError", "We encountered an internal error. Please try again.")
}

// SlowDown is S3's throttling answer, 503 SlowDown ("S3.SlowDown").
func SlowDown() error {
	return S3Error(http.StatusServiceUnavailable, "SlowDown", "Please reduce your request rate.")
}

// AccessDenied is S3's 403 for a role or key without permission
// ("S3.AccessDenied").
func AccessDenied() error {
	return S3Error(http.StatusForbidden, "AccessDenied", "Access Denied")
}

// NoSuchBucket is S3's 404 for a bucket that does not exist
// ("S3.NoSuchBucket").
func NoSuchBucket() error {
	return S3Error(http.StatusNotFound, "NoSuchBucket", "The specified bucket does not exist")
}

// Store is an objstore.Store whose calls follow a Plan: a call a rule acts
// on is delayed, fails with the rule's error (wrapped in an *objstore.Error
// naming the call, as every store's failures are), or, with Commit, is made
// and then reported failed. Other calls go to the wrapped store unchanged.
type Store struct {
	next objstore.Store
	plan *Plan
}

// NewStore wraps next with plan.
func NewStore(next objstore.Store, plan *Plan) *Store { return &Store{next: next, plan: plan} }

// Put implements objstore.Store.
func (s *Store) Put(ctx context.Context, bucket, key string, body []byte, o objstore.PutOptions) error {
	return s.do(ctx, OpPut, bucket, key, func() error { return s.next.Put(ctx, bucket, key, body, o) })
}

// Get implements objstore.Store.
func (s *Store) Get(ctx context.Context, bucket, key string) ([]byte, error) {
	var out []byte
	err := s.do(ctx, OpGet, bucket, key, func() (err error) { out, err = s.next.Get(ctx, bucket, key); return err })
	if err != nil {
		return nil, err
	}
	return out, nil
}

// List implements objstore.Store.
func (s *Store) List(ctx context.Context, bucket, prefix string) ([]objstore.ObjectInfo, error) {
	var out []objstore.ObjectInfo
	err := s.do(ctx, OpList, bucket, prefix, func() (err error) { out, err = s.next.List(ctx, bucket, prefix); return err })
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ListPage implements objstore.Pager: the plan decides on it as on a List
// (OpList), and the page comes from the wrapped store's ListPage (see
// objstore.ListPage).
func (s *Store) ListPage(ctx context.Context, bucket, prefix, startAfter string, maxKeys int) ([]objstore.ObjectInfo, bool, error) {
	var out []objstore.ObjectInfo
	var more bool
	err := s.do(ctx, OpList, bucket, prefix, func() (err error) {
		out, more, err = objstore.ListPage(ctx, s.next, bucket, prefix, startAfter, maxKeys)
		return err
	})
	if err != nil {
		return nil, false, err
	}
	return out, more, nil
}

// Ping implements objstore.Store.
func (s *Store) Ping(ctx context.Context, bucket string) error {
	return s.do(ctx, OpPing, bucket, "", func() error { return s.next.Ping(ctx, bucket) })
}

// do applies the plan's decision for one call around call.
func (s *Store) do(ctx context.Context, op, bucket, key string, call func() error) error {
	act := s.plan.Decide(op, bucket+"/"+key)
	if err := wait(ctx, act.Delay); err != nil {
		return &objstore.Error{Op: op, Bucket: bucket, Key: key, Err: err}
	}
	if act.Err == nil {
		return call()
	}
	if act.Commit {
		if err := call(); err != nil {
			return err
		}
	}
	return &objstore.Error{Op: op, Bucket: bucket, Key: key, Err: act.Err}
}

// Interface guards.
var (
	_ objstore.Store = (*Store)(nil)
	_ objstore.Pager = (*Store)(nil)
)
