package wasmhose

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
)

// Record is one input record.
type Record struct {
	// Data is the record's payload. It aliases the SDK's input buffer and is
	// valid only until the handler returns.
	Data []byte
	// ArrivalMillis is the approximate arrival time at the service, in
	// milliseconds since the Unix epoch (Firehose's
	// approximateArrivalTimestamp).
	ArrivalMillis int64
}

// Result is the outcome of one record. Build it with Ok, Dropped or Failed.
type Result struct {
	// Status is the record's outcome.
	Status Status
	// Data is the transformed record (StatusOk only).
	Data []byte
	// Error explains a StatusProcessingFailed result; it is written to the
	// error output as errorMessage.
	Error string
	// PartitionKeys are the dynamic partitioning keys of an Ok record
	// (Firehose's metadata.partitionKeys); nil for none.
	PartitionKeys map[string]string
}

// Ok returns a successful result carrying data.
func Ok(data []byte) Result { return Result{Status: StatusOk, Data: data} }

// Dropped returns a result that discards the record.
func Dropped() Result { return Result{Status: StatusDropped} }

// Failed returns a result that sends the record to the error output with
// message as its errorMessage.
func Failed(message string) Result { return Result{Status: StatusProcessingFailed, Error: message} }

// WithPartitionKey returns a copy of r with the partition key name set to
// value. It does not modify r's map.
func (r Result) WithPartitionKey(name, value string) Result {
	keys := make(map[string]string, len(r.PartitionKeys)+1)
	for k, v := range r.PartitionKeys {
		keys[k] = v
	}
	keys[name] = value
	r.PartitionKeys = keys
	return r
}

// RecordFunc transforms one record.
type RecordFunc func(Record) Result

// BatchFunc transforms a batch. It must return exactly one result per record,
// in order; a non-nil error fails the whole batch (the service retries it and
// then sends every record to the error output).
type BatchFunc func([]Record) ([]Result, error)

// InitFunc receives the plugin's configuration (JSON, possibly empty) once,
// before the first batch. A non-nil error makes the plugin fail to load.
type InitFunc func(config []byte) error

// The handlers registered by the plugin. A Wasm instance is single-threaded,
// and registration happens during package initialisation.
var (
	batchHandler BatchFunc
	initHandler  InitFunc
)

// HandleRecord registers f as the plugin's per-record transform. Call it from
// an init function. It replaces any handler registered before.
func HandleRecord(f RecordFunc) {
	batchHandler = func(recs []Record) ([]Result, error) {
		out := make([]Result, len(recs))
		for i, r := range recs {
			out[i] = f(r)
		}
		return out, nil
	}
}

// HandleBatch registers f as the plugin's per-batch transform. Call it from an
// init function. It replaces any handler registered before.
func HandleBatch(f BatchFunc) { batchHandler = f }

// HandleInit registers f to receive the plugin's configuration. Without it,
// any configuration is accepted and ignored.
func HandleInit(f InitFunc) { initHandler = f }

// ErrNoHandler is returned by Apply, and fails every batch, when no handler
// is registered.
var ErrNoHandler = errors.New("wasmhose: no handler registered (call HandleRecord or HandleBatch from init)")

// Apply runs the registered handler on records and checks its results as the
// service would. It is meant for native unit tests of a plugin's logic.
func Apply(records []Record) ([]Result, error) {
	if batchHandler == nil {
		return nil, ErrNoHandler
	}
	res, err := batchHandler(records)
	if err != nil {
		return nil, err
	}
	if len(res) != len(records) {
		return nil, fmt.Errorf("wasmhose: handler returned %d results for %d records", len(res), len(records))
	}
	return res, nil
}

// decodeBatch parses an input frame into recs (reused).
func decodeBatch(recs []Record, b []byte) ([]Record, error) {
	if len(b) < inputHeaderSize {
		return recs, errors.New("input frame truncated")
	}
	n := binary.LittleEndian.Uint32(b)
	b = b[inputHeaderSize:]
	if uint64(n)*inputRecordHeaderSize > uint64(len(b)) {
		return recs, errors.New("input frame truncated")
	}
	recs = recs[:0]
	for i := uint32(0); i < n; i++ {
		if len(b) < inputRecordHeaderSize {
			return recs, errors.New("input frame truncated")
		}
		at := int64(binary.LittleEndian.Uint64(b))
		l := binary.LittleEndian.Uint32(b[8:])
		b = b[inputRecordHeaderSize:]
		if uint64(l) > uint64(len(b)) {
			return recs, errors.New("input frame truncated")
		}
		recs = append(recs, Record{Data: b[:l:l], ArrivalMillis: at})
		b = b[l:]
	}
	if len(b) != 0 {
		return recs, errors.New("trailing bytes in input frame")
	}
	return recs, nil
}

// encodeResults appends a BatchOk result frame to dst.
func encodeResults(dst []byte, res []Result) []byte {
	dst = binary.LittleEndian.AppendUint32(dst, batchOk)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(res)))
	var names []string
	for _, r := range res {
		dst = binary.LittleEndian.AppendUint32(dst, uint32(r.Status))
		switch r.Status {
		case StatusOk:
			dst = appendLP(dst, r.Data)
		case StatusProcessingFailed:
			dst = appendLP(dst, []byte(r.Error))
		default:
			dst = appendLP(dst, nil)
		}
		if r.Status != StatusOk || len(r.PartitionKeys) == 0 {
			dst = binary.LittleEndian.AppendUint32(dst, 0)
			continue
		}
		names = names[:0]
		for k := range r.PartitionKeys {
			names = append(names, k)
		}
		sort.Strings(names)
		dst = binary.LittleEndian.AppendUint32(dst, uint32(len(names)))
		for _, k := range names {
			dst = appendLP(dst, []byte(k))
			dst = appendLP(dst, []byte(r.PartitionKeys[k]))
		}
	}
	return dst
}

// encodeFailure appends a BatchFailed frame to dst.
func encodeFailure(dst []byte, msg string) []byte {
	dst = binary.LittleEndian.AppendUint32(dst, batchFailed)
	return appendLP(dst, []byte(msg))
}

func appendLP(b, v []byte) []byte {
	b = binary.LittleEndian.AppendUint32(b, uint32(len(v)))
	return append(b, v...)
}

// handle runs one batch: input frame in, result frame appended to out.
func handle(out, in []byte, recs []Record) ([]byte, []Record) {
	recs, err := decodeBatch(recs, in)
	if err != nil {
		return encodeFailure(out, "wasmhose sdk: "+err.Error()), recs
	}
	res, err := Apply(recs)
	if err != nil {
		return encodeFailure(out, err.Error()), recs
	}
	for i, r := range res {
		if r.Status > StatusProcessingFailed {
			return encodeFailure(out, fmt.Sprintf("wasmhose: result %d has unknown status %d", i, r.Status)), recs
		}
	}
	return encodeResults(out, res), recs
}
