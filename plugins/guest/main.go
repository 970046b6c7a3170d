// Command guest is the Wasm module of Wasmhose's built-in plugins: every
// Firehose blueprint of package plugins/blueprint in one module, chosen by
// the configuration's "blueprint" member, e.g.
//
//	{"blueprint":"apachelog-to-json","newline":true}
//
// Build it as a WASI reactor (the Makefile's plugins-wasm target):
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -trimpath -o ../blueprints.wasm .
package main

import (
	"errors"

	wasmhose "github.com/wasmhose/wasmhose/sdk/go"

	"github.com/wasmhose/wasmhose/plugins/blueprint"
)

// The instance's state: the configured blueprint, and the buffers reused
// from batch to batch (an instance runs one batch at a time).
var (
	bp      *blueprint.Blueprint
	arena   []byte
	results []wasmhose.Result
)

func init() {
	wasmhose.HandleInit(configure)
	wasmhose.HandleBatch(transform)
}

// configure builds the blueprint the configuration names.
func configure(config []byte) error {
	b, err := blueprint.NewFromConfig(config)
	if err != nil {
		return err
	}
	bp = b
	return nil
}

var errNotConfigured = errors.New(`built-in plugin: no configuration; want {"blueprint":"<name>", ...}`)

// transform runs the blueprint over a batch. Every output is appended to one
// arena; the SDK copies the results into the result frame when transform
// returns, so the arena is reused by the next batch.
func transform(recs []wasmhose.Record) ([]wasmhose.Result, error) {
	if bp == nil {
		return nil, errNotConfigured
	}
	arena = arena[:0]
	results = results[:0]
	for _, r := range recs {
		var res blueprint.Result
		arena, res = bp.AppendTransform(arena, r.Data)
		results = append(results, wasmhose.Result{
			Status: wasmhose.Status(res.Status),
			Data:   res.Data,
			Error:  res.Error,
		})
	}
	return results, nil
}

func main() {}
