package crypt

import (
	"bytes"
	"path/filepath"
	"testing"
)

// FuzzParseHeader checks that ParseHeader never panics or reads past its
// input, and that NewReader, given the same bytes, fails cleanly or
// decrypts.
func FuzzParseHeader(f *testing.F) {
	k, err := OpenKeyring(filepath.Join(f.TempDir(), DirName))
	if err != nil {
		f.Fatal(err)
	}
	for _, plain := range [][]byte{nil, []byte("hello"), pattern(3000)} {
		enc, err := Encrypt(k, testARN, plain)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(enc)
		f.Add(enc[:len(enc)/2])
	}
	f.Add([]byte(Magic))
	f.Add([]byte("not encrypted"))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, n, err := ParseHeader(b)
		if err == nil {
			if n > len(b) || n > maxHeader || len(h.WrappedKey) != wrappedKeySize || h.KeyVersion == 0 {
				t.Fatalf("ParseHeader accepted %+v of size %d from %d bytes", h, n, len(b))
			}
		}
		// Decryption must fail without panicking, or succeed only for an
		// object this keyring made.
		if plain, err := Decrypt(k, b); err == nil {
			again, err := Encrypt(k, testARN, plain)
			if err != nil || !IsEncrypted(again) {
				t.Fatalf("re-encrypting %d decrypted bytes: %v", len(plain), err)
			}
		}
	})
}

// FuzzParseFrameHeader checks the sealed-frame header parser and the
// opener on arbitrary bytes.
func FuzzParseFrameHeader(f *testing.F) {
	k, err := OpenKeyring(filepath.Join(f.TempDir(), DirName))
	if err != nil {
		f.Fatal(err)
	}
	s, err := k.FrameSealer(testARN)
	if err != nil {
		f.Fatal(err)
	}
	blob, _ := s.Seal(nil, []byte("records"), []byte("aad"))
	f.Add(blob)
	f.Add(blob[:10])
	f.Add([]byte{1, 0})
	o := k.FrameOpener()
	f.Fuzz(func(t *testing.T, b []byte) {
		h, n, err := ParseFrameHeader(b)
		if err == nil && (n+tagSize > len(b) || h.KeyID == "") {
			t.Fatalf("ParseFrameHeader accepted %+v of size %d from %d bytes", h, n, len(b))
		}
		if got, err := o.Open(nil, b, []byte("aad")); err == nil && !bytes.Equal(got, []byte("records")) {
			t.Fatalf("Open of forged bytes returned %q", got)
		}
	})
}
