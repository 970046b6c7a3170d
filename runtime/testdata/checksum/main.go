// Command checksum is a loop-heavy Wasmhose plugin for benchmarks: it
// replaces each record with the 16-byte hex FNV-1a hash of the record hashed
// 16 times over, so nearly all its time is spent in tight loops (the worst
// case for a stopping mechanism that checks at loop headers).
package main

import wasmhose "github.com/wasmhose/wasmhose/sdk/go"

func init() {
	wasmhose.HandleRecord(func(r wasmhose.Record) wasmhose.Result {
		return wasmhose.Ok(Sum(r.Data))
	})
}

// Sum is the plugin's transform, exported for the native comparison.
func Sum(data []byte) []byte {
	h := uint64(14695981039346656037)
	for round := 0; round < 16; round++ {
		for _, c := range data {
			h ^= uint64(c)
			h *= 1099511628211
		}
	}
	const hex = "0123456789abcdef"
	out := make([]byte, 16)
	for i := 15; i >= 0; i-- {
		out[i] = hex[h&15]
		h >>= 4
	}
	return out
}

func main() {}
