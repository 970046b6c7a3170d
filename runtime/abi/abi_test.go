package abi_test

import (
	"testing"

	"github.com/wasmhose/wasmhose/runtime/abi"
)

func TestStatusString(t *testing.T) {
	tests := []struct {
		name string
		in   abi.Status
		exp  string
	}{
		{"ok", abi.StatusOk, "Ok"},
		{"dropped", abi.StatusDropped, "Dropped"},
		{"failed", abi.StatusProcessingFailed, "ProcessingFailed"},
		{"unknown", 3, "Status(3)"},
		{"max", 0xFFFFFFFF, "Status(4294967295)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.in.String(); got != tc.exp {
				t.Fatalf("got %q, want %q", got, tc.exp)
			}
		})
	}
}

func TestPack(t *testing.T) {
	for _, tc := range []struct{ ptr, n uint32 }{{0, 0}, {1, 2}, {0xFFFFFFFF, 0xFFFFFFFF}, {65536, 8}} {
		p, n := abi.Unpack(abi.Pack(tc.ptr, tc.n))
		if p != tc.ptr || n != tc.n {
			t.Fatalf("Unpack(Pack(%d, %d)) = %d, %d", tc.ptr, tc.n, p, n)
		}
	}
}

func TestWASIAllowed(t *testing.T) {
	for name, exp := range map[string]bool{
		"fd_write": true, "path_open": true, "clock_time_get": true, "poll_oneoff": true,
		"sock_accept": false, "sock_recv": false, "sock_send": false, "sock_shutdown": false,
		"proc_raise": false, "": false, "FD_WRITE": false,
	} {
		if got := abi.WASIAllowed(name); got != exp {
			t.Errorf("WASIAllowed(%q) = %v, want %v", name, got, exp)
		}
	}
}
