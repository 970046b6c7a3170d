package orc

import (
	"errors"
	"fmt"
	"io"
	"math"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/wasmhose/wasmhose/converters/hive"
)

// checkRows is the most rows written between two checks of the stripe
// size; fewer are written as the stripe nears its size, so that it
// overshoots by little (see chunkRows).
const checkRows = 4096

// bloomKind tells whether a column of this kind gets a bloom filter when
// BloomFilterColumns names it: every primitive but decimal, whose hashed
// form (Java's HiveDecimal text) is not reproduced here.
func bloomKind(kind int) bool {
	switch kind {
	case kindDecimal, kindList, kindMap, kindStruct:
		return false
	}
	return true
}

// maxDictShare bounds a column's dictionary to this share of the stripe
// size (1/2): past it the column is written directly for the rest of the
// stripe. A dictionary is held uncompressed and counts towards the stripe
// size in full, so one that large would close the stripe early; written
// directly, the same values are held compressed.
const maxDictShare = 2

// ErrClosed is returned by Write after Close.
var ErrClosed = errors.New("orc: writer is closed")

// Writer writes Arrow record batches as one ORC file. It is not safe for
// concurrent use.
type Writer struct {
	w      io.Writer
	set    settings
	schema *arrow.Schema
	codec  *codec
	colCfg columnConfig
	cols   []*column // by column id; cols[0] is the root struct
	types  []typeInfo

	offset     uint64 // bytes written so far
	groupOpen  bool
	groupRows  int
	stripeRows int
	rows       uint64
	stripes    []stripeInfo
	metadata   []byte // encoded Metadata: one StripeStatistics per stripe
	stats      [][]byte
	err        error // sticky: the first write error
	closed     bool
}

// NewWriter starts an ORC file on w for record batches of the given schema.
// It writes the file header at once. Each field's Hive type is read from its
// "hive.type" metadata when present (for char and varchar lengths) and
// derived from its Arrow type otherwise.
func NewWriter(w io.Writer, schema *arrow.Schema, opts Options) (*Writer, error) {
	set, err := opts.settings()
	if err != nil {
		return nil, err
	}
	for _, name := range opts.BloomFilterColumns {
		if len(schema.FieldIndices(name)) == 0 {
			return nil, fmt.Errorf("orc: options: BloomFilterColumns: no column %q", name)
		}
	}
	c, err := newCodec(set.compression)
	if err != nil {
		return nil, err
	}
	wr := &Writer{w: w, set: set, schema: schema, codec: c}
	wr.colCfg = columnConfig{
		codec:     c,
		block:     compressionBlockSize,
		pool:      &chunkPool{},
		v2:        set.v2,
		threshold: set.dictThreshold,
		maxDict:   int(min(set.stripeSize/maxDictShare, math.MaxInt32)),
	}
	root := wr.addColumn(kindStruct)
	root.root = true
	for _, f := range schema.Fields() {
		child, err := wr.build(f, nil)
		if err != nil {
			return nil, err
		}
		if set.stride > 0 && bloomKind(child.kind) && slices.Contains(opts.BloomFilterColumns, f.Name) {
			child.bloom = newBloomFilter(set.stride, set.bloomFPP)
		}
		root.children = append(root.children, child)
		wr.types[0].subtypes = append(wr.types[0].subtypes, uint64(child.id))
		wr.types[0].fieldNames = append(wr.types[0].fieldNames, f.Name)
	}
	if err := wr.emit([]byte("ORC")); err != nil {
		return nil, err
	}
	return wr, nil
}

func (w *Writer) addColumn(kind int) *column {
	c := newColumn(len(w.cols), kind, &w.colCfg)
	w.cols = append(w.cols, c)
	w.types = append(w.types, typeInfo{kind: kind})
	return c
}

// build adds the column (and its children, in pre-order) for an Arrow field.
// ht is the field's Hive type from an enclosing field's metadata, if any; the
// field's own metadata (hive.MetadataKey) takes precedence.
func (w *Writer) build(f arrow.Field, ht *hive.Type) (*column, error) {
	if i := f.Metadata.FindKey(hive.MetadataKey); i >= 0 {
		t, err := hive.ParseType(f.Metadata.Values()[i])
		if err != nil {
			return nil, fmt.Errorf("orc: field %q: %w", f.Name, err)
		}
		ht = t
	}
	kind, err := orcKind(f.Type, ht)
	if err != nil {
		return nil, fmt.Errorf("orc: field %q: %w", f.Name, err)
	}
	c := w.addColumn(kind)
	t := &w.types[c.id]
	switch dt := f.Type.(type) {
	case *arrow.Decimal128Type:
		c.scale = dt.Scale
		t.precision, t.scale = int(dt.Precision), int(dt.Scale)
	case *arrow.TimestampType:
		c.unit = dt.Unit
	}
	if kind == kindChar || kind == kindVarchar {
		c.maxLen = ht.Length
		t.maxLength = c.maxLen
	}
	var fields []arrow.Field
	var hiveChildren []*hive.Type
	switch dt := f.Type.(type) {
	case *arrow.MapType:
		fields = []arrow.Field{dt.KeyField(), dt.ItemField()}
		if ht != nil {
			hiveChildren = []*hive.Type{ht.Key, ht.Value}
		}
	case *arrow.ListType:
		fields = []arrow.Field{dt.ElemField()}
		if ht != nil {
			hiveChildren = []*hive.Type{ht.Elem}
		}
	case *arrow.StructType:
		fields = dt.Fields()
		if ht != nil {
			for _, hf := range ht.Fields {
				hiveChildren = append(hiveChildren, hf.Type)
			}
		}
	}
	for k, cf := range fields {
		var cht *hive.Type
		if hiveChildren != nil {
			cht = hiveChildren[k]
		}
		child, err := w.build(cf, cht)
		if err != nil {
			return nil, err
		}
		c.children = append(c.children, child)
		t := &w.types[c.id] // w.types may have grown
		t.subtypes = append(t.subtypes, uint64(child.id))
		if kind == kindStruct {
			t.fieldNames = append(t.fieldNames, cf.Name)
		}
	}
	return c, nil
}

// orcKind maps an Arrow type, checked against its Hive type when known, to
// an ORC type kind. The Hive type only adds what Arrow does not carry: that
// a string is a char or a varchar, and its length.
func orcKind(dt arrow.DataType, ht *hive.Type) (int, error) {
	var kind int
	var hiveKinds []hive.Kind
	switch t := dt.(type) {
	case *arrow.BooleanType:
		kind, hiveKinds = kindBoolean, []hive.Kind{hive.Boolean}
	case *arrow.Int8Type:
		kind, hiveKinds = kindByte, []hive.Kind{hive.TinyInt}
	case *arrow.Int16Type:
		kind, hiveKinds = kindShort, []hive.Kind{hive.SmallInt}
	case *arrow.Int32Type:
		kind, hiveKinds = kindInt, []hive.Kind{hive.Int}
	case *arrow.Int64Type:
		kind, hiveKinds = kindLong, []hive.Kind{hive.BigInt}
	case *arrow.Float32Type:
		kind, hiveKinds = kindFloat, []hive.Kind{hive.Float}
	case *arrow.Float64Type:
		kind, hiveKinds = kindDouble, []hive.Kind{hive.Double}
	case *arrow.Decimal128Type:
		if t.Precision < 1 || t.Precision > 38 || t.Scale < 0 || t.Scale > t.Precision {
			return 0, fmt.Errorf("decimal(%d,%d) is outside ORC's decimal(1..38, 0..precision)", t.Precision, t.Scale)
		}
		kind, hiveKinds = kindDecimal, []hive.Kind{hive.Decimal}
	case *arrow.StringType:
		kind, hiveKinds = kindString, []hive.Kind{hive.String, hive.Char, hive.Varchar}
	case *arrow.BinaryType:
		kind, hiveKinds = kindBinary, []hive.Kind{hive.Binary}
	case *arrow.Date32Type:
		kind, hiveKinds = kindDate, []hive.Kind{hive.Date}
	case *arrow.TimestampType:
		kind, hiveKinds = kindTimestamp, []hive.Kind{hive.Timestamp}
	case *arrow.ListType:
		kind, hiveKinds = kindList, []hive.Kind{hive.Array}
	case *arrow.MapType:
		kind, hiveKinds = kindMap, []hive.Kind{hive.Map}
	case *arrow.StructType:
		kind, hiveKinds = kindStruct, []hive.Kind{hive.Struct}
	default:
		return 0, fmt.Errorf("Arrow type %s has no ORC mapping", dt)
	}
	if ht == nil {
		return kind, nil
	}
	if !slices.Contains(hiveKinds, ht.Kind) {
		return 0, fmt.Errorf("%s %s does not match Arrow type %s", hive.MetadataKey, ht, dt)
	}
	switch ht.Kind {
	case hive.Char:
		return kindChar, nil
	case hive.Varchar:
		return kindVarchar, nil
	case hive.Struct:
		if n := dt.(*arrow.StructType).NumFields(); len(ht.Fields) != n {
			return 0, fmt.Errorf("%s %s has %d fields, Arrow %d", hive.MetadataKey, ht, len(ht.Fields), n)
		}
	}
	return kind, nil
}

// Write adds a record batch's rows to the file. The batch must have the
// writer's schema (field types; metadata may differ). Stripes are written to
// the underlying writer as they fill.
func (w *Writer) Write(rec arrow.RecordBatch) error {
	if w.closed {
		return ErrClosed
	}
	if w.err != nil {
		return w.err
	}
	if err := w.checkSchema(rec.Schema()); err != nil {
		return err
	}
	n := int(rec.NumRows())
	root := w.cols[0]
	for start := 0; start < n; {
		chunk := min(n-start, w.chunkRows())
		if w.set.stride > 0 {
			chunk = min(chunk, w.set.stride-w.groupRows)
		}
		if !w.groupOpen {
			w.openGroup()
		}
		for i, c := range root.children {
			c.write(rec.Column(i), start, start+chunk)
		}
		root.group.count += uint64(chunk)
		start += chunk
		w.groupRows += chunk
		w.stripeRows += chunk
		if w.set.stride > 0 && w.groupRows == w.set.stride {
			w.closeGroup()
		}
		if w.bufferedSize() >= w.set.stripeSize {
			if err := w.flushStripe(); err != nil {
				return err
			}
		}
	}
	return nil
}

// chunkRows is how many rows to write before checking the stripe size
// again: about an eighth of the room left in the stripe, at the stripe's
// bytes per row so far, between 64 and checkRows.
func (w *Writer) chunkRows() int {
	if w.stripeRows == 0 {
		return 64
	}
	buffered := w.bufferedSize()
	perRow := max(1, buffered/int64(w.stripeRows))
	room := max(0, w.set.stripeSize-buffered)
	return int(min(max(room/perRow/8, 64), checkRows))
}

func (w *Writer) checkSchema(s *arrow.Schema) error {
	if s.NumFields() != w.schema.NumFields() {
		return fmt.Errorf("orc: batch has %d columns, the writer's schema %d", s.NumFields(), w.schema.NumFields())
	}
	for i, f := range s.Fields() {
		want := w.schema.Field(i)
		if f.Name != want.Name || !arrow.TypeEqual(f.Type, want.Type) {
			return fmt.Errorf("orc: batch column %d is %s %s, want %s %s", i, f.Name, f.Type, want.Name, want.Type)
		}
	}
	return nil
}

func (w *Writer) openGroup() {
	if w.set.stride > 0 {
		for _, c := range w.cols {
			c.recordPositions()
		}
	}
	w.groupOpen = true
}

func (w *Writer) closeGroup() {
	for _, c := range w.cols {
		c.closeGroup(w.set.stride > 0)
	}
	w.groupOpen = false
	w.groupRows = 0
}

// bufferedSize is the number of bytes the open stripe holds.
func (w *Writer) bufferedSize() int64 {
	n := 0
	for _, c := range w.cols {
		n += c.size()
	}
	return int64(n)
}

// emit writes p to the file.
func (w *Writer) emit(p []byte) error {
	if _, err := w.w.Write(p); err != nil {
		w.err = fmt.Errorf("orc: write: %w", err)
		return w.err
	}
	w.offset += uint64(len(p))
	return nil
}

// flushStripe writes the open stripe: its row index, its data streams and
// its footer.
func (w *Writer) flushStripe() error {
	if w.groupOpen {
		w.closeGroup()
	}
	for _, c := range w.cols {
		c.chooseEncoding()
	}
	var streams []streamInfo
	var index [][]byte
	var indexLen, dataLen uint64
	if w.set.stride > 0 {
		for _, c := range w.cols {
			b := compressBlob(w.codec, compressionBlockSize, c.rowIndex())
			index = append(index, b)
			streams = append(streams, streamInfo{streamRowIndex, c.id, uint64(len(b))})
			indexLen += uint64(len(b))
			if c.bloom != nil {
				b := compressBlob(w.codec, compressionBlockSize, c.bloomIdx)
				index = append(index, b)
				streams = append(streams, streamInfo{streamBloomUTF8, c.id, uint64(len(b))})
				indexLen += uint64(len(b))
			}
		}
	}
	var data []*stream
	encodings := make([]columnEncoding, len(w.cols))
	for i, c := range w.cols {
		c.finish()
		for _, s := range c.streams() {
			n := uint64(s.s.length())
			data = append(data, s.s)
			streams = append(streams, streamInfo{s.kind, c.id, n})
			dataLen += n
		}
		encodings[i] = c.encoding()
	}
	foot := compressBlob(w.codec, compressionBlockSize, encodeStripeFooter(streams, encodings))
	total := indexLen + dataLen + uint64(len(foot))
	if err := w.pad(total); err != nil {
		return err
	}
	info := stripeInfo{offset: w.offset, indexLength: indexLen, dataLength: dataLen,
		footerLength: uint64(len(foot)), rows: uint64(w.stripeRows)}
	for _, p := range index {
		if err := w.emit(p); err != nil {
			return err
		}
	}
	for _, s := range data {
		if err := s.out.each(w.emit); err != nil {
			return err
		}
	}
	if err := w.emit(foot); err != nil {
		return err
	}
	w.stripes = append(w.stripes, info)
	colStats := make([][]byte, len(w.cols))
	for i, c := range w.cols {
		colStats[i] = c.stripe.encode(nil, c.kind, int(c.scale))
		c.file.merge(&c.stripe, c.kind)
		c.reset()
	}
	w.metadata = encodeStripeStatistics(w.metadata, colStats)
	w.rows += uint64(w.stripeRows)
	w.stripeRows = 0
	return nil
}

// pad writes zeros up to the next block boundary when padding is on, the
// stripe would straddle the boundary, and the space left is within the
// padding tolerance.
func (w *Writer) pad(stripeLen uint64) error {
	if !w.set.padding {
		return nil
	}
	block := uint64(w.set.blockSize)
	left := block - w.offset%block
	if stripeLen <= left || float64(left) > w.set.tolerance*float64(w.set.stripeSize) {
		return nil
	}
	zeros := make([]byte, min(left, 1<<20))
	for left > 0 {
		n := min(left, uint64(len(zeros)))
		if err := w.emit(zeros[:n]); err != nil {
			return err
		}
		left -= n
	}
	return nil
}

// Close writes the last stripe and the file tail (metadata, footer,
// postscript). It does not close the underlying writer. Closing twice is a
// no-op.
func (w *Writer) Close() error {
	if w.closed {
		return w.err
	}
	w.closed = true
	if w.err != nil {
		return w.err
	}
	if w.stripeRows > 0 {
		if err := w.flushStripe(); err != nil {
			return err
		}
	}
	contentLength := w.offset
	meta := compressBlob(w.codec, compressionBlockSize, w.metadata)
	stats := make([][]byte, len(w.cols))
	for i, c := range w.cols {
		stats[i] = c.file.encode(nil, c.kind, int(c.scale))
	}
	foot := compressBlob(w.codec, compressionBlockSize, encodeFooter(&footer{
		contentLength: contentLength,
		stripes:       w.stripes,
		types:         w.types,
		rows:          w.rows,
		stats:         stats,
		stride:        w.set.stride,
	}))
	ps := encodePostScript(&postScript{
		footerLength:   uint64(len(foot)),
		compression:    w.set.compression,
		blockSize:      compressionBlockSize,
		version:        w.set.version,
		metadataLength: uint64(len(meta)),
	})
	if len(ps) > 255 {
		return fmt.Errorf("orc: postscript of %d bytes exceeds 255", len(ps))
	}
	for _, p := range [][]byte{meta, foot, ps, {byte(len(ps))}} {
		if err := w.emit(p); err != nil {
			return err
		}
	}
	return nil
}
