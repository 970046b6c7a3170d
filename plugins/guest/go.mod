// Module of the built-in plugins' Wasm guest. It is a separate module so
// that the guest never pulls in the service's dependencies (wazero, the AWS
// SDK): it needs only the SDK and package plugins/blueprint (standard
// library only). Rebuild ../blueprints.wasm with `make plugins-wasm`.
module github.com/wasmhose/wasmhose/plugins/guest

go 1.26.8

require (
	github.com/wasmhose/wasmhose v0.0.0
	github.com/wasmhose/wasmhose/sdk/go v0.0.0
)

replace (
	github.com/wasmhose/wasmhose => ../..
	github.com/wasmhose/wasmhose/sdk/go => ../../sdk/go
)
