// The reference plugin in Go. A module of its own, so that it builds against
// the SDK in this repository (the replace below) and never pulls in the
// service's dependencies.
module wasmhose.example/json-to-csv

go 1.26

require github.com/wasmhose/wasmhose/sdk/go v0.0.0

replace github.com/wasmhose/wasmhose/sdk/go => ../../../sdk/go
