package plugins_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	wasmrt "github.com/wasmhose/wasmhose/runtime"
	"github.com/wasmhose/wasmhose/runtime/transformtest"
)

// required are the modules that must be present; any other
// examples/plugins/<lang>/json-to-csv*.wasm is checked too.
var required = []string{"c", "rust", "rust-unknown"}

// plugin is one language's committed module.
type plugin struct {
	lang string
	wasm []byte
}

func modules(t testing.TB) []plugin {
	t.Helper()
	paths, err := filepath.Glob("*/json-to-csv*.wasm")
	if err != nil {
		t.Fatal(err)
	}
	var ps []plugin
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		// lang/json-to-csv.wasm is "lang", lang/json-to-csv-x.wasm "lang-x".
		ps = append(ps, plugin{lang: filepath.Dir(p) + strings.TrimSuffix(strings.TrimPrefix(filepath.Base(p), "json-to-csv"), ".wasm"), wasm: b})
	}
	for _, l := range required {
		if !slices.ContainsFunc(ps, func(p plugin) bool { return p.lang == l }) {
			t.Fatalf("examples/plugins/%s/json-to-csv.wasm is missing", l)
		}
	}
	return ps
}

// testCase is one line of testdata/cases.jsonl (see testdata/README.md).
type testCase struct {
	Config      *string           `json:"config"`
	Input       *string           `json:"input"`
	InputBase64 string            `json:"input_base64"`
	Status      string            `json:"status"`
	Data        string            `json:"data"`
	Error       string            `json:"error"`
	Keys        map[string]string `json:"keys"`
	InitError   string            `json:"init_error"`
	line        int
}

func (c testCase) config() []byte {
	if c.Config == nil {
		return nil
	}
	return []byte(*c.Config)
}

func (c testCase) record(t testing.TB) wasmrt.Record {
	t.Helper()
	if c.Input != nil {
		return wasmrt.Record{Data: []byte(*c.Input), ArrivalMillis: 1700000000000}
	}
	b, err := base64.StdEncoding.DecodeString(c.InputBase64)
	if err != nil {
		t.Fatalf("cases.jsonl:%d: input_base64: %v", c.line, err)
	}
	return wasmrt.Record{Data: b, ArrivalMillis: 1700000000000}
}

func (c testCase) result(t testing.TB) wasmrt.Result {
	t.Helper()
	r := wasmrt.Result{Data: []byte(c.Data), Error: c.Error}
	switch c.Status {
	case "Ok":
		r.Status = wasmrt.StatusOk
	case "Dropped":
		r.Status = wasmrt.StatusDropped
	case "ProcessingFailed":
		r.Status = wasmrt.StatusProcessingFailed
	default:
		t.Fatalf("cases.jsonl:%d: status %q", c.line, c.Status)
	}
	for name, v := range c.Keys {
		r.PartitionKeys = append(r.PartitionKeys, wasmrt.PartitionKey{Name: name, Value: v})
	}
	return r
}

func readCases(t testing.TB) []testCase {
	t.Helper()
	b, err := os.ReadFile("testdata/cases.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	var cs []testCase
	for i, line := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
		var c testCase
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&c); err != nil {
			t.Fatalf("cases.jsonl:%d: %v", i+1, err)
		}
		c.line = i + 1
		if (c.Input == nil && c.InputBase64 == "") == (c.InitError == "") {
			t.Fatalf("cases.jsonl:%d: want an input or an init_error", c.line)
		}
		cs = append(cs, c)
	}
	return cs
}

func newRuntime(t testing.TB) *wasmrt.Runtime {
	t.Helper()
	ctx := context.Background()
	r, err := wasmrt.New(ctx, wasmrt.NewConfig().WithWorkers(1).WithBatchTimeout(30*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(ctx) })
	return r
}

func load(t testing.TB, r *wasmrt.Runtime, p plugin, config []byte) *wasmrt.Plugin {
	t.Helper()
	ctx := context.Background()
	pl, err := r.Load(ctx, "json-to-csv-"+p.lang, p.wasm, config)
	if err != nil {
		t.Fatalf("%s: load with config %q: %v", p.lang, config, err)
	}
	t.Cleanup(func() { pl.Close(ctx) })
	return pl
}

// TestConformance runs the conformance kit on each module, with the cases
// of the default configuration as golden cases.
func TestConformance(t *testing.T) {
	var golden []transformtest.Case
	for _, c := range readCases(t) {
		if c.Config != nil || c.InitError != "" {
			continue
		}
		golden = append(golden, transformtest.Case{
			Name:    fmt.Sprintf("cases.jsonl:%d", c.line),
			Records: []wasmrt.Record{c.record(t)},
			Results: []wasmrt.Result{c.result(t)},
		})
	}
	for _, p := range modules(t) {
		t.Run(p.lang, func(t *testing.T) {
			transformtest.Run(t, load(t, newRuntime(t), p, nil), transformtest.Options{Cases: golden})
		})
	}
}

// TestCases checks every case of testdata/cases.jsonl, each configuration
// loaded once, its records in one batch.
func TestCases(t *testing.T) {
	cases := readCases(t)
	for _, p := range modules(t) {
		t.Run(p.lang, func(t *testing.T) {
			r := newRuntime(t)
			ctx := context.Background()
			byConfig := map[string][]testCase{}
			var configs []string
			for _, c := range cases {
				k := string(c.config())
				if c.Config == nil {
					k = "\x00default"
				}
				if _, ok := byConfig[k]; !ok {
					configs = append(configs, k)
				}
				byConfig[k] = append(byConfig[k], c)
			}
			for _, k := range configs {
				cs := byConfig[k]
				var recs []wasmrt.Record
				var want []testCase
				for _, c := range cs {
					if c.InitError == "" {
						recs = append(recs, c.record(t))
						want = append(want, c)
						continue
					}
					_, err := r.Load(ctx, "bad-config", p.wasm, c.config())
					if !errors.Is(err, wasmrt.ErrInit) || !strings.HasSuffix(err.Error(), ": "+c.InitError) {
						t.Errorf("cases.jsonl:%d: config %q: load error %v, want ErrInit ending %q", c.line, c.config(), err, c.InitError)
					}
				}
				if len(recs) == 0 {
					continue
				}
				pl := load(t, r, p, cs[0].config())
				res, err := pl.Transform(ctx, recs)
				if err != nil {
					t.Fatalf("config %q: %v", cs[0].config(), err)
				}
				for i, c := range want {
					if d := diff(res[i], c.result(t)); d != "" {
						t.Errorf("cases.jsonl:%d: input %q: %s", c.line, recs[i].Data, d)
					}
				}
			}
		})
	}
}

func diff(got, want wasmrt.Result) string {
	var d []string
	if got.Status != want.Status {
		d = append(d, fmt.Sprintf("status %v, want %v", got.Status, want.Status))
	}
	if got.Status == wasmrt.StatusOk && !bytes.Equal(got.Data, want.Data) {
		d = append(d, fmt.Sprintf("data %q, want %q", got.Data, want.Data))
	}
	if got.Error != want.Error {
		d = append(d, fmt.Sprintf("error %q, want %q", got.Error, want.Error))
	}
	if !slices.Equal(got.PartitionKeys, want.PartitionKeys) {
		d = append(d, fmt.Sprintf("keys %v, want %v", got.PartitionKeys, want.PartitionKeys))
	}
	return strings.Join(d, "; ")
}
