// Package wasmhose is the Go SDK for Wasmhose transform plugins: WebAssembly
// modules that the Wasmhose service runs in place of Firehose's Lambda
// transforms. The contract between plugin and service is sdk/ABI.md (ABI v1);
// this package implements the guest side of it so that a plugin author writes
// only a function.
//
// A plugin is a package main that registers its handler from an init
// function and is built as a WASI reactor:
//
//	package main
//
//	import (
//		"bytes"
//
//		wasmhose "github.com/wasmhose/wasmhose/sdk/go"
//	)
//
//	func init() {
//		wasmhose.HandleRecord(func(r wasmhose.Record) wasmhose.Result {
//			return wasmhose.Ok(bytes.ToUpper(r.Data))
//		})
//	}
//
//	func main() {}
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o upper.wasm .
//
// The module is not published to a module proxy: build against a copy of
// this folder with a replace directive in the plugin's go.mod (the layout of
// examples/plugins/go):
//
//	require github.com/wasmhose/wasmhose/sdk/go v0.0.0
//	replace github.com/wasmhose/wasmhose/sdk/go => ../path/to/sdk/go
//
// # Notes
//
//   - Register from init, not from main: a c-shared (reactor) module runs
//     package initialisation in _initialize and never calls main.
//   - The module has no dependencies, and the package builds natively too, so
//     a plugin's logic can be unit-tested with plain go test through Apply.
//   - Record.Data aliases a buffer the SDK reuses for the next batch; copy it
//     to keep it. Result data is copied into the result frame when the
//     handler returns, so a handler may return slices of its input.
//   - A panic is not recovered: the guest exits, the host fails the batch,
//     retries it on a fresh instance and finally sends its records to the
//     error output. Return Failed for records you cannot process.
//   - The instance is single-threaded and reused for many batches: package
//     state set in init or by HandleInit persists between batches.
package wasmhose
