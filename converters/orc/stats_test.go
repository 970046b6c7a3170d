package orc

import (
	"bytes"
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
	gproto "github.com/golang/protobuf/proto"
	sproto "github.com/scritchley/orc/proto"
	"google.golang.org/protobuf/encoding/protowire"
)

// unknownField returns the varint (or length-delimited bytes) of a field
// that scritchley/orc's older protobuf definitions do not know.
func unknownField(raw []byte, num protowire.Number) (uint64, []byte, bool) {
	for len(raw) > 0 {
		n, typ, l := protowire.ConsumeTag(raw)
		raw = raw[l:]
		switch typ {
		case protowire.VarintType:
			v, l := protowire.ConsumeVarint(raw)
			if n == num {
				return v, nil, true
			}
			raw = raw[l:]
		case protowire.BytesType:
			v, l := protowire.ConsumeBytes(raw)
			if n == num {
				return 0, v, true
			}
			raw = raw[l:]
		default:
			l := protowire.ConsumeFieldValue(n, typ, raw)
			raw = raw[l:]
		}
	}
	return 0, nil, false
}

// checkStats checks a column's statistics against its canonical values,
// computed here from the values and not by the writer's code.
func checkStats(t *testing.T, where string, cs *sproto.ColumnStatistics, vals []any) {
	t.Helper()
	var nonNull []any
	for _, v := range vals {
		if v != nil {
			nonNull = append(nonNull, v)
		}
	}
	if got := cs.GetNumberOfValues(); got != uint64(len(nonNull)) {
		t.Errorf("%s: number of values %d, want %d (nulls excluded)", where, got, len(nonNull))
	}
	if got, want := cs.GetHasNull(), len(nonNull) < len(vals); got != want {
		t.Errorf("%s: hasNull %v, want %v", where, got, want)
	}
	if len(nonNull) == 0 {
		return
	}
	switch nonNull[0].(type) {
	case bool:
		trues := uint64(0)
		for _, v := range nonNull {
			if v.(bool) {
				trues++
			}
		}
		if c := cs.GetBucketStatistics().GetCount(); len(c) != 1 || c[0] != trues {
			t.Errorf("%s: bucket counts %v, want [%d] (true count)", where, c, trues)
		}
	case int64:
		is := cs.GetIntStatistics()
		if is == nil {
			// Dates are int64 in canonical form only for integer columns.
			t.Fatalf("%s: no integer statistics", where)
		}
		mn, mx := nonNull[0].(int64), nonNull[0].(int64)
		sum := new(big.Int)
		prefixOverflow := false
		for _, v := range nonNull {
			x := v.(int64)
			mn, mx = min(mn, x), max(mx, x)
			sum.Add(sum, big.NewInt(x))
			prefixOverflow = prefixOverflow || !sum.IsInt64()
		}
		if is.GetMinimum() != mn || is.GetMaximum() != mx {
			t.Errorf("%s: min/max %d/%d, want %d/%d", where, is.GetMinimum(), is.GetMaximum(), mn, mx)
		}
		// ORC drops the sum if it overflows at any point of the
		// calculation. A recorded sum must be exact; a sum that does not
		// fit must be absent; an absent sum needs an overflow on the way.
		switch {
		case is.Sum != nil && (!sum.IsInt64() || is.GetSum() != sum.Int64()):
			t.Errorf("%s: sum %d, want %v", where, is.GetSum(), sum)
		case is.Sum == nil && !prefixOverflow:
			t.Errorf("%s: no sum, want %v", where, sum)
		}
	case fbits:
		ds := cs.GetDoubleStatistics()
		mn, mx, sum := math.Inf(1), math.Inf(-1), 0.0
		for _, v := range nonNull {
			x := math.Float64frombits(uint64(v.(fbits)))
			sum += x
			if !math.IsNaN(x) {
				mn, mx = math.Min(mn, x), math.Max(mx, x)
			}
		}
		if mn > mx { // only NaNs: the writer records NaN bounds, as ORC Java does
			if !math.IsNaN(ds.GetMinimum()) || !math.IsNaN(ds.GetMaximum()) {
				t.Errorf("%s: min/max %v/%v, want NaN/NaN", where, ds.GetMinimum(), ds.GetMaximum())
			}
		} else if ds.GetMinimum() != mn || ds.GetMaximum() != mx {
			t.Errorf("%s: min/max %v/%v, want %v/%v", where, ds.GetMinimum(), ds.GetMaximum(), mn, mx)
		}
		switch got := ds.GetSum(); {
		case math.IsInf(sum, 0):
			// An overflowed sum is left out, as the specification says.
			if ds.Sum != nil {
				t.Errorf("%s: sum %v, want none (it overflows)", where, got)
			}
		case !(got == sum || (math.IsNaN(got) && math.IsNaN(sum))):
			t.Errorf("%s: sum %v, want %v", where, got, sum)
		}
	case string:
		ss := cs.GetStringStatistics()
		mn, mx, sum := nonNull[0].(string), nonNull[0].(string), int64(0)
		for _, v := range nonNull {
			x := v.(string)
			mn, mx = min(mn, x), max(mx, x)
			sum += int64(len(x))
		}
		if ss.GetMinimum() != mn || ss.GetMaximum() != mx || ss.GetSum() != sum {
			t.Errorf("%s: min/max/sum %q/%q/%d, want %q/%q/%d", where, ss.GetMinimum(), ss.GetMaximum(), ss.GetSum(), mn, mx, sum)
		}
	case []byte:
		sum := int64(0)
		for _, v := range nonNull {
			sum += int64(len(v.([]byte)))
		}
		if got := cs.GetBinaryStatistics().GetSum(); got != sum {
			t.Errorf("%s: binary sum %d, want %d", where, got, sum)
		}
	case date:
		ds := cs.GetDateStatistics()
		mn, mx := nonNull[0].(date), nonNull[0].(date)
		for _, v := range nonNull {
			mn, mx = min(mn, v.(date)), max(mx, v.(date))
		}
		if date(ds.GetMinimum()) != mn || date(ds.GetMaximum()) != mx {
			t.Errorf("%s: date min/max %d/%d, want %d/%d", where, ds.GetMinimum(), ds.GetMaximum(), mn, mx)
		}
	case time.Time:
		ts := cs.GetTimestampStatistics()
		mn, mx := nonNull[0].(time.Time), nonNull[0].(time.Time)
		for _, v := range nonNull {
			x := v.(time.Time)
			if x.Before(mn) {
				mn = x
			}
			if x.After(mx) {
				mx = x
			}
		}
		// Milliseconds since the epoch, floored.
		ms := func(x time.Time) int64 { return x.Unix()*1000 + int64(x.Nanosecond()/1e6) }
		if ts.GetMinimumUtc() != ms(mn) || ts.GetMaximumUtc() != ms(mx) || ts.GetMinimum() != ms(mn) || ts.GetMaximum() != ms(mx) {
			t.Errorf("%s: timestamp min/max %d/%d utc %d/%d, want %d/%d ms", where,
				ts.GetMinimum(), ts.GetMaximum(), ts.GetMinimumUtc(), ts.GetMaximumUtc(), ms(mn), ms(mx))
		}
		raw := gproto.MessageReflect(ts).GetUnknown()
		minNs, _, ok1 := unknownField(raw, 5)
		maxNs, _, ok2 := unknownField(raw, 6)
		if !ok1 || !ok2 || int(minNs) != mn.Nanosecond()%1e6+1 || int(maxNs) != mx.Nanosecond()%1e6+1 {
			t.Errorf("%s: sub-millisecond nanos %d/%d, want %d/%d (plus one)", where, minNs, maxNs, mn.Nanosecond()%1e6+1, mx.Nanosecond()%1e6+1)
		}
	case dec:
		ds := cs.GetDecimalStatistics()
		rat := func(d dec) *big.Rat {
			n, _ := new(big.Int).SetString(d.unscaled, 10)
			return new(big.Rat).SetFrac(n, new(big.Int).Exp(big.NewInt(10), big.NewInt(d.scale), nil))
		}
		mn, mx, sum := rat(nonNull[0].(dec)), rat(nonNull[0].(dec)), new(big.Rat)
		overflow := false
		limit := new(big.Rat).SetFrac(new(big.Int).Exp(big.NewInt(10), big.NewInt(38), nil), new(big.Int).Exp(big.NewInt(10), big.NewInt(nonNull[0].(dec).scale), nil))
		for _, v := range nonNull {
			x := rat(v.(dec))
			if x.Cmp(mn) < 0 {
				mn = x
			}
			if x.Cmp(mx) > 0 {
				mx = x
			}
			sum.Add(sum, x)
			if new(big.Rat).Abs(sum).Cmp(limit) >= 0 {
				overflow = true
			}
		}
		if bigDec(t, ds.GetMinimum()).Cmp(mn) != 0 || bigDec(t, ds.GetMaximum()).Cmp(mx) != 0 {
			t.Errorf("%s: decimal min/max %s/%s, want %s/%s", where, ds.GetMinimum(), ds.GetMaximum(), mn.FloatString(10), mx.FloatString(10))
		}
		switch {
		case overflow && ds.Sum != nil:
			t.Errorf("%s: decimal sum %s recorded although it overflows 38 digits", where, ds.GetSum())
		case !overflow && (ds.Sum == nil || bigDec(t, ds.GetSum()).Cmp(sum) != 0):
			t.Errorf("%s: decimal sum %v, want %s", where, ds.Sum, sum.FloatString(10))
		}
	case []any, []kv:
		lens := []uint64{}
		total := uint64(0)
		for _, v := range nonNull {
			n := uint64(0)
			switch x := v.(type) {
			case []any:
				n = uint64(len(x))
			case []kv:
				n = uint64(len(x))
			}
			lens = append(lens, n)
			total += n
		}
		_, coll, ok := unknownField(gproto.MessageReflect(cs).GetUnknown(), 12)
		if !ok {
			t.Fatalf("%s: no collection statistics", where)
		}
		mn, _, _ := unknownField(coll, 1)
		mx, _, _ := unknownField(coll, 2)
		tot, _, _ := unknownField(coll, 3)
		wmn, wmx := lens[0], lens[0]
		for _, n := range lens {
			wmn, wmx = min(wmn, n), max(wmx, n)
		}
		if mn != wmn || mx != wmx || tot != total {
			t.Errorf("%s: children min/max/total %d/%d/%d, want %d/%d/%d", where, mn, mx, tot, wmn, wmx, total)
		}
	}
}

// TestStatistics checks file and stripe statistics of every top-level
// column against the values read back.
func TestStatistics(t *testing.T) {
	schema := allTypesSchema()
	for _, nullProb := range []float64{0, 0.3} {
		g := &gen{r: rand.New(rand.NewPCG(7, uint64(nullProb*10))), nullProb: nullProb}
		rec := g.batch(schema, 4000)
		defer rec.Release()
		data := writeFile(t, schema, Options{StripeSizeBytes: 64 << 10, RowIndexStride: 500}, rec)
		rows := treeRead(t, data)
		tl := readTail(t, data)
		stripes := tl.footer.GetStripes()
		if len(stripes) < 2 {
			t.Fatalf("%d stripe(s), want several", len(stripes))
		}
		if n := len(tl.metadata.GetStripeStats()); n != len(stripes) {
			t.Fatalf("%d stripe statistics for %d stripes", n, len(stripes))
		}
		column := func(rows [][]any, k int) []any {
			var out []any
			for _, r := range rows {
				out = append(out, r[k])
			}
			return out
		}
		types := tl.footer.GetTypes()
		for k, f := range schema.Fields() {
			id := int(types[0].GetSubtypes()[k])
			checkStats(t, "file "+f.Name, tl.footer.GetStatistics()[id], column(rows, k))
			start := 0
			for s, si := range stripes {
				n := int(si.GetNumberOfRows())
				checkStats(t, "stripe "+f.Name, tl.metadata.GetStripeStats()[s].GetColStats()[id], column(rows[start:start+n], k))
				start += n
			}
		}
		if got := tl.footer.GetStatistics()[0].GetNumberOfValues(); got != 4000 {
			t.Errorf("root column counts %d rows, want 4000", got)
		}
	}
}

// TestStatisticsEdges covers what random data rarely reaches: integer sums
// that overflow, decimal sums past 38 digits, all-null columns, timestamps
// before 1970 with fractions, and long strings stored as bounds.
func TestStatisticsEdges(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "big", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "dec", Type: &arrow.Decimal128Type{Precision: 38, Scale: 0}, Nullable: true},
		{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Nanosecond}, Nullable: true},
		{Name: "none", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
		{Name: "long", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	nines := decimal128.GetScaleMultiplier(38).Sub(decimal128.FromI64(1))
	longMin := bytes.Repeat([]byte("a"), 2000)
	longMax := bytes.Repeat([]byte("z"), 2000)
	for i, v := range []int64{math.MaxInt64, 1, -5} {
		b.Field(0).(*array.Int64Builder).Append(v)
		b.Field(1).(*array.Decimal128Builder).Append(nines)
		b.Field(2).(*array.TimestampBuilder).Append(arrow.Timestamp([]int64{-1500000001, 1, -86400e9 + 999999999}[i]))
		b.Field(3).AppendNull()
		b.Field(4).(*array.StringBuilder).Append(string([][]byte{longMin, longMax, []byte("m")}[i]))
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	data := writeFile(t, schema, Options{}, rec)
	tl := readTail(t, data)
	st := tl.footer.GetStatistics()
	if is := st[1].GetIntStatistics(); is.Sum != nil || is.GetMaximum() != math.MaxInt64 || is.GetMinimum() != -5 {
		t.Errorf("bigint statistics %v: want min -5, max MaxInt64 and no sum (overflow)", is)
	}
	if ds := st[2].GetDecimalStatistics(); ds.Sum != nil || ds.GetMaximum() != nines.ToString(0) {
		t.Errorf("decimal statistics %v: want no sum (past 38 digits)", ds)
	}
	ts := st[3].GetTimestampStatistics()
	// -1.500000001 s floors to -1501 ms; -86399.000000001 s to -86399001 ms.
	if ts.GetMinimumUtc() != -86399001 || ts.GetMaximumUtc() != 0 {
		t.Errorf("timestamp min/max %d/%d ms, want -86399001/0", ts.GetMinimumUtc(), ts.GetMaximumUtc())
	}
	if none := st[4]; none.GetNumberOfValues() != 0 || !none.GetHasNull() || none.GetIntStatistics().Minimum != nil {
		t.Errorf("all-null column statistics %v", none)
	}
	ss := st[5].GetStringStatistics()
	_, lower, okL := unknownField(gproto.MessageReflect(ss).GetUnknown(), 4)
	_, upper, okU := unknownField(gproto.MessageReflect(ss).GetUnknown(), 5)
	if ss.Minimum != nil || ss.Maximum != nil || !okL || !okU ||
		!bytes.Equal(lower, longMin[:1024]) || !bytes.Equal(upper, append(bytes.Repeat([]byte("z"), 1023), '{')) {
		t.Errorf("long string statistics: min %v max %v lower %q upper %q", ss.Minimum, ss.Maximum, lower, upper)
	}
	compareRows(t, schema, treeRead(t, data), expectedRows(rec))
}
