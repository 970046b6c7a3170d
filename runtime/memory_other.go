//go:build !unix

package wasmrt

import "github.com/tetratelabs/wazero/experimental"

// memoryAllocator returns nil: wazero's default allocator is used.
func memoryAllocator() experimental.MemoryAllocator { return nil }
