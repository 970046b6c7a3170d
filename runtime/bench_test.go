package wasmrt_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	wasmrt "github.com/wasmhose/wasmhose/runtime"
)

// batchOf returns records of size bytes whose sizes sum to about total.
func batchOf(total, size int) []wasmrt.Record {
	recs := make([]wasmrt.Record, total/size)
	for i := range recs {
		d := bytes.Repeat([]byte{'a' + byte(i%26)}, size)
		recs[i] = wasmrt.Record{Data: d, ArrivalMillis: int64(i)}
	}
	return recs
}

// nativeIdentity copies each record, as the Wasm identity's result does.
var nativeIdentity = wasmrt.TransformFunc(func(_ context.Context, recs []wasmrt.Record) ([]wasmrt.Result, error) {
	out := make([]wasmrt.Result, len(recs))
	for i, r := range recs {
		out[i] = wasmrt.Result{Status: wasmrt.StatusOk, Data: bytes.Clone(r.Data)}
	}
	return out, nil
})

func benchTransform(b *testing.B, p wasmrt.Transformer, recs []wasmrt.Record) {
	b.Helper()
	ctx := context.Background()
	n := 0
	for _, r := range recs {
		n += len(r.Data)
	}
	b.SetBytes(int64(n))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		res, err := p.Transform(ctx, recs)
		if err != nil || len(res) != len(recs) {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(max(1, len(recs))), "ns/record")
}

// BenchmarkOverhead measures the runtime's own cost per batch: a 1 MiB batch
// of 200-byte records through identity transforms. The WAT identity does
// nothing but memory.copy, so its time is the runtime's marshalling plus one
// copy; the Go identity adds the SDK's decoding and encoding.
func BenchmarkOverhead(b *testing.B) {
	recs := batchOf(1<<20, 200)
	b.Run("engine=native", func(b *testing.B) { benchTransform(b, nativeIdentity, recs) })
	for _, f := range []string{"wat/identity.wasm", "identity/identity.wasm"} {
		b.Run("engine="+f, func(b *testing.B) {
			r := newRuntime(b, wasmrt.NewConfig().WithWorkers(1))
			benchTransform(b, load(b, r, f, ""), recs)
		})
	}
}

// BenchmarkCalls compares one call per batch with one call per record (1000
// records of 200 bytes), and measures an empty batch (the fixed cost of a
// call: deadline, alloc, transform, decode).
func BenchmarkCalls(b *testing.B) {
	recs := batchOf(200_000, 200)
	ctx := context.Background()
	for _, f := range []string{"wat/identity.wasm", "identity/identity.wasm"} {
		r := newRuntime(b, wasmrt.NewConfig().WithWorkers(1))
		p := load(b, r, f, "")
		b.Run("engine="+f+"/calls=per-batch", func(b *testing.B) { benchTransform(b, p, recs) })
		b.Run("engine="+f+"/calls=per-record", func(b *testing.B) {
			b.SetBytes(200_000)
			b.ReportAllocs()
			for b.Loop() {
				for i := range recs {
					if _, err := p.Transform(ctx, recs[i:i+1]); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(recs)), "ns/record")
		})
		b.Run("engine="+f+"/calls=empty-batch", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := p.Transform(ctx, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// nativeSum is testdata/checksum's Sum, compiled natively.
func nativeSum(data []byte) []byte {
	h := uint64(14695981039346656037)
	for round := 0; round < 16; round++ {
		for _, c := range data {
			h ^= uint64(c)
			h *= 1099511628211
		}
	}
	const hex = "0123456789abcdef"
	out := make([]byte, 16)
	for i := 15; i >= 0; i-- {
		out[i] = hex[h&15]
		h >>= 4
	}
	return out
}

// BenchmarkStop measures the stopping mechanisms on a loop-heavy guest
// (testdata/checksum: FNV-1a, 16 rounds over each record; 1 MiB batch of
// 200-byte records) and on the identity guests.
func BenchmarkStop(b *testing.B) {
	recs := batchOf(1<<20, 200)
	native := wasmrt.TransformFunc(func(_ context.Context, recs []wasmrt.Record) ([]wasmrt.Result, error) {
		out := make([]wasmrt.Result, len(recs))
		for i, r := range recs {
			out[i] = wasmrt.Result{Status: wasmrt.StatusOk, Data: nativeSum(r.Data)}
		}
		return out, nil
	})
	b.Run("plugin=checksum/stop=native-go", func(b *testing.B) { benchTransform(b, native, recs) })
	for _, f := range []string{"checksum/checksum.wasm", "identity/identity.wasm", "wat/identity.wasm"} {
		for _, mode := range []wasmrt.StopMode{wasmrt.StopNone, wasmrt.StopInterrupt, wasmrt.StopCloseOnContextDone} {
			b.Run(fmt.Sprintf("plugin=%s/stop=%s", f, mode), func(b *testing.B) {
				r := newRuntime(b, wasmrt.NewConfig().WithWorkers(1).WithStopMode(mode))
				p := load(b, r, f, "")
				res, err := p.Transform(context.Background(), recs[:1])
				if err != nil {
					b.Fatal(err)
				}
				if f == "checksum/checksum.wasm" && !bytes.Equal(res[0].Data, nativeSum(recs[0].Data)) {
					b.Fatalf("checksum %s, native %s", res[0].Data, nativeSum(recs[0].Data))
				}
				benchTransform(b, p, recs)
			})
		}
	}
}
