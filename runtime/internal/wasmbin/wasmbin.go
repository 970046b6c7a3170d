// Package wasmbin reads the primitive encodings of the WebAssembly binary
// format (bytes, LEB128 integers, names, limits, instruction immediates) for
// the runtime's module parsers. Every read is bounds-checked: a truncated or
// over-long encoding is an error wrapping the Reader's Malformed sentinel,
// never a panic.
package wasmbin

import "fmt"

// Reader consumes a byte slice from the front.
type Reader struct {
	// B is what is left to read.
	B []byte
	// Malformed is the sentinel errors wrap (the caller package's own, so
	// its callers can test with errors.Is).
	Malformed error
}

func (r *Reader) eof() error { return fmt.Errorf("%w: unexpected end", r.Malformed) }

// Byte reads one byte.
func (r *Reader) Byte() (byte, error) {
	if len(r.B) == 0 {
		return 0, r.eof()
	}
	c := r.B[0]
	r.B = r.B[1:]
	return c, nil
}

// Bytes reads n bytes; the result aliases the input.
func (r *Reader) Bytes(n uint32) ([]byte, error) {
	if uint64(n) > uint64(len(r.B)) {
		return nil, r.eof()
	}
	v := r.B[:n]
	r.B = r.B[n:]
	return v, nil
}

// ULEB reads an unsigned LEB128 of at most bits bits.
func (r *Reader) ULEB(bits uint) (uint64, error) {
	var v uint64
	for shift := uint(0); ; shift += 7 {
		if shift >= bits {
			return 0, fmt.Errorf("%w: LEB128 too long", r.Malformed)
		}
		c, err := r.Byte()
		if err != nil {
			return 0, err
		}
		v |= uint64(c&0x7F) << shift
		if c&0x80 == 0 {
			if bits < 64 && v>>bits != 0 {
				return 0, fmt.Errorf("%w: LEB128 overflows %d bits", r.Malformed, bits)
			}
			return v, nil
		}
	}
}

// U32 reads an unsigned 32-bit LEB128.
func (r *Reader) U32() (uint32, error) {
	v, err := r.ULEB(32)
	return uint32(v), err
}

// SkipSLEB skips a signed LEB128 of at most bits bits.
func (r *Reader) SkipSLEB(bits uint) error {
	for n := uint(0); ; n += 7 {
		if n >= bits {
			return fmt.Errorf("%w: LEB128 too long", r.Malformed)
		}
		c, err := r.Byte()
		if err != nil {
			return err
		}
		if c&0x80 == 0 {
			return nil
		}
	}
}

// Name reads a length-prefixed UTF-8 name.
func (r *Reader) Name() (string, error) {
	n, err := r.U32()
	if err != nil {
		return "", err
	}
	b, err := r.Bytes(n)
	return string(b), err
}

// SkipLimits skips a limits encoding (flag, minimum, optional maximum).
func (r *Reader) SkipLimits() error {
	flag, err := r.Byte()
	if err != nil {
		return err
	}
	if _, err := r.U32(); err != nil {
		return err
	}
	if flag&1 != 0 {
		_, err = r.U32()
	}
	return err
}
