package service_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/wasmhose/wasmhose/host/stream"
	"github.com/wasmhose/wasmhose/host/wal"
)

// TestDamagedLogAtRestart is the attack of a bit flipped in the middle of a
// stream's log while the service is down: 3,000 records acknowledged in six
// PutRecordBatch calls of 500, a payload byte of the fourth frame (records
// 1,500 to 1,999) flipped, a restart. The stream must come back ACTIVE and
// deliver the 2,500 records around the damage, the readiness endpoint must
// report the damage, and no RecordId may be given twice.
func TestDamagedLogAtRestart(t *testing.T) {
	e := newEnv(t)
	svc := e.open(t, nil)
	create(t, svc, input("dmg", func(d *stream.ExtendedS3DestinationConfiguration) {
		d.BufferingHints = &stream.BufferingHints{SizeInMBs: stream.Int(128), IntervalInSeconds: stream.Int(900)}
	}))
	var ids []string
	var all []string
	for b := range 6 {
		data := make([][]byte, 500)
		for i := range data {
			r := fmt.Sprintf("r-%04d\n", b*500+i)
			all = append(all, r)
			data[i] = []byte(r)
		}
		got, _, err := svc.Put(context.Background(), "dmg", data)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, got...)
	}
	// Down with everything still in the log.
	e.store.hold()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_ = svc.Close(ctx)
	e.store.release()

	segs, err := filepath.Glob(filepath.Join(e.dir, "wal", "*", "*.wal"))
	if err != nil || len(segs) != 1 {
		t.Fatalf("segments %v %v", segs, err)
	}
	b, err := os.ReadFile(segs[0])
	if err != nil {
		t.Fatal(err)
	}
	off := 0
	for range 3 {
		off += wal.HeaderSize + int(binary.LittleEndian.Uint32(b[off+4:off+8]))
	}
	b[off+wal.HeaderSize+1000] ^= 0x20
	if err := os.WriteFile(segs[0], b, 0o644); err != nil {
		t.Fatal(err)
	}

	svc2 := e.open(t, nil)
	if s := status(t, svc2, "dmg"); s != stream.StatusActive {
		t.Fatalf("status after restart %s, want ACTIVE", s)
	}
	want := slices.Concat(all[:1500], all[2000:])
	waitFor(t, "the readable records replayed", func() bool {
		st, err := svc2.StreamStats("dmg")
		return err == nil && st.ReplayedRecords == int64(len(want))
	})
	svc2.FlushAll()
	waitFor(t, "the readable records delivered", func() bool {
		st, _ := svc2.StreamStats("dmg")
		return st.DeliveredRecords == int64(len(want))
	})
	if got := e.records(t); !slices.Equal(got, want) {
		t.Fatalf("delivered %d records, want the %d around the damage", len(got), len(want))
	}

	// Loud: readiness, metrics (the whole frame: 500 records of 16 encoded
	// bytes, 28 bytes of header and fixed fields).
	code, body := svc2.Readiness(context.Background(), false)
	if code != http.StatusOK || !strings.HasPrefix(body, "ready, degraded:") || !strings.Contains(body, "stream dmg: write-ahead log damaged") ||
		!strings.Contains(body, "quarantine") || !strings.Contains(body, "sequence numbers 1501 to 2000 unreadable") {
		t.Fatalf("readiness = %d %q", code, body)
	}
	if code, _ := svc2.Readiness(context.Background(), true); code != http.StatusServiceUnavailable {
		t.Fatalf("strict readiness = %d, want 503", code)
	}
	snap := svc2.Snapshot()
	if len(snap) != 1 || snap[0].LogDamagedRanges != 1 || snap[0].LogDamagedBytes != 8028 {
		t.Fatalf("snapshot %+v", snap)
	}

	// No RecordId is given twice: the next one sorts after every earlier one.
	next, _, err := svc2.Put(context.Background(), "dmg", [][]byte{[]byte("after\n")})
	if err != nil {
		t.Fatal(err)
	}
	if last := slices.Max(ids); next[0] <= last {
		t.Fatalf("RecordId %s after %s: given again", next[0], last)
	}
}
