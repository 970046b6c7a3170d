package crypt

import (
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

const (
	testARN  = "arn:aws:kms:us-east-1:000000000000:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	otherARN = "arn:aws:kms:us-east-1:000000000000:alias/other"
)

func newKeyring(t *testing.T) *Keyring {
	t.Helper()
	k, err := OpenKeyring(filepath.Join(t.TempDir(), DirName))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestKeyringCreateOnFirstUse(t *testing.T) {
	k := newKeyring(t)
	if _, err := os.Stat(k.Dir()); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("OpenKeyring created its folder: %v", err)
	}
	if _, err := k.Lookup(testARN); !errors.Is(err, ErrKeyNotFound) {
		t.Fatalf("Lookup before first use = %v, want ErrKeyNotFound", err)
	}
	info, err := k.Key(testARN)
	if err != nil {
		t.Fatal(err)
	}
	if info.ID != KeyID(testARN) || info.ARN != testARN || info.Current() != 1 || len(info.Versions) != 1 {
		t.Fatalf("new key %+v", info)
	}
	again, err := k.Key(testARN)
	if err != nil || again.Current() != 1 {
		t.Fatalf("second Key = %+v, %v; want the same key", again, err)
	}
	// Modes: the folders 0700, the files 0600.
	for path, want := range map[string]os.FileMode{
		k.Dir():                                          0o700,
		filepath.Join(k.Dir(), info.ID):                  0o700,
		filepath.Join(k.Dir(), info.ID, arnFile):         0o600,
		filepath.Join(k.Dir(), info.ID, "v00000001.key"): 0o600,
	} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("%s: mode %o, want %o", path, got, want)
		}
	}
	b, err := os.ReadFile(filepath.Join(k.Dir(), info.ID, "v00000001.key"))
	if err != nil || len(b) != KeySize {
		t.Fatalf("key file: %d bytes, %v", len(b), err)
	}
}

func TestKeyringRotateKeepsOldVersions(t *testing.T) {
	k := newKeyring(t)
	if _, err := k.Rotate(testARN); !errors.Is(err, ErrKeyNotFound) {
		t.Fatalf("Rotate of a missing key = %v, want ErrKeyNotFound", err)
	}
	info, err := k.Key(testARN)
	if err != nil {
		t.Fatal(err)
	}
	v1, err := k.keyMaterial(info.ID, 1)
	if err != nil {
		t.Fatal(err)
	}
	info, err = k.Rotate(testARN)
	if err != nil {
		t.Fatal(err)
	}
	if info.Current() != 2 || len(info.Versions) != 2 || info.Versions[0].Version != 1 {
		t.Fatalf("after rotate %+v", info)
	}
	v2, err := k.keyMaterial(info.ID, 2)
	if err != nil {
		t.Fatal(err)
	}
	if string(v1) == string(v2) {
		t.Fatal("rotation produced the same key material")
	}
	// A second keyring over the same folder (another process) sees both.
	k2, err := OpenKeyring(k.Dir())
	if err != nil {
		t.Fatal(err)
	}
	if m, err := k2.keyMaterial(info.ID, 1); err != nil || string(m) != string(v1) {
		t.Fatalf("version 1 from another keyring: %v", err)
	}
}

func TestKeyringConcurrentRotations(t *testing.T) {
	k := newKeyring(t)
	if _, err := k.Key(testARN); err != nil {
		t.Fatal(err)
	}
	// Separate Keyring values stand for separate processes.
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			kk, _ := OpenKeyring(k.Dir())
			if _, err := kk.Rotate(testARN); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	info, err := k.Lookup(testARN)
	if err != nil {
		t.Fatal(err)
	}
	if info.Current() != 9 || len(info.Versions) != 9 {
		t.Fatalf("8 concurrent rotations gave %+v, want versions 1..9", info.Versions)
	}
}

func TestKeyringList(t *testing.T) {
	k := newKeyring(t)
	if l, err := k.List(); err != nil || len(l) != 0 {
		t.Fatalf("empty keyring lists %v, %v", l, err)
	}
	for _, arn := range []string{testARN, otherARN, AWSOwnedKeyARN} {
		if _, err := k.Key(arn); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := k.Rotate(otherARN); err != nil {
		t.Fatal(err)
	}
	l, err := k.List()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]uint32{}
	for _, ki := range l {
		got[ki.ARN] = ki.Current()
	}
	exp := map[string]uint32{testARN: 1, otherARN: 2, AWSOwnedKeyARN: 1}
	if len(got) != len(exp) {
		t.Fatalf("List = %v", got)
	}
	for a, v := range exp {
		if got[a] != v {
			t.Errorf("%s: current %d, want %d", a, got[a], v)
		}
	}
}

func TestKeyMaterialRefusesBadIDs(t *testing.T) {
	k := newKeyring(t)
	for _, id := range []string{"", "../../etc", "0123456789abcdef0123456789ABCDEF", "0123456789abcdef0123456789abcde/"} {
		if _, err := k.keyMaterial(id, 1); !errors.Is(err, ErrKeyNotFound) {
			t.Errorf("keyMaterial(%q) = %v, want ErrKeyNotFound", id, err)
		}
	}
}

func TestKeyringARNMismatch(t *testing.T) {
	k := newKeyring(t)
	info, err := k.Key(testARN)
	if err != nil {
		t.Fatal(err)
	}
	// A folder whose arn file names another ARN is never used for this one.
	if err := os.WriteFile(filepath.Join(k.Dir(), info.ID, arnFile), []byte(otherARN), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := k.Key(testARN); err == nil {
		t.Fatal("Key used a folder holding another ARN")
	}
}
