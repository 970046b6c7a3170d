package wasmbin

import "fmt"

// SLEB32 reads a signed 32-bit LEB128 (i32.const's immediate).
func (r *Reader) SLEB32() (int64, error) {
	var v int64
	for shift := uint(0); ; shift += 7 {
		if shift >= 35 {
			return 0, fmt.Errorf("%w: LEB128 too long", r.Malformed)
		}
		c, err := r.Byte()
		if err != nil {
			return 0, err
		}
		v |= int64(c&0x7F) << shift
		if c&0x80 == 0 {
			if shift+7 < 64 && c&0x40 != 0 {
				v |= -1 << (shift + 7)
			}
			return int64(int32(v)), nil
		}
	}
}

func (r *Reader) skip(n uint32) error {
	_, err := r.Bytes(n)
	return err
}

// memarg skips a memory instruction's alignment and offset.
func (r *Reader) memarg() error {
	if _, err := r.U32(); err != nil {
		return err
	}
	_, err := r.U32()
	return err
}

// SkipImmediates consumes the immediates of the instruction whose opcode op
// was just read. It knows every opcode of core 2.0 (MVP, sign extension,
// saturating truncation, bulk memory, reference types, multi-value, SIMD)
// and tail calls; any other opcode is an error wrapping unsupported.
func (r *Reader) SkipImmediates(op byte, unsupported error) error {
	switch {
	case op == 0x00, op == 0x01, op == 0x05, op == 0x0B, op == 0x0F,
		op == 0x1A, op == 0x1B, op == 0xD1, op >= 0x45 && op <= 0xC4:
		return nil
	case op >= 0x02 && op <= 0x04: // block, loop, if: blocktype (s33)
		return r.SkipSLEB(33)
	case op == 0x0C, op == 0x0D, op == 0x10, op == 0x12, op == 0xD2,
		op >= 0x20 && op <= 0x22, op == 0x23, op == 0x24, op == 0x25, op == 0x26:
		_, err := r.U32()
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
		return r.skipFC(unsupported)
	case op == 0xFD:
		return r.skipFD(unsupported)
	}
	return fmt.Errorf("%w: opcode 0x%02x", unsupported, op)
}

func (r *Reader) skipFC(unsupported error) error {
	sub, err := r.U32()
	if err != nil {
		return err
	}
	switch {
	case sub <= 7: // saturating truncation
		return nil
	case sub == 8, sub == 10, sub == 12, sub == 14: // memory.init, memory.copy, table.init, table.copy
		if _, err := r.U32(); err != nil {
			return err
		}
		_, err := r.U32()
		return err
	case sub == 9, sub == 11, sub == 13, sub >= 15 && sub <= 17:
		_, err := r.U32()
		return err
	}
	return fmt.Errorf("%w: opcode 0xFC %d", unsupported, sub)
}

func (r *Reader) skipFD(unsupported error) error {
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
	return fmt.Errorf("%w: opcode 0xFD %d", unsupported, sub)
}
