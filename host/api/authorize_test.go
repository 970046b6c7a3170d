package api_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/wasmhose/wasmhose/converters/schema"
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

// TestGluePolicyTable: a key allowed only on table/public/allowed cannot
// reach another table of the database through a decoy member: GetTable
// and DeleteTable act on Name, and Name is what is authorized.
func TestGluePolicyTable(t *testing.T) {
	reg, err := schema.Open(t.TempDir(), schema.Options{AccountID: "000000000000"})
	if err != nil {
		t.Fatal(err)
	}
	if err := reg.CreateDatabase("", schema.DatabaseInput{Name: "public"}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"allowed", "victim"} {
		in := schema.TableInput{Name: name, StorageDescriptor: &schema.StorageDescriptor{Columns: []schema.Column{{Name: "id", Type: "string"}}}}
		if err := reg.CreateTable("", "public", in); err != nil {
			t.Fatal(err)
		}
	}
	v, err := auth.New(auth.Options{Service: "glue", Keys: []auth.Key{{AccessKeyID: "AKIDREADER", SecretAccessKey: "reader"}}})
	if err != nil {
		t.Fatal(err)
	}
	pol, err := auth.ParsePolicy([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"glue:*","Resource":[
		"arn:aws:glue:us-east-1:000000000000:catalog",
		"arn:aws:glue:us-east-1:000000000000:database/public",
		"arn:aws:glue:us-east-1:000000000000:table/public/allowed"]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	az, err := auth.NewAuthorizer("us-east-1", "000000000000", []auth.Principal{{AccessKeyID: "AKIDREADER", Name: "reader", Policy: pol}})
	if err != nil {
		t.Fatal(err)
	}
	srv := api.New(newFakeBackend(), api.Options{Auth: v, Authorizer: az,
		Services: []api.Service{{Target: schema.NewService(reg, "us-east-1"), Auth: v}}})
	tests := []struct {
		name, op, body string
		expType        string
	}{
		{"DeleteTable with a decoy TableName", "DeleteTable", `{"DatabaseName":"public","Name":"victim","TableName":"allowed"}`, apierror.TypeAccessDenied},
		{"GetTable with a decoy TableName", "GetTable", `{"DatabaseName":"public","Name":"victim","TableName":"allowed"}`, apierror.TypeAccessDenied},
		{"GetTableVersions with a decoy Name", "GetTableVersions", `{"DatabaseName":"public","TableName":"victim","Name":"allowed"}`, apierror.TypeAccessDenied},
		{"UpdateTable with a decoy Name", "UpdateTable", `{"DatabaseName":"public","Name":"allowed","TableInput":{"Name":"victim"}}`, apierror.TypeAccessDenied},
		{"CreateTable with a decoy Name", "CreateTable", `{"DatabaseName":"public","Name":"allowed","TableInput":{"Name":"victim2"}}`, apierror.TypeAccessDenied},
		{"GetTable of the allowed table", "GetTable", `{"DatabaseName":"public","Name":"allowed"}`, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:4573/", strings.NewReader(tc.body))
			req.Header.Set("Content-Type", "application/x-amz-json-1.1")
			req.Header.Set("X-Amz-Target", schema.TargetPrefix+tc.op)
			sum := sha256.Sum256([]byte(tc.body))
			if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: "AKIDREADER", SecretAccessKey: "reader"},
				req, hex.EncodeToString(sum[:]), "glue", "us-east-1", time.Now()); err != nil {
				t.Fatal(err)
			}
			rec := httptest.NewRecorder()
			srv.ServeHTTP(rec, req)
			if got := errorType(t, rec.Code, rec.Body.Bytes()); got != tc.expType {
				t.Fatalf("%s %s = %d %s, want %q", tc.op, tc.body, rec.Code, rec.Body, tc.expType)
			}
			if tc.expType != "" && !strings.Contains(rec.Body.String(), "table/public/victim") {
				t.Errorf("the refusal does not name the table acted on: %s", rec.Body)
			}
		})
	}
	versions, err := reg.TableVersions("", "public", "victim")
	if err != nil || len(versions) != 1 {
		t.Fatalf("victim after the attempts: %d versions, %v; want it untouched", len(versions), err)
	}
	if _, err := reg.GetTable("", "public", "victim2"); err == nil {
		t.Error("victim2 was created")
	}
}

// recordingAuthz is the real auth.Authorizer that also remembers every
// resource it was asked about.
type recordingAuthz struct {
	*auth.Authorizer
	mu        sync.Mutex
	resources []string
}

func (a *recordingAuthz) Authorize(id, action string, resources ...string) error {
	a.mu.Lock()
	a.resources = append(a.resources, resources...)
	a.mu.Unlock()
	return a.Authorizer.Authorize(id, action, resources...)
}

// TestFirehoseAuthorizesActedStream checks, for every Firehose operation,
// that the resource the authorizer is asked about is the stream the
// backend is called on. Both come from the same bodies, which carry decoys:
// a member in another case, a duplicate member, the fast and the slow
// PutRecordBatch decoders. Every operation must have a case.
func TestFirehoseAuthorizesActedStream(t *testing.T) {
	tests := []struct{ op, body string }{
		{"CreateDeliveryStream", `{"DeliveryStreamName":"clicks","deliveryStreamName":"orders","DeliveryStreamName":"fresh","ExtendedS3DestinationConfiguration":{"RoleARN":"arn:aws:iam::000000000000:role/r","BucketARN":"arn:aws:s3:::b"}}`},
		{"DescribeDeliveryStream", `{"DeliveryStreamName":"clicks","DeliveryStreamName":"orders"}`},
		{"ListDeliveryStreams", `{"DeliveryStreamName":"clicks"}`},
		{"DeleteDeliveryStream", `{"deliverystreamname":"clicks","DeliveryStreamName":"orders"}`},
		{"UpdateDestination", `{"DeliveryStreamName":"clicks","DELIVERYSTREAMNAME":"orders","CurrentDeliveryStreamVersionId":"1","DestinationId":"destinationId-000000000001","ExtendedS3DestinationUpdate":{"Prefix":"p/"}}`},
		{"PutRecord", `{"DeliveryStreamName":"clicks","Record":{"Data":"aGk="},"DeliveryStreamName":"orders"}`},
		{"PutRecordBatch", `{"DeliveryStreamName":"orders","Records":[{"Data":"aGk="}]}`},
		{"PutRecordBatch", `{"DeliveryStreamName":"clicks","DeliveryStreamName":"orders","Records":[{"Data":"aGk="}]}`},
		{"PutRecordBatch", `{"Deliverystreamname":"clicks","DeliveryStreamName":"orders","Records":[{"Data":"aGk="}]}`},
		{"TagDeliveryStream", `{"DeliveryStreamName":"clicks","DeliveryStreamName":"orders","Tags":[{"Key":"a","Value":"b"}]}`},
		{"UntagDeliveryStream", `{"DeliveryStreamName":"clicks","DeliveryStreamName":"orders","TagKeys":["a"]}`},
		{"ListTagsForDeliveryStream", `{"DeliveryStreamName":"clicks","deliveryStreamName":"x","DeliveryStreamName":"orders"}`},
		{"StartDeliveryStreamEncryption", `{"DeliveryStreamName":"clicks","DeliveryStreamName":"orders","DeliveryStreamEncryptionConfigurationInput":{"KeyType":"AWS_OWNED_CMK"}}`},
		{"StopDeliveryStreamEncryption", `{"DeliveryStreamName":"clicks","DeliveryStreamName":"orders"}`},
	}
	covered := map[string]bool{}
	for _, tc := range tests {
		covered[tc.op] = true
		t.Run(tc.op, func(t *testing.T) {
			real, err := auth.NewAuthorizer("us-east-1", "000000000000", []auth.Principal{{AccessKeyID: "AKID"}})
			if err != nil {
				t.Fatal(err)
			}
			az := &recordingAuthz{Authorizer: real}
			h := &harness{fake: newFakeBackend(), panics: &panicLog{}, obs: &observer{}}
			h.srv = api.New(h.fake, api.Options{Logger: slog.New(h.panics), Auth: &recordingAuth{}, Authorizer: az})
			h.createStream(t, "clicks")
			h.createStream(t, "orders")
			rec := h.post(tc.op, []byte(tc.body))
			if rec.Code != http.StatusOK {
				t.Fatalf("%s %s = %d %s", tc.op, tc.body, rec.Code, rec.Body)
			}
			h.fake.mu.Lock()
			calls := h.fake.log
			h.fake.mu.Unlock()
			if len(calls) != 1 {
				t.Fatalf("backend calls %q, want one", calls)
			}
			acted := "*"
			if _, quoted, ok := strings.Cut(calls[0], " "); ok && !strings.HasPrefix(calls[0], "List ") {
				name, err := strconv.QuotedPrefix(quoted)
				if err != nil {
					t.Fatalf("backend call %q: %v", calls[0], err)
				}
				acted = fakeARN(name[1 : len(name)-1])
			}
			if len(az.resources) != 1 || az.resources[0] != acted {
				t.Errorf("%s %s: authorized %q, the backend acted on %s", tc.op, tc.body, az.resources, acted)
			}
		})
	}
	for _, op := range api.FirehoseOperations() {
		if !covered[op] {
			t.Errorf("operation %s has no case here: add one", op)
		}
	}
}
