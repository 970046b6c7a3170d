package orc

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	gproto "github.com/golang/protobuf/proto"
	sproto "github.com/scritchley/orc/proto"
	"google.golang.org/protobuf/encoding/protowire"
)

// The expected values below are the test vectors ORC's Java and C++
// implementations share (TestMurmur3.testHash64, TestBloomFilter's
// testLongHash and testBloomFilterBasicOperations), so a filter written
// here sets the bits their readers test.

func TestMurmur3Hash64(t *testing.T) {
	text := "It was the best of times, it was the worst of times," +
		" it was the age of wisdom, it was the age of foolishness," +
		" it was the epoch of belief, it was the epoch of incredulity," +
		" it was the season of Light, it was the season of Darkness," +
		" it was the spring of hope, it was the winter of despair," +
		" we had everything before us, we had nothing before us," +
		" we were all going direct to Heaven," +
		" we were all going direct the other way."
	if got := murmur3Hash64(text); got != 305830725663368540 {
		t.Errorf("hash64 = %d, want 305830725663368540", got)
	}
}

func TestLongHash(t *testing.T) {
	for _, tc := range []struct{ in, exp int64 }{
		{0, 0},
		{-1, 6614246905173314819},
		{-2, -5218250166726157773},
		{-3, 1396019780946710816},
		{-9223372036854775805, 3691278333958578070},
		{-9223372036854775806, -1192099642781211952},
		{-9223372036854775807, -9102499068535824902},
		{790302201, 1499534499340523007},
		{790302202, -5108695154500810163},
		{790302203, -2450623810987162260},
		{18000000000, -1097054448615658549},
		{9223372036064673413, -4986173376161118712},
		{9223372036064673414, 3785699328822078862},
		{9223372036064673415, 294188322706112357},
	} {
		if got := longHash(tc.in); got != tc.exp {
			t.Errorf("longHash(%d) = %d, want %d", tc.in, got, tc.exp)
		}
	}
}

// TestBloomFilterBits checks the size and the bits set of a filter for 128
// values at the default probability: 832 bits, 5 hash functions.
func TestBloomFilterBits(t *testing.T) {
	b := newBloomFilter(128, DefaultBloomFilterFalsePositiveProbability)
	if b.nbits != 832 || b.k != 5 || len(b.words) != 13 {
		t.Fatalf("m %d, k %d, %d words; want 832, 5, 13", b.nbits, b.k, len(b.words))
	}
	isSet := func(pos int) bool { return b.words[pos>>6]&(1<<(pos&63)) != 0 }
	for _, tc := range []struct {
		name string
		add  func()
		exp  [5]int
	}{
		{"long 1", func() { b.addLong(1) }, [5]int{567, 288, 246, 306, 228}},
		{"long 11", func() { b.addLong(11) }, [5]int{228, 285, 342, 399, 456}},
		{"long 111", func() { b.addLong(111) }, [5]int{802, 630, 458, 545, 717}},
		{"long 1111", func() { b.addLong(1111) }, [5]int{826, 526, 40, 480, 86}},
		{"long 0", func() { b.addLong(0) }, [5]int{0, 0, 0, 0, 0}},
		{"long -1", func() { b.addLong(-1) }, [5]int{120, 308, 335, 108, 535}},
		{"long -11", func() { b.addLong(-11) }, [5]int{323, 685, 215, 577, 107}},
		{"long -111", func() { b.addLong(-111) }, [5]int{357, 318, 279, 15, 54}},
		{"long -1111", func() { b.addLong(-1111) }, [5]int{572, 680, 818, 434, 232}},
		{"double 1.1", func() { b.addDouble(1.1) }, [5]int{522, 692, 12, 370, 753}},
		{"double 11.11", func() { b.addDouble(11.11) }, [5]int{210, 188, 89, 720, 389}},
		{"double 111.111", func() { b.addDouble(111.111) }, [5]int{831, 252, 583, 500, 335}},
		{"double 1111.1111", func() { b.addDouble(1111.1111) }, [5]int{725, 175, 374, 92, 642}},
		{"double 0", func() { b.addDouble(0) }, [5]int{0, 0, 0, 0, 0}},
		{"double -1.1", func() { b.addDouble(-1.1) }, [5]int{636, 163, 565, 206, 679}},
		{"double -11.11", func() { b.addDouble(-11.11) }, [5]int{473, 192, 743, 462, 181}},
		{"double -111.111", func() { b.addDouble(-111.111) }, [5]int{167, 152, 472, 295, 24}},
		{"double -1111.1111", func() { b.addDouble(-1111.1111) }, [5]int{308, 346, 384, 422, 371}},
		{"empty string", func() { b.addString("") }, [5]int{656, 807, 480, 151, 304}},
		{"english", func() { b.addString("english") }, [5]int{576, 221, 68, 729, 392}},
		{"chinese", func() { b.addString("中国字") }, [5]int{602, 636, 44, 362, 318}},
	} {
		b.reset()
		tc.add()
		want := map[int]bool{}
		for _, p := range tc.exp {
			want[p] = true
			if !isSet(p) {
				t.Errorf("%s: bit %d not set", tc.name, p)
			}
		}
		for p := range int(b.nbits) {
			if isSet(p) && !want[p] {
				t.Errorf("%s: bit %d set, want only %v", tc.name, p, tc.exp)
			}
		}
	}
}

// bloomHash is the 64-bit hash ORC's readers compute for a canonical value
// (see read_test.go), and whether the type has bloom filters at all.
func bloomHash(v any) (uint64, bool) {
	switch x := v.(type) {
	case bool:
		return uint64(longHash(int64(b2i(x)))), true
	case int64:
		return uint64(longHash(x)), true
	case date:
		return uint64(longHash(int64(x))), true
	case fbits:
		u := uint64(x)
		if f := math.Float64frombits(u); f != f {
			u = javaNaN
		}
		return uint64(longHash(int64(u))), true
	case string:
		return murmur3Hash64(x), true
	case []byte:
		return murmur3Hash64(x), true
	case time.Time:
		return uint64(longHash(x.UnixMilli())), true
	}
	return 0, false
}

// bloomHas is a reader's membership test on a stored filter, written
// apart from the writer's code: Java's BloomFilter.testHash over the
// little-endian utf8bitset.
func bloomHas(f *sproto.BloomFilter, h uint64) bool {
	bitset := f.GetUtf8Bitset()
	m := int32(len(bitset) * 8)
	h1, h2 := int32(h), int32(h>>32)
	for i := int32(1); i <= int32(f.GetNumHashFunctions()); i++ {
		c := h1 + i*h2
		if c < 0 {
			c = ^c
		}
		pos := c % m
		word := binary.LittleEndian.Uint64(bitset[pos/64*8:])
		if word&(1<<(pos%64)) == 0 {
			return false
		}
	}
	return true
}

// bloomEncodings reads ColumnEncoding.bloomEncoding (field 3, which
// scritchley/orc's messages lack) of every column from a stripe footer.
func bloomEncodings(t *testing.T, data []byte, tl *tail, si *sproto.StripeInformation) []uint64 {
	t.Helper()
	start := si.GetOffset() + si.GetIndexLength() + si.GetDataLength()
	b := decompress(t, &tl.ps, data[start:start+si.GetFooterLength()])
	var out []uint64
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		b = b[n:]
		n = protowire.ConsumeFieldValue(num, typ, b)
		if num == 2 {
			enc, _ := protowire.ConsumeBytes(b)
			var be uint64
			for len(enc) > 0 {
				f, ft, k := protowire.ConsumeTag(enc)
				enc = enc[k:]
				if f == 3 {
					be, _ = protowire.ConsumeVarint(enc)
				}
				enc = enc[protowire.ConsumeFieldValue(f, ft, enc):]
			}
			out = append(out, be)
		}
		b = b[n:]
	}
	return out
}

// TestBloomFilterColumns names every column of the all-types schema as a
// bloom filter column and checks the files: a BLOOM_FILTER_UTF8 stream for
// each primitive column but decimals, one filter per row group sized as
// ORC Java sizes them, holding every non-null value of its group and not
// much else, and bloomEncoding 1 on those columns.
func TestBloomFilterColumns(t *testing.T) {
	schema := allTypesSchema()
	g := &gen{r: rand.New(rand.NewPCG(11, 0)), nullProb: 0.2}
	rec := g.batch(schema, 2000)
	defer rec.Release()
	rows := hiveAdjusted(schema, expectedRows(rec))
	const stride = 300 // m = 1920 bits, k = 4 at p = 0.05
	for _, tc := range []struct {
		comp string
		fpp  float64
		bits int
		k    uint32
	}{
		{"NONE", 0, 1920, 4},
		{"ZLIB", 0.01, 2880, 7}, // nb = 2875
		{"SNAPPY", 1, 64, 1},    // nb = 0: one word
	} {
		t.Run(tc.comp, func(t *testing.T) {
			data := writeFile(t, schema, Options{Compression: tc.comp, RowIndexStride: stride, StripeSizeBytes: 64 << 10,
				BloomFilterColumns: fieldNames(schema), BloomFilterFalsePositiveProbability: tc.fpp}, rec)
			compareRows(t, schema, treeRead(t, data), rows)
			checkRowIndex(t, schema, data, stride)
			got, _ := readBack(t, data, fieldNames(schema))
			for k, f := range schema.Fields() {
				if scritchleyReads(f.Type, true) {
					compareColumn(t, f.Name, got, rows, k)
				}
			}
			tl := readTail(t, data)
			types := tl.footer.GetTypes()
			start := 0
			for si, st := range readStripes(t, data, tl) {
				n := int(st.info.GetNumberOfRows())
				encs := bloomEncodings(t, data, tl, st.info)
				for k, f := range schema.Fields() {
					id := int(types[0].GetSubtypes()[k])
					raw, ok := st.streams[[2]int{id, int(sproto.Stream_BLOOM_FILTER_UTF8)}]
					_, hashed := bloomHash(rows[0][k])
					if rows[0][k] == nil {
						_, hashed = bloomHash(rows[1][k])
					}
					if ok != hashed || (encs[id] == bloomEncodingUTC) != hashed {
						t.Fatalf("stripe %d %s: bloom filter stream %v, bloomEncoding %d", si, f.Name, ok, encs[id])
					}
					if !ok {
						continue
					}
					var index sproto.BloomFilterIndex
					if err := gproto.Unmarshal(raw, &index); err != nil {
						t.Fatal(err)
					}
					if want := (n + stride - 1) / stride; len(index.GetBloomFilter()) != want {
						t.Fatalf("stripe %d %s: %d filters, want %d", si, f.Name, len(index.GetBloomFilter()), want)
					}
					for gi, bf := range index.GetBloomFilter() {
						if len(bf.GetUtf8Bitset())*8 != tc.bits || bf.GetNumHashFunctions() != tc.k || len(bf.GetBitset()) != 0 {
							t.Fatalf("%s group %d: %d bits, k %d; want %d, %d", f.Name, gi, len(bf.GetUtf8Bitset())*8, bf.GetNumHashFunctions(), tc.bits, tc.k)
						}
						in := map[uint64]bool{}
						for _, row := range rows[start+gi*stride : min(start+n, start+(gi+1)*stride)] {
							if row[k] == nil {
								continue
							}
							h, _ := bloomHash(row[k])
							in[h] = true
							if !bloomHas(bf, h) {
								t.Fatalf("stripe %d %s group %d: %#v is not in the filter", si, f.Name, gi, row[k])
							}
						}
						if tc.bits < 1000 {
							continue
						}
						// Values of other groups, mostly absent: the filter is
						// not simply full.
						fp, probes := 0, 0
						for _, row := range rows {
							if h, _ := bloomHash(row[k]); row[k] != nil && !in[h] {
								probes++
								if bloomHas(bf, h) {
									fp++
								}
							}
						}
						if probes > 100 && fp*4 > probes {
							t.Errorf("stripe %d %s group %d: %d of %d absent values test positive", si, f.Name, gi, fp, probes)
						}
					}
				}
				start += n
			}
		})
	}
}
