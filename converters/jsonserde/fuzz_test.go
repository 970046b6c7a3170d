package jsonserde

import (
	"errors"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

var fuzzColumns = []string{
	"i int", "t tinyint", "b boolean", "f float", "d decimal(9,3)", "s string", "dt date", "ts timestamp",
	"bin binary", "st struct<x:bigint,y:array<string>>", "l array<struct<k:string>>", "m map<int,double>",
}

const fuzzGood = `{"i":1,"s":"ok","st":{"x":2,"y":["a"]},"l":[{"k":"v"}],"m":{"3":4.5},"ts":"2024-01-01 00:00:00"}`

var fuzzSeeds = []string{
	fuzzGood,
	`{"I":"0x10","t":-128,"b":"false","f":"1e3","d":"-1.2345","dt":"2024-2-29","ts":1700000000123,"bin":"AAE="}`,
	`{"s":{"nested":[1,2,{"q":null}]},"st":null,"l":[null,{}],"m":{}}{"i":2}`,
	`{"ts":"05/06/2024 10:11 PM","m":{"x":1}}`,
	`[{"i":1}]`, `{"i":1}garbage`, `{"i":`, `{"d":1e400}`, `{"s":"\ud800"}`, `{"i":1,"i":2}`,
	"{\"s\":\"\xff\xfe\"}", `{"l":[[[[[[[]]]]]]]}`, `{"st":{"y":{"a":1}}}`, ` `, `{}`,
}

// fuzzDecoder checks that any record either fails cleanly, leaving the
// batch exactly as a decoder that never saw it would make it, or appends
// valid rows.
func fuzzDecoder(f *testing.F, mk func(t *testing.T) *Decoder) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, rec []byte) {
		d := mk(t)
		defer d.Release()
		if err := d.Append([]byte(fuzzGood)); err != nil {
			t.Fatal(err)
		}
		err := d.Append(rec)
		if err != nil {
			var re *RecordError
			if !errors.As(err, &re) || (re.Code != CodeParseError && re.Code != CodeMalformedData) || re.Message == "" {
				t.Fatalf("error %v is not a RecordError with a Firehose code", err)
			}
		}
		added := d.Rows() - 1
		if err != nil && added != 0 {
			t.Fatalf("a failed record added %d rows", added)
		}
		if err := d.Append([]byte(fuzzGood)); err != nil {
			t.Fatal(err)
		}
		got, berr := d.NewBatch()
		if berr != nil {
			t.Fatal(berr)
		}
		defer got.Release()
		for i, col := range got.Columns() {
			if verr := array.ValidateFull(col); verr != nil {
				t.Fatalf("column %d is not valid Arrow: %v", i, verr)
			}
		}
		// The same records again, into buffers recycled from a released
		// batch (not zeroed): the same rows.
		first := fuzzText(got)
		for round := 0; round < 2; round++ {
			_ = d.Append([]byte(fuzzGood))
			_ = d.Append(rec)
			_ = d.Append([]byte(fuzzGood))
			again, aerr := d.NewBatch()
			if aerr != nil {
				t.Fatal(aerr)
			}
			for i, col := range again.Columns() {
				if verr := array.ValidateFull(col); verr != nil {
					t.Fatalf("round %d: column %d is not valid Arrow: %v", round, i, verr)
				}
			}
			text := fuzzText(again)
			again.Release()
			if text != first {
				t.Fatalf("round %d: the same records decoded into recycled buffers gave\n%s\nnot\n%s", round, text, first)
			}
		}
		if err != nil {
			clean := mk(t)
			defer clean.Release()
			for i := 0; i < 2; i++ {
				if err := clean.Append([]byte(fuzzGood)); err != nil {
					t.Fatal(err)
				}
			}
			want, err := clean.NewBatch()
			if err != nil {
				t.Fatal(err)
			}
			defer want.Release()
			if !array.RecordEqual(got, want) {
				t.Fatalf("the failed record %q changed the batch", rec)
			}
		}
	})
}

func FuzzOpenX(f *testing.F) {
	fuzzDecoder(f, func(t *testing.T) *Decoder {
		d, err := NewOpenX(schemaOf(t, fuzzColumns...), OpenXOptions{ConvertDotsInJsonKeysToUnderscores: true}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return d
	})
}

func FuzzHive(f *testing.F) {
	fuzzDecoder(f, func(t *testing.T) *Decoder {
		d, err := NewHive(schemaOf(t, fuzzColumns...), HiveOptions{TimestampFormats: []string{"dd/MM/yyyy hh:mm a", "yyyyMMddHHmmssSSS", "millis"}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return d
	})
}

// FuzzJoda feeds arbitrary patterns and values to the Joda-Time pattern
// compiler and parser: no panic, and a parsed value within range.
func FuzzJoda(f *testing.F) {
	f.Add("yyyy-MM-dd'T'HH:mm:ss.SSSZ", "2024-03-10T12:34:56.789+0200")
	f.Add("EEE, d MMM yy h:mm a z", "Sun, 10 Mar 24 1:05 PM UTC")
	f.Add("yyyyMMddHHmmss", "20240310123456")
	f.Add("''yyyy''", "'2024'")
	f.Fuzz(func(t *testing.T, pattern, value string) {
		tf, err := compileJoda(pattern)
		if err != nil {
			return
		}
		tf.parse([]byte(value))
	})
}

// fuzzText renders a batch's values.
func fuzzText(b arrow.RecordBatch) string {
	var sb strings.Builder
	for r := 0; r < int(b.NumRows()); r++ {
		for c := 0; c < int(b.NumCols()); c++ {
			sb.WriteString(b.Column(c).ValueStr(r))
			sb.WriteByte('|')
		}
		sb.WriteByte('\n')
	}
	return sb.String()
}
