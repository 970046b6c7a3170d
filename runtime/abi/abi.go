package abi

// Version is the ABI major version described by this package.
const Version = 1

// Names of the import module and of its functions (offered by the host to the
// guest).
const (
	// ImportModule is the module name of every Wasmhose import.
	ImportModule = "wasmhose_v1"
	// ImportLog is log(level i32, ptr i32, len i32): a log line from the guest.
	ImportLog = "log"
)

// Names of the exports a plugin provides.
const (
	// MarkerPrefix prefixes the marker export naming the ABI major version:
	// a plugin for version N exports a function named MarkerPrefix+"N".
	MarkerPrefix = "wasmhose_abi_v"
	// ExportMarker is the marker export of version 1: a function of any
	// signature (conventionally () -> ()), never called.
	ExportMarker = "wasmhose_abi_v1"
	// ExportAlloc is alloc(size i32) -> ptr i32 (required).
	ExportAlloc = "wasmhose_v1_alloc"
	// ExportInit is init(cfg_ptr i32, cfg_len i32) -> i64 (optional).
	ExportInit = "wasmhose_v1_init"
	// ExportTransform is transform(in_ptr i32, in_len i32) -> i64 (required).
	ExportTransform = "wasmhose_v1_transform"
	// ExportMemory is the guest's linear memory (required).
	ExportMemory = "memory"
	// ExportInitialize is the WASI reactor initialiser, called once after
	// instantiation when exported.
	ExportInitialize = "_initialize"
	// ExportStart is the WASI command entry point. A plugin must not export
	// it: commands exit when their main returns.
	ExportStart = "_start"
)

// WASIModule is the module name of the WASI preview 1 functions.
const WASIModule = "wasi_snapshot_preview1"

// Status is the outcome of one record, as Firehose's Lambda contract defines
// it. It is encoded as a little-endian u32 in the result frame.
type Status uint32

// The record statuses. Any other value makes the result frame malformed.
const (
	// StatusOk means the record was transformed; its data is delivered.
	StatusOk Status = 0
	// StatusDropped means the record is intentionally discarded; it counts as
	// a success and is not delivered.
	StatusDropped Status = 1
	// StatusProcessingFailed means the record could not be transformed; its
	// original data goes to the error output with the guest's error text.
	StatusProcessingFailed Status = 2
)

// String returns Firehose's name of the status ("Ok", "Dropped",
// "ProcessingFailed"), or "Status(n)" for an unknown value.
func (s Status) String() string {
	switch s {
	case StatusOk:
		return "Ok"
	case StatusDropped:
		return "Dropped"
	case StatusProcessingFailed:
		return "ProcessingFailed"
	}
	return "Status(" + utoa(uint32(s)) + ")"
}

// Batch outcomes: the first u32 of a result frame.
const (
	// BatchOk means one result per input record follows.
	BatchOk uint32 = 0
	// BatchFailed means the guest failed the whole batch; error text follows.
	// The host treats it as a failed invocation (retried, then every record
	// goes to the error output).
	BatchFailed uint32 = 1
)

// Log levels passed to the log import. They equal log/slog's levels.
const (
	LevelDebug int32 = -4
	LevelInfo  int32 = 0
	LevelWarn  int32 = 4
	LevelError int32 = 8
)

// Frame layout, in bytes. Every integer is little-endian; there is no padding
// and no alignment.
//
// Input frame (host → guest):
//
//	u32 count
//	count × { i64 arrival_ms, u32 len, len bytes data }
//
// Result frame (guest → host), BatchOk:
//
//	u32 0 (BatchOk), u32 count
//	count × { u32 status, u32 len, len bytes data-or-error,
//	          u32 nkeys, nkeys × { u32 nlen, nlen bytes name, u32 vlen, vlen bytes value } }
//
// Result frame, BatchFailed:
//
//	u32 1 (BatchFailed), u32 len, len bytes error text
const (
	// InputHeaderSize is the size of the input frame header (the count).
	InputHeaderSize = 4
	// InputRecordHeaderSize is the size of a record's fixed part: arrival
	// time (i64) and data length (u32).
	InputRecordHeaderSize = 12
	// ResultHeaderSize is the size of the result frame header: batch outcome
	// (u32) and count or error length (u32).
	ResultHeaderSize = 8
	// ResultRecordHeaderSize is the size of a result's status (u32) and data
	// length (u32).
	ResultRecordHeaderSize = 8
	// ResultKeyCountSize is the size of a result's partition key count (u32).
	ResultKeyCountSize = 4
	// LengthSize is the size of every length prefix (u32).
	LengthSize = 4
)

// Packing of a (ptr, len) pair returned as one i64 by init and transform.
const (
	// PackedPtrShift is the shift of the pointer: ptr = uint32(v >> 32).
	PackedPtrShift = 32
	// PackedLenMask masks the length: len = uint32(v & PackedLenMask).
	PackedLenMask = 0xFFFF_FFFF
)

// Pack returns the i64 encoding of a (ptr, len) pair.
func Pack(ptr, length uint32) uint64 { return uint64(ptr)<<PackedPtrShift | uint64(length) }

// Unpack splits the i64 encoding of a (ptr, len) pair.
func Unpack(v uint64) (ptr, length uint32) {
	return uint32(v >> PackedPtrShift), uint32(v & PackedLenMask)
}

// WASIAllowed reports whether a plugin may import the WASI preview 1
// function name. Allowed are the functions language runtimes reference
// (clocks, randomness, arguments, environment, standard streams, process
// exit, yielding) and the file-system functions, which the host makes inert:
// a plugin runs with no pre-opened directories, no arguments and no
// environment, so a path can never be resolved and only descriptors 0, 1 and
// 2 exist. The socket functions (sock_*) and proc_raise are refused, as is any
// name WASI preview 1 does not define.
func WASIAllowed(name string) bool {
	switch name {
	case "args_get", "args_sizes_get", "environ_get", "environ_sizes_get",
		"clock_res_get", "clock_time_get", "random_get", "poll_oneoff",
		"sched_yield", "proc_exit",
		"fd_advise", "fd_allocate", "fd_close", "fd_datasync", "fd_fdstat_get",
		"fd_fdstat_set_flags", "fd_fdstat_set_rights", "fd_filestat_get",
		"fd_filestat_set_size", "fd_filestat_set_times", "fd_pread",
		"fd_prestat_get", "fd_prestat_dir_name", "fd_pwrite", "fd_read",
		"fd_readdir", "fd_renumber", "fd_seek", "fd_sync", "fd_tell", "fd_write",
		"path_create_directory", "path_filestat_get", "path_filestat_set_times",
		"path_link", "path_open", "path_readlink", "path_remove_directory",
		"path_rename", "path_symlink", "path_unlink_file":
		return true
	}
	return false
}

func utoa(v uint32) string {
	var b [10]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			return string(b[i:])
		}
	}
}
