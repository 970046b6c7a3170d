package prefix

import (
	"errors"
	"strings"
	"testing"
	"time"
)

var fuzzSeeds = []string{
	"",
	"legacy",
	"myPrefix/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/",
	"myFirehoseFailures/!{firehose:error-output-type}/",
	"!{timestamp:yyyy'-'MM'-'dd}/",
	"customer_id=!{partitionKeyFromQuery:customer_id}/device=!{partitionKeyFromQuery:device}/",
	"!{partitionKeyFromLambda:k}/!{firehose:random-string}/",
	"!{timestamp:EEEE, MMMM d, yyyy h:mm a XXX}",
	"!{timestamp:'it''s' [yyyy]}",
	"a!b{c}d}!",
	"!{",
	"!{}",
	"!{timestamp:yyyy",
	"!{foo:bar}",
	"!{timestamp:bb}",
	"!{!{timestamp:yyyy}}",
}

// FuzzCompile checks that Compile never panics, that its errors locate the
// bad expression, and that a compiled prefix evaluates deterministically.
func FuzzCompile(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := Compile(s)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Compile(%q) error %v is %T, want *SyntaxError", s, err, err)
			}
			if se.Pos < 0 || se.Pos >= len(s) || !strings.HasPrefix(s[se.Pos:], se.Expr) || !strings.HasPrefix(se.Expr, "!{") {
				t.Fatalf("Compile(%q): SyntaxError Pos %d, Expr %q do not locate an expression", s, se.Pos, se.Expr)
			}
			return
		}
		if e.String() != s {
			t.Fatalf("String() = %q, want %q", e.String(), s)
		}
		if !strings.Contains(s, "!{") && e.HasExpressions() {
			t.Fatalf("Compile(%q) found expressions without !{", s)
		}
		q, l := e.PartitionKeyNames()
		env := Env{
			Time:            time.Date(2018, 7, 6, 23, 4, 5, 123456789, time.UTC),
			ErrorOutputType: "processing-failed",
			QueryKeys:       map[string]string{},
			LambdaKeys:      map[string]string{},
			Random:          func() string { return "046b6c7f-0b" },
		}
		for _, k := range q {
			env.QueryKeys[k] = "q"
		}
		for _, k := range l {
			env.LambdaKeys[k] = "l"
		}
		got, err := e.Eval(env)
		if err != nil {
			if !errors.Is(err, ErrTooLong) {
				t.Fatalf("Eval(%q) with every key present: %v", s, err)
			}
			return
		}
		if !e.HasExpressions() && got != s {
			t.Fatalf("Eval(%q) without expressions = %q", s, got)
		}
		if again, _ := e.Eval(env); again != got {
			t.Fatalf("Eval(%q) not deterministic: %q then %q", s, got, again)
		}
		// Validate and the effective prefixes must not panic either.
		_ = Validate(s, s, e.UsesPartitionKeys())
		if _, err := DataPrefix(s); err != nil {
			t.Fatalf("DataPrefix(%q) failed on a prefix that compiles: %v", s, err)
		}
	})
}

// FuzzDatePattern checks that the pattern compiler never panics, that a
// compiled pattern formats any instant in any offset, and that a pattern
// behaves the same inside !{timestamp:...}.
func FuzzDatePattern(f *testing.F) {
	for _, p := range []string{
		"yyyy/MM/dd/HH/", "yyyy'-'MM'-'dd", "''", "'it''s'", "[yyyy[-MM]]", "]", "#", "b",
		"G u y Y Q q M L w W D d E e c a H k K h m s S n N A X x Z O",
		"GGGG uuuuu yy YYYY QQQQ MMMMM ww DDD dd EEEE eee ccc hh kk KK SSSSSSSSS XXXXX xxxxx ZZZZ OOOO",
		"ddd", "cc", "OO", "zzzz", "p", "é/ü", "'unterminated",
	} {
		f.Add(p, int64(1530918245), int64(123456789), int64(0))
		f.Add(p, int64(-62135596800), int64(0), int64(-(7*3600 + 1)))
	}
	f.Fuzz(func(t *testing.T, pattern string, sec, nsec, offset int64) {
		p, err := CompileDatePattern(pattern)
		if err != nil {
			var pe *PatternError
			if !errors.As(err, &pe) || pe.Pos < 0 || pe.Pos >= len(pattern) {
				t.Fatalf("CompileDatePattern(%q) error %v does not locate the problem", pattern, err)
			}
		}
		// Keep years within ±100000 and offsets within java.time's ±18h.
		sec %= 100000 * 366 * 86400
		offset %= 18*3600 + 1
		tm := time.Unix(sec, nsec%1e9).In(time.FixedZone("", int(offset)))
		if err == nil {
			got := p.Format(tm)
			if again := p.Format(tm); again != got {
				t.Fatalf("Format(%q) not deterministic: %q then %q", pattern, got, again)
			}
			if !strings.ContainsAny(pattern, "'[]") && !containsLetter(pattern) && got != pattern {
				t.Fatalf("pattern %q without letters, quotes or brackets formats as %q", pattern, got)
			}
		}
		if pattern == "" || strings.Contains(pattern, "}") {
			return // not expressible as !{timestamp:PATTERN}
		}
		e, cerr := Compile("!{timestamp:" + pattern + "}")
		if (cerr == nil) != (err == nil) {
			t.Fatalf("pattern %q: CompileDatePattern error %v but Compile error %v", pattern, err, cerr)
		}
		if err == nil {
			env := Env{Time: tm, Location: tm.Location()}
			got, eerr := e.Eval(env)
			if want := p.Format(tm); eerr == nil && got != want {
				t.Fatalf("pattern %q: Eval %q, Format %q", pattern, got, want)
			}
		}
	})
}

func containsLetter(s string) bool {
	for i := 0; i < len(s); i++ {
		if isASCIILetter(s[i]) {
			return true
		}
	}
	return false
}
