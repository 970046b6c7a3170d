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

// FileRegistry is a Registry of JSON files in one folder: <dir>/<name>.json,
// each written atomically (temp file, fsync, rename, fsync of the folder).
type FileRegistry struct {
	dir string
}

// NewFileRegistry returns a registry in dir, creating it.
func NewFileRegistry(dir string) (*FileRegistry, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("stream registry: %w", err)
	}
	return &FileRegistry{dir: dir}, nil
}

// Load implements Registry.
func (r *FileRegistry) Load() ([]*Stream, error) {
	ents, err := os.ReadDir(r.dir)
	if err != nil {
		return nil, fmt.Errorf("stream registry: %w", err)
	}
	var out []*Stream
	for _, e := range ents {
		if e.IsDir() || strings.HasPrefix(e.Name(), ".") || !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		p := filepath.Join(r.dir, e.Name())
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("stream registry: %w", err)
		}
		var s Stream
		if err := json.Unmarshal(b, &s); err != nil {
			return nil, fmt.Errorf("stream registry: %s: %w", p, err)
		}
		out = append(out, &s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Save implements Registry.
func (r *FileRegistry) Save(s *Stream) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("stream registry: save %s: %w", s.Name, err)
	}
	if err := atomicfile.Write(filepath.Join(r.dir, s.Name+".json"), b, 0o600); err != nil {
		return fmt.Errorf("stream registry: save %s: %w", s.Name, err)
	}
	return nil
}

// Delete implements Registry.
func (r *FileRegistry) Delete(name string) error {
	err := os.Remove(filepath.Join(r.dir, name+".json"))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("stream registry: delete %s: %w", name, err)
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
