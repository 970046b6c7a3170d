package pluginstore_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/wasmhose/wasmhose/host/pluginstore"
	"github.com/wasmhose/wasmhose/plugins"
	wasmrt "github.com/wasmhose/wasmhose/runtime"
)

// Install a module as a function, then resolve a processor's LambdaArn to it.
func ExampleStore_Resolve() {
	ctx := context.Background()
	dataDir, err := os.MkdirTemp("", "wasmhose-example-")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dataDir)

	rt, err := wasmrt.New(ctx, wasmrt.NewConfig())
	if err != nil {
		panic(err)
	}
	defer rt.Close(ctx)
	store, err := pluginstore.Open(filepath.Join(dataDir, pluginstore.DirName), plugins.NewEmptyRegistry(), rt, nil)
	if err != nil {
		panic(err)
	}
	defer store.Close(ctx)

	wasm, err := os.ReadFile("../../runtime/testdata/wat/identity.wasm")
	if err != nil {
		panic(err)
	}
	f, err := store.Install(ctx, "echo", wasm, json.RawMessage(`{"any":"config"}`), "identity.wasm")
	if err != nil {
		panic(err)
	}
	fmt.Println("installed", f.Name, "version", f.Latest().Version)

	t, err := store.Resolve(ctx, "arn:aws:lambda:us-east-1:000000000000:function:echo:1")
	if err != nil {
		panic(err)
	}
	res, err := t.Transform(ctx, []wasmrt.Record{{Data: []byte("hello")}})
	if err != nil {
		panic(err)
	}
	fmt.Println(res[0].Status, string(res[0].Data))

	_, err = store.Resolve(ctx, "arn:aws:lambda:us-east-1:000000000000:function:echo:2")
	fmt.Println(err)
	// Output:
	// installed echo version 1
	// Ok hello
	// resolve arn:aws:lambda:us-east-1:000000000000:function:echo:2: function not found: function echo has no version 2 (latest is 1)
}
