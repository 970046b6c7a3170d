package prefix

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
	"unsafe"
)

// Namespaces and values of the prefix language.
const (
	NamespaceTimestamp   = "timestamp"              // !{timestamp:PATTERN}
	NamespaceFirehose    = "firehose"               // !{firehose:VALUE}
	NamespaceQueryKey    = "partitionKeyFromQuery"  // !{partitionKeyFromQuery:NAME}
	NamespaceLambdaKey   = "partitionKeyFromLambda" // !{partitionKeyFromLambda:NAME}
	ValueRandomString    = "random-string"          // !{firehose:random-string}
	ValueErrorOutputType = "error-output-type"      // !{firehose:error-output-type}
)

// Values of !{firehose:error-output-type} that an S3 destination produces.
const (
	// ErrorOutputProcessingFailed is used for records the transformation
	// Lambda failed or marked ProcessingFailed.
	ErrorOutputProcessingFailed = "processing-failed"
	// ErrorOutputFormatConversionFailed is used for records that could not
	// be converted to Parquet or ORC.
	ErrorOutputFormatConversionFailed = "format-conversion-failed"
)

// Limits on prefixes, in characters (UTF-16 code units, as Firehose's Java
// service counts them).
const (
	// MaxLength is the longest Prefix or ErrorOutputPrefix the API accepts.
	MaxLength = 1024
	// MaxEvaluatedLength is the longest prefix an evaluation may produce.
	MaxEvaluatedLength = 512
	// RandomStringLength is the length of a !{firehose:random-string} value.
	RandomStringLength = 11
)

// Errors an evaluation returns, wrapped with the details. A caller
// delivering a record routes it to the error output on any of them.
var (
	// ErrMissingKey means the prefix uses a partition key that the record
	// does not have.
	ErrMissingKey = errors.New("missing partition key")
	// ErrTooLong means the evaluated prefix is longer than
	// MaxEvaluatedLength characters.
	ErrTooLong = errors.New("evaluated prefix too long")
	// ErrNoErrorOutputType means the prefix uses
	// !{firehose:error-output-type} but Env.ErrorOutputType is empty.
	ErrNoErrorOutputType = errors.New("no error output type")
)

// partKind is what one piece of a compiled prefix produces.
type partKind uint8

const (
	partLiteral partKind = iota
	partTimestamp
	partRandom
	partErrorType
	partQueryKey
	partLambdaKey
)

// part is one piece of a compiled prefix: literal text or an expression.
type part struct {
	kind partKind
	text string       // literal text or partition key name
	pat  *DatePattern // for partTimestamp
}

// Expr is a compiled prefix: literal text and !{namespace:value}
// expressions. It is immutable and safe for concurrent use; compile it once
// and call Eval for each object (or each record, with dynamic
// partitioning).
type Expr struct {
	src        string
	parts      []part
	exprs      int  // number of expressions
	hasTime    bool // has a timestamp part
	needWeek   bool // a timestamp part needs week-based fields
	hasKeys    bool
	hasErrType bool
	query      []string // distinct partitionKeyFromQuery names, in order
	lambda     []string // distinct partitionKeyFromLambda names, in order
	litLen     int      // total length of the literal parts
}

// SyntaxError reports a prefix that Compile rejects: a malformed or
// unknown !{...} expression.
type SyntaxError struct {
	Prefix string // the whole prefix
	Expr   string // the offending expression, from "!{" up to and including "}" when there is one
	Pos    int    // byte offset of the expression's "!{" in Prefix
	Msg    string // what is wrong
	Err    error  // the underlying *PatternError for a bad timestamp pattern, or nil
}

// Error implements error.
func (e *SyntaxError) Error() string {
	return fmt.Sprintf("invalid expression %q at position %d: %s", e.Expr, e.Pos, e.Msg)
}

// Unwrap returns the underlying pattern error, if any.
func (e *SyntaxError) Unwrap() error { return e.Err }

// Compile parses a Firehose S3 prefix. Text outside !{...} is copied as is.
// An expression is !{namespace:value}, ending at the first '}', with one
// of these forms:
//
//	!{timestamp:PATTERN}             java.time.DateTimeFormatter pattern, see DatePattern
//	!{firehose:random-string}        11 random characters, new for each occurrence
//	!{firehose:error-output-type}    e.g. processing-failed
//	!{partitionKeyFromQuery:NAME}    a key extracted by the jq metadata query
//	!{partitionKeyFromLambda:NAME}   a key returned by the transformation Lambda
//
// Namespaces and firehose values are case-sensitive. On error Compile
// returns a *SyntaxError naming the expression and its position.
func Compile(s string) (*Expr, error) {
	e := &Expr{src: s}
	lit := 0 // start of the pending literal
	for i := 0; i < len(s); {
		j := strings.Index(s[i:], "!{")
		if j < 0 {
			break
		}
		start := i + j
		end := strings.IndexByte(s[start+2:], '}')
		if end < 0 {
			return nil, &SyntaxError{Prefix: s, Expr: s[start:], Pos: start, Msg: "unterminated expression: missing '}'"}
		}
		end += start + 2 // index of '}'
		p, err := parseExpr(s[start+2 : end])
		if err != nil {
			se := &SyntaxError{Prefix: s, Expr: s[start : end+1], Pos: start, Msg: err.Error()}
			var pe *PatternError
			if errors.As(err, &pe) {
				se.Err = pe
			}
			return nil, se
		}
		if start > lit {
			e.addLiteral(s[lit:start])
		}
		e.add(p)
		i = end + 1
		lit = i
	}
	if lit < len(s) {
		e.addLiteral(s[lit:])
	}
	return e, nil
}

// MustCompile is like Compile but panics on error. It is for prefixes
// written in the program, such as the package's defaults.
func MustCompile(s string) *Expr {
	e, err := Compile(s)
	if err != nil {
		panic("prefix: MustCompile(" + s + "): " + err.Error())
	}
	return e
}

// parseExpr parses the inside of !{...}.
func parseExpr(in string) (part, error) {
	ns, val, ok := strings.Cut(in, ":")
	if !ok {
		if in == "" {
			return part{}, errors.New("empty expression")
		}
		return part{}, fmt.Errorf("missing ':' between namespace and value in %q", in)
	}
	switch ns {
	case NamespaceTimestamp:
		if val == "" {
			return part{}, errors.New("empty timestamp pattern")
		}
		pat, err := CompileDatePattern(val)
		if err != nil {
			return part{}, err
		}
		return part{kind: partTimestamp, pat: pat}, nil
	case NamespaceFirehose:
		switch val {
		case ValueRandomString:
			return part{kind: partRandom}, nil
		case ValueErrorOutputType:
			return part{kind: partErrorType}, nil
		}
		return part{}, fmt.Errorf("unknown firehose value %q: want %q or %q", val, ValueRandomString, ValueErrorOutputType)
	case NamespaceQueryKey, NamespaceLambdaKey:
		if val == "" {
			return part{}, fmt.Errorf("empty partition key name in namespace %s", ns)
		}
		k := partQueryKey
		if ns == NamespaceLambdaKey {
			k = partLambdaKey
		}
		return part{kind: k, text: val}, nil
	}
	return part{}, fmt.Errorf("unknown namespace %q: want %s, %s, %s or %s", ns,
		NamespaceTimestamp, NamespaceFirehose, NamespaceQueryKey, NamespaceLambdaKey)
}

func (e *Expr) addLiteral(s string) {
	e.parts = append(e.parts, part{kind: partLiteral, text: s})
	e.litLen += len(s)
}

func (e *Expr) add(p part) {
	e.exprs++
	switch p.kind {
	case partTimestamp:
		e.hasTime = true
		e.needWeek = e.needWeek || p.pat.needWeek
	case partErrorType:
		e.hasErrType = true
	case partQueryKey:
		e.hasKeys = true
		e.query = appendUnique(e.query, p.text)
	case partLambdaKey:
		e.hasKeys = true
		e.lambda = appendUnique(e.lambda, p.text)
	}
	e.parts = append(e.parts, p)
}

func appendUnique(list []string, s string) []string {
	for _, v := range list {
		if v == s {
			return list
		}
	}
	return append(list, s)
}

// String returns the source text the expression was compiled from.
func (e *Expr) String() string { return e.src }

// HasExpressions reports whether the prefix contains any !{...}
// expression.
func (e *Expr) HasExpressions() bool { return e.exprs > 0 }

// HasTimestamp reports whether the prefix contains a !{timestamp:...}
// expression.
func (e *Expr) HasTimestamp() bool { return e.hasTime }

// HasErrorOutputType reports whether the prefix contains a
// !{firehose:error-output-type} expression.
func (e *Expr) HasErrorOutputType() bool { return e.hasErrType }

// UsesPartitionKeys reports whether the prefix contains a
// !{partitionKeyFromQuery:...} or !{partitionKeyFromLambda:...}
// expression.
func (e *Expr) UsesPartitionKeys() bool { return e.hasKeys }

// PartitionKeyNames returns the distinct partition key names the prefix
// uses, in order of first use, for each namespace. The slices are copies.
func (e *Expr) PartitionKeyNames() (fromQuery, fromLambda []string) {
	return append([]string(nil), e.query...), append([]string(nil), e.lambda...)
}

// Env is what an evaluation sees.
type Env struct {
	// Time is the approximate arrival time of the oldest record in the
	// object. Every !{timestamp:...} of a prefix formats this instant.
	Time time.Time
	// Location is the stream's CustomTimeZone; nil means UTC.
	Location *time.Location
	// ErrorOutputType is the value of !{firehose:error-output-type}, such
	// as "processing-failed" or "format-conversion-failed"; "" outside
	// error prefixes.
	ErrorOutputType string
	// QueryKeys holds the record's partitionKeyFromQuery values.
	QueryKeys map[string]string
	// LambdaKeys holds the record's partitionKeyFromLambda values.
	LambdaKeys map[string]string
	// Random returns the value of one !{firehose:random-string}; it is
	// called once per occurrence. Nil means RandomString.
	Random func() string
}

// Eval evaluates the prefix. It fails, with an error wrapping ErrMissingKey,
// when a partition key the prefix uses is not in Env; with ErrTooLong when
// the result is longer than MaxEvaluatedLength characters; and with
// ErrNoErrorOutputType when the prefix uses !{firehose:error-output-type}
// and Env.ErrorOutputType is empty.
//
// # Notes
//
// A partition key that is present with the empty string as its value
// evaluates to the empty string. Partition key values are inserted as
// they are, without escaping.
func (e *Expr) Eval(env Env) (string, error) {
	if e.exprs == 0 && len(e.src) <= MaxEvaluatedLength {
		return e.src, nil // no expressions: the source is the result
	}
	b, err := e.AppendEval(make([]byte, 0, e.litLen+16*e.exprs), env)
	if err != nil {
		return "", err
	}
	// b is not retained, so it can back the string without a copy, as
	// strings.Builder does.
	return unsafe.String(unsafe.SliceData(b), len(b)), nil
}

// AppendEval is like Eval but appends the result to b and returns the
// extended buffer, so a caller on the hot path can reuse one buffer. On
// error it returns b unchanged.
func (e *Expr) AppendEval(b []byte, env Env) ([]byte, error) {
	start := len(b)
	var tf timeFields
	if e.hasTime {
		t := env.Time
		if env.Location != nil {
			t = t.In(env.Location)
		} else {
			t = t.UTC()
		}
		tf.set(t, e.needWeek)
	}
	for i := range e.parts {
		p := &e.parts[i]
		switch p.kind {
		case partLiteral:
			b = append(b, p.text...)
		case partTimestamp:
			b = p.pat.appendFields(b, &tf)
		case partRandom:
			if env.Random != nil {
				b = append(b, env.Random()...)
			} else {
				b = appendRandom(b)
			}
		case partErrorType:
			if env.ErrorOutputType == "" {
				return b[:start], fmt.Errorf("evaluate prefix %q: !{firehose:error-output-type}: %w", e.src, ErrNoErrorOutputType)
			}
			b = append(b, env.ErrorOutputType...)
		case partQueryKey, partLambdaKey:
			m, ns := env.QueryKeys, NamespaceQueryKey
			if p.kind == partLambdaKey {
				m, ns = env.LambdaKeys, NamespaceLambdaKey
			}
			v, ok := m[p.text]
			if !ok {
				return b[:start], fmt.Errorf("evaluate prefix %q: !{%s:%s}: %w", e.src, ns, p.text, ErrMissingKey)
			}
			b = append(b, v...)
		}
	}
	if n := utf16Len(b[start:]); n > MaxEvaluatedLength {
		return b[:start], fmt.Errorf("evaluate prefix %q: result has %d characters, more than %d: %w", e.src, n, MaxEvaluatedLength, ErrTooLong)
	}
	return b, nil
}

// utf16Len returns the length of b in UTF-16 code units, as Java's
// String.length counts it. Invalid bytes count one each.
func utf16Len(b []byte) int {
	if len(b) <= MaxEvaluatedLength {
		return len(b) // no encoding has more code units than bytes
	}
	n := 0
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		b = b[size:]
		n++
		if r >= 0x10000 {
			n++
		}
	}
	return n
}

// RandomString returns a crypto-random !{firehose:random-string} value:
// RandomStringLength characters shaped like the start of a random UUID,
// eight lowercase hex digits, a dash and two more, e.g. "046b6c7f-0b".
func RandomString() string {
	return string(appendRandom(make([]byte, 0, RandomStringLength)))
}

func appendRandom(b []byte) []byte {
	var r [5]byte
	_, _ = rand.Read(r[:]) // crypto/rand.Read never returns an error
	var out [RandomStringLength]byte
	hex.Encode(out[:8], r[:4])
	out[8] = '-'
	hex.Encode(out[9:], r[4:])
	return append(b, out[:]...)
}
