package atomicfile_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/wasmhose/wasmhose/internal/atomicfile"
)

func TestWrite(t *testing.T) {
	tests := []struct {
		name string
		perm os.FileMode
		old  []byte // nil: no file before
		data []byte
	}{
		{"new file in a new folder", 0o600, nil, []byte("one")},
		{"replace", 0o644, []byte("old content"), []byte("new")},
		{"empty", 0o600, []byte("x"), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "a", "b")
			path := filepath.Join(dir, "f.json")
			if tt.old != nil {
				if err := os.MkdirAll(dir, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, tt.old, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			if err := atomicfile.Write(path, tt.data, tt.perm); err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(path)
			if err != nil || string(got) != string(tt.data) {
				t.Fatalf("content %q, %v; want %q", got, err, tt.data)
			}
			fi, err := os.Stat(path)
			if err != nil || fi.Mode().Perm() != tt.perm {
				t.Fatalf("mode %v, %v; want %v", fi.Mode().Perm(), err, tt.perm)
			}
			ents, err := os.ReadDir(dir)
			if err != nil || len(ents) != 1 {
				t.Fatalf("folder holds %v, %v: a temporary file was left", ents, err)
			}
		})
	}
}

func TestWriteFailsLeavesOld(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	// A folder in the way of the rename target makes Write fail.
	target := filepath.Join(dir, "d")
	if err := os.MkdirAll(filepath.Join(target, "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := atomicfile.Write(target, []byte("new"), 0o600); err == nil {
		t.Fatal("Write over a non-empty folder succeeded")
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 2 {
		t.Fatalf("folder holds %v: the temporary file was not removed", ents)
	}
	if got, _ := os.ReadFile(path); string(got) != "old" {
		t.Fatalf("unrelated file changed: %q", got)
	}
}

func TestSyncDir(t *testing.T) {
	if err := atomicfile.SyncDir(t.TempDir()); err != nil {
		t.Fatal(err)
	}
	if err := atomicfile.SyncDir(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Fatal("SyncDir of a missing folder succeeded")
	}
}
