package wal

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// frameAt is one frame of a test log: its segment file, its bytes
// [start, end) and its first sequence number.
type frameAt struct {
	file       string
	start, end int64
	seq        uint64
}

// damageLog writes a log of six frames of five records each, sequence
// numbers 1 to 30: four frames in the first segment, two in the second.
// With crashed the log is left as a killed process leaves it, else it is
// closed cleanly. It returns the folder and the frames.
func damageLog(t testing.TB, crashed bool) (string, []frameAt) {
	t.Helper()
	dir := t.TempDir()
	l := openLog(t, dir, damageOpts)
	for i := range 6 {
		mustAppend(t, l, testRecords(i*5, i*5+5), uint64(i*5+1))
	}
	if crashed {
		crash(t, l)
	} else if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	var frames []frameAt
	seq := uint64(1)
	for _, f := range segmentFiles(t, dir) {
		offs, size := frameOffsets(t, filepath.Join(dir, f))
		for i, off := range offs {
			end := size
			if i+1 < len(offs) {
				end = offs[i+1]
			}
			frames = append(frames, frameAt{f, off, end, seq})
			seq += 5
		}
	}
	if len(frames) != 6 || frames[4].start != 0 {
		t.Fatalf("frames %+v, want four then two", frames)
	}
	return dir, frames
}

// damageOpts are the options of damageLog's log: frames of 133, 158, 183,
// 208 | 233, 258 bytes.
var damageOpts = Options{SegmentBytes: 700, NoSync: true}

// rewrite replaces the file at path with f applied to its bytes.
func rewrite(t testing.TB, path string, f func([]byte) []byte) {
	t.Helper()
	if err := os.WriteFile(path, f(mustRead(t, path)), 0o644); err != nil {
		t.Fatal(err)
	}
}

// wantDamage is an expected Damage: the segment index, the bytes, the
// sequence numbers.
type wantDamage struct {
	seg      int
	off, end int64
	seqs     Range
}

// TestDamagedLog damages a real log on disk in each way a disk, a crash or
// a hand can, and checks what Open makes of it: which records come back,
// what is reported and quarantined, and that no sequence number (the
// RecordId) is given twice.
func TestDamagedLog(t *testing.T) {
	const last = 30 // the highest sequence number written
	tests := []struct {
		name    string
		crashed bool // the process was killed rather than closed
		damage  func(t *testing.T, dir string, fr []frameAt)
		// exp returns the sequence numbers replayed and the damage.
		exp func(fr []frameAt) ([]uint64, []wantDamage)
		// expTorn is the torn tail cut off, in bytes.
		expTorn func(fr []frameAt) int64
		// expNext is the least sequence number the next append may get.
		expNext uint64
		// expForgotten: the damage leaves no bytes behind for the next
		// Open to find again (missing frames at the end, or a segment
		// collected because nothing readable was left in it).
		expForgotten bool
	}{
		{
			name: "bit flip in a frame header",
			damage: func(t *testing.T, dir string, fr []frameAt) {
				rewrite(t, filepath.Join(dir, fr[1].file), func(b []byte) []byte { b[fr[1].start+5] ^= 0x10; return b })
			},
			exp: func(fr []frameAt) ([]uint64, []wantDamage) {
				return slices.Concat(seqRange(1, 6), seqRange(11, 31)), []wantDamage{{0, fr[1].start, fr[1].end, Range{6, 11}}}
			},
			expNext: last + 1,
		},
		{
			name: "bit flip in a payload",
			damage: func(t *testing.T, dir string, fr []frameAt) {
				rewrite(t, filepath.Join(dir, fr[2].file), func(b []byte) []byte { b[fr[2].start+HeaderSize+40] ^= 1; return b })
			},
			exp: func(fr []frameAt) ([]uint64, []wantDamage) {
				return slices.Concat(seqRange(1, 11), seqRange(16, 31)), []wantDamage{{0, fr[2].start, fr[2].end, Range{11, 16}}}
			},
			expNext: last + 1,
		},
		{
			name: "two damaged frames in one segment",
			damage: func(t *testing.T, dir string, fr []frameAt) {
				rewrite(t, filepath.Join(dir, fr[0].file), func(b []byte) []byte {
					b[fr[0].start+HeaderSize+2] ^= 1
					b[fr[2].start] = 'X'
					return b
				})
			},
			exp: func(fr []frameAt) ([]uint64, []wantDamage) {
				return slices.Concat(seqRange(6, 11), seqRange(16, 31)),
					[]wantDamage{{0, fr[0].start, fr[0].end, Range{1, 6}}, {0, fr[2].start, fr[2].end, Range{11, 16}}}
			},
			expNext: last + 1,
		},
		{
			name: "frame truncated in the middle of a segment",
			damage: func(t *testing.T, dir string, fr []frameAt) {
				// The second half of frame 1 is gone; frame 2 follows
				// sooner than frame 1's header says.
				rewrite(t, filepath.Join(dir, fr[1].file), func(b []byte) []byte {
					return slices.Concat(b[:fr[1].start+70], b[fr[1].end:])
				})
			},
			exp: func(fr []frameAt) ([]uint64, []wantDamage) {
				return slices.Concat(seqRange(1, 6), seqRange(11, 31)), []wantDamage{{0, fr[1].start, fr[1].start + 70, Range{6, 11}}}
			},
			expNext: last + 1,
		},
		{
			name: "frame missing from the middle of a segment",
			damage: func(t *testing.T, dir string, fr []frameAt) {
				rewrite(t, filepath.Join(dir, fr[1].file), func(b []byte) []byte {
					return slices.Concat(b[:fr[1].start], b[fr[1].end:])
				})
			},
			exp: func(fr []frameAt) ([]uint64, []wantDamage) {
				return slices.Concat(seqRange(1, 6), seqRange(11, 31)), []wantDamage{{0, fr[1].start, fr[1].start, Range{6, 11}}}
			},
			expNext: last + 1,
		},
		{
			name: "garbage between two frames",
			damage: func(t *testing.T, dir string, fr []frameAt) {
				rewrite(t, filepath.Join(dir, fr[1].file), func(b []byte) []byte {
					return slices.Concat(b[:fr[1].end], bytes.Repeat([]byte("WHF1"), 25), b[fr[1].end:])
				})
			},
			exp: func(fr []frameAt) ([]uint64, []wantDamage) {
				return seqRange(1, 31), []wantDamage{{0, fr[1].end, fr[1].end + 100, Range{11, 11}}}
			},
			expNext: last + 1,
		},
		{
			name: "end of an earlier segment cut off",
			damage: func(t *testing.T, dir string, fr []frameAt) {
				if err := os.Truncate(filepath.Join(dir, fr[3].file), fr[3].start+20); err != nil {
					t.Fatal(err)
				}
			},
			exp: func(fr []frameAt) ([]uint64, []wantDamage) {
				return slices.Concat(seqRange(1, 16), seqRange(21, 31)), []wantDamage{{0, fr[3].start, fr[3].start + 20, Range{16, 21}}}
			},
			expNext: last + 1,
		},
		{
			name: "first frame of a segment damaged",
			damage: func(t *testing.T, dir string, fr []frameAt) {
				rewrite(t, filepath.Join(dir, fr[4].file), func(b []byte) []byte { b[0] = 0; return b })
			},
			exp: func(fr []frameAt) ([]uint64, []wantDamage) {
				return slices.Concat(seqRange(1, 21), seqRange(26, 31)), []wantDamage{{1, 0, fr[4].end, Range{21, 26}}}
			},
			expNext: last + 1,
		},
		{
			name: "segment whose first frame is not the one its name says",
			damage: func(t *testing.T, dir string, fr []frameAt) {
				rewrite(t, filepath.Join(dir, fr[4].file), func(b []byte) []byte { return b[fr[5].start:] })
			},
			exp: func(fr []frameAt) ([]uint64, []wantDamage) {
				return slices.Concat(seqRange(1, 21), seqRange(26, 31)), []wantDamage{{1, 0, 0, Range{21, 26}}}
			},
			expNext: last + 1,
		},
		{
			name: "last frame truncated after a clean close",
			damage: func(t *testing.T, dir string, fr []frameAt) {
				if err := os.Truncate(filepath.Join(dir, fr[5].file), fr[5].start+100); err != nil {
					t.Fatal(err)
				}
			},
			exp: func(fr []frameAt) ([]uint64, []wantDamage) {
				return seqRange(1, 26), []wantDamage{{1, fr[5].start, fr[5].start + 100, Range{26, 31}}}
			},
			expNext: last + 1,
		},
		{
			name: "last frames cut off whole after a clean close",
			damage: func(t *testing.T, dir string, fr []frameAt) {
				if err := os.Truncate(filepath.Join(dir, fr[5].file), fr[5].start); err != nil {
					t.Fatal(err)
				}
			},
			exp: func(fr []frameAt) ([]uint64, []wantDamage) {
				return seqRange(1, 26), []wantDamage{{1, fr[5].start, fr[5].start, Range{26, 31}}}
			},
			expNext:      last + 1,
			expForgotten: true,
		},
		{
			name:    "last frame truncated by a crash: a torn tail",
			crashed: true,
			damage: func(t *testing.T, dir string, fr []frameAt) {
				if err := os.Truncate(filepath.Join(dir, fr[5].file), fr[5].start+100); err != nil {
					t.Fatal(err)
				}
			},
			exp: func(fr []frameAt) ([]uint64, []wantDamage) {
				return seqRange(1, 26), nil
			},
			expTorn: func(fr []frameAt) int64 { return 100 },
			// The first append leased up to 6+leaseBlock; the torn
			// frame's numbers are not given again.
			expNext: 6 + leaseBlock,
		},
		{
			name:    "damage in the middle and a torn tail after a crash",
			crashed: true,
			damage: func(t *testing.T, dir string, fr []frameAt) {
				rewrite(t, filepath.Join(dir, fr[5].file), func(b []byte) []byte {
					b[fr[4].start+HeaderSize+30] ^= 4
					return b[:fr[5].end-1]
				})
			},
			exp: func(fr []frameAt) ([]uint64, []wantDamage) {
				return seqRange(1, 21), []wantDamage{{1, fr[4].start, fr[4].end, Range{21, 26}}}
			},
			expTorn:      func(fr []frameAt) int64 { return fr[5].end - 1 - fr[5].start },
			expNext:      6 + leaseBlock,
			expForgotten: true, // nothing readable was left in the segment
		},
		{
			name:    "damaged lease and a torn tail",
			crashed: true,
			damage: func(t *testing.T, dir string, fr []frameAt) {
				rewrite(t, filepath.Join(dir, leaseName), func(b []byte) []byte { b[9] ^= 1; return b })
				if err := os.Truncate(filepath.Join(dir, fr[5].file), fr[5].start+1); err != nil {
					t.Fatal(err)
				}
			},
			exp: func(fr []frameAt) ([]uint64, []wantDamage) {
				return seqRange(1, 26), nil
			},
			expTorn: func(fr []frameAt) int64 { return 1 },
			expNext: 26 + 2*leaseBlock,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir, frames := damageLog(t, tc.crashed)
			files := segmentFiles(t, dir)
			tc.damage(t, dir, frames)
			before := map[string][]byte{}
			for _, f := range files {
				before[f] = mustRead(t, filepath.Join(dir, f))
			}

			l, err := Open(dir, damageOpts)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			wantSeqs, wantDmg := tc.exp(frames)
			rec := l.Recovered()
			var wantTorn int64
			if tc.expTorn != nil {
				wantTorn = tc.expTorn(frames)
			}
			if rec.TruncatedBytes != wantTorn {
				t.Fatalf("torn tail of %d bytes, want %d (%+v)", rec.TruncatedBytes, wantTorn, rec)
			}
			if len(rec.Damaged) != len(wantDmg) {
				t.Fatalf("damage %v, want %+v", rec.Damaged, wantDmg)
			}
			for i, w := range wantDmg {
				d := rec.Damaged[i]
				if d.Segment != filepath.Join(dir, files[w.seg]) || d.Offset != w.off || d.End != w.end || d.Seqs != w.seqs {
					t.Fatalf("damage %d: %v, want segment %d bytes %d to %d, %v", i, d, w.seg, w.off, w.end, w.seqs)
				}
				if !errors.Is(d.Err, ErrCorrupt) && !errors.Is(d.Err, ErrTruncated) {
					t.Fatalf("damage %d: %v wraps neither ErrCorrupt nor ErrTruncated", i, d.Err)
				}
				// The damaged bytes are copied, not destroyed.
				if w.end == w.off {
					if d.Quarantine != "" {
						t.Fatalf("damage %d: quarantine %s for no bytes", i, d.Quarantine)
					}
					continue
				}
				if filepath.Dir(d.Quarantine) != filepath.Join(dir, quarantineDir) {
					t.Fatalf("damage %d: quarantined to %s", i, d.Quarantine)
				}
				if got, want := mustRead(t, d.Quarantine), before[files[w.seg]][w.off:w.end]; !bytes.Equal(got, want) {
					t.Fatalf("damage %d: quarantine holds %d bytes, want the %d damaged ones", i, len(got), len(want))
				}
				got, err := os.ReadFile(d.Segment)
				if err == nil && !bytes.Equal(got, before[files[w.seg]]) && wantTorn == 0 {
					t.Fatalf("damage %d: the damaged segment was changed", i)
				}
				if errors.Is(err, os.ErrNotExist) && !tc.expForgotten {
					t.Fatalf("damage %d: the damaged segment was deleted", i)
				}
			}
			checkEntries(t, replayAll(t, l), wantSeqs)

			// RecordIds are sequence numbers: the next one is beyond
			// everything that was ever given out.
			first, err := l.Append(context.Background(), testRecords(0, 2))
			if err != nil {
				t.Fatal(err)
			}
			if first < tc.expNext || first <= last {
				t.Fatalf("next sequence number %d, want at least %d", first, max(tc.expNext, last+1))
			}
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}

			// Reopened cleanly, the log finds the same damage (its bytes
			// are still there) and the same records, plus the new ones,
			// and gives no number twice.
			l = openLog(t, dir, damageOpts)
			rec2 := l.Recovered()
			again := len(wantDmg)
			if tc.expForgotten {
				again = 0
			}
			if len(rec2.Damaged) != again || rec2.TruncatedBytes != 0 || rec2.Skipped.To != 0 {
				t.Fatalf("second Open: %+v", rec2)
			}
			es := replayAll(t, l)
			checkEntries(t, es[:len(es)-2], wantSeqs)
			if got := seqs(es[len(es)-2:]); !slices.Equal(got, []uint64{first, first + 1}) {
				t.Fatalf("second Open replayed %v last, want %d and %d", got, first, first+1)
			}
			if again, err := l.Append(context.Background(), testRecords(0, 1)); err != nil || again != first+2 {
				t.Fatalf("Append after a clean reopen = %d, %v; want %d", again, err, first+2)
			}
		})
	}
}

// TestDamagedSegmentsAreCollected: once every readable record of a damaged
// segment is acknowledged the segment is deleted like any other; its
// quarantined copy stays.
func TestDamagedSegmentsAreCollected(t *testing.T) {
	dir, frames := damageLog(t, false)
	rewrite(t, filepath.Join(dir, frames[1].file), func(b []byte) []byte { b[frames[1].start+HeaderSize+1] ^= 1; return b })
	l := openLog(t, dir, damageOpts)
	q := l.Recovered().Damaged[0].Quarantine
	if err := l.Ack(1, 6); err != nil {
		t.Fatal(err)
	}
	if err := l.Ack(11, 21); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, frames[0].file)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("damaged segment still there once its records are acknowledged: %v", err)
	}
	if _, err := os.Stat(q); err != nil {
		t.Fatalf("quarantined copy: %v", err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l = openLog(t, dir, damageOpts)
	if rec := l.Recovered(); len(rec.Damaged) != 0 {
		t.Fatalf("damage reported after its segment was collected: %v", rec.Damaged)
	}
	checkEntries(t, replayAll(t, l), seqRange(21, 31))
}

// FuzzDamagedLog flips and cuts bytes of a real log and checks that
// recovery never panics, yields only records that were written, each under
// the sequence number it was written with, in order, and never gives a
// sequence number twice.
func FuzzDamagedLog(f *testing.F) {
	f.Add([]byte{0, 5, 0x10}, uint16(0), false)
	f.Add([]byte{1, 200, 0xff, 0, 16, 1}, uint16(300), true)
	f.Add([]byte{0, 133, 0x80, 0, 134, 0x80, 0, 135, 0x80}, uint16(0), false)
	f.Add([]byte{}, uint16(65535), true)
	src, _ := damageLog(f, false)
	crashed, _ := damageLog(f, true)
	files := segmentFiles(f, src)
	f.Fuzz(func(t *testing.T, flips []byte, cut uint16, afterCrash bool) {
		dir := copyDir(t, src)
		if afterCrash {
			dir = copyDir(t, crashed)
		}
		// flips: (segment, offset, xor) triples.
		for i := 0; i+2 < len(flips); i += 3 {
			path := filepath.Join(dir, files[int(flips[i])%len(files)])
			b := mustRead(t, path)
			if len(b) == 0 {
				continue
			}
			b[int(flips[i+1])*len(b)/256] ^= max(flips[i+2], 1)
			if err := os.WriteFile(path, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if cut != 0 {
			path := filepath.Join(dir, files[int(cut)%len(files)])
			b := mustRead(t, path)
			if err := os.WriteFile(path, b[:int(cut>>1)%(len(b)+1)], 0o644); err != nil {
				t.Fatal(err)
			}
		}
		l, err := Open(dir, damageOpts)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		defer l.Close()
		prev := uint64(0)
		if err := l.Replay(func(e Entry) error {
			r := testRecord(int(e.Seq - 1))
			if e.Seq <= prev || e.Seq > 30 || !bytes.Equal(e.Data, r.Data) || !e.Arrival.Equal(r.Arrival) {
				t.Fatalf("replayed %d %q after %d: not a record written under that number", e.Seq, e.Data, prev)
			}
			prev = e.Seq
			return nil
		}); err != nil {
			t.Fatalf("Replay: %v", err)
		}
		first, err := l.Append(context.Background(), testRecords(0, 1))
		if err != nil {
			t.Fatal(err)
		}
		if first <= 30 {
			t.Fatalf("next sequence number %d given again", first)
		}
	})
}
