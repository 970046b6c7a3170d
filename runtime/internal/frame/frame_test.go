package frame

import (
	"encoding/binary"
	"errors"
	"reflect"
	"testing"

	"github.com/wasmhose/wasmhose/runtime/abi"
)

func TestDecode(t *testing.T) {
	ok := func(f func(e *Encoder)) []byte { var e Encoder; f(&e); return append([]byte(nil), e.Bytes()...) }
	tests := []struct {
		name   string
		frame  []byte
		want   int
		exp    []Result
		expErr error
	}{
		{"empty batch", ok(func(e *Encoder) { e.Reset(0) }), 0, nil, nil},
		{"one ok", ok(func(e *Encoder) { e.Reset(1); e.Add(abi.StatusOk, []byte("x")) }), 1,
			[]Result{{Status: abi.StatusOk, Data: []byte("x")}}, nil},
		{"all statuses and keys", ok(func(e *Encoder) {
			e.Reset(3)
			e.Add(abi.StatusOk, nil, Key{"a", "1"}, Key{"b", ""})
			e.Add(abi.StatusDropped, nil)
			e.Add(abi.StatusProcessingFailed, []byte("bad line"))
		}), 3, []Result{
			{Status: abi.StatusOk, Data: []byte{}, Keys: []Key{{"a", "1"}, {"b", ""}}},
			{Status: abi.StatusDropped},
			{Status: abi.StatusProcessingFailed, Error: "bad line"},
		}, nil},
		{"count mismatch", ok(func(e *Encoder) { e.Reset(1); e.Add(abi.StatusOk, nil) }), 2, nil, ErrCount},
		{"truncated header", []byte{0, 0, 0}, 0, nil, ErrTruncated},
		{"truncated data", ok(func(e *Encoder) { e.Reset(1); e.Add(abi.StatusOk, []byte("abc")) })[:15], 1, nil, ErrTruncated},
		{"trailing", append(ok(func(e *Encoder) { e.Reset(0) }), 1), 0, nil, ErrTrailing},
		{"unknown status", ok(func(e *Encoder) { e.Reset(1); e.Add(7, nil) }), 1, nil, ErrStatus},
		{"keys on dropped", ok(func(e *Encoder) { e.Reset(1); e.Add(abi.StatusDropped, nil, Key{"a", "b"}) }), 1, nil, ErrKeysNotAllowed},
		{"unknown outcome", binary.LittleEndian.AppendUint32([]byte{9, 0, 0, 0}, 0), 0, nil, ErrBatchOutcome},
		{"huge key count", binary.LittleEndian.AppendUint32(ok(func(e *Encoder) { e.Reset(1); e.Add(abi.StatusOk, nil) })[:16], 1<<30), 1, nil, ErrTruncated},
		{"batch failed", ok(func(e *Encoder) { e.Failed("boom") }), 5, nil, &BatchError{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Decode(nil, tc.frame, tc.want)
			if tc.expErr != nil {
				var be *BatchError
				if _, isBatch := tc.expErr.(*BatchError); isBatch {
					if !errors.As(err, &be) || be.Message != "boom" {
						t.Fatalf("err = %v, want batch error boom", err)
					}
					return
				}
				if !errors.Is(err, tc.expErr) {
					t.Fatalf("err = %v, want %v", err, tc.expErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.exp) {
				t.Fatalf("got %+v, want %+v", got, tc.exp)
			}
		})
	}
}

func TestPutRoundTrip(t *testing.T) {
	recs := [][]byte{nil, []byte("a"), make([]byte, 300)}
	size := 0
	for _, r := range recs {
		size += len(r)
	}
	b := make([]byte, InputSize(len(recs), size))
	rest := PutHeader(b, len(recs))
	for i, r := range recs {
		rest = PutRecord(rest, int64(i)*1000, r)
	}
	if len(rest) != 0 {
		t.Fatalf("%d bytes left", len(rest))
	}
	if binary.LittleEndian.Uint32(b) != 3 || binary.LittleEndian.Uint64(b[4+12+0+12+1:]) != 2000 {
		t.Fatalf("bad frame %x", b[:40])
	}
}

func FuzzDecode(f *testing.F) {
	var e Encoder
	e.Reset(2)
	e.Add(abi.StatusOk, []byte("hello"), Key{"k", "v"})
	e.Add(abi.StatusProcessingFailed, []byte("err"))
	f.Add(append([]byte(nil), e.Bytes()...), 2)
	e.Failed("x")
	f.Add(append([]byte(nil), e.Bytes()...), 0)
	f.Add([]byte{}, 0)
	f.Fuzz(func(t *testing.T, b []byte, want int) {
		if want < 0 || want > 1<<16 {
			return
		}
		res, err := Decode(nil, b, want)
		if err == nil && len(res) != want {
			t.Fatalf("no error but %d results for %d", len(res), want)
		}
		dropped := false
		for _, r := range res {
			dropped = dropped || r.Status == abi.StatusDropped
		}
		if err == nil && !dropped { // a Dropped result's data is ignored
			// Re-encoding what was decoded must give the same bytes.
			var e Encoder
			e.Reset(want)
			for _, r := range res {
				d := r.Data
				if r.Status == abi.StatusProcessingFailed {
					d = []byte(r.Error)
				}
				e.Add(r.Status, d, r.Keys...)
			}
			if string(e.Bytes()) != string(b) {
				t.Fatalf("round trip differs")
			}
		}
	})
}
