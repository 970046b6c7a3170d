package plugins_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/wasmhose/wasmhose/plugins"
	wasmrt "github.com/wasmhose/wasmhose/runtime"
)

// The tests share one runtime, so the blueprints' module is compiled once
// per package run (and through the on-disk cache, once per machine).
var (
	rtOnce sync.Once
	rt     *wasmrt.Runtime
	rtErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if rt != nil {
		rt.Close(context.Background())
	}
	os.Exit(code)
}

func runtimeForTests(t testing.TB) *wasmrt.Runtime {
	t.Helper()
	rtOnce.Do(func() {
		dir := filepath.Join(os.TempDir(), "wasmhose-plugins-test-cache")
		rt, rtErr = wasmrt.New(context.Background(), wasmrt.NewConfig().WithWorkers(2).WithCompilationCacheDir(dir))
	})
	if rtErr != nil {
		t.Fatal(rtErr)
	}
	return rt
}

// load loads the catalogue's plugin name with extra options merged into
// its bound configuration, as a function installed with --config would be.
func load(t testing.TB, r *wasmrt.Runtime, name string, options []byte) *wasmrt.Plugin {
	t.Helper()
	p, ok := plugins.Catalogue().Get(name)
	if !ok {
		t.Fatalf("no plugin %s in the catalogue", name)
	}
	cfg, err := mergeConfig(p.Config, options)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	wp, err := r.Load(ctx, name, p.Wasm, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { wp.Close(ctx) })
	return wp
}

// mergeConfig adds the members of extra (a JSON object, or empty) to the
// JSON object base.
func mergeConfig(base, extra []byte) ([]byte, error) {
	obj := map[string]json.RawMessage{}
	if err := json.Unmarshal(base, &obj); err != nil {
		return nil, fmt.Errorf("bound config: %w", err)
	}
	if len(extra) > 0 {
		var add map[string]json.RawMessage
		if err := json.Unmarshal(extra, &add); err != nil {
			return nil, fmt.Errorf("options: %w", err)
		}
		for k, v := range add {
			obj[k] = v
		}
	}
	return json.Marshal(obj)
}
