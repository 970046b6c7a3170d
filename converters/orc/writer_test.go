package orc

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

func TestSmoke(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "a", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	for i := 0; i < 100; i++ {
		b.Field(0).(*array.Int64Builder).Append(int64(i * i))
		if i%7 == 0 {
			b.Field(1).AppendNull()
		} else {
			b.Field(1).(*array.StringBuilder).Append("x")
		}
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	for _, comp := range []string{"NONE", "ZLIB", "SNAPPY"} {
		var buf bytes.Buffer
		w, err := NewWriter(&buf, schema, Options{Compression: comp})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Write(rec); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		got, _ := readBack(t, buf.Bytes(), fieldNames(schema))
		want := expectedRows(rec)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: got %v\nwant %v", comp, got, want)
		}
	}
}
