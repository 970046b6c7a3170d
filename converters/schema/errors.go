package schema

import (
	"fmt"
	"net/http"
	"strings"
)

// Glue's error shapes that the registry answers with.
const (
	// TypeEntityNotFound: a database, table or version does not exist.
	TypeEntityNotFound = "EntityNotFoundException"
	// TypeAlreadyExists: a database or table of that name exists.
	TypeAlreadyExists = "AlreadyExistsException"
	// TypeInvalidInput: the request is well-formed but cannot be honoured
	// (a column type that does not parse, a bad NextToken, …).
	TypeInvalidInput = "InvalidInputException"
	// TypeConcurrentModification: UpdateTable's VersionId is not the
	// table's latest version.
	TypeConcurrentModification = "ConcurrentModificationException"
	// TypeValidation: a member breaks the model's constraints (a required
	// member missing, a name too long, MaxResults out of range), as the
	// AWS request-validation layer reports it.
	TypeValidation = "ValidationException"
	// TypeSerialization: the body is not JSON of the request's shape.
	TypeSerialization = "SerializationException"
	// TypeUnknownOperation: the X-Amz-Target names no operation served here.
	TypeUnknownOperation = "UnknownOperationException"
)

// Error is an error answered to a Glue API client: a shape name and a
// message. Every Error is a client error (HTTP 400); failures of the store
// itself are plain wrapped errors, which the API answers as internal.
type Error struct {
	// Type is the error shape name (the JSON "__type").
	Type string
	// Message is the human-readable text.
	Message string
}

// Error implements error.
func (e *Error) Error() string { return e.Type + ": " + e.Message }

// ErrorShape returns the shape name and the HTTP status, for the API layer.
func (e *Error) ErrorShape() (typ string, status int) { return e.Type, http.StatusBadRequest }

// ErrorMessage returns the message alone.
func (e *Error) ErrorMessage() string { return e.Message }

// Is reports whether target is an *Error of the same Type, so that
// errors.Is(err, schema.ErrEntityNotFound) matches any message.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Type == e.Type
}

// Sentinels for errors.Is; they match any message of their shape.
var (
	// ErrEntityNotFound matches every EntityNotFoundException.
	ErrEntityNotFound error = &Error{Type: TypeEntityNotFound}
	// ErrAlreadyExists matches every AlreadyExistsException.
	ErrAlreadyExists error = &Error{Type: TypeAlreadyExists}
	// ErrInvalidInput matches every InvalidInputException.
	ErrInvalidInput error = &Error{Type: TypeInvalidInput}
)

func newError(typ, format string, args ...any) *Error {
	return &Error{Type: typ, Message: fmt.Sprintf(format, args...)}
}

func notFound(format string, args ...any) *Error {
	return newError(TypeEntityNotFound, format, args...)
}

func invalidInput(format string, args ...any) *Error {
	return newError(TypeInvalidInput, format, args...)
}

// violations collects model-constraint violations and reports them as one
// ValidationException in the AWS wording:
//
//	1 validation error detected: Value '0' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1
type violations struct {
	msgs []string
}

func (v *violations) add(path, value string, constraint string) {
	v.msgs = append(v.msgs, fmt.Sprintf("Value '%s' at '%s' failed to satisfy constraint: %s", value, path, constraint))
}

func (v *violations) addNull(path string) {
	v.msgs = append(v.msgs, fmt.Sprintf("Value null at '%s' failed to satisfy constraint: Member must not be null", path))
}

func (v *violations) err() error {
	switch len(v.msgs) {
	case 0:
		return nil
	case 1:
		return newError(TypeValidation, "1 validation error detected: %s", v.msgs[0])
	default:
		return newError(TypeValidation, "%d validation errors detected: %s", len(v.msgs), strings.Join(v.msgs, "; "))
	}
}

// Model constraints of the Glue shapes used here (botocore
// glue/2017-03-31/service-2.json).
const (
	maxNameLen        = 255    // NameString, CatalogIdString, VersionString, KeyString
	maxDescriptionLen = 2048   // DescriptionString
	maxCommentLen     = 255    // CommentString
	maxTypeLen        = 131072 // ColumnTypeString
	maxLocationLen    = 2056   // LocationString
	maxURILen         = 1024   // URI
	maxFormatLen      = 128    // FormatString
	maxTableTypeLen   = 255    // TableTypeString
	maxParamValueLen  = 512000 // ParametersMapValue
	maxPageSize       = 100    // CatalogGetterPageSize
)

// validText reports whether s matches Glue's string pattern
// [\u0020-\uD7FF\uE000-\uFFFD\uD800\uDC00-\uDBFF\uDFFF\t]*: printable
// characters and tab; with multiline, also CR and LF.
func validText(s string, multiline bool) bool {
	for _, r := range s {
		switch {
		case r == '\t':
		case multiline && (r == '\r' || r == '\n'):
		case r == 0xFFFD: // also what invalid UTF-8 decodes to; Go's JSON decoder already replaced those
		case r >= 0x20 && r <= 0xD7FF, r >= 0xE000 && r < 0xFFFE, r >= 0x10000 && r <= 0x10FFFF:
		default:
			return false
		}
	}
	return true
}

const textPattern = `Member must satisfy regular expression pattern: [\u0020-\uD7FF\uE000-\uFFFD\uD800\uDC00-\uDBFF\uDFFF\t]*`

// checkString records a violation when s breaks a string shape's length or
// pattern. min 0 allows the empty string.
func (v *violations) checkString(path, s string, minLen, maxLen int, multiline bool) {
	n := len([]rune(s))
	switch {
	case n < minLen:
		v.add(path, s, fmt.Sprintf("Member must have length greater than or equal to %d", minLen))
	case n > maxLen:
		v.add(path, shorten(s), fmt.Sprintf("Member must have length less than or equal to %d", maxLen))
	case !validText(s, multiline):
		v.add(path, shorten(s), textPattern)
	}
}

// checkName checks a required NameString.
func (v *violations) checkName(path string, s *string) {
	if s == nil {
		v.addNull(path)
		return
	}
	v.checkString(path, *s, 1, maxNameLen, false)
}

// checkOptName checks an optional NameString-like member (CatalogId,
// VersionId).
func (v *violations) checkOptName(path string, s *string) {
	if s != nil {
		v.checkString(path, *s, 1, maxNameLen, false)
	}
}

func (v *violations) checkParams(path string, m map[string]string) {
	for k, val := range m {
		if n := len([]rune(k)); n < 1 || n > maxNameLen || !validText(k, false) {
			v.add(path, shorten(k), "Map keys must satisfy constraint: [Member must have length less than or equal to 255, Member must have length greater than or equal to 1, "+textPattern+"]")
		}
		if len([]rune(val)) > maxParamValueLen {
			v.add(path+"."+k, shorten(val), fmt.Sprintf("Member must have length less than or equal to %d", maxParamValueLen))
		}
	}
}

func (v *violations) checkPageSize(path string, n *int) {
	if n == nil {
		return
	}
	if *n < 1 {
		v.add(path, fmt.Sprint(*n), "Member must have value greater than or equal to 1")
	} else if *n > maxPageSize {
		v.add(path, fmt.Sprint(*n), fmt.Sprintf("Member must have value less than or equal to %d", maxPageSize))
	}
}

// shorten keeps long values out of messages.
func shorten(s string) string {
	if r := []rune(s); len(r) > 64 {
		return string(r[:64]) + "…"
	}
	return s
}
