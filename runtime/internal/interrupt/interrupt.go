// Package interrupt rewrites a WebAssembly module so that the host can stop it
// at any moment, cheaply: it adds a mutable i32 global, exported as
// ExportName (the flag), and a check at the entry of every function and on
// every cycle of every function's control flow. In a module with a memory,
// the check counts down a second global and, once every YieldInterval
// checks, reads the flag and yields to Go:
//
//	global.get $countdown
//	i32.const 1
//	i32.sub
//	global.set $countdown
//	global.get $countdown
//	i32.eqz
//	if
//	  global.get $flag
//	  if
//	    unreachable
//	  end
//	  (reset $countdown, memory.grow 0)
//	end
//
// In a module without a memory the check is the flag alone (global.get
// $flag, if, unreachable, end).
//
// Every unbounded computation in Wasm passes through a backward branch (to a
// loop header) or a function entry (recursion), so setting the flag from
// another goroutine makes the running guest trap within YieldInterval loop
// iterations or calls (microseconds). On the fast path the check is one
// global decremented and tested, against wazero's WithCloseOnContextDone,
// which calls out of the guest at every loop iteration.
//
// Most loops are checked at their header. Loops that begin with a jump table
// ("dispatch loops", the shape of every function Go compiles to Wasm, where
// each jump, forward or not, sets a local and branches to the loop) are
// checked on their backward branches only; see planChecks. In the built-in
// plugins' module (Go) that leaves 2,656 of the 21,425 branches to dispatch
// loops checked, where a check at the header would run on every one.
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

// YieldInterval is how many checks pass between two looks at the flag and
// yields to the Go scheduler (a memory.grow 0, which wazero runs in Go). Without them a
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
	opBlock     = 0x02
	opLoop      = 0x03
	opIf        = 0x04
	opEnd       = 0x0B
	opBr        = 0x0C
	opBrIf      = 0x0D
	opBrTable   = 0x0E
	opLocalGet  = 0x20
	opLocalSet  = 0x21
	opGlobalGet = 0x23
	opGlobalSet = 0x24
	opI32Const  = 0x41
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
	// DispatchLoops is the number of loops that begin with a jump table
	// (every Go function has one), checked on their backward branches
	// instead of their header.
	DispatchLoops int
	// Backward is the number of branches to dispatch loops that got a
	// check; Forward, the number that needed none.
	Backward, Forward int
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
		case 2:
			memories++
		case 3:
			globals++
		}
		if err := r.SkipImportDesc(kind); err != nil {
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
	if !yields {
		// No memory to grow, so no way to yield: the flag alone.
		check = append(check, opGlobalGet)
		check = binary.AppendUvarint(check, uint64(global))
		check = append(check, 0x04, 0x40, 0x00, 0x0B) // if (empty) unreachable end
	} else {
		// Count down; at zero, look at the flag, reset the countdown and
		// run memory.grow 0, which wazero executes in Go: a point where the
		// goroutine can be preempted, so a runaway loop never holds up the
		// Go scheduler or a garbage collection's stop-the-world (compiled
		// Wasm cannot be preempted asynchronously), and the goroutine that
		// sets the flag gets to run. The flag is read on this slow path
		// only, so the guest stops within YieldInterval checks of the flag
		// being set, and each check is one global decremented and tested.
		ctr := uint64(global) + 1
		check = append(check, opGlobalGet)
		check = binary.AppendUvarint(check, ctr)
		check = append(check, 0x41, 0x01, 0x6B, opGlobalSet) // i32.const 1, i32.sub, global.set
		check = binary.AppendUvarint(check, ctr)
		check = append(check, opGlobalGet)
		check = binary.AppendUvarint(check, ctr)
		check = append(check, 0x45, 0x04, 0x40, opGlobalGet) // i32.eqz, if (empty), global.get flag
		check = binary.AppendUvarint(check, uint64(global))
		check = append(check, 0x04, 0x40, 0x00, 0x0B, 0x41) // if (empty) unreachable end, i32.const
		check = appendI32(check, YieldInterval)
		check = append(check, opGlobalSet)
		check = binary.AppendUvarint(check, ctr)
		check = append(check, 0x41, 0x00, 0x40, 0x00, 0x1A, 0x0B) // i32.const 0, memory.grow 0, drop, end
	}

	r := newReader(p)
	n, err := r.U32()
	if err != nil {
		return nil, err
	}
	out := binary.AppendUvarint(make([]byte, 0, len(p)+len(p)/8), uint64(n))
	var body []byte
	var scratch bodyScratch
	for i := uint32(0); i < n; i++ {
		size, err := r.U32()
		if err != nil {
			return nil, fmt.Errorf("function %d: %w", i, err)
		}
		code, err := r.Bytes(size)
		if err != nil {
			return nil, fmt.Errorf("function %d: %w", i, err)
		}
		body, err = rewriteBody(body[:0], code, check, global, &scratch, st)
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

// instr is one decoded instruction of a function body.
type instr struct {
	start, end int // byte range in the body
	op         byte
	// imm is the label of br and br_if, the index of local.get and
	// local.set, and the value of i32.const.
	imm int64
	// labels are br_table's labels, the default last.
	labels []uint32
}

// dispatch describes a loop that begins with a jump table: loop, n empty
// blocks, local.get X, br_table. Go's WebAssembly backend compiles every
// function this way: each jump, forward or backward, sets X to the target's
// index and branches to the loop. Segment s is the code after the end of
// the block at depth s from the br_table; segments follow one another in
// the body, so a branch to the loop that selects a later segment is a
// forward jump and needs no check (see planChecks).
type dispatch struct {
	n      int   // blocks between the loop and the br_table
	local  int64 // X
	labels []uint32
	seg    int // the segment being walked; -1 before the first
}

// target returns the segment a branch to the loop with X = k selects, or
// n+1 if it leaves the loop.
func (d *dispatch) target(k int64) int {
	idx := uint32(k)
	l := d.labels[len(d.labels)-1]
	if uint64(idx) < uint64(len(d.labels)-1) {
		l = d.labels[idx]
	}
	if int(l) > d.n {
		return d.n + 1
	}
	return int(l)
}

// ctrl is an entry of the control stack while planning.
type ctrl struct {
	op   byte
	disp *dispatch // for a dispatch loop
	seg  *dispatch // for one of a dispatch loop's blocks: ending it moves to the next segment
}

// decodeBody splits a function body, after its locals, into instructions.
func decodeBody(code []byte, global uint32, ins []instr) ([]instr, error) {
	r := newReader(code)
	for len(r.B) > 0 {
		start := len(code) - len(r.B)
		op, _ := r.Byte()
		in := instr{start: start, op: op}
		var err error
		switch op {
		case opBr, opBrIf, opLocalGet, opLocalSet:
			var v uint32
			v, err = r.U32()
			in.imm = int64(v)
		case opI32Const:
			in.imm, err = r.SLEB32()
		case opBrTable:
			var n uint32
			if n, err = r.U32(); err == nil {
				if uint64(n) >= uint64(len(r.B)) { // each label takes a byte at least
					return nil, fmt.Errorf("%w: br_table too long", ErrMalformed)
				}
				in.labels = make([]uint32, n+1)
				for i := range in.labels {
					if in.labels[i], err = r.U32(); err != nil {
						break
					}
				}
			}
		case opGlobalGet, opGlobalSet:
			var idx uint32
			if idx, err = r.U32(); err == nil && idx >= global {
				err = fmt.Errorf("%w: global index %d out of range", ErrMalformed, idx)
			}
		default:
			err = r.SkipImmediates(op, ErrUnsupported)
		}
		if err != nil {
			return nil, fmt.Errorf("opcode 0x%02x at offset %d: %w", op, start, err)
		}
		in.end = len(code) - len(r.B)
		ins = append(ins, in)
	}
	if len(ins) == 0 || ins[len(ins)-1].op != opEnd {
		return nil, fmt.Errorf("%w: body does not end with end", ErrMalformed)
	}
	return ins, nil
}

// checkSite says where planChecks puts a check.
type checkSite byte

const (
	noCheck     checkSite = iota
	checkBefore           // before the instruction (a backward branch)
	checkAfter            // after it (a loop header)
)

// planChecks decides where the checks go so that every cycle of the
// function's control flow passes one. The simple rule is a check at every
// loop header. Dispatch loops (see dispatch) get checks on their backward
// branches instead: within one pass through such a loop, control moves
// through its segments in order (blocks only branch forward, inner loops
// carry their own checks, other branches leave the loop), so a cycle must
// contain a branch to the loop whose target segment is not after the one it
// comes from. A branch whose target is known, because the two instructions
// before it are i32.const K and local.set X, and lies ahead needs no check;
// every other branch to the loop gets one. For Go guests, where every jump
// passes through the loop header, this leaves checks on loop back edges
// only.
func planChecks(ins []instr, sites []checkSite, st *Stats) ([]checkSite, error) {
	sites = append(sites[:0], make([]checkSite, len(ins))...)
	stack := []ctrl{{op: opBlock}} // the function body
	for i := 0; i < len(ins); i++ {
		in := ins[i]
		switch in.op {
		case opBlock, opIf:
			stack = append(stack, ctrl{op: in.op})
		case opLoop:
			c := ctrl{op: opLoop}
			if d := dispatchAt(ins, i); d != nil {
				c.disp = d
				st.DispatchLoops++
				stack = append(stack, c)
				for j := 1; j <= d.n; j++ {
					stack = append(stack, ctrl{op: opBlock, seg: d})
				}
				i += d.n // the blocks; the local.get and br_table are walked below
				continue
			}
			sites[i] = checkAfter
			st.Loops++
			stack = append(stack, c)
		case opEnd:
			if len(stack) == 0 {
				return nil, fmt.Errorf("%w: unbalanced end at offset %d", ErrMalformed, in.start)
			}
			if d := stack[len(stack)-1].seg; d != nil {
				d.seg++
			}
			stack = stack[:len(stack)-1]
		case opBr, opBrIf:
			if in.imm >= int64(len(stack)) {
				return nil, fmt.Errorf("%w: branch depth %d at offset %d", ErrMalformed, in.imm, in.start)
			}
			d := stack[len(stack)-1-int(in.imm)].disp
			if d == nil {
				break
			}
			if in.op == opBr && i >= 2 && ins[i-2].op == opI32Const && ins[i-1].op == opLocalSet &&
				ins[i-1].imm == d.local && d.target(ins[i-2].imm) > d.seg {
				st.Forward++
				break
			}
			sites[i] = checkBefore
			st.Backward++
		case opBrTable:
			for _, l := range in.labels {
				if int(l) >= len(stack) {
					return nil, fmt.Errorf("%w: branch depth %d at offset %d", ErrMalformed, l, in.start)
				}
				if stack[len(stack)-1-int(l)].disp != nil {
					sites[i] = checkBefore
				}
			}
			if sites[i] == checkBefore {
				st.Backward++
			}
		}
	}
	if len(stack) != 0 {
		return nil, fmt.Errorf("%w: unbalanced blocks", ErrMalformed)
	}
	return sites, nil
}

// dispatchAt returns the dispatch loop starting at ins[i], or nil if the
// loop has another shape or its jump table can branch to the loop itself
// (which would cycle through no checked branch).
func dispatchAt(ins []instr, i int) *dispatch {
	j := i + 1
	for j < len(ins) && ins[j].op == opBlock {
		j++
	}
	n := j - i - 1
	if n == 0 || j+1 >= len(ins) || ins[j].op != opLocalGet || ins[j+1].op != opBrTable {
		return nil
	}
	for _, l := range ins[j+1].labels {
		if int(l) == n {
			return nil
		}
	}
	return &dispatch{n: n, local: ins[j].imm, labels: ins[j+1].labels, seg: -1}
}

func rewriteBody(out, code, check []byte, global uint32, scratch *bodyScratch, st *Stats) ([]byte, error) {
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
	locals := len(code) - len(r.B)
	out = append(out, code[:locals]...)
	out = append(out, check...)
	ins, err := decodeBody(r.B, global, scratch.ins[:0])
	if err != nil {
		return nil, err
	}
	scratch.ins = ins
	sites, err := planChecks(ins, scratch.sites, st)
	if err != nil {
		return nil, err
	}
	scratch.sites = sites
	body := code[locals:]
	for i, in := range ins {
		if sites[i] == checkBefore {
			out = append(out, check...)
		}
		out = append(out, body[in.start:in.end]...)
		if sites[i] == checkAfter {
			out = append(out, check...)
		}
	}
	return out, nil
}

// bodyScratch holds buffers reused from one function body to the next.
type bodyScratch struct {
	ins   []instr
	sites []checkSite
}

// reader reads the module's primitive encodings.
type reader struct{ wasmbin.Reader }

func newReader(b []byte) *reader { return &reader{wasmbin.Reader{B: b, Malformed: ErrMalformed}} }

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
