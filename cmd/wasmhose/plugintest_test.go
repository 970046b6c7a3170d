package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	wasmrt "github.com/wasmhose/wasmhose/runtime"
	"github.com/wasmhose/wasmhose/runtime/transformtest"
)

// writeCases writes a cases file and returns its path.
func writeCases(t *testing.T, lines ...string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "cases.jsonl")
	if err := os.WriteFile(p, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

var summaryRE = regexp.MustCompile(`(?m)^(\d+) passed, (\d+) failed\n\z`)

// TestPluginTest runs `wasmhose plugin test` on the runtime's fixtures: the
// conformance kit's lines, the author's cases, init refusals, and the exit
// status.
func TestPluginTest(t *testing.T) {
	classifyCases := writeCases(t,
		`# classify.wat with the prefix "pre:"`,
		`{"name":"ok","config":"pre:","input":"hello","status":"Ok","data":"pre:hello","keys":{"first":"68"}}`,
		`{"name":"comment","config":"pre:","input":"# x","status":"Dropped"}`,
		`{"name":"empty","config":"pre:","input":"","status":"ProcessingFailed","error":"empty record"}`,
		`{"name":"other prefix","config":"p2:","input":"a","status":"Ok","data":"p2:a","keys":{"first":"61"}}`,
		`{"name":"long config","config":"`+strings.Repeat("x", 257)+`","init_error":"config longer than 256 bytes"}`,
	)
	wrongCases := writeCases(t,
		`{"name":"wrong data","config":"pre:","input":"hello","status":"Ok","data":"HELLO","keys":{"first":"68"}}`,
		`{"name":"wrong key","config":"pre:","input":"a","status":"Ok","data":"pre:a","keys":{"first":"ff"}}`,
		`{"name":"accepted config","config":"short","init_error":"config longer than 256 bytes"}`,
		`{"name":"wrong init text","config":"`+strings.Repeat("y", 300)+`","init_error":"something else"}`,
	)
	// The kit's own batches run with the default configuration, which
	// --config gives as JSON (a plugin's configuration is JSON by
	// convention); the cases may give any bytes.
	pre := writeCases(t, `{"name":"prefix","input":"a","status":"Ok","data":"\"p\"a","keys":{"first":"61"}}`)
	tests := []struct {
		name   string
		args   []string
		exp    int
		expOut []string // lines (or line prefixes) stdout must hold
		expErr string
		passed int // -1: do not check
		failed int
	}{
		{"identity passes", []string{wat("identity")}, 0, []string{"PASS load: ", "PASS golden/500-records\n", "PASS limits/3-MiB-batch\n", "PASS hostile/deep-nesting\n", "PASS generated/19-"}, "", -1, 0},
		{"identity with --identity", []string{"--identity", wat("identity")}, 0, nil, "", -1, 0},
		{"wrong record count fails naming the check", []string{wat("badcount")}, 1, []string{
			"FAIL golden/one-record: batch of 1 records failed: plugin returned a malformed result: result count differs from record count",
			"FAIL golden/500-records: ",
		}, "", 1, -1},
		{"not an identity", []string{"--identity", "--config", `"p:"`, wat("classify")}, 1, []string{"FAIL golden/one-record: identity: result 0 is Ok with "}, "", -1, -1},
		{"author's cases pass", []string{"--cases", classifyCases, wat("classify")}, 0, []string{
			"PASS load: ", "PASS golden/one-record\n", "PASS load/config pre:: ",
			"PASS case/ok\n", "PASS case/comment\n", "PASS case/empty\n", "PASS case/all-in-one-batch\n",
			"PASS load/config p2:: ", "PASS case/other prefix\n", "PASS case/long config\n",
		}, "", -1, 0},
		{"author's cases fail", []string{"--cases", wrongCases, wat("classify")}, 1, []string{
			`FAIL case/wrong data: result 0: data "pre:hello", want "HELLO"`,
			`FAIL case/wrong key: result 0: partition keys [{first 61}], want [{first ff}]`,
			`FAIL case/accepted config: init accepted the configuration short, want the error "config longer than 256 bytes"`,
			`FAIL case/wrong init text: load failed with "load plugin classify.wasm: plugin initialisation failed: plugin rejected its configuration: config longer than 256 bytes", want init's error "something else"`,
		}, "", -1, 5},
		{"--config is the default", []string{"--config", `"p"`, "--cases", pre, wat("classify")}, 0, []string{"PASS case/prefix\n"}, "", -1, 0},
		{"a refused module fails the load", []string{wat("command")}, 1, []string{"FAIL load: load plugin command.wasm: not a wasmhose plugin: "}, "", 0, 1},
		{"init refuses the default config", []string{"--config", `"` + strings.Repeat("z", 300) + `"`, wat("classify")}, 1, []string{"FAIL load: load plugin classify.wasm: plugin initialisation failed: "}, "", 0, 1},
		{"no module", nil, 2, nil, "give one module file", -1, -1},
		{"two modules", []string{wat("identity"), wat("classify")}, 2, nil, "give one module file", -1, -1},
		{"bad config", []string{"--config", "{", wat("identity")}, 2, nil, "--config is not valid JSON", -1, -1},
		{"missing cases file", []string{"--cases", "/nonexistent/cases.jsonl", wat("identity")}, 2, nil, "no such file", -1, -1},
		{"malformed cases file", []string{"--cases", writeCases(t, `{"input":"a"}`), wat("identity")}, 2, nil, "cases line 1: status is required", -1, -1},
		{"missing module", []string{"/nonexistent/x.wasm"}, 1, nil, "no such file", -1, -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCLI(append([]string{"plugin", "test"}, tc.args...)...)
			if code != tc.exp {
				t.Fatalf("exit %d, want %d\nstdout:\n%.3000s\nstderr:\n%s", code, tc.exp, out, errOut)
			}
			for _, want := range tc.expOut {
				if !strings.Contains(out, "\n"+want) && !strings.HasPrefix(out, want) {
					t.Errorf("stdout lacks %q:\n%.3000s", want, out)
				}
			}
			if tc.expErr != "" && !strings.Contains(errOut, tc.expErr) {
				t.Errorf("stderr lacks %q:\n%s", tc.expErr, errOut)
			}
			if tc.exp == 2 {
				return
			}
			m := summaryRE.FindStringSubmatch(out)
			if m == nil {
				if tc.exp == 1 && tc.expErr != "" {
					return // failed before running anything
				}
				t.Fatalf("no summary line at the end:\n%s", out)
			}
			lines := strings.Count(out, "\n") - 1
			if p, f := strings.Count(out, "PASS "), strings.Count(out, "FAIL "); p+f != lines || m[1] != strconv.Itoa(p) || m[2] != strconv.Itoa(f) {
				t.Errorf("summary %q, counted %d PASS and %d FAIL in %d lines", m[0], p, f, lines)
			}
			if tc.passed >= 0 && m[1] != strconv.Itoa(tc.passed) {
				t.Errorf("%s passed, want %d", m[1], tc.passed)
			}
			if tc.failed >= 0 && m[2] != strconv.Itoa(tc.failed) {
				t.Errorf("%s failed, want %d", m[2], tc.failed)
			}
		})
	}
}

// TestReferencePlugins runs `wasmhose plugin test --cases` with the shared
// cases on the committed reference plugins this repository builds from Go
// and AssemblyScript: every check, every case and every init refusal passes.
func TestReferencePlugins(t *testing.T) {
	cases := filepath.Join("..", "..", "examples", "plugins", "testdata", "cases.jsonl")
	for _, lang := range []string{"go", "assemblyscript"} {
		t.Run(lang, func(t *testing.T) {
			code, out, errOut := runCLI("plugin", "test", "--cases", cases, filepath.Join("..", "..", "examples", "plugins", lang, "json-to-csv.wasm"))
			if code != 0 {
				var fails []string
				for _, l := range strings.Split(out, "\n") {
					if strings.HasPrefix(l, "FAIL ") {
						fails = append(fails, l)
					}
				}
				t.Fatalf("exit %d:\n%s\n%s\nstderr:\n%s", code, strings.Join(fails, "\n"), out[strings.LastIndex(out[:len(out)-1], "\n")+1:], errOut)
			}
			// Every init refusal and every record case of the file ran.
			for _, want := range []string{"PASS case/line 1\n", "PASS case/line 116\n", "PASS case/all-in-one-batch\n", "PASS hostile/json-edge-cases\n"} {
				if !strings.Contains(out, want) {
					t.Errorf("stdout lacks %q", want)
				}
			}
		})
	}
}

// BenchmarkReferencePlugins measures the reference plugins on 1 MiB batches
// of ~100-byte JSON records (one in eight dropped, one in sixteen failing):
// records/s on one worker, and the cold load (compile and first instance,
// no compilation cache) as a separate sub-benchmark.
func BenchmarkReferencePlugins(b *testing.B) {
	var recs []wasmrt.Record
	for size, i := 0, 0; size < 1<<20; i++ {
		var d []byte
		switch {
		case i%16 == 5:
			d = fmt.Appendf(nil, `{"user":"user-%d","amount":"oops","note":"a record whose amount is a string"}`, i)
		case i%8 == 3:
			d = fmt.Appendf(nil, `{"user":"user-%d","amount":-%d.25,"note":"a refund, dropped by the plugin"}`, i, i%1000)
		default:
			d = fmt.Appendf(nil, `{"user":"user-%d","amount":%d.17,"note":"an ordinary purchase record","ok":true}`, i, i%10000)
		}
		recs = append(recs, wasmrt.Record{Data: d, ArrivalMillis: 1700000000000})
		size += len(d)
	}
	// The WAT identity is the floor: the host's framing and copying alone.
	for _, lang := range []string{"go", "assemblyscript", "wat-identity"} {
		path := filepath.Join("..", "..", "examples", "plugins", lang, "json-to-csv.wasm")
		if lang == "wat-identity" {
			path = wat("identity")
		}
		wasm, err := os.ReadFile(path)
		if err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		b.Run(lang+"/1MiB-batch", func(b *testing.B) {
			rt, err := wasmrt.New(ctx, wasmrt.NewConfig().WithWorkers(1))
			if err != nil {
				b.Fatal(err)
			}
			defer rt.Close(ctx)
			p, err := rt.Load(ctx, lang, wasm, nil)
			if err != nil {
				b.Fatal(err)
			}
			defer p.Close(ctx)
			b.SetBytes(1 << 20)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if _, err := p.Transform(ctx, recs); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(recs)*b.N)/b.Elapsed().Seconds(), "records/s")
			b.ReportMetric(float64(len(wasm)), "module-bytes")
		})
		b.Run(lang+"/cold-load", func(b *testing.B) {
			for range b.N {
				rt, err := wasmrt.New(ctx, wasmrt.NewConfig().WithWorkers(1))
				if err != nil {
					b.Fatal(err)
				}
				p, err := rt.Load(ctx, lang, wasm, nil)
				if err != nil {
					b.Fatal(err)
				}
				_ = p.Close(ctx)
				_ = rt.Close(ctx)
			}
		})
	}
}

// FuzzReferencePluginsAgree feeds the same record to every committed
// reference plugin (examples/plugins/*/json-to-csv.wasm) and requires
// byte-identical results: status, data, error text and partition keys.
// The seeds are the inputs of the shared cases.
func FuzzReferencePluginsAgree(f *testing.F) {
	root := filepath.Join("..", "..", "examples", "plugins")
	cf, err := os.Open(filepath.Join(root, "testdata", "cases.jsonl"))
	if err != nil {
		f.Fatal(err)
	}
	cases, err := transformtest.ReadCases(cf)
	cf.Close()
	if err != nil {
		f.Fatal(err)
	}
	for _, c := range cases {
		if c.InitError == "" {
			f.Add(c.Record.Data)
		}
	}
	paths, err := filepath.Glob(filepath.Join(root, "*", "json-to-csv.wasm"))
	if err != nil || len(paths) < 2 {
		f.Fatalf("want at least two reference plugins, got %v (%v)", paths, err)
	}
	ctx := context.Background()
	rt, err := wasmrt.New(ctx, wasmrt.NewConfig().WithWorkers(1))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { rt.Close(ctx) })
	plugins := make([]*wasmrt.Plugin, len(paths))
	for i, p := range paths {
		wasm, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		if plugins[i], err = rt.Load(ctx, p, wasm, nil); err != nil {
			f.Fatal(err)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var first string
		for i, p := range plugins {
			res, err := p.Transform(ctx, []wasmrt.Record{{Data: data}})
			if err != nil {
				t.Fatalf("%s: %v", paths[i], err)
			}
			got := fmt.Sprintf("%v %q %q %q", res[0].Status, res[0].Data, res[0].Error, res[0].PartitionKeys)
			if i == 0 {
				first = got
			} else if got != first {
				t.Fatalf("record %q:\n%s: %s\n%s: %s", data, paths[0], first, paths[i], got)
			}
		}
	})
}
