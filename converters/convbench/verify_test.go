package convbench

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/wasmhose/wasmhose/converters/parquet"
)

// TestDuckDBAgrees converts generated click events, in many batches and
// row groups, and has DuckDB compare the Parquet file with its own reading
// of the same JSON, row by row and column by column.
func TestDuckDBAgrees(t *testing.T) {
	readerDir := filepath.Join("..", "parquet", "testdata", "reader")
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("SKIPPED: node is not installed; the Parquet output cannot be checked by an independent reader")
	}
	if _, err := os.Stat(filepath.Join(readerDir, "node_modules", "@duckdb", "node-api")); err != nil {
		t.Skip("SKIPPED: the DuckDB reader is not installed; run: npm ci --prefix converters/parquet/testdata/reader")
	}
	n := 30000
	if testing.Short() {
		n = 3000
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "events.jsonl")
	f, err := os.Create(in)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Generate(f, n, 7); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	src, err := os.Open(in)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	pq := filepath.Join(dir, "events.parquet")
	out, err := os.Create(pq)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Convert(src, out, Config{BatchBytes: 256 << 10, Parquet: parquet.Options{BlockSizeBytes: 2 << 20, PageSizeBytes: 64 << 10}})
	if err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	if res.Records != n || res.Failed != 0 {
		t.Fatalf("converted %d records, %d failed; want %d", res.Records, res.Failed, n)
	}
	cols, err := json.Marshal(DuckDBColumns())
	if err != nil {
		t.Fatal(err)
	}
	abs := func(p string) string {
		a, err := filepath.Abs(p)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	cmd := exec.Command(node, "verify.mjs", abs(in), abs(pq), string(cols))
	cmd.Dir = readerDir
	cmd.Stderr = os.Stderr
	got, err := cmd.Output()
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	var v struct {
		JSON, Parquet, Differing int
		First                    []map[string]any
	}
	if err := json.Unmarshal(got, &v); err != nil {
		t.Fatalf("verify output %q: %v", got, err)
	}
	if v.JSON != n || v.Parquet != n || v.Differing != 0 {
		t.Fatalf("DuckDB read %d JSON rows and %d Parquet rows, %d rows differ; first: %v", v.JSON, v.Parquet, v.Differing, v.First)
	}
}
