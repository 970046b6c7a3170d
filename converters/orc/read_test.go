package orc

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"math/big"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	gproto "github.com/golang/protobuf/proto"
	sorc "github.com/scritchley/orc"
	sproto "github.com/scritchley/orc/proto"

	"github.com/wasmhose/wasmhose/converters/hive"
)

// The tests read files back with github.com/scritchley/orc, a reader that
// shares no code with this writer, and compare canonical values: nil, bool,
// int64, fbits (float bits), string, []byte, date, time.Time, dec, []any,
// []kv and map[string]any.

type fbits uint64

type date int64

// dec is a decimal as unscaled value and scale.
type dec struct {
	unscaled string
	scale    int64
}

type kv struct{ k, v any }

// expected converts row i of an Arrow array to its canonical value.
func expected(arr arrow.Array, i int) any {
	if arr.IsNull(i) {
		return nil
	}
	switch a := arr.(type) {
	case *array.Boolean:
		return a.Value(i)
	case *array.Int8:
		return int64(a.Value(i))
	case *array.Int16:
		return int64(a.Value(i))
	case *array.Int32:
		return int64(a.Value(i))
	case *array.Int64:
		return a.Value(i)
	case *array.Float32:
		return fbits(math.Float64bits(float64(a.Value(i))))
	case *array.Float64:
		return fbits(math.Float64bits(a.Value(i)))
	case *array.String:
		return a.Value(i)
	case *array.Binary:
		return append([]byte{}, a.Value(i)...)
	case *array.Date32:
		return date(a.Value(i))
	case *array.Timestamp:
		t := toTS(int64(a.Value(i)), a.DataType().(*arrow.TimestampType).Unit)
		return time.Unix(t.sec, int64(t.nsec)).UTC()
	case *array.Decimal128:
		return dec{a.Value(i).BigInt().String(), int64(a.DataType().(*arrow.Decimal128Type).Scale)}
	case *array.Map:
		s, e := a.ValueOffsets(i)
		entries := a.ListValues().(*array.Struct)
		out := []kv{}
		for j := int(s); j < int(e); j++ {
			out = append(out, kv{expected(entries.Field(0), j), expected(entries.Field(1), j)})
		}
		return out
	case *array.List:
		s, e := a.ValueOffsets(i)
		out := []any{}
		for j := int(s); j < int(e); j++ {
			out = append(out, expected(a.ListValues(), j))
		}
		return out
	case *array.Struct:
		out := map[string]any{}
		st := a.DataType().(*arrow.StructType)
		for k := 0; k < st.NumFields(); k++ {
			out[st.Field(k).Name] = expected(a.Field(k), i)
		}
		return out
	}
	panic(fmt.Sprintf("no canonical form for %T", arr))
}

// canonical converts a value read by scritchley/orc for an ORC type.
func canonical(v any) any {
	if v == nil {
		return nil
	}
	switch x := v.(type) {
	case bool, string:
		return x
	case int64:
		return x
	case int8:
		return int64(x)
	case sorc.Float:
		return fbits(math.Float64bits(float64(x)))
	case sorc.Double:
		return fbits(math.Float64bits(float64(x)))
	case []byte:
		return x
	case sorc.Date:
		return date(x.Unix() / 86400)
	case time.Time:
		// Java's and C++'s readers take one second off a negative second
		// count with more than 999,999 nanoseconds (ORC-763); scritchley's
		// does not, so the rule is applied here.
		sec, ns := x.Unix(), x.Nanosecond()
		if sec < 0 && ns > 999999 {
			sec--
		}
		return time.Unix(sec, int64(ns)).UTC()
	case sorc.Decimal:
		return dec{x.Int.String(), x.Scale}
	case []interface{}:
		out := []any{}
		for _, e := range x {
			out = append(out, canonical(e))
		}
		return out
	case []sorc.MapEntry:
		out := []kv{}
		for _, e := range x {
			out = append(out, kv{canonical(e.Key), canonical(e.Value)})
		}
		return out
	case sorc.Struct:
		out := map[string]any{}
		for name, e := range x {
			out[name] = canonical(e)
		}
		return out
	}
	panic(fmt.Sprintf("no canonical form for %T", v))
}

// readBack reads every row of an ORC file with scritchley/orc.
func readBack(t testing.TB, data []byte, names []string) ([][]any, *sorc.Reader) {
	t.Helper()
	r, err := sorc.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("scritchley/orc: open: %v", err)
	}
	c := r.Select(names...)
	var rows [][]any
	for c.Stripes() {
		for c.Next() {
			raw := c.Row()
			row := make([]any, len(raw))
			for k, v := range raw {
				row[k] = canonical(v)
			}
			rows = append(rows, row)
		}
	}
	if err := c.Err(); err != nil && err != io.EOF {
		t.Fatalf("scritchley/orc: read: %v", err)
	}
	return rows, r
}

// expectedRows converts record batches to canonical rows.
func expectedRows(recs ...arrow.RecordBatch) [][]any {
	var rows [][]any
	for _, rec := range recs {
		for i := 0; i < int(rec.NumRows()); i++ {
			row := make([]any, rec.NumCols())
			for k := range row {
				row[k] = expected(rec.Column(k), i)
			}
			rows = append(rows, row)
		}
	}
	return rows
}

// tail is the file tail decoded with scritchley/orc's protobuf definitions
// and decompressors.
type tail struct {
	ps       sproto.PostScript
	footer   sproto.Footer
	metadata sproto.Metadata
}

func readTail(t testing.TB, data []byte) *tail {
	t.Helper()
	var tl tail
	psLen := int(data[len(data)-1])
	psStart := len(data) - 1 - psLen
	if err := gproto.Unmarshal(data[psStart:len(data)-1], &tl.ps); err != nil {
		t.Fatalf("postscript: %v", err)
	}
	footStart := psStart - int(tl.ps.GetFooterLength())
	metaStart := footStart - int(tl.ps.GetMetadataLength())
	if err := gproto.Unmarshal(decompress(t, &tl.ps, data[footStart:psStart]), &tl.footer); err != nil {
		t.Fatalf("footer: %v", err)
	}
	if err := gproto.Unmarshal(decompress(t, &tl.ps, data[metaStart:footStart]), &tl.metadata); err != nil {
		t.Fatalf("metadata: %v", err)
	}
	return &tl
}

// decompress undoes a stream's chunk framing with scritchley/orc's codecs.
func decompress(t testing.TB, ps *sproto.PostScript, b []byte) []byte {
	t.Helper()
	var codec sorc.CompressionCodec
	switch ps.GetCompression() {
	case sproto.CompressionKind_NONE:
		codec = sorc.CompressionNone{}
	case sproto.CompressionKind_ZLIB:
		codec = sorc.CompressionZlib{}
	case sproto.CompressionKind_SNAPPY:
		codec = sorc.CompressionSnappy{}
	}
	out, err := io.ReadAll(codec.Decoder(bytes.NewReader(b)))
	if err != nil {
		t.Fatalf("decompress: %v", err)
	}
	return out
}

// bigDec parses a decimal statistic string to a rational.
func bigDec(t testing.TB, s string) *big.Rat {
	t.Helper()
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		t.Fatalf("decimal statistic %q does not parse", s)
	}
	return r
}

// fieldNames lists a schema's top-level names.
func fieldNames(s *arrow.Schema) []string {
	var out []string
	for _, f := range s.Fields() {
		out = append(out, f.Name)
	}
	return out
}

// hiveAdjusted applies char and varchar semantics to the expected rows of
// top-level char(n) and varchar(n) columns.
func hiveAdjusted(schema *arrow.Schema, rows [][]any) [][]any {
	for k, f := range schema.Fields() {
		i := f.Metadata.FindKey(hive.MetadataKey)
		if i < 0 {
			continue
		}
		ht, err := hive.ParseType(f.Metadata.Values()[i])
		if err != nil || (ht.Kind != hive.Char && ht.Kind != hive.Varchar) {
			continue
		}
		for _, row := range rows {
			if s, ok := row[k].(string); ok {
				if ht.Kind == hive.Char {
					row[k] = padChar(s, ht.Length)
				} else {
					row[k] = truncateChars(s, ht.Length)
				}
			}
		}
	}
	return rows
}
