package wal

import (
	"errors"
	"testing"
)

func TestLeaseRoundTrip(t *testing.T) {
	for _, ls := range []lease{{limit: 1}, {limit: 1 << 40, closed: true}} {
		got, err := decodeLease(encodeLease(nil, ls))
		if err != nil || got != ls {
			t.Fatalf("decode(encode(%+v)) = %+v, %v", ls, got, err)
		}
	}
}

// FuzzDecodeLease: any bytes decode to a valid lease that encodes back to
// them, or fail with ErrCorrupt.
func FuzzDecodeLease(f *testing.F) {
	f.Add(encodeLease(nil, lease{limit: 7}))
	f.Add(encodeLease(nil, lease{limit: 1 << 20, closed: true}))
	f.Add([]byte("WHL1"))
	f.Fuzz(func(t *testing.T, b []byte) {
		limit, closed, err := DecodeLease(b)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error %v does not wrap ErrCorrupt", err)
			}
			return
		}
		if limit == 0 || string(encodeLease(nil, lease{limit, closed})) != string(b) {
			t.Fatalf("%x decodes to %d %v, which does not encode back", b, limit, closed)
		}
	})
}
