package main

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	"github.com/aws/aws-sdk-go-v2/service/firehose/types"
	"github.com/aws/smithy-go"

	"github.com/wasmhose/wasmhose/host/config"
)

// clientWith is ts.client() with other credentials.
func (ts *testServer) clientWith(id, secret string) *firehose.Client {
	return firehose.New(firehose.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String("http://" + ts.addr),
		Credentials:  credentials.NewStaticCredentialsProvider(id, secret, ""),
		HTTPClient:   &http.Client{Timeout: 30 * time.Second},
		Retryer:      aws.NopRetryer{},
	})
}

// TestAuthSigV4 runs the service with request signing on and one key, and
// talks to it with the stock SDK client.
func TestAuthSigV4(t *testing.T) {
	ts := startServer(t, t.TempDir(), func(c *config.Config) {
		c.Auth.Mode = config.AuthSigV4
		c.Auth.Keys = []config.AuthKey{{AccessKeyID: "AKIDPRODUCER", SecretAccessKey: "producer-secret"}}
	})
	ctx := context.Background()
	good := ts.clientWith("AKIDPRODUCER", "producer-secret")
	createStream(t, good, "signed", &types.ExtendedS3DestinationConfiguration{})
	if _, err := good.PutRecord(ctx, &firehose.PutRecordInput{DeliveryStreamName: aws.String("signed"),
		Record: &types.Record{Data: []byte("hello\n")}}); err != nil {
		t.Fatalf("PutRecord with the right key: %v", err)
	}

	tests := []struct {
		name, id, secret, expCode, expMsg string
	}{
		{"wrong secret", "AKIDPRODUCER", "nope", "InvalidSignatureException", "The request signature we calculated does not match"},
		{"unknown key", "AKIDNOBODY", "producer-secret", "UnrecognizedClientException", "The security token included in the request is invalid."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ts.clientWith(tt.id, tt.secret).PutRecord(ctx, &firehose.PutRecordInput{DeliveryStreamName: aws.String("signed"),
				Record: &types.Record{Data: []byte("x")}})
			var ae smithy.APIError
			if !errors.As(err, &ae) || ae.ErrorCode() != tt.expCode || !strings.Contains(ae.ErrorMessage(), tt.expMsg) {
				t.Fatalf("PutRecord = %v, want %s %q", err, tt.expCode, tt.expMsg)
			}
			var re interface{ HTTPStatusCode() int }
			if !errors.As(err, &re) || re.HTTPStatusCode() != http.StatusBadRequest {
				t.Fatalf("status: %v, want 400", err)
			}
		})
	}

	t.Run("unsigned", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, "http://"+ts.addr+"/", strings.NewReader(`{}`))
		req.Header.Set("X-Amz-Target", "Firehose_20150804.ListDeliveryStreams")
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden || resp.Header.Get("X-Amzn-ErrorType") != "MissingAuthenticationTokenException" {
			t.Fatalf("unsigned request: %d %s", resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"))
		}
	})
	t.Run("service routes stay open", func(t *testing.T) {
		resp, err := http.Get("http://" + ts.addr + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("/healthz: %d", resp.StatusCode)
		}
	})
	if logs := ts.logs.String(); strings.Contains(logs, "request signing is OFF") {
		t.Fatalf("sigv4 mode logged the dev-mode warning:\n%s", logs)
	}
}

// TestAuthDev: the default mode accepts any credentials and says so.
func TestAuthDev(t *testing.T) {
	ts := startServer(t, t.TempDir(), nil)
	ctx := context.Background()
	for _, c := range []*firehose.Client{ts.client(), ts.clientWith("AKIDANY", "whatever")} {
		if _, err := c.ListDeliveryStreams(ctx, &firehose.ListDeliveryStreamsInput{}); err != nil {
			t.Fatalf("dev mode refused a request: %v", err)
		}
	}
	if logs := ts.logs.String(); !strings.Contains(logs, `"level":"WARN","msg":"request signing is OFF: any credentials are accepted"`) {
		t.Fatalf("no start-up warning in dev mode:\n%s", logs)
	}
}
