// Package apierror is the catalogue of errors the Firehose API answers with.
//
// Every error a client can see is an *Error carrying Firehose's error shape
// name (the JSON "__type"), its HTTP status and a message. The catalogue
// mirrors the error shapes of the Firehose model (botocore
// firehose/2015-08-04/service-2.json) plus ValidationException, which the AWS
// request-validation layer raises for model-constraint violations.
//
// Constructors exist for each shape so callers never spell a type name or a
// status code themselves.
package apierror

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Error is an error answered to a Firehose API client.
type Error struct {
	// Type is the error shape name, sent as "__type".
	Type string
	// Status is the HTTP status code.
	Status int
	// Message is the human-readable text, sent as "message".
	Message string
}

// Error implements error.
func (e *Error) Error() string { return e.Type + ": " + e.Message }

// Is reports whether target is an *Error of the same Type, so that
// errors.Is(err, apierror.ResourceNotFound("")) matches any message.
func (e *Error) Is(target error) bool {
	var t *Error
	if errors.As(target, &t) {
		return t.Type == e.Type
	}
	return false
}

// Shape names and their HTTP status codes.
const (
	TypeInvalidArgument         = "InvalidArgumentException"
	TypeResourceNotFound        = "ResourceNotFoundException"
	TypeResourceInUse           = "ResourceInUseException"
	TypeLimitExceeded           = "LimitExceededException"
	TypeConcurrentModification  = "ConcurrentModificationException"
	TypeInvalidKMSResource      = "InvalidKMSResourceException"
	TypeServiceUnavailable      = "ServiceUnavailableException"
	TypeValidation              = "ValidationException"
	TypeSerialization           = "SerializationException"
	TypeUnknownOperation        = "UnknownOperationException"
	TypeInternalFailure         = "InternalFailure"
	TypeMissingAction           = "MissingAction"
	TypeInvalidAction           = "InvalidAction"
	TypeUnsupportedMediaType    = "UnsupportedMediaTypeException"
	TypeRequestEntityTooLarge   = "RequestEntityTooLargeException"
	TypeAccessDenied            = "AccessDeniedException"
	TypeUnrecognizedClient      = "UnrecognizedClientException"
	TypeInvalidSignature        = "InvalidSignatureException"
	TypeIncompleteSignature     = "IncompleteSignatureException"
	TypeMissingAuthenticationTk = "MissingAuthenticationTokenException"
)

// Catalogue lists every error shape with its HTTP status code. It is the one
// place where a status code is chosen.
var catalogue = map[string]int{
	TypeInvalidArgument:         http.StatusBadRequest,
	TypeResourceNotFound:        http.StatusBadRequest,
	TypeResourceInUse:           http.StatusBadRequest,
	TypeLimitExceeded:           http.StatusBadRequest,
	TypeConcurrentModification:  http.StatusBadRequest,
	TypeInvalidKMSResource:      http.StatusBadRequest,
	TypeServiceUnavailable:      http.StatusServiceUnavailable,
	TypeValidation:              http.StatusBadRequest,
	TypeSerialization:           http.StatusBadRequest,
	TypeUnknownOperation:        http.StatusBadRequest,
	TypeInternalFailure:         http.StatusInternalServerError,
	TypeMissingAction:           http.StatusBadRequest,
	TypeInvalidAction:           http.StatusBadRequest,
	TypeUnsupportedMediaType:    http.StatusUnsupportedMediaType,
	TypeRequestEntityTooLarge:   http.StatusRequestEntityTooLarge,
	TypeAccessDenied:            http.StatusBadRequest,
	TypeUnrecognizedClient:      http.StatusBadRequest,
	TypeInvalidSignature:        http.StatusBadRequest,
	TypeIncompleteSignature:     http.StatusBadRequest,
	TypeMissingAuthenticationTk: http.StatusForbidden,
}

// StatusOf returns the HTTP status of an error shape (400 for unknown ones).
func StatusOf(typ string) int {
	if s, ok := catalogue[typ]; ok {
		return s
	}
	return http.StatusBadRequest
}

// New returns an error of shape typ with a formatted message.
func New(typ, format string, args ...any) *Error {
	return &Error{Type: typ, Status: StatusOf(typ), Message: fmt.Sprintf(format, args...)}
}

// InvalidArgument returns an InvalidArgumentException.
func InvalidArgument(format string, args ...any) *Error {
	return New(TypeInvalidArgument, format, args...)
}

// ResourceNotFound returns a ResourceNotFoundException.
func ResourceNotFound(format string, args ...any) *Error {
	return New(TypeResourceNotFound, format, args...)
}

// ResourceInUse returns a ResourceInUseException.
func ResourceInUse(format string, args ...any) *Error {
	return New(TypeResourceInUse, format, args...)
}

// LimitExceeded returns a LimitExceededException.
func LimitExceeded(format string, args ...any) *Error {
	return New(TypeLimitExceeded, format, args...)
}

// ConcurrentModification returns a ConcurrentModificationException.
func ConcurrentModification(format string, args ...any) *Error {
	return New(TypeConcurrentModification, format, args...)
}

// ServiceUnavailable returns a ServiceUnavailableException (HTTP 503).
func ServiceUnavailable(format string, args ...any) *Error {
	return New(TypeServiceUnavailable, format, args...)
}

// Serialization returns a SerializationException, for a body that is not
// JSON or does not fit the request shape.
func Serialization(format string, args ...any) *Error {
	return New(TypeSerialization, format, args...)
}

// Internal returns an InternalFailure (HTTP 500).
func Internal(format string, args ...any) *Error {
	return New(TypeInternalFailure, format, args...)
}

// Violations collects model-constraint violations and reports them as one
// ValidationException, the way the AWS request-validation layer does:
//
//	1 validation error detected: Value 'x' at 'deliveryStreamName' failed to satisfy constraint: Member must have length less than or equal to 64
//
// Paths are lowerCamelCase with 1-based list indices ("records.3.member.data").
type Violations struct {
	msgs []string
}

// Add records one violation. value is quoted into the message unless it is
// empty or withValue is false (blobs and long values are omitted).
func (v *Violations) Add(path, value string, withValue bool, constraint string) {
	if withValue {
		v.msgs = append(v.msgs, fmt.Sprintf("Value '%s' at '%s' failed to satisfy constraint: %s", value, path, constraint))
		return
	}
	v.msgs = append(v.msgs, fmt.Sprintf("Value at '%s' failed to satisfy constraint: %s", path, constraint))
}

// Addf records one violation whose text is written by the caller.
func (v *Violations) Addf(format string, args ...any) {
	v.msgs = append(v.msgs, fmt.Sprintf(format, args...))
}

// Len is the number of violations recorded.
func (v *Violations) Len() int { return len(v.msgs) }

// Err returns nil when nothing was recorded, else one ValidationException.
func (v *Violations) Err() error {
	switch len(v.msgs) {
	case 0:
		return nil
	case 1:
		return New(TypeValidation, "1 validation error detected: %s", v.msgs[0])
	default:
		return New(TypeValidation, "%d validation errors detected: %s", len(v.msgs), strings.Join(v.msgs, "; "))
	}
}

// As converts any error to an *Error: an *Error in the chain is returned as
// is, anything else becomes an InternalFailure with a fixed message, so that
// internal details (paths, addresses) never reach clients; log the original.
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return Internal("An internal error occurred; the service log has the details.")
}
