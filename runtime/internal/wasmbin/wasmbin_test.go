package wasmbin

import (
	"errors"
	"testing"
)

var errBad = errors.New("bad module")

func TestULEB(t *testing.T) {
	tests := []struct {
		name   string
		in     []byte
		bits   uint
		exp    uint64
		expErr bool
	}{
		{"zero", []byte{0x00}, 32, 0, false},
		{"one byte", []byte{0x7F}, 32, 127, false},
		{"two bytes", []byte{0xE5, 0x8E, 0x26}, 32, 624485, false},
		{"max u32", []byte{0xFF, 0xFF, 0xFF, 0xFF, 0x0F}, 32, 0xFFFFFFFF, false},
		{"overflows 32 bits", []byte{0xFF, 0xFF, 0xFF, 0xFF, 0x1F}, 32, 0, true},
		{"too long", []byte{0x80, 0x80, 0x80, 0x80, 0x80, 0x00}, 32, 0, true},
		{"truncated", []byte{0x80}, 32, 0, true},
		{"empty", nil, 32, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Reader{B: tt.in, Malformed: errBad}
			got, err := r.ULEB(tt.bits)
			if tt.expErr {
				if !errors.Is(err, errBad) {
					t.Fatalf("err = %v, want one wrapping the sentinel", err)
				}
				return
			}
			if err != nil || got != tt.exp {
				t.Fatalf("ULEB = %d, %v; want %d", got, err, tt.exp)
			}
		})
	}
}

func TestNameAndLimits(t *testing.T) {
	r := Reader{B: []byte{3, 'a', 'b', 'c', 0x01, 0x02, 0x10, 0x00, 0x05, 0xAA}, Malformed: errBad}
	if n, err := r.Name(); err != nil || n != "abc" {
		t.Fatalf("Name = %q, %v", n, err)
	}
	if err := r.SkipLimits(); err != nil { // flag 1: min 2, max 16
		t.Fatal(err)
	}
	if err := r.SkipLimits(); err != nil { // flag 0: min 5
		t.Fatal(err)
	}
	if b, err := r.Byte(); err != nil || b != 0xAA || len(r.B) != 0 {
		t.Fatalf("Byte = %x, %v, left %d", b, err, len(r.B))
	}
	if _, err := r.Bytes(1); !errors.Is(err, errBad) {
		t.Fatalf("read past the end = %v", err)
	}
}

func FuzzReader(f *testing.F) {
	f.Add([]byte{3, 'a', 'b', 'c', 0x01, 0x02, 0x10})
	f.Add([]byte{0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF})
	f.Fuzz(func(t *testing.T, b []byte) {
		r := Reader{B: b, Malformed: errBad}
		for len(r.B) > 0 {
			before := len(r.B)
			var err error
			switch before % 4 {
			case 0:
				_, err = r.U32()
			case 1:
				_, err = r.Name()
			case 2:
				err = r.SkipLimits()
			default:
				err = r.SkipSLEB(64)
			}
			if err != nil {
				if !errors.Is(err, errBad) {
					t.Fatalf("error %v does not wrap the sentinel", err)
				}
				return
			}
			if len(r.B) >= before {
				t.Fatal("a successful read consumed nothing")
			}
		}
	})
}
