package prefix

import (
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// at is the instant of the developer guide's worked example.
var at = time.Date(2018, 7, 6, 23, 4, 5, 123456789, time.UTC)

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		expExpr string
		expPos  int
		expErr  string
	}{
		{name: "unterminated", in: "a/!{timestamp:yyyy", expExpr: "!{timestamp:yyyy", expPos: 2, expErr: "unterminated expression"},
		{name: "unterminated bare", in: "!{", expExpr: "!{", expPos: 0, expErr: "unterminated expression"},
		{name: "empty", in: "x!{}", expExpr: "!{}", expPos: 1, expErr: "empty expression"},
		{name: "no colon", in: "!{timestamp}", expExpr: "!{timestamp}", expPos: 0, expErr: "missing ':'"},
		{name: "unknown namespace", in: "p/!{foo:bar}/", expExpr: "!{foo:bar}", expPos: 2, expErr: `unknown namespace "foo"`},
		{name: "namespace is case-sensitive", in: "!{Timestamp:yyyy}", expExpr: "!{Timestamp:yyyy}", expErr: "unknown namespace"},
		{name: "spaces are not trimmed", in: "!{ timestamp:yyyy}", expExpr: "!{ timestamp:yyyy}", expErr: "unknown namespace"},
		{name: "unknown firehose value", in: "!{firehose:uuid}", expExpr: "!{firehose:uuid}", expErr: `unknown firehose value "uuid"`},
		{name: "empty timestamp", in: "!{timestamp:}", expExpr: "!{timestamp:}", expErr: "empty timestamp pattern"},
		{name: "bad letter", in: "y=!{timestamp:yyyy-bb}", expExpr: "!{timestamp:yyyy-bb}", expPos: 2, expErr: `unknown pattern letter 'b' at position 5`},
		{name: "too many letters", in: "!{timestamp:ddd}", expExpr: "!{timestamp:ddd}", expErr: `too many pattern letters "ddd"`},
		{name: "unsupported letter", in: "!{timestamp:z}", expExpr: "!{timestamp:z}", expErr: `pattern letter 'z' is not supported`},
		{name: "unterminated quote", in: "!{timestamp:yyyy'x}", expExpr: "!{timestamp:yyyy'x}", expErr: "unterminated quoted text"},
		{name: "quoted brace ends the expression", in: "!{timestamp:'}'}", expExpr: "!{timestamp:'}", expErr: "unterminated quoted text"},
		{name: "empty query key", in: "!{partitionKeyFromQuery:}", expExpr: "!{partitionKeyFromQuery:}", expErr: "empty partition key name"},
		{name: "empty lambda key", in: "!{partitionKeyFromLambda:}", expExpr: "!{partitionKeyFromLambda:}", expErr: "empty partition key name"},
		{name: "second expression bad", in: "!{timestamp:yyyy}/!{firehose:x}", expExpr: "!{firehose:x}", expPos: 18, expErr: "unknown firehose value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := Compile(tt.in)
			if err == nil {
				t.Fatalf("Compile(%q) = %v, want error", tt.in, e)
			}
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("error %v is %T, want *SyntaxError", err, err)
			}
			if se.Expr != tt.expExpr || se.Pos != tt.expPos {
				t.Errorf("Expr, Pos = %q, %d; want %q, %d", se.Expr, se.Pos, tt.expExpr, tt.expPos)
			}
			if !strings.Contains(err.Error(), tt.expErr) {
				t.Errorf("error %q does not contain %q", err, tt.expErr)
			}
			if !strings.Contains(err.Error(), tt.expExpr) {
				t.Errorf("error %q does not name the expression %q", err, tt.expExpr)
			}
		})
	}
}

func TestCompileBadPatternUnwraps(t *testing.T) {
	_, err := Compile("!{timestamp:yyyy-bb}")
	var pe *PatternError
	if !errors.As(err, &pe) {
		t.Fatalf("errors.As(%v, *PatternError) = false", err)
	}
	if pe.Pattern != "yyyy-bb" || pe.Pos != 5 {
		t.Errorf("PatternError = %+v", pe)
	}
}

func TestCompileAccessors(t *testing.T) {
	tests := []struct {
		name                       string
		in                         string
		expExprs, expTime, expKeys bool
		expErrType                 bool
		expQuery, expLambda        []string
	}{
		{name: "empty", in: ""},
		{name: "literal", in: "logs/app/"},
		{name: "bang and braces are literal", in: "a!b{c}!d}{"},
		{name: "trailing bang", in: "x!"},
		{name: "timestamp", in: "a/!{timestamp:yyyy}/", expExprs: true, expTime: true},
		{name: "random", in: "!{firehose:random-string}", expExprs: true},
		{name: "error type", in: "e/!{firehose:error-output-type}/", expExprs: true, expErrType: true},
		{
			name: "keys", in: "!{partitionKeyFromQuery:a}/!{partitionKeyFromLambda:b}/!{partitionKeyFromQuery:c}/!{partitionKeyFromQuery:a}",
			expExprs: true, expKeys: true, expQuery: []string{"a", "c"}, expLambda: []string{"b"},
		},
		{name: "key with colon", in: "!{partitionKeyFromQuery:a:b}", expExprs: true, expKeys: true, expQuery: []string{"a:b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := Compile(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if e.String() != tt.in {
				t.Errorf("String() = %q, want %q", e.String(), tt.in)
			}
			if e.HasExpressions() != tt.expExprs || e.HasTimestamp() != tt.expTime ||
				e.UsesPartitionKeys() != tt.expKeys || e.HasErrorOutputType() != tt.expErrType {
				t.Errorf("HasExpressions, HasTimestamp, UsesPartitionKeys, HasErrorOutputType = %v, %v, %v, %v; want %v, %v, %v, %v",
					e.HasExpressions(), e.HasTimestamp(), e.UsesPartitionKeys(), e.HasErrorOutputType(),
					tt.expExprs, tt.expTime, tt.expKeys, tt.expErrType)
			}
			q, l := e.PartitionKeyNames()
			if !slices.Equal(q, tt.expQuery) || !slices.Equal(l, tt.expLambda) {
				t.Errorf("PartitionKeyNames() = %q, %q; want %q, %q", q, l, tt.expQuery, tt.expLambda)
			}
			if len(q) > 0 {
				q[0] = "changed"
				if q2, _ := e.PartitionKeyNames(); q2[0] == "changed" {
					t.Error("PartitionKeyNames returns the internal slice")
				}
			}
		})
	}
}

func TestEval(t *testing.T) {
	la, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]string{"customer_id": "1234", "device": "mobile", "empty": ""}
	env := Env{Time: at, ErrorOutputType: ErrorOutputProcessingFailed, QueryKeys: keys,
		LambdaKeys: map[string]string{"k": "v"}, Random: func() string { return "046b6c7f-0b" }}
	tests := []struct {
		name string
		in   string
		env  func(Env) Env
		exp  string
	}{
		{name: "documented prefix", in: "myPrefix/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/",
			exp: "myPrefix/year=2018/month=07/day=06/hour=23/"},
		{name: "documented error prefix", in: "myFirehoseFailures/!{firehose:error-output-type}/", exp: "myFirehoseFailures/processing-failed/"},
		{name: "format conversion failure", in: "f/!{firehose:error-output-type}/", exp: "f/format-conversion-failed/",
			env: func(e Env) Env { e.ErrorOutputType = ErrorOutputFormatConversionFailed; return e }},
		{name: "quoted literal", in: "!{timestamp:yyyy'-'MM'-'dd}/", exp: "2018-07-06/"},
		{name: "quoted letters", in: "!{timestamp:'year='yyyy'/month='MM}", exp: "year=2018/month=07"},
		{name: "escaped quote", in: "!{timestamp:'it''s' HH 'o''clock'}", exp: "it's 23 o'clock"},
		{name: "lone quote pair", in: "!{timestamp:''yyyy''}", exp: "'2018'"},
		{name: "time zone", in: "!{timestamp:yyyy/MM/dd/HH/}", exp: "2018/07/06/16/",
			env: func(e Env) Env { e.Location = la; return e }},
		{name: "time zone crosses the day", in: "!{timestamp:yyyy-MM-dd HH:mm xxx}", exp: "2018-07-06 16:04 -07:00",
			env: func(e Env) Env { e.Location = la; return e }},
		{name: "time zone in winter", in: "!{timestamp:HH Z}", exp: "23 -0800",
			env: func(e Env) Env { e.Time = time.Date(2018, 1, 2, 7, 0, 0, 0, time.UTC); e.Location = la; return e }},
		{name: "non-UTC input time is converted to UTC", in: "!{timestamp:HH}", exp: "23",
			env: func(e Env) Env { e.Time = at.In(la); return e }},
		{name: "partition keys", in: "customer_id=!{partitionKeyFromQuery:customer_id}/device=!{partitionKeyFromQuery:device}/!{partitionKeyFromLambda:k}/",
			exp: "customer_id=1234/device=mobile/v/"},
		{name: "empty key value", in: "a=!{partitionKeyFromQuery:empty}/", exp: "a=/"},
		{name: "random string", in: "r/!{firehose:random-string}/", exp: "r/046b6c7f-0b/"},
		{name: "literal only", in: "legacy/", exp: "legacy/"},
		{name: "empty", in: "", exp: ""},
		{name: "non-ASCII literal", in: "données/!{timestamp:yyyy}/é", exp: "données/2018/é"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := Compile(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			ev := env
			if tt.env != nil {
				ev = tt.env(ev)
			}
			got, err := e.Eval(ev)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.exp {
				t.Errorf("Eval = %q, want %q", got, tt.exp)
			}
			b, err := e.AppendEval([]byte("pre:"), ev)
			if err != nil || string(b) != "pre:"+tt.exp {
				t.Errorf("AppendEval = %q, %v; want %q", b, err, "pre:"+tt.exp)
			}
		})
	}
}

func TestEvalErrors(t *testing.T) {
	long := strings.Repeat("x", 500)
	tests := []struct {
		name   string
		in     string
		env    Env
		expIs  error
		expErr string
	}{
		{name: "missing query key", in: "!{partitionKeyFromQuery:customer_id}/", env: Env{QueryKeys: map[string]string{"other": "1"}},
			expIs: ErrMissingKey, expErr: "!{partitionKeyFromQuery:customer_id}"},
		{name: "missing lambda key", in: "!{partitionKeyFromLambda:k}/", env: Env{QueryKeys: map[string]string{"k": "1"}},
			expIs: ErrMissingKey, expErr: "!{partitionKeyFromLambda:k}"},
		{name: "nil maps", in: "!{partitionKeyFromQuery:a}", expIs: ErrMissingKey},
		{name: "no error type", in: "e/!{firehose:error-output-type}/", expIs: ErrNoErrorOutputType},
		{name: "too long", in: long + "!{timestamp:yyyy/MM/dd/HH/}", env: Env{Time: at}, expIs: ErrTooLong, expErr: "514 characters"},
		{name: "too long from key", in: "!{partitionKeyFromQuery:a}", env: Env{QueryKeys: map[string]string{"a": strings.Repeat("y", 513)}},
			expIs: ErrTooLong},
		{name: "too long literal", in: strings.Repeat("z", 513), expIs: ErrTooLong},
		{name: "astral runes count twice", in: strings.Repeat("😀", 257), expIs: ErrTooLong, expErr: "514 characters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := Compile(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			got, err := e.Eval(tt.env)
			if !errors.Is(err, tt.expIs) {
				t.Fatalf("Eval = %q, %v; want error wrapping %v", got, err, tt.expIs)
			}
			if !strings.Contains(err.Error(), tt.expErr) {
				t.Errorf("error %q does not contain %q", err, tt.expErr)
			}
			b, err := e.AppendEval([]byte("keep"), tt.env)
			if err == nil || string(b) != "keep" {
				t.Errorf("AppendEval on error = %q, %v; want the buffer unchanged and an error", b, err)
			}
		})
	}
}

func TestEvalLengthLimitBoundary(t *testing.T) {
	for _, tt := range []struct {
		name string
		in   string
	}{
		{name: "ASCII", in: strings.Repeat("a", 512)},
		{name: "two-byte runes", in: strings.Repeat("é", 512)},
		{name: "astral runes", in: strings.Repeat("😀", 256)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e, err := Compile(tt.in + "!{firehose:error-output-type}")
			if err != nil {
				t.Fatal(err)
			}
			// The error type adds nothing measurable only if empty; use a
			// one-character type and expect one over the limit.
			if _, err := e.Eval(Env{ErrorOutputType: "x"}); !errors.Is(err, ErrTooLong) {
				t.Errorf("one over the limit: err = %v, want ErrTooLong", err)
			}
			e = MustCompile(tt.in)
			if got, err := e.Eval(Env{}); err != nil || got != tt.in {
				t.Errorf("at the limit: Eval = %q, %v", got, err)
			}
		})
	}
}

func TestEvalSameInstantAndFreshRandom(t *testing.T) {
	e := MustCompile("!{timestamp:HH:mm:ss.SSSSSSSSS}/!{firehose:random-string}/!{firehose:random-string}/!{timestamp:ss.SSSSSSSSS}/!{firehose:error-output-type}-!{firehose:error-output-type}")
	got, err := e.Eval(Env{Time: at, ErrorOutputType: "processing-failed"})
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(got, "/")
	if len(parts) != 5 {
		t.Fatalf("Eval = %q", got)
	}
	if parts[0] != "23:04:05.123456789" || parts[3] != "05.123456789" {
		t.Errorf("timestamps = %q, %q: not the same instant", parts[0], parts[3])
	}
	if parts[1] == parts[2] {
		t.Errorf("two random-string occurrences share the value %q", parts[1])
	}
	if parts[4] != "processing-failed-processing-failed" {
		t.Errorf("error types = %q", parts[4])
	}
	calls := 0
	_, _ = e.Eval(Env{Time: at, ErrorOutputType: "x", Random: func() string { calls++; return "r" }})
	if calls != 2 {
		t.Errorf("Random called %d times, want once per occurrence (2)", calls)
	}
}

func TestRandomString(t *testing.T) {
	re := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{2}$`)
	seen := map[string]bool{}
	for i := 0; i < 100; i++ {
		s := RandomString()
		if len(s) != RandomStringLength || !re.MatchString(s) {
			t.Fatalf("RandomString() = %q, want 11 chars like 046b6c7f-0b", s)
		}
		if seen[s] {
			t.Fatalf("RandomString() repeated %q", s)
		}
		seen[s] = true
	}
}

func TestMustCompilePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("MustCompile did not panic on a bad prefix")
		}
	}()
	MustCompile("!{nope:x}")
}

func TestExprConcurrentEval(t *testing.T) {
	e := MustCompile("!{partitionKeyFromQuery:a}/!{timestamp:YYYY-ww}/!{firehose:random-string}")
	done := make(chan string, 8)
	for i := 0; i < 8; i++ {
		go func() {
			s, err := e.Eval(Env{Time: at, QueryKeys: map[string]string{"a": "x"}})
			if err != nil {
				s = err.Error()
			}
			done <- s
		}()
	}
	for i := 0; i < 8; i++ {
		if s := <-done; !strings.HasPrefix(s, "x/2018-27/") {
			t.Errorf("Eval = %q", s)
		}
	}
}
