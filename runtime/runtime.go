package wasmrt

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"

	"github.com/wasmhose/wasmhose/runtime/abi"
	"github.com/wasmhose/wasmhose/runtime/internal/bounds"
	"github.com/wasmhose/wasmhose/runtime/internal/interrupt"
	"github.com/wasmhose/wasmhose/runtime/internal/modinfo"
)

// Runtime loads and runs plugins. It owns one wazero runtime, the host's
// imports and the compiled modules, shared by all its plugins. Its methods
// are safe for concurrent use.
type Runtime struct {
	cfg   Config
	wz    wazero.Runtime
	cache wazero.CompilationCache

	mu      sync.Mutex
	modules map[[sha256.Size]byte]*module
	closed  bool

	// compiling admits one compilation at a time: a module that compiles
	// slowly (up to the compile deadline, and on past it in the background)
	// never has company.
	compiling chan struct{}

	instances, created, recycled atomic.Int64
}

// Stats are a Runtime's instance counters, for metrics.
type Stats struct {
	// Instances is the number of plugin instances alive now.
	Instances int64
	// Created counts instances instantiated since New.
	Created int64
	// Recycled counts instances discarded after a trap, a timeout, an
	// out-of-memory or a malformed result.
	Recycled int64
}

// Stats returns the instance counters.
func (r *Runtime) Stats() Stats {
	return Stats{Instances: r.instances.Load(), Created: r.created.Load(), Recycled: r.recycled.Load()}
}

// module is a compiled module shared by the plugins loaded from the same
// bytes. Until ready is closed it is being compiled; err then says whether
// that failed.
type module struct {
	hash     [sha256.Size]byte
	ready    chan struct{}
	err      error
	compiled wazero.CompiledModule
	hasInit  bool
	hasReact bool
	hasStart bool // the start section, exported as bounds.StartExport
	refs     int
}

// New creates a Runtime. It fails if cfg holds an invalid value or the
// compilation cache directory cannot be used.
func New(ctx context.Context, cfg Config) (*Runtime, error) {
	var errs []error
	if cfg.workers < 1 {
		errs = append(errs, fmt.Errorf("workers: %d is less than 1", cfg.workers))
	}
	if cfg.memoryLimitPages < 1 || cfg.memoryLimitPages > 65536 {
		errs = append(errs, fmt.Errorf("memory limit: %d pages is outside 1..65536", cfg.memoryLimitPages))
	}
	if cfg.batchTimeout <= 0 {
		errs = append(errs, fmt.Errorf("batch timeout: %v is not positive", cfg.batchTimeout))
	}
	if cfg.maxOutputBytes < abi.ResultHeaderSize {
		errs = append(errs, fmt.Errorf("max output bytes: %d is less than %d", cfg.maxOutputBytes, abi.ResultHeaderSize))
	}
	if cfg.stop < StopInterrupt || cfg.stop > StopNone {
		errs = append(errs, fmt.Errorf("stop mode: unknown value %d", cfg.stop))
	}
	if cfg.maxModuleBytes < 8 {
		errs = append(errs, fmt.Errorf("max module bytes: %d is less than 8", cfg.maxModuleBytes))
	}
	if cfg.compileTimeout <= 0 {
		errs = append(errs, fmt.Errorf("compile timeout: %v is not positive", cfg.compileTimeout))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("wasmrt config: %w", err)
	}
	rc := wazero.NewRuntimeConfig().
		WithCoreFeatures(api.CoreFeaturesV2).
		WithMemoryLimitPages(cfg.memoryLimitPages).
		WithCloseOnContextDone(cfg.stop == StopCloseOnContextDone)
	r := &Runtime{cfg: cfg, modules: map[[sha256.Size]byte]*module{}, compiling: make(chan struct{}, 1)}
	if cfg.cacheDir != "" {
		cache, err := wazero.NewCompilationCacheWithDir(cfg.cacheDir)
		if err != nil {
			return nil, fmt.Errorf("wasmrt compilation cache %s: %w", cfg.cacheDir, err)
		}
		r.cache = cache
		rc = rc.WithCompilationCache(cache)
	}
	r.wz = wazero.NewRuntimeWithConfig(ctx, rc)
	if _, err := wasi_snapshot_preview1.Instantiate(ctx, r.wz); err != nil {
		r.Close(ctx)
		return nil, fmt.Errorf("wasmrt: instantiate WASI: %w", err)
	}
	_, err := r.wz.NewHostModuleBuilder(abi.ImportModule).
		NewFunctionBuilder().
		WithGoModuleFunction(api.GoModuleFunc(hostLog), []api.ValueType{api.ValueTypeI32, api.ValueTypeI32, api.ValueTypeI32}, nil).
		WithParameterNames("level", "ptr", "len").
		Export(abi.ImportLog).
		Instantiate(ctx)
	if err != nil {
		r.Close(ctx)
		return nil, fmt.Errorf("wasmrt: instantiate %s: %w", abi.ImportModule, err)
	}
	return r, nil
}

// Close closes every plugin and module and the wazero runtime. Transform
// calls in progress fail.
//
// Close waits for a compilation still running in the background (one
// abandoned at its deadline) to end.
func (r *Runtime) Close(ctx context.Context) error {
	r.mu.Lock()
	r.closed = true
	r.modules = map[[sha256.Size]byte]*module{}
	r.mu.Unlock()
	// A compilation abandoned at its deadline may still run: wazero must
	// not be closed under it. This waits at most for that one compilation.
	r.compiling <- struct{}{}
	defer func() { <-r.compiling }() // waiters then see closed
	var errs []error
	if r.wz != nil {
		errs = append(errs, r.wz.Close(ctx))
	}
	if r.cache != nil {
		errs = append(errs, r.cache.Close(ctx))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("wasmrt close: %w", err)
	}
	return nil
}

// Load checks and compiles the module wasm and returns it as a Plugin named
// name, passing it config (JSON by convention, may be empty) through its init
// export. One instance is created and initialised before Load returns, so a
// module that cannot start, or rejects its configuration, fails here.
//
// Modules with the same bytes are compiled once and shared; each Load returns
// a separate Plugin with its own configuration and instance pool.
func (r *Runtime) Load(ctx context.Context, name string, wasm []byte, config []byte) (*Plugin, error) {
	m, err := r.acquire(ctx, wasm)
	if err != nil {
		return nil, fmt.Errorf("load plugin %s: %w", name, err)
	}
	p := newPlugin(r, m, name, config)
	inst, err := p.newInstance(ctx)
	if err != nil {
		p.Close(ctx)
		return nil, fmt.Errorf("load plugin %s: %w", name, err)
	}
	<-p.slots
	p.slots <- inst
	return p, nil
}

// acquire returns the compiled module for wasm, compiling it if needed.
// Concurrent loads of the same bytes wait for one compilation.
func (r *Runtime) acquire(ctx context.Context, wasm []byte) (*module, error) {
	hash := sha256.Sum256(wasm)
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil, ErrClosed
	}
	if m, ok := r.modules[hash]; ok {
		m.refs++
		r.mu.Unlock()
		select {
		case <-m.ready:
		case <-ctx.Done():
			r.release(ctx, m)
			return nil, ctx.Err()
		}
		if m.err != nil {
			r.release(ctx, m)
			return nil, m.err
		}
		return m, nil
	}
	m := &module{hash: hash, ready: make(chan struct{}), refs: 1}
	r.modules[hash] = m
	r.mu.Unlock()

	m.err = r.compile(ctx, m, wasm)
	if m.err != nil {
		r.mu.Lock()
		if r.modules[hash] == m {
			delete(r.modules, hash) // the next Load tries again
		}
		r.mu.Unlock()
	}
	close(m.ready)
	if m.err != nil {
		r.release(ctx, m)
		return nil, m.err
	}
	return m, nil
}

// compile checks wasm, applies the module limits and the interrupt
// rewriting, and compiles the result into m.
func (r *Runtime) compile(ctx context.Context, m *module, wasm []byte) error {
	if len(wasm) > r.cfg.maxModuleBytes {
		return fmt.Errorf("%w: module size in bytes: %d, limit %d", ErrModuleLimit, len(wasm), r.cfg.maxModuleBytes)
	}
	info, err := Inspect(wasm)
	if err != nil {
		return err
	}
	if err := info.check(); err != nil {
		return err
	}
	lim := bounds.Default()
	lim.ModuleBytes = r.cfg.maxModuleBytes
	code, st, err := bounds.Apply(wasm, lim)
	if err != nil {
		if errors.Is(err, ErrModuleLimit) {
			return err
		}
		return fmt.Errorf("%w: %w", ErrInvalidModule, err)
	}
	m.hasStart = st.HasStart
	if r.cfg.stop == StopInterrupt {
		if code, _, err = interrupt.Inject(code); err != nil {
			return fmt.Errorf("%w: %w", ErrInvalidModule, err)
		}
	}
	compiled, err := r.compileWithDeadline(ctx, code)
	if err != nil {
		return err
	}
	if err := checkSignatures(compiled); err != nil {
		compiled.Close(ctx)
		return err
	}
	m.compiled = compiled
	_, m.hasInit = compiled.ExportedFunctions()[abi.ExportInit]
	_, m.hasReact = compiled.ExportedFunctions()[abi.ExportInitialize]
	return nil
}

// compileWithDeadline compiles code in a goroutine of its own, one
// compilation at a time, and gives up waiting at the compile deadline or
// when ctx ends. wazero's compiler cannot be interrupted: an abandoned
// compilation runs to its end in the background, still holding the
// one-at-a-time slot, and its result is closed.
func (r *Runtime) compileWithDeadline(ctx context.Context, code []byte) (wazero.CompiledModule, error) {
	select {
	case r.compiling <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	r.mu.Lock()
	closed := r.closed
	r.mu.Unlock()
	if closed {
		<-r.compiling
		return nil, ErrClosed
	}
	type result struct {
		c   wazero.CompiledModule
		err error
	}
	done := make(chan result, 1)
	go func() {
		defer func() { <-r.compiling }()
		c, err := r.wz.CompileModule(context.WithoutCancel(ctx), code)
		done <- result{c, err}
	}()
	timer := time.NewTimer(r.cfg.compileTimeout)
	defer timer.Stop()
	abandon := func() {
		go func() {
			if res := <-done; res.c != nil {
				res.c.Close(context.Background())
			}
		}()
	}
	select {
	case res := <-done:
		if res.err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInvalidModule, res.err)
		}
		return res.c, nil
	case <-timer.C:
		abandon()
		return nil, fmt.Errorf("%w (%v)", ErrCompileTimeout, r.cfg.compileTimeout)
	case <-ctx.Done():
		abandon()
		return nil, ctx.Err()
	}
}

// release drops a reference to m and closes it with the last one.
func (r *Runtime) release(ctx context.Context, m *module) error {
	r.mu.Lock()
	m.refs--
	last := m.refs == 0
	if last && r.modules[m.hash] == m {
		delete(r.modules, m.hash)
	}
	r.mu.Unlock()
	if last && m.compiled != nil {
		return m.compiled.Close(ctx)
	}
	return nil
}

// Info describes a module as Inspect reads it.
type Info struct {
	// SHA256 is the hex SHA-256 of the module's bytes.
	SHA256 string
	// Size is the module's size in bytes.
	Size int
	// ABIVersions lists the major versions of the wasmhose_abi_vN marker
	// exports found (normally exactly one).
	ABIVersions []int
	// Imports lists every import as "module.name".
	Imports []string
	// Exports lists every export's name.
	Exports []string
	// Forbidden lists the imports outside the allow-list.
	Forbidden []*ImportError

	command bool
	kinds   map[string]modinfo.Kind
}

// Inspect reads a module's ABI marker, imports and exports without compiling
// it. It fails only if the module cannot be parsed; Info.Forbidden and
// Info.ABIVersions say whether Load would accept it.
func Inspect(wasm []byte) (Info, error) {
	sum := sha256.Sum256(wasm)
	info := Info{SHA256: hex.EncodeToString(sum[:]), Size: len(wasm), kinds: map[string]modinfo.Kind{}}
	mi, err := modinfo.Parse(wasm)
	if err != nil {
		return info, fmt.Errorf("%w: %w", ErrInvalidModule, err)
	}
	for _, im := range mi.Imports {
		info.Imports = append(info.Imports, im.Module+"."+im.Name)
		if !importAllowed(im) {
			info.Forbidden = append(info.Forbidden, &ImportError{Module: im.Module, Name: im.Name, Kind: im.Kind.String()})
		}
	}
	for _, ex := range mi.Exports {
		info.Exports = append(info.Exports, ex.Name)
		info.kinds[ex.Name] = ex.Kind
		if v, ok := strings.CutPrefix(ex.Name, abi.MarkerPrefix); ok {
			if n, err := strconv.Atoi(v); err == nil && n > 0 {
				info.ABIVersions = append(info.ABIVersions, n)
			}
		}
		if ex.Name == abi.ExportStart {
			info.command = true
		}
	}
	return info, nil
}

func importAllowed(im modinfo.Import) bool {
	if im.Kind != modinfo.KindFunc {
		return false
	}
	switch im.Module {
	case abi.ImportModule:
		return im.Name == abi.ImportLog
	case abi.WASIModule:
		return abi.WASIAllowed(im.Name)
	}
	return false
}

// check applies Load's rules to a module's imports and exports.
func (info Info) check() error {
	if len(info.ABIVersions) == 0 {
		return fmt.Errorf("%w: no %s<N> export; an SDK exports the marker and the ABI functions: %s", ErrNotPlugin, abi.MarkerPrefix, fixExports)
	}
	v1 := false
	for _, v := range info.ABIVersions {
		v1 = v1 || v == abi.Version
	}
	if !v1 {
		return fmt.Errorf("%w: the module implements version %d, this runtime version %d", ErrUnsupportedABI, info.ABIVersions[0], abi.Version)
	}
	if info.command {
		return fmt.Errorf("%w: the module is a WASI command (exports _start); build a reactor: %s", ErrNotPlugin, fixCommand)
	}
	if len(info.Forbidden) > 0 {
		return fmt.Errorf("%w; %s", info.Forbidden[0], importFix(info.Forbidden[0]))
	}
	for name, kind := range map[string]modinfo.Kind{
		abi.ExportMemory: modinfo.KindMemory, abi.ExportAlloc: modinfo.KindFunc, abi.ExportTransform: modinfo.KindFunc,
	} {
		if k, ok := info.kinds[name]; !ok || k != kind {
			return fmt.Errorf("%w: %s %s; %s", ErrMissingExport, kind, name, fixExports)
		}
	}
	if k, ok := info.kinds[abi.ExportInit]; ok && k != modinfo.KindFunc {
		return fmt.Errorf("%w: %s is not a function", ErrMissingExport, abi.ExportInit)
	}
	return nil
}

// The fixes Load's refusals name, in each SDK language's terms.
const (
	fixCommand = "Go: go build -buildmode=c-shared; Rust: --crate-type cdylib (a lib, not a bin); " +
		"C: clang -mexec-model=reactor; AssemblyScript: drop --exportStart"
	fixExports = "Go: register a handler with sdk/go and build with -buildmode=c-shared; " +
		"Rust: invoke sdk/rust's wasmhose::plugin! macro in a cdylib; " +
		"C: compile and link sdk/c/wasmhose.c and define its wasmhose_on_record (or wasmhose_on_batch); " +
		"AssemblyScript: export * from \"wasmhose-sdk/assembly/exports\" in the entry file"
)

// importFix says how to get rid of a forbidden import.
func importFix(ie *ImportError) string {
	switch {
	case ie.Module == "env" && ie.Name == "abort":
		return "AssemblyScript's abort handler: build with --use abort=~lib/wasmhose-sdk/assembly/index/abort " +
			"(sdk/assemblyscript's asconfig.json does it) or point --use abort= at your own function"
	case ie.Module == "env" && ie.Name == "seed":
		return "AssemblyScript's Math.random needs a seed: use a deterministic generator, or build with --use seed=<your function>"
	case ie.Module == "env" && ie.Name == "trace":
		return "AssemblyScript's trace(): use the SDK's log() instead"
	case ie.Kind != "func":
		return "plugins may import functions only; " +
			"C/Rust: do not link with --import-memory or --import-table; AssemblyScript: drop --importMemory and --importTable"
	case ie.Module == abi.WASIModule:
		return "WASI " + ie.Name + " is not available to plugins (no sockets, no signals): remove the code that calls it"
	case strings.HasPrefix(ie.Name, "__wbindgen") || strings.HasPrefix(ie.Module, "__wbindgen") || ie.Module == "wbg":
		return "Rust: wasm-bindgen generates JavaScript glue imports; build without wasm-bindgen, with sdk/rust"
	}
	return "the allowed imports are " + abi.ImportModule + "." + abi.ImportLog + " and WASI preview 1 (sdk/ABI.md, Imports). " +
		"An undefined function becomes an import: C: define it or drop it (link with -Wl,--no-undefined to see it at build time, " +
		"not --allow-undefined); Rust: remove the extern \"C\" block declaring it; " +
		"Go: remove the //go:wasmimport declaring it; AssemblyScript: remove the declare function (or @external) declaring it"
}

func checkSignatures(c wazero.CompiledModule) error {
	i32, i64 := api.ValueTypeI32, api.ValueTypeI64
	fns := c.ExportedFunctions()
	for _, want := range []struct {
		name            string
		params, results []api.ValueType
		optional        bool
	}{
		{abi.ExportAlloc, []api.ValueType{i32}, []api.ValueType{i32}, false},
		{abi.ExportTransform, []api.ValueType{i32, i32}, []api.ValueType{i64}, false},
		{abi.ExportInit, []api.ValueType{i32, i32}, []api.ValueType{i64}, true},
		{abi.ExportInitialize, nil, nil, true},
	} {
		fn, ok := fns[want.name]
		if !ok {
			if want.optional {
				continue
			}
			return fmt.Errorf("%w: func %s", ErrMissingExport, want.name)
		}
		if !sameTypes(fn.ParamTypes(), want.params) || !sameTypes(fn.ResultTypes(), want.results) {
			return fmt.Errorf("%w: %s has type (%s) -> (%s), want (%s) -> (%s)", ErrMissingExport, want.name,
				typeNames(fn.ParamTypes()), typeNames(fn.ResultTypes()), typeNames(want.params), typeNames(want.results))
		}
	}
	return nil
}

func sameTypes(a, b []api.ValueType) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func typeNames(ts []api.ValueType) string {
	s := make([]string, len(ts))
	for i, t := range ts {
		s[i] = api.ValueTypeName(t)
	}
	return strings.Join(s, ", ")
}
