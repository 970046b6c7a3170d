package wasmrt

import (
	"errors"
	"fmt"

	"github.com/wasmhose/wasmhose/runtime/internal/bounds"
)

// Errors of Load. Each is wrapped with detail; test with errors.Is.
var (
	// ErrNotPlugin: the module has no wasmhose_abi_vN marker export, or is a
	// WASI command (_start) rather than a reactor. Refuse it.
	ErrNotPlugin = errors.New("not a wasmhose plugin")
	// ErrUnsupportedABI: the module is a plugin for an ABI major version this
	// runtime does not implement.
	ErrUnsupportedABI = errors.New("unsupported plugin ABI version")
	// ErrMissingExport: a required export is absent or has the wrong type.
	ErrMissingExport = errors.New("plugin lacks a required export")
	// ErrInvalidModule: the module is not valid WebAssembly, or uses a feature
	// the runtime does not support.
	ErrInvalidModule = errors.New("invalid WebAssembly module")
	// ErrInit: the plugin's initialisation failed (its _initialize trapped, or
	// its init export rejected the configuration).
	ErrInit = errors.New("plugin initialisation failed")
	// ErrModuleLimit: the module declares more than the runtime allows (its
	// size, functions, locals, control nesting, br_table labels, tables and
	// their elements, globals, segments or exports; sdk/ABI.md lists the
	// limits). The message names the limit and the module's value. Refuse it.
	ErrModuleLimit = bounds.ErrLimit
	// ErrCompileTimeout: compiling the module took longer than
	// WithCompileTimeout. Refuse it.
	ErrCompileTimeout = errors.New("module compilation exceeded its deadline")
)

// ImportError reports an import outside the allow-list. Load returns it
// (wrapped) naming the first forbidden import.
type ImportError struct {
	// Module and Name identify the import, e.g. "wasi_snapshot_preview1" and
	// "sock_accept".
	Module, Name string
	// Kind is the import's kind: "func", "memory", "table", "global" or "tag".
	Kind string
}

func (e *ImportError) Error() string {
	return fmt.Sprintf("forbidden import %s.%s (%s)", e.Module, e.Name, e.Kind)
}

// Errors of Transform. Each fails the whole batch: the caller retries it
// (Firehose's NumberOfRetries) and then sends every record of the batch to
// the error output. Except for a *PluginError, the instance was discarded.
var (
	// ErrTimeout: the batch outlived its deadline and the guest was stopped.
	ErrTimeout = errors.New("plugin exceeded its batch deadline")
	// ErrMalformedResult: the guest returned a result frame that breaks the
	// ABI (pointer outside memory, wrong count, unknown status, …).
	ErrMalformedResult = errors.New("plugin returned a malformed result")
	// ErrOutputTooLarge: the result frame exceeds WithMaxOutputBytes.
	ErrOutputTooLarge = errors.New("plugin result exceeds the output limit")
	// ErrOutOfMemory: the guest could not allocate the input frame (its alloc
	// returned 0), usually because of the memory limit.
	ErrOutOfMemory = errors.New("plugin out of memory")
	// ErrBatchTooLarge: the input frame cannot fit in the memory limit; the
	// guest was not called. Split the batch.
	ErrBatchTooLarge = errors.New("batch larger than the plugin's memory limit")
	// ErrClosed: the plugin or runtime was closed.
	ErrClosed = errors.New("plugin closed")
)

// TrapError reports that the guest trapped (unreachable, out-of-bounds
// access, stack overflow, …) or exited (a Go guest's panic or fatal
// out-of-memory calls proc_exit) during a call.
type TrapError struct {
	// Plugin is the plugin's name.
	Plugin string
	// Func is the export that was running.
	Func string
	// Err is wazero's error (a *sys.ExitError for an exit).
	Err error
}

func (e *TrapError) Error() string {
	return fmt.Sprintf("plugin %s: %s trapped: %v", e.Plugin, e.Func, e.Err)
}

// Unwrap returns the wazero error.
func (e *TrapError) Unwrap() error { return e.Err }

// PluginError reports that the guest failed the batch on purpose (a
// BatchFailed result frame). The instance is kept.
type PluginError struct {
	// Plugin is the plugin's name.
	Plugin string
	// Message is the guest's text.
	Message string
}

func (e *PluginError) Error() string {
	return fmt.Sprintf("plugin %s failed the batch: %s", e.Plugin, e.Message)
}
