package plugins_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wasmhose/wasmhose/plugins"
	"github.com/wasmhose/wasmhose/plugins/blueprint"
	"github.com/wasmhose/wasmhose/plugins/internal/golden"
	wasmrt "github.com/wasmhose/wasmhose/runtime"
	"github.com/wasmhose/wasmhose/runtime/transformtest"
)

// goldenFile is one golden file of package blueprint.
type goldenFile struct {
	name   string // the blueprint
	path   string
	parsed *golden.File
}

func goldenFiles(t *testing.T) []goldenFile {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("blueprint", "testdata", "*", "*.txt"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no golden files: %v", err)
	}
	var out []goldenFile
	for _, p := range paths {
		src, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		g, err := golden.Parse(src)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		out = append(out, goldenFile{name: filepath.Base(filepath.Dir(p)), path: p, parsed: g})
	}
	return out
}

// fromBlueprint converts a native result to the runtime's.
func fromBlueprint(r blueprint.Result) wasmrt.Result {
	return wasmrt.Result{Status: wasmrt.Status(r.Status), Data: r.Data, Error: r.Error}
}

// TestConformance runs the conformance kit against every catalogue entry
// loaded from the embedded module, with the blueprint's golden files as the
// kit's golden cases (the expected results are the native blueprint's, so
// this is also the Wasm-versus-native equivalence on the golden inputs).
//
// The kit's own batches (random bytes, JSON, a 1 MiB record, …) are not log
// lines, so a parser answers most of them ProcessingFailed: the kit checks
// only the contract there (one result per record, determinism,
// independence of the batch split), which blueprints meet without any
// option. process-record also passes the identity check.
func TestConformance(t *testing.T) {
	r := runtimeForTests(t)
	files := goldenFiles(t)
	for _, p := range plugins.Catalogue().List() {
		t.Run(p.Name, func(t *testing.T) {
			var cases []transformtest.Case
			for _, g := range files {
				if g.name != p.Name || g.parsed.Config != nil {
					continue
				}
				cases = append(cases, goldenCase(t, g))
			}
			if len(cases) == 0 {
				t.Fatalf("no golden file without options for %s", p.Name)
			}
			opts := transformtest.Options{Cases: cases, Identity: p.Name == blueprint.ProcessRecord}
			transformtest.Run(t, load(t, r, p.Name, nil), opts)
		})
	}
}

// goldenCase turns a golden file into a kit case whose expected results are
// the native blueprint's, after checking those against the file.
func goldenCase(t *testing.T, g goldenFile) transformtest.Case {
	t.Helper()
	bp, err := blueprint.New(g.name, g.parsed.Config)
	if err != nil {
		t.Fatal(err)
	}
	c := transformtest.Case{Name: strings.TrimSuffix(filepath.Base(g.path), ".txt")}
	for i, rec := range g.parsed.Records {
		res := bp.Transform(rec)
		if got := golden.Result(res.Status.String(), res.Data, res.Error); i >= len(g.parsed.Expected) || got != g.parsed.Expected[i] {
			t.Fatalf("%s: record %d: the native blueprint disagrees with the golden file (run go test ./plugins/blueprint -update)", g.path, i)
		}
		c.Records = append(c.Records, wasmrt.Record{Data: rec, ArrivalMillis: 1700000000000 + int64(i)})
		c.Results = append(c.Results, fromBlueprint(res))
	}
	return c
}

// TestGoldenEquivalence runs every golden file, options included, through
// the Wasm module in one batch and through the native blueprint, and
// requires identical results.
func TestGoldenEquivalence(t *testing.T) {
	r := runtimeForTests(t)
	ctx := context.Background()
	for _, g := range goldenFiles(t) {
		t.Run(g.name+"/"+filepath.Base(g.path), func(t *testing.T) {
			p := load(t, r, g.name, g.parsed.Config)
			c := goldenCase(t, g)
			got, err := p.Transform(ctx, c.Records)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(c.Results) {
				t.Fatalf("%d results for %d records", len(got), len(c.Results))
			}
			for i := range got {
				w, n := c.Results[i], got[i]
				if n.Status != w.Status || string(n.Data) != string(w.Data) || n.Error != w.Error || len(n.PartitionKeys) != 0 {
					t.Errorf("record %d:\nwasm:   %v %q %q\nnative: %v %q %q", i, n.Status, n.Data, n.Error, w.Status, w.Data, w.Error)
				}
			}
		})
	}
}

// TestBadConfig checks that a configuration a blueprint rejects fails the
// load, with the blueprint's message.
func TestBadConfig(t *testing.T) {
	r := runtimeForTests(t)
	p, _ := plugins.Catalogue().Get(blueprint.ApachelogToJSON)
	tests := []struct {
		name, config, exp string
	}{
		{"unknown option", `{"blueprint":"apachelog-to-json","newlines":true}`, `unknown option "newlines"`},
		{"unknown blueprint", `{"blueprint":"xml"}`, "unknown blueprint"},
		{"no blueprint", `{}`, `"blueprint" is missing`},
		{"no config", ``, "want a JSON object"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := r.Load(context.Background(), "bad", p.Wasm, []byte(tc.config))
			if err == nil || !strings.Contains(err.Error(), tc.exp) {
				t.Fatalf("error %v, want one containing %q", err, tc.exp)
			}
		})
	}
}
