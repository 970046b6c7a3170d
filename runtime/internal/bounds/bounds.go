// Package bounds checks, before a module is compiled, that nothing it
// declares can make the host spend unbounded memory or time: the size of the
// module, the number of functions, types, globals, tables and segments, the
// elements of its tables, the locals and control nesting of each function and
// the size of its jump tables. wazero would otherwise allocate what a
// 155-byte module asks for (four tables of 2^27 elements are 4 GiB) or spend
// minutes compiling a small one (a br_table of a million labels: 8 minutes
// and 2.7 GB).
//
// Apply also rewrites two things so that every declaration stays bounded at
// run time and every piece of guest code runs under the host's deadline:
//
//   - A table without a maximum, or with one above its share of
//     Limits.TableElements, gets that share as its maximum, so table.grow
//     fails (returns -1, as the specification allows) instead of allocating.
//   - The start section is removed and its function exported as StartExport.
//     wazero runs a start function inside instantiation, where the host's
//     interrupt flag does not exist yet; exported, the host calls it right
//     after instantiation, before any other export, under the batch deadline
//     like _initialize.
//
// # Notes
//
// The limits and the figures behind them are in RATIONALE.md ("Why these
// module limits?") and sdk/ABI.md ("Limits").
package bounds

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/wasmhose/wasmhose/runtime/internal/wasmbin"
)

// StartExport is the name under which Apply exports the function of a
// module's start section.
const StartExport = "wasmhose_start"

// Limits are the most a module may declare. A zero field means no limit.
type Limits struct {
	// ModuleBytes caps the size of the module.
	ModuleBytes int
	// Functions caps imported plus defined functions.
	Functions int
	// Types caps the function types; TypeArity the parameters plus results
	// of one type.
	Types, TypeArity int
	// Locals caps the locals one function declares (parameters excluded).
	Locals int
	// Nesting caps the depth of blocks, loops and ifs in one function.
	Nesting int
	// NestingWork caps, over the whole module, the sum over instructions of
	// the control depth at each: wazero's compile time grows with it
	// (quadratically in the depth of one function).
	NestingWork int64
	// FunctionLabels caps the labels of the br_tables of one function
	// (compile time grows faster than linearly with them); Labels caps them
	// over the module.
	FunctionLabels, Labels int
	// FunctionInstructions caps the instructions of one function (compile
	// time and memory grow faster than linearly with a function's size).
	FunctionInstructions int
	// Tables caps the number of tables; TableElements the sum of their
	// maximum sizes (each element is 8 bytes per instance).
	Tables        int
	TableElements uint32
	// Globals caps the defined globals.
	Globals int
	// DataSegments and ElemSegments cap the segments; ElemItems the items of
	// all element segments together.
	DataSegments, ElemSegments, ElemItems int
	// Exports caps the exports.
	Exports int
}

// Default returns the limits the runtime applies unless configured
// otherwise. Each is several times what the largest guests measured need
// (the built-in plugins' Go module: 3.9 MB, 2,399 functions, nesting 549,
// nesting work 49.8 million, 965 br_table labels in one function and 85,964
// over the module, 13,335 instructions in one function, one table of 6,478
// elements, 41,056 data segments).
func Default() Limits {
	return Limits{
		ModuleBytes:          16 << 20,
		Functions:            100_000,
		Types:                100_000,
		TypeArity:            1_000,
		Locals:               50_000,
		Nesting:              4_096,
		NestingWork:          256_000_000,
		FunctionLabels:       16_384,
		Labels:               500_000,
		FunctionInstructions: 250_000,
		Tables:               4,
		TableElements:        1 << 20,
		Globals:              65_536,
		DataSegments:         250_000,
		ElemSegments:         100_000,
		ElemItems:            1 << 20,
		Exports:              100_000,
	}
}

// ErrLimit is wrapped by every error about a module that exceeds a limit.
var ErrLimit = errors.New("module exceeds a limit")

// ErrMalformed is wrapped by every error about a module Apply cannot parse.
var ErrMalformed = errors.New("malformed module")

// ErrUnsupported is wrapped by errors about opcodes Apply does not know.
var ErrUnsupported = errors.New("unsupported")

// Stats are what Apply measured.
type Stats struct {
	Functions, Types, Globals, Tables, Exports int
	DataSegments, ElemSegments, ElemItems      int
	// MaxLocals, MaxNesting, MaxLabels and MaxInstructions are the largest
	// of one function; Labels and NestingWork are over the module.
	MaxLocals, MaxNesting, MaxLabels, MaxInstructions int
	Labels                                            int
	NestingWork                                       int64
	TableElements                                     uint64 // sum of the declared minimums
	HasStart                                          bool
	ClampedTables                                     int
}

func exceeded(what string, got, limit int64) error {
	return fmt.Errorf("%w: %s: %d, limit %d", ErrLimit, what, got, limit)
}

// over reports whether got exceeds a non-zero limit.
func over[T int | int64 | uint32 | uint64](got, limit T) bool { return limit != 0 && got > limit }

// Apply checks wasm against lim and returns the module with its tables'
// maxima clamped and its start section exported (wasm itself when neither
// applies). The error wraps ErrLimit, naming the limit and the value, or
// ErrMalformed.
func Apply(wasm []byte, lim Limits) ([]byte, Stats, error) {
	var st Stats
	if over(len(wasm), lim.ModuleBytes) {
		return nil, st, exceeded("module size in bytes", int64(len(wasm)), int64(lim.ModuleBytes))
	}
	secs, err := wasmbin.Sections(wasm, ErrMalformed)
	if err != nil {
		return nil, st, err
	}
	var (
		tables     []table
		start      uint32
		exportsIdx = -1
	)
	for i, s := range secs {
		var err error
		switch s.ID {
		case 1:
			err = checkTypes(s.Payload, lim, &st)
		case 2:
			err = countImports(s.Payload, &st)
		case 3:
			var n uint32
			n, err = newReader(s.Payload).U32()
			st.Functions += int(n)
		case 4:
			tables, err = readTables(s.Payload)
		case 6:
			err = checkGlobals(s.Payload, &st)
		case 7:
			exportsIdx = i
			err = checkExports(s.Payload, &st)
		case 8:
			st.HasStart = true
			start, err = newReader(s.Payload).U32()
		case 9:
			err = checkElements(s.Payload, &st)
		case 10:
			err = checkCode(s.Payload, lim, &st)
		case 11:
			var n uint32
			n, err = newReader(s.Payload).U32()
			st.DataSegments = int(n)
		}
		if err != nil {
			return nil, st, fmt.Errorf("section %d: %w", s.ID, err)
		}
		if err := checkCounts(lim, &st); err != nil {
			return nil, st, err
		}
	}
	st.Tables = len(tables)
	if over(st.Tables, lim.Tables) {
		return nil, st, exceeded("tables", int64(st.Tables), int64(lim.Tables))
	}
	for _, t := range tables {
		st.TableElements += uint64(t.min)
	}
	if over(st.TableElements, uint64(lim.TableElements)) {
		return nil, st, exceeded("table elements (sum of the tables' minimum sizes)", int64(st.TableElements), int64(lim.TableElements))
	}
	if !st.HasStart && !needsClamp(tables, lim, st.TableElements) {
		return wasm, st, nil
	}

	out := append(make([]byte, 0, len(wasm)+32), wasm[:8]...)
	emit := func(id byte, payload []byte) {
		out = append(out, id)
		out = binary.AppendUvarint(out, uint64(len(payload)))
		out = append(out, payload...)
	}
	startExport := binary.AppendUvarint(nil, uint64(len(StartExport)))
	startExport = append(append(startExport, StartExport...), 0) // kind func
	startExport = binary.AppendUvarint(startExport, uint64(start))
	for _, s := range secs {
		switch {
		case s.ID == 4 && lim.TableElements != 0:
			emit(4, clampTables(tables, lim.TableElements, st.TableElements, &st))
		case s.ID == 7 && st.HasStart:
			n, rest, _ := vectorCount(s.Payload)
			p := binary.AppendUvarint(nil, uint64(n)+1)
			emit(7, append(append(p, rest...), startExport...))
		case s.ID == 8:
			if exportsIdx < 0 {
				emit(7, append([]byte{1}, startExport...))
			}
		default:
			emit(s.ID, s.Payload)
		}
	}
	return out, st, nil
}

func checkCounts(lim Limits, st *Stats) error {
	for _, c := range []struct {
		what       string
		got, limit int
	}{
		{"functions", st.Functions, lim.Functions},
		{"function types", st.Types, lim.Types},
		{"globals", st.Globals, lim.Globals},
		{"exports", st.Exports, lim.Exports},
		{"data segments", st.DataSegments, lim.DataSegments},
		{"element segments", st.ElemSegments, lim.ElemSegments},
		{"element segment items", st.ElemItems, lim.ElemItems},
	} {
		if over(c.got, c.limit) {
			return exceeded(c.what, int64(c.got), int64(c.limit))
		}
	}
	return nil
}

// table is one entry of the table section.
type table struct {
	ref      byte
	min, max uint32
	hasMax   bool
}

func readTables(p []byte) ([]table, error) {
	r := newReader(p)
	n, err := r.U32()
	if err != nil {
		return nil, err
	}
	if uint64(n)*3 > uint64(len(r.B)) { // a table takes 3 bytes at least
		return nil, fmt.Errorf("%w: table count %d beyond the section", ErrMalformed, n)
	}
	ts := make([]table, 0, n)
	for i := uint32(0); i < n; i++ {
		var t table
		if t.ref, err = r.Byte(); err != nil {
			return nil, err
		}
		flag, err := r.Byte()
		if err != nil {
			return nil, err
		}
		if flag > 1 {
			return nil, fmt.Errorf("%w: table %d: limits flag 0x%02x", ErrUnsupported, i, flag)
		}
		if t.min, err = r.U32(); err != nil {
			return nil, err
		}
		if flag == 1 {
			t.hasMax = true
			if t.max, err = r.U32(); err != nil {
				return nil, err
			}
		}
		ts = append(ts, t)
	}
	if len(r.B) != 0 {
		return nil, fmt.Errorf("%w: table section has trailing bytes", ErrMalformed)
	}
	return ts, nil
}

// share is how far each table may grow beyond its minimum: an equal part of
// what the minimums leave of the limit.
func share(n int, limit uint32, mins uint64) uint64 {
	if n == 0 || uint64(limit) <= mins {
		return 0
	}
	return (uint64(limit) - mins) / uint64(n)
}

func needsClamp(ts []table, lim Limits, mins uint64) bool {
	if lim.TableElements == 0 {
		return false
	}
	sh := share(len(ts), lim.TableElements, mins)
	for _, t := range ts {
		if !t.hasMax || uint64(t.max) > uint64(t.min)+sh {
			return true
		}
	}
	return false
}

func clampTables(ts []table, limit uint32, mins uint64, st *Stats) []byte {
	sh := share(len(ts), limit, mins)
	p := binary.AppendUvarint(nil, uint64(len(ts)))
	for _, t := range ts {
		max := uint64(t.max)
		if !t.hasMax || max > uint64(t.min)+sh {
			max = uint64(t.min) + sh
			st.ClampedTables++
		}
		p = append(p, t.ref, 1)
		p = binary.AppendUvarint(p, uint64(t.min))
		p = binary.AppendUvarint(p, max)
	}
	return p
}

func vectorCount(p []byte) (uint32, []byte, error) {
	r := newReader(p)
	n, err := r.U32()
	return n, r.B, err
}

func checkTypes(p []byte, lim Limits, st *Stats) error {
	r := newReader(p)
	n, err := r.U32()
	if err != nil {
		return err
	}
	st.Types = int(n)
	if over(st.Types, lim.Types) {
		return exceeded("function types", int64(n), int64(lim.Types))
	}
	for i := uint32(0); i < n; i++ {
		if form, err := r.Byte(); err != nil {
			return err
		} else if form != 0x60 {
			return fmt.Errorf("%w: type %d: form 0x%02x", ErrUnsupported, i, form)
		}
		arity := 0
		for range 2 { // parameters, results
			k, err := r.U32()
			if err != nil {
				return err
			}
			arity += int(k)
			if over(arity, lim.TypeArity) {
				return exceeded(fmt.Sprintf("parameters and results of type %d", i), int64(arity), int64(lim.TypeArity))
			}
			if _, err := r.Bytes(k); err != nil {
				return err
			}
		}
	}
	return nil
}

func countImports(p []byte, st *Stats) error {
	r := newReader(p)
	n, err := r.U32()
	if err != nil {
		return err
	}
	for i := uint32(0); i < n; i++ {
		if _, err := r.Name(); err != nil {
			return err
		}
		if _, err := r.Name(); err != nil {
			return err
		}
		kind, err := r.Byte()
		if err != nil {
			return err
		}
		if kind == 0 {
			st.Functions++
		}
		if err := r.SkipImportDesc(kind); err != nil {
			return err
		}
	}
	return nil
}

// skipExpr skips a constant expression up to and including its end.
func skipExpr(r *reader) error {
	for {
		op, err := r.Byte()
		if err != nil {
			return err
		}
		if op == 0x0B {
			return nil
		}
		if err := r.SkipImmediates(op, ErrUnsupported); err != nil {
			return err
		}
	}
}

func checkGlobals(p []byte, st *Stats) error {
	r := newReader(p)
	n, err := r.U32()
	if err != nil {
		return err
	}
	st.Globals = int(n)
	if uint64(n)*4 > uint64(len(r.B)) { // a global takes 4 bytes at least
		return fmt.Errorf("%w: global count %d beyond the section", ErrMalformed, n)
	}
	return nil
}

func checkExports(p []byte, st *Stats) error {
	r := newReader(p)
	n, err := r.U32()
	if err != nil {
		return err
	}
	st.Exports = int(n)
	if uint64(n)*3 > uint64(len(r.B)) {
		return fmt.Errorf("%w: export count %d beyond the section", ErrMalformed, n)
	}
	for i := uint32(0); i < n; i++ {
		name, err := r.Name()
		if err != nil {
			return err
		}
		if name == StartExport {
			return fmt.Errorf("%w: the module exports %q, a name the host reserves", ErrMalformed, StartExport)
		}
		if _, err := r.Byte(); err != nil {
			return err
		}
		if _, err := r.U32(); err != nil {
			return err
		}
	}
	return nil
}

func checkElements(p []byte, st *Stats) error {
	r := newReader(p)
	n, err := r.U32()
	if err != nil {
		return err
	}
	st.ElemSegments = int(n)
	if uint64(n)*2 > uint64(len(r.B)) {
		return fmt.Errorf("%w: element segment count %d beyond the section", ErrMalformed, n)
	}
	for i := uint32(0); i < n; i++ {
		flag, err := r.U32()
		if err != nil {
			return err
		}
		if flag > 7 {
			return fmt.Errorf("%w: element segment %d: flags %d", ErrMalformed, i, flag)
		}
		if flag&3 == 2 { // explicit table index
			if _, err := r.U32(); err != nil {
				return err
			}
		}
		if flag&1 == 0 { // active: offset expression
			if err := skipExpr(r); err != nil {
				return err
			}
		}
		if flag&3 != 0 { // elemkind or reftype
			if _, err := r.Byte(); err != nil {
				return err
			}
		}
		items, err := r.U32()
		if err != nil {
			return err
		}
		st.ElemItems += int(items)
		if uint64(st.ElemItems) > uint64(len(p)) { // an item takes a byte at least
			return fmt.Errorf("%w: element segment %d: %d items beyond the section", ErrMalformed, i, items)
		}
		for j := uint32(0); j < items; j++ {
			if flag&4 == 0 {
				_, err = r.U32()
			} else {
				err = skipExpr(r)
			}
			if err != nil {
				return err
			}
		}
	}
	return nil
}

func checkCode(p []byte, lim Limits, st *Stats) error {
	r := newReader(p)
	n, err := r.U32()
	if err != nil {
		return err
	}
	for i := uint32(0); i < n; i++ {
		size, err := r.U32()
		if err != nil {
			return fmt.Errorf("function %d: %w", i, err)
		}
		body, err := r.Bytes(size)
		if err != nil {
			return fmt.Errorf("function %d: %w", i, err)
		}
		if err := checkBody(body, lim, st); err != nil {
			return fmt.Errorf("function %d: %w", i, err)
		}
	}
	return nil
}

func checkBody(body []byte, lim Limits, st *Stats) error {
	r := newReader(body)
	groups, err := r.U32()
	if err != nil {
		return err
	}
	locals := uint64(0)
	for j := uint32(0); j < groups; j++ {
		k, err := r.U32()
		if err != nil {
			return err
		}
		if _, err := r.Byte(); err != nil {
			return err
		}
		locals += uint64(k)
		if over(locals, uint64(lim.Locals)) {
			return exceeded("locals", int64(locals), int64(lim.Locals))
		}
	}
	st.MaxLocals = max(st.MaxLocals, int(locals))
	depth := 1 // the function body
	labels, instructions := 0, 0
	for len(r.B) > 0 {
		op, _ := r.Byte()
		instructions++
		if over(instructions, lim.FunctionInstructions) {
			return exceeded("instructions in one function", int64(instructions), int64(lim.FunctionInstructions))
		}
		st.MaxInstructions = max(st.MaxInstructions, instructions)
		switch op {
		case 0x02, 0x03, 0x04:
			depth++
			if over(depth-1, lim.Nesting) {
				return exceeded("control nesting depth", int64(depth-1), int64(lim.Nesting))
			}
			st.MaxNesting = max(st.MaxNesting, depth-1)
			err = r.SkipSLEB(33)
		case 0x0B:
			depth--
		case 0x0E:
			var k uint32
			if k, err = r.U32(); err != nil {
				return err
			}
			labels += int(k) + 1
			if over(labels, lim.FunctionLabels) {
				return exceeded("br_table labels in one function", int64(labels), int64(lim.FunctionLabels))
			}
			st.Labels += int(k) + 1
			st.MaxLabels = max(st.MaxLabels, labels)
			if over(st.Labels, lim.Labels) {
				return exceeded("br_table labels in the module", int64(st.Labels), int64(lim.Labels))
			}
			for l := uint64(0); l <= uint64(k) && err == nil; l++ {
				_, err = r.U32()
			}
		default:
			err = r.SkipImmediates(op, ErrUnsupported)
		}
		if err != nil {
			return err
		}
		st.NestingWork += int64(depth)
		if over(st.NestingWork, lim.NestingWork) {
			return exceeded("nesting work (control depth summed over instructions)", st.NestingWork, lim.NestingWork)
		}
	}
	return nil
}

// reader reads the module's primitive encodings.
type reader struct{ wasmbin.Reader }

func newReader(b []byte) *reader { return &reader{wasmbin.Reader{B: b, Malformed: ErrMalformed}} }
