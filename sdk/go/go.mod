module github.com/wasmhose/wasmhose/sdk/go

go 1.26
