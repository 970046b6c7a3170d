package wal

import (
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"
)

func TestAppendReplayRoundTrip(t *testing.T) {
	tests := []struct {
		name    string
		batches [][]Record
	}{
		{name: "one record", batches: [][]Record{{{Data: []byte("hello"), Arrival: base}}}},
		{name: "empty data", batches: [][]Record{{{Data: nil, Arrival: base}, {Data: []byte{}, Arrival: base}}}},
		{name: "zero arrival", batches: [][]Record{{{Data: []byte("x")}}}},
		{name: "binary data", batches: [][]Record{{{Data: []byte{0, 'W', 'H', 'F', '1', 0xff}, Arrival: base}}}},
		{name: "large record", batches: [][]Record{{{Data: make([]byte, 3<<20), Arrival: base}}}},
		{name: "many batches", batches: [][]Record{testRecords(0, 1), testRecords(1, 500), testRecords(500, 501), testRecords(501, 900)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			l := openLog(t, dir, Options{})
			var want []Entry
			next := uint64(1)
			for _, b := range tc.batches {
				mustAppend(t, l, b, next)
				for _, r := range b {
					want = append(want, Entry{Seq: next, Data: r.Data, Arrival: r.Arrival})
					next++
				}
			}
			check := func(got []Entry) {
				t.Helper()
				if len(got) != len(want) {
					t.Fatalf("replayed %d entries, want %d", len(got), len(want))
				}
				for i := range got {
					g, w := got[i], want[i]
					if g.Seq != w.Seq || string(g.Data) != string(w.Data) || !g.Arrival.Equal(w.Arrival) || g.Arrival.IsZero() != w.Arrival.IsZero() {
						t.Fatalf("entry %d = {%d %q %v}, want {%d %q %v}", i, g.Seq, g.Data, g.Arrival, w.Seq, w.Data, w.Arrival)
					}
				}
			}
			check(replayAll(t, l))
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			l = openLog(t, dir, Options{})
			check(replayAll(t, l))
			if st := l.Stats(); st.NextSeq != next || st.FirstUnacked != 1 || st.Unacked != next-1 {
				t.Fatalf("Stats = %+v, want NextSeq %d, FirstUnacked 1, Unacked %d", st, next, next-1)
			}
			if rec := l.Recovered(); rec.TruncatedBytes != 0 || rec.TornSegment != "" || len(rec.Holes) != 0 || rec.CheckpointErr != nil {
				t.Fatalf("Recovered = %+v after a clean close", rec)
			}
			mustAppend(t, l, testRecords(0, 1), next)
		})
	}
}

func TestAppendEdgeCases(t *testing.T) {
	l := openLog(t, t.TempDir(), Options{NoSync: true})
	if first, err := l.Append(context.Background(), nil); first != 0 || err != nil {
		t.Fatalf("Append(nil) = %d, %v; want 0, nil", first, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := l.Append(ctx, testRecords(0, 1)); !errors.Is(err, context.Canceled) {
		t.Fatalf("Append(cancelled) = %v, want context.Canceled", err)
	}
	if _, err := l.Append(context.Background(), []Record{{Data: make([]byte, MaxPayload)}}); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("Append(too large) = %v, want ErrTooLarge", err)
	}
	mustAppend(t, l, testRecords(0, 3), 1) // nothing above consumed a sequence number
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatalf("second Close = %v", err)
	}
	if _, err := l.Append(context.Background(), testRecords(0, 1)); !errors.Is(err, ErrClosed) {
		t.Fatalf("Append after Close = %v, want ErrClosed", err)
	}
	if err := l.Ack(1, 2); !errors.Is(err, ErrClosed) {
		t.Fatalf("Ack after Close = %v, want ErrClosed", err)
	}
	if err := l.Replay(func(Entry) error { return nil }); !errors.Is(err, ErrClosed) {
		t.Fatalf("Replay after Close = %v, want ErrClosed", err)
	}
}

func TestOpenLocked(t *testing.T) {
	dir := t.TempDir()
	l := openLog(t, dir, Options{NoSync: true})
	if _, err := Open(dir, Options{NoSync: true}); !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open = %v, want ErrLocked", err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	openLog(t, dir, Options{NoSync: true}) // the lock is released
}

func TestRemove(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "stream")
	l := openLog(t, dir, Options{NoSync: true})
	mustAppend(t, l, testRecords(0, 10), 1)
	if err := l.Remove(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("folder still there: %v", err)
	}
}

func TestReplayStopsOnError(t *testing.T) {
	l := openLog(t, t.TempDir(), Options{NoSync: true})
	mustAppend(t, l, testRecords(0, 10), 1)
	stop := errors.New("stop")
	n := 0
	err := l.Replay(func(Entry) error {
		n++
		if n == 4 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 4 {
		t.Fatalf("Replay = %v after %d calls, want stop after 4", err, n)
	}
}

func TestAck(t *testing.T) {
	// Each test appends 100 records, one per Append (so one frame each),
	// into segments of about 10 records, then acknowledges.
	tests := []struct {
		name string
		acks []Range
		want []uint64 // replayed after the acks, before and after reopening
	}{
		{name: "none", want: seqRange(1, 101)},
		{name: "all", acks: []Range{{1, 101}}, want: nil},
		{name: "in order", acks: []Range{{1, 20}, {20, 50}, {50, 70}}, want: seqRange(70, 101)},
		{name: "out of order", acks: []Range{{50, 70}, {20, 50}, {1, 20}}, want: seqRange(70, 101)},
		{name: "overlapping", acks: []Range{{10, 40}, {1, 15}, {30, 60}, {5, 6}, {1, 60}}, want: seqRange(60, 101)},
		{name: "gaps", acks: []Range{{2, 3}, {10, 90}, {95, 96}},
			want: slices.Concat([]uint64{1}, seqRange(3, 10), seqRange(90, 95), seqRange(96, 101))},
		{name: "single records", acks: []Range{{3, 4}, {1, 2}, {2, 3}}, want: seqRange(4, 101)},
		{name: "empty span", acks: []Range{{5, 5}}, want: seqRange(1, 101)},
		{name: "tail only", acks: []Range{{90, 101}}, want: seqRange(1, 90)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			o := Options{SegmentBytes: 1000, NoSync: true}
			l := openLog(t, dir, o)
			for i := range 100 {
				mustAppend(t, l, testRecords(i, i+1), uint64(i+1))
			}
			for _, a := range tc.acks {
				if err := l.Ack(a.From, a.To); err != nil {
					t.Fatalf("Ack(%d, %d): %v", a.From, a.To, err)
				}
			}
			checkEntries(t, replayAll(t, l), tc.want)
			st := l.Stats()
			files := segmentFiles(t, dir)
			if len(files) != st.Segments {
				t.Fatalf("%d segment files, Stats.Segments %d", len(files), st.Segments)
			}
			// Every segment but the active one holds an unacknowledged
			// record, and the segments hold every unacknowledged record.
			for i, f := range files[:len(files)-1] {
				first, _ := parseSegmentName(f)
				next, _ := parseSegmentName(files[i+1])
				if !slices.ContainsFunc(tc.want, func(s uint64) bool { return first <= s && s < next }) {
					t.Fatalf("segment %s [%d, %d) is fully acknowledged but not deleted", f, first, next)
				}
			}
			if first, _ := parseSegmentName(files[0]); len(tc.want) > 0 && tc.want[0] < first {
				t.Fatalf("segment holding %d deleted", tc.want[0])
			}
			if st.Unacked != uint64(len(tc.want)) {
				t.Fatalf("Stats.Unacked = %d, want %d", st.Unacked, len(tc.want))
			}
			wantFirst := uint64(101)
			if len(tc.want) > 0 {
				wantFirst = tc.want[0]
			}
			if st.FirstUnacked != wantFirst {
				t.Fatalf("Stats.FirstUnacked = %d, want %d", st.FirstUnacked, wantFirst)
			}
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}

			l = openLog(t, dir, o)
			checkEntries(t, replayAll(t, l), tc.want)
			if rec := l.Recovered(); len(rec.Holes) != 0 {
				t.Fatalf("Recovered.Holes = %v", rec.Holes)
			}
			mustAppend(t, l, testRecords(100, 101), 101)
		})
	}
}

func TestAckErrors(t *testing.T) {
	l := openLog(t, t.TempDir(), Options{NoSync: true})
	mustAppend(t, l, testRecords(0, 10), 1)
	for _, r := range []Range{{5, 4}, {1, 12}, {11, 12}} {
		if err := l.Ack(r.From, r.To); !errors.Is(err, ErrRange) {
			t.Errorf("Ack(%d, %d) = %v, want ErrRange", r.From, r.To, err)
		}
	}
	if err := l.Ack(1, 11); err != nil {
		t.Fatalf("Ack of everything: %v", err)
	}
	if err := l.Ack(1, 11); err != nil {
		t.Fatalf("repeated Ack: %v", err)
	}
}

func TestSegmentRoll(t *testing.T) {
	dir := t.TempDir()
	o := Options{SegmentBytes: 2048}
	l := openLog(t, dir, o)
	next := uint64(1)
	for i := 0; i < 300; i += 7 {
		mustAppend(t, l, testRecords(i, i+7), next)
		next += 7
	}
	files := segmentFiles(t, dir)
	if len(files) < 5 {
		t.Fatalf("%d segments, want several", len(files))
	}
	if files[0] != "00000000000000000001.wal" {
		t.Fatalf("first segment %q", files[0])
	}
	var total int64
	for _, f := range files {
		first, ok := parseSegmentName(f)
		if !ok {
			t.Fatalf("bad segment name %q", f)
		}
		path := filepath.Join(dir, f)
		offs, size := frameOffsets(t, path)
		total += size
		if size > o.SegmentBytes && len(offs) > 1 {
			t.Fatalf("%s: %d bytes in %d frames, over SegmentBytes", f, size, len(offs))
		}
		b, _ := os.ReadFile(path)
		if fr, _, _ := DecodeFrame(b); fr.FirstSeq != first {
			t.Fatalf("%s starts with sequence number %d", f, fr.FirstSeq)
		}
	}
	if st := l.Stats(); st.Segments != len(files) || st.Bytes != total {
		t.Fatalf("Stats = %+v, want %d segments, %d bytes", st, len(files), total)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l = openLog(t, dir, o)
	checkEntries(t, replayAll(t, l), seqRange(1, next))
	// Acknowledging everything leaves only the segment being written.
	if err := l.Ack(1, next); err != nil {
		t.Fatal(err)
	}
	if n := len(segmentFiles(t, dir)); n != 1 {
		t.Fatalf("%d segments after acknowledging everything, want 1", n)
	}
	checkEntries(t, replayAll(t, l), nil)
}

func TestStats(t *testing.T) {
	l := openLog(t, t.TempDir(), Options{NoSync: true, SegmentBytes: 2000})
	if st := l.Stats(); st.NextSeq != 1 || st.FirstUnacked != 1 || st.Unacked != 0 || !st.OldestUnackedArrival.IsZero() || st.Segments != 1 {
		t.Fatalf("empty Stats = %+v", st)
	}
	for i := range 50 {
		// Arrivals one second apart, so every frame is sampled.
		mustAppend(t, l, []Record{{Data: []byte("x"), Arrival: base.Add(time.Duration(i) * time.Second)}}, uint64(i+1))
	}
	for _, tc := range []struct {
		ack  Range
		want time.Time
	}{
		{Range{1, 1}, base},
		{Range{1, 11}, base.Add(10 * time.Second)},
		{Range{20, 30}, base.Add(10 * time.Second)},
		{Range{11, 20}, base.Add(29 * time.Second)},
		{Range{30, 51}, time.Time{}},
	} {
		if err := l.Ack(tc.ack.From, tc.ack.To); err != nil {
			t.Fatal(err)
		}
		if got := l.Stats().OldestUnackedArrival; !got.Equal(tc.want) {
			t.Fatalf("after Ack(%d, %d): OldestUnackedArrival = %v, want %v", tc.ack.From, tc.ack.To, got, tc.want)
		}
	}
}

func TestCheckpointSurvivesReopen(t *testing.T) {
	dir := t.TempDir()
	l := openLog(t, dir, Options{})
	mustAppend(t, l, testRecords(0, 100), 1)
	for _, r := range []Range{{50, 60}, {1, 10}, {70, 71}} {
		if err := l.Ack(r.From, r.To); err != nil {
			t.Fatal(err)
		}
	}
	// Simulate a crash: the log is not closed, a second one is opened on a
	// copy of its folder.
	dir2 := copyDir(t, dir)
	l2 := openLog(t, dir2, Options{})
	checkEntries(t, replayAll(t, l2), slices.Concat(seqRange(10, 50), seqRange(60, 70), seqRange(71, 101)))
	low, above, err := DecodeCheckpoint(mustRead(t, filepath.Join(dir2, checkpointName)))
	// The numbers the crashed log had leased are skipped, as acknowledged.
	if err != nil || low != 10 || !slices.Equal(above, []Range{{50, 60}, {70, 71}, {101, 101 + leaseBlock}}) {
		t.Fatalf("checkpoint = %d %v %v", low, above, err)
	}
}

func TestCheckpointDamaged(t *testing.T) {
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"garbage", []byte("not a checkpoint at all, really")},
		{"bad checksum", func() []byte {
			b := encodeCheckpoint(nil, &ackSet{low: 50})
			b[10] ^= 1
			return b
		}()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			l := openLog(t, dir, Options{NoSync: true})
			mustAppend(t, l, testRecords(0, 20), 1)
			if err := l.Ack(1, 10); err != nil {
				t.Fatal(err)
			}
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, checkpointName), tc.data, 0o644); err != nil {
				t.Fatal(err)
			}
			l = openLog(t, dir, Options{NoSync: true})
			if l.Recovered().CheckpointErr == nil {
				t.Fatal("Recovered.CheckpointErr = nil")
			}
			checkEntries(t, replayAll(t, l), seqRange(1, 21)) // duplicates, not loss
		})
	}
}

func TestCheckpointAheadOfSegments(t *testing.T) {
	// A checkpoint acknowledging records past the last segment (which only
	// data loss can produce) moves the sequence numbers on, so that none
	// is reused with a stale acknowledgement.
	dir := t.TempDir()
	l := openLog(t, dir, Options{NoSync: true})
	mustAppend(t, l, testRecords(0, 10), 1)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	ck := encodeCheckpoint(nil, &ackSet{low: 3, above: []Range{{20, 30}}})
	if err := os.WriteFile(filepath.Join(dir, checkpointName), ck, 0o644); err != nil {
		t.Fatal(err)
	}
	l = openLog(t, dir, Options{NoSync: true})
	if got, want := l.Recovered().Holes, []Range{{11, 20}}; !slices.Equal(got, want) {
		t.Fatalf("Holes = %v, want %v", got, want)
	}
	checkEntries(t, replayAll(t, l), seqRange(3, 11))
	mustAppend(t, l, testRecords(29, 30), 30)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l = openLog(t, dir, Options{NoSync: true})
	checkEntries(t, replayAll(t, l), append(seqRange(3, 11), 30))
}

func TestTornTail(t *testing.T) {
	// Three frames in one segment; the process is killed and the last
	// frame is cut at every offset.
	src := t.TempDir()
	l := openLog(t, src, Options{NoSync: true})
	mustAppend(t, l, testRecords(0, 5), 1)
	mustAppend(t, l, testRecords(5, 9), 6)
	mustAppend(t, l, testRecords(9, 14), 10)
	crash(t, l)
	seg := lastSegment(t, src)
	offs, size := frameOffsets(t, seg)
	start := offs[len(offs)-1]
	full := mustRead(t, seg)
	const leased = 6 + leaseBlock // the first append's lease
	for cut := start; cut < size; cut++ {
		dir := copyDir(t, src)
		path := filepath.Join(dir, filepath.Base(seg))
		if err := os.WriteFile(path, full[:cut], 0o644); err != nil {
			t.Fatal(err)
		}
		l, err := Open(dir, Options{NoSync: true})
		if err != nil {
			t.Fatalf("cut at %d: Open: %v", cut, err)
		}
		rec := l.Recovered()
		wantDropped := 0
		if cut > start {
			wantDropped = 1
		}
		if rec.TruncatedBytes != cut-start || rec.DroppedFrames != wantDropped || len(rec.Damaged) != 0 {
			t.Fatalf("cut at %d: Recovered = %+v, want %d bytes, %d frames", cut, rec, cut-start, wantDropped)
		}
		if rec.Skipped != (Range{10, leased}) {
			t.Fatalf("cut at %d: Skipped = %v, want up to the lease", cut, rec.Skipped)
		}
		checkEntries(t, replayAll(t, l), seqRange(1, 10))
		if fi, _ := os.Stat(path); fi.Size() != start {
			t.Fatalf("cut at %d: segment is %d bytes, want %d", cut, fi.Size(), start)
		}
		// The torn frame's numbers are never given again.
		mustAppend(t, l, testRecords(9, 11), leased)
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		l = openLog(t, dir, Options{NoSync: true})
		checkEntries(t, replayAll(t, l)[:9], seqRange(1, 10))
		if es := replayAll(t, l); len(es) != 11 || es[9].Seq != leased || es[10].Seq != leased+1 {
			t.Fatalf("cut at %d: replayed %v", cut, compact(seqs(es)))
		}
		if rec := l.Recovered(); rec.TruncatedBytes != 0 || rec.Skipped.To != 0 || len(rec.Damaged) != 0 {
			t.Fatalf("cut at %d: second Open after a clean close: %+v", cut, rec)
		}
		l.Close()
	}
}

func TestTornTailGarbage(t *testing.T) {
	// After an operating-system crash the unsynced tail may hold zeros or
	// garbage rather than a prefix of the frame.
	for _, tc := range []struct {
		name string
		tail []byte
	}{
		{"zeros", make([]byte, 3000)},
		{"magic then zeros", append([]byte(frameMagic), make([]byte, 100)...)},
		{"random", func() []byte {
			r := rand.New(rand.NewPCG(1, 2))
			b := make([]byte, 5000)
			for i := range b {
				b[i] = byte(r.Uint32())
			}
			return b
		}()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			l := openLog(t, dir, Options{NoSync: true})
			mustAppend(t, l, testRecords(0, 5), 1)
			crash(t, l)
			seg := lastSegment(t, dir)
			_, size := frameOffsets(t, seg)
			appendFile(t, seg, tc.tail)
			l = openLog(t, dir, Options{NoSync: true})
			if rec := l.Recovered(); rec.TruncatedBytes != int64(len(tc.tail)) || rec.TornSegment != seg {
				t.Fatalf("Recovered = %+v, want %d bytes cut from %s", rec, len(tc.tail), seg)
			}
			checkEntries(t, replayAll(t, l), seqRange(1, 6))
			if fi, _ := os.Stat(seg); fi.Size() != size {
				t.Fatalf("segment is %d bytes, want %d", fi.Size(), size)
			}
		})
	}
}

func TestFlippedByte(t *testing.T) {
	// Four frames in the first segment, two in the second.
	src := t.TempDir()
	o := Options{SegmentBytes: 700, NoSync: true} // frames of 133, 158, 183, 208 | 233, 258 bytes
	l := openLog(t, src, o)
	for i := range 6 {
		mustAppend(t, l, testRecords(i*5, i*5+5), uint64(i*5+1))
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	files := segmentFiles(t, src)
	if len(files) != 2 {
		t.Fatalf("segments %v, want 2", files)
	}
	if offs, _ := frameOffsets(t, filepath.Join(src, files[1])); len(offs) < 2 {
		t.Fatalf("last segment has %d frames, want 2 or more", len(offs))
	}
	type frameAt struct {
		file       string
		start, end int64
		seq        uint64
	}
	var frames []frameAt
	seq := uint64(1)
	for _, f := range files {
		offs, size := frameOffsets(t, filepath.Join(src, f))
		for i, off := range offs {
			end := size
			if i+1 < len(offs) {
				end = offs[i+1]
			}
			frames = append(frames, frameAt{f, off, end, seq})
			seq += 5
		}
	}
	if len(frames) != 6 {
		t.Fatalf("%d frames, want 6", len(frames))
	}

	// A crashed copy: the lease says the log did not close.
	crashed := copyDir(t, src)
	if err := writeLease(OSFileSystem{}, crashed, lease{limit: 31 + leaseBlock}, true); err != nil {
		t.Fatal(err)
	}
	for fi, fr := range frames {
		lastFrame := fi == len(frames)-1
		for off := fr.start; off < fr.end; off++ {
			for _, afterCrash := range []bool{false, true} {
				if afterCrash && !lastFrame && off != fr.start+HeaderSize {
					continue // the crash changes only the tail's reading
				}
				dir := copyDir(t, src)
				if afterCrash {
					dir = copyDir(t, crashed)
				}
				path := filepath.Join(dir, fr.file)
				b := mustRead(t, path)
				b[off] ^= 0x40
				if err := os.WriteFile(path, b, 0o644); err != nil {
					t.Fatal(err)
				}
				l, err := Open(dir, o)
				if err != nil {
					t.Fatalf("flip at %s:%d: Open: %v", fr.file, off, err)
				}
				rec := l.Recovered()
				var want []uint64
				if afterCrash && lastFrame {
					// The tail of a log that did not close: a torn write,
					// cut off.
					if rec.TruncatedBytes != fr.end-fr.start || len(rec.Damaged) != 0 {
						t.Fatalf("flip at %s:%d: Recovered = %+v, want a torn tail", fr.file, off, rec)
					}
					want = seqRange(1, fr.seq)
				} else {
					// Anything else is damage: the frame is set aside and
					// everything around it is kept.
					if len(rec.Damaged) != 1 || rec.TruncatedBytes != 0 {
						t.Fatalf("flip at %s:%d: Recovered = %+v, want one damaged range", fr.file, off, rec)
					}
					d := rec.Damaged[0]
					if filepath.Base(d.Segment) != fr.file || d.Offset != fr.start || d.End != fr.end || d.Seqs != (Range{fr.seq, fr.seq + 5}) {
						t.Fatalf("flip at %s:%d: %v, want bytes %d to %d, sequence numbers from %d", fr.file, off, d, fr.start, fr.end, fr.seq)
					}
					if got := mustRead(t, d.Quarantine); string(got) != string(b[fr.start:fr.end]) {
						t.Fatalf("flip at %s:%d: quarantined %d bytes, want the damaged frame", fr.file, off, len(got))
					}
					want = slices.Concat(seqRange(1, fr.seq), seqRange(fr.seq+5, 31))
				}
				checkEntries(t, replayAll(t, l), want)
				first, err := l.Append(context.Background(), testRecords(0, 1))
				if err != nil || first < 31 || (afterCrash && first < 31+leaseBlock) {
					t.Fatalf("flip at %s:%d: Append after recovery = %d, %v: a sequence number given again", fr.file, off, first, err)
				}
				l.Close()
			}
		}
	}
}

func TestMissingSegment(t *testing.T) {
	// A segment file deleted behind the log's back is damage: the records
	// it held are reported at the end of the segment before it.
	dir := t.TempDir()
	o := Options{NoSync: true, SegmentBytes: 500}
	l := openLog(t, dir, o)
	for i := range 20 {
		mustAppend(t, l, testRecords(i, i+1), uint64(i+1))
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	files := segmentFiles(t, dir)
	if len(files) < 3 {
		t.Fatalf("segments %v", files)
	}
	gone, _ := parseSegmentName(files[1])
	next, _ := parseSegmentName(files[2])
	if err := os.Remove(filepath.Join(dir, files[1])); err != nil {
		t.Fatal(err)
	}
	l = openLog(t, dir, o)
	rec := l.Recovered()
	if len(rec.Damaged) != 1 || rec.Damaged[0].Seqs != (Range{gone, next}) || rec.Damaged[0].Bytes() != 0 || len(rec.Holes) != 0 {
		t.Fatalf("Recovered = %+v, want sequence numbers %d to %d damaged", rec, gone, next)
	}
	checkEntries(t, replayAll(t, l), slices.Concat(seqRange(1, gone), seqRange(next, 21)))
}

func TestReplayDetectsLaterCorruption(t *testing.T) {
	dir := t.TempDir()
	l := openLog(t, dir, Options{NoSync: true})
	mustAppend(t, l, testRecords(0, 5), 1)
	mustAppend(t, l, testRecords(5, 10), 6)
	seg := lastSegment(t, dir)
	offs, _ := frameOffsets(t, seg)
	f, err := os.OpenFile(seg, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte{0xff}, offs[1]+HeaderSize+20); err != nil {
		t.Fatal(err)
	}
	f.Close()
	var got []uint64
	err = l.Replay(func(e Entry) error {
		got = append(got, e.Seq)
		return nil
	})
	var cerr *CorruptionError
	if !errors.As(err, &cerr) || cerr.Offset != offs[1] || cerr.Seq != 6 {
		t.Fatalf("Replay = %v, want corruption at %d", err, offs[1])
	}
	if !slices.Equal(got, seqRange(1, 6)) {
		t.Fatalf("replayed %v before the damage", got)
	}
}

func TestConcurrent(t *testing.T) {
	dir := t.TempDir()
	o := Options{SegmentBytes: 32 << 10}
	l := openLog(t, dir, o)
	const writers, appends = 8, 60
	type batch struct {
		first uint64
		recs  []Record
	}
	results := make([][]batch, writers)
	var acked sync.Map // seq -> true
	acks := make(chan batch, writers*appends)
	var wg, ackWG sync.WaitGroup
	ackWG.Go(func() {
		// Acknowledge about half of the batches, in arrival order (which
		// is not sequence order), while appends continue.
		for b := range acks {
			if b.first%2 == 0 {
				continue
			}
			if err := l.Ack(b.first, b.first+uint64(len(b.recs))); err != nil {
				t.Error(err)
				return
			}
			for i := range b.recs {
				acked.Store(b.first+uint64(i), true)
			}
			_ = l.Stats()
		}
	})
	for w := range writers {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(w), 7))
			for a := range appends {
				n := 1 + r.IntN(40)
				recs := make([]Record, n)
				for i := range recs {
					recs[i] = Record{Data: []byte(string(rune('a'+w)) + "-" + string(rune('0'+a%10))), Arrival: base}
				}
				first, err := l.Append(context.Background(), recs)
				if err != nil {
					t.Error(err)
					return
				}
				results[w] = append(results[w], batch{first, recs})
				acks <- batch{first, recs}
			}
		})
	}
	wg.Wait()
	close(acks)
	ackWG.Wait()
	if t.Failed() {
		return
	}

	want := map[uint64]string{}
	for _, bs := range results {
		for _, b := range bs {
			for i, r := range b.recs {
				s := b.first + uint64(i)
				if _, dup := want[s]; dup {
					t.Fatalf("sequence number %d given twice", s)
				}
				want[s] = string(r.Data)
			}
		}
	}
	total := uint64(len(want))
	for s := uint64(1); s <= total; s++ {
		if _, ok := want[s]; !ok {
			t.Fatalf("sequence number %d missing: not consecutive", s)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l = openLog(t, dir, o)
	var n uint64
	for _, e := range replayAll(t, l) {
		if _, ok := acked.Load(e.Seq); ok {
			t.Fatalf("acknowledged %d replayed", e.Seq)
		}
		if string(e.Data) != want[e.Seq] {
			t.Fatalf("entry %d = %q, want %q", e.Seq, e.Data, want[e.Seq])
		}
		n++
	}
	var nAcked uint64
	acked.Range(func(any, any) bool { nAcked++; return true })
	if n+nAcked != total {
		t.Fatalf("replayed %d + acknowledged %d != appended %d", n, nAcked, total)
	}
}

func TestAppendCancelWhileQueued(t *testing.T) {
	// Stall the writer on mu (it takes it after syncing), queue a second
	// call behind the first, cancel it: it must be withdrawn without
	// consuming sequence numbers, and the first must still succeed.
	l := openLog(t, t.TempDir(), Options{NoSync: true})
	l.mu.Lock()
	firstc := make(chan uint64, 1)
	go func() {
		first, err := l.Append(context.Background(), testRecords(0, 3))
		if err != nil {
			t.Error(err)
		}
		firstc <- first
	}()
	pollQueue(l, func() bool { return l.next == 4 }) // the writer took it

	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := l.Append(ctx, testRecords(3, 5))
		errc <- err
	}()
	pollQueue(l, func() bool { return len(l.queue) == 1 })
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Append = %v", err)
	}
	pollQueue(l, func() bool { return len(l.queue) == 0 && l.next == 4 })
	l.mu.Unlock()
	if first := <-firstc; first != 1 {
		t.Fatalf("first Append = %d, want 1", first)
	}
	mustAppend(t, l, testRecords(3, 4), 4)
	checkEntries(t, replayAll(t, l), seqRange(1, 5))
}

// pollQueue waits until cond, evaluated under the queue lock, holds.
func pollQueue(l *Log, cond func() bool) {
	for {
		l.qmu.Lock()
		ok := cond()
		l.qmu.Unlock()
		if ok {
			return
		}
		runtime.Gosched()
	}
}

// mustRead reads a file.
func mustRead(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// appendFile appends b to the file at path.
func appendFile(t testing.TB, path string, b []byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}
