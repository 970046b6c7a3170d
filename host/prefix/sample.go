package prefix

import (
	"strings"
	"time"
)

// Sample is a key an object of a stream could have, built by SampleKeys.
type Sample struct {
	// Field is the prefix the key comes from: FieldPrefix or
	// FieldErrorOutputPrefix.
	Field string
	// Key is the evaluated prefix followed by an object name.
	Key string
}

// sampleTimes are instants whose keys are the longest of their kind: a
// September Wednesday at 23:59:59.999999999 (long month and day names,
// two-digit fields, every fraction digit), and the first day of a year.
var sampleTimes = [...]time.Time{
	time.Date(2026, 9, 23, 23, 59, 59, 999_999_999, time.UTC),
	time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC),
}

// sampleUUID stands for the random UUID of an object name.
const sampleUUID = "a9fa96af-e4e4-409f-bac3-1f804714faaa"

// SampleKeys returns keys that objects of the stream called stream, with
// extension ext and time zone loc (nil: UTC), could have under the
// prefixes Firehose evaluates for the configured Prefix and
// ErrorOutputPrefix (see DataPrefix and ErrorPrefix): for a few instants
// chosen for long fields, each error output type, and a 19-digit
// VersionId. Partition keys are given the value "key". A store with rules
// of its own on key shapes (a file system's) checks them before accepting
// a configuration, so that what it can never write is refused up front
// rather than retried; literal text is in every sample, so a shape broken
// by the configured text itself is always caught.
//
// Prefixes that do not compile give no samples: Validate reports them.
func SampleKeys(prefix, errorOutputPrefix, stream, ext string, loc *time.Location) []Sample {
	if loc == nil {
		loc = time.UTC
	}
	var out []Sample
	add := func(field string, e *Expr, types []string) {
		q, l := e.PartitionKeyNames()
		env := Env{Location: loc, QueryKeys: map[string]string{}, LambdaKeys: map[string]string{},
			Random: func() string { return strings.Repeat("f", 8) + "-ff" }}
		for _, k := range q {
			env.QueryKeys[k] = "key"
		}
		for _, k := range l {
			env.LambdaKeys[k] = "key"
		}
		for _, at := range sampleTimes {
			env.Time = at.In(loc)
			for _, typ := range types {
				env.ErrorOutputType = typ
				p, err := e.Eval(env)
				if err != nil {
					continue // too long: ValidateKeys reports it
				}
				out = append(out, Sample{Field: field, Key: p + ObjectName(stream, "9223372036854775807", env.Time, loc, sampleUUID, ext)})
			}
		}
	}
	if dp, err := DataPrefix(prefix); err == nil {
		add(FieldPrefix, dp, []string{""})
	}
	if ep, err := ErrorPrefix(errorOutputPrefix, prefix); err == nil {
		add(FieldErrorOutputPrefix, ep, errorOutputTypes[:])
	}
	return out
}
