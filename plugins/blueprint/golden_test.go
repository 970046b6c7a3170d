package blueprint_test

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/wasmhose/wasmhose/plugins/blueprint"
	"github.com/wasmhose/wasmhose/plugins/internal/golden"
)

var update = flag.Bool("update", false, "rewrite the expected output of the golden files in testdata/")

// TestGolden runs every testdata/<blueprint>/*.txt file through its
// blueprint and compares the results with the file's expected output.
func TestGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/*/*.txt")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, path := range files {
		name := filepath.Base(filepath.Dir(path))
		seen[name] = true
		t.Run(name+"/"+filepath.Base(path), func(t *testing.T) {
			src, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			f, err := golden.Parse(src)
			if err != nil {
				t.Fatal(err)
			}
			bp, err := blueprint.New(name, f.Config)
			if err != nil {
				t.Fatal(err)
			}
			got := make([]string, len(f.Records))
			for i, rec := range f.Records {
				r := bp.Transform(rec)
				got[i] = golden.Result(r.Status.String(), r.Data, r.Error)
			}
			if *update {
				if err := os.WriteFile(path, f.Format(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if len(f.Expected) != len(got) {
				t.Fatalf("%d expected lines for %d records (run go test -update to rewrite)", len(f.Expected), len(got))
			}
			for i := range got {
				if got[i] != f.Expected[i] {
					t.Errorf("record %d:\n got: %s\nwant: %s", i, got[i], f.Expected[i])
				}
			}
		})
	}
	for _, name := range blueprint.Names() {
		if !seen[name] {
			t.Errorf("no golden file for blueprint %s", name)
		}
	}
}
