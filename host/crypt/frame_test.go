package crypt

import (
	"bytes"
	"errors"
	"testing"
)

func TestFrameSealRoundTrip(t *testing.T) {
	k := newKeyring(t)
	s, err := k.FrameSealer(testARN)
	if err != nil {
		t.Fatal(err)
	}
	if s.KeyID() != KeyID(testARN) || s.KeyVersion() != 1 {
		t.Fatalf("sealer key %s version %d", s.KeyID(), s.KeyVersion())
	}
	o := k.FrameOpener()
	aad := []byte("seq 1..3")
	plain := []byte("the records of one frame")
	prefix := []byte("frame header|")
	sealed, err := s.Seal(bytes.Clone(prefix), plain, aad)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(sealed, prefix) {
		t.Fatal("Seal did not append to dst")
	}
	blob := sealed[len(prefix):]
	if bytes.Contains(blob, plain) {
		t.Fatal("the plaintext shows in the sealed frame")
	}
	h, n, err := ParseFrameHeader(blob)
	if err != nil || h.KeyID != s.KeyID() || h.KeyVersion != 1 || n+len(plain)+tagSize != len(blob) {
		t.Fatalf("ParseFrameHeader = %+v, %d, %v", h, n, err)
	}
	got, err := o.Open([]byte("x"), blob, aad)
	if err != nil || string(got) != "x"+string(plain) {
		t.Fatalf("Open = %q, %v", got, err)
	}
	// Two seals of the same plaintext differ (nonce counter).
	again, _ := s.Seal(nil, plain, aad)
	if bytes.Equal(again, blob) {
		t.Fatal("two seals are identical")
	}

	// A sealer made after a rotation uses the new version; the opener
	// opens frames of both.
	if _, err := k.Rotate(testARN); err != nil {
		t.Fatal(err)
	}
	s2, err := k.FrameSealer(testARN)
	if err != nil || s2.KeyVersion() != 2 {
		t.Fatalf("sealer after rotation: version %d, %v", s2.KeyVersion(), err)
	}
	blob2, _ := s2.Seal(nil, plain, aad)
	for _, b := range [][]byte{blob, blob2} {
		if got, err := o.Open(nil, b, aad); err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("Open after rotation = %q, %v", got, err)
		}
	}
}

func TestFrameOpenFailures(t *testing.T) {
	k := newKeyring(t)
	s, err := k.FrameSealer(testARN)
	if err != nil {
		t.Fatal(err)
	}
	aad := []byte("seq 7")
	blob, _ := s.Seal(nil, []byte("secret records"), aad)
	other := newKeyring(t)
	if _, err := other.Key(testARN); err != nil {
		t.Fatal(err)
	}
	flip := func(i int) []byte {
		b := bytes.Clone(blob)
		b[i] ^= 0x80
		return b
	}
	for _, tt := range []struct {
		name   string
		keys   *Keyring
		blob   []byte
		aad    []byte
		expErr error
	}{
		{"wrong key", other, blob, aad, ErrAuth},
		{"missing key", newKeyring(t), blob, aad, ErrKeyNotFound},
		{"other frame's aad", k, blob, []byte("seq 8"), ErrAuth},
		{"tampered ciphertext", k, flip(len(blob) - 20), aad, ErrAuth},
		{"tampered salt", k, flip(2 + idLen + 4), aad, ErrAuth},
		{"tampered version byte", k, flip(0), aad, ErrFormat},
		{"truncated", k, blob[:len(blob)-1], aad, ErrAuth},
		{"too short", k, blob[:20], aad, ErrFormat},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.keys.FrameOpener().Open(nil, tt.blob, tt.aad)
			if !errors.Is(err, tt.expErr) {
				t.Fatalf("Open = %v, want %v", err, tt.expErr)
			}
			if len(got) != 0 {
				t.Fatalf("Open returned %d bytes with its error", len(got))
			}
		})
	}
}
