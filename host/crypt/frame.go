package crypt

import (
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
)

const (
	// sealedVersion is the format version of a sealed log frame payload.
	sealedVersion = 1
	// saltSize is the HKDF salt that derives a FrameSealer's subkey.
	saltSize = 16
	// hkdfInfo separates the frame subkeys from any other use of a key.
	hkdfInfo = "wasmhose wal frame v1"
	// maxSubkeys bounds FrameOpener's cache of derived subkeys.
	maxSubkeys = 64
)

// FrameSealer encrypts write-ahead-log frame payloads with one version of
// one keyring key. It implements the wal package's Sealer.
//
// Each FrameSealer derives its own AES-256-GCM subkey from the key version
// and a random 16-byte salt (HKDF-SHA-256), and numbers its nonces with a
// counter, so nonces never repeat under a subkey however many frames it
// seals. Safe for concurrent use.
type FrameSealer struct {
	id      string
	version uint32
	salt    [saltSize]byte
	aead    cipher.AEAD
	counter atomic.Uint64
}

// FrameSealer returns a sealer for the current version of arn's key,
// creating the key on first use.
func (k *Keyring) FrameSealer(arn string) (*FrameSealer, error) {
	id, version, kek, err := k.current(arn)
	if err != nil {
		return nil, err
	}
	s := &FrameSealer{id: id, version: version}
	_, _ = rand.Read(s.salt[:]) // crypto/rand.Read never fails
	if s.aead, err = subkey(kek, s.salt[:]); err != nil {
		return nil, err
	}
	return s, nil
}

// KeyID returns the id of the key the sealer uses.
func (s *FrameSealer) KeyID() string { return s.id }

// KeyVersion returns the version of the key the sealer uses.
func (s *FrameSealer) KeyVersion() uint32 { return s.version }

// subkey derives the AES-256-GCM subkey of a key version and a salt.
func subkey(kek, salt []byte) (cipher.AEAD, error) {
	k, err := hkdf.Key(sha256.New, kek, salt, hkdfInfo, KeySize)
	if err != nil {
		return nil, fmt.Errorf("crypt: derive frame key: %w", err)
	}
	return newGCM(k)
}

// Seal appends to dst the sealed form of plain, authenticating aad with
// it, and returns the extended slice. The layout is in the package
// documentation.
func (s *FrameSealer) Seal(dst, plain, aad []byte) ([]byte, error) {
	c := s.counter.Add(1)
	if c == 0 {
		return dst, errors.New("crypt: frame sealer nonces exhausted")
	}
	start := len(dst)
	dst = append(dst, sealedVersion, byte(len(s.id)))
	dst = append(dst, s.id...)
	dst = binary.BigEndian.AppendUint32(dst, s.version)
	dst = append(dst, s.salt[:]...)
	var nonce [nonceSize]byte
	binary.BigEndian.PutUint64(nonce[4:], c)
	dst = append(dst, nonce[:]...)
	head := dst[start:]
	return s.aead.Seal(dst, nonce[:], plain, frameAAD(aad, head)), nil
}

// frameAAD is the additional data of a sealed frame: the caller's aad (the
// frame's sequence numbers), then the sealed header (format, key, salt,
// nonce).
func frameAAD(aad, head []byte) []byte {
	out := make([]byte, 0, len(aad)+len(head))
	return append(append(out, aad...), head...)
}

// FrameHeader is the clear part of a sealed frame payload.
type FrameHeader struct {
	// KeyID and KeyVersion name the key version that sealed it.
	KeyID      string
	KeyVersion uint32
	// Salt derived the sealer's subkey.
	Salt [saltSize]byte
	// Nonce is the frame's AES-GCM nonce.
	Nonce [nonceSize]byte
}

// ParseFrameHeader parses the clear header of a sealed frame payload and
// returns it with its size. It fails with ErrFormat on anything it does not
// recognise, and never reads past b.
func ParseFrameHeader(b []byte) (FrameHeader, int, error) {
	if len(b) < 2 {
		return FrameHeader{}, 0, fmt.Errorf("%w: sealed frame of %d bytes", ErrFormat, len(b))
	}
	if b[0] != sealedVersion {
		return FrameHeader{}, 0, fmt.Errorf("%w: sealed frame version %d, want %d", ErrFormat, b[0], sealedVersion)
	}
	idLen := int(b[1])
	n := 2 + idLen + 4 + saltSize + nonceSize
	if idLen == 0 || len(b) < n+tagSize {
		return FrameHeader{}, 0, fmt.Errorf("%w: sealed frame of %d bytes with a key id of %d", ErrFormat, len(b), idLen)
	}
	h := FrameHeader{KeyID: string(b[2 : 2+idLen])}
	p := 2 + idLen
	h.KeyVersion = binary.BigEndian.Uint32(b[p:])
	p += 4
	copy(h.Salt[:], b[p:])
	p += saltSize
	copy(h.Nonce[:], b[p:])
	return h, n, nil
}

// FrameOpener decrypts frames sealed by any FrameSealer of its keyring,
// whatever key or version sealed them. It implements the wal package's
// Opener. Safe for concurrent use.
type FrameOpener struct {
	k *Keyring

	mu   sync.Mutex
	subs map[subRef]cipher.AEAD
}

// subRef names a derived subkey.
type subRef struct {
	key  keyRef
	salt [saltSize]byte
}

// FrameOpener returns an opener over the keyring.
func (k *Keyring) FrameOpener() *FrameOpener {
	return &FrameOpener{k: k, subs: map[subRef]cipher.AEAD{}}
}

// Open appends to dst the plaintext of sealed, which Seal made with the
// same aad, and returns the extended slice. It fails with ErrKeyNotFound
// when the keyring lacks the key version, ErrAuth when the key does not
// open the frame (a wrong key, or changed bytes), and ErrFormat when sealed
// is not a sealed frame.
func (o *FrameOpener) Open(dst, sealed, aad []byte) ([]byte, error) {
	h, n, err := ParseFrameHeader(sealed)
	if err != nil {
		return dst, err
	}
	aead, err := o.subkey(h)
	if err != nil {
		return dst, err
	}
	out, err := aead.Open(dst, h.Nonce[:], sealed[n:], frameAAD(aad, sealed[:n]))
	if err != nil {
		return dst, fmt.Errorf("%w: log frame sealed with key %s version %d", ErrAuth, h.KeyID, h.KeyVersion)
	}
	return out, nil
}

// subkey returns the subkey of h's key version and salt, deriving it on
// first use.
func (o *FrameOpener) subkey(h FrameHeader) (cipher.AEAD, error) {
	ref := subRef{key: keyRef{h.KeyID, h.KeyVersion}, salt: h.Salt}
	o.mu.Lock()
	a, ok := o.subs[ref]
	o.mu.Unlock()
	if ok {
		return a, nil
	}
	kek, err := o.k.keyMaterial(h.KeyID, h.KeyVersion)
	if err != nil {
		return nil, err
	}
	if a, err = subkey(kek, h.Salt[:]); err != nil {
		return nil, err
	}
	o.mu.Lock()
	if len(o.subs) >= maxSubkeys {
		clear(o.subs) // a log holds few sealers' frames; start over
	}
	o.subs[ref] = a
	o.mu.Unlock()
	return a, nil
}
