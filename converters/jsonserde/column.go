package jsonserde

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/wasmhose/wasmhose/converters/hive"
)

// kind is how a column stores its values.
type kind uint8

const (
	kBool kind = iota
	kInt8
	kInt16
	kInt32
	kInt64
	kFloat32
	kFloat64
	kDecimal
	kString
	kBinary
	kDate
	kTimestamp
	kList
	kMap
	kStruct
)

// buf is a growable byte buffer backed by the decoder's allocator. Its
// used length n can be moved back, which is how a failed record is undone.
type buf struct {
	mem memory.Allocator
	mb  *memory.Buffer
	b   []byte // mb.Buf(), the whole capacity
	n   int    // bytes in use
}

func newBuf(mem memory.Allocator) buf {
	return buf{mem: mem}
}

// grow makes room for at least need more bytes.
func (x *buf) grow(need int) {
	c := 2 * len(x.b)
	if c < x.n+need {
		c = x.n + need
	}
	if c < 256 {
		c = 256
	}
	if x.mb == nil {
		x.mb = memory.NewResizableBuffer(x.mem)
	}
	x.mb.Reserve(c)
	x.b = x.mb.Buf()
}

func (x *buf) ensure(need int) {
	if x.n+need > len(x.b) {
		x.grow(need)
	}
}

// take hands the buffer, trimmed to size bytes, to Arrow and starts a new
// one with the same capacity. The caller owns one reference to the result.
func (x *buf) take(size int) *memory.Buffer {
	if x.mb == nil {
		x.grow(size)
	}
	mb := x.mb
	mb.ResizeNoShrink(size)
	capHint := len(x.b)
	x.mb, x.b, x.n = nil, nil, 0
	x.grow(capHint)
	return mb
}

func (x *buf) release() {
	if x.mb != nil {
		x.mb.Release()
		x.mb, x.b, x.n = nil, nil, 0
	}
}

// setBit writes bit i (the buffer's n is not used for bitmaps).
func (x *buf) setBit(i int, v bool) {
	if i>>3 >= len(x.b) {
		x.n = len(x.b)
		x.grow(1)
		x.n = 0
	}
	if v {
		x.b[i>>3] |= 1 << (i & 7)
	} else {
		x.b[i>>3] &^= 1 << (i & 7)
	}
}

// column accumulates the values of one Arrow field (and, through its
// children, of the fields nested in it).
type column struct {
	kind     kind
	dt       arrow.DataType
	htype    *hive.Type
	path     string // dotted name used in error messages
	nullable bool

	n      int // values (rows for top-level columns)
	valid  buf // validity bitmap, bit i for value i
	values buf // fixed-width values, bool bits, or int32 offsets for string/binary/list/map
	data   buf // string and binary bytes

	width    int // bytes per fixed-width value
	children []*column

	// Struct fields: lookup by normalised JSON key.
	match   [][]byte       // the key each child matches, normalised
	stable  []bool         // stable[i]: match[i] normalises to itself, so a raw key equal to it matches
	index   map[string]int // match -> child index
	next    []int          // the child that followed child i in the last object
	first   int            // the child that came first in the last object
	seenGen []uint64       // seenGen[i] == decoder gen when child i was set in this object

	// Decimal parameters.
	precision, scale int32
}

func (c *column) isVarWidth() bool {
	switch c.kind {
	case kString, kBinary, kList, kMap:
		return true
	}
	return false
}

// reset starts an empty batch: var-width columns need their first offset.
func (c *column) reset() {
	c.n = 0
	c.values.n = 0
	c.data.n = 0
	if c.isVarWidth() {
		c.values.ensure(4)
		binary.LittleEndian.PutUint32(c.values.b, 0)
		c.values.n = 4
	}
	for _, ch := range c.children {
		ch.reset()
	}
}

// flatten appends the column tree, parents before children.
func (c *column) flatten(out []*column) []*column {
	out = append(out, c)
	for _, ch := range c.children {
		out = ch.flatten(out)
	}
	return out
}

// mark is a column's lengths before a record.
type mark struct{ n, values, data int }

func (c *column) appendNull() {
	c.valid.setBit(c.n, false)
	switch c.kind {
	case kBool:
		c.values.setBit(c.n, false)
	case kString, kBinary, kList, kMap:
		c.pushOffset()
	case kStruct:
		for _, ch := range c.children {
			ch.appendNull()
		}
	default:
		c.values.ensure(c.width)
		clear(c.values.b[c.values.n : c.values.n+c.width])
		c.values.n += c.width
	}
	c.n++
}

// pushOffset records the end of the current var-width value.
func (c *column) pushOffset() {
	end := c.data.n
	if c.kind == kList || c.kind == kMap {
		end = c.children[0].n
	}
	c.values.ensure(4)
	binary.LittleEndian.PutUint32(c.values.b[c.values.n:], uint32(end))
	c.values.n += 4
}

func (c *column) appendBool(v bool) {
	c.valid.setBit(c.n, true)
	c.values.setBit(c.n, v)
	c.n++
}

// appendInt stores v, which the caller has range-checked, at the column's width.
func (c *column) appendInt(v int64) {
	c.valid.setBit(c.n, true)
	c.values.ensure(8)
	b := c.values.b[c.values.n:]
	switch c.width {
	case 1:
		b[0] = byte(v)
	case 2:
		binary.LittleEndian.PutUint16(b, uint16(v))
	case 4:
		binary.LittleEndian.PutUint32(b, uint32(v))
	default:
		binary.LittleEndian.PutUint64(b, uint64(v))
	}
	c.values.n += c.width
	c.n++
}

func (c *column) appendFloat(v float64) {
	c.valid.setBit(c.n, true)
	c.values.ensure(8)
	b := c.values.b[c.values.n:]
	if c.kind == kFloat32 {
		binary.LittleEndian.PutUint32(b, math.Float32bits(float32(v)))
	} else {
		binary.LittleEndian.PutUint64(b, math.Float64bits(v))
	}
	c.values.n += c.width
	c.n++
}

func (c *column) appendDecimal(lo uint64, hi int64) {
	c.valid.setBit(c.n, true)
	c.values.ensure(16)
	b := c.values.b[c.values.n:]
	binary.LittleEndian.PutUint64(b, lo)
	binary.LittleEndian.PutUint64(b[8:], uint64(hi))
	c.values.n += 16
	c.n++
}

func (c *column) appendBytes(v []byte) {
	c.valid.setBit(c.n, true)
	c.data.ensure(len(v))
	copy(c.data.b[c.data.n:], v)
	c.data.n += len(v)
	c.pushOffset()
	c.n++
}

// startBytes and endBytes bracket a value written straight into data.
func (c *column) endBytes() {
	c.valid.setBit(c.n, true)
	c.pushOffset()
	c.n++
}

// endNested closes a list or map value whose children were appended.
func (c *column) endNested() {
	c.valid.setBit(c.n, true)
	c.pushOffset()
	c.n++
}

// endStruct marks a struct value present; its children were appended.
func (c *column) endStruct() {
	c.valid.setBit(c.n, true)
	c.n++
}

// finish turns the buffered values into Arrow array data and empties the
// column.
func (c *column) finish() (arrow.ArrayData, error) {
	if c.isVarWidth() && (c.data.n > math.MaxInt32 || (c.kind == kList || c.kind == kMap) && c.children[0].n > math.MaxInt32) {
		return nil, fmt.Errorf("jsonserde: column %s holds more than 2 GiB; call NewBatch sooner", c.path)
	}
	n := c.n
	nulls := 0
	var valid *memory.Buffer
	if n > 0 && c.nullable {
		nulls = n - bitutil.CountSetBits(c.valid.b, 0, n)
	}
	if nulls > 0 {
		valid = c.valid.take(int(bitutil.BytesForBits(int64(n))))
		defer valid.Release()
	}
	var d *array.Data
	switch c.kind {
	case kString, kBinary:
		offs := c.values.take(4 * (n + 1))
		data := c.data.take(c.data.n)
		d = array.NewData(c.dt, n, []*memory.Buffer{valid, offs, data}, nil, nulls, 0)
		offs.Release()
		data.Release()
	case kList:
		child, err := c.children[0].finish()
		if err != nil {
			return nil, err
		}
		offs := c.values.take(4 * (n + 1))
		d = array.NewData(c.dt, n, []*memory.Buffer{valid, offs}, []arrow.ArrayData{child}, nulls, 0)
		offs.Release()
		child.Release()
	case kMap:
		entries := c.children[0]
		kd, err := entries.children[0].finish()
		if err != nil {
			return nil, err
		}
		vd, err := entries.children[1].finish()
		if err != nil {
			kd.Release()
			return nil, err
		}
		ed := array.NewData(entries.dt, entries.n, []*memory.Buffer{nil}, []arrow.ArrayData{kd, vd}, 0, 0)
		kd.Release()
		vd.Release()
		entries.n = 0
		offs := c.values.take(4 * (n + 1))
		d = array.NewData(c.dt, n, []*memory.Buffer{valid, offs}, []arrow.ArrayData{ed}, nulls, 0)
		offs.Release()
		ed.Release()
	case kStruct:
		kids := make([]arrow.ArrayData, len(c.children))
		for i, ch := range c.children {
			kd, err := ch.finish()
			if err != nil {
				for _, k := range kids[:i] {
					k.Release()
				}
				return nil, err
			}
			kids[i] = kd
		}
		d = array.NewData(c.dt, n, []*memory.Buffer{valid}, kids, nulls, 0)
		for _, k := range kids {
			k.Release()
		}
	case kBool:
		vals := c.values.take(int(bitutil.BytesForBits(int64(n))))
		d = array.NewData(c.dt, n, []*memory.Buffer{valid, vals}, nil, nulls, 0)
		vals.Release()
	default:
		vals := c.values.take(n * c.width)
		d = array.NewData(c.dt, n, []*memory.Buffer{valid, vals}, nil, nulls, 0)
		vals.Release()
	}
	c.n = 0
	c.values.n = 0
	c.data.n = 0
	if c.isVarWidth() {
		c.values.ensure(4)
		binary.LittleEndian.PutUint32(c.values.b, 0)
		c.values.n = 4
	}
	return d, nil
}

func (c *column) release() {
	c.valid.release()
	c.values.release()
	c.data.release()
	for _, ch := range c.children {
		ch.release()
	}
}

// value returns the stored bytes of value i (not for booleans).
func (c *column) value(i int) []byte {
	if c.kind == kString || c.kind == kBinary {
		o := c.values.b
		start := binary.LittleEndian.Uint32(o[4*i:])
		end := binary.LittleEndian.Uint32(o[4*i+4:])
		return c.data.b[start:end]
	}
	return c.values.b[i*c.width : (i+1)*c.width]
}

// duplicateOf reports whether value last equals one of the values from
// first on: a map's keys must be unique (Hive keeps one, and Trino, behind
// Athena, refuses to read a Parquet map with duplicate keys).
func (c *column) duplicateOf(first, last int) bool {
	if c.kind == kBool {
		v := c.values.b[last>>3]&(1<<(last&7)) != 0
		for i := first; i < last; i++ {
			if c.values.b[i>>3]&(1<<(i&7)) != 0 == v {
				return true
			}
		}
		return false
	}
	k := c.value(last)
	for i := first; i < last; i++ {
		if bytes.Equal(c.value(i), k) {
			return true
		}
	}
	return false
}
