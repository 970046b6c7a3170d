// Package interrupt rewrites a WebAssembly module so that the host can stop it
// at any moment, cheaply: it adds a mutable i32 global, exported as
// ExportName, and checks of that global at the entry of every function and
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
// trap soon after.
//
// Checking a global at every loop iteration costs a memory load; the yield
// countdown that keeps Go's scheduler alive (see YieldInterval) costs a load
// and a store, and the store-to-load chain through memory made loop-heavy
// guests 60-70% slower. So in a module with a memory, loops count their
// iterations in an added local instead, which the compiler keeps in a
// register, and run the global checks once every LoopCheckInterval
// iterations; function entries run them every time. That bounds the work
// between two checks by LoopCheckInterval iterations per active call frame.
// wazero's WithCloseOnContextDone, the alternative, calls out of the guest at
// every loop iteration.
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

// LoopCheckInterval is how many iterations of a function's loops pass
// between two slow checks (flag and yield countdown) in one call of the
// function. The iterations are counted in a local, which the compiler keeps
// in a register, so a loop pays an add, an and and a predicted branch per
// iteration instead of a global's load and store. Calls count one check
// each at function entry, so loops nested across functions still reach a
// slow check at least every LoopCheckInterval iterations or calls. Must be
// a power of two.
const LoopCheckInterval = 1 << 6

// ErrMalformed is wrapped by every error about a module the rewriter cannot
// parse.
var ErrMalformed = errors.New("malformed module")

// ErrUnsupported is wrapped by errors about opcodes or features the rewriter
// does not handle.
var ErrUnsupported = errors.New("unsupported")

const (
	secCustom   = 0
	secType     = 1
	secImport   = 2
	secFunction = 3
	secMemory   = 5
	secGlobal   = 6
	secExport   = 7
	secCode     = 10
	kindGlobal  = 3
	opLoop      = 0x03
	opLocalGet  = 0x20
	opLocalTee  = 0x22
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
	var nGlobals, nMemories, nImportedFuncs uint32
	var paramCounts, funcTypes []uint32
	for _, s := range secs {
		switch s.id {
		case secImport:
			n, m, f, err := countImports(s.payload)
			if err != nil {
				return nil, st, fmt.Errorf("import section: %w", err)
			}
			nGlobals += n
			nMemories += m
			nImportedFuncs += f
		case secType:
			var err error
			if paramCounts, err = readParamCounts(s.payload); err != nil {
				return nil, st, fmt.Errorf("type section: %w", err)
			}
		case secFunction:
			var err error
			if funcTypes, err = readU32Vector(s.payload); err != nil {
				return nil, st, fmt.Errorf("function section: %w", err)
			}
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
			params := make([]uint32, len(funcTypes))
			for i, t := range funcTypes {
				if int(t) >= len(paramCounts) {
					return nil, st, fmt.Errorf("%w: function %d has type %d of %d", ErrMalformed, nImportedFuncs+uint32(i), t, len(paramCounts))
				}
				params[i] = paramCounts[t]
			}
			p, err := rewriteCode(s.payload, st.Global, yields, params, &st)
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
func countImports(p []byte) (globals, memories, funcs uint32, err error) {
	r := newReader(p)
	n, err := r.U32()
	if err != nil {
		return 0, 0, 0, err
	}
	for i := uint32(0); i < n; i++ {
		if _, err := r.Name(); err != nil {
			return 0, 0, 0, err
		}
		if _, err := r.Name(); err != nil {
			return 0, 0, 0, err
		}
		kind, err := r.Byte()
		if err != nil {
			return 0, 0, 0, err
		}
		switch kind {
		case 0: // func: type index
			funcs++
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
			return 0, 0, 0, fmt.Errorf("%w: import kind %d", ErrMalformed, kind)
		}
		if err != nil {
			return 0, 0, 0, err
		}
	}
	if len(r.B) != 0 {
		return 0, 0, 0, fmt.Errorf("%w: import section has trailing bytes", ErrMalformed)
	}
	return globals, memories, funcs, nil
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

// slowCheck is the check run at every function entry, and at a loop head
// once every LoopCheckInterval iterations: with yields, count the global
// countdown down and at zero reset it and run memory.grow 0, which wazero
// executes in Go: a point where the goroutine can be preempted, so a
// runaway loop never holds up the Go scheduler or a garbage collection's
// stop-the-world (compiled Wasm cannot be preempted asynchronously), and the
// goroutine that sets the flag gets to run. Then the flag test.
func slowCheck(global uint32, yields bool) []byte {
	var check []byte
	if yields {
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
	return append(check, 0x04, 0x40, 0x00, 0x0B) // if (empty) unreachable end
}

// loopCheck is the check at a loop head when the function has a counter in
// local: count the iteration in the local (a register, unlike a global)
// and run slow once every LoopCheckInterval iterations.
func loopCheck(local uint32, slow []byte) []byte {
	check := []byte{opLocalGet}
	check = binary.AppendUvarint(check, uint64(local))
	check = append(check, 0x41, 0x01, 0x6A, opLocalTee) // i32.const 1, i32.add, local.tee
	check = binary.AppendUvarint(check, uint64(local))
	check = append(check, 0x41)
	check = appendI32(check, LoopCheckInterval-1)
	check = append(check, 0x71, 0x45, 0x04, 0x40) // i32.and, i32.eqz, if (empty)
	check = append(check, slow...)
	return append(check, 0x0B) // end
}

func rewriteCode(p []byte, global uint32, yields bool, params []uint32, st *Stats) ([]byte, error) {
	slow := slowCheck(global, yields)
	r := newReader(p)
	n, err := r.U32()
	if err != nil {
		return nil, err
	}
	if int(n) != len(params) {
		return nil, fmt.Errorf("%w: %d function bodies for %d declared functions", ErrMalformed, n, len(params))
	}
	out := binary.AppendUvarint(make([]byte, 0, len(p)+len(p)/8), uint64(n))
	var body, instrs []byte
	for i := uint32(0); i < n; i++ {
		size, err := r.U32()
		if err != nil {
			return nil, fmt.Errorf("function %d: %w", i, err)
		}
		code, err := r.Bytes(size)
		if err != nil {
			return nil, fmt.Errorf("function %d: %w", i, err)
		}
		body, instrs, err = rewriteBody(body[:0], instrs[:0], code, slow, global, yields, params[i], st)
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

// maxLocals bounds a function's locals, as wazero does, so the added
// counter never pushes a valid function over the limit unnoticed.
const maxLocals = 50000

// rewriteBody instruments one function body. With yields, a function that
// has loops gets one more i32 local, the iteration counter of loopCheck.
func rewriteBody(out, instrs, code, slow []byte, global uint32, yields bool, params uint32, st *Stats) (body, scratch []byte, err error) {
	r := newReader(code)
	groups, err := r.U32()
	if err != nil {
		return nil, instrs, err
	}
	locals := uint64(params)
	for g := uint32(0); g < groups; g++ {
		c, err := r.U32()
		if err != nil {
			return nil, instrs, err
		}
		if _, err := r.Byte(); err != nil {
			return nil, instrs, err
		}
		locals += uint64(c)
	}
	declared := code[:len(code)-len(r.B)]
	counter := uint32(locals) // the added local's index, if any
	var loop []byte
	if yields {
		if locals+1 > maxLocals {
			return nil, instrs, fmt.Errorf("%w: function has %d locals", ErrUnsupported, locals)
		}
		loop = loopCheck(counter, slow)
	} else {
		loop = slow
	}
	loops := 0
	for len(r.B) > 0 {
		start := r.B
		op, _ := r.Byte()
		if err := r.skipImmediates(op, global); err != nil {
			return nil, instrs, fmt.Errorf("opcode 0x%02x at offset %d: %w", op, len(code)-len(start), err)
		}
		instrs = append(instrs, start[:len(start)-len(r.B)]...)
		if op == opLoop {
			instrs = append(instrs, loop...)
			loops++
		}
	}
	if len(instrs) == 0 || instrs[len(instrs)-1] != 0x0B {
		return nil, instrs, fmt.Errorf("%w: body does not end with end", ErrMalformed)
	}
	st.Loops += loops
	if yields && loops > 0 {
		// The declared groups, then one group of a single i32.
		out = binary.AppendUvarint(out, uint64(groups)+1)
		gr := newReader(declared)
		_, _ = gr.U32()
		out = append(out, gr.B...)
		out = append(out, 0x01, 0x7F)
	} else {
		out = append(out, declared...)
	}
	out = append(out, slow...)
	return append(out, instrs...), instrs, nil
}

// readParamCounts reads the type section: the number of parameters of each
// function type. Only plain function types (0x60) are accepted.
func readParamCounts(p []byte) ([]uint32, error) {
	r := newReader(p)
	n, err := r.U32()
	if err != nil {
		return nil, err
	}
	out := make([]uint32, 0, min(n, 1<<16))
	for i := uint32(0); i < n; i++ {
		form, err := r.Byte()
		if err != nil {
			return nil, err
		}
		if form != 0x60 {
			return nil, fmt.Errorf("%w: type %d has form 0x%02x", ErrUnsupported, i, form)
		}
		np, err := r.U32()
		if err != nil {
			return nil, err
		}
		if err := r.skip(np); err != nil {
			return nil, err
		}
		nr, err := r.U32()
		if err != nil {
			return nil, err
		}
		if err := r.skip(nr); err != nil {
			return nil, err
		}
		out = append(out, np)
	}
	if len(r.B) != 0 {
		return nil, fmt.Errorf("%w: trailing bytes", ErrMalformed)
	}
	return out, nil
}

// readU32Vector reads a vector of u32 (the function section).
func readU32Vector(p []byte) ([]uint32, error) {
	r := newReader(p)
	n, err := r.U32()
	if err != nil {
		return nil, err
	}
	out := make([]uint32, 0, min(n, 1<<16))
	for i := uint32(0); i < n; i++ {
		v, err := r.U32()
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	if len(r.B) != 0 {
		return nil, fmt.Errorf("%w: trailing bytes", ErrMalformed)
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
