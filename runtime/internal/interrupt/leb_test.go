package interrupt

import (
	"bytes"
	"math"
	"testing"
)

func TestAppendI32(t *testing.T) {
	tests := []struct {
		v    int32
		want []byte
	}{
		{0, []byte{0x00}},
		{63, []byte{0x3F}},
		{64, []byte{0xC0, 0x00}},
		{-1, []byte{0x7F}},
		{-64, []byte{0x40}},
		{-65, []byte{0xBF, 0x7F}},
		{16384, []byte{0x80, 0x80, 0x01}},
		{math.MaxInt32, []byte{0xFF, 0xFF, 0xFF, 0xFF, 0x07}},
		{math.MinInt32, []byte{0x80, 0x80, 0x80, 0x80, 0x78}},
	}
	for _, tt := range tests {
		if got := appendI32(nil, tt.v); !bytes.Equal(got, tt.want) {
			t.Errorf("appendI32(%d) = % x, want % x", tt.v, got, tt.want)
		}
	}
}
