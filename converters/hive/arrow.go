package hive

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
)

// MetadataKey is the Arrow field metadata key holding a field's canonical
// Hive type string.
const MetadataKey = "hive.type"

// Column is one table column: a name and a Hive type string, as in a Glue
// table's StorageDescriptor.Columns.
type Column struct {
	// Name is the column name; Hive lower-cases it.
	Name string
	// Type is the Hive type string.
	Type string
}

// ColumnError says which column of a schema is wrong.
type ColumnError struct {
	// Column is the column's name.
	Column string
	// Type is the type string as given.
	Type string
	// Err is the cause.
	Err error
}

// Error implements error.
func (e *ColumnError) Error() string {
	return fmt.Sprintf("column %q has an invalid type %q: %v", e.Column, e.Type, e.Err)
}

// Unwrap returns the cause.
func (e *ColumnError) Unwrap() error { return e.Err }

// ParseColumns parses every column's type. Names are lower-cased; an empty
// or duplicate name (after lower-casing) is an error naming the column.
func ParseColumns(cols []Column) ([]Field, error) {
	out := make([]Field, 0, len(cols))
	seen := make(map[string]bool, len(cols))
	for _, c := range cols {
		name := strings.ToLower(strings.TrimSpace(c.Name))
		if name == "" {
			return nil, &ColumnError{Column: c.Name, Type: c.Type, Err: fmt.Errorf("empty column name")}
		}
		if seen[name] {
			return nil, &ColumnError{Column: c.Name, Type: c.Type, Err: fmt.Errorf("duplicate column name %q", name)}
		}
		seen[name] = true
		t, err := ParseType(c.Type)
		if err != nil {
			return nil, &ColumnError{Column: c.Name, Type: c.Type, Err: err}
		}
		out = append(out, Field{Name: name, Type: t})
	}
	return out, nil
}

// ArrowSchema parses the columns and returns the Arrow schema every
// converter uses for them.
func ArrowSchema(cols []Column) (*arrow.Schema, error) {
	fields, err := ParseColumns(cols)
	if err != nil {
		return nil, err
	}
	return SchemaOf(fields), nil
}

// SchemaOf returns the Arrow schema of already parsed fields.
func SchemaOf(fields []Field) *arrow.Schema {
	af := make([]arrow.Field, len(fields))
	for i, f := range fields {
		af[i] = ArrowField(f.Name, f.Type)
	}
	return arrow.NewSchema(af, nil)
}

// ArrowField returns a nullable Arrow field of type t, with MetadataKey
// set to t's canonical spelling.
func ArrowField(name string, t *Type) arrow.Field {
	return arrow.Field{
		Name:     name,
		Type:     ArrowType(t),
		Nullable: true,
		Metadata: arrow.NewMetadata([]string{MetadataKey}, []string{t.String()}),
	}
}

// ArrowType returns the Arrow type of t (see the package documentation).
func ArrowType(t *Type) arrow.DataType {
	switch t.Kind {
	case Boolean:
		return arrow.FixedWidthTypes.Boolean
	case TinyInt:
		return arrow.PrimitiveTypes.Int8
	case SmallInt:
		return arrow.PrimitiveTypes.Int16
	case Int:
		return arrow.PrimitiveTypes.Int32
	case BigInt:
		return arrow.PrimitiveTypes.Int64
	case Float:
		return arrow.PrimitiveTypes.Float32
	case Double:
		return arrow.PrimitiveTypes.Float64
	case Decimal:
		return &arrow.Decimal128Type{Precision: int32(t.Precision), Scale: int32(t.Scale)}
	case String, Char, Varchar:
		return arrow.BinaryTypes.String
	case Date:
		return arrow.FixedWidthTypes.Date32
	case Timestamp:
		return &arrow.TimestampType{Unit: arrow.Nanosecond}
	case Binary:
		return arrow.BinaryTypes.Binary
	case Array:
		return arrow.ListOfField(ArrowField("element", t.Elem))
	case Map:
		m := arrow.MapOfWithMetadata(ArrowType(t.Key), arrow.NewMetadata([]string{MetadataKey}, []string{t.Key.String()}),
			ArrowType(t.Value), arrow.NewMetadata([]string{MetadataKey}, []string{t.Value.String()}))
		return m
	case Struct:
		fs := make([]arrow.Field, len(t.Fields))
		for i, f := range t.Fields {
			fs[i] = ArrowField(f.Name, f.Type)
		}
		return arrow.StructOf(fs...)
	}
	panic(fmt.Sprintf("hive: ArrowType of invalid kind %d", t.Kind))
}

// FromArrow returns the Hive type of an Arrow field: the MetadataKey
// metadata when present, otherwise derived from the Arrow type (string for
// String, timestamp for any Timestamp unit, and so on). Types with no Hive
// equivalent are an error.
func FromArrow(f arrow.Field) (*Type, error) {
	if i := f.Metadata.FindKey(MetadataKey); i >= 0 {
		t, err := ParseType(f.Metadata.Values()[i])
		if err != nil {
			return nil, fmt.Errorf("field %q: %w", f.Name, err)
		}
		return t, nil
	}
	return fromArrowType(f.Name, f.Type)
}

func fromArrowType(name string, dt arrow.DataType) (*Type, error) {
	switch dt := dt.(type) {
	case *arrow.BooleanType:
		return &Type{Kind: Boolean}, nil
	case *arrow.Int8Type:
		return &Type{Kind: TinyInt}, nil
	case *arrow.Int16Type:
		return &Type{Kind: SmallInt}, nil
	case *arrow.Int32Type:
		return &Type{Kind: Int}, nil
	case *arrow.Int64Type:
		return &Type{Kind: BigInt}, nil
	case *arrow.Float32Type:
		return &Type{Kind: Float}, nil
	case *arrow.Float64Type:
		return &Type{Kind: Double}, nil
	case *arrow.Decimal128Type:
		return &Type{Kind: Decimal, Precision: int(dt.Precision), Scale: int(dt.Scale)}, nil
	case *arrow.StringType, *arrow.LargeStringType:
		return &Type{Kind: String}, nil
	case *arrow.Date32Type:
		return &Type{Kind: Date}, nil
	case *arrow.TimestampType:
		return &Type{Kind: Timestamp}, nil
	case *arrow.BinaryType, *arrow.LargeBinaryType:
		return &Type{Kind: Binary}, nil
	case *arrow.MapType:
		k, err := FromArrow(dt.KeyField())
		if err != nil {
			return nil, err
		}
		v, err := FromArrow(dt.ItemField())
		if err != nil {
			return nil, err
		}
		return &Type{Kind: Map, Key: k, Value: v}, nil
	case *arrow.ListType:
		e, err := FromArrow(dt.ElemField())
		if err != nil {
			return nil, err
		}
		return &Type{Kind: Array, Elem: e}, nil
	case *arrow.StructType:
		t := &Type{Kind: Struct}
		for _, f := range dt.Fields() {
			ft, err := FromArrow(f)
			if err != nil {
				return nil, err
			}
			t.Fields = append(t.Fields, Field{Name: strings.ToLower(f.Name), Type: ft})
		}
		return t, nil
	}
	return nil, fmt.Errorf("field %q: Arrow type %s has no Hive equivalent", name, dt)
}
