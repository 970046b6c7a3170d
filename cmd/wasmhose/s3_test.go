package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	"github.com/aws/aws-sdk-go-v2/service/firehose/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/wasmhose/wasmhose/host/config"
)

// s3Request is a request the fake S3 server received.
type s3Request struct {
	Method, Path string
	Header       http.Header
}

// fakeS3 is gofakes3 on 127.0.0.1 behind a handler that records every
// request's headers, and an S3 client for the test's own checks.
type fakeS3 struct {
	url    string
	client *s3.Client
	next   http.Handler

	mu   sync.Mutex
	reqs []s3Request
}

func (f *fakeS3) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.reqs = append(f.reqs, s3Request{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone()})
	f.mu.Unlock()
	f.next.ServeHTTP(w, r)
}

// objectPuts returns the PutObject requests for keys in bucket.
func (f *fakeS3) objectPuts(bucket string) []s3Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []s3Request
	for _, r := range f.reqs {
		if r.Method == http.MethodPut && strings.HasPrefix(r.Path, "/"+bucket+"/") && len(r.Path) > len(bucket)+2 {
			out = append(out, r)
		}
	}
	return out
}

func startFakeS3(t *testing.T) *fakeS3 {
	t.Helper()
	f := &fakeS3{next: gofakes3.New(s3mem.New(), gofakes3.WithLogger(gofakes3.DiscardLog())).Server()}
	srv := httptest.NewServer(f) // 127.0.0.1, ephemeral port
	t.Cleanup(srv.Close)
	f.url = srv.URL
	f.client = s3.New(s3.Options{
		Region:                     "us-east-1",
		BaseEndpoint:               aws.String(srv.URL),
		UsePathStyle:               true,
		Credentials:                credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
		HTTPClient:                 &http.Client{Timeout: 30 * time.Second},
	})
	return f
}

// s3Object is a delivered object as the S3 API returns it.
type s3Object struct {
	Key, ContentType, ContentEncoding string
	SSE, SSEKMSKeyID                  string
	Body                              []byte
}

// objects returns every object under prefix in bucket.
func (f *fakeS3) objects(t *testing.T, bucket, prefix string) []s3Object {
	t.Helper()
	ctx := context.Background()
	list, err := f.client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	if err != nil {
		t.Fatalf("ListObjectsV2: %v", err)
	}
	var out []s3Object
	for _, o := range list.Contents {
		get, err := f.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: o.Key})
		if err != nil {
			t.Fatalf("GetObject %s: %v", *o.Key, err)
		}
		body, err := io.ReadAll(get.Body)
		get.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, s3Object{Key: *o.Key, ContentType: aws.ToString(get.ContentType), ContentEncoding: aws.ToString(get.ContentEncoding),
			SSE: string(get.ServerSideEncryption), SSEKMSKeyID: aws.ToString(get.SSEKMSKeyId), Body: body})
	}
	return out
}

// gunzipLines returns the newline-terminated records of a gzip object.
func gunzipLines(t *testing.T, key string, b []byte) []string {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s: %v", key, err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("%s: %v", key, err)
	}
	return slices.Collect(strings.Lines(string(raw)))
}

func TestDeliveryToS3(t *testing.T) {
	const kmsKey = "arn:aws:kms:us-east-1:000000000000:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	fake := startFakeS3(t)
	ts := startServer(t, t.TempDir(), func(c *config.Config) {
		c.Store = "s3"
		c.S3 = config.S3{Endpoint: fake.url, Region: "us-east-1", AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "secret", UsePathStyle: true}
	})
	fc := ts.client()
	ctx := context.Background()
	uuid := `[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`

	tests := []struct {
		name, stream, bucket, prefix string
		kms                          bool
		expKey                       *regexp.Regexp // groups: prefix time (yyyy/MM/dd/HH) and name time (yyyy-MM-dd-HH)
		expSSE, expKMSKey            string
	}{
		{name: "GZIP under events/", stream: "events", bucket: "analytics", prefix: "events/",
			expKey: regexp.MustCompile(`^events/(\d{4}/\d{2}/\d{2}/\d{2})/events-1-(\d{4}-\d{2}-\d{2}-\d{2})-\d{2}-\d{2}-` + uuid + `\.gz$`)},
		{name: "SSE-KMS", stream: "secure", bucket: "vault", prefix: "secure/", kms: true,
			expKey: regexp.MustCompile(`^secure/(\d{4}/\d{2}/\d{2}/\d{2})/secure-1-(\d{4}-\d{2}-\d{2}-\d{2})-\d{2}-\d{2}-` + uuid + `\.gz$`),
			expSSE: "aws:kms", expKMSKey: kmsKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := fake.client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(tt.bucket)}); err != nil {
				t.Fatalf("CreateBucket: %v", err)
			}
			dest := &types.ExtendedS3DestinationConfiguration{
				BucketARN:         aws.String("arn:aws:s3:::" + tt.bucket),
				Prefix:            aws.String(tt.prefix),
				CompressionFormat: types.CompressionFormatGzip,
				BufferingHints:    &types.BufferingHints{SizeInMBs: aws.Int32(1), IntervalInSeconds: aws.Int32(0)},
			}
			if tt.kms {
				dest.EncryptionConfiguration = &types.EncryptionConfiguration{KMSEncryptionConfig: &types.KMSEncryptionConfig{AWSKMSKeyARN: aws.String(kmsKey)}}
			}
			createStream(t, fc, tt.stream, dest)

			sent := []string{"single record\n"}
			if _, err := fc.PutRecord(ctx, &firehose.PutRecordInput{DeliveryStreamName: aws.String(tt.stream),
				Record: &types.Record{Data: []byte(sent[0])}}); err != nil {
				t.Fatalf("PutRecord: %v", err)
			}
			var batch []types.Record
			for i := range 300 {
				r := fmt.Sprintf(`{"stream":%q,"i":%d}`+"\n", tt.stream, i)
				sent = append(sent, r)
				batch = append(batch, types.Record{Data: []byte(r)})
			}
			out, err := fc.PutRecordBatch(ctx, &firehose.PutRecordBatchInput{DeliveryStreamName: aws.String(tt.stream), Records: batch})
			if err != nil || aws.ToInt32(out.FailedPutCount) != 0 {
				t.Fatalf("PutRecordBatch: %v %+v", err, out)
			}

			var objs []s3Object
			var got []string
			waitFor(t, fmt.Sprintf("%d records in s3://%s/%s", len(sent), tt.bucket, tt.prefix), func() bool {
				objs = fake.objects(t, tt.bucket, tt.prefix)
				got = got[:0]
				for _, o := range objs {
					got = append(got, gunzipLines(t, o.Key, o.Body)...)
				}
				return len(got) >= len(sent)
			})
			slices.Sort(got)
			slices.Sort(sent)
			if !slices.Equal(got, sent) {
				t.Fatalf("objects hold %d records, want exactly the %d sent", len(got), len(sent))
			}
			for _, o := range objs {
				m := tt.expKey.FindStringSubmatch(o.Key)
				if m == nil {
					t.Fatalf("key %q does not match %s", o.Key, tt.expKey)
				}
				if strings.ReplaceAll(m[1], "/", "-") != m[2] {
					t.Fatalf("key %q: prefix hour %s and name hour %s differ", o.Key, m[1], m[2])
				}
				if o.ContentType != "application/octet-stream" || o.ContentEncoding != "gzip" {
					t.Fatalf("%s: Content-Type %q, Content-Encoding %q", o.Key, o.ContentType, o.ContentEncoding)
				}
				if o.SSE != tt.expSSE || o.SSEKMSKeyID != tt.expKMSKey {
					t.Fatalf("%s: stored with encryption %q, key %q", o.Key, o.SSE, o.SSEKMSKeyID)
				}
			}

			puts := fake.objectPuts(tt.bucket)
			if len(puts) < len(objs) {
				t.Fatalf("%d PutObject requests for %d objects", len(puts), len(objs))
			}
			for _, p := range puts {
				sse, key := p.Header.Get("X-Amz-Server-Side-Encryption"), p.Header.Get("X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id")
				if sse != tt.expSSE || key != tt.expKMSKey {
					t.Fatalf("PUT %s sent x-amz-server-side-encryption %q and key id %q; want %q and %q", p.Path, sse, key, tt.expSSE, tt.expKMSKey)
				}
				if ce := p.Header.Get("Content-Encoding"); ce != "gzip" {
					t.Fatalf("PUT %s sent Content-Encoding %q", p.Path, ce)
				}
			}
		})
	}
}
