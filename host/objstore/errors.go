package objstore

import (
	"context"
	"errors"
	"io/fs"
	"net/http"
	"strings"
	"syscall"

	"github.com/aws/smithy-go"
)

// permanentCodes are S3 error codes that the same request will meet again:
// they need a configuration change (create the bucket, grant access, fix the
// key or the credentials), not a retry.
var permanentCodes = map[string]bool{
	"AccessDenied":                      true,
	"AccountProblem":                    true,
	"AllAccessDisabled":                 true,
	"AuthorizationHeaderMalformed":      true,
	"EntityTooLarge":                    true,
	"Forbidden":                         true,
	"InvalidAccessKeyId":                true,
	"InvalidArgument":                   true,
	"InvalidBucketName":                 true,
	"InvalidBucketState":                true,
	"InvalidEncryptionAlgorithmError":   true,
	"InvalidObjectState":                true,
	"InvalidPayer":                      true,
	"InvalidRequest":                    true,
	"InvalidSecurity":                   true,
	"InvalidStorageClass":               true,
	"InvalidToken":                      true,
	"KeyTooLongError":                   true,
	"MetadataTooLarge":                  true,
	"MethodNotAllowed":                  true,
	"MissingSecurityHeader":             true,
	"NoSuchBucket":                      true,
	"NoSuchKey":                         true,
	"NotImplemented":                    true,
	"NotSignedUp":                       true,
	"PermanentRedirect":                 true,
	"SignatureDoesNotMatch":             true,
	"UnauthorizedAccess":                true,
	"KMS.AccessDeniedException":         true,
	"KMS.DisabledException":             true,
	"KMS.InvalidKeyUsageException":      true,
	"KMS.InvalidStateException":         true,
	"KMS.KMSInvalidStateException":      true,
	"KMS.NotFoundException":             true,
	"KMS.IncorrectKeyException":         true,
	"KMS.InvalidGrantTokenException":    true,
	"KMS.UnsupportedOperationException": true,
}

// retryableCodes are S3 error codes that a later attempt may not meet, even
// though some arrive with a 4xx status.
var retryableCodes = map[string]bool{
	"BadDigest":                      true,
	"ExpiredToken":                   true, // the credential chain refreshes
	"IncompleteBody":                 true,
	"InternalError":                  true,
	"KMS.RequestLimitExceeded":       true,
	"KMS.ThrottlingException":        true,
	"NoSuchUpload":                   true, // a retried upload starts a new one
	"OperationAborted":               true,
	"RequestLimitExceeded":           true,
	"RequestTimeTooSkewed":           true, // the SDK corrects its clock skew
	"RequestTimeout":                 true,
	"ServiceUnavailable":             true,
	"SlowDown":                       true,
	"Throttling":                     true,
	"ThrottlingException":            true,
	"TokenRefreshRequired":           true,
	"TooManyRequests":                true,
	"XAmzContentSHA256Mismatch":      true,
	"KMS.KMSInternalException":       true,
	"KMS.DependencyTimeoutException": true,
	"KMS.KeyUnavailableException":    true,
}

// Permanent reports whether retrying the same request cannot cure err: the
// bucket is missing, access or credentials are refused, the key or bucket
// name is invalid, the object is missing, or the KMS key is unusable. It
// reports false for nil, for transient failures (5xx, SlowDown and other
// throttling, timeouts, refused connections, a full disk) and for a
// cancelled or expired context, which says nothing about the store.
//
// Unknown S3 codes are judged by HTTP status: 408, 429 and 5xx are
// retryable, other 4xx permanent.
//
// # Notes
//
// Firehose keeps retrying even "permanent" S3 failures for its retry
// duration, because fixing the configuration (creating the bucket, granting
// the role) cures them without touching the stream. Permanent is for
// choosing back-off, alarms and readiness, not for dropping data.
func Permanent(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	if errors.Is(err, ErrNotFound) || errors.Is(err, ErrInvalidKey) ||
		errors.Is(err, ErrInvalidBucket) || errors.Is(err, ErrKeyConflict) {
		return true
	}
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		code := apiErr.ErrorCode()
		if p, ok := permanentCodes[code]; ok {
			return p
		}
		if retryableCodes[code] {
			return false
		}
		if strings.HasPrefix(code, "KMS.") {
			// Unknown KMS failures: throttling and internal errors pass,
			// anything else is about the key.
			return !strings.Contains(code, "Throttl") && !strings.Contains(code, "LimitExceeded") &&
				!strings.Contains(code, "Internal") && !strings.Contains(code, "Timeout")
		}
		if st := httpStatus(err); st != 0 {
			return permanentStatus(st)
		}
		return false
	}
	if st := httpStatus(err); st != 0 {
		return permanentStatus(st)
	}
	// Local file system failures.
	if errors.Is(err, fs.ErrPermission) || errors.Is(err, syscall.EROFS) ||
		errors.Is(err, syscall.ENAMETOOLONG) {
		return true
	}
	return false
}

// permanentStatus judges an HTTP status with no known S3 code.
func permanentStatus(st int) bool {
	switch {
	case st == http.StatusRequestTimeout, st == http.StatusTooManyRequests, st >= 500:
		return false
	case st >= 400:
		return true
	}
	return false
}

// httpStatus returns the HTTP status of an SDK response error, or 0.
func httpStatus(err error) int {
	var re interface{ HTTPStatusCode() int }
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// ErrorCode names err in the style of Firehose's CloudWatch Logs error codes
// for S3 delivery, so operators see the codes the Firehose documentation
// lists ("S3.AccessDenied", "S3.NoSuchBucket", "S3.KMS.NotFoundException",
// "S3.KMS.RequestLimitExceeded", "S3.AccountProblem", "S3.AllAccessDisabled",
// "S3.InvalidPayer", "S3.NotSignedUp", "S3.MethodNotAllowed",
// "InternalError"). It returns "" for nil.
//
// An S3 error code C becomes "S3.C" (S3 returns KMS failures as codes like
// "KMS.NotFoundException", hence "S3.KMS.NotFoundException"); a bodiless 403
// reads "S3.AccessDenied"; S3's own InternalError, errors without an S3 code
// (network failures, timeouts) and unknown errors are "InternalError".
// The local store's failures map onto the same names: ErrNotFound is
// "S3.NoSuchKey", a refused bucket name "S3.InvalidBucketName", a refused or
// conflicting key "S3.InvalidArgument", a permission error "S3.AccessDenied".
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		switch code := apiErr.ErrorCode(); code {
		case "", "InternalError":
			return "InternalError"
		case "Forbidden":
			return "S3.AccessDenied"
		default:
			return "S3." + code
		}
	}
	switch {
	case errors.Is(err, ErrNotFound):
		return "S3.NoSuchKey"
	case errors.Is(err, ErrInvalidBucket):
		return "S3.InvalidBucketName"
	case errors.Is(err, ErrInvalidKey), errors.Is(err, ErrKeyConflict):
		return "S3.InvalidArgument"
	case errors.Is(err, fs.ErrPermission):
		return "S3.AccessDenied"
	}
	return "InternalError"
}
