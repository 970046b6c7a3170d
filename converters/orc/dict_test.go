package orc

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	gproto "github.com/golang/protobuf/proto"
	sproto "github.com/scritchley/orc/proto"
)

// dictSchema mixes string columns of low and high cardinality, char and
// varchar, strings nested in a list and as map keys, and a column that is
// always null.
func dictSchema() *arrow.Schema {
	f := func(name string, dt arrow.DataType, hive string) arrow.Field {
		return arrow.Field{Name: name, Type: dt, Nullable: true, Metadata: hiveMeta(hive)}
	}
	return arrow.NewSchema([]arrow.Field{
		f("low", arrow.BinaryTypes.String, "string"),
		f("high", arrow.BinaryTypes.String, "string"),
		f("ch", arrow.BinaryTypes.String, "char(4)"),
		f("vc", arrow.BinaryTypes.String, "varchar(3)"),
		f("tags", arrow.ListOf(arrow.BinaryTypes.String), "array<string>"),
		f("m", arrow.MapOf(arrow.BinaryTypes.String, arrow.PrimitiveTypes.Int32), "map<string,int>"),
		f("none", arrow.BinaryTypes.String, "string"),
		f("n", arrow.PrimitiveTypes.Int64, "bigint"),
	}, nil)
}

var dictWords = []string{"Nevada", "California", "Florida", "", "ü€𝄞", "Nevada2", "a", "zz"}

// dictBatch builds n rows of dictSchema; row numbers start at first.
func dictBatch(schema *arrow.Schema, r *rand.Rand, first, n int, nullProb float64) arrow.RecordBatch {
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	str := func(sb array.Builder, v string) {
		if r.Float64() < nullProb {
			sb.AppendNull()
			return
		}
		sb.(*array.StringBuilder).Append(v)
	}
	word := func() string { return dictWords[r.IntN(len(dictWords))] }
	for i := range n {
		str(b.Field(0), word())
		str(b.Field(1), fmt.Sprintf("id-%d-%d", first+i, r.Uint32()))
		str(b.Field(2), word())
		str(b.Field(3), word())
		lb := b.Field(4).(*array.ListBuilder)
		lb.Append(true)
		for range r.IntN(3) {
			str(lb.ValueBuilder(), word())
		}
		mb := b.Field(5).(*array.MapBuilder)
		mb.Append(true)
		for k := range r.IntN(3) {
			mb.KeyBuilder().(*array.StringBuilder).Append(dictWords[k])
			mb.ItemBuilder().(*array.Int32Builder).Append(r.Int32N(100))
		}
		b.Field(6).AppendNull()
		b.Field(7).(*array.Int64Builder).Append(int64(first + i))
	}
	return b.NewRecordBatch()
}

// columnIDs maps the dotted path of every column (tags.element,
// m.key, …) to its column id.
func columnIDs(tl *tail) map[string]int {
	types := tl.footer.GetTypes()
	out := map[string]int{}
	var walk func(id int, path string)
	walk = func(id int, path string) {
		if path != "" {
			out[path] = id
		}
		typ := types[id]
		for k, sub := range typ.GetSubtypes() {
			var name string
			switch typ.GetKind() {
			case sproto.Type_STRUCT:
				name = typ.GetFieldNames()[k]
			case sproto.Type_LIST:
				name = "element"
			case sproto.Type_MAP:
				name = []string{"key", "value"}[k]
			}
			if path != "" {
				name = path + "." + name
			}
			walk(int(sub), name)
		}
	}
	walk(0, "")
	return out
}

func isDictionary(enc *sproto.ColumnEncoding) bool {
	k := enc.GetKind()
	return k == sproto.ColumnEncoding_DICTIONARY || k == sproto.ColumnEncoding_DICTIONARY_V2
}

// checkDictionaries checks every dictionary column of every stripe: the
// encoding matches the format version, the dictionary is sorted by bytes
// without duplicates, every entry is used, and (for top-level columns) it
// holds exactly the stripe's distinct values. It returns, per column path,
// how many stripes were dictionary encoded.
func checkDictionaries(t *testing.T, schema *arrow.Schema, data []byte, v2 bool) map[string]int {
	t.Helper()
	tl := readTail(t, data)
	ids := columnIDs(tl)
	rows := treeRead(t, data)
	counts := map[string]int{}
	start := 0
	for si, st := range readStripes(t, data, tl) {
		n := int(st.info.GetNumberOfRows())
		for path, id := range ids {
			enc := st.footer.GetColumns()[id]
			if !isDictionary(enc) {
				continue
			}
			counts[path]++
			if v2 != (enc.GetKind() == sproto.ColumnEncoding_DICTIONARY_V2) {
				t.Errorf("stripe %d %s: encoding %s in a file of version v2=%v", si, path, enc.GetKind(), v2)
			}
			if _, ok := st.streams[[2]int{id, int(sproto.Stream_DICTIONARY_DATA)}]; !ok {
				t.Errorf("stripe %d %s: no DICTIONARY_DATA stream", si, path)
			}
			entries := readDictionary(t, st, id, enc)
			for k := 1; k < len(entries); k++ {
				if entries[k-1] >= entries[k] {
					t.Errorf("stripe %d %s: dictionary not sorted at %d: %q, %q", si, path, k, entries[k-1], entries[k])
				}
			}
			used := make([]bool, len(entries))
			idr := newInts(st.streams[[2]int{id, int(sproto.Stream_DATA)}], enc, false)
			for idr.r.Next() {
				v := idr.r.Int()
				if v < 0 || int(v) >= len(used) {
					t.Fatalf("stripe %d %s: id %d outside a dictionary of %d", si, path, v, len(used))
				}
				used[v] = true
			}
			for k, u := range used {
				if !u {
					t.Errorf("stripe %d %s: dictionary entry %q is never used", si, path, entries[k])
				}
			}
			if strings.Contains(path, ".") {
				continue
			}
			k := schema.FieldIndices(path)[0]
			distinct := map[string]bool{}
			for _, row := range rows[start : start+n] {
				if s, ok := row[k].(string); ok {
					distinct[s] = true
				}
			}
			if len(distinct) != len(entries) {
				t.Errorf("stripe %d %s: %d dictionary entries, %d distinct values", si, path, len(entries), len(distinct))
			}
			for _, e := range entries {
				if !distinct[e] {
					t.Errorf("stripe %d %s: dictionary entry %q is not a value of the stripe", si, path, e)
				}
			}
		}
		start += n
	}
	return counts
}

// TestDictionaryRoundTrip writes low- and high-cardinality string columns
// side by side, with every codec and format version, with and without
// nulls, and reads them back with scritchley/orc's decoders: low
// cardinality columns are dictionary encoded, high cardinality ones direct,
// the dictionaries are well formed and the row index seeks into them.
func TestDictionaryRoundTrip(t *testing.T) {
	schema := dictSchema()
	for _, comp := range []string{"NONE", "ZLIB", "SNAPPY"} {
		for _, version := range []string{"V0_11", "V0_12"} {
			for _, nullProb := range []float64{0, 0.3} {
				t.Run(fmt.Sprintf("%s/%s/nulls=%v", comp, version, nullProb), func(t *testing.T) {
					r := rand.New(rand.NewPCG(7, uint64(nullProb*10)))
					recs := []arrow.RecordBatch{dictBatch(schema, r, 0, 2500, nullProb), dictBatch(schema, r, 2500, 3000, nullProb)}
					defer func() {
						for _, rec := range recs {
							rec.Release()
						}
					}()
					const stride = 700
					data := writeFile(t, schema, Options{Compression: comp, FormatVersion: version,
						RowIndexStride: stride, StripeSizeBytes: 128 << 10}, recs...)
					want := hiveAdjusted(schema, expectedRows(recs...))
					compareRows(t, schema, treeRead(t, data), want)
					got, _ := readBack(t, data, fieldNames(schema))
					for k, f := range schema.Fields() {
						if scritchleyReads(f.Type, nullProb > 0) {
							compareColumn(t, f.Name, got, want, k)
						}
					}
					stripes := len(readTail(t, data).footer.GetStripes())
					if stripes < 2 {
						t.Fatalf("%d stripes; the test wants several", stripes)
					}
					counts := checkDictionaries(t, schema, data, version == "V0_12")
					for _, path := range []string{"low", "ch", "vc", "tags.element", "m.key"} {
						if counts[path] != stripes {
							t.Errorf("%s: dictionary encoded in %d of %d stripes", path, counts[path], stripes)
						}
					}
					for _, path := range []string{"high", "none", "n"} {
						if counts[path] != 0 {
							t.Errorf("%s: dictionary encoded in %d stripes", path, counts[path])
						}
					}
					checkRowIndex(t, schema, data, stride)
				})
			}
		}
	}
}

// TestDictionaryStatistics checks that statistics do not depend on the
// encoding: the same rows written with dictionaries off and always on have
// the same file, stripe and row group statistics.
func TestDictionaryStatistics(t *testing.T) {
	schema := dictSchema()
	rec := dictBatch(schema, rand.New(rand.NewPCG(8, 8)), 0, 4000, 0.2)
	defer rec.Release()
	var stats [2][]gproto.Message
	for k, threshold := range []float64{-1, 1} {
		data := writeFile(t, schema, Options{DictionaryKeyThreshold: threshold, RowIndexStride: 500}, rec)
		tl := readTail(t, data)
		stats[k] = append(stats[k], &tl.metadata)
		for _, s := range tl.footer.GetStatistics() {
			stats[k] = append(stats[k], s)
		}
		dicts := 0
		for _, st := range readStripes(t, data, tl) {
			for id, enc := range st.footer.GetColumns() {
				if isDictionary(enc) {
					dicts++
				}
				var index sproto.RowIndex
				if err := gproto.Unmarshal(st.streams[[2]int{id, int(sproto.Stream_ROW_INDEX)}], &index); err != nil {
					t.Fatal(err)
				}
				for _, e := range index.GetEntry() {
					stats[k] = append(stats[k], e.GetStatistics())
				}
			}
		}
		// Off: no dictionary; always: every string column with values
		// (low, high, ch, vc, tags.element, m.key).
		if want := []int{0, 6}[k]; dicts != want {
			t.Fatalf("threshold %v: %d dictionary columns, want %d", threshold, dicts, want)
		}
	}
	if len(stats[0]) != len(stats[1]) {
		t.Fatalf("%d statistics against %d", len(stats[0]), len(stats[1]))
	}
	for i := range stats[0] {
		if !gproto.Equal(stats[0][i], stats[1][i]) {
			t.Fatalf("statistics %d differ:\n direct %v\n dictionary %v", i, stats[0][i], stats[1][i])
		}
	}
}

// stringBatch builds a one-column batch of strings; nil is a null.
func stringBatch(vals []*string) (arrow.RecordBatch, *arrow.Schema) {
	schema := arrow.NewSchema([]arrow.Field{{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true}}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	sb := b.Field(0).(*array.StringBuilder)
	for _, v := range vals {
		if v == nil {
			sb.AppendNull()
		} else {
			sb.Append(*v)
		}
	}
	return b.NewRecordBatch(), schema
}

// TestDictionaryThreshold checks the decision at its edges: a stripe is
// dictionary encoded when distinct / non-null values <= the threshold, the
// first row group is checked early, a dictionary that outgrows half the
// stripe size is given up, and a column without values is direct.
func TestDictionaryThreshold(t *testing.T) {
	ptr := func(s string) *string { return &s }
	repeat := func(n, distinct int) []*string { // n values, distinct of them
		out := make([]*string, n)
		for i := range out {
			out[i] = ptr(fmt.Sprintf("v%04d", i%distinct))
		}
		return out
	}
	halfNull := repeat(1000, 500)
	for i := range halfNull {
		if i%2 == 1 {
			halfNull[i] = nil // 500 values, 250 distinct
		}
	}
	lateRepeats := repeat(1000, 1000)
	for i := 100; i < 1000; i++ {
		lateRepeats[i] = ptr("x") // 101 distinct of 1000, all distinct in the first 100
	}
	long := make([]*string, 3000)
	for i := range long {
		long[i] = ptr(fmt.Sprintf("%0200d", i))
	}
	for _, tc := range []struct {
		name      string
		vals      []*string
		threshold float64
		stride    int
		stripe    int64
		exp       []bool // per stripe: dictionary encoded
	}{
		{name: "default 0.8, ratio 0.5", vals: repeat(1000, 500), exp: []bool{true}},
		{name: "at the threshold", vals: repeat(1000, 500), threshold: 0.5, exp: []bool{true}},
		{name: "just above it", vals: repeat(1000, 500), threshold: 0.499, exp: []bool{false}},
		{name: "off", vals: repeat(1000, 2), threshold: -1, exp: []bool{false}},
		{name: "always, all distinct", vals: repeat(1000, 1000), threshold: 1, exp: []bool{true}},
		{name: "all distinct", vals: repeat(1000, 1000), threshold: 0.99, exp: []bool{false}},
		{name: "one value", vals: repeat(1000, 1), threshold: 0.001, exp: []bool{true}},
		{name: "nulls do not count", vals: halfNull, threshold: 0.5, exp: []bool{true}},
		{name: "nulls do not count, above", vals: halfNull, threshold: 0.49, exp: []bool{false}},
		{name: "only nulls", vals: make([]*string, 100), threshold: 1, exp: []bool{false}},
		{name: "early check fails", vals: lateRepeats, stride: 100, exp: []bool{false}},
		{name: "no early check without an index", vals: lateRepeats, stride: -1, exp: []bool{true}},
		{name: "one group per stripe", vals: lateRepeats, stride: 1000, exp: []bool{true}},
		// 200-byte values: the dictionary passes half the stripe size after
		// about 580 values, mid-group; the last stripe's 400 values fit.
		{name: "dictionary too large", vals: long, threshold: 1, stride: 100, stripe: 256 << 10, exp: []bool{false, false, true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec, schema := stringBatch(tc.vals)
			defer rec.Release()
			stride := tc.stride
			if stride == 0 {
				stride = 10000
			}
			data := writeFile(t, schema, Options{Compression: "NONE", DictionaryKeyThreshold: tc.threshold,
				RowIndexStride: stride, StripeSizeBytes: tc.stripe}, rec)
			tl := readTail(t, data)
			var got []bool
			for _, st := range readStripes(t, data, tl) {
				got = append(got, isDictionary(st.footer.GetColumns()[1]))
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.exp) {
				t.Fatalf("dictionary per stripe %v, want %v", got, tc.exp)
			}
			compareRows(t, schema, treeRead(t, data), expectedRows(rec))
			checkDictionaries(t, schema, data, true)
			if stride > 0 {
				checkRowIndex(t, schema, data, stride)
			}
		})
	}
}

// TestDictionarySmaller checks the point of dictionaries: a
// low-cardinality column takes less room.
func TestDictionarySmaller(t *testing.T) {
	schema := dictSchema()
	rec := dictBatch(schema, rand.New(rand.NewPCG(5, 5)), 0, 20000, 0)
	defer rec.Release()
	low := arrow.NewSchema([]arrow.Field{schema.Field(0)}, nil)
	one := array.NewRecordBatch(low, []arrow.Array{rec.Column(0)}, rec.NumRows())
	defer one.Release()
	for _, comp := range []string{"NONE", "SNAPPY"} {
		direct := writeFile(t, low, Options{Compression: comp, DictionaryKeyThreshold: -1}, one)
		dict := writeFile(t, low, Options{Compression: comp}, one)
		if len(dict) >= len(direct) {
			t.Errorf("%s: %d bytes with a dictionary, %d without", comp, len(dict), len(direct))
		}
	}
}
