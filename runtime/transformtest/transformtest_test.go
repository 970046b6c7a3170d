package transformtest_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	wasmrt "github.com/wasmhose/wasmhose/runtime"
	"github.com/wasmhose/wasmhose/runtime/transformtest"
)

func loadFixture(t *testing.T, name, config string) wasmrt.Transformer {
	t.Helper()
	ctx := context.Background()
	dir := filepath.Join(os.TempDir(), "wasmhose-wasmrt-test-cache")
	r, err := wasmrt.New(ctx, wasmrt.NewConfig().WithWorkers(2).WithCompilationCacheDir(dir))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(ctx) })
	wasm, err := os.ReadFile(filepath.Join("..", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	p, err := r.Load(ctx, name, wasm, []byte(config))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close(ctx) })
	return p
}

func TestGoIdentity(t *testing.T) {
	transformtest.Run(t, loadFixture(t, "identity/identity.wasm", ""), transformtest.Options{Identity: true})
}

// TestWATIdentity runs the hand-written WebAssembly guest: the ABI is not
// Go-shaped.
func TestWATIdentity(t *testing.T) {
	transformtest.Run(t, loadFixture(t, "wat/identity.wasm", ""), transformtest.Options{Identity: true})
}

// TestWATClassify runs the second hand-written guest, which uses the rest
// of the ABI: the configuration, the three statuses, error text and
// partition keys.
func TestWATClassify(t *testing.T) {
	transformtest.Run(t, loadFixture(t, "wat/classify.wasm", "pre:"), transformtest.Options{
		Cases: []transformtest.Case{{
			Name:    "statuses and keys",
			Records: []wasmrt.Record{{Data: []byte("hello")}, {Data: []byte("# a comment")}, {Data: nil}, {Data: []byte{0xC3, 0xA9}}},
			Results: []wasmrt.Result{
				{Status: wasmrt.StatusOk, Data: []byte("pre:hello"), PartitionKeys: []wasmrt.PartitionKey{{Name: "first", Value: "68"}}},
				{Status: wasmrt.StatusDropped},
				{Status: wasmrt.StatusProcessingFailed, Error: "empty record"},
				{Status: wasmrt.StatusOk, Data: []byte("pre:\xC3\xA9"), PartitionKeys: []wasmrt.PartitionKey{{Name: "first", Value: "c3"}}},
			},
		}},
	})
}

// TestWATClassifyRejectsItsConfig: a configuration the guest refuses makes
// the load fail with the guest's text.
func TestWATClassifyRejectsItsConfig(t *testing.T) {
	ctx := context.Background()
	r, err := wasmrt.New(ctx, wasmrt.NewConfig().WithWorkers(1))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(ctx) })
	wasm, err := os.ReadFile(filepath.Join("..", "testdata", "wat", "classify.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.Load(ctx, "classify", wasm, bytes.Repeat([]byte("x"), 257))
	if !errors.Is(err, wasmrt.ErrInit) || !strings.Contains(err.Error(), "config longer than 256 bytes") {
		t.Fatalf("Load = %v, want ErrInit with the guest's text", err)
	}
}

func TestNativeIdentity(t *testing.T) {
	id := wasmrt.TransformFunc(func(_ context.Context, recs []wasmrt.Record) ([]wasmrt.Result, error) {
		out := make([]wasmrt.Result, len(recs))
		for i, r := range recs {
			out[i] = wasmrt.Result{Status: wasmrt.StatusOk, Data: r.Data}
		}
		return out, nil
	})
	transformtest.Run(t, id, transformtest.Options{Identity: true})
}

func TestKitchenCases(t *testing.T) {
	transformtest.Run(t, loadFixture(t, "kitchen/kitchen.wasm", `{"prefix":"p:"}`), transformtest.Options{
		Cases: []transformtest.Case{{
			Name:    "statuses",
			Records: []wasmrt.Record{{Data: []byte("drop")}, {Data: []byte("fail")}, {Data: []byte("key:x"), ArrivalMillis: 5}, {Data: []byte("z")}},
			Results: []wasmrt.Result{
				{Status: wasmrt.StatusDropped},
				{Status: wasmrt.StatusProcessingFailed, Error: "record asked to fail"},
				{Status: wasmrt.StatusOk, Data: []byte("key:x"), PartitionKeys: []wasmrt.PartitionKey{{Name: "arrival", Value: "5"}, {Name: "k", Value: "x"}}},
				{Status: wasmrt.StatusOk, Data: []byte("p:z")},
			},
		}},
	})
}

// TestReportsViolations runs the suite against broken transforms and checks
// that it reports them.
func TestReportsViolations(t *testing.T) {
	tests := []struct {
		name string
		f    wasmrt.TransformFunc
		opts transformtest.Options
	}{
		{"drops the last result", func(_ context.Context, recs []wasmrt.Record) ([]wasmrt.Result, error) {
			out := make([]wasmrt.Result, 0, len(recs))
			for _, r := range recs[:max(0, len(recs)-1)] {
				out = append(out, wasmrt.Result{Status: wasmrt.StatusOk, Data: r.Data})
			}
			return out, nil
		}, transformtest.Options{}},
		{"not an identity", func(_ context.Context, recs []wasmrt.Record) ([]wasmrt.Result, error) {
			out := make([]wasmrt.Result, len(recs))
			for i, r := range recs {
				out[i] = wasmrt.Result{Status: wasmrt.StatusOk, Data: bytes.ToUpper(r.Data)}
			}
			return out, nil
		}, transformtest.Options{Identity: true}},
		{"depends on position", func(_ context.Context, recs []wasmrt.Record) ([]wasmrt.Result, error) {
			out := make([]wasmrt.Result, len(recs))
			for i := range recs {
				out[i] = wasmrt.Result{Status: wasmrt.StatusOk, Data: []byte{byte(i)}}
			}
			return out, nil
		}, transformtest.Options{}},
		{"keys on a dropped record", func(_ context.Context, recs []wasmrt.Record) ([]wasmrt.Result, error) {
			out := make([]wasmrt.Result, len(recs))
			for i := range recs {
				out[i] = wasmrt.Result{Status: wasmrt.StatusDropped, PartitionKeys: []wasmrt.PartitionKey{{Name: "a", Value: "b"}}}
			}
			return out, nil
		}, transformtest.Options{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := transformtest.Check(tc.f, tc.opts)
			if err == nil {
				t.Fatal("the suite reported nothing")
			}
			t.Logf("reported: %.300v", err)
		})
	}
}

// TestKitChecksPartitionKeysAreUTF8: the ABI says partition keys are UTF-8;
// a plugin emitting a raw byte as a key value is reported.
func TestKitChecksPartitionKeysAreUTF8(t *testing.T) {
	f := wasmrt.TransformFunc(func(_ context.Context, recs []wasmrt.Record) ([]wasmrt.Result, error) {
		out := make([]wasmrt.Result, len(recs))
		for i, r := range recs {
			out[i] = wasmrt.Result{Status: wasmrt.StatusOk, Data: r.Data, PartitionKeys: []wasmrt.PartitionKey{{Name: "first", Value: "\xff"}}}
		}
		return out, nil
	})
	err := transformtest.Check(f, transformtest.Options{Identity: true})
	if err == nil || !strings.Contains(err.Error(), `partition key "first" = "\xff" is not UTF-8`) {
		t.Fatalf("Check = %v, want a report of the non-UTF-8 key", err)
	}
}

// TestAssemblyScriptKitchen runs the suite on a plugin built with
// sdk/assemblyscript.
func TestAssemblyScriptKitchen(t *testing.T) {
	transformtest.Run(t, loadFixture(t, "assemblyscript/kitchen.wasm", "p:"), transformtest.Options{
		Cases: []transformtest.Case{{
			Name:    "statuses",
			Records: []wasmrt.Record{{Data: []byte("drop")}, {Data: []byte("fail")}, {Data: []byte("key:x"), ArrivalMillis: 5}, {Data: []byte("z")}},
			Results: []wasmrt.Result{
				{Status: wasmrt.StatusDropped},
				{Status: wasmrt.StatusProcessingFailed, Error: "record asked to fail"},
				{Status: wasmrt.StatusOk, Data: []byte("key:x"), PartitionKeys: []wasmrt.PartitionKey{{Name: "arrival", Value: "5"}, {Name: "k", Value: "x"}}},
				{Status: wasmrt.StatusOk, Data: []byte("p:z")},
			},
		}},
	})
}
