package wasmrt_test

import (
	"context"
	"fmt"
	"os"
	"time"

	wasmrt "github.com/wasmhose/wasmhose/runtime"
)

// Load a plugin and run one batch through it.
func Example() {
	ctx := context.Background()
	r, err := wasmrt.New(ctx, wasmrt.NewConfig().WithWorkers(2).WithBatchTimeout(5*time.Second))
	if err != nil {
		panic(err)
	}
	defer r.Close(ctx)

	wasm, err := os.ReadFile("testdata/wat/identity.wasm")
	if err != nil {
		panic(err)
	}
	p, err := r.Load(ctx, "identity", wasm, nil)
	if err != nil {
		panic(err)
	}
	defer p.Close(ctx)

	res, err := p.Transform(ctx, []wasmrt.Record{{Data: []byte("hello")}, {Data: []byte("world")}})
	if err != nil {
		panic(err) // a batch error: retry, then send the batch to the error output
	}
	for _, r := range res {
		fmt.Println(r.Status, string(r.Data))
	}
	// Output:
	// Ok hello
	// Ok world
}

// Load refuses a module importing a function outside the allow-list, names
// the import and says how to do without it.
func ExampleRuntime_Load_forbiddenImport() {
	ctx := context.Background()
	r, err := wasmrt.New(ctx, wasmrt.NewConfig())
	if err != nil {
		panic(err)
	}
	defer r.Close(ctx)
	wasm, err := os.ReadFile("testdata/wat/sock.wasm")
	if err != nil {
		panic(err)
	}
	_, err = r.Load(ctx, "sock", wasm, nil)
	fmt.Println(err)
	// Output: load plugin sock: forbidden import wasi_snapshot_preview1.sock_accept (func); WASI sock_accept is not available to plugins (no sockets, no signals): remove the code that calls it
}
