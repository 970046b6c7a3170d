package interrupt

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEveryCycleIsChecked proves, for every function of every fixture and of
// the built-in plugins' module, what the rewriter promises: no cycle of the
// rewritten function's control flow avoids the injected checks. It does not
// reuse the rewriter's reasoning about dispatch loops: it builds the
// function's control-flow graph, refined by the constants the code stores in
// the locals that jump tables read (so that Go's "set the target, branch to
// the loop" jumps go where they say), deletes every instruction that touches
// the added globals, and looks for a cycle in what remains.
func TestEveryCycleIsChecked(t *testing.T) {
	mods := fixtures(t)
	if b, err := os.ReadFile(filepath.Join("..", "..", "..", "plugins", "blueprints.wasm")); err == nil {
		mods["plugins/blueprints.wasm"] = b
	} else {
		t.Fatal(err)
	}
	for name, wasm := range mods {
		t.Run(name, func(t *testing.T) {
			out, st, err := Inject(wasm)
			if err != nil {
				t.Fatal(err)
			}
			bodies, err := codeBodies(out)
			if err != nil {
				t.Fatal(err)
			}
			for i, body := range bodies {
				if err := verifyBody(body, st.Global); err != nil {
					t.Fatalf("function %d: %v", i, err)
				}
			}
		})
	}
}

// TestVerifierFindsUncheckedCycles makes sure the verifier is not blind: a
// body with a loop and no check, and a dispatch loop with a backward jump
// and no check, must both be reported.
func TestVerifierFindsUncheckedCycles(t *testing.T) {
	tests := []struct {
		name string
		body []byte
		exp  bool // a cycle
	}{
		{"plain loop", []byte{0x00, 0x03, 0x40, 0x0C, 0x00, 0x0B, 0x0B}, true},
		{"loop left at once", []byte{0x00, 0x02, 0x40, 0x03, 0x40, 0x0C, 0x01, 0x0B, 0x0B, 0x0B}, false},
		// local i32; loop; block; local.get 0; br_table 0 (default 1: leaves);
		// end; i32.const K; local.set 0; br 0 (to the loop); end; end
		{"dispatch jumps back to segment 0", []byte{0x01, 0x01, 0x7F,
			0x03, 0x40, 0x02, 0x40, 0x20, 0x00, 0x0E, 0x01, 0x00, 0x02, 0x0B,
			0x41, 0x00, 0x21, 0x00, 0x0C, 0x00, 0x0B, 0x0B}, true},
		{"dispatch jumps out", []byte{0x01, 0x01, 0x7F,
			0x03, 0x40, 0x02, 0x40, 0x20, 0x00, 0x0E, 0x01, 0x00, 0x02, 0x0B,
			0x41, 0x05, 0x21, 0x00, 0x0C, 0x00, 0x0B, 0x0B}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := verifyBody(tc.body, 1)
			if (err != nil) != tc.exp {
				t.Fatalf("verifyBody = %v, cycle expected: %v", err, tc.exp)
			}
		})
	}
}

// codeBodies returns the function bodies (locals included) of a module.
func codeBodies(wasm []byte) ([][]byte, error) {
	r := newReader(wasm[8:])
	for len(r.B) > 0 {
		id, _ := r.Byte()
		size, err := r.U32()
		if err != nil {
			return nil, err
		}
		payload, err := r.Bytes(size)
		if err != nil {
			return nil, err
		}
		if id != secCode {
			continue
		}
		cr := newReader(payload)
		n, err := cr.U32()
		if err != nil {
			return nil, err
		}
		out := make([][]byte, n)
		for i := range out {
			sz, err := cr.U32()
			if err != nil {
				return nil, err
			}
			if out[i], err = cr.Bytes(sz); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	return nil, nil
}

// fixtures returns the runtime's test modules by "folder/file" name.
func fixtures(t testing.TB) map[string][]byte {
	t.Helper()
	paths, err := filepath.Glob("../../testdata/*/*.wasm")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	out := map[string][]byte{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(filepath.Dir(p))+"/"+filepath.Base(p)] = b
	}
	return out
}

// unknown is the abstract value of a local whose content is not a known
// constant.
const unknown = int64(-1) << 40

// verifyBody reports a cycle of body's control flow that passes no
// instruction reading or writing a global with index ≥ firstNew.
func verifyBody(code []byte, firstNew uint32) error {
	r := newReader(code)
	groups, err := r.U32()
	if err != nil {
		return err
	}
	for g := uint32(0); g < groups; g++ {
		if _, err := r.U32(); err != nil {
			return err
		}
		if _, err := r.Byte(); err != nil {
			return err
		}
	}
	// Globals ≥ firstNew are the rewriter's; decode with a bound above them.
	ins, err := decodeBody(r.B, firstNew+2, nil)
	if err != nil {
		return err
	}
	n := len(ins)
	// Structure: the matching end and else of each opener, the enclosing
	// opener of each instruction (-1: the function body).
	endOf := make([]int, n)
	elseOf := make([]int, n)
	parent := make([]int, n)
	var stack []int
	for i, in := range ins {
		parent[i] = -1
		if len(stack) > 0 {
			parent[i] = stack[len(stack)-1]
		}
		switch in.op {
		case opBlock, opLoop, opIf:
			elseOf[i] = -1
			stack = append(stack, i)
		case 0x05: // else
			elseOf[stack[len(stack)-1]] = i
		case opEnd:
			if len(stack) > 0 {
				endOf[stack[len(stack)-1]] = i
				parent[i] = stack[len(stack)-1]
				stack = stack[:len(stack)-1]
			}
		}
	}
	// The ends belong to their opener's parent for label purposes.
	for i, in := range ins {
		if in.op == opEnd && parent[i] >= 0 {
			parent[i] = parent[parent[i]]
		}
	}
	// Tracked locals: those a br_table's index comes from.
	tracked := map[int64]int{}
	for i, in := range ins {
		if in.op == opBrTable && i > 0 && ins[i-1].op == opLocalGet {
			if _, ok := tracked[ins[i-1].imm]; !ok {
				tracked[ins[i-1].imm] = len(tracked)
			}
		}
	}
	isCheck := func(in instr) bool { return in.op == opGlobalGet || in.op == opGlobalSet }
	checkAt := make([]bool, n)
	for i := range ins {
		if isCheck(ins[i]) {
			// decodeBody skipped the index; read it back.
			rr := newReader(r.B[ins[i].start+1 : ins[i].end])
			idx, _ := rr.U32()
			checkAt[i] = idx >= firstNew
		}
	}
	label := func(i int, depth int64) int { // branch target pc, or -1 (return)
		c := parent[i]
		for ; depth > 0 && c >= 0; depth-- {
			c = parent[c]
		}
		if c < 0 {
			return -1
		}
		if ins[c].op == opLoop {
			return c
		}
		return endOf[c]
	}
	// The abstract state carries the tracked locals' values and whether the
	// top of the stack is a known constant (to follow i32.const; local.set).
	type st struct {
		pc  int
		top int64
		v   [4]int64
	}
	if len(tracked) > 4 {
		return fmt.Errorf("verifier tracks at most 4 jump-table locals, function has %d", len(tracked))
	}
	succ := func(s st) []st {
		in := ins[s.pc]
		next := s
		next.pc = s.pc + 1
		next.top = unknown
		var out []st
		jump := func(pc int, ns st) {
			if pc >= 0 && pc < n {
				ns.pc = pc
				out = append(out, ns)
			}
		}
		switch in.op {
		case 0x00, 0x0F, 0x12, 0x13: // unreachable, return, return_call(_indirect)
			return nil
		case opI32Const:
			next.top = in.imm
		case opLocalGet:
			if k, ok := tracked[in.imm]; ok {
				next.top = s.v[k]
			}
		case opLocalSet, 0x22: // local.tee keeps the value on the stack
			if k, ok := tracked[in.imm]; ok {
				next.v[k] = s.top
			}
			if in.op == 0x22 {
				next.top = s.top
			}
		case opIf:
			jump(s.pc+1, next)
			if elseOf[s.pc] >= 0 {
				jump(elseOf[s.pc]+1, next)
			} else {
				jump(endOf[s.pc], next)
			}
			return out
		case 0x05: // else, reached at the end of the then arm
			jump(endOf[parent[s.pc]], next)
			return out
		case opBr:
			jump(label(s.pc, in.imm), next)
			return out
		case opBrIf:
			jump(label(s.pc, in.imm), next)
			jump(s.pc+1, next)
			return out
		case opBrTable:
			if s.top != unknown {
				l := in.labels[len(in.labels)-1]
				if uint64(uint32(s.top)) < uint64(len(in.labels)-1) {
					l = in.labels[uint32(s.top)]
				}
				jump(label(s.pc, int64(l)), next)
				return out
			}
			for _, l := range in.labels {
				jump(label(s.pc, int64(l)), next)
			}
			return out
		}
		jump(s.pc+1, next)
		return out
	}
	// Iterative depth-first search from every instruction with nothing
	// known; a grey state reached again closes a cycle.
	const (
		grey  = 1
		black = 2
	)
	color := map[st]byte{}
	type frame struct {
		s    st
		next []st
	}
	for start := 0; start < n; start++ {
		s0 := st{pc: start, top: unknown}
		for k := range s0.v {
			s0.v[k] = unknown
		}
		if checkAt[start] || color[s0] != 0 {
			continue
		}
		color[s0] = grey
		path := []frame{{s0, succ(s0)}}
		for len(path) > 0 {
			f := &path[len(path)-1]
			if len(f.next) == 0 {
				color[f.s] = black
				path = path[:len(path)-1]
				continue
			}
			s := f.next[0]
			f.next = f.next[1:]
			if checkAt[s.pc] {
				continue
			}
			switch color[s] {
			case grey:
				var pcs []int
				for _, p := range path {
					if p.s == s || len(pcs) > 0 {
						pcs = append(pcs, ins[p.s.pc].start)
					}
				}
				return fmt.Errorf("unchecked cycle through body offsets %v", pcs)
			case black:
				continue
			}
			color[s] = grey
			path = append(path, frame{s, succ(s)})
		}
	}
	return nil
}

// FuzzEveryCycleIsChecked rewrites fuzzed function bodies (after one i32
// local, in a module with a memory) and checks that no cycle of what the
// rewriter returns avoids the checks: it explores dispatch-like shapes the
// fixtures do not have. Bodies need not type-check; only their control
// flow matters here.
func FuzzEveryCycleIsChecked(f *testing.F) {
	for _, body := range [][]byte{
		{0x03, 0x40, 0x0C, 0x00, 0x0B, 0x0B},
		{0x03, 0x40, 0x02, 0x40, 0x20, 0x00, 0x0E, 0x01, 0x00, 0x02, 0x0B, 0x41, 0x00, 0x21, 0x00, 0x0C, 0x00, 0x0B, 0x0B},
		{0x03, 0x40, 0x02, 0x40, 0x02, 0x40, 0x20, 0x00, 0x0E, 0x02, 0x00, 0x01, 0x03, 0x0B,
			0x41, 0x01, 0x21, 0x00, 0x0C, 0x01, 0x0B, 0x41, 0x00, 0x21, 0x00, 0x0C, 0x00, 0x0B, 0x0B},
	} {
		f.Add(body)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		code := append([]byte{0x01, 0x01, 0x7F}, body...)
		mod := []byte("\x00asm\x01\x00\x00\x00")
		mod = append(mod, 1, 4, 1, 0x60, 0, 0) // type () -> ()
		mod = append(mod, 3, 2, 1, 0)          // one function of type 0
		mod = append(mod, 5, 3, 1, 0, 1)       // a memory of one page
		sec := binary.AppendUvarint([]byte{1}, uint64(len(code)))
		sec = append(sec, code...)
		mod = append(binary.AppendUvarint(append(mod, 10), uint64(len(sec))), sec...)
		out, st, err := Inject(mod)
		if err != nil {
			return
		}
		bodies, err := codeBodies(out)
		if err != nil || len(bodies) != 1 {
			t.Fatalf("rewritten module: %d bodies, %v", len(bodies), err)
		}
		if err := verifyBody(bodies[0], st.Global); err != nil && strings.Contains(err.Error(), "unchecked cycle") {
			t.Fatal(err)
		}
	})
}
