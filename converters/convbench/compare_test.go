package convbench

import (
	"encoding/json"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/wasmhose/wasmhose/converters/parquet"
)

var (
	benchRecords = flag.Int("records", 0, "TestCompare: records to convert (0 skips the comparison run)")
	benchDuckDB  = flag.Bool("duckdb", false, "TestCompare: also time DuckDB on the same file (needs node and the reader's modules)")
	blockSize    = flag.Int("blocksize", 0, "TestCompare: ParquetSerDe BlockSizeBytes (0: the 256 MiB default)")
	batchBytes   = flag.Int("batchbytes", 0, "TestCompare: Arrow batch size in bytes (0: Config's default)")
)

// TestCompare is the side-by-side run for BENCHMARKS.md:
//
//	go test ./converters/convbench -run Compare -records 1000000 -duckdb -v
//
// It reports figures and asserts nothing about speed.
func TestCompare(t *testing.T) {
	if *benchRecords == 0 {
		t.Skip("comparison run not requested (-records N)")
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "events.jsonl")
	f, err := os.Create(in)
	if err != nil {
		t.Fatal(err)
	}
	size, err := Generate(f, *benchRecords, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	t.Logf("input: %d records, %.1f MB, %.0f bytes a record", *benchRecords, float64(size)/1e6, float64(size)/float64(*benchRecords))
	// One core: Go may run one goroutine at a time (GOMAXPROCS 1) and the
	// writer encodes in the caller's goroutine, like DuckDB with threads=1.
	// Then the default: the writer's own goroutine encodes while the caller
	// decodes, on every core.
	for _, run := range []struct {
		name  string
		procs int
	}{{"one core", 1}, {"default", 0}} {
		src, err := os.Open(in)
		if err != nil {
			t.Fatal(err)
		}
		out, err := os.Create(filepath.Join(dir, "out.parquet"))
		if err != nil {
			t.Fatal(err)
		}
		procs := runtime.GOMAXPROCS(0)
		if run.procs > 0 {
			runtime.GOMAXPROCS(run.procs)
		}
		using := runtime.GOMAXPROCS(0)
		res, err := Convert(src, out, Config{SampleHeap: true, BatchBytes: *batchBytes, Parquet: parquet.Options{BlockSizeBytes: int64(*blockSize), Synchronous: run.procs == 1}})
		runtime.GOMAXPROCS(procs)
		src.Close()
		out.Close()
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("wasmhose %s (GOMAXPROCS %d): %s; %.2f cores busy on average", run.name, using, res, res.CPU.Seconds()/res.Elapsed.Seconds())
	}
	if !*benchDuckDB {
		return
	}
	cols, err := json.Marshal(DuckDBColumns())
	if err != nil {
		t.Fatal(err)
	}
	for _, threads := range []string{"1", "default"} {
		cmd := exec.Command("node", "bench.mjs", in, filepath.Join(dir, "duck-"+threads+".parquet"), threads, string(cols))
		cmd.Dir = "../parquet/testdata/reader"
		cmd.Stderr = os.Stderr
		got, err := cmd.Output()
		if err != nil {
			t.Fatalf("duckdb (threads=%s): %v", threads, err)
		}
		var r struct {
			Seconds      float64
			CPUSeconds   float64
			Records      int
			PeakRSSBytes int64
		}
		if err := json.Unmarshal(got, &r); err != nil {
			t.Fatalf("duckdb output %q: %v", got, err)
		}
		t.Logf("duckdb threads=%s: %d records in %.2fs (CPU %.2fs): %.0f records/s, %.1f MB/s, %.0f records per CPU second, peak RSS %.0f MiB",
			threads, r.Records, r.Seconds, r.CPUSeconds, float64(r.Records)/r.Seconds, float64(size)/1e6/r.Seconds, float64(r.Records)/r.CPUSeconds, float64(r.PeakRSSBytes)/(1<<20))
	}
}
