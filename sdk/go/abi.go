package wasmhose

// This file mirrors the constants of the host's runtime/abi package (ABI v1).
// The SDK is a separate module that must not import the host module, so the
// values are repeated here; sdk/ABI.md is the contract both follow.

const (
	abiImportModule = "wasmhose_v1"

	batchOk     uint32 = 0
	batchFailed uint32 = 1

	inputHeaderSize       = 4
	inputRecordHeaderSize = 12
)

// Status is the outcome of one record (Firehose's Lambda result).
type Status uint32

// The record statuses.
const (
	// StatusOk: the record was transformed and its data is delivered.
	StatusOk Status = 0
	// StatusDropped: the record is discarded on purpose (counts as success).
	StatusDropped Status = 1
	// StatusProcessingFailed: the record goes to the error output.
	StatusProcessingFailed Status = 2
)

// Level is a log level; the values equal log/slog's.
type Level int32

// The log levels.
const (
	LevelDebug Level = -4
	LevelInfo  Level = 0
	LevelWarn  Level = 4
	LevelError Level = 8
)

// String returns Firehose's name of the status: "Ok", "Dropped" or
// "ProcessingFailed".
func (s Status) String() string {
	switch s {
	case StatusOk:
		return "Ok"
	case StatusDropped:
		return "Dropped"
	case StatusProcessingFailed:
		return "ProcessingFailed"
	}
	return "Status(" + itoa(uint32(s)) + ")"
}

func itoa(v uint32) string {
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
