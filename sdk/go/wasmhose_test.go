package wasmhose

import (
	"bytes"
	"encoding/binary"
	"errors"
	"reflect"
	"testing"
)

func inputFrame(recs ...Record) []byte {
	b := binary.LittleEndian.AppendUint32(nil, uint32(len(recs)))
	for _, r := range recs {
		b = binary.LittleEndian.AppendUint64(b, uint64(r.ArrivalMillis))
		b = appendLP(b, r.Data)
	}
	return b
}

func TestDecodeBatch(t *testing.T) {
	tests := []struct {
		name   string
		in     []byte
		exp    []Record
		expErr bool
	}{
		{"empty", inputFrame(), nil, false},
		{"two", inputFrame(Record{[]byte("a"), 1}, Record{[]byte{}, 2}), []Record{{[]byte("a"), 1}, {[]byte{}, 2}}, false},
		{"short", []byte{1, 0}, nil, true},
		{"count too big", binary.LittleEndian.AppendUint32(nil, 1<<31), nil, true},
		{"data too long", inputFrame(Record{[]byte("abc"), 1})[:18], nil, true},
		{"trailing", append(inputFrame(), 0), nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := decodeBatch(nil, tc.in)
			if (err != nil) != tc.expErr {
				t.Fatalf("err = %v", err)
			}
			if !tc.expErr && !reflect.DeepEqual(got, tc.exp) {
				t.Fatalf("got %v, want %v", got, tc.exp)
			}
		})
	}
}

func TestHandle(t *testing.T) {
	t.Cleanup(func() { batchHandler = nil })
	HandleRecord(func(r Record) Result {
		switch string(r.Data) {
		case "drop":
			return Dropped()
		case "fail":
			return Failed("bad")
		}
		return Ok(bytes.ToUpper(r.Data)).WithPartitionKey("b", "2").WithPartitionKey("a", "1")
	})
	out, _ := handle(nil, inputFrame(Record{[]byte("x"), 0}, Record{[]byte("drop"), 0}, Record{[]byte("fail"), 0}), nil)
	exp := binary.LittleEndian.AppendUint32(nil, batchOk)
	exp = binary.LittleEndian.AppendUint32(exp, 3)
	exp = binary.LittleEndian.AppendUint32(exp, 0)
	exp = appendLP(exp, []byte("X"))
	exp = binary.LittleEndian.AppendUint32(exp, 2)
	exp = appendLP(appendLP(exp, []byte("a")), []byte("1"))
	exp = appendLP(appendLP(exp, []byte("b")), []byte("2"))
	exp = binary.LittleEndian.AppendUint32(exp, 1)
	exp = appendLP(exp, nil)
	exp = binary.LittleEndian.AppendUint32(exp, 0)
	exp = binary.LittleEndian.AppendUint32(exp, 2)
	exp = appendLP(exp, []byte("bad"))
	exp = binary.LittleEndian.AppendUint32(exp, 0)
	if !bytes.Equal(out, exp) {
		t.Fatalf("frame\n got %x\nwant %x", out, exp)
	}
}

func TestHandleBatchErrors(t *testing.T) {
	t.Cleanup(func() { batchHandler = nil })
	tests := []struct {
		name string
		f    BatchFunc
	}{
		{"error", func([]Record) ([]Result, error) { return nil, errors.New("nope") }},
		{"short", func([]Record) ([]Result, error) { return nil, nil }},
		{"bad status", func(r []Record) ([]Result, error) { return []Result{{Status: 9}}, nil }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			HandleBatch(tc.f)
			out, _ := handle(nil, inputFrame(Record{[]byte("x"), 0}), nil)
			if binary.LittleEndian.Uint32(out) != batchFailed {
				t.Fatalf("frame %x is not a batch failure", out)
			}
		})
	}
	batchHandler = nil
	if _, err := Apply(nil); !errors.Is(err, ErrNoHandler) {
		t.Fatalf("err = %v", err)
	}
}

func FuzzDecodeBatch(f *testing.F) {
	f.Add(inputFrame(Record{[]byte("hello"), 5}))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		recs, err := decodeBatch(nil, b)
		if err == nil && !bytes.Equal(inputFrame(recs...), b) {
			t.Fatal("round trip differs")
		}
	})
}
