package transformtest_test

import (
	"context"
	"fmt"

	wasmrt "github.com/wasmhose/wasmhose/runtime"
	"github.com/wasmhose/wasmhose/runtime/transformtest"
)

// Check reports what a transform that loses records violates. In a test,
// call transformtest.Run(t, plugin, opts) instead.
func ExampleCheck() {
	lossy := wasmrt.TransformFunc(func(_ context.Context, recs []wasmrt.Record) ([]wasmrt.Result, error) {
		return []wasmrt.Result{}, nil // forgets every record
	})
	err := transformtest.Check(lossy, transformtest.Options{})
	fmt.Println(err != nil)
	// Output: true
}
