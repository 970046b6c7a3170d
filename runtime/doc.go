// Package wasmrt runs Wasmhose transform plugins: WebAssembly modules that
// follow the ABI of sdk/ABI.md (constants in runtime/abi), on wazero.
//
// The directory is runtime/ but the package is named wasmrt so that it does
// not shadow the standard library's runtime; import it as
//
//	import wasmrt "github.com/wasmhose/wasmhose/runtime"
//
// # Lifecycle
//
// New creates a Runtime from an immutable Config. Runtime.Load checks a
// module (ABI marker, exports, the import allow-list), compiles it once per
// SHA-256 (and through the on-disk compilation cache when configured),
// instantiates one instance to run its initialisers and pass it its
// configuration, and returns a Plugin. Plugin.Transform runs one batch on an
// instance from the plugin's pool; Plugin.Close and Runtime.Close release
// everything.
//
// # Containment
//
// Every batch runs under a deadline (WithBatchTimeout) on an instance with a
// memory cap (WithMemoryLimitPages) and an output cap (WithMaxOutputBytes).
// A trap, a guest exit, a timeout, exhausted memory or a malformed result
// fails that batch with an error (see the Err* values and TrapError), and the
// instance is discarded; the next batch gets a fresh one. None of them
// panics in, or blocks, the caller beyond the deadline.
//
// Runaway guests are stopped by an interrupt flag injected into the module at
// load time (see StopMode): each loop header and function entry tests a
// global that the host sets when the deadline passes.
//
// # Imports
//
// "Imports" are the functions the host offers to a guest; "the host" in the
// ABI means the Wasmhose service. A plugin may import wasmhose_v1.log and the
// WASI preview 1 functions abi.WASIAllowed accepts; WASI runs with no
// pre-opened directories, no arguments, no environment, real clocks,
// crypto/rand randomness and sleeps that return at once. Standard output and
// error become log lines.
package wasmrt
