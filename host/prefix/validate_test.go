package prefix

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestValidate(t *testing.T) {
	const (
		ts     = "!{timestamp:yyyy/MM/dd/HH/}"
		errOut = "errors/!{firehose:error-output-type}/"
		byKey  = "customer_id=!{partitionKeyFromQuery:customer_id}/"
	)
	tests := []struct {
		name     string
		prefix   string
		errorOut string
		dp       bool
		expRule  Rule
		expField string
		expErr   string
	}{
		// Accepted.
		{name: "both omitted"},
		{name: "literal prefix", prefix: "legacy/"},
		{name: "literal prefix and literal error prefix", prefix: "data/", errorOut: "errors/"},
		{name: "literal prefix and error prefix with type", prefix: "data/", errorOut: errOut},
		{name: "documented example", prefix: "myPrefix/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/",
			errorOut: "myFirehoseFailures/!{firehose:error-output-type}/"},
		{name: "literal error prefix with expression prefix", prefix: ts, errorOut: "errors/"},
		{name: "random string in both", prefix: "!{firehose:random-string}/", errorOut: "!{firehose:random-string}/!{firehose:error-output-type}/"},
		{name: "dynamic partitioning", prefix: byKey + "!{partitionKeyFromLambda:k}/" + ts, errorOut: errOut + ts, dp: true},
		{name: "max length", prefix: strings.Repeat("p", MaxLength), errorOut: strings.Repeat("e", MaxLength)},

		// Rule 1: length.
		{name: "prefix too long", prefix: strings.Repeat("p", MaxLength+1), expRule: RuleLength, expField: FieldPrefix,
			expErr: "Prefix must have length less than or equal to 1024, got 1025"},
		{name: "error prefix too long", errorOut: strings.Repeat("e", MaxLength+1), expRule: RuleLength, expField: FieldErrorOutputPrefix},
		{name: "length counts UTF-16 units", prefix: strings.Repeat("😀", 513), expRule: RuleLength, expField: FieldPrefix, expErr: "got 1026"},

		// Rule 2: syntax.
		{name: "prefix syntax", prefix: "a/!{foo:bar}", errorOut: errOut, expRule: RuleSyntax, expField: FieldPrefix,
			expErr: `Prefix: invalid expression "!{foo:bar}" at position 2: unknown namespace "foo"`},
		{name: "prefix unterminated", prefix: "a/!{timestamp:yyyy", expRule: RuleSyntax, expField: FieldPrefix, expErr: "unterminated"},
		{name: "error prefix syntax", prefix: ts, errorOut: "!{firehose:error-output-type}/!{timestamp:bb}", expRule: RuleSyntax,
			expField: FieldErrorOutputPrefix, expErr: "ErrorOutputPrefix: invalid expression"},

		// Rule 3: error-output-type only in ErrorOutputPrefix.
		{name: "error type in prefix", prefix: "!{firehose:error-output-type}/", errorOut: errOut, expRule: RuleErrorOutputTypeInPrefix,
			expField: FieldPrefix, expErr: "Prefix cannot contain !{firehose:error-output-type}"},

		// Rule 4: partition keys need dynamic partitioning.
		{name: "query key without dynamic partitioning", prefix: byKey, errorOut: errOut, expRule: RuleKeysNeedDynamicPartitioning,
			expField: FieldPrefix, expErr: "Dynamic Partitioning Namespaces can only be part of a prefix expression when Dynamic Partitioning is enabled."},
		{name: "lambda key without dynamic partitioning", prefix: "!{partitionKeyFromLambda:k}/", errorOut: errOut,
			expRule: RuleKeysNeedDynamicPartitioning, expField: FieldPrefix},
		{name: "key in error prefix without dynamic partitioning", prefix: ts, errorOut: errOut + "!{partitionKeyFromQuery:a}/",
			expRule: RuleKeysNeedDynamicPartitioning, expField: FieldErrorOutputPrefix},

		// Rule 5: no partition keys in ErrorOutputPrefix.
		{name: "key in error prefix", prefix: byKey, errorOut: errOut + "!{partitionKeyFromLambda:k}/", dp: true,
			expRule: RuleKeysInErrorPrefix, expField: FieldErrorOutputPrefix, expErr: "ErrorOutputPrefix cannot contain partitionKeyFromQuery"},

		// Rule 6: dynamic partitioning needs a partition key in Prefix.
		{name: "dynamic partitioning without keys", prefix: ts, errorOut: errOut, dp: true, expRule: RuleKeysRequired,
			expField: FieldPrefix, expErr: "Prefix must contain at least one partitionKeyFromQuery or partitionKeyFromLambda"},
		{name: "dynamic partitioning with empty prefix", dp: true, expRule: RuleKeysRequired, expField: FieldPrefix},

		// Rule 7: ErrorOutputPrefix required when Prefix has expressions.
		{name: "expressions without error prefix", prefix: ts, expRule: RuleErrorPrefixRequired, expField: FieldErrorOutputPrefix,
			expErr: "Ths supplied prefix(es) do not satisfy the following constraint: ErrorOutputPrefix cannot be null or empty when Prefix contains expressions"},
		{name: "random string without error prefix", prefix: "!{firehose:random-string}", expRule: RuleErrorPrefixRequired},
		{name: "dynamic partitioning without error prefix", prefix: byKey, dp: true, expRule: RuleErrorPrefixRequired,
			expField: FieldErrorOutputPrefix},

		// Rule 8: an ErrorOutputPrefix with expressions needs the error type.
		{name: "error prefix without type", prefix: ts, errorOut: "errors/" + ts, expRule: RuleErrorOutputTypeRequired,
			expField: FieldErrorOutputPrefix, expErr: "ErrorOutputPrefix must contain at least one !{firehose:error-output-type}"},
		{name: "error prefix with only random string", prefix: "data/", errorOut: "!{firehose:random-string}/",
			expRule: RuleErrorOutputTypeRequired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Validate(tt.prefix, tt.errorOut, tt.dp)
			if tt.expRule == 0 {
				if err != nil {
					t.Fatalf("Validate = %v, want nil", err)
				}
				return
			}
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Validate = %v (%T), want *ValidationError", err, err)
			}
			if !errors.Is(err, ErrInvalidPrefix) {
				t.Error("error does not wrap ErrInvalidPrefix")
			}
			if ve.Rule != tt.expRule {
				t.Errorf("Rule = %v, want %v (%v)", ve.Rule, tt.expRule, err)
			}
			if tt.expField != "" && ve.Field != tt.expField {
				t.Errorf("Field = %q, want %q", ve.Field, tt.expField)
			}
			if !strings.Contains(err.Error(), tt.expErr) {
				t.Errorf("error %q does not contain %q", err, tt.expErr)
			}
			if tt.expRule == RuleSyntax {
				var se *SyntaxError
				if !errors.As(err, &se) {
					t.Error("syntax rule error does not unwrap to *SyntaxError")
				}
			}
		})
	}
}

func TestRuleString(t *testing.T) {
	if got := RuleErrorPrefixRequired.String(); got != "error-prefix-required" {
		t.Errorf("String() = %q", got)
	}
	if got := Rule(200).String(); got != "Rule(200)" {
		t.Errorf("String() = %q", got)
	}
}

func TestDataPrefix(t *testing.T) {
	now := time.Date(2026, 7, 13, 14, 15, 16, 0, time.UTC)
	tests := []struct {
		name    string
		prefix  string
		expSrc  string
		exp     string
		expKeys bool
	}{
		{name: "empty", prefix: "", expSrc: "!{timestamp:yyyy/MM/dd/HH/}", exp: "2026/07/13/14/"},
		{name: "legacy without slash", prefix: "legacy", expSrc: "legacy!{timestamp:yyyy/MM/dd/HH/}", exp: "legacy2026/07/13/14/"},
		{name: "legacy with slash", prefix: "logs/", expSrc: "logs/!{timestamp:yyyy/MM/dd/HH/}", exp: "logs/2026/07/13/14/"},
		{name: "legacy ending in bang", prefix: "wow!", expSrc: "wow!!{timestamp:yyyy/MM/dd/HH/}", exp: "wow!2026/07/13/14/"},
		{name: "expressions as is", prefix: "y=!{timestamp:yyyy}/", expSrc: "y=!{timestamp:yyyy}/", exp: "y=2026/"},
		{name: "keys only as is", prefix: "c=!{partitionKeyFromQuery:c}/", expSrc: "c=!{partitionKeyFromQuery:c}/", exp: "c=7/", expKeys: true},
		{name: "random only as is", prefix: "!{firehose:random-string}/", expSrc: "!{firehose:random-string}/", exp: "rrrrrrrrrrr/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := DataPrefix(tt.prefix)
			if err != nil {
				t.Fatal(err)
			}
			if e.String() != tt.expSrc {
				t.Errorf("String() = %q, want %q", e.String(), tt.expSrc)
			}
			got, err := e.Eval(Env{Time: now, QueryKeys: map[string]string{"c": "7"}, Random: func() string { return "rrrrrrrrrrr" }})
			if err != nil || got != tt.exp {
				t.Errorf("Eval = %q, %v; want %q", got, err, tt.exp)
			}
			if e.UsesPartitionKeys() != tt.expKeys {
				t.Errorf("UsesPartitionKeys() = %v", e.UsesPartitionKeys())
			}
		})
	}
	if _, err := DataPrefix("!{bad:x}"); err == nil || !strings.Contains(err.Error(), "data prefix") {
		t.Errorf("DataPrefix(bad) error = %v, want wrapped syntax error", err)
	}
}

func TestErrorPrefix(t *testing.T) {
	now := time.Date(2018, 8, 27, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name      string
		errorOut  string
		prefix    string
		expSrc    string
		exp       string
		expRule   Rule
		expErrStr string
	}{
		{name: "given", errorOut: "myFirehoseFailures/!{firehose:error-output-type}/", prefix: "!{timestamp:yyyy}/",
			expSrc: "myFirehoseFailures/!{firehose:error-output-type}/", exp: "myFirehoseFailures/processing-failed/"},
		{name: "given literal", errorOut: "errors/", prefix: "data/", expSrc: "errors/", exp: "errors/"},
		{name: "both omitted", expSrc: "!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd/HH/}", exp: "processing-failed/2018/08/27/10/"},
		{name: "omitted with literal prefix", prefix: "myFirehosePrefix/",
			expSrc: "myFirehosePrefix/!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd/HH/}",
			exp:    "myFirehosePrefix/processing-failed/2018/08/27/10/"},
		{name: "omitted with legacy prefix", prefix: "legacy", exp: "legacyprocessing-failed/2018/08/27/10/",
			expSrc: "legacy!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd/HH/}"},
		{name: "omitted with expression prefix", prefix: "!{timestamp:yyyy}/", expRule: RuleErrorPrefixRequired},
		{name: "given but bad", errorOut: "!{firehose:oops}", expErrStr: "error output prefix: invalid expression"},
		{name: "omitted with bad prefix", prefix: "!{oops", expErrStr: "unterminated"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := ErrorPrefix(tt.errorOut, tt.prefix)
			if tt.expRule != 0 || tt.expErrStr != "" {
				var ve *ValidationError
				if tt.expRule != 0 && (!errors.As(err, &ve) || ve.Rule != tt.expRule) {
					t.Fatalf("ErrorPrefix error = %v, want rule %v", err, tt.expRule)
				}
				if err == nil || !strings.Contains(err.Error(), tt.expErrStr) {
					t.Fatalf("ErrorPrefix error = %v, want it to contain %q", err, tt.expErrStr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if e.String() != tt.expSrc {
				t.Errorf("String() = %q, want %q", e.String(), tt.expSrc)
			}
			got, err := e.Eval(Env{Time: now, ErrorOutputType: ErrorOutputProcessingFailed})
			if err != nil || got != tt.exp {
				t.Errorf("Eval = %q, %v; want %q", got, err, tt.exp)
			}
		})
	}
}

// TestEffectivePrefixesPassValidate checks that the defaults DataPrefix and
// ErrorPrefix supply for a valid configuration are themselves valid.
func TestEffectivePrefixesPassValidate(t *testing.T) {
	for _, p := range []string{"", "legacy", "logs/"} {
		d, err := DataPrefix(p)
		if err != nil {
			t.Fatal(err)
		}
		e, err := ErrorPrefix("", p)
		if err != nil {
			t.Fatal(err)
		}
		if err := Validate(d.String(), e.String(), false); err != nil {
			t.Errorf("Validate(DataPrefix(%q), ErrorPrefix(\"\", %q)) = %v", p, p, err)
		}
	}
}
