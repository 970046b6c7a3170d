package wal

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"math/rand/v2"
	"slices"
	"testing"
)

// mustFrame encodes a frame or fails the test.
func mustFrame(t testing.TB, first uint64, recs []Record) []byte {
	t.Helper()
	b, err := AppendFrame(nil, first, recs)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// refix rewrites a frame's length and both checksums to match its bytes, so
// that a test can reach the payload checks with a damaged payload.
func refix(b []byte) []byte {
	b = slices.Clone(b)
	p := b[HeaderSize:]
	binary.LittleEndian.PutUint32(b[4:8], uint32(len(p)))
	binary.LittleEndian.PutUint32(b[8:12], crc32.Checksum(p, castagnoli))
	binary.LittleEndian.PutUint32(b[12:16], crc32.Checksum(b[0:12], castagnoli))
	return b
}

func TestDecodeFrame(t *testing.T) {
	recs := testRecords(0, 3)
	good := mustFrame(t, 7, recs)
	with := func(f func(b []byte) []byte) []byte { return f(slices.Clone(good)) }
	tests := []struct {
		name   string
		in     []byte
		exp    int // frame size when valid
		expErr error
	}{
		{name: "valid", in: good, exp: len(good)},
		{name: "valid with trailing bytes", in: append(slices.Clone(good), "next"...), exp: len(good)},
		{name: "empty", in: nil, expErr: ErrTruncated},
		{name: "short header", in: good[:HeaderSize-1], expErr: ErrTruncated},
		{name: "header only", in: good[:HeaderSize], expErr: ErrTruncated},
		{name: "short payload", in: good[:len(good)-1], expErr: ErrTruncated},
		{name: "bad magic", in: with(func(b []byte) []byte { b[0] = 'X'; return b }), expErr: ErrCorrupt},
		{name: "bad length", in: with(func(b []byte) []byte { b[5]++; return b }), expErr: ErrCorrupt},
		{name: "bad header checksum", in: with(func(b []byte) []byte { b[13]++; return b }), expErr: ErrCorrupt},
		{name: "bad payload checksum", in: with(func(b []byte) []byte { b[9]++; return b }), expErr: ErrCorrupt},
		{name: "flipped data bit", in: with(func(b []byte) []byte { b[len(b)-1] ^= 1; return b }), expErr: ErrCorrupt},
		{name: "huge length", in: refixHeader(with(func(b []byte) []byte {
			binary.LittleEndian.PutUint32(b[4:8], 1<<31)
			return b
		})), expErr: ErrCorrupt},
		{name: "tiny length", in: refixHeader(with(func(b []byte) []byte {
			binary.LittleEndian.PutUint32(b[4:8], 5)
			return b
		})), expErr: ErrCorrupt},
		{name: "count zero", in: refix(with(func(b []byte) []byte {
			binary.LittleEndian.PutUint32(b[HeaderSize+8:], 0)
			return b
		})), expErr: ErrCorrupt},
		{name: "count too high", in: refix(with(func(b []byte) []byte {
			binary.LittleEndian.PutUint32(b[HeaderSize+8:], 4)
			return b
		})), expErr: ErrCorrupt},
		{name: "count absurd", in: refix(with(func(b []byte) []byte {
			binary.LittleEndian.PutUint32(b[HeaderSize+8:], 1<<32-1)
			return b
		})), expErr: ErrCorrupt},
		{name: "count too low", in: refix(with(func(b []byte) []byte {
			binary.LittleEndian.PutUint32(b[HeaderSize+8:], 2)
			return b
		})), expErr: ErrCorrupt},
		{name: "first seq zero", in: refix(with(func(b []byte) []byte {
			binary.LittleEndian.PutUint64(b[HeaderSize:], 0)
			return b
		})), expErr: ErrCorrupt},
		{name: "seq overflow", in: refix(with(func(b []byte) []byte {
			binary.LittleEndian.PutUint64(b[HeaderSize:], 1<<64-2)
			return b
		})), expErr: ErrCorrupt},
		{name: "record length past end", in: refix(with(func(b []byte) []byte {
			b[HeaderSize+12+8] = 0x7f
			return b
		})), expErr: ErrCorrupt},
		{name: "non-canonical varint", in: refix(func() []byte {
			b, _ := beginFrame(nil, 1)
			b = append(b, make([]byte, 8)...)
			b = append(b, 0x81, 0x00, 'x') // 1, encoded in two bytes
			binary.LittleEndian.PutUint32(b[HeaderSize+8:], 1)
			return b
		}()), expErr: ErrCorrupt},
		{name: "overlong varint", in: refix(func() []byte {
			b, _ := beginFrame(nil, 1)
			b = append(b, make([]byte, 8)...)
			b = append(b, bytes.Repeat([]byte{0xff}, 11)...)
			binary.LittleEndian.PutUint32(b[HeaderSize+8:], 1)
			return b
		}()), expErr: ErrCorrupt},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, n, err := DecodeFrame(tc.in)
			if tc.expErr != nil {
				if !errors.Is(err, tc.expErr) {
					t.Fatalf("DecodeFrame = %v, want %v", err, tc.expErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if n != tc.exp || f.FirstSeq != 7 || f.Count != len(recs) {
				t.Fatalf("DecodeFrame = %+v, %d", f, n)
			}
			i := 0
			for e := range f.Entries() {
				if e.Seq != 7+uint64(i) || !bytes.Equal(e.Data, recs[i].Data) || !e.Arrival.Equal(recs[i].Arrival) {
					t.Fatalf("entry %d = %+v", i, e)
				}
				i++
			}
		})
	}
}

// refixHeader recomputes only the header checksum.
func refixHeader(b []byte) []byte {
	binary.LittleEndian.PutUint32(b[12:16], crc32.Checksum(b[0:12], castagnoli))
	return b
}

func TestDecodeFrameAllocs(t *testing.T) {
	b := mustFrame(t, 1, testRecords(0, 100))
	allocs := testing.AllocsPerRun(100, func() {
		f, _, err := DecodeFrame(b)
		if err != nil {
			t.Fatal(err)
		}
		for range f.Entries() {
		}
	})
	if allocs != 0 {
		t.Fatalf("DecodeFrame allocates %v times", allocs)
	}
}

func TestAppendFrameErrors(t *testing.T) {
	if _, err := AppendFrame(nil, 1, nil); err == nil {
		t.Error("AppendFrame of no records succeeded")
	}
	if _, err := AppendFrame(nil, 0, testRecords(0, 1)); err == nil {
		t.Error("AppendFrame at sequence number 0 succeeded")
	}
	if _, err := AppendFrame(nil, 1, []Record{{Data: make([]byte, MaxPayload)}}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("AppendFrame of too much = %v", err)
	}
}

// FuzzDecodeFrame checks that DecodeFrame never panics or reads out of
// bounds, that what it accepts re-encodes to the same bytes, and, by
// repairing the length and checksums of the input, that the payload parser
// is reached with arbitrary payloads too.
func FuzzDecodeFrame(f *testing.F) {
	seeds := [][]Record{
		testRecords(0, 1),
		testRecords(0, 5),
		{{Data: nil}},
		{{Data: make([]byte, 200)}, {Data: []byte("x")}},
	}
	for i, recs := range seeds {
		b, err := AppendFrame(nil, uint64(i+1), recs)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		f.Add(b[:len(b)-1])
		f.Add(b[:HeaderSize])
		f.Add(append(b, b...))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		check(t, b)
		if len(b) >= HeaderSize && len(b)-HeaderSize <= MaxPayload {
			fixed := slices.Clone(b)
			copy(fixed, frameMagic)
			check(t, refix(fixed))
		}
	})
}

// check is the body of FuzzDecodeFrame for one input.
func check(t *testing.T, b []byte) {
	fr, n, err := DecodeFrame(b)
	if err != nil {
		if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrTruncated) {
			t.Fatalf("DecodeFrame error %v wraps neither ErrCorrupt nor ErrTruncated", err)
		}
		return
	}
	if n < HeaderSize || n > len(b) {
		t.Fatalf("DecodeFrame size %d of %d bytes", n, len(b))
	}
	if fr.Sealed() {
		checkSealed(t, fr)
		return
	}
	var recs []Record
	seq := fr.FirstSeq
	for e := range fr.Entries() {
		if e.Seq != seq {
			t.Fatalf("entry sequence number %d, want %d", e.Seq, seq)
		}
		seq++
		recs = append(recs, Record{Data: e.Data, Arrival: e.Arrival})
	}
	if len(recs) != fr.Count {
		t.Fatalf("%d entries, Count %d", len(recs), fr.Count)
	}
	again, err := AppendFrame(nil, fr.FirstSeq, recs)
	if err != nil {
		t.Fatalf("re-encoding: %v", err)
	}
	if !bytes.Equal(again, b[:n]) {
		t.Fatalf("re-encoded frame differs:\n%x\n%x", again, b[:n])
	}
}

// FuzzDecodeCheckpoint checks that DecodeCheckpoint never panics and that
// what it accepts is a well-formed set that re-encodes to the same bytes.
func FuzzDecodeCheckpoint(f *testing.F) {
	for _, s := range []ackSet{{low: 1}, {low: 10, above: []Range{{12, 13}, {20, 40}}}} {
		f.Add(encodeCheckpoint(nil, &s))
	}
	f.Add([]byte("WHC1"))
	f.Fuzz(func(t *testing.T, b []byte) {
		low, above, err := DecodeCheckpoint(b)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error %v does not wrap ErrCorrupt", err)
			}
			return
		}
		prev := low
		for _, r := range above {
			if r.From <= prev || r.To <= r.From {
				t.Fatalf("bad ranges %d %v", low, above)
			}
			prev = r.To
		}
		if again := encodeCheckpoint(nil, &ackSet{low: low, above: above}); !bytes.Equal(again, b) {
			t.Fatalf("re-encoded checkpoint differs")
		}
	})
}

func TestAckSet(t *testing.T) {
	// Random acknowledgements against a plain set.
	r := rand.New(rand.NewPCG(3, 4))
	for round := range 200 {
		var s ackSet
		s.add(0, 1)
		model := map[uint64]bool{0: true}
		const n = 120
		for range 1 + round%40 {
			from := uint64(r.IntN(n))
			to := from + uint64(r.IntN(15))
			changed := s.add(from, to)
			was := len(model)
			for q := from; q < to; q++ {
				model[q] = true
			}
			if changed != (len(model) != was) {
				t.Fatalf("add(%d, %d) changed = %v, model grew %d", from, to, changed, len(model)-was)
			}
			// Invariants.
			prev := s.low
			for _, rg := range s.above {
				if rg.From <= prev || rg.To <= rg.From {
					t.Fatalf("bad set %d %v", s.low, s.above)
				}
				prev = rg.To
			}
			cur := ackCursor{s: &s}
			for q := uint64(0); q < n+20; q++ {
				if s.covers(q, q+1) != model[q] || cur.acked(q) != model[q] {
					t.Fatalf("seq %d: covers %v, cursor %v, want %v (set %d %v)", q, s.covers(q, q+1), cur.acked(q), model[q], s.low, s.above)
				}
			}
			a, b := uint64(r.IntN(n)), uint64(r.IntN(n))
			a, b = min(a, b), max(a, b)
			want := true
			var cnt uint64
			for q := a; q < b; q++ {
				want = want && model[q]
				if model[q] {
					cnt++
				}
			}
			if s.covers(a, b) != want || s.countAcked(a, b) != cnt {
				t.Fatalf("[%d, %d): covers %v count %d, want %v %d", a, b, s.covers(a, b), s.countAcked(a, b), want, cnt)
			}
			var gapped uint64
			for _, g := range s.gaps(a, b) {
				for q := g.From; q < g.To; q++ {
					if model[q] {
						t.Fatalf("gap %v holds acknowledged %d", g, q)
					}
					gapped++
				}
			}
			if gapped != b-a-cnt {
				t.Fatalf("gaps of [%d, %d) hold %d, want %d", a, b, gapped, b-a-cnt)
			}
		}
	}
}
