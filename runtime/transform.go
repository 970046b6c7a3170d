package wasmrt

import (
	"context"

	"github.com/wasmhose/wasmhose/runtime/abi"
)

// Record is one input record of a batch. Its position in the batch is its
// identity: result i answers record i (Firehose's recordId stays with the
// caller).
type Record struct {
	// Data is the record's payload.
	Data []byte
	// ArrivalMillis is the approximate arrival time, in milliseconds since
	// the Unix epoch (Firehose's approximateArrivalTimestamp).
	ArrivalMillis int64
}

// Status is a record's outcome (Firehose's Lambda result).
type Status = abi.Status

// The record statuses.
const (
	// StatusOk: deliver Result.Data.
	StatusOk = abi.StatusOk
	// StatusDropped: do not deliver; counts as success.
	StatusDropped = abi.StatusDropped
	// StatusProcessingFailed: send the original record to the error output
	// with Result.Error.
	StatusProcessingFailed = abi.StatusProcessingFailed
)

// PartitionKey is one dynamic partitioning key of a result.
type PartitionKey struct {
	Name, Value string
}

// Result is the outcome of one record.
type Result struct {
	// Status is the outcome.
	Status Status
	// Data is the transformed record (StatusOk only; may be empty).
	Data []byte
	// Error is the plugin's explanation (StatusProcessingFailed only; may be
	// empty).
	Error string
	// PartitionKeys are the keys of an Ok record, in the plugin's order.
	PartitionKeys []PartitionKey
}

// Transformer is a batch transform: a Wasm Plugin or a native Go one.
//
// Transform returns exactly one Result per Record, in order, or a non-nil
// error and no results:
//
//   - Zero records yield zero results and a nil error.
//   - A per-record failure is a Result with StatusProcessingFailed; the other
//     records of the batch are unaffected and the error is nil.
//   - A non-nil error fails the whole batch (a trap, a timeout, a malformed
//     result, a cancelled context, …); the caller retries the batch and then
//     sends all its records to the error output.
//   - Transform does not retain records after it returns and does not modify
//     them. The caller owns the results; their Data may share one backing
//     array, and a native transform may return the input's own slices, so
//     the caller treats both as read-only.
//   - Transform may be called from many goroutines at once; a Plugin runs
//     each call on its own instance.
//
// Close releases the transform's resources; Transform then returns ErrClosed.
type Transformer interface {
	Transform(ctx context.Context, records []Record) ([]Result, error)
	Close(ctx context.Context) error
}

// TransformFunc adapts a function to a Transformer whose Close does nothing.
type TransformFunc func(ctx context.Context, records []Record) ([]Result, error)

// Transform calls f.
func (f TransformFunc) Transform(ctx context.Context, records []Record) ([]Result, error) {
	return f(ctx, records)
}

// Close does nothing and returns nil.
func (f TransformFunc) Close(context.Context) error { return nil }

var (
	_ Transformer = TransformFunc(nil)
	_ Transformer = (*Plugin)(nil)
)
