// Package modinfo reads the import and export sections of a WebAssembly
// binary without compiling it, so that the runtime can refuse a plugin with
// an error naming the offending import before wazero sees it.
package modinfo

import (
	"errors"
	"fmt"
	"github.com/wasmhose/wasmhose/runtime/internal/wasmbin"
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
	secs, err := wasmbin.Sections(wasm, ErrMalformed)
	if err != nil {
		return info, err
	}
	for _, sec := range secs {
		id, payload := sec.ID, sec.Payload
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
	r := newReader(p)
	n, err := r.U32()
	if err != nil {
		return nil, err
	}
	if uint64(n)*4 > uint64(len(r.B)) { // an import takes at least 4 bytes
		return nil, errEOF
	}
	out := make([]Import, 0, n)
	for i := uint32(0); i < n; i++ {
		var im Import
		if im.Module, err = r.Name(); err != nil {
			return nil, err
		}
		if im.Name, err = r.Name(); err != nil {
			return nil, err
		}
		k, err := r.Byte()
		if err != nil {
			return nil, err
		}
		im.Kind = Kind(k)
		if err := r.SkipImportDesc(k); err != nil {
			return nil, err
		}
		out = append(out, im)
	}
	if len(r.B) != 0 {
		return nil, fmt.Errorf("%w: trailing bytes", ErrMalformed)
	}
	return out, nil
}

func parseExports(p []byte) ([]Export, error) {
	r := newReader(p)
	n, err := r.U32()
	if err != nil {
		return nil, err
	}
	if uint64(n)*3 > uint64(len(r.B)) { // an export takes at least 3 bytes
		return nil, errEOF
	}
	out := make([]Export, 0, n)
	for i := uint32(0); i < n; i++ {
		var ex Export
		if ex.Name, err = r.Name(); err != nil {
			return nil, err
		}
		k, err := r.Byte()
		if err != nil {
			return nil, err
		}
		ex.Kind = Kind(k)
		if _, err := r.U32(); err != nil {
			return nil, err
		}
		out = append(out, ex)
	}
	if len(r.B) != 0 {
		return nil, fmt.Errorf("%w: trailing bytes", ErrMalformed)
	}
	return out, nil
}

// reader reads the module's primitive encodings.
type reader struct{ wasmbin.Reader }

func newReader(b []byte) *reader { return &reader{wasmbin.Reader{B: b, Malformed: ErrMalformed}} }

// errEOF is the error of a read past the end.
var errEOF = fmt.Errorf("%w: unexpected end", ErrMalformed)
