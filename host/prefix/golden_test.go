package prefix

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the expected sections of testdata/golden/*.txt")

const goldenSep = "----------"

// TestGolden evaluates the prefixes in testdata/golden/*.txt. Each file is
// Caddy style: an input section, a line of ten dashes, and the expected
// section. Input lines are prefixes, one per line (<empty> stands for ""),
// blank lines and lines starting with '#' are skipped, and lines starting
// with '@' set the environment for the lines after them:
//
//	@time RFC3339            Env.Time (default 2018-07-06T23:04:05.123456789Z)
//	@zone NAME               Env.Location ("" or UTC for UTC)
//	@error-output-type TYPE  Env.ErrorOutputType
//	@query k=v ...           Env.QueryKeys (replaces them; no pairs clears)
//	@lambda k=v ...          Env.LambdaKeys
//	@mode raw|data|error     evaluate Compile(line), DataPrefix(line) or ErrorPrefix(line, @prefix)
//	@prefix TEXT             the Prefix for mode error
//	@object STREAM VERSION UUID [EXT]   append ObjectName (so lines are whole keys); "@object" alone stops
//
// The expected section has one line per prefix: the result, or "error: "
// and the error. !{firehose:random-string} yields r0000000001, r0000000002,
// ... in order through the file. Run with -update to rewrite the expected
// sections.
func TestGolden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "golden", "*.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no golden files")
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			input, expected, ok := strings.Cut(string(data), "\n"+goldenSep+"\n")
			if !ok {
				t.Fatalf("%s: no %q separator line", file, goldenSep)
			}
			got, err := runGolden(input)
			if err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			if *update {
				out := input + "\n" + goldenSep + "\n" + strings.Join(got, "\n") + "\n"
				if err := os.WriteFile(file, []byte(out), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want := strings.Split(strings.TrimSuffix(expected, "\n"), "\n")
			if len(want) != len(got) {
				t.Fatalf("%s: %d expected lines for %d prefixes (run with -update?)", file, len(want), len(got))
			}
			for i := range want {
				if want[i] != got[i] {
					t.Errorf("%s: line %d of the expected section:\n got  %q\n want %q", file, i+1, got[i], want[i])
				}
			}
		})
	}
}

func runGolden(input string) ([]string, error) {
	env := Env{Time: time.Date(2018, 7, 6, 23, 4, 5, 123456789, time.UTC)}
	n := 0
	env.Random = func() string { n++; return fmt.Sprintf("r%010d", n) }
	mode, errPrefix := "raw", ""
	var object []string
	var out []string
	for lineNo, line := range strings.Split(input, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasPrefix(line, "@") {
			name, arg, _ := strings.Cut(line[1:], " ")
			var err error
			switch name {
			case "time":
				env.Time, err = time.Parse(time.RFC3339Nano, arg)
			case "zone":
				env.Location = nil
				if arg != "" && arg != "UTC" {
					env.Location, err = time.LoadLocation(arg)
				}
			case "error-output-type":
				env.ErrorOutputType = arg
			case "query":
				env.QueryKeys, err = parsePairs(arg)
			case "lambda":
				env.LambdaKeys, err = parsePairs(arg)
			case "mode":
				if arg != "raw" && arg != "data" && arg != "error" {
					err = fmt.Errorf("unknown mode %q", arg)
				}
				mode = arg
			case "prefix":
				errPrefix = arg
			case "object":
				object = strings.Fields(arg)
				if len(object) != 0 && len(object) != 3 && len(object) != 4 {
					err = fmt.Errorf("@object wants STREAM VERSION UUID [EXT]")
				}
			default:
				err = fmt.Errorf("unknown directive @%s", name)
			}
			if err != nil {
				return nil, fmt.Errorf("input line %d: %w", lineNo+1, err)
			}
			continue
		}
		if line == "<empty>" {
			line = ""
		}
		out = append(out, evalGoldenLine(line, mode, errPrefix, object, env))
	}
	return out, nil
}

func evalGoldenLine(line, mode, errPrefix string, object []string, env Env) string {
	var e *Expr
	var err error
	switch mode {
	case "raw":
		e, err = Compile(line)
	case "data":
		e, err = DataPrefix(line)
	case "error":
		e, err = ErrorPrefix(line, errPrefix)
	}
	if err != nil {
		return "error: " + err.Error()
	}
	b, err := e.AppendEval(nil, env)
	if err != nil {
		return "error: " + err.Error()
	}
	if len(object) > 0 {
		ext := ""
		if len(object) == 4 {
			ext = object[3]
		}
		b = AppendObjectName(b, object[0], object[1], env.Time, env.Location, object[2], ext)
	}
	if bytes.ContainsAny(b, "\n\r") {
		return fmt.Sprintf("%q", b)
	}
	return string(b)
}

func parsePairs(s string) (map[string]string, error) {
	m := map[string]string{}
	for _, f := range strings.Fields(s) {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			return nil, fmt.Errorf("pair %q has no '='", f)
		}
		m[k] = v
	}
	return m, nil
}
