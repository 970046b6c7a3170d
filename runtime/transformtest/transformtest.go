package transformtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	wasmrt "github.com/wasmhose/wasmhose/runtime"
)

// Options adjusts Run to the plugin under test.
type Options struct {
	// Identity asserts that every record comes back Ok and unchanged.
	Identity bool
	// Stateful disables the determinism check (same batch, same results).
	Stateful bool
	// BatchDependent disables the split check (record i's result depends
	// only on record i).
	BatchDependent bool
	// MaxRecordBytes is the largest record the plugin must accept. Default:
	// 1 MiB (Firehose's record limit).
	MaxRecordBytes int
	// Seed seeds the generated batches. Default: 1.
	Seed uint64
	// Cases are plugin-specific golden cases.
	Cases []Case
}

// Case is a golden case: a batch and the results it must produce.
type Case struct {
	// Name names the subtest.
	Name string
	// Records is the input batch.
	Records []wasmrt.Record
	// Results are the expected results, compared field by field (nil and
	// empty Data are equal).
	Results []wasmrt.Result
}

// reporter is what the checks need from a *testing.T.
type reporter interface {
	Helper()
	Errorf(format string, args ...any)
}

// Run runs the suite against p as subtests of t, reporting each violation as
// a test error. It does not close p.
func Run(t *testing.T, p wasmrt.Transformer, opts Options) {
	t.Helper()
	newKit(p, opts).each(func(name string, f func(reporter)) {
		t.Run(name, func(t *testing.T) { f(t) })
	})
}

// Check runs the suite against p and returns every violation, joined with
// errors.Join, or nil. Use it outside tests (e.g. a CLI's "plugin test"). It
// does not close p.
func Check(p wasmrt.Transformer, opts Options) error {
	var errs []error
	newKit(p, opts).each(func(name string, f func(reporter)) {
		f(&collector{name: name, errs: &errs})
	})
	return errors.Join(errs...)
}

type collector struct {
	name string
	errs *[]error
}

func (c *collector) Helper() {}

func (c *collector) Errorf(format string, args ...any) {
	*c.errs = append(*c.errs, fmt.Errorf("%s: %s", c.name, fmt.Sprintf(format, args...)))
}

func newKit(p wasmrt.Transformer, opts Options) *kit {
	if opts.MaxRecordBytes == 0 {
		opts.MaxRecordBytes = 1 << 20
	}
	if opts.Seed == 0 {
		opts.Seed = 1
	}
	return &kit{p: p, opts: opts, rng: rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x9E3779B97F4A7C15))}
}

// each calls run for every case of the suite.
func (k *kit) each(run func(name string, f func(reporter))) {
	for _, c := range k.goldenBatches() {
		run("golden/"+c.name, func(t reporter) { k.check(t, c.recs) })
	}
	for i := range 20 {
		recs := k.generated()
		run(fmt.Sprintf("generated/%02d-%d-records", i, len(recs)), func(t reporter) { k.check(t, recs) })
	}
	for _, c := range k.opts.Cases {
		run("case/"+c.Name, func(t reporter) {
			res := k.transform(t, c.Records)
			if res == nil && len(c.Records) > 0 {
				return
			}
			if len(res) != len(c.Results) {
				t.Errorf("%d results, want %d", len(res), len(c.Results))
				return
			}
			for i := range res {
				if d := diff(res[i], c.Results[i]); d != "" {
					t.Errorf("result %d: %s", i, d)
				}
			}
		})
	}
}

type kit struct {
	p    wasmrt.Transformer
	opts Options
	rng  *rand.Rand
}

type batch struct {
	name string
	recs []wasmrt.Record
}

func (k *kit) goldenBatches() []batch {
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	many := make([]wasmrt.Record, 500)
	for i := range many {
		many[i] = wasmrt.Record{Data: fmt.Appendf(nil, `{"n":%d,"msg":"record %d"}`, i, i), ArrivalMillis: 1700000000000 + int64(i)}
	}
	big := bytes.Repeat([]byte("0123456789abcdef"), k.opts.MaxRecordBytes/16)
	return []batch{
		{"empty-batch", nil},
		{"empty-record", []wasmrt.Record{{Data: []byte{}}}},
		{"one-record", []wasmrt.Record{{Data: []byte("hello, world"), ArrivalMillis: 1700000000000}}},
		{"two-records", []wasmrt.Record{{Data: []byte("first")}, {Data: []byte("second")}}},
		{"binary-bytes", []wasmrt.Record{{Data: all}, {Data: []byte{0}}, {Data: []byte{0xFF, 0xFE, 0x00, 0x80}}}},
		{"500-records", many},
		{"max-record", []wasmrt.Record{{Data: big}}},
		{"max-record-between-small", []wasmrt.Record{{Data: []byte("a")}, {Data: big}, {Data: []byte("b")}}},
		{"apache-log-line", []wasmrt.Record{{Data: []byte(`127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326`)}}},
		{"negative-arrival", []wasmrt.Record{{Data: []byte("x"), ArrivalMillis: -1}}},
	}
}

// generated returns a random batch: up to 64 records of up to 4 KiB of
// random bytes, text or JSON.
func (k *kit) generated() []wasmrt.Record {
	n := k.rng.IntN(65)
	recs := make([]wasmrt.Record, n)
	for i := range recs {
		size := k.rng.IntN(4097)
		if k.rng.IntN(8) == 0 {
			size = 0
		}
		b := make([]byte, size)
		switch k.rng.IntN(3) {
		case 0:
			for j := range b {
				b[j] = byte(k.rng.Uint32())
			}
		case 1:
			for j := range b {
				b[j] = byte(' ' + k.rng.IntN(95))
			}
		default:
			b = fmt.Appendf(b[:0], `{"id":%d,"v":%q}`, k.rng.Int64(), bytes.Repeat([]byte("y"), size/8))
		}
		recs[i] = wasmrt.Record{Data: b, ArrivalMillis: k.rng.Int64N(1 << 42)}
	}
	return recs
}

// transform calls the plugin on a copy of recs and checks the invariants
// that hold for every plugin. It returns nil after a batch error.
func (k *kit) transform(t reporter, recs []wasmrt.Record) []wasmrt.Result {
	t.Helper()
	in := clone(recs)
	res, err := k.p.Transform(context.Background(), in)
	if err != nil {
		t.Errorf("batch of %d records failed: %v", len(recs), err)
		return nil
	}
	for i := range in {
		if !bytes.Equal(in[i].Data, recs[i].Data) || in[i].ArrivalMillis != recs[i].ArrivalMillis {
			t.Errorf("record %d was modified by Transform", i)
		}
	}
	if len(res) != len(recs) {
		t.Errorf("%d results for %d records", len(res), len(recs))
		return nil
	}
	for i, r := range res {
		switch r.Status {
		case wasmrt.StatusOk:
		case wasmrt.StatusDropped, wasmrt.StatusProcessingFailed:
			if len(r.PartitionKeys) > 0 {
				t.Errorf("result %d: %v result with partition keys", i, r.Status)
			}
		default:
			t.Errorf("result %d: unknown status %v", i, r.Status)
		}
		for _, key := range r.PartitionKeys {
			if key.Name == "" {
				t.Errorf("result %d: partition key with an empty name", i)
			}
		}
	}
	return res
}

func (k *kit) check(t reporter, recs []wasmrt.Record) {
	t.Helper()
	res := k.transform(t, recs)
	if res == nil {
		return
	}
	if k.opts.Identity {
		for i, r := range res {
			if r.Status != wasmrt.StatusOk || !bytes.Equal(r.Data, recs[i].Data) {
				t.Errorf("identity: result %d is %v with %d bytes, want Ok with the record's %d bytes", i, r.Status, len(r.Data), len(recs[i].Data))
			}
		}
	}
	if !k.opts.Stateful {
		again := k.transform(t, recs)
		for i := range again {
			if d := diff(again[i], res[i]); d != "" {
				t.Errorf("determinism: result %d differs on the second run: %s", i, d)
			}
		}
	}
	if !k.opts.BatchDependent && len(recs) > 1 {
		half := len(recs) / 2
		a := k.transform(t, recs[:half])
		b := k.transform(t, recs[half:])
		if a != nil && b != nil {
			for i, r := range append(a, b...) {
				if d := diff(r, res[i]); d != "" {
					t.Errorf("split: result %d differs when the batch is split: %s", i, d)
				}
			}
		}
	}
	// The plugin still serves a plain batch.
	k.transform(t, []wasmrt.Record{{Data: []byte("after")}})
}

func clone(recs []wasmrt.Record) []wasmrt.Record {
	out := make([]wasmrt.Record, len(recs))
	for i, r := range recs {
		out[i] = wasmrt.Record{Data: bytes.Clone(r.Data), ArrivalMillis: r.ArrivalMillis}
	}
	return out
}

func diff(got, want wasmrt.Result) string {
	if got.Status != want.Status {
		return fmt.Sprintf("status %v, want %v", got.Status, want.Status)
	}
	if !bytes.Equal(got.Data, want.Data) {
		return fmt.Sprintf("data %q, want %q", trunc(got.Data), trunc(want.Data))
	}
	if got.Error != want.Error {
		return fmt.Sprintf("error %q, want %q", got.Error, want.Error)
	}
	if fmt.Sprint(got.PartitionKeys) != fmt.Sprint(want.PartitionKeys) {
		return fmt.Sprintf("partition keys %v, want %v", got.PartitionKeys, want.PartitionKeys)
	}
	return ""
}

func trunc(b []byte) []byte {
	if len(b) > 64 {
		return append(b[:64:64], "…"...)
	}
	return b
}
