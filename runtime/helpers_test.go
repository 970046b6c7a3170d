package wasmrt_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	wasmrt "github.com/wasmhose/wasmhose/runtime"
)

// fixture reads a committed test module, e.g. "identity/identity.wasm".
func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// cacheDir is a compilation cache shared by the tests of this package, so
// that each Go fixture is compiled once per run, not once per test.
func cacheDir(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(os.TempDir(), "wasmhose-wasmrt-test-cache")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func newRuntime(t testing.TB, cfg wasmrt.Config) *wasmrt.Runtime {
	t.Helper()
	ctx := context.Background()
	r, err := wasmrt.New(ctx, cfg.WithCompilationCacheDir(cacheDir(t)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := r.Close(ctx); err != nil {
			t.Error(err)
		}
	})
	return r
}

func load(t testing.TB, r *wasmrt.Runtime, name string, config string) *wasmrt.Plugin {
	t.Helper()
	ctx := context.Background()
	p, err := r.Load(ctx, filepath.Base(name), fixture(t, name), []byte(config))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := p.Close(ctx); err != nil {
			t.Error(err)
		}
	})
	return p
}
