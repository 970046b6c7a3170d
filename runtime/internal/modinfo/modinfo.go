// Package modinfo reads the import and export sections of a WebAssembly
// binary without compiling it, so that the runtime can refuse a plugin with
// an error naming the offending import before wazero sees it.
package modinfo

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Kind is the kind of an import or export.
type Kind byte

// The external kinds of the binary format.
const (
	KindFunc   Kind = 0
	KindTable  Kind = 1
	KindMemory Kind = 2
	KindGlobal Kind = 3
	KindTag    Kind = 4
)

// String returns the text-format keyword of the kind.
func (k Kind) String() string {
	switch k {
	case KindFunc:
		return "func"
	case KindTable:
		return "table"
	case KindMemory:
		return "memory"
	case KindGlobal:
		return "global"
	case KindTag:
		return "tag"
	}
	return fmt.Sprintf("kind(%d)", byte(k))
}

// Import is one entry of the import section.
type Import struct {
	Module, Name string
	Kind         Kind
}

// Export is one entry of the export section.
type Export struct {
	Name string
	Kind Kind
}

// Info is what Parse reads.
type Info struct {
	Imports []Import
	Exports []Export
}

// ErrMalformed is wrapped by every error of Parse.
var ErrMalformed = errors.New("malformed module")

// Parse reads the import and export sections of wasm. It validates only what
// it reads; wazero validates the rest at compile time.
func Parse(wasm []byte) (Info, error) {
	var info Info
	if len(wasm) < 8 || string(wasm[:4]) != "\x00asm" || binary.LittleEndian.Uint32(wasm[4:]) != 1 {
		return info, fmt.Errorf("%w: not a WebAssembly 1.0 binary", ErrMalformed)
	}
	r := reader{b: wasm[8:]}
	for len(r.b) > 0 {
		id, err := r.byte()
		if err != nil {
			return info, err
		}
		size, err := r.u32()
		if err != nil {
			return info, err
		}
		payload, err := r.bytes(size)
		if err != nil {
			return info, fmt.Errorf("section %d: %w", id, err)
		}
		switch id {
		case 2:
			if info.Imports, err = parseImports(payload); err != nil {
				return info, fmt.Errorf("import section: %w", err)
			}
		case 7:
			if info.Exports, err = parseExports(payload); err != nil {
				return info, fmt.Errorf("export section: %w", err)
			}
		}
	}
	return info, nil
}

func parseImports(p []byte) ([]Import, error) {
	r := reader{b: p}
	n, err := r.u32()
	if err != nil {
		return nil, err
	}
	if uint64(n)*4 > uint64(len(r.b)) { // an import takes at least 4 bytes
		return nil, errEOF
	}
	out := make([]Import, 0, n)
	for i := uint32(0); i < n; i++ {
		var im Import
		if im.Module, err = r.name(); err != nil {
			return nil, err
		}
		if im.Name, err = r.name(); err != nil {
			return nil, err
		}
		k, err := r.byte()
		if err != nil {
			return nil, err
		}
		im.Kind = Kind(k)
		switch im.Kind {
		case KindFunc:
			_, err = r.u32()
		case KindTable:
			if _, err = r.byte(); err == nil {
				err = r.limits()
			}
		case KindMemory:
			err = r.limits()
		case KindGlobal:
			if _, err = r.byte(); err == nil {
				_, err = r.byte()
			}
		case KindTag:
			if _, err = r.byte(); err == nil {
				_, err = r.u32()
			}
		default:
			return nil, fmt.Errorf("%w: import kind %d", ErrMalformed, k)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, im)
	}
	if len(r.b) != 0 {
		return nil, fmt.Errorf("%w: trailing bytes", ErrMalformed)
	}
	return out, nil
}

func parseExports(p []byte) ([]Export, error) {
	r := reader{b: p}
	n, err := r.u32()
	if err != nil {
		return nil, err
	}
	if uint64(n)*3 > uint64(len(r.b)) { // an export takes at least 3 bytes
		return nil, errEOF
	}
	out := make([]Export, 0, n)
	for i := uint32(0); i < n; i++ {
		var ex Export
		if ex.Name, err = r.name(); err != nil {
			return nil, err
		}
		k, err := r.byte()
		if err != nil {
			return nil, err
		}
		ex.Kind = Kind(k)
		if _, err := r.u32(); err != nil {
			return nil, err
		}
		out = append(out, ex)
	}
	if len(r.b) != 0 {
		return nil, fmt.Errorf("%w: trailing bytes", ErrMalformed)
	}
	return out, nil
}

type reader struct{ b []byte }

var errEOF = fmt.Errorf("%w: unexpected end", ErrMalformed)

func (r *reader) byte() (byte, error) {
	if len(r.b) == 0 {
		return 0, errEOF
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c, nil
}

func (r *reader) bytes(n uint32) ([]byte, error) {
	if uint64(n) > uint64(len(r.b)) {
		return nil, errEOF
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v, nil
}

func (r *reader) u32() (uint32, error) {
	var v uint64
	for shift := uint(0); shift < 35; shift += 7 {
		c, err := r.byte()
		if err != nil {
			return 0, err
		}
		v |= uint64(c&0x7F) << shift
		if c&0x80 == 0 {
			if v > 0xFFFFFFFF {
				return 0, fmt.Errorf("%w: LEB128 overflows 32 bits", ErrMalformed)
			}
			return uint32(v), nil
		}
	}
	return 0, fmt.Errorf("%w: LEB128 too long", ErrMalformed)
}

func (r *reader) name() (string, error) {
	n, err := r.u32()
	if err != nil {
		return "", err
	}
	b, err := r.bytes(n)
	return string(b), err
}

func (r *reader) limits() error {
	flag, err := r.byte()
	if err != nil {
		return err
	}
	if _, err := r.u32(); err != nil {
		return err
	}
	if flag&1 != 0 {
		_, err = r.u32()
	}
	return err
}
