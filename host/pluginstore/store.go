package pluginstore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wasmhose/wasmhose/host/stream"
	"github.com/wasmhose/wasmhose/internal/atomicfile"
	"github.com/wasmhose/wasmhose/internal/filelock"
	"github.com/wasmhose/wasmhose/plugins"
	wasmrt "github.com/wasmhose/wasmhose/runtime"
)

// DirName is the store's directory inside a data dir: Open(filepath.Join(
// dataDir, DirName), …).
const DirName = "plugins"

// Latest is the qualifier that names a function's newest version, as in
// Lambda.
const Latest = "$LATEST"

// BuiltinSourcePrefix prefixes the Source of a version installed from a
// built-in plugin ("builtin:apachelog-to-json").
const BuiltinSourcePrefix = "builtin:"

// Errors of the Store. Each is wrapped with detail; test with errors.Is.
var (
	// ErrNotFound: no installed function or built-in plugin has the name, or
	// the function has no such version. A LambdaArn naming it is an invalid
	// argument.
	ErrNotFound = errors.New("function not found")
	// ErrInvalidName: the name breaks Lambda's rule for function names,
	// 1 to 64 of a-z, A-Z, 0-9, '-' and '_'. A usage error.
	ErrInvalidName = errors.New("invalid function name")
	// ErrInvalidConfig: the configuration is not JSON (or, to be merged into
	// a built-in's configuration, not a JSON object). A usage error.
	ErrInvalidConfig = errors.New("invalid plugin configuration")
	// ErrBuiltin: Remove was asked to remove a built-in plugin, which is part
	// of the binary. Only installed functions can be removed.
	ErrBuiltin = errors.New("built-in plugins cannot be removed")
	// ErrNoRuntime: the Store was opened without a runtime, so it can list
	// and remove but not install or resolve.
	ErrNoRuntime = errors.New("plugin store has no runtime")
	// ErrCorrupt: a file of the store does not hold what its name or the
	// manifest says (a module whose hash differs, an unreadable manifest).
	ErrCorrupt = errors.New("plugin store file is corrupt")
	// ErrClosed: the Store was closed.
	ErrClosed = errors.New("plugin store closed")
)

var reName = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)

// CheckName reports whether name is a valid function name (Lambda's rule:
// 1 to 64 of a-z, A-Z, 0-9, '-' and '_'); the error wraps ErrInvalidName.
func CheckName(name string) error {
	if !reName.MatchString(name) {
		return fmt.Errorf("%w %q: use 1 to 64 letters, digits, '-' or '_'", ErrInvalidName, name)
	}
	return nil
}

// Kind says where a function comes from.
type Kind string

// The kinds of function.
const (
	// KindInstalled: installed in the store's directory.
	KindInstalled Kind = "installed"
	// KindBuiltin: a plugin of the catalogue, part of the binary.
	KindBuiltin Kind = "built-in"
)

// Function is an installed function or a built-in plugin.
type Function struct {
	// Name is the function name of the LambdaArn.
	Name string `json:"name"`
	// Kind is KindInstalled or KindBuiltin.
	Kind Kind `json:"kind"`
	// Summary is a built-in's one-line description; empty when installed.
	Summary string `json:"summary,omitempty"`
	// Shadowed is set on a built-in hidden by an installed function of the
	// same name (only List returns such built-ins).
	Shadowed bool `json:"shadowed,omitempty"`
	// ShadowsBuiltin is set on an installed function whose name is also a
	// built-in's.
	ShadowsBuiltin bool `json:"shadowsBuiltin,omitempty"`
	// Versions are the function's versions, oldest first; a built-in has one,
	// numbered 0.
	Versions []Version `json:"versions"`
}

// Latest returns the newest version.
func (f Function) Latest() Version { return f.Versions[len(f.Versions)-1] }

// Select returns the version a LambdaArn qualifier names: "" or Latest for
// the newest, a decimal number for that version. A built-in accepts only ""
// and Latest. The error wraps ErrNotFound.
func (f Function) Select(qualifier string) (Version, error) {
	if qualifier == "" || qualifier == Latest {
		return f.Latest(), nil
	}
	if f.Kind == KindBuiltin {
		return Version{}, fmt.Errorf("%w: %s is a built-in plugin without versions; name it without a qualifier or install it under a name of its own", ErrNotFound, f.Name)
	}
	n, err := strconv.Atoi(qualifier)
	if err != nil || n < 1 || strconv.Itoa(n) != qualifier {
		return Version{}, fmt.Errorf("%w: qualifier %q of function %s: only %s and version numbers are supported", ErrNotFound, qualifier, f.Name, Latest)
	}
	for _, v := range f.Versions {
		if v.Version == n {
			return v, nil
		}
	}
	return Version{}, fmt.Errorf("%w: function %s has no version %d (latest is %d)", ErrNotFound, f.Name, n, f.Latest().Version)
}

// Version is one immutable version of a function: a module and the
// configuration bound to it.
type Version struct {
	// Version is 1, 2, … in installation order; 0 for a built-in.
	Version int `json:"version"`
	// SHA256 is the hex SHA-256 of the module, the name of its file.
	SHA256 string `json:"sha256"`
	// Size is the module's size in bytes.
	Size int `json:"size"`
	// Config is the configuration passed to the plugin's init (JSON; absent
	// when empty).
	Config json.RawMessage `json:"config,omitempty"`
	// Installed is when the version was installed (zero for a built-in).
	Installed time.Time `json:"installed,omitzero"`
	// Source is the installed file's name, or "builtin:<name>".
	Source string `json:"source"`
}

// manifest is the file functions/<name>.json.
type manifest struct {
	Name     string    `json:"name"`
	Versions []Version `json:"versions"`
}

// Store is a directory of installed functions over a catalogue of built-in
// plugins. Its methods are safe for concurrent use.
type Store struct {
	dir      string
	cat      *plugins.Registry
	rt       *wasmrt.Runtime
	logger   *slog.Logger
	builtins map[string]Version // by name, computed once at Open

	writeMu sync.Mutex // serialises Install, InstallFrom and Remove (with the file lock, across processes: lockWrites)

	mu     sync.Mutex
	closed bool
	cache  map[cacheKey]*entry
}

// cacheKey identifies a loaded plugin.
type cacheKey struct {
	name    string
	version int
	sha256  string
	config  string
}

// entry is a loaded plugin, or one being loaded until ready is closed.
type entry struct {
	ready chan struct{}
	p     *wasmrt.Plugin
	err   error
}

// Open returns the Store of the directory dir (created at the first
// installation; by convention <data-dir>/plugins) over the built-in plugins
// of cat (nil: none). rt loads plugins; it may be nil for a Store that only
// lists, inspects and removes. logger receives installations, removals and
// loads (nil: discarded). The Store does not close rt.
func Open(dir string, cat *plugins.Registry, rt *wasmrt.Runtime, logger *slog.Logger) (*Store, error) {
	if dir == "" {
		return nil, errors.New("open plugin store: empty directory name")
	}
	if fi, err := os.Stat(dir); err == nil && !fi.IsDir() {
		return nil, fmt.Errorf("open plugin store: %s is not a directory", dir)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("open plugin store: %w", err)
	}
	if cat == nil {
		cat = plugins.NewEmptyRegistry()
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Store{dir: dir, cat: cat, rt: rt, logger: logger, builtins: map[string]Version{}, cache: map[cacheKey]*entry{}}
	for _, p := range cat.List() {
		sum := sha256.Sum256(p.Wasm)
		s.builtins[p.Name] = Version{
			SHA256: hex.EncodeToString(sum[:]), Size: len(p.Wasm),
			Config: compactConfig(p.Config), Source: BuiltinSourcePrefix + p.Name,
		}
	}
	return s, nil
}

// Dir returns the store's directory.
func (s *Store) Dir() string { return s.dir }

// CompilationCacheDir returns the folder, inside the store's directory dir,
// for the runtime's compilation cache (wasmrt.Config.WithCompilationCacheDir).
// The service and the plugin command both use it, so that a module compiled
// when it was installed is not compiled again when a stream resolves it.
func CompilationCacheDir(dir string) string { return filepath.Join(dir, "compiled") }

// lockWrites takes the store's write lock, in this process (writeMu) and
// across processes (internal/filelock on <dir>/.lock): `wasmhose plugin
// install` and `remove` may run while a server uses the same data dir, and
// without it a removal could collect a module another process has written
// but not yet named in its manifest, or two installs take one version.
func (s *Store) lockWrites() (func(), error) {
	if err := os.MkdirAll(s.dir, 0o755); err != nil { // a fresh data dir has none yet
		return nil, err
	}
	return filelock.LockWith(&s.writeMu, filepath.Join(s.dir, ".lock"))
}

func (s *Store) modulePath(sha string) string {
	return filepath.Join(s.dir, "modules", sha+".wasm")
}

func (s *Store) manifestPath(name string) string {
	return filepath.Join(s.dir, "functions", name+".json")
}

// Install validates wasm and installs it under name with config, adding a
// version to the function if it exists. source records where the module
// came from (a file name). config must be empty or JSON; it is stored
// compacted.
//
// The module is checked with wasmrt.Inspect and then loaded once with its
// configuration, so a module outside the ABI, a forbidden import (the error
// names it) or a configuration the plugin's init rejects fails here and
// installs nothing. The loaded plugin is kept for Resolve.
func (s *Store) Install(ctx context.Context, name string, wasm []byte, config json.RawMessage, source string) (Function, error) {
	f, err := s.install(ctx, name, wasm, config, source)
	if err != nil {
		return Function{}, fmt.Errorf("install %s: %w", name, err)
	}
	return f, nil
}

// InstallFrom installs the module of the built-in plugin builtin under name,
// with the built-in's configuration merged with the keys of extraConfig
// (a JSON object whose top-level keys replace the built-in's; empty keeps
// the built-in's configuration). The source is "builtin:<builtin>". See
// Install.
func (s *Store) InstallFrom(ctx context.Context, name, builtin string, extraConfig json.RawMessage) (Function, error) {
	p, ok := s.cat.Get(builtin)
	if !ok {
		return Function{}, fmt.Errorf("install %s: %w: no built-in plugin %q", name, ErrNotFound, builtin)
	}
	config, err := mergeConfig(p.Config, extraConfig)
	if err != nil {
		return Function{}, fmt.Errorf("install %s from %s: %w", name, builtin, err)
	}
	return s.Install(ctx, name, p.Wasm, config, BuiltinSourcePrefix+builtin)
}

func (s *Store) install(ctx context.Context, name string, wasm []byte, config json.RawMessage, source string) (Function, error) {
	if err := CheckName(name); err != nil {
		return Function{}, err
	}
	config = bytes.TrimSpace(config)
	if len(config) > 0 && !json.Valid(config) {
		return Function{}, fmt.Errorf("%w: not JSON: %s", ErrInvalidConfig, truncate(string(config), 80))
	}
	config = compactConfig(config)
	if s.rt == nil {
		return Function{}, ErrNoRuntime
	}
	if s.isClosed() {
		return Function{}, ErrClosed
	}
	info, err := wasmrt.Inspect(wasm)
	if err != nil {
		return Function{}, err
	}

	unlock, err := s.lockWrites()
	if err != nil {
		return Function{}, err
	}
	defer unlock()
	m, err := s.readManifest(name)
	if errors.Is(err, fs.ErrNotExist) {
		m = manifest{Name: name}
	} else if err != nil {
		return Function{}, err
	}
	v := Version{
		Version: 1, SHA256: info.SHA256, Size: info.Size, Config: config,
		Installed: time.Now().UTC().Truncate(time.Millisecond), Source: source,
	}
	if len(m.Versions) > 0 {
		v.Version = m.Versions[len(m.Versions)-1].Version + 1
	}
	key := cacheKey{name: name, version: v.Version, sha256: v.SHA256, config: string(v.Config)}
	p, err := s.rt.Load(ctx, pluginName(key), wasm, config)
	if err != nil {
		return Function{}, err
	}
	if err := s.writeModule(info.SHA256, wasm); err != nil {
		return Function{}, errors.Join(err, p.Close(ctx))
	}
	m.Versions = append(m.Versions, v)
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return Function{}, errors.Join(err, p.Close(ctx))
	}
	if err := atomicfile.Write(s.manifestPath(name), append(data, '\n'), 0o644); err != nil {
		return Function{}, errors.Join(err, p.Close(ctx))
	}
	s.keep(ctx, key, p)
	s.logger.Info("plugin installed", "function", name, "version", v.Version, "sha256", v.SHA256, "source", source)
	return s.installed(m), nil
}

// keep caches p, loaded by Install, under key (or closes it if the key is
// cached already or the store closed).
func (s *Store) keep(ctx context.Context, key cacheKey, p *wasmrt.Plugin) {
	s.mu.Lock()
	_, dup := s.cache[key]
	if !dup && !s.closed {
		e := &entry{ready: make(chan struct{}), p: p}
		close(e.ready)
		s.cache[key] = e
		p = nil
	}
	s.mu.Unlock()
	if p != nil {
		if err := p.Close(ctx); err != nil {
			s.logger.Warn("plugin close", "plugin", key.name, "err", err)
		}
	}
}

func (s *Store) writeModule(sha string, wasm []byte) error {
	path := s.modulePath(sha)
	if fi, err := os.Stat(path); err == nil && fi.Size() == int64(len(wasm)) {
		return nil
	}
	return atomicfile.Write(path, wasm, 0o644)
}

// installed returns the Function of manifest m.
func (s *Store) installed(m manifest) Function {
	_, shadows := s.builtins[m.Name]
	return Function{Name: m.Name, Kind: KindInstalled, ShadowsBuiltin: shadows, Versions: m.Versions}
}

// builtin returns the Function of a built-in plugin.
func (s *Store) builtin(name string) (Function, bool) {
	v, ok := s.builtins[name]
	if !ok {
		return Function{}, false
	}
	p, _ := s.cat.Get(name)
	return Function{Name: name, Kind: KindBuiltin, Summary: p.Summary, Versions: []Version{v}}, true
}

// Get returns the function name resolves to: the installed function, else
// the built-in plugin. The error wraps ErrNotFound if there is neither.
func (s *Store) Get(name string) (Function, error) {
	if err := CheckName(name); err != nil {
		return Function{}, err
	}
	m, err := s.readManifest(name)
	switch {
	case err == nil:
		return s.installed(m), nil
	case !errors.Is(err, fs.ErrNotExist):
		return Function{}, err
	}
	if f, ok := s.builtin(name); ok {
		return f, nil
	}
	return Function{}, fmt.Errorf("%w: no installed function or built-in plugin named %s", ErrNotFound, name)
}

// List returns the installed functions and the built-in plugins, by name; a
// built-in shadowed by an installed function follows it, with Shadowed set.
func (s *Store) List() ([]Function, error) {
	ents, err := os.ReadDir(filepath.Join(s.dir, "functions"))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("list plugins: %w", err)
	}
	var out []Function
	installed := map[string]bool{}
	for _, e := range ents {
		name, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok || e.IsDir() || CheckName(name) != nil {
			continue // temporary files and strays
		}
		m, err := s.readManifest(name)
		if errors.Is(err, fs.ErrNotExist) {
			continue // removed meanwhile
		}
		if err != nil {
			return nil, fmt.Errorf("list plugins: %w", err)
		}
		out = append(out, s.installed(m))
		installed[name] = true
	}
	for name := range s.builtins {
		f, _ := s.builtin(name)
		f.Shadowed = installed[name]
		out = append(out, f)
	}
	slices.SortFunc(out, func(a, b Function) int {
		if c := strings.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		return strings.Compare(string(b.Kind), string(a.Kind)) // installed before built-in
	})
	return out, nil
}

// Module returns the version of name that qualifier selects (see
// Function.Select) and its module's bytes.
func (s *Store) Module(name, qualifier string) (Function, Version, []byte, error) {
	f, err := s.Get(name)
	if err != nil {
		return Function{}, Version{}, nil, err
	}
	v, err := f.Select(qualifier)
	if err != nil {
		return Function{}, Version{}, nil, err
	}
	wasm, err := s.code(f, v)
	if err != nil {
		return Function{}, Version{}, nil, err
	}
	return f, v, wasm, nil
}

// code returns the bytes of version v of f.
func (s *Store) code(f Function, v Version) ([]byte, error) {
	if f.Kind == KindBuiltin {
		p, _ := s.cat.Get(f.Name)
		return p.Wasm, nil
	}
	wasm, err := os.ReadFile(s.modulePath(v.SHA256))
	if err != nil {
		return nil, fmt.Errorf("function %s version %d: %w", f.Name, v.Version, err)
	}
	if sum := sha256.Sum256(wasm); hex.EncodeToString(sum[:]) != v.SHA256 {
		return nil, fmt.Errorf("function %s version %d: %w: module %s has another SHA-256", f.Name, v.Version, ErrCorrupt, s.modulePath(v.SHA256))
	}
	return wasm, nil
}

// Remove deletes the installed function name and all its versions, and the
// modules no other function uses. A built-in of the same name becomes
// visible again. Plugins already loaded by Resolve stay loaded until Close.
func (s *Store) Remove(name string) error {
	if err := s.remove(name); err != nil {
		return fmt.Errorf("remove %s: %w", name, err)
	}
	return nil
}

func (s *Store) remove(name string) error {
	if err := CheckName(name); err != nil {
		return err
	}
	unlock, err := s.lockWrites()
	if err != nil {
		return err
	}
	defer unlock()
	if _, err := os.Stat(s.manifestPath(name)); errors.Is(err, fs.ErrNotExist) {
		if _, ok := s.builtins[name]; ok {
			return fmt.Errorf("%w: %s is built in and not installed", ErrBuiltin, name)
		}
		return fmt.Errorf("%w: no installed function named %s", ErrNotFound, name)
	}
	if err := os.Remove(s.manifestPath(name)); err != nil {
		return err
	}
	if err := atomicfile.SyncDir(filepath.Join(s.dir, "functions")); err != nil {
		return err
	}
	s.logger.Info("plugin removed", "function", name)
	return s.collectModules()
}

// collectModules deletes the modules no manifest refers to. The caller
// holds the write lock (lockWrites).
func (s *Store) collectModules() error {
	fns, err := s.List()
	if err != nil {
		return fmt.Errorf("collect modules: %w", err)
	}
	used := map[string]bool{}
	for _, f := range fns {
		if f.Kind == KindInstalled {
			for _, v := range f.Versions {
				used[v.SHA256+".wasm"] = true
			}
		}
	}
	dir := filepath.Join(s.dir, "modules")
	ents, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("collect modules: %w", err)
	}
	var errs []error
	for _, e := range ents {
		if !used[e.Name()] && strings.HasSuffix(e.Name(), ".wasm") && !strings.HasPrefix(e.Name(), ".") {
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, err)
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("collect modules: %w", err)
	}
	return nil
}

// readManifest reads functions/<name>.json; the error wraps fs.ErrNotExist
// when the function is not installed.
func (s *Store) readManifest(name string) (manifest, error) {
	path := s.manifestPath(name)
	data, err := os.ReadFile(path)
	if err != nil {
		return manifest{}, fmt.Errorf("function %s: %w", name, err)
	}
	var m manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return manifest{}, fmt.Errorf("%w: %s: %w", ErrCorrupt, path, err)
	}
	if m.Name != name || len(m.Versions) == 0 {
		return manifest{}, fmt.Errorf("%w: %s: names function %q with %d versions", ErrCorrupt, path, m.Name, len(m.Versions))
	}
	for i, v := range m.Versions {
		if b, err := hex.DecodeString(v.SHA256); err != nil || len(b) != sha256.Size || v.Version < 1 {
			return manifest{}, fmt.Errorf("%w: %s: bad version %d (sha256 %q)", ErrCorrupt, path, v.Version, v.SHA256)
		}
		m.Versions[i].Config = compactConfig(v.Config) // the file is indented
	}
	return m, nil
}

// Resolve returns the loaded plugin of a LambdaArn
// (arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]). It
// implements the host's deliver.Transforms: the Store owns the plugin, which
// stays loaded until Close, and returns the same one for every ARN that
// resolves to the same name, version, module and configuration. The error
// wraps ErrNotFound for an unknown function or version, ErrInvalidName, or
// the runtime's Load error.
func (s *Store) Resolve(ctx context.Context, lambdaARN string) (wasmrt.Transformer, error) {
	p, err := s.resolve(ctx, lambdaARN)
	if err != nil {
		return nil, fmt.Errorf("resolve %s: %w", lambdaARN, err)
	}
	return p, nil
}

func (s *Store) resolve(ctx context.Context, lambdaARN string) (*wasmrt.Plugin, error) {
	name, qualifier, err := parseLambdaARN(lambdaARN)
	if err != nil {
		return nil, err
	}
	if s.rt == nil {
		return nil, ErrNoRuntime
	}
	f, err := s.Get(name)
	if err != nil {
		return nil, err
	}
	v, err := f.Select(qualifier)
	if err != nil {
		return nil, err
	}
	key := cacheKey{name: name, version: v.Version, sha256: v.SHA256, config: string(v.Config)}

	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, ErrClosed
	}
	if e, ok := s.cache[key]; ok {
		s.mu.Unlock()
		select {
		case <-e.ready:
			return e.p, e.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	e := &entry{ready: make(chan struct{})}
	s.cache[key] = e
	s.mu.Unlock()

	wasm, err := s.code(f, v)
	if err == nil {
		e.p, e.err = s.rt.Load(ctx, pluginName(key), wasm, v.Config)
	} else {
		e.err = err
	}
	s.mu.Lock()
	closed := s.closed
	if e.err != nil || closed {
		delete(s.cache, key) // the next Resolve tries again
	}
	s.mu.Unlock()
	if closed && e.p != nil {
		e.err = errors.Join(ErrClosed, e.p.Close(ctx))
		e.p = nil
	}
	close(e.ready)
	if e.err == nil {
		s.logger.Info("plugin loaded", "function", name, "version", v.Version, "sha256", v.SHA256, "source", v.Source)
	}
	return e.p, e.err
}

// parseLambdaARN splits a Lambda function ARN into a valid function name
// and its qualifier.
func parseLambdaARN(arn string) (name, qualifier string, err error) {
	if name, qualifier, err = stream.ParseLambdaARN(arn); err != nil {
		return "", "", err
	}
	if err := CheckName(name); err != nil {
		return "", "", err
	}
	return name, qualifier, nil
}

// pluginName is the name a plugin is loaded under, which its log lines
// carry: "name:version", or "name" for a built-in.
func pluginName(k cacheKey) string {
	if k.version == 0 {
		return k.name
	}
	return k.name + ":" + strconv.Itoa(k.version)
}

func (s *Store) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// Close closes every plugin the Store loaded; Resolve and Install then fail
// with ErrClosed. Call it after the pipelines using the plugins have
// stopped. Close is idempotent.
func (s *Store) Close(ctx context.Context) error {
	s.mu.Lock()
	s.closed = true
	var ps []*wasmrt.Plugin
	for k, e := range s.cache {
		select {
		case <-e.ready:
			if e.p != nil {
				ps = append(ps, e.p)
			}
			delete(s.cache, k)
		default: // still loading: its loader sees closed and closes it
		}
	}
	s.mu.Unlock()
	var errs []error
	for _, p := range ps {
		errs = append(errs, p.Close(ctx))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("close plugin store: %w", err)
	}
	return nil
}

// mergeConfig returns base with the top-level keys of extra replacing its
// own. Both must be empty, null or JSON objects.
func mergeConfig(base, extra json.RawMessage) (json.RawMessage, error) {
	base, extra = bytes.TrimSpace(base), bytes.TrimSpace(extra)
	if len(extra) == 0 {
		return base, nil
	}
	obj := map[string]json.RawMessage{}
	if len(base) > 0 {
		if err := json.Unmarshal(base, &obj); err != nil {
			return nil, fmt.Errorf("%w: the built-in's configuration is not a JSON object, so keys cannot be merged into it: %w", ErrInvalidConfig, err)
		}
		if obj == nil {
			obj = map[string]json.RawMessage{}
		}
	}
	var add map[string]json.RawMessage
	if err := json.Unmarshal(extra, &add); err != nil {
		return nil, fmt.Errorf("%w: want a JSON object to merge into the built-in's configuration, got %s", ErrInvalidConfig, truncate(string(extra), 80))
	}
	for k, v := range add {
		obj[k] = v
	}
	out, err := json.Marshal(obj)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	return out, nil
}

// compactConfig returns config without insignificant space (config as is
// if it is not JSON; nil if empty).
func compactConfig(config json.RawMessage) json.RawMessage {
	config = bytes.TrimSpace(config)
	if len(config) == 0 {
		return nil
	}
	var b bytes.Buffer
	if err := json.Compact(&b, config); err != nil {
		return config
	}
	return b.Bytes()
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
