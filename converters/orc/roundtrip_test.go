package orc

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
)

// writeFile writes the batches to an in-memory ORC file.
func writeFile(t testing.TB, schema *arrow.Schema, opts Options, recs ...arrow.RecordBatch) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewWriter(&buf, schema, opts)
	if err != nil {
		t.Fatalf("NewWriter: %v", err)
	}
	for _, rec := range recs {
		if err := w.Write(rec); err != nil {
			t.Fatalf("Write: %v", err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	return buf.Bytes()
}

// compareRows reports the first differing rows.
func compareRows(t testing.TB, schema *arrow.Schema, got, want [][]any) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("read %d rows, wrote %d", len(got), len(want))
	}
	bad := 0
	for i := range want {
		for k := range want[i] {
			if !reflect.DeepEqual(got[i][k], want[i][k]) {
				t.Errorf("row %d column %s:\n got %#v\nwant %#v", i, schema.Field(k).Name, got[i][k], want[i][k])
				bad++
			}
		}
		if bad > 10 {
			t.Fatal("too many differences")
		}
	}
}

// TestRoundTripAllTypes writes every type with every codec and format
// version, nulls at every level, and reads it back with scritchley/orc.
func TestRoundTripAllTypes(t *testing.T) {
	schema := allTypesSchema()
	for _, comp := range []string{"NONE", "ZLIB", "SNAPPY"} {
		for _, version := range []string{"V0_11", "V0_12"} {
			for _, nullProb := range []float64{0, 0.25} {
				name := fmt.Sprintf("%s/%s/nulls=%v", comp, version, nullProb)
				t.Run(name, func(t *testing.T) {
					g := &gen{r: rand.New(rand.NewPCG(1, uint64(nullProb*100))), nullProb: nullProb}
					recs := []arrow.RecordBatch{g.batch(schema, 3000), g.batch(schema, 1), g.batch(schema, 2500)}
					defer func() {
						for _, r := range recs {
							r.Release()
						}
					}()
					opts := Options{Compression: comp, FormatVersion: version, RowIndexStride: 1000, StripeSizeBytes: 96 << 10}
					data := writeFile(t, schema, opts, recs...)
					want := hiveAdjusted(schema, expectedRows(recs...))
					compareRows(t, schema, treeRead(t, data), want)
					// scritchley/orc's own row reader, on the columns it
					// reads right (see treeread_test.go).
					got, _ := readBack(t, data, fieldNames(schema))
					for k, f := range schema.Fields() {
						if scritchleyReads(f.Type, nullProb > 0) {
							compareColumn(t, f.Name, got, want, k)
						}
					}
				})
			}
		}
	}
}

// scritchleyReads tells whether scritchley/orc's row reader reads a type
// right: not maps, not dates with nulls, not decimals over 63 bits.
func scritchleyReads(dt arrow.DataType, nulls bool) bool {
	switch t := dt.(type) {
	case *arrow.MapType:
		return false
	case *arrow.Date32Type:
		return !nulls
	case *arrow.Decimal128Type:
		return t.Precision <= 18
	case *arrow.ListType:
		return scritchleyReads(t.Elem(), nulls)
	case *arrow.StructType:
		for _, f := range t.Fields() {
			if !scritchleyReads(f.Type, nulls) {
				return false
			}
		}
	}
	return true
}

func compareColumn(t testing.TB, name string, got, want [][]any, k int) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("scritchley/orc read %d rows, wrote %d", len(got), len(want))
	}
	for i := range want {
		if !reflect.DeepEqual(got[i][k], want[i][k]) {
			t.Fatalf("scritchley/orc: row %d column %s:\n got %#v\nwant %#v", i, name, got[i][k], want[i][k])
		}
	}
}
