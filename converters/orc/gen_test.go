package orc

import (
	"math"
	"math/big"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/wasmhose/wasmhose/converters/hive"
)

// gen fills Arrow builders with random values that reach the encoders'
// corners: extremes, runs, monotonic stretches, NaN and infinities, pre-1970
// timestamps with fractions, 38-digit decimals, empty and null lists and
// maps, and nulls at every level.
type gen struct {
	r        *rand.Rand
	nullProb float64
	prev     int64
	words    int // when > 0, strings are drawn from this many distinct ones
}

func hiveMeta(t string) arrow.Metadata {
	return arrow.NewMetadata([]string{hive.MetadataKey}, []string{t})
}

// allTypesSchema has every Hive type of the registry, nested ones included.
func allTypesSchema() *arrow.Schema {
	inner := arrow.StructOf(arrow.Field{Name: "x", Type: arrow.PrimitiveTypes.Float64, Nullable: true})
	st := arrow.StructOf(
		arrow.Field{Name: "a", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
		arrow.Field{Name: "b", Type: arrow.BinaryTypes.String, Nullable: true},
		arrow.Field{Name: "inner", Type: inner, Nullable: true},
	)
	kvs := arrow.StructOf(
		arrow.Field{Name: "k", Type: arrow.BinaryTypes.String, Nullable: true},
		arrow.Field{Name: "v", Type: arrow.ListOf(arrow.BinaryTypes.String), Nullable: true},
	)
	f := func(name string, dt arrow.DataType, hive string) arrow.Field {
		return arrow.Field{Name: name, Type: dt, Nullable: true, Metadata: hiveMeta(hive)}
	}
	return arrow.NewSchema([]arrow.Field{
		f("b", arrow.FixedWidthTypes.Boolean, "boolean"),
		f("ti", arrow.PrimitiveTypes.Int8, "tinyint"),
		f("si", arrow.PrimitiveTypes.Int16, "smallint"),
		f("i", arrow.PrimitiveTypes.Int32, "int"),
		f("bi", arrow.PrimitiveTypes.Int64, "bigint"),
		f("fl", arrow.PrimitiveTypes.Float32, "float"),
		f("db", arrow.PrimitiveTypes.Float64, "double"),
		f("dec", &arrow.Decimal128Type{Precision: 38, Scale: 10}, "decimal(38,10)"),
		f("dec2", &arrow.Decimal128Type{Precision: 10, Scale: 2}, "decimal(10,2)"),
		f("s", arrow.BinaryTypes.String, "string"),
		f("c", arrow.BinaryTypes.String, "char(5)"),
		f("vc", arrow.BinaryTypes.String, "varchar(4)"),
		f("dt", arrow.FixedWidthTypes.Date32, "date"),
		f("ts", &arrow.TimestampType{Unit: arrow.Nanosecond}, "timestamp"),
		f("bin", arrow.BinaryTypes.Binary, "binary"),
		f("arr", arrow.ListOf(arrow.PrimitiveTypes.Int32), "array<int>"),
		f("m", arrow.MapOf(arrow.BinaryTypes.String, arrow.PrimitiveTypes.Int32), "map<string,int>"),
		f("st", st, "struct<a:int,b:string,inner:struct<x:double>>"),
		f("la", arrow.ListOf(kvs), "array<struct<k:string,v:array<string>>>"),
		f("mm", arrow.MapOf(arrow.BinaryTypes.String, arrow.ListOf(arrow.PrimitiveTypes.Int64)), "map<string,array<bigint>>"),
	}, nil)
}

// batch builds n random rows of schema.
func (g *gen) batch(schema *arrow.Schema, n int) arrow.RecordBatch {
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	for k, f := range schema.Fields() {
		for i := 0; i < n; i++ {
			g.value(b.Field(k), f.Type, true)
		}
	}
	return b.NewRecordBatch()
}

func (g *gen) int64() int64 {
	switch g.r.IntN(8) {
	case 0:
		return g.prev // runs
	case 1:
		g.prev++
		return g.prev // monotonic stretches
	case 2:
		return [...]int64{math.MinInt64, math.MaxInt64, 0, -1, 1}[g.r.IntN(5)]
	case 3:
		g.prev = g.r.Int64() - g.r.Int64()
		return g.prev
	default:
		g.prev = g.r.Int64N(2000) - 1000
		return g.prev
	}
}

func (g *gen) string() string {
	if g.words > 0 {
		return [...]string{"", "w", "wé", "w€", "𝄞w"}[g.r.IntN(5)] + strconv.Itoa(g.r.IntN(g.words))
	}
	if g.r.IntN(4) == 0 {
		return [...]string{"", "a", "same", "ü€𝄞"}[g.r.IntN(4)]
	}
	var sb strings.Builder
	for range g.r.IntN(12) {
		sb.WriteRune([...]rune{'a', 'z', ' ', 'é', '€', '𝄞', '0'}[g.r.IntN(7)])
	}
	return sb.String()
}

func (g *gen) decimal(precision int32) decimal128.Num {
	limit := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(precision)), nil)
	var v *big.Int
	switch g.r.IntN(4) {
	case 0:
		v = new(big.Int).Sub(limit, big.NewInt(1)) // the largest
	case 1:
		v = new(big.Int).Sub(big.NewInt(1), limit) // the smallest
	default:
		v = new(big.Int).SetUint64(g.r.Uint64())
		v.Lsh(v, 64).Or(v, new(big.Int).SetUint64(g.r.Uint64()))
		v.Mod(v, limit)
	}
	if g.r.IntN(2) == 0 {
		v.Neg(v)
	}
	return decimal128.FromBigInt(v)
}

func (g *gen) timestamp() int64 {
	var v int64
	switch g.r.IntN(5) {
	case 0:
		v = -g.r.Int64N(1e18) // before 1970, any fraction
	case 1:
		v = g.r.Int64N(4e18)
	case 2:
		v = g.r.Int64N(1e9) * 1e9 // whole seconds
	case 3:
		v = -g.r.Int64N(1e12) * 1e6 // milliseconds before 1970
	default:
		v = g.r.Int64() // anywhere in 1677..2262
	}
	// ORC cannot represent instants in the second before the epoch with
	// more than 999,999 nanoseconds (see the package notes); step out of it.
	if v > -1e9 && v < 0 {
		v = -1e9 - v
	}
	return v
}

// value appends one random value (or null) of type dt to b.
func (g *gen) value(b array.Builder, dt arrow.DataType, nullable bool) {
	if nullable && g.r.Float64() < g.nullProb {
		b.AppendNull()
		return
	}
	switch bb := b.(type) {
	case *array.BooleanBuilder:
		bb.Append(g.r.IntN(2) == 0)
	case *array.Int8Builder:
		bb.Append(int8(g.int64()))
	case *array.Int16Builder:
		bb.Append(int16(g.int64()))
	case *array.Int32Builder:
		bb.Append(int32(g.int64()))
	case *array.Int64Builder:
		bb.Append(g.int64())
	case *array.Float32Builder:
		bb.Append([...]float32{float32(g.r.NormFloat64()), float32(math.NaN()), float32(math.Inf(1)), -0, math.MaxFloat32, 1.5}[g.r.IntN(6)])
	case *array.Float64Builder:
		bb.Append([...]float64{g.r.NormFloat64() * 1e6, math.NaN(), math.Inf(-1), -0, math.MaxFloat64, 2.25}[g.r.IntN(6)])
	case *array.Decimal128Builder:
		bb.Append(g.decimal(dt.(*arrow.Decimal128Type).Precision))
	case *array.StringBuilder:
		bb.Append(g.string())
	case *array.BinaryBuilder:
		p := make([]byte, g.r.IntN(10))
		for i := range p {
			p[i] = byte(g.r.IntN(256))
		}
		bb.Append(p)
	case *array.Date32Builder:
		bb.Append(arrow.Date32(g.r.Int32N(1600000) - 800000))
	case *array.TimestampBuilder:
		bb.Append(arrow.Timestamp(g.timestamp()))
	case *array.MapBuilder:
		mt := dt.(*arrow.MapType)
		bb.Append(true)
		for range g.r.IntN(4) {
			g.value(bb.KeyBuilder(), mt.KeyType(), false)
			g.value(bb.ItemBuilder(), mt.ItemType(), true)
		}
	case *array.ListBuilder:
		lt := dt.(*arrow.ListType)
		bb.Append(true)
		for range g.r.IntN(4) {
			g.value(bb.ValueBuilder(), lt.Elem(), true)
		}
	case *array.StructBuilder:
		st := dt.(*arrow.StructType)
		bb.Append(true)
		for k := 0; k < st.NumFields(); k++ {
			g.value(bb.FieldBuilder(k), st.Field(k).Type, true)
		}
	default:
		panic("gen: no generator for " + dt.String())
	}
}
