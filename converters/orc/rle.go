package orc

import (
	"encoding/binary"
	"math"
	"math/bits"
)

// Every run-length encoder buffers up to encBuffer values and encodes them
// in one go. A row index position is the stream position where the buffered
// values will start plus the number of values buffered: a reader seeks to the
// former and skips the latter, whatever runs the values end up in.
const encBuffer = 512

// byteRLE is ORC's byte run-length encoding: runs of 3 to 130 equal bytes
// (header 0..127) and literal groups of 1 to 128 bytes (header -1..-128).
type byteRLE struct {
	s       *stream
	vals    [encBuffer]byte
	n       int
	scratch []byte
}

func (e *byteRLE) put(v byte) {
	e.vals[e.n] = v
	e.n++
	if e.n == encBuffer {
		e.encode()
	}
}

func (e *byteRLE) position(pos []uint64) []uint64 {
	return append(e.s.position(pos), uint64(e.n))
}

func (e *byteRLE) flush() { e.encode() }

func (e *byteRLE) encode() {
	vals := e.vals[:e.n]
	out := e.scratch[:0]
	lit := 0
	for i := 0; i < len(vals); {
		j := i + 1
		for j < len(vals) && vals[j] == vals[i] && j-i < 130 {
			j++
		}
		if j-i >= 3 {
			out = appendByteLiterals(out, vals[lit:i])
			out = append(out, byte(j-i-3), vals[i])
			lit = j
		}
		i = j
	}
	out = appendByteLiterals(out, vals[lit:])
	e.s.write(out)
	e.scratch = out
	e.n = 0
}

func appendByteLiterals(out, lits []byte) []byte {
	for len(lits) > 0 {
		n := min(len(lits), 128)
		out = append(out, byte(-int8(n-1)-1))
		out = append(out, lits[:n]...)
		lits = lits[n:]
	}
	return out
}

// boolRLE packs booleans most significant bit first into bytes and encodes
// those with byte RLE.
type boolRLE struct {
	bytes byteRLE
	cur   byte
	nbits int
}

func (e *boolRLE) put(v bool) {
	if v {
		e.cur |= 0x80 >> e.nbits
	}
	e.nbits++
	if e.nbits == 8 {
		e.bytes.put(e.cur)
		e.cur, e.nbits = 0, 0
	}
}

// putTrue adds n true values.
func (e *boolRLE) putTrue(n int) {
	for n > 0 && e.nbits != 0 {
		e.put(true)
		n--
	}
	for ; n >= 8; n -= 8 {
		e.bytes.put(0xff)
	}
	for ; n > 0; n-- {
		e.put(true)
	}
}

func (e *boolRLE) position(pos []uint64) []uint64 {
	return append(e.bytes.position(pos), uint64(e.nbits))
}

func (e *boolRLE) flush() {
	if e.nbits > 0 {
		e.bytes.put(e.cur)
		e.cur, e.nbits = 0, 0
	}
	e.bytes.flush()
}

// intEncoder is an integer run-length encoder, version 1 or 2.
type intEncoder interface {
	put(v int64)
	position(pos []uint64) []uint64
	flush()
}

func newIntEncoder(s *stream, signed, v2 bool) intEncoder {
	if v2 {
		return &rleV2{s: s, signed: signed}
	}
	return &rleV1{s: s, signed: signed}
}

func zigzag(v int64) uint64 { return uint64(v<<1) ^ uint64(v>>63) }

// rleV1 is integer RLE version 1 (Hive 0.11): runs of 3 to 130 values with
// a fixed delta in -128..127, and literal groups of 1 to 128 varints.
type rleV1 struct {
	s       *stream
	signed  bool
	vals    [encBuffer]int64
	n       int
	scratch []byte
}

func (e *rleV1) put(v int64) {
	e.vals[e.n] = v
	e.n++
	if e.n == encBuffer {
		e.encode()
	}
}

func (e *rleV1) position(pos []uint64) []uint64 {
	return append(e.s.position(pos), uint64(e.n))
}

func (e *rleV1) flush() { e.encode() }

func (e *rleV1) varint(out []byte, v int64) []byte {
	if e.signed {
		return binary.AppendUvarint(out, zigzag(v))
	}
	return binary.AppendUvarint(out, uint64(v))
}

func (e *rleV1) encode() {
	vals := e.vals[:e.n]
	out := e.scratch[:0]
	lit := 0
	for i := 0; i < len(vals); {
		j := i + 1
		if j < len(vals) {
			d, ok := delta(vals[i], vals[j])
			if ok && d >= -128 && d <= 127 {
				for j+1 < len(vals) && j+1-i < 130 {
					if d2, ok := delta(vals[j], vals[j+1]); !ok || d2 != d {
						break
					}
					j++
				}
				j++ // j is now one past the run
				if j-i >= 3 {
					out = e.literals(out, vals[lit:i])
					out = append(out, byte(j-i-3), byte(int8(d)))
					out = e.varint(out, vals[i])
					lit, i = j, j
					continue
				}
			}
		}
		i++
	}
	out = e.literals(out, vals[lit:])
	e.s.write(out)
	e.scratch = out
	e.n = 0
}

func (e *rleV1) literals(out []byte, lits []int64) []byte {
	for len(lits) > 0 {
		n := min(len(lits), 128)
		out = append(out, byte(-int8(n-1)-1))
		for _, v := range lits[:n] {
			out = e.varint(out, v)
		}
		lits = lits[n:]
	}
	return out
}

// delta returns b-a and whether it fits an int64.
func delta(a, b int64) (int64, bool) {
	d := b - a
	return d, (d < 0) == (b < a)
}

// rleV2 is integer RLE version 2 (Hive 0.12). It writes three of the four
// sub-encodings: SHORT_REPEAT, DIRECT and DELTA. PATCHED_BASE is an
// optional size optimisation and is never written.
type rleV2 struct {
	s       *stream
	signed  bool
	vals    [encBuffer]int64
	n       int
	scratch []byte
	u       [encBuffer]uint64
}

func (e *rleV2) put(v int64) {
	e.vals[e.n] = v
	e.n++
	if e.n == encBuffer {
		e.encode()
	}
}

func (e *rleV2) position(pos []uint64) []uint64 {
	return append(e.s.position(pos), uint64(e.n))
}

func (e *rleV2) flush() { e.encode() }

func (e *rleV2) encode() {
	vals := e.vals[:e.n]
	out := e.scratch[:0]
	lit := 0
	for i := 0; i < len(vals); {
		j := i + 1
		for j < len(vals) && vals[j] == vals[i] {
			j++
		}
		if j-i >= 3 {
			out = e.literals(out, vals[lit:i])
			out = e.repeat(out, vals[i], j-i)
			lit = j
		}
		i = j
	}
	out = e.literals(out, vals[lit:])
	e.s.write(out)
	e.scratch = out
	e.n = 0
}

func (e *rleV2) enc(v int64) uint64 {
	if e.signed {
		return zigzag(v)
	}
	return uint64(v)
}

func (e *rleV2) varint(out []byte, v int64) []byte {
	return binary.AppendUvarint(out, e.enc(v))
}

// repeat writes n (3..512) copies of v: SHORT_REPEAT up to 10, else a DELTA
// run with a fixed delta of zero.
func (e *rleV2) repeat(out []byte, v int64, n int) []byte {
	if n <= 10 {
		u := e.enc(v)
		w := max(1, (bits.Len64(u)+7)/8)
		out = append(out, byte((w-1)<<3|(n-3)))
		for k := w - 1; k >= 0; k-- {
			out = append(out, byte(u>>(8*k)))
		}
		return out
	}
	out = append(out, 0xc0|byte((n-1)>>8&1), byte(n-1))
	out = e.varint(out, v)
	return append(out, 0) // delta base 0, signed varint
}

// literals writes values that hold no run of three: DELTA when they are
// monotonic and the deltas pack smaller, DIRECT otherwise.
func (e *rleV2) literals(out []byte, vals []int64) []byte {
	if len(vals) == 0 {
		return out
	}
	var maxU uint64
	for _, v := range vals {
		maxU |= e.enc(v)
	}
	directW := alignedWidth(bits.Len64(maxU))
	if len(vals) >= 3 {
		if d0, ok := delta(vals[0], vals[1]); ok && d0 != 0 {
			fixed, mono := true, true
			var maxD uint64
			for k := 1; k+1 < len(vals); k++ {
				d, ok := delta(vals[k], vals[k+1])
				if !ok || (d0 > 0 && d < 0) || (d0 < 0 && d > 0) {
					mono = false
					break
				}
				if d != d0 {
					fixed = false
				}
				if d < 0 {
					d = -d
				}
				maxD |= uint64(d)
			}
			if mono {
				w := 0
				if !fixed {
					w = alignedWidth(bits.Len64(maxD))
					if w == 1 {
						w = 2 // width code 0 means a fixed delta in DELTA runs
					}
				}
				if fixed || w*(len(vals)-2) < directW*len(vals) {
					return e.deltaRun(out, vals, d0, w)
				}
			}
		}
	}
	u := e.u[:len(vals)]
	for k, v := range vals {
		u[k] = e.enc(v)
	}
	n := len(vals)
	out = append(out, 0x40|widthCode(directW)<<1|byte((n-1)>>8&1), byte(n-1))
	return packBits(out, u, directW)
}

func (e *rleV2) deltaRun(out []byte, vals []int64, d0 int64, w int) []byte {
	n := len(vals)
	code := byte(0)
	if w > 0 {
		code = widthCode(w)
	}
	out = append(out, 0xc0|code<<1|byte((n-1)>>8&1), byte(n-1))
	out = e.varint(out, vals[0])
	out = binary.AppendUvarint(out, zigzag(d0))
	if w == 0 {
		return out
	}
	u := e.u[:n-2]
	for k := range u {
		d := vals[k+2] - vals[k+1]
		if d < 0 {
			d = -d
		}
		u[k] = uint64(d)
	}
	return packBits(out, u, w)
}

// alignedWidth rounds a bit width up to one of 1, 2, 4, 8, 16, 24, 32, 40,
// 48, 56 and 64, the widths the specification does not mark deprecated.
func alignedWidth(n int) int {
	switch {
	case n <= 1:
		return 1
	case n == 2:
		return 2
	case n <= 4:
		return 4
	case n <= 8:
		return 8
	default:
		return (n + 7) / 8 * 8
	}
}

// widthCode is the 5-bit code of a bit width in the RLEv2 width table.
func widthCode(w int) byte {
	switch {
	case w <= 24:
		return byte(w - 1)
	case w <= 32:
		return 27
	case w <= 40:
		return 28
	case w <= 48:
		return 29
	case w <= 56:
		return 30
	}
	return 31
}

// packBits appends the values as w-bit big-endian fields, padded to a byte.
func packBits(out []byte, u []uint64, w int) []byte {
	switch w {
	case 8:
		for _, v := range u {
			out = append(out, byte(v))
		}
		return out
	case 16:
		for _, v := range u {
			out = append(out, byte(v>>8), byte(v))
		}
		return out
	case 32:
		for _, v := range u {
			out = binary.BigEndian.AppendUint32(out, uint32(v))
		}
		return out
	case 64:
		for _, v := range u {
			out = binary.BigEndian.AppendUint64(out, v)
		}
		return out
	}
	var acc uint64 // pending bits, right-aligned
	nacc := 0
	mask := uint64(math.MaxUint64)
	if w < 64 {
		mask = 1<<w - 1
	}
	for _, v := range u {
		v &= mask
		if nacc+w <= 64 {
			acc = acc<<w | v
			nacc += w
		} else {
			// Flush whole bytes first so the shift below cannot overflow.
			for nacc >= 8 {
				nacc -= 8
				out = append(out, byte(acc>>nacc))
			}
			acc = acc<<w | v
			nacc += w
		}
		for nacc >= 8 {
			nacc -= 8
			out = append(out, byte(acc>>nacc))
		}
	}
	if nacc > 0 {
		out = append(out, byte(acc<<(8-nacc)))
	}
	return out
}
