package transformtest

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

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
	// OnlyCases runs Cases alone, without the generic golden, limit,
	// hostile and generated batches (e.g. for a second configuration of a
	// plugin the whole suite already ran on).
	OnlyCases bool
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

// Reporter receives the outcome of each check of the suite, so that a
// program other than go test (a CLI's "plugin test") can drive it. Report
// calls it once per check, in order, from one goroutine.
type Reporter interface {
	// Check reports one check: its name (e.g. "golden/500-records",
	// "hostile/deep-nesting", "case/negative amount") and the violations it
	// found, none when it passed.
	Check(name string, violations []string)
}

// ReporterFunc adapts a function to Reporter.
type ReporterFunc func(name string, violations []string)

// Check calls f(name, violations).
func (f ReporterFunc) Check(name string, violations []string) { f(name, violations) }

// Run runs the suite against p as subtests of t, reporting each violation as
// a test error. It does not close p.
func Run(t *testing.T, p wasmrt.Transformer, opts Options) {
	t.Helper()
	newKit(p, opts).each(func(name string, f func(reporter)) {
		t.Run(name, func(t *testing.T) { f(t) })
	})
}

// Report runs the suite against p and passes each check's outcome to r. It
// does not close p.
func Report(r Reporter, p wasmrt.Transformer, opts Options) {
	newKit(p, opts).each(func(name string, f func(reporter)) {
		var errs []error
		f(&collector{errs: &errs})
		var violations []string
		for _, err := range errs {
			violations = append(violations, err.Error())
		}
		r.Check(name, violations)
	})
}

// Check runs the suite against p and returns every violation, joined with
// errors.Join, or nil. Use it outside tests when a single error will do
// (Report gives the outcome of each check). It does not close p.
func Check(p wasmrt.Transformer, opts Options) error {
	var errs []error
	Report(ReporterFunc(func(name string, violations []string) {
		for _, v := range violations {
			errs = append(errs, fmt.Errorf("%s: %s", name, v))
		}
	}), p, opts)
	return errors.Join(errs...)
}

// collector is a reporter that keeps the violations.
type collector struct {
	errs *[]error
}

func (c *collector) Helper() {}

func (c *collector) Errorf(format string, args ...any) {
	*c.errs = append(*c.errs, fmt.Errorf(format, args...))
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
	if k.opts.OnlyCases {
		k.cases(run)
		return
	}
	for _, c := range k.goldenBatches() {
		run("golden/"+c.name, func(t reporter) { k.check(t, c.recs) })
	}
	for _, c := range k.limitBatches() {
		run("limits/"+c.name, func(t reporter) { k.check(t, c.recs) })
	}
	for _, c := range k.hostileBatches() {
		run("hostile/"+c.name, func(t reporter) { k.check(t, c.recs) })
	}
	for i := range 20 {
		recs := k.generated()
		run(fmt.Sprintf("generated/%02d-%d-records", i, len(recs)), func(t reporter) { k.check(t, recs) })
	}
	k.cases(run)
}

// cases calls run for every golden case of Options.
func (k *kit) cases(run func(name string, f func(reporter))) {
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

// limitBatches are batches at the sizes the service sends: Firehose
// buffers at most 3 MiB for a Lambda processor, and a batch may hold
// thousands of small records.
func (k *kit) limitBatches() []batch {
	full := make([]wasmrt.Record, 3)
	for i := range full {
		full[i] = wasmrt.Record{Data: bytes.Repeat([]byte{'a' + byte(i)}, k.opts.MaxRecordBytes)}
	}
	small := make([]wasmrt.Record, 10000)
	for i := range small {
		small[i] = wasmrt.Record{Data: fmt.Appendf(nil, "%05d", i), ArrivalMillis: int64(i)}
	}
	empty := make([]wasmrt.Record, 1000)
	for i := range empty {
		empty[i] = wasmrt.Record{Data: []byte{}}
	}
	return []batch{
		{"3-MiB-batch", full},
		{"10000-small-records", small},
		{"1000-empty-records", empty},
	}
}

// hostileBatches are inputs written to break parsers: deep nesting, broken
// UTF-8 and escapes, huge tokens, duplicate keys. Whatever a plugin makes
// of them, it must answer each record and keep serving.
func (k *kit) hostileBatches() []batch {
	limit := func(b []byte) []byte { return b[:min(len(b), k.opts.MaxRecordBytes)] }
	rec := func(ss ...string) []wasmrt.Record {
		out := make([]wasmrt.Record, len(ss))
		for i, s := range ss {
			out[i] = wasmrt.Record{Data: limit([]byte(s))}
		}
		return out
	}
	long := func(prefix, unit, suffix string) string {
		n := (k.opts.MaxRecordBytes - len(prefix) - len(suffix)) / len(unit)
		return prefix + strings.Repeat(unit, max(n, 0)) + suffix
	}
	return []batch{
		{"deep-nesting", rec(strings.Repeat("[", 100000), long("", `{"a":`, ""), long(`{"user":`, "[", ""))},
		{"invalid-utf8", rec("\xff\xfe\xfd", "\xc3\x28", "\xed\xa0\x80", `{"user":"`+"\xff"+`","amount":1}`, "\xf4\x90\x80\x80")},
		{"json-edge-cases", rec(`{"user":"\ud800","amount":1}`, `{"a":1,"a":2}`, `{"user":"x","amount":1e999999}`,
			`{}`, `null`, `"\u0000"`, `{"user":"x","amount":-0}`, `{"user":"x","amount":01}`, `{"user":"x" "amount":1}`,
			`{"user":"x","amount":1}garbage`, `{"user":"\u0000\"\\\/\b\f\n\r\t","amount":1}`, " \t\r\n", `{"user":`)},
		{"huge-tokens", rec(long(`{"user":"`, "a", `","amount":1}`), long(`{"user":"x","amount":`, "9", `}`), long(`{"user":"`, `\"`, `"}`))},
		{"nul-bytes", []wasmrt.Record{{Data: make([]byte, min(64<<10, k.opts.MaxRecordBytes))}}},
		{"injection-strings", rec("%s%s%n%x", "${jndi:ldap://x/a}", "\r\n\r\n", "' OR 1=1 --", "<script>", "\x1b[2J")},
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
			if !utf8.ValidString(key.Name) || !utf8.ValidString(key.Value) {
				t.Errorf("result %d: partition key %q = %q is not UTF-8 (sdk/ABI.md, result frame)", i, key.Name, key.Value)
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
	if fmt.Sprint(sortedKeys(got.PartitionKeys)) != fmt.Sprint(sortedKeys(want.PartitionKeys)) {
		return fmt.Sprintf("partition keys %v, want %v", got.PartitionKeys, want.PartitionKeys)
	}
	return ""
}

// sortedKeys returns keys sorted by name and value: their order carries no
// meaning.
func sortedKeys(keys []wasmrt.PartitionKey) []wasmrt.PartitionKey {
	out := slices.Clone(keys)
	slices.SortFunc(out, func(a, b wasmrt.PartitionKey) int {
		return cmp.Or(strings.Compare(a.Name, b.Name), strings.Compare(a.Value, b.Value))
	})
	return out
}

func trunc(b []byte) []byte {
	if len(b) > 64 {
		return append(b[:64:64], "…"...)
	}
	return b
}
