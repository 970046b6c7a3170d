package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	wasmrt "github.com/wasmhose/wasmhose/runtime"
	"github.com/wasmhose/wasmhose/runtime/transformtest"
)

// testReport prints one line per check and counts the outcomes.
type testReport struct {
	w              io.Writer
	passed, failed int
}

// Check prints "PASS name" or "FAIL name: violations".
func (r *testReport) Check(name string, violations []string) {
	if len(violations) == 0 {
		r.passed++
		fmt.Fprintf(r.w, "PASS %s\n", name)
		return
	}
	r.failed++
	const show = 3
	detail := strings.Join(violations[:min(len(violations), show)], "; ")
	if n := len(violations) - show; n > 0 {
		detail += fmt.Sprintf("; and %d more", n)
	}
	fmt.Fprintf(r.w, "FAIL %s: %s\n", name, detail)
}

func runPluginTest(args []string, stdout, stderr io.Writer) int {
	const prog = "wasmhose plugin test"
	fs := flag.NewFlagSet("plugin test", flag.ContinueOnError)
	fs.SetOutput(stderr)
	about := "Runs the conformance kit (runtime/transformtest) against a plugin module: golden and\n" +
		"generated batches, size limits and hostile inputs, with the configuration --config;\n" +
		"then the cases of --cases: JSON lines of an input record and its expected result, or\n" +
		"of a configuration init must refuse, e.g.\n\n" +
		"  {\"name\":\"upper\",\"input\":\"a\",\"status\":\"Ok\",\"data\":\"A\",\"keys\":{\"k\":\"v\"}}\n" +
		"  {\"config\":\"{\\\"delimiter\\\":\\\"ab\\\"}\",\"init_error\":\"delimiter must be one character\"}\n\n" +
		"Fields: name, config (the configuration's bytes; absent: --config), input or\n" +
		"input_base64, status (Ok, Dropped, ProcessingFailed), data or data_base64, error,\n" +
		"keys, init_error. Prints one line per check, PASS or FAIL with what failed, then a\n" +
		"summary. Exit status: 0 when every check passes, 1 when one fails, 2 on a usage error.\n"
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: wasmhose plugin test [--config JSON] [--cases FILE] [flags] FILE.wasm\n\n%s\nflags:\n", about)
		fs.PrintDefaults()
	}
	cfg := fs.String("config", "", "configuration passed to the plugin's init (JSON)")
	casesPath := fs.String("cases", "", "a cases file: JSON lines of input records and expected results")
	identity := fs.Bool("identity", false, "also require every record back Ok and unchanged")
	stateful := fs.Bool("stateful", false, "skip the determinism check (the plugin keeps state between batches)")
	batchDep := fs.Bool("batch-dependent", false, "skip the split check (a result may depend on other records of its batch)")
	seed := fs.Uint64("seed", 1, "seed of the generated batches")
	rf := addRuntimeFlags(fs, "deadline of each batch and of init")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return flagExit(err)
	}
	usageErr := func(msg string) int { return usageExit(stderr, prog, fs, msg) }
	switch {
	case len(pos) != 1:
		return usageErr("give one module file")
	case *cfg != "" && !json.Valid([]byte(*cfg)):
		return usageErr(fmt.Sprintf("--config is not valid JSON: %s", *cfg))
	case rf.problem() != "":
		return usageErr(rf.problem())
	}
	var cases []transformtest.FileCase
	if *casesPath != "" {
		f, err := os.Open(*casesPath)
		if err != nil {
			return usageErr(err.Error())
		}
		cases, err = transformtest.ReadCases(f)
		f.Close()
		if err != nil {
			return usageErr(fmt.Sprintf("%s: %v", *casesPath, err))
		}
	}
	wasm, err := os.ReadFile(pos[0])
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", prog, err)
		return 1
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	rt, err := wasmrt.New(ctx, rf.config(logger))
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", prog, err)
		return 1
	}
	defer func() {
		if err := rt.Close(context.WithoutCancel(ctx)); err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", prog, err)
		}
	}()

	rep := &testReport{w: stdout}
	opts := transformtest.Options{Identity: *identity, Stateful: *stateful, BatchDependent: *batchDep, Seed: *seed}
	groups := groupCases(cases, []byte(*cfg))
	var loaded []*wasmrt.Plugin
	for i, g := range groups {
		if p := testConfig(ctx, rep, rt, filepath.Base(pos[0]), wasm, g, opts, i == 0); p != nil {
			loaded = append(loaded, p)
		}
	}
	// The plugins stay open until the end: while one is, the runtime keeps
	// the compiled module, and loading another configuration is cheap.
	for _, p := range loaded {
		if err := p.Close(context.WithoutCancel(ctx)); err != nil {
			rep.Check("close", []string{err.Error()})
		}
	}
	fmt.Fprintf(stdout, "%d passed, %d failed\n", rep.passed, rep.failed)
	if rep.failed > 0 {
		return 1
	}
	return 0
}

// caseGroup is the cases that share one configuration.
type caseGroup struct {
	config []byte
	cases  []transformtest.FileCase
}

// groupCases groups cases by configuration, the default one (--config)
// first, the others in the order they first appear.
func groupCases(cases []transformtest.FileCase, def []byte) []caseGroup {
	groups := []caseGroup{{config: def}}
	for _, c := range cases {
		cfg := def
		if c.HasConfig {
			cfg = c.Config
		}
		i := 0
		for i < len(groups) && !bytes.Equal(groups[i].config, cfg) {
			i++
		}
		if i == len(groups) {
			groups = append(groups, caseGroup{config: cfg})
		}
		groups[i].cases = append(groups[i].cases, c)
	}
	return groups
}

// testConfig loads the plugin with one configuration and runs the checks of
// its group: the init refusals it expects, or else the load, the whole
// suite (first group only) and the group's cases. It returns the loaded
// plugin, for the caller to close, or nil.
func testConfig(ctx context.Context, rep *testReport, rt *wasmrt.Runtime, name string, wasm []byte, g caseGroup, opts transformtest.Options, first bool) *wasmrt.Plugin {
	start := time.Now()
	p, err := rt.Load(ctx, name, wasm, g.config)
	loadTime := time.Since(start)
	var refusals, records []transformtest.FileCase
	for _, c := range g.cases {
		if c.InitError != "" {
			refusals = append(refusals, c)
		} else {
			records = append(records, c)
		}
	}
	for _, c := range refusals {
		var v []string
		switch {
		case err == nil:
			v = []string{fmt.Sprintf("init accepted the configuration %s, want the error %q", trunc(g.config), c.InitError)}
		case !errors.Is(err, wasmrt.ErrInit) || !strings.HasSuffix(err.Error(), ": "+c.InitError):
			v = []string{fmt.Sprintf("load failed with %q, want init's error %q", err, c.InitError)}
		}
		rep.Check("case/"+c.Name, v)
	}
	if len(refusals) > 0 && len(records) == 0 {
		return p
	}
	loadName := "load"
	if !first {
		loadName = "load/config " + string(trunc(g.config))
	}
	if err != nil {
		rep.Check(loadName, []string{err.Error()})
		for _, c := range records {
			rep.Check("case/"+c.Name, []string{"not run: the plugin did not load"})
		}
		return nil
	}
	fmt.Fprintf(rep.w, "PASS %s: %d bytes, loaded in %s\n", loadName, len(wasm), loadTime.Round(time.Millisecond))
	rep.passed++
	opts.Cases = transformtest.AsCases(records)
	opts.OnlyCases = !first
	if !opts.OnlyCases || len(opts.Cases) > 0 {
		transformtest.Report(rep, p, opts)
	}
	return p
}

// trunc shortens a configuration for a check's name or message.
func trunc(b []byte) []byte {
	if len(b) > 60 {
		return append(b[:60:60], "…"...)
	}
	return b
}
