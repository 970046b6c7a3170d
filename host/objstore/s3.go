package objstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/s3/manager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// Defaults for S3Config.
const (
	// DefaultRegion is the region used when S3Config.Region is empty.
	DefaultRegion = "us-east-1"
	// DefaultPartSize is the multipart part size used when
	// S3Config.PartSize is 0: 16 MiB.
	DefaultPartSize int64 = 16 << 20
	// MinPartSize is S3's smallest multipart part: 5 MiB.
	MinPartSize int64 = 5 << 20
	// DefaultConcurrency is the number of parts in flight per Put when
	// S3Config.Concurrency is 0.
	DefaultConcurrency = 4
)

// S3Config configures an S3 store. The zero value talks to AWS in
// us-east-1 with the default credential chain.
type S3Config struct {
	// Endpoint is the S3 endpoint URL, for example "http://127.0.0.1:7070"
	// for an S3-compatible server. Empty means AWS's own endpoint
	// resolution. With an Endpoint set, the SDK computes and validates
	// checksums only where S3 requires them, because many S3-compatible
	// servers reject the SDK's default CRC32 trailers.
	Endpoint string
	// Region is the signing region; empty means DefaultRegion ("us-east-1").
	Region string
	// AccessKeyID, SecretAccessKey and SessionToken are static
	// credentials. Leave AccessKeyID and SecretAccessKey empty to use the
	// SDK's default credential chain (environment, shared files, IMDS, ...).
	AccessKeyID, SecretAccessKey, SessionToken string
	// UsePathStyle addresses buckets as <endpoint>/<bucket>/<key> instead of
	// <bucket>.<endpoint>/<key>. Most S3-compatible servers need it.
	UsePathStyle bool
	// PartSize is the multipart part size in bytes; 0 means
	// DefaultPartSize (16 MiB), and it must be at least MinPartSize (5 MiB).
	// Objects larger than PartSize are sent as a multipart upload, smaller
	// ones with one PutObject.
	PartSize int64
	// Concurrency is the number of parts in flight per Put; 0 means
	// DefaultConcurrency (4).
	Concurrency int
	// MaxAttempts is the number of attempts the SDK makes per request
	// (its standard retryer with back-off); 0 means the SDK's default (3),
	// 1 disables the SDK's own retries so the caller's retry loop is the
	// only one.
	MaxAttempts int
}

// withDefaults returns c with defaults filled in, or an error naming every
// invalid field.
func (c S3Config) withDefaults() (S3Config, error) {
	if c.Region == "" {
		c.Region = DefaultRegion
	}
	if c.PartSize == 0 {
		c.PartSize = DefaultPartSize
	}
	if c.Concurrency == 0 {
		c.Concurrency = DefaultConcurrency
	}
	var errs []error
	if c.Endpoint != "" {
		u, err := url.Parse(c.Endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("Endpoint %q: want an http:// or https:// URL", c.Endpoint))
		}
	}
	if c.PartSize < MinPartSize {
		errs = append(errs, fmt.Errorf("PartSize %d: want at least %d (5 MiB)", c.PartSize, MinPartSize))
	}
	if c.Concurrency < 0 {
		errs = append(errs, fmt.Errorf("Concurrency %d: want at least 1", c.Concurrency))
	}
	if c.MaxAttempts < 0 {
		errs = append(errs, fmt.Errorf("MaxAttempts %d: want at least 1", c.MaxAttempts))
	}
	if (c.AccessKeyID == "") != (c.SecretAccessKey == "") {
		errs = append(errs, errors.New("AccessKeyID and SecretAccessKey: set both or neither"))
	}
	if c.SessionToken != "" && c.AccessKeyID == "" {
		errs = append(errs, errors.New("SessionToken: needs AccessKeyID and SecretAccessKey"))
	}
	if err := errors.Join(errs...); err != nil {
		return c, fmt.Errorf("objstore: S3 config: %w", err)
	}
	return c, nil
}

// S3 is a Store on Amazon S3 or an S3-compatible server, built on
// aws-sdk-go-v2. Put uses the SDK's upload manager: one PutObject up to
// PartSize bytes, a multipart upload (aborted on failure) above.
//
// # Notes
//
// Get and List of a missing bucket fail with an error whose ErrorCode is
// "S3.NoSuchBucket"; only a missing object is ErrNotFound. Ping lists at
// most one key (ListObjectsV2), so it needs s3:ListBucket, which Firehose's
// documented delivery role grants.
type S3 struct {
	client   *s3.Client
	uploader *manager.Uploader //nolint:staticcheck // SA1019: transfermanager is not a dependency of this module
}

// Interface guards.
var (
	_ Store = (*S3)(nil)
	_ Pager = (*S3)(nil)
)

// NewS3 returns an S3 store. It builds its own HTTP client (never
// http.DefaultClient) and aws.Config; no package state is shared between
// stores. The default credential chain is resolved lazily, on the first
// request.
func NewS3(ctx context.Context, c S3Config) (*S3, error) {
	c, err := c.withDefaults()
	if err != nil {
		return nil, err
	}
	hc := awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
		// Several Puts, each with Concurrency parts, share the host.
		tr.MaxIdleConnsPerHost = max(tr.MaxIdleConnsPerHost, 4*c.Concurrency)
	})
	opts := []func(*config.LoadOptions) error{
		config.WithRegion(c.Region),
		config.WithHTTPClient(hc),
	}
	if c.AccessKeyID != "" {
		opts = append(opts, config.WithCredentialsProvider(
			credentials.NewStaticCredentialsProvider(c.AccessKeyID, c.SecretAccessKey, c.SessionToken)))
	}
	if c.Endpoint != "" {
		opts = append(opts,
			config.WithRequestChecksumCalculation(aws.RequestChecksumCalculationWhenRequired),
			config.WithResponseChecksumValidation(aws.ResponseChecksumValidationWhenRequired))
	}
	if c.MaxAttempts > 0 {
		opts = append(opts, config.WithRetryMaxAttempts(c.MaxAttempts))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("objstore: S3 config: %w", err)
	}
	client := s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.UsePathStyle = c.UsePathStyle
		if c.Endpoint != "" {
			o.BaseEndpoint = aws.String(c.Endpoint)
		}
	})
	uploader := manager.NewUploader(client, func(u *manager.Uploader) { //nolint:staticcheck // SA1019, see S3.uploader
		u.PartSize = c.PartSize
		u.Concurrency = c.Concurrency
		u.LeavePartsOnError = false
		if c.Endpoint != "" {
			u.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		}
	})
	return &S3{client: client, uploader: uploader}, nil
}

// Client returns the underlying S3 client, for operations Store does not
// offer (creating buckets in tests, HeadObject).
func (s *S3) Client() *s3.Client { return s.client }

// Put uploads body as bucket/key with o's headers.
func (s *S3) Put(ctx context.Context, bucket, key string, body []byte, o PutOptions) error {
	if err := checkNames(bucket, key); err != nil {
		return opError("put", bucket, key, err)
	}
	in := &s3.PutObjectInput{
		Bucket: aws.String(bucket),
		Key:    aws.String(key),
		// A seekable body lets the uploader cut parts without copying and
		// lets the SDK send Content-Length, which S3-compatible servers
		// such as gofakes3 insist on.
		Body:        bytes.NewReader(body),
		ContentType: aws.String(o.contentType()),
	}
	if o.ContentEncoding != "" {
		in.ContentEncoding = aws.String(o.ContentEncoding)
	}
	if len(o.Metadata) > 0 {
		in.Metadata = o.Metadata
	}
	if o.SSEKMSKeyID != "" {
		in.ServerSideEncryption = s3types.ServerSideEncryptionAwsKms
		in.SSEKMSKeyId = aws.String(o.SSEKMSKeyID)
	}
	if _, err := s.uploader.Upload(ctx, in); err != nil {
		return opError("put", bucket, key, err)
	}
	return nil
}

// Get downloads bucket/key. NoSuchKey is ErrNotFound.
func (s *S3) Get(ctx context.Context, bucket, key string) ([]byte, error) {
	if err := checkNames(bucket, key); err != nil {
		return nil, opError("get", bucket, key, err)
	}
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		if isNoSuchKey(err) {
			err = fmt.Errorf("%w: %w", ErrNotFound, err)
		}
		return nil, opError("get", bucket, key, err)
	}
	var b bytes.Buffer
	if n := aws.ToInt64(out.ContentLength); n > 0 {
		b.Grow(int(n) + 1)
	}
	_, rerr := b.ReadFrom(out.Body)
	cerr := out.Body.Close()
	if err := errors.Join(rerr, cerr); err != nil {
		return nil, opError("get", bucket, key, err)
	}
	return b.Bytes(), nil
}

// isNoSuchKey reports whether err says the object is missing.
func isNoSuchKey(err error) bool {
	var nsk *s3types.NoSuchKey
	if errors.As(err, &nsk) {
		return true
	}
	var apiErr smithy.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode() == "NoSuchKey"
}

// List pages through ListObjectsV2 and returns every key under prefix.
func (s *S3) List(ctx context.Context, bucket, prefix string) ([]ObjectInfo, error) {
	if bucket == "" {
		return nil, opError("list", bucket, prefix, fmt.Errorf("%w: empty", ErrInvalidBucket))
	}
	in := &s3.ListObjectsV2Input{Bucket: aws.String(bucket)}
	if prefix != "" {
		in.Prefix = aws.String(prefix)
	}
	var out []ObjectInfo
	p := s3.NewListObjectsV2Paginator(s.client, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, opError("list", bucket, prefix, err)
		}
		for _, o := range page.Contents {
			out = append(out, ObjectInfo{
				Key:          aws.ToString(o.Key),
				Size:         aws.ToInt64(o.Size),
				LastModified: aws.ToTime(o.LastModified),
			})
		}
	}
	// S3 lists in byte order already; S3-compatible servers may not.
	slices.SortFunc(out, func(a, b ObjectInfo) int { return strings.Compare(a.Key, b.Key) })
	return out, nil
}

// ListPage implements [Pager] with ListObjectsV2: StartAfter and MaxKeys on
// the first request, the continuation token on the next ones (S3 returns at
// most 1,000 keys a request).
//
// # Notes
//
// The page is right only on a server that lists in byte order, as S3 does;
// List sorts what it gets, but a page cannot.
func (s *S3) ListPage(ctx context.Context, bucket, prefix, startAfter string, maxKeys int) ([]ObjectInfo, bool, error) {
	if bucket == "" {
		return nil, false, opError("list", bucket, prefix, fmt.Errorf("%w: empty", ErrInvalidBucket))
	}
	if maxKeys <= 0 {
		return nil, false, opError("list", bucket, prefix, fmt.Errorf("maxKeys %d: want at least 1", maxKeys))
	}
	in := &s3.ListObjectsV2Input{Bucket: aws.String(bucket)}
	if prefix != "" {
		in.Prefix = aws.String(prefix)
	}
	if startAfter != "" {
		in.StartAfter = aws.String(startAfter)
	}
	var out []ObjectInfo
	for {
		in.MaxKeys = aws.Int32(int32(min(maxKeys-len(out), 1000)))
		page, err := s.client.ListObjectsV2(ctx, in)
		if err != nil {
			return nil, false, opError("list", bucket, prefix, err)
		}
		for _, o := range page.Contents {
			out = append(out, ObjectInfo{
				Key:          aws.ToString(o.Key),
				Size:         aws.ToInt64(o.Size),
				LastModified: aws.ToTime(o.LastModified),
			})
		}
		more := aws.ToBool(page.IsTruncated)
		if len(out) >= maxKeys || !more || aws.ToString(page.NextContinuationToken) == "" {
			if len(out) > maxKeys { // a server that sends more than asked
				out, more = out[:maxKeys], true
			}
			return out, more, nil
		}
		in.ContinuationToken = page.NextContinuationToken
		in.StartAfter = nil
	}
}

// Ping lists at most one key of bucket: it fails, with the S3 error code
// intact, when the server cannot be reached, the credentials or policy are
// refused, or the bucket does not exist.
func (s *S3) Ping(ctx context.Context, bucket string) error {
	if bucket == "" {
		return opError("ping", bucket, "", fmt.Errorf("%w: empty", ErrInvalidBucket))
	}
	_, err := s.client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), MaxKeys: aws.Int32(1)})
	if err != nil {
		return opError("ping", bucket, "", err)
	}
	return nil
}

// checkNames rejects the empty names S3 cannot address.
func checkNames(bucket, key string) error {
	if bucket == "" {
		return fmt.Errorf("%w: empty", ErrInvalidBucket)
	}
	if key == "" {
		return fmt.Errorf("%w: empty", ErrInvalidKey)
	}
	return nil
}
