package prefix

import (
	"errors"
	"fmt"
)

// Field names, as the API spells them.
const (
	FieldPrefix            = "Prefix"            // the data prefix
	FieldErrorOutputPrefix = "ErrorOutputPrefix" // the error prefix
)

// DefaultTimestampPattern is the timestamp Firehose uses when Prefix is
// empty and appends to a Prefix without expressions.
const DefaultTimestampPattern = "yyyy/MM/dd/HH/"

// ErrInvalidPrefix is wrapped by every *ValidationError: a Prefix or
// ErrorOutputPrefix breaks a create-time rule. The API reports it as
// InvalidArgumentException, or as ValidationException for RuleLength.
var ErrInvalidPrefix = errors.New("invalid prefix")

// Rule names a create-time rule that Validate checks.
type Rule uint8

// The rules, in the order Validate checks them.
const (
	// RuleLength: each raw prefix is at most MaxLength characters. This is
	// an API model constraint (ValidationException), not a semantic rule.
	RuleLength Rule = iota + 1
	// RuleSyntax: each prefix compiles (see Compile).
	RuleSyntax
	// RuleErrorOutputTypeInPrefix: Prefix must not contain
	// !{firehose:error-output-type}.
	RuleErrorOutputTypeInPrefix
	// RuleKeysNeedDynamicPartitioning: partitionKeyFromQuery and
	// partitionKeyFromLambda are allowed only with dynamic partitioning.
	RuleKeysNeedDynamicPartitioning
	// RuleKeysInErrorPrefix: ErrorOutputPrefix must not contain partition
	// keys.
	RuleKeysInErrorPrefix
	// RuleKeysRequired: with dynamic partitioning, Prefix must use at least
	// one partition key.
	RuleKeysRequired
	// RuleErrorPrefixRequired: ErrorOutputPrefix is required when Prefix
	// contains expressions (and so always with dynamic partitioning).
	RuleErrorPrefixRequired
	// RuleErrorOutputTypeRequired: an ErrorOutputPrefix with expressions
	// must contain !{firehose:error-output-type}.
	RuleErrorOutputTypeRequired
	// RuleEvaluatedLength: the prefix Firehose evaluates (see DataPrefix
	// and ErrorPrefix) can never be longer than MaxEvaluatedLength
	// characters. ValidateKeys checks it.
	RuleEvaluatedLength
	// RuleKeyLength: an evaluated prefix and the object name together can
	// never be longer than MaxKeyLength bytes. ValidateKeys checks it.
	RuleKeyLength
)

var ruleNames = [...]string{
	RuleLength:                      "length",
	RuleSyntax:                      "syntax",
	RuleErrorOutputTypeInPrefix:     "error-output-type-in-prefix",
	RuleKeysNeedDynamicPartitioning: "keys-need-dynamic-partitioning",
	RuleKeysInErrorPrefix:           "keys-in-error-prefix",
	RuleKeysRequired:                "keys-required",
	RuleErrorPrefixRequired:         "error-prefix-required",
	RuleErrorOutputTypeRequired:     "error-output-type-required",
	RuleEvaluatedLength:             "evaluated-length",
	RuleKeyLength:                   "key-length",
}

// String returns a short kebab-case name for the rule.
func (r Rule) String() string {
	if int(r) < len(ruleNames) && ruleNames[r] != "" {
		return ruleNames[r]
	}
	return fmt.Sprintf("Rule(%d)", uint8(r))
}

// Messages Firehose is known to send. The first keeps Firehose's typo
// "Ths", as reported verbatim by users of the real service.
const (
	msgErrorPrefixRequired = "Ths supplied prefix(es) do not satisfy the following constraint: " +
		"ErrorOutputPrefix cannot be null or empty when Prefix contains expressions"
	msgKeysNeedDynamicPartitioning = "Dynamic Partitioning Namespaces can only be part of a prefix " +
		"expression when Dynamic Partitioning is enabled."
)

// ValidationError reports a prefix that breaks a create-time rule. Its
// message is Firehose's text where that is known, and otherwise names the
// field and the rule.
type ValidationError struct {
	Field string // FieldPrefix or FieldErrorOutputPrefix
	Rule  Rule   // the rule broken
	Msg   string // the message, Firehose's text where known
	Err   error  // the *SyntaxError for RuleSyntax, else nil
}

// Error returns the message.
func (e *ValidationError) Error() string { return e.Msg }

// Unwrap returns ErrInvalidPrefix and, for RuleSyntax, the *SyntaxError.
func (e *ValidationError) Unwrap() []error {
	if e.Err != nil {
		return []error{ErrInvalidPrefix, e.Err}
	}
	return []error{ErrInvalidPrefix}
}

// Validate checks Prefix and ErrorOutputPrefix as CreateDeliveryStream and
// UpdateDestination do, and returns nil or the first broken rule as a
// *ValidationError, checking in the order of the Rule constants:
//
//  1. each raw prefix is at most MaxLength characters;
//  2. each prefix compiles;
//  3. Prefix does not contain !{firehose:error-output-type};
//  4. partition-key namespaces appear only with dynamic partitioning;
//  5. ErrorOutputPrefix does not contain partition keys;
//  6. with dynamic partitioning, Prefix uses at least one partition key;
//  7. ErrorOutputPrefix is not empty when Prefix contains expressions;
//  8. an ErrorOutputPrefix with expressions contains at least one
//     !{firehose:error-output-type}.
//
// An empty string stands for an omitted field, as in the API.
//
// # Notes
//
// The rule that ErrorOutputPrefix is required with dynamic partitioning
// follows from rules 6 and 7: a Prefix with partition keys has expressions.
// The messages for rules 4 and 7 are Firehose's, as users of the real
// service have reported them (rule 7's keeps its typo "Ths"); the others
// are this package's own, since Firehose's are not known. An ErrorOutputPrefix without
// expressions, such as "errors/", is accepted.
func Validate(prefix, errorOutputPrefix string, dynamicPartitioning bool) error {
	for _, f := range [...]struct{ name, v string }{{FieldPrefix, prefix}, {FieldErrorOutputPrefix, errorOutputPrefix}} {
		if n := utf16Len([]byte(f.v)); n > MaxLength {
			return &ValidationError{Field: f.name, Rule: RuleLength,
				Msg: fmt.Sprintf("%s must have length less than or equal to %d, got %d", f.name, MaxLength, n)}
		}
	}
	p, err := compileField(FieldPrefix, prefix)
	if err != nil {
		return err
	}
	ep, err := compileField(FieldErrorOutputPrefix, errorOutputPrefix)
	if err != nil {
		return err
	}
	if p.HasErrorOutputType() {
		return &ValidationError{Field: FieldPrefix, Rule: RuleErrorOutputTypeInPrefix,
			Msg: "Prefix cannot contain !{firehose:error-output-type}; it is allowed only in ErrorOutputPrefix"}
	}
	if !dynamicPartitioning && (p.UsesPartitionKeys() || ep.UsesPartitionKeys()) {
		field := FieldPrefix
		if !p.UsesPartitionKeys() {
			field = FieldErrorOutputPrefix
		}
		return &ValidationError{Field: field, Rule: RuleKeysNeedDynamicPartitioning, Msg: msgKeysNeedDynamicPartitioning}
	}
	if ep.UsesPartitionKeys() {
		return &ValidationError{Field: FieldErrorOutputPrefix, Rule: RuleKeysInErrorPrefix,
			Msg: "ErrorOutputPrefix cannot contain partitionKeyFromQuery or partitionKeyFromLambda expressions"}
	}
	if dynamicPartitioning && !p.UsesPartitionKeys() {
		return &ValidationError{Field: FieldPrefix, Rule: RuleKeysRequired,
			Msg: "Prefix must contain at least one partitionKeyFromQuery or partitionKeyFromLambda expression " +
				"when Dynamic Partitioning is enabled"}
	}
	if p.HasExpressions() && errorOutputPrefix == "" {
		return &ValidationError{Field: FieldErrorOutputPrefix, Rule: RuleErrorPrefixRequired, Msg: msgErrorPrefixRequired}
	}
	if ep.HasExpressions() && !ep.HasErrorOutputType() {
		return &ValidationError{Field: FieldErrorOutputPrefix, Rule: RuleErrorOutputTypeRequired,
			Msg: "ErrorOutputPrefix must contain at least one !{firehose:error-output-type} expression " +
				"when it contains expressions"}
	}
	return nil
}

func compileField(field, s string) (*Expr, error) {
	e, err := Compile(s)
	if err != nil {
		return nil, &ValidationError{Field: field, Rule: RuleSyntax, Msg: field + ": " + err.Error(), Err: err}
	}
	return e, nil
}

// ValidateKeys checks that every object a stream called stream can write
// fits S3's limits, whatever the time of its records: the prefixes Firehose
// evaluates for data and error objects (DataPrefix and ErrorPrefix of the
// configured Prefix and ErrorOutputPrefix) at most MaxEvaluatedLength
// characters (RuleEvaluatedLength), and each of them followed by the
// longest object name, with extension ext, at most MaxKeyLength bytes
// (RuleKeyLength). It returns nil or a *ValidationError; prefixes that do
// not compile or break Validate's rules are left to Validate.
//
// Eval refuses a longer prefix for every object, so a stream that breaks
// either rule could never deliver a record: Firehose accepts such a stream
// and fails each delivery; this package's callers refuse it at
// CreateDeliveryStream and UpdateDestination. Bounds are from MaxEval
// (partition key values, known only per record, count as empty) and
// MaxObjectNameLength.
func ValidateKeys(prefix, errorOutputPrefix, stream, ext string) error {
	dp, err := DataPrefix(prefix)
	if err != nil {
		return nil
	}
	name := MaxObjectNameLength(stream, ext)
	if err := checkKeys(FieldPrefix, prefix, dp, name); err != nil {
		return err
	}
	ep, err := ErrorPrefix(errorOutputPrefix, prefix)
	if err != nil {
		return nil
	}
	return checkKeys(FieldErrorOutputPrefix, errorOutputPrefix, ep, name)
}

func checkKeys(field, configured string, e *Expr, name int) error {
	n := e.MaxEval()
	shown := fmt.Sprintf("%s %q", field, truncate(configured))
	if configured == "" {
		shown = fmt.Sprintf("The default %s", field)
	}
	if e.String() != configured {
		shown += fmt.Sprintf(" (evaluated as %q)", truncate(e.String()))
	}
	if n.Chars > MaxEvaluatedLength {
		return &ValidationError{Field: field, Rule: RuleEvaluatedLength,
			Msg: fmt.Sprintf("%s evaluates to up to %d characters, more than the %d an evaluated prefix may have", shown, n.Chars, MaxEvaluatedLength)}
	}
	if n.Bytes+name > MaxKeyLength {
		return &ValidationError{Field: field, Rule: RuleKeyLength,
			Msg: fmt.Sprintf("%s evaluates to up to %d bytes, which with an object name of up to %d bytes makes keys longer than S3's %d bytes", shown, n.Bytes, name, MaxKeyLength)}
	}
	return nil
}

// truncate shortens s for a message.
func truncate(s string) string {
	if r := []rune(s); len(r) > 64 {
		return string(r[:61]) + "..."
	}
	return s
}

// Default effective prefixes, compiled once. They are immutable.
var (
	defaultDataPrefix  = MustCompile("!{timestamp:" + DefaultTimestampPattern + "}")
	defaultErrorPrefix = MustCompile("!{firehose:error-output-type}/!{timestamp:" + DefaultTimestampPattern + "}")
)

// DataPrefix returns the expression Firehose actually evaluates for data
// objects, given the configured Prefix:
//
//   - "" becomes !{timestamp:yyyy/MM/dd/HH/};
//   - a prefix without expressions gets !{timestamp:yyyy/MM/dd/HH/}
//     appended by plain concatenation, no '/' inserted, so "legacy"
//     evaluates to "legacy2026/07/13/14/";
//   - a prefix with expressions is used as is.
//
// # Notes
//
// The developer guide says a timestamp is appended whenever the prefix has
// no !{timestamp:...}, but its own dynamic-partitioning example (partition
// keys only) gets nothing appended; this follows the example.
func DataPrefix(prefix string) (*Expr, error) {
	if prefix == "" {
		return defaultDataPrefix, nil
	}
	e, err := Compile(prefix)
	if err != nil {
		return nil, fmt.Errorf("data prefix: %w", err)
	}
	if e.HasExpressions() {
		return e, nil
	}
	// prefix has no "!{", so the concatenation parses as prefix followed
	// by the default expression, even when prefix ends with '!'.
	return Compile(prefix + defaultDataPrefix.src)
}

// ErrorPrefix returns the expression Firehose actually evaluates for error
// objects (processing-failed, format-conversion-failed, ...), given the
// configured ErrorOutputPrefix and Prefix. A non-empty errorOutputPrefix is
// used as is. An empty one becomes
// <prefix>!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd/HH/}, which
// is allowed only when prefix has no expressions; otherwise ErrorPrefix
// returns a *ValidationError for RuleErrorPrefixRequired.
//
// # Notes
//
// The developer guide contradicts itself about the default error prefix.
// Its rule says <prefix><error-output-type>YYYY/MM/DDD/HH/ (DDD being the
// day of year, with no '/' after the type); its example table shows
// myFirehosePrefix/processing-failed/2018/08/27/ (no hour). This function
// uses the layout commonly seen on real streams,
// <prefix><error-output-type>/yyyy/MM/dd/HH/, which is unverified against
// the service. A literal errorOutputPrefix such as "errors/" gets no
// timestamp appended, also unverified.
func ErrorPrefix(errorOutputPrefix, prefix string) (*Expr, error) {
	if errorOutputPrefix != "" {
		e, err := Compile(errorOutputPrefix)
		if err != nil {
			return nil, fmt.Errorf("error output prefix: %w", err)
		}
		return e, nil
	}
	if prefix == "" {
		return defaultErrorPrefix, nil
	}
	p, err := Compile(prefix)
	if err != nil {
		return nil, fmt.Errorf("error output prefix from prefix: %w", err)
	}
	if p.HasExpressions() {
		return nil, &ValidationError{Field: FieldErrorOutputPrefix, Rule: RuleErrorPrefixRequired, Msg: msgErrorPrefixRequired}
	}
	return Compile(prefix + defaultErrorPrefix.src)
}
