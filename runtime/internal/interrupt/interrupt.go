// Package interrupt rewrites a WebAssembly module so that the host can stop it
// at any moment, cheaply: it adds a mutable i32 global, exported as
// ExportName, and a check of that global at the entry of every function and
// at the head of every loop:
//
//	global.get $interrupt
//	if
//	  unreachable
//	end
//
// Every unbounded computation in Wasm passes through a loop header (the only
// target of a backward branch) or a function entry (recursion), so setting the
// global to a non-zero value from another goroutine makes the running guest
// trap within one loop iteration or call. The check is a load, a test and a
// predicted branch, against wazero's WithCloseOnContextDone, which calls out
// of the guest at every loop iteration.
//
// # Notes
//
//   - The rewriter walks every instruction of every function body, so it must
//     know the immediates of every opcode wazero accepts (core 2.0: MVP,
//     sign extension, saturating truncation, bulk memory, reference types,
//     multi-value, SIMD; plus tail calls). Threads and exception handling are
//     refused with an error.
//   - The rewriter refuses a module whose code already refers to the global
//     index it adds (invalid before the rewrite, but valid after, so a
//     hostile module could otherwise clear the flag).
//   - Custom sections named ".debug*" are dropped: code offsets move.
package interrupt

import (
	"encoding/binary"
	"errors"
	"fmt"
	"github.com/wasmhose/wasmhose/runtime/internal/wasmbin"
	"math"
	"strings"
)

// ExportName is the name under which the interrupt global is exported.
const ExportName = "wasmhose_interrupt"

// YieldInterval is how many checks pass between two yields to the Go
// scheduler (a memory.grow 0, which wazero runs in Go). Without them a
// guest looping in compiled code holds its thread: Go cannot preempt it,
// so a garbage collection waiting to stop the world, and with it the
// whole process, would wait for the loop, and the goroutine meant to set
// the interrupt flag might never run. A module without a memory has
// nothing to grow and gets the flag check alone.
const YieldInterval = 1 << 14

// ErrMalformed is wrapped by every error about a module the rewriter cannot
// parse.
var ErrMalformed = errors.New("malformed module")

// ErrUnsupported is wrapped by errors about opcodes or features the rewriter
// does not handle.
var ErrUnsupported = errors.New("unsupported")

const (
	secCustom   = 0
	secImport   = 2
	secMemory   = 5
	secGlobal   = 6
	secExport   = 7
	secCode     = 10
	kindGlobal  = 3
	opLoop      = 0x03
	opGlobalGet = 0x23
	opGlobalSet = 0x24
)

// sectionRank orders the known sections as the binary format requires.
func sectionRank(id byte) int {
	switch id {
	case 1, 2, 3, 4, 5:
		return int(id)
	case 13: // tag
		return 6
	case 6, 7, 8, 9:
		return int(id) + 1
	case 12: // data count
		return 11
	case 10:
		return 12
	case 11:
		return 13
	}
	return -1
}

type section struct {
	id      byte
	payload []byte
}

// Stats reports what Inject changed.
type Stats struct {
	// Functions is the number of function bodies instrumented.
	Functions int
	// Loops is the number of loop headers instrumented.
	Loops int
	// Global is the index of the added global.
	Global uint32
}

// Inject returns a copy of the module wasm with the interrupt global and its
// checks added.
func Inject(wasm []byte) ([]byte, Stats, error) {
	var st Stats
	if len(wasm) < 8 || string(wasm[:4]) != "\x00asm" || binary.LittleEndian.Uint32(wasm[4:]) != 1 {
		return nil, st, fmt.Errorf("%w: not a WebAssembly 1.0 binary", ErrMalformed)
	}
	var secs []section
	r := newReader(wasm[8:])
	lastRank := 0
	for len(r.B) > 0 {
		id, err := r.Byte()
		if err != nil {
			return nil, st, err
		}
		size, err := r.U32()
		if err != nil {
			return nil, st, err
		}
		payload, err := r.Bytes(size)
		if err != nil {
			return nil, st, fmt.Errorf("section %d: %w", id, err)
		}
		if id != secCustom {
			rank := sectionRank(id)
			if rank < 0 {
				return nil, st, fmt.Errorf("%w: unknown section id %d", ErrMalformed, id)
			}
			if rank <= lastRank {
				return nil, st, fmt.Errorf("%w: section %d out of order", ErrMalformed, id)
			}
			lastRank = rank
		} else {
			nr := newReader(payload)
			name, err := nr.Name()
			if err != nil {
				return nil, st, fmt.Errorf("custom section: %w", err)
			}
			if strings.HasPrefix(name, ".debug") {
				continue
			}
		}
		secs = append(secs, section{id: id, payload: payload})
	}

	// Count globals: imported ones come first in the index space.
	var nGlobals, nMemories uint32
	for _, s := range secs {
		switch s.id {
		case secImport:
			n, m, err := countImports(s.payload)
			if err != nil {
				return nil, st, fmt.Errorf("import section: %w", err)
			}
			nGlobals += n
			nMemories += m
		case secMemory:
			n, err := newReader(s.payload).U32()
			if err != nil {
				return nil, st, fmt.Errorf("memory section: %w", err)
			}
			nMemories += n
		case secGlobal:
			n, err := newReader(s.payload).U32()
			if err != nil {
				return nil, st, fmt.Errorf("global section: %w", err)
			}
			nGlobals += n
		}
	}
	if nGlobals >= math.MaxUint32-1 {
		return nil, st, fmt.Errorf("%w: too many globals", ErrMalformed)
	}
	st.Global = nGlobals

	// The interrupt flag: i32, mutable, init i32.const 0. Then the yield
	// countdown: i32, mutable, init YieldInterval.
	newGlobal := []byte{0x7F, 0x01, 0x41, 0x00, 0x0B}
	countdown := append(appendI32([]byte{0x7F, 0x01, 0x41}, YieldInterval), 0x0B)
	yields := nMemories > 0
	newExport := appendName(nil, ExportName)
	newExport = append(newExport, kindGlobal)
	newExport = binary.AppendUvarint(newExport, uint64(st.Global))

	out := append(make([]byte, 0, len(wasm)+len(wasm)/16+64), wasm[:8]...)
	haveGlobal, haveExport := false, false
	emit := func(id byte, payload []byte) {
		out = append(out, id)
		out = binary.AppendUvarint(out, uint64(len(payload)))
		out = append(out, payload...)
	}
	// flush emits the new global and export sections if the module has none
	// and the next section comes after them.
	flush := func(rank int) {
		if !haveGlobal && rank > sectionRank(secGlobal) {
			emit(secGlobal, append(append([]byte{2}, newGlobal...), countdown...))
			haveGlobal = true
		}
		if !haveExport && rank > sectionRank(secExport) {
			emit(secExport, append([]byte{1}, newExport...))
			haveExport = true
		}
	}
	for _, s := range secs {
		if s.id != secCustom {
			flush(sectionRank(s.id))
		}
		switch s.id {
		case secGlobal:
			p, err := appendToVector(s.payload, newGlobal)
			if err == nil {
				p, err = appendToVector(p, countdown)
			}
			if err != nil {
				return nil, st, fmt.Errorf("global section: %w", err)
			}
			emit(s.id, p)
			haveGlobal = true
		case secExport:
			if err := checkExportName(s.payload); err != nil {
				return nil, st, err
			}
			p, err := appendToVector(s.payload, newExport)
			if err != nil {
				return nil, st, fmt.Errorf("export section: %w", err)
			}
			emit(s.id, p)
			haveExport = true
		case secCode:
			p, err := rewriteCode(s.payload, st.Global, yields, &st)
			if err != nil {
				return nil, st, fmt.Errorf("code section: %w", err)
			}
			emit(s.id, p)
		default:
			emit(s.id, s.payload)
		}
	}
	flush(math.MaxInt)
	return out, st, nil
}

// countImports returns the number of imported globals and memories.
func countImports(p []byte) (globals, memories uint32, err error) {
	r := newReader(p)
	n, err := r.U32()
	if err != nil {
		return 0, 0, err
	}
	for i := uint32(0); i < n; i++ {
		if _, err := r.Name(); err != nil {
			return 0, 0, err
		}
		if _, err := r.Name(); err != nil {
			return 0, 0, err
		}
		kind, err := r.Byte()
		if err != nil {
			return 0, 0, err
		}
		switch kind {
		case 0: // func: type index
			_, err = r.U32()
		case 1: // table: reftype, limits
			if _, err = r.Byte(); err == nil {
				err = r.SkipLimits()
			}
		case 2: // memory: limits
			memories++
			err = r.SkipLimits()
		case 3: // global: valtype, mutability
			globals++
			if _, err = r.Byte(); err == nil {
				_, err = r.Byte()
			}
		case 4: // tag
			if _, err = r.Byte(); err == nil {
				_, err = r.U32()
			}
		default:
			return 0, 0, fmt.Errorf("%w: import kind %d", ErrMalformed, kind)
		}
		if err != nil {
			return 0, 0, err
		}
	}
	if len(r.B) != 0 {
		return 0, 0, fmt.Errorf("%w: import section has trailing bytes", ErrMalformed)
	}
	return globals, memories, nil
}

func checkExportName(p []byte) error {
	r := newReader(p)
	n, err := r.U32()
	if err != nil {
		return fmt.Errorf("export section: %w", err)
	}
	for i := uint32(0); i < n; i++ {
		name, err := r.Name()
		if err != nil {
			return fmt.Errorf("export section: %w", err)
		}
		if name == ExportName {
			return fmt.Errorf("%w: the module already exports %q", ErrMalformed, ExportName)
		}
		if _, err := r.Byte(); err != nil {
			return fmt.Errorf("export section: %w", err)
		}
		if _, err := r.U32(); err != nil {
			return fmt.Errorf("export section: %w", err)
		}
	}
	if len(r.B) != 0 {
		return fmt.Errorf("%w: export section has trailing bytes", ErrMalformed)
	}
	return nil
}

// appendToVector increments the count of a vector section and appends item.
func appendToVector(p, item []byte) ([]byte, error) {
	r := newReader(p)
	n, err := r.U32()
	if err != nil {
		return nil, err
	}
	if n == math.MaxUint32 {
		return nil, fmt.Errorf("%w: vector too long", ErrMalformed)
	}
	out := binary.AppendUvarint(nil, uint64(n)+1)
	out = append(out, r.B...)
	return append(out, item...), nil
}

func rewriteCode(p []byte, global uint32, yields bool, st *Stats) ([]byte, error) {
	var check []byte
	if yields {
		// Count down; at zero, reset and run memory.grow 0, which wazero
		// executes in Go: a point where the goroutine can be preempted, so
		// a runaway loop never holds up the Go scheduler or a garbage
		// collection's stop-the-world (compiled Wasm cannot be preempted
		// asynchronously), and the goroutine that sets the flag gets to run.
		ctr := uint64(global) + 1
		check = append(check, opGlobalGet)
		check = binary.AppendUvarint(check, ctr)
		check = append(check, 0x41, 0x01, 0x6B, opGlobalSet) // i32.const 1, i32.sub, global.set
		check = binary.AppendUvarint(check, ctr)
		check = append(check, opGlobalGet)
		check = binary.AppendUvarint(check, ctr)
		check = append(check, 0x45, 0x04, 0x40, 0x41) // i32.eqz, if (empty), i32.const
		check = appendI32(check, YieldInterval)
		check = append(check, opGlobalSet)
		check = binary.AppendUvarint(check, ctr)
		check = append(check, 0x41, 0x00, 0x40, 0x00, 0x1A, 0x0B) // i32.const 0, memory.grow 0, drop, end
	}
	check = append(check, opGlobalGet)
	check = binary.AppendUvarint(check, uint64(global))
	check = append(check, 0x04, 0x40, 0x00, 0x0B) // if (empty) unreachable end

	r := newReader(p)
	n, err := r.U32()
	if err != nil {
		return nil, err
	}
	out := binary.AppendUvarint(make([]byte, 0, len(p)+len(p)/8), uint64(n))
	var body []byte
	for i := uint32(0); i < n; i++ {
		size, err := r.U32()
		if err != nil {
			return nil, fmt.Errorf("function %d: %w", i, err)
		}
		code, err := r.Bytes(size)
		if err != nil {
			return nil, fmt.Errorf("function %d: %w", i, err)
		}
		body, err = rewriteBody(body[:0], code, check, global, st)
		if err != nil {
			return nil, fmt.Errorf("function %d: %w", i, err)
		}
		st.Functions++
		out = binary.AppendUvarint(out, uint64(len(body)))
		out = append(out, body...)
	}
	if len(r.B) != 0 {
		return nil, fmt.Errorf("%w: %d trailing bytes", ErrMalformed, len(r.B))
	}
	return out, nil
}

func rewriteBody(out, code, check []byte, global uint32, st *Stats) ([]byte, error) {
	r := newReader(code)
	groups, err := r.U32()
	if err != nil {
		return nil, err
	}
	for g := uint32(0); g < groups; g++ {
		if _, err := r.U32(); err != nil {
			return nil, err
		}
		if _, err := r.Byte(); err != nil {
			return nil, err
		}
	}
	out = append(out, code[:len(code)-len(r.B)]...)
	out = append(out, check...)
	for len(r.B) > 0 {
		start := r.B
		op, _ := r.Byte()
		if err := r.skipImmediates(op, global); err != nil {
			return nil, fmt.Errorf("opcode 0x%02x at offset %d: %w", op, len(code)-len(start), err)
		}
		out = append(out, start[:len(start)-len(r.B)]...)
		if op == opLoop {
			out = append(out, check...)
			st.Loops++
		}
	}
	if len(out) == 0 || out[len(out)-1] != 0x0B {
		return nil, fmt.Errorf("%w: body does not end with end", ErrMalformed)
	}
	return out, nil
}

// reader reads the module's primitive encodings.
type reader struct{ wasmbin.Reader }

func newReader(b []byte) *reader { return &reader{wasmbin.Reader{B: b, Malformed: ErrMalformed}} }

func (r *reader) memarg() error {
	if _, err := r.U32(); err != nil {
		return err
	}
	_, err := r.U32()
	return err
}

func (r *reader) skip(n uint32) error {
	_, err := r.Bytes(n)
	return err
}

// skipImmediates consumes the immediates of op.
func (r *reader) skipImmediates(op byte, global uint32) error {
	switch {
	case op == 0x00, op == 0x01, op == 0x05, op == 0x0B, op == 0x0F,
		op == 0x1A, op == 0x1B, op == 0xD1, op >= 0x45 && op <= 0xC4:
		return nil
	case op >= 0x02 && op <= 0x04: // block, loop, if: blocktype (s33)
		return r.SkipSLEB(33)
	case op == 0x0C, op == 0x0D, op == 0x10, op == 0x12, op == 0xD2,
		op >= 0x20 && op <= 0x22, op == 0x25, op == 0x26:
		_, err := r.U32()
		return err
	case op == opGlobalGet, op == opGlobalSet:
		idx, err := r.U32()
		if err == nil && idx >= global {
			return fmt.Errorf("%w: global index %d out of range", ErrMalformed, idx)
		}
		return err
	case op == 0x0E: // br_table
		n, err := r.U32()
		if err != nil {
			return err
		}
		for i := uint64(0); i <= uint64(n); i++ {
			if _, err := r.U32(); err != nil {
				return err
			}
		}
		return nil
	case op == 0x11, op == 0x13: // call_indirect, return_call_indirect
		if _, err := r.U32(); err != nil {
			return err
		}
		_, err := r.U32()
		return err
	case op == 0x1C: // select t*
		n, err := r.U32()
		if err != nil {
			return err
		}
		return r.skip(n)
	case op >= 0x28 && op <= 0x3E:
		return r.memarg()
	case op == 0x3F, op == 0x40:
		_, err := r.U32()
		return err
	case op == 0x41:
		return r.SkipSLEB(32)
	case op == 0x42:
		return r.SkipSLEB(64)
	case op == 0x43:
		return r.skip(4)
	case op == 0x44:
		return r.skip(8)
	case op == 0xD0:
		_, err := r.Byte()
		return err
	case op == 0xFC:
		return r.skipFC()
	case op == 0xFD:
		return r.skipFD()
	}
	return fmt.Errorf("%w: opcode 0x%02x", ErrUnsupported, op)
}

func (r *reader) skipFC() error {
	sub, err := r.U32()
	if err != nil {
		return err
	}
	switch {
	case sub <= 7: // saturating truncation
		return nil
	case sub == 8, sub == 12, sub == 14: // memory.init, table.init, table.copy
		if _, err := r.U32(); err != nil {
			return err
		}
		_, err := r.U32()
		return err
	case sub == 10: // memory.copy
		if _, err := r.U32(); err != nil {
			return err
		}
		_, err := r.U32()
		return err
	case sub == 9, sub == 11, sub == 13, sub >= 15 && sub <= 17:
		_, err := r.U32()
		return err
	}
	return fmt.Errorf("%w: opcode 0xFC %d", ErrUnsupported, sub)
}

func (r *reader) skipFD() error {
	sub, err := r.U32()
	if err != nil {
		return err
	}
	switch {
	case sub <= 11, sub == 92, sub == 93: // loads, store, load_zero
		return r.memarg()
	case sub == 12, sub == 13: // v128.const, i8x16.shuffle
		return r.skip(16)
	case sub >= 21 && sub <= 34: // extract/replace lane
		return r.skip(1)
	case sub >= 84 && sub <= 91: // load/store lane
		if err := r.memarg(); err != nil {
			return err
		}
		return r.skip(1)
	case sub <= 0xFF:
		return nil
	}
	return fmt.Errorf("%w: opcode 0xFD %d", ErrUnsupported, sub)
}

func appendName(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// appendI32 appends v as a signed LEB128, the encoding of i32.const's
// immediate (binary.AppendVarint is zig-zag, not LEB128).
func appendI32(b []byte, v int32) []byte {
	for {
		c := byte(v & 0x7F)
		v >>= 7
		if (v == 0 && c&0x40 == 0) || (v == -1 && c&0x40 != 0) {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}
