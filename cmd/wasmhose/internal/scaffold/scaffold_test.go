package scaffold

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestSDKCopiesMatchSDK fails when files/ drifts from the repository's sdk/
// folder: a file changed, added or removed there without `go generate` in
// this package.
func TestSDKCopiesMatchSDK(t *testing.T) {
	for _, lang := range Langs {
		t.Run(lang, func(t *testing.T) {
			root := filepath.Join("..", "..", "..", "..", "sdk", lang)
			want := map[string][]byte{}
			err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return err
				}
				rel, _ := filepath.Rel(root, p)
				rel = filepath.ToSlash(rel)
				for _, pat := range SDKSources[lang] {
					if ok, _ := path.Match(pat, rel); ok && !Excluded(rel) {
						b, err := os.ReadFile(p)
						want[StoredName(rel)] = b
						return err
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(want) == 0 {
				t.Fatalf("no file of %s matches %v", root, SDKSources[lang])
			}
			got := map[string][]byte{}
			sub, err := fs.Sub(content, "files/"+lang)
			if err != nil {
				t.Fatal(err)
			}
			err = fs.WalkDir(sub, ".", func(p string, d fs.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return err
				}
				b, err := fs.ReadFile(sub, p)
				got[p] = b
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			for name, b := range want {
				if g, ok := got[name]; !ok {
					t.Errorf("files/%s/%s is missing: run go generate in cmd/wasmhose/internal/scaffold", lang, name)
				} else if !bytes.Equal(g, b) {
					t.Errorf("files/%s/%s differs from %s: run go generate in cmd/wasmhose/internal/scaffold", lang, name, root)
				}
			}
			for name := range got {
				if _, ok := want[name]; !ok {
					t.Errorf("files/%s/%s is not in %s (or no longer matches %v): run go generate in cmd/wasmhose/internal/scaffold", lang, name, root, SDKSources[lang])
				}
			}
		})
	}
}

// TestWriteRefuses covers what Write refuses, and that it writes nothing
// then.
func TestWriteRefuses(t *testing.T) {
	nonEmpty := t.TempDir()
	if err := os.WriteFile(filepath.Join(nonEmpty, "keep"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, dir, lang, fn string
		wantErr             error
	}{
		{name: "unknown language", dir: filepath.Join(t.TempDir(), "p"), lang: "cobol", fn: "p", wantErr: ErrUnknownLang},
		{name: "upper case", dir: filepath.Join(t.TempDir(), "p"), lang: "go", fn: "MyFn", wantErr: ErrInvalidName},
		{name: "digit first", dir: filepath.Join(t.TempDir(), "p"), lang: "rust", fn: "1fn", wantErr: ErrInvalidName},
		{name: "path", dir: filepath.Join(t.TempDir(), "p"), lang: "c", fn: "../x", wantErr: ErrInvalidName},
		{name: "too long", dir: filepath.Join(t.TempDir(), "p"), lang: "c", fn: "a" + strings.Repeat("b", 64), wantErr: ErrInvalidName},
		{name: "non-empty folder", dir: nonEmpty, lang: "c", fn: "p", wantErr: ErrNotEmpty},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before, _ := os.ReadDir(tc.dir)
			if _, err := Write(tc.dir, tc.lang, tc.fn); !errors.Is(err, tc.wantErr) {
				t.Fatalf("Write: %v, want %v", err, tc.wantErr)
			}
			after, _ := os.ReadDir(tc.dir)
			if len(after) != len(before) {
				t.Errorf("%s: %d entries before, %d after", tc.dir, len(before), len(after))
			}
		})
	}
	// An existing empty folder is fine.
	empty := t.TempDir()
	files, err := Write(empty, "c", "p")
	if err != nil {
		t.Fatalf("Write into an empty folder: %v", err)
	}
	if !slices.Contains(files, "p.c") {
		t.Errorf("files %v lack p.c", files)
	}
}
