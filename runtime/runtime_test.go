package wasmrt_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	wasmrt "github.com/wasmhose/wasmhose/runtime"
)

func TestLoadRefuses(t *testing.T) {
	r := newRuntime(t, wasmrt.NewConfig())
	tests := []struct {
		name    string
		fixture string
		config  string
		expErr  error
		expText string
	}{
		{"socket import", "wat/sock.wasm", "", nil, "wasi_snapshot_preview1.sock_accept (func); WASI sock_accept is not available to plugins"},
		{"unknown module", "wat/unknown.wasm", "", nil, "env.now"},
		{"unknown import names the fix", "wat/unknown.wasm", "", nil, "C: define it or drop it (link with -Wl,--no-undefined"},
		{"assemblyscript abort", "wat/asabort.wasm", "", nil, "forbidden import env.abort (func); AssemblyScript's abort handler: build with --use abort=~lib/wasmhose-sdk/assembly/index/abort"},
		{"command", "wat/command.wasm", "", wasmrt.ErrNotPlugin, "_start"},
		{"command names the fix", "wat/command.wasm", "", wasmrt.ErrNotPlugin,
			"build a reactor: Go: go build -buildmode=c-shared; Rust: --crate-type cdylib (a lib, not a bin); C: clang -mexec-model=reactor; AssemblyScript: drop --exportStart"},
		{"no marker", "wat/noabi.wasm", "", wasmrt.ErrNotPlugin, "wasmhose_abi_v"},
		{"no marker names the fix", "wat/noabi.wasm", "", wasmrt.ErrNotPlugin, `AssemblyScript: export * from "wasmhose-sdk/assembly/exports" in the entry file`},
		{"missing alloc names the fix", "wat/noalloc.wasm", "", wasmrt.ErrMissingExport, "func wasmhose_v1_alloc; Go: register a handler with sdk/go"},
		{"future ABI", "wat/abiv2.wasm", "", wasmrt.ErrUnsupportedABI, "version 2"},
		{"init error text", "wat/initfail.wasm", "", wasmrt.ErrInit, "bad config"},
		{"go init rejects config", "kitchen/kitchen.wasm", `{"fail":true}`, wasmrt.ErrInit, "config asked init to fail"},
		{"go init bad json", "kitchen/kitchen.wasm", `{`, wasmrt.ErrInit, "unexpected end of JSON"},
		{"not wasm", "wat/identity.wat", "", wasmrt.ErrInvalidModule, "not a WebAssembly"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := r.Load(context.Background(), tc.name, fixture(t, tc.fixture), []byte(tc.config))
			if err == nil {
				t.Fatal("loaded")
			}
			if tc.expErr != nil && !errors.Is(err, tc.expErr) {
				t.Errorf("err = %v, want %v", err, tc.expErr)
			}
			if tc.expErr == nil {
				var ie *wasmrt.ImportError
				if !errors.As(err, &ie) {
					t.Errorf("err = %v, want an *ImportError", err)
				}
			}
			if !strings.Contains(err.Error(), tc.expText) {
				t.Errorf("err = %q, want it to mention %q", err, tc.expText)
			}
		})
	}
}

func TestKitchen(t *testing.T) {
	var logs bytes.Buffer
	var mu sync.Mutex
	logger := slog.New(slog.NewTextHandler(lockedWriter{&mu, &logs}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	r := newRuntime(t, wasmrt.NewConfig().WithWorkers(1).WithLogger(logger))
	p := load(t, r, "kitchen/kitchen.wasm", `{"prefix":">"}`)
	recs := []wasmrt.Record{
		{Data: []byte("a")},
		{Data: []byte("drop")},
		{Data: []byte("fail")},
		{Data: []byte("key:v1"), ArrivalMillis: 1700000000123},
		{Data: []byte("log:hello")},
		{Data: []byte{}},
	}
	res, err := p.Transform(context.Background(), recs)
	if err != nil {
		t.Fatal(err)
	}
	exp := []wasmrt.Result{
		{Status: wasmrt.StatusOk, Data: []byte(">a")},
		{Status: wasmrt.StatusDropped},
		{Status: wasmrt.StatusProcessingFailed, Error: "record asked to fail"},
		{Status: wasmrt.StatusOk, Data: []byte("key:v1"), PartitionKeys: []wasmrt.PartitionKey{{"arrival", "1700000000123"}, {"k", "v1"}}},
		{Status: wasmrt.StatusOk, Data: []byte("log:hello")},
		{Status: wasmrt.StatusOk, Data: []byte(">")},
	}
	if fmt.Sprint(res) != fmt.Sprint(exp) {
		t.Fatalf("got  %v\nwant %v", res, exp)
	}
	mu.Lock()
	out := logs.String()
	mu.Unlock()
	for _, want := range []string{`level=WARN msg=hello plugin=kitchen.wasm source=log`, `msg=stderr:hello plugin=kitchen.wasm source=stderr`} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// TestContainment runs hostile batches; each must fail with the expected
// error, and the plugin must serve the next batch.
func TestContainment(t *testing.T) {
	tests := []struct {
		name    string
		fixture string
		data    string
		cfg     func(wasmrt.Config) wasmrt.Config
		expErr  error
		expTrap bool
	}{
		{"go infinite loop", "kitchen/kitchen.wasm", "loop", nil, wasmrt.ErrTimeout, false},
		{"go infinite loop with branches inside", "kitchen/kitchen.wasm", "maze", nil, wasmrt.ErrTimeout, false},
		{"go memory bomb", "kitchen/kitchen.wasm", "oom", nil, nil, true},
		{"go panic", "kitchen/kitchen.wasm", "panic", nil, nil, true},
		{"go exit", "kitchen/kitchen.wasm", "exit", nil, nil, true},
		{"wat loop", "wat/loop.wasm", "", nil, wasmrt.ErrTimeout, false},
		{"wat loop, close on context done", "wat/loop.wasm", "", func(c wasmrt.Config) wasmrt.Config {
			return c.WithStopMode(wasmrt.StopCloseOnContextDone)
		}, wasmrt.ErrTimeout, false},
		{"wat recursion without loops", "wat/recurse.wasm", "", nil, wasmrt.ErrTimeout, false},
		{"wat trap", "wat/trap.wasm", "", nil, nil, true},
		{"wat memory growth", "wat/memgrow.wasm", "", nil, nil, true},
		{"wat table growth past the clamped maximum", "wat/tablegrow.wasm", "", nil, nil, true},
		{"wat wrong count", "wat/badcount.wasm", "x", nil, wasmrt.ErrMalformedResult, false},
		{"wat pointer out of range", "wat/outofrange.wasm", "", nil, wasmrt.ErrMalformedResult, false},
		{"wat output too large", "wat/bigout.wasm", "", func(c wasmrt.Config) wasmrt.Config {
			return c.WithMaxOutputBytes(1 << 20)
		}, wasmrt.ErrOutputTooLarge, false},
		{"wat alloc fails", "wat/allocfail.wasm", "", nil, wasmrt.ErrOutOfMemory, false},
		{"batch beyond memory limit", "wat/identity.wasm", strings.Repeat("x", 5<<20), func(c wasmrt.Config) wasmrt.Config {
			return c.WithMemoryLimitPages(64)
		}, wasmrt.ErrBatchTooLarge, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			timeout := 200 * time.Millisecond
			if tc.expTrap {
				timeout = 10 * time.Second // the guest must fail by itself
			}
			cfg := wasmrt.NewConfig().WithWorkers(1).WithBatchTimeout(timeout).WithMemoryLimitPages(512)
			if tc.cfg != nil {
				cfg = tc.cfg(cfg)
			}
			r := newRuntime(t, cfg)
			p := load(t, r, tc.fixture, "")
			start := time.Now()
			res, err := p.Transform(context.Background(), []wasmrt.Record{{Data: []byte(tc.data)}})
			if err == nil {
				t.Fatalf("no error, results %v", res)
			}
			if d := time.Since(start); d > 5*time.Second && !tc.expTrap {
				t.Errorf("took %v", d)
			}
			if res != nil {
				t.Errorf("results with an error: %v", res)
			}
			if tc.expErr != nil && !errors.Is(err, tc.expErr) {
				t.Errorf("err = %v, want %v", err, tc.expErr)
			}
			var te *wasmrt.TrapError
			if errors.As(err, &te) != tc.expTrap {
				t.Errorf("err = %v (%T), trap error expected: %v", err, err, tc.expTrap)
			}
			if !strings.HasPrefix(tc.fixture, "kitchen") {
				return
			}
			// The instance was recycled: the next batch works.
			res, err = p.Transform(context.Background(), []wasmrt.Record{{Data: []byte("ok")}})
			if err != nil || len(res) != 1 || string(res[0].Data) != "ok" {
				t.Fatalf("after containment: %v, %v", res, err)
			}
		})
	}
}

func TestCancel(t *testing.T) {
	r := newRuntime(t, wasmrt.NewConfig().WithWorkers(1))
	p := load(t, r, "wat/loop.wasm", "")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := p.Transform(ctx, []wasmrt.Record{{Data: []byte("x")}})
		done <- err
	}()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestClose(t *testing.T) {
	r := newRuntime(t, wasmrt.NewConfig())
	ctx := context.Background()
	p, err := r.Load(ctx, "id", fixture(t, "wat/identity.wasm"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(ctx); err != nil {
		t.Fatalf("second close: %v", err)
	}
	if _, err := p.Transform(ctx, nil); !errors.Is(err, wasmrt.ErrClosed) {
		t.Fatalf("err = %v, want ErrClosed", err)
	}
}

func TestConcurrent(t *testing.T) {
	r := newRuntime(t, wasmrt.NewConfig().WithWorkers(3))
	ctx := context.Background()
	wasm := fixture(t, "kitchen/kitchen.wasm")
	// Two plugins sharing one compiled module, with different configs.
	pa, err := r.Load(ctx, "a", wasm, []byte(`{"prefix":"a"}`))
	if err != nil {
		t.Fatal(err)
	}
	pb, err := r.Load(ctx, "b", wasm, []byte(`{"prefix":"b"}`))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p, prefix := pa, "a"
			if g%2 == 1 {
				p, prefix = pb, "b"
			}
			for i := range 20 {
				data := fmt.Sprintf("g%d-%d", g, i)
				res, err := p.Transform(ctx, []wasmrt.Record{{Data: []byte(data)}})
				if err != nil {
					errs <- err
					return
				}
				if string(res[0].Data) != prefix+data {
					errs <- fmt.Errorf("got %q, want %q", res[0].Data, prefix+data)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for _, p := range []*wasmrt.Plugin{pa, pb} {
		if err := p.Close(ctx); err != nil {
			t.Error(err)
		}
	}
}

func TestNewRejectsConfig(t *testing.T) {
	_, err := wasmrt.New(context.Background(), wasmrt.NewConfig().WithWorkers(0).WithBatchTimeout(-1).WithMemoryLimitPages(0))
	if err == nil {
		t.Fatal("accepted")
	}
	for _, want := range []string{"workers", "batch timeout", "memory limit"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q does not mention %q", err, want)
		}
	}
}

func TestCompilationCacheDir(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	for i := range 2 {
		r, err := wasmrt.New(ctx, wasmrt.NewConfig().WithCompilationCacheDir(dir))
		if err != nil {
			t.Fatal(err)
		}
		p, err := r.Load(ctx, "id", fixture(t, "wat/identity.wasm"), nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Close(ctx); err != nil {
			t.Fatal(err)
		}
		if err := r.Close(ctx); err != nil {
			t.Fatal(err)
		}
		entries, err := os.ReadDir(dir)
		if err != nil || len(entries) == 0 {
			t.Fatalf("run %d: cache dir empty (%v)", i, err)
		}
	}
}

func TestInspect(t *testing.T) {
	info, err := wasmrt.Inspect(fixture(t, "wat/sock.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	if len(info.ABIVersions) != 1 || info.ABIVersions[0] != 1 || len(info.Forbidden) != 1 ||
		info.Forbidden[0].Name != "sock_accept" || len(info.SHA256) != 64 {
		t.Fatalf("%+v", info)
	}
}
