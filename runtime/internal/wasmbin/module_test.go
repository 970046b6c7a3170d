package wasmbin

import (
	"errors"
	"testing"
)

func TestSections(t *testing.T) {
	head := []byte("\x00asm\x01\x00\x00\x00")
	tests := []struct {
		name   string
		in     []byte
		exp    []Section
		expErr bool
	}{
		{"empty module", head, nil, false},
		{"two sections", append(append([]byte{}, head...), 1, 2, 0xAA, 0xBB, 10, 0), []Section{{1, []byte{0xAA, 0xBB}}, {10, []byte{}}}, false},
		{"not wasm", []byte("\x00asx\x01\x00\x00\x00"), nil, true},
		{"version 2", []byte("\x00asm\x02\x00\x00\x00"), nil, true},
		{"payload past the end", append(append([]byte{}, head...), 1, 5, 0xAA), nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Sections(tt.in, errBad)
			if tt.expErr {
				if !errors.Is(err, errBad) {
					t.Fatalf("err = %v, want one wrapping the sentinel", err)
				}
				return
			}
			if err != nil || len(got) != len(tt.exp) {
				t.Fatalf("Sections = %v, %v; want %v", got, err, tt.exp)
			}
			for i := range got {
				if got[i].ID != tt.exp[i].ID || string(got[i].Payload) != string(tt.exp[i].Payload) {
					t.Fatalf("section %d = %v, want %v", i, got[i], tt.exp[i])
				}
			}
		})
	}
}

func TestSkipImportDesc(t *testing.T) {
	tests := []struct {
		name   string
		kind   byte
		in     []byte
		left   int
		expErr bool
	}{
		{"func", 0, []byte{5, 9}, 1, false},
		{"table with max", 1, []byte{0x70, 1, 1, 2, 9}, 1, false},
		{"memory without max", 2, []byte{0, 1, 9}, 1, false},
		{"global", 3, []byte{0x7F, 1, 9}, 1, false},
		{"tag", 4, []byte{0, 3, 9}, 1, false},
		{"unknown kind", 5, []byte{0}, 0, true},
		{"truncated table", 1, []byte{0x70, 1}, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Reader{B: tt.in, Malformed: errBad}
			err := r.SkipImportDesc(tt.kind)
			if tt.expErr {
				if !errors.Is(err, errBad) {
					t.Fatalf("err = %v, want one wrapping the sentinel", err)
				}
				return
			}
			if err != nil || len(r.B) != tt.left {
				t.Fatalf("err %v, %d bytes left, want nil and %d", err, len(r.B), tt.left)
			}
		})
	}
}
