package hive

import (
	"errors"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
)

func TestParseType(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"boolean", "boolean"},
		{"TINYINT", "tinyint"},
		{"smallint", "smallint"},
		{"int", "int"},
		{"Integer", "int"},
		{"bigint", "bigint"},
		{"float", "float"},
		{"double", "double"},
		{"decimal", "decimal(10,0)"},
		{"decimal(5)", "decimal(5,0)"},
		{"decimal( 10 , 2 )", "decimal(10,2)"},
		{"numeric(38,38)", "decimal(38,38)"},
		{"string", "string"},
		{"char(1)", "char(1)"},
		{"varchar(65535)", "varchar(65535)"},
		{"date", "date"},
		{"timestamp", "timestamp"},
		{"binary", "binary"},
		{"array<string>", "array<string>"},
		{" array < array<int> > ", "array<array<int>>"},
		{"map<string,int>", "map<string,int>"},
		{"map<int, array<decimal(4,1)>>", "map<int,array<decimal(4,1)>>"},
		{"struct<a:int,B:string>", "struct<a:int,b:string>"},
		{"struct< x : struct<y:map<string,boolean>> , z:array<struct<q:date>> >", "struct<x:struct<y:map<string,boolean>>,z:array<struct<q:date>>>"},
		{"struct<`my field`:int>", "struct<my field:int>"},
		{"struct<first name:string>", "struct<first name:string>"},
		{"struct<`a:b`:int>", "struct<`a:b`:int>"},
		{"struct<` x`:int>", "struct<` x`:int>"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			typ, err := ParseType(tt.in)
			if err != nil {
				t.Fatalf("ParseType(%q): %v", tt.in, err)
			}
			if got := typ.String(); got != tt.want {
				t.Fatalf("ParseType(%q) = %q, want %q", tt.in, got, tt.want)
			}
			again, err := ParseType(typ.String())
			if err != nil || !again.Equal(typ) {
				t.Fatalf("canonical form %q does not parse back: %v", typ, err)
			}
		})
	}
}

func TestParseTypeErrors(t *testing.T) {
	tests := []struct {
		in, wantMsg string
	}{
		{"", "expected a type, found the end"},
		{"strng", `unknown type "strng"`},
		{"uniontype<int,string>", "uniontype is not supported"},
		{"decimal(39,2)", "decimal precision 39 is outside 1..38"},
		{"decimal(0)", "decimal precision 0"},
		{"decimal(5,6)", "scale 6 is larger than its precision 5"},
		{"decimal(5,", "expected a number"},
		{"char", `expected '('`},
		{"char(256)", "char length 256 is outside 1..255"},
		{"varchar(0)", "varchar length 0"},
		{"varchar(99999999999999999999)", "number out of range"},
		{"array<int", `expected '>', found the end`},
		{"array<>", "expected a type"},
		{"map<array<int>,int>", "a map key must be a primitive type, not array<int>"},
		{"map<string>", `expected ','`},
		{"struct<>", "at least one field"},
		{"struct<a:int,A:string>", `duplicate struct field "a"`},
		{"struct<:int>", "missing field name"},
		{"struct<a int>", `expected ':'`},
		{"int int", `unexpected "int" after the type`},
		{"struct<`a:int>", "unterminated quoted field name"},
		{strings.Repeat("array<", 200) + "int" + strings.Repeat(">", 200), "nested more than 100 deep"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := ParseType(tt.in)
			if err == nil {
				t.Fatalf("ParseType(%q) succeeded", tt.in)
			}
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("error %v is not a *SyntaxError", err)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Fatalf("ParseType(%q) error %q does not contain %q", tt.in, err, tt.wantMsg)
			}
		})
	}
}

func TestArrowSchema(t *testing.T) {
	cols := []Column{
		{"Flag", "boolean"}, {"t", "tinyint"}, {"s", "smallint"}, {"i", "int"}, {"b", "bigint"},
		{"f", "float"}, {"d", "double"}, {"dec", "decimal(10,2)"}, {"str", "string"},
		{"c", "char(3)"}, {"v", "varchar(20)"}, {"day", "date"}, {"ts", "timestamp"},
		{"bin", "binary"}, {"tags", "array<string>"}, {"counts", "map<string,int>"},
		{"geo", "struct<lat:double,lon:double>"},
	}
	schema, err := ArrowSchema(cols)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"bool", "int8", "int16", "int32", "int64", "float32", "float64", "decimal(10, 2)",
		"utf8", "utf8", "utf8", "date32", "timestamp[ns]", "binary",
		"list<element: utf8, nullable>", "map<utf8, int32, items_nullable>",
		"struct<lat: float64 nullable, lon: float64 nullable>",
	}
	for i, f := range schema.Fields() {
		if got := f.Type.String(); got != want[i] {
			t.Errorf("column %s: Arrow type %s, want %s", f.Name, got, want[i])
		}
		if !f.Nullable {
			t.Errorf("column %s is not nullable", f.Name)
		}
		back, err := FromArrow(f)
		if err != nil {
			t.Fatalf("FromArrow(%s): %v", f.Name, err)
		}
		wantType, _ := ParseType(cols[i].Type)
		if !back.Equal(wantType) {
			t.Errorf("column %s: FromArrow = %s, want %s", f.Name, back, wantType)
		}
		// Without metadata the type is derived from Arrow alone; char and
		// varchar come back as string.
		plain := f
		plain.Metadata = arrow.Metadata{}
		derived, err := FromArrow(plain)
		if err != nil {
			t.Fatalf("FromArrow(%s) without metadata: %v", f.Name, err)
		}
		if wantType.Kind == Char || wantType.Kind == Varchar {
			wantType = &Type{Kind: String}
		}
		if !derived.Equal(wantType) {
			t.Errorf("column %s: derived %s, want %s", f.Name, derived, wantType)
		}
	}
	if schema.Field(0).Name != "flag" {
		t.Errorf("column names are not lower-cased: %q", schema.Field(0).Name)
	}
}

func TestArrowSchemaErrors(t *testing.T) {
	tests := []struct {
		cols []Column
		want string
	}{
		{[]Column{{"a", "int"}, {"price", "decimal(50,2)"}}, `column "price" has an invalid type "decimal(50,2)"`},
		{[]Column{{"a", "int"}, {"A", "string"}}, `duplicate column name "a"`},
		{[]Column{{" ", "int"}}, "empty column name"},
	}
	for _, tt := range tests {
		_, err := ArrowSchema(tt.cols)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ArrowSchema(%v) = %v, want an error containing %q", tt.cols, err, tt.want)
		}
	}
}

func TestFromArrowUnsupported(t *testing.T) {
	_, err := FromArrow(arrow.Field{Name: "x", Type: arrow.PrimitiveTypes.Uint32})
	if err == nil || !strings.Contains(err.Error(), "no Hive equivalent") {
		t.Fatalf("FromArrow(uint32) = %v", err)
	}
}

func FuzzParseType(f *testing.F) {
	for _, s := range []string{"int", "decimal(10,2)", "array<map<string,struct<a:int,b:array<char(3)>>>>", "struct<`x y`:binary>", "varchar(9)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		typ, err := ParseType(s)
		if err != nil {
			return
		}
		canon := typ.String()
		again, err := ParseType(canon)
		if err != nil {
			t.Fatalf("canonical %q of %q does not parse: %v", canon, s, err)
		}
		if again.String() != canon {
			t.Fatalf("canonical form is not stable: %q then %q", canon, again.String())
		}
		_ = ArrowType(typ)
	})
}
