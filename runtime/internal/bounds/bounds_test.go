package bounds

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// module assembles a binary from (id, payload) pairs.
func module(secs ...any) []byte {
	m := []byte("\x00asm\x01\x00\x00\x00")
	for i := 0; i < len(secs); i += 2 {
		p := secs[i+1].([]byte)
		m = append(m, byte(secs[i].(int)))
		m = binary.AppendUvarint(m, uint64(len(p)))
		m = append(m, p...)
	}
	return m
}

func uv(v uint64) []byte { return binary.AppendUvarint(nil, v) }

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// oneFunc is a module with one function () -> () whose body (after locals)
// is code, followed by end.
func oneFunc(locals, code []byte) []byte {
	body := cat(locals, code, []byte{0x0B})
	return module(1, []byte{1, 0x60, 0, 0}, 3, []byte{1, 0}, 10, cat([]byte{1}, uv(uint64(len(body))), body))
}

func nested(depth int) []byte {
	return oneFunc([]byte{0}, cat(bytes.Repeat([]byte{0x02, 0x40}, depth), bytes.Repeat([]byte{0x0B}, depth)))
}

func brTableCode(labels int) []byte {
	return cat([]byte{0x02, 0x40, 0x41, 0x00, 0x0E}, uv(uint64(labels-1)), make([]byte, labels), []byte{0x0B})
}

func brTable(labels int) []byte { return oneFunc([]byte{0}, brTableCode(labels)) }

func tables(ts ...[]byte) []byte {
	return module(4, cat(uv(uint64(len(ts))), cat(ts...)))
}

func TestApplyLimits(t *testing.T) {
	small := Limits{
		ModuleBytes: 1 << 20, Functions: 10, Types: 10, TypeArity: 4, Locals: 100, Nesting: 8,
		NestingWork: 1000, FunctionLabels: 64, FunctionInstructions: 700, Labels: 100, Tables: 2, TableElements: 1000, Globals: 3,
		DataSegments: 3, ElemSegments: 3, ElemItems: 20, Exports: 3,
	}
	funcs := func(n int) []byte {
		return module(1, []byte{1, 0x60, 0, 0}, 3, cat(uv(uint64(n)), make([]byte, n)))
	}
	tests := []struct {
		name   string
		wasm   []byte
		expErr string // "" accepts
	}{
		{"empty module", module(), ""},
		{"module size", make([]byte, 2<<20), "module size in bytes: 2097152, limit 1048576"},
		{"functions within", funcs(10), ""},
		{"functions over", funcs(11), "functions: 11, limit 10"},
		{"types over", module(1, cat(uv(11), bytes.Repeat([]byte{0x60, 0, 0}, 11))), "function types: 11, limit 10"},
		{"type arity over", module(1, []byte{1, 0x60, 3, 0x7F, 0x7F, 0x7F, 2, 0x7F, 0x7F}), "parameters and results of type 0: 5, limit 4"},
		{"locals within", oneFunc([]byte{1, 100, 0x7E}, nil), ""},
		{"locals over", oneFunc(cat([]byte{2}, uv(60), []byte{0x7E}, uv(41), []byte{0x7F}), nil), "locals: 101, limit 100"},
		{"locals 2^32-1", oneFunc(cat([]byte{1}, uv(1<<32-1), []byte{0x7E}), nil), "locals: 4294967295"},
		{"nesting within", nested(8), ""},
		{"nesting over", nested(9), "control nesting depth: 9, limit 8"},
		{"nesting work over", oneFunc([]byte{0}, cat([]byte{0x02, 0x40}, bytes.Repeat([]byte{0x01}, 600), []byte{0x0B})), "nesting work"},
		{"br_table within", brTable(64), ""},
		{"br_table over", brTable(65), "br_table labels in one function: 65, limit 64"},
		{"two br_tables over together", oneFunc([]byte{0}, cat(brTableCode(40), brTableCode(40))), "br_table labels in one function: 80, limit 64"},
		{"instructions over", oneFunc([]byte{0}, bytes.Repeat([]byte{0x01}, 700)), "instructions in one function: 701, limit 700"},
		{"tables over", tables([]byte{0x70, 0, 1}, []byte{0x70, 0, 1}, []byte{0x70, 0, 1}), "tables: 3, limit 2"},
		{"table elements over", tables([]byte{0x70, 0, 0xE9, 0x07}), "table elements (sum of the tables' minimum sizes): 1001, limit 1000"},
		{"four 2^27 tables", module(4, cat(uv(4), bytes.Repeat(cat([]byte{0x70, 0}, uv(1<<27)), 4))), "tables: 4, limit 2"},
		{"globals over", module(6, cat(uv(4), bytes.Repeat([]byte{0x7F, 0, 0x41, 0, 0x0B}, 4))), "globals: 4, limit 3"},
		{"data segments over", module(11, cat(uv(4), bytes.Repeat([]byte{1, 0}, 4))), "data segments: 4, limit 3"},
		{"element segments over", module(9, cat(uv(4), bytes.Repeat([]byte{1, 0, 0}, 4))), "element segments: 4, limit 3"},
		{"element items over", module(9, cat([]byte{1, 1, 0, 21}, make([]byte, 21))), "element segment items: 21, limit 20"},
		{"exports over", module(7, cat(uv(4), bytes.Repeat([]byte{1, 'a', 0, 0}, 4))), "exports: 4, limit 3"},
		{"reserved export", module(7, cat([]byte{1}, uv(uint64(len(StartExport))), []byte(StartExport), []byte{0, 0})), "reserves"},
		{"over-long immediate", oneFunc([]byte{0}, []byte{0x41, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}), "malformed"},
		{"unknown opcode", oneFunc([]byte{0}, []byte{0x06}), "unsupported"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := Apply(tt.wasm, small)
			if tt.expErr == "" {
				if err != nil {
					t.Fatalf("Apply: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.expErr) {
				t.Fatalf("Apply error = %v, want one containing %q", err, tt.expErr)
			}
		})
	}
}

// TestApplyRewrites checks the rewritten module with wazero itself: the
// table maxima it reports and the start function, exported and not run at
// instantiation.
func TestApplyRewrites(t *testing.T) {
	lim := Limits{TableElements: 1000}
	// Two tables: one without a maximum, one with a maximum far above.
	tabs := cat([]byte{2}, []byte{0x70, 0, 10}, []byte{0x70, 1, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F})
	// A start function that traps: if wazero ran it at instantiation,
	// instantiation would fail.
	start := cat([]byte{1, 3, 0, 0x00, 0x0B})
	wasm := module(1, []byte{1, 0x60, 0, 0}, 3, []byte{1, 0}, 4, tabs, 8, []byte{0}, 10, start)
	out, st, err := Apply(wasm, lim)
	if err != nil {
		t.Fatal(err)
	}
	if !st.HasStart || st.ClampedTables != 2 {
		t.Fatalf("stats = %+v, want a start function and 2 clamped tables", st)
	}
	ctx := context.Background()
	r := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfig().WithCoreFeatures(api.CoreFeaturesV2))
	t.Cleanup(func() { r.Close(ctx) })
	if _, err := r.Instantiate(ctx, wasm); err == nil {
		t.Fatal("the original module instantiated, but its start function traps")
	}
	mod, err := r.InstantiateWithConfig(ctx, out, wazero.NewModuleConfig().WithName("rewritten"))
	if err != nil {
		t.Fatalf("instantiate the rewritten module: %v", err)
	}
	fn := mod.ExportedFunction(StartExport)
	if fn == nil {
		t.Fatalf("no %s export", StartExport)
	}
	if _, err := fn.Call(ctx); err == nil {
		t.Fatal("the exported start function did not trap")
	}
	// The limits were rewritten: (1000-10)/2 = 495 beyond each minimum.
	rr := newReader(out[8:])
	for len(rr.B) > 0 {
		id, _ := rr.Byte()
		n, _ := rr.U32()
		p, _ := rr.Bytes(n)
		if id != 4 {
			continue
		}
		ts, err := readTables(p)
		if err != nil {
			t.Fatal(err)
		}
		want := []table{{0x70, 10, 505, true}, {0x70, 0, 495, true}}
		for i := range want {
			if ts[i] != want[i] {
				t.Fatalf("table %d = %+v, want %+v", i, ts[i], want[i])
			}
		}
	}
	// A module with nothing to rewrite comes back as is.
	plain := nested(3)
	if got, _, err := Apply(plain, lim); err != nil || &got[0] != &plain[0] {
		t.Fatalf("Apply of a module with nothing to rewrite copied it (err %v)", err)
	}
}

// TestRealModules checks that the largest real guests fit the default
// limits, with their figures.
func TestRealModules(t *testing.T) {
	for _, f := range []string{"../../../plugins/blueprints.wasm", "../../testdata/kitchen/kitchen.wasm"} {
		wasm, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		_, st, err := Apply(wasm, Default())
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		t.Logf("%s: %+v", f, st)
		if st.Functions == 0 || st.MaxNesting == 0 || st.NestingWork == 0 || st.Labels == 0 {
			t.Fatalf("%s: nothing measured: %+v", f, st)
		}
	}
}

func FuzzApply(f *testing.F) {
	f.Add(nested(3))
	f.Add(brTable(5))
	f.Add(tables([]byte{0x70, 0, 10}))
	f.Add(module(1, []byte{1, 0x60, 0, 0}, 3, []byte{1, 0}, 8, []byte{0}, 10, []byte{1, 2, 0, 0x0B}))
	f.Add(module(9, []byte{1, 4, 0x41, 0, 0x0B, 1, 0xD2, 0, 0x0B}))
	f.Fuzz(func(t *testing.T, wasm []byte) {
		out, _, err := Apply(wasm, Default())
		if err != nil {
			if !errors.Is(err, ErrLimit) && !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrUnsupported) {
				t.Fatalf("error wraps no sentinel: %v", err)
			}
			return
		}
		// What Apply returns is within the limits too, and stable.
		if _, _, err := Apply(out, Default()); err != nil && !strings.Contains(err.Error(), "reserves") {
			t.Fatalf("Apply of its own output: %v", err)
		}
	})
}
