package objstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Store is where delivered objects go. Implementations are safe for
// concurrent use.
//
// The contract every implementation keeps (and the conformance tests check):
//
//   - Put stores body as the whole object bucket/key, replacing any earlier
//     object of that key. A concurrent Get or List sees the old object or
//     the new one, never a part of either; when two Puts race, one of them
//     wins whole. Put does not keep body after it returns.
//   - Get returns the object's bytes in a new slice the caller owns. A
//     missing object is an error that wraps [ErrNotFound].
//   - List returns every object whose key starts with prefix (a plain string
//     prefix, not a folder: "logs/2024-0" matches "logs/2024-01/x"), sorted
//     by key in byte order, in one slice.
//   - Ping reports whether the store can be reached and bucket used; servers
//     call it for readiness.
//   - Every method returns a [*Error] naming the operation, bucket and key,
//     and honours ctx: a cancelled context ends the call with an error that
//     wraps ctx.Err().
type Store interface {
	// Put writes body as the object bucket/key.
	Put(ctx context.Context, bucket, key string, body []byte, o PutOptions) error
	// Get reads the object bucket/key; ErrNotFound (wrapped) when missing.
	Get(ctx context.Context, bucket, key string) ([]byte, error)
	// List returns all objects under prefix, sorted by key.
	List(ctx context.Context, bucket, prefix string) ([]ObjectInfo, error)
	// Ping reports whether the store is reachable and bucket exists.
	Ping(ctx context.Context, bucket string) error
}

// Validator is implemented by a Store that refuses bucket names or keys
// S3 accepts, such as [Local], which must map them to files. The service
// checks a destination with it at CreateDeliveryStream and
// UpdateDestination, so that a bucket or prefix the store can never write
// is refused up front instead of failing every delivery.
type Validator interface {
	// ValidateBucket returns nil if the store can use bucket, or an error
	// wrapping ErrInvalidBucket that says why not.
	ValidateBucket(bucket string) error
	// ValidateKey returns nil if the store can write the object key, or
	// an error wrapping ErrInvalidKey that says why not.
	ValidateKey(key string) error
}

// Pager is implemented by a Store that can list one page of keys without
// listing the rest. [ListPage] uses it when the store has it.
//
// ListPage keeps List's contract for a part of the listing: it returns the
// objects whose key starts with prefix and sorts after startAfter in byte
// order, the first maxKeys of them (maxKeys > 0), sorted by key, and more
// reports whether the listing goes on after them. The next page starts
// after the last key returned. more is never true on an empty page, and
// false whenever no key follows, except on S3-compatible servers that
// report a page ending exactly at the last key as truncated (gofakes3 does
// under a prefix): the next page is then empty. Its work is bounded by maxKeys, not by the
// number of objects under prefix: [S3] sends ListObjectsV2 with StartAfter
// and MaxKeys (one request per 1,000 keys), [Local] walks in byte order
// and skips the folders that sort before startAfter.
type Pager interface {
	// ListPage returns up to maxKeys objects under prefix after startAfter,
	// sorted by key, and whether more follow.
	ListPage(ctx context.Context, bucket, prefix, startAfter string, maxKeys int) (objs []ObjectInfo, more bool, err error)
}

// ListPage lists one page of s with the contract of [Pager]: s's own
// ListPage when s is a Pager, otherwise List and a slice of its result,
// which costs the whole listing. maxKeys must be positive.
func ListPage(ctx context.Context, s Store, bucket, prefix, startAfter string, maxKeys int) ([]ObjectInfo, bool, error) {
	if maxKeys <= 0 {
		return nil, false, opError("list", bucket, prefix, fmt.Errorf("maxKeys %d: want at least 1", maxKeys))
	}
	if p, ok := s.(Pager); ok {
		return p.ListPage(ctx, bucket, prefix, startAfter, maxKeys)
	}
	all, err := s.List(ctx, bucket, prefix)
	if err != nil {
		return nil, false, err
	}
	i, _ := slices.BinarySearchFunc(all, startAfter, func(o ObjectInfo, k string) int { return strings.Compare(o.Key, k) })
	for i < len(all) && all[i].Key <= startAfter {
		i++
	}
	rest := all[i:]
	if len(rest) > maxKeys {
		return slices.Clone(rest[:maxKeys]), true, nil
	}
	return rest, false, nil
}

// DefaultContentType is the Content-Type of objects whose PutOptions leave
// it empty. Firehose stores every object as application/octet-stream.
const DefaultContentType = "application/octet-stream"

// PutOptions are the object attributes set by Put. The zero value is valid.
//
// # Notes
//
// [Local] stores only the bytes: a folder has nowhere to keep headers, so it
// ignores every field. In particular SSEKMSKeyID does not encrypt local files;
// encryption at rest for the local store is the file system's job.
type PutOptions struct {
	// ContentType is the object's Content-Type; empty means
	// DefaultContentType ("application/octet-stream").
	ContentType string
	// ContentEncoding is the object's Content-Encoding (for example "gzip");
	// empty sends none.
	ContentEncoding string
	// Metadata is user metadata, sent to S3 as x-amz-meta-<name> headers.
	// S3 lower-cases the names.
	Metadata map[string]string
	// SSEKMSKeyID, when set, asks S3 to encrypt the object with this KMS key
	// (an ARN, key id or alias): Put sends
	// "x-amz-server-side-encryption: aws:kms" and
	// "x-amz-server-side-encryption-aws-kms-key-id: <SSEKMSKeyID>".
	SSEKMSKeyID string
}

// contentType returns the Content-Type to send.
func (o PutOptions) contentType() string {
	if o.ContentType == "" {
		return DefaultContentType
	}
	return o.ContentType
}

// ObjectInfo describes one object in a List result.
type ObjectInfo struct {
	// Key is the object's key within its bucket.
	Key string
	// Size is the object's length in bytes.
	Size int64
	// LastModified is when the object was last written. S3 reports it to the
	// second; the local store reports the file's modification time.
	LastModified time.Time
}

var (
	// ErrNotFound means the object does not exist. Get returns it wrapped;
	// test with errors.Is. A missing S3 bucket is not ErrNotFound but an S3
	// error whose ErrorCode is "S3.NoSuchBucket".
	ErrNotFound = errors.New("object not found")

	// ErrInvalidBucket means a bucket name the store refuses. It is
	// permanent: fix the configuration.
	ErrInvalidBucket = errors.New("invalid bucket name")

	// ErrInvalidKey means a key the store refuses (for Local: empty, longer
	// than 1024 bytes, not UTF-8, absolute, with an empty, "." or ".."
	// segment, a segment longer than 255 bytes or starting with
	// ".wasmhose-tmp-", or a NUL or backslash). It is permanent: the same
	// key fails every time.
	ErrInvalidKey = errors.New("invalid object key")

	// ErrKeyConflict means the local store cannot hold the key because a
	// file system cannot have both a file "a" and a file "a/b", which S3
	// can. It is permanent.
	ErrKeyConflict = errors.New("object key conflicts with another object")
)

// Error records a failed store operation and the object it concerned.
// Test its cause with errors.Is and errors.As; the sentinels and S3's typed
// errors are reachable through Unwrap.
type Error struct {
	// Op is the operation: "put", "get", "list" or "ping".
	Op string
	// Bucket is the bucket operated on.
	Bucket string
	// Key is the object key; for List the prefix, for Ping empty.
	Key string
	// Err is the cause.
	Err error
}

// Error implements error. The text reads "objstore: put bucket/key: cause".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("objstore: ")
	b.WriteString(e.Op)
	b.WriteByte(' ')
	b.WriteString(e.Bucket)
	if e.Key != "" || e.Op == "put" || e.Op == "get" {
		b.WriteByte('/')
		b.WriteString(e.Key)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// opError builds an *Error.
func opError(op, bucket, key string, err error) error {
	return &Error{Op: op, Bucket: bucket, Key: key, Err: err}
}

// BucketFromARN parses an S3 bucket ARN, "arn:<partition>:s3:::<bucket>" in
// any partition (aws, aws-cn, aws-us-gov, ...), into the bucket name. It
// accepts what Firehose's BucketARN pattern accepts, arn:.*:s3:::[\w.-]{1,255},
// except that the partition must be non-empty letters, digits and hyphens. An
// object ARN ("arn:aws:s3:::bucket/key") or any other ARN is an error.
func BucketFromARN(arn string) (string, error) {
	rest, ok := strings.CutPrefix(arn, "arn:")
	if !ok {
		return "", fmt.Errorf("objstore: bucket ARN %q does not start with \"arn:\"", arn)
	}
	partition, rest, ok := strings.Cut(rest, ":")
	if !ok || !isPartition(partition) {
		return "", fmt.Errorf("objstore: bucket ARN %q has no valid partition", arn)
	}
	bucket, ok := strings.CutPrefix(rest, "s3:::")
	if !ok {
		return "", fmt.Errorf("objstore: ARN %q is not an S3 bucket ARN (arn:%s:s3:::<bucket>)", arn, partition)
	}
	if !isARNBucket(bucket) {
		return "", fmt.Errorf("objstore: bucket ARN %q: %w: want 1 to 255 of A-Z a-z 0-9 _ . -", arn, ErrInvalidBucket)
	}
	return bucket, nil
}

// isPartition reports whether s is a plausible ARN partition.
func isPartition(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// isARNBucket reports whether s matches Firehose's bucket pattern
// [\w.-]{1,255}.
func isARNBucket(s string) bool {
	if len(s) == 0 || len(s) > 255 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}
