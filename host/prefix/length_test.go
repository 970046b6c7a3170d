package prefix

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// boundInstants are instants whose formatting is longest in some field:
// long month and day names, two-digit hours, the largest fractions, the
// first and last years, and zones with odd offsets.
func boundInstants(t testing.TB) []time.Time {
	var zones []*time.Location
	for _, name := range []string{"UTC", "Africa/Monrovia", "Asia/Kathmandu", "America/St_Johns", "Pacific/Kiritimati", "Pacific/Niue"} {
		loc, err := time.LoadLocation(name)
		if err != nil {
			t.Fatalf("time zone %s: %v", name, err)
		}
		zones = append(zones, loc)
	}
	zones = append(zones, time.FixedZone("odd", -(12*3600+34*60+56)))
	base := []time.Time{
		time.Date(2026, 9, 23, 23, 59, 59, 999_999_999, time.UTC), // Wednesday, September
		time.Date(1, 1, 2, 0, 0, 0, 0, time.UTC),                  // years 1 to 9999 in every zone
		time.Date(9999, 12, 30, 12, 0, 0, 0, time.UTC),
		time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC), // before standard time zones: LMT offsets with seconds
		time.Date(2026, 12, 30, 13, 5, 9, 123_456_789, time.UTC),
	}
	var out []time.Time
	for _, b := range base {
		for _, z := range zones {
			out = append(out, b.In(z))
		}
	}
	return out
}

// FuzzMaxEval checks that no evaluation is longer than MaxEval, in
// characters or in bytes.
func FuzzMaxEval(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	for _, s := range []string{"!{timestamp:GGGG EEEE MMMM QQQQ a ZZZZ OOOO xxxxx XXXXX nnnnnnnnn NNNNNN AAAAAAAA SSSSSSSSS DDD ww W e}", "!{timestamp:'ü'y}ü/", "!{firehose:error-output-type}"} {
		f.Add(s)
	}
	instants := boundInstants(f)
	f.Fuzz(func(t *testing.T, s string) {
		e, err := Compile(s)
		if err != nil {
			return
		}
		max := e.MaxEval()
		for _, at := range instants {
			for _, typ := range errorOutputTypes {
				b, err := e.AppendEval(nil, Env{Time: at, Location: at.Location(), ErrorOutputType: typ,
					QueryKeys: map[string]string{}, LambdaKeys: map[string]string{}})
				if errors.Is(err, ErrTooLong) {
					if max.Chars <= MaxEvaluatedLength {
						t.Fatalf("%q at %v: %v, but MaxEval = %+v", s, at, err, max)
					}
					continue
				}
				if err != nil {
					continue // a missing partition key
				}
				if got := lengthOf(string(b)); got.Chars > max.Chars || got.Bytes > max.Bytes {
					t.Fatalf("%q at %v = %q: %+v, more than MaxEval %+v", s, at, b, got, max)
				}
			}
		}
	})
}

func TestMaxObjectNameLength(t *testing.T) {
	name := ObjectName("s", "9223372036854775807", time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), nil, "a9fa96af-e4e4-409f-bac3-1f804714faaa", ".parquet")
	if got := MaxObjectNameLength("s", ".parquet"); got != len(name) {
		t.Fatalf("MaxObjectNameLength = %d, want %d (%s)", got, len(name), name)
	}
}

func TestValidateKeys(t *testing.T) {
	long := strings.Repeat("a", 1000)
	tests := []struct {
		name, prefix, errPrefix, stream, ext string
		expField                             string
		expRule                              Rule
	}{
		{name: "defaults", stream: "s"},
		{name: "ordinary", prefix: "logs/!{timestamp:yyyy/MM/dd}/", errPrefix: "errors/!{firehose:error-output-type}/", stream: "s", ext: ".gz"},
		{name: "1000-character prefix", prefix: long, stream: "s", expField: FieldPrefix, expRule: RuleEvaluatedLength},
		{name: "1000-character error prefix", errPrefix: long, stream: "s", expField: FieldErrorOutputPrefix, expRule: RuleEvaluatedLength},
		// "legacy" + yyyy/MM/dd/HH/ is 14 more: 498 + 14 = 512 fits.
		{name: "longest literal prefix", prefix: strings.Repeat("a", 498), errPrefix: "e/", stream: "s"},
		{name: "one character too long", prefix: strings.Repeat("a", 499), errPrefix: "e/", stream: "s", expField: FieldPrefix, expRule: RuleEvaluatedLength},
		// The default error prefix appends the error type and a timestamp to Prefix.
		{name: "default error prefix too long", prefix: strings.Repeat("a", 480), stream: "s", expField: FieldErrorOutputPrefix, expRule: RuleEvaluatedLength},
		{name: "month names", prefix: strings.Repeat("!{timestamp:MMMM}", 57), errPrefix: "e/", stream: "s", expField: FieldPrefix, expRule: RuleEvaluatedLength},
		{name: "random strings", prefix: strings.Repeat("!{firehose:random-string}", 47), errPrefix: "e/", stream: "s", expField: FieldPrefix, expRule: RuleEvaluatedLength},
		// 400 three-byte characters are 400 characters but 1,200 bytes.
		{name: "multi-byte characters", prefix: strings.Repeat("€", 400), errPrefix: "e/", stream: "s", expField: FieldPrefix, expRule: RuleKeyLength},
		{name: "long stream name and extension", prefix: strings.Repeat("€", 283) + "!{timestamp:yyyy}", errPrefix: "e/", stream: strings.Repeat("n", 64), ext: "." + strings.Repeat("x", 127), expField: FieldPrefix, expRule: RuleKeyLength},
		{name: "fits with a short name", prefix: strings.Repeat("€", 283) + "!{timestamp:yyyy}", errPrefix: "e/", stream: "n", ext: ".gz"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateKeys(tt.prefix, tt.errPrefix, tt.stream, tt.ext)
			if tt.expRule == 0 {
				if err != nil {
					t.Fatalf("ValidateKeys: %v", err)
				}
				return
			}
			var ve *ValidationError
			if !errors.As(err, &ve) || ve.Field != tt.expField || ve.Rule != tt.expRule || !errors.Is(err, ErrInvalidPrefix) {
				t.Fatalf("ValidateKeys = %v, want %s breaking %s", err, tt.expField, tt.expRule)
			}
			if !strings.Contains(ve.Msg, tt.expField) {
				t.Fatalf("message %q does not name %s", ve.Msg, tt.expField)
			}
		})
	}
}
