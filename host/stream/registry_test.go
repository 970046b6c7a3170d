package stream

import (
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestFileName(t *testing.T) {
	tests := []struct {
		name, exp string
	}{
		{name: "clicks", exp: "clicks.json"},
		{name: "a.b-c_d", exp: "a.b-c_d.json"},
		{name: ".", exp: "%2E.json"},
		{name: "..", exp: "%2E..json"},
		{name: ".logs", exp: "%2Elogs.json"},
		{name: "...json", exp: "%2E..json.json"},
		{name: "Clicks", exp: "%43licks.json"},
		{name: "con", exp: "%63on.json"},
		{name: "NUL.x", exp: "%4E%55%4C.x.json"},
		{name: "com1", exp: "%63om1.json"},
		{name: "com10", exp: "com10.json"},
		{name: "console", exp: "console.json"},
		{name: "a/b", exp: "a%2Fb.json"},
		{name: "a%b", exp: "a%25b.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := FileName(tt.name); got != tt.exp {
				t.Fatalf("FileName(%q) = %q, want %q", tt.name, got, tt.exp)
			}
		})
	}
}

// unescape reverses FileName, reading hex digits in either case, so that
// it also reverses a file name a case-insensitive file system reports in
// another case.
func unescape(t *testing.T, file string) string {
	t.Helper()
	s := strings.TrimSuffix(file, fileExt)
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b.WriteByte(s[i])
			continue
		}
		if i+2 >= len(s) {
			t.Fatalf("%q: truncated escape", file)
		}
		v, err := hex.DecodeString(s[i+1 : i+3])
		if err != nil {
			t.Fatalf("%q: bad escape: %v", file, err)
		}
		b.Write(v)
		i += 2
	}
	return b.String()
}

// FuzzFileName checks that a registry file name is never hidden, never a
// path, made of portable bytes only, and names one stream even on a
// case-insensitive file system.
func FuzzFileName(f *testing.F) {
	for _, s := range []string{"clicks", ".", "..", ".logs", "...json", "Clicks", "con", "LPT9.a", "a/b", "a\x00b", "ü"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if name == "" {
			return // not a stream name (1 to 64 bytes)
		}
		file := FileName(name)
		if strings.HasPrefix(file, ".") || !strings.HasSuffix(file, fileExt) {
			t.Fatalf("FileName(%q) = %q: hidden or without %s", name, file, fileExt)
		}
		for i := 0; i < len(file); i++ {
			c := file[i]
			if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || 'A' <= c && c <= 'F' || strings.IndexByte("_-.%", c) >= 0) {
				t.Fatalf("FileName(%q) = %q: byte %q", name, file, c)
			}
		}
		if isDeviceName(strings.TrimSuffix(file, fileExt)) {
			t.Fatalf("FileName(%q) = %q: a device name", name, file)
		}
		if got := unescape(t, strings.ToLower(file)); got != name {
			t.Fatalf("FileName(%q) = %q, which reads back (lower-cased) as %q", name, file, got)
		}
	})
}

// TestRegistryLoadsTheEarlierLayout writes files the way the registry did
// before names were encoded (<name>.json, hidden for a leading dot) and
// checks that Load returns every stream, renames the files, and prefers
// the encoded file when both are present.
func TestRegistryLoadsTheEarlierLayout(t *testing.T) {
	dir := t.TempDir()
	r, err := NewFileRegistry(dir)
	if err != nil {
		t.Fatal(err)
	}
	write := func(file string, s *Stream) {
		t.Helper()
		b, err := json.MarshalIndent(s, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, file), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("clicks.json", &Stream{Name: "clicks", VersionID: 1})
	write("Upper.json", &Stream{Name: "Upper", VersionID: 1})
	write(".logs.json", &Stream{Name: ".logs", VersionID: 1})
	write("...json", &Stream{Name: "..", VersionID: 1})
	// A migration cut short: both files; the encoded one is newer.
	write("Both.json", &Stream{Name: "Both", VersionID: 1})
	write(FileName("Both"), &Stream{Name: "Both", VersionID: 2})
	// Not the registry's: a temporary file and someone's hidden file.
	if err := os.WriteFile(filepath.Join(dir, ".x.json.tmp-123"), []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ".editor.json"), []byte(`{"Name":"other"}`), 0o600); err != nil {
		t.Fatal(err)
	}

	got, err := r.Load()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range got {
		names = append(names, s.Name)
		if s.Name == "Both" && s.VersionID != 2 {
			t.Errorf("Both: version %d, want the encoded file's 2", s.VersionID)
		}
	}
	if want := []string{"..", ".logs", "Both", "Upper", "clicks"}; !slices.Equal(names, want) {
		t.Fatalf("loaded %q, want %q", names, want)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, e := range ents {
		files = append(files, e.Name())
	}
	if want := []string{"%2E..json", "%2Elogs.json", "%42oth.json", "%55pper.json", ".editor.json", ".x.json.tmp-123", "clicks.json"}; !slices.Equal(files, want) {
		t.Fatalf("files after Load: %q, want %q", files, want)
	}

	// A visible file holding another stream is damage, not a stream.
	write("wrong.json", &Stream{Name: "right"})
	if _, err := r.Load(); err == nil || !strings.Contains(err.Error(), "whose file is right.json") {
		t.Fatalf("Load with a misnamed file: %v", err)
	}
}

// TestRegistryRemovesTheEarlierFileOnSave covers a folder where Load could
// not rename: the stream loads from its old file, and the next Save moves
// it to the encoded name.
func TestRegistryRemovesTheEarlierFileOnSave(t *testing.T) {
	dir := t.TempDir()
	r, err := NewFileRegistry(dir)
	if err != nil {
		t.Fatal(err)
	}
	r.noteLegacy(".logs", ".logs.json")
	if err := os.WriteFile(filepath.Join(dir, ".logs.json"), []byte(`{"Name":".logs"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := r.Save(&Stream{Name: ".logs", VersionID: 2}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, ".logs.json")); !os.IsNotExist(err) {
		t.Fatalf("old file after Save: %v", err)
	}
	r.noteLegacy("X", "X.json")
	if err := os.WriteFile(filepath.Join(dir, "X.json"), []byte(`{"Name":"X"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := r.Delete("X"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "X.json")); !os.IsNotExist(err) {
		t.Fatalf("old file after Delete: %v", err)
	}
}
