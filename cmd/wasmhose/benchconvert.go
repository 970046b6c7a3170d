package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/wasmhose/wasmhose/converters/convbench"
	"github.com/wasmhose/wasmhose/converters/orc"
	"github.com/wasmhose/wasmhose/converters/parquet"
)

// runBenchConvert is `wasmhose bench-convert`: the format conversion
// benchmark of BENCHMARKS.md. It generates click events (or reads a file of
// them), converts them as a stream with DataFormatConversionConfiguration
// does (OpenX JSON SerDe, then Parquet or ORC) and prints records/s, MB/s,
// CPU time and peak heap.
func runBenchConvert(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bench-convert", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, "usage: wasmhose bench-convert [flags]\n\n"+
			"Converts newline-delimited click events (16 columns, ~450 bytes each) from JSON to\n"+
			"Parquet or ORC with the pipeline's decoder and writers, and reports the rate.\n\nflags:\n")
		fs.PrintDefaults()
	}
	records := fs.Int("records", 1_000_000, "click events to generate (ignored with --in)")
	in := fs.String("in", "", "newline-delimited JSON file to convert instead (the click-event table's columns)")
	keep := fs.String("keep-input", "", "write the generated events to this file too (to feed another converter, e.g. DuckDB)")
	format := fs.String("format", "parquet", "parquet or orc")
	compression := fs.String("compression", "SNAPPY", "Parquet: UNCOMPRESSED, GZIP or SNAPPY; ORC: NONE, ZLIB or SNAPPY")
	out := fs.String("out", "", "write the converted file here (default: discarded)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	cfg := convbench.Config{SampleHeap: true}
	switch *format {
	case "parquet":
		cfg.Parquet = parquet.Options{Compression: parquet.Compression(*compression)}
		if err := cfg.Parquet.Validate(); err != nil {
			fmt.Fprintln(stderr, "wasmhose bench-convert:", err)
			return 2
		}
	case "orc":
		cfg.ORC = &orc.Options{Compression: *compression}
	default:
		fmt.Fprintf(stderr, "wasmhose bench-convert: --format %q: want parquet or orc\n", *format)
		return 2
	}
	src := *in
	if src == "" {
		src = *keep
		if src == "" {
			dir, err := os.MkdirTemp("", "wasmhose-bench-convert-")
			if err != nil {
				fmt.Fprintln(stderr, "wasmhose bench-convert:", err)
				return 1
			}
			defer os.RemoveAll(dir)
			src = filepath.Join(dir, "events.json")
		}
		f, err := os.Create(src)
		if err != nil {
			fmt.Fprintln(stderr, "wasmhose bench-convert:", err)
			return 1
		}
		bw := bufio.NewWriterSize(f, 1<<20)
		n, err := convbench.Generate(bw, *records, 1)
		if err == nil {
			err = bw.Flush()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			fmt.Fprintln(stderr, "wasmhose bench-convert: generate:", err)
			return 1
		}
		fmt.Fprintf(stdout, "generated %d click events, %.1f MB, in %s\n", *records, float64(n)/1e6, src)
	}
	f, err := os.Open(src)
	if err != nil {
		fmt.Fprintln(stderr, "wasmhose bench-convert:", err)
		return 1
	}
	defer f.Close()
	var w io.Writer = io.Discard
	if *out != "" {
		o, err := os.Create(*out)
		if err != nil {
			fmt.Fprintln(stderr, "wasmhose bench-convert:", err)
			return 1
		}
		defer o.Close()
		bw := bufio.NewWriterSize(o, 1<<20)
		defer bw.Flush()
		w = bw
	}
	res, err := convbench.Convert(f, w, cfg)
	if err != nil {
		fmt.Fprintln(stderr, "wasmhose bench-convert:", err)
		return 1
	}
	fmt.Fprintf(stdout, "%s %s: %s\n", *format, *compression, res)
	return 0
}
