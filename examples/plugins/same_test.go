package plugins_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"testing"

	wasmrt "github.com/wasmhose/wasmhose/runtime"
)

// variants returns records derived from the cases' inputs: every prefix,
// and every single-byte substitution by a byte that matters to a JSON
// scanner, so the languages meet every early end and every wrong byte.
func variants(t testing.TB) []wasmrt.Record {
	t.Helper()
	special := []byte("{}[]:,\"\\/ \t\n\r-+.eE0119aun\x00\x1f\x7f\x80\xc3\xe9\xed\xf0\xff")
	var recs []wasmrt.Record
	seen := map[string]bool{}
	add := func(b []byte) {
		if !seen[string(b)] {
			seen[string(b)] = true
			recs = append(recs, wasmrt.Record{Data: bytes.Clone(b)})
		}
	}
	for _, c := range readCases(t) {
		if c.InitError != "" {
			continue
		}
		in := c.record(t).Data
		for i := 0; i <= len(in); i++ {
			add(in[:i])
		}
		for i := range in {
			m := bytes.Clone(in)
			for _, b := range special {
				m[i] = b
				add(m)
			}
		}
	}
	return recs
}

// results runs recs through every module with config, in batches of at
// most 1000 records, and returns each module's results.
func results(t testing.TB, ps []plugin, config []byte, recs []wasmrt.Record) [][]wasmrt.Result {
	t.Helper()
	r := newRuntime(t)
	out := make([][]wasmrt.Result, len(ps))
	for i, p := range ps {
		pl := load(t, r, p, config)
		for from := 0; from < len(recs); from += 1000 {
			res, err := pl.Transform(context.Background(), recs[from:min(from+1000, len(recs))])
			if err != nil {
				t.Fatalf("%s: %v", p.lang, err)
			}
			out[i] = append(out[i], res...)
		}
	}
	return out
}

// TestSameResults checks that every language answers every variant of the
// shared cases identically: status, data, error text and partition keys.
func TestSameResults(t *testing.T) {
	ps := modules(t)
	recs := variants(t)
	for _, config := range []string{"", `{"delimiter":";"}`, `{"delimiter":"a"}`} {
		res := results(t, ps, []byte(config), recs)
		fails := 0
		for i := range recs {
			for j := 1; j < len(ps); j++ {
				if d := diff(res[j][i], res[0][i]); d != "" && fails < 20 {
					fails++
					t.Errorf("config %q, record %q: %s differs from %s: %s", config, recs[i].Data, ps[j].lang, ps[0].lang, d)
				}
			}
		}
	}
	t.Logf("%d records, %d modules", len(recs), len(ps))
}

// FuzzSameResults feeds random records to every language and fails on any
// difference between them.
func FuzzSameResults(f *testing.F) {
	for _, c := range readCases(f) {
		if c.InitError == "" {
			f.Add(c.record(f).Data)
		}
	}
	ps := modules(f)
	r := newRuntime(f)
	pls := make([]*wasmrt.Plugin, len(ps))
	for i, p := range ps {
		pls[i] = load(f, r, p, nil)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var first wasmrt.Result
		for i, pl := range pls {
			res, err := pl.Transform(context.Background(), []wasmrt.Record{{Data: data}})
			if err != nil {
				t.Fatalf("%s: %v", ps[i].lang, err)
			}
			if i == 0 {
				first = res[0]
			} else if d := diff(res[0], first); d != "" {
				t.Fatalf("%q: %s differs from %s: %s", data, ps[i].lang, ps[0].lang, d)
			}
		}
	})
}

// referenceBatch returns records of the reference kind (a user, an amount,
// a few other members; one in ten negative, so Dropped) adding up to about
// size bytes.
func referenceBatch(size int) []wasmrt.Record {
	rng := rand.New(rand.NewPCG(1, 2))
	var recs []wasmrt.Record
	for n := 0; n < size; {
		amount := fmt.Sprintf("%d.%02d", rng.IntN(100000), rng.IntN(100))
		if rng.IntN(10) == 0 {
			amount = "-" + amount
		}
		b := fmt.Appendf(nil, `{"user":"user-%d","amount":%s,"currency":"EUR","ts":%d,"note":"order \"%d\", paid"}`,
			rng.IntN(1000), amount, 1700000000000+rng.IntN(1e9), rng.IntN(1e6))
		recs = append(recs, wasmrt.Record{Data: b})
		n += len(b)
	}
	return recs
}

// BenchmarkTransform measures each language on 1 MiB batches of reference
// records: records/s and MB/s of input, one worker. The WAT identity plugin
// (runtime/testdata) is the baseline: the host's share of the cost. Each
// runs with the default interrupt checks and without (StopNone), to show
// what the checks cost these guests.
func BenchmarkTransform(b *testing.B) {
	recs := referenceBatch(1 << 20)
	size := 0
	for _, r := range recs {
		size += len(r.Data)
	}
	identity, err := os.ReadFile("../../runtime/testdata/wat/identity.wasm")
	if err != nil {
		b.Fatal(err)
	}
	for _, stop := range []wasmrt.StopMode{wasmrt.StopInterrupt, wasmrt.StopNone} {
		b.Run("stop="+stop.String(), func(b *testing.B) { benchTransform(b, stop, recs, size, identity) })
	}
}

func benchTransform(b *testing.B, stop wasmrt.StopMode, recs []wasmrt.Record, size int, identity []byte) {
	for _, p := range append(modules(b), plugin{lang: "baseline-wat-identity", wasm: identity}) {
		b.Run(p.lang, func(b *testing.B) {
			ctx := context.Background()
			r, err := wasmrt.New(ctx, wasmrt.NewConfig().WithWorkers(1).WithStopMode(stop))
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { r.Close(ctx) })
			pl := load(b, r, p, nil)
			b.SetBytes(int64(size))
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if _, err := pl.Transform(context.Background(), recs); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(recs)*b.N)/b.Elapsed().Seconds(), "records/s")
		})
	}
}

// BenchmarkLoad measures a cold load of each module: checks, compilation
// (no cache), one instance, init.
func BenchmarkLoad(b *testing.B) {
	for _, p := range modules(b) {
		b.Run(p.lang, func(b *testing.B) {
			b.ReportMetric(float64(len(p.wasm)), "module-bytes")
			for range b.N {
				ctx := context.Background()
				r, err := wasmrt.New(ctx, wasmrt.NewConfig().WithWorkers(1))
				if err != nil {
					b.Fatal(err)
				}
				pl, err := r.Load(ctx, "json-to-csv", p.wasm, nil)
				if err != nil {
					b.Fatal(err)
				}
				pl.Close(ctx)
				r.Close(ctx)
			}
		})
	}
}
