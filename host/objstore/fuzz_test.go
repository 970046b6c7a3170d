package objstore

import (
	"errors"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

// bucketARN is Firehose's BucketARN pattern with the partition narrowed to
// what BucketFromARN accepts; it is the oracle for FuzzBucketFromARN.
var bucketARN = regexp.MustCompile(`^arn:[A-Za-z0-9-]+:s3:::([\w.-]{1,255})$`)

func FuzzBucketFromARN(f *testing.F) {
	for _, seed := range []string{
		"arn:aws:s3:::my-bucket",
		"arn:aws-cn:s3:::logs.example",
		"arn:aws-us-gov:s3:::b_1",
		"arn:aws:s3:::my-bucket/key",
		"arn:aws:s3:us-east-1::b",
		"arn:aws:s3:::",
		"arn::s3:::b",
		"arn:aws:s3:::..",
		"arn:aws:firehose:us-east-1:000000000000:deliverystream/s",
		"",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, arn string) {
		bucket, err := BucketFromARN(arn)
		m := bucketARN.FindStringSubmatch(arn)
		if (err == nil) != (m != nil) {
			t.Fatalf("BucketFromARN(%q) = %q, %v; the pattern says match=%v", arn, bucket, err, m != nil)
		}
		if err != nil {
			if bucket != "" {
				t.Fatalf("BucketFromARN(%q) returned %q with error %v", arn, bucket, err)
			}
			return
		}
		if bucket != m[1] {
			t.Fatalf("BucketFromARN(%q) = %q, want %q", arn, bucket, m[1])
		}
		if again, err := BucketFromARN("arn:aws:s3:::" + bucket); err != nil || again != bucket {
			t.Fatalf("round trip of %q = %q, %v", bucket, again, err)
		}
	})
}

func FuzzValidateKey(f *testing.F) {
	for _, seed := range []string{
		"a", "a/b/c.gz", "2026/07/13/14/stream-1-2026-07-13-14-05-09-uuid",
		"", "/", "/etc/passwd", "..", "../x", "a/../../x", "a/./b", "a//b", "a/",
		".hidden", ".logs-1-x", "a/.wasmhose-tmp-1", `a\..\b`, "a\x00b", "\xff", "ключ/ü",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, key string) {
		err := validateKey(key)
		if err != nil {
			if !errors.Is(err, ErrInvalidKey) {
				t.Fatalf("validateKey(%q) = %v, want ErrInvalidKey", key, err)
			}
			return
		}
		// A valid key stays inside the bucket folder and is its own
		// canonical form, so two valid keys never name one file.
		if len(key) == 0 || len(key) > maxKeyLen || !utf8.ValidString(key) {
			t.Fatalf("validateKey accepted %q: bad length or not UTF-8", key)
		}
		if path.Clean(key) != key || path.IsAbs(key) || !filepath.IsLocal(filepath.FromSlash(key)) {
			t.Fatalf("validateKey accepted %q, which is not a clean relative path", key)
		}
		if j := path.Join("root/bucket", key); !strings.HasPrefix(j, "root/bucket/") {
			t.Fatalf("validateKey accepted %q, which joins to %q outside the bucket", key, j)
		}
		for seg := range strings.SplitSeq(key, "/") {
			if seg == "" || seg == "." || seg == ".." || strings.HasPrefix(seg, tempPrefix) || len(seg) > maxSegmentLen || strings.ContainsAny(seg, "\x00\\") {
				t.Fatalf("validateKey accepted %q with segment %q", key, seg)
			}
		}
	})
}
