package plugins_test

import (
	"os"
	"testing"

	wasmrt "github.com/wasmhose/wasmhose/runtime"
	"github.com/wasmhose/wasmhose/runtime/transformtest"
)

// TestCSDKBatchFromCXX runs the conformance kit on sdk/c/testdata/upper.wasm:
// a C++ plugin using the C SDK's batch callback, partition keys and
// per-record failures (built by make sdk-c-check).
func TestCSDKBatchFromCXX(t *testing.T) {
	wasm, err := os.ReadFile("../../sdk/c/testdata/upper.wasm")
	if err != nil {
		t.Fatal(err)
	}
	pl := load(t, newRuntime(t), plugin{lang: "c++", wasm: wasm}, nil)
	transformtest.Run(t, pl, transformtest.Options{Cases: []transformtest.Case{{
		Name:    "upper",
		Records: []wasmrt.Record{{Data: []byte("hi, you")}, {Data: nil}, {Data: []byte("x")}},
		Results: []wasmrt.Result{
			{Status: wasmrt.StatusOk, Data: []byte("HI, YOU"), PartitionKeys: []wasmrt.PartitionKey{{Name: "first", Value: "h"}}},
			{Status: wasmrt.StatusProcessingFailed, Error: "empty record"},
			{Status: wasmrt.StatusOk, Data: []byte("X"), PartitionKeys: []wasmrt.PartitionKey{{Name: "first", Value: "x"}}},
		},
	}}})
}
