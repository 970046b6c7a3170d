package orc

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"io"
	"math"
	"math/big"
	"testing"
	"time"

	gproto "github.com/golang/protobuf/proto"
	sorc "github.com/scritchley/orc"
	sproto "github.com/scritchley/orc/proto"
)

// scritchley/orc's high-level reader mishandles three things this writer
// writes: maps (it reads one entry too many per map), dates next to nulls
// (DateTreeReader.Value ignores the PRESENT stream) and decimals over 63 bits
// (its varint decoder shifts an int64). treeRead therefore assembles rows
// itself, following the specification's column layout, on top of
// scritchley/orc's protobuf messages, decompressors and run-length decoders:
// every byte-level decoding is still done by code that is not ours. The
// decoders for float bits and decimal varints (a few lines each) are here.

// stripe is one stripe's decompressed streams and footer.
type stripe struct {
	info    *sproto.StripeInformation
	footer  sproto.StripeFooter
	streams map[[2]int][]byte // (column, kind) → decompressed bytes
	raw     map[[2]int][]byte // (column, kind) → stored bytes
}

func readStripes(t testing.TB, data []byte, tl *tail) []*stripe {
	t.Helper()
	var out []*stripe
	for _, si := range tl.footer.GetStripes() {
		st := &stripe{info: si, streams: map[[2]int][]byte{}, raw: map[[2]int][]byte{}}
		off := si.GetOffset()
		fstart := off + si.GetIndexLength() + si.GetDataLength()
		if err := gproto.Unmarshal(decompress(t, &tl.ps, data[fstart:fstart+si.GetFooterLength()]), &st.footer); err != nil {
			t.Fatalf("stripe footer: %v", err)
		}
		pos := off
		for _, s := range st.footer.GetStreams() {
			raw := data[pos : pos+s.GetLength()]
			key := [2]int{int(s.GetColumn()), int(s.GetKind())}
			st.raw[key] = raw
			st.streams[key] = decompress(t, &tl.ps, raw)
			pos += s.GetLength()
		}
		if pos != fstart {
			t.Fatalf("streams end at %d, the stripe footer starts at %d", pos, fstart)
		}
		out = append(out, st)
	}
	return out
}

// colReader yields one canonical value per row of its column.
type colReader interface{ next() any }

type present struct{ r *sorc.BooleanReader }

func (p present) ok() bool {
	if p.r == nil {
		return true
	}
	if !p.r.Next() {
		panic("PRESENT stream ended early")
	}
	return p.r.Bool()
}

// ints reads an integer stream with the RLE version of the column encoding.
type ints struct{ r sorc.IntegerReader }

func newInts(b []byte, enc *sproto.ColumnEncoding, signed bool) ints {
	br := bufio.NewReader(bytes.NewReader(b))
	switch enc.GetKind() {
	case sproto.ColumnEncoding_DIRECT_V2, sproto.ColumnEncoding_DICTIONARY_V2:
		return ints{sorc.NewRunLengthIntegerReaderV2(br, signed, false)}
	}
	return ints{sorc.NewRunLengthIntegerReader(br, signed)}
}

func (i ints) next() int64 {
	if !i.r.Next() {
		panic("integer stream ended early")
	}
	return i.r.Int()
}

type funcReader func() any

func (f funcReader) next() any { return f() }

// treeReader builds the reader of column id for one stripe.
func treeReader(t testing.TB, types []*sproto.Type, st *stripe, id int) colReader {
	typ := types[id]
	enc := st.footer.GetColumns()[id]
	get := func(kind sproto.Stream_Kind) []byte {
		b, ok := st.streams[[2]int{id, int(kind)}]
		if !ok && kind != sproto.Stream_PRESENT {
			t.Fatalf("column %d has no %s stream", id, kind)
		}
		return b
	}
	var p present
	if b, ok := st.streams[[2]int{id, int(sproto.Stream_PRESENT)}]; ok {
		p = present{sorc.NewBooleanReader(bufio.NewReader(bytes.NewReader(b)))}
	}
	data := func() *bytes.Reader { return bytes.NewReader(get(sproto.Stream_DATA)) }
	wrap := func(f func() any) colReader {
		return funcReader(func() any {
			if !p.ok() {
				return nil
			}
			return f()
		})
	}
	switch typ.GetKind() {
	case sproto.Type_BOOLEAN:
		r := sorc.NewBooleanReader(bufio.NewReader(data()))
		return wrap(func() any { r.Next(); return r.Bool() })
	case sproto.Type_BYTE:
		r := sorc.NewRunLengthByteReader(bufio.NewReader(data()))
		return wrap(func() any { r.Next(); return int64(int8(r.Byte())) })
	case sproto.Type_SHORT, sproto.Type_INT, sproto.Type_LONG:
		r := newInts(get(sproto.Stream_DATA), enc, true)
		return wrap(func() any { return r.next() })
	case sproto.Type_DATE:
		r := newInts(get(sproto.Stream_DATA), enc, true)
		return wrap(func() any { return date(r.next()) })
	case sproto.Type_FLOAT:
		d := data()
		return wrap(func() any {
			var b [4]byte
			io.ReadFull(d, b[:])
			return fbits(math.Float64bits(float64(math.Float32frombits(binary.LittleEndian.Uint32(b[:])))))
		})
	case sproto.Type_DOUBLE:
		d := data()
		return wrap(func() any {
			var b [8]byte
			io.ReadFull(d, b[:])
			return fbits(binary.LittleEndian.Uint64(b[:]))
		})
	case sproto.Type_STRING, sproto.Type_CHAR, sproto.Type_VARCHAR, sproto.Type_BINARY:
		binaryKind := typ.GetKind() == sproto.Type_BINARY
		conv := func(b []byte) any {
			if binaryKind {
				return b
			}
			return string(b)
		}
		switch enc.GetKind() {
		case sproto.ColumnEncoding_DICTIONARY, sproto.ColumnEncoding_DICTIONARY_V2:
			lens := newInts(get(sproto.Stream_LENGTH), enc, false)
			dict := bytes.NewReader(get(sproto.Stream_DICTIONARY_DATA))
			entries := make([][]byte, enc.GetDictionarySize())
			for k := range entries {
				entries[k] = make([]byte, lens.next())
				io.ReadFull(dict, entries[k])
			}
			ids := newInts(get(sproto.Stream_DATA), enc, false)
			return wrap(func() any { return conv(entries[ids.next()]) })
		}
		lens := newInts(get(sproto.Stream_LENGTH), enc, false)
		d := data()
		return wrap(func() any {
			b := make([]byte, lens.next())
			if _, err := io.ReadFull(d, b); err != nil {
				t.Fatalf("column %d: DATA: %v", id, err)
			}
			return conv(b)
		})
	case sproto.Type_DECIMAL:
		d := bufio.NewReader(data())
		scales := newInts(get(sproto.Stream_SECONDARY), enc, true)
		return wrap(func() any {
			v := readBigVarint(t, d)
			return dec{v.String(), scales.next()}
		})
	case sproto.Type_TIMESTAMP:
		secs := newInts(get(sproto.Stream_DATA), enc, true)
		nanos := newInts(get(sproto.Stream_SECONDARY), enc, false)
		return wrap(func() any {
			sec := secs.next() + orcEpoch
			n := nanos.next()
			z := n & 7
			n >>= 3
			if z != 0 {
				for range z + 1 {
					n *= 10
				}
			}
			// The reader rule of ORC Java and C++ (ORC-763).
			if sec < 0 && n > 999999 {
				sec--
			}
			return time.Unix(sec, n).UTC()
		})
	case sproto.Type_LIST:
		lens := newInts(get(sproto.Stream_LENGTH), enc, false)
		child := treeReader(t, types, st, int(typ.GetSubtypes()[0]))
		return wrap(func() any {
			out := []any{}
			for range lens.next() {
				out = append(out, child.next())
			}
			return out
		})
	case sproto.Type_MAP:
		lens := newInts(get(sproto.Stream_LENGTH), enc, false)
		k := treeReader(t, types, st, int(typ.GetSubtypes()[0]))
		v := treeReader(t, types, st, int(typ.GetSubtypes()[1]))
		return wrap(func() any {
			out := []kv{}
			for range lens.next() {
				out = append(out, kv{k.next(), v.next()})
			}
			return out
		})
	case sproto.Type_STRUCT:
		var children []colReader
		for _, sub := range typ.GetSubtypes() {
			children = append(children, treeReader(t, types, st, int(sub)))
		}
		return wrap(func() any {
			out := map[string]any{}
			for k, c := range children {
				out[typ.GetFieldNames()[k]] = c.next()
			}
			return out
		})
	}
	t.Fatalf("column %d: kind %s", id, typ.GetKind())
	return nil
}

// readBigVarint decodes an unbounded zigzag base-128 varint.
func readBigVarint(t testing.TB, r io.ByteReader) *big.Int {
	v := new(big.Int)
	for shift := uint(0); ; shift += 7 {
		b, err := r.ReadByte()
		if err != nil {
			t.Fatalf("decimal varint: %v", err)
		}
		v.Or(v, new(big.Int).Lsh(big.NewInt(int64(b&0x7f)), shift))
		if b < 0x80 {
			break
		}
	}
	neg := v.Bit(0) == 1
	v.Rsh(v, 1)
	if neg {
		v.Add(v, big.NewInt(1)).Neg(v)
	}
	return v
}

// treeRead reads every row of a file with treeReader.
func treeRead(t testing.TB, data []byte) [][]any {
	t.Helper()
	tl := readTail(t, data)
	types := tl.footer.GetTypes()
	var rows [][]any
	for _, st := range readStripes(t, data, tl) {
		root := types[0]
		var cols []colReader
		for _, sub := range root.GetSubtypes() {
			cols = append(cols, treeReader(t, types, st, int(sub)))
		}
		for range st.info.GetNumberOfRows() {
			row := make([]any, len(cols))
			for k, c := range cols {
				row[k] = c.next()
			}
			rows = append(rows, row)
		}
	}
	if uint64(len(rows)) != tl.footer.GetNumberOfRows() {
		t.Fatalf("read %d rows, the footer says %d", len(rows), tl.footer.GetNumberOfRows())
	}
	return rows
}
