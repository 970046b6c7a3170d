package parquet

import (
	"bytes"
	"testing"

	"github.com/apache/arrow-go/v18/parquet/compress"
	golangsnappy "github.com/golang/snappy"

	"github.com/wasmhose/wasmhose/converters/hive"
)

// TestFastSnappyIsPlainSnappy checks that the replacement codec writes
// blocks the reference Go Snappy decoder (github.com/golang/snappy, which
// knows no S2 extension) reads back, and that the writers install it.
func TestFastSnappyIsPlainSnappy(t *testing.T) {
	long := bytes.Repeat([]byte(`{"event_type":"page_view","page_url":"/products?r=42"},`), 2000)
	for _, tc := range []struct {
		name string
		in   []byte
	}{
		{"empty", nil},
		{"short", []byte("abc")},
		{"repetitive", long},
		{"incompressible", func() []byte {
			b := make([]byte, 1<<16)
			x := uint32(2463534242)
			for i := range b {
				x ^= x << 13
				x ^= x >> 17
				x ^= x << 5
				b[i] = byte(x)
			}
			return b
		}()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c fastSnappy
			enc := c.Encode(nil, tc.in)
			if int64(len(enc)) > c.CompressBound(int64(len(tc.in))) {
				t.Fatalf("encoded %d bytes, more than CompressBound %d", len(enc), c.CompressBound(int64(len(tc.in))))
			}
			got, err := golangsnappy.Decode(nil, enc)
			if err != nil {
				t.Fatalf("golang/snappy cannot decode the block: %v", err)
			}
			if !bytes.Equal(got, tc.in) {
				t.Fatalf("round trip changed the %d bytes", len(tc.in))
			}
			back, err := c.DecodeWithError(nil, enc)
			if err != nil || !bytes.Equal(back, tc.in) {
				t.Fatalf("DecodeWithError: %v", err)
			}
		})
	}
	schema, err := hive.ArrowSchema([]hive.Column{{Name: "s", Type: "string"}})
	if err != nil {
		t.Fatal(err)
	}
	w, err := NewWriter(&bytes.Buffer{}, schema, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := compress.GetCodec(compress.Codecs.Snappy)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := got.(fastSnappy); !ok {
		t.Fatalf("after a writer started, the Snappy codec is %T, not fastSnappy", got)
	}
}
