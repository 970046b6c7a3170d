// Command identity is a Wasmhose plugin that returns every record unchanged.
// It is the fixture of the runtime's overhead benchmark and of the
// conformance kit's identity cases.
package main

import wasmhose "github.com/wasmhose/wasmhose/sdk/go"

func init() {
	wasmhose.HandleRecord(func(r wasmhose.Record) wasmhose.Result { return wasmhose.Ok(r.Data) })
}

func main() {}
