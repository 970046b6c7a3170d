package loadgen

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/firehose/types"
)

// newRunID returns 12 random hex digits.
func newRunID() string {
	var b [6]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return hex.EncodeToString(b[:])
}

// idMarker returns the bytes every record of run runID contains right before
// "<worker>-<n>": the JSON key and the start of the id.
func idMarker(runID string) []byte {
	return []byte(`{"id":"` + runID + "-")
}

// recordGen writes one worker's records:
//
//	{"id":"<run-id>-<worker>-<n>","ts":<unix-ms>,"pad":"xxxx"}\n
//
// padded to size bytes when the id leaves room. Its buffers are reused from
// batch to batch, which is safe because the SDK has serialised a batch by
// the time PutRecordBatch returns.
type recordGen struct {
	prefix []byte // {"id":"<run-id>-<worker>-
	size   int
	pad    []byte // size bytes of 'x'
	next   int64  // n of the next record
	bufs   [][]byte
	recs   []types.Record
}

func newRecordGen(runID string, worker, size, batch int) *recordGen {
	prefix := strconv.AppendInt(idMarker(runID), int64(worker), 10)
	prefix = append(prefix, '-')
	g := &recordGen{prefix: prefix, size: size, pad: bytes.Repeat([]byte{'x'}, size), bufs: make([][]byte, batch), recs: make([]types.Record, batch)}
	for i := range g.bufs {
		g.bufs[i] = make([]byte, 0, max(size, len(prefix)+64))
	}
	return g
}

// batch returns the next k records (k <= the batch size given to
// newRecordGen) stamped with now, and their total size in bytes. The slice
// is valid until the next call.
func (g *recordGen) batch(k int, now time.Time) ([]types.Record, int64) {
	ts := now.UnixMilli()
	var total int64
	for i := range k {
		b := append(g.bufs[i][:0], g.prefix...)
		b = strconv.AppendInt(b, g.next, 10)
		b = append(b, `","ts":`...)
		b = strconv.AppendInt(b, ts, 10)
		b = append(b, `,"pad":"`...)
		if pad := g.size - len(b) - len(`"}`+"\n"); pad > 0 {
			b = append(b, g.pad[:pad]...)
		}
		b = append(b, `"}`+"\n"...)
		g.next++
		g.bufs[i] = b
		g.recs[i] = types.Record{Data: b}
		total += int64(len(b))
	}
	return g.recs[:k], total
}
