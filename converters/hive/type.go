// Package hive parses Hive column type strings, as stored in a Glue table's
// StorageDescriptor.Columns, and maps them to Arrow types.
//
// The grammar is Hive's: the primitives boolean, tinyint, smallint, int
// (alias integer), bigint, float, double, decimal[(p[,s])], string,
// char(n), varchar(n), date, timestamp and binary, and the complex types
// array<T>, map<K,V> and struct<name:T,...>. Keywords are case-insensitive
// and blanks between tokens are ignored; uniontype is refused, as Firehose's
// SerDes refuse it.
//
// # The Arrow mapping
//
// Every converter (the JSON decoders, the Parquet and ORC writers) uses the
// same Arrow representation, fixed by ArrowType:
//
//	boolean                    Boolean
//	tinyint/smallint/int/bigint Int8/Int16/Int32/Int64
//	float/double               Float32/Float64
//	decimal(p,s)               Decimal128(p,s)  (bare decimal is decimal(10,0))
//	string, char(n), varchar(n) String
//	date                       Date32
//	timestamp                  Timestamp(ns), no time zone, values in UTC
//	binary                     Binary
//	array<T>                   List of T, element field "element"
//	map<K,V>                   Map, keys not null, values nullable
//	struct<...>                Struct, every field nullable
//
// Field names are lower-cased, as Hive stores them. Every field produced by
// ArrowField carries metadata MetadataKey with its canonical Hive type, so a
// writer can recover what Arrow does not say (char and varchar lengths).
package hive

import (
	"fmt"
	"strconv"
	"strings"
)

// Kind is a Hive type's category.
type Kind int

// The Hive type kinds.
const (
	Invalid Kind = iota
	Boolean
	TinyInt
	SmallInt
	Int
	BigInt
	Float
	Double
	Decimal
	String
	Char
	Varchar
	Date
	Timestamp
	Binary
	Array
	Map
	Struct
)

// Limits of Hive's parameterised types.
const (
	// MaxDecimalPrecision is the largest decimal precision Hive allows.
	MaxDecimalPrecision = 38
	// DefaultDecimalPrecision and DefaultDecimalScale apply to a bare "decimal".
	DefaultDecimalPrecision = 10
	DefaultDecimalScale     = 0
	// MaxCharLength is the longest char(n).
	MaxCharLength = 255
	// MaxVarcharLength is the longest varchar(n).
	MaxVarcharLength = 65535
	// maxDepth bounds nesting so a hostile type string cannot exhaust the stack.
	maxDepth = 100
)

var primitiveNames = map[string]Kind{
	"boolean":   Boolean,
	"tinyint":   TinyInt,
	"smallint":  SmallInt,
	"int":       Int,
	"integer":   Int,
	"bigint":    BigInt,
	"float":     Float,
	"double":    Double,
	"string":    String,
	"date":      Date,
	"timestamp": Timestamp,
	"binary":    Binary,
}

var kindNames = [...]string{
	Invalid: "invalid", Boolean: "boolean", TinyInt: "tinyint", SmallInt: "smallint",
	Int: "int", BigInt: "bigint", Float: "float", Double: "double", Decimal: "decimal",
	String: "string", Char: "char", Varchar: "varchar", Date: "date",
	Timestamp: "timestamp", Binary: "binary", Array: "array", Map: "map", Struct: "struct",
}

// String returns the kind's Hive keyword.
func (k Kind) String() string {
	if k < 0 || int(k) >= len(kindNames) {
		return "invalid"
	}
	return kindNames[k]
}

// Primitive reports whether the kind has no children.
func (k Kind) Primitive() bool { return k != Invalid && k < Array }

// Type is a parsed Hive type.
type Type struct {
	// Kind is the category.
	Kind Kind
	// Precision and Scale are set for Decimal.
	Precision, Scale int
	// Length is set for Char and Varchar.
	Length int
	// Elem is the element type of an Array.
	Elem *Type
	// Key and Value are a Map's types.
	Key, Value *Type
	// Fields are a Struct's fields, in order.
	Fields []Field
}

// Field is one member of a struct type.
type Field struct {
	// Name is the field name, lower-cased.
	Name string
	// Type is the field's type.
	Type *Type
}

// String returns the canonical Hive spelling: lower-case keywords, no
// blanks, decimal always with precision and scale.
func (t *Type) String() string {
	var b strings.Builder
	t.write(&b)
	return b.String()
}

func (t *Type) write(b *strings.Builder) {
	switch t.Kind {
	case Decimal:
		fmt.Fprintf(b, "decimal(%d,%d)", t.Precision, t.Scale)
	case Char, Varchar:
		fmt.Fprintf(b, "%s(%d)", t.Kind, t.Length)
	case Array:
		b.WriteString("array<")
		t.Elem.write(b)
		b.WriteByte('>')
	case Map:
		b.WriteString("map<")
		t.Key.write(b)
		b.WriteByte(',')
		t.Value.write(b)
		b.WriteByte('>')
	case Struct:
		b.WriteString("struct<")
		for i, f := range t.Fields {
			if i > 0 {
				b.WriteByte(',')
			}
			if strings.ContainsAny(f.Name, ":,<>()") || f.Name != strings.TrimSpace(f.Name) {
				b.WriteString("`" + f.Name + "`")
			} else {
				b.WriteString(f.Name)
			}
			b.WriteByte(':')
			f.Type.write(b)
		}
		b.WriteByte('>')
	default:
		b.WriteString(t.Kind.String())
	}
}

// Equal reports whether two types are the same.
func (t *Type) Equal(u *Type) bool { return t.String() == u.String() }

// SyntaxError describes a type string that does not parse.
type SyntaxError struct {
	// Input is the whole type string.
	Input string
	// Offset is the byte offset of the problem.
	Offset int
	// Msg says what is wrong.
	Msg string
}

// Error implements error.
func (e *SyntaxError) Error() string {
	return fmt.Sprintf("hive type %q: %s at offset %d", e.Input, e.Msg, e.Offset)
}

// ParseType parses a Hive type string.
func ParseType(s string) (*Type, error) {
	p := &parser{in: s}
	t, err := p.parseType(0)
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.pos != len(p.in) {
		return nil, p.errorf("unexpected %q after the type", p.in[p.pos:])
	}
	return t, nil
}

type parser struct {
	in  string
	pos int
}

func (p *parser) errorf(format string, args ...any) error {
	return &SyntaxError{Input: p.in, Offset: p.pos, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) skipSpace() {
	for p.pos < len(p.in) {
		switch p.in[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

// word reads an identifier: letters, digits and underscores.
func (p *parser) word() string {
	p.skipSpace()
	start := p.pos
	for p.pos < len(p.in) {
		c := p.in[p.pos]
		if c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			p.pos++
			continue
		}
		break
	}
	return p.in[start:p.pos]
}

// fieldName reads a struct field name: anything up to ':' (Glue allows
// names Hive would quote), trimmed and lower-cased.
func (p *parser) fieldName() (string, error) {
	p.skipSpace()
	if p.pos < len(p.in) && p.in[p.pos] == '`' {
		end := strings.IndexByte(p.in[p.pos+1:], '`')
		if end < 0 {
			return "", p.errorf("unterminated quoted field name")
		}
		name := p.in[p.pos+1 : p.pos+1+end]
		p.pos += end + 2
		if name == "" {
			return "", p.errorf("empty field name")
		}
		return strings.ToLower(name), nil
	}
	start := p.pos
	for p.pos < len(p.in) && !strings.ContainsRune(":,<>()`", rune(p.in[p.pos])) {
		p.pos++
	}
	name := strings.TrimSpace(p.in[start:p.pos])
	if name == "" {
		return "", p.errorf("missing field name")
	}
	return strings.ToLower(name), nil
}

func (p *parser) expect(c byte) error {
	p.skipSpace()
	if p.pos >= len(p.in) {
		return p.errorf("expected %q, found the end", c)
	}
	if p.in[p.pos] != c {
		return p.errorf("expected %q, found %q", c, p.in[p.pos])
	}
	p.pos++
	return nil
}

func (p *parser) peek() byte {
	p.skipSpace()
	if p.pos >= len(p.in) {
		return 0
	}
	return p.in[p.pos]
}

func (p *parser) number() (int, error) {
	p.skipSpace()
	start := p.pos
	for p.pos < len(p.in) && p.in[p.pos] >= '0' && p.in[p.pos] <= '9' {
		p.pos++
	}
	if start == p.pos {
		return 0, p.errorf("expected a number")
	}
	n, err := strconv.Atoi(p.in[start:p.pos])
	if err != nil || n > 1<<20 {
		return 0, &SyntaxError{Input: p.in, Offset: start, Msg: "number out of range"}
	}
	return n, nil
}

func (p *parser) parseType(depth int) (*Type, error) {
	if depth > maxDepth {
		return nil, p.errorf("type nested more than %d deep", maxDepth)
	}
	start := p.pos
	w := strings.ToLower(p.word())
	if w == "" {
		if p.pos >= len(p.in) {
			return nil, p.errorf("expected a type, found the end")
		}
		return nil, p.errorf("expected a type, found %q", p.in[p.pos])
	}
	if k, ok := primitiveNames[w]; ok {
		return &Type{Kind: k}, nil
	}
	switch w {
	case "decimal", "numeric":
		t := &Type{Kind: Decimal, Precision: DefaultDecimalPrecision, Scale: DefaultDecimalScale}
		if p.peek() != '(' {
			return t, nil
		}
		p.pos++
		var err error
		if t.Precision, err = p.number(); err != nil {
			return nil, err
		}
		t.Scale = 0
		if p.peek() == ',' {
			p.pos++
			if t.Scale, err = p.number(); err != nil {
				return nil, err
			}
		}
		if err := p.expect(')'); err != nil {
			return nil, err
		}
		if t.Precision < 1 || t.Precision > MaxDecimalPrecision {
			return nil, &SyntaxError{Input: p.in, Offset: start, Msg: fmt.Sprintf("decimal precision %d is outside 1..%d", t.Precision, MaxDecimalPrecision)}
		}
		if t.Scale > t.Precision {
			return nil, &SyntaxError{Input: p.in, Offset: start, Msg: fmt.Sprintf("decimal scale %d is larger than its precision %d", t.Scale, t.Precision)}
		}
		return t, nil
	case "char", "varchar":
		t := &Type{Kind: Char}
		limit := MaxCharLength
		if w == "varchar" {
			t.Kind, limit = Varchar, MaxVarcharLength
		}
		if err := p.expect('('); err != nil {
			return nil, err
		}
		var err error
		if t.Length, err = p.number(); err != nil {
			return nil, err
		}
		if err := p.expect(')'); err != nil {
			return nil, err
		}
		if t.Length < 1 || t.Length > limit {
			return nil, &SyntaxError{Input: p.in, Offset: start, Msg: fmt.Sprintf("%s length %d is outside 1..%d", w, t.Length, limit)}
		}
		return t, nil
	case "array":
		if err := p.expect('<'); err != nil {
			return nil, err
		}
		elem, err := p.parseType(depth + 1)
		if err != nil {
			return nil, err
		}
		if err := p.expect('>'); err != nil {
			return nil, err
		}
		return &Type{Kind: Array, Elem: elem}, nil
	case "map":
		if err := p.expect('<'); err != nil {
			return nil, err
		}
		keyAt := p.pos
		key, err := p.parseType(depth + 1)
		if err != nil {
			return nil, err
		}
		if !key.Kind.Primitive() {
			return nil, &SyntaxError{Input: p.in, Offset: keyAt, Msg: "a map key must be a primitive type, not " + key.String()}
		}
		if err := p.expect(','); err != nil {
			return nil, err
		}
		val, err := p.parseType(depth + 1)
		if err != nil {
			return nil, err
		}
		if err := p.expect('>'); err != nil {
			return nil, err
		}
		return &Type{Kind: Map, Key: key, Value: val}, nil
	case "struct":
		if err := p.expect('<'); err != nil {
			return nil, err
		}
		t := &Type{Kind: Struct}
		seen := map[string]bool{}
		if p.peek() == '>' {
			return nil, p.errorf("a struct needs at least one field")
		}
		for {
			nameAt := p.pos
			name, err := p.fieldName()
			if err != nil {
				return nil, err
			}
			if seen[name] {
				return nil, &SyntaxError{Input: p.in, Offset: nameAt, Msg: fmt.Sprintf("duplicate struct field %q", name)}
			}
			seen[name] = true
			if err := p.expect(':'); err != nil {
				return nil, err
			}
			ft, err := p.parseType(depth + 1)
			if err != nil {
				return nil, err
			}
			t.Fields = append(t.Fields, Field{Name: name, Type: ft})
			if p.peek() == ',' {
				p.pos++
				continue
			}
			if err := p.expect('>'); err != nil {
				return nil, err
			}
			return t, nil
		}
	case "uniontype":
		return nil, &SyntaxError{Input: p.in, Offset: start, Msg: "uniontype is not supported by Firehose's SerDes"}
	}
	return nil, &SyntaxError{Input: p.in, Offset: start, Msg: fmt.Sprintf("unknown type %q", w)}
}
