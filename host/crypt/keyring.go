package crypt

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

const (
	// DirName is the keyring's folder inside the data dir.
	DirName = "keys"

	// KeySize is the size in bytes of every key the keyring holds:
	// AES-256.
	KeySize = 32

	// AWSOwnedKeyARN is the keyring entry that stands in for the AWS owned
	// CMK of a stream whose DeliveryStreamEncryptionConfigurationInput has
	// KeyType AWS_OWNED_CMK (which names no key).
	AWSOwnedKeyARN = "wasmhose:aws-owned-cmk"

	// idLen is the length of a key id: 32 lowercase hex digits.
	idLen = 32

	// arnFile names the file of a key's folder that holds its ARN.
	arnFile = "arn"

	// maxARN bounds the ARN a key folder may hold, as Firehose bounds
	// KeyARN (512).
	maxARN = 2048
)

var (
	// ErrKeyNotFound means the keyring has no key with that id, or not that
	// version of it: the data was encrypted with a key this keyring never
	// held (a wrong or lost keys folder).
	ErrKeyNotFound = errors.New("crypt: key not in the keyring")

	// ErrAuth means authenticated decryption failed: the key is not the one
	// the data was sealed with, or the data was changed or cut short.
	ErrAuth = errors.New("crypt: message authentication failed (wrong key, or data tampered with or truncated)")
)

// Keyring is the local stand-in for AWS KMS: a folder of AES-256 key
// encryption keys, one key per KMS key ARN, each with numbered versions.
//
// A key is created, with version 1, the first time an ARN is used; Rotate
// adds a version, which new data is encrypted with, and keeps the old ones,
// so data encrypted before still decrypts. Key material never leaves the
// folder except to encrypt and decrypt in this process.
//
// # Folder layout
//
//	<dir>/                          0700
//	<dir>/<id>/                     0700, one per key; id = hex of the first 16 bytes of SHA-256(ARN)
//	<dir>/<id>/arn                  0600, the KMS key ARN, so `wasmhose keys list` can name it
//	<dir>/<id>/v00000001.key        0600, 32 random bytes: version 1 of the key
//	<dir>/<id>/v00000002.key        version 2, added by Rotate; the highest version is current
//
// Every file is written to a temporary name, synced and hard-linked into
// place, which fails if the name exists: two processes creating or rotating
// the same key at once cannot overwrite each other's key material, and a
// file is never seen half written. Nothing is ever rewritten or deleted.
//
// # Notes
//
// The key files are as secret as KMS keys: protect the folder (it is 0700)
// and back it up with the data. Losing a version makes the data encrypted
// with it unreadable, by design.
//
// A Keyring is safe for concurrent use; several processes may share the
// folder (the service and `wasmhose keys` / `wasmhose decrypt`).
type Keyring struct {
	dir string

	mu       sync.Mutex
	material map[keyRef][]byte // immutable once read
}

// keyRef names one version of one key.
type keyRef struct {
	id      string
	version uint32
}

// KeyInfo describes one key of the keyring.
type KeyInfo struct {
	// ID is the key id stored in encrypted data: 32 lowercase hex digits.
	ID string
	// ARN is the KMS key ARN the key stands in for.
	ARN string
	// Versions lists the key's versions, oldest first; the last is current.
	Versions []KeyVersion
}

// Current returns the version new data is encrypted with.
func (k KeyInfo) Current() uint32 {
	if len(k.Versions) == 0 {
		return 0
	}
	return k.Versions[len(k.Versions)-1].Version
}

// KeyVersion is one version of a key.
type KeyVersion struct {
	// Version numbers start at 1.
	Version uint32
	// Created is when the version was written (its file's modification time).
	Created time.Time
}

// OpenKeyring returns the keyring in dir (usually <data-dir>/keys). It
// touches nothing on disk: the folder is created with the first key.
func OpenKeyring(dir string) (*Keyring, error) {
	if dir == "" {
		return nil, errors.New("crypt: keyring folder is empty")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("crypt: keyring %q: %w", dir, err)
	}
	return &Keyring{dir: abs, material: map[keyRef][]byte{}}, nil
}

// Dir returns the keyring's folder.
func (k *Keyring) Dir() string { return k.dir }

// KeyID returns the id of the key that stands in for the KMS key arn.
func KeyID(arn string) string {
	sum := sha256.Sum256([]byte(arn))
	return hex.EncodeToString(sum[:idLen/2])
}

// validID reports whether id has the form KeyID returns, so that an id read
// from untrusted data can never name a path outside the keyring.
func validID(id string) bool {
	if len(id) != idLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// Key returns the key of arn, creating it (version 1) if the keyring does
// not hold it yet.
func (k *Keyring) Key(arn string) (KeyInfo, error) {
	if arn == "" || len(arn) > maxARN {
		return KeyInfo{}, fmt.Errorf("crypt: key ARN of %d bytes: want 1 to %d", len(arn), maxARN)
	}
	info, err := k.Lookup(arn)
	if err == nil {
		return info, nil
	}
	if !errors.Is(err, ErrKeyNotFound) {
		return KeyInfo{}, err
	}
	id := KeyID(arn)
	kdir := filepath.Join(k.dir, id)
	if err := os.MkdirAll(kdir, 0o700); err != nil {
		return KeyInfo{}, fmt.Errorf("crypt: create key %s: %w", id, err)
	}
	if err := writeNew(kdir, arnFile, []byte(arn)); err != nil && !errors.Is(err, fs.ErrExist) {
		return KeyInfo{}, fmt.Errorf("crypt: create key %s: %w", id, err)
	}
	if err := k.addVersion(kdir, 1); err != nil && !errors.Is(err, fs.ErrExist) {
		return KeyInfo{}, fmt.Errorf("crypt: create key %s: %w", id, err)
	}
	return k.Lookup(arn)
}

// Lookup returns the key of arn, or an error wrapping ErrKeyNotFound when
// the keyring does not hold it.
func (k *Keyring) Lookup(arn string) (KeyInfo, error) {
	id := KeyID(arn)
	info, err := k.info(id)
	if err != nil {
		return KeyInfo{}, err
	}
	if info.ARN != arn {
		// Two ARNs with the same 128-bit hash prefix, or a folder edited
		// by hand: never use one ARN's key for another.
		return KeyInfo{}, fmt.Errorf("crypt: key folder %s holds ARN %q, not %q", id, info.ARN, arn)
	}
	return info, nil
}

// info reads the key folder id.
func (k *Keyring) info(id string) (KeyInfo, error) {
	kdir := filepath.Join(k.dir, id)
	b, err := os.ReadFile(filepath.Join(kdir, arnFile))
	if errors.Is(err, fs.ErrNotExist) {
		return KeyInfo{}, fmt.Errorf("%w: key %s", ErrKeyNotFound, id)
	}
	if err != nil {
		return KeyInfo{}, fmt.Errorf("crypt: key %s: %w", id, err)
	}
	info := KeyInfo{ID: id, ARN: string(b)}
	des, err := os.ReadDir(kdir)
	if err != nil {
		return KeyInfo{}, fmt.Errorf("crypt: key %s: %w", id, err)
	}
	for _, de := range des {
		v, ok := parseVersionName(de.Name())
		if !ok || !de.Type().IsRegular() {
			continue
		}
		fi, err := de.Info()
		if err != nil {
			return KeyInfo{}, fmt.Errorf("crypt: key %s: %w", id, err)
		}
		info.Versions = append(info.Versions, KeyVersion{Version: v, Created: fi.ModTime()})
	}
	if len(info.Versions) == 0 {
		return KeyInfo{}, fmt.Errorf("%w: key %s has no versions", ErrKeyNotFound, id)
	}
	slices.SortFunc(info.Versions, func(a, b KeyVersion) int { return int(int64(a.Version) - int64(b.Version)) })
	return info, nil
}

// Rotate adds a version to the key of arn, which must exist, and returns
// the key with its new current version. Data encrypted with the older
// versions still decrypts.
func (k *Keyring) Rotate(arn string) (KeyInfo, error) {
	info, err := k.Lookup(arn)
	if err != nil {
		return KeyInfo{}, err
	}
	kdir := filepath.Join(k.dir, info.ID)
	for v := info.Current() + 1; ; v++ {
		if v == 0 {
			return KeyInfo{}, fmt.Errorf("crypt: key %s: no versions left", info.ID)
		}
		err := k.addVersion(kdir, v)
		if err == nil {
			break
		}
		if !errors.Is(err, fs.ErrExist) {
			return KeyInfo{}, fmt.Errorf("crypt: rotate key %s: %w", info.ID, err)
		}
		// Another process rotated at the same moment: take the next number.
	}
	return k.Lookup(arn)
}

// List returns every key of the keyring, sorted by ARN.
func (k *Keyring) List() ([]KeyInfo, error) {
	des, err := os.ReadDir(k.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("crypt: list keys: %w", err)
	}
	var out []KeyInfo
	for _, de := range des {
		if !de.IsDir() || !validID(de.Name()) {
			continue
		}
		info, err := k.info(de.Name())
		if err != nil {
			return nil, err
		}
		out = append(out, info)
	}
	slices.SortFunc(out, func(a, b KeyInfo) int { return strings.Compare(a.ARN, b.ARN) })
	return out, nil
}

// current returns the id, current version and material of the key of arn,
// creating the key on first use.
func (k *Keyring) current(arn string) (string, uint32, []byte, error) {
	info, err := k.Key(arn)
	if err != nil {
		return "", 0, nil, err
	}
	m, err := k.keyMaterial(info.ID, info.Current())
	if err != nil {
		return "", 0, nil, err
	}
	return info.ID, info.Current(), m, nil
}

// keyMaterial returns version v of key id. Versions never change once
// written, so they are cached.
func (k *Keyring) keyMaterial(id string, v uint32) ([]byte, error) {
	if !validID(id) {
		return nil, fmt.Errorf("%w: malformed key id %q", ErrKeyNotFound, id)
	}
	ref := keyRef{id, v}
	k.mu.Lock()
	m, ok := k.material[ref]
	k.mu.Unlock()
	if ok {
		return m, nil
	}
	b, err := os.ReadFile(filepath.Join(k.dir, id, versionName(v)))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: key %s version %d", ErrKeyNotFound, id, v)
	}
	if err != nil {
		return nil, fmt.Errorf("crypt: read key %s version %d: %w", id, v, err)
	}
	if len(b) != KeySize {
		return nil, fmt.Errorf("crypt: key %s version %d: %d bytes, want %d", id, v, len(b), KeySize)
	}
	k.mu.Lock()
	k.material[ref] = b
	k.mu.Unlock()
	return b, nil
}

// addVersion writes version v of the key in kdir with fresh random
// material. It fails with fs.ErrExist if that version exists.
func (k *Keyring) addVersion(kdir string, v uint32) error {
	m := make([]byte, KeySize)
	_, _ = rand.Read(m) // crypto/rand.Read never fails
	return writeNew(kdir, versionName(v), m)
}

// versionName is the file name of a key version.
func versionName(v uint32) string { return fmt.Sprintf("v%08d.key", v) }

// parseVersionName reads a name versionName wrote.
func parseVersionName(name string) (uint32, bool) {
	digits, ok := strings.CutPrefix(name, "v")
	if !ok {
		return 0, false
	}
	digits, ok = strings.CutSuffix(digits, ".key")
	if !ok || len(digits) < 8 {
		return 0, false
	}
	v, err := strconv.ParseUint(digits, 10, 32)
	if err != nil || v == 0 {
		return 0, false
	}
	return uint32(v), true
}

// writeNew creates dir/name holding b, mode 0600, atomically and only if it
// does not exist (the error then wraps fs.ErrExist): the bytes go to a
// synced temporary file that is hard-linked to the name, and the folder is
// synced.
func writeNew(dir, name string, b []byte) error {
	f, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // the link, if made, keeps the data
	_, err = f.Write(b)
	if err == nil {
		err = f.Chmod(0o600)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := os.Link(tmp, filepath.Join(dir, name)); err != nil {
		return err
	}
	return syncDir(dir)
}

// syncDir makes a folder's entries durable. Windows cannot sync folders.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	return errors.Join(err, d.Close())
}
