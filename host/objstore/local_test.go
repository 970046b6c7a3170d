package objstore

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
)

// newLocal returns a Local store in a fresh folder, closed at cleanup.
func newLocal(t *testing.T) *Local {
	t.Helper()
	l, err := NewLocal(filepath.Join(t.TempDir(), "s3"))
	if err != nil {
		t.Fatalf("NewLocal: %v", err)
	}
	t.Cleanup(func() {
		if err := l.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return l
}

// hiddenFiles returns every file or folder under dir whose name starts
// with ".".
func hiddenFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != dir && strings.HasPrefix(d.Name(), ".") {
			out = append(out, p)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walk %s: %v", dir, err)
	}
	return out
}

func TestLocalConformance(t *testing.T) {
	l := newLocal(t)
	testStore(t, l, "conformance-bucket")
	if h := hiddenFiles(t, l.Dir()); len(h) != 0 {
		t.Fatalf("temporary files left behind: %v", h)
	}
}

func TestNewLocal(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		root   string
		expErr bool
	}{
		{name: "new nested folder", root: filepath.Join(dir, "data", "s3")},
		{name: "existing folder", root: dir},
		{name: "empty", root: "", expErr: true},
		{name: "a file", root: file, expErr: true},
		{name: "below a file", root: filepath.Join(file, "s3"), expErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := NewLocal(tt.root)
			if (err != nil) != tt.expErr {
				t.Fatalf("NewLocal(%q) err = %v, want error %v", tt.root, err, tt.expErr)
			}
			if err == nil {
				if !filepath.IsAbs(l.Dir()) {
					t.Errorf("Dir() = %q, want an absolute path", l.Dir())
				}
				if err := l.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
			}
		})
	}
}

func TestLocalLayout(t *testing.T) {
	l := newLocal(t)
	ctx := t.Context()
	key := "2026/07/13/14/stream-1-2026-07-13-14-05-09-uuid.gz"
	if err := l.Put(ctx, "my-bucket", key, []byte("payload"), PutOptions{ContentType: "ignored", SSEKMSKeyID: "ignored"}); err != nil {
		t.Fatalf("Put: %v", err)
	}
	want := filepath.Join(l.Dir(), "my-bucket", "2026", "07", "13", "14", "stream-1-2026-07-13-14-05-09-uuid.gz")
	got, err := os.ReadFile(want)
	if err != nil || string(got) != "payload" {
		t.Fatalf("ReadFile(%s) = %q, %v; want the object at <root>/<bucket>/<key>", want, got, err)
	}
	p, err := l.Path("my-bucket", key)
	if err != nil || p != want {
		t.Fatalf("Path = %q, %v; want %q", p, err, want)
	}
	if _, err := l.Path("my-bucket", "../x"); !errors.Is(err, ErrInvalidKey) {
		t.Fatalf("Path of ../x: err = %v, want ErrInvalidKey", err)
	}
	if h := hiddenFiles(t, l.Dir()); len(h) != 0 {
		t.Fatalf("temporary files left behind: %v", h)
	}
}

func TestLocalTempFilesSkipped(t *testing.T) {
	l := newLocal(t)
	ctx := t.Context()
	for _, k := range []string{"dir/visible", ".logs-1-x", "dir/.hidden"} {
		if err := l.Put(ctx, "b", k, []byte("v"), PutOptions{}); err != nil {
			t.Fatalf("Put %q: %v", k, err)
		}
	}
	// Temporary files a crashed Put left behind.
	for _, p := range []string{"b/.wasmhose-tmp-0123456789abcdef", "b/dir/.wasmhose-tmp-0123456789abcdef", "b/.wasmhose-tmp-dir/x"} {
		full := filepath.Join(l.Dir(), filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte("h"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	infos, err := l.List(ctx, "b", "")
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	var keys []string
	for _, in := range infos {
		keys = append(keys, in.Key)
	}
	if want := []string{".logs-1-x", "dir/.hidden", "dir/visible"}; !slices.Equal(keys, want) {
		t.Fatalf("List = %q, want %q", keys, want)
	}
	for _, prefix := range []string{".wasmhose-tmp-", "dir/.wasmhose-tmp-", ".wasmhose-tmp-dir/"} {
		infos, err := l.List(ctx, "b", prefix)
		if err != nil || len(infos) != 0 {
			t.Errorf("List(%q) = %v, %v; want nothing", prefix, infos, err)
		}
	}
	if _, err := l.Get(ctx, "b", "dir/.wasmhose-tmp-0123456789abcdef"); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("Get of a temporary file: err = %v, want ErrInvalidKey", err)
	}
	if b, err := l.Get(ctx, "b", "dir/.hidden"); err != nil || string(b) != "v" {
		t.Errorf("Get of a key starting with a dot = %q, %v", b, err)
	}
}

func TestLocalConcurrentPutsSameKey(t *testing.T) {
	l := newLocal(t)
	ctx := t.Context()
	const writers, rounds, size = 8, 20, 64 << 10
	if err := l.Put(ctx, "b", "hot/key", bytes.Repeat([]byte{'0'}, size), PutOptions{}); err != nil {
		t.Fatalf("Put: %v", err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, writers*rounds*2)
	for w := range writers {
		body := bytes.Repeat([]byte{byte('a' + w)}, size)
		wg.Go(func() {
			for range rounds {
				if err := l.Put(ctx, "b", "hot/key", body, PutOptions{}); err != nil {
					errs <- err
				}
			}
		})
		// Readers must only ever see one writer's whole body.
		wg.Go(func() {
			for range rounds {
				got, err := l.Get(ctx, "b", "hot/key")
				if err != nil {
					errs <- err
					continue
				}
				if len(got) != size || bytes.Count(got, got[:1]) != size {
					errs <- errors.New("torn read: object mixes two writes")
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if h := hiddenFiles(t, l.Dir()); len(h) != 0 {
		t.Fatalf("temporary files left behind: %v", h)
	}
}

func TestLocalKeyValidation(t *testing.T) {
	tests := []struct {
		name   string
		key    string
		expErr error
	}{
		{name: "simple", key: "a"},
		{name: "nested", key: "a/b/c.gz"},
		{name: "dots inside", key: "a..b/c.."},
		{name: "unicode", key: "ключ/ü"},
		{name: "spaces and symbols", key: "a b/c=d&e+f"},
		{name: "max length", key: strings.Repeat(strings.Repeat("k", 200)+"/", 4) + strings.Repeat("k", 220)},
		{name: "deep", key: strings.Repeat("d/", 40) + "k"},
		{name: "empty", key: "", expErr: ErrInvalidKey},
		{name: "too long", key: strings.Repeat("k/", 512) + "k", expErr: ErrInvalidKey},
		{name: "leading slash", key: "/etc/passwd", expErr: ErrInvalidKey},
		{name: "parent", key: "..", expErr: ErrInvalidKey},
		{name: "parent first", key: "../escape", expErr: ErrInvalidKey},
		{name: "parent deep", key: "a/../../escape", expErr: ErrInvalidKey},
		{name: "parent last", key: "a/..", expErr: ErrInvalidKey},
		{name: "current", key: ".", expErr: ErrInvalidKey},
		{name: "current inside", key: "a/./b", expErr: ErrInvalidKey},
		{name: "empty segment", key: "a//b", expErr: ErrInvalidKey},
		{name: "trailing slash", key: "a/", expErr: ErrInvalidKey},
		{name: "leading dot", key: ".logs-1-2026"},
		{name: "leading dots inside", key: "a/..-1-2026/...json"},
		{name: "longest segment", key: "a/" + strings.Repeat("s", 255)},
		{name: "segment too long", key: "a/" + strings.Repeat("s", 256), expErr: ErrInvalidKey},
		{name: "temporary file", key: ".wasmhose-tmp-x", expErr: ErrInvalidKey},
		{name: "temporary file inside", key: "a/.wasmhose-tmp-x", expErr: ErrInvalidKey},
		{name: "backslash", key: `a\..\..\escape`, expErr: ErrInvalidKey},
		{name: "NUL", key: "a\x00b", expErr: ErrInvalidKey},
		{name: "not UTF-8", key: "a\xffb", expErr: ErrInvalidKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parent := t.TempDir()
			l, err := NewLocal(filepath.Join(parent, "root"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = l.Close() })
			ctx := t.Context()

			err = l.Put(ctx, "b", tt.key, []byte("x"), PutOptions{})
			if !errors.Is(err, tt.expErr) || (tt.expErr == nil) != (err == nil) {
				t.Fatalf("Put(%q) err = %v, want %v", tt.key, err, tt.expErr)
			}
			_, gerr := l.Get(ctx, "b", tt.key)
			if tt.expErr != nil {
				if !errors.Is(gerr, tt.expErr) {
					t.Errorf("Get(%q) err = %v, want %v", tt.key, gerr, tt.expErr)
				}
				if !Permanent(err) || ErrorCode(err) != "S3.InvalidArgument" {
					t.Errorf("Permanent = %v, ErrorCode = %q; want true, S3.InvalidArgument", Permanent(err), ErrorCode(err))
				}
			} else if gerr != nil {
				t.Errorf("Get(%q): %v", tt.key, gerr)
			}
			// Nothing may appear next to root.
			entries, err := os.ReadDir(parent)
			if err != nil {
				t.Fatal(err)
			}
			if len(entries) != 1 || entries[0].Name() != "root" {
				t.Fatalf("files outside root: %v", entries)
			}
		})
	}
}

func TestLocalBucketValidation(t *testing.T) {
	tests := []struct {
		name   string
		bucket string
		expErr bool
	}{
		{name: "simple", bucket: "my-bucket"},
		{name: "firehose characters", bucket: "My_Bucket.1-x"},
		{name: "empty", bucket: "", expErr: true},
		{name: "current", bucket: ".", expErr: true},
		{name: "parent", bucket: "..", expErr: true},
		{name: "hidden", bucket: ".b", expErr: true},
		{name: "slash", bucket: "a/b", expErr: true},
		{name: "backslash", bucket: `a\b`, expErr: true},
		{name: "too long", bucket: strings.Repeat("b", 256), expErr: true},
	}
	l := newLocal(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := t.Context()
			errs := map[string]error{
				"put":  l.Put(ctx, tt.bucket, "k", []byte("x"), PutOptions{}),
				"ping": l.Ping(ctx, tt.bucket),
				"list": func() error { _, err := l.List(ctx, tt.bucket, ""); return err }(),
				"get":  func() error { _, err := l.Get(ctx, tt.bucket, "k"); return err }(),
			}
			for op, err := range errs {
				if tt.expErr && !errors.Is(err, ErrInvalidBucket) {
					t.Errorf("%s: err = %v, want ErrInvalidBucket", op, err)
				}
				if !tt.expErr && err != nil {
					t.Errorf("%s: %v", op, err)
				}
			}
		})
	}
}

func TestLocalListOddPrefixes(t *testing.T) {
	l := newLocal(t)
	ctx := t.Context()
	for _, k := range []string{"a/b", "c"} {
		if err := l.Put(ctx, "b", k, []byte("x"), PutOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Put(ctx, "other", "secret", []byte("x"), PutOptions{}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		bucket string
		prefix string
		exp    []string
	}{
		{name: "missing bucket", bucket: "missing", prefix: "", exp: nil},
		{name: "parent of bucket", bucket: "b", prefix: "../other/", exp: nil},
		{name: "parent inside", bucket: "b", prefix: "a/../", exp: nil},
		{name: "absolute", bucket: "b", prefix: "/a/", exp: nil},
		{name: "empty segment", bucket: "b", prefix: "a//", exp: nil},
		{name: "through an object", bucket: "b", prefix: "c/", exp: nil},
		{name: "object name", bucket: "b", prefix: "c", exp: []string{"c"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			infos, err := l.List(ctx, tt.bucket, tt.prefix)
			if err != nil {
				t.Fatalf("List: %v", err)
			}
			var keys []string
			for _, in := range infos {
				keys = append(keys, in.Key)
			}
			if !slices.Equal(keys, tt.exp) {
				t.Fatalf("List(%q, %q) = %q, want %q", tt.bucket, tt.prefix, keys, tt.exp)
			}
		})
	}
}

func TestLocalKeyConflict(t *testing.T) {
	l := newLocal(t)
	ctx := t.Context()
	tests := []struct {
		name   string
		first  string
		second string
	}{
		{name: "object where a folder is needed", first: "f", second: "f/g"},
		{name: "object deeper where a folder is needed", first: "x/f", second: "x/f/g/h"},
		{name: "folder where an object is needed", first: "d/e", second: "d"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := l.Put(ctx, "b", tt.first, []byte("1"), PutOptions{}); err != nil {
				t.Fatalf("Put %s: %v", tt.first, err)
			}
			err := l.Put(ctx, "b", tt.second, []byte("2"), PutOptions{})
			if !errors.Is(err, ErrKeyConflict) || !Permanent(err) {
				t.Fatalf("Put %s: err = %v, want a permanent ErrKeyConflict", tt.second, err)
			}
			got, err := l.Get(ctx, "b", tt.first)
			if err != nil || string(got) != "1" {
				t.Fatalf("Get %s = %q, %v; want the first object intact", tt.first, got, err)
			}
		})
	}
	if _, err := l.Get(ctx, "b", "d"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get of a folder: err = %v, want ErrNotFound", err)
	}
	if _, err := l.Get(ctx, "b", "f/g"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get below an object: err = %v, want ErrNotFound", err)
	}
	if h := hiddenFiles(t, l.Dir()); len(h) != 0 {
		t.Fatalf("temporary files left behind: %v", h)
	}
}

func TestLocalSymlinkEscape(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symbolic links need privileges on Windows")
	}
	parent := t.TempDir()
	outside := filepath.Join(parent, "outside")
	if err := os.MkdirAll(outside, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(outside, "secret"), []byte("s"), 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := NewLocal(filepath.Join(parent, "root"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	if err := os.MkdirAll(filepath.Join(l.Dir(), "b"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(l.Dir(), "b", "link")); err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if err := l.Put(ctx, "b", "link/planted", []byte("x"), PutOptions{}); err == nil {
		t.Error("Put through a symbolic link out of root succeeded")
	}
	if _, err := os.Stat(filepath.Join(outside, "planted")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a file appeared outside root: %v", err)
	}
	if got, err := l.Get(ctx, "b", "link/secret"); err == nil {
		t.Errorf("Get through a symbolic link out of root = %q", got)
	}
	infos, err := l.List(ctx, "b", "")
	if err != nil || len(infos) != 0 {
		t.Errorf("List = %v, %v; want nothing (links are not objects)", infos, err)
	}
}

func TestLocalPing(t *testing.T) {
	l := newLocal(t)
	ctx := t.Context()
	if err := l.Ping(ctx, "not-yet-created"); err != nil {
		t.Errorf("Ping of a bucket not yet written: %v", err)
	}
	if err := os.WriteFile(filepath.Join(l.Dir(), "file-bucket"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := l.Ping(ctx, "file-bucket")
	var e *Error
	if !errors.Is(err, ErrInvalidBucket) || !errors.As(err, &e) || e.Op != "ping" || e.Bucket != "file-bucket" {
		t.Errorf("Ping of a bucket that is a file: err = %v, want ErrInvalidBucket in a ping *Error", err)
	}
}
