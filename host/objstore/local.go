package objstore

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"unicode/utf8"
)

// maxKeyLen is S3's limit on key length, in bytes.
const maxKeyLen = 1024

// tempPrefix starts the name of every temporary file Local writes. List
// never reports such a file, and Put refuses keys with a segment starting
// with it, so no object can collide with one.
const tempPrefix = ".wasmhose-tmp-"

// maxSegmentLen is the longest file name the usual file systems hold
// (NAME_MAX on Linux, and the limit of APFS and NTFS, in bytes or UTF-16
// units), so the longest key segment Local accepts.
const maxSegmentLen = 255

// Local is a Store on the local file system: bucket B, key K is the file
// <root>/B/K.
//
// Buckets are folders created on the first Put; there is nothing to create
// beforehand. Put writes atomically and durably: the body goes to a hidden
// temporary file in the target folder, which is synced, renamed over the
// target, and followed by a sync of the folder (and of the parents of any
// folder Put created). Every file access goes through an [os.Root], so no
// key, prefix or symbolic link reaches outside root.
//
// # Notes
//
//   - PutOptions are ignored: a file keeps only bytes (see PutOptions).
//   - Keys are file paths, so Local is stricter than S3: see
//     [ErrInvalidKey]. A file system cannot hold both "a" and "a/b";
//     the second Put fails with [ErrKeyConflict].
//   - Files whose names start with ".wasmhose-tmp-" are the store's
//     temporary files: List skips them and Put and Get refuse keys that
//     name them (ErrInvalidKey). Other names starting with "." are keys
//     like any other (Firehose names objects after their stream, and a
//     stream may be called ".logs").
//   - A crash during Put can leave a temporary file behind; it is hidden
//     and harmless, and Local does not sweep it.
//   - Get of a missing object and List of a missing bucket are not errors
//     of a different kind: a bucket is just a folder, so Get returns
//     ErrNotFound and List an empty result.
type Local struct {
	dir  string
	root *os.Root
}

// Interface guards.
var (
	_ Store     = (*Local)(nil)
	_ Validator = (*Local)(nil)
	_ Pager     = (*Local)(nil)
)

// NewLocal returns a Local store rooted at root (usually <data-dir>/s3),
// creating the folder if needed. Call Close to release it.
func NewLocal(root string) (*Local, error) {
	if root == "" {
		return nil, errors.New("objstore: local root folder is empty")
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("objstore: local root %q: %w", root, err)
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return nil, fmt.Errorf("objstore: local root: %w", err)
	}
	r, err := os.OpenRoot(abs)
	if err != nil {
		return nil, fmt.Errorf("objstore: local root: %w", err)
	}
	return &Local{dir: abs, root: r}, nil
}

// Dir returns the absolute path of the root folder.
func (l *Local) Dir() string { return l.dir }

// Path returns the file that holds bucket/key, after validating both.
func (l *Local) Path(bucket, key string) (string, error) {
	if err := validateBucket(bucket); err != nil {
		return "", err
	}
	if err := validateKey(key); err != nil {
		return "", err
	}
	return filepath.Join(l.dir, bucket, filepath.FromSlash(key)), nil
}

// ValidateBucket implements Validator: 1 to 255 of A-Z a-z 0-9 _ . -, not
// starting with ".".
func (l *Local) ValidateBucket(bucket string) error { return validateBucket(bucket) }

// ValidateKey implements Validator with the rules of [ErrInvalidKey].
func (l *Local) ValidateKey(key string) error { return validateKey(key) }

// Close releases the root folder. The store must not be used afterwards.
func (l *Local) Close() error { return l.root.Close() }

// Put writes body to <root>/bucket/key atomically. o is ignored.
func (l *Local) Put(ctx context.Context, bucket, key string, body []byte, o PutOptions) error {
	if err := l.put(ctx, bucket, key, body); err != nil {
		return opError("put", bucket, key, err)
	}
	return nil
}

func (l *Local) put(ctx context.Context, bucket, key string, body []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := validateBucket(bucket); err != nil {
		return err
	}
	if err := validateKey(key); err != nil {
		return err
	}
	name := bucket + "/" + key
	dir := path.Dir(name)
	if err := l.mkdirs(dir); err != nil {
		return err
	}
	tmp, f, err := l.createTemp(dir)
	if err != nil {
		return conflict(err, dir)
	}
	if err := writeFile(f, body); err != nil {
		_ = l.root.Remove(tmp) // best effort: the write error is the one to report
		return err
	}
	if err := ctx.Err(); err != nil {
		_ = l.root.Remove(tmp)
		return err
	}
	if err := l.root.Rename(tmp, name); err != nil {
		_ = l.root.Remove(tmp)
		return conflict(err, name)
	}
	return l.syncDir(dir)
}

// writeFile writes body to f, syncs it to disk and closes it.
func writeFile(f *os.File, body []byte) error {
	_, werr := f.Write(body)
	if werr == nil {
		werr = f.Sync()
	}
	return errors.Join(werr, f.Close())
}

// conflict turns the errors a file system gives for "a" versus "a/b" into
// ErrKeyConflict.
func conflict(err error, name string) error {
	if errors.Is(err, syscall.ENOTDIR) || errors.Is(err, syscall.EISDIR) || errors.Is(err, syscall.EEXIST) {
		return fmt.Errorf("%w: %s: %w", ErrKeyConflict, name, err)
	}
	return err
}

// mkdirs creates dir and its missing parents, then syncs the parent of each
// folder it created so the new entries survive a crash. It looks upward for
// the deepest folder that exists, so the usual case (a new hour folder under
// an existing day) costs two lookups and one mkdir.
func (l *Local) mkdirs(dir string) error {
	existing := dir
	for {
		fi, err := l.root.Stat(existing)
		if err == nil {
			if !fi.IsDir() {
				return fmt.Errorf("%w: %s is an object, not a folder", ErrKeyConflict, existing)
			}
			break
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return conflict(err, existing)
		}
		i := strings.LastIndexByte(existing, '/')
		if i < 0 {
			existing = ""
			break
		}
		existing = existing[:i]
	}
	if existing == dir {
		return nil
	}
	rest := dir
	if existing != "" {
		rest = dir[len(existing)+1:]
	}
	var created []string
	p := existing
	for seg := range strings.SplitSeq(rest, "/") {
		if p == "" {
			p = seg
		} else {
			p += "/" + seg
		}
		err := l.root.Mkdir(p, 0o755)
		switch {
		case err == nil:
			created = append(created, p)
		case errors.Is(err, fs.ErrExist): // a concurrent Put made it
			fi, serr := l.root.Stat(p)
			if serr != nil {
				return serr
			}
			if !fi.IsDir() {
				return fmt.Errorf("%w: %s is an object, not a folder", ErrKeyConflict, p)
			}
		default:
			return conflict(err, p)
		}
	}
	for _, c := range created {
		parent := "."
		if i := strings.LastIndexByte(c, '/'); i >= 0 {
			parent = c[:i]
		}
		if err := l.syncDir(parent); err != nil {
			return err
		}
	}
	return nil
}

// createTemp creates a new hidden file in dir, open for writing.
func (l *Local) createTemp(dir string) (string, *os.File, error) {
	for range 10 {
		var b [8]byte
		_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
		name := dir + "/" + tempPrefix + hex.EncodeToString(b[:])
		f, err := l.root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		return name, f, err
	}
	return "", nil, errors.New("cannot create a unique temporary file")
}

// syncDir flushes a folder's entries to disk. Windows cannot sync folders;
// NTFS journals renames itself.
func (l *Local) syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := l.root.Open(dir)
	if err != nil {
		return err
	}
	serr := d.Sync()
	cerr := d.Close()
	return errors.Join(serr, cerr)
}

// Get reads <root>/bucket/key. A missing file, or a folder or other
// non-regular file in its place, is ErrNotFound.
func (l *Local) Get(ctx context.Context, bucket, key string) ([]byte, error) {
	b, err := l.get(ctx, bucket, key)
	if err != nil {
		return nil, opError("get", bucket, key, err)
	}
	return b, nil
}

func (l *Local) get(ctx context.Context, bucket, key string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := validateBucket(bucket); err != nil {
		return nil, err
	}
	if err := validateKey(key); err != nil {
		return nil, err
	}
	f, err := l.root.Open(bucket + "/" + key)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
			return nil, fmt.Errorf("%w: %w", ErrNotFound, err)
		}
		return nil, err
	}
	defer func() { _ = f.Close() }() // read-only: Close cannot lose data
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%w: %s/%s is not a file", ErrNotFound, bucket, key)
	}
	// Put never writes a file in place, so the open file keeps its size.
	var b bytes.Buffer
	b.Grow(int(fi.Size()) + 1)
	if _, err := b.ReadFrom(f); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// List returns the regular files under <root>/bucket whose keys start with
// prefix, sorted by key, skipping temporary files. A missing
// bucket, or a prefix no valid key can have, gives an empty result.
func (l *Local) List(ctx context.Context, bucket, prefix string) ([]ObjectInfo, error) {
	out, err := l.list(ctx, bucket, prefix)
	if err != nil {
		return nil, opError("list", bucket, prefix, err)
	}
	return out, nil
}

func (l *Local) list(ctx context.Context, bucket, prefix string) ([]ObjectInfo, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := validateBucket(bucket); err != nil {
		return nil, err
	}
	// Walk from the deepest folder the prefix names in full. If that part
	// of the prefix is not a valid key folder, no stored key can match.
	start := bucket
	if i := strings.LastIndexByte(prefix, '/'); i >= 0 {
		if validateKey(prefix[:i]) != nil {
			return nil, nil
		}
		start = bucket + "/" + prefix[:i]
	}
	var out []ObjectInfo
	strip := len(bucket) + 1
	err := fs.WalkDir(l.root.FS(), start, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == start && (errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)) {
				return fs.SkipAll
			}
			if p != start && errors.Is(err, fs.ErrNotExist) {
				return nil // vanished while walking
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if p == start {
			if !d.IsDir() {
				return fs.SkipAll // the prefix's folder is an object
			}
			return nil
		}
		if strings.HasPrefix(d.Name(), tempPrefix) {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		key := p[strip:]
		if d.IsDir() {
			k := key + "/"
			if !strings.HasPrefix(k, prefix) && !strings.HasPrefix(prefix, k) {
				return fs.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() || !strings.HasPrefix(key, prefix) {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		out = append(out, ObjectInfo{Key: key, Size: fi.Size(), LastModified: fi.ModTime()})
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b ObjectInfo) int { return strings.Compare(a.Key, b.Key) })
	return out, nil
}

// ListPage implements [Pager]: it walks <root>/bucket in the byte order of
// keys, skipping the folders whose keys all sort before startAfter or
// cannot start with prefix, and stops at maxKeys objects. Temporary files
// are skipped as in List; a missing bucket gives an empty page.
//
// # Notes
//
// A folder's names must be read whole to be sorted, so a page costs the
// names of the folders it walks through (with the default time prefix,
// one or two hour folders), not the objects of the bucket; it stats only
// the entries it reaches. 10 keys from the middle of 50,000 objects took
// 1 ms in hour folders of 100, 37 ms with all 50,000 in one folder, where
// List takes 400 to 480 ms.
func (l *Local) ListPage(ctx context.Context, bucket, prefix, startAfter string, maxKeys int) ([]ObjectInfo, bool, error) {
	out, more, err := l.listPage(ctx, bucket, prefix, startAfter, maxKeys)
	if err != nil {
		return nil, false, opError("list", bucket, prefix, err)
	}
	return out, more, nil
}

// errPageFull ends listPage's walk once the page is full.
var errPageFull = errors.New("page full")

func (l *Local) listPage(ctx context.Context, bucket, prefix, startAfter string, maxKeys int) ([]ObjectInfo, bool, error) {
	if err := ctx.Err(); err != nil {
		return nil, false, err
	}
	if err := validateBucket(bucket); err != nil {
		return nil, false, err
	}
	if maxKeys <= 0 {
		return nil, false, fmt.Errorf("maxKeys %d: want at least 1", maxKeys)
	}
	// Start at the deepest folder the prefix names in full, as list does.
	var base string
	if i := strings.LastIndexByte(prefix, '/'); i >= 0 {
		if validateKey(prefix[:i]) != nil {
			return nil, false, nil
		}
		base = prefix[:i+1]
	}
	var out []ObjectInfo
	more := false
	var walk func(dir string) error // dir: a key prefix ending in "/", or ""
	walk = func(dir string) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		ents, err := l.readDir(bucket, dir)
		if err != nil {
			return err
		}
		for _, e := range ents {
			full := dir + e.name
			if !strings.HasPrefix(full, prefix) && !strings.HasPrefix(prefix, full) {
				if full > prefix {
					return nil // every later entry sorts after the prefix too
				}
				continue
			}
			// Every key at or below the entry starts with full; were it a
			// folder, with full+"/". When even those all sort before
			// startAfter, skip it without asking what it is.
			if full+"/" <= startAfter && !strings.HasPrefix(startAfter, full+"/") {
				continue
			}
			fi := e.info
			if fi == nil {
				if fi, err = l.root.Lstat(bucket + "/" + full); err != nil {
					if errors.Is(err, fs.ErrNotExist) {
						continue // vanished while walking
					}
					return err
				}
			}
			if fi.IsDir() {
				if err := walk(full + "/"); err != nil {
					return err
				}
				continue
			}
			if !fi.Mode().IsRegular() || full <= startAfter || !strings.HasPrefix(full, prefix) {
				continue
			}
			if len(out) == maxKeys {
				more = true
				return errPageFull
			}
			out = append(out, ObjectInfo{Key: full, Size: fi.Size(), LastModified: fi.ModTime()})
		}
		return nil
	}
	if err := walk(base); err != nil && !errors.Is(err, errPageFull) {
		return nil, false, err
	}
	return out, more, nil
}

// dirEntry is a folder entry, with its FileInfo when readDir needed it.
type dirEntry struct {
	name string
	info fs.FileInfo // nil: not read yet
}

// readDir returns the entries of the folder of key prefix dir ("" for the
// bucket) in the byte order of the keys at and below them, leaving out
// temporary files. A missing folder, or an object where the folder would
// be, has no entries.
//
// That order sorts a folder by name plus "/": "a-b/x" and "a.c" come
// before "a/x", where a sort by name puts "a" first. Only a name that
// starts another one needs its type for that, so readDir reads names
// alone and stats just those; listPage stats the rest as it reaches them.
// (ReadDir would stat every entry: a folder opened in an os.Root cannot
// defer it.)
func (l *Local) readDir(bucket, dir string) ([]dirEntry, error) {
	name := bucket
	if dir != "" {
		name = bucket + "/" + strings.TrimSuffix(dir, "/")
	}
	f, err := l.root.Open(name)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
			return nil, nil
		}
		return nil, err
	}
	names, err := f.Readdirnames(-1)
	cerr := f.Close()
	if err != nil {
		if errors.Is(err, syscall.ENOTDIR) {
			return nil, nil
		}
		return nil, err
	}
	if cerr != nil {
		return nil, cerr
	}
	names = slices.DeleteFunc(names, func(n string) bool { return strings.HasPrefix(n, tempPrefix) })
	slices.Sort(names)
	out := make([]dirEntry, len(names))
	reorder := false
	for i, n := range names {
		out[i].name = n
		// Sorted by name, a name that starts others is right before the
		// first of them.
		if i+1 < len(names) && strings.HasPrefix(names[i+1], n) {
			fi, err := l.root.Lstat(name + "/" + n)
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				return nil, err
			}
			if fi != nil {
				out[i].info = fi
				reorder = reorder || fi.IsDir()
			}
		}
	}
	if reorder {
		comp := func(e dirEntry) string {
			if e.info != nil && e.info.IsDir() {
				return e.name + "/"
			}
			return e.name
		}
		slices.SortStableFunc(out, func(a, b dirEntry) int { return strings.Compare(comp(a), comp(b)) })
	}
	return out, nil
}

// Ping checks that bucket is a valid name and the root folder, and the
// bucket folder if it already exists, are folders the store can read.
func (l *Local) Ping(ctx context.Context, bucket string) error {
	if err := l.ping(ctx, bucket); err != nil {
		return opError("ping", bucket, "", err)
	}
	return nil
}

func (l *Local) ping(ctx context.Context, bucket string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := validateBucket(bucket); err != nil {
		return err
	}
	if _, err := l.root.Stat("."); err != nil {
		return err
	}
	fi, err := l.root.Stat(bucket)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil // created by the first Put
	case err != nil:
		return err
	case !fi.IsDir():
		return fmt.Errorf("%w: %s is not a folder", ErrInvalidBucket, filepath.Join(l.dir, bucket))
	}
	return nil
}

// validateBucket checks a bucket name for the local store: 1 to 255 of
// A-Z a-z 0-9 _ . - (Firehose's BucketARN pattern), not starting with ".".
func validateBucket(bucket string) error {
	if !isARNBucket(bucket) {
		return fmt.Errorf("%w %q: want 1 to 255 of A-Z a-z 0-9 _ . -", ErrInvalidBucket, bucket)
	}
	if bucket[0] == '.' {
		return fmt.Errorf("%w %q: starts with \".\"", ErrInvalidBucket, bucket)
	}
	return nil
}

// validateKey checks an object key for the local store. A valid key is 1 to
// 1024 bytes of UTF-8, relative, made of "/"-separated segments of 1 to 255
// bytes that are not "." or "..", do not start with ".wasmhose-tmp-" (the
// store's temporary files) and hold no NUL or backslash; on Windows also
// no ":", no trailing "." or space, and no reserved device name.
func validateKey(key string) error {
	switch {
	case key == "":
		return fmt.Errorf("%w: empty", ErrInvalidKey)
	case len(key) > maxKeyLen:
		return fmt.Errorf("%w: longer than %d bytes", ErrInvalidKey, maxKeyLen)
	case !utf8.ValidString(key):
		return fmt.Errorf("%w %q: not UTF-8", ErrInvalidKey, key)
	case key[0] == '/':
		return fmt.Errorf("%w %q: starts with \"/\"", ErrInvalidKey, key)
	}
	for seg := range strings.SplitSeq(key, "/") {
		switch {
		case seg == "":
			return fmt.Errorf("%w %q: empty path segment", ErrInvalidKey, key)
		case seg == "." || seg == "..":
			return fmt.Errorf("%w %q: path segment %q", ErrInvalidKey, key, seg)
		case strings.HasPrefix(seg, tempPrefix):
			return fmt.Errorf("%w %q: segment %q starts with %q, which names the store's temporary files", ErrInvalidKey, key, seg, tempPrefix)
		case len(seg) > maxSegmentLen:
			return fmt.Errorf("%w: segment of %d bytes, more than %d", ErrInvalidKey, len(seg), maxSegmentLen)
		case strings.ContainsAny(seg, "\x00\\"):
			return fmt.Errorf("%w %q: contains NUL or backslash", ErrInvalidKey, key)
		case runtime.GOOS == "windows" && strings.ContainsRune(seg, ':'):
			return fmt.Errorf("%w %q: contains \":\"", ErrInvalidKey, key)
		case runtime.GOOS == "windows" && (strings.HasSuffix(seg, ".") || strings.HasSuffix(seg, " ")):
			return fmt.Errorf("%w %q: segment %q ends with a dot or a space", ErrInvalidKey, key, seg)
		}
	}
	if !filepath.IsLocal(filepath.FromSlash(key)) {
		return fmt.Errorf("%w %q: not a local path", ErrInvalidKey, key)
	}
	return nil
}
