package wasmrt_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	goruntime "runtime"
	"strings"
	"testing"
	"time"

	wasmrt "github.com/wasmhose/wasmhose/runtime"
)

// plugin assembles a minimal plugin (memory, marker, alloc, transform)
// whose transform has the given body (locals and code, without the final
// end), to build modules too large to commit.
func plugin(transformBody []byte) []byte {
	m := []byte("\x00asm\x01\x00\x00\x00")
	sec := func(id byte, p []byte) {
		m = append(m, id)
		m = binary.AppendUvarint(m, uint64(len(p)))
		m = append(m, p...)
	}
	// types: () -> (), (i32) -> (i32), (i32 i32) -> (i64)
	sec(1, []byte{3, 0x60, 0, 0, 0x60, 1, 0x7F, 1, 0x7F, 0x60, 2, 0x7F, 0x7F, 1, 0x7E})
	sec(3, []byte{3, 0, 1, 2})
	sec(5, []byte{1, 0, 2})
	exp := []byte{4}
	for i, name := range []string{"wasmhose_abi_v1", "wasmhose_v1_alloc", "wasmhose_v1_transform"} {
		exp = append(exp, byte(len(name)))
		exp = append(exp, name...)
		exp = append(exp, 0, byte(i))
	}
	exp = append(exp, 6, 'm', 'e', 'm', 'o', 'r', 'y', 2, 0)
	sec(7, exp)
	body := append(append([]byte{}, transformBody...), 0x42, 0, 0x0B) // i64.const 0, end
	code := []byte{3, 2, 0, 0x0B, 5, 0, 0x41, 0x80, 0x08, 0x0B}
	code = binary.AppendUvarint(code, uint64(len(body)))
	sec(10, append(code, body...))
	return m
}

// nestedBlocks is a transform body of depth nested empty blocks.
func nestedBlocks(depth int) []byte {
	return append(append([]byte{0}, bytes.Repeat([]byte{0x02, 0x40}, depth)...), bytes.Repeat([]byte{0x0B}, depth)...)
}

// TestModuleLimits: what a module declares is bounded before wazero
// compiles it, and the refusal names the limit.
func TestModuleLimits(t *testing.T) {
	brTable := func(labels int) []byte {
		b := binary.AppendUvarint([]byte{0, 0x02, 0x40, 0x41, 0x00, 0x0E}, uint64(labels-1))
		return append(append(b, make([]byte, labels)...), 0x0B)
	}
	tests := []struct {
		name    string
		wasm    []byte
		cfg     func(wasmrt.Config) wasmrt.Config
		expText string
	}{
		{"four 2^27-element tables", fixture(t, "wat/tablebomb.wasm"), nil, "table elements (sum of the tables' minimum sizes): 536870912, limit 1048576"},
		{"100k nested blocks", plugin(nestedBlocks(100_000)), nil, "control nesting depth: 4097, limit 4096"},
		{"br_table of a million labels", plugin(brTable(1_000_000)), nil, "br_table labels in one function: 1000000, limit 16384"},
		{"2^32-1 locals", plugin([]byte{1, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x7E}), nil, "locals: 4294967295, limit 50000"},
		{"module over the size limit", fixture(t, "wat/identity.wasm"), func(c wasmrt.Config) wasmrt.Config {
			return c.WithMaxModuleBytes(100)
		}, "module size in bytes: 427, limit 100"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := wasmrt.NewConfig()
			if tc.cfg != nil {
				cfg = tc.cfg(cfg)
			}
			r := newRuntime(t, cfg)
			_, err := r.Load(context.Background(), "bomb", tc.wasm, nil)
			if !errors.Is(err, wasmrt.ErrModuleLimit) || !strings.Contains(err.Error(), tc.expText) {
				t.Fatalf("Load: %v; want ErrModuleLimit naming %q", err, tc.expText)
			}
		})
	}
	// Within the limits, the same shapes load.
	r := newRuntime(t, wasmrt.NewConfig())
	for name, wasm := range map[string][]byte{"nesting 1000": plugin(nestedBlocks(1000)), "br_table 1000": plugin(brTable(1000))} {
		p, err := r.Load(context.Background(), name, wasm, nil)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		p.Close(context.Background())
	}
}

// TestCompileTimeout: a compilation past WithCompileTimeout fails the load,
// and the runtime compiles the next module once the abandoned one is done.
func TestCompileTimeout(t *testing.T) {
	ctx := context.Background()
	r, err := wasmrt.New(ctx, wasmrt.NewConfig().WithCompileTimeout(time.Millisecond)) // no cache: always compiles
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(ctx) })
	_, err = r.Load(ctx, "slow", plugin(nestedBlocks(4000)), nil)
	if !errors.Is(err, wasmrt.ErrCompileTimeout) {
		t.Fatalf("Load: %v, want ErrCompileTimeout", err)
	}
	r2, err := wasmrt.New(ctx, wasmrt.NewConfig().WithCompileTimeout(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r2.Close(ctx) })
	p, err := r2.Load(ctx, "fine", fixture(t, "wat/identity.wasm"), nil)
	if err != nil {
		t.Fatal(err)
	}
	p.Close(ctx)
}

// TestStartFunctionUnderDeadline: a start section runs under the batch
// deadline, on the first instance (refused at load) and on any later one
// (that batch fails, the runtime stays usable).
func TestStartFunctionUnderDeadline(t *testing.T) {
	ctx := context.Background()
	cfg := wasmrt.NewConfig().WithWorkers(1).WithBatchTimeout(300 * time.Millisecond)
	r := newRuntime(t, cfg)

	_, err := r.Load(ctx, "startloop", fixture(t, "wat/startloop.wasm"), nil)
	if !errors.Is(err, wasmrt.ErrInit) || !errors.Is(err, wasmrt.ErrTimeout) {
		t.Fatalf("Load of a looping start section: %v; want ErrInit and ErrTimeout", err)
	}

	// The start function loops once the clock passes a time written into
	// its data: the first instance starts, later ones hang.
	late := fixture(t, "wat/startlate.wasm")
	at := time.Now().Add(time.Second)
	i := bytes.Index(late, []byte("LATELATE"))
	if i < 0 {
		t.Fatal("no LATELATE marker in startlate.wasm")
	}
	binary.LittleEndian.PutUint64(late[i:], uint64(at.UnixNano()))
	p, err := r.Load(ctx, "startlate", late, nil)
	if err != nil {
		t.Fatalf("Load before the start function turns hostile: %v", err)
	}
	t.Cleanup(func() { p.Close(ctx) })
	for time.Now().Before(at) {
		goruntime.Gosched() // wait for the wall clock, not for an event
		time.Sleep(10 * time.Millisecond)
	}
	// The loaded instance traps (its transform is unreachable) and is
	// recycled; the next batch needs a new instance, whose start loops.
	if _, err := p.Transform(ctx, []wasmrt.Record{{Data: []byte("x")}}); err == nil {
		t.Fatal("transform did not trap")
	}
	_, err = p.Transform(ctx, []wasmrt.Record{{Data: []byte("x")}})
	if !errors.Is(err, wasmrt.ErrTimeout) {
		t.Fatalf("batch on an instance whose start loops: %v; want ErrTimeout", err)
	}
	// The runtime is still usable.
	id := load(t, r, "wat/identity.wasm", "")
	if res, err := id.Transform(ctx, []wasmrt.Record{{Data: []byte("ok")}}); err != nil || string(res[0].Data) != "ok" {
		t.Fatalf("identity after the hostile start: %v, %v", res, err)
	}
}
