package wasmhose_test

import (
	"bytes"
	"fmt"

	wasmhose "github.com/wasmhose/wasmhose/sdk/go"
)

// A plugin upper-cases each record, drops empty ones and partitions by the
// first byte. In a plugin, the HandleRecord call sits in func init; Apply runs
// the handler natively, as a unit test of the plugin would.
func ExampleHandleRecord() {
	wasmhose.HandleRecord(func(r wasmhose.Record) wasmhose.Result {
		if len(r.Data) == 0 {
			return wasmhose.Dropped()
		}
		return wasmhose.Ok(bytes.ToUpper(r.Data)).WithPartitionKey("first", string(r.Data[:1]))
	})
	res, err := wasmhose.Apply([]wasmhose.Record{{Data: []byte("hello")}, {Data: nil}})
	if err != nil {
		panic(err)
	}
	for _, r := range res {
		fmt.Println(r.Status, string(r.Data), r.PartitionKeys)
	}
	// Output:
	// Ok HELLO map[first:h]
	// Dropped  map[]
}
