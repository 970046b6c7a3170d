package deliver_test

import (
	"context"
	"errors"
	"testing"

	"github.com/wasmhose/wasmhose/host/deliver"
	"github.com/wasmhose/wasmhose/host/stream"
)

// TestBackpressure: while the destination does not keep up, Put refuses
// records past MaxPendingBytes at once (nothing written) instead of
// blocking; once the store recovers, what was accepted is delivered and
// Put accepts again.
func TestBackpressure(t *testing.T) {
	local := newLocal(t)
	store := &faultStore{Store: local, block: make(chan struct{})}
	s := newStream("bp", func(d *stream.ExtendedS3DestinationConfiguration) {
		d.BufferingHints = &stream.BufferingHints{SizeInMBs: stream.Int(1), IntervalInSeconds: stream.Int(0)}
	})
	p := open(t, s, deliver.Options{LogDir: t.TempDir(), Store: store, MaxPendingBytes: 1000, Workers: 1})
	accepted := 0
	var refused error
	for i := 0; i < 100 && refused == nil; i++ {
		rec := make([]byte, 100)
		rec[0] = byte('a' + i%26)
		if _, err := p.Put(context.Background(), [][]byte{rec}); err != nil {
			refused = err
			break
		}
		accepted++
	}
	if !errors.Is(refused, deliver.ErrBackpressure) {
		t.Fatalf("after %d records Put = %v, want ErrBackpressure", accepted, refused)
	}
	st := p.Stats()
	if accepted != 10 || st.PendingBytes != 1000 || st.ThrottledRecords != 1 || st.Log.NextSeq-1 != uint64(accepted) {
		t.Fatalf("stats %+v: pending over the bound, or a refused record reached the log (accepted %d)", st, accepted)
	}
	close(store.block)
	waitFor(t, "the accepted records delivered", func() bool { return p.Stats().DeliveredRecords == int64(accepted) })
	if st := p.Stats(); st.PendingBytes != 0 {
		t.Fatalf("pending bytes %d after delivery", st.PendingBytes)
	}
	if _, err := p.Put(context.Background(), lines("after", 0, 1)); err != nil {
		t.Fatalf("Put after recovery = %v", err)
	}
}
