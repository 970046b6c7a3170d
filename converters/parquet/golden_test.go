package parquet

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/wasmhose/wasmhose/converters/hive"
	"github.com/wasmhose/wasmhose/converters/jsonserde"
)

var update = flag.Bool("update", false, "rewrite the expected part of the golden files")

const separator = "----------"

// goldenCase is a testdata/golden/*.txt file: a header of "key: value"
// lines, the table's columns ("name type", one a line, after "columns:"),
// the records (one Firehose record a line, after "records:"), the
// separator, and the expected outcome: one line per record ("ok" or the
// error), then the independent reader's dump of the Parquet file.
type goldenCase struct {
	serde   string // openx or hive
	openx   jsonserde.OpenXOptions
	hive    jsonserde.HiveOptions
	parquet Options
	batch   int // rows per batch handed to the writer; 0 means all
	columns []hive.Column
	records []string
	input   string // everything before the separator
	want    string
}

func parseGolden(t *testing.T, path string) goldenCase {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	input, want, ok := strings.Cut(string(raw), "\n"+separator+"\n")
	if !ok {
		input, want = strings.TrimSuffix(string(raw), "\n"+separator+"\n"), ""
		input = strings.TrimSuffix(input, separator+"\n")
	}
	g := goldenCase{serde: "openx", input: input, want: want}
	section := ""
	for _, line := range strings.Split(input, "\n") {
		switch {
		case section == "records":
			if line != "" {
				g.records = append(g.records, line)
			}
			continue
		case line == "" || strings.HasPrefix(line, "#"):
			continue
		case line == "columns:" || line == "records:":
			section = strings.TrimSuffix(line, ":")
			continue
		case section == "columns":
			name, typ, _ := strings.Cut(line, " ")
			g.columns = append(g.columns, hive.Column{Name: name, Type: strings.TrimSpace(typ)})
			continue
		}
		key, val, _ := strings.Cut(line, ":")
		val = strings.TrimSpace(val)
		var err error
		switch key {
		case "serde":
			g.serde = val
		case "openx":
			err = json.Unmarshal([]byte(val), &g.openx)
		case "hive":
			err = json.Unmarshal([]byte(val), &g.hive)
		case "parquet":
			err = json.Unmarshal([]byte(val), &g.parquet)
		case "batch":
			_, err = fmt.Sscan(val, &g.batch)
		default:
			err = fmt.Errorf("unknown header %q", key)
		}
		if err != nil {
			t.Fatalf("%s: header %q: %v", path, line, err)
		}
	}
	return g
}

// run converts the case's records and returns the outcome lines and the
// Parquet file.
func (g goldenCase) run(t *testing.T, dir string) (string, string) {
	t.Helper()
	schema, err := hive.ArrowSchema(g.columns)
	if err != nil {
		t.Fatal(err)
	}
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	var dec *jsonserde.Decoder
	if g.serde == "hive" {
		dec, err = jsonserde.NewHive(schema, g.hive, mem)
	} else {
		dec, err = jsonserde.NewOpenX(schema, g.openx, mem)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Release()
	path := filepath.Join(dir, "out.parquet")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	opts := g.parquet
	opts.Allocator = mem
	w, err := NewWriter(f, schema, opts)
	if err != nil {
		t.Fatal(err)
	}
	flush := func() {
		b, err := dec.NewBatch()
		if err != nil {
			t.Fatal(err)
		}
		defer b.Release()
		if err := w.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	var outcome strings.Builder
	for _, r := range g.records {
		err := dec.Append([]byte(r))
		var re *jsonserde.RecordError
		switch {
		case err == nil:
			outcome.WriteString("ok\n")
		case errors.As(err, &re):
			fmt.Fprintf(&outcome, "%s: %s\n", re.Code, re.Message)
		default:
			t.Fatalf("record %s: %v", r, err)
		}
		if g.batch > 0 && dec.Rows() >= g.batch {
			flush()
		}
	}
	flush()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return outcome.String(), path
}

func TestGolden(t *testing.T) {
	node := needReader(t)
	files, err := filepath.Glob("testdata/golden/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden files: %v", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			g := parseGolden(t, file)
			outcome, pq := g.run(t, t.TempDir())
			got := outcome + string(dumpParquet(t, node, pq))
			if *update {
				if err := os.WriteFile(file, []byte(g.input+"\n"+separator+"\n"+got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if got != g.want {
				t.Errorf("%s: output differs (run with -update to accept)\n%s", file, lineDiff(g.want, got))
			}
		})
	}
}

// lineDiff shows the first differing lines.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b bytes.Buffer
	shown := 0
	for i := 0; i < max(len(w), len(g)) && shown < 10; i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			fmt.Fprintf(&b, "line %d:\n  want %s\n  got  %s\n", i+1, wl, gl)
			shown++
		}
	}
	return b.String()
}
