package deliver_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/wasmhose/wasmhose/host/deliver"
	"github.com/wasmhose/wasmhose/host/wal"
)

// syncBuffer is a bytes.Buffer safe for the logger's concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestDamagedLogIsDeliveredAroundAndReported: a pipeline opening a log
// whose middle frame is damaged delivers the records before and after it,
// and says so loudly: an ERROR line, an entry in the recent errors, the
// damage counters, LogDamage.
func TestDamagedLogIsDeliveredAroundAndReported(t *testing.T) {
	local := newLocal(t)
	logDir := t.TempDir()
	l, err := wal.Open(logDir, wal.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for b := range 3 {
		recs := lines(fmt.Sprint("b", b), 0, 10)
		ws := make([]wal.Record, len(recs))
		for i, r := range recs {
			ws[i] = wal.Record{Data: r, Arrival: t0}
			if b != 1 {
				want = append(want, string(r))
			}
		}
		if _, err := l.Append(context.Background(), ws); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	// Flip a payload byte of the second frame.
	seg := filepath.Join(logDir, "00000000000000000001.wal")
	b, err := os.ReadFile(seg)
	if err != nil {
		t.Fatal(err)
	}
	first := int64(wal.HeaderSize) + int64(binary.LittleEndian.Uint32(b[4:8]))
	size := int64(wal.HeaderSize) + int64(binary.LittleEndian.Uint32(b[first+4:first+8]))
	b[first+wal.HeaderSize+30] ^= 1
	if err := os.WriteFile(seg, b, 0o644); err != nil {
		t.Fatal(err)
	}

	var logs syncBuffer
	p := open(t, newStream("dmg", nil), deliver.Options{LogDir: logDir, Store: local,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	waitFor(t, "the readable records replayed", func() bool { return p.Stats().ReplayedRecords == int64(len(want)) })
	p.Flush()
	waitFor(t, "the readable records delivered", func() bool { return p.Stats().DeliveredRecords == int64(len(want)) })
	var got []string
	for _, o := range objects(t, local) {
		got = slices.AppendSeq(got, strings.Lines(string(o.Body)))
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("delivered %q, want %q", got, want)
	}

	st := p.Stats()
	if st.LogDamagedRanges != 1 || st.LogDamagedBytes != size || st.Log.Unacked != 0 {
		t.Fatalf("stats: %d damaged ranges, %d bytes, %d unacked; want 1, %d, 0", st.LogDamagedRanges, st.LogDamagedBytes, st.Log.Unacked, size)
	}
	dmg := p.LogDamage()
	if len(dmg) != 1 || dmg[0].Seqs != (wal.Range{From: 11, To: 21}) || dmg[0].Quarantine == "" {
		t.Fatalf("LogDamage = %v", dmg)
	}
	evs := p.RecentErrors()
	if len(evs) != 1 || evs[0].ErrorCode != "WriteAheadLog.Damaged" || !strings.Contains(evs[0].Message, dmg[0].Quarantine) {
		t.Fatalf("recent errors %+v, want the damage", evs)
	}
	if out := logs.String(); !strings.Contains(out, "level=ERROR msg=\"write-ahead log damaged") || !strings.Contains(out, "quarantine=") {
		t.Fatalf("log output lacks the ERROR line:\n%s", out)
	}
}
