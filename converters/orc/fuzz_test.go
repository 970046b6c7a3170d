package orc

import (
	"bytes"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/golang/protobuf/jsonpb"
	gproto "github.com/golang/protobuf/proto"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// FuzzWrite feeds random Arrow batches of every type through the writer,
// with random options, and compares what scritchley/orc's decoders read; it
// also checks the dictionaries and seeks with the row index. Bit 2 of comp
// asks for bloom filters on every column. dict picks the
// dictionary threshold (low two bits) and how many distinct strings the
// batch draws from (the rest; 0 for random strings).
func FuzzWrite(f *testing.F) {
	f.Add(uint64(1), uint8(20), uint16(100), uint8(0), false, uint16(0), uint8(0))
	f.Add(uint64(2), uint8(0), uint16(2000), uint8(1), true, uint16(7), uint8(2+4*5))
	f.Add(uint64(3), uint8(90), uint16(513), uint8(2), false, uint16(100), uint8(3+4*40))
	f.Add(uint64(4), uint8(10), uint16(2999), uint8(2), false, uint16(1000), uint8(0+4*3))
	f.Add(uint64(5), uint8(0), uint16(1500), uint8(0), true, uint16(301), uint8(1+4*2))
	f.Add(uint64(6), uint8(30), uint16(900), uint8(4+1), false, uint16(50), uint8(0))
	schema := allTypesSchema()
	f.Fuzz(func(t *testing.T, seed uint64, nullPct uint8, rows uint16, comp uint8, v11 bool, stride uint16, dict uint8) {
		g := &gen{r: rand.New(rand.NewPCG(seed, 0)), nullProb: float64(nullPct%101) / 100, words: int(dict >> 2)}
		rec := g.batch(schema, int(rows%3000))
		defer rec.Release()
		opts := Options{
			Compression:            []string{"NONE", "ZLIB", "SNAPPY"}[comp%3],
			RowIndexStride:         int(stride%2000) - 1, // -1: no index
			StripeSizeBytes:        32 << 10,
			DictionaryKeyThreshold: []float64{0, -1, 1, float64(dict) / 255}[dict%4],
		}
		if v11 {
			opts.FormatVersion = "V0_11"
		}
		if comp&4 != 0 {
			opts.BloomFilterColumns = fieldNames(schema)
		}
		data := writeFile(t, schema, opts, rec)
		compareRows(t, schema, treeRead(t, data), hiveAdjusted(schema, expectedRows(rec)))
		checkDictionaries(t, schema, data, !v11)
		if opts.RowIndexStride > 0 {
			checkRowIndex(t, schema, data, opts.RowIndexStride)
		}
	})
}

// TestGolden writes a fixed batch of every type and compares a canonical
// dump (rows as read back; footer, stripe statistics and stripe footers as
// JSON) with
// testdata/alltypes.golden; the ORC file itself is kept next to it as
// testdata/alltypes.orc for checks with other readers. Run with -update to
// rewrite both.
func TestGolden(t *testing.T) {
	schema := allTypesSchema()
	g := &gen{r: rand.New(rand.NewPCG(42, 42)), nullProb: 0.2}
	rec := g.batch(schema, 40)
	defer rec.Release()
	data := writeFile(t, schema, Options{Compression: "ZLIB", RowIndexStride: -1, StripeSizeBytes: 8 << 10}, rec)
	var dump bytes.Buffer
	for i, row := range treeRead(t, data) {
		fmt.Fprintf(&dump, "row %d:\n", i)
		for k, v := range row {
			fmt.Fprintf(&dump, "  %s: %#v\n", schema.Field(k).Name, v)
		}
	}
	tl := readTail(t, data)
	m := jsonpb.Marshaler{Indent: " "}
	parts := []gproto.Message{&tl.footer, &tl.metadata}
	for _, st := range readStripes(t, data, tl) {
		parts = append(parts, &st.footer) // streams and column encodings
	}
	for _, part := range parts {
		if err := m.Marshal(&dump, part); err != nil {
			t.Fatal(err)
		}
		dump.WriteByte('\n')
	}
	golden := filepath.Join("testdata", "alltypes.golden")
	if *update {
		if err := os.WriteFile(golden, dump.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join("testdata", "alltypes.orc"), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(dump.Bytes(), want) {
		t.Errorf("dump differs from %s; run with -update if the change is intended", golden)
	}
	// The stored file still reads back as the data it was written from.
	stored, err := os.ReadFile(filepath.Join("testdata", "alltypes.orc"))
	if err != nil {
		t.Fatal(err)
	}
	compareRows(t, schema, treeRead(t, stored), hiveAdjusted(schema, expectedRows(rec)))
}
