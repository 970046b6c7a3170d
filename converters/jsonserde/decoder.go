package jsonserde

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/wasmhose/wasmhose/converters/hive"
)

// Firehose's error codes for a record that fails conversion.
const (
	// CodeParseError: the record is not JSON, is a JSON array or has
	// trailing bytes that are not a JSON object.
	CodeParseError = "DataFormatConversion.ParseError"
	// CodeMalformedData: the record is JSON but does not fit the schema.
	CodeMalformedData = "DataFormatConversion.MalformedData"
)

// RecordError is why one record could not be converted. Nothing of the
// record was appended.
type RecordError struct {
	// Code is CodeParseError or CodeMalformedData.
	Code string
	// Message says what is wrong, naming the column and the value where
	// there is one.
	Message string
}

// Error implements error.
func (e *RecordError) Error() string { return e.Code + ": " + e.Message }

// OpenXOptions are the settings of Firehose's OpenXJsonSerDe.
type OpenXOptions struct {
	// CaseInsensitive matches JSON keys to columns ignoring case (JSON keys
	// are lower-cased). Nil means true, Firehose's default.
	CaseInsensitive *bool
	// ConvertDotsInJsonKeysToUnderscores replaces '.' by '_' in JSON keys
	// before matching them, so "a.b" fills column a_b.
	ConvertDotsInJsonKeysToUnderscores bool
	// ColumnToJsonKeyMappings maps a top-level column to the JSON key that
	// fills it, e.g. {"ts": "timestamp"}; a mapped column is filled only
	// from its mapped key.
	ColumnToJsonKeyMappings map[string]string
}

// HiveOptions are the settings of Firehose's HiveJsonSerDe.
type HiveOptions struct {
	// TimestampFormats are Joda-Time patterns tried in order, or the
	// special value "millis" (epoch milliseconds). When none matches, or
	// none is given, java.sql.Timestamp.valueOf's form applies.
	TimestampFormats []string
}

type flavor uint8

const (
	openX flavor = iota
	hiveSerDe
)

// Decoder turns JSON records into rows of an Arrow record batch. It is not
// safe for concurrent use; use one Decoder per goroutine.
type Decoder struct {
	schema   *arrow.Schema
	mem      memory.Allocator // recycler, over the caller's allocator
	recycler *recycler
	flavor   flavor
	lower    bool // lower-case JSON keys before matching
	dots     bool // '.' -> '_' in JSON keys
	root     *column
	formats  []*tsFormat // Hive TimestampFormats, nil entries for "millis"
	millis   bool        // Hive: "millis" is among the formats

	rows int
	all  []*column // every column, for marking and undoing a record
	snap []mark
	gen  uint64

	// Parser state for the record being appended.
	in      []byte
	pos     int
	depth   int
	scratch []byte // unescaped strings
	keyBuf  []byte // normalised keys
	numBuf  []byte // digits of decimals
}

// NewOpenX returns a decoder with the OpenX JSON SerDe's semantics for the
// given schema (one built by hive.ArrowSchema). mem allocates the batches'
// buffers; nil means memory.DefaultAllocator.
func NewOpenX(schema *arrow.Schema, opts OpenXOptions, mem memory.Allocator) (*Decoder, error) {
	d := &Decoder{flavor: openX, lower: opts.CaseInsensitive == nil || *opts.CaseInsensitive, dots: opts.ConvertDotsInJsonKeysToUnderscores}
	if err := d.init(schema, mem, opts.ColumnToJsonKeyMappings); err != nil {
		return nil, err
	}
	return d, nil
}

// NewHive returns a decoder with the Hive JSON SerDe's semantics: strict
// types, and timestamps parsed with TimestampFormats. Column names with a
// period are refused, as Firehose refuses them.
func NewHive(schema *arrow.Schema, opts HiveOptions, mem memory.Allocator) (*Decoder, error) {
	d := &Decoder{flavor: hiveSerDe, lower: true}
	for _, f := range opts.TimestampFormats {
		if f == "millis" {
			d.millis = true
			continue
		}
		tf, err := compileJoda(f)
		if err != nil {
			return nil, fmt.Errorf("jsonserde: timestamp format %q: %w", f, err)
		}
		d.formats = append(d.formats, tf)
	}
	for _, f := range schema.Fields() {
		if strings.Contains(f.Name, ".") {
			return nil, fmt.Errorf("jsonserde: column %q: the Hive JSON SerDe does not accept a period in a column name", f.Name)
		}
	}
	if err := d.init(schema, mem, nil); err != nil {
		return nil, err
	}
	return d, nil
}

func (d *Decoder) init(schema *arrow.Schema, mem memory.Allocator, mappings map[string]string) error {
	if schema == nil || schema.NumFields() == 0 {
		return errors.New("jsonserde: the schema has no columns")
	}
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	rec := newRecycler(mem)
	d.schema, d.mem, d.recycler = schema, rec, rec
	root := &column{kind: kStruct, dt: arrow.StructOf(schema.Fields()...), path: ""}
	for _, f := range schema.Fields() {
		c, err := d.build(f, f.Name)
		if err != nil {
			return err
		}
		root.children = append(root.children, c)
	}
	keys := make([]string, len(root.children))
	for i, f := range schema.Fields() {
		keys[i] = f.Name
	}
	for col, key := range mappings {
		i := schema.FieldIndices(strings.ToLower(col))
		if len(i) == 0 {
			return fmt.Errorf("jsonserde: ColumnToJsonKeyMappings names column %q, which is not in the schema", col)
		}
		keys[i[0]] = key
	}
	if err := d.buildIndex(root, keys); err != nil {
		return err
	}
	d.root = root
	d.all = root.flatten(nil)
	// Each column's three buffers, for the batch in the writer and the
	// one being handed over.
	rec.maxFree = 2 * 3 * len(d.all)
	d.snap = make([]mark, len(d.all))
	root.reset()
	return nil
}

// normKey is how a schema name or mapped key is compared with JSON keys.
func (d *Decoder) normKey(s string) string {
	if d.lower {
		s = strings.ToLower(s)
	}
	if d.dots {
		s = strings.ReplaceAll(s, ".", "_")
	}
	return s
}

func (d *Decoder) buildIndex(c *column, keys []string) error {
	c.index = make(map[string]int, len(keys))
	c.match = make([][]byte, len(keys))
	c.stable = make([]bool, len(keys))
	c.next = make([]int, len(keys))
	c.seenGen = make([]uint64, len(keys))
	for i, k := range keys {
		nk := d.normKey(k)
		if j, dup := c.index[nk]; dup {
			return fmt.Errorf("jsonserde: fields %q and %q of %s match the same JSON key %q", c.children[j].path, c.children[i].path, orTop(c.path), nk)
		}
		c.index[nk] = i
		c.match[i] = []byte(nk)
		c.stable[i] = bytes.Equal(d.normalize(c.match[i]), c.match[i])
		c.next[i] = i + 1
	}
	return nil
}

func orTop(p string) string {
	if p == "" {
		return "the record"
	}
	return p
}

func (d *Decoder) build(f arrow.Field, path string) (*column, error) {
	ht, err := hive.FromArrow(f)
	if err != nil {
		return nil, fmt.Errorf("jsonserde: %w", err)
	}
	c := &column{dt: f.Type, htype: ht, path: path, nullable: f.Nullable,
		valid: newBuf(d.mem), values: newBuf(d.mem), data: newBuf(d.mem)}
	switch t := f.Type.(type) {
	case *arrow.BooleanType:
		c.kind = kBool
	case *arrow.Int8Type:
		c.kind, c.width = kInt8, 1
	case *arrow.Int16Type:
		c.kind, c.width = kInt16, 2
	case *arrow.Int32Type:
		c.kind, c.width = kInt32, 4
	case *arrow.Int64Type:
		c.kind, c.width = kInt64, 8
	case *arrow.Float32Type:
		c.kind, c.width = kFloat32, 4
	case *arrow.Float64Type:
		c.kind, c.width = kFloat64, 8
	case *arrow.Decimal128Type:
		c.kind, c.width, c.precision, c.scale = kDecimal, 16, t.Precision, t.Scale
	case *arrow.StringType:
		c.kind = kString
	case *arrow.BinaryType:
		c.kind = kBinary
	case *arrow.Date32Type:
		c.kind, c.width = kDate, 4
	case *arrow.TimestampType:
		if t.Unit != arrow.Nanosecond {
			return nil, fmt.Errorf("jsonserde: column %s: timestamps must be in nanoseconds, not %s", path, t.Unit)
		}
		c.kind, c.width = kTimestamp, 8
	case *arrow.ListType:
		c.kind = kList
		e, err := d.build(t.ElemField(), path+"[]")
		if err != nil {
			return nil, err
		}
		c.children = []*column{e}
	case *arrow.MapType:
		c.kind = kMap
		entries := &column{kind: kStruct, dt: t.Elem(), path: path, valid: newBuf(d.mem), values: newBuf(d.mem), data: newBuf(d.mem)}
		k, err := d.build(t.KeyField(), path+".key")
		if err != nil {
			return nil, err
		}
		k.nullable = false
		if k.kind >= kList {
			return nil, fmt.Errorf("jsonserde: column %s: a map key must be a primitive type", path)
		}
		v, err := d.build(t.ItemField(), path+".value")
		if err != nil {
			return nil, err
		}
		entries.children = []*column{k, v}
		c.children = []*column{entries}
	case *arrow.StructType:
		c.kind = kStruct
		keys := make([]string, t.NumFields())
		for i, sf := range t.Fields() {
			ch, err := d.build(sf, path+"."+sf.Name)
			if err != nil {
				return nil, err
			}
			c.children = append(c.children, ch)
			keys[i] = sf.Name
		}
		if err := d.buildIndex(c, keys); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("jsonserde: column %s: Arrow type %s is not one the Hive mapping produces", path, f.Type)
	}
	return c, nil
}

// Schema returns the schema the decoder fills.
func (d *Decoder) Schema() *arrow.Schema { return d.schema }

// Rows returns how many rows are buffered for the next batch.
func (d *Decoder) Rows() int { return d.rows }

// Bytes returns the approximate size of the buffered Arrow data, so the
// caller can cut batches by size.
func (d *Decoder) Bytes() int {
	n := 0
	for _, c := range d.all {
		n += c.values.n + c.data.n + (c.n+7)/8
	}
	return n
}

// Append decodes one Firehose record, which may hold several concatenated
// JSON objects; each becomes a row. Keys that are not columns are dropped,
// columns with no key are null. If the record fails, nothing of it is
// appended and the error is a *RecordError.
func (d *Decoder) Append(record []byte) error {
	for i, c := range d.all {
		d.snap[i] = mark{c.n, c.values.n, c.data.n}
	}
	rows, err := d.parseRecord(record)
	if err != nil {
		for i, c := range d.all {
			m := d.snap[i]
			c.n, c.values.n, c.data.n = m.n, m.values, m.data
		}
		d.in = nil
		var re *RecordError
		if errors.As(err, &re) && re.Code == CodeMalformedData {
			// A syntax error anywhere in the record takes precedence, as
			// Firehose parses the whole record before it maps it.
			if perr := validateRecord(record); perr != nil {
				return perr
			}
		}
		return err
	}
	d.in = nil
	d.rows += rows
	return nil
}

// NewBatch returns the buffered rows as a record batch and empties the
// decoder. The caller must Release the batch.
func (d *Decoder) NewBatch() (arrow.RecordBatch, error) {
	cols := make([]arrow.Array, len(d.root.children))
	for i, c := range d.root.children {
		data, err := c.finish()
		if err != nil {
			for _, a := range cols[:i] {
				a.Release()
			}
			return nil, err
		}
		cols[i] = array.MakeFromData(data)
		data.Release()
	}
	rec := array.NewRecordBatch(d.schema, cols, int64(d.rows))
	for _, a := range cols {
		a.Release()
	}
	d.rows = 0
	d.root.reset()
	return rec, nil
}

// Release frees the decoder's buffers. Batches already returned stay valid.
func (d *Decoder) Release() {
	d.root.release()
	d.recycler.close()
}
