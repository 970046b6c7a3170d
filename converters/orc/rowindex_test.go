package orc

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	gproto "github.com/golang/protobuf/proto"
	sorc "github.com/scritchley/orc"
	sproto "github.com/scritchley/orc/proto"
)

// seek positions one stream the way a reader does from a row index entry.
type seek struct {
	t   testing.TB
	tl  *tail
	pos []uint64
}

func (s *seek) take() uint64 {
	if len(s.pos) == 0 {
		s.t.Fatalf("row index entry has too few positions")
	}
	v := s.pos[0]
	s.pos = s.pos[1:]
	return v
}

// open returns the stream's bytes from the recorded position: a byte offset,
// or a chunk offset and an offset into the decompressed chunk.
func (s *seek) open(raw []byte) *bufio.Reader {
	var b []byte
	if s.tl.ps.GetCompression() == sproto.CompressionKind_NONE {
		b = raw[s.take():]
	} else {
		chunk := s.take()
		b = decompress(s.t, &s.tl.ps, raw[chunk:])[s.take():]
	}
	return bufio.NewReader(bytes.NewReader(b))
}

// ints opens an integer RLE stream and skips the recorded value count.
func (s *seek) ints(raw []byte, enc *sproto.ColumnEncoding, signed bool) sorc.IntegerReader {
	br := s.open(raw)
	var r sorc.IntegerReader
	if k := enc.GetKind(); k == sproto.ColumnEncoding_DIRECT_V2 || k == sproto.ColumnEncoding_DICTIONARY_V2 {
		r = sorc.NewRunLengthIntegerReaderV2(br, signed, false)
	} else {
		r = sorc.NewRunLengthIntegerReader(br, signed)
	}
	// scritchley/orc's integer readers consume a value in Int, not Next.
	for range s.take() {
		r.Next()
		r.Int()
	}
	return r
}

// bools opens a boolean stream: byte RLE values, then bits, are skipped.
func (s *seek) bools(raw []byte) *sorc.BooleanReader {
	r := sorc.NewBooleanReader(s.open(raw))
	n := s.take()
	n = n*8 + s.take()
	for range n {
		r.Next()
	}
	return r
}

// valueAt seeks column id of stripe st to row group g with its row index and
// reads the group's first value.
func valueAt(t testing.TB, tl *tail, st *stripe, id int, entry *sproto.RowIndexEntry) any {
	typ := tl.footer.GetTypes()[id]
	enc := st.footer.GetColumns()[id]
	s := &seek{t: t, tl: tl, pos: entry.GetPositions()}
	raw := func(kind sproto.Stream_Kind) []byte { return st.raw[[2]int{id, int(kind)}] }
	var isPresent func() bool
	if p, ok := st.raw[[2]int{id, int(sproto.Stream_PRESENT)}]; ok {
		r := s.bools(p)
		isPresent = func() bool { r.Next(); return r.Bool() }
	}
	var read func() any
	switch typ.GetKind() {
	case sproto.Type_BOOLEAN:
		r := s.bools(raw(sproto.Stream_DATA))
		read = func() any { r.Next(); return r.Bool() }
	case sproto.Type_BYTE:
		r := sorc.NewRunLengthByteReader(s.open(raw(sproto.Stream_DATA)))
		for range s.take() {
			r.Next()
			r.Byte()
		}
		read = func() any { r.Next(); return int64(int8(r.Byte())) }
	case sproto.Type_SHORT, sproto.Type_INT, sproto.Type_LONG:
		r := s.ints(raw(sproto.Stream_DATA), enc, true)
		read = func() any { r.Next(); return r.Int() }
	case sproto.Type_DATE:
		r := s.ints(raw(sproto.Stream_DATA), enc, true)
		read = func() any { r.Next(); return date(r.Int()) }
	case sproto.Type_FLOAT:
		d := s.open(raw(sproto.Stream_DATA))
		read = func() any {
			var b [4]byte
			io.ReadFull(d, b[:])
			return fbits(math.Float64bits(float64(math.Float32frombits(binary.LittleEndian.Uint32(b[:])))))
		}
	case sproto.Type_DOUBLE:
		d := s.open(raw(sproto.Stream_DATA))
		read = func() any {
			var b [8]byte
			io.ReadFull(d, b[:])
			return fbits(binary.LittleEndian.Uint64(b[:]))
		}
	case sproto.Type_STRING, sproto.Type_CHAR, sproto.Type_VARCHAR, sproto.Type_BINARY:
		if k := enc.GetKind(); k == sproto.ColumnEncoding_DICTIONARY || k == sproto.ColumnEncoding_DICTIONARY_V2 {
			// The dictionary is read whole (it has no positions); only
			// DATA, the ids, is positioned.
			entries := readDictionary(t, st, id, enc)
			ids := s.ints(raw(sproto.Stream_DATA), enc, false)
			read = func() any {
				ids.Next()
				return entries[ids.Int()]
			}
			break
		}
		d := s.open(raw(sproto.Stream_DATA))
		lens := s.ints(raw(sproto.Stream_LENGTH), enc, false)
		read = func() any {
			lens.Next()
			b := make([]byte, lens.Int())
			io.ReadFull(d, b)
			if typ.GetKind() == sproto.Type_BINARY {
				return b
			}
			return string(b)
		}
	case sproto.Type_DECIMAL:
		d := s.open(raw(sproto.Stream_DATA))
		scales := s.ints(raw(sproto.Stream_SECONDARY), enc, true)
		read = func() any {
			scales.Next()
			return dec{readBigVarint(t, d).String(), scales.Int()}
		}
	case sproto.Type_TIMESTAMP:
		secs := s.ints(raw(sproto.Stream_DATA), enc, true)
		nanos := s.ints(raw(sproto.Stream_SECONDARY), enc, false)
		read = func() any {
			secs.Next()
			nanos.Next()
			sec, n := secs.Int()+orcEpoch, nanos.Int()
			if z := n & 7; z != 0 {
				n >>= 3
				for range z + 1 {
					n *= 10
				}
			} else {
				n >>= 3
			}
			if sec < 0 && n > 999999 {
				sec--
			}
			return time.Unix(sec, n).UTC()
		}
	case sproto.Type_LIST, sproto.Type_MAP:
		lens := s.ints(raw(sproto.Stream_LENGTH), enc, false)
		read = func() any { lens.Next(); return lens.Int() }
	case sproto.Type_STRUCT:
		read = func() any { return true }
	}
	if len(s.pos) != 0 {
		t.Fatalf("column %d: %d positions left over", id, len(s.pos))
	}
	if isPresent != nil && !isPresent() {
		return nil
	}
	return read()
}

// readDictionary reads a dictionary column's entries from the start of
// its LENGTH and DICTIONARY_DATA streams.
func readDictionary(t testing.TB, st *stripe, id int, enc *sproto.ColumnEncoding) []string {
	t.Helper()
	lens := newInts(st.streams[[2]int{id, int(sproto.Stream_LENGTH)}], enc, false)
	dict := bytes.NewReader(st.streams[[2]int{id, int(sproto.Stream_DICTIONARY_DATA)}])
	entries := make([]string, enc.GetDictionarySize())
	for k := range entries {
		b := make([]byte, lens.next())
		if _, err := io.ReadFull(dict, b); err != nil {
			t.Fatalf("column %d: DICTIONARY_DATA: %v", id, err)
		}
		entries[k] = string(b)
	}
	if dict.Len() != 0 {
		t.Fatalf("column %d: %d bytes of DICTIONARY_DATA left over", id, dict.Len())
	}
	return entries
}

// checkRowIndex seeks every top-level column to every row group with the
// row index, as a reader pruning row groups does, and checks that the value
// found is the group's first row and the group's statistics.
func checkRowIndex(t *testing.T, schema *arrow.Schema, data []byte, stride int) {
	t.Helper()
	rows := treeRead(t, data)
	tl := readTail(t, data)
	if tl.footer.GetRowIndexStride() != uint32(stride) {
		t.Fatalf("row index stride %d", tl.footer.GetRowIndexStride())
	}
	types := tl.footer.GetTypes()
	start := 0
	for _, st := range readStripes(t, data, tl) {
		n := int(st.info.GetNumberOfRows())
		for k, f := range schema.Fields() {
			id := int(types[0].GetSubtypes()[k])
			var index sproto.RowIndex
			if err := gproto.Unmarshal(st.streams[[2]int{id, int(sproto.Stream_ROW_INDEX)}], &index); err != nil {
				t.Fatalf("row index: %v", err)
			}
			if want := (n + stride - 1) / stride; len(index.GetEntry()) != want {
				t.Fatalf("%s: %d row index entries, want %d", f.Name, len(index.GetEntry()), want)
			}
			for gi, e := range index.GetEntry() {
				row := start + gi*stride
				got := valueAt(t, tl, st, id, e)
				want := rows[row][k]
				switch w := want.(type) {
				case []any:
					want = int64(len(w))
				case []kv:
					want = int64(len(w))
				case map[string]any:
					want = true
				}
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("%s: group %d (row %d): seek finds %#v, want %#v", f.Name, gi, row, got, want)
				}
				end := min(start+n, row+stride)
				var vals []any
				for _, r := range rows[row:end] {
					vals = append(vals, r[k])
				}
				checkStats(t, fmt.Sprintf("%s group %d", f.Name, gi), e.GetStatistics(), vals)
			}
		}
		start += n
	}
}

// TestRowIndex seeks every top-level column to every row group with the row
// index, as a reader pruning row groups does, and checks that the value
// found is the group's first row; it also checks the groups' statistics.
func TestRowIndex(t *testing.T) {
	schema := allTypesSchema()
	for _, comp := range []string{"NONE", "ZLIB", "SNAPPY"} {
		for _, version := range []string{"V0_11", "V0_12"} {
			t.Run(comp+"/"+version, func(t *testing.T) {
				g := &gen{r: rand.New(rand.NewPCG(3, 0)), nullProb: 0.2}
				rec := g.batch(schema, 5000)
				defer rec.Release()
				const stride = 300
				data := writeFile(t, schema, Options{Compression: comp, FormatVersion: version,
					RowIndexStride: stride, StripeSizeBytes: 100 << 10}, rec)
				checkRowIndex(t, schema, data, stride)
			})
		}
	}
}

// TestNoRowIndex checks that a negative stride writes no index at all.
func TestNoRowIndex(t *testing.T) {
	schema := allTypesSchema()
	g := &gen{r: rand.New(rand.NewPCG(4, 0)), nullProb: 0.1}
	rec := g.batch(schema, 1000)
	defer rec.Release()
	data := writeFile(t, schema, Options{RowIndexStride: -1}, rec)
	tl := readTail(t, data)
	if tl.footer.GetRowIndexStride() != 0 {
		t.Errorf("row index stride %d, want 0", tl.footer.GetRowIndexStride())
	}
	for _, st := range readStripes(t, data, tl) {
		if st.info.GetIndexLength() != 0 {
			t.Errorf("index length %d, want 0", st.info.GetIndexLength())
		}
	}
	compareRows(t, schema, treeRead(t, data), hiveAdjusted(schema, expectedRows(rec)))
}
