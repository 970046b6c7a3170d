package orc

import (
	"encoding/binary"
	"math"
	"strings"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
)

// orcEpoch is 2015-01-01T00:00:00Z, the origin of ORC timestamp seconds.
const orcEpoch = 1420070400

// indexEntry is one row group of a column's row index.
type indexEntry struct {
	presentPos []uint64 // PRESENT positions, kept only if the stripe has nulls
	dataPos    []uint64 // positions of the other streams, in specification order
	valueStart int      // values written before the group, while dataPos waits for the dictionary decision
	positions  []uint64 // both, assembled when the stripe is written
	stats      []byte   // encoded ColumnStatistics of the row group
}

// column writes one ORC column of a stripe. Compound columns own their
// children; the root (column 0) is the row struct and has no PRESENT stream.
type column struct {
	id       int
	kind     int
	dictSize int   // entries of the stripe's dictionary, when useDict
	maxLen   int   // char and varchar length, in characters
	scale    int32 // decimal scale
	unit     arrow.TimeUnit
	v2       bool // integer RLE version 2
	root     bool
	children []*column

	presentS *stream
	present  *boolRLE
	nulls    bool // the stripe has a null in this column

	data, length, secondary *stream
	ints                    intEncoder // DATA of integers, dates, timestamp seconds
	lens                    intEncoder // LENGTH
	secs                    intEncoder // SECONDARY: timestamp nanoseconds, decimal scales
	bytesRLE                *byteRLE   // DATA of tinyint
	bools                   *boolRLE   // DATA of boolean

	// Dictionary encoding of string, char and varchar columns. While dictOn,
	// values go to dict only and the row index entries from pending on wait
	// for their DATA and LENGTH positions; the encoding is chosen when the
	// stripe is written (or earlier, see closeGroup and putString).
	dictOK    bool // the column may be dictionary encoded
	dictOn    bool // dictionary encoding is still a candidate in this stripe
	checked   bool // the early check of this stripe is done
	useDict   bool // the stripe is written with a dictionary
	dict      *dictionary
	dictData  *stream    // DICTIONARY_DATA
	dictIDs   intEncoder // DATA of a dictionary column: the ids
	threshold float64
	maxDict   int // dictionary bytes past which the column falls back to DIRECT
	pending   int // first row index entry waiting for positions

	group, stripe, file colStats
	entries             []indexEntry

	bloom    *bloomFilter // the open row group's, for BloomFilterColumns
	bloomIdx []byte       // encoded BloomFilterIndex of the stripe's closed groups

	scratch []byte
}

// columnConfig is what the columns of one writer share.
type columnConfig struct {
	codec     *codec
	block     int
	pool      *chunkPool
	v2        bool    // integer RLE version 2
	threshold float64 // DictionaryKeyThreshold; < 0: no dictionaries
	maxDict   int     // largest dictionary, in bytes of memory
}

// newColumn creates the streams and encoders a column of kind needs.
func newColumn(id, kind int, cfg *columnConfig) *column {
	v2 := cfg.v2
	col := &column{id: id, kind: kind, v2: v2}
	newS := func() *stream { return newStream(cfg.codec, cfg.block, cfg.pool) }
	col.presentS = newS()
	col.present = &boolRLE{bytes: byteRLE{s: col.presentS}}
	switch kind {
	case kindBoolean:
		col.data = newS()
		col.bools = &boolRLE{bytes: byteRLE{s: col.data}}
	case kindByte:
		col.data = newS()
		col.bytesRLE = &byteRLE{s: col.data}
	case kindShort, kindInt, kindLong, kindDate:
		col.data = newS()
		col.ints = newIntEncoder(col.data, true, v2)
	case kindFloat, kindDouble:
		col.data = newS()
	case kindString, kindChar, kindVarchar, kindBinary:
		col.data, col.length = newS(), newS()
		col.lens = newIntEncoder(col.length, false, v2)
		if kind != kindBinary && cfg.threshold >= 0 {
			col.dictOK, col.dictOn = true, true
			col.threshold, col.maxDict = cfg.threshold, cfg.maxDict
			col.dict = newDictionary(cfg.pool)
			col.dictData = newS()
			col.dictIDs = newIntEncoder(col.data, false, v2)
		}
	case kindDecimal:
		col.data, col.secondary = newS(), newS()
		col.secs = newIntEncoder(col.secondary, true, v2)
	case kindTimestamp:
		col.data, col.secondary = newS(), newS()
		col.ints = newIntEncoder(col.data, true, v2)
		col.secs = newIntEncoder(col.secondary, false, v2)
	case kindList, kindMap:
		col.length = newS()
		col.lens = newIntEncoder(col.length, false, v2)
	}
	return col
}

// write appends rows start..end of arr, nulls included, to the column.
func (c *column) write(arr arrow.Array, start, end int) {
	if end <= start {
		return
	}
	nulls := 0
	if arr.NullN() > 0 {
		for i := start; i < end; i++ {
			ok := arr.IsValid(i)
			c.present.put(ok)
			if !ok {
				nulls++
			}
		}
	} else {
		c.present.putTrue(end - start)
	}
	c.group.count += uint64(end - start - nulls)
	if nulls == 0 {
		c.writeValues(arr, start, end, false)
		return
	}
	c.group.hasNull = true
	c.nulls = true
	if nulls < end-start {
		c.writeValues(arr, start, end, true)
	}
}

// writeValues encodes the non-null values of rows start..end.
func (c *column) writeValues(arr arrow.Array, start, end int, hasNulls bool) {
	switch c.kind {
	case kindBoolean:
		a := arr.(*array.Boolean)
		for i := start; i < end; i++ {
			if hasNulls && a.IsNull(i) {
				continue
			}
			v := a.Value(i)
			c.bools.put(v)
			if v {
				c.group.trueCount++
			}
			if c.bloom != nil {
				c.bloom.addLong(int64(b2i(v)))
			}
		}
	case kindByte:
		a := arr.(*array.Int8)
		vals := a.Int8Values()
		for i := start; i < end; i++ {
			if hasNulls && a.IsNull(i) {
				continue
			}
			c.bytesRLE.put(byte(vals[i]))
			c.group.updateInt(int64(vals[i]))
			if c.bloom != nil {
				c.bloom.addLong(int64(vals[i]))
			}
		}
	case kindShort:
		a := arr.(*array.Int16)
		writeInts(c, a, a.Int16Values(), start, end, hasNulls)
	case kindInt:
		a := arr.(*array.Int32)
		writeInts(c, a, a.Int32Values(), start, end, hasNulls)
	case kindLong:
		a := arr.(*array.Int64)
		writeInts(c, a, a.Int64Values(), start, end, hasNulls)
	case kindDate:
		a := arr.(*array.Date32)
		writeInts(c, a, a.Date32Values(), start, end, hasNulls)
	case kindFloat:
		a := arr.(*array.Float32)
		vals := a.Float32Values()
		out := c.scratch[:0]
		for i := start; i < end; i++ {
			if hasNulls && a.IsNull(i) {
				continue
			}
			out = binary.LittleEndian.AppendUint32(out, math.Float32bits(vals[i]))
			c.group.updateDouble(float64(vals[i]))
			if c.bloom != nil {
				c.bloom.addDouble(float64(vals[i]))
			}
		}
		c.data.write(out)
		c.scratch = out
	case kindDouble:
		a := arr.(*array.Float64)
		vals := a.Float64Values()
		out := c.scratch[:0]
		for i := start; i < end; i++ {
			if hasNulls && a.IsNull(i) {
				continue
			}
			out = binary.LittleEndian.AppendUint64(out, math.Float64bits(vals[i]))
			c.group.updateDouble(vals[i])
			if c.bloom != nil {
				c.bloom.addDouble(vals[i])
			}
		}
		c.data.write(out)
		c.scratch = out
	case kindString, kindChar, kindVarchar:
		a := arr.(*array.String)
		for i := start; i < end; i++ {
			if hasNulls && a.IsNull(i) {
				continue
			}
			v := a.Value(i)
			switch c.kind {
			case kindChar:
				v = padChar(v, c.maxLen)
			case kindVarchar:
				v = truncateChars(v, c.maxLen)
			}
			c.putString(v)
			c.group.updateString(v)
			if c.bloom != nil {
				c.bloom.addString(v)
			}
		}
	case kindBinary:
		a := arr.(*array.Binary)
		for i := start; i < end; i++ {
			if hasNulls && a.IsNull(i) {
				continue
			}
			v := a.Value(i)
			c.data.write(v)
			c.lens.put(int64(len(v)))
			c.group.ssum += int64(len(v))
			if c.bloom != nil {
				c.bloom.addBytes(v)
			}
		}
	case kindDecimal:
		a := arr.(*array.Decimal128)
		out := c.scratch[:0]
		for i := start; i < end; i++ {
			if hasNulls && a.IsNull(i) {
				continue
			}
			v := a.Value(i)
			out = appendDecimalVarint(out, v)
			c.secs.put(int64(c.scale))
			c.group.updateDecimal(v)
		}
		c.data.write(out)
		c.scratch = out
	case kindTimestamp:
		a := arr.(*array.Timestamp)
		vals := a.TimestampValues()
		for i := start; i < end; i++ {
			if hasNulls && a.IsNull(i) {
				continue
			}
			t := toTS(int64(vals[i]), c.unit)
			// ORC readers (Java, C++) take one second off a negative
			// second count whose nanoseconds exceed 999,999, so a negative
			// instant with a fraction is stored with its seconds truncated
			// toward zero, as ORC's own writers do.
			sec := t.sec
			if sec < 0 && t.nsec > 999999 {
				sec++
			}
			c.ints.put(sec - orcEpoch)
			c.secs.put(int64(formatNanos(t.nsec)))
			c.group.updateTimestamp(t)
			if c.bloom != nil {
				c.bloom.addLong(t.millis())
			}
		}
	case kindList:
		a := arr.(*array.List)
		off := a.Data().Offset()
		offs := a.Offsets()[off : off+a.Len()+1]
		c.writeLengths(a, offs, start, end, hasNulls)
		c.children[0].writeRuns(a.ListValues(), a, offs, start, end, hasNulls)
	case kindMap:
		a := arr.(*array.Map)
		off := a.Data().Offset()
		offs := a.Offsets()[off : off+a.Len()+1]
		c.writeLengths(a, offs, start, end, hasNulls)
		entries := a.ListValues().(*array.Struct)
		c.children[0].writeRuns(entries.Field(0), a, offs, start, end, hasNulls)
		c.children[1].writeRuns(entries.Field(1), a, offs, start, end, hasNulls)
	case kindStruct:
		a := arr.(*array.Struct)
		for k, child := range c.children {
			child.writeRuns(a.Field(k), a, nil, start, end, hasNulls)
		}
	}
}

// putString writes a string value: to the dictionary while it is a
// candidate, directly otherwise. A dictionary that grows past maxDict bytes
// is given up for the stripe: its values are written directly.
func (c *column) putString(v string) {
	if !c.dictOn {
		c.data.writeString(v)
		c.lens.put(int64(len(v)))
		return
	}
	c.dict.add(v)
	if c.dict.memory() > c.maxDict {
		c.dropDictionary()
	}
}

// dictWorth tells whether the stripe's values so far are few enough
// distinct ones for a dictionary: distinct / values <= threshold.
func (c *column) dictWorth() bool {
	n := c.dict.count()
	return n > 0 && float64(c.dict.distinct()) <= c.threshold*float64(n)
}

// dropDictionary switches the column to DIRECT for the rest of the stripe:
// the values collected so far are written directly, in order, and the
// waiting row index entries get their DATA and LENGTH positions.
func (c *column) dropDictionary() {
	k := 0
	c.dict.eachID(func(id uint32) {
		c.positionsAt(k, func(p []uint64) []uint64 { return c.lens.position(c.data.position(p)) })
		v := c.dict.value(id)
		c.data.write(v)
		c.lens.put(int64(len(v)))
		k++
	})
	c.positionsAt(k, func(p []uint64) []uint64 { return c.lens.position(c.data.position(p)) })
	c.dict.reset()
	c.dictOn = false
}

// positionsAt gives the waiting row index entries whose group starts at
// value k the positions pos returns.
func (c *column) positionsAt(k int, pos func([]uint64) []uint64) {
	for c.pending < len(c.entries) && c.entries[c.pending].valueStart == k {
		e := &c.entries[c.pending]
		e.dataPos = pos(e.dataPos[:0])
		c.pending++
	}
}

// encodeDictionary writes the stripe's values with a dictionary sorted by
// bytes, as ORC Java does: DICTIONARY_DATA holds the distinct values,
// LENGTH their lengths and DATA each value's rank in the dictionary. The
// waiting row index entries get their DATA positions (a dictionary column
// has no position in its other streams).
func (c *column) encodeDictionary() {
	order, rank := c.dict.sorted()
	for _, id := range order {
		v := c.dict.value(id)
		c.dictData.write(v)
		c.lens.put(int64(len(v)))
	}
	k := 0
	c.dict.eachID(func(id uint32) {
		c.positionsAt(k, c.dictIDs.position)
		c.dictIDs.put(int64(rank[id]))
		k++
	})
	c.positionsAt(k, c.dictIDs.position)
	c.dictSize = len(order)
}

// chooseEncoding settles a candidate column's encoding for the stripe about
// to be written.
func (c *column) chooseEncoding() {
	if !c.dictOn {
		return
	}
	if c.dictWorth() {
		c.encodeDictionary()
		c.useDict = true
		c.dict.reset()
		c.dictOn = false
		return
	}
	c.dropDictionary()
}

// b2i is 1 for true and 0 for false, as ORC Java hashes booleans.
func b2i(v bool) int {
	if v {
		return 1
	}
	return 0
}

// writeLengths writes the LENGTH of each non-null list or map.
func (c *column) writeLengths(a arrow.Array, offs []int32, start, end int, hasNulls bool) {
	for i := start; i < end; i++ {
		if hasNulls && a.IsNull(i) {
			continue
		}
		n := offs[i+1] - offs[i]
		c.lens.put(int64(n))
		c.group.updateChildren(uint64(n))
	}
}

// writeRuns writes the child values under the non-null parent rows
// start..end: the same rows for a struct (offs nil), the ranges of the
// offsets for a list or map. A null parent has no child values in ORC.
func (c *column) writeRuns(child, parent arrow.Array, offs []int32, start, end int, hasNulls bool) {
	span := func(i, j int) {
		if offs != nil {
			i, j = int(offs[i]), int(offs[j])
		}
		c.write(child, i, j)
	}
	if !hasNulls {
		span(start, end)
		return
	}
	run := -1
	for i := start; i < end; i++ {
		if parent.IsValid(i) {
			if run < 0 {
				run = i
			}
		} else if run >= 0 {
			span(run, i)
			run = -1
		}
	}
	if run >= 0 {
		span(run, end)
	}
}

// integer is the Arrow integer types written as ORC integers.
type integer interface {
	~int16 | ~int32 | ~int64
}

func writeInts[T integer](c *column, a arrow.Array, vals []T, start, end int, hasNulls bool) {
	for i := start; i < end; i++ {
		if hasNulls && a.IsNull(i) {
			continue
		}
		v := int64(vals[i])
		c.ints.put(v)
		c.group.updateInt(v)
		if c.bloom != nil {
			c.bloom.addLong(v)
		}
	}
}

// toTS splits an Arrow timestamp into floored seconds and nanoseconds.
func toTS(v int64, unit arrow.TimeUnit) ts {
	per := int64(1)
	switch unit {
	case arrow.Millisecond:
		per = 1e3
	case arrow.Microsecond:
		per = 1e6
	case arrow.Nanosecond:
		per = 1e9
	}
	sec, frac := v/per, v%per
	if frac < 0 {
		sec--
		frac += per
	}
	return ts{sec: sec, nsec: int32(frac * (1e9 / per))}
}

// formatNanos encodes nanoseconds for the SECONDARY stream: trailing
// decimal zeros (when more than one) are dropped and their count, minus
// one, kept in the low three bits.
func formatNanos(n int32) uint64 {
	if n == 0 {
		return 0
	}
	if n%100 != 0 {
		return uint64(n) << 3
	}
	n /= 100
	z := uint64(1)
	for n%10 == 0 && z < 7 {
		n /= 10
		z++
	}
	return uint64(n)<<3 | z
}

// appendDecimalVarint appends the zigzag-encoded, unbounded base-128 varint
// of a decimal's unscaled 128-bit value.
func appendDecimalVarint(out []byte, v decimal128.Num) []byte {
	hi, lo := uint64(v.HighBits()), v.LowBits()
	sign := uint64(int64(hi) >> 63)
	zhi := (hi<<1 | lo>>63) ^ sign
	zlo := lo<<1 ^ sign
	for zhi != 0 || zlo >= 0x80 {
		out = append(out, byte(zlo)|0x80)
		zlo = zlo>>7 | zhi<<57
		zhi >>= 7
	}
	return append(out, byte(zlo))
}

// truncateChars cuts s to at most n characters (varchar semantics).
func truncateChars(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := 0
	for k := range s {
		if i == n {
			return s[:k]
		}
		i++
	}
	return s
}

// padChar cuts s to n characters and pads it with spaces to n characters,
// as Hive stores char(n).
func padChar(s string, n int) string {
	s = truncateChars(s, n)
	if c := utf8.RuneCountInString(s); c < n {
		return s + strings.Repeat(" ", n-c)
	}
	return s
}

// recordPositions opens a row group: it notes where each stream stands.
func (c *column) recordPositions() {
	e := indexEntry{}
	if !c.root {
		e.presentPos = c.present.position(nil)
	}
	if c.dictOn {
		e.valueStart = c.dict.count()
		c.entries = append(c.entries, e)
		return
	}
	var p []uint64
	switch c.kind {
	case kindBoolean:
		p = c.bools.position(p)
	case kindByte:
		p = c.bytesRLE.position(p)
	case kindShort, kindInt, kindLong, kindDate:
		p = c.ints.position(p)
	case kindFloat, kindDouble:
		p = c.data.position(p)
	case kindString, kindChar, kindVarchar, kindBinary:
		p = c.data.position(p)
		p = c.lens.position(p)
	case kindDecimal:
		p = c.data.position(p)
		p = c.secs.position(p)
	case kindTimestamp:
		p = c.ints.position(p)
		p = c.secs.position(p)
	case kindList, kindMap:
		p = c.lens.position(p)
	}
	e.dataPos = p
	c.entries = append(c.entries, e)
}

// closeGroup ends a row group: its statistics go to the open index entry
// (when there is a row index) and into the stripe's. At the end of the
// first row group of a stripe that has values, a dictionary candidate is
// checked early, as ORC Java does: a column with too many distinct values
// is written directly from then on, without holding a dictionary for the
// whole stripe.
func (c *column) closeGroup(indexed bool) {
	if c.dictOn && !c.checked && c.dict.count() > 0 {
		c.checked = true
		if !c.dictWorth() {
			c.dropDictionary()
		}
	}
	if indexed && len(c.entries) > 0 {
		e := &c.entries[len(c.entries)-1]
		e.stats = c.group.encode(e.stats[:0], c.kind, int(c.scale))
		if c.bloom != nil {
			c.bloomIdx = appendMessageField(c.bloomIdx, 1, c.bloom.appendProto)
			c.bloom.reset()
		}
	}
	c.stripe.merge(&c.group, c.kind)
	c.group.reset()
}

// finish flushes the encoders; the streams are then complete.
func (c *column) finish() {
	c.present.flush()
	if c.bools != nil {
		c.bools.flush()
	}
	if c.bytesRLE != nil {
		c.bytesRLE.flush()
	}
	for _, e := range []intEncoder{c.ints, c.lens, c.secs, c.dictIDs} {
		if e != nil {
			e.flush()
		}
	}
	for _, s := range c.streams() {
		s.s.finish()
	}
}

type kindStream struct {
	kind int
	s    *stream
}

// streams lists the column's data streams for the stripe, leaving out
// PRESENT when the stripe has no null in the column.
func (c *column) streams() []kindStream {
	var out []kindStream
	if !c.root && c.nulls {
		out = append(out, kindStream{streamPresent, c.presentS})
	}
	if c.data != nil {
		out = append(out, kindStream{streamData, c.data})
	}
	if c.length != nil {
		out = append(out, kindStream{streamLength, c.length})
	}
	if c.useDict {
		out = append(out, kindStream{streamDictData, c.dictData})
	}
	if c.secondary != nil {
		out = append(out, kindStream{streamSecondary, c.secondary})
	}
	return out
}

// size is the number of bytes the column holds for the open stripe.
func (c *column) size() int {
	n := c.presentS.size()
	for _, s := range []*stream{c.data, c.length, c.secondary, c.dictData} {
		if s != nil {
			n += s.size()
		}
	}
	if c.dictOn {
		n += c.dict.memory() + c.dict.ids.n
	}
	return n + len(c.bloomIdx)
}

// encoding is the column's ColumnEncoding.
func (c *column) encoding() columnEncoding {
	e := c.dataEncoding()
	if c.bloom != nil {
		e.bloomEncoding = bloomEncodingUTC
	}
	return e
}

// dataEncoding is the column's ColumnEncoding kind and dictionary size.
func (c *column) dataEncoding() columnEncoding {
	switch c.kind {
	case kindBoolean, kindByte, kindFloat, kindDouble, kindStruct:
		return columnEncoding{kind: encDirect}
	}
	if c.useDict {
		if c.v2 {
			return columnEncoding{kind: encDictionaryV2, dictSize: c.dictSize}
		}
		return columnEncoding{kind: encDictionary, dictSize: c.dictSize}
	}
	if c.v2 {
		return columnEncoding{kind: encDirectV2}
	}
	return columnEncoding{kind: encDirect}
}

// rowIndex encodes the column's RowIndex for the stripe.
func (c *column) rowIndex() []byte {
	for i := range c.entries {
		e := &c.entries[i]
		e.positions = e.positions[:0]
		if c.nulls {
			e.positions = append(e.positions, e.presentPos...)
		}
		e.positions = append(e.positions, e.dataPos...)
	}
	return encodeRowIndex(c.entries)
}

// reset prepares the column for the next stripe.
func (c *column) reset() {
	c.presentS.reset()
	for _, s := range []*stream{c.data, c.length, c.secondary, c.dictData} {
		if s != nil {
			s.reset()
		}
	}
	if c.dictOK {
		c.dict.reset()
		c.dictOn, c.checked, c.useDict, c.dictSize, c.pending = true, false, false, 0, 0
	}
	c.nulls = false
	c.entries = c.entries[:0]
	c.bloomIdx = c.bloomIdx[:0]
	c.stripe.reset()
}
