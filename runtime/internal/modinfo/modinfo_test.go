package modinfo

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestParseFixtures(t *testing.T) {
	tests := []struct {
		file       string
		expImport  Import
		expExport  string
		minImports int
	}{
		{"../../testdata/wat/sock.wasm", Import{"wasi_snapshot_preview1", "sock_accept", KindFunc}, "wasmhose_v1_transform", 1},
		{"../../testdata/wat/unknown.wasm", Import{"env", "now", KindFunc}, "wasmhose_abi_v1", 1},
		{"../../testdata/kitchen/kitchen.wasm", Import{"wasmhose_v1", "log", KindFunc}, "_initialize", 5},
	}
	for _, tc := range tests {
		t.Run(filepath.Base(tc.file), func(t *testing.T) {
			b, err := os.ReadFile(tc.file)
			if err != nil {
				t.Fatal(err)
			}
			info, err := Parse(b)
			if err != nil {
				t.Fatal(err)
			}
			if len(info.Imports) < tc.minImports {
				t.Fatalf("imports %v", info.Imports)
			}
			found := false
			for _, im := range info.Imports {
				found = found || im == tc.expImport
			}
			if !found {
				t.Errorf("import %v not in %v", tc.expImport, info.Imports)
			}
			found = false
			for _, ex := range info.Exports {
				found = found || ex.Name == tc.expExport
			}
			if !found {
				t.Errorf("export %q not in %v", tc.expExport, info.Exports)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	hdr := "\x00asm\x01\x00\x00\x00"
	for name, in := range map[string]string{
		"empty":            "",
		"version 2":        "\x00asm\x02\x00\x00\x00",
		"truncated":        hdr + "\x02\x05\x01",
		"huge count":       hdr + "\x02\x05\xff\xff\xff\xff\x0f",
		"bad kind":         hdr + "\x02\x06\x01\x01a\x01b\x09",
		"long leb":         hdr + "\x02\x06\xff\xff\xff\xff\xff\x01",
		"trailing exports": hdr + "\x07\x06\x01\x01a\x00\x00\x00",
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := Parse([]byte(in)); !errors.Is(err, ErrMalformed) {
				t.Fatalf("err = %v", err)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	paths, _ := filepath.Glob("../../testdata/wat/*.wasm")
	for _, p := range paths {
		b, _ := os.ReadFile(p)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		info, err := Parse(b)
		if err != nil {
			return
		}
		if len(info.Imports)+len(info.Exports) > len(b) {
			t.Fatalf("more entries than bytes")
		}
	})
}
