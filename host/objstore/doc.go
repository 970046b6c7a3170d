// Package objstore is where Wasmhose puts the objects it delivers: a local
// folder (the embedded default) or S3 and S3-compatible servers.
//
// Both implementations satisfy [Store], whose doc comment is the contract;
// the package's tests run one conformance suite against both.
//
//   - [Local] keeps bucket B, key K as the file <root>/B/K, where root is
//     usually <data-dir>/s3. Writes are atomic and durable: the body goes to a
//     hidden temporary file in the target folder, which is synced, renamed
//     into place, and followed by a sync of the folder.
//   - [S3] sends the same keys to S3 through aws-sdk-go-v2, with a multipart
//     upload for objects larger than the configured part size.
//
// [Pager] is the optional one-page listing both implement ([ListPage] falls
// back to List for a store without it): the console browses a bucket with
// it, a bounded page per request.
//
// Delivery streams name buckets by ARN; [BucketFromARN] turns
// "arn:aws:s3:::B" into "B".
//
// # Errors
//
// Failures are returned as [*Error], which names the operation, bucket and
// key and wraps the cause. Sentinels say how callers react: [ErrNotFound]
// (Get of a missing object), [ErrInvalidBucket] and [ErrInvalidKey] (names a
// store refuses), [ErrKeyConflict] (a key that a file system cannot hold next
// to another). [Permanent] separates failures that retrying the same request
// cannot cure (a missing bucket, denied access) from transient ones (5xx,
// throttling, timeouts, a full disk), and [ErrorCode] names a failure the way
// Firehose's CloudWatch logs do: "S3.AccessDenied", "S3.NoSuchBucket",
// "S3.KMS.NotFoundException", "InternalError".
package objstore
