package loadgen

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/firehose/types"
)

// Defaults for [Options] and [CreateOptions]. A zero field takes its default.
const (
	DefaultEndpoint         = "http://127.0.0.1:4573"
	DefaultRegion           = "us-east-1"
	DefaultBatchSize        = 500
	DefaultRecordSize       = 200
	DefaultConcurrency      = 8
	DefaultDuration         = 30 * time.Second
	DefaultRequestTimeout   = 30 * time.Second
	DefaultProgressInterval = time.Second
	DefaultBucket           = "bench-bucket"
	DefaultCompression      = "GZIP"
	DefaultBufferMB         = 64
	DefaultBufferSeconds    = 10
	DefaultRoleARN          = "arn:aws:iam::000000000000:role/wasmhose-bench"
	DefaultCreateTimeout    = 2 * time.Minute
)

// Firehose limits that [Options.Validate] enforces, so that a run does not
// spend its time on requests the service is bound to reject.
const (
	// MaxBatchSize is the most records one PutRecordBatch call may carry.
	MaxBatchSize = 500
	// MaxRecordSize is the largest record Firehose accepts, in bytes
	// (1,000 KiB).
	MaxRecordSize = 1000 * 1024
	// MaxBatchBytes is the largest PutRecordBatch payload, in bytes (4 MiB).
	MaxBatchBytes = 4 << 20
)

// ErrInvalidOptions is wrapped by every error from [Options.Validate] and
// [CheckOptions.Validate]: the caller should fix its input, not retry.
var ErrInvalidOptions = errors.New("invalid options")

// reStreamName is Firehose's DeliveryStreamName pattern.
var reStreamName = regexp.MustCompile(`^[a-zA-Z0-9_.-]{1,64}$`)

// reBucket is a loose S3 bucket name check: it keeps the name usable as a
// single folder of the local store.
var reBucket = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)

// reRunID keeps run ids safe inside a JSON string and unambiguous before the
// "-<worker>-<n>" suffix that follows them.
var reRunID = regexp.MustCompile(`^[A-Za-z0-9_.]{1,64}$`)

// Options configures [Run]. The zero value of every field but Stream means
// its default; Options is a plain value and Run does not modify it.
type Options struct {
	// Endpoint is the base URL of the Firehose API. Default
	// [DefaultEndpoint].
	Endpoint string
	// Region signs the requests. Default [DefaultRegion].
	Region string
	// AccessKeyID, SecretAccessKey and SessionToken sign the requests.
	// When AccessKeyID is empty, static dummy credentials are used, which
	// is what a local Wasmhose accepts.
	AccessKeyID, SecretAccessKey, SessionToken string

	// Stream is the delivery stream to write to. Required.
	Stream string
	// Create, when not nil, creates Stream with an ExtendedS3 destination
	// before the run and waits until it is ACTIVE. A stream that already
	// exists is used as it is. When nil, the stream must exist; Run still
	// waits for it to be ACTIVE.
	Create *CreateOptions

	// BatchSize is the number of records per PutRecordBatch call, 1 to
	// [MaxBatchSize]. Default [DefaultBatchSize].
	BatchSize int
	// RecordSize is the size of each record in bytes, newline included.
	// Records never get shorter than their id needs (about 60 bytes).
	// Default [DefaultRecordSize].
	RecordSize int
	// Concurrency is the number of workers, each with at most one call in
	// flight. Default [DefaultConcurrency].
	Concurrency int
	// Count is the total number of records to send. When positive it wins
	// over Duration.
	Count int64
	// Duration is how long to send for, when Count is zero. Calls in
	// flight when it ends are completed and counted. Default
	// [DefaultDuration].
	Duration time.Duration
	// Rate is the target number of records per second over all workers;
	// zero sends as fast as the endpoint answers. Batches are paced evenly,
	// so a rate well under capacity measures latency at that load.
	Rate float64

	// RequestTimeout bounds each call. Default [DefaultRequestTimeout].
	RequestTimeout time.Duration
	// ProgressInterval is how often Run writes a progress line when given
	// a progress writer. Default [DefaultProgressInterval].
	ProgressInterval time.Duration
	// RunID prefixes every record id; it must match [A-Za-z0-9_.]{1,64}.
	// Default: 12 random hex digits.
	RunID string
	// HTTPClient, when not nil, replaces the client Run builds (one with
	// enough idle connections per host for Concurrency). Run does not
	// close its idle connections.
	HTTPClient *http.Client
}

// CreateOptions describes the ExtendedS3 destination of a stream that [Run]
// creates. A zero field takes its default.
type CreateOptions struct {
	// Bucket is the destination bucket name; the BucketARN is
	// arn:aws:s3:::<Bucket>. Default [DefaultBucket].
	Bucket string
	// Compression is the CompressionFormat: UNCOMPRESSED, GZIP, ZIP,
	// Snappy or HADOOP_SNAPPY. Default [DefaultCompression].
	Compression string
	// BufferMB is BufferingHints.SizeInMBs, 1 to 128. Default
	// [DefaultBufferMB].
	BufferMB int
	// BufferSeconds is BufferingHints.IntervalInSeconds, 0 to 900.
	// Default [DefaultBufferSeconds]; set it to a negative number for 0.
	BufferSeconds int
	// RoleARN is sent as the destination's RoleARN. Default
	// [DefaultRoleARN].
	RoleARN string
	// Timeout bounds the wait for the stream to become ACTIVE. Default
	// [DefaultCreateTimeout].
	Timeout time.Duration
}

// withDefaults returns o with every zero field set to its default.
func (o Options) withDefaults() Options {
	if o.Endpoint == "" {
		o.Endpoint = DefaultEndpoint
	}
	if o.Region == "" {
		o.Region = DefaultRegion
	}
	if o.BatchSize == 0 {
		o.BatchSize = DefaultBatchSize
	}
	if o.RecordSize == 0 {
		o.RecordSize = DefaultRecordSize
	}
	if o.Concurrency == 0 {
		o.Concurrency = DefaultConcurrency
	}
	if o.Count == 0 && o.Duration == 0 {
		o.Duration = DefaultDuration
	}
	if o.RequestTimeout == 0 {
		o.RequestTimeout = DefaultRequestTimeout
	}
	if o.ProgressInterval == 0 {
		o.ProgressInterval = DefaultProgressInterval
	}
	if o.Create != nil {
		c := o.Create.withDefaults()
		o.Create = &c
	}
	return o
}

// withDefaults returns c with every zero field set to its default.
func (c CreateOptions) withDefaults() CreateOptions {
	if c.Bucket == "" {
		c.Bucket = DefaultBucket
	}
	if c.Compression == "" {
		c.Compression = DefaultCompression
	}
	if c.BufferMB == 0 {
		c.BufferMB = DefaultBufferMB
	}
	switch {
	case c.BufferSeconds == 0:
		c.BufferSeconds = DefaultBufferSeconds
	case c.BufferSeconds < 0:
		c.BufferSeconds = 0
	}
	if c.RoleARN == "" {
		c.RoleARN = DefaultRoleARN
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultCreateTimeout
	}
	return c
}

// Validate reports every problem with o after defaults are applied, each
// with its field name, joined with [errors.Join] and wrapping
// [ErrInvalidOptions]. It returns nil when o is usable.
func (o Options) Validate() error {
	o = o.withDefaults()
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: %s: %s", ErrInvalidOptions, field, fmt.Sprintf(format, args...)))
	}
	if u, err := url.Parse(o.Endpoint); err != nil {
		bad("Endpoint", "%v", err)
	} else if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		bad("Endpoint", "%q is not an http or https URL", o.Endpoint)
	}
	if !reStreamName.MatchString(o.Stream) {
		bad("Stream", "%q must be 1 to 64 characters of [a-zA-Z0-9_.-]", o.Stream)
	}
	if o.BatchSize < 1 || o.BatchSize > MaxBatchSize {
		bad("BatchSize", "%d is not between 1 and %d", o.BatchSize, MaxBatchSize)
	}
	if o.RecordSize < 1 || o.RecordSize > MaxRecordSize {
		bad("RecordSize", "%d is not between 1 and %d", o.RecordSize, MaxRecordSize)
	} else if o.BatchSize >= 1 && o.BatchSize*o.RecordSize > MaxBatchBytes {
		bad("RecordSize", "%d records of %d bytes exceed the %d-byte batch limit", o.BatchSize, o.RecordSize, MaxBatchBytes)
	}
	if o.Concurrency < 1 {
		bad("Concurrency", "%d is less than 1", o.Concurrency)
	}
	if o.Count < 0 {
		bad("Count", "%d is negative", o.Count)
	}
	if o.Count == 0 && o.Duration < 0 {
		bad("Duration", "%v is negative", o.Duration)
	}
	if o.Rate < 0 {
		bad("Rate", "%v is negative", o.Rate)
	}
	if o.RequestTimeout < 0 {
		bad("RequestTimeout", "%v is negative", o.RequestTimeout)
	}
	if o.ProgressInterval < 0 {
		bad("ProgressInterval", "%v is negative", o.ProgressInterval)
	}
	if o.RunID != "" && !reRunID.MatchString(o.RunID) {
		bad("RunID", "%q must be 1 to 64 characters of [A-Za-z0-9_.]", o.RunID)
	}
	if (o.AccessKeyID == "") != (o.SecretAccessKey == "") {
		bad("SecretAccessKey", "AccessKeyID and SecretAccessKey must be given together")
	}
	if c := o.Create; c != nil {
		if !reBucket.MatchString(c.Bucket) {
			bad("Create.Bucket", "%q is not a valid bucket name", c.Bucket)
		}
		if !slices.Contains(types.CompressionFormat("").Values(), types.CompressionFormat(c.Compression)) {
			bad("Create.Compression", "%q is not one of %v", c.Compression, types.CompressionFormat("").Values())
		}
		if c.BufferMB < 1 || c.BufferMB > 128 {
			bad("Create.BufferMB", "%d is not between 1 and 128", c.BufferMB)
		}
		if c.BufferSeconds > 900 {
			bad("Create.BufferSeconds", "%d is more than 900", c.BufferSeconds)
		}
		if c.Timeout < 0 {
			bad("Create.Timeout", "%v is negative", c.Timeout)
		}
	}
	return errors.Join(errs...)
}
