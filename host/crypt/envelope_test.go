package crypt

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// pattern returns n bytes that are not all alike.
func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*31 + i/251)
	}
	return b
}

func TestEnvelopeRoundTrip(t *testing.T) {
	k := newKeyring(t)
	for _, tt := range []struct {
		name string
		size int
	}{
		{"empty", 0},
		{"one byte", 1},
		{"under a chunk", DefaultChunkSize - 1},
		{"exactly one chunk", DefaultChunkSize},
		{"one chunk and a byte", DefaultChunkSize + 1},
		{"exactly three chunks", 3 * DefaultChunkSize},
		{"a megabyte and change", 1<<20 + 12345},
	} {
		t.Run(tt.name, func(t *testing.T) {
			plain := pattern(tt.size)
			enc, err := Encrypt(k, testARN, plain)
			if err != nil {
				t.Fatal(err)
			}
			chunks := tt.size/DefaultChunkSize + 1
			if tt.size > 0 && tt.size%DefaultChunkSize == 0 {
				chunks--
			}
			h, n, err := ParseHeader(enc)
			if err != nil {
				t.Fatal(err)
			}
			if want := n + tt.size + chunks*tagSize; len(enc) != want {
				t.Fatalf("%d encrypted bytes, want header %d + data %d + %d tags = %d", len(enc), n, tt.size, chunks, want)
			}
			if h.KeyID != KeyID(testARN) || h.KeyVersion != 1 || h.ChunkSize != DefaultChunkSize {
				t.Fatalf("header %+v", h)
			}
			if tt.size >= 16 && bytes.Contains(enc, plain[:16]) {
				t.Fatal("the plaintext shows in the encrypted object")
			}
			got, err := Decrypt(k, enc)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, plain) {
				t.Fatalf("decrypted %d bytes that differ from the %d encrypted", len(got), len(plain))
			}
			// Streaming reads with a tiny buffer give the same bytes.
			r, err := NewReader(bytes.NewReader(enc), k)
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			buf := make([]byte, 7)
			for {
				n, err := r.Read(buf)
				out.Write(buf[:n])
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			if !bytes.Equal(out.Bytes(), plain) {
				t.Fatal("streamed plaintext differs")
			}
		})
	}
}

func TestEnvelopeStreamingWrites(t *testing.T) {
	k := newKeyring(t)
	plain := pattern(5*DefaultChunkSize + 99)
	var enc bytes.Buffer
	w, err := NewWriter(&enc, k, testARN)
	if err != nil {
		t.Fatal(err)
	}
	for p := plain; len(p) > 0; {
		n := min(len(p), 1000)
		if _, err := w.Write(p[:n]); err != nil {
			t.Fatal(err)
		}
		p = p[n:]
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("x")); err == nil {
		t.Fatal("Write after Close succeeded")
	}
	got, err := Decrypt(k, enc.Bytes())
	if err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("Decrypt: %v (equal %v)", err, bytes.Equal(got, plain))
	}
}

func TestEnvelopeFailures(t *testing.T) {
	k := newKeyring(t)
	plain := pattern(3*DefaultChunkSize + 500)
	enc, err := Encrypt(k, testARN, plain)
	if err != nil {
		t.Fatal(err)
	}
	_, hlen, err := ParseHeader(enc)
	if err != nil {
		t.Fatal(err)
	}
	full := DefaultChunkSize + tagSize
	flip := func(i int) []byte {
		b := bytes.Clone(enc)
		b[i] ^= 0x01
		return b
	}
	// Another keyring whose key of the same ARN is different material.
	other := newKeyring(t)
	if _, err := other.Key(testARN); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name   string
		keys   *Keyring
		data   []byte
		expErr error
	}{
		{"wrong key (same ARN, other keyring)", other, enc, ErrAuth},
		{"missing key", newKeyring(t), enc, ErrKeyNotFound},
		{"plain data", k, plain, ErrNotEncrypted},
		{"empty", k, nil, ErrFormat},
		{"tampered payload byte", k, flip(hlen + 10), ErrAuth},
		{"tampered tag byte", k, flip(hlen + full - 1), ErrAuth},
		{"tampered last chunk", k, flip(len(enc) - 1), ErrAuth},
		{"tampered key version", k, flip(len(Magic) + 2 + idLen + 2), ErrKeyNotFound},
		{"tampered chunk size", k, flip(len(Magic) + 2 + idLen + 4 + 2), ErrAuth},
		{"tampered wrapped key", k, flip(len(Magic) + 2 + idLen + 9 + 20), ErrAuth},
		{"tampered nonce prefix", k, flip(hlen - 1), ErrAuth},
		{"tampered format version", k, flip(len(Magic)), ErrFormat},
		{"truncated at a chunk boundary", k, enc[:hlen+2*full], ErrAuth},
		{"truncated inside a chunk", k, enc[:hlen+2*full+100], ErrAuth},
		{"truncated after the header", k, enc[:hlen], ErrAuth},
		{"truncated inside the header", k, enc[:hlen-3], ErrFormat},
		{"trailing bytes", k, append(bytes.Clone(enc), 0), ErrAuth},
		{"chunks swapped", k, swapChunks(enc, hlen, full), ErrAuth},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Decrypt(tt.keys, tt.data)
			if !errors.Is(err, tt.expErr) {
				t.Fatalf("Decrypt = %v, want %v", err, tt.expErr)
			}
			if got != nil {
				t.Fatalf("Decrypt returned %d bytes with its error", len(got))
			}
		})
	}
}

// swapChunks returns enc with its first two chunks exchanged.
func swapChunks(enc []byte, hlen, full int) []byte {
	b := bytes.Clone(enc)
	copy(b[hlen:], enc[hlen+full:hlen+2*full])
	copy(b[hlen+full:], enc[hlen:hlen+full])
	return b
}

func TestEnvelopeRotation(t *testing.T) {
	k := newKeyring(t)
	old, err := Encrypt(k, testARN, []byte("before rotation"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k.Rotate(testARN); err != nil {
		t.Fatal(err)
	}
	// Rotation in another process: this keyring sees it too.
	k2, _ := OpenKeyring(k.Dir())
	if _, err := k2.Rotate(testARN); err != nil {
		t.Fatal(err)
	}
	cur, err := Encrypt(k, testARN, []byte("after rotation"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name       string
		data       []byte
		expVersion uint32
		expPlain   string
	}{
		{"old object still decrypts", old, 1, "before rotation"},
		{"new object uses the new version", cur, 3, "after rotation"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h, _, err := ParseHeader(tt.data)
			if err != nil || h.KeyVersion != tt.expVersion {
				t.Fatalf("header version %d, %v; want %d", h.KeyVersion, err, tt.expVersion)
			}
			got, err := Decrypt(k2, tt.data)
			if err != nil || string(got) != tt.expPlain {
				t.Fatalf("Decrypt = %q, %v", got, err)
			}
		})
	}
}

func TestParseHeader(t *testing.T) {
	k := newKeyring(t)
	enc, err := Encrypt(k, testARN, []byte("x"))
	if err != nil {
		t.Fatal(err)
	}
	_, hlen, _ := ParseHeader(enc)
	set := func(off int, v ...byte) []byte {
		b := bytes.Clone(enc[:hlen])
		copy(b[off:], v)
		return b
	}
	idOff := len(Magic) + 2
	for _, tt := range []struct {
		name   string
		data   []byte
		expErr error
	}{
		{"valid", enc[:hlen], nil},
		{"prefix of the magic", []byte(Magic[:3]), io.ErrUnexpectedEOF},
		{"other bytes", []byte("PAR1 not ours"), ErrNotEncrypted},
		{"every cut is a short read", enc[:hlen-1], io.ErrUnexpectedEOF},
		{"version 2", set(len(Magic), 2), ErrFormat},
		{"empty key id", set(len(Magic)+1, 0), ErrFormat},
		{"key version 0", set(idOff+idLen, 0, 0, 0, 0), ErrFormat},
		{"chunk size too small", set(idOff+idLen+4, 0, 0, 0, 1), ErrFormat},
		{"chunk size too large", set(idOff+idLen+4, 0xFF, 0, 0, 0), ErrFormat},
		{"wrapped key length", set(idOff+idLen+8, 59), ErrFormat},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, n, err := ParseHeader(tt.data)
			if !errors.Is(err, tt.expErr) {
				t.Fatalf("ParseHeader = %v, want %v", err, tt.expErr)
			}
			if err == nil && n != hlen {
				t.Fatalf("size %d, want %d", n, hlen)
			}
		})
	}
}

// BenchmarkEncrypt and BenchmarkDecrypt measure the envelope format on a
// 5 MiB object (Firehose's default buffer size).
func BenchmarkEncrypt(b *testing.B) {
	k, _ := OpenKeyring(b.TempDir())
	plain := pattern(5 << 20)
	b.SetBytes(int64(len(plain)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Encrypt(k, testARN, plain); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecrypt(b *testing.B) {
	k, _ := OpenKeyring(b.TempDir())
	enc, err := Encrypt(k, testARN, pattern(5<<20))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(5 << 20)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decrypt(k, enc); err != nil {
			b.Fatal(err)
		}
	}
}
