package wasmrt_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"

	wasmrt "github.com/wasmhose/wasmhose/runtime"
)

// TestAssemblyScript runs a plugin built with sdk/assemblyscript's default
// configuration (testdata/assemblyscript): it loads (no env.abort import),
// runs its start section, takes its configuration, answers every status
// with partition keys, logs through the host, and a failed assertion is
// logged by the SDK's abort handler and traps.
func TestAssemblyScript(t *testing.T) {
	var logs bytes.Buffer
	var mu sync.Mutex
	logger := slog.New(slog.NewTextHandler(lockedWriter{&mu, &logs}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	r := newRuntime(t, wasmrt.NewConfig().WithWorkers(1).WithLogger(logger))
	p := load(t, r, "assemblyscript/kitchen.wasm", ">")
	ctx := context.Background()
	res, err := p.Transform(ctx, []wasmrt.Record{
		{Data: []byte("a")},
		{Data: []byte("drop")},
		{Data: []byte("fail")},
		{Data: []byte("key:v1"), ArrivalMillis: 1700000000123},
		{Data: []byte("log:hello")},
		{Data: []byte{}},
	})
	if err != nil {
		t.Fatal(err)
	}
	exp := []wasmrt.Result{
		{Status: wasmrt.StatusOk, Data: []byte(">a")},
		{Status: wasmrt.StatusDropped},
		{Status: wasmrt.StatusProcessingFailed, Error: "record asked to fail"},
		{Status: wasmrt.StatusOk, Data: []byte("key:v1"), PartitionKeys: []wasmrt.PartitionKey{{"k", "v1"}, {"arrival", "1700000000123"}}},
		{Status: wasmrt.StatusOk, Data: []byte("log:hello")},
		{Status: wasmrt.StatusOk, Data: []byte(">")},
	}
	if fmt.Sprint(res) != fmt.Sprint(exp) {
		t.Fatalf("got  %v\nwant %v", res, exp)
	}

	_, err = p.Transform(ctx, []wasmrt.Record{{Data: []byte("a")}, {Data: []byte("abort")}})
	var trap *wasmrt.TrapError
	if !errors.As(err, &trap) {
		t.Fatalf("abort: err = %v, want a *TrapError", err)
	}
	// The instance was replaced: the plugin serves the next batch.
	if res, err := p.Transform(ctx, []wasmrt.Record{{Data: []byte("b")}}); err != nil || string(res[0].Data) != ">b" {
		t.Fatalf("after the trap: %v, %v", res, err)
	}
	mu.Lock()
	out := logs.String()
	mu.Unlock()
	for _, want := range []string{
		`level=WARN msg=hello plugin=kitchen.wasm source=log`,
		`level=ERROR msg="abort: record asked to abort at assembly/index.ts:`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}

	_, err = r.Load(ctx, "reject", fixture(t, "assemblyscript/kitchen.wasm"), []byte("reject"))
	if !errors.Is(err, wasmrt.ErrInit) || !strings.HasSuffix(err.Error(), ": config asked init to fail") {
		t.Fatalf("Load(reject) = %v, want ErrInit with the guest's text", err)
	}
}
