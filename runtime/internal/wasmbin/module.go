package wasmbin

import (
	"encoding/binary"
	"fmt"
)

// Section is one section of a module: its id and its payload (aliasing the
// module's bytes).
type Section struct {
	ID      byte
	Payload []byte
}

// Sections checks the header of a WebAssembly 1.0 binary and splits the
// rest into sections, in order, without looking inside them. Errors wrap
// malformed.
func Sections(wasm []byte, malformed error) ([]Section, error) {
	if len(wasm) < 8 || string(wasm[:4]) != "\x00asm" || binary.LittleEndian.Uint32(wasm[4:]) != 1 {
		return nil, fmt.Errorf("%w: not a WebAssembly 1.0 binary", malformed)
	}
	var secs []Section
	r := Reader{B: wasm[8:], Malformed: malformed}
	for len(r.B) > 0 {
		id, err := r.Byte()
		if err != nil {
			return nil, err
		}
		size, err := r.U32()
		if err != nil {
			return nil, err
		}
		payload, err := r.Bytes(size)
		if err != nil {
			return nil, fmt.Errorf("section %d: %w", id, err)
		}
		secs = append(secs, Section{ID: id, Payload: payload})
	}
	return secs, nil
}

// SkipImportDesc consumes the descriptor of an import of the given kind
// (the byte after its module and field names): a type index, a table type,
// limits, a global type or a tag. An unknown kind is an error wrapping
// Malformed.
func (r *Reader) SkipImportDesc(kind byte) error {
	var err error
	switch kind {
	case 0: // func: type index
		_, err = r.U32()
	case 1: // table: reftype, limits
		if _, err = r.Byte(); err == nil {
			err = r.SkipLimits()
		}
	case 2: // memory: limits
		err = r.SkipLimits()
	case 3: // global: valtype, mutability
		_, err = r.Bytes(2)
	case 4: // tag: attribute, type index
		if _, err = r.Byte(); err == nil {
			_, err = r.U32()
		}
	default:
		return fmt.Errorf("%w: import kind %d", r.Malformed, kind)
	}
	return err
}
