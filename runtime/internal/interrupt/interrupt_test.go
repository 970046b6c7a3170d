package interrupt_test

import (
	"context"
	"errors"
	"os"
	"testing"

	"github.com/tetratelabs/wazero"

	"github.com/wasmhose/wasmhose/runtime/internal/interrupt"
	"github.com/wasmhose/wasmhose/runtime/internal/modinfo"
)

// TestInjectFixtures rewrites every fixture and checks that wazero compiles
// the result. The runtime's tests check that the global stops the guest.
func TestInjectFixtures(t *testing.T) {
	ctx := context.Background()
	r := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter())
	t.Cleanup(func() { r.Close(ctx) })
	for name, wasm := range interrupt.Fixtures(t) {
		t.Run(name, func(t *testing.T) {
			out, st, err := interrupt.Inject(wasm)
			if err != nil {
				t.Fatal(err)
			}
			if st.Functions == 0 && name != "wat/abiv2.wasm" && name != "wat/noabi.wasm" {
				t.Errorf("no function instrumented: %+v", st)
			}
			cm, err := r.CompileModule(ctx, out)
			if err != nil {
				t.Fatalf("rewritten module does not compile: %v", err)
			}
			cm.Close(ctx)
		})
	}
}

func TestInjectErrors(t *testing.T) {
	hdr := []byte("\x00asm\x01\x00\x00\x00")
	tests := []struct {
		name   string
		in     []byte
		expErr error
	}{
		{"empty", nil, interrupt.ErrMalformed},
		{"bad magic", []byte("\x00asx\x01\x00\x00\x00"), interrupt.ErrMalformed},
		{"truncated section", append(append([]byte{}, hdr...), 1, 5, 0), interrupt.ErrMalformed},
		{"unknown section", append(append([]byte{}, hdr...), 99, 0), interrupt.ErrMalformed},
		{"out of order", append(append([]byte{}, hdr...), 3, 1, 0, 1, 1, 0), interrupt.ErrMalformed},
		// type () -> (); func 0: type 0; code: global.set 0 (no globals before the rewrite)
		{"refers to the new global", append(append([]byte{}, hdr...),
			1, 4, 1, 0x60, 0, 0,
			3, 2, 1, 0,
			10, 8, 1, 6, 0, 0x41, 0, 0x24, 0, 0x0B), interrupt.ErrMalformed},
		{"threads opcode", append(append([]byte{}, hdr...),
			1, 4, 1, 0x60, 0, 0,
			3, 2, 1, 0,
			10, 6, 1, 4, 0, 0xFE, 3, 0x0B), interrupt.ErrUnsupported},
		{"already exported", append(append([]byte{}, hdr...),
			7, 21, 1, 18, 'w', 'a', 's', 'm', 'h', 'o', 's', 'e', '_', 'i', 'n', 't', 'e', 'r', 'r', 'u', 'p', 't', 0, 0), interrupt.ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := interrupt.Inject(tc.in)
			if !errors.Is(err, tc.expErr) {
				t.Fatalf("err = %v, want %v", err, tc.expErr)
			}
		})
	}
}

func TestInjectCounts(t *testing.T) {
	wasm, err := os.ReadFile("../../testdata/wat/loop.wasm")
	if err != nil {
		t.Fatal(err)
	}
	_, st, err := interrupt.Inject(wasm)
	if err != nil {
		t.Fatal(err)
	}
	if st.Loops != 1 || st.Functions != 3 || st.Global != 0 {
		t.Fatalf("stats %+v, want 1 loop, 3 functions, global 0", st)
	}
}

// FuzzInject checks that the rewriter never panics, and that what it
// returns is a module whose import and export sections still parse and that
// exports the interrupt global. (TestInjectFixtures compiles rewritten
// modules with wazero; the fuzz target does not, because wazero's compiler,
// fed arbitrary bytes, can allocate enough to kill the fuzz worker.)
func FuzzInject(f *testing.F) {
	for _, wasm := range interrupt.Fixtures(f) {
		if len(wasm) < 4096 {
			f.Add(wasm)
		}
	}
	f.Fuzz(func(t *testing.T, wasm []byte) {
		out, st, err := interrupt.Inject(wasm)
		if err != nil {
			if !errors.Is(err, interrupt.ErrMalformed) && !errors.Is(err, interrupt.ErrUnsupported) {
				t.Fatalf("error wraps neither ErrMalformed nor ErrUnsupported: %v", err)
			}
			return
		}
		info, err := modinfo.Parse(out)
		if err != nil {
			t.Fatalf("output does not parse: %v", err)
		}
		found := false
		for _, ex := range info.Exports {
			found = found || (ex.Name == interrupt.ExportName && ex.Kind == modinfo.KindGlobal)
		}
		if !found {
			t.Fatalf("global not exported (stats %+v)", st)
		}
	})
}
