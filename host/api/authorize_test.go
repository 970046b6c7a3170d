package api_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/wasmhose/wasmhose/host/api"
	"github.com/wasmhose/wasmhose/host/apierror"
	"github.com/wasmhose/wasmhose/host/auth"
)

// authHarness is a Server over a fakeBackend with SigV4 and policies on:
// key AKIDADMIN has no policy, AKIDPRODUCER may put to and describe
// "clicks" and list streams.
func authHarness(t *testing.T) *harness {
	t.Helper()
	v, err := auth.New(auth.Options{Keys: []auth.Key{
		{AccessKeyID: "AKIDADMIN", SecretAccessKey: "admin"},
		{AccessKeyID: "AKIDPRODUCER", SecretAccessKey: "producer"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	pol, err := auth.ParsePolicy([]byte(`{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":["firehose:Put*","firehose:DescribeDeliveryStream"],"Resource":"arn:aws:firehose:*:*:deliverystream/clicks"},
		{"Effect":"Allow","Action":"firehose:ListDeliveryStreams","Resource":"*"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	az, err := auth.NewAuthorizer("us-east-1", "000000000000", []auth.Principal{
		{AccessKeyID: "AKIDADMIN"}, {AccessKeyID: "AKIDPRODUCER", Name: "producer", Policy: pol},
	})
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{fake: newFakeBackend(), panics: &panicLog{}, obs: &observer{}}
	h.srv = api.New(h.fake, api.Options{Logger: slog.New(h.panics), Observer: h.obs, Auth: v, Authorizer: az})
	return h
}

// signedPost sends op signed with the key id (its secret is its name in
// lower case without "akid").
func signedPost(t *testing.T, h *harness, id, op, body string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:4573/", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", api.TargetPrefix+op)
	sum := sha256.Sum256([]byte(body))
	secret := strings.ToLower(strings.TrimPrefix(id, "AKID"))
	if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: id, SecretAccessKey: secret},
		req, hex.EncodeToString(sum[:]), "firehose", "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	h.srv.ServeHTTP(rec, req)
	return rec
}

func TestAuthorizeOperations(t *testing.T) {
	const denied = "AccessDeniedException"
	tests := []struct {
		name, key, op, body string
		expType             string // "" for success
		expMsg              string
	}{
		{"put to the allowed stream", "AKIDPRODUCER", "PutRecord", `{"DeliveryStreamName":"clicks","Record":{"Data":"aGk="}}`, "", ""},
		{"batch to the allowed stream (fast decoder)", "AKIDPRODUCER", "PutRecordBatch", `{"DeliveryStreamName":"clicks","Records":[{"Data":"aGk="}]}`, "", ""},
		{"list is on *", "AKIDPRODUCER", "ListDeliveryStreams", `{}`, "", ""},
		{"put to another stream", "AKIDPRODUCER", "PutRecord", `{"DeliveryStreamName":"orders","Record":{"Data":"aGk="}}`, denied,
			"User: arn:aws:iam::000000000000:user/producer is not authorized to perform: firehose:PutRecord on resource: arn:aws:firehose:us-east-1:000000000000:deliverystream/orders because no identity-based policy allows the firehose:PutRecord action"},
		{"delete is not allowed", "AKIDPRODUCER", "DeleteDeliveryStream", `{"DeliveryStreamName":"clicks"}`, denied, "firehose:DeleteDeliveryStream on resource: arn:aws:firehose:us-east-1:000000000000:deliverystream/clicks"},
		{"create is not allowed", "AKIDPRODUCER", "CreateDeliveryStream", `{"DeliveryStreamName":"clicks"}`, denied, "firehose:CreateDeliveryStream"},
		{"tag is not allowed", "AKIDPRODUCER", "TagDeliveryStream", `{"DeliveryStreamName":"clicks","Tags":[{"Key":"a"}]}`, denied, "firehose:TagDeliveryStream"},
		{"encryption is not allowed", "AKIDPRODUCER", "StartDeliveryStreamEncryption", `{"DeliveryStreamName":"clicks"}`, denied, "firehose:StartDeliveryStreamEncryption"},
		{"a missing name is the empty stream", "AKIDPRODUCER", "PutRecord", `{"Record":{"Data":"aGk="}}`, denied, "deliverystream/ because"},
		{"another member's case does not smuggle a stream", "AKIDPRODUCER", "PutRecord",
			`{"deliverystreamname":"clicks","DeliveryStreamName":"orders","Record":{"Data":"aGk="}}`, denied, "deliverystream/orders"},
		{"a duplicate name is judged as the handler reads it", "AKIDPRODUCER", "PutRecordBatch",
			`{"DeliveryStreamName":"clicks","DeliveryStreamName":"orders","Records":[{"Data":"aGk="}]}`, denied, "deliverystream/orders"},
		{"an undecodable body is a serialization error", "AKIDPRODUCER", "PutRecord", `{"DeliveryStreamName":5}`, apierror.TypeSerialization, ""},
		{"no policy is full access", "AKIDADMIN", "DeleteDeliveryStream", `{"DeliveryStreamName":"orders"}`, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := authHarness(t)
			h.createStream(t, "clicks")
			h.createStream(t, "orders")
			rec := signedPost(t, h, tt.key, tt.op, tt.body)
			got := errorType(t, rec.Code, rec.Body.Bytes())
			if got != tt.expType || !strings.Contains(rec.Body.String(), tt.expMsg) {
				t.Fatalf("%s = %d %s, want %q containing %q", tt.op, rec.Code, rec.Body, tt.expType, tt.expMsg)
			}
			if tt.expType == denied {
				if rec.Code != http.StatusBadRequest {
					t.Fatalf("status %d, want 400", rec.Code)
				}
				h.fake.mu.Lock()
				defer h.fake.mu.Unlock()
				if len(h.fake.log) != 0 {
					t.Fatalf("a denied request reached the backend: %q", h.fake.log)
				}
			}
		})
	}
}

// TestAuthorizerWithoutAuthenticator: policies without signatures refuse
// everything rather than allow it.
func TestAuthorizerWithoutAuthenticator(t *testing.T) {
	az, err := auth.NewAuthorizer("us-east-1", "000000000000", []auth.Principal{{AccessKeyID: "AKIDADMIN"}})
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{fake: newFakeBackend(), panics: &panicLog{}, obs: &observer{}}
	h.srv = api.New(h.fake, api.Options{Logger: slog.New(h.panics), Authorizer: az})
	rec := h.post("ListDeliveryStreams", []byte(`{}`))
	if typ := errorType(t, rec.Code, rec.Body.Bytes()); typ != apierror.TypeAccessDenied {
		t.Fatalf("unauthenticated request with an Authorizer = %d %s", rec.Code, rec.Body)
	}
}
