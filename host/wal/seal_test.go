package wal

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/wasmhose/wasmhose/host/crypt"
)

const sealARN = "arn:aws:kms:us-east-1:000000000000:key/wal-test"

// keyring returns a keyring in a fresh folder, with sealARN's key created.
func keyring(t testing.TB) *crypt.Keyring {
	t.Helper()
	k, err := crypt.OpenKeyring(filepath.Join(t.TempDir(), "keys"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k.Key(sealARN); err != nil {
		t.Fatal(err)
	}
	return k
}

// sealer returns a frame sealer of sealARN's key.
func sealer(t testing.TB, k *crypt.Keyring) *crypt.FrameSealer {
	t.Helper()
	s, err := k.FrameSealer(sealARN)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// segmentBytes returns the concatenated bytes of every segment in dir.
func segmentBytes(t testing.TB, dir string) []byte {
	t.Helper()
	var all []byte
	for _, name := range segmentFiles(t, dir) {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	return all
}

// TestSealedRecordsAreNotInTheFile is the check: a record's
// plaintext is in the log's bytes when sealing is off, and not when it is on.
func TestSealedRecordsAreNotInTheFile(t *testing.T) {
	secret := []byte(`{"card":"4111-1111-1111-1111","name":"plaintext canary"}`)
	k := keyring(t)
	for _, tt := range []struct {
		name     string
		sealer   Sealer
		expPlain bool
	}{
		{"sealing off", nil, true},
		{"sealing on", sealer(t, k), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			l := openLog(t, dir, Options{Sealer: tt.sealer, Opener: k.FrameOpener()})
			mustAppend(t, l, []Record{{Data: secret, Arrival: base}}, 1)
			raw := segmentBytes(t, dir)
			if got := bytes.Contains(raw, secret); got != tt.expPlain {
				t.Fatalf("plaintext in the segment: %v, want %v", got, tt.expPlain)
			}
			if got := bytes.HasPrefix(raw, []byte(sealedMagic)); got == tt.expPlain {
				t.Fatalf("segment starts with %q", raw[:4])
			}
			es := replayAll(t, l)
			if len(es) != 1 || !bytes.Equal(es[0].Data, secret) || !es[0].Arrival.Equal(base) {
				t.Fatalf("replayed %+v", es)
			}
		})
	}
}

// TestSealingSwitchesMidLog: plain and sealed frames in one log replay in
// order, across a restart, and with the sealer switched off again.
func TestSealingSwitchesMidLog(t *testing.T) {
	k := keyring(t)
	dir := t.TempDir()
	o := Options{Opener: k.FrameOpener(), SegmentBytes: 4 << 10}
	l := openLog(t, dir, o)
	mustAppend(t, l, testRecords(0, 10), 1) // plain
	l.SetSealer(sealer(t, k))
	for i := 10; i < 60; i += 10 {
		mustAppend(t, l, testRecords(i, i+10), uint64(i+1)) // sealed, over several segments
	}
	l.SetSealer(nil)
	mustAppend(t, l, testRecords(60, 70), 61) // plain again
	check := func(l *Log) {
		t.Helper()
		es := replayAll(t, l)
		checkEntries(t, es, seqRange(1, 71))
		for i, e := range es {
			want := testRecord(i)
			if !bytes.Equal(e.Data, want.Data) || !e.Arrival.Equal(want.Arrival) {
				t.Fatalf("entry %d: %q at %v, want %q at %v", i, e.Data, e.Arrival, want.Data, want.Arrival)
			}
		}
	}
	check(l)
	if err := l.Ack(1, 15); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	// Open scans sealed frames without the key; Replay opens them.
	l2 := openLog(t, dir, Options{SegmentBytes: 4 << 10})
	st := l2.Stats()
	if st.NextSeq != 71 || st.Unacked != 56 || st.OldestUnackedArrival.IsZero() {
		t.Fatalf("stats after reopening without a key: %+v", st)
	}
	if err := l2.Replay(func(Entry) error { return nil }); !errors.Is(err, ErrSealed) {
		t.Fatalf("Replay without an opener = %v, want ErrSealed", err)
	}
	if err := l2.Close(); err != nil {
		t.Fatal(err)
	}
	l3 := openLog(t, dir, o)
	es := replayAll(t, l3)
	checkEntries(t, es, seqRange(15, 71))
}

// TestSealedReplayFailsLoudly: a sealed segment read with a wrong or missing
// key yields none of the sealed records, only an error; the plain records
// before it are replayed.
func TestSealedReplayFailsLoudly(t *testing.T) {
	k := keyring(t)
	dir := t.TempDir()
	l := openLog(t, dir, Options{Opener: k.FrameOpener()})
	mustAppend(t, l, testRecords(0, 3), 1)
	l.SetSealer(sealer(t, k))
	mustAppend(t, l, testRecords(3, 6), 4)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	wrong := keyring(t) // a keyring with another key for the same ARN
	empty, err := crypt.OpenKeyring(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name   string
		opener Opener
		expErr error
	}{
		{"no opener", nil, ErrSealed},
		{"wrong key", wrong.FrameOpener(), crypt.ErrAuth},
		{"missing key", empty.FrameOpener(), crypt.ErrKeyNotFound},
	} {
		t.Run(tt.name, func(t *testing.T) {
			l := openLog(t, dir, Options{Opener: tt.opener})
			var got []Entry
			err := l.Replay(func(e Entry) error {
				got = append(got, e)
				return nil
			})
			if !errors.Is(err, ErrSealed) || !errors.Is(err, tt.expErr) {
				t.Fatalf("Replay = %v, want %v", err, tt.expErr)
			}
			checkEntries(t, got, seqRange(1, 4))
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestSealedTornTail: a sealed frame cut short by a crash is a torn tail,
// found without the key.
func TestSealedTornTail(t *testing.T) {
	k := keyring(t)
	dir := t.TempDir()
	l := openLog(t, dir, Options{Sealer: sealer(t, k)})
	mustAppend(t, l, testRecords(0, 5), 1)
	mustAppend(t, l, testRecords(5, 10), 6)
	crash(t, l)
	seg := lastSegment(t, dir)
	fi, err := os.Stat(seg)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(seg, fi.Size()-7); err != nil {
		t.Fatal(err)
	}
	l2 := openLog(t, dir, Options{Opener: k.FrameOpener()})
	if rec := l2.Recovered(); rec.DroppedFrames != 1 {
		t.Fatalf("recovery %+v, want the torn sealed frame dropped", rec)
	}
	checkEntries(t, replayAll(t, l2), seqRange(1, 6))
}

func TestDecodeSealedFrame(t *testing.T) {
	k := keyring(t)
	plain, err := AppendFrame(nil, 7, testRecords(6, 10))
	if err != nil {
		t.Fatal(err)
	}
	b, err := appendSealedFrame(nil, 7, 4, base.UnixNano(), plain[HeaderSize+payloadFixed:], sealer(t, k))
	if err != nil {
		t.Fatal(err)
	}
	fr, n, err := DecodeFrame(b)
	if err != nil || n != len(b) || !fr.Sealed() || fr.FirstSeq != 7 || fr.Count != 4 {
		t.Fatalf("DecodeFrame = %+v, %d, %v", fr, n, err)
	}
	if got := slices.Collect(fr.Entries()); len(got) != 0 {
		t.Fatalf("a sealed frame yielded %d entries", len(got))
	}
	open, err := fr.Open(k.FrameOpener())
	if err != nil || open.Sealed() {
		t.Fatal(err)
	}
	checkEntries(t, slices.Collect(open.Entries()), seqRange(7, 11))
	// The sequence numbers are authenticated with the records: a frame
	// whose clear header was changed (and re-checksummed) does not open.
	moved := bytes.Clone(b)
	moved[HeaderSize] = 8
	fr2, _, err := DecodeFrame(refix(moved))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fr2.Open(k.FrameOpener()); !errors.Is(err, ErrSealed) || !errors.Is(err, crypt.ErrAuth) {
		t.Fatalf("Open of a renumbered frame = %v", err)
	}
}

// FuzzDecodeSealedFrame feeds sealed frames and their mutations to
// DecodeFrame and Open: nothing may panic, and what opens is what was
// sealed.
func FuzzDecodeSealedFrame(f *testing.F) {
	k := keyring(f)
	s := sealer(f, k)
	for i, recs := range [][]Record{testRecords(0, 1), testRecords(0, 5), {{Data: nil}}} {
		plain, err := AppendFrame(nil, uint64(i+1), recs)
		if err != nil {
			f.Fatal(err)
		}
		b, err := appendSealedFrame(nil, uint64(i+1), len(recs), 0, plain[HeaderSize+payloadFixed:], s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		f.Add(b[:len(b)-1])
	}
	o := k.FrameOpener()
	f.Fuzz(func(t *testing.T, b []byte) {
		check(t, b)
		if len(b) >= HeaderSize {
			fixed := slices.Clone(b)
			copy(fixed, sealedMagic)
			fr, _, err := DecodeFrame(refix(fixed))
			if err != nil {
				return
			}
			if open, err := fr.Open(o); err == nil {
				if n := len(slices.Collect(open.Entries())); n != open.Count {
					t.Fatalf("opened frame yields %d entries, Count %d", n, open.Count)
				}
			} else if !errors.Is(err, ErrSealed) && !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Open error %v wraps neither ErrSealed nor ErrCorrupt", err)
			}
		}
	})
}

// checkSealed is FuzzDecodeFrame's check of a sealed frame: it yields no
// entries, and without a key it does not open.
func checkSealed(t *testing.T, fr Frame) {
	if n := len(slices.Collect(fr.Entries())); n != 0 {
		t.Fatalf("sealed frame yields %d entries", n)
	}
	if _, err := fr.Open(nil); !errors.Is(err, ErrSealed) {
		t.Fatalf("Open(nil) = %v, want ErrSealed", err)
	}
}

// BenchmarkAppendSealed compares appends with and without sealing (fsync
// off, so the cost of encryption is not hidden behind the disk): 200-byte
// records, 500 per Append, 8 goroutines.
func BenchmarkAppendSealed(b *testing.B) {
	k := keyring(b)
	for _, tt := range []struct {
		name   string
		sealer Sealer
	}{
		{"plain", nil},
		{"sealed", sealer(b, k)},
	} {
		b.Run(tt.name, func(b *testing.B) {
			benchAppend(b, Options{NoSync: true, Sealer: tt.sealer}, 200, 500, 8)
		})
	}
}
