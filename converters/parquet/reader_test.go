package parquet

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// readerDir holds the independent reader: a Node script over DuckDB.
const readerDir = "testdata/reader"

// needReader skips the test, loudly, when Node or the reader's modules are
// missing. CI installs them with `npm ci --prefix converters/parquet/testdata/reader`.
func needReader(t testing.TB) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("SKIPPED: node is not installed; the Parquet output cannot be checked by an independent reader")
	}
	if _, err := os.Stat(filepath.Join(readerDir, "node_modules", "@duckdb", "node-api")); err != nil {
		t.Skip("SKIPPED: the DuckDB reader is not installed; run: npm ci --prefix converters/parquet/testdata/reader")
	}
	return node
}

// dumpParquet returns the reader's canonical dump of a Parquet file.
func dumpParquet(t testing.TB, node, path string) []byte {
	t.Helper()
	abs, err := filepath.Abs(path)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, "dump.mjs", abs)
	cmd.Dir = readerDir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("reader failed on %s: %v\n%s", path, err, stderr.String())
	}
	return out
}
