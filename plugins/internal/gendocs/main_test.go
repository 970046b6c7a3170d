package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestREADMEUpToDate fails when plugins/README.md differs from what the
// catalogue renders: run go generate ./plugins.
func TestREADMEUpToDate(t *testing.T) {
	want, err := render()
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("plugins/README.md is out of date: run go generate ./plugins")
	}
}
