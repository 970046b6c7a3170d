// Package frame encodes batch frames and decodes result frames of the
// Wasmhose ABI (sdk/ABI.md, constants in runtime/abi). It is the host side of
// the contract; every bound is checked, so a hostile guest's frame produces an
// error, never a panic or an allocation larger than the frame.
package frame

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/wasmhose/wasmhose/runtime/abi"
)

// Key is one partition key of a result, in the order the guest wrote it.
type Key struct {
	Name, Value string
}

// Result is one decoded result. Data aliases the frame passed to Decode.
type Result struct {
	Status abi.Status
	// Data is the transformed record (Ok) or nil.
	Data []byte
	// Error is the guest's error text (ProcessingFailed).
	Error string
	Keys  []Key
}

// BatchError is a result frame whose batch outcome is BatchFailed.
type BatchError struct {
	// Message is the guest's error text.
	Message string
}

func (e *BatchError) Error() string { return "plugin failed the batch: " + e.Message }

// Errors describing a malformed result frame.
var (
	ErrTruncated      = errors.New("frame truncated")
	ErrTrailing       = errors.New("trailing bytes after the last result")
	ErrCount          = errors.New("result count differs from record count")
	ErrStatus         = errors.New("unknown status")
	ErrBatchOutcome   = errors.New("unknown batch outcome")
	ErrKeysNotAllowed = errors.New("partition keys on a result that is not Ok")
)

// InputSize returns the size of the input frame for records whose data
// lengths sum to dataLen.
func InputSize(count, dataLen int) int {
	return abi.InputHeaderSize + count*abi.InputRecordHeaderSize + dataLen
}

// PutHeader writes the input frame header into b and returns the rest of b.
func PutHeader(b []byte, count int) []byte {
	binary.LittleEndian.PutUint32(b, uint32(count))
	return b[abi.InputHeaderSize:]
}

// PutRecord writes one record into b and returns the rest of b.
func PutRecord(b []byte, arrivalMillis int64, data []byte) []byte {
	binary.LittleEndian.PutUint64(b, uint64(arrivalMillis))
	binary.LittleEndian.PutUint32(b[8:], uint32(len(data)))
	n := copy(b[abi.InputRecordHeaderSize:], data)
	return b[abi.InputRecordHeaderSize+n:]
}

// Decode parses a result frame that must hold exactly want results and
// appends them to dst. A BatchFailed frame returns a *BatchError. Data slices
// of the results alias b.
func Decode(dst []Result, b []byte, want int) ([]Result, error) {
	r := reader{b: b}
	outcome, ok1 := r.u32()
	n, ok2 := r.u32()
	if !ok1 || !ok2 {
		return dst, fmt.Errorf("header: %w", ErrTruncated)
	}
	switch outcome {
	case abi.BatchOk:
	case abi.BatchFailed:
		msg, ok := r.bytes(n)
		if !ok {
			return dst, fmt.Errorf("batch error text: %w", ErrTruncated)
		}
		if len(r.b) != 0 {
			return dst, ErrTrailing
		}
		return dst, &BatchError{Message: string(msg)}
	default:
		return dst, fmt.Errorf("%w %d", ErrBatchOutcome, outcome)
	}
	if int64(n) != int64(want) {
		return dst, fmt.Errorf("%w: got %d, want %d", ErrCount, n, want)
	}
	for i := 0; i < want; i++ {
		res, err := r.result()
		if err != nil {
			return dst, fmt.Errorf("result %d: %w", i, err)
		}
		dst = append(dst, res)
	}
	if len(r.b) != 0 {
		return dst, fmt.Errorf("%w (%d)", ErrTrailing, len(r.b))
	}
	return dst, nil
}

type reader struct{ b []byte }

func (r *reader) u32() (uint32, bool) {
	if len(r.b) < 4 {
		return 0, false
	}
	v := binary.LittleEndian.Uint32(r.b)
	r.b = r.b[4:]
	return v, true
}

func (r *reader) bytes(n uint32) ([]byte, bool) {
	if uint64(n) > uint64(len(r.b)) {
		return nil, false
	}
	v := r.b[:n:n]
	r.b = r.b[n:]
	return v, true
}

func (r *reader) lp() ([]byte, bool) {
	n, ok := r.u32()
	if !ok {
		return nil, false
	}
	return r.bytes(n)
}

func (r *reader) result() (Result, error) {
	st, ok := r.u32()
	if !ok {
		return Result{}, fmt.Errorf("status: %w", ErrTruncated)
	}
	data, ok := r.lp()
	if !ok {
		return Result{}, fmt.Errorf("data: %w", ErrTruncated)
	}
	nkeys, ok := r.u32()
	if !ok {
		return Result{}, fmt.Errorf("key count: %w", ErrTruncated)
	}
	res := Result{Status: abi.Status(st)}
	switch res.Status {
	case abi.StatusOk:
		res.Data = data
	case abi.StatusDropped:
	case abi.StatusProcessingFailed:
		res.Error = string(data)
	default:
		return Result{}, fmt.Errorf("%w %d", ErrStatus, st)
	}
	if nkeys == 0 {
		return res, nil
	}
	if res.Status != abi.StatusOk {
		return Result{}, ErrKeysNotAllowed
	}
	// Each key needs at least 8 bytes: bound the allocation by the frame.
	if uint64(nkeys)*8 > uint64(len(r.b)) {
		return Result{}, fmt.Errorf("%d keys: %w", nkeys, ErrTruncated)
	}
	res.Keys = make([]Key, nkeys)
	for k := range res.Keys {
		name, ok1 := r.lp()
		value, ok2 := r.lp()
		if !ok1 || !ok2 {
			return Result{}, fmt.Errorf("key %d: %w", k, ErrTruncated)
		}
		res.Keys[k] = Key{Name: string(name), Value: string(value)}
	}
	return res, nil
}

// Encoder builds result frames; the SDKs do the same on the guest side. It
// exists for tests and for the native (non-Wasm) transforms that want to
// exercise the decoder.
type Encoder struct {
	buf []byte
}

// Reset starts a BatchOk frame of count results.
func (e *Encoder) Reset(count int) {
	e.buf = binary.LittleEndian.AppendUint32(e.buf[:0], abi.BatchOk)
	e.buf = binary.LittleEndian.AppendUint32(e.buf, uint32(count))
}

// Add appends one result.
func (e *Encoder) Add(st abi.Status, data []byte, keys ...Key) {
	e.buf = binary.LittleEndian.AppendUint32(e.buf, uint32(st))
	e.buf = appendLP(e.buf, data)
	e.buf = binary.LittleEndian.AppendUint32(e.buf, uint32(len(keys)))
	for _, k := range keys {
		e.buf = appendLP(e.buf, []byte(k.Name))
		e.buf = appendLP(e.buf, []byte(k.Value))
	}
}

// Failed replaces the frame with a BatchFailed frame carrying msg.
func (e *Encoder) Failed(msg string) {
	e.buf = binary.LittleEndian.AppendUint32(e.buf[:0], abi.BatchFailed)
	e.buf = appendLP(e.buf, []byte(msg))
}

// Bytes returns the frame; it aliases the encoder's buffer.
func (e *Encoder) Bytes() []byte { return e.buf }

func appendLP(b, v []byte) []byte {
	b = binary.LittleEndian.AppendUint32(b, uint32(len(v)))
	return append(b, v...)
}
