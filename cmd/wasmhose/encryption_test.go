package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
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
	"github.com/wasmhose/wasmhose/host/crypt"
)

const kmsKeyARN = "arn:aws:kms:us-east-1:000000000000:key/1234abcd-12ab-34cd-56ef-1234567890ab"

// runCLI runs a wasmhose command in-process and returns its exit status
// and outputs.
func runCLI(args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := run(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// TestLocalObjectsEncryptedAndDecrypted is item 5 on the local store: a
// stream with KMSEncryptionConfig writes envelope-encrypted objects, which
// `wasmhose decrypt` restores; a stream without one writes plain objects;
// `wasmhose keys rotate` makes new objects use a new key version while old
// ones still decrypt.
func TestLocalObjectsEncryptedAndDecrypted(t *testing.T) {
	dir := t.TempDir()
	ts := startServer(t, dir, nil)
	c := ts.client()
	ctx := context.Background()
	hints := &types.BufferingHints{SizeInMBs: aws.Int32(1), IntervalInSeconds: aws.Int32(0)}
	createStream(t, c, "vault", &types.ExtendedS3DestinationConfiguration{BucketARN: aws.String("arn:aws:s3:::enc"), Prefix: aws.String("v/"), BufferingHints: hints,
		EncryptionConfiguration: &types.EncryptionConfiguration{KMSEncryptionConfig: &types.KMSEncryptionConfig{AWSKMSKeyARN: aws.String(kmsKeyARN)}}})
	createStream(t, c, "open", &types.ExtendedS3DestinationConfiguration{BucketARN: aws.String("arn:aws:s3:::enc"), Prefix: aws.String("o/"), BufferingHints: hints})

	// putOne sends a record and returns the key of the one new object
	// under prefix.
	seen := map[string]bool{}
	putOne := func(t *testing.T, streamName, prefix, rec string) string {
		t.Helper()
		if _, err := c.PutRecord(ctx, &firehose.PutRecordInput{DeliveryStreamName: aws.String(streamName), Record: &types.Record{Data: []byte(rec)}}); err != nil {
			t.Fatal(err)
		}
		var key string
		waitFor(t, "a new object under "+prefix, func() bool {
			for k := range objects(t, dir, "enc") {
				if strings.HasPrefix(k, prefix) && !seen[k] {
					key = k
					return true
				}
			}
			return false
		})
		seen[key] = true
		return key
	}
	decrypt := func(t *testing.T, key string) string {
		t.Helper()
		out := filepath.Join(t.TempDir(), "plain")
		if code, _, errOut := runCLI("decrypt", "--data-dir", dir, "s3://enc/"+key, "-o", out); code != 0 {
			t.Fatalf("decrypt exit %d: %s", code, errOut)
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}

	first := `{"card":"4111 1111 1111 1111"}` + "\n"
	encKey := putOne(t, "vault", "v/", first)
	raw := objects(t, dir, "enc")[encKey]
	if !crypt.IsEncrypted(raw) || bytes.Contains(raw, []byte("4111")) {
		t.Fatalf("object %s is not encrypted: %q", encKey, raw)
	}
	h, _, err := crypt.ParseHeader(raw)
	if err != nil || h.KeyID != crypt.KeyID(kmsKeyARN) || h.KeyVersion != 1 {
		t.Fatalf("header %+v, %v", h, err)
	}
	if got := decrypt(t, encKey); got != first {
		t.Fatalf("decrypted %q, want %q", got, first)
	}
	// To standard output, from a file path.
	if code, out, errOut := runCLI("decrypt", "--data-dir", dir, filepath.Join(dir, "s3", "enc", filepath.FromSlash(encKey))); code != 0 || out != first {
		t.Fatalf("decrypt to stdout: exit %d, %q, %s", code, out, errOut)
	}

	plainKey := putOne(t, "open", "o/", "not secret\n")
	if got := string(objects(t, dir, "enc")[plainKey]); got != "not secret\n" {
		t.Fatalf("object of a stream without encryption: %q", got)
	}
	if code, _, errOut := runCLI("decrypt", "--data-dir", dir, "s3://enc/"+plainKey); code != 1 || !strings.Contains(errOut, "not an encrypted object") {
		t.Fatalf("decrypt of a plain object: exit %d, %s", code, errOut)
	}

	// Rotation: the next object uses version 2; the first still decrypts.
	if code, out, errOut := runCLI("keys", "rotate", "--data-dir", dir, kmsKeyARN); code != 0 || !strings.Contains(out, "version 2 is current") {
		t.Fatalf("keys rotate: exit %d, %s %s", code, out, errOut)
	}
	second := "after rotation\n"
	rotKey := putOne(t, "vault", "v/", second)
	h2, _, err := crypt.ParseHeader(objects(t, dir, "enc")[rotKey])
	if err != nil || h2.KeyVersion != 2 {
		t.Fatalf("object after rotation: header %+v, %v", h2, err)
	}
	if decrypt(t, rotKey) != second || decrypt(t, encKey) != first {
		t.Fatal("objects do not decrypt after rotation")
	}
	code, out, _ := runCLI("keys", "list", "--data-dir", dir)
	if code != 0 || !strings.Contains(out, crypt.KeyID(kmsKeyARN)) || !strings.Contains(out, kmsKeyARN) {
		t.Fatalf("keys list: exit %d\n%s", code, out)
	}

	// A damaged object fails to decrypt and leaves no output file.
	path := filepath.Join(dir, "s3", "enc", filepath.FromSlash(encKey))
	raw[len(raw)-3] ^= 0xFF
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	outPath := filepath.Join(t.TempDir(), "out")
	if code, _, errOut := runCLI("decrypt", "--data-dir", dir, path, "-o", outPath); code != 1 || !strings.Contains(errOut, "authentication failed") {
		t.Fatalf("decrypt of a damaged object: exit %d, %s", code, errOut)
	}
	if _, err := os.Stat(outPath); !os.IsNotExist(err) {
		t.Fatalf("a failed decrypt left %s: %v", outPath, err)
	}
}

// TestStreamEncryptionWithTheSDK is item 6 through the AWS SDK: Start,
// Describe until ENABLED, PutRecord answers Encrypted and the log holds no
// plaintext; Stop, Describe until DISABLED.
func TestStreamEncryptionWithTheSDK(t *testing.T) {
	dir := t.TempDir()
	ts := startServer(t, dir, nil)
	c := ts.client()
	ctx := context.Background()
	createStream(t, c, "sse", &types.ExtendedS3DestinationConfiguration{BufferingHints: &types.BufferingHints{SizeInMBs: aws.Int32(1), IntervalInSeconds: aws.Int32(900)}})
	status := func() *types.DeliveryStreamEncryptionConfiguration {
		d, err := c.DescribeDeliveryStream(ctx, &firehose.DescribeDeliveryStreamInput{DeliveryStreamName: aws.String("sse")})
		if err != nil {
			t.Fatal(err)
		}
		return d.DeliveryStreamDescription.DeliveryStreamEncryptionConfiguration
	}
	if _, err := c.StartDeliveryStreamEncryption(ctx, &firehose.StartDeliveryStreamEncryptionInput{DeliveryStreamName: aws.String("sse"),
		DeliveryStreamEncryptionConfigurationInput: &types.DeliveryStreamEncryptionConfigurationInput{KeyType: types.KeyTypeCustomerManagedCmk, KeyARN: aws.String(kmsKeyARN)}}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "ENABLED", func() bool { return status().Status == types.DeliveryStreamEncryptionStatusEnabled })
	if s := status(); aws.ToString(s.KeyARN) != kmsKeyARN || s.KeyType != types.KeyTypeCustomerManagedCmk {
		t.Fatalf("encryption %+v", s)
	}
	secret := "sse-canary-" + fmt.Sprint(time.Now().UnixNano())
	out, err := c.PutRecord(ctx, &firehose.PutRecordInput{DeliveryStreamName: aws.String("sse"), Record: &types.Record{Data: []byte(secret)}})
	if err != nil || !aws.ToBool(out.Encrypted) {
		t.Fatalf("PutRecord: %v, Encrypted %v", err, out != nil && aws.ToBool(out.Encrypted))
	}
	batch, err := c.PutRecordBatch(ctx, &firehose.PutRecordBatchInput{DeliveryStreamName: aws.String("sse"), Records: []types.Record{{Data: []byte(secret + "-b")}}})
	if err != nil || !aws.ToBool(batch.Encrypted) {
		t.Fatalf("PutRecordBatch: %v", err)
	}
	segs, _ := filepath.Glob(filepath.Join(dir, "wal", "*", "*.wal"))
	if len(segs) == 0 {
		t.Fatal("no log segment")
	}
	for _, s := range segs {
		b, err := os.ReadFile(s)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte(secret)) {
			t.Fatalf("%s holds the plaintext of an encrypted stream's record", s)
		}
	}
	if _, err := c.StopDeliveryStreamEncryption(ctx, &firehose.StopDeliveryStreamEncryptionInput{DeliveryStreamName: aws.String("sse")}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "DISABLED", func() bool { return status().Status == types.DeliveryStreamEncryptionStatusDisabled })
	out, err = c.PutRecord(ctx, &firehose.PutRecordInput{DeliveryStreamName: aws.String("sse"), Record: &types.Record{Data: []byte("plain")}})
	if err != nil || aws.ToBool(out.Encrypted) {
		t.Fatalf("PutRecord after Stop: %v, Encrypted %v", err, aws.ToBool(out.Encrypted))
	}
}

// sseRequest is one request to an object key, as the S3 server saw it.
type sseRequest struct {
	Method, Query, SSE, KMSKey string
}

// sseRecorder sits in front of gofakes3 and records, per object path, the
// method, query and SSE headers of every request.
type sseRecorder struct {
	next http.Handler
	mu   sync.Mutex
	reqs map[string][]sseRequest
}

func (r *sseRecorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	r.reqs[req.URL.Path] = append(r.reqs[req.URL.Path], sseRequest{Method: req.Method, Query: req.URL.RawQuery,
		SSE: req.Header.Get("X-Amz-Server-Side-Encryption"), KMSKey: req.Header.Get("X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id")})
	r.mu.Unlock()
	r.next.ServeHTTP(w, req)
}

// TestSSEKMSHeadersReachS3 is item 5 on S3: objects of a stream with
// KMSEncryptionConfig, including multipart uploads (the headers go on
// CreateMultipartUpload), reach an S3 server with SSE-KMS headers naming the
// stream's key; a stream with NoEncryption sends none.
func TestSSEKMSHeadersReachS3(t *testing.T) {
	rec := &sseRecorder{next: gofakes3.New(s3mem.New(), gofakes3.WithLogger(gofakes3.DiscardLog())).Server(), reqs: map[string][]sseRequest{}}
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	s3c := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", "")})
	ctx := context.Background()
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("sse")}); err != nil {
		t.Fatal(err)
	}
	ts := startServer(t, t.TempDir(), func(c *config.Config) {
		c.Store = "s3"
		c.S3 = config.S3{Endpoint: srv.URL, Region: "us-east-1", AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "secret", UsePathStyle: true, PartSizeBytes: 5 << 20}
	})
	fc := ts.client()
	for _, tt := range []struct {
		name, stream   string
		enc            *types.EncryptionConfiguration
		expSSE, expKey string
	}{
		{"KMS key", "kms", &types.EncryptionConfiguration{KMSEncryptionConfig: &types.KMSEncryptionConfig{AWSKMSKeyARN: aws.String(kmsKeyARN)}}, "aws:kms", kmsKeyARN},
		{"NoEncryption", "plain", &types.EncryptionConfiguration{NoEncryptionConfig: types.NoEncryptionConfigNoEncryption}, "", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			// A stream with a 6 MiB size trigger makes one object over the
			// 5 MiB part size (a multipart upload); one with an interval of 0
			// makes a small object (a single PutObject).
			dest := func(sub string, size, interval int32) *types.ExtendedS3DestinationConfiguration {
				return &types.ExtendedS3DestinationConfiguration{BucketARN: aws.String("arn:aws:s3:::sse"), Prefix: aws.String(tt.stream + "/" + sub + "/"),
					BufferingHints: &types.BufferingHints{SizeInMBs: aws.Int32(size), IntervalInSeconds: aws.Int32(interval)}, EncryptionConfiguration: tt.enc}
			}
			createStream(t, fc, tt.stream+"-big", dest("big", 6, 900))
			createStream(t, fc, tt.stream+"-small", dest("small", 1, 0))
			rec100k := bytes.Repeat([]byte("x"), 100<<10)
			for range 4 {
				batch := make([]types.Record, 16)
				for i := range batch {
					batch[i] = types.Record{Data: rec100k}
				}
				out, err := fc.PutRecordBatch(ctx, &firehose.PutRecordBatchInput{DeliveryStreamName: aws.String(tt.stream + "-big"), Records: batch})
				if err != nil || aws.ToInt32(out.FailedPutCount) != 0 {
					t.Fatalf("PutRecordBatch: %v", err)
				}
			}
			if _, err := fc.PutRecord(ctx, &firehose.PutRecordInput{DeliveryStreamName: aws.String(tt.stream + "-small"), Record: &types.Record{Data: []byte("small\n")}}); err != nil {
				t.Fatal(err)
			}
			var multipart, single int
			t.Cleanup(func() {
				if t.Failed() {
					t.Log(ts.logs.String())
				}
			})
			waitFor(t, "a multipart and a single upload", func() bool {
				rec.mu.Lock()
				defer rec.mu.Unlock()
				multipart, single = 0, 0
				for path, reqs := range rec.reqs {
					if !strings.HasPrefix(path, "/sse/"+tt.stream+"/") {
						continue
					}
					for _, r := range reqs {
						switch {
						case r.Method == http.MethodPost && strings.Contains(r.Query, "uploads"):
							multipart++
						case isPutObject(r):
							single++
						}
					}
				}
				return multipart >= 1 && single >= 1
			})
			rec.mu.Lock()
			defer rec.mu.Unlock()
			for path, reqs := range rec.reqs {
				if !strings.HasPrefix(path, "/sse/"+tt.stream+"/") {
					continue
				}
				for _, r := range reqs {
					create := r.Method == http.MethodPost && strings.Contains(r.Query, "uploads")
					put := isPutObject(r)
					part := r.Method == http.MethodPut && strings.Contains(r.Query, "partNumber")
					switch {
					case create || put:
						if r.SSE != tt.expSSE || r.KMSKey != tt.expKey {
							t.Errorf("%s %s?%s: SSE %q key %q, want %q %q", r.Method, path, r.Query, r.SSE, r.KMSKey, tt.expSSE, tt.expKey)
						}
					case part:
						if r.SSE != "" || r.KMSKey != "" {
							t.Errorf("UploadPart %s carried SSE headers", path)
						}
					}
				}
			}
		})
	}
}

// isPutObject reports whether r is a PutObject (a PUT that is not an
// UploadPart; the SDK adds x-id=PutObject to the query).
func isPutObject(r sseRequest) bool {
	return r.Method == http.MethodPut && !strings.Contains(r.Query, "partNumber") && !strings.Contains(r.Query, "uploadId")
}
