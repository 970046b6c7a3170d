package stream

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/wasmhose/wasmhose/internal/atomicfile"
)

// Registry persists delivery streams. The local implementation keeps one
// JSON file per stream; a shared registry (for several nodes) is a second
// implementation of the same interface.
type Registry interface {
	// Load returns every stored stream, sorted by name.
	Load() ([]*Stream, error)
	// Save stores s durably, replacing any stream of the same name.
	Save(s *Stream) error
	// Delete removes the stream of that name; deleting a missing one is not an error.
	Delete(name string) error
}

// FileRegistry is a Registry of JSON files in one folder, one per stream,
// each written atomically (temp file, fsync, rename, fsync of the folder).
// A stream's file is <dir>/<FileName(name)>; the name itself is read from
// the file's content.
//
// # Notes
//
// Registries written before names were encoded hold <name>.json files.
// Load reads them too and renames each to its encoded name; if the rename
// fails (a read-only folder) the stream still loads from the old file,
// which the next Save or Delete of that stream removes.
type FileRegistry struct {
	dir string

	mu     sync.Mutex
	legacy map[string]string // stream name → its file in the earlier layout, still to remove
}

// NewFileRegistry returns a registry in dir, creating it.
func NewFileRegistry(dir string) (*FileRegistry, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("stream registry: %w", err)
	}
	return &FileRegistry{dir: dir, legacy: map[string]string{}}, nil
}

// fileExt ends the name of every registry file.
const fileExt = ".json"

// FileName returns the name of the registry file of the stream called
// name: name with every byte outside a-z, 0-9, '_', '-' and '.' written as
// %XX (upper-case hex), as is a leading '.' and the first byte of a name
// whose part before the first '.' is a Windows device name (con, nul,
// com1, ...), followed by ".json". So "clicks" keeps its file
// clicks.json, while ".logs" is %2Elogs.json and "Clicks" %43licks.json:
// no stream's file is hidden, is "." or "..", or differs from another
// stream's only by case, so every name Firehose accepts survives on every
// file system, case-insensitive ones included.
func FileName(name string) string {
	var b strings.Builder
	b.Grow(len(name) + len(fileExt))
	escapeFirst := isDeviceName(name)
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case i == 0 && (c == '.' || escapeFirst):
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '_', c == '-', c == '.':
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	b.WriteString(fileExt)
	return b.String()
}

const hexDigits = "0123456789ABCDEF"

// isDeviceName reports whether the part of name before its first '.' is a
// name Windows reserves for a device, in any case.
func isDeviceName(name string) bool {
	base, _, _ := strings.Cut(strings.ToLower(name), ".")
	switch base {
	case "con", "prn", "aux", "nul":
		return true
	}
	return len(base) == 4 && (strings.HasPrefix(base, "com") || strings.HasPrefix(base, "lpt")) && '1' <= base[3] && base[3] <= '9'
}

// Load implements Registry. Each file's stream is checked against the file
// name: a visible file that holds another stream's name is an error; a
// hidden one (not a file of this registry) is skipped.
func (r *FileRegistry) Load() ([]*Stream, error) {
	ents, err := os.ReadDir(r.dir)
	if err != nil {
		return nil, fmt.Errorf("stream registry: %w", err)
	}
	type found struct {
		s      *Stream
		file   string
		legacy bool
	}
	byName := map[string]found{}
	for _, e := range ents {
		if e.IsDir() || !strings.HasSuffix(e.Name(), fileExt) {
			continue // temporary files end in .tmp-<digits>
		}
		hidden := strings.HasPrefix(e.Name(), ".")
		p := filepath.Join(r.dir, e.Name())
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("stream registry: %w", err)
		}
		var s Stream
		if err := json.Unmarshal(b, &s); err != nil {
			if hidden {
				continue
			}
			return nil, fmt.Errorf("stream registry: %s: %w", p, err)
		}
		f := found{s: &s, file: e.Name()}
		switch e.Name() {
		case FileName(s.Name):
		case s.Name + fileExt:
			f.legacy = true
		default:
			if hidden {
				continue
			}
			return nil, fmt.Errorf("stream registry: %s holds stream %q, whose file is %s", p, s.Name, FileName(s.Name))
		}
		if prev, ok := byName[s.Name]; ok {
			// Both layouts hold the stream (a migration cut short): the
			// encoded file is the newer one; the old one goes.
			old := prev
			if !prev.legacy {
				old, f = f, prev
			}
			if err := os.Remove(filepath.Join(r.dir, old.file)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				r.noteLegacy(s.Name, old.file)
			}
		}
		byName[s.Name] = f
	}
	out := make([]*Stream, 0, len(byName))
	for name, f := range byName {
		if f.legacy {
			r.migrate(name, f.file)
		}
		out = append(out, f.s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// migrate renames a stream's file of the earlier layout to its encoded
// name; on failure it notes the old file for the next Save or Delete.
func (r *FileRegistry) migrate(name, file string) {
	err := os.Rename(filepath.Join(r.dir, file), filepath.Join(r.dir, FileName(name)))
	if err == nil {
		err = atomicfile.SyncDir(r.dir)
	}
	if err != nil {
		r.noteLegacy(name, file)
	}
}

func (r *FileRegistry) noteLegacy(name, file string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.legacy[name] = file
}

// removeLegacy removes the earlier-layout file noted for name, once its
// encoded file is written. It is best effort: a file that cannot be
// removed stays noted, and Load prefers the encoded file anyway.
func (r *FileRegistry) removeLegacy(name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	file, ok := r.legacy[name]
	if !ok {
		return
	}
	if err := os.Remove(filepath.Join(r.dir, file)); err == nil || errors.Is(err, fs.ErrNotExist) {
		delete(r.legacy, name)
		_ = atomicfile.SyncDir(r.dir) // best effort, as above
	}
}

// Save implements Registry.
func (r *FileRegistry) Save(s *Stream) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("stream registry: save %s: %w", s.Name, err)
	}
	if err := atomicfile.Write(filepath.Join(r.dir, FileName(s.Name)), b, 0o600); err != nil {
		return fmt.Errorf("stream registry: save %s: %w", s.Name, err)
	}
	r.removeLegacy(s.Name)
	return nil
}

// Delete implements Registry.
func (r *FileRegistry) Delete(name string) error {
	err := os.Remove(filepath.Join(r.dir, FileName(name)))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("stream registry: delete %s: %w", name, err)
	}
	r.mu.Lock()
	file, ok := r.legacy[name]
	r.mu.Unlock()
	if ok {
		if err := os.Remove(filepath.Join(r.dir, file)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("stream registry: delete %s: %w", name, err)
		}
		r.mu.Lock()
		delete(r.legacy, name)
		r.mu.Unlock()
	}
	return atomicfile.SyncDir(r.dir)
}

// LoadLocation resolves a CustomTimeZone; "" is UTC.
func LoadLocation(tz string) (*time.Location, error) {
	if tz == "" {
		return time.UTC, nil
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return nil, fmt.Errorf("time zone %q: %w", tz, err)
	}
	return loc, nil
}
