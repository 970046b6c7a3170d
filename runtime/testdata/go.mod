// Module of the Go guests used as test fixtures. It is separate from the main
// module (testdata is ignored by go test ./...) and builds against the SDK in
// this repository. Rebuild the .wasm files with `make wasm-fixtures`.
module wasmhose.test/fixtures

go 1.26

require github.com/wasmhose/wasmhose/sdk/go v0.0.0

replace github.com/wasmhose/wasmhose/sdk/go => ../../sdk/go
